//! Hostile native code against the clock: each attack module runs through the real runtime
//! (install + create + a message at the block gas limit on an in-memory chain) and the table
//! compares the gas it was charged with the wall time it took. Compile bombs are installed on
//! a fresh runtime (no module cache) and measured for compile time and peak memory.
//!
//! `cargo bench -p tandem-wasm --bench attacks` (criterion samples each run-time attack, then
//! the tables are printed). `-- --quick` for a short run; `ATTACKS=chase,sqrt` to filter by
//! name; `BOMBS=0` skips the compile bombs.

#[path = "support/attack_modules.rs"]
mod attack_modules;
#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attack_modules::*;
use common::*;
use criterion::Criterion;
use fvm_shared::error::ExitCode;
use k256::ecdsa::SigningKey;
use tandem_wasm::WasmRuntime;

/// The block gas limit (crates/vm/src/kernel.rs `NetworkContext::default`).
const BLOCK_GAS: u64 = 30_000_000;
/// docs/gas.md: about 1 gas per ns on the reference machine.
const TARGET_GAS_PER_NS: f64 = 1.0;

pub fn secp_input() -> Vec<u8> {
    let key = SigningKey::from_slice(&[7; 32]).unwrap();
    let hash = [0x5au8; 32];
    let (sig, rec) = key.sign_prehash_recoverable(&hash).unwrap();
    let mut v = hash.to_vec();
    v.extend_from_slice(&sig.to_bytes());
    v.push(rec.to_byte());
    v
}

pub fn attacks() -> Vec<Attack> {
    vec![
        i64_arith(),
        l1_load_store(),
        call_indirect(),
        memory_chase("random dependent loads, 128 MiB", 128),
        memory_chase("random dependent loads, 16 MiB", 16),
        memory_chase("random dependent loads, 4 MiB", 4),
        memory_chase("random dependent loads, 2 MiB", 2),
        memory_chase("random dependent loads, 1 MiB", 1),
        memory_random("random independent loads, 128 MiB", 128),
        memory_random("random independent loads, 2 MiB", 2),
        memory_touch(),
        i64_div(),
        i64_rem(),
        hash("keccak256 64 KiB", 2, 65536),
        hash("blake2b-256 64 KiB", 0, 65536),
        hash("sha256 64 KiB", 1, 65536),
        hash("keccak256 0 B", 2, 0),
        hash("blake2b-256 0 B", 0, 0),
        secp_recover(&secp_input()),
    ]
}

#[derive(Default, Clone)]
struct Row {
    gas: u64,
    ns: Vec<f64>,
    exit: Option<ExitCode>,
}

fn selected(name: &str) -> bool {
    match std::env::var("ATTACKS") {
        Ok(f) if !f.is_empty() => f.split(',').any(|p| name.contains(p)),
        _ => true,
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn run_time_attacks(c: &mut Criterion) {
    let rows: Arc<Mutex<BTreeMap<usize, (String, Row)>>> = Default::default();
    let mut group = c.benchmark_group("attacks");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    for (i, attack) in attacks().into_iter().enumerate() {
        if !selected(attack.name) {
            continue;
        }
        let mut chain = chain();
        let (ret, code) = chain.install_with_gas(&attack.wasm(0), BLOCK_GAS);
        let Some(code) = code else {
            println!("{}: refused at install: {}", attack.name, message(&ret));
            rows.lock().unwrap().insert(
                i,
                (
                    format!("{} (refused at install)", attack.name),
                    Row {
                        gas: ret.receipt.gas_used,
                        ns: vec![0.0],
                        exit: Some(ret.receipt.exit_code),
                    },
                ),
            );
            continue;
        };
        let (_, out) = chain.create(code, vec![]);
        let a = out.expect("create").id_address;
        let rows = rows.clone();
        group.bench_function(attack.name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let ret = chain.send_as(0, a, FOREVER, vec![], BLOCK_GAS);
                    let dt = t.elapsed();
                    total += dt;
                    let mut rows = rows.lock().unwrap();
                    let row = &mut rows
                        .entry(i)
                        .or_insert((attack.name.into(), Row::default()))
                        .1;
                    row.gas = ret.receipt.gas_used;
                    row.exit = Some(ret.receipt.exit_code);
                    row.ns.push(dt.as_nanos() as f64);
                }
                total
            })
        });
    }
    group.finish();
    let mut rows = rows.lock().unwrap();
    println!("\n## Run-time attacks (one message at the block gas limit, {BLOCK_GAS} gas)\n");
    println!(
        "| attack | exit | gas charged | wall ms (median of n) | ns per gas | ratio to 1 gas/ns |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, row) in rows.values_mut() {
        let n = row.ns.len();
        let ns = median(&mut row.ns);
        let per = ns / row.gas as f64;
        println!(
            "| {name} | {} | {} | {:.1} (n={n}) | {:.3} | {:.2}× |",
            row.exit.map(|e| e.value()).unwrap_or(0),
            row.gas,
            ns / 1e6,
            per,
            per * TARGET_GAS_PER_NS
        );
    }
}

/// Peak resident memory since the last reset, in bytes (Linux; 0 elsewhere).
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Installs on a fresh runtime (nothing cached): wall ms, peak extra MB, gas, exit, message.
pub fn install_fresh(wasm: &[u8]) -> (f64, f64, u64, ExitCode, String) {
    let rt = Arc::new(WasmRuntime::new(None).unwrap());
    let mut c = chain_with(rt, vec![]);
    let before = rss();
    reset_peak_rss();
    let t = Instant::now();
    let (ret, _) = c.install_with_gas(wasm, BLOCK_GAS);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let mb = peak_rss().saturating_sub(before) as f64 / (1 << 20) as f64;
    (
        ms,
        mb,
        ret.receipt.gas_used,
        ret.receipt.exit_code,
        message(&ret),
    )
}

pub fn bombs() -> Vec<Bomb> {
    if std::env::var("BOMBS").as_deref() == Ok("probe") {
        return vec![
            bomb_locals_x_branches(10, 4_000),
            bomb_locals_x_branches(50, 4_000),
            bomb_locals_x_branches(1_000, 500),
            bomb_locals_x_branches(2, 8_000),
        ];
    }
    vec![
        bomb_many_functions(1_000),
        bomb_many_functions(5_000),
        bomb_deep_stack(5_000),
        bomb_deep_stack(20_000),
        bomb_nested_branches(100, 40),
        bomb_nested_branches(400, 40),
        bomb_locals_x_branches(250, 1_000),
        bomb_locals_x_branches(500, 2_000),
        bomb_locals_x_branches(1_000, 4_000),
        bomb_locals_x_branches(1_000, 1_000),
        bomb_locals_x_branches(100, 10_000),
        bomb_br_table_loop(1_000, 2_000),
        bomb_br_table_loop(4_000, 4_000),
    ]
}

fn compile_bombs() {
    if std::env::var("BOMBS").as_deref() == Ok("0") {
        return;
    }
    println!("\n## Compile bombs (install on a fresh runtime, no module cache)\n");
    println!(
        "| shape | module bytes | functions | operators | exit | install ms | peak extra MB | compile gas | install gas | ns per compile gas |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for bomb in bombs() {
        let wasm = wat::parse_str(&bomb.wat).unwrap();
        let (ms, mb, gas, exit, msg) = install_fresh(&wasm);
        let note = if exit.is_success() {
            String::new()
        } else {
            format!(" ({})", msg.chars().take(60).collect::<String>())
        };
        let (funcs, ops, cgas) = match tandem_wasm::validate::validate(&wasm) {
            Ok(info) => (
                info.functions,
                info.operators,
                tandem_wasm::validate::compile_cost(&info).round_up(),
            ),
            Err(_) => (0, 0, 0),
        };
        println!(
            "| {} | {} | {funcs} | {ops} | {}{note} | {ms:.0} | {mb:.0} | {cgas} | {gas} | {:.3} |",
            bomb.name,
            wasm.len(),
            exit.value(),
            ms * 1e6 / cgas.max(1) as f64
        );
    }
}

fn instantiation_table() {
    println!("\n## Instantiation (one message to a module that returns at once)\n");
    println!("| module | gas charged | wall µs (median of 9) | ns per gas |");
    println!("|---|---|---|---|");
    let cases: [(&str, usize, u32, u32); 5] = [
        ("empty, 1 page", 0, 1, 0),
        ("100 KB data segment, 1 MiB memory", 100_000, 16, 0),
        ("100 KB data at the top of 128 MiB", 100_000, 2048, 0),
        ("128 MiB initial memory", 0, 2048, 0),
        ("table of 20,000 elements, initialised", 0, 1, 20_000),
    ];
    for (name, data, pages, table) in cases {
        let wasm = instantiation(data, pages, table);
        let mut c = chain();
        let (ret, code) = c.install_with_gas(&wasm, BLOCK_GAS);
        let Some(code) = code else {
            println!("| {name} | install refused: {} |  |  |", message(&ret));
            continue;
        };
        let (ret, out) = c.create(code, vec![]);
        let Some(out) = out else {
            println!(
                "| {name} | create failed: {:?} {} |  |  |",
                ret.receipt.exit_code,
                message(&ret)
            );
            continue;
        };
        let a = out.id_address;
        let mut ns = Vec::new();
        let mut gas = 0;
        for _ in 0..9 {
            let t = Instant::now();
            let ret = c.send_as(0, a, 2, vec![], BLOCK_GAS);
            ns.push(t.elapsed().as_nanos() as f64);
            gas = ret.receipt.gas_used;
        }
        let ns = median(&mut ns);
        println!(
            "| {name} | {gas} | {:.0} | {:.3} |",
            ns / 1e3,
            ns / gas as f64
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    run_time_attacks(&mut c);
    instantiation_table();
    compile_bombs();
    c.final_summary();
}
