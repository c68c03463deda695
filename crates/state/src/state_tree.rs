//! The state tree: a HAMT of actor records keyed by ID, with a journaled cache in front.
//!
//! Everything a message may change before it commits goes through [`StateTree`]: actor records,
//! address registrations, slot storage, transient storage and the per-message access sets.
//! Each change pushes an undo entry on one journal, so a failed call frame is rolled back by
//! popping the journal to the length it had when the frame began (revm's approach; ref-fvm
//! keeps one undo log per cache instead).
//!
//! Invariants:
//! - Outside a transaction the cache and the journal agree with the last flush plus the changes
//!   of committed frames; `flush` refuses to run inside a transaction.
//! - The HAMT is only written by `flush`. Reads fall through the cache to the HAMT.
//! - The opened actor HAMT and slot maps are kept across flushes, each used only at the root
//!   it is at (`flush.rs`), so keeping them skips decoding and never changes a result.
//! - The caches use Fx hashing (no per-process seed): keys are IDs and 32-byte words, and
//!   every path to the state sorts before writing, so hash order never reaches a root.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use anyhow::{Context, anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{CborStore, DAG_CBOR};
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::{Address, Payload};
use multihash_codetable::Code;

use crate::actor::{ActorID, ActorRecord};
use crate::slots::{SlotMap, Word, ZERO_WORD};

mod addresses;
mod flush;

use addresses::AddressMap;

/// HAMT bit width of the actor map and of the Init actor's address map.
pub const HAMT_BIT_WIDTH: u32 = 5;
/// The Init actor's ID.
pub const INIT_ACTOR_ID: ActorID = 1;

/// Cache size above which a flush drops a cache (see `trim_caches`).
const MAX_CACHED_ENTRIES: usize = 200_000;
/// Version of the state-root layout.
pub const STATE_TREE_VERSION: u64 = 1;

/// The block a state root CID points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct StateRoot {
    pub version: u64,
    pub actors: Cid,
}

/// What a slot write saw, for gas rules that depend on the history of the slot (EIP-2200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotWrite {
    /// The value at the start of the current message.
    pub original: Word,
    /// The value just before this write.
    pub present: Word,
    /// True when this was the first access to the slot in this message.
    pub was_cold: bool,
}

#[derive(Debug, Clone)]
struct CachedSlot {
    /// The value in the flushed KAMT (absent reads as zero); `None` for a value read from a
    /// fork's remote and not stored yet (the next flush stores it, see `fork.rs`).
    persisted: Option<Word>,
    /// The value at the start of the current message.
    original: Word,
    current: Word,
}

/// One undo entry. Applying it restores what was there before the change.
#[derive(Debug)]
enum Undo {
    // Boxed: actor records are large and most journal entries are small.
    Actor(ActorID, Option<Box<CachedActor>>),
    Resolved(Address),
    Slot((ActorID, Word), Option<CachedSlot>),
    Transient((ActorID, Word), Option<Word>),
    WarmAddress([u8; 20]),
    AlwaysWarm(&'static [[u8; 20]]),
    WarmSlot((ActorID, Word)),
    WarmActor(ActorID),
    Refund(i64),
    Created(ActorID),
    Destructed(ActorID),
}

#[derive(Debug, Clone)]
struct CachedActor {
    record: Option<ActorRecord>,
    dirty: bool,
    /// The transaction (see [`StateTree::begin_transaction`]) that journaled this entry's
    /// previous value, or 0: a later change in the same transaction needs no second copy,
    /// since undoing it restores the first.
    saved_in: u64,
}

/// The journaled world state over a blockstore.
pub struct StateTree<BS> {
    /// Shared with the kept maps below.
    store: std::sync::Arc<BS>,
    actors_root: Cid,
    /// The actor HAMT at `actors_root`, with the nodes it decoded, kept across flushes
    /// (`flush.rs`); `None`: opened on next use.
    actors_hamt: Option<flush::ActorsHamt<BS>>,
    /// Slot maps kept decoded across flushes, by actor, each with the root it is at; used only
    /// while the actor's `kv_root` is that root (`flush.rs`).
    slot_maps: HashMap<ActorID, (Cid, SlotMap<std::sync::Arc<BS>>)>,
    /// Actors and slots that may differ from the flushed maps (with repeats; a reverted
    /// change stays listed and is skipped), so a flush visits these, not the whole caches.
    dirty_actors: Vec<ActorID>,
    dirty_slots: Vec<(ActorID, Word)>,
    /// The root the last flush returned, while nothing has been listed dirty since: a flush
    /// with nothing to write returns it without re-encoding the HAMT root and state root.
    flushed_root: Option<Cid>,
    actors: HashMap<ActorID, CachedActor>,
    resolved: HashMap<Address, ActorID>,
    /// Addresses the address map does not hold, valid while the Init actor's state is the
    /// CID kept beside them (any change to it, a new address included, empties the set). A
    /// lookup of an absent address walks the map's nodes (~7 µs); an EVM loop of `BALANCE`s
    /// or calls to absent addresses repeats them.
    absent: (Option<Cid>, HashSet<Address>),
    /// The address map at the Init actor state kept beside it, with the nodes its lookups
    /// decoded (opening it per lookup decoded the root every time), and how many lookups it
    /// has served: it is reopened after [`MAX_ADDRESS_MAP_USES`], so the nodes a run of
    /// lookups decodes cannot pile up.
    address_map: Option<(Cid, AddressMap<BS>, u32)>,
    slots: HashMap<(ActorID, Word), CachedSlot>,
    /// Slots written in this message (with repeats, not journaled): the only ones whose
    /// `original` can differ from `current` when the message ends.
    written_slots: Vec<(ActorID, Word)>,
    transient: HashMap<(ActorID, Word), Word>,
    warm_addresses: HashSet<[u8; 20]>,
    /// Addresses warm for the whole message without being in `warm_addresses` (an Ethereum
    /// transaction's precompiles): checked by `warm_address` instead of inserted per message.
    always_warm: &'static [[u8; 20]],
    warm_slots: HashSet<(ActorID, Word)>,
    warm_actors: HashSet<ActorID>,
    refund: i64,
    created: HashSet<ActorID>,
    destructed: Vec<ActorID>,
    journal: Vec<Undo>,
    /// Per open transaction: the journal length at its start and its number. Numbers are
    /// never reused (`last_transaction` counts them), so an entry's `saved_in` names one
    /// transaction only.
    checkpoints: Vec<(usize, u64)>,
    last_transaction: u64,
    /// Every address, actor and slot accessed since [`Self::record_accesses`], reverted
    /// frames included (`eth_createAccessList`); `None` (the default) records nothing.
    access_log: Option<Box<AccessLog>>,
    /// What flushes wrote since [`Self::track_changes`]; `None` (the default) records nothing.
    changes: Option<Box<ChangeLog>>,
    /// Fork mode's source of missing accounts and slots (`fork.rs`); `None` off fork mode.
    pub(crate) fork: Option<std::sync::Arc<dyn crate::fork::ForkSource<BS>>>,
}

/// What flushes wrote into the HAMTs (see [`StateTree::track_changes`]): exactly the actor
/// records and slots whose persisted value changed, whatever runtime or path changed them.
#[derive(Debug, Default, Clone)]
pub struct ChangeLog {
    /// Actors whose record was written (created, changed or deleted).
    pub actors: std::collections::BTreeSet<ActorID>,
    /// Deleted actors, with the delegated address their flushed record had.
    pub deleted: std::collections::BTreeMap<ActorID, Option<Address>>,
    /// Slots written, with their new value (zero: deleted).
    pub slots: std::collections::BTreeMap<(ActorID, Word), Word>,
}

/// What a recorded run accessed (see [`StateTree::record_accesses`]).
#[derive(Debug, Default, Clone)]
pub struct AccessLog {
    pub addresses: std::collections::BTreeSet<[u8; 20]>,
    pub actors: std::collections::BTreeSet<ActorID>,
    pub slots: std::collections::BTreeSet<(ActorID, Word)>,
}

impl<BS: Blockstore> StateTree<BS> {
    /// An empty tree (no actors at all; genesis creates the built-ins).
    pub fn new(store: BS) -> anyhow::Result<Self> {
        let mut hamt: Hamt<&BS, ActorRecord, BytesKey> =
            Hamt::new_with_bit_width(&store, HAMT_BIT_WIDTH);
        let actors_root = hamt.flush()?;
        Ok(Self::with_root(store, actors_root))
    }

    /// Opens the tree at a state root.
    pub fn load(store: BS, root: &Cid) -> anyhow::Result<Self> {
        let state_root: StateRoot = store
            .get_cbor(root)
            .context("reading state root")?
            .ok_or_else(|| anyhow!("state root {root} not found in the store"))?;
        if state_root.version != STATE_TREE_VERSION {
            bail!("unsupported state tree version {}", state_root.version);
        }
        Ok(Self::with_root(store, state_root.actors))
    }

    fn with_root(store: BS, actors_root: Cid) -> Self {
        Self {
            store: std::sync::Arc::new(store),
            actors_root,
            actors_hamt: None,
            slot_maps: HashMap::default(),
            dirty_actors: Vec::new(),
            dirty_slots: Vec::new(),
            flushed_root: None,
            actors: HashMap::default(),
            resolved: HashMap::default(),
            absent: (None, HashSet::default()),
            address_map: None,
            slots: HashMap::default(),
            written_slots: Vec::new(),
            transient: HashMap::default(),
            warm_addresses: HashSet::default(),
            always_warm: &[],
            warm_slots: HashSet::default(),
            warm_actors: HashSet::default(),
            refund: 0,
            created: HashSet::default(),
            destructed: Vec::new(),
            journal: Vec::new(),
            checkpoints: Vec::new(),
            last_transaction: 0,
            access_log: None,
            changes: None,
            fork: None,
        }
    }

    /// Starts recording every access (addresses, actors, slots) into an [`AccessLog`] that
    /// outlives messages and reverts, until [`Self::take_accesses`].
    pub fn record_accesses(&mut self) {
        self.access_log = Some(Box::default());
    }

    /// Stops recording and returns what was accessed.
    pub fn take_accesses(&mut self) -> Option<AccessLog> {
        self.access_log.take().map(|b| *b)
    }

    /// Starts logging what every flush writes into a [`ChangeLog`], until
    /// [`Self::take_changes`] (the node's incremental Ethereum state trie uses it).
    pub fn track_changes(&mut self) {
        self.changes = Some(Box::default());
    }

    /// Whether flushes are being logged.
    pub fn tracks_changes(&self) -> bool {
        self.changes.is_some()
    }

    /// Returns what the flushes since the last call (or [`Self::track_changes`]) wrote, and
    /// keeps logging; `None` if nothing was being logged.
    pub fn take_changes(&mut self) -> Option<ChangeLog> {
        self.changes.as_mut().map(|c| std::mem::take(&mut **c))
    }

    pub fn store(&self) -> &BS {
        &self.store
    }

    // ---- actors -------------------------------------------------------------------------

    /// The actor with this ID, if it exists.
    pub fn get_actor(&mut self, id: ActorID) -> anyhow::Result<Option<ActorRecord>> {
        Ok(self.actor_ref(id)?.cloned())
    }

    /// The actor with this ID, borrowed from the cache (filled from the HAMT on a miss), for
    /// callers that only read a field or two: a record is a few hundred bytes and its balance
    /// a heap integer, so a copy per look costs more than the look.
    pub fn actor_ref(&mut self, id: ActorID) -> anyhow::Result<Option<&ActorRecord>> {
        let cached = match self.actors.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let hamt =
                    flush::actors_hamt(&mut self.actors_hamt, &self.store, &self.actors_root)?;
                let record = hamt.get(&id_key(id))?.cloned();
                // Filling the cache is not a change, so it is not journaled.
                slot.insert(CachedActor {
                    record,
                    dirty: false,
                    saved_in: 0,
                })
            }
        };
        Ok(cached.record.as_ref())
    }

    /// The actor with this ID if it is in the cache (`actor_ref` fills it), borrowed
    /// immutably, so the state can be read beside it.
    pub fn cached_actor(&self, id: ActorID) -> Option<&ActorRecord> {
        self.actors.get(&id).and_then(|c| c.record.as_ref())
    }

    /// An actor's delegated (f4) address, without copying the rest of its record.
    pub fn delegated_address(&mut self, id: ActorID) -> anyhow::Result<Option<Address>> {
        Ok(self.actor_ref(id)?.and_then(|r| r.delegated_address))
    }

    /// Creates or replaces an actor record.
    pub fn set_actor(&mut self, id: ActorID, record: ActorRecord) {
        self.write_actor(id, Some(Some(record)));
    }

    /// Removes an actor and its slot storage.
    pub fn delete_actor(&mut self, id: ActorID) {
        self.write_actor(id, Some(None));
        let keys: Vec<_> = self.slots.keys().filter(|k| k.0 == id).copied().collect();
        for key in keys {
            let prev = self.slots.remove(&key);
            self.journal.push(Undo::Slot(key, prev));
        }
    }

    /// Applies `f` to an existing actor's record, in place: the record is copied only into
    /// the journal, and only on its first change in the innermost transaction. `f` should
    /// check before it changes anything: what it changed before an error stays (journaled,
    /// so the enclosing transaction's revert undoes it).
    pub fn mutate_actor<R>(
        &mut self,
        id: ActorID,
        f: impl FnOnce(&mut ActorRecord) -> anyhow::Result<R>,
    ) -> anyhow::Result<R> {
        if self.actor_ref(id)?.is_none() {
            bail!("actor f0{id} does not exist");
        }
        let record = self
            .write_actor(id, None)
            .as_mut()
            .ok_or_else(|| anyhow!("actor f0{id} does not exist"))?;
        f(record)
    }

    /// The cache entry of `id` for a write, marked dirty and listed for the next flush, with
    /// its previous value journaled unless the innermost transaction already holds it.
    /// `replace` (`Some`) becomes the entry, and the old value moves into the journal; `None`
    /// keeps the entry for an edit in place, so the journal gets a copy. A miss starts as no
    /// record: a caller editing in place fills the cache first.
    fn write_actor(
        &mut self,
        id: ActorID,
        replace: Option<Option<ActorRecord>>,
    ) -> &mut Option<ActorRecord> {
        let transaction = self.checkpoints.last().map_or(0, |&(_, number)| number);
        let journal = &mut self.journal;
        let entry = match self.actors.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let entry = e.into_mut();
                // Outside any transaction nothing can be undone, so nothing is journaled.
                if transaction != 0 && entry.saved_in != transaction {
                    let prev = match replace {
                        Some(new) => CachedActor {
                            record: std::mem::replace(&mut entry.record, new),
                            ..*entry
                        },
                        None => entry.clone(),
                    };
                    journal.push(Undo::Actor(id, Some(Box::new(prev))));
                } else if let Some(new) = replace {
                    entry.record = new;
                }
                entry
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                // A first write is undone by removing the entry.
                if transaction != 0 {
                    journal.push(Undo::Actor(id, None));
                }
                slot.insert(CachedActor {
                    record: replace.flatten(),
                    dirty: false,
                    saved_in: 0,
                })
            }
        };
        // Listed once per flush: a dirty entry is already in `dirty_actors`.
        if !entry.dirty {
            entry.dirty = true;
            self.dirty_actors.push(id);
        }
        if transaction != 0 {
            entry.saved_in = transaction;
        }
        &mut entry.record
    }

    fn read_cbor<T: serde::de::DeserializeOwned>(&self, cid: &Cid) -> anyhow::Result<T> {
        self.store
            .get_cbor(cid)?
            .ok_or_else(|| anyhow!("block {cid} not found"))
    }

    // ---- slot storage -------------------------------------------------------------------

    fn load_slot(&mut self, id: ActorID, key: &Word) -> anyhow::Result<&mut CachedSlot> {
        if !self.slots.contains_key(&(id, *key)) {
            let (persisted, value) = if self.fork.is_some() {
                self.fork_read_slot(id, key)?
            } else {
                let root = self.actor_ref(id)?.and_then(|a| a.kv_root);
                let value = self.read_persisted_slot(id, root, key)?;
                (Some(value), value)
            };
            if persisted.is_none() {
                // A fork's remote value, stored at the next flush.
                self.dirty_slots.push((id, *key));
            }
            self.slots.insert(
                (id, *key),
                CachedSlot {
                    persisted,
                    original: value,
                    current: value,
                },
            );
        }
        Ok(self.slots.get_mut(&(id, *key)).expect("inserted above"))
    }

    /// Reads a slot and marks it warm. Returns the value and whether it was cold.
    pub fn slot_get(&mut self, id: ActorID, key: &Word) -> anyhow::Result<(Word, bool)> {
        let value = self.load_slot(id, key)?.current;
        let was_cold = self.warm_slot(id, key);
        Ok((value, was_cold))
    }

    /// Writes a slot (zero deletes it) and marks it warm.
    pub fn slot_set(&mut self, id: ActorID, key: &Word, value: &Word) -> anyhow::Result<SlotWrite> {
        let entry = self.load_slot(id, key)?;
        let prev = entry.clone();
        // A slot already differing from the flushed map was listed when it started to (here,
        // or when a fork's remote value was read), so a loop writing one slot lists it once.
        let was_clean = entry.persisted == Some(entry.current);
        let write = SlotWrite {
            original: entry.original,
            present: entry.current,
            was_cold: false,
        };
        entry.current = *value;
        self.journal.push(Undo::Slot((id, *key), Some(prev)));
        self.written_slots.push((id, *key));
        if was_clean {
            self.dirty_slots.push((id, *key));
        }
        let was_cold = self.warm_slot(id, key);
        Ok(SlotWrite { was_cold, ..write })
    }

    /// The value a slot had at the start of the current message.
    pub fn slot_original(&mut self, id: ActorID, key: &Word) -> anyhow::Result<Word> {
        Ok(self.load_slot(id, key)?.original)
    }

    fn warm_slot(&mut self, id: ActorID, key: &Word) -> bool {
        if let Some(log) = &mut self.access_log {
            log.slots.insert((id, *key));
        }
        let was_cold = self.warm_slots.insert((id, *key));
        if was_cold {
            self.journal.push(Undo::WarmSlot((id, *key)));
        }
        was_cold
    }

    // ---- transient storage (EIP-1153) ---------------------------------------------------

    pub fn transient_get(&self, id: ActorID, key: &Word) -> Word {
        self.transient
            .get(&(id, *key))
            .copied()
            .unwrap_or(ZERO_WORD)
    }

    pub fn transient_set(&mut self, id: ActorID, key: &Word, value: &Word) {
        let prev = if *value == ZERO_WORD {
            self.transient.remove(&(id, *key))
        } else {
            self.transient.insert((id, *key), *value)
        };
        self.journal.push(Undo::Transient((id, *key), prev));
    }

    // ---- per-message access tracking ----------------------------------------------------

    /// Marks a 20-byte Ethereum address warm (EIP-2929). Returns true if it was cold.
    pub fn warm_address(&mut self, addr: [u8; 20]) -> bool {
        if let Some(log) = &mut self.access_log {
            log.addresses.insert(addr);
        }
        if self.always_warm.contains(&addr) {
            return false;
        }
        let was_cold = self.warm_addresses.insert(addr);
        if was_cold {
            self.journal.push(Undo::WarmAddress(addr));
        }
        was_cold
    }

    pub fn is_address_warm(&self, addr: &[u8; 20]) -> bool {
        self.always_warm.contains(addr) || self.warm_addresses.contains(addr)
    }

    /// Makes every address of `addrs` warm for the rest of the message, as if each were
    /// passed to [`Self::warm_address`] (journaled; forgotten when the message ends).
    pub fn warm_addresses_for_message(&mut self, addrs: &'static [[u8; 20]]) {
        self.journal.push(Undo::AlwaysWarm(self.always_warm));
        self.always_warm = addrs;
    }

    /// Marks an actor as accessed in this message. Returns true on the first access, which is
    /// when the VM charges for loading the actor.
    pub fn warm_actor(&mut self, id: ActorID) -> bool {
        if let Some(log) = &mut self.access_log {
            log.actors.insert(id);
        }
        let first = self.warm_actors.insert(id);
        if first {
            self.journal.push(Undo::WarmActor(id));
        }
        first
    }

    /// Adds to (or, if negative, takes from) the message's gas refund counter.
    pub fn add_refund(&mut self, delta: i64) {
        self.journal.push(Undo::Refund(self.refund));
        self.refund += delta;
    }

    pub fn refund(&self) -> i64 {
        self.refund
    }

    /// Records that an actor was created by the current message (EIP-6780).
    pub fn mark_created(&mut self, id: ActorID) {
        if self.created.insert(id) {
            self.journal.push(Undo::Created(id));
        }
    }

    pub fn created_in_message(&self, id: ActorID) -> bool {
        self.created.contains(&id)
    }

    /// Schedules an actor for deletion when the message ends.
    pub fn mark_destructed(&mut self, id: ActorID) {
        if !self.destructed.contains(&id) {
            self.destructed.push(id);
            self.journal.push(Undo::Destructed(id));
        }
    }

    pub fn is_destructed(&self, id: ActorID) -> bool {
        self.destructed.contains(&id)
    }

    // ---- transactions -------------------------------------------------------------------

    pub fn begin_transaction(&mut self) {
        self.last_transaction += 1;
        self.checkpoints
            .push((self.journal.len(), self.last_transaction));
    }

    /// Ends the innermost transaction, undoing its changes when `revert` is set.
    pub fn end_transaction(&mut self, revert: bool) -> anyhow::Result<()> {
        let (mark, _) = self
            .checkpoints
            .pop()
            .ok_or_else(|| anyhow!("no transaction to end"))?;
        if revert {
            self.revert_to(mark);
        } else if self.checkpoints.is_empty() {
            // Committed at the outermost level: nothing can undo these any more.
            self.journal.clear();
        }
        Ok(())
    }

    pub fn in_transaction(&self) -> bool {
        !self.checkpoints.is_empty()
    }

    fn revert_to(&mut self, mark: usize) {
        while self.journal.len() > mark {
            match self.journal.pop().expect("length checked") {
                Undo::Actor(id, prev) => match prev {
                    Some(prev) => {
                        self.actors.insert(id, *prev);
                    }
                    None => {
                        self.actors.remove(&id);
                    }
                },
                Undo::Resolved(addr) => {
                    self.resolved.remove(&addr);
                }
                Undo::Slot(key, prev) => match prev {
                    Some(prev) => {
                        self.slots.insert(key, prev);
                    }
                    None => {
                        self.slots.remove(&key);
                    }
                },
                Undo::Transient(key, prev) => match prev {
                    Some(prev) => {
                        self.transient.insert(key, prev);
                    }
                    None => {
                        self.transient.remove(&key);
                    }
                },
                Undo::WarmAddress(addr) => {
                    self.warm_addresses.remove(&addr);
                }
                Undo::AlwaysWarm(prev) => self.always_warm = prev,
                Undo::WarmSlot(key) => {
                    self.warm_slots.remove(&key);
                }
                Undo::WarmActor(id) => {
                    self.warm_actors.remove(&id);
                }
                Undo::Refund(prev) => self.refund = prev,
                Undo::Created(id) => {
                    self.created.remove(&id);
                }
                Undo::Destructed(id) => self.destructed.retain(|d| *d != id),
            }
        }
    }

    /// Ends a message: deletes the actors it self-destructed and forgets everything that only
    /// lives for one message (access sets, transient storage, refunds, the created set).
    /// Returns the IDs of the deleted actors.
    pub fn end_message(&mut self) -> anyhow::Result<Vec<ActorID>> {
        if self.in_transaction() {
            bail!("end_message inside a transaction");
        }
        let destructed = self.delete_destructed();
        self.reset_message_scope();
        Ok(destructed)
    }

    /// Deletes the actors self-destructed in this message (journaled, so a transaction around
    /// the whole message can still undo it). Returns their IDs.
    pub fn delete_destructed(&mut self) -> Vec<ActorID> {
        let destructed = self.destructed.clone();
        for id in &destructed {
            self.delete_actor(*id);
        }
        destructed
    }

    /// Forgets everything that only lives for one message. Outside any transaction only:
    /// the journal is cleared.
    pub fn reset_message_scope(&mut self) {
        debug_assert!(!self.in_transaction());
        self.destructed.clear();
        self.journal.clear();
        self.transient.clear();
        self.warm_addresses.clear();
        self.always_warm = &[];
        self.warm_slots.clear();
        self.warm_actors.clear();
        self.refund = 0;
        self.created.clear();
        // A slot never written in this message still has `original == current`; a written
        // one is in `written_slots` (a reverted write restored both fields, so resetting it
        // again is harmless; a slot dropped with its actor is simply gone).
        for key in self.written_slots.drain(..) {
            if let Some(slot) = self.slots.get_mut(&key) {
                slot.original = slot.current;
            }
        }
    }
}

/// Actor map key: the ID address bytes, as Filecoin does.
fn id_key(id: ActorID) -> BytesKey {
    BytesKey(Address::new_id(id).to_bytes())
}

fn id_from_key(key: &BytesKey) -> anyhow::Result<ActorID> {
    let addr = Address::from_bytes(&key.0)?;
    match addr.payload() {
        Payload::ID(id) => Ok(*id),
        _ => bail!("actor map key is not an ID address"),
    }
}

/// Stores a DAG-CBOR value and returns its CID (blake2b-256).
pub fn put_cbor<BS: Blockstore, T: serde::Serialize>(store: &BS, value: &T) -> anyhow::Result<Cid> {
    let cid = store.put_cbor(value, Code::Blake2b256)?;
    debug_assert_eq!(cid.codec(), DAG_CBOR);
    Ok(cid)
}
