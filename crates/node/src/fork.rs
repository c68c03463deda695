//! Fork mode (`tandem node --fork-url URL [--fork-block-number N]`): the chain starts from the
//! dev genesis, and every Ethereum account it does not know is read from another node at a
//! fixed block, on first use, over JSON-RPC.
//!
//! [`RemoteState`] is the state tree's [`ForkSource`] (see `tandem_state::fork` for the two
//! places the tree asks it). An account is fetched with one batched request (`eth_getBalance`,
//! `eth_getTransactionCount`, `eth_getCode` at the fork block) and becomes a local actor: an
//! Ethereum account, or an EVM contract with its code. A slot of such an account that was
//! never written locally is fetched with `eth_getStorageAt`. Both answers are cached in memory
//! for the life of the node, so a remote is asked once per account and slot, and every
//! replay sees the same values: the remote's state at a fixed block never changes.
//!
//! The client is `ureq`, blocking: the state tree asks for an account in the middle of a
//! message, on whatever thread runs it. It speaks `http://` and `https://` (rustls, Mozilla's
//! roots, or the PEM roots of `--fork-ca-cert`), keeps connections alive between requests,
//! and caps every answer's size and every request's time.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, U256};
use anyhow::{Context, anyhow, bail};
use fvm_shared::address::{Address as FilAddress, Payload};
use serde_json::{Value, json};
use tandem_state::blockstore::{CommitBatch, CommitStore, RedbStore};
use tandem_state::{ActorID, ForkSource, StateTree, Word};
use tandem_vm::store::VmStore;

/// The EAM's namespace: delegated addresses in it are Ethereum addresses.
const EAM_NAMESPACE: u64 = 10;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// A remote's answer larger than this is refused (the largest code is 24 KiB; 64 MiB is slack).
const MAX_RESPONSE: u64 = 64 << 20;

/// What `--fork-url`, `--fork-block-number` and `--fork-ca-cert` ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ForkConfig {
    /// An `http://` or `https://` JSON-RPC endpoint.
    pub url: String,
    /// The block to fork at; the remote's latest when `None`.
    pub block_number: Option<u64>,
    /// PEM certificates to trust for an `https://` remote instead of Mozilla's roots (a
    /// private CA, a self-signed node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

/// An account as the remote holds it at the fork block.
#[derive(Debug, Clone)]
struct RemoteAccount {
    balance: U256,
    nonce: u64,
    code: Bytes,
}

/// The remote state at one block, with what was already fetched.
pub struct RemoteState {
    url: String,
    ca_cert: Option<PathBuf>,
    agent: ureq::Agent,
    block: u64,
    chain_id: u64,
    accounts: Mutex<HashMap<Address, Option<RemoteAccount>>>,
    slots: Mutex<HashMap<(Address, B256), Word>>,
}

impl RemoteState {
    /// Connects to `config.url`: reads its chain id and fixes the block (the remote's latest
    /// unless one is given, which must not be above it).
    pub fn connect(config: &ForkConfig) -> anyhow::Result<Self> {
        let mut remote = Self {
            url: check_url(&config.url)?.to_string(),
            ca_cert: config.ca_cert.clone(),
            agent: agent(config.ca_cert.as_deref())?,
            block: 0,
            chain_id: 0,
            accounts: Mutex::default(),
            slots: Mutex::default(),
        };
        let answers =
            remote.batch(&[("eth_chainId", json!([])), ("eth_blockNumber", json!([]))])?;
        remote.chain_id = quantity(&answers[0], "eth_chainId")?.saturating_to();
        let latest: u64 = quantity(&answers[1], "eth_blockNumber")?.saturating_to();
        remote.block = match config.block_number {
            Some(n) if n > latest => {
                bail!("fork block {n} is above the remote's latest block {latest}")
            }
            Some(n) => n,
            None => latest,
        };
        Ok(remote)
    }

    pub fn block(&self) -> u64 {
        self.block
    }

    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn tag(&self) -> String {
        format!("{:#x}", self.block)
    }

    fn account(&self, addr: &Address) -> anyhow::Result<Option<RemoteAccount>> {
        if let Some(hit) = lock(&self.accounts).get(addr) {
            return Ok(hit.clone());
        }
        let tag = self.tag();
        let answers = self.batch(&[
            ("eth_getBalance", json!([addr, tag])),
            ("eth_getTransactionCount", json!([addr, tag])),
            ("eth_getCode", json!([addr, tag])),
        ])?;
        let account = RemoteAccount {
            balance: quantity(&answers[0], "eth_getBalance")?,
            nonce: quantity(&answers[1], "eth_getTransactionCount")?.saturating_to(),
            code: serde_json::from_value(answers[2].clone())
                .map_err(|e| anyhow!("fork: eth_getCode answered {}: {e}", answers[2]))?,
        };
        let exists = !account.balance.is_zero() || account.nonce != 0 || !account.code.is_empty();
        let found = exists.then_some(account);
        lock(&self.accounts).insert(*addr, found.clone());
        Ok(found)
    }

    fn storage(&self, addr: &Address, key: &B256) -> anyhow::Result<Word> {
        if let Some(hit) = lock(&self.slots).get(&(*addr, *key)) {
            return Ok(*hit);
        }
        // Only accounts with code hold storage; the account is cached already (it was
        // materialized before any of its slots is read).
        let value = match self.account(addr)? {
            Some(a) if !a.code.is_empty() => {
                let answer = self.batch(&[("eth_getStorageAt", json!([addr, key, self.tag()]))])?;
                let v: B256 = serde_json::from_value(answer[0].clone())
                    .map_err(|e| anyhow!("fork: eth_getStorageAt answered {}: {e}", answer[0]))?;
                v.0
            }
            _ => [0u8; 32],
        };
        lock(&self.slots).insert((*addr, *key), value);
        Ok(value)
    }

    /// Sends a batch of calls; returns their results in order, or the first error.
    fn batch(&self, calls: &[(&str, Value)]) -> anyhow::Result<Vec<Value>> {
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (m, p))| json!({"jsonrpc": "2.0", "id": i, "method": m, "params": p}))
            .collect();
        let reply = self
            .post(&serde_json::to_vec(&body)?)
            .with_context(|| format!("fork: cannot read from {}", self.url))?;
        let reply: Value = serde_json::from_slice(&reply)
            .with_context(|| format!("fork: {} did not answer JSON", self.url))?;
        let Value::Array(items) = reply else {
            bail!(
                "fork: {} did not answer a batch request with an array: {reply}",
                self.url
            );
        };
        let mut out = vec![Value::Null; calls.len()];
        let mut seen = vec![false; calls.len()];
        for item in items {
            let i = item.get("id").and_then(Value::as_u64).unwrap_or(u64::MAX) as usize;
            if i >= calls.len() {
                bail!("fork: {} answered an unknown request id: {item}", self.url);
            }
            if let Some(err) = item.get("error") {
                bail!(
                    "fork: {} answered {} with an error: {err}",
                    self.url,
                    calls[i].0
                );
            }
            out[i] = item.get("result").cloned().unwrap_or(Value::Null);
            seen[i] = true;
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            bail!("fork: {} left {} unanswered", self.url, calls[i].0);
        }
        Ok(out)
    }

    /// One POST; returns the body of a 200 answer.
    fn post(&self, body: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut answer = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(body)?;
        let status = answer.status();
        let body = answer
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()?;
        if status != 200 {
            bail!(
                "HTTP status {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            );
        }
        Ok(body)
    }
}

impl ForkSource<VmStore> for RemoteState {
    fn materialize(
        &self,
        tree: &mut StateTree<VmStore>,
        addr: &FilAddress,
    ) -> anyhow::Result<Option<ActorID>> {
        let Some(eth) = eth_address(addr) else {
            return Ok(None);
        };
        let Some(account) = self.account(&eth)? else {
            return Ok(None);
        };
        let id = if account.code.is_empty() {
            tandem_evm::world::add_eth_account(tree, eth.0.0, account.balance, account.nonce)?
        } else {
            let (balance, nonce) = (account.balance, account.nonce);
            tandem_evm::world::add_contract(tree, eth.0.0, &account.code, balance, nonce, &[])?
        };
        tracing::debug!(target: "tandem::fork", "{eth} read from the fork as f0{id}");
        Ok(Some(id))
    }

    fn slot(&self, addr: &FilAddress, key: &Word) -> anyhow::Result<Word> {
        match eth_address(addr) {
            Some(eth) => self.storage(&eth, &B256::from(*key)),
            None => Ok([0u8; 32]),
        }
    }
}

/// The Ethereum address of an f410 address (`None` for any other).
fn eth_address(addr: &FilAddress) -> Option<Address> {
    match addr.payload() {
        Payload::Delegated(d) if d.namespace() == EAM_NAMESPACE && d.subaddress().len() == 20 => {
            Some(Address::from_slice(d.subaddress()))
        }
        _ => None,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn quantity(v: &Value, method: &str) -> anyhow::Result<U256> {
    serde_json::from_value(v.clone()).map_err(|e| anyhow!("fork: {method} answered {v}: {e}"))
}

/// The URL if its scheme is one the client speaks.
fn check_url(url: &str) -> anyhow::Result<&str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!("fork URL {url:?} is not an http:// or https:// URL");
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        bail!(
            "fork URL {url:?}: the {scheme}:// scheme is not supported (use http:// or https://)"
        );
    }
    if rest.is_empty() || rest.starts_with('/') {
        bail!("fork URL {url:?} has no host");
    }
    Ok(url)
}

/// The HTTP agent: timeouts, no redirects (a JSON-RPC endpoint does not move), status codes
/// read rather than turned into errors, and the roots to trust.
fn agent(ca_cert: Option<&std::path::Path>) -> anyhow::Result<ureq::Agent> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path)
            .with_context(|| format!("reading the fork CA certificates {}", path.display()))?;
        let certs = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{} is not PEM", path.display()))?;
        if certs.is_empty() {
            bail!("{} holds no PEM certificate", path.display());
        }
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(IO_TIMEOUT))
        .tls_config(tls.build())
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

/// Where a forked chain records its remote and block (JSON), so that a restart forks at the
/// same block and replays see the same state.
const FORK_META_KEY: &str = "tandem.fork";

/// Re-opens the fork of an existing chain: the recorded remote and block, unless `given`
/// names another URL or block.
pub(crate) fn reopen(
    store: &RedbStore,
    given: Option<&ForkConfig>,
) -> anyhow::Result<Option<Arc<RemoteState>>> {
    let recorded: Option<ForkConfig> = store
        .get_meta(FORK_META_KEY)?
        .map(|b| serde_json::from_slice(&b))
        .transpose()
        .context("reading the recorded fork")?;
    let config = match (given, recorded) {
        (None, None) => return Ok(None),
        // Same remote, no block named: the recorded block, with the roots given now if any.
        (Some(g), Some(r)) if g.url == r.url && g.block_number.is_none() => ForkConfig {
            ca_cert: g.ca_cert.clone().or(r.ca_cert),
            ..r
        },
        (Some(g), _) => g.clone(),
        (None, Some(r)) => r,
    };
    source(&config).map(Some)
}

/// Records the remote and the block a chain forked at.
pub(crate) fn record(store: &RedbStore, remote: &RemoteState) -> anyhow::Result<()> {
    let config = ForkConfig {
        url: remote.url.clone(),
        block_number: Some(remote.block),
        ca_cert: remote.ca_cert.clone(),
    };
    let mut batch = CommitBatch::new();
    batch.set_meta(FORK_META_KEY, serde_json::to_vec(&config)?);
    store.commit(&batch)
}

/// The remote as the state tree's fork source.
pub(crate) fn as_source(remote: Option<Arc<RemoteState>>) -> Option<Arc<dyn ForkSource<VmStore>>> {
    remote.map(|r| r as Arc<dyn ForkSource<VmStore>>)
}

/// Connects to the remote and returns it as a fork source.
pub fn source(config: &ForkConfig) -> anyhow::Result<Arc<RemoteState>> {
    RemoteState::connect(config)
        .map(Arc::new)
        .with_context(|| format!("forking from {}", config.url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("http://127.0.0.1:8545").is_ok());
        assert!(check_url("https://eth.example/v2/key").is_ok());
        assert!(check_url("HTTPS://node.local").is_ok());
        for bad in [
            "ws://x:1",
            "127.0.0.1:8545",
            "http://",
            "http:///rpc",
            "file:///etc",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, b"not a certificate").unwrap();
        let err = agent(Some(&empty)).unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err:#}");
        let missing = agent(Some(&dir.path().join("absent.pem"))).unwrap_err();
        assert!(format!("{missing:#}").contains("absent.pem"), "{missing:#}");
    }
}
