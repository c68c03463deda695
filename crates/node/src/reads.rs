//! The read path: state queries answered without rebuilding the state tree per request.
//!
//! Two caches, shared by every request and never waited on by the writer:
//! - [`BlockCache`]: IPLD blocks read from redb, kept in memory. A block is named by its
//!   hash, so a cached block can never be stale; the cache only bounds its size.
//! - [`Snapshot`]: the answers already computed at the head's state root (accounts and
//!   storage slots). A root names one immutable state, so answers keyed by it stay true;
//!   when the head moves, queries at the new root start a new snapshot.
//!
//! Queries at older blocks, calls and traces open a state tree over the block cache. The
//! recent block hashes every block environment carries are cached here too (`block_hashes.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use alloy_primitives::{Address, B256, Bytes};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use tandem_state::ActorRecord;
use tandem_state::blockstore::RedbStore;

/// Shards of the block cache (lock striping for concurrent readers).
const SHARDS: usize = 16;
/// Bytes a shard holds before it is emptied (16 × 8 MiB = 128 MiB in all).
const SHARD_BYTES: usize = 8 << 20;
/// Answers a snapshot keeps per kind; beyond that, misses are computed and not kept.
const SNAPSHOT_ENTRIES: usize = 1 << 16;
/// Bytes of code and of `eth_call` requests and answers a snapshot keeps, per kind. An idle
/// chain keeps one snapshot indefinitely, and one call's key and answer can be megabytes
/// (calldata and return data as large as 30M gas allows), so a count alone would let
/// distinct calls pin gigabytes.
const SNAPSHOT_BYTES: usize = 32 << 20;
/// The largest answer (with its key) kept: larger ones are recomputed each time.
const SNAPSHOT_ITEM_BYTES: usize = 64 << 10;

#[derive(Default)]
struct Shard {
    blocks: HashMap<Cid, Arc<[u8]>>,
    bytes: usize,
}

/// A read-through, size-bounded cache of redb's blocks. Read-only: writes are refused, so
/// nothing can reach the chain's store through it (calls put a buffer on top).
pub struct BlockCache {
    inner: Arc<RedbStore>,
    shards: Vec<Mutex<Shard>>,
}

impl BlockCache {
    pub fn new(inner: Arc<RedbStore>) -> Self {
        Self {
            inner,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    fn shard(&self, k: &Cid) -> std::sync::MutexGuard<'_, Shard> {
        let digest = k.hash().digest();
        let i = digest.last().copied().unwrap_or(0) as usize % SHARDS;
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Blockstore for BlockCache {
    fn get(&self, k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        if let Some(b) = self.shard(k).blocks.get(k) {
            return Ok(Some(b.to_vec()));
        }
        let Some(block) = self.inner.get(k)? else {
            return Ok(None);
        };
        let mut shard = self.shard(k);
        if shard.bytes + block.len() > SHARD_BYTES {
            shard.blocks.clear();
            shard.bytes = 0;
        }
        if block.len() <= SHARD_BYTES {
            shard.bytes += block.len();
            shard.blocks.insert(*k, Arc::from(block.as_slice()));
        }
        Ok(Some(block))
    }

    fn has(&self, k: &Cid) -> anyhow::Result<bool> {
        if self.shard(k).blocks.contains_key(k) {
            return Ok(true);
        }
        self.inner.has(k)
    }

    fn put_keyed(&self, k: &Cid, _block: &[u8]) -> anyhow::Result<()> {
        anyhow::bail!("the read cache is read-only (writing block {k})")
    }
}

/// An account as the head's state holds it: its ID and record (None: no actor).
pub type Account = Option<(u64, ActorRecord)>;

/// Answers computed at one state root, shared by every query at that root.
pub struct Snapshot {
    pub root: Cid,
    accounts: RwLock<HashMap<Address, Account>>,
    slots: RwLock<HashMap<(Address, B256), B256>>,
    code: RwLock<HashMap<Address, Bytes>>,
    code_bytes: AtomicUsize,
    /// `eth_call` answers at the head block (its hash and the request as JSON).
    calls: RwLock<HashMap<(B256, String), Bytes>>,
    call_bytes: AtomicUsize,
}

fn get<K: std::hash::Hash + Eq, V: Clone>(map: &RwLock<HashMap<K, V>>, k: &K) -> Option<V> {
    map.read()
        .unwrap_or_else(|e| e.into_inner())
        .get(k)
        .cloned()
}

fn put<K: std::hash::Hash + Eq, V>(map: &RwLock<HashMap<K, V>>, k: K, v: V) {
    let mut map = map.write().unwrap_or_else(|e| e.into_inner());
    if map.len() < SNAPSHOT_ENTRIES {
        map.insert(k, v);
    }
}

/// As [`put`], for values of `size` bytes, kept while the kind's bytes stay within
/// [`SNAPSHOT_BYTES`].
fn put_sized<K: std::hash::Hash + Eq, V>(
    map: &RwLock<HashMap<K, V>>,
    bytes: &AtomicUsize,
    k: K,
    v: V,
    size: usize,
) {
    if size > SNAPSHOT_ITEM_BYTES {
        return;
    }
    let mut map = map.write().unwrap_or_else(|e| e.into_inner());
    let held = bytes.load(Ordering::Relaxed);
    if map.len() < SNAPSHOT_ENTRIES && held + size <= SNAPSHOT_BYTES && !map.contains_key(&k) {
        bytes.store(held + size, Ordering::Relaxed);
        map.insert(k, v);
    }
}

impl Snapshot {
    fn new(root: Cid) -> Self {
        Self {
            root,
            accounts: RwLock::default(),
            slots: RwLock::default(),
            code: RwLock::default(),
            code_bytes: AtomicUsize::new(0),
            calls: RwLock::default(),
            call_bytes: AtomicUsize::new(0),
        }
    }

    pub fn account(&self, addr: &Address) -> Option<Account> {
        get(&self.accounts, addr)
    }

    pub fn put_account(&self, addr: Address, account: Account) {
        put(&self.accounts, addr, account)
    }

    pub fn slot(&self, addr: &Address, slot: &B256) -> Option<B256> {
        get(&self.slots, &(*addr, *slot))
    }

    pub fn put_slot(&self, addr: Address, slot: B256, value: B256) {
        put(&self.slots, (addr, slot), value)
    }

    pub fn code(&self, addr: &Address) -> Option<Bytes> {
        get(&self.code, addr)
    }

    pub fn put_code(&self, addr: Address, code: Bytes) {
        let size = code.len();
        put_sized(&self.code, &self.code_bytes, addr, code, size)
    }

    pub fn call(&self, key: &(B256, String)) -> Option<Bytes> {
        get(&self.calls, key)
    }

    pub fn put_call(&self, key: (B256, String), answer: Bytes) {
        let size = key.1.len() + answer.len();
        put_sized(&self.calls, &self.call_bytes, key, answer, size)
    }
}

/// The node's read path: the block cache and the head's snapshot.
pub struct Reads {
    pub blocks: Arc<BlockCache>,
    head: RwLock<Option<Arc<Snapshot>>>,
    /// The recent block hashes BLOCKHASH answers (`block_hashes.rs`).
    pub(crate) hashes: crate::block_hashes::RecentHashes,
}

impl Reads {
    pub fn new(store: Arc<RedbStore>) -> Self {
        Self {
            blocks: Arc::new(BlockCache::new(store)),
            head: RwLock::new(None),
            hashes: Default::default(),
        }
    }

    /// The snapshot of `root`, the head's state root; a new head starts a fresh one.
    pub fn snapshot(&self, root: &Cid) -> Arc<Snapshot> {
        if let Some(s) = self
            .head
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|s| s.root == *root)
        {
            return s.clone();
        }
        let mut head = self.head.write().unwrap_or_else(|e| e.into_inner());
        match head.as_ref() {
            Some(s) if s.root == *root => s.clone(),
            _ => {
                let s = Arc::new(Snapshot::new(*root));
                *head = Some(s.clone());
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_call_answers_are_bounded_in_bytes() {
        let snap = Snapshot::new(Cid::default());
        let answer = Bytes::from(vec![7u8; 60 << 10]);
        for i in 0..1_000 {
            snap.put_call((B256::ZERO, format!("{{\"n\":{i:04}}}")), answer.clone());
        }
        let kept = snap.calls.read().unwrap().len();
        assert_eq!(kept, SNAPSHOT_BYTES / (answer.len() + 10), "{kept}");
        assert!(snap.call_bytes.load(Ordering::Relaxed) <= SNAPSHOT_BYTES);
        assert!(snap.call(&(B256::ZERO, "{\"n\":0000}".into())).is_some());
        // One answer over the item limit is never kept, even with room.
        let fresh = Snapshot::new(Cid::default());
        let key = (B256::ZERO, String::from("big"));
        fresh.put_call(key.clone(), Bytes::from(vec![0u8; SNAPSHOT_ITEM_BYTES + 1]));
        assert!(fresh.call(&key).is_none());
        fresh.put_code(Address::ZERO, Bytes::from(vec![0u8; 100]));
        assert!(fresh.code(&Address::ZERO).is_some());
    }
}
