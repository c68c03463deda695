//! `tandem test` on tests written in the language: the auction example's `test/*.tdm` pass
//! (and its `.calls` file with `warp:`/`roll:` lines), a gas report per handler follows, and a
//! deliberately failing test file is reported test by test with its reason and, with `-v`,
//! the call trace.

use std::path::{Path, PathBuf};

mod common;
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
