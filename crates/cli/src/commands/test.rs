//! `tandem test`: runs a package's call-DSL tests. Each `test/<Name>.calls` holds the lines of
//! a fixture's expectation block (see `tandem_lang_harness::fixture` for the grammar) for the
//! contracts of `src/<Name>.tdm` (the stem matched without regard to case). With `--target
//! all` (the default; `test-target` in `Tandem.toml` may change it) every test runs on the EVM
//! target (the EVM build on plain revm and on Tandem's VM) and on the WASM target (the WASM
//! build on Tandem's VM), which must all agree; `evm` or `wasm` runs one target.
//!
//! Each `test/*.tdm` holds tests written in the language (`#[test]` handlers of a test
//! contract, docs/testing.md), run by `tandem_lang_harness::lang_test` on the same targets:
//! the EVM build, and the WASM build (the test contract and the package's contracts as native
//! actors) on the Tandem VM: one line per test and target, the reason of a failure (with `-v`
//! its call trace), then the gas of every handler the tests called, per target.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use tandem_lang_harness::fixture::{Report, Targets, package};
use tandem_lang_harness::lang_test::{self, GasRow};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestTarget {
    /// The EVM build, on plain revm and on the Tandem VM.
    Evm,
    /// The WASM build (a native actor), on the Tandem VM.
    Wasm,
    /// Both: every outcome must agree.
    All,
}

#[derive(Args, Debug, Clone)]
pub struct TestArgs {
    /// The package folder (default: the current directory).
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Which builds run (default: all, or `test-target` in Tandem.toml).
    #[arg(long, value_enum)]
    pub target: Option<TestTarget>,
    /// Print the call trace of each failing language test (set by the global `-v`).
    #[arg(skip)]
    pub verbose: bool,
}

pub fn run(args: TestArgs) -> anyhow::Result<()> {
    let (_, sources) = tandem_lang_driver::read_package(&args.path)?;
    let manifest = std::fs::read_to_string(args.path.join("Tandem.toml"))
        .with_context(|| format!("reading {}", args.path.join("Tandem.toml").display()))?;
    let targets = match args.target {
        Some(TestTarget::Evm) => Targets::evm(),
        Some(TestTarget::Wasm) => Targets::wasm(),
        Some(TestTarget::All) => Targets::all(),
        None => package::manifest_targets(&manifest)
            .map_err(|e| anyhow::anyhow!(e))?
            .unwrap_or_else(Targets::all),
    };
    let tests = package::calls_files(&args.path.join("test")).map_err(|e| anyhow::anyhow!(e))?;
    let lang = lang_test::test_files(&args.path.join("test")).map_err(|e| anyhow::anyhow!(e))?;
    if tests.is_empty() && lang.is_empty() {
        bail!(
            "no tests: write call expectations in {} or tests in {}",
            args.path.join("test/<Contract>.calls").display(),
            args.path.join("test/<name>.tdm").display()
        );
    }
    let mut failed = 0;
    let mut passed = 0;
    for test in &tests {
        match package::run_calls(test, &sources, &targets) {
            Ok(report) => match refused(&report, &targets) {
                None => {
                    passed += 1;
                    println!("ok   {} ({})", test.display(), summary(&report, &targets))
                }
                Some(why) => {
                    failed += 1;
                    println!("FAIL {}: {why}", test.display());
                }
            },
            Err(e) => {
                failed += 1;
                println!("FAIL {e}");
            }
        }
    }
    let mut lang_targets = Vec::new();
    if targets.evm {
        lang_targets.push(lang_test::Target::Evm);
    }
    if targets.wasm {
        lang_targets.push(lang_test::Target::Wasm);
    }
    let (lp, lf) = run_lang(&lang, &sources, args.verbose, &lang_targets);
    passed += lp;
    failed += lf;
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} test(s) failed");
    }
    Ok(())
}

/// Runs the language tests of `files` on each target; (passed, failed). With more than one
/// target each line names its target. Prints a gas report per target at the end.
fn run_lang(
    files: &[PathBuf],
    sources: &[(String, String)],
    verbose: bool,
    targets: &[lang_test::Target],
) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    let mut gas: BTreeMap<&str, BTreeMap<String, GasRow>> = BTreeMap::new();
    for &target in targets {
        let tag = if targets.len() > 1 {
            format!(" [{}]", target.name())
        } else {
            String::new()
        };
        for file in files {
            let shown = format!(
                "test/{}",
                file.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
            );
            let report = match lang_test::run_file_on(file, sources, target) {
                Ok(r) => r,
                Err(e) => {
                    failed += 1;
                    println!("FAIL {shown}{tag}: {e}");
                    continue;
                }
            };
            for t in &report.tests {
                let name = format!("{shown}::{}{tag}", t.name);
                if t.passed {
                    passed += 1;
                    println!("ok   {name} (gas {})", t.gas);
                    continue;
                }
                failed += 1;
                let why = t.reason.as_deref().unwrap_or("failed");
                println!("FAIL {name}: {}", why.replace('\n', "\n     "));
                if verbose {
                    println!("     trace:");
                    for line in t.trace.lines() {
                        println!("       {line}");
                    }
                }
            }
            let rows = gas.entry(target.name()).or_default();
            for (k, row) in report.gas {
                rows.entry(k).or_default().merge(&row);
            }
        }
    }
    for (target, rows) in &gas {
        if !rows.is_empty() {
            let which = if targets.len() > 1 {
                format!(", {target} build")
            } else {
                String::new()
            };
            print_gas(rows, &which);
        }
    }
    if failed > 0 && !verbose && !files.is_empty() {
        println!("(-v prints the call trace of each failing test)");
    }
    (passed, failed)
}

fn print_gas(gas: &BTreeMap<String, GasRow>, which: &str) {
    let width = gas.keys().map(String::len).max().unwrap_or(0).max(7);
    println!("gas report (gas used inside each frame; the language tests' calls{which}):");
    println!(
        "  {:<width$} {:>6} {:>10} {:>10} {:>10}",
        "handler", "calls", "min", "avg", "max"
    );
    for (k, r) in gas {
        let avg = r.total / r.calls.max(1);
        println!(
            "  {k:<width$} {:>6} {:>10} {:>10} {:>10}",
            r.calls, r.min, avg, r.max
        );
    }
}

/// A WASM build the backend refused fails a test that asked for both targets.
fn refused(r: &Report, targets: &Targets) -> Option<String> {
    let e = r.wasm.refused.as_ref().filter(|_| targets.wasm)?;
    Some(format!(
        "the WASM target cannot build this package: {} (the EVM target passed; `--target evm` runs it alone)",
        e.trim()
    ))
}

fn summary(r: &Report, targets: &Targets) -> String {
    let mut parts = Vec::new();
    if targets.evm {
        parts.push(format!(
            "{} transactions; revm and the Tandem VM agree",
            r.transactions
        ));
    }
    if r.wasm.ran {
        let mut s = format!("{} sent to the WASM build", r.wasm.compared);
        if targets.evm {
            s.push_str(", which agrees");
        }
        parts.push(s);
        for (line, why) in &r.wasm.skipped {
            parts.push(format!("line {line} not run on WASM: {why}"));
        }
    }
    parts.join("; ")
}
