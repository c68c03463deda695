//! Whole-chain resets and state dumps: `anvil_reset`, `anvil_dumpState` / `anvil_loadState`
//! and `tandem node --dump-state / --load-state`.
//!
//! **The dump** is one CAR v1 file. Its only root is a DAG-CBOR manifest: the format name,
//! the chain id, a link to the head state, links to the states of earlier blocks (when the
//! store still has them all; otherwise only the head's), and the chain's records as the node
//! keeps them — every block, transaction and native-message record (JSON text). The state
//! DAGs share their unchanged nodes, so a dump costs the head state plus what each block
//! changed.
//!
//! **Loading** reads and verifies the whole file before anything is written: every block's
//! hash (CAR import), the manifest's format and chain id, the block records (numbers from 0
//! without gaps, each header hashing to its recorded hash and naming its parent's, each
//! last block's state the manifest's head, and the head header's `stateRoot` the Ethereum
//! state root of that state, recomputed in full; dumps made before the node kept an Ethereum
//! trie carry the digest of the state CID instead, also accepted) and every transaction record
//! against its block. Then the blocks, the records and
//! the new head go in one atomic commit, replacing the node's chain and state.

use alloy_primitives::keccak256;
use anyhow::{Context, bail, ensure};
use cid::Cid;
use serde::{Deserialize, Serialize};
use tandem_chain::keys::dev_key;
use tandem_chain::{Chain, DataDir};
use tandem_state::blockstore::{BufferedStore, CommitBatch, CommitStore};
use tandem_vm::store::VmStore;

use crate::accounts::genesis;
use crate::blocks::{
    BlockRecord, FIRST_KEY, LATEST_KEY, MsgRecord, TxRecord, block_meta, genesis_meta,
    genesis_record, msg_key, tx_key,
};
use crate::node::{Inner, Node};

/// The manifest's format name; a dump with another is refused.
pub const DUMP_FORMAT: &str = "tandem-node-dump/1";

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    chain_id: u64,
    /// The head state (the last block's).
    state: Cid,
    /// The states of earlier blocks, when the dump carries them.
    history: Vec<Cid>,
    /// Block records, from block 0 (JSON).
    blocks: Vec<String>,
    /// Transaction records (JSON).
    txs: Vec<String>,
    /// Native messages: CID and record (JSON).
    messages: Vec<(String, String)>,
}

/// What a load or reset left the chain at.
#[derive(Debug, Clone, Copy)]
pub struct Loaded {
    pub block: u64,
    pub blocks: usize,
}

/// The header's `stateRoot` for a state CID (as the node computes it when mining).
fn state_digest(root: &Cid) -> alloy_primitives::B256 {
    let digest = root.hash().digest();
    if digest.len() == 32 {
        alloy_primitives::B256::from_slice(digest)
    } else {
        keccak256(root.to_bytes())
    }
}

impl Node {
    /// `anvil_reset`: the chain starts over from a fresh genesis with the same dev accounts
    /// (block 0 now, or a fork's block: the remote stays). Snapshots, the pool, impersonations and the clock offset are dropped.
    pub fn reset(&self) -> anyhow::Result<()> {
        let mut inner = self.lock();
        let f1_keys: Vec<_> = (0..self.accounts.len() as u32).map(dev_key).collect();
        let buffer = std::sync::Arc::new(BufferedStore::new(self.store.clone()));
        let root = tandem_actors::genesis::build(
            VmStore::new(buffer.clone()),
            &genesis(&self.accounts, &f1_keys),
        )?;
        let root = crate::history::predeploy_in(&buffer, &root, self.hardfork())?;
        let mut batch = buffer.take_reachable(&root)?;
        let (eth_root, eth_meta) = crate::eth_trie::build(buffer.clone(), &root)?;
        let record = genesis_record(&root, eth_root, self.first_number());
        for (k, v) in genesis_meta(&record)?.into_iter().chain(eth_meta) {
            batch.meta.push((k, v));
        }
        batch.set_head(&root);
        self.replace_chain(&mut inner, batch, record)?;
        tracing::info!(target: "tandem::node", "chain reset to a fresh genesis");
        Ok(())
    }

    /// `anvil_dumpState`: the chain and its state as one CAR file (see the module docs).
    pub fn dump_state(&self) -> anyhow::Result<Vec<u8>> {
        // The chain lock keeps a block from being mined halfway through.
        let _inner = self.lock();
        let latest = self.latest_number();
        let mut blocks = Vec::new();
        let mut txs = Vec::new();
        let mut messages = Vec::new();
        let mut history = Vec::new();
        for n in self.first_number()..=latest {
            let block = self
                .blocks
                .block(n, latest)?
                .with_context(|| format!("block {n} is missing"))?;
            for tx in self.blocks.block_txs(&block)? {
                txs.push(serde_json::to_string(&tx)?);
            }
            for (cid, m) in self.blocks.block_messages(&block)? {
                messages.push((cid, serde_json::to_string(&m)?));
            }
            if n < latest {
                history.push(block.state_cid()?);
            }
            blocks.push(serde_json::to_string(&block)?);
        }
        let mut manifest = Manifest {
            format: DUMP_FORMAT.into(),
            chain_id: self.chain_id(),
            state: self.latest().state_cid()?,
            history,
            blocks,
            txs,
            messages,
        };
        let buffer = BufferedStore::new(self.store.clone());
        let root = tandem_state::state_tree::put_cbor(&buffer, &manifest)?;
        let mut out = Vec::new();
        if tandem_state::car::export_car(&buffer, &root, &mut out).is_ok() {
            return Ok(out);
        }
        // Some earlier state is gone (`tandem gc` keeps only the head): dump the head's.
        manifest.history.clear();
        let root = tandem_state::state_tree::put_cbor(&buffer, &manifest)?;
        out.clear();
        tandem_state::car::export_car(&buffer, &root, &mut out)?;
        Ok(out)
    }

    /// `anvil_loadState`: verifies a dump and makes it the chain (see the module docs).
    pub fn load_state(&self, car: &[u8]) -> anyhow::Result<Loaded> {
        let loaded = tandem_state::car::read_car(car)?;
        let [root] = loaded.roots() else {
            bail!(
                "not a state dump: the CAR file has {} roots",
                loaded.roots().len()
            );
        };
        let root = *root;
        let mut batch = loaded.into_batch(&*self.store)?;
        let manifest_bytes = match batch.blocks.iter().position(|(c, _)| *c == root) {
            Some(i) => batch.blocks.swap_remove(i).1,
            None => fvm_ipld_blockstore::Blockstore::get(&*self.store, &root)?
                .context("not a state dump: the manifest block is missing")?,
        };
        let manifest: Manifest = fvm_ipld_encoding::from_slice(&manifest_bytes)
            .context("not a state dump: the root is not a manifest")?;
        ensure!(
            manifest.format == DUMP_FORMAT,
            "unsupported state dump format {:?} (expected {DUMP_FORMAT})",
            manifest.format
        );
        ensure!(
            manifest.chain_id == self.chain_id(),
            "the dump is of chain id {}, this node runs chain id {}",
            manifest.chain_id,
            self.chain_id()
        );
        let (records, head) = verify(&manifest)?;
        for (k, v) in records {
            batch.meta.push((k, Some(v)));
        }
        // The head's Ethereum state trie, recomputed from the dumped state (earlier blocks'
        // tries are built when a proof asks for them).
        let overlay = std::sync::Arc::new(BufferedStore::new(self.store.clone()));
        for (cid, bytes) in &batch.blocks {
            fvm_ipld_blockstore::Blockstore::put_keyed(&*overlay, cid, bytes)?;
        }
        let (eth_root, eth_meta) = crate::eth_trie::build(overlay, &manifest.state)?;
        ensure!(
            head.header.state_root == eth_root
                || head.header.state_root == state_digest(&manifest.state),
            "block {}: the header's stateRoot is not its state's",
            head.number()
        );
        batch.meta.extend(eth_meta);
        batch.set_head(&manifest.state);
        let block = head.number();
        let blocks = manifest.blocks.len();
        let mut inner = self.lock();
        self.replace_chain(&mut inner, batch, head)?;
        tracing::info!(target: "tandem::node", "state loaded: {blocks} blocks, head {block}");
        Ok(Loaded { block, blocks })
    }

    /// Commits `batch` (which sets the new head and block records), makes `latest` the
    /// latest block and reloads the chain on it, forgetting the pool, snapshots, the open
    /// block, impersonations and the clock.
    fn replace_chain(
        &self,
        inner: &mut Inner,
        mut batch: CommitBatch,
        latest: BlockRecord,
    ) -> anyhow::Result<()> {
        batch.set_meta(LATEST_KEY, latest.number().to_be_bytes().to_vec());
        // Every new chain's batch carries its genesis number (`genesis_meta`).
        let first = batch
            .meta
            .iter()
            .rev()
            .find(|(k, _)| k == FIRST_KEY)
            .and_then(|(_, v)| v.as_deref())
            .and_then(|v| <[u8; 8]>::try_from(v).ok())
            .map_or(0, u64::from_be_bytes);
        self.store.commit(&batch)?;
        self.set_first_number(first);
        let dir = DataDir {
            path: self.path.clone(),
            store: self.store.clone(),
            config: self.chain_config.clone(),
        };
        inner.chain = Chain::load_with(dir, self.runtimes.clone())?;
        inner.open = None;
        inner.queued.clear();
        inner.snapshots.clear();
        inner.impersonated.clear();
        inner.next_timestamp = None;
        inner.time_offset = 0;
        self.set_latest(latest);
        Ok(())
    }
}

/// A meta key and the value to write under it.
type MetaEntry = (String, Vec<u8>);

/// Checks the manifest's records; returns the meta entries to write and the head block.
fn verify(m: &Manifest) -> anyhow::Result<(Vec<MetaEntry>, BlockRecord)> {
    let mut out = Vec::new();
    let mut blocks: Vec<BlockRecord> = Vec::with_capacity(m.blocks.len());
    for (i, text) in m.blocks.iter().enumerate() {
        let b: BlockRecord =
            serde_json::from_str(text).with_context(|| format!("block record {i}"))?;
        // The first record is the genesis: 0, or a fork's block.
        let first = blocks.first().map_or(b.number(), |g| g.number());
        ensure!(
            Some(b.number()) == first.checked_add(i as u64),
            "block record {i} is block {}, not {first} + {i}",
            b.number()
        );
        ensure!(
            b.header.hash_slow() == b.hash,
            "block {i}: the header does not hash to the recorded hash {}",
            b.hash
        );
        if let Some(parent) = blocks.last() {
            ensure!(
                b.header.parent_hash == parent.hash,
                "block {i} does not follow block {}",
                i - 1
            );
        }
        let meta = if blocks.is_empty() {
            genesis_meta(&b)?
        } else {
            block_meta(&b)?
        };
        for (k, v) in meta {
            if let (Some(v), false) = (v, k == LATEST_KEY) {
                out.push((k, v));
            }
        }
        blocks.push(b);
    }
    let head = blocks.last().cloned().context("the dump has no blocks")?;
    ensure!(
        head.state_cid()? == m.state,
        "the last block's state is not the dump's state"
    );
    for (i, text) in m.txs.iter().enumerate() {
        let t: TxRecord =
            serde_json::from_str(text).with_context(|| format!("transaction record {i}"))?;
        let hash = keccak256(&t.raw);
        let listed = blocks
            .get(t.block as usize)
            .is_some_and(|b| b.txs.get(t.index as usize) == Some(&hash));
        ensure!(listed, "transaction {hash} is not in its block {}", t.block);
        out.push((tx_key(&hash), text.clone().into_bytes()));
    }
    for (cid, text) in &m.messages {
        let r: MsgRecord =
            serde_json::from_str(text).with_context(|| format!("message record {cid}"))?;
        let listed = blocks
            .get(r.block as usize)
            .is_some_and(|b| b.messages.iter().any(|c| c == cid));
        ensure!(listed, "message {cid} is not in its block {}", r.block);
        out.push((msg_key(cid), text.clone().into_bytes()));
    }
    Ok((out, head))
}

/// `--dump-state PATH`: writes the dump to `path` (through a temporary file, renamed into
/// place, so a crash never leaves half a dump).
pub fn dump_to_file(node: &Node, path: &std::path::Path) -> anyhow::Result<()> {
    let car = node.dump_state()?;
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, &car).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `--load-state PATH`: loads a dump file, as written by `--dump-state` (raw CAR bytes) or
/// saved from `anvil_dumpState` (its hex string, with or without quotes and `0x`).
pub fn load_from_file(node: &Node, path: &std::path::Path) -> anyhow::Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let car = match std::str::from_utf8(&bytes) {
        Ok(text) if !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii()) => {
            let hex_text = text.trim().trim_matches('"');
            let hex_text = hex_text.strip_prefix("0x").unwrap_or(hex_text);
            hex::decode(hex_text)
                .with_context(|| format!("{} is neither a CAR file nor hex", path.display()))?
        }
        _ => bytes,
    };
    node.load_state(&car)
        .with_context(|| format!("loading {}", path.display()))
}
