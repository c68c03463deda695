//! An in-memory store: a shared map of blocks plus a meta map.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use anyhow::Result;
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;

use super::{CommitBatch, CommitStore, EnumerableStore, StoreStats};

#[derive(Default)]
struct Inner {
    blocks: HashMap<Cid, Vec<u8>>,
    meta: HashMap<String, Vec<u8>>,
}

/// An in-memory block and meta store. Clones share the same maps.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<RwLock<Inner>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.read();
        f.debug_struct("MemoryStore")
            .field("blocks", &inner.blocks.len())
            .field("meta", &inner.meta.len())
            .finish()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    // Every update below completes before it can panic, so a poisoned lock still guards a
    // consistent map: recover it rather than fail.
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of blocks held.
    pub fn len(&self) -> usize {
        self.read().blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().blocks.is_empty()
    }

    /// Every CID in the store, sorted (for deterministic test output).
    pub fn cids(&self) -> Vec<Cid> {
        let mut cids: Vec<Cid> = self.read().blocks.keys().copied().collect();
        cids.sort();
        cids
    }
}

impl Blockstore for MemoryStore {
    fn get(&self, k: &Cid) -> Result<Option<Vec<u8>>> {
        Ok(self.read().blocks.get(k).cloned())
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> Result<()> {
        self.write().blocks.insert(*k, block.to_vec());
        Ok(())
    }

    fn has(&self, k: &Cid) -> Result<bool> {
        Ok(self.read().blocks.contains_key(k))
    }

    fn put_many_keyed<D, I>(&self, blocks: I) -> Result<()>
    where
        Self: Sized,
        D: AsRef<[u8]>,
        I: IntoIterator<Item = (Cid, D)>,
    {
        let mut inner = self.write();
        for (k, b) in blocks {
            inner.blocks.insert(k, b.as_ref().to_vec());
        }
        Ok(())
    }
}

impl CommitStore for MemoryStore {
    fn commit(&self, batch: &CommitBatch) -> Result<()> {
        batch.check_meta_keys()?;
        // One write lock for the whole batch: readers see all of it or none of it.
        let mut inner = self.write();
        for (cid, bytes) in &batch.blocks {
            inner.blocks.insert(*cid, bytes.clone());
        }
        for (key, value) in &batch.meta {
            match value {
                Some(v) => inner.meta.insert(key.clone(), v.clone()),
                None => inner.meta.remove(key),
            };
        }
        Ok(())
    }

    fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.read().meta.get(key).cloned())
    }
}

impl EnumerableStore for MemoryStore {
    fn for_each_block(&self, f: &mut dyn FnMut(&Cid, usize) -> Result<()>) -> Result<()> {
        // Snapshot first so `f` may use the store without deadlocking.
        let sizes: Vec<(Cid, usize)> = self
            .read()
            .blocks
            .iter()
            .map(|(k, v)| (*k, v.len()))
            .collect();
        for (cid, size) in &sizes {
            f(cid, *size)?;
        }
        Ok(())
    }

    fn delete_many(&self, cids: &[Cid]) -> Result<()> {
        let mut inner = self.write();
        for cid in cids {
            inner.blocks.remove(cid);
        }
        Ok(())
    }

    fn stats(&self) -> Result<StoreStats> {
        let inner = self.read();
        Ok(StoreStats {
            blocks: inner.blocks.len() as u64,
            bytes: inner.blocks.values().map(|b| b.len() as u64).sum(),
        })
    }
}
