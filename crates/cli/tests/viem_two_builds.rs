//! Issue 13, one source and two builds, seen by a real Ethereum client: the real `tandem`
//! binary builds the ERC-20 corpus contract with `--target all` and serves a `tandem node`;
//! `tests/viem-two-builds/two_builds.mjs` (viem, pinned in that folder's package.json)
//! deploys the EVM build over eth_ methods and the native build over tandem_* methods,
//! sends both the same calls (viem's readContract/writeContract/simulateContract/getLogs,
//! and the native FRC-0042 entry through tandem_call/tandem_sendMessage) and requires the
//! same answers, reverts and events.
//!
//! Needs node and npm; viem is installed from npm into `target/tmp/viem-two-builds` on first
//! use. Without them the test skips saying so, and fails under `CI=true` (tandem-testkit).

use crate::common;

use common::BIN;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script_dir() -> PathBuf {
    workspace().join("tests/viem-two-builds")
}

/// The pinned viem version of the script's package.json.
fn pinned_viem() -> String {
    let text = std::fs::read_to_string(script_dir().join("package.json")).expect("package.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("package.json is JSON");
    v["dependencies"]["viem"]
        .as_str()
        .expect("viem is a dependency")
        .to_string()
}

/// The script's folder copied into a cache under target/, with the pinned viem installed;
/// `None` (skip) without node and npm.
fn installed() -> Option<PathBuf> {
    if !tandem_testkit::tool(&["node", "npm"]) {
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("viem-two-builds");
    std::fs::create_dir_all(&dir).unwrap();
    let want = pinned_viem();
    let have = std::fs::read_to_string(dir.join("node_modules/viem/package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["version"].as_str().map(str::to_string));
    for f in ["package.json", "two_builds.mjs"] {
        std::fs::copy(script_dir().join(f), dir.join(f)).unwrap();
    }
    if have.as_deref() != Some(want.as_str()) {
        let (ok, out) = tandem_testkit::run_for(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund"])
                .current_dir(&dir),
            Duration::from_secs(600),
        );
        assert!(ok, "npm install (viem {want}) failed:\n{out}");
    }
    Some(dir)
}

fn tandem(args: &[&str], cwd: &Path) -> String {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("running tandem");
    assert!(
        out.status.success(),
        "tandem {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            if e.file_name() != "out" {
                copy_dir(&e.path(), &dest);
            }
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn viem_sees_the_evm_build_and_the_native_build_answer_alike() {
    let Some(npm) = installed() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("erc20");
    copy_dir(
        &workspace().join("crates/lang/harness/fixtures/corpus/erc20"),
        &pkg,
    );
    tandem(&["build", "--target", "all"], &pkg);
    let out = pkg.join("out/Token.tdm");
    assert!(out.join("Token.wasm").exists(), "no native build");

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _node = Node(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(tmp.path().join("chain"))
            .args(["node", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting tandem node"),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the node did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (ok, log) = tandem_testkit::run_for(
        Command::new("node")
            .arg("two_builds.mjs")
            .current_dir(&npm)
            .env("TANDEM_RPC", format!("http://127.0.0.1:{port}"))
            .env("TOKEN_ARTIFACT", out.join("Token.json"))
            .env("TOKEN_WASM", out.join("Token.wasm")),
        Duration::from_secs(180),
    );
    println!("{log}");
    assert!(ok, "two_builds.mjs failed:\n{log}");
    assert!(log.contains("two builds: ok"), "did not finish:\n{log}");
}
