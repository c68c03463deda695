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
    assert!(paths.len() >= 40, "only {} fixtures found", paths.len());
}

const SMALL: &str = "message M { Get { v: u256 } -> u256 }\nstruct S { }\ncontract C {\n    storage: S\n    recv M { Get { v } => { v + 1 } }\n}\n";

fn run_text(expect: &str) -> Result<fixture::Report, fixture::FixtureError> {
    let text = format!("{SMALL}// ---- expect\n{expect}");
    fixture::run(&fixture::parse("t.tdm", vec![("t.tdm".into(), text)])?)
}

#[test]
fn the_runner_catches_wrong_expectations_and_bad_lines() {
    assert!(
        run_text("// get(uint256): 1 -> 2\n// get(uint256): MAX -> FAILURE Panic(uint256): 0x11\n")
            .is_ok()
    );
    // (line, expectation block) pairs that must fail at that line, with a message.
    let cases = [
        (9, "// get(uint256): 1 -> 2\n// get(uint256): 1 -> 3\n"),
        (8, "// get(uint256): MAX -> FAILURE Panic(uint256): 0x12\n"),
        (8, "// get(uint256): 1 -> FAILURE\n"),
        (8, "// get(uint256): 1 -> 2\n// ~ emit E(uint256): 1\n"),
        (8, "// get(uint256): 1 -> 2\n// gas: <= 100\n"),
        (8, "// get(uint256): 1, 2 -> 2\n"),
        (8, "// get(uint256): zzz -> 2\n"),
        (8, "// get(uint256) 1 -> 2\n"),
        (8, "// get(uint256): 1\n"),
        (8, "// gas: <= 5\n"),
        (8, "// ~ emit E()\n"),
        (8, "get(uint256): 1 -> 2\n"),
        (8, "// get(uint256): 1 -> FAILURE Panic(\n"),
        (8, "// deploy Nope ->\n"),
        (8, "// balance: nobody -> 0\n"),
        (8, "// get(uint256): 1 value: 1 -> 2\n"),
        (8, "// storage: 0 -> 1\n"),
        (8, "// layout: x -> 0, 0\n"),
        (8, "// nope() -> 1\n"),
        (9, "// get(uint256): 1 -> 2\n// lane -> 1\n"),
        (8, "// lane -> many\n"),
    ];
    for (line, expect) in cases {
        let e = run_text(expect).expect_err(expect);
        assert_eq!(e.line, line, "{expect}: {e}");
        assert!(!e.message.is_empty());
        assert!(e.to_string().starts_with(&format!("t.tdm:{line}: ")), "{e}");
    }
    // No block, or a program that does not compile, is an error of the whole fixture.
    let e = fixture::parse("t.tdm", vec![("t.tdm".into(), SMALL.into())]).err();
    assert!(e.is_some_and(|e| e.line == 0));
    let e = run_text("// get(uint256): 1 -> 2\n").map(|_| ());
    assert!(e.is_ok());
    // a `lane` line: the Tandem VM only
    let r = run_text("// get(uint256): 1 -> 2\n// lane -> 0\n// lane\n").expect("lane");
    assert!(r.tandem_only);
    let broken = "contract {\n// ---- expect\n// f() ->\n";
    let e = fixture::parse("b.tdm", vec![("b.tdm".into(), broken.into())])
        .and_then(|f| fixture::run(&f))
        .expect_err("does not compile");
    assert_eq!(e.line, 0);
    assert!(e.message.contains("does not compile"));
}

#[test]
fn the_reference_example_runs() {
    let doc = include_str!("../../../../docs/language.md");
    let section = doc.split("## Testing").nth(1).expect("a Testing section");
    let block = section
        .split("```tandem\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("an example");
    let f = fixture::parse("language.md", vec![("Counter.tdm".into(), block.into())])
        .unwrap_or_else(|e| panic!("{e}"));
    fixture::run(&f).unwrap_or_else(|e| panic!("{e}"));
}
