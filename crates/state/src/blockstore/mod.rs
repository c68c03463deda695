//! The stores blocks live in.
//!
//! Every store speaks [`Blockstore`] (from `fvm_ipld_blockstore`), which is what the HAMT, AMT
//! and KAMT crates take. On top of it:
//!
//! - [`CommitStore`]: an atomic write of many blocks plus metadata entries (such as the head
//!   state root). After a crash either the whole batch is there or none of it is.
//! - [`EnumerableStore`]: listing and deleting blocks, for garbage collection.
//!
//! Implementations: [`MemoryStore`] (tests, dry runs), [`RedbStore`] (the on-disk default) and
//! [`BufferedStore`] (a write buffer that flushes only what a new state root reaches).

use anyhow::Result;
use cid::Cid;

mod buffered;
mod memory;
mod redb_store;

pub use buffered::{BufferedStore, FlushReport, Taken};
pub use fvm_ipld_blockstore::{Block, Blockstore, MemoryBlockstore};
pub use memory::MemoryStore;
pub use redb_store::{FORMAT_VERSION, MAX_PENDING_BYTES, RedbStore};

/// The meta key under which Tandem keeps the head state root (the bytes of its CID).
pub const HEAD_KEY: &str = "head";

/// Meta keys with this prefix belong to the store itself and cannot be written by a batch.
pub const RESERVED_META_PREFIX: &str = "store.";

/// Blocks and metadata that are written together, in one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitBatch {
    /// Blocks to write, keyed by CID. The CIDs are trusted: callers hash (or verify) them.
    pub blocks: Vec<(Cid, Vec<u8>)>,
    /// Meta entries to set (`Some`) or delete (`None`), applied in order.
    pub meta: Vec<(String, Option<Vec<u8>>)>,
}

impl CommitBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put_block(&mut self, cid: Cid, bytes: Vec<u8>) -> &mut Self {
        self.blocks.push((cid, bytes));
        self
    }

    pub fn set_meta(&mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) -> &mut Self {
        self.meta.push((key.into(), Some(value.into())));
        self
    }

    pub fn delete_meta(&mut self, key: impl Into<String>) -> &mut Self {
        self.meta.push((key.into(), None));
        self
    }

    /// Sets [`HEAD_KEY`] to `root`.
    pub fn set_head(&mut self, root: &Cid) -> &mut Self {
        self.set_meta(HEAD_KEY, root.to_bytes())
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.meta.is_empty()
    }

    /// Total size of the block data in the batch.
    pub fn block_bytes(&self) -> u64 {
        self.blocks.iter().map(|(_, b)| b.len() as u64).sum()
    }

    /// Rejects writes to the store's own meta keys.
    pub(crate) fn check_meta_keys(&self) -> Result<()> {
        for (key, _) in &self.meta {
            if key.starts_with(RESERVED_META_PREFIX) {
                anyhow::bail!("meta key {key:?} is reserved for the store");
            }
        }
        Ok(())
    }
}

/// A store that can write a [`CommitBatch`] atomically and read metadata back.
///
/// Dyn-compatible, so a `&dyn CommitStore` or `Arc<dyn CommitStore + Send + Sync>` works.
pub trait CommitStore: Blockstore {
    /// Writes all blocks and meta entries of `batch`, or nothing (on error).
    fn commit(&self, batch: &CommitBatch) -> Result<()>;

    /// [`Self::commit`] taking the batch, so a store that keeps it (a deferred commit waits
    /// in memory) need not copy it. On error the batch comes back with the error.
    fn commit_owned(
        &self,
        batch: CommitBatch,
    ) -> std::result::Result<(), (anyhow::Error, CommitBatch)> {
        match self.commit(&batch) {
            Ok(()) => Ok(()),
            Err(e) => Err((e, batch)),
        }
    }

    /// Reads one meta entry; a missing key is `Ok(None)`.
    fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>>;

    /// The first of `cids` the store does not hold, if any (a store may answer them all in
    /// one read; a flush checks every link that leaves its buffer this way).
    fn first_missing(&self, cids: &[Cid]) -> Result<Option<Cid>> {
        for cid in cids {
            if !self.has(cid)? {
                return Ok(Some(*cid));
            }
        }
        Ok(None)
    }

    /// The head state root recorded under [`HEAD_KEY`], if any.
    fn head(&self) -> Result<Option<Cid>> {
        match self.get_meta(HEAD_KEY)? {
            None => Ok(None),
            Some(bytes) => Cid::try_from(bytes.as_slice())
                .map(Some)
                .map_err(|e| anyhow::anyhow!("the stored head root is not a valid CID: {e}")),
        }
    }
}

/// Block count and total block bytes of a store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub blocks: u64,
    pub bytes: u64,
}

/// A store whose blocks can be listed and deleted (for garbage collection).
pub trait EnumerableStore: Blockstore {
    /// Calls `f` with every block's CID and size. The order is unspecified. An error from `f`
    /// stops the walk and is returned.
    fn for_each_block(&self, f: &mut dyn FnMut(&Cid, usize) -> Result<()>) -> Result<()>;

    /// Deletes the given blocks (absent ones are ignored), atomically where the store can.
    fn delete_many(&self, cids: &[Cid]) -> Result<()>;

    /// How many blocks and bytes the store holds.
    fn stats(&self) -> Result<StoreStats>;
}

// Handles (`&S`, `Arc<S>`) commit and enumerate through the store they point to. (`S` must be
// sized because fvm_ipld_blockstore only implements `Blockstore` for handles to sized stores.)
macro_rules! forward_store_traits {
    ($($ty:ty),+) => {$(
        impl<S: CommitStore> CommitStore for $ty {
            fn commit(&self, batch: &CommitBatch) -> Result<()> {
                (**self).commit(batch)
            }
            fn commit_owned(
                &self,
                batch: CommitBatch,
            ) -> std::result::Result<(), (anyhow::Error, CommitBatch)> {
                (**self).commit_owned(batch)
            }
            fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
                (**self).get_meta(key)
            }
            fn first_missing(&self, cids: &[Cid]) -> Result<Option<Cid>> {
                (**self).first_missing(cids)
            }
        }
        impl<S: EnumerableStore> EnumerableStore for $ty {
            fn for_each_block(&self, f: &mut dyn FnMut(&Cid, usize) -> Result<()>) -> Result<()> {
                (**self).for_each_block(f)
            }
            fn delete_many(&self, cids: &[Cid]) -> Result<()> {
                (**self).delete_many(cids)
            }
            fn stats(&self) -> Result<StoreStats> {
                (**self).stats()
            }
        }
    )+};
}
forward_store_traits!(&S, std::sync::Arc<S>);
