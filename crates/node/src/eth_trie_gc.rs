//! Collecting the Ethereum trie's garbage (`tandem gc`).
//!
//! The trie's nodes live in the store's meta table (`eth_trie.rs`), outside the IPLD graph
//! that `tandem_state::gc` marks, and are never deleted while the node runs: blocks undone by
//! `evm_revert` or `anvil_reset`, and failed blocks, leave their nodes and root records
//! behind. A collection keeps exactly what the retained states need:
//!
//! - mark: from the root record (`eth.root.<state>`) of every retained state, every node its
//!   account trie reaches, and every storage trie its accounts name (an account leaf records
//!   where its storage root is stored);
//! - sweep: every other node, and the root record of every state that is not retained; a
//!   block's pack (`crate::trie_pack`) keeps its live nodes (rewritten without the others,
//!   removed when none is live).
//!
//! A retained state without a root record keeps nothing here: the node builds its trie in
//! full when it needs it. Like the block store's collection, it must run with no writer (the
//! CLI holds the store exclusively), in one atomic commit.

use std::collections::HashSet;

use alloy_primitives::B256;
use alloy_rlp::Decodable;
use alloy_trie::nodes::{RlpNode, TrieNode};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use anyhow::Context;
use cid::Cid;
use tandem_evm::mpt::{Loc, unstored};
use tandem_state::blockstore::{CommitBatch, CommitStore, RedbStore};

use crate::eth_trie::{load_node, node_key, root_key, root_of};
use crate::trie_pack;

/// Prefixes of the trie's meta keys (`eth_trie::node_key`, `eth_trie::root_key`).
const NODE_PREFIX: &str = "eth.n.";
const ROOT_PREFIX: &str = "eth.root.";

/// What a collection kept and removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrieGcReport {
    pub kept_nodes: u64,
    pub removed_nodes: u64,
    pub removed_roots: u64,
    /// Nodes a retained trie refers to that were not in the store (a sign of an earlier
    /// loss; reported, not fatal, like the block store's missing blocks).
    pub missing_nodes: u64,
}

/// Deletes every trie node and root record the `retained` states do not need.
pub fn collect(store: &RedbStore, retained: &[Cid]) -> anyhow::Result<TrieGcReport> {
    let mut report = TrieGcReport::default();
    let mut live: HashSet<String> = HashSet::new();
    let mut keep_roots: HashSet<String> = HashSet::new();
    for state in retained {
        if let Some((root, loc)) = root_of(store, state)? {
            keep_roots.insert(root_key(state));
            mark(store, root, loc, &mut live, &mut report)?;
        }
    }
    let mut batch = CommitBatch::new();
    for key in store.meta_keys_with_prefix(NODE_PREFIX)? {
        if live.contains(&key) {
            report.kept_nodes += 1;
        } else {
            report.removed_nodes += 1;
            batch.delete_meta(key);
        }
    }
    for key in store.meta_keys_with_prefix(trie_pack::PACK_PREFIX)? {
        sweep_pack(store, &key, &live, &mut batch, &mut report)?;
    }
    for key in store.meta_keys_with_prefix(ROOT_PREFIX)? {
        if !keep_roots.contains(&key) {
            report.removed_roots += 1;
            batch.delete_meta(key);
        }
    }
    if !batch.is_empty() {
        store.commit(&batch)?;
    }
    Ok(report)
}

/// Keeps a pack's live nodes: the pack stays as it is, is rewritten without the dead ones, or
/// goes.
fn sweep_pack(
    store: &RedbStore,
    key: &str,
    live: &HashSet<String>,
    batch: &mut CommitBatch,
    report: &mut TrieGcReport,
) -> anyhow::Result<()> {
    let seq = trie_pack::pack_seq(key)?;
    let Some(pack) = store.get_meta(key)? else {
        return Ok(());
    };
    let nodes = trie_pack::decode(&pack).with_context(|| format!("trie pack {key}"))?;
    let kept: Vec<&(B256, &[u8])> = nodes
        .iter()
        .filter(|(h, _)| live.contains(&node_key(h, seq)))
        .collect();
    report.kept_nodes += kept.len() as u64;
    report.removed_nodes += (nodes.len() - kept.len()) as u64;
    if kept.is_empty() {
        batch.delete_meta(key);
    } else if kept.len() < nodes.len() {
        batch.set_meta(key, trie_pack::encode(kept.iter().map(|(h, n)| (h, *n))));
    }
    Ok(())
}

/// Which trie a node belongs to: an account leaf names a storage trie, a storage leaf
/// names nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Accounts,
    Storage,
}

/// Marks the trie under `(root, loc)` (an explicit stack: tries are only 64 nibbles deep,
/// but the storage tries of many accounts hang below one account trie).
fn mark(
    store: &RedbStore,
    root: B256,
    loc: Loc,
    live: &mut HashSet<String>,
    report: &mut TrieGcReport,
) -> anyhow::Result<()> {
    if root == EMPTY_ROOT_HASH {
        return Ok(());
    }
    let mut stack = vec![(root, loc, Kind::Accounts)];
    while let Some((hash, loc, kind)) = stack.pop() {
        let key = node_key(&hash, loc);
        if live.contains(&key) {
            continue;
        }
        let Some(bytes) = load_node(store, &hash, loc)? else {
            report.missing_nodes += 1;
            continue;
        };
        live.insert(key);
        let (rlp, locs) = unstored(&bytes)?;
        let node = TrieNode::decode(&mut &rlp[..])
            .map_err(|e| anyhow::anyhow!("bad trie node {hash}: {e}"))?;
        let mut locs = locs.into_iter();
        children(&node, kind, &mut locs, &mut stack)
            .with_context(|| format!("trie node {hash} at {loc}"))?;
    }
    Ok(())
}

/// Pushes the hashed nodes `node` refers to, consuming the locations its stored form lists
/// in the same order the trie writes them (`mpt::stored`): hashed children in order, then a
/// leaf's auxiliary location.
fn children(
    node: &TrieNode,
    kind: Kind,
    locs: &mut impl Iterator<Item = Loc>,
    stack: &mut Vec<(B256, Loc, Kind)>,
) -> anyhow::Result<()> {
    let mut child = |r: &RlpNode, stack: &mut Vec<_>| -> anyhow::Result<()> {
        if let Some(h) = r.as_hash() {
            let loc = locs.next().context("a child's location is missing")?;
            stack.push((h, loc, kind));
        }
        // An embedded node is under 32 bytes, too small to hold a hash: nothing below it is
        // stored apart (the trie gives it no locations either).
        Ok(())
    };
    match node {
        TrieNode::EmptyRoot => {}
        TrieNode::Branch(b) => {
            for (_, c) in b.as_ref().children() {
                if let Some(c) = c {
                    child(c, stack)?;
                }
            }
        }
        TrieNode::Extension(e) => child(&e.child, stack)?,
        TrieNode::Leaf(l) if kind == Kind::Accounts => {
            let account = TrieAccount::decode(&mut &l.value[..])
                .map_err(|e| anyhow::anyhow!("bad account leaf: {e}"))?;
            if account.storage_root != EMPTY_ROOT_HASH {
                let loc = locs
                    .next()
                    .context("an account leaf lacks its storage root's location")?;
                stack.push((account.storage_root, loc, Kind::Storage));
            }
        }
        TrieNode::Leaf(_) => {}
    }
    Ok(())
}
