//! `actor_lookup_delegated` answers from the actor's record without copying it: an f410
//! address for an Ethereum contract, `NotFound` for an account without one and for an ID
//! with no actor, and a too-small buffer refused. Each case is a hand-written module that
//! aborts with `100 + error number` on a refusal, or `200 + length` on success.

use crate::common;

use common::*;
use fvm_shared::address::Address;
use fvm_shared::error::ErrorNumber;
use std::sync::Arc;
use tandem_evm::EvmRuntime;
use tandem_wasm::WasmRuntime;

fn lookup_module(id: u64, cap: u32) -> Vec<u8> {
    wat(&format!(
        r#"(module
  (import "tandem_v1" "actor_lookup_delegated" (func $lookup (param i64 i32 i32 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "invoke") (param $p i32) (result i32)
    (local $rc i32)
    (drop (call $ctx (i32.const 128)))
    ;; the method (at offset 24 of the context): the constructor (1) does nothing
    (if (i64.ne (i64.load (i32.const 152)) (i64.const 2)) (then (return (i32.const 0))))
    (local.set $rc (call $lookup (i64.const {id}) (i32.const 64) (i32.const {cap}) (i32.const 32)))
    (if (local.get $rc)
      (then (drop (call $abort (i32.add (i32.const 100) (local.get $rc))
        (i32.const 0) (i32.const 0) (i32.const 0)))))
    (drop (call $abort (i32.add (i32.const 200) (i32.load (i32.const 32)))
      (i32.const 0) (i32.const 0) (i32.const 0)))
    (i32.const 0)))"#
    ))
}

fn exit_of(c: &mut TestChain, target: u64, cap: u32) -> u32 {
    let actor = c.deploy(&lookup_module(target, cap), vec![]);
    c.call(actor, 2, vec![]).receipt.exit_code.value()
}

#[test]
fn delegated_addresses_are_found_and_missing_ones_refused() {
    let mut c = chain_with(
        Arc::new(WasmRuntime::new(None).unwrap()),
        vec![Arc::new(EvmRuntime::new())],
    );
    let (contract, eth) = c.deploy_evm(&[0x00]);
    let contract_id = c.id_of(&contract);
    let f410 = Address::new_delegated(10, &eth).unwrap().to_bytes();
    let sender = c.addr(0);
    let account_id = c.id_of(&sender);
    let not_found = 100 + ErrorNumber::NotFound as u32;

    assert_eq!(exit_of(&mut c, contract_id, 64), 200 + f410.len() as u32);
    assert_eq!(
        exit_of(&mut c, account_id, 64),
        not_found,
        "an account has no f410"
    );
    assert_eq!(
        exit_of(&mut c, 987_654, 64),
        not_found,
        "no actor at that ID"
    );
    let too_small = exit_of(&mut c, contract_id, 4);
    assert!(
        (101..200).contains(&too_small),
        "a 4-byte buffer must be refused, got exit {too_small}"
    );
}
