//! `tandem schema`, `tandem bindgen --rust` and the artifact's `ipldSchema` through the real
//! binary, on the package `tandem init` scaffolds; errors (an unknown contract, no package)
//! exit non-zero with a message, not a panic.

use crate::common;

use common::BIN;
use std::path::Path;
use std::process::{Command, Output};

fn in_dir(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running tandem")
}

fn stdout(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn schema_bindgen_and_the_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    stdout(in_dir(tmp.path(), &["init", "coin"]), "tandem init");
    let pkg = tmp.path().join("coin");
    let schema = stdout(in_dir(&pkg, &["schema"]), "tandem schema");
    assert!(schema.contains("type TransferParams struct {"), "{schema}");
    assert!(
        schema.contains("  value BigInt\n} representation tuple"),
        "{schema}"
    );
    assert!(schema.contains("type TransferReturn Bool"), "{schema}");
    assert!(
        schema.contains("  | CoinConstructorParams \"1\""),
        "{schema}"
    );
    let named = stdout(
        in_dir(&pkg, &["schema", "--contract", "Coin", "--json"]),
        "tandem schema --json",
    );
    let v: serde_json::Value = serde_json::from_str(&named).unwrap();
    assert_eq!(v["Coin"].as_str(), Some(schema.as_str()));

    let rust = stdout(in_dir(&pkg, &["bindgen", "--rust"]), "tandem bindgen");
    assert!(rust.contains("#[derive(tandem_sdk::Cbor"), "{rust}");
    assert!(
        rust.contains("pub const TRANSFER: u64 = 80475954;"),
        "{rust}"
    );
    assert!(rust.contains("pub fn call_transfer("), "{rust}");

    stdout(in_dir(&pkg, &["build", "--target", "wasm"]), "tandem build");
    let art = std::fs::read_to_string(pkg.join("out/Coin.tdm/Coin.json")).unwrap();
    let art: serde_json::Value = serde_json::from_str(&art).unwrap();
    assert_eq!(art["wasm"]["ipldSchema"].as_str(), Some(schema.as_str()));

    let o = in_dir(&pkg, &["schema", "--contract", "Nope"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no contract `Nope`"));
    let o = in_dir(tmp.path(), &["bindgen", "--rust", "--path", "missing"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("Tandem.toml"));
}

/// A package where the WASM target refuses one contract (an EVM code read) and
/// builds the other: `schema` and `bindgen` emit the one that builds, name the refused one
/// on stderr and succeed; asked for the refused one alone, they fail naming it.
#[test]
fn a_refused_contract_does_not_hide_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("two");
    std::fs::create_dir_all(pkg.join("src")).unwrap();
    std::fs::write(
        pkg.join("Tandem.toml"),
        "[package]\nname = \"two\"\nversion = \"0.1.0\"\n\n[dependencies]\n",
    )
    .unwrap();
    std::fs::write(
        pkg.join("src/Two.tdm"),
        r#"
use std::code::code_hash
message Ops { Get -> u256 }
struct Nothing { }

contract Emitter {
    storage: Nothing
    recv Ops {
        Get => with ctx {
            let _ = code_hash(ctx.caller())
            1
        }
    }
}

contract Plain {
    storage: Nothing
    recv Ops { Get => { 2 } }
}
"#,
    )
    .unwrap();
    let refused = "warning: contract `Emitter` left out: the WASM target refuses it";
    for args in [
        &["schema"][..],
        &["schema", "--json"],
        &["bindgen", "--rust"],
    ] {
        let o = in_dir(&pkg, args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{args:?}: {err}");
        assert!(err.contains(refused), "{args:?}: {err}");
        assert!(
            err.contains("not supported by the WASM target"),
            "{args:?}: {err}"
        );
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(out.contains("Plain"), "{args:?}: {out}");
        assert!(!out.contains("Emitter"), "{args:?}: {out}");
    }
    let v: serde_json::Value =
        serde_json::from_slice(&in_dir(&pkg, &["schema", "--json"]).stdout).unwrap();
    assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), ["Plain"]);
    for args in [
        &["schema", "--contract", "Emitter"][..],
        &["bindgen", "--rust", "--contract", "Emitter"],
    ] {
        let o = in_dir(&pkg, args);
        assert!(!o.status.success(), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("the WASM target refuses the contract `Emitter`"),
            "{args:?}: {err}"
        );
    }
}
