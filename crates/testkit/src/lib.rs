//! Helpers for tests that need something outside the repository: a tool on `PATH` (node, npm,
//! python3 with pip) or the shared fixtures beside the checkout (`../shared/fixtures`).
//!
//! The rule lives here, once: when a test's requirement is missing,
//!
//! - on a developer's machine the test prints `skipped: …` (straight to the terminal, past the
//!   test harness's output capture) and returns early, so a fresh clone passes;
//! - under `CI=true` the test **fails**, naming what is missing, so CI never reports a test as
//!   passed that did not run.
//!
//! A test asks with [`require`] (or the `Option` forms [`fixture`] and [`tool`]) and returns
//! when it gets `false`/`None`; it never returns early without going through this crate.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether this run is CI's: the `CI` environment variable is `true` or `1` (any case), as
/// CI services and `.ci/run` set it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("true") || v == "1"
    })
}

/// The name of the running test (libtest names each test's thread after it), for messages.
fn test_name() -> String {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(|n| format!("{n}: "))
        .unwrap_or_default()
}

/// Checks one requirement of a test. `what` names it ("node and npm", "../shared/fixtures/
/// evm-artifacts"); `available` says whether it is there.
///
/// Returns `true` when it is. Otherwise: under CI (see [`in_ci`]) it panics, failing the test;
/// elsewhere it prints `skipped: <test>: <what> not available` and returns `false`, and the test
/// returns.
#[track_caller]
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    let test = test_name();
    if in_ci() {
        panic!(
            "{test}{what} not available; with CI=true a missing tool or fixture fails the test \
             (provide it, or run without CI=true to skip)"
        );
    }
    // Straight to stderr: libtest captures `eprintln!` of passing tests, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {test}{what} not available (with CI=true this fails)"
    );
    false
}

/// [`require`] for a value that may be absent: `Some` passes through, `None` skips or fails.
#[track_caller]
pub fn need<T>(what: &str, value: Option<T>) -> Option<T> {
    if require(what, value.is_some()) {
        value
    } else {
        None
    }
}

/// The workspace root (the folder holding the top `Cargo.toml`).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared fixtures: `$TANDEM_FIXTURES` when set, else `../shared/fixtures` beside the
/// checkout. The folder may not exist; see [`fixture`].
pub fn shared_fixtures_dir() -> PathBuf {
    match std::env::var_os("TANDEM_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_dir().join("../shared/fixtures"),
    }
}

/// A path inside the shared fixtures (`rel`, e.g. `"evm-artifacts"`), or `None` when it is
/// absent: the test skips, or fails under CI.
#[track_caller]
pub fn fixture(rel: &str) -> Option<PathBuf> {
    let path = shared_fixtures_dir().join(rel);
    let present = path.exists();
    need(
        &format!("the shared fixture {} ({})", rel, path.display()),
        present.then_some(path),
    )
}

/// Whether `cmd args…` runs and exits with success (output discarded).
pub fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `cmd --version` runs: the tool is installed and on `PATH`.
pub fn have_command(cmd: &str) -> bool {
    runs(cmd, &["--version"])
}

/// Requires every tool of `cmds` (each checked with `--version`); `true` when all are there.
#[track_caller]
pub fn tool(cmds: &[&str]) -> bool {
    let missing: Vec<&str> = cmds.iter().copied().filter(|c| !have_command(c)).collect();
    require(
        &format!("{} on PATH", missing.join(" and ")),
        missing.is_empty(),
    )
}

/// Runs a command to completion within `limit`, its stdin closed; returns whether it succeeded
/// and its combined stdout and stderr. A command that cannot start counts as a failure with the
/// error as its output; one that overruns is killed.
pub fn run_for(cmd: &mut Command, limit: Duration) -> (bool, String) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let log = std::env::temp_dir().join(format!("tandem-testkit-{}-{n}.log", std::process::id()));
    let file = match std::fs::File::create(&log) {
        Ok(f) => f,
        Err(e) => return (false, format!("{}: {e}", log.display())),
    };
    let spawned = file
        .try_clone()
        .and_then(|out| cmd.stdout(out).stderr(file).stdin(Stdio::null()).spawn());
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&log);
            return (false, format!("cannot run {cmd:?}: {e}"));
        }
    };
    let start = Instant::now();
    let ok = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.success(),
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                break false;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(_) => break false,
        }
    };
    let mut text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    if !ok && start.elapsed() > limit {
        text.push_str(&format!("\n(killed after {limit:?})"));
    }
    (ok, text)
}

/// Installs npm `packages` (e.g. `["solc@0.8.30"]`) into the cache folder `dir` unless they
/// are there already, and returns `dir/node_modules`. Requires node and npm (see [`require`]);
/// `None` when they are missing outside CI. A failed install panics: the tools are there, so
/// it is a real failure. Concurrent callers (threads or test binaries) take turns on a lock
/// file, and only the first installs.
#[track_caller]
pub fn npm_packages(dir: &Path, packages: &[&str]) -> Option<PathBuf> {
    if !tool(&["node", "npm"]) {
        return None;
    }
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let lock = std::fs::File::create(dir.join(".install-lock"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("locking {}: {e}", dir.display()));
    let modules = dir.join("node_modules");
    let installed = packages
        .iter()
        .all(|p| modules.join(package_name(p)).join("package.json").exists());
    if !installed {
        let manifest = dir.join("package.json");
        if !manifest.exists() {
            std::fs::write(
                &manifest,
                r#"{"name": "tandem-test-cache", "private": true}"#,
            )
            .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        }
        let (ok, out) = run_for(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund"])
                .args(packages)
                .current_dir(dir),
            Duration::from_secs(600),
        );
        assert!(ok, "npm install {} failed:\n{out}", packages.join(" "));
    }
    Some(modules)
}

/// `name@version` → `name`, keeping a scope (`@scope/name@1` → `@scope/name`).
fn package_name(spec: &str) -> &str {
    match spec.rfind('@') {
        Some(at) if at > 0 => &spec[..at],
        _ => spec,
    }
}

/// The npm package that ships cast's binary, and the version the tests pin.
const CAST_PACKAGE: &str = "@foundry-rs/cast-linux-amd64@1.7.1";

/// Foundry's `cast`, for tests that drive the node as a Foundry user does: `$TANDEM_CAST`,
/// else `cast` on `PATH`, else the npm package's binary, installed on first use into
/// `target/tmp/npm-cast` (as other tests install viem or solc-js). `None` outside CI when
/// none can be had; under `CI=true` that fails the test.
#[track_caller]
pub fn cast() -> Option<PathBuf> {
    let works = |p: &Path| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let preset = [
        std::env::var_os("TANDEM_CAST").map(PathBuf::from),
        Some(PathBuf::from("cast")),
    ];
    if let Some(found) = preset.into_iter().flatten().find(|p| works(p)) {
        return Some(found);
    }
    let found = npm_packages(
        &workspace_dir().join("target/tmp/npm-cast"),
        &[CAST_PACKAGE],
    )
    .map(|modules| modules.join(package_name(CAST_PACKAGE)).join("bin/cast"))
    .filter(|p| works(p));
    need(
        "cast (TANDEM_CAST, cast on PATH, or node and npm to install @foundry-rs/cast-linux-amd64)",
        found,
    )
}

/// Compiles one Solidity `source` with solc-js `version` (installed into `cache` on first use;
/// see [`npm_packages`]): optimizer on (200 runs), `evmVersion` cancun, via-IR when asked.
/// Returns every contract's init code by name, or `None` when node/npm are missing outside CI.
/// A compile error panics with solc's messages.
#[track_caller]
pub fn solc_js(
    cache: &Path,
    version: &str,
    source: &str,
    via_ir: bool,
) -> Option<Vec<(String, Vec<u8>)>> {
    let modules = npm_packages(cache, &[&format!("solc@{version}")])?;
    let script = r#"
const solc = require('solc');
const input = { language: 'Solidity',
  sources: { 'Source.sol': { content: process.env.SOLC_SOURCE } },
  settings: { viaIR: process.env.SOLC_VIA_IR === '1', optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun', outputSelection: { '*': { '*': ['evm.bytecode.object'] } } } };
const out = JSON.parse(solc.compile(JSON.stringify(input)));
if (out.errors && out.errors.some(e => e.severity === 'error')) {
  console.error(JSON.stringify(out.errors)); process.exit(1);
}
for (const [name, c] of Object.entries(out.contracts['Source.sol']))
  console.log('BYTECODE ' + name + ' ' + c.evm.bytecode.object);
"#;
    let (ok, out) = run_for(
        Command::new("node")
            .arg("-e")
            .arg(script)
            .env("NODE_PATH", &modules)
            .env("SOLC_SOURCE", source)
            .env("SOLC_VIA_IR", if via_ir { "1" } else { "0" }),
        Duration::from_secs(300),
    );
    assert!(ok, "solc failed:\n{out}");
    let contracts: Vec<(String, Vec<u8>)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("BYTECODE "))
        .map(|l| {
            // An interface has no code: its line may end at the name.
            let (name, code) = l.split_once(' ').unwrap_or((l, ""));
            (name.to_string(), from_hex(code.trim()))
        })
        .collect();
    assert!(
        !contracts.is_empty(),
        "no contract in solc's output:\n{out}"
    );
    Some(contracts)
}

/// The named contract's init code from [`solc_js`]'s output.
#[track_caller]
pub fn solc_contract<'a>(contracts: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    contracts
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, code)| code.as_slice())
        .unwrap_or_else(|| panic!("solc built no contract {name}"))
}

fn from_hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex from solc");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("solc prints hex"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        assert_eq!(package_name("solc@0.8.30"), "solc");
        assert_eq!(package_name("viem"), "viem");
        assert_eq!(package_name("@scope/pkg@1"), "@scope/pkg");
        assert_eq!(package_name("@scope/pkg"), "@scope/pkg");
    }

    #[test]
    fn available_requirements_pass() {
        assert!(require("nothing", true));
        assert_eq!(need("a value", Some(3)), Some(3));
    }

    #[test]
    fn missing_requirement_follows_the_ci_rule() {
        let r = std::panic::catch_unwind(|| require("a tool that is not there", false));
        if in_ci() {
            assert!(r.is_err(), "under CI a missing requirement must fail");
        } else {
            assert_eq!(r.ok(), Some(false));
        }
    }

    #[test]
    fn commands() {
        assert!(!have_command("tandem-testkit-no-such-tool"));
        let (ok, out) = run_for(
            Command::new("tandem-testkit-no-such-tool").arg("x"),
            Duration::from_secs(5),
        );
        assert!(!ok && out.contains("cannot run"), "{out}");
    }
}
