//! `tandem bindgen --rust` output stays what `examples/actors/tandem-caller/src/coin.rs`
//! holds (the example compiles it on the host and for wasm32, and
//! `crates/wasm/tests/tandem_caller.rs` runs it against the Coin's native build).

use std::io::Write;
use std::process::{Command, Stdio};
use tandem_lang_driver::{bindgen, compile_module, ipld_schema::schema};

/// `rustfmt` of `text`: `None` when it does not parse.
fn rustfmt(text: &str) -> Option<String> {
    let mut fmt = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rustfmt");
    fmt.stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = fmt.wait_with_output().expect("rustfmt runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The bindings of every contract of every single-file feature fixture are Rust that parses
/// (the example crate checks that one set also type-checks).
#[test]
fn bindings_of_every_feature_fixture_parse() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../harness/fixtures/features");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("fixtures").flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "tdm") {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("read");
        let Ok(module) = compile_module(&[("F.tdm".into(), text)]) else {
            continue;
        };
        for c in &module.contracts {
            let rust = bindgen::rust(&schema(c));
            assert!(
                rustfmt(&rust).is_some(),
                "{}: {}\n{rust}",
                p.display(),
                c.name
            );
            n += 1;
        }
    }
    assert!(n >= 40, "only {n} contracts");
}

#[test]
fn the_example_holds_the_generated_coin_bindings() {
    let module = compile_module(&[("Coin.tdm".into(), tandem_lang_driver::COIN_EXAMPLE.into())])
        .expect("compiles");
    let text = bindgen::rust(&schema(&module.contracts[0]));
    assert!(text.contains("pub const TRANSFER: u64 = 80475954;"));
    assert!(text.contains("pub struct TransferParams {"));
    let formatted = rustfmt(&text).expect("the generated Rust parses");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../examples/actors/tandem-caller/src/coin.rs"
    );
    let held = std::fs::read_to_string(path).expect("the example's bindings");
    assert_eq!(
        formatted, held,
        "regenerate: tandem bindgen --rust --path <Coin package> | rustfmt --edition 2024 > {path}"
    );
}
