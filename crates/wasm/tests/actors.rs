//! The example actors end to end through the executor, and the module cache.

use crate::common;

use std::sync::Arc;

use common::*;
use fvm_ipld_encoding::{BytesDe, RawBytes};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use tandem_vm::frc42::method_number;
use tandem_wasm::WasmRuntime;

fn m(name: &str) -> u64 {
    method_number(name).unwrap()
}

fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    fvm_ipld_encoding::to_vec(v).unwrap()
}

#[test]
fn counter_end_to_end() {
    let mut c = chain();
    let counter = c.deploy(&actors::wasm("counter"), cbor(&(5u64,)));
    let ret = c.call(counter, m("Increment"), cbor(&(3u64,)));
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert_eq!(ret.receipt.return_data.deserialize::<u64>().unwrap(), 8);
    let ret = c.call(counter, m("Get"), vec![]);
    assert_eq!(ret.receipt.return_data.deserialize::<u64>().unwrap(), 8);
    // Unknown methods and bad params are clean user errors.
    assert_eq!(
        c.call(counter, 12345, vec![]).receipt.exit_code,
        ExitCode::USR_UNHANDLED_MESSAGE
    );
    let bad = c.call(counter, m("Increment"), cbor(&"nope"));
    assert_eq!(bad.receipt.exit_code, ExitCode::USR_SERIALIZATION);
    let why: String = bad.receipt.return_data.deserialize().unwrap();
    assert_eq!(why, "malformed params: a value of the wrong type");
    // A method that takes no params refuses some instead of ignoring them.
    let bad = c.call(counter, m("Get"), cbor(&(1u64,)));
    assert_eq!(bad.receipt.exit_code, ExitCode::USR_SERIALIZATION);
    let why: String = bad.receipt.return_data.deserialize().unwrap();
    assert_eq!(why, "malformed params: bytes left after the value");
    // Overflow aborts and rolls back.
    let ret = c.call(counter, m("Increment"), cbor(&(u64::MAX,)));
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_STATE);
    let ret = c.call(counter, m("Get"), vec![]);
    assert_eq!(ret.receipt.return_data.deserialize::<u64>().unwrap(), 8);
}

fn token_balance(c: &mut TestChain, token: Address, who: &Address) -> u128 {
    let ret = c.call(
        token,
        m("BalanceOf"),
        cbor(&(RawBytes::new(who.to_bytes()),)),
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let amount: TokenAmount = ret.receipt.return_data.deserialize().unwrap();
    u128::try_from(amount.atto()).unwrap()
}

fn tokens(n: u128) -> TokenAmount {
    TokenAmount::from_atto(n)
}

#[test]
fn token_end_to_end() {
    let mut c = chain();
    let token = c.deploy(
        &actors::wasm("token"),
        cbor(&("Tandem Token", "TDM", tokens(1_000_000))),
    );
    let (alice, bob, carol) = (c.addr(0), c.addr(1), c.addr(2));
    assert_eq!(token_balance(&mut c, token, &alice), 1_000_000);
    let ret = c.call(token, m("Symbol"), vec![]);
    assert_eq!(
        ret.receipt.return_data.deserialize::<String>().unwrap(),
        "TDM"
    );

    let ret = c.call(
        token,
        m("Transfer"),
        cbor(&(RawBytes::new(bob.to_bytes()), tokens(250))),
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert_eq!(ret.events.len(), 1);
    // ERC-20's Transfer as an Ethereum log: topic0 (t1) is keccak("Transfer(address,address,uint256)").
    assert_eq!(ret.events[0].event.entries[0].key, "t1");
    assert_eq!(
        ret.events[0].event.entries[0].value[..4],
        [0xdd, 0xf2, 0x52, 0xad]
    );
    assert_eq!(token_balance(&mut c, token, &bob), 250);
    assert_eq!(token_balance(&mut c, token, &alice), 999_750);

    // Too much: refused, nothing moves, no event.
    let ret = c.call(
        token,
        m("Transfer"),
        cbor(&(RawBytes::new(bob.to_bytes()), tokens(10_000_000))),
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_INSUFFICIENT_FUNDS);
    assert!(ret.events.is_empty());
    assert_eq!(token_balance(&mut c, token, &alice), 999_750);

    // Allowances: alice lets carol move 100 of hers.
    let ret = c.call(
        token,
        m("IncreaseAllowance"),
        cbor(&(RawBytes::new(carol.to_bytes()), tokens(100))),
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let params = cbor(&(
        RawBytes::new(alice.to_bytes()),
        RawBytes::new(bob.to_bytes()),
        tokens(60),
    ));
    let ret = c.send_as(2, token, m("TransferFrom"), params.clone(), GAS_LIMIT);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let ret = c.send_as(2, token, m("TransferFrom"), params, GAS_LIMIT);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_FORBIDDEN);
    assert_eq!(token_balance(&mut c, token, &bob), 310);
    let ret = c.call(
        token,
        m("Allowance"),
        cbor(&(
            RawBytes::new(alice.to_bytes()),
            RawBytes::new(carol.to_bytes()),
        )),
    );
    let left: TokenAmount = ret.receipt.return_data.deserialize().unwrap();
    assert_eq!(left, tokens(40));
    let _ = BytesDe(vec![]);
}

#[test]
fn a_second_call_does_not_recompile_and_the_disk_cache_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = actors::wasm("counter");
    let rt = Arc::new(WasmRuntime::new(Some(dir.path().to_path_buf())).unwrap());
    let mut c = chain_with(rt.clone(), vec![]);
    let counter = c.deploy(&wasm, cbor(&(0u64,)));
    assert_eq!(rt.cache_stats().compiled, 1);
    let gas1 = c
        .call(counter, m("Increment"), cbor(&(1u64,)))
        .receipt
        .gas_used;
    let gas2 = c
        .call(counter, m("Increment"), cbor(&(1u64,)))
        .receipt
        .gas_used;
    assert_eq!(rt.cache_stats().compiled, 1, "no recompilation");
    assert!(rt.cache_stats().memory_hits >= 2);

    // A new runtime on the same cache dir (a restart) loads from disk and compiles nothing.
    let rt2 = Arc::new(WasmRuntime::new(Some(dir.path().to_path_buf())).unwrap());
    let mut c2 = chain_with(rt2.clone(), vec![]);
    let counter2 = c2.deploy(&wasm, cbor(&(0u64,)));
    let gas1b = c2
        .call(counter2, m("Increment"), cbor(&(1u64,)))
        .receipt
        .gas_used;
    let gas2b = c2
        .call(counter2, m("Increment"), cbor(&(1u64,)))
        .receipt
        .gas_used;
    assert_eq!(rt2.cache_stats().compiled, 0);
    assert_eq!(rt2.cache_stats().loaded_from_disk, 1);
    // Gas does not depend on the cache.
    assert_eq!((gas1, gas2), (gas1b, gas2b));
}

#[test]
fn installed_code_survives_in_state_and_exec_refuses_unknown_code() {
    let mut c = chain();
    let wasm = actors::wasm("counter");
    let (first, code) = c.install(&wasm);
    // Installing again is a no-op success that costs the hash and a lookup, not a second
    // validation, compile and storage price.
    let (ret, again) = c.install(&wasm);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    assert_eq!(code, again);
    let r: tandem_actors::init::InstallCodeReturn = ret.receipt.return_data.deserialize().unwrap();
    assert!(!r.installed);
    let (fresh, again) = (first.receipt.gas_used, ret.receipt.gas_used);
    // What remains is mostly the message's per-byte price of carrying the module.
    let carried = 21_000 + 16 * wasm.len() as u64;
    assert!(
        again - carried < (fresh - carried) / 20,
        "re-install {again} gas vs first install {fresh} (carrying the bytes: {carried})"
    );
    // Exec of code that was never installed is refused.
    let (ret, _) = c.create(tandem_wasm::code_cid(b"\0asm nothing"), cbor(&(0u64,)));
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_FORBIDDEN);
}

/// `actor_create` reports the new actor's ID (it used to report 0: the return block it parsed
/// had already been handed to the caller).
#[test]
fn actor_create_reports_the_new_actors_id() {
    let mut c = chain();
    let child = wat::parse_str(
        r#"(module (memory (export "memory") 1)
  (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let (_, code) = c.install(&child);
    let cid = code.unwrap().to_bytes();
    let data: String = cid.iter().map(|b| format!("\\{b:02x}")).collect();
    let factory = format!(
        r#"(module
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (import "tandem_v1" "actor_create" (func $create (param i32 i32 i32 i64 i64 i32) (result i32)))
  (import "tandem_v1" "ipld_block_create" (func $block (param i64 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{data}")
  (func (export "invoke") (param i32) (result i32)
    (drop (call $ctx (i32.const 0)))
    (if (i64.ne (i64.load (i32.const 24)) (i64.const 2)) (then (return (i32.const 0))))
    (drop (call $create (i32.const 1024) (i32.const {len}) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 512)))
    (drop (call $block (i64.const 0x55) (i32.const 520) (i32.const 8) (i32.const 600)))
    (i32.load (i32.const 600))))"#,
        len = cid.len()
    );
    let factory = c.deploy(&wat::parse_str(factory).unwrap(), vec![]);
    let ret = c.call(factory, 2, vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let raw = ret.receipt.return_data.bytes();
    let id = u64::from_le_bytes(raw.try_into().expect("8 bytes"));
    assert!(id > 0, "actor_create reported ID 0");
    let state = c.state_of(&Address::new_id(id));
    assert_ne!(state, cid::Cid::default(), "no actor {id}");
}

/// Params of every size around the SDK's first read (256 bytes: one read when smaller, a
/// stat and a second read when not) arrive whole: the token's name goes in through the
/// constructor's params and comes back from `Name`.
#[test]
fn params_of_any_size_arrive_whole() {
    let mut c = chain();
    let wasm = actors::wasm("token");
    for len in [0usize, 200, 240, 245, 246, 247, 250, 255, 256, 300, 5_000] {
        let name: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let token = c.deploy(
            &wasm,
            cbor(&(name.as_str(), "T", TokenAmount::from_atto(1))),
        );
        let ret = c.call(token, m("Name"), vec![]);
        assert_eq!(
            ret.receipt.exit_code,
            ExitCode::OK,
            "{len}: {:?}",
            ret.failure
        );
        let back: String = ret.receipt.return_data.deserialize().unwrap();
        assert_eq!(back, name, "a name of {len} bytes");
    }
}
