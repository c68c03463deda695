//! Hostile source: shapes whose syntax tree is as deep as the input is long — long operator
//! chains (`n + n + …`, `a && b && …`), postfix chains (`n.x.x…`, `n[0][0]…`, `n?…`,
//! `n.min(1).min(1)…`), cast chains (`n as u256 as u256…`) and `else if` chains. The parser
//! builds each with a loop, so its nesting limit never saw them, and every later pass (sema,
//! lowering, both backends, even dropping the tree) recurses once per level: 3k terms
//! overflowed the stack and aborted `tandem build` (and would abort the language server).
//! Each must be an `E0101` "nested too deeply" error instead, while the same shapes at a depth
//! real code reaches still compile on both targets, on a test thread's 2 MiB stack.

use tandem_lang_driver::{compile_sources, compile_wasm};

/// A contract whose one handler's body is `body` (with `n: u256` in scope).
fn program(body: &str) -> String {
    format!(
        "message M {{ A {{ n: u256 }} -> u256 }}\n\
         struct S {{ }}\n\
         contract C {{\n    storage: S\n    recv M {{\n        A {{ n }} => {{\n{body}\n        }}\n    }}\n}}\n"
    )
}

/// The deep shapes, each `len` links long.
fn shapes(len: usize) -> Vec<(&'static str, String)> {
    let chain = |op: &str| vec!["n"; len].join(op);
    let else_ifs: String = (1..len)
        .map(|i| format!(" else if n == {i} {{ {i} }}"))
        .collect();
    let conditions = vec!["n == 1"; len].join(" && ");
    vec![
        ("sum", chain(" + ")),
        ("difference", chain(" - ")),
        ("product", chain(" * ")),
        (
            "conjunction",
            format!("if {conditions} {{ 1 }} else {{ 0 }}"),
        ),
        (
            "else if",
            format!("if n == 0 {{ 0 }}{else_ifs} else {{ 1 }}"),
        ),
        ("casts", format!("n{}", " as u256".repeat(len))),
        ("method calls", format!("n{}", ".min(1)".repeat(len))),
        ("fields", format!("n{}", ".x".repeat(len))),
        ("indexes", format!("n{}", "[0]".repeat(len))),
        ("tries", format!("n{}", "?".repeat(len))),
    ]
}

fn sources(body: &str) -> Vec<(String, String)> {
    vec![("hostile.tdm".to_string(), program(body))]
}

#[test]
fn chains_far_past_the_nesting_limit_are_errors_not_stack_overflows() {
    for (name, body) in shapes(20_000) {
        let err = compile_sources(&sources(&body))
            .err()
            .unwrap_or_else(|| panic!("{name}: 20k links compiled"));
        assert!(
            err.contains("error[E0101]"),
            "{name}: {}",
            &err[..err.len().min(600)]
        );
        assert!(err.contains("nested too deeply"), "{name}");
    }
}

#[test]
fn chains_at_the_depth_real_code_reaches_compile_on_both_targets() {
    // Fields, indexes and tries of a u256 are type errors at any length; the others compile.
    for (name, body) in shapes(120) {
        let srcs = sources(&body);
        match name {
            "fields" | "indexes" | "tries" => {
                let err = compile_sources(&srcs).err().expect(name);
                assert!(err.contains("error["), "{name}: {err}");
                assert!(!err.contains("nested too deeply"), "{name}: {err}");
            }
            _ => {
                compile_sources(&srcs).unwrap_or_else(|e| panic!("{name} (EVM): {e}"));
                compile_wasm(&srcs).unwrap_or_else(|e| panic!("{name} (WASM): {e}"));
            }
        }
    }
}

#[test]
fn parentheses_around_a_chain_share_one_limit() {
    // 150 parentheses around a 150-term sum: neither alone is over the limit, together the
    // tree is 300 deep; the limit counts both.
    let body = format!(
        "{}{}{}",
        "(".repeat(150),
        vec!["n"; 150].join(" + "),
        ")".repeat(150)
    );
    let err = compile_sources(&sources(&body))
        .err()
        .expect("over the limit");
    assert!(
        err.contains("nested too deeply"),
        "{}",
        &err[..err.len().min(600)]
    );
}

/// 60k unused `let`s (700 KB): each is an unused-variable warning, and each warning was
/// compared with every earlier one, and each use of `n` searched every local before it:
/// 20 s, growing with the square of the source. Now about a second.
#[test]
fn many_lets_compile_in_about_linear_time() {
    let lets: String = (0..60_000).map(|i| format!("let x{i} = n\n")).collect();
    let start = std::time::Instant::now();
    compile_sources(&sources(&format!("{lets}n"))).expect("compiles, with warnings");
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
}
