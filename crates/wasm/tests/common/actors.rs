//! Builds the example actors to WASM once per test run (a process-wide `OnceLock` plus a
//! file lock across test binaries), into `target/wasm-actors`, a target dir of its own so
//! the nested cargo never waits on the outer one's lock. Each actor is its own cargo build,
//! so one actor's SDK features (e.g. the ledger's `ipld`, which links std) never reach
//! another's module through feature unification. The profile is tandem-actor-test's (its
//! file, through `include!`: that crate depends on this one).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

#[allow(dead_code)] // The file also holds what only the manifest writer uses.
mod profile {
    include!("../../../actor-test/src/profile.rs");
}

pub const ACTORS: &[&str] = &[
    "counter",
    "token",
    "evm-caller",
    "ledger",
    "async-pinger",
    "tandem-caller",
    "guard",
];

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build() -> PathBuf {
    let root = workspace();
    let target = root.join("target/wasm-actors");
    std::fs::create_dir_all(&target).unwrap();
    let lock = std::fs::File::create(target.join(".build-lock")).unwrap();
    lock.lock().unwrap();
    for a in ACTORS {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(&root)
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "--target-dir",
            ])
            .arg(&target)
            .args(["-p", &format!("{a}-actor")])
            // The profile every actor is built with (`tandem actor build`, the bench).
            .envs(profile::actor_profile_env())
            .env_remove("RUSTFLAGS");
        let status = cmd.status().expect("running cargo");
        assert!(status.success(), "building the example actor {a} failed");
    }
    target.join("wasm32-unknown-unknown/release")
}

/// The bytes of an example actor's module (`name` as in [`ACTORS`]).
pub fn wasm(name: &str) -> Vec<u8> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(build);
    let file = dir.join(format!("{}_actor.wasm", name.replace('-', "_")));
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}
