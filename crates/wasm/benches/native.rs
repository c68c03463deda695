//! Native runtime benchmark: token transfer gas and time, a calibration table (charged gas
//! against measured ns per instruction class and per syscall), and install / first-call
//! times cached and uncached. Prints a markdown table; run with
//! `cargo bench -p tandem-wasm --bench native`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use common::*;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use tandem_vm::frc42::method_number;
use tandem_wasm::WasmRuntime;

const N: u32 = 20_000;

/// A module whose `invoke` runs `op` (WAT leaving nothing on the stack) `n` times (n from
/// the low byte of memory at 0.. set by data).
fn looped(op: &str, imports: &str, n: u32) -> Vec<u8> {
    wat(&format!(
        r#"(module {imports}
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (memory (export "memory") 2)
  (global $acc (mut i64) (i64.const 1))
  (global $f (mut f64) (f64.const 1.5))
  (func $leaf (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))
  (func (export "invoke") (param $p i32) (result i32) (local $i i32)
    (drop (call $ctx (i32.const 4096)))
    (if (i64.eq (i64.load (i32.const 4120)) (i64.const 1)) (then (return (i32.const 0))))
    (if (i64.eq (i64.load (i32.const 4120)) (i64.const 3)) (then (return (i32.const 0))))
    (loop $l {op}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))
    (i32.const 0)))"#
    ))
}

fn measure(c: &mut TestChain, a: fvm_shared::address::Address, method: u64) -> (u64, f64) {
    // Warm up, then best of 5 runs.
    c.call(a, method, vec![]);
    let mut best = f64::MAX;
    let mut gas = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let ret = c.call(a, method, vec![]);
        best = best.min(t.elapsed().as_nanos() as f64);
        assert!(ret.receipt.exit_code.is_success(), "{:?}", ret.failure);
        gas = ret.receipt.gas_used;
    }
    (gas, best)
}

fn calibration() {
    let classes: &[(&str, &str, &str)] = &[
        (
            "i64 arithmetic (4 ops)",
            "(global.set $acc (i64.xor (i64.mul (global.get $acc) (i64.const 3)) (i64.add (global.get $acc) (i64.const 7))))",
            "",
        ),
        (
            "memory load+store",
            "(i64.store (i32.const 64) (i64.add (i64.load (i32.const 64)) (i64.const 1)))",
            "",
        ),
        (
            "call",
            "(global.set $acc (call $leaf (global.get $acc)))",
            "",
        ),
        (
            "syscall msg_context",
            "(drop (call $ctx (i32.const 2048)))",
            "",
        ),
        (
            "syscall blake2b 1 KiB",
            "(drop (call $hash (i32.const 0) (i32.const 0) (i32.const 1024) (i32.const 2048)))",
            r#"(import "tandem_v1" "crypto_hash" (func $hash (param i32 i32 i32 i32) (result i32)))"#,
        ),
        (
            "syscall sha256 1 KiB",
            "(drop (call $hash (i32.const 1) (i32.const 0) (i32.const 1024) (i32.const 2048)))",
            r#"(import "tandem_v1" "crypto_hash" (func $hash (param i32 i32 i32 i32) (result i32)))"#,
        ),
        (
            "syscall keccak256 1 KiB",
            "(drop (call $hash (i32.const 2) (i32.const 0) (i32.const 1024) (i32.const 2048)))",
            r#"(import "tandem_v1" "crypto_hash" (func $hash (param i32 i32 i32 i32) (result i32)))"#,
        ),
        (
            "syscall block_create 256 B",
            "(drop (call $create (i64.const 0x55) (i32.const 0) (i32.const 256) (i32.const 2048)))",
            r#"(import "tandem_v1" "ipld_block_create" (func $create (param i64 i32 i32 i32) (result i32)))"#,
        ),
        (
            "syscall slot_get (warm)",
            "(drop (call $sget (i32.const 0) (i32.const 2048)))",
            r#"(import "tandem_v1" "slot_get" (func $sget (param i32 i32) (result i32)))"#,
        ),
    ];
    let mut c = chain();
    let empty = c.deploy(&looped("", "", 1), vec![]);
    let (base_gas, base_ns) = measure(&mut c, empty, 2);
    println!("\n| class | iterations | charged gas / iter | measured ns / iter | gas per ns |");
    println!("|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (name, op, imports) in classes {
        let n = if name.starts_with("syscall") {
            N / 10
        } else {
            N * 10
        };
        let a = c.deploy(&looped(op, imports, n), vec![]);
        let (gas, ns) = measure(&mut c, a, 2);
        // Subtract the empty loop's per-iteration cost measured the same way.
        let loop_only = looped("", "", n);
        let b = c.deploy(&loop_only, vec![]);
        let (lgas, lns) = measure(&mut c, b, 2);
        let g = (gas as f64 - lgas as f64) / n as f64;
        let t = (ns - lns).max(1.0) / n as f64;
        rows.push((name.to_string(), g / t));
        println!("| {name} | {n} | {g:.2} | {t:.2} | {:.2} |", g / t);
    }
    println!(
        "\n(empty invocation: {base_gas} gas, {:.1} µs)",
        base_ns / 1000.0
    );
    let mut rates: Vec<f64> = rows.iter().map(|r| r.1).collect();
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = rates[rates.len() / 2];
    println!("common rate (median): {median:.2} gas/ns; outside 2x:");
    for (name, r) in &rows {
        if *r > 2.0 * median || *r < median / 2.0 {
            println!("- {name}: {r:.2} gas/ns");
        }
    }
}

fn token_transfer() {
    let mut c = chain();
    let token = c.deploy(
        &actors::wasm("token"),
        fvm_ipld_encoding::to_vec(&("T", "T", TokenAmount::from_atto(1_000_000_000u64))).unwrap(),
    );
    let to = c.addr(1);
    let params =
        fvm_ipld_encoding::to_vec(&(RawBytes::new(to.to_bytes()), TokenAmount::from_atto(1u8)))
            .unwrap();
    let transfer = method_number("Transfer").unwrap();
    c.call(token, transfer, params.clone());
    let runs = 200;
    let t = Instant::now();
    let mut gas = 0;
    for _ in 0..runs {
        gas = c.call(token, transfer, params.clone()).receipt.gas_used;
    }
    let us = t.elapsed().as_micros() as f64 / runs as f64;
    println!(
        "\nnative token Transfer (whole message incl. 21,000 base): {gas} gas, {us:.1} µs/message"
    );
}

fn install_times() {
    let wasm = actors::wasm("token");
    let dir = tempfile::tempdir().unwrap();
    let rt = Arc::new(WasmRuntime::new(Some(dir.path().to_path_buf())).unwrap());
    let mut c = chain_with(rt, vec![]);
    let t = Instant::now();
    let (ret, code) = c.install(&wasm);
    let uncached = t.elapsed();
    let t = Instant::now();
    c.install(&wasm);
    let cached = t.elapsed();
    let code = code.unwrap();
    // First call on a restarted runtime: from disk, and with no cache at all.
    for (label, dir) in [
        ("disk cache", Some(dir.path().to_path_buf())),
        ("no cache (compile)", None),
    ] {
        let rt = Arc::new(WasmRuntime::new(dir).unwrap());
        let mut c2 = chain_with(rt, vec![]);
        c2.install(&wasm);
        let _ = code;
        let rt3 = Arc::new(WasmRuntime::new(None).unwrap());
        let _ = rt3;
        let (r, out) = c2.create(
            code,
            fvm_ipld_encoding::to_vec(&("T", "T", TokenAmount::from_atto(1u8))).unwrap(),
        );
        assert!(r.receipt.exit_code.is_success());
        let a = out.unwrap().id_address;
        let t = Instant::now();
        c2.call(a, method_number("TotalSupply").unwrap(), vec![]);
        println!(
            "first call after install ({label}): {:.2} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    println!(
        "token module {} bytes: install {:.2} ms uncached (compile), {:.2} ms cached; install gas {}",
        wasm.len(),
        uncached.as_secs_f64() * 1e3,
        cached.as_secs_f64() * 1e3,
        ret.receipt.gas_used
    );
}

fn main() {
    token_transfer();
    install_times();
    calibration();
}
