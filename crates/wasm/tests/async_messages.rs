//! Asynchronous messages end to end through the executor (docs/async.md): the `async-pinger`
//! example actor and hand-assembled EVM contracts send, deliver and reply through the queue
//! in the state; each test names the guarantee it holds.

use crate::common;

use std::sync::Arc;

use alloy_sol_types::SolCall;
use common::evm_asm::{Asm, adder, assemble};
use common::*;
use fvm_ipld_encoding::{RawBytes, to_vec};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use tandem_evm::EvmRuntime;
use tandem_evm::async_precompile::{ASYNC_SEND, sendAsyncCall};
use tandem_vm::async_queue::{self, MAX_PENDING};
use tandem_vm::builtin::ASYNC_QUEUE_ACTOR_ID;
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::{INVOKE_EVM, method_number};
use tandem_vm::message::ApplyRet;
use tandem_vm::system_lane::{SystemKind, SystemMessage, decode_native_reply};
use tandem_wasm::WasmRuntime;

const DAG_CBOR: u64 = 0x71;
const IPLD_RAW: u64 = 0x55;

fn m(name: &str) -> u64 {
    method_number(name).unwrap()
}

fn world() -> TestChain {
    chain_with(
        Arc::new(WasmRuntime::new(None).unwrap()),
        vec![Arc::new(EvmRuntime::new())],
    )
}

fn pinger(c: &mut TestChain) -> Address {
    c.deploy(&actors::wasm("async-pinger"), to_vec(&()).unwrap())
}

/// `SendAsync` params: `[to, method, codec, params, value, gas, reply_gas]`.
struct Send<'a> {
    to: &'a Address,
    method: u64,
    codec: u64,
    params: Vec<u8>,
    value: u128,
    gas: u64,
    reply_gas: u64,
}

impl Send<'_> {
    fn echo<'a>(to: &'a Address, data: &[u8]) -> Send<'a> {
        Send {
            to,
            method: m("Echo"),
            codec: DAG_CBOR,
            params: to_vec(&RawBytes::new(data.to_vec())).unwrap(),
            value: 0,
            gas: 1_000_000,
            reply_gas: 500_000,
        }
    }

    fn encode(&self) -> Vec<u8> {
        to_vec(&(
            RawBytes::new(self.to.to_bytes()),
            self.method,
            self.codec,
            RawBytes::new(self.params.clone()),
            TokenAmount::from_atto(self.value),
            self.gas,
            self.reply_gas,
        ))
        .unwrap()
    }
}

/// Sends `s` from `from` (a pinger); the receipt and the message id on success.
fn send(c: &mut TestChain, from: Address, s: &Send) -> (ApplyRet, Option<u64>) {
    let ret = c.call(from, m("SendAsync"), s.encode());
    let id = ret
        .receipt
        .exit_code
        .is_success()
        .then(|| ret.receipt.return_data.deserialize().unwrap());
    (ret, id)
}

fn ok(ret: &ApplyRet) {
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
}

fn replies(c: &mut TestChain, who: Address) -> Vec<(u64, u32, Vec<u8>)> {
    let ret = c.call(who, m("Replies"), vec![]);
    ok(&ret);
    let list: Vec<(u64, u32, RawBytes)> = ret.receipt.return_data.deserialize().unwrap();
    list.into_iter()
        .map(|(i, e, r)| (i, e, r.to_vec()))
        .collect()
}

fn received(c: &mut TestChain, who: Address) -> Vec<(u64, u128, Vec<u8>)> {
    let ret = c.call(who, m("Received"), vec![]);
    ok(&ret);
    let list: Vec<(u64, TokenAmount, RawBytes)> = ret.receipt.return_data.deserialize().unwrap();
    list.into_iter()
        .map(|(from, v, d)| (from, u128::try_from(v.atto()).unwrap(), d.to_vec()))
        .collect()
}

fn lane(c: &mut TestChain) -> Vec<SystemMessage> {
    c.exec.run_system_lane().unwrap()
}

fn queue_len(c: &mut TestChain) -> u64 {
    let q = async_queue::load(&mut c.exec.machine.state).unwrap();
    c.exec.machine.state.end_message().unwrap();
    q.map_or(0, |q| q.len())
}

fn balance(c: &mut TestChain, who: Address) -> u128 {
    let id = c.id_of(&who);
    let a = c.exec.machine.state.get_actor(id).unwrap().unwrap();
    u128::try_from(a.balance.atto()).unwrap()
}

#[test]
fn g1_g6_delivered_in_the_lane_from_the_sender_and_answered_from_the_queue() {
    let mut c = world();
    let (a, b) = (pinger(&mut c), pinger(&mut c));
    let (ret, id) = send(&mut c, a, &Send::echo(&b, b"hello"));
    ok(&ret);
    assert_eq!(id, Some(0));
    // G1: nothing ran yet, it waits in the queue.
    assert!(received(&mut c, b).is_empty());
    assert_eq!(queue_len(&mut c), 1);

    let ran = lane(&mut c);
    assert_eq!(ran.len(), 2, "a delivery and its reply");
    assert_eq!(ran[0].kind, SystemKind::AsyncDelivery { id: 0 });
    assert_eq!(ran[0].from, a.id().unwrap());
    ok(&ran[0].ret);
    assert!(matches!(ran[1].kind, SystemKind::AsyncReply { id: 0, .. }));
    assert_eq!(ran[1].from, ASYNC_QUEUE_ACTOR_ID);
    ok(&ran[1].ret);
    // G6: the callee saw the sender as caller; the reply carries what the callee returned.
    assert_eq!(
        received(&mut c, b),
        vec![(a.id().unwrap(), 0, b"hello".to_vec())]
    );
    let echoed = to_vec(&RawBytes::new(b"hello".to_vec())).unwrap();
    assert_eq!(replies(&mut c, a), vec![(0, 0, echoed)]);
    assert_eq!(queue_len(&mut c), 0);
    assert!(lane(&mut c).is_empty(), "delivered exactly once");
}

#[test]
fn g6_nobody_else_can_reply() {
    let mut c = world();
    let a = pinger(&mut c);
    let forged = to_vec(&(7u64, 0u32, RawBytes::new(vec![]))).unwrap();
    let ret = c.call(a, m("OnReply"), forged);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_FORBIDDEN);
    // And no message can come from the queue actor: only accounts send messages.
    let mut msg = tandem_vm::message::Message {
        version: 0,
        from: Address::new_id(ASYNC_QUEUE_ACTOR_ID),
        to: a,
        sequence: 0,
        value: TokenAmount::default(),
        method_num: m("OnReply"),
        params: RawBytes::new(to_vec(&(7u64, 0u32, RawBytes::new(vec![]))).unwrap()),
        gas_limit: 1_000_000,
        gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
        gas_premium: TokenAmount::default(),
    };
    // The queue actor exists once something was queued.
    let b = pinger(&mut c);
    ok(&send(&mut c, a, &Send::echo(&b, b"x")).0);
    let ret = c.exec.apply_message(&msg).unwrap();
    assert!(!ret.applied, "a message from the queue actor is refused");
    msg.from = Address::new_id(0);
    assert!(!c.exec.apply_message(&msg).unwrap().applied);
    assert!(replies(&mut c, a).is_empty());
}

#[test]
fn g2_one_global_order_and_each_reply_follows_its_message() {
    let mut c = world();
    let (a, b, target) = (pinger(&mut c), pinger(&mut c), pinger(&mut c));
    let mut expected = Vec::new();
    for (i, (from, tag)) in [(a, "a1"), (b, "b1"), (a, "a2"), (b, "b2"), (a, "a3")]
        .into_iter()
        .enumerate()
    {
        let (ret, id) = send(&mut c, from, &Send::echo(&target, tag.as_bytes()));
        ok(&ret);
        assert_eq!(id, Some(i as u64));
        expected.push((from.id().unwrap(), 0, tag.as_bytes().to_vec()));
    }
    let ran = lane(&mut c);
    let kinds: Vec<_> = ran.iter().map(|r| r.kind.clone()).collect();
    let mut want = Vec::new();
    for id in 0..5 {
        want.push(SystemKind::AsyncDelivery { id });
        want.push(SystemKind::AsyncReply {
            id,
            delivery_exit: ExitCode::OK,
        });
    }
    assert_eq!(kinds, want);
    assert_eq!(received(&mut c, target), expected);
    let a_ids: Vec<u64> = replies(&mut c, a).into_iter().map(|r| r.0).collect();
    assert_eq!(a_ids, vec![0, 2, 4]);
}

#[test]
fn g5_g8_replies_on_failure_out_of_gas_and_a_missing_actor_and_value_comes_back() {
    let mut c = world();
    let (a, b) = (pinger(&mut c), pinger(&mut c));
    // Fund the sender.
    let ret = c.send_value(a, 0, vec![], 10_000);
    ok(&ret);
    let fail = Send {
        method: m("Fail"),
        codec: 0,
        params: vec![],
        value: 1_000,
        ..Send::echo(&b, b"")
    };
    let burn = Send {
        method: m("Burn"),
        codec: 0,
        params: vec![],
        gas: 200_000,
        ..Send::echo(&b, b"")
    };
    let missing_id = Address::new_id(987_654);
    let to_missing_id = Send::echo(&missing_id, b"anyone?");
    let missing_eth = EthAddress([0x42; 20]).to_filecoin();
    let to_missing_eth = Send::echo(&missing_eth, b"anyone?");
    for s in [&fail, &burn, &to_missing_id, &to_missing_eth] {
        ok(&send(&mut c, a, s).0);
    }
    assert_eq!(balance(&mut c, a), 9_000, "the value waits in the queue");
    assert_eq!(
        balance(&mut c, Address::new_id(ASYNC_QUEUE_ACTOR_ID)),
        1_000
    );
    let ran = lane(&mut c);
    assert_eq!(ran.len(), 8);
    let exits: Vec<_> = replies(&mut c, a).into_iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        exits,
        vec![
            (0, 42),
            (1, ExitCode::SYS_OUT_OF_GAS.value()),
            // No actor at an ID address: as for a synchronous send.
            (2, ExitCode::SYS_INVALID_RECEIVER.value()),
            // No actor at an Ethereum address and no value: Ethereum's empty success.
            (3, 0),
        ]
    );
    // G8: the failed delivery's value went back to the sender.
    assert_eq!(balance(&mut c, a), 10_000);
    assert_eq!(balance(&mut c, Address::new_id(ASYNC_QUEUE_ACTOR_ID)), 0);
    assert!(received(&mut c, b).is_empty());
}

#[test]
fn g5_a_failing_reply_is_rolled_back_and_not_retried() {
    let mut c = world();
    let (a, b) = (pinger(&mut c), pinger(&mut c));
    ok(&c.call(a, m("SetFailReplies"), to_vec(&(true,)).unwrap()));
    ok(&send(&mut c, a, &Send::echo(&b, b"hi")).0);
    let ran = lane(&mut c);
    assert_eq!(ran.len(), 2);
    ok(&ran[0].ret);
    assert_eq!(ran[1].ret.receipt.exit_code.value(), 43);
    assert!(
        replies(&mut c, a).is_empty(),
        "the reply's own write was undone"
    );
    assert_eq!(received(&mut c, b).len(), 1, "the delivery stands");
    assert!(lane(&mut c).is_empty());
}

#[test]
fn g4_the_sender_prepays_and_runs_out_of_gas_at_the_send_if_it_cannot() {
    let mut c = world();
    let (a, b) = (pinger(&mut c), pinger(&mut c));
    let big = Send {
        gas: 2_500_000,
        reply_gas: 2_000_000,
        ..Send::echo(&b, b"x")
    };
    // The reservation alone is 4.5M gas: a 3M message cannot pay it.
    let ret = c.send_as(0, a, m("SendAsync"), big.encode(), 3_000_000);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_OUT_OF_GAS);
    assert_eq!(queue_len(&mut c), 0, "nothing was queued");
    let (ret, _) = send(&mut c, a, &big);
    ok(&ret);
    assert!(ret.receipt.gas_used > 4_500_000, "{}", ret.receipt.gas_used);
}

#[test]
fn g9_limits_gas_queue_size_and_read_only() {
    let mut c = world();
    let (a, b) = (pinger(&mut c), pinger(&mut c));
    let too_much = Send {
        gas: 4_000_000,
        reply_gas: 1_000_001,
        ..Send::echo(&b, b"x")
    };
    let (ret, _) = send(&mut c, a, &too_much);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    // A read-only frame cannot queue.
    let ret = c.call(a, m("SendReadOnly"), Send::echo(&b, b"x").encode());
    ok(&ret);
    let exit: u32 = ret.receipt.return_data.deserialize().unwrap();
    assert_ne!(exit, 0);
    assert_eq!(queue_len(&mut c), 0);
    // The queue holds MAX_PENDING messages and refuses the next.
    let target = RawBytes::new(b.to_bytes());
    let mut queued = 0;
    while queued < MAX_PENDING {
        let ret = c.call(a, m("Flood"), to_vec(&(&target, 400u64)).unwrap());
        ok(&ret);
        let n: u64 = ret.receipt.return_data.deserialize().unwrap();
        queued += n;
        if n < 400 {
            break;
        }
    }
    assert_eq!(queued, MAX_PENDING);
    assert_eq!(queue_len(&mut c), MAX_PENDING);
    let ret = c.call(a, m("Flood"), to_vec(&(&target, 1u64)).unwrap());
    let n: u64 = ret.receipt.return_data.deserialize().unwrap();
    assert_eq!(n, 0, "a full queue refuses");
    // Zero-gas messages run out of gas at once: the lane drains them all.
    let ran = lane(&mut c);
    assert_eq!(ran.len() as u64, MAX_PENDING);
    assert_eq!(queue_len(&mut c), 0);
}

#[test]
fn g3_restart_with_a_queue_delivers_each_message_once_and_runs_agree() {
    let run = || {
        let mut c = world();
        let (a, b) = (pinger(&mut c), pinger(&mut c));
        for tag in ["one", "two"] {
            ok(&send(&mut c, a, &Send::echo(&b, tag.as_bytes())).0);
        }
        let root = c.exec.flush().unwrap();
        // A new machine over the same store, from the flushed root: a restart.
        let store = c.exec.machine.store().clone();
        let state = tandem_state::StateTree::load(store, &root).unwrap();
        c.exec.machine.state = state;
        let ran = lane(&mut c);
        assert_eq!(ran.len(), 4);
        assert!(lane(&mut c).is_empty());
        assert_eq!(received(&mut c, b).len(), 2);
        (root, c.exec.flush().unwrap())
    };
    assert_eq!(run(), run(), "the same messages give the same roots");
}

/// An EVM contract that relays its calldata to the async precompile (slot 1 = success,
/// slot 2 = first word returned: the id) and records a reply with selector `0xaabbccdd`
/// (slot 10 = caller, 11 = id, 12 = exit code, 13 = return length, 14 = its first word).
fn relay() -> Vec<u8> {
    use Asm::*;
    let mut prog = vec![
        Push(0),
        Op(0x35), // CALLDATALOAD
        Push(0xe0),
        Op(0x1c), // SHR
        Op(0x63), // PUSH4 the reply selector
        Op(0xaa),
        Op(0xbb),
        Op(0xcc),
        Op(0xdd),
        Op(0x14), // EQ
        PushLabel("reply"),
        Op(0x57), // JUMPI
        Op(0x36), // CALLDATASIZE
        Push(0),
        Push(0),
        Op(0x37), // CALLDATACOPY
        Push(0),
        Push(0),
        Op(0x36),
        Push(0),
        Push(0),
        Op(0x73), // PUSH20 the precompile
    ];
    prog.extend(ASYNC_SEND.iter().map(|b| Op(*b)));
    prog.extend([
        Op(0x5a), // GAS
        Op(0xf1), // CALL
        Push(1),
        Op(0x55), // SSTORE slot 1 = success
        Op(0x3d), // RETURNDATASIZE
        Push(0),
        Push(0),
        Op(0x3e), // RETURNDATACOPY
        Push(0),
        Op(0x51), // MLOAD
        Push(2),
        Op(0x55),
        Op(0x00),
        Label("reply"),
        Op(0x33), // CALLER
        Push(10),
        Op(0x55),
    ]);
    for (offset, slot) in [(4u8, 11u8), (36, 12), (100, 13), (132, 14)] {
        prog.extend([Push(offset), Op(0x35), Push(slot), Op(0x55)]);
    }
    prog.push(Op(0x00));
    assemble(&prog)
}

fn slot(c: &mut TestChain, contract: Address, n: u64) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[24..].copy_from_slice(&n.to_be_bytes());
    let state = &mut c.exec.machine.state;
    let (v, _) = state.slot_get(contract.id().unwrap(), &key).unwrap();
    state.end_message().unwrap();
    v
}

fn word_u64(w: [u8; 32]) -> u64 {
    u64::from_be_bytes(w[24..].try_into().unwrap())
}

#[test]
fn evm_to_native_and_back_through_the_precompile() {
    let mut c = world();
    let b = pinger(&mut c);
    let (relay_id, _) = c.deploy_evm(&relay());
    let call = sendAsyncCall {
        target: b.to_bytes().into(),
        method: m("Echo"),
        value: Default::default(),
        codec: DAG_CBOR,
        params: to_vec(&RawBytes::new(b"from evm".to_vec())).unwrap().into(),
        gasLimit: 1_000_000,
        replySelector: [0xaa, 0xbb, 0xcc, 0xdd].into(),
        replyGasLimit: 200_000,
    };
    let calldata =
        fvm_ipld_encoding::to_vec(&fvm_ipld_encoding::BytesSer(&call.abi_encode())).unwrap();
    ok(&c.call(relay_id, INVOKE_EVM, calldata));
    assert_eq!(
        word_u64(slot(&mut c, relay_id, 1)),
        1,
        "the precompile call succeeded"
    );
    assert_eq!(word_u64(slot(&mut c, relay_id, 2)), 0, "message id 0");
    let ran = lane(&mut c);
    assert_eq!(ran.len(), 2);
    ok(&ran[0].ret);
    ok(&ran[1].ret);
    assert_eq!(
        received(&mut c, b),
        vec![(relay_id.id().unwrap(), 0, b"from evm".to_vec())]
    );
    // The reply came from the queue actor's masked-ID address with the id and exit code.
    let caller = slot(&mut c, relay_id, 10);
    assert_eq!(&caller[12..], &EthAddress::from_id(ASYNC_QUEUE_ACTOR_ID).0);
    assert_eq!(word_u64(slot(&mut c, relay_id, 11)), 0);
    assert_eq!(word_u64(slot(&mut c, relay_id, 12)), 0);
    let echoed = to_vec(&RawBytes::new(b"from evm".to_vec())).unwrap();
    assert_eq!(word_u64(slot(&mut c, relay_id, 13)), echoed.len() as u64);
    assert_eq!(&slot(&mut c, relay_id, 14)[..echoed.len()], &echoed[..]);
}

#[test]
fn native_to_evm_with_raw_calldata_and_the_abi_return_in_the_reply() {
    let mut c = world();
    let a = pinger(&mut c);
    let (_, adder_eth) = c.deploy_evm(&adder());
    let adder_f410 = EthAddress(adder_eth).to_filecoin();
    let mut calldata = vec![0x77, 0x16, 0x02, 0xf7];
    for n in [2u64, 40] {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&n.to_be_bytes());
        calldata.extend(w);
    }
    let s = Send {
        to: &adder_f410,
        method: INVOKE_EVM,
        codec: IPLD_RAW,
        params: calldata,
        value: 0,
        gas: 1_000_000,
        reply_gas: 500_000,
    };
    ok(&send(&mut c, a, &s).0);
    let ran = lane(&mut c);
    assert_eq!(ran.len(), 2);
    let replies = replies(&mut c, a);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].1, 0);
    let ret = &replies[0].2;
    assert_eq!(ret.len(), 32, "raw ABI return data");
    assert_eq!(ret[31], 42);
    // The reply's params decode as documented.
    let (id, exit, _) =
        decode_native_reply(&to_vec(&(0u64, 0u32, RawBytes::new(vec![1]))).unwrap()).unwrap();
    assert_eq!((id, exit), (0, 0));
}

#[test]
fn g7_nothing_is_locked_between_the_send_and_the_reply() {
    let mut c = world();
    let (a, b) = (pinger(&mut c), pinger(&mut c));
    ok(&send(&mut c, a, &Send::echo(&b, b"first")).0);
    // Other messages run between the send and its delivery, and change the sender's state:
    // the reply runs against the state at reply time (which now makes it fail).
    ok(&c.call(a, m("SetFailReplies"), to_vec(&(true,)).unwrap()));
    ok(&c.call(
        b,
        m("Echo"),
        to_vec(&RawBytes::new(b"direct".to_vec())).unwrap(),
    ));
    let ran = lane(&mut c);
    assert_eq!(ran[1].ret.receipt.exit_code.value(), 43);
    let got: Vec<Vec<u8>> = received(&mut c, b).into_iter().map(|r| r.2).collect();
    assert_eq!(got, vec![b"direct".to_vec(), b"first".to_vec()]);
}
