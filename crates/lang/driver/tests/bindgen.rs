//! `tandem bindgen --rust` output stays what `examples/actors/tandem-caller/src/coin.rs`
//! holds (the example compiles it on the host and for wasm32, and
//! `crates/wasm/tests/tandem_caller.rs` runs it against the Coin's native build).

use std::io::Write;
use std::process::{Command, Stdio};
use tandem_lang_driver::{bindgen, compile_module, ipld_schema::schema};

#[test]
fn the_example_holds_the_generated_coin_bindings() {
    let module = compile_module(&[("Coin.tdm".into(), tandem_lang_driver::COIN_EXAMPLE.into())])
        .expect("compiles");
    let text = bindgen::rust(&schema(&module.contracts[0]));
    assert!(text.contains("pub const TRANSFER: u64 = 80475954;"));
    assert!(text.contains("pub struct TransferParams {"));
    let mut fmt = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt");
    fmt.stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = fmt.wait_with_output().expect("rustfmt runs");
    assert!(out.status.success(), "the generated Rust does not parse");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../examples/actors/tandem-caller/src/coin.rs"
    );
    let held = std::fs::read_to_string(path).expect("the example's bindings");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        held,
        "regenerate: tandem bindgen --rust --path <Coin package> | rustfmt --edition 2024 > {path}"
    );
}
