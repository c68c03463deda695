//! `tandem test --target evm|wasm|all`: the scaffold passes on every target; `all` (the
//! default) runs the WASM build too, `test-target` in Tandem.toml changes the default, and a
//! package whose WASM build the backend refuses fails under `all` and names the construct.

use crate::common;
use common::{tandem_in as tandem, text};

#[test]
fn test_runs_on_the_chosen_targets() {
    let tmp = tempfile::tempdir().unwrap();
    let init = tandem(tmp.path(), &["init", "coin"]);
    assert!(init.status.success(), "{}", text(&init));
    let pkg = tmp.path().join("coin");

    let all = tandem(&pkg, &["test"]);
    let out = text(&all);
    assert!(all.status.success(), "{out}");
    assert!(out.contains("revm and the Tandem VM agree"), "{out}");
    assert!(
        out.contains("sent to the WASM build, which agrees"),
        "{out}"
    );

    let evm = tandem(&pkg, &["test", "--target", "evm"]);
    assert!(evm.status.success(), "{}", text(&evm));
    assert!(!text(&evm).contains("WASM"), "{}", text(&evm));

    let wasm = tandem(&pkg, &["test", "--target", "wasm"]);
    assert!(wasm.status.success(), "{}", text(&wasm));
    assert!(!text(&wasm).contains("revm"), "{}", text(&wasm));

    // Tandem.toml sets the default; the flag wins over it
    let manifest = pkg.join("Tandem.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let with = original.replace("[package]\n", "[package]\ntest-target = \"evm\"\n");
    std::fs::write(&manifest, &with).unwrap();
    let evm = tandem(&pkg, &["test"]);
    assert!(evm.status.success(), "{}", text(&evm));
    assert!(!text(&evm).contains("WASM"), "{}", text(&evm));
    let all = tandem(&pkg, &["test", "--target", "all"]);
    assert!(text(&all).contains("WASM"), "{}", text(&all));
    std::fs::write(
        &manifest,
        original.replace("[package]\n", "[package]\ntest-target = \"both\"\n"),
    )
    .unwrap();
    let bad = tandem(&pkg, &["test"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("test-target"), "{}", text(&bad));
    std::fs::write(&manifest, original).unwrap();

    // a wrong expectation fails on the WASM target alone too, at the test's own line
    let calls = pkg.join("test/Coin.calls");
    let original = std::fs::read_to_string(&calls).unwrap();
    let (n, _) = original
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("totalSupply()"))
        .expect("the scaffold tests totalSupply");
    std::fs::write(
        &calls,
        original.replace("totalSupply() -> 1000", "totalSupply() -> 999"),
    )
    .unwrap();
    let failed = tandem(&pkg, &["test", "--target", "wasm"]);
    let out = text(&failed);
    assert!(!failed.status.success(), "{out}");
    assert!(out.contains(&format!("Coin.calls:{}:", n + 1)), "{out}");
}

#[test]
fn a_refused_wasm_build_fails_under_all() {
    // An EVM code read: the WASM target refuses it (docs/wasm-target.md).
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("emitter");
    std::fs::create_dir_all(pkg.join("src")).unwrap();
    std::fs::create_dir_all(pkg.join("test")).unwrap();
    std::fs::write(
        pkg.join("Tandem.toml"),
        "[package]\nname = \"emitter\"\nversion = \"0.1.0\"\n\n[dependencies]\n",
    )
    .unwrap();
    std::fs::write(
        pkg.join("src/Emitter.tdm"),
        r#"
use std::code::code_hash
message Ops { Get -> u256, Peek -> u256 }
struct Nothing { }

contract Emitter {
    storage: Nothing
    recv Ops {
        Get => with ctx {
            let _ = code_hash(ctx.caller())
            1
        }
        Peek => { 2 }
    }
}
"#,
    )
    .unwrap();
    std::fs::write(
        pkg.join("test/Emitter.calls"),
        "deploy Emitter ->\npeek() -> 2\n",
    )
    .unwrap();
    let all = tandem(&pkg, &["test"]);
    let out = text(&all);
    assert!(!all.status.success(), "{out}");
    assert!(out.contains("not supported by the WASM target"), "{out}");
    assert!(out.contains("--target evm"), "{out}");
    let evm = tandem(&pkg, &["test", "--target", "evm"]);
    assert!(evm.status.success(), "{}", text(&evm));
}
