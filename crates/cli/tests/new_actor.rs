//! `tandem new --actor`: `tandem actor build` builds the scaffold for wasm32 as it is, its own
//! `cargo test` passes (unit tests and `tests/actor.rs` on the real VM through
//! `tandem-actor-test`), and the real binary installs, creates and drives its sample actor with
//! JSON params and decoded returns and errors.
//!
//! Cost: the scaffold shares the workspace's target dir (`CARGO_TARGET_DIR`) and gets a copy of
//! the workspace's `Cargo.lock`, so its dependencies are the workspace's, mostly built already.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{BIN, json, tandem};
use serde_json::json;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace's target dir (where this test binary was built from).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// `cargo …` in the scaffold, on the workspace's target dir, as a user would run it.
fn cargo(crate_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .current_dir(crate_dir)
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("running cargo")
}

/// `tandem actor build` in the scaffold; the module's path from its `--json`.
fn actor_build(crate_dir: &Path) -> PathBuf {
    let out = Command::new(BIN)
        .current_dir(crate_dir)
        .args(["--json", "actor", "build"])
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("running tandem");
    assert!(
        out.status.success(),
        "tandem actor build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let built: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(built["initial_pages"].as_u64().unwrap() < 17, "{built}");
    let path = PathBuf::from(built["module"].as_str().unwrap());
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        built["size"].as_u64().unwrap()
    );
    path
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
    assert!(config.contains("-zstack-size=32768"));
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("cdylib"), "{manifest}");
    // The manifest's release profile is the actor profile, from its one definition.
    let profile = tandem_actor_test::profile::actor_profile_toml();
    assert!(
        manifest.contains(&format!("[profile.release]\n{profile}\n")),
        "{manifest}"
    );
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

    assert!(crate_dir.join("tests/actor.rs").is_file());
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("tandem-actor-test"), "{manifest}");

    let wasm = actor_build(&crate_dir);
    assert!(wasm.ends_with("wasm32-unknown-unknown/release/hello_actor.wasm"));
    let size = std::fs::metadata(&wasm).unwrap().len();
    assert!(size < 64 * 1024, "a small module: {size} bytes");
    // The text form: the path, then the size.
    let text = Command::new(BIN)
        .current_dir(&crate_dir)
        .args(["actor", "build"])
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("hello_actor.wasm") && text.contains(&format!("{size} bytes")),
        "{text}"
    );
    // A plain `cargo build --release` of the scaffold (its manifest's profile, no overrides)
    // makes the very module `tandem actor build` made.
    let by_actor_build = std::fs::read(&wasm).unwrap();
    let plain = cargo(
        &crate_dir,
        &["build", "--release", "--target", "wasm32-unknown-unknown"],
    );
    assert!(
        plain.status.success(),
        "cargo build --release: {}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(
        std::fs::read(&wasm).unwrap() == by_actor_build,
        "the manifest's profile and tandem actor build's differ"
    );

    // The scaffold's own tests pass, the harness's among them; with the workspace's lock file
    // its dependencies are the ones already built.
    std::fs::copy(workspace().join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    let started = Instant::now();
    let tested = cargo(&crate_dir, &["test"]);
    let stdout = String::from_utf8_lossy(&tested.stdout);
    assert!(
        tested.status.success(),
        "the scaffold's cargo test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    assert!(stdout.contains("greets_and_counts ... ok"), "{stdout}");
    assert!(
        stdout.contains("only_the_owner_sets_the_greeting ... ok"),
        "{stdout}"
    );
    eprintln!("the scaffold's cargo test took {:.1?}", started.elapsed());

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
