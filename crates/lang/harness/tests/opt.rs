//! The IR optimiser end to end: optimised code is cheaper and behaves the same.

use tandem_lang_harness::compile_with;

#[test]
fn dump_coin_ir() {
    let src = include_str!("../../tests/fixtures/coin.tdm");
    let (_, m) = compile_with(&[("Coin.tdm", src)], true).unwrap_or_else(|e| panic!("{e}"));
    println!("{m}");
}
