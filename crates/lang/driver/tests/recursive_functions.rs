//! Internal functions at the driver (issue 17): a recursive function compiles on both
//! targets; a recursive function whose locals do not fit the EVM's 16 reachable stack slots
//! is refused by the EVM backend (its locals cannot move to fixed memory words: each
//! activation needs its own) with E0800 at the function's name, never miscompiled; the same
//! function without recursion compiles (its locals move to memory).

use tandem_lang_driver::check::{Backend, check_sources};

/// A function with more live locals than the EVM stack reaches, recursive when `rec`.
fn program(rec: bool) -> String {
    let mut body = String::new();
    for i in 0..20 {
        body += &format!("    let x{i} = n * {} + {i}\n", i + 1);
    }
    let sum: Vec<String> = (0..20).map(|i| format!("x{i}")).collect();
    let tail = if rec {
        "if n == 0 { 0 } else { wide(n - 1) + "
    } else {
        "if n == 0 { 0 } else { 1 + "
    };
    format!(
        "fn wide(n: u256) -> u256 {{\n{body}    {tail}{} }}\n}}\n\
         message M {{ A {{ n: u256 }} -> u256, B {{ n: u256 }} -> u256 }}\n\
         struct S {{ }}\n\
         contract C {{\n    storage: S\n    recv M {{\n        A {{ n }} => {{ wide(n) }}\n        B {{ n }} => {{ wide(n + 1) }}\n    }}\n}}\n",
        sum.join(" + ")
    )
}

fn evm_error(src: &str) -> Option<String> {
    let c = check_sources(&[("example.tdm".into(), src.into())]).expect("checks");
    let e = tandem_lang_evm::generate(&c.module, true).err()?;
    Some(c.backend_error(Backend::Evm, &e))
}

#[test]
fn a_recursive_function_that_needs_spills_is_refused_at_its_name() {
    let out = evm_error(&program(true)).expect("the EVM backend refuses it");
    assert!(out.contains("error[E0800]"), "{out}");
    assert!(out.contains("it is recursive"), "{out}");
    assert!(
        out.contains("example.tdm:1:4"),
        "no span at the function: {out}"
    );
    assert!(out.contains("in this function"), "{out}");
}

#[test]
fn the_same_function_without_recursion_spills_and_compiles() {
    assert_eq!(evm_error(&program(false)), None);
    let src = program(false);
    let c = check_sources(&[("example.tdm".into(), src)]).expect("checks");
    tandem_lang_wasm::generate(&c.module).expect("the WASM build");
}
