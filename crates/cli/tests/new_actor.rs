//! `tandem new --actor`: the scaffold builds for wasm32 as it is (one cargo build, in a
//! target dir of its own under the workspace's `target/`), and the real binary installs,
//! creates and drives its sample actor with JSON params and decoded returns and errors.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{json, tandem};
use serde_json::json;

fn build(crate_dir: &std::path::Path) -> PathBuf {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/scaffold-actors");
    let status = Command::new(env!("CARGO"))
        .current_dir(crate_dir)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .arg("--target-dir")
        .arg(&target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("running cargo");
    assert!(status.success(), "the scaffolded actor builds");
    target.join("wasm32-unknown-unknown/release/hello_actor.wasm")
}

#[test]
fn a_scaffolded_actor_builds_installs_and_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let crate_dir = tmp.path().join("hello");
    let chain = tmp.path().join("chain");
    let made = json(
        &chain,
        &[
            "new",
            "--actor",
            "hello-actor",
            "--dir",
            crate_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(
        made["module"],
        "target/wasm32-unknown-unknown/release/hello_actor.wasm"
    );
    let config = std::fs::read_to_string(crate_dir.join(".cargo/config.toml")).unwrap();
    assert!(config.contains("-zstack-size=65536"));
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("cdylib") && manifest.contains("opt-level = \"s\""));
    // not over an existing crate
    let again = tandem(
        &chain,
        &[
            "new",
            "--actor",
            "hello-actor",
            "--dir",
            crate_dir.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success());

    let wasm = build(&crate_dir);
    let size = std::fs::metadata(&wasm).unwrap().len();
    assert!(size < 64 * 1024, "a small module: {size} bytes");

    let genesis = json(&chain, &["chain", "init", "--accounts", "2"]);
    let alice = genesis["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = genesis["accounts"][1]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let installed = json(
        &chain,
        &[
            "actor",
            "install",
            wasm.to_str().unwrap(),
            "--gas-limit",
            "30000000",
        ],
    );
    let code = installed["code_cid"].as_str().unwrap();
    let created = json(
        &chain,
        &["actor", "create", code, "--params-json", r#"["hello"]"#],
    );
    let actor = created["id_address"].as_str().unwrap().to_string();
    let send = |from: &str, method: &str, params: Option<&str>| {
        let mut args = vec!["--json", "send", "--from", from, "--to", &actor];
        args.extend(["--method-name", method]);
        if let Some(p) = params {
            args.extend(["--params-json", p]);
        }
        tandem(&chain, &args)
    };

    let greeted = send(&alice, "Greet", None);
    assert!(greeted.status.success());
    let r: serde_json::Value = serde_json::from_slice(&greeted.stdout).unwrap();
    assert_eq!(r["return_decoded"], json!(["hello", 1]));

    let state = json(&chain, &["call", "--to", &actor, "--method-name", "State"]);
    let decoded = &state["return_decoded"];
    assert!(
        decoded[0]["bytes"].as_str().unwrap().starts_with("0x00"),
        "{decoded}"
    );
    assert_eq!(decoded[1], "hello");
    assert_eq!(decoded[2], 1, "the call did not count, the send did");

    // the owner check, an unknown method and bad params: decoded reasons, non-zero exits
    let forbidden = send(&bob, "SetGreeting", Some(r#"["hi"]"#));
    assert!(!forbidden.status.success());
    let err = String::from_utf8_lossy(&forbidden.stderr);
    assert!(err.contains("USR_FORBIDDEN (18): only the owner"), "{err}");

    let unknown = tandem(
        &chain,
        &[
            "send", "--from", &alice, "--to", &actor, "--method", "12345",
        ],
    );
    assert!(!unknown.status.success());
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("USR_UNHANDLED_MESSAGE (22): unhandled method 12345"),
        "{err}"
    );

    let malformed = send(&alice, "SetGreeting", Some("[1]"));
    assert!(!malformed.status.success());
    let err = String::from_utf8_lossy(&malformed.stderr);
    assert!(err.contains("USR_SERIALIZATION (21)"), "{err}");

    assert!(
        send(&alice, "SetGreeting", Some(r#"["hi"]"#))
            .status
            .success()
    );
    let greeted = send(&alice, "Greet", None);
    let r: serde_json::Value = serde_json::from_slice(&greeted.stdout).unwrap();
    assert_eq!(r["return_decoded"], json!(["hi", 2]));
}
