//! `tandem bench`: a fixed set of workloads on an in-memory chain, each timed as the median
//! nanoseconds per operation and compared with its peer in the same run (plain revm for the
//! EVM rows, the EVM for the native rows), as `revme bench` does for revm.
//!
//! Workloads:
//! - `value-transfer`: a native message moving value between two accounts (no signature
//!   check: that is the mempool's job, and it would dominate the row);
//! - `evm-erc20-transfer` / `revm-erc20-transfer`: the Tandem language's ERC-20 (compiled by
//!   this workspace's compiler) `transfer` to rotating holders, on Tandem and on plain revm,
//!   same bytecode, same spec (Cancun), same transactions;
//! - `evm-storage-loop` / `revm-storage-loop`: one call that increments 50 storage slots;
//! - `evm-empty-call` and `native-empty-call`: a call to code that does nothing;
//! - `native-token-transfer`: the example FRC-46-style token actor's `Transfer`;
//! - `wasm-erc20-transfer`: the same ERC-20 source built as a native actor (the language's
//!   WASM target), `Send` (FRC-0042, DAG-CBOR) to the same holders;
//! - `wasmtime-empty-call`: the empty module on plain wasmtime with Tandem's engine
//!   configuration, a fresh store per call: the floor under `native-empty-call`.
//!
//! Every row also reports the median gas of its timed operations (an operation's gas varies a
//! little with its receiver); the EVM rows must use exactly the gas of their revm twins (the
//! run fails otherwise, since that would be a consensus bug).

pub mod calibrate;
mod chain;
mod evm;
mod lang;
mod native;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use chain::BenchChain;

/// One measured workload.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: &'static str,
    /// Median wall time of one operation, in nanoseconds.
    pub ns_per_op: f64,
    /// Median gas of the timed operations.
    pub gas_per_op: u64,
    /// Operations timed.
    pub ops: u64,
    /// The row this one is compared with, and `ns_per_op / peer's ns_per_op`.
    pub peer: Option<&'static str>,
    pub ratio: Option<f64>,
    /// The target ratio, when the project has one.
    pub target: Option<f64>,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run only workloads whose name contains this.
    pub filter: Option<String>,
    /// Wall time spent measuring each workload (warm-up excluded).
    pub time_per_workload: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            filter: None,
            time_per_workload: Duration::from_millis(2_500),
        }
    }
}

/// A workload: a name and an operation that returns the gas it used.
pub(crate) struct Workload {
    pub name: &'static str,
    pub op: Box<dyn FnMut() -> anyhow::Result<u64>>,
}

/// (row, peer, target ratio)
const PEERS: &[(&str, &str, Option<f64>)] = &[
    ("evm-erc20-transfer", "revm-erc20-transfer", Some(1.3)),
    ("evm-storage-loop", "revm-storage-loop", None),
    ("native-empty-call", "evm-empty-call", Some(1.5)),
    ("native-token-transfer", "evm-erc20-transfer", Some(0.5)),
    ("wasm-erc20-transfer", "evm-erc20-transfer", Some(0.5)),
];

/// Runs every workload (or the filtered ones) and returns the rows with their ratios.
pub fn run(opts: &Options) -> anyhow::Result<Vec<Row>> {
    let mut workloads = Vec::new();
    workloads.extend(native::workloads()?);
    workloads.extend(evm::workloads()?);
    workloads.extend(lang::workloads()?);
    let mut rows = Vec::new();
    for mut w in workloads {
        if opts.filter.as_deref().is_some_and(|f| !w.name.contains(f)) {
            continue;
        }
        let (ns_per_op, gas_per_op, ops) = measure(&mut w.op, opts.time_per_workload)?;
        rows.push(Row {
            name: w.name,
            ns_per_op,
            gas_per_op,
            ops,
            peer: None,
            ratio: None,
            target: None,
        });
    }
    for (name, peer, target) in PEERS {
        let peer_ns = rows.iter().find(|r| r.name == *peer).map(|r| r.ns_per_op);
        if let (Some(row), Some(peer_ns)) = (rows.iter_mut().find(|r| r.name == *name), peer_ns) {
            row.peer = Some(peer);
            row.ratio = Some(row.ns_per_op / peer_ns);
            row.target = *target;
        }
    }
    Ok(rows)
}

/// Times `op`: a warm-up, then nine samples; the median sample's time per operation and the
/// median gas of every timed operation.
fn measure(
    op: &mut dyn FnMut() -> anyhow::Result<u64>,
    budget: Duration,
) -> anyhow::Result<(f64, u64, u64)> {
    let warm = Instant::now();
    let mut warm_ops = 0u64;
    while warm_ops < 20 || warm.elapsed() < budget / 10 {
        op()?;
        warm_ops += 1;
    }
    let per_op = warm.elapsed().as_secs_f64() / warm_ops as f64;
    const SAMPLES: u32 = 9;
    let per_sample = ((budget.as_secs_f64() / SAMPLES as f64) / per_op).max(1.0) as u64;
    let mut samples = Vec::with_capacity(SAMPLES as usize);
    // Gas per operation, counted by value: a workload's operations use a handful of amounts.
    let mut gas: BTreeMap<u64, u64> = BTreeMap::new();
    for _ in 0..SAMPLES {
        let start = Instant::now();
        for _ in 0..per_sample {
            *gas.entry(op()?).or_default() += 1;
        }
        samples.push(start.elapsed().as_nanos() as f64 / per_sample as f64);
    }
    samples.sort_by(f64::total_cmp);
    let ops = per_sample * SAMPLES as u64;
    Ok((samples[samples.len() / 2], median_of_counts(&gas, ops), ops))
}

/// The median value of `total` observations counted by value (the lower median).
fn median_of_counts(counts: &BTreeMap<u64, u64>, total: u64) -> u64 {
    let middle = total.saturating_sub(1) / 2;
    let mut seen = 0u64;
    for (value, n) in counts {
        seen += n;
        if seen > middle {
            return *value;
        }
    }
    0
}

/// The rows as a table for people.
pub fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<24} {:>12} {:>10} {:>9}  {}\n",
        "workload", "ns/op", "gas/op", "ops", "ratio"
    );
    for r in rows {
        let ratio = match (r.peer, r.ratio) {
            (Some(peer), Some(ratio)) => {
                let target = match r.target {
                    Some(t) if ratio <= t => format!(" (target ≤ {t}: met)"),
                    Some(t) => format!(" (target ≤ {t}: NOT met)"),
                    None => String::new(),
                };
                format!("{ratio:.2}× {peer}{target}")
            }
            _ => String::new(),
        };
        out.push_str(&format!(
            "{:<24} {:>12.0} {:>10} {:>9}  {}\n",
            r.name, r.ns_per_op, r.gas_per_op, r.ops, ratio
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_gas_is_the_middle_operation() {
        let counts = BTreeMap::from([(100, 1), (200, 3), (900, 1)]);
        assert_eq!(median_of_counts(&counts, 5), 200);
        // Even counts: the lower median.
        let counts = BTreeMap::from([(100, 2), (200, 2)]);
        assert_eq!(median_of_counts(&counts, 4), 100);
        let counts = BTreeMap::from([(7, 1)]);
        assert_eq!(median_of_counts(&counts, 1), 7);
    }

    /// The measured gas is the median of the operations, not the last one.
    #[test]
    fn measure_reports_the_median_gas() {
        let mut i = 0u64;
        let mut op = move || {
            i += 1;
            // Four in five operations use 50; every fifth uses 1,000.
            Ok(if i.is_multiple_of(5) { 1_000 } else { 50 })
        };
        let (_, gas, ops) = measure(&mut op, Duration::from_millis(20)).unwrap();
        assert!(ops >= 9);
        assert_eq!(gas, 50);
    }
}
