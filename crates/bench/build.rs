//! Builds the example token actor to WASM so `tandem bench` carries it inside the binary.
//! It uses a target dir of its own (`target/wasm-actors`, shared with the tests), so the
//! nested cargo never waits on the outer build's lock.
//!
//! The build profile is the actor profile of `tandem-actor-test`, shared as its file through
//! `include!`: that crate as a build-dependency would compile wasmtime, the VM and the EVM
//! for this script (a second time, with the build profile) just for a table of six pairs.

use std::path::PathBuf;
use std::process::Command;

#[allow(dead_code)] // The file also holds what only the manifest writer uses.
mod profile {
    include!("../actor-test/src/profile.rs");
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("../..");
    for watched in [
        "examples/actors/token",
        "crates/sdk",
        ".cargo/config.toml",
        "crates/actor-test/src/profile.rs",
    ] {
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
        // The profile every actor is built with (`tandem actor build`, the tests).
        .envs(profile::actor_profile_env())
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
