//! Every example package's language tests (`examples/lang/*/test/*.tdm`) pass, as `tandem
//! test` runs them: on the targets the package's `Tandem.toml` asks for (`test-target`, both
//! builds when it does not say). Issue 17's five contracts are among them: the auction, the
//! staking pool over an ERC-20, the DAO with stored calls, the ERC-4626 vault and the
//! type-system stress test.

use std::path::{Path, PathBuf};

use tandem_lang_harness::fixture::Targets;
use tandem_lang_harness::fixture::package::manifest_targets;
use tandem_lang_harness::lang_test::{self, FileReport, Target};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../examples/lang")
}

/// The package's sources as the runner takes them: (`src/<file>.tdm`, text).
fn sources(package: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(package.join("src"))
        .unwrap_or_else(|e| panic!("{}: {e}", package.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tdm"))
        .map(|p| {
            let name = format!("src/{}", p.file_name().unwrap().to_str().unwrap());
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The targets `tandem test` runs by default in this package.
fn targets(package: &Path) -> Vec<Target> {
    let manifest = std::fs::read_to_string(package.join("Tandem.toml"))
        .unwrap_or_else(|e| panic!("{}: {e}", package.display()));
    let t = manifest_targets(&manifest)
        .unwrap_or_else(|e| panic!("{}: {e}", package.display()))
        .unwrap_or(Targets {
            evm: true,
            wasm: true,
            ..Targets::default()
        });
    let mut out = Vec::new();
    if t.evm {
        out.push(Target::Evm);
    }
    if t.wasm {
        out.push(Target::Wasm);
    }
    out
}

/// The example packages that hold language tests, by name.
fn packages() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| lang_test::test_files(&p.join("test")).is_ok_and(|files| !files.is_empty()))
        .map(|p| (p.file_name().unwrap().to_str().unwrap().to_string(), p))
        .collect();
    out.sort();
    out
}

fn run(package: &Path, test: &Path, target: Target) -> FileReport {
    lang_test::run_file_on(test, &sources(package), target)
        .unwrap_or_else(|e| panic!("{} [{}]: {e}", test.display(), target.name()))
}

#[test]
fn every_example_packages_language_tests_pass() {
    let found = packages();
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    for want in ["auction", "dao", "staking", "stress", "vault"] {
        assert!(
            names.contains(&want),
            "examples/lang/{want} has no language tests: {names:?}"
        );
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    for (name, dir) in &found {
        for target in targets(dir) {
            for test in lang_test::test_files(&dir.join("test")).unwrap() {
                let report = run(dir, &test, target);
                assert!(!report.tests.is_empty(), "{}", test.display());
                for t in &report.tests {
                    ran += 1;
                    if !t.passed {
                        failures.push(format!(
                            "{name}/{} {}::{} [{}]: {}\n{}",
                            test.file_name().unwrap().to_str().unwrap(),
                            t.contract,
                            t.name,
                            target.name(),
                            t.reason.clone().unwrap_or_default(),
                            t.trace
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 5 auction (EVM only); 6 staking, 6 DAO, 8 stress and 6 vault, each on both builds.
    assert!(ran >= 57, "only {ran} tests ran");
}
