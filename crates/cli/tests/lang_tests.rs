//! `tandem test` on tests written in the language: the auction example's `test/*.tdm` pass
//! (and its `.calls` file with `warp:`/`roll:` lines), a gas report per handler follows, and a
//! deliberately failing test file is reported test by test with its reason and, with `-v`,
//! the call trace.

use std::path::{Path, PathBuf};

use crate::common;
use common::{tandem_in as tandem, text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_auction(to: &Path) {
    let from = root().join("examples/lang/auction");
    for dir in ["src", "test"] {
        std::fs::create_dir_all(to.join(dir)).unwrap();
        for e in std::fs::read_dir(from.join(dir)).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, to.join(dir).join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(from.join("Tandem.toml"), to.join("Tandem.toml")).unwrap();
}

#[test]
fn the_auction_tests_pass_with_a_gas_report() {
    let tmp = tempfile::tempdir().unwrap();
    copy_auction(tmp.path());
    let run = tandem(tmp.path(), &["test"]);
    let out = text(&run);
    assert!(run.status.success(), "{out}");
    for t in [
        "BidsMustRise",
        "OutbidBidderWithdraws",
        "NoBidAfterTheEnd",
        "SellerSettlesAfterTheEnd",
        "OnlyTheSellerSettles",
    ] {
        assert!(
            out.contains(&format!("ok   test/auction_test.tdm::{t} (gas ")),
            "{t}: {out}"
        );
    }
    assert!(
        out.contains("ok   ./test/auction.calls") || out.contains("auction.calls ("),
        "{out}"
    );
    assert!(out.contains("6 passed, 0 failed"), "{out}");
    assert!(out.contains("gas report"), "{out}");
    for row in [
        "Auction.Bid",
        "Auction.Settle",
        "Auction.Withdraw",
        "Auction.(deploy)",
    ] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(row)),
            "{row}: {out}"
        );
    }
}

#[test]
fn a_failing_test_is_reported_with_its_reason_and_trace() {
    let tmp = tempfile::tempdir().unwrap();
    copy_auction(tmp.path());
    std::fs::copy(
        root().join("crates/lang/harness/fixtures/lang_tests/failing_test.tdm"),
        tmp.path().join("test/failing_test.tdm"),
    )
    .unwrap();
    let run = tandem(tmp.path(), &["test"]);
    let out = text(&run);
    assert!(!run.status.success(), "{out}");
    assert!(
        out.contains("FAIL test/failing_test.tdm::WrongHighest: assert_eq! failed"),
        "{out}"
    );
    assert!(
        out.contains("left:  100") && out.contains("right: 99"),
        "{out}"
    );
    assert!(
        out.contains(
            "FAIL test/failing_test.tdm::BidsWithoutMoney: reverted with Ended(1700003600)"
        ),
        "{out}"
    );
    assert!(
        out.contains("RevertNeverCame: expected a revert (NotSeller), but the call succeeded"),
        "{out}"
    );
    assert!(
        out.contains("EmitNeverCame: expect_emit: the next call did not emit the expected event"),
        "{out}"
    );
    assert!(out.contains("ok   test/failing_test.tdm::Passes"), "{out}");
    assert!(out.contains("7 passed, 4 failed"), "{out}");
    assert!(!out.contains("trace:"), "{out}");

    let verbose = tandem(tmp.path(), &["test", "-v"]);
    let out = text(&verbose);
    assert!(!verbose.status.success(), "{out}");
    assert!(out.contains("trace:"), "{out}");
    assert!(
        out.contains("FailingTest::WrongHighest() -> FAILED (assert_eq! failed"),
        "{out}"
    );
    assert!(out.contains("create Auction at 0x"), "{out}");
    assert!(out.contains("Auction::Bid() value 100 -> ok 100"), "{out}");
    assert!(out.contains("emit NewBid"), "{out}");
    assert!(out.contains("cheats::warp(1700003600) -> ok"), "{out}");
    assert!(
        out.contains("Auction::Bid() -> FAILED (reverted with Ended(1700003600))"),
        "{out}"
    );
}

/// The auction package with the docs/testing.md example as its only language test file
/// (the example's tests hold on both builds; see docs/testing.md, "Targets").
fn auction_with_doc_tests(to: &Path) {
    copy_auction(to);
    std::fs::remove_file(to.join("test/auction_test.tdm")).unwrap();
    let doc = std::fs::read_to_string(root().join("docs/testing.md")).unwrap();
    let start = doc.find("```tandem,test\n").expect("an example") + "```tandem,test\n".len();
    let end = start + doc[start..].find("```").unwrap();
    std::fs::write(to.join("test/doc_test.tdm"), &doc[start..end]).unwrap();
}

#[test]
fn target_all_runs_the_language_tests_on_both_builds() {
    let tmp = tempfile::tempdir().unwrap();
    auction_with_doc_tests(tmp.path());
    let run = tandem(tmp.path(), &["test", "--target", "all"]);
    let out = text(&run);
    assert!(run.status.success(), "{out}");
    for t in ["BidsMustRise", "NoBidAfterTheEnd"] {
        for target in ["evm", "wasm"] {
            assert!(
                out.contains(&format!("ok   test/doc_test.tdm::{t} [{target}] (gas ")),
                "{t} [{target}]: {out}"
            );
        }
    }
    // the `.calls` file and two tests on each build
    assert!(out.contains("5 passed, 0 failed"), "{out}");
    assert!(out.contains("calls, evm build):"), "{out}");
    assert!(out.contains("calls, wasm build):"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("Auction.(install)")),
        "{out}"
    );

    // Only the WASM build: one line per test, no tag.
    let run = tandem(tmp.path(), &["test", "--target", "wasm"]);
    let out = text(&run);
    assert!(run.status.success(), "{out}");
    assert!(
        out.contains("ok   test/doc_test.tdm::BidsMustRise (gas "),
        "{out}"
    );
    assert!(!out.contains("[evm]"), "{out}");
}

#[test]
fn a_failing_test_fails_on_both_builds_with_the_native_frame_in_its_trace() {
    let tmp = tempfile::tempdir().unwrap();
    auction_with_doc_tests(tmp.path());
    std::fs::copy(
        root().join("crates/lang/harness/fixtures/lang_tests/failing_test.tdm"),
        tmp.path().join("test/failing_test.tdm"),
    )
    .unwrap();
    let run = tandem(tmp.path(), &["test", "--target", "all", "-v"]);
    let out = text(&run);
    assert!(!run.status.success(), "{out}");
    for target in ["evm", "wasm"] {
        assert!(
            out.contains(&format!(
                "FAIL test/failing_test.tdm::WrongHighest [{target}]: assert_eq! failed"
            )),
            "{target}: {out}"
        );
        assert!(
            out.contains(&format!(
                "FAIL test/failing_test.tdm::EmitNeverCame [{target}]: expect_emit"
            )),
            "{target}: {out}"
        );
    }
    assert!(
        out.contains("native Auction::Bid() -> FAILED (reverted with Ended(1700003600))"),
        "{out}"
    );
    assert!(
        out.contains("native FailingTest::WrongHighest() -> FAILED (assert_eq! failed"),
        "{out}"
    );
    // the `.calls` file, the doc tests and `Passes` on each build; four failures on each
    assert!(out.contains("7 passed, 8 failed"), "{out}");
}
