//! Issue 15's gas-estimate target, as a viem user meets it: `tests/clients/uniswap_v2.mjs`
//! deploys Uniswap v2 (two ERC-20s, WETH9, the factory, Router02) from the shared
//! `evm-artifacts` fixtures on an in-process node, adds liquidity and makes ten swaps, each
//! mined in a new second (at once, after `evm_increaseTime`, after
//! `evm_setNextBlockTimestamp`, after a real wait, just before the clock ticks), every one
//! sent with viem's default gas estimate. It fails if any runs out of gas, if viem's limit
//! is not exactly the node's `eth_estimateGas` answer, if a pair's price accumulators did not
//! move, or if no swap would have been short with an estimate made in the latest block's
//! context (the scenario would then test nothing). viem is installed into the same cache as
//! `clients.rs` uses; without node/npm or the fixtures the test skips, and fails under
//! `CI=true` (tandem-testkit).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::TestNode;

const SCRIPT: &str = "uniswap_v2.mjs";

/// The Uniswap v2 artifacts: `$TANDEM_ARTIFACTS`, or the shared fixtures' `evm-artifacts`.
fn artifacts() -> Option<PathBuf> {
    let dir = std::env::var_os("TANDEM_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| tandem_testkit::shared_fixtures_dir().join("evm-artifacts"));
    let present = [
        "uniswap-v2-core-1.0.1/UniswapV2Factory.json",
        "uniswap-v2-periphery-1.1.0-beta.0/UniswapV2Router02.json",
    ]
    .iter()
    .all(|f| dir.join(f).exists());
    tandem_testkit::need(
        &format!(
            "the Uniswap v2 evm-artifacts fixtures in {} (or set TANDEM_ARTIFACTS)",
            dir.display()
        ),
        present.then_some(dir),
    )
}

#[test]
fn uniswap_v2_swaps_with_viem_default_estimates_never_run_out_of_gas() {
    let Some(artifacts) = artifacts() else { return };
    let npm = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("node-clients/npm");
    if tandem_testkit::npm_packages(&npm, &["viem@2", "ethers@6"]).is_none() {
        return;
    }
    // ESM imports resolve from the script's folder, so the script runs beside node_modules.
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(SCRIPT);
    std::fs::copy(&script, npm.join(SCRIPT)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let (ok, out) = tandem_testkit::run_for(
        Command::new("node")
            .arg(SCRIPT)
            .current_dir(&npm)
            .env("TANDEM_RPC", node.url())
            .env("TANDEM_ARTIFACTS", &artifacts),
        Duration::from_secs(240),
    );
    println!("{out}");
    assert!(ok, "{SCRIPT} failed:\n{out}");
    assert!(
        out.contains("uniswap: ok"),
        "{SCRIPT} did not finish:\n{out}"
    );
    let swaps = out.lines().filter(|l| l.contains(" estimate ")).count();
    assert!(swaps >= 7, "only {swaps} swaps reported:\n{out}");
}
