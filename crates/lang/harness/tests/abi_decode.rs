//! `std::abi::decode` (features/abi_decode.tdm) on every target: the EVM build on revm and on
//! the Tandem VM, the native (WASM) build, and the reference interpreter, all agreeing with
//! the fixture's expectations.

use std::path::Path;
use tandem_lang_harness::fixture::{self, Targets};

fn fixture_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features/abi_decode.tdm")
}

#[test]
fn decode_fixture_on_every_target() {
    let fx = fixture::load(&fixture_path()).unwrap_or_else(|e| panic!("{e}"));
    let targets = Targets {
        interp: true,
        ..Targets::all()
    };
    let report = fixture::run_with(&fx, &targets).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.transactions >= 30,
        "{} transactions",
        report.transactions
    );
}
