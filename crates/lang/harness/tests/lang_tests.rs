//! Tests written in the language (`lang_test`): the auction example's tests pass, and each
//! deliberately failing test is reported with its reason and a trace.

use std::path::{Path, PathBuf};

use tandem_lang_harness::lang_test::{self, FileReport};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn auction_sources() -> Vec<(String, String)> {
    let src = root().join("examples/lang/auction/src/auction.tdm");
    vec![(
        "src/auction.tdm".to_string(),
        std::fs::read_to_string(src).unwrap(),
    )]
}

fn run(path: &Path) -> FileReport {
    lang_test::run_file(path, &auction_sources()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_auction_example_passes() {
    let report = run(&root().join("examples/lang/auction/test/auction_test.tdm"));
    assert_eq!(report.tests.len(), 5);
    for t in &report.tests {
        assert!(t.passed, "{}: {:?}\n{}", t.name, t.reason, t.trace);
    }
    // The gas report has a row per handler the tests called, creation included.
    for key in [
        "Auction.Bid",
        "Auction.Settle",
        "Auction.Withdraw",
        "Auction.(deploy)",
    ] {
        let row = report
            .gas
            .get(key)
            .unwrap_or_else(|| panic!("{key}: {:?}", report.gas));
        assert!(
            row.calls > 0 && row.min > 0 && row.min <= row.max,
            "{key}: {row:?}"
        );
    }
    assert!(report.gas["Auction.Bid"].calls >= 5, "{:?}", report.gas);
}

#[test]
fn failing_tests_say_why() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lang_tests/failing_test.tdm");
    let report = run(&path);
    let by = |n: &str| report.tests.iter().find(|t| t.name == n).unwrap();
    let t = by("WrongHighest");
    assert!(!t.passed);
    let why = t.reason.clone().unwrap();
    assert!(
        why.contains("assert_eq! failed") && why.contains("100") && why.contains("99"),
        "{why}"
    );
    assert!(t.trace.contains("Auction::Highest()"), "{}", t.trace);
    assert!(t.trace.contains("emit NewBid"), "{}", t.trace);

    let t = by("BidsWithoutMoney");
    let why = t.reason.clone().unwrap();
    assert!(why.contains("Ended(1700003600)"), "{why}");
    assert!(
        t.trace
            .contains("Auction::Bid() -> FAILED (reverted with Ended(1700003600))"),
        "{}",
        t.trace
    );

    let t = by("RevertNeverCame");
    let why = t.reason.clone().unwrap();
    assert!(
        why.contains("expected a revert (NotSeller), but the call succeeded"),
        "{why}"
    );

    let t = by("EmitNeverCame");
    let why = t.reason.clone().unwrap();
    assert!(
        why.contains("expect_emit: the next call did not emit the expected event"),
        "{why}"
    );

    assert!(by("Passes").passed, "{:?}", by("Passes").reason);
}

#[test]
fn a_file_without_tests_is_an_error() {
    let err = lang_test::run_source(
        "test/none.tdm",
        "message M { A }\nstruct S { }\ncontract C { storage: S\n recv M { A => { } } }\n",
        &auction_sources(),
    )
    .unwrap_err();
    assert!(err.contains("no tests"), "{err}");
}

#[test]
fn the_testing_doc_example_passes() {
    let doc = std::fs::read_to_string(root().join("docs/testing.md")).unwrap();
    let start = doc.find("```tandem,test\n").expect("an example") + "```tandem,test\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let report = lang_test::run_source("test/doc.tdm", &doc[start..end], &auction_sources())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.tests.len(), 2);
    for t in &report.tests {
        assert!(t.passed, "{}: {:?}\n{}", t.name, t.reason, t.trace);
    }
}
