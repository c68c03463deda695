//! The attacks of issue 11 ("no message can stop, split or stall the chain"), each replayed
//! with a hand-written module: every one ends in a clean exit code, the state commits
//! afterwards, and the VM keeps running other actors.

use crate::common;

use cid::Cid;
use common::*;
use fvm_ipld_encoding::{DAG_CBOR, IPLD_RAW};
use fvm_shared::error::{ErrorNumber, ExitCode};
use multihash_codetable::{Code, MultihashDigest};
use tandem_vm::frc42::method_number;
use tandem_vm::gas::PRICE_LIST;

/// A module with the syscalls these attacks use. `invoke` runs `body` (leaving an i32) for
/// every method but the constructor.
fn module(body: &str, data: &[u8], pages: u32) -> Vec<u8> {
    let data: String = data.iter().map(|b| format!("\\{b:02x}")).collect();
    wat(&format!(
        r#"(module
  (import "tandem_v1" "ipld_block_create" (func $create (param i64 i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_link" (func $link (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_open" (func $open (param i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_read" (func $read (param i32 i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "self_set_root" (func $set_root (param i32 i32) (result i32)))
  (import "tandem_v1" "actor_resolve" (func $resolve (param i32 i32 i32) (result i32)))
  (import "tandem_v1" "send" (func $send (param i32 i32 i64 i32 i64 i64 i64 i64 i32) (result i32)))
  (import "tandem_v1" "event_emit" (func $emit (param i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (memory (export "memory") {pages})
  (data (i32.const 60000) "{data}")
  (func (export "invoke") (param $p i32) (result i32)
    (local $id i32) (local $len i32)
    (drop (call $ctx (i32.const 1000)))
    (if (i64.eq (i64.load (i32.const 1024)) (i64.const 1)) (then (return (i32.const 0))))
    {body}))"#
    ))
}

/// Ends the invocation with exit code `code` (an i32 expression).
fn abort_with(code: &str) -> String {
    format!("(drop (call $abort {code} (i32.const 0) (i32.const 0) (i32.const 0))) (i32.const 0)")
}

/// Checks that the state commits and a good actor still runs.
fn assert_alive(c: &mut TestChain) {
    c.exec.flush().expect("the state still commits");
    let good = c.deploy(&module("(i32.const 0)", &[], 1), vec![]);
    assert_eq!(c.call(good, 2, vec![]).receipt.exit_code, ExitCode::OK);
    c.exec.flush().expect("the state still commits");
}

fn errno(n: ErrorNumber) -> u32 {
    n as u32
}

#[test]
fn a_block_linking_a_missing_block_is_refused_when_it_is_made() {
    // The attack that stopped the node: a DAG-CBOR block linking a CID that exists nowhere,
    // sent to itself as params, then made the state root.
    let mut c = chain();
    let missing = Cid::new_v1(DAG_CBOR, Code::Blake2b256.digest(b"exists nowhere"));
    let block = fvm_ipld_encoding::to_vec(&vec![missing]).unwrap();
    let body = abort_with(&format!(
        "(i32.add (i32.const 100) (call $create (i64.const {DAG_CBOR}) (i32.const 60000) (i32.const {}) (i32.const 2000)))",
        block.len()
    ));
    let attacker = c.deploy(&module(&body, &block, 1), vec![]);
    let ret = c.call(attacker, 2, vec![]);
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::new(100 + errno(ErrorNumber::NotFound)),
        "{:?}",
        ret.failure
    );
    assert_alive(&mut c);
}

#[test]
fn another_actors_state_can_be_neither_opened_nor_linked() {
    let mut c = chain();
    // The victim keeps a block of its own as its state.
    let secret = fvm_ipld_encoding::to_vec(&"the victim's secret").unwrap();
    let victim_body = format!(
        r#"(drop (call $create (i64.const {DAG_CBOR}) (i32.const 60000) (i32.const {len}) (i32.const 2000)))
        (drop (call $link (i32.load (i32.const 2000)) (i32.const 3000) (i32.const 100) (i32.const 2100)))
        (call $set_root (i32.const 3000) (i32.load (i32.const 2100)))"#,
        len = secret.len()
    );
    let victim = c.deploy(&module(&victim_body, &secret, 1), vec![]);
    assert_eq!(c.call(victim, 2, vec![]).receipt.exit_code, ExitCode::OK);
    let state = c.state_of(&victim);
    assert_ne!(state, c.exec.machine.empty_object);
    // The attacker gets the victim's state CID as params. It tries to open it, then to wrap
    // it as a link in a block of its own; it aborts with 1000 + 100 × the first error + the
    // second.
    let attacker_body = format!(
        r#"(drop (call $read (local.get $p) (i32.const 0) (i32.const 10) (i32.const 200) (i32.const 4000)))
        (local.set $len (i32.load (i32.const 4000)))
        ;; [link]: array(1), tag 42, bytes(len + 1), the 0 multibase prefix, the CID
        (i32.store8 (i32.const 500) (i32.const 0x81))
        (i32.store8 (i32.const 501) (i32.const 0xd8))
        (i32.store8 (i32.const 502) (i32.const 0x2a))
        (i32.store8 (i32.const 503) (i32.const 0x58))
        (i32.store8 (i32.const 504) (i32.add (local.get $len) (i32.const 1)))
        (i32.store8 (i32.const 505) (i32.const 0))
        (memory.copy (i32.const 506) (i32.const 10) (local.get $len))
        {}"#,
        abort_with(&format!(
            "(i32.add (i32.const 1000) (i32.add
                (i32.mul (i32.const 100) (call $open (i32.const 10) (local.get $len) (i32.const 4100)))
                (call $create (i64.const {DAG_CBOR}) (i32.const 500) (i32.add (local.get $len) (i32.const 6)) (i32.const 4200))))"
        ))
    );
    let attacker = c.deploy(&module(&attacker_body, &[], 1), vec![]);
    let ret = c.call(attacker, 2, state.to_bytes());
    let not_found = errno(ErrorNumber::NotFound);
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::new(1000 + 100 * not_found + not_found),
        "{:?}",
        ret.failure
    );
    assert_alive(&mut c);
}

#[test]
fn a_stranger_cannot_run_the_constructor_again() {
    let mut c = chain();
    let counter = c.deploy(
        &actors::wasm("counter"),
        fvm_ipld_encoding::to_vec(&(5u64,)).unwrap(),
    );
    let increment = method_number("Increment").unwrap();
    let ret = c.call(
        counter,
        increment,
        fvm_ipld_encoding::to_vec(&(1u64,)).unwrap(),
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let reset = fvm_ipld_encoding::to_vec(&(0u64,)).unwrap();
    let ret = c.send_as(1, counter, 1, reset, GAS_LIMIT);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_FORBIDDEN);
    let ret = c.call(counter, method_number("Get").unwrap(), vec![]);
    assert_eq!(ret.receipt.return_data.deserialize::<u64>().unwrap(), 6);
}

#[test]
fn oversized_inputs_are_refused_before_they_are_copied() {
    // Lengths far past any address or CID: refused before a byte is read (these used to copy
    // `len` bytes first, 128 MiB for 23 gas).
    let mut c = chain();
    let huge = "(i32.const 0x7fffffff)";
    let body = abort_with(&format!(
        "(i32.add (i32.const 1000) (i32.add (i32.mul (i32.const 100) (call $resolve (i32.const 0) {huge} (i32.const 9000)))
            (i32.add (i32.mul (i32.const 10) (call $set_root (i32.const 0) {huge}))
                (call $send (i32.const 0) {huge} (i64.const 2) (i32.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i32.const 9000)))))"
    ));
    let a = c.deploy(&module(&body, &[], 1), vec![]);
    let ret = c.call(a, 2, vec![]);
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::new(1111),
        "{:?}",
        ret.failure
    );
    assert_alive(&mut c);
}

#[test]
fn an_event_pays_for_its_block_before_it_is_parsed() {
    let mut c = chain();
    let size: u32 = 512 * 1024;
    // A raw block of zeros that is not an event: refused after it was paid for.
    let body = format!(
        r#"(drop (call $create (i64.const {IPLD_RAW}) (i32.const 0) (i32.const {size}) (i32.const 2000)))
        {}"#,
        abort_with("(i32.add (i32.const 100) (call $emit (i32.load (i32.const 2000))))")
    );
    let a = c.deploy(&module(&body, &[], 9), vec![]);
    let ret = c.call(a, 2, vec![]);
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::new(100 + errno(ErrorNumber::Serialization)),
        "{:?}",
        ret.failure
    );
    let paid_for_the_block = PRICE_LIST.event(0, size as usize).round_up();
    assert!(
        ret.receipt.gas_used > paid_for_the_block,
        "used {} gas, the block alone costs {paid_for_the_block}",
        ret.receipt.gas_used
    );
}

#[test]
fn nested_frames_cannot_pin_unbounded_params() {
    // Each frame sends itself a 1 MiB params block that starts with its own address (a length
    // byte, then the address bytes).
    let mut c = chain();
    let mib = 1 << 20;
    let body = format!(
        r#"(drop (call $read (local.get $p) (i32.const 0) (i32.const 0) (i32.const 16) (i32.const {out})))
        (drop (call $create (i64.const {IPLD_RAW}) (i32.const 0) (i32.const {mib}) (i32.const {out})))
        (drop (call $send (i32.const 1) (i32.load8_u (i32.const 0)) (i64.const 2) (i32.load (i32.const {out}))
            (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i32.const {out})))
        (i32.const 0)"#,
        out = mib + 16
    );
    let a = c.deploy(&module(&body, &[], 17), vec![]);
    let mut params = a.to_bytes();
    params.insert(0, params.len() as u8);
    let ret = c.call(a, 2, params.clone());
    assert!(ret.applied);
    assert!(ret.receipt.gas_used <= GAS_LIMIT);
    assert_alive(&mut c);
    // The same message gives the same result and gas every time.
    let again = c.call(a, 2, params);
    assert_eq!(again.receipt.exit_code, ret.receipt.exit_code);
    assert_eq!(again.receipt.gas_used, ret.receipt.gas_used);
}

#[test]
fn evm_contracts_cannot_smuggle_links_through_the_call_actor_precompile() {
    use alloy_sol_types::SolCall;
    use fvm_ipld_encoding::BytesSer;
    use std::sync::Arc;
    use tandem_evm::actor_precompile::{CALL_ACTOR, callActorCall};

    let mut c = chain_with(
        Arc::new(tandem_wasm::WasmRuntime::new(None).unwrap()),
        vec![Arc::new(tandem_evm::EvmRuntime::new())],
    );
    // The victim: any actor with a state block of its own (the Init actor will do).
    let victim_state = c.state_of(&fvm_shared::address::Address::new_id(1));
    // The target opens the CID at offset 6 of its DAG-CBOR params `[link]` and aborts with
    // 100 + the error number.
    let body = format!(
        r#"(drop (call $read (local.get $p) (i32.const 0) (i32.const 0) (i32.const 200) (i32.const 4000)))
        {}"#,
        abort_with(
            "(i32.add (i32.const 100) (call $open (i32.const 6) (i32.sub (i32.load8_u (i32.const 4)) (i32.const 1)) (i32.const 4100)))"
        )
    );
    let target = c.deploy(&module(&body, &[], 1), vec![]);
    // A contract that forwards its calldata to the precompile and returns its answer.
    let mut runtime = vec![
        0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, 0x60, 0x00,
        0x73,
    ];
    runtime.extend_from_slice(&CALL_ACTOR);
    runtime.extend_from_slice(&[
        0x5a, 0xf1, 0x50, 0x3d, 0x60, 0x00, 0x60, 0x00, 0x3e, 0x3d, 0x60, 0x00, 0xf3,
    ]);
    let initcode = tandem_evm::initcode::deploying(&runtime);
    let create_external = 4;
    let ret = c.call(
        fvm_shared::address::Address::new_id(tandem_vm::builtin::EAM_ACTOR_ID),
        create_external,
        fvm_ipld_encoding::to_vec(&fvm_ipld_encoding::RawBytes::new(initcode)).unwrap(),
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let created: tandem_actors::eam::CreateReturn = ret.receipt.return_data.deserialize().unwrap();
    let forwarder = fvm_shared::address::Address::new_id(created.actor_id);

    let cid = victim_state.to_bytes();
    let mut params = vec![0x81, 0xd8, 0x2a, 0x58, cid.len() as u8 + 1, 0x00];
    params.extend_from_slice(&cid);
    let call = callActorCall {
        actorId: target.id().unwrap(),
        method: 2,
        value: Default::default(),
        flags: 0,
        codec: DAG_CBOR,
        params: params.into(),
    };
    let calldata = fvm_ipld_encoding::to_vec(&BytesSer(&call.abi_encode())).unwrap();
    let ret = c.call(forwarder, tandem_vm::frc42::INVOKE_EVM, calldata);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    // The EVM's return data, raw: (int256 exitCode, uint64 codec, bytes data).
    let out = ret.receipt.return_data.bytes();
    let exit = u64::from_be_bytes(out[24..32].try_into().unwrap());
    assert_eq!(exit, 100 + u64::from(errno(ErrorNumber::NotFound)));
    assert_alive(&mut c);
}
