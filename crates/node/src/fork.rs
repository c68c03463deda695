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
//! The client is a small blocking HTTP/1.1 client over `std::net` (plain `http://`, one
//! connection per request): the node has no HTTP client dependency and needs none for this.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
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

/// What `--fork-url` and `--fork-block-number` ask for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ForkConfig {
    pub url: String,
    /// The block to fork at; the remote's latest when `None`.
    pub block_number: Option<u64>,
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
    host: String,
    path: String,
    block: u64,
    chain_id: u64,
    accounts: Mutex<HashMap<Address, Option<RemoteAccount>>>,
    slots: Mutex<HashMap<(Address, B256), Word>>,
}

impl RemoteState {
    /// Connects to `config.url`: reads its chain id and fixes the block (the remote's latest
    /// unless one is given, which must not be above it).
    pub fn connect(config: &ForkConfig) -> anyhow::Result<Self> {
        let (host, path) = parse_http_url(&config.url)?;
        let mut remote = Self {
            url: config.url.clone(),
            host,
            path,
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

    /// One HTTP/1.1 POST; returns the body of a 200 answer.
    fn post(&self, body: &[u8]) -> anyhow::Result<Vec<u8>> {
        let addr = self
            .host
            .to_socket_addrs()
            .with_context(|| format!("resolving {}", self.host))?
            .next()
            .ok_or_else(|| anyhow!("{} resolves to no address", self.host))?;
        let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.path,
            self.host,
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut raw = Vec::new();
        stream.take(MAX_RESPONSE).read_to_end(&mut raw)?;
        parse_http_response(&raw)
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

/// `http://host[:port][/path]` → (`host:port`, `/path`).
fn parse_http_url(url: &str) -> anyhow::Result<(String, String)> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("fork URL {url:?} is not an http:// URL (https is not supported)");
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        bail!("fork URL {url:?} has no usable host");
    }
    let host = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok((host, path.to_string()))
}

/// The body of a `200` answer (plain or chunked), or an error naming the status.
fn parse_http_response(raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("the answer is not HTTP"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        bail!(
            "HTTP status {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        );
    }
    if !head.contains("transfer-encoding: chunked") {
        return Ok(body.to_vec());
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| anyhow!("a chunked answer ends early"))?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| anyhow!("bad chunk size {size_text:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if rest.len() < size + 2 {
            bail!("a chunked answer ends early");
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
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
        (Some(g), Some(r)) if g.url == r.url && g.block_number.is_none() => r,
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
    fn urls_and_answers_parse() {
        let (h, p) = parse_http_url("http://127.0.0.1:8545").unwrap();
        assert_eq!((h.as_str(), p.as_str()), ("127.0.0.1:8545", "/"));
        let (h, p) = parse_http_url("http://node.local/rpc/v1").unwrap();
        assert_eq!((h.as_str(), p.as_str()), ("node.local:80", "/rpc/v1"));
        assert!(parse_http_url("https://x:1").is_err());
        assert!(parse_http_url("http://").is_err());
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]";
        assert_eq!(parse_http_response(plain).unwrap(), b"[]");
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[1\r\n1\r\n]\r\n0\r\n\r\n";
        assert_eq!(parse_http_response(chunked).unwrap(), b"[1]");
        let err = parse_http_response(b"HTTP/1.1 503 Busy\r\n\r\nlater").unwrap_err();
        assert!(err.to_string().contains("503"), "{err}");
    }
}
