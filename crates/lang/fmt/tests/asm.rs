//! `asm evm` bodies in the canonical style: the author's grouping of instructions into lines
//! is kept, a one-line body stays flat, comments survive, and the output is a fixpoint.

use tandem_lang_fmt::format_source;

fn fmt(src: &str) -> String {
    let out = format_source(src).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        format_source(&out).unwrap_or_else(|e| panic!("{e:?}")),
        out,
        "not a fixpoint"
    );
    out
}

fn wrap(body: &str) -> String {
    format!("fn f(a: u256, b: u256) -> u256 {{\n{body}}}\n")
}

#[test]
fn lines_of_instructions_are_kept() {
    let src =
        wrap("    asm evm(a,b)->u256 {\n  DUP2   DUP2 MOD\n        SWAP2 SWAP1 DIV\n POP }\n");
    assert_eq!(
        fmt(&src),
        wrap(
            "    asm evm (a, b) -> u256 {\n        DUP2 DUP2 MOD\n        SWAP2 SWAP1 DIV\n        POP\n    }\n"
        )
    );
}

#[test]
fn a_flat_body_stays_flat() {
    let src = wrap("    asm evm (a, b) -> u256 {   PUSH1 0x20 ADD    MUL }\n");
    assert_eq!(
        fmt(&src),
        wrap("    asm evm (a, b) -> u256 { PUSH1 0x20 ADD MUL }\n")
    );
}

#[test]
fn comments_in_a_body_survive() {
    let src =
        wrap("    asm evm (a, b) -> u256 {\n        ADD // sum\n        // done\n    } // after\n");
    let out = fmt(&src);
    for c in ["// sum", "// done", "// after"] {
        assert!(out.contains(c), "{c} lost:\n{out}");
    }
}
