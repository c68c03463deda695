//! The store a message executes against, as one concrete type so that kernels and runtimes
//! need no store generics. It is a cheap handle (an `Arc`) over any blockstore; the executor
//! puts a write buffer behind it and flushes only what the new state root reaches.

use std::sync::Arc;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;

#[derive(Clone)]
pub struct VmStore(Arc<dyn Blockstore + Send + Sync>);

impl VmStore {
    pub fn new(inner: Arc<dyn Blockstore + Send + Sync>) -> Self {
        Self(inner)
    }

    /// A store over a fresh in-memory map (tests, dry runs).
    pub fn memory() -> Self {
        Self(Arc::new(SyncMemory::default()))
    }
}

impl Blockstore for VmStore {
    fn get(&self, k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        self.0.get(k)
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> anyhow::Result<()> {
        self.0.put_keyed(k, block)
    }

    fn has(&self, k: &Cid) -> anyhow::Result<bool> {
        self.0.has(k)
    }
}

/// A thread-safe in-memory map (fvm's `MemoryBlockstore` is not `Sync`).
#[derive(Default)]
struct SyncMemory(std::sync::RwLock<std::collections::HashMap<Cid, Vec<u8>>>);

impl Blockstore for SyncMemory {
    fn get(&self, k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        let map = self
            .0
            .read()
            .map_err(|_| anyhow::anyhow!("memory store poisoned"))?;
        Ok(map.get(k).cloned())
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> anyhow::Result<()> {
        let mut map = self
            .0
            .write()
            .map_err(|_| anyhow::anyhow!("memory store poisoned"))?;
        map.insert(*k, block.to_vec());
        Ok(())
    }
}
