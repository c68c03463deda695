//! `tandem fmt` driven as a binary: rewrites files, `--check` lists them and fails, malformed
//! files are reported and left untouched.

use std::process::Command;

fn tandem() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
}

#[test]
fn fmt_check_and_write() {
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("a.tdm");
    let clean = dir.path().join("b.tdm");
    let broken = dir.path().join("c.tdm");
    std::fs::write(
        &messy,
        "struct S { x: u256 ,y: u256 }\nfn f() -> u256 { 1; }\n",
    )
    .unwrap();
    std::fs::write(&clean, "struct T { x: u256 }\n").unwrap();

    let out = tandem()
        .arg("fmt")
        .arg("--check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(
        listed.contains("a.tdm") && !listed.contains("b.tdm"),
        "{listed}"
    );
    assert!(std::fs::read_to_string(&messy).unwrap().contains(" ,y"));

    let out = tandem().arg("fmt").arg(dir.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "struct S { x: u256, y: u256 }\nfn f() -> u256 { 1; }\n"
    );
    let out = tandem()
        .arg("fmt")
        .arg("--check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());

    let bad = "fn f( {\n";
    std::fs::write(&broken, bad).unwrap();
    let out = tandem().arg("fmt").arg(&broken).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("c.tdm") && err.contains("syntax errors"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), bad);
}
