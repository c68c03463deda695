//! Real Ethereum clients against an in-process node: the viem and ethers v6 scripts (npm)
//! and the web3.py script (PyPI) in `tests/clients/`. Each installs its client at test time
//! into a cache under `target/tmp/node-clients`, so repeated runs are fast. A test skips,
//! saying why, when node/npm/python or the contract fixtures are missing.

#[path = "../../wasm/tests/common/actors.rs"]
mod actors;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestNode;

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("node-clients")
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// The OpenZeppelin artifacts: `$TANDEM_ARTIFACTS`, or `../shared/fixtures/evm-artifacts`
/// beside the repository.
fn artifacts() -> Option<PathBuf> {
    let dir = std::env::var_os("TANDEM_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/evm-artifacts")
        });
    dir.join("openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json")
        .exists()
        .then_some(dir)
}

fn has_tool(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a command to completion within `limit`; returns its success and combined output.
fn run(cmd: &mut Command, limit: Duration) -> (bool, String) {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out_path = cache_dir().join(format!("out-{}-{n}.log", std::process::id()));
    std::fs::create_dir_all(cache_dir()).unwrap();
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = cmd
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawning");
    let start = Instant::now();
    let ok = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.success();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    (ok, text)
}

fn npm_dir() -> Option<PathBuf> {
    if !has_tool("node", "--version") || !has_tool("npm", "--version") {
        return None;
    }
    // The viem and ethers tests run in parallel; one installs, the other waits.
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = cache_dir().join("npm");
    let ready = dir.join("node_modules/viem/package.json").exists()
        && dir.join("node_modules/ethers/package.json").exists();
    if !ready {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("package.json"),
            r#"{"name": "tandem-node-clients", "private": true}"#,
        )
        .unwrap();
        let (ok, out) = run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "viem@2", "ethers@6"])
                .current_dir(&dir),
            INSTALL_TIMEOUT,
        );
        assert!(ok, "npm install failed:\n{out}");
    }
    Some(dir)
}

fn python_dir() -> Option<PathBuf> {
    let pip = Command::new("python3")
        .args(["-m", "pip", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !pip {
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
    let Some(artifacts) = artifacts() else {
        eprintln!("skipped: the evm-artifacts fixtures are missing (set TANDEM_ARTIFACTS)");
        return;
    };
    let Some(npm) = npm_dir() else {
        eprintln!("skipped: node and npm are not installed");
        return;
    };
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
        eprintln!("skipped: needs node/npm and the evm-artifacts fixtures");
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
        eprintln!("skipped: node and npm are not installed");
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
    let Some(artifacts) = artifacts() else {
        eprintln!("skipped: the evm-artifacts fixtures are missing (set TANDEM_ARTIFACTS)");
        return;
    };
    let Some(py) = python_dir() else {
        eprintln!("skipped: python3 with pip is not installed");
        return;
    };
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
