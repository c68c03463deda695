//! Ethereum's GeneralStateTests through Tandem's own executor and state.
//!
//! For each test: `pre` goes into a fresh Tandem state (singleton built-ins, then one actor per
//! account keyed by its f410 address: contracts as EVM actors with their storage in slot
//! storage, the rest as Ethereum accounts). For each post entry of a fork Tandem runs
//! (`Cancun`, `Prague`, `Osaka`: see [`FORKS`]) the signed transaction (`txbytes`) is applied
//! through [`crate::tx`] under that fork's rules, the state is flushed, and the
//! Ethereum state root and logs hash are compared with the expected ones. An entry with
//! `expectException` must be rejected and leave the state as it was.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use alloy_primitives::{B256, U256};
use anyhow::{Context, anyhow};
use cid::Cid;
use serde_json::Value;
use tandem_state::StateTree;
use tandem_vm::eth::EthAddress;
use tandem_vm::kernel::{Hardfork, NetworkContext};
use tandem_vm::runtime::Runtime;
use tandem_vm::store::VmStore;

use crate::EvmRuntime;
use crate::address::u256_to_tokens;
use crate::root::{eth_state_root, logs_hash};
use crate::tx::{apply_raw, blob_base_fee};
use crate::world;

/// The forks whose post states are judged, by their names in the fixtures. Entries for other
/// forks are not run (a test with none of these counts as skipped).
pub const FORKS: [(&str, Hardfork); 3] = [
    ("Cancun", Hardfork::Cancun),
    ("Prague", Hardfork::Prague),
    ("Osaka", Hardfork::Osaka),
];

/// One failed case.
#[derive(Debug, Clone)]
pub struct CaseFailure {
    pub file: PathBuf,
    pub test: String,
    /// (data, gas, value) indexes.
    pub indexes: (usize, usize, usize),
    /// The fork whose post state failed.
    pub fork: Hardfork,
    pub reason: String,
}

impl std::fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (d, g, v) = self.indexes;
        write!(
            f,
            "{} {} d{d} g{g} v{v}: {}",
            self.file.display(),
            self.test,
            self.reason
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub failures: Vec<CaseFailure>,
    /// Passed and failed cases per fork.
    pub by_fork: std::collections::BTreeMap<Hardfork, (usize, usize)>,
}

impl Summary {
    fn absorb(&mut self, other: Summary) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.failures.extend(other.failures);
        for (fork, (p, f)) in other.by_fork {
            let e = self.by_fork.entry(fork).or_default();
            e.0 += p;
            e.1 += f;
        }
    }

    /// Adds another summary's counts and failures (for runs split across threads).
    pub fn merge(&mut self, other: Summary) {
        self.absorb(other)
    }

    /// Passed and failed cases of one fork.
    pub fn of_fork(&self, fork: Hardfork) -> (usize, usize) {
        self.by_fork.get(&fork).copied().unwrap_or_default()
    }

    /// Passed over judged (passed + failed).
    pub fn pass_ratio(&self) -> f64 {
        let judged = self.passed + self.failed;
        if judged == 0 {
            return 1.0;
        }
        self.passed as f64 / judged as f64
    }
}

/// Runs state tests.
pub struct Runner {
    evm: Arc<EvmRuntime>,
    extra: Vec<Arc<dyn Runtime>>,
}

impl Default for Runner {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl Runner {
    /// `extra` runtimes run actors other than EVM contracts (the built-ins, for example).
    pub fn new(extra: Vec<Arc<dyn Runtime>>) -> Self {
        Self {
            evm: Arc::new(EvmRuntime::new()),
            extra,
        }
    }

    /// Runs every `.json` file under `paths` (files or folders), in sorted order, calling
    /// `on_failure` as failures happen.
    pub fn run_paths(
        &self,
        paths: &[PathBuf],
        mut on_failure: impl FnMut(&CaseFailure),
    ) -> anyhow::Result<Summary> {
        let mut files = Vec::new();
        for p in paths {
            collect_json(p, &mut files)?;
        }
        files.sort();
        let mut summary = Summary::default();
        for file in files {
            let s = self.run_file(&file);
            for f in &s.failures {
                on_failure(f);
            }
            summary.absorb(s);
        }
        Ok(summary)
    }

    /// Runs one file. A file that cannot be read counts as one failure.
    pub fn run_file(&self, path: &Path) -> Summary {
        let mut summary = Summary::default();
        let fail = |reason: String| CaseFailure {
            file: path.to_path_buf(),
            test: "-".into(),
            indexes: (0, 0, 0),
            fork: Hardfork::Cancun,
            reason,
        };
        let json: Value = match std::fs::read(path)
            .map_err(anyhow::Error::from)
            .and_then(|b| serde_json::from_slice(&b).map_err(anyhow::Error::from))
        {
            Ok(v) => v,
            Err(e) => {
                summary.failed += 1;
                summary.failures.push(fail(format!("cannot read: {e:#}")));
                return summary;
            }
        };
        let Some(tests) = json.as_object() else {
            summary.failed += 1;
            summary.failures.push(fail("not a JSON object".into()));
            return summary;
        };
        for (name, test) in tests {
            summary.absorb(self.run_test(path, name, test));
        }
        summary
    }

    fn run_test(&self, path: &Path, name: &str, test: &Value) -> Summary {
        let mut summary = Summary::default();
        let posts = test.get("post").and_then(|p| p.as_object());
        let runs: Vec<(Hardfork, Vec<Value>)> = FORKS
            .iter()
            .filter_map(|(key, fork)| {
                let cases = posts?.get(*key)?.as_array()?.clone();
                (!cases.is_empty()).then_some((*fork, cases))
            })
            .collect();
        if runs.is_empty() {
            summary.skipped += 1;
            return summary;
        }
        let prepared = prepare(test);
        for (fork, cases) in runs {
            for case in &cases {
                let idx = |k: &str| {
                    case.get("indexes")
                        .and_then(|i| i.get(k))
                        .and_then(|v| v.as_u64())
                        .unwrap_or(0) as usize
                };
                let indexes = (idx("data"), idx("gas"), idx("value"));
                let result = match &prepared {
                    Ok(pre) => self.run_case(pre, fork, case),
                    Err(e) => Err(anyhow!("bad test: {e:#}")),
                };
                let counts = summary.by_fork.entry(fork).or_default();
                match result {
                    Ok(()) => {
                        summary.passed += 1;
                        counts.0 += 1;
                    }
                    Err(e) => {
                        summary.failed += 1;
                        counts.1 += 1;
                        summary.failures.push(CaseFailure {
                            file: path.to_path_buf(),
                            test: name.to_string(),
                            indexes,
                            fork,
                            reason: format!("{e:#}"),
                        });
                    }
                }
            }
        }
        summary
    }

    fn run_case(&self, pre: &Prepared, fork: Hardfork, case: &Value) -> anyhow::Result<()> {
        let expected_root = hex_b256(case.get("hash"))?;
        let expected_logs = hex_b256(case.get("logs"))?;
        let exception = case.get("expectException").and_then(|e| e.as_str());
        let txbytes = hex_bytes(case.get("txbytes").and_then(|v| v.as_str()).unwrap_or("0x"))?;
        let state = StateTree::load(pre.store.clone(), &pre.root)?;
        let network = NetworkContext {
            hardfork: fork,
            blob_base_fee: u256_to_tokens(U256::from(blob_base_fee(fork, pre.excess_blob_gas))),
            ..pre.network.clone()
        };
        let mut exec = world::executor(state, network, self.evm.clone(), &self.extra)?;
        let applied = apply_raw(&mut exec, &txbytes);
        let logs = match (&applied, exception) {
            (Ok(receipt), None) => logs_hash(&receipt.logs),
            (Ok(_), Some(ex)) => anyhow::bail!("expected {ex}, but the transaction was applied"),
            (Err(e), None) => anyhow::bail!("transaction rejected: {e}"),
            (Err(_), Some(_)) => logs_hash(&[]),
        };
        exec.flush()?;
        let root = eth_state_root(&exec.machine.state)?;
        if root != expected_root {
            let detail = match &applied {
                Ok(r) => format!(
                    "gas used {}, exit {}{}",
                    r.gas_used,
                    r.exit_code,
                    r.failure
                        .as_ref()
                        .map(|f| format!(" ({f})"))
                        .unwrap_or_default()
                ),
                Err(e) => format!("rejected: {e}"),
            };
            anyhow::bail!("state root {root} != expected {expected_root}; {detail}");
        }
        if logs != expected_logs {
            anyhow::bail!("logs hash {logs} != expected {expected_logs}");
        }
        Ok(())
    }
}

/// A test's pre-state, flushed once and shared by its cases.
struct Prepared {
    store: VmStore,
    root: Cid,
    network: NetworkContext,
    excess_blob_gas: u64,
}

fn prepare(test: &Value) -> anyhow::Result<Prepared> {
    let store = VmStore::memory();
    let mut state = world::singleton_state(store.clone())?;
    let pre = test
        .get("pre")
        .and_then(|p| p.as_object())
        .ok_or_else(|| anyhow!("no pre state"))?;
    for (addr, acct) in pre {
        let addr = hex_address(addr)?;
        let balance = hex_u256(acct.get("balance"))?;
        let nonce = u64::try_from(hex_u256(acct.get("nonce"))?).context("nonce")?;
        let code = hex_bytes(acct.get("code").and_then(|c| c.as_str()).unwrap_or("0x"))?;
        let mut storage = Vec::new();
        if let Some(slots) = acct.get("storage").and_then(|s| s.as_object()) {
            for (k, v) in slots {
                let key = U256::from_str(k).map_err(|e| anyhow!("slot key {k}: {e}"))?;
                let value = hex_u256(Some(v))?;
                if !value.is_zero() {
                    storage.push((key.to_be_bytes(), value.to_be_bytes()));
                }
            }
        }
        if code.is_empty() && storage.is_empty() {
            world::add_eth_account(&mut state, addr, balance, nonce)?;
        } else {
            world::add_contract(&mut state, addr, &code, balance, nonce, &storage)?;
        }
    }
    state.end_message()?;
    let root = state.flush()?;
    let env = test.get("env").ok_or_else(|| anyhow!("no env"))?;
    let u64_of = |k: &str| -> anyhow::Result<u64> {
        let v = hex_u256(env.get(k))?;
        u64::try_from(v).map_err(|_| anyhow!("{k} does not fit 64 bits"))
    };
    let coinbase = hex_address(
        env.get("currentCoinbase")
            .and_then(|c| c.as_str())
            .ok_or_else(|| anyhow!("no coinbase"))?,
    )?;
    let random = env
        .get("currentRandom")
        .map(|r| hex_b256(Some(r)))
        .transpose()?
        .unwrap_or_default();
    let excess_blob_gas = if env.get("currentExcessBlobGas").is_some() {
        u64_of("currentExcessBlobGas")?
    } else {
        0
    };
    let network = NetworkContext {
        chain_id: 1,
        epoch: u64_of("currentNumber")? as i64,
        timestamp: u64_of("currentTimestamp")?,
        base_fee: u256_to_tokens(hex_u256(env.get("currentBaseFee"))?),
        block_gas_limit: u64_of("currentGasLimit")?,
        coinbase: EthAddress(coinbase).to_filecoin(),
        prev_randao: random.0,
        blob_hashes: Vec::new(),
        // Set per post entry, with the blob base fee (its update fraction is the fork's).
        ..NetworkContext::default()
    };
    Ok(Prepared {
        store,
        root,
        network,
        excess_blob_gas,
    })
}

fn collect_json(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            collect_json(&entry?.path(), out)?;
        }
    } else if path.extension().is_some_and(|e| e == "json") {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn strip(s: &str) -> &str {
    s.strip_prefix("0x").unwrap_or(s)
}

fn hex_bytes(s: &str) -> anyhow::Result<Vec<u8>> {
    hex::decode(strip(s)).map_err(|e| anyhow!("bad hex: {e}"))
}

fn hex_address(s: &str) -> anyhow::Result<[u8; 20]> {
    hex_bytes(s)?
        .try_into()
        .map_err(|_| anyhow!("address {s} is not 20 bytes"))
}

fn hex_u256(v: Option<&Value>) -> anyhow::Result<U256> {
    let s = v
        .and_then(|v| v.as_str())
        .ok_or_else(|| anyhow!("missing number"))?;
    if strip(s).is_empty() {
        return Ok(U256::ZERO);
    }
    U256::from_str(s).map_err(|e| anyhow!("bad number {s}: {e}"))
}

fn hex_b256(v: Option<&Value>) -> anyhow::Result<B256> {
    let s = v
        .and_then(|v| v.as_str())
        .ok_or_else(|| anyhow!("missing hash"))?;
    B256::from_str(s).map_err(|e| anyhow!("bad hash {s}: {e}"))
}
