//! Random valid WASM modules (wasm-smith, configured to Tandem's feature set and limits,
//! importing `tandem_v1` syscalls with their real signatures, exporting `invoke` and
//! `memory`) installed through Init `InstallCode`, created and invoked. Invariants: no panic,
//! no node failure, every state commits, and two runs from the same genesis give the same
//! receipts (exit code, gas, return data) and state roots. The second run finds the module in
//! the runtime's compiled-module cache, so a cache hit must not change anything either.
//!
//! The long run's summary reports wall time per gas of the invoke messages (not asserted).

use std::time::Instant;

use arbitrary::Unstructured;
use cid::Cid;
use fvm_shared::address::Address;
use rand::Rng;
use rand::rngs::StdRng;
use tandem_wasm::config;

use super::native::{NativeChain, Observed, Runtimes3, observe};
use super::syscalls::SYSCALL_SIGNATURES;
use crate::{Stats, Target};

const INSTALL_GAS: u64 = 30_000_000;
const CALL_GAS: u64 = 10_000_000;

/// A module importing every syscall (what wasm-smith may import).
pub fn imports_module() -> Vec<u8> {
    let mut wat = String::from("(module\n");
    for (name, params) in SYSCALL_SIGNATURES {
        let ps: Vec<&str> = params.iter().map(|p| p.wat()).collect();
        wat.push_str(&format!(
            "  (import \"{}\" \"{name}\" (func (param {}) (result i32)))\n",
            config::SYSCALL_MODULE,
            ps.join(" ")
        ));
    }
    wat.push(')');
    wat::parse_str(&wat).expect("the imports module")
}

/// A module with the required exports.
pub fn exports_module() -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module (memory (export "{}") 1) (func (export "{}") (param i32) (result i32) unreachable))"#,
        config::MEMORY_EXPORT,
        config::ENTRY_POINT
    ))
    .unwrap()
}

pub fn smith_config(rng: &mut StdRng, imports: &[u8], exports: &[u8]) -> wasm_smith::Config {
    let mut c = wasm_smith::Config {
        available_imports: Some(imports.to_vec()),
        exports: Some(exports.to_vec()),
        ..wasm_smith::Config::default()
    };
    c.simd_enabled = false;
    c.relaxed_simd_enabled = false;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.tail_call_enabled = false;
    c.exceptions_enabled = false;
    c.gc_enabled = false;
    c.custom_descriptors_enabled = false;
    c.memory64_enabled = false;
    c.extended_const_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.multi_value_enabled = true;
    c.bulk_memory_enabled = true;
    c.saturating_float_to_int_enabled = true;
    c.sign_extension_ops_enabled = true;
    c.reference_types_enabled = false;
    // Float arithmetic is refused at install: most modules leave it out, so they run.
    c.allow_floats = rng.random_bool(0.25);
    // Half the modules cannot trap, so more constructors succeed and calls run.
    c.disallow_traps = rng.random_bool(0.5);
    c.max_memories = 0;
    c.max_tables = config::MAX_TABLES as usize;
    c.max_memory32_bytes = config::MAX_INSTANCE_MEMORY;
    c.max_table_elements = config::MAX_TABLE_ELEMENTS;
    c.max_imports = rng.random_range(0..30);
    c.max_funcs = rng.random_range(1..60);
    c.max_instructions = rng.random_range(10..400);
    c.max_globals = 20;
    c.max_data_segments = 10;
    c.max_element_segments = 10;
    c.max_elements = 100;
    c.max_exports = 20;
    c.max_nesting_depth = 20;
    c
}

pub struct WasmTarget {
    rt: Runtimes3,
    imports: Vec<u8>,
    exports: Vec<u8>,
}

impl WasmTarget {
    pub fn new() -> Self {
        Self {
            rt: Runtimes3::new(),
            imports: imports_module(),
            exports: exports_module(),
        }
    }

    pub fn generate(&self, rng: &mut StdRng) -> Option<Vec<u8>> {
        let config = smith_config(rng, &self.imports, &self.exports);
        let n = rng.random_range(256..16_384);
        let data = crate::bytes(rng, n);
        let mut u = Unstructured::new(&data);
        wasm_smith::Module::new(config, &mut u)
            .ok()
            .map(|m| m.to_bytes())
    }
}

impl Default for WasmTarget {
    fn default() -> Self {
        Self::new()
    }
}

/// The messages of one run of a module: install, create, then calls.
#[derive(Debug, Clone)]
pub struct Plan {
    pub ctor_params: Vec<u8>,
    pub calls: Vec<(u64, Vec<u8>)>,
}

/// What one run observed.
#[derive(Debug, PartialEq, Eq)]
pub struct Run {
    pub observed: Vec<Observed>,
    pub roots: Vec<Cid>,
}

/// Installs, creates and calls on a fresh chain; returns the observations and the gas and
/// wall time of the calls.
pub fn run_module(rt: &Runtimes3, wasm: &[u8], plan: &Plan, stats: &mut Stats, timed: bool) -> Run {
    let mut chain = NativeChain::new(rt);
    let mut run = Run {
        observed: Vec::new(),
        roots: Vec::new(),
    };
    let (ret, code) = chain.install(wasm, INSTALL_GAS);
    run.observed.push(observe(&ret));
    run.roots.push(chain.commit());
    let Some(code) = code else {
        if timed {
            let msg = ret
                .receipt
                .return_data
                .deserialize::<String>()
                .unwrap_or_else(|_| ret.failure.clone().unwrap_or_default());
            let why: String = msg.chars().take(60).collect();
            stats.count(&format!("install refused: {why}"));
        }
        return run;
    };
    let t = Instant::now();
    let (ret, actor) = chain.create(code, plan.ctor_params.clone(), CALL_GAS);
    if timed {
        let elapsed = t.elapsed();
        stats.exec_time += elapsed;
        stats.gas += ret.receipt.gas_used;
        stats.time_per_gas(ret.receipt.gas_used, elapsed, "constructor", wasm);
    }
    run.observed.push(observe(&ret));
    run.roots.push(chain.commit());
    let Some(actor): Option<Address> = actor else {
        if timed {
            let why: String = ret
                .failure
                .clone()
                .unwrap_or_default()
                .chars()
                .take(50)
                .collect();
            stats.count(&format!("constructor failed: {why}"));
        }
        return run;
    };
    for (method, params) in &plan.calls {
        let t = Instant::now();
        let ret = chain.send(0, actor, *method, params.clone(), 0, CALL_GAS);
        if timed {
            let elapsed = t.elapsed();
            stats.exec_time += elapsed;
            stats.gas += ret.receipt.gas_used;
            stats.time_per_gas(
                ret.receipt.gas_used,
                elapsed,
                &format!("method {method}"),
                wasm,
            );
            stats.count(if ret.receipt.exit_code.is_success() {
                "invoke ok"
            } else {
                "invoke failed"
            });
        }
        run.observed.push(observe(&ret));
        run.roots.push(chain.commit());
    }
    run
}

/// A new slowest message may be one timing caught by a preemption or a page fault: the
/// module's plan runs again a few times and keeps its best (lowest) time, so only a module
/// that is slow every time stays the slowest.
fn confirm_slowest(
    rt: &Runtimes3,
    wasm: &[u8],
    plan: &Plan,
    stats: &mut Stats,
    before: Option<crate::Slowest>,
) {
    const RERUNS: usize = 4;
    let Some(mut candidate) = stats.slowest.take() else {
        return;
    };
    for _ in 0..RERUNS {
        let mut scratch = Stats::default();
        run_module(rt, wasm, plan, &mut scratch, true);
        // The rerun's slowest message (normally the same one).
        candidate.ns_per_gas = candidate.ns_per_gas.min(scratch.slowest_ns_per_gas());
    }
    stats.slowest = if candidate.ns_per_gas > crate::ns_per_gas_of(before.as_ref()) {
        Some(candidate)
    } else {
        before
    };
}

impl Target for WasmTarget {
    const NAME: &'static str = "wasm";

    fn iteration(&mut self, rng: &mut StdRng, stats: &mut Stats) {
        let Some(wasm) = self.generate(rng) else {
            stats.count("wasm-smith gave up");
            return;
        };
        let cbor = |rng: &mut StdRng| {
            let n = rng.random_range(0..40);
            fvm_ipld_encoding::to_vec(&fvm_ipld_encoding::RawBytes::new(crate::bytes(rng, n)))
                .unwrap()
        };
        let plan = Plan {
            ctor_params: if rng.random_bool(0.5) {
                Vec::new()
            } else {
                cbor(rng)
            },
            calls: (0..rng.random_range(1..4))
                .map(|_| {
                    let method = match rng.random_range(0..4) {
                        0 => 2,
                        1 => 1,
                        2 => rng.random_range(0..1000),
                        _ => rng.random(),
                    };
                    let params = if rng.random_bool(0.5) {
                        Vec::new()
                    } else {
                        cbor(rng)
                    };
                    (method, params)
                })
                .collect(),
        };
        let slowest_before = stats.slowest.clone();
        let a = run_module(&self.rt, &wasm, &plan, stats, true);
        if stats.slowest_ns_per_gas() > crate::ns_per_gas_of(slowest_before.as_ref()) {
            confirm_slowest(&self.rt, &wasm, &plan, stats, slowest_before);
        }
        let b = run_module(&self.rt, &wasm, &plan, stats, false);
        assert_eq!(
            a,
            b,
            "two runs of one module differ; module (hex): {}",
            hex::encode(&wasm)
        );
    }
}
