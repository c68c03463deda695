//! Warm instances (crates/wasm/src/warm.rs): a call on a reused instance must be
//! indistinguishable from a call on a fresh one, in its exit, its reply and its gas.
//!
//! Two modules differ only in an unused function: one uses `table.set`, which makes a module
//! unresettable, so every call of it runs on a fresh instance. Each call is made on both and
//! must give the same exit code and gas; the resettable one must really have been reused.

use crate::common;

use common::*;
use fvm_shared::address::Address;

/// The actor: a mutable global (5), a data byte at 100 (7), two pages of memory.
/// - method 2: bumps the global, the data byte and a byte on the second page, then aborts
///   with global × 1000 + byte × 100 + second-page byte × 10 + memory pages (6832 fresh);
/// - method 3: the same bumps, then returns normally;
/// - method 4: grows memory by a page, bumps, returns;
/// - method 5: bumps, calls itself (the address in the params) with method 2 and aborts with
///   the nested exit × 10 + its global (68326 if the nested frame saw a fresh instance).
fn actor(unused: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module
  (import "tandem_v1" "ipld_block_read" (func $read (param i32 i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "send" (func $send (param i32 i32 i64 i32 i64 i64 i64 i64 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (global $g (mut i32) (i32.const 5))
  (table 1 funcref)
  (memory (export "memory") 2)
  (data (i32.const 100) "\07")
  (func $unused {unused})
  (func $bump
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store8 (i32.const 100) (i32.add (i32.load8_u (i32.const 100)) (i32.const 1)))
    (i32.store8 (i32.const 70000) (i32.add (i32.load8_u (i32.const 70000)) (i32.const 3))))
  (func $code (result i32)
    (i32.add
      (i32.add (i32.mul (global.get $g) (i32.const 1000))
               (i32.mul (i32.load8_u (i32.const 100)) (i32.const 100)))
      (i32.add (i32.mul (i32.load8_u (i32.const 70000)) (i32.const 10)) (memory.size))))
  (func (export "invoke") (param $p i32) (result i32)
    (local $method i64) (local $len i32)
    (drop (call $ctx (i32.const 1000)))
    (local.set $method (i64.load (i32.const 1024)))
    (if (i64.eq (local.get $method) (i64.const 1)) (then (return (i32.const 0))))
    (if (i64.eq (local.get $method) (i64.const 4))
      (then (drop (memory.grow (i32.const 1)))))
    (call $bump)
    (if (i64.eq (local.get $method) (i64.const 2))
      (then (drop (call $abort (call $code) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (if (i64.eq (local.get $method) (i64.const 5))
      (then
        (drop (call $read (local.get $p) (i32.const 0) (i32.const 2000) (i32.const 200) (i32.const 4000)))
        (drop (call $send (i32.const 2000) (i32.load (i32.const 4000)) (i64.const 2) (i32.const 0)
                          (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i32.const 9000)))
        (drop (call $abort
          (i32.add (i32.mul (i32.load (i32.const 9000)) (i32.const 10)) (global.get $g))
          (i32.const 0) (i32.const 0) (i32.const 0)))))
    (i32.const 0)))"#
    ))
}

const RESETTABLE: &str = "(drop (table.size 0))";
const FRESH_EVERY_CALL: &str = "(table.set 0 (i32.const 0) (ref.null func))";

#[test]
fn a_reused_instance_behaves_and_costs_exactly_as_a_fresh_one() {
    let mut c = chain();
    let warm = c.deploy(&actor(RESETTABLE), vec![]);
    let fresh = c.deploy(&actor(FRESH_EVERY_CALL), vec![]);
    assert!(
        c.wasm.warm_instances() >= 1,
        "the constructor's instance of the resettable module is kept"
    );

    let calls: Vec<(u64, Vec<u8>, Option<u32>)> = vec![
        (2, vec![], Some(6832)),
        (2, vec![], Some(6832)),
        (3, vec![], Some(0)),
        (2, vec![], Some(6832)),
        (5, vec![], Some(68326)),
        (2, vec![], Some(6832)),
        (4, vec![], Some(0)),
        (2, vec![], Some(6832)),
        (2, vec![], Some(6832)),
    ];
    for (i, (method, _, expected)) in calls.iter().enumerate() {
        let mut outcome = |to: Address| {
            let params = if *method == 5 { to.to_bytes() } else { vec![] };
            let ret = c.call(to, *method, params);
            (ret.receipt.exit_code.value(), ret.receipt.gas_used)
        };
        let on_warm = outcome(warm);
        let on_fresh = outcome(fresh);
        assert_eq!(
            on_warm, on_fresh,
            "call {i} (method {method}): (exit, gas) on a reused instance vs a fresh one"
        );
        if let Some(code) = expected {
            assert_eq!(on_warm.0, *code, "call {i} (method {method})");
        }
        if *method == 5 {
            // Two frames of the code ran at once, so two instances are kept.
            assert!(c.wasm.warm_instances() >= 2);
        }
    }
    assert!(c.wasm.warm_instances() >= 1);
}

#[test]
fn an_unresettable_module_is_never_kept() {
    let mut c = chain();
    let fresh = c.deploy(&actor(FRESH_EVERY_CALL), vec![]);
    for _ in 0..3 {
        assert_eq!(c.call(fresh, 2, vec![]).receipt.exit_code.value(), 6832);
    }
    assert_eq!(c.wasm.warm_instances(), 0);
}

#[test]
fn a_reused_instance_out_of_gas_costs_what_a_fresh_one_does() {
    // Too little gas for the frame's initial memory: the limiter's charge fails on both paths.
    let mut c = chain();
    let warm = c.deploy(&actor(RESETTABLE), vec![]);
    let fresh = c.deploy(&actor(FRESH_EVERY_CALL), vec![]);
    let full = c.call(fresh, 2, vec![]).receipt.gas_used;
    for gas in [full - 1, full / 2, full - 3_000] {
        let a = c.send_as(0, warm, 2, vec![], gas).receipt;
        let b = c.send_as(0, fresh, 2, vec![], gas).receipt;
        assert_eq!(
            (a.exit_code, a.gas_used),
            (b.exit_code, b.gas_used),
            "gas limit {gas}"
        );
    }
}
