//! `tandem test`: runs a package's call-DSL tests. Each `test/<Name>.calls` holds the lines of
//! a fixture's expectation block (see `tandem_lang_harness::fixture` for the grammar) for the
//! contracts of `src/<Name>.tdm` (the stem matched without regard to case). With `--target
//! all` (the default; `test-target` in `Tandem.toml` may change it) every test runs on the EVM
//! target (the EVM build on plain revm and on Tandem's VM) and on the WASM target (the WASM
//! build on Tandem's VM), which must all agree; `evm` or `wasm` runs one target.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use tandem_lang_harness::fixture::{Report, Targets, package};

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
    if tests.is_empty() {
        bail!(
            "no tests: write call expectations in {}",
            args.path.join("test/<Contract>.calls").display()
        );
    }
    let mut failed = 0;
    for test in &tests {
        match package::run_calls(test, &sources, &targets) {
            Ok(report) => match refused(&report, &targets) {
                None => println!("ok   {} ({})", test.display(), summary(&report, &targets)),
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
    println!("{} passed, {failed} failed", tests.len() - failed);
    if failed > 0 {
        bail!("{failed} test file(s) failed");
    }
    Ok(())
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
