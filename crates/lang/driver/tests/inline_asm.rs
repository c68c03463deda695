//! `asm evm` end to end: the docs/language.md example (MULMOD, a bit trick, two outputs, a
//! checked `u8` output, SELFBALANCE) runs on plain revm and on the Tandem VM, which agree with
//! its expectations; the WASM build is refused, and the driver puts that refusal (E0802) on
//! the `asm evm` block itself, in a handler or in a helper function.

use tandem_lang_driver::check::{Backend, check_sources};
use tandem_lang_harness::fixture::{self, Targets};

fn docs_example() -> String {
    let doc = include_str!("../../../../docs/language.md");
    let section = doc
        .split("\n## Inline assembly\n")
        .nth(1)
        .expect("an Inline assembly section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .split("```tandem\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("an example")
        .to_string()
}

#[test]
fn the_docs_example_runs_on_the_evm_and_the_wasm_build_is_refused() {
    let text = docs_example();
    assert!(
        text.contains("// ---- expect"),
        "the example has no expectations"
    );
    let f = fixture::parse("language.md", vec![("Asm.tdm".into(), text)])
        .unwrap_or_else(|e| panic!("{e}"));
    let r = fixture::run_with(&f, &Targets::all()).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.transactions >= 8, "{} transactions", r.transactions);
    let refused = r.wasm.refused.expect("the WASM build must be refused");
    assert!(
        refused.contains("inline EVM assembly (`asm evm`) is EVM-only"),
        "{refused}"
    );
}

/// The E0802 diagnostic for `src`'s WASM build, and the source text under its span.
fn wasm_refusal(src: &str) -> (String, String) {
    let c = check_sources(&[("example.tdm".into(), src.into())]).expect("checks");
    assert!(
        tandem_lang_evm::generate(&c.module, true).is_ok(),
        "the EVM build must succeed"
    );
    let e = tandem_lang_wasm::generate(&c.module).expect_err("the WASM build is refused");
    let d = c.backend_diagnostic(Backend::Wasm, &e);
    let span = d.primary_span().expect("a span");
    let under = src[span.lo as usize..span.hi as usize].to_string();
    (format!("error[{}]: {}", d.code, d.message), under)
}

#[test]
fn the_wasm_refusal_points_at_the_block_in_the_handler() {
    let src = "message M { A { x: u256 } -> u256, B { x: u256 } -> u256 }
contract C {
    recv M {
        A { x } => { x + 1 }
        B { x } => { asm evm (x) -> u256 { PUSH1 2 MUL } }
    }
}
";
    let (head, under) = wasm_refusal(src);
    assert!(head.starts_with("error[E0802]"), "{head}");
    assert!(head.contains("EVM-only"), "{head}");
    assert_eq!(under, "asm evm (x) -> u256 { PUSH1 2 MUL }");
}

#[test]
fn the_wasm_refusal_points_at_the_block_in_a_helper() {
    let src = "message M { A { x: u256 } -> u256 }
fn double(x: u256) -> u256 {
    asm evm (x) -> u256 { DUP1 ADD }
}
contract C {
    recv M { A { x } => { double(x) } }
}
";
    let (head, under) = wasm_refusal(src);
    assert!(head.starts_with("error[E0802]"), "{head}");
    assert_eq!(under, "asm evm (x) -> u256 { DUP1 ADD }");
}

/// A name `asm` is still a name: only `asm evm` starts a block.
#[test]
fn asm_is_a_keyword_only_before_evm() {
    let src = "message M { A { x: u256 } -> u256 }
contract C {
    recv M { A { x } => { let asm = x; asm + 1 } }
}
";
    let c = check_sources(&[("example.tdm".into(), src.into())]);
    assert!(c.is_ok(), "{:?}", c.err());
}
