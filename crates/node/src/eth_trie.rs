//! The Ethereum state trie behind the header's `stateRoot` and `eth_getProof`.
//!
//! The trie is the Ethereum view of the Tandem state (`tandem_evm::root` says which actors
//! appear and how). It is kept up to date per block from the state tree's change log (what
//! each flush wrote: exactly the accounts and slots the block changed) by
//! `tandem_evm::eth_view::EthView`, and its nodes are stored in the store's meta table, in
//! the same redb transaction as the block:
//!
//! - `eth.p.<seq, 16 hex>` → the nodes a block wrote, in one value (`crate::trie_pack`);
//! - `eth.n.<seq, 16 hex>.<hex keccak>` → a trie node (its RLP, then where its hashed
//!   children are: `tandem_evm::mpt::stored`) that is not in its `seq`'s pack (full builds,
//!   a second write at a `seq`, huge blocks); account and storage tries share the table;
//! - `eth.root.<state CID>` → the Ethereum state root of that Tandem state and its `seq`.
//!
//! `seq` is the number of the block whose update wrote the node. Keyed by hash alone, a
//! block's hundred-odd new nodes land on as many random pages of redb's B-tree, and that
//! write cost several times what computing them does (measured: +30-50 % per block of ERC-20
//! transfers); keyed by `(seq, hash)` they are appended together. A parent records its
//! children's `seq`, an account leaf its storage root's, so every lookup knows the key. The
//! pair is still content-addressed: the same `(seq, hash)` always holds the same node, so a
//! `seq` met again (a dev edit at the same block, a block number reused after `evm_revert`)
//! is harmless.
//!
//! Nodes are never deleted, so the trie of every block mined with this code stays readable
//! (proofs at any such block). A state whose root is unknown (a chain made before the trie
//! was kept, a loaded dump, a head moved by `tandem send`) gets its trie built in full once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use alloy_primitives::B256;
use anyhow::Context;
use cid::Cid;
use tandem_evm::eth_view::{EthView, Prepared};
use tandem_evm::mpt::{Loc, NewNodes, NodeSource};
use tandem_state::StateTree;
use tandem_state::blockstore::{CommitStore, RedbStore};
use tandem_vm::store::VmStore;

use crate::node::Inner;
use crate::trie_pack;

/// Time spent in [`update`] (nanoseconds) and bytes of trie nodes it produced, since the
/// process started: the benchmark reports them.
pub static UPDATE_NANOS: AtomicU64 = AtomicU64::new(0);
pub static NODE_BYTES: AtomicU64 = AtomicU64::new(0);

/// Meta entries to write with a block.
pub type Meta = Vec<(String, Option<Vec<u8>>)>;

pub fn node_key(hash: &B256, seq: Loc) -> String {
    format!("eth.n.{seq:016x}.{}", hex::encode(hash))
}

pub fn root_key(state: &Cid) -> String {
    format!("eth.root.{state}")
}

/// Reads trie nodes from the store's meta table.
pub struct MetaNodes<'a>(pub &'a RedbStore);

impl NodeSource for MetaNodes<'_> {
    fn node(&self, hash: &B256, seq: Loc) -> anyhow::Result<Option<Vec<u8>>> {
        load_node(self.0, hash, seq)
    }
}

/// The stored form of the node `(seq, hash)`: from its `seq`'s pack, else under its own key.
pub fn load_node(store: &RedbStore, hash: &B256, seq: Loc) -> anyhow::Result<Option<Vec<u8>>> {
    let packed = store.with_meta(&trie_pack::pack_key(seq), |pack| {
        pack.map(|p| trie_pack::find(p, hash).map(|n| n.map(<[u8]>::to_vec)))
            .transpose()
    })??;
    match packed.flatten() {
        Some(node) => Ok(Some(node)),
        None => store.get_meta(&node_key(hash, seq)),
    }
}

/// The Ethereum state root recorded for a Tandem state and where its node is, if its trie is
/// kept.
pub fn root_of(store: &RedbStore, state: &Cid) -> anyhow::Result<Option<(B256, Loc)>> {
    let Some(b) = store.get_meta(&root_key(state))? else {
        return Ok(None);
    };
    let (root, seq) = b
        .split_at_checked(32)
        .filter(|(_, s)| s.len() == 8)
        .context("a stored Ethereum state root is not 40 bytes")?;
    Ok(Some((
        B256::from_slice(root),
        u64::from_be_bytes(seq.try_into()?),
    )))
}

/// The live trie: the view of the state the chain last flushed (`base`).
#[derive(Default)]
pub struct EthTrie {
    /// The Tandem state the change log started at (`None`: unknown, build in full).
    base: Option<Cid>,
    /// The view, with the Tandem state it reflects.
    view: Option<(Cid, EthView)>,
    /// Benchmarks only ([`crate::node::Node::set_eth_trie_for_bench`]): no trie is kept.
    off: bool,
    /// No pack is stored above this `seq` (`Some(None)`: none at all), so a pack there
    /// needs no lookup: found once from the store, raised by every pack this process writes.
    /// It only grows, so after `evm_revert` or a failed commit it is merely cautious.
    pack_bound: Option<Option<Loc>>,
}

impl EthTrie {
    /// Forgets the live view: the next update builds or loads it again (after a failed
    /// commit, when nodes computed in memory never reached the store).
    pub fn invalidate(&mut self) {
        self.base = None;
        self.view = None;
    }
}

/// Call before flushing the live state: makes sure the flush is logged. A state tree that
/// was not logging was loaded at the committed head and not flushed since, so the log starts
/// there.
pub(crate) fn before_flush(inner: &mut Inner) -> anyhow::Result<()> {
    let state = &mut inner.chain.exec.machine.state;
    if !state.tracks_changes() {
        state.track_changes();
        inner.eth.base = Some(inner.chain.head()?);
    }
    Ok(())
}

/// Where a commit's new trie nodes go.
#[derive(Clone, Copy, PartialEq)]
enum Keys {
    /// One pack under `eth.p.<seq>` if they fit (the key is known to be free).
    Pack,
    /// One key per node.
    PerNode,
}

/// The store entries of a commit's new trie nodes.
fn node_meta(seq: Loc, nodes: NewNodes, keys: Keys) -> Meta {
    if keys == Keys::Pack && !nodes.is_empty() && trie_pack::fits(&nodes) {
        let pack = trie_pack::encode(nodes.iter().map(|(h, n)| (h, n.as_slice())));
        vec![(trie_pack::pack_key(seq), Some(pack))]
    } else {
        nodes
            .into_iter()
            .map(|(h, bytes)| (node_key(&h, seq), Some(bytes)))
            .collect()
    }
}

/// The record of `state`'s Ethereum root and where its node is.
fn root_entry(state: &Cid, (root, loc): (B256, Loc)) -> (String, Option<Vec<u8>>) {
    (
        root_key(state),
        Some([root.as_slice(), &loc.to_be_bytes()].concat()),
    )
}

fn meta_of(state: &Cid, root: (B256, Loc), seq: Loc, nodes: NewNodes, keys: Keys) -> Meta {
    let mut meta = node_meta(seq, nodes, keys);
    meta.push(root_entry(state, root));
    meta
}

/// After the live state was flushed to `new`: the Ethereum state root of `new` and the meta
/// entries (new trie nodes and the root record) to commit with it.
pub(crate) fn update(
    store: &RedbStore,
    inner: &mut Inner,
    new: &Cid,
) -> anyhow::Result<(B256, Meta)> {
    let job = prepare(inner)?;
    let done = job.run(store);
    finish(inner, new, done)
}

/// A block's trie update with what it needs from the state already read: it reads only trie
/// nodes from the store's meta table, so it may run on another thread while the caller
/// commits the state's blocks (`Node::mine_open_block`).
pub(crate) struct Job {
    work: Work,
    seq: Loc,
    keys: Keys,
}

enum Work {
    /// The trie is off (benchmarks).
    Off,
    /// The view of the last state and the changes since.
    Apply(Box<EthView>, Prepared),
    /// No usable view or log: built in full from the state by [`finish`].
    Build,
}

/// What [`Job::run`] gives [`finish`]: the view and its new nodes' store entries (encoded
/// by the job, so a job on the trie worker does that too).
pub(crate) struct Done {
    out: anyhow::Result<Option<(EthView, Meta)>>,
    seq: Loc,
    keys: Keys,
    nanos: u64,
    off: bool,
}

impl Done {
    /// A job that could not run (its thread panicked): [`finish`] builds the trie instead.
    pub(crate) fn failed(seq: Loc, why: &str) -> Self {
        Self {
            out: Err(anyhow::anyhow!("{why}")),
            seq,
            keys: Keys::PerNode,
            nanos: 0,
            off: false,
        }
    }

    /// [`finish`] builds the trie from the state (the update failed or could not be made).
    pub(crate) fn needs_state(&self) -> bool {
        !self.off && !matches!(self.out, Ok(Some(_)))
    }
}

impl Job {
    /// The `seq` its new nodes are stored under.
    pub(crate) fn seq(&self) -> Loc {
        self.seq
    }

    /// Accounts and slots the update visits.
    pub(crate) fn size(&self) -> usize {
        match &self.work {
            Work::Apply(_, p) => p.size(),
            _ => 0,
        }
    }

    /// [`finish`] will build the trie in full from the state.
    pub(crate) fn needs_state(&self) -> bool {
        matches!(self.work, Work::Build)
    }

    /// The trie update itself (nothing of the state tree is read).
    pub(crate) fn run(self, store: &RedbStore) -> Done {
        let start = std::time::Instant::now();
        let off = matches!(self.work, Work::Off);
        let out = match self.work {
            Work::Off | Work::Build => Ok(None),
            Work::Apply(mut view, prepared) => view
                .apply_prepared(prepared, &MetaNodes(store), self.seq)
                .map(|(_, nodes)| Some((*view, node_meta(self.seq, nodes, self.keys)))),
        };
        Done {
            out,
            seq: self.seq,
            keys: self.keys,
            nanos: start.elapsed().as_nanos() as u64,
            off,
        }
    }
}

/// Takes the flush's changes and the live view out of `inner` and reads what the update needs
/// from the state. Call right after the flush, before anything changes the state.
pub(crate) fn prepare(inner: &mut Inner) -> anyhow::Result<Job> {
    let start = std::time::Instant::now();
    let store = inner.chain.dir.store.clone();
    // New nodes are keyed under the number of the block being made (the state's epoch).
    let seq = inner.chain.exec.machine.network.epoch.max(0) as Loc;
    let keys = keys_for(inner, &store, seq)?;
    let state = &mut inner.chain.exec.machine.state;
    let changes = state.take_changes();
    if !state.tracks_changes() {
        state.track_changes();
    }
    let work = if inner.eth.off {
        inner.eth.invalidate();
        Work::Off
    } else {
        let base_view = match (&changes, inner.eth.base) {
            (Some(_), Some(base)) => match inner.eth.view.take() {
                Some((cid, view)) if cid == base => Some(view),
                _ => root_of(&store, &base)?.map(|(r, l)| EthView::at(r, l)),
            },
            _ => None,
        };
        match (base_view, changes) {
            (Some(view), Some(changes)) => match EthView::prepare(state, &changes) {
                Ok(prepared) => Work::Apply(Box::new(view), prepared),
                Err(e) => {
                    tracing::error!(target: "tandem::node", "Ethereum state trie update failed, rebuilding it: {e:#}");
                    Work::Build
                }
            },
            _ => Work::Build,
        }
    };
    UPDATE_NANOS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    Ok(Job { work, seq, keys })
}

/// How the nodes stored at `seq` are keyed. A pack is written once: a `seq` that has one (a
/// block after a dev edit at its number, a number reused after `evm_revert`) gets keys per
/// node. Only writers under the chain's lock get here, and they hold it until the block is
/// committed, so the check and the commit cannot interleave with another pack.
fn keys_for(inner: &mut Inner, store: &RedbStore, seq: Loc) -> anyhow::Result<Keys> {
    if inner.eth.off {
        return Ok(Keys::PerNode);
    }
    let bound = match inner.eth.pack_bound {
        Some(b) => b,
        None => store
            .last_meta_key_with_prefix(trie_pack::PACK_PREFIX)?
            .map(|k| trie_pack::pack_seq(&k))
            .transpose()?,
    };
    let taken =
        bound >= Some(seq) && store.with_meta(&trie_pack::pack_key(seq), |p| p.is_some())?;
    inner.eth.pack_bound = Some(bound.max(Some(seq)));
    Ok(if taken { Keys::PerNode } else { Keys::Pack })
}

/// The root and meta entries of `new` from a job's result (building the trie in full when the
/// job could not update it), and the view kept for the next block.
pub(crate) fn finish(inner: &mut Inner, new: &Cid, done: Done) -> anyhow::Result<(B256, Meta)> {
    let start = std::time::Instant::now();
    if inner.eth.off {
        return Ok((B256::ZERO, Vec::new()));
    }
    let updated = match done.out {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(target: "tandem::node", "Ethereum state trie update failed, rebuilding it: {e:#}");
            None
        }
    };
    let (view, mut meta) = match updated {
        Some(u) => u,
        None => {
            let (view, nodes) = EthView::build(&inner.chain.exec.machine.state, done.seq)?;
            (view, node_meta(done.seq, nodes, done.keys))
        }
    };
    let root = view.root();
    meta.push(root_entry(new, root));
    inner.eth.base = Some(*new);
    inner.eth.view = Some((*new, view));
    let bytes: usize = meta
        .iter()
        .filter_map(|(_, v)| v.as_ref().map(Vec::len))
        .sum();
    NODE_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    let nanos = done.nanos + start.elapsed().as_nanos() as u64;
    UPDATE_NANOS.fetch_add(nanos, Ordering::Relaxed);
    Ok((root.0, meta))
}

/// The whole trie of a flushed state in `store` (genesis, a reset): its root and meta entries.
pub fn build(
    store: Arc<dyn fvm_ipld_blockstore::Blockstore + Send + Sync>,
    state: &Cid,
) -> anyhow::Result<(B256, Meta)> {
    build_at(store, state, 0)
}

/// [`build`], the nodes keyed under `seq`.
pub fn build_at(
    store: Arc<dyn fvm_ipld_blockstore::Blockstore + Send + Sync>,
    state: &Cid,
    seq: Loc,
) -> anyhow::Result<(B256, Meta)> {
    let tree = StateTree::load(VmStore::new(store), state)?;
    let (view, nodes) = EthView::build(&tree, seq)?;
    let root = view.root();
    // Readers build too (`eth_state_root_at`), without the chain's lock: keys per node.
    Ok((root.0, meta_of(state, root, seq, nodes, Keys::PerNode)))
}

impl crate::node::Node {
    /// Turns the Ethereum state trie off (or back on) to measure what it costs: with it off
    /// blocks carry a zero `stateRoot` and no trie nodes are stored, so proofs of those
    /// blocks' states are built from scratch when asked. For benchmarks, not for chains.
    pub fn set_eth_trie_for_bench(&self, on: bool) {
        let mut inner = self.lock();
        inner.eth.off = !on;
        inner.eth.invalidate();
    }

    /// The Ethereum state root of a block's state: the header's `stateRoot` for blocks mined
    /// with the trie kept (unless dev methods edited the state since; the root follows the
    /// state). A state whose trie is not kept gets it built and stored now.
    pub fn eth_state_root(&self, block: &crate::blocks::BlockRecord) -> anyhow::Result<B256> {
        Ok(self.eth_state_root_at(block)?.0)
    }

    /// [`Self::eth_state_root`] and where the root node is stored.
    pub fn eth_state_root_at(
        &self,
        block: &crate::blocks::BlockRecord,
    ) -> anyhow::Result<(B256, Loc)> {
        let state = block.state_cid()?;
        if let Some(root) = root_of(&self.store, &state)? {
            return Ok(root);
        }
        let seq = block.number();
        let (_, meta) = build_at(self.store.clone(), &state, seq)?;
        let mut batch = tandem_state::blockstore::CommitBatch::new();
        for (k, v) in meta.into_iter().filter_map(|(k, v)| Some((k, v?))) {
            batch.set_meta(k, v);
        }
        self.store.commit(&batch)?;
        root_of(&self.store, &state)?.context("the Ethereum state root just stored is missing")
    }
}
