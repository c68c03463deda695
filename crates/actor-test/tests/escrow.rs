//! The escrow example (`examples/actors/escrow`) on the real VM through the harness: its
//! module built once per run, its own param and state types used on the host.

use escrow_actor::{Deal, State, Status};
use tandem_actor_test::{Address, TestVm, TokenAmount, build_actor, expect_exit};
use tandem_sdk::USR_FORBIDDEN;

const DEADLINE: u64 = 1_000;

struct Escrow {
    vm: TestVm,
    actor: Address,
    buyer: Address,
    seller: Address,
    arbiter: Address,
}

fn escrow() -> anyhow::Result<Escrow> {
    let wasm = build_actor(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/actors/escrow"
    ))?;
    let mut vm = TestVm::new()?;
    let (buyer, seller, arbiter) = (vm.account(1), vm.account(2), vm.account(3));
    let code = vm.install(&wasm)?;
    let deal = Deal {
        buyer: buyer.clone(),
        seller: seller.clone(),
        arbiter: arbiter.clone(),
        deadline: DEADLINE,
    };
    let actor = vm.deploy(&code, &deal)?;
    Ok(Escrow {
        vm,
        actor,
        buyer,
        seller,
        arbiter,
    })
}

fn whole(n: u64) -> TokenAmount {
    TokenAmount::from_whole(n)
}

#[test]
fn deposit_and_release_pay_the_seller() -> anyhow::Result<()> {
    let Escrow {
        mut vm,
        actor,
        buyer,
        seller,
        arbiter,
    } = escrow()?;
    let (buyer_before, seller_before) = (vm.balance(&buyer)?, vm.balance(&seller)?);

    let out = vm
        .call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(5))
        .send()?
        .ok()?;
    assert_eq!(out.decode::<TokenAmount>()?, whole(5));
    let deposited = out
        .events_of("deposited")
        .next()
        .expect("a deposited event");
    assert_eq!(deposited.decode::<TokenAmount>("amount")?, whole(5));
    assert!(out.gas_used > 0);
    let held: TokenAmount = vm
        .call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(2))
        .returns()?;
    assert_eq!(held, whole(7));
    assert_eq!(vm.balance(&actor)?, whole(7));

    let out = vm.call(&actor, "Release").from(&arbiter).send()?.ok()?;
    assert_eq!(out.decode::<TokenAmount>()?, whole(7));
    let released: Vec<_> = out.events_of("released").collect();
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].decode::<TokenAmount>("amount")?, whole(7));

    // Gas is free in the harness: balances move by value only.
    assert_eq!(vm.balance(&actor)?, TokenAmount::ZERO);
    assert_eq!(
        vm.balance(&seller)?,
        seller_before.checked_add(whole(7)).unwrap()
    );
    assert_eq!(
        vm.balance(&buyer)?,
        buyer_before.checked_sub(whole(7)).unwrap()
    );
    let state: State = vm.state(&actor)?;
    assert_eq!(state.status, Status::Released);
    assert_eq!(state.deal.seller, seller);
    Ok(())
}

#[test]
fn only_the_arbiter_releases_and_only_once() -> anyhow::Result<()> {
    let Escrow {
        mut vm,
        actor,
        buyer,
        seller,
        arbiter,
    } = escrow()?;
    vm.call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(3))
        .send()?
        .ok()?;

    for who in [&buyer, &seller] {
        let out = vm.call(&actor, "Release").from(who).send()?;
        assert!(!out.is_ok());
        let reason = expect_exit(&out, USR_FORBIDDEN)?;
        assert_eq!(reason, "only the arbiter may release");
        assert!(out.events.is_empty(), "a failed message keeps no events");
        assert_eq!(
            out.to_string(),
            "USR_FORBIDDEN (18): only the arbiter may release"
        );
        let err = out.ok().unwrap_err().to_string();
        assert!(err.contains("only the arbiter may release"), "{err}");
    }
    // Nothing moved.
    assert_eq!(vm.balance(&actor)?, whole(3));

    vm.call(&actor, "Release").from(&arbiter).send()?.ok()?;
    let twice = vm.call(&actor, "Release").from(&arbiter).send()?;
    assert_eq!(twice.exit_name(), "USR_ILLEGAL_STATE (20)");
    assert_eq!(twice.reason.as_deref(), Some("already settled"));
    let refund = vm.call(&actor, "Refund").from(&arbiter).send()?;
    assert_eq!(refund.exit_code, 20);
    // A failed call's decode says why.
    let err = refund.decode::<TokenAmount>().unwrap_err().to_string();
    assert!(err.contains("already settled"), "{err}");
    Ok(())
}

#[test]
fn the_deadline_lets_the_buyer_take_a_refund() -> anyhow::Result<()> {
    let Escrow {
        mut vm,
        actor,
        buyer,
        seller,
        ..
    } = escrow()?;
    vm.set_timestamp(DEADLINE - 10);
    vm.call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(4))
        .send()?
        .ok()?;
    let early = vm.call(&actor, "Refund").from(&buyer).send()?;
    assert_eq!(
        expect_exit(&early, USR_FORBIDDEN)?,
        "only the arbiter, before the deadline"
    );

    vm.advance_time(10);
    assert_eq!(vm.timestamp(), DEADLINE);
    let late = vm
        .call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(1))
        .send()?;
    assert_eq!(
        expect_exit(&late, USR_FORBIDDEN)?,
        "the deadline has passed"
    );
    // The failed deposit's value went back to the buyer with the rollback.
    assert_eq!(vm.balance(&actor)?, whole(4));

    let before = vm.balance(&buyer)?;
    // Anyone may trigger it then; the money goes to the buyer.
    let out = vm.call(&actor, "Refund").from(&seller).send()?.ok()?;
    assert_eq!(out.decode::<TokenAmount>()?, whole(4));
    assert_eq!(out.events_of("refunded").count(), 1);
    assert_eq!(vm.balance(&buyer)?, before.checked_add(whole(4)).unwrap());
    assert_eq!(vm.state::<State>(&actor)?.status, Status::Refunded);
    Ok(())
}

#[test]
fn harness_errors_are_errors_not_panics() -> anyhow::Result<()> {
    let Escrow { mut vm, actor, .. } = escrow()?;
    // An unknown method answers with its number; a bad method name never reaches the VM.
    let out = vm.call(&actor, "Nope").send()?;
    assert_eq!(out.exit_name(), "USR_UNHANDLED_MESSAGE (22)");
    assert!(vm.call(&actor, "lowercase").send().is_err());
    // Params a method does not take are refused, with the decoder's reason.
    let out = vm.call(&actor, "Release").params(&7u64).send()?;
    assert_eq!(out.exit_name(), "USR_SERIALIZATION (21)");
    // A read-only query changes nothing, the nonce included.
    let buyer = vm.account(1);
    let q = vm
        .call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(1))
        .query()?;
    assert!(q.is_ok(), "{q}");
    assert_eq!(vm.balance(&actor)?, TokenAmount::ZERO);
    vm.call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(1))
        .send()?
        .ok()?;
    // Transfers and addresses with no actor yet.
    let fresh = Address::id(999_999);
    assert_eq!(vm.balance(&fresh)?, TokenAmount::ZERO);
    assert_eq!(vm.id_of(&fresh)?, None);
    let t = vm.transfer(&vm.account(4), &vm.account(5), whole(1))?;
    assert!(t.is_ok());
    Ok(())
}

#[test]
fn parties_named_by_key_address_are_recognised() -> anyhow::Result<()> {
    let wasm = build_actor(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/actors/escrow"
    ))?;
    let mut vm = TestVm::new()?;
    let (buyer, seller, arbiter) = (vm.key_address(1), vm.key_address(2), vm.key_address(3));
    assert_ne!(buyer, vm.account(1));
    assert_eq!(vm.id_of(&buyer)?, vm.account(1).as_id());
    let code = vm.install(&wasm)?;
    let deal = Deal {
        buyer: buyer.clone(),
        seller: seller.clone(),
        arbiter: arbiter.clone(),
        deadline: DEADLINE,
    };
    let actor = vm.deploy(&code, &deal)?;
    // Sent from the ID form of the account named by its key address in the deal.
    let buyer_id = vm.account(1);
    vm.call(&actor, "Deposit")
        .from(&buyer_id)
        .value(whole(1))
        .send()?
        .ok()?;
    let before = vm.balance(&seller)?;
    vm.call(&actor, "Release").from(&arbiter).send()?.ok()?;
    assert_eq!(vm.balance(&seller)?, before.checked_add(whole(1)).unwrap());
    Ok(())
}

/// `record_gas` shows where a call's gas went; recording changes nothing.
#[test]
fn a_call_s_gas_by_operation() -> anyhow::Result<()> {
    let Escrow {
        mut vm,
        actor,
        buyer,
        ..
    } = escrow()?;
    let plain = vm
        .call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(1))
        .send()?
        .ok()?;
    assert!(plain.gas.is_none(), "not recorded unless asked");
    let out = vm
        .call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(1))
        .record_gas()
        .send()?
        .ok()?;
    assert_eq!(out.gas_used, plain.gas_used, "recording changed the gas");
    let gas = out.gas.as_ref().expect("recorded");
    assert_eq!(gas.total.round_up(), out.gas_used);
    assert_eq!(gas.frames.len(), 1);
    assert_eq!(gas.frames[0].runtime, "wasm");
    assert!(gas.total_of("wasm_exec").is_positive());
    // No params: the message's base price only; the value moves with it at no extra charge.
    assert_eq!(gas.total_of("message").round_up(), 21_000, "{gas}");
    assert!(
        gas.total_of("block_open").is_positive(),
        "reads its state: {gas}"
    );
    let table = gas.to_string();
    assert!(table.starts_with("gas charged: "), "{table}");
    assert!(table.contains("    message "), "{table}");

    // A query records too, and still undoes everything.
    let before = vm.balance(&actor)?;
    let queried = vm
        .call(&actor, "Deposit")
        .from(&buyer)
        .value(whole(1))
        .record_gas()
        .query()?;
    assert_eq!(
        queried.gas.map(|g| g.total.round_up()),
        Some(queried.gas_used)
    );
    assert_eq!(vm.balance(&actor)?, before);
    Ok(())
}
