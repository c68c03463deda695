//! Transient storage for native actors (`transient_get`/`transient_set`, EIP-1153's
//! TLOAD/TSTORE): the guard example actor end to end (seen by a re-entrant frame, undone with
//! a failing frame, refused read-only, gone in the next message), the price, and bad pointers.

use crate::common;

use common::*;
use fvm_shared::error::{ErrorNumber, ExitCode};
use tandem_vm::frc42::method_number;

fn m(name: &str) -> u64 {
    method_number(name).unwrap()
}

fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    fvm_ipld_encoding::to_vec(v).unwrap()
}

fn ok<T: serde::de::DeserializeOwned>(ret: &fvm_shared::receipt::Receipt) -> T {
    assert_eq!(ret.exit_code, ExitCode::OK, "{ret:?}");
    ret.return_data.deserialize().unwrap()
}

#[test]
fn a_transient_word_is_seen_by_re_entrant_frames_and_gone_in_the_next_message() {
    let mut c = chain();
    let guard = c.deploy(&actors::wasm("guard"), vec![]);
    // Mark sets the word, then calls Peek on itself: the re-entrant frame reads it.
    let seen: u64 = ok(&c.call(guard, m("Mark"), cbor(&(42u64,))).receipt);
    assert_eq!(seen, 42);
    // The next message starts with the word zero.
    let later: u64 = ok(&c.call(guard, m("Peek"), vec![]).receipt);
    assert_eq!(later, 0);
    // A failing frame's write is undone; the caller keeps its own.
    let (after, code): (u64, u32) = ok(&c.call(guard, m("Probe"), cbor(&(7u64,))).receipt);
    assert_eq!(code, ExitCode::USR_ILLEGAL_STATE.value());
    assert_eq!(after, 7);
    // A read-only frame may read transient storage but not write it: the SDK turns the
    // refusal (`ReadOnly`) into USR_ILLEGAL_STATE.
    let code: u32 = ok(&c.call(guard, m("MarkReadOnly"), cbor(&(5u64,))).receipt);
    assert_eq!(code, ExitCode::USR_ILLEGAL_STATE.value());
}

#[test]
fn the_guard_refuses_re_entry_and_its_lock_ends_with_the_message() {
    let mut c = chain();
    let guard = c.deploy(&actors::wasm("guard"), vec![]);
    let code: u32 = ok(&c.call(guard, m("Guarded"), cbor(&(0u64,))).receipt);
    assert_eq!(code, 0);
    // The re-entrant call finds the lock held and is refused; the outer frame still succeeds.
    let code: u32 = ok(&c.call(guard, m("Guarded"), cbor(&(1u64,))).receipt);
    assert_eq!(code, ExitCode::USR_FORBIDDEN.value());
    // Released at the end of the handler: the same message could take it again, and so can
    // the next one.
    let code: u32 = ok(&c.call(guard, m("Guarded"), cbor(&(0u64,))).receipt);
    assert_eq!(code, 0);
    // Leak never releases it, yet the next message finds it free.
    let ret = c.call(guard, m("Leak"), vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let code: u32 = ok(&c.call(guard, m("Guarded"), cbor(&(0u64,))).receipt);
    assert_eq!(code, 0);
}

/// A module whose method 2 (nothing else) makes `sets` transient writes, then `gets` transient reads, and
/// aborts with `100 + error number` on the first refused syscall. `key` is where the key is
/// read from.
fn transient_user(sets: u32, gets: u32, key: u32) -> Vec<u8> {
    let check = "(if (local.get $rc) (then (drop (call $abort (i32.add (i32.const 100) \
                 (local.get $rc)) (i32.const 0) (i32.const 0) (i32.const 0)))))";
    let set = format!("(local.set $rc (call $tset (i32.const {key}) (i32.const 64))) {check}\n");
    let get = format!("(local.set $rc (call $tget (i32.const {key}) (i32.const 96))) {check}\n");
    let body = set.repeat(sets as usize) + &get.repeat(gets as usize);
    wat(&format!(
        r#"(module
  (import "tandem_v1" "transient_get" (func $tget (param i32 i32) (result i32)))
  (import "tandem_v1" "transient_set" (func $tset (param i32 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "invoke") (param $p i32) (result i32)
    (local $rc i32)
    (drop (call $ctx (i32.const 128)))
    ;; the method (at offset 24 of the context): only method 2, not the constructor
    (if (i64.eq (i64.load (i32.const 152)) (i64.const 2)) (then
    {body}))
    (i32.const 0)))"#
    ))
}

/// 100 gas each, Ethereum's TLOAD/TSTORE, plus the syscall (30) and a few instructions.
#[test]
fn transient_access_costs_one_hundred_gas_plus_the_syscall() {
    let mut c = chain();
    let mut gas_of = |sets: u32, gets: u32| {
        let a = c.deploy(&transient_user(sets, gets, 0), vec![]);
        let ret = c.call(a, 2, vec![]);
        assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
        ret.receipt.gas_used as i64
    };
    let none = gas_of(0, 0);
    let per_set = (gas_of(10, 0) - none) / 10;
    let per_get = (gas_of(0, 10) - none) / 10;
    for (what, g) in [("transient_set", per_set), ("transient_get", per_get)] {
        assert!((130..160).contains(&g), "{what}: {g} gas");
    }
}

#[test]
fn a_key_outside_memory_is_an_illegal_argument() {
    let mut c = chain();
    for (sets, gets) in [(1, 0), (0, 1)] {
        let a = c.deploy(&transient_user(sets, gets, 65_530), vec![]);
        let ret = c.call(a, 2, vec![]);
        let want = 100 + ErrorNumber::IllegalArgument as u32;
        assert_eq!(ret.receipt.exit_code.value(), want, "{:?}", ret.failure);
    }
}
