//! Hostile and malformed modules: each ends in a clean exit code within its gas, and the VM
//! keeps working afterwards.

use crate::common;

use common::*;
use fvm_shared::error::ExitCode;

/// A module whose `invoke` runs `body` (WAT instructions leaving an i32), with the syscalls
/// most tests need imported.
fn module(body: &str, extra: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module
  (import "tandem_v1" "ipld_block_create" (func $create (param i64 i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_link" (func $link (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "self_set_root" (func $set_root (param i32 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (memory (export "memory") 1)
  {extra}
  (func (export "invoke") (param $p i32) (result i32)
    ;; The constructor (method 1) does nothing.
    (drop (call $ctx (i32.const 1000)))
    (if (i64.eq (i64.load (i32.const 1024)) (i64.const 1)) (then (return (i32.const 0))))
    {body}))"#
    ))
}

const OK: &str = "(i32.const 0)";

/// Checks the VM still runs a good actor after a hostile one.
fn assert_alive(c: &mut TestChain) {
    let good = c.deploy(&module(OK, ";; good"), vec![]);
    let ret = c.call(good, 2, vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
}

#[test]
fn infinite_loop_runs_out_of_gas() {
    let mut c = chain();
    let a = c.deploy(&module("(loop $l (br $l)) (i32.const 0)", ""), vec![]);
    let ret = c.send_as(0, a, 2, vec![], 5_000_000);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_OUT_OF_GAS);
    assert_eq!(ret.receipt.gas_used, 5_000_000);
    assert_alive(&mut c);
}

#[test]
fn memory_bomb_runs_out_of_gas() {
    let mut c = chain();
    let body = "(loop $l (drop (memory.grow (i32.const 16))) (br $l)) (i32.const 0)";
    let a = c.deploy(&module(body, ""), vec![]);
    let ret = c.send_as(0, a, 2, vec![], 10_000_000);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_OUT_OF_GAS);
    assert_eq!(ret.receipt.gas_used, 10_000_000);
    assert_alive(&mut c);
}

#[test]
fn memory_is_bounded_per_instance() {
    let mut c = chain();
    // Grows 1 MiB at a time until refused, then aborts with 42 (the limit is 128 MiB).
    let body = r#"(block $done (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $l)))
      (drop (call $abort (i32.const 42) (i32.const 0) (i32.const 0) (i32.const 0)))
      (i32.const 0)"#;
    let a = c.deploy(&module(body, ""), vec![]);
    let ret = c.send_as(0, a, 2, vec![], GAS_LIMIT);
    assert_eq!(
        ret.receipt.exit_code,
        ExitCode::new(42),
        "{:?}",
        ret.failure
    );
    assert_alive(&mut c);
}

#[test]
fn unbounded_recursion_traps_cleanly() {
    let mut c = chain();
    let extra =
        "(func $f (param i64) (result i64) (call $f (i64.add (local.get 0) (i64.const 1))))";
    let a = c.deploy(
        &module("(drop (call $f (i64.const 0))) (i32.const 0)", extra),
        vec![],
    );
    let ret = c.send_as(0, a, 2, vec![], 30_000_000);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_ILLEGAL_INSTRUCTION);
    assert!(message(&ret).contains("stack"), "{}", message(&ret));
    assert!(ret.receipt.gas_used < 30_000_000);
    assert_alive(&mut c);
}

#[test]
fn huge_tables_are_refused_or_bounded() {
    let mut c = chain();
    let (ret, code) = c.install(&module(OK, "(table 100000000 funcref)"));
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert!(code.is_none());
    assert!(
        message(&ret).contains("table elements"),
        "{}",
        message(&ret)
    );
    // Growing at run time is refused past the limit: table.grow returns -1.
    let body = r#"(if (i32.eq (table.grow (ref.null func) (i32.const 1000000)) (i32.const -1))
        (then (drop (call $abort (i32.const 43) (i32.const 0) (i32.const 0) (i32.const 0)))))
      (i32.const 0)"#;
    let a = c.deploy(&module(body, "(table 1 funcref)"), vec![]);
    let ret = c.call(a, 2, vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::new(43));
    assert_alive(&mut c);
}

#[test]
fn compile_bombs_are_paid_and_capped() {
    let mut c = chain();
    let many: String = (0..100_000).map(|_| "(func)").collect();
    let (ret, code) = c.install(&module(OK, &many));
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert!(code.is_none());
    assert!(message(&ret).contains("functions"), "{}", message(&ret));
    // The refused module still paid for being read: at least 20 gas per byte.
    let size = module(OK, &many).len() as u64;
    assert!(
        ret.receipt.gas_used > 20 * size,
        "{} for {size} bytes",
        ret.receipt.gas_used
    );

    let deep = format!("{}{}", "(block ".repeat(10_000), ")".repeat(10_000));
    let (ret, _) = c.install(&module(&format!("{deep} (i32.const 0)"), ""));
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert!(message(&ret).contains("nested"), "{}", message(&ret));

    // Under the caps, install gas grows with the number of functions.
    let small: String = (0..10).map(|_| "(func)").collect();
    // (5,000 functions would now cost more than the block gas limit: 5,000 gas each.)
    let big: String = (0..2_000).map(|_| "(func)").collect();
    let (small_ret, _) = c.install(&module(OK, &small));
    let (big_ret, _) = c.install(&module(OK, &big));
    assert!(small_ret.receipt.exit_code.is_success() && big_ret.receipt.exit_code.is_success());
    assert!(big_ret.receipt.gas_used > small_ret.receipt.gas_used + 1_990 * 5_000);
    assert_alive(&mut c);
}

#[test]
fn unknown_imports_are_refused() {
    let mut c = chain();
    for (m, f) in [
        ("tandem_v1", "steal_keys"),
        ("env", "abort"),
        ("wasi_snapshot_preview1", "fd_write"),
    ] {
        let wasm = wat(&format!(
            r#"(module (import "{m}" "{f}" (func)) (memory (export "memory") 1)
            (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#
        ));
        let (ret, code) = c.install(&wasm);
        assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
        assert!(code.is_none());
        assert!(
            message(&ret).contains("unknown syscall"),
            "{}",
            message(&ret)
        );
    }
    // A known name with the wrong signature is refused at install too.
    let wasm = wat(
        r#"(module (import "tandem_v1" "vm_abort" (func (param i32)))
        (memory (export "memory") 1)
        (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#,
    );
    let (ret, _) = c.install(&wasm);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert!(message(&ret).contains("link"), "{}", message(&ret));
    assert_alive(&mut c);
}

#[test]
fn malformed_and_unsupported_modules_are_refused_with_a_clear_error() {
    let mut c = chain();
    let (ret, _) = c.install(b"definitely not wasm");
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert!(message(&ret).contains("WASM"), "{}", message(&ret));

    let simd = module("(drop (i32x4.splat (i32.const 1))) (i32.const 0)", "");
    let (ret, _) = c.install(&simd);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert!(
        message(&ret).to_lowercase().contains("simd"),
        "{}",
        message(&ret)
    );

    let threads = wat(r#"(module (memory (export "memory") 1 1 shared)
        (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#);
    let (ret, _) = c.install(&threads);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert!(message(&ret).contains("threads"), "{}", message(&ret));

    let no_entry = wat(r#"(module (memory (export "memory") 1))"#);
    let (ret, _) = c.install(&no_entry);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert!(message(&ret).contains("invoke"), "{}", message(&ret));
    assert_alive(&mut c);
}

/// Float arithmetic is refused at install: with a subnormal operand or result a
/// multiplication, division or square root takes ~38 ns on x86 (a microcode assist), more
/// than one operator's gas can pay (the fuzzer's slowest module looped on `f32.sqrt` of a
/// subnormal at 3.6× the calibrated rate). Moving float bits stays allowed, NaNs included.
#[test]
fn float_arithmetic_is_refused_and_float_bits_move() {
    let mut c = chain();
    for op in [
        "(f32.store (i32.const 0) (f32.sqrt (f32.const 1e-40)))",
        "(f64.store (i32.const 0) (f64.mul (f64.const 1e-300) (f64.const 1e-10)))",
        "(f64.store (i32.const 0) (f64.div (f64.const 1) (f64.const 3)))",
        "(f32.store (i32.const 0) (f32.add (f32.const 1) (f32.const 2)))",
        "(i32.store (i32.const 0) (f64.lt (f64.const 1) (f64.const 2)))",
        "(f64.store (i32.const 0) (f64.neg (f64.const 1)))",
        "(f64.store (i32.const 0) (f64.convert_i32_u (i32.const 7)))",
        "(i64.store (i32.const 0) (i64.trunc_sat_f64_s (f64.const 7.5)))",
        "(f32.store (i32.const 0) (f32.demote_f64 (f64.const 7.5)))",
    ] {
        let (ret, code) = c.install(&module(&format!("{op} (i32.const 0)"), ""));
        assert!(code.is_none(), "{op} was installed");
        assert_eq!(
            ret.receipt.exit_code,
            ExitCode::USR_ILLEGAL_ARGUMENT,
            "{op}"
        );
        assert!(
            message(&ret).contains("float arithmetic"),
            "{op}: {}",
            message(&ret)
        );
    }
    // Constants (a NaN's payload kept bit for bit), loads, stores and bit casts.
    let body = r#"
      (f32.store (i32.const 0) (f32.const -nan:0x200001))
      (f64.store (i32.const 8) (f64.reinterpret_i64 (i64.const 0x7ff4000000000001)))
      (i64.store (i32.const 16) (i64.reinterpret_f64 (f64.load (i32.const 8))))
      (drop (call $create (i64.const 0x55) (i32.const 0) (i32.const 24) (i32.const 100)))
      (i32.load (i32.const 100))"#;
    let a = c.deploy(&module(body, ""), vec![]);
    let ret = c.call(a, 2, vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let bytes = ret.receipt.return_data.bytes();
    assert_eq!(&bytes[0..4], &0xffa0_0001u32.to_le_bytes());
    assert_eq!(&bytes[8..16], &0x7ff4_0000_0000_0001u64.to_le_bytes());
    assert_eq!(&bytes[16..24], &0x7ff4_0000_0000_0001u64.to_le_bytes());
    assert_alive(&mut c);
}

const WRITE_STATE: &str = r#"
      (drop (call $create (i64.const 0x71) (i32.const 0) (i32.const 2) (i32.const 100)))
      (drop (call $link (i32.load (i32.const 100)) (i32.const 200) (i32.const 100) (i32.const 104)))
      (drop (call $set_root (i32.const 200) (i32.load (i32.const 104))))"#;

#[test]
fn a_trap_after_writing_state_rolls_it_back() {
    let mut c = chain();
    let data = r#"(data (i32.const 0) "\81\01")"#;
    // Control: without the trap, the write sticks.
    let writer = c.deploy(
        &module(&format!("{WRITE_STATE} (i32.const 0)"), data),
        vec![],
    );
    let before = c.state_of(&writer);
    let ret = c.call(writer, 2, vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    assert_ne!(c.state_of(&writer), before);

    let trapper = c.deploy(&module(&format!("{WRITE_STATE} unreachable"), data), vec![]);
    let before = c.state_of(&trapper);
    let ret = c.call(trapper, 2, vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_ILLEGAL_INSTRUCTION);
    assert_eq!(c.state_of(&trapper), before);

    let aborter = c.deploy(
        &module(
            &format!("{WRITE_STATE} (drop (call $abort (i32.const 77) (i32.const 0) (i32.const 0) (i32.const 0))) (i32.const 0)"),
            data,
        ),
        vec![],
    );
    let before = c.state_of(&aborter);
    let ret = c.call(aborter, 2, vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::new(77));
    assert_eq!(c.state_of(&aborter), before);
    assert_alive(&mut c);
}

#[test]
fn system_exit_codes_cannot_be_claimed() {
    let mut c = chain();
    let body = "(drop (call $abort (i32.const 7) (i32.const 0) (i32.const 0) (i32.const 0))) (i32.const 0)";
    let a = c.deploy(&module(body, ""), vec![]);
    let ret = c.call(a, 2, vec![]);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_ILLEGAL_EXIT_CODE);
}

#[test]
fn same_module_and_input_give_the_same_gas() {
    let body = r#"(global.set $i (i32.const 0))
      (loop $l (global.set $i (i32.add (global.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (global.get $i) (i32.const 100000))))
      (i32.const 0)"#;
    let wasm = module(body, "(global $i (mut i32) (i32.const 0))");
    let mut gas = Vec::new();
    for _ in 0..2 {
        let mut c = chain();
        let a = c.deploy(&wasm, vec![]);
        gas.push(c.call(a, 2, vec![]).receipt.gas_used);
        gas.push(c.call(a, 2, vec![]).receipt.gas_used);
    }
    assert!(gas.iter().all(|g| *g == gas[0]), "{gas:?}");
}
