//! The real binary's diagnostics: `tandem explain`, warnings that do not fail a build,
//! `--deny-warnings`/`-D warnings` that do, errors printed once as `error[E…]` (not
//! `error: error[E…]`), and a backend's refusal with the handler's file, line and column.

use std::path::Path;

use crate::common;
use common::{tandem_in as tandem, text};

fn package(dir: &Path, src: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Tandem.toml"), "[package]\nname = \"p\"\n").unwrap();
    std::fs::write(dir.join("src/C.tdm"), src).unwrap();
}

#[test]
fn explain_prints_a_page_per_code() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tandem(tmp.path(), &["explain", "E0400"]);
    assert!(out.status.success(), "{}", text(&out));
    let page = text(&out);
    assert!(page.starts_with("E0400: missing capability"), "{page}");
    assert!(page.contains("```tandem"), "no example in:\n{page}");
    assert!(page.contains("Fix: "), "no fix in:\n{page}");
    let lower = tandem(tmp.path(), &["explain", "w0001"]);
    assert!(
        text(&lower).starts_with("W0001: unused variable"),
        "{}",
        text(&lower)
    );
    let list = tandem(tmp.path(), &["explain", "--list"]);
    assert!(list.status.success());
    let listing = text(&list);
    for code in ["E0001", "E0102", "E0500", "E0800", "E0801", "W0003"] {
        assert!(listing.contains(code), "{code} not listed");
    }
    let bad = tandem(tmp.path(), &["explain", "E9999"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("no diagnostic code `E9999`"),
        "{}",
        text(&bad)
    );
}

const WARNS: &str = "message M { Get { a: u256 } -> u256 }
contract C {
    recv M {
        Get { a } => {
            let unused = 1
            a
        }
    }
}
";

#[test]
fn warnings_print_and_deny_warnings_fails() {
    let tmp = tempfile::tempdir().unwrap();
    package(tmp.path(), WARNS);
    let build = tandem(tmp.path(), &["build"]);
    assert!(build.status.success(), "{}", text(&build));
    assert!(
        text(&build).contains("warning[W0001]: unused variable `unused`"),
        "{}",
        text(&build)
    );
    assert!(text(&build).contains("src/C.tdm:5:17"), "{}", text(&build));
    assert!(tmp.path().join("out/C.tdm/C.json").exists());
    std::fs::remove_dir_all(tmp.path().join("out")).unwrap();
    for flags in [
        &["build", "--deny-warnings"][..],
        &["build", "-D", "warnings"][..],
    ] {
        let denied = tandem(tmp.path(), flags);
        assert!(
            !denied.status.success(),
            "{flags:?} passed:\n{}",
            text(&denied)
        );
        let t = text(&denied);
        assert!(t.contains("warning[W0001]"), "{t}");
        assert!(t.contains("1 warning(s) denied"), "{t}");
        assert!(
            !tmp.path().join("out").exists(),
            "{flags:?} wrote artifacts"
        );
    }
    let bin = tandem(tmp.path(), &["build", "--bin", "--deny-warnings"]);
    assert!(!bin.status.success(), "{}", text(&bin));
}

#[test]
fn errors_are_printed_once_without_a_second_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    package(
        tmp.path(),
        "message M { Get -> u256 }\nstruct S { x: u256 }\ncontract C {\n    storage: S\n    recv M { Get => { storage.x } }\n}\n",
    );
    let build = tandem(tmp.path(), &["build"]);
    assert!(!build.status.success());
    let t = String::from_utf8_lossy(&build.stderr).to_string();
    assert!(t.starts_with("error[E0400]"), "{t}");
    assert!(!t.contains("error: error"), "{t}");
    assert!(t.contains("src/C.tdm:5:23"), "{t}");
}

#[test]
fn backend_refusals_name_the_handler() {
    // `std::code::code_at` reads an account's code bytes: the EVM build compiles it, the
    // WASM build refuses it (no syscall reads an actor's code) at the handler that uses it.
    let tmp = tempfile::tempdir().unwrap();
    package(
        tmp.path(),
        "message M { Code { at: Address } -> u256 }\ncontract C {\n    recv M { Code { at } => with ctx { std::code::code_at(at).len() } }\n}\n",
    );
    let build = tandem(tmp.path(), &["build", "--target", "evm"]);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let build = tandem(tmp.path(), &["build", "--target", "wasm"]);
    assert!(!build.status.success());
    let t = String::from_utf8_lossy(&build.stderr).to_string();
    assert!(t.starts_with("error[E0801]"), "{t}");
    assert!(t.contains("src/C.tdm:3:14"), "no span in {t}");
    assert!(t.contains("std::code::code_at"), "{t}");
}
