//! The on-disk store: one redb file with two tables.
//!
//! - `blocks`: CID bytes → block bytes.
//! - `meta`: string key → bytes (the head state root, chain metadata, and the store's own
//!   format marker under `store.format`).
//!
//! Every write is a redb write transaction with immediate durability: once `commit` returns the
//! data survives a crash, and a crash (or a full disk) in the middle of a commit leaves the last
//! committed state as it was.
//!
//! A server that answers many writers may defer durability instead
//! ([`RedbStore::defer_durability`], group commit): each `commit` is then atomic and visible at
//! once but not yet durable, and [`RedbStore::sync`] makes every earlier commit durable with
//! one fsync. Concurrent callers of `sync` share it, so N writers waiting at once cost one
//! fsync, not N. A writer acknowledges its work only after `sync` returns.
//!
//! Deferred commits are not even written to redb until a sync (or until
//! [`MAX_PENDING_BYTES`] of them wait): they wait in memory, where every read looks first, and
//! the sync writes all of them in one redb transaction. So N blocks committed between two
//! syncs cost one redb transaction, not N. A crash loses them exactly as it would lose
//! unsynced redb commits; nothing was acknowledged.
//!
//! With a commit log ([`RedbStore::use_commit_log`], `redb_store/commit_log.rs`) a sync
//! appends the waiting commits to a file beside the store and fsyncs it instead; they reach
//! redb later ([`RedbStore::write_ahead`]), and opening the store replays the log.

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;
use std::fs::File;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use anyhow::{Context, Result, anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use redb::{
    Database, DatabaseError, Durability, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, TableDefinition, TableError,
};

use super::{CommitBatch, CommitStore, EnumerableStore, StoreStats};

const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The meta key holding the store's format marker.
const FORMAT_KEY: &str = "store.format";
/// The marker's prefix; the format version follows it.
const FORMAT_PREFIX: &str = "tandem-blockstore/";
/// The on-disk format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The first bytes of every redb file (checked before handing a file to redb).
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Page cache limit. redb allocates it lazily; this bounds a long-running node's memory.
const CACHE_BYTES: usize = 256 << 20;

/// Deferred commits waiting for a sync are written to redb (not yet durably) once they hold
/// this many bytes, so a writer that never syncs does not grow memory without bound.
pub const MAX_PENDING_BYTES: usize = 64 << 20;

/// A blockstore in one redb file. Clones share the open database.
#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
    path: PathBuf,
    group: Arc<GroupCommit>,
}

/// Deferred durability, shared by clones of a store.
#[derive(Default)]
struct GroupCommit {
    deferred: AtomicBool,
    /// Commits made so far (deferred ones included).
    committed: AtomicU64,
    /// How many of them are known durable; held while syncing, so syncs queue and share.
    durable: Mutex<u64>,
    /// Deferred commits not yet written to redb; reads look here first.
    pending: RwLock<Pending>,
    /// Held while pending commits are written, so they reach redb in order.
    writing: Mutex<()>,
    /// How many commits `pending` holds, readable without its lock (and without holding the
    /// store: see [`RedbStore::pending_gauge`]).
    waiting: Arc<AtomicUsize>,
    /// The commit log, once [`RedbStore::use_commit_log`] opened it. Held while pending
    /// commits are taken for redb, so each is appended before it is written there.
    log: Mutex<Option<commit_log::CommitLog>>,
}

/// An entry of a pending commit: the commit and the entry's position in it. The index
/// points into the commits instead of copying their blocks and values.
type Entry = (Arc<CommitBatch>, usize);

/// Commits waiting in memory, in order, and an index of what they set.
#[derive(Default)]
struct Pending {
    /// With their commit numbers (`seq`, the value of `added` when each was pushed).
    batches: Vec<(u64, Arc<CommitBatch>)>,
    /// Fx hashing: keys are content hashes.
    blocks: FxHashMap<Cid, Entry>,
    /// Meta values by key, with the number of the commit that set them.
    meta: HashMap<String, (u64, Entry)>,
    /// The last commit number given: numbers the meta values and each commit's `seq` (it
    /// starts from the highest the store holds, so numbers increase across restarts).
    added: u64,
    bytes: usize,
}

impl Pending {
    fn push(&mut self, batch: CommitBatch) {
        self.added += 1;
        let batch = Arc::new(batch);
        for (i, (cid, bytes)) in batch.blocks.iter().enumerate() {
            self.bytes += bytes.len();
            self.blocks.insert(*cid, (batch.clone(), i));
        }
        for (i, (key, value)) in batch.meta.iter().enumerate() {
            self.bytes += key.len() + value.as_ref().map_or(0, Vec::len);
            self.meta
                .insert(key.clone(), (self.added, (batch.clone(), i)));
        }
        self.batches.push((self.added, batch));
    }

    fn block(&self, cid: &Cid) -> Option<&[u8]> {
        let (batch, i) = self.blocks.get(cid)?;
        Some(batch.blocks[*i].1.as_slice())
    }

    /// A meta entry: `Some(None)` when a pending commit deletes the key.
    fn meta(&self, key: &str) -> Option<Option<&[u8]>> {
        let (_, (batch, i)) = self.meta.get(key)?;
        Some(batch.meta[*i].1.as_deref())
    }
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .finish()
    }
}

fn builder() -> redb::Builder {
    let mut b = Database::builder();
    b.set_cache_size(CACHE_BYTES);
    b
}

/// Turns redb's open errors into messages that say what to do.
fn open_error(path: &Path, e: DatabaseError) -> anyhow::Error {
    match e {
        DatabaseError::DatabaseAlreadyOpen => anyhow!(
            "the Tandem store {} is in use by another process (a running node?)",
            path.display()
        ),
        other => anyhow!(other).context(format!("cannot open the Tandem store {}", path.display())),
    }
}

/// Runs a redb open, turning a panic on a damaged file into an error.
fn guarded_open(
    path: &Path,
    open: impl FnOnce() -> Result<Database, DatabaseError>,
) -> Result<Database> {
    match catch_unwind(AssertUnwindSafe(open)) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(open_error(path, e)),
        Err(_) => bail!(
            "the Tandem store {} is corrupt (redb could not read it)",
            path.display()
        ),
    }
}

fn format_marker() -> String {
    format!("{FORMAT_PREFIX}{FORMAT_VERSION}")
}

impl RedbStore {
    /// Creates a new store at `path` (parent directories included). Fails if a file is there.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.exists() {
            bail!(
                "cannot create a Tandem store at {}: it already exists",
                path.display()
            );
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        // A new store has no log: one left from an earlier store at this path is not its.
        match std::fs::remove_file(commit_log::log_path(path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow!(e).context("removing a stale commit log"));
            }
            _ => {}
        }
        let db = guarded_open(path, || builder().create(path))?;
        let txn = db.begin_write()?;
        {
            txn.open_table(BLOCKS)?;
            let mut meta = txn.open_table(META)?;
            meta.insert(FORMAT_KEY, format_marker().as_bytes())?;
        }
        txn.commit()
            .with_context(|| format!("cannot initialise the Tandem store {}", path.display()))?;
        Ok(Self {
            db: Arc::new(db),
            path: path.to_path_buf(),
            group: Arc::default(),
        })
    }

    /// Opens an existing store, checking that the file is a Tandem store of a known format.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        check_redb_magic(path)?;
        let db = guarded_open(path, || builder().open(path))?;
        let store = Self {
            db: Arc::new(db),
            path: path.to_path_buf(),
            group: Arc::default(),
        };
        store.check_format()?;
        let last = store.replay_log()?;
        store
            .group
            .pending
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .added = last;
        Ok(store)
    }

    /// Opens the store at `path`, creating it if there is no file there.
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.exists() {
            Self::open(path)
        } else {
            Self::create(path)
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the database file on disk.
    pub fn file_size(&self) -> Result<u64> {
        Ok(std::fs::metadata(&self.path)?.len())
    }

    /// Compacts the file (e.g. after GC). Needs the only handle to the database.
    pub fn compact(&mut self) -> Result<bool> {
        self.write_pending(Durability::Immediate)?;
        let db = Arc::get_mut(&mut self.db).ok_or_else(|| {
            anyhow!("cannot compact the store while other handles to it are open")
        })?;
        Ok(db.compact()?)
    }

    fn check_format(&self) -> Result<()> {
        let not_ours = || {
            anyhow!(
                "{} is a redb database but not a Tandem store (no format marker)",
                self.path.display()
            )
        };
        let txn = self.db.begin_read()?;
        let meta = match txn.open_table(META) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Err(not_ours()),
            Err(e) => return Err(not_ours().context(e.to_string())),
        };
        let marker = meta.get(FORMAT_KEY)?.ok_or_else(not_ours)?;
        let marker = std::str::from_utf8(marker.value()).map_err(|_| not_ours())?;
        let version = marker.strip_prefix(FORMAT_PREFIX).ok_or_else(not_ours)?;
        if version != FORMAT_VERSION.to_string() {
            bail!(
                "the Tandem store {} has format version {version}; this build reads version {FORMAT_VERSION}",
                self.path.display()
            );
        }
        Ok(())
    }

    fn read_txn(&self) -> Result<ReadTransaction> {
        Ok(self.db.begin_read()?)
    }

    /// Writes blocks in one transaction, skipping those already stored (content-addressed
    /// values never change, and skipping them avoids rewriting B-tree pages).
    fn write_blocks<'a>(
        txn: &redb::WriteTransaction,
        blocks: impl IntoIterator<Item = (&'a Cid, &'a [u8])>,
    ) -> Result<()> {
        Self::insert_blocks(txn, blocks, true)
    }

    /// Writes a commit's blocks without looking each one up first: a commit carries only
    /// blocks its store lacked (`BufferedStore::commit_reachable` leaves out the ones it has),
    /// so the lookup would find nothing, and a block stored twice is the same bytes again.
    fn write_new_blocks<'a>(
        txn: &redb::WriteTransaction,
        blocks: impl IntoIterator<Item = (&'a Cid, &'a [u8])>,
    ) -> Result<()> {
        Self::insert_blocks(txn, blocks, false)
    }

    fn insert_blocks<'a>(
        txn: &redb::WriteTransaction,
        blocks: impl IntoIterator<Item = (&'a Cid, &'a [u8])>,
        skip_stored: bool,
    ) -> Result<()> {
        let mut table = txn.open_table(BLOCKS)?;
        let mut key = Vec::with_capacity(64);
        for (cid, bytes) in blocks {
            key.clear();
            cid.write_bytes(&mut key)?;
            if !skip_stored || table.get(key.as_slice())?.is_none() {
                table.insert(key.as_slice(), bytes)?;
            }
        }
        Ok(())
    }
}

/// Refuses files that are not redb databases before redb parses them.
fn check_redb_magic(path: &Path) -> Result<()> {
    let mut file = File::open(path)
        .with_context(|| format!("cannot open the Tandem store {}", path.display()))?;
    if file.metadata()?.is_dir() {
        bail!("{} is a directory, not a Tandem store file", path.display());
    }
    let mut head = [0u8; REDB_MAGIC.len()];
    let is_redb = file.read_exact(&mut head).is_ok() && head == REDB_MAGIC;
    if !is_redb {
        bail!(
            "{} is not a Tandem store (not a redb database)",
            path.display()
        );
    }
    Ok(())
}

impl Blockstore for RedbStore {
    fn get(&self, k: &Cid) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.pending().block(k) {
            return Ok(Some(v.to_vec()));
        }
        let txn = self.read_txn()?;
        let table = match txn.open_table(BLOCKS) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(table
            .get(k.to_bytes().as_slice())?
            .map(|v| v.value().to_vec()))
    }

    fn has(&self, k: &Cid) -> Result<bool> {
        if self.pending().blocks.contains_key(k) {
            return Ok(true);
        }
        let txn = self.read_txn()?;
        let table = match txn.open_table(BLOCKS) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        Ok(table.get(k.to_bytes().as_slice())?.is_some())
    }

    /// The slow path: one durable transaction per block. Prefer [`CommitStore::commit`] or
    /// `put_many_keyed`, or put a [`super::BufferedStore`] in front.
    fn put_keyed(&self, k: &Cid, block: &[u8]) -> Result<()> {
        let txn = self.db.begin_write()?;
        Self::write_blocks(&txn, [(k, block)])?;
        txn.commit()?;
        Ok(())
    }

    /// All blocks in one transaction.
    fn put_many_keyed<D, I>(&self, blocks: I) -> Result<()>
    where
        Self: Sized,
        D: AsRef<[u8]>,
        I: IntoIterator<Item = (Cid, D)>,
    {
        let blocks: Vec<(Cid, D)> = blocks.into_iter().collect();
        let txn = self.db.begin_write()?;
        Self::write_blocks(&txn, blocks.iter().map(|(c, d)| (c, d.as_ref())))?;
        txn.commit()?;
        Ok(())
    }
}

impl RedbStore {
    /// Group commit: from now on `commit` does not wait for the disk; [`Self::sync`] does.
    /// Turning it off makes the next commits durable again (and earlier ones with them).
    pub fn defer_durability(&self, on: bool) {
        self.group.deferred.store(on, Ordering::Release);
    }

    /// Makes every commit made before this call durable. Callers that arrive while another
    /// sync runs wait for it and usually find their commits covered.
    pub fn sync(&self) -> Result<()> {
        let wanted = self.group.committed.load(Ordering::Acquire);
        let mut durable = self.group.durable.lock().unwrap_or_else(|e| e.into_inner());
        if *durable >= wanted {
            return Ok(());
        }
        // Everything committed before this point is covered by the durable write below.
        let covered = self.group.committed.load(Ordering::Acquire);
        self.sync_pending()
            .with_context(|| format!("syncing the Tandem store {}", self.path.display()))?;
        *durable = covered;
        Ok(())
    }

    fn pending(&self) -> std::sync::RwLockReadGuard<'_, Pending> {
        self.group.pending.read().unwrap_or_else(|e| e.into_inner())
    }

    /// How many deferred commits wait in memory, not yet written to redb.
    pub fn pending_commits(&self) -> usize {
        self.group.waiting.load(Ordering::Acquire)
    }

    /// [`Self::pending_commits`] as a shared counter that does not keep the store open: a
    /// watcher thread reads it and takes hold of the store only when there is work.
    pub fn pending_gauge(&self) -> Arc<AtomicUsize> {
        self.group.waiting.clone()
    }

    /// Writes the deferred commits waiting in memory to redb now, without making them
    /// durable: the next [`Self::sync`] then only has the rest to write before its fsync. A
    /// server calls it from a second thread while one writer commits many blocks in a row
    /// (a JSON-RPC batch of transactions), so the writing overlaps the work. Returns false,
    /// doing nothing, when a sync or another write is under way (it takes them anyway).
    pub fn write_ahead(&self) -> Result<bool> {
        let _writing = match self.group.writing.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Ok(false),
        };
        self.write_pending_locked(Durability::None)?;
        Ok(true)
    }

    /// Writes every pending commit in one redb transaction of `durability` (with none
    /// pending, an empty one: a durable one still makes earlier redb commits durable).
    fn write_pending(&self, durability: Durability) -> Result<()> {
        let _writing = self.group.writing.lock().unwrap_or_else(|e| e.into_inner());
        self.write_pending_locked(durability)
    }

    /// [`Self::write_pending`] for a caller holding `group.writing`. With a commit log, the
    /// commits are appended to it first (none reaches redb before the log), and a durable
    /// write empties the log.
    fn write_pending_locked(&self, durability: Durability) -> Result<()> {
        let waiting = {
            let mut log = self.group.log.lock().unwrap_or_else(|e| e.into_inner());
            let waiting = self.take_pending();
            Self::log_append(&mut log, waiting.iter().map(|(n, b)| (*n, &**b)));
            waiting
        };
        if waiting.is_empty() && matches!(durability, Durability::None) {
            return Ok(());
        }
        let all: Vec<&CommitBatch> = waiting.iter().map(|(_, b)| &**b).collect();
        let last = waiting.last().map(|(n, _)| *n);
        match self.write_batches(&all, durability, last) {
            Ok(()) => {
                self.forget_pending(&waiting);
                if !matches!(durability, Durability::None) {
                    self.log_covered(last)?;
                }
                Ok(())
            }
            Err(e) => {
                self.restore_pending(waiting);
                Err(e)
            }
        }
    }

    /// The pending batches, left readable in the index until [`Self::forget_pending`].
    fn take_pending(&self) -> Vec<(u64, Arc<CommitBatch>)> {
        self.take_pending_then(|_| ()).0
    }

    /// [`Self::take_pending`], then `then` under the same lock (`commit_now` numbers its
    /// commit there, so no deferred commit can take the number in between).
    fn take_pending_then<T>(
        &self,
        then: impl FnOnce(&mut Pending) -> T,
    ) -> (Vec<(u64, Arc<CommitBatch>)>, T) {
        let mut pending = self
            .group
            .pending
            .write()
            .unwrap_or_else(|e| e.into_inner());
        self.group.waiting.store(0, Ordering::Release);
        let taken = std::mem::take(&mut pending.batches);
        (taken, then(&mut pending))
    }

    /// Puts batches that could not be written back in front of the pending ones.
    fn restore_pending(&self, mut batches: Vec<(u64, Arc<CommitBatch>)>) {
        let mut pending = self
            .group
            .pending
            .write()
            .unwrap_or_else(|e| e.into_inner());
        batches.append(&mut pending.batches);
        pending.batches = batches;
        self.group
            .waiting
            .store(pending.batches.len(), Ordering::Release);
    }

    /// Drops from the index what `written` set, now that redb has it (meta values set by a
    /// later, still pending commit stay).
    fn forget_pending(&self, written: &[(u64, Arc<CommitBatch>)]) {
        let mut pending = self
            .group
            .pending
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let still = pending.batches.len() as u64;
        let last_written = pending.added - still;
        for (_, batch) in written {
            for (cid, bytes) in &batch.blocks {
                if pending.blocks.remove(cid).is_some() {
                    pending.bytes = pending.bytes.saturating_sub(bytes.len());
                }
            }
        }
        pending.meta.retain(|_, (n, _)| *n > last_written);
        if pending.batches.is_empty() {
            pending.blocks.clear();
            pending.bytes = 0;
        } else {
            // Blocks of still-pending commits that a written one also carried: keep them.
            let keep: Vec<(Cid, Entry)> = pending
                .batches
                .iter()
                .flat_map(|(_, b)| {
                    b.blocks
                        .iter()
                        .enumerate()
                        .map(move |(i, (cid, _))| (*cid, (b.clone(), i)))
                })
                .collect();
            for (cid, entry) in keep {
                pending.blocks.entry(cid).or_insert(entry);
            }
        }
    }

    /// Writes `batches` in order in one transaction: all of them land or none. `last` is the
    /// highest commit number among them, recorded for the commit log's replay.
    fn write_batches(
        &self,
        batches: &[&CommitBatch],
        durability: Durability,
        last: Option<u64>,
    ) -> Result<()> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(durability)?;
        // Inserted in key order: a group of commits touches each B-tree page once in a row
        // instead of at random. Blocks are content-addressed, so order and repeats do not
        // matter; for meta the last commit's entry for a key is what sequential writes leave.
        let mut blocks: Vec<(&Cid, &[u8])> = batches
            .iter()
            .flat_map(|b| b.blocks.iter().map(|(c, v)| (c, v.as_slice())))
            .collect();
        blocks.sort_unstable_by(|a, b| a.0.cmp(b.0));
        blocks.dedup_by(|a, b| a.0 == b.0);
        Self::write_new_blocks(&txn, blocks)?;
        let mut entries: BTreeMap<&str, Option<&[u8]>> = BTreeMap::new();
        for batch in batches {
            for (key, value) in &batch.meta {
                entries.insert(key.as_str(), value.as_deref());
            }
        }
        {
            let mut meta = txn.open_table(META)?;
            for (key, value) in entries {
                match value {
                    Some(v) => meta.insert(key, v)?,
                    None => meta.remove(key)?,
                };
            }
            if let Some(last) = last {
                meta.insert(commit_log::LOG_APPLIED_KEY, last.to_be_bytes().as_slice())?;
            }
        }
        // Dropping an uncommitted transaction (on any error above) aborts it: nothing lands.
        txn.commit().with_context(|| {
            format!("commit to the Tandem store {} failed", self.path.display())
        })?;
        Ok(())
    }
}

impl RedbStore {
    /// A deferred commit: pending in memory until a sync (or until too many bytes wait).
    fn defer(&self, batch: CommitBatch) -> Result<()> {
        let full = {
            let mut pending = self
                .group
                .pending
                .write()
                .unwrap_or_else(|e| e.into_inner());
            pending.push(batch);
            self.group
                .waiting
                .store(pending.batches.len(), Ordering::Release);
            pending.bytes >= MAX_PENDING_BYTES
        };
        self.group.committed.fetch_add(1, Ordering::AcqRel);
        if full {
            self.write_pending(Durability::None)?;
        }
        Ok(())
    }

    /// A durable commit now, after whatever deferred commits still wait (they come first).
    fn commit_now(&self, batch: &CommitBatch) -> Result<()> {
        let _writing = self.group.writing.lock().unwrap_or_else(|e| e.into_inner());
        let (waiting, seq) = {
            let mut log = self.group.log.lock().unwrap_or_else(|e| e.into_inner());
            let (waiting, seq) = self.take_pending_then(|pending| {
                pending.added += 1;
                pending.added
            });
            // Not the new commit itself: if its write fails it must not come back from the
            // log. On success the log is emptied up to it (`log_covered`).
            Self::log_append(&mut log, waiting.iter().map(|(n, b)| (*n, &**b)));
            (waiting, seq)
        };
        let mut all: Vec<&CommitBatch> = waiting.iter().map(|(_, b)| &**b).collect();
        all.push(batch);
        match self.write_batches(&all, Durability::Immediate, Some(seq)) {
            Ok(()) => {
                self.forget_pending(&waiting);
                self.group.committed.fetch_add(1, Ordering::AcqRel);
                self.log_covered(Some(seq))?;
                Ok(())
            }
            Err(e) => {
                self.restore_pending(waiting);
                Err(e)
            }
        }
    }
}

mod commit_log;
mod log_sync;
mod meta;
#[cfg(test)]
mod write_ahead_tests;

impl Drop for RedbStore {
    /// The last handle writes what is still pending (durably: a clean shutdown loses
    /// nothing).
    fn drop(&mut self) {
        if Arc::strong_count(&self.group) == 1
            && let Err(e) = self.write_pending(Durability::Immediate)
        {
            tracing::error!("the Tandem store {}: {e:#}", self.path.display());
        }
    }
}

impl CommitStore for RedbStore {
    fn commit(&self, batch: &CommitBatch) -> Result<()> {
        batch.check_meta_keys()?;
        if self.group.deferred.load(Ordering::Acquire) {
            return self.defer(batch.clone());
        }
        self.commit_now(batch)
    }

    /// Deferred commits keep the batch itself: no copy of its blocks and values.
    fn commit_owned(
        &self,
        batch: CommitBatch,
    ) -> std::result::Result<(), (anyhow::Error, CommitBatch)> {
        if let Err(e) = batch.check_meta_keys() {
            return Err((e, batch));
        }
        if self.group.deferred.load(Ordering::Acquire) {
            // The batch is pending (readable, counted) even if writing it ahead fails.
            return self.defer(batch).map_err(|e| (e, CommitBatch::new()));
        }
        match self.commit_now(&batch) {
            Ok(()) => Ok(()),
            Err(e) => Err((e, batch)),
        }
    }

    fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.pending().meta(key) {
            return Ok(v.map(<[u8]>::to_vec));
        }
        let txn = self.read_txn()?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(table.get(key)?.map(|v| v.value().to_vec()))
    }

    /// One read transaction for all of them (a block's flush checks dozens of links).
    fn first_missing(&self, cids: &[Cid]) -> Result<Option<Cid>> {
        let outside: Vec<&Cid> = {
            let pending = self.pending();
            cids.iter()
                .filter(|c| !pending.blocks.contains_key(*c))
                .collect()
        };
        let Some(first) = outside.first() else {
            return Ok(None);
        };
        let txn = self.read_txn()?;
        let table = match txn.open_table(BLOCKS) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Some(**first)),
            Err(e) => return Err(e.into()),
        };
        for cid in outside {
            if table.get(cid.to_bytes().as_slice())?.is_none() {
                return Ok(Some(*cid));
            }
        }
        Ok(None)
    }
}

impl EnumerableStore for RedbStore {
    fn for_each_block(&self, f: &mut dyn FnMut(&Cid, usize) -> Result<()>) -> Result<()> {
        self.write_pending(Durability::None)?;
        // One read transaction: a consistent snapshot even if others write meanwhile.
        let txn = self.read_txn()?;
        let table = txn.open_table(BLOCKS)?;
        for entry in table.iter()? {
            let (key, value) = entry?;
            let cid = Cid::try_from(key.value())
                .map_err(|e| anyhow!("the store holds a block under an invalid CID key: {e}"))?;
            f(&cid, value.value().len())?;
        }
        Ok(())
    }

    /// Deletes in one transaction.
    fn delete_many(&self, cids: &[Cid]) -> Result<()> {
        self.write_pending(Durability::None)?;
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(BLOCKS)?;
            for cid in cids {
                table.remove(cid.to_bytes().as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    fn stats(&self) -> Result<StoreStats> {
        self.write_pending(Durability::None)?;
        let txn = self.read_txn()?;
        let table = txn.open_table(BLOCKS)?;
        let mut bytes = 0u64;
        for entry in table.iter()? {
            bytes += entry?.1.value().len() as u64;
        }
        Ok(StoreStats {
            blocks: table.len()?,
            bytes,
        })
    }
}
