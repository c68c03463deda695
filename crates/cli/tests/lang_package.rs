//! The real binary on a new package: `tandem init`, `tandem build`, `tandem test` passes;
//! a wrong expectation fails with the test file's own line number.

use crate::common;
use common::{tandem_in as tandem, text};

#[test]
fn init_build_and_test_a_package() {
    let tmp = tempfile::tempdir().unwrap();
    let init = tandem(tmp.path(), &["init", "coin"]);
    assert!(init.status.success(), "{}", text(&init));
    let pkg = tmp.path().join("coin");
    for f in [
        "Tandem.toml",
        "src/Coin.tdm",
        "test/Coin.calls",
        ".gitignore",
    ] {
        assert!(pkg.join(f).exists(), "init wrote no {f}");
    }
    let build = tandem(&pkg, &["build"]);
    assert!(build.status.success(), "{}", text(&build));
    assert!(pkg.join("out/Coin.tdm/Coin.json").exists());

    let test = tandem(&pkg, &["test"]);
    assert!(test.status.success(), "{}", text(&test));
    assert!(
        text(&test).contains("1 passed, 0 failed"),
        "{}",
        text(&test)
    );

    // Break one expectation: the run fails and names the line.
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
    let failed = tandem(&pkg, &["test"]);
    assert!(!failed.status.success(), "{}", text(&failed));
    let out = text(&failed);
    assert!(out.contains(&format!("Coin.calls:{}:", n + 1)), "{out}");
    assert!(out.contains("expected 999"), "{out}");
}
