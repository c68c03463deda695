//! `tandem bench --calibrate`: the native price list against the clock.
//!
//! Each row is one instruction class, syscall or instantiation cost. It runs two versions of
//! one module on an in-memory chain, the same code with a different repeat count (or, for
//! instantiation rows, without and with the priced thing), interleaved message by message.
//! Dividing the difference in median wall time by the difference in gas gives the row's
//! nanoseconds per gas, with the message's own overhead cancelled out. The common rate is the
//! median over the compute rows; a row is calibrated when its rate is within 2× of it.
//!
//! Rows of kind `state` are priced for what they leave behind (a stored byte costs every
//! node forever, docs/gas.md), and rows of kind `storage` at the EVM's schedule for the same
//! storage access (cold slot and account reads, slot updates), which covers a disk-backed
//! node's reads and keeps one slot costing the same from both runtimes; neither is held to the
//! common rate of this in-memory run, but both are shown.

mod evm_rows;
mod rows;

pub use evm_rows::EvmRow;

use std::time::{Duration, Instant};

use anyhow::Context;
use fvm_shared::econ::TokenAmount;
use serde::Serialize;

use crate::chain::BenchChain;

/// What a row's price stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Priced by the clock: must be within 2× of the common rate.
    Compute,
    /// Priced by the state it leaves behind (see the module docs).
    State,
    /// Priced as the EVM prices the same storage access (see the module docs).
    Storage,
}

/// A measured row of the calibration table.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationRow {
    pub name: &'static str,
    pub kind: Kind,
    /// What one "unit" of the row is (an operation, a byte, a page…).
    pub unit: &'static str,
    pub gas_per_unit: f64,
    pub ns_per_unit: f64,
    pub ns_per_gas: f64,
    /// `ns_per_gas` over the common rate (compute rows only).
    pub ratio: Option<f64>,
}

/// The calibration: the rows and the common rate they are held to.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub common_ns_per_gas: f64,
    pub rows: Vec<CalibrationRow>,
    /// The EVM audit: Ethereum's schedule against the clock, on Tandem and on plain revm.
    pub evm_rows: Vec<EvmRow>,
}

impl Calibration {
    /// Compute rows outside 2× of the common rate.
    pub fn outliers(&self) -> Vec<&CalibrationRow> {
        self.rows
            .iter()
            .filter(|r| r.ratio.is_some_and(|x| !(0.5..=2.0).contains(&x)))
            .collect()
    }
}

/// One row to measure: two modules whose difference is `units` of the priced thing.
pub(crate) struct Probe {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    pub base: Vec<u8>,
    pub loaded: Vec<u8>,
    pub units: f64,
    /// The method both modules are sent (the attack modules loop only for method 3).
    pub method: u64,
    /// Measured with instance reuse off: rows whose price covers a fresh instance (the
    /// worst case a caller can force), so a warm instance's cheaper reset would say nothing
    /// about it.
    pub fresh: bool,
}

/// Measures every probe (or those whose name contains `filter`), `budget` each.
pub fn run(filter: Option<&str>, budget: Duration) -> anyhow::Result<Calibration> {
    let mut chain = BenchChain::new()?;
    let fixtures = rows::Fixtures::deploy(&mut chain)?;
    // The same genesis and the same deploys: the fixtures have the same addresses on both.
    let mut fresh_chain = BenchChain::fresh_instances_only()?;
    anyhow::ensure!(
        rows::Fixtures::deploy(&mut fresh_chain)? == fixtures,
        "the two calibration chains disagree on their fixtures"
    );
    let mut rows = Vec::new();
    for probe in rows::probes(&fixtures)? {
        if filter.is_some_and(|f| !probe.name.contains(f)) {
            continue;
        }
        let on = if probe.fresh {
            &mut fresh_chain
        } else {
            &mut chain
        };
        rows.push(
            measure(on, &probe, budget)
                .with_context(|| format!("calibration row {:?}", probe.name))?,
        );
    }
    let mut compute: Vec<f64> = rows
        .iter()
        .filter(|r| r.kind == Kind::Compute)
        .map(|r| r.ns_per_gas)
        .collect();
    compute.sort_by(f64::total_cmp);
    let common = compute.get(compute.len() / 2).copied().unwrap_or(f64::NAN);
    for r in &mut rows {
        if r.kind == Kind::Compute {
            r.ratio = Some(r.ns_per_gas / common);
        }
    }
    let evm_rows = evm_rows::run(filter, budget, common)?;
    Ok(Calibration {
        common_ns_per_gas: common,
        rows,
        evm_rows,
    })
}

fn measure(
    chain: &mut BenchChain,
    probe: &Probe,
    budget: Duration,
) -> anyhow::Result<CalibrationRow> {
    let base = chain.deploy_native(&probe.base, Vec::new())?;
    let loaded = chain.deploy_native(&probe.loaded, Vec::new())?;
    let (extra_ns, extra_gas) = paired(budget, |loaded_one| {
        let to = if loaded_one { loaded } else { base };
        let start = Instant::now();
        let ret = chain.send(to, probe.method, Vec::new(), TokenAmount::default())?;
        // A block of one message: persisting what the message wrote is part of its cost.
        chain.exec.flush()?;
        Ok((start.elapsed().as_nanos() as f64, ret.receipt.gas_used))
    })?;
    let extra_gas = extra_gas as f64;
    Ok(CalibrationRow {
        name: probe.name,
        kind: probe.kind,
        unit: probe.unit,
        gas_per_unit: extra_gas / probe.units,
        ns_per_unit: extra_ns / probe.units,
        ns_per_gas: if extra_gas > 0.0 {
            extra_ns / extra_gas
        } else {
            f64::INFINITY
        },
        ratio: None,
    })
}

/// Times the base (`send(false)`) and the loaded (`send(true)`) message of a probe, each
/// returning its wall time and gas: a warm-up (module caches, pool slots, first-touch page
/// faults), then interleaved pairs for `budget` and at least 9 pairs, since the median of
/// the per-pair differences cancels the slow drifts of a shared machine better than a
/// difference of two medians. The median extra time and the extra gas.
pub(crate) fn paired(
    budget: Duration,
    mut send: impl FnMut(bool) -> anyhow::Result<(f64, u64)>,
) -> anyhow::Result<(f64, u64)> {
    for _ in 0..3 {
        send(false)?;
        send(true)?;
    }
    let mut extra = Vec::new();
    let mut extra_gas = 0;
    let start = Instant::now();
    while extra.len() < 9 || start.elapsed() < budget {
        let (base_ns, base_gas) = send(false)?;
        let (loaded_ns, loaded_gas) = send(true)?;
        extra_gas = loaded_gas.saturating_sub(base_gas);
        extra.push(loaded_ns - base_ns);
    }
    Ok((median(&mut extra).max(0.0), extra_gas))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The calibration as a Markdown table (what docs/gas.md holds).
pub fn markdown(c: &Calibration) -> String {
    let mut out = format!(
        "Common rate (median of the compute rows): **{:.3} ns per gas**.\n\n\
         | row | kind | unit | gas/unit | ns/unit | ns/gas | × common |\n\
         |---|---|---|---|---|---|---|\n",
        c.common_ns_per_gas
    );
    for r in &c.rows {
        let ratio = match r.ratio {
            Some(x) if (0.5..=2.0).contains(&x) => format!("{x:.2}"),
            Some(x) => format!("**{x:.2}** (outside 2×)"),
            None => "—".into(),
        };
        let kind = match r.kind {
            Kind::Compute => "compute",
            Kind::State => "state",
            Kind::Storage => "storage",
        };
        out.push_str(&format!(
            "| {} | {kind} | {} | {} | {} | {:.3} | {ratio} |\n",
            r.name,
            r.unit,
            figure(r.gas_per_unit),
            figure(r.ns_per_unit),
            r.ns_per_gas,
        ));
    }
    if !c.evm_rows.is_empty() {
        out.push('\n');
        out.push_str(&evm_rows::markdown(&c.evm_rows));
    }
    out
}

/// Three significant figures, without exponent notation.
fn figure(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}
