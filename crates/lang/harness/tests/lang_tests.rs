//! Tests written in the language (`lang_test`): the auction example's tests pass on the EVM
//! build and on the WASM build (native actors), and each deliberately failing test is
//! reported with its reason and a trace on both (the WASM trace names the native frames).

use std::path::{Path, PathBuf};

use tandem_lang_harness::lang_test::{self, FileReport, Target};

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

fn run_on(path: &Path, target: Target) -> FileReport {
    lang_test::run_file_on(path, &auction_sources(), target).unwrap_or_else(|e| panic!("{e}"))
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

#[test]
fn the_auction_example_passes_on_the_wasm_build() {
    let report = run_on(
        &root().join("examples/lang/auction/test/auction_test.tdm"),
        Target::Wasm,
    );
    assert_eq!(report.tests.len(), 5);
    let by = |n: &str| report.tests.iter().find(|t| t.name == n).unwrap();
    for name in [
        "BidsMustRise",
        "OutbidBidderWithdraws",
        "OnlyTheSellerSettles",
    ] {
        let t = by(name);
        assert!(t.passed, "{}: {:?}\n{}", t.name, t.reason, t.trace);
        assert!(t.gas > 0, "{}", t.name);
    }
    // Two tests meet the native build's one difference and fail saying so, not silently:
    // `NoBidAfterTheEnd` asserts `ctx.timestamp()` after a `Warp`, `SellerSettlesAfterTheEnd`
    // `ctx.block_number()` after a `Roll`; the native build read the block context when the
    // test's message started. (The seller is right: in the constructor `ctx.create` runs,
    // `ctx.caller()` is the test contract, as on the EVM, so `Settle` before the end reverts
    // with NotEnded, not NotSeller.)
    for name in ["NoBidAfterTheEnd", "SellerSettlesAfterTheEnd"] {
        let why = by(name).reason.clone().unwrap();
        assert!(
            why.contains("the WASM build reads the block context once"),
            "{name}: {why}"
        );
        assert!(!why.contains("NotSeller"), "{name}: {why}");
    }
    // The native frames make the rows: handlers by method number, constructors, installs.
    for key in [
        "Auction.Bid",
        "Auction.Settle",
        "Auction.Withdraw",
        "Auction.Highest",
        "Auction.(deploy)",
        "Auction.(install)",
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
fn failing_tests_fail_on_the_wasm_build_with_native_frames() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lang_tests/failing_test.tdm");
    let report = run_on(&path, Target::Wasm);
    let by = |n: &str| report.tests.iter().find(|t| t.name == n).unwrap();
    let t = by("WrongHighest");
    assert!(!t.passed);
    let why = t.reason.clone().unwrap();
    assert!(
        why.contains("assert_eq! failed") && why.contains("100") && why.contains("99"),
        "{why}"
    );
    assert!(
        t.trace
            .contains("native FailingTest::WrongHighest() -> FAILED (assert_eq! failed"),
        "{}",
        t.trace
    );
    assert!(
        t.trace.contains("native Auction::init(3600, 10) at 0xFf00"),
        "{}",
        t.trace
    );
    assert!(
        t.trace
            .contains("native Auction::Bid() value 100 -> ok 100"),
        "{}",
        t.trace
    );
    assert!(
        t.trace.contains("native Auction::Highest() -> ok 0xff"),
        "{}",
        t.trace
    );
    assert!(t.trace.contains("emit NewBid"), "{}", t.trace);
    assert!(t.trace.contains("cheats::deal(0xff"), "{}", t.trace);

    let t = by("BidsWithoutMoney");
    let why = t.reason.clone().unwrap();
    assert!(why.contains("Ended(1700003600)"), "{why}");
    assert!(
        t.trace
            .contains("native Auction::Bid() -> FAILED (reverted with Ended(1700003600))"),
        "{}",
        t.trace
    );
    assert!(
        t.trace.contains("cheats::warp(1700003600) -> ok"),
        "{}",
        t.trace
    );

    let t = by("RevertNeverCame");
    let why = t.reason.clone().unwrap_or_else(|| panic!("{}", t.trace));
    assert!(
        why.contains("expected a revert (NotSeller), but the call succeeded"),
        "{why}"
    );
    let t = by("EmitNeverCame");
    let why = t.reason.clone().unwrap_or_else(|| panic!("{}", t.trace));
    assert!(
        why.contains("expect_emit: the next call did not emit the expected event"),
        "{why}"
    );
    assert!(by("Passes").passed, "{:?}", by("Passes").reason);
}

#[test]
fn the_testing_doc_example_passes_on_the_wasm_build() {
    let doc = std::fs::read_to_string(root().join("docs/testing.md")).unwrap();
    let start = doc.find("```tandem,test\n").expect("an example") + "```tandem,test\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let report = lang_test::run_source_on(
        "test/doc.tdm",
        &doc[start..end],
        &auction_sources(),
        Target::Wasm,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.tests.len(), 2);
    for t in &report.tests {
        assert!(t.passed, "{}: {:?}\n{}", t.name, t.reason, t.trace);
    }
}

#[test]
fn a_cheat_a_native_build_sends_badly_fails_the_test() {
    // A test that reaches the cheat actor with a method number no cheat has must fail with
    // the cheat actor's reason, not pass.
    let test = r#"
use cheats::CHEATS
message Tests { Bad }
message NotACheat { Explode { x: u64 } }
struct Nothing {}
contract BadCheat {
    storage: Nothing
    recv Tests {
        #[test]
        Bad => with mut ctx {
            ctx.call(CHEATS, NotACheat::Explode { x: 1 })
        }
    }
}
"#;
    for target in [Target::Evm, Target::Wasm] {
        let report = lang_test::run_source_on("test/bad.tdm", test, &auction_sources(), target)
            .unwrap_or_else(|e| panic!("{e}"));
        let t = &report.tests[0];
        assert!(!t.passed, "{target:?}");
        let why = t.reason.clone().unwrap();
        assert!(why.contains("cheats:"), "{target:?}: {why}");
    }
}

#[test]
fn a_construct_the_wasm_build_refuses_is_an_error_not_a_pass() {
    let test = r#"
use std::code::code_hash
message Tests { Code }
struct Nothing {}
contract Refused {
    storage: Nothing
    recv Tests {
        #[test]
        Code => with ctx {
            assert_eq!(code_hash(ctx.self_address()), code_hash(ctx.self_address()))
        }
    }
}
"#;
    let err = lang_test::run_source_on("test/refused.tdm", test, &auction_sources(), Target::Wasm)
        .unwrap_err();
    assert!(err.contains("the WASM target cannot build"), "{err}");
    let report =
        lang_test::run_source_on("test/refused.tdm", test, &auction_sources(), Target::Evm)
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.tests[0].passed, "{:?}", report.tests[0].reason);
}

#[test]
fn expect_revert_and_roll_work_on_both_builds() {
    // `ExpectRevert` (any revert) and `Roll` are the cheats the example does not use alone.
    let test = r#"
use auction::{Auction, AuctionMsg}
use cheats::{Cheat, CHEATS}
message Tests { AnyRevert, RollThenBid, AnyRevertNeverCame }
struct Nothing {}
contract More {
    storage: Nothing
    recv Tests {
        #[test]
        AnyRevert => with mut ctx {
            let a = ctx.create(Auction, 3600, 10)
            ctx.call(CHEATS, Cheat::Warp { timestamp: 1_700_009_999 })
            ctx.call(CHEATS, Cheat::ExpectRevert)
            let _ = ctx.try_call(a, AuctionMsg::Bid)
        }
        #[test]
        RollThenBid => with mut ctx {
            let a = ctx.create(Auction, 3600, 10)
            ctx.call(CHEATS, Cheat::Roll { number: 99 })
            ctx.call(CHEATS, Cheat::Deal { who: ctx.self_address(), amount: 50 })
            assert_eq!(ctx.call_with(a, AuctionMsg::Bid, value: 50, gas: 200000), 50)
        }
        #[test]
        AnyRevertNeverCame => with mut ctx {
            let a = ctx.create(Auction, 3600, 10)
            ctx.call(CHEATS, Cheat::ExpectRevert)
            let _ = ctx.try_call(a, AuctionMsg::Highest)
        }
    }
}
"#;
    for target in [Target::Evm, Target::Wasm] {
        let report = lang_test::run_source_on("test/more.tdm", test, &auction_sources(), target)
            .unwrap_or_else(|e| panic!("{e}"));
        let by = |n: &str| report.tests.iter().find(|t| t.name == n).unwrap();
        for n in ["AnyRevert", "RollThenBid"] {
            let t = by(n);
            assert!(t.passed, "{target:?} {n}: {:?}\n{}", t.reason, t.trace);
        }
        let t = by("AnyRevertNeverCame");
        let why = t.reason.clone().unwrap_or_default();
        assert!(
            why.contains("expected a revert (any), but the call succeeded"),
            "{target:?}: {why}"
        );
    }
}

#[test]
fn an_error_two_contracts_revert_with_is_expected_by_its_name() {
    // `NotEnded` is in the auction's ABI and in the test contract's (its `Fail` handler): the
    // same error twice, one selector, so its name alone is not ambiguous.
    let test = r#"
use auction::{Auction, AuctionMsg, NotEnded}
use cheats::{Cheat, CHEATS}
message Tests { SettleTooEarly, Fail }
struct Nothing {}
contract Twice {
    storage: Nothing
    recv Tests {
        #[test]
        SettleTooEarly => with mut ctx {
            let a = ctx.create(Auction, 3600, 10)
            ctx.call(CHEATS, Cheat::ExpectRevertWith { error: "NotEnded" })
            let _ = ctx.try_call(a, AuctionMsg::Settle)
        }
        Fail => {
            revert NotEnded
        }
    }
}
"#;
    for target in [Target::Evm, Target::Wasm] {
        let report = lang_test::run_source_on("test/twice.tdm", test, &auction_sources(), target)
            .unwrap_or_else(|e| panic!("{e}"));
        let t = report
            .tests
            .iter()
            .find(|t| t.name == "SettleTooEarly")
            .unwrap();
        assert!(t.passed, "{target:?}: {:?}\n{}", t.reason, t.trace);
    }
}

/// A test contract may be larger than EIP-170 allows (it holds every test of its file): the
/// runner lifts the limit, as anvil's `--disable-code-size-limit` does. This one carries a
/// 30,000-byte literal, so its runtime is over 24,576 bytes.
#[test]
fn a_test_contract_over_the_eip_170_limit_runs() {
    let big = "x".repeat(30_000);
    let source = format!(
        "message T {{ Big }}\nstruct S {{ }}\ncontract BigTest {{ storage: S\n recv T {{\n \
         #[test]\n Big => {{ let s: String = \"{big}\"\n assert_eq!(s.len(), 30000) }} }} }}\n"
    );
    let report = lang_test::run_source("test/big.tdm", &source, &auction_sources())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.tests.len(), 1);
    let t = &report.tests[0];
    assert!(t.passed, "{}: {:?}\n{}", t.name, t.reason, t.trace);
}
