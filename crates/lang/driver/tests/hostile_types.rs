//! Hostile types: a few lines of source whose types are exponentially large, or whose whole
//! storage values are copied word by word. Before the limits, 22 lines doubling a struct at
//! each level (or `P<P<…>>` with `struct P<T> { a: T, b: T }`) took minutes and over 20 GiB
//! in layout and the ABI JSON, and `storage.xs = [n; 100000]` ran for minutes in the EVM
//! backend (compile time grew with the square of the words). Each must be a prompt error
//! (`E0217`, `E0503`); types and copies of an ordinary size still compile on both targets.

use std::time::Duration;

use tandem_lang_driver::{compile_sources, compile_wasm};

/// A contract with `items` before it, message `M { A { n: u256 <params> } -> u256 }`, storage
/// struct fields `fields`, and one handler (with mutable storage) whose body is `body`.
fn program(items: &str, params: &str, fields: &str, body: &str) -> Vec<(String, String)> {
    let names: String = params
        .split(',')
        .filter_map(|p| p.split(':').next())
        .map(|n| format!(", {}", n.trim()))
        .filter(|n| n != ", ")
        .collect();
    let src = format!(
        "{items}\nmessage M {{ A {{ n: u256{params} }} -> u256 }}\n\
         struct S {{ {fields} }}\n\
         contract C {{\n    storage: S\n    recv M {{\n        A {{ n{names} }} => with mut storage {{\n{body}\n        }}\n    }}\n}}\n"
    );
    vec![("hostile.tdm".to_string(), src)]
}

/// Compiles for the EVM on a thread; the error. Past `limit` the test binary aborts: the
/// compile it left behind would go on taking memory.
fn refused(srcs: &[(String, String)], limit: Duration) -> String {
    let srcs = srcs.to_vec();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(compile_sources(&srcs).err()));
    match rx.recv_timeout(limit) {
        Ok(err) => err.expect("refused"),
        Err(_) => {
            eprintln!("compiling a hostile type took over {limit:?}");
            std::process::abort();
        }
    }
}

fn doubling_structs(levels: usize) -> String {
    let mut s: String = (0..levels)
        .map(|i| format!("struct T{i} {{ a: T{}, b: T{} }}\n", i + 1, i + 1))
        .collect();
    s += &format!("struct T{levels} {{ v: u256 }}\n");
    s
}

#[test]
fn exponentially_large_types_are_refused_promptly() {
    let cases = [
        // Declarations that double at each level.
        program(&doubling_structs(20), ", t: T0", "", "n"),
        program(&doubling_structs(20), "", "t: T0", "n"),
        // A generic that doubles its argument, nested.
        program(
            "struct P<T> { a: T, b: T }",
            &format!(", t: {}u256{}", "P<".repeat(20), ">".repeat(20)),
            "",
            "n",
        ),
    ];
    for srcs in cases {
        let err = refused(&srcs, Duration::from_secs(10));
        assert!(
            err.contains("error[E0217]"),
            "{}",
            &err[..err.len().min(800)]
        );
        assert!(err.contains("type is too large"), "{err}");
    }
}

#[test]
fn a_long_chain_of_structs_is_refused_without_exhausting_the_stack() {
    let n = 50_000;
    let mut items: String = (0..n)
        .map(|i| format!("struct T{i} {{ a: T{} }}\n", i + 1))
        .collect();
    items += &format!("struct T{n} {{ v: u256 }}\n");
    let err = refused(
        &program(&items, ", t: T0", "", "n"),
        Duration::from_secs(60),
    );
    assert!(
        err.contains("error[E0217]"),
        "{}",
        &err[..err.len().min(800)]
    );
}

#[test]
fn whole_storage_copies_past_the_limit_are_refused_promptly() {
    for (fields, body) in [
        ("xs: [u256; 1000000]", "let v = storage.xs\nv[0]"),
        ("xs: [u256; 1000000]", "storage.xs = [n; 1000000]\nn"),
        ("xs: [[u256; 1000]; 1000]", "let v = storage.xs\nv[0][0]"),
        ("xs: [u256; 2000]", "let v = storage.xs\nv[0]"),
    ] {
        let err = refused(&program("", "", fields, body), Duration::from_secs(10));
        assert!(err.contains("error[E0503]"), "{fields} {body}: {err}");
        assert!(err.contains("over the limit of 1024"), "{err}");
    }
}

#[test]
fn ordinary_sizes_still_compile_on_both_targets() {
    let struct_param = program(&doubling_structs(8), ", t: T0", "", "n");
    let copies = program(
        "",
        "",
        "xs: [u256; 1000], ys: [u64; 1000]",
        "let v = storage.xs\nstorage.ys = [3; 1000]\nv[1] + n",
    );
    for srcs in [struct_param, copies] {
        compile_sources(&srcs).unwrap_or_else(|e| panic!("EVM: {e}"));
        compile_wasm(&srcs).unwrap_or_else(|e| panic!("WASM: {e}"));
    }
}

/// A non-recursive chain of 100 functions or constants, each defined through the next, is
/// past the checker's depth: it says so, instead of calling it a recursion.
#[test]
fn long_chains_of_definitions_are_too_deep_not_recursive() {
    let n = 100;
    let mut fns: String = (0..n)
        .map(|i| format!("fn f{i}(x: u256) -> u256 {{ f{}(x) + 1 }}\n", i + 1))
        .collect();
    fns += &format!("fn f{n}(x: u256) -> u256 {{ x }}\n");
    let mut consts: String = (0..n)
        .map(|i| format!("const C{i}: u256 = C{} + 1\n", i + 1))
        .collect();
    consts += &format!("const C{n}: u256 = 1\n");
    for (items, body, says) in [
        (fns, "f0(n)", "calls deep"),
        (consts, "C0 + n", "defined through over 64 others"),
    ] {
        let err = refused(&program(&items, "", "", body), Duration::from_secs(30));
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("recursive call"), "{err}");
        assert!(!err.contains("in terms of itself"), "{err}");
    }
}
