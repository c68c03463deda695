//! Stable-Rust fuzzing of Tandem's surfaces.
//!
//! Every target is a module under [`targets`] with one entry point, `iteration(ctx, rng)`,
//! that generates one random case from a seeded RNG, runs it and asserts the target's
//! invariants (by panicking). The driver ([`run`]) derives each iteration's RNG from the run's
//! seed and the iteration number, so any failure is reproduced by `--seed S --start I
//! --iterations 1`. No nightly, no cargo-fuzz: `arbitrary` and `wasm-smith` read bytes from
//! the seeded RNG where a structured generator is needed.
//!
//! - `evm`: random bytecode and transactions on Tandem and on plain revm (Cancun), compared.
//! - `wasm`: random valid modules (wasm-smith) installed and invoked twice from one genesis.
//! - `syscalls`: random arguments and DAG-CBOR blocks to every `tandem_v1` syscall.
//! - `rpc`: random and malformed JSON-RPC against an in-process node.
//! - `lang`: random token streams and mutated fixtures through the language front end.
//! - `lang-diff`: random well-typed programs on the EVM and WASM builds, which must agree.

pub mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The iteration's RNG: a function of the run's seed and the iteration number only.
pub fn iteration_rng(seed: u64, iteration: u64) -> StdRng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    s[8..16].copy_from_slice(&iteration.to_le_bytes());
    s[16..24].copy_from_slice(b"tandemfz");
    StdRng::from_seed(s)
}

/// `n` random bytes (for `arbitrary::Unstructured`).
pub fn bytes(rng: &mut impl Rng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng.fill(&mut v[..]);
    v
}

/// One of `items`.
pub fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Counters a target reports beside the iteration count (for the long run's summary).
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Named counters, e.g. "install refused", "known divergence: masked ID".
    pub counters: std::collections::BTreeMap<String, u64>,
    /// Gas charged and wall time spent running messages (the WASM target's ns-per-gas).
    pub gas: u64,
    pub exec_time: Duration,
    /// The message that ran slowest per gas among those that used at least
    /// [`SLOWEST_MIN_GAS`]: its ns per gas and the module it ran. A price-list audit: a
    /// module far above the calibrated rate spends its gas on something priced under its
    /// cost (`TANDEM_FUZZ_SLOWEST=FILE` writes the module there at the end).
    pub slowest: Option<Slowest>,
    /// The time the same messages took on a peer (plain revm for the EVM speed audit).
    pub peer_time: Duration,
    /// The message furthest above its peer per gas (the EVM speed audit's worst case).
    pub slowest_vs_peer: Option<Slowest>,
    /// The iteration running (set by [`run`]), so the slowest message can name it.
    pub iteration: u64,
}

/// The slowest message per gas a run found (see [`Stats::slowest`]).
#[derive(Debug, Clone)]
pub struct Slowest {
    pub ns_per_gas: f64,
    /// The same message's ns per gas on a peer, when it has one.
    pub peer_ns_per_gas: Option<f64>,
    pub gas: u64,
    /// Which message of the module's plan: "constructor" or "method N".
    pub message: String,
    /// The iteration that ran it (`--start` it with `--iterations 1` to run it again).
    pub iteration: u64,
    pub module: Vec<u8>,
}

impl Slowest {
    /// How many times its peer's time per gas it took (0 without a peer).
    pub fn peer_ratio(&self) -> f64 {
        self.peer_ns_per_gas
            .filter(|p| *p > 0.0)
            .map_or(0.0, |p| self.ns_per_gas / p)
    }
}

/// Messages below this much gas are too short to time against their gas.
pub const SLOWEST_MIN_GAS: u64 = 1_000_000;

impl Stats {
    pub fn count(&mut self, name: &str) {
        *self.counters.entry(name.to_string()).or_default() += 1;
    }

    /// Keeps `module` if this message of it ran slower per gas than any before.
    pub fn time_per_gas(&mut self, gas: u64, time: Duration, message: &str, module: &[u8]) {
        if gas < SLOWEST_MIN_GAS {
            return;
        }
        let ns_per_gas = time.as_nanos() as f64 / gas as f64;
        if ns_per_gas > self.slowest_ns_per_gas() {
            self.slowest = Some(Slowest {
                ns_per_gas,
                peer_ns_per_gas: None,
                gas,
                message: message.to_string(),
                iteration: self.iteration,
                module: module.to_vec(),
            });
        }
    }

    /// The slowest message's ns per gas so far (0 when none).
    pub fn slowest_ns_per_gas(&self) -> f64 {
        ns_per_gas_of(self.slowest.as_ref())
    }
}

/// A slowest message's ns per gas (0 for none, which any message beats).
pub fn ns_per_gas_of(slowest: Option<&Slowest>) -> f64 {
    slowest.map_or(0.0, |s| s.ns_per_gas)
}

/// A fuzz target: its shared context is built once per run.
pub trait Target {
    const NAME: &'static str;
    fn iteration(&mut self, rng: &mut StdRng, stats: &mut Stats);
}

/// How long a run goes on.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    Iterations(u64),
    Seconds(u64),
}

/// The result of a run.
#[derive(Debug)]
pub struct Summary {
    pub target: &'static str,
    pub seed: u64,
    pub iterations: u64,
    pub wall: Duration,
    pub stats: Stats,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "target {}: {} iterations in {:.1} s (seed {}), no crash",
            self.target,
            self.iterations,
            self.wall.as_secs_f64(),
            self.seed
        )?;
        for (k, v) in &self.stats.counters {
            writeln!(f, "  {k}: {v}")?;
        }
        if self.stats.gas > 0 {
            writeln!(
                f,
                "  executed {} gas in {:.2} s: {:.2} ns/gas",
                self.stats.gas,
                self.stats.exec_time.as_secs_f64(),
                self.stats.exec_time.as_nanos() as f64 / self.stats.gas as f64
            )?;
        }
        if self.stats.peer_time > Duration::ZERO && self.stats.gas > 0 {
            writeln!(
                f,
                "  the same gas on the peer: {:.2} s, {:.2} ns/gas",
                self.stats.peer_time.as_secs_f64(),
                self.stats.peer_time.as_nanos() as f64 / self.stats.gas as f64
            )?;
        }
        if let Some(s) = &self.stats.slowest_vs_peer {
            writeln!(
                f,
                "  furthest above its peer: {:.2}× ({:.2} ns/gas against {:.2}, best of its re-runs; {}, {} gas, iteration {})",
                s.peer_ratio(),
                s.ns_per_gas,
                s.peer_ns_per_gas.unwrap_or(0.0),
                s.message,
                s.gas,
                s.iteration
            )?;
        }
        if let Some(s) = &self.stats.slowest {
            writeln!(
                f,
                "  slowest message of {SLOWEST_MIN_GAS} gas or more: {:.2} ns/gas, best of its re-runs ({}, {} gas, {} byte module, iteration {})",
                s.ns_per_gas,
                s.message,
                s.gas,
                s.module.len(),
                s.iteration
            )?;
        }
        Ok(())
    }
}

/// Runs `target` from iteration `start` within `budget`. A failing iteration panics again
/// with the seed and the iteration number that reproduce it.
pub fn run<T: Target>(target: &mut T, seed: u64, start: u64, budget: Budget) -> Summary {
    let began = Instant::now();
    let mut stats = Stats::default();
    let mut i = start;
    // A stack overflow aborts the process before any message; with TANDEM_FUZZ_TRACE set,
    // each iteration is announced first, so the last line names the culprit.
    let trace = std::env::var_os("TANDEM_FUZZ_TRACE").is_some();
    loop {
        match budget {
            Budget::Iterations(n) if i - start >= n => break,
            Budget::Seconds(s) if began.elapsed() >= Duration::from_secs(s) => break,
            _ => {}
        }
        if trace {
            eprintln!("{}: iteration {i} of seed {seed}", T::NAME);
        }
        let mut rng = iteration_rng(seed, i);
        stats.iteration = i;
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| target.iteration(&mut rng, &mut stats))) {
            eprintln!(
                "{}: iteration {i} of seed {seed} failed; reproduce with `tandem-fuzz {} --seed {seed} --start {i} --iterations 1`",
                T::NAME,
                T::NAME
            );
            resume_unwind(e);
        }
        i += 1;
    }
    Summary {
        target: T::NAME,
        seed,
        iterations: i - start,
        wall: began.elapsed(),
        stats,
    }
}

/// The iteration count of a CI run: `default`, or `TANDEM_FUZZ_ITERS` when set.
pub fn ci_iterations(default: u64) -> u64 {
    std::env::var("TANDEM_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
