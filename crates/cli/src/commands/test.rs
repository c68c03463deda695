//! `tandem test`: runs a package's call-DSL tests. Each `test/<Name>.calls` holds the lines of
//! a fixture's expectation block (see `tandem_lang_harness::fixture` for the grammar) for the
//! contracts of `src/<Name>.tdm` (the stem matched without regard to case). Every test runs on
//! plain revm and on Tandem's own VM, which must agree.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use tandem_lang_harness::fixture::{self, MARKER};

#[derive(Args, Debug, Clone)]
pub struct TestArgs {
    /// The package folder (default: the current directory).
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
}

pub fn run(args: TestArgs) -> anyhow::Result<()> {
    let (_, sources) = tandem_lang_driver::read_package(&args.path)?;
    let tests = calls_files(&args.path.join("test"))?;
    if tests.is_empty() {
        bail!(
            "no tests: write call expectations in {}",
            args.path.join("test/<Contract>.calls").display()
        );
    }
    let mut failed = 0;
    for test in &tests {
        match run_one(test, &sources) {
            Ok(report) => println!(
                "ok   {} ({} transactions, revm and the Tandem VM agree)",
                test.display(),
                report.transactions
            ),
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

fn calls_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "calls"))
        .collect();
    out.sort();
    Ok(out)
}

/// Appends the test's lines, as an expectation block, to the source it names and runs the
/// fixture; errors point at the `.calls` file's own lines.
fn run_one(test: &Path, sources: &[(String, String)]) -> anyhow::Result<fixture::Report> {
    let stem = test
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_lowercase();
    let text = std::fs::read_to_string(test).with_context(|| format!("{}", test.display()))?;
    let mut sources = sources.to_vec();
    let Some(target) = sources.iter_mut().find(|(name, _)| {
        Path::new(name)
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.to_lowercase() == stem)
    }) else {
        bail!(
            "{}: no source src/{stem}.tdm for this test (tests are named after a source file)",
            test.display()
        );
    };
    if target.1.lines().any(|l| l.trim() == MARKER) {
        bail!("{} already holds an expectation block", target.0);
    }
    if !target.1.ends_with('\n') {
        target.1.push('\n');
    }
    let offset = target.1.lines().count() + 1;
    target.1.push_str(MARKER);
    target.1.push('\n');
    for line in text.lines() {
        target.1.push_str("// ");
        target.1.push_str(line);
        target.1.push('\n');
    }
    let name = test.display().to_string();
    let run = fixture::parse(&name, sources).and_then(|f| fixture::run(&f));
    run.map_err(|mut e| {
        e.file = name.clone();
        e.line = e.line.saturating_sub(offset);
        anyhow::anyhow!("{e}")
    })
}
