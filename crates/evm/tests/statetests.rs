//! Ethereum's GeneralStateTests (Cancun) through Tandem's executor.
//!
//! Needs `../shared/fixtures/ethereum-state-tests` beside the repository; skips with a message
//! when it is absent. `TANDEM_STATETEST_PATH` narrows the run to one file or folder.

use std::path::PathBuf;

use tandem_evm::statetest::Runner;

/// The pass ratio reached; a regression below it fails the test. Remaining failures are listed
/// in docs/evm.md.
const MIN_PASS_RATIO: f64 = 0.9998;

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/ethereum-state-tests/GeneralStateTests");
    dir.is_dir().then_some(dir)
}

#[test]
fn cancun_state_tests() {
    let Some(dir) = fixtures() else {
        eprintln!("skipped: ../shared/fixtures/ethereum-state-tests is not present");
        return;
    };
    let path = std::env::var("TANDEM_STATETEST_PATH")
        .map(PathBuf::from)
        .unwrap_or(dir);
    let summary = Runner::default()
        .run_paths(&[path], |f| eprintln!("{f}"))
        .expect("state tests run");
    eprintln!(
        "{} passed, {} failed, {} skipped ({:.3}%)",
        summary.passed,
        summary.failed,
        summary.skipped,
        summary.pass_ratio() * 100.0
    );
    assert!(summary.passed > 0, "no state test ran");
    assert!(
        summary.pass_ratio() >= MIN_PASS_RATIO,
        "pass ratio {:.4} fell below {MIN_PASS_RATIO}",
        summary.pass_ratio()
    );
}
