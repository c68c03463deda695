//! Runs every fixture under `fixtures/features` (a `.tdm` file or a folder of them, with the
//! expectations in a trailing `// ---- expect` block; see `tandem_lang_harness::fixture`) on
//! both revm and Tandem's VM. A failure names the file and line.

use std::path::Path;
use tandem_lang_harness::fixture;

#[test]
fn feature_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features");
    let paths = fixture::discover(&dir).expect("fixtures/features");
    let mut failures = Vec::new();
    let mut gas_differences = Vec::new();
    let mut floor = 0;
    let mut transactions = 0;
    for path in &paths {
        match fixture::run_path(path) {
            Ok(report) => {
                transactions += report.transactions;
                floor += report.calldata_floor_differences.len();
                for (line, revm, tandem) in report.gas_differences {
                    gas_differences.push(format!(
                        "{}:{line}: revm {revm}, Tandem VM {tandem}",
                        path.display()
                    ));
                }
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixture(s) failed:\n\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n\n")
    );
    // revm runs Osaka, whose intrinsic gas has EIP-7623's calldata floor; the Tandem VM
    // follows Cancun. That difference is expected; any other is a failure.
    eprintln!(
        "{} fixtures, {transactions} transactions per backend; {floor} paid EIP-7623's calldata floor on revm only",
        paths.len()
    );
    assert!(
        gas_differences.is_empty(),
        "gas differs between revm and the Tandem VM on {} transaction(s):\n{}",
        gas_differences.len(),
        gas_differences.join("\n")
    );
    assert!(paths.len() >= 18, "only {} fixtures found", paths.len());
}
