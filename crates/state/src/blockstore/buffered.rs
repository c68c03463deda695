//! A write buffer over a base store, for one message's or one block's writes.
//!
//! Reads see the buffer first, then the base. Nothing reaches the base until a flush, and a
//! flush writes only the buffered blocks reachable from the new state root: intermediate
//! HAMT nodes and other temporaries that the final state no longer links to are dropped.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use anyhow::{Context, Result, bail};
use cid::Cid;
use fvm_ipld_blockstore::{Blockstore, Buffered};

use super::{CommitBatch, CommitStore};
use crate::links::{IDENTITY_HASH, scan_links};

/// Fx hashing: keys are content hashes, and no output depends on the map's order.
type BlockMap = HashMap<Cid, Vec<u8>>;

/// Buffers writes in memory over `base`. Usable through `&self` (the HAMT crates need that)
/// and `Send + Sync` when the base is.
pub struct BufferedStore<BS> {
    base: BS,
    buffer: RwLock<BlockMap>,
    /// Blocks known to be in the base: committed through [`Self::commit_reachable`] or found
    /// there by its link check. The base never loses a block while it is open (collection
    /// runs offline), so a link to one of these needs no read; at most [`MAX_KNOWN`] kept.
    known: Mutex<HashSet<Cid>>,
}

/// The most CIDs [`BufferedStore`] remembers as stored (about 100 bytes each).
const MAX_KNOWN: usize = 100_000;

/// What a flush wrote and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Buffered blocks reachable from the root, written to the target.
    pub blocks_written: u64,
    pub bytes_written: u64,
    /// Buffered blocks the root does not reach, discarded.
    pub blocks_dropped: u64,
}

impl<BS> BufferedStore<BS> {
    pub fn new(base: BS) -> Self {
        Self {
            base,
            buffer: RwLock::new(HashMap::default()),
            known: Mutex::new(HashSet::default()),
        }
    }

    pub fn base(&self) -> &BS {
        &self.base
    }

    /// Drops the buffer and returns the base.
    pub fn into_base(self) -> BS {
        self.base
    }

    // Buffer updates cannot panic half-way, so a poisoned lock still guards a consistent map.
    fn read(&self) -> RwLockReadGuard<'_, BlockMap> {
        self.buffer.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BlockMap> {
        self.buffer.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of blocks waiting in the buffer.
    pub fn buffered_blocks(&self) -> usize {
        self.read().len()
    }

    /// Total size of the blocks waiting in the buffer.
    pub fn buffered_bytes(&self) -> u64 {
        self.read().values().map(|b| b.len() as u64).sum()
    }

    /// Forgets every buffered write.
    pub fn discard(&self) {
        self.write().clear();
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashSet<Cid>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers blocks as stored in the base (forgetting all when the set is full).
    fn remember<'a>(&self, cids: impl ExactSizeIterator<Item = &'a Cid>) {
        let mut known = self.known();
        if known.len() + cids.len() > MAX_KNOWN {
            known.clear();
        }
        known.extend(cids.copied());
    }
}

impl<BS: Blockstore> BufferedStore<BS> {
    /// Empties the buffer, returning the buffered blocks reachable from `root` as a batch
    /// (without meta entries). Blocks the root does not reach are dropped.
    ///
    /// The walk stops at blocks that are not buffered: those must already be in the base
    /// (their whole subgraph was persisted with them). A link to a block in neither place is
    /// an error, and then the buffer is left as it was.
    pub fn take_reachable(&self, root: &Cid) -> Result<CommitBatch> {
        self.take_reachable_counted(root, &|cids| self.base_lacks(cids))
            .map(|(batch, _)| batch)
    }

    /// The first of `cids` the base lacks, asked one by one.
    fn base_lacks(&self, cids: &[Cid]) -> Result<Option<Cid>> {
        for cid in cids {
            if !self.base.has(cid)? {
                return Ok(Some(*cid));
            }
        }
        Ok(None)
    }

    /// `first_missing` checks the links that leave the buffer, all at once.
    fn take_reachable_counted(
        &self,
        root: &Cid,
        first_missing: &dyn Fn(&[Cid]) -> Result<Option<Cid>>,
    ) -> Result<(CommitBatch, u64)> {
        let mut buffer = self.write();
        let mut taken: Vec<(Cid, Vec<u8>)> = Vec::new();
        let walked =
            collect_reachable(&mut buffer, root, &mut taken).and_then(
                |outside| match first_missing(&outside)? {
                    Some(cid) => bail!(
                        "block {cid} is reachable from {root} but is neither buffered nor stored"
                    ),
                    None => Ok(()),
                },
            );
        match walked {
            Ok(()) => {
                let dropped = buffer.len() as u64;
                buffer.clear();
                Ok((
                    CommitBatch {
                        blocks: taken,
                        meta: Vec::new(),
                    },
                    dropped,
                ))
            }
            Err(e) => {
                buffer.extend(taken);
                Err(e)
            }
        }
    }

    /// Writes the buffered blocks reachable from `root`, plus `meta`, to `target` in one
    /// atomic commit, and empties the buffer. If the commit fails the reachable blocks stay
    /// buffered (the unreachable ones are gone either way), so the caller may retry.
    pub fn flush_to(
        &self,
        root: &Cid,
        target: &dyn CommitStore,
        meta: Vec<(String, Option<Vec<u8>>)>,
    ) -> Result<FlushReport> {
        self.flush_checked(root, target, meta, &|cids| self.base_lacks(cids))
    }

    fn flush_checked(
        &self,
        root: &Cid,
        target: &dyn CommitStore,
        meta: Vec<(String, Option<Vec<u8>>)>,
        first_missing: &dyn Fn(&[Cid]) -> Result<Option<Cid>>,
    ) -> Result<FlushReport> {
        let (mut batch, dropped) = self.take_reachable_counted(root, first_missing)?;
        batch.meta = meta;
        let report = FlushReport {
            blocks_written: batch.blocks.len() as u64,
            bytes_written: batch.block_bytes(),
            blocks_dropped: dropped,
        };
        if let Err(e) = target.commit(&batch) {
            self.write().extend(batch.blocks);
            return Err(e.context(format!("flushing the state rooted at {root}")));
        }
        Ok(report)
    }
}

impl<BS: CommitStore> BufferedStore<BS> {
    /// [`Self::flush_to`] the base store: the usual end of a message or block.
    pub fn commit_reachable(
        &self,
        root: &Cid,
        meta: Vec<(String, Option<Vec<u8>>)>,
    ) -> Result<FlushReport> {
        let taken = self.take_for_commit(root)?;
        self.commit_taken(root, taken, meta)
    }

    /// The first half of [`Self::commit_reachable`], for a caller with work to do beside the
    /// walk (the node computes the Ethereum trie meanwhile): the buffered blocks `root`
    /// reaches, taken out of the buffer, its links checked. Hand them to
    /// [`Self::commit_taken`] or back with [`Self::give_back`]; until then reads of this
    /// store do not see them.
    pub fn take_for_commit(&self, root: &Cid) -> Result<Taken> {
        // The links leaving the buffer are checked in one read of the base, except those to
        // blocks already known to be there.
        let check = |cids: &[Cid]| -> Result<Option<Cid>> {
            let unknown: Vec<Cid> = {
                let known = self.known();
                cids.iter()
                    .filter(|c| !known.contains(*c))
                    .copied()
                    .collect()
            };
            let missing = self.base.first_missing(&unknown)?;
            if missing.is_none() {
                self.remember(unknown.iter());
            }
            Ok(missing)
        };
        let (batch, dropped) = self.take_reachable_counted(root, &check)?;
        Ok(Taken { batch, dropped })
    }

    /// Puts blocks taken by [`Self::take_for_commit`] back (the commit was abandoned).
    pub fn give_back(&self, taken: Taken) {
        self.write().extend(taken.batch.blocks);
    }

    /// The second half of [`Self::commit_reachable`]: commits the taken blocks with `meta`
    /// to the base in one atomic commit. If that fails they go back into the buffer.
    pub fn commit_taken(
        &self,
        root: &Cid,
        taken: Taken,
        meta: Vec<(String, Option<Vec<u8>>)>,
    ) -> Result<FlushReport> {
        let Taken { mut batch, dropped } = taken;
        batch.meta = meta;
        let report = FlushReport {
            blocks_written: batch.blocks.len() as u64,
            bytes_written: batch.block_bytes(),
            blocks_dropped: dropped,
        };
        let cids: Vec<Cid> = batch.blocks.iter().map(|(c, _)| *c).collect();
        if let Err((e, batch)) = self.base.commit_owned(batch) {
            self.write().extend(batch.blocks);
            return Err(e.context(format!("flushing the state rooted at {root}")));
        }
        self.remember(cids.iter());
        Ok(report)
    }
}

/// Blocks taken out of a [`BufferedStore`] for a commit ([`BufferedStore::take_for_commit`]).
pub struct Taken {
    batch: CommitBatch,
    dropped: u64,
}

/// Moves the buffered blocks reachable from `root` into `taken`, depth first, and returns the
/// links that leave the buffer (each once), for the caller to check against the base.
fn collect_reachable(
    buffer: &mut BlockMap,
    root: &Cid,
    taken: &mut Vec<(Cid, Vec<u8>)>,
) -> Result<Vec<Cid>> {
    let mut seen: HashSet<Cid> = HashSet::default();
    let mut outside: Vec<Cid> = Vec::new();
    let mut stack: Vec<Cid> = Vec::new();
    let mut links: Vec<Cid> = Vec::new();
    if root.hash().code() == IDENTITY_HASH {
        // An inline root: start from what its content links to.
        scan_links(root.codec(), root.hash().digest(), |c| links.push(c))?;
        stack.extend(links.drain(..).rev());
    } else {
        stack.push(*root);
    }
    while let Some(cid) = stack.pop() {
        if !seen.insert(cid) {
            continue;
        }
        match buffer.remove(&cid) {
            Some(bytes) => {
                scan_links(cid.codec(), &bytes, |c| links.push(c))
                    .with_context(|| format!("scanning buffered block {cid}"))?;
                taken.push((cid, bytes));
                stack.extend(links.drain(..).rev().filter(|c| !seen.contains(c)));
            }
            None => outside.push(cid),
        }
    }
    Ok(outside)
}

impl<BS: Blockstore> Blockstore for BufferedStore<BS> {
    fn get(&self, k: &Cid) -> Result<Option<Vec<u8>>> {
        if let Some(bytes) = self.read().get(k) {
            return Ok(Some(bytes.clone()));
        }
        self.base.get(k)
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> Result<()> {
        self.write().insert(*k, block.to_vec());
        Ok(())
    }

    fn has(&self, k: &Cid) -> Result<bool> {
        if self.read().contains_key(k) {
            return Ok(true);
        }
        self.base.has(k)
    }

    fn put_many_keyed<D, I>(&self, blocks: I) -> Result<()>
    where
        Self: Sized,
        D: AsRef<[u8]>,
        I: IntoIterator<Item = (Cid, D)>,
    {
        let mut buffer = self.write();
        for (k, b) in blocks {
            buffer.insert(k, b.as_ref().to_vec());
        }
        Ok(())
    }
}

/// fvm's flush: the reachable blocks go to the base through `put_many_keyed` (one transaction
/// for [`super::RedbStore`], but without meta; use [`BufferedStore::commit_reachable`] for that).
impl<BS: Blockstore> Buffered for BufferedStore<BS> {
    fn flush(&self, root: &Cid) -> Result<()> {
        let batch = self.take_reachable(root)?;
        if let Err(e) = self
            .base
            .put_many_keyed(batch.blocks.iter().map(|(c, b)| (*c, b)))
        {
            self.write().extend(batch.blocks);
            return Err(e);
        }
        Ok(())
    }
}
