//! Real Ethereum clients against an in-process node: the viem and ethers v6 scripts (npm)
//! and the web3.py script (PyPI) in `tests/clients/`. Each installs its client at test time
//! into a cache under `target/tmp/node-clients`, so repeated runs are fast. A test skips,
//! saying why, when node/npm/python or the contract fixtures are missing, and fails instead
//! under `CI=true` (tandem-testkit).

use crate::actors;
use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::TestNode;
use tandem_testkit::run_for as run;

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("node-clients")
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// The OpenZeppelin artifacts: `$TANDEM_ARTIFACTS`, or the shared fixtures' `evm-artifacts`.
/// `None` (after the testkit's skip message) when they are missing.
fn artifacts() -> Option<PathBuf> {
    let dir = std::env::var_os("TANDEM_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| tandem_testkit::shared_fixtures_dir().join("evm-artifacts"));
    let present = dir
        .join("openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json")
        .exists();
    tandem_testkit::need(
        &format!(
            "the evm-artifacts fixtures in {} (or set TANDEM_ARTIFACTS)",
            dir.display()
        ),
        present.then_some(dir),
    )
}

/// viem and ethers installed in the test cache; `None` without node and npm.
fn npm_dir() -> Option<PathBuf> {
    let dir = cache_dir().join("npm");
    tandem_testkit::npm_packages(&dir, &["viem@2", "ethers@6"])?;
    Some(dir)
}

/// web3.py installed in the test cache; `None` without python3 and pip.
fn python_dir() -> Option<PathBuf> {
    let pip = tandem_testkit::runs("python3", &["-m", "pip", "--version"]);
    if !tandem_testkit::require("python3 with pip", pip) {
        return None;
    }
    let dir = cache_dir().join("py");
    if !dir.join("web3/__init__.py").exists() {
        let (ok, out) = run(
            Command::new("python3").args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                dir.to_str().unwrap(),
                "web3>=7,<9",
            ]),
            INSTALL_TIMEOUT,
        );
        assert!(ok, "pip install web3 failed:\n{out}");
    }
    Some(dir)
}

fn run_node_script(name: &str) {
    run_node_script_with(name, &[]);
}

fn run_node_script_with(name: &str, env: &[(&str, PathBuf)]) {
    let Some(artifacts) = artifacts() else { return };
    let Some(npm) = npm_dir() else { return };
    // ESM imports resolve from the script's folder, so the script runs beside node_modules.
    std::fs::copy(scripts_dir().join(name), npm.join(name)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let (ok, out) = run(
        Command::new("node")
            .arg(name)
            .current_dir(&npm)
            .env("TANDEM_RPC", node.url())
            .env("TANDEM_ARTIFACTS", &artifacts)
            .envs(env.iter().map(|(k, v)| (k, v))),
        SCRIPT_TIMEOUT,
    );
    println!("{out}");
    assert!(ok, "{name} failed:\n{out}");
    assert!(out.contains(": ok"), "{name} did not finish:\n{out}");
}

#[test]
fn viem() {
    run_node_script("viem.mjs");
}

/// A native actor (examples/actors/evm-caller) installed, created and messaged over
/// `tandem_*` RPC calls an ERC20 that viem deployed; viem sees the effects and the logs.
#[test]
fn native_actor_calls_viem_contract() {
    if artifacts().is_none() || npm_dir().is_none() {
        return;
    }
    let wasm = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("evm_caller_actor.wasm");
    std::fs::write(&wasm, actors::wasm("evm-caller")).unwrap();
    run_node_script_with("native_actor.mjs", &[("TANDEM_ACTOR_WASM", wasm)]);
}

/// A new user's path: `tandem init` + `tandem build` (the library the CLI calls), then viem
/// deploys the artifact on the node and calls it.
#[test]
fn tandem_language_coin_through_viem() {
    if npm_dir().is_none() {
        return;
    }
    let pkg = tempfile::tempdir().unwrap();
    let dir = pkg.path().join("coin");
    tandem_lang_driver::init_package(&dir, "coin").unwrap();
    tandem_lang_driver::build_package(&dir).unwrap();
    let artifact = dir.join("out/Coin.tdm/Coin.json");
    run_node_script_with("lang_coin.mjs", &[("TANDEM_COIN_ARTIFACT", artifact)]);
}

#[test]
fn ethers_v6() {
    run_node_script("ethers.mjs");
}

#[test]
fn web3_py() {
    let Some(artifacts) = artifacts() else { return };
    let Some(py) = python_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let (ok, out) = run(
        Command::new("python3")
            .arg(scripts_dir().join("web3_client.py"))
            .env("PYTHONPATH", &py)
            .env("TANDEM_RPC", node.url())
            .env("TANDEM_ARTIFACTS", &artifacts),
        SCRIPT_TIMEOUT,
    );
    println!("{out}");
    assert!(ok, "web3_client.py failed:\n{out}");
    assert!(
        out.contains("web3.py: ok"),
        "web3_client.py did not finish:\n{out}"
    );
}
