//! Builds the example token actor to WASM so `tandem bench` carries it inside the binary.
//! It uses a target dir of its own (`target/wasm-actors`, shared with the tests), so the
//! nested cargo never waits on the outer build's lock.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("../..");
    for watched in ["examples/actors/token", "crates/sdk", ".cargo/config.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let target = root.join("target/wasm-actors");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .arg("--target-dir")
        .arg(&target)
        .args(["-p", "token-actor"])
        // The same small-module profile as the tests' build.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s")
        // Nothing of the outer build (clippy's wrapper, host flags) applies to wasm32.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("running cargo for the token actor");
    assert!(
        status.success(),
        "building the token actor for wasm32 failed (is `rustup target add wasm32-unknown-unknown` done?)"
    );
    let wasm = target.join("wasm32-unknown-unknown/release/token_actor.wasm");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("token.wasm");
    std::fs::copy(&wasm, &out).expect("copying the token actor");
}
