//! Flushing the state tree, and the decoded maps it keeps between flushes.
//!
//! A block's flush used to open the actor HAMT from `actors_root` and every written actor's
//! slot KAMT from its `kv_root`, decoding again the same nodes the previous block had just
//! written (and a cold slot read opened its actor's KAMT from the root each time). The tree
//! now keeps the opened maps: the actor HAMT while it is at `actors_root`, and one slot map
//! per actor together with the root it is at. A flush writes into them and keeps them, so
//! their decoded nodes (the HAMT keeps what it loaded or flushed) serve the next block.
//!
//! Why this cannot serve stale state: a map is only ever used at the root it was opened at or
//! last flushed to. The actor HAMT is taken out while a flush changes it and put back only
//! with the root that flush returned (an error drops it), and `actors_root` changes nowhere
//! else (a tree opened at another root is a new `StateTree`). A slot map is used only while
//! the record's `kv_root` equals the root stored beside it, and a root names its content, so
//! the decoded nodes are exactly what a fresh load would decode. Memory stays bounded: the
//! maps are dropped with the caches they shadow (`trim_caches`), and the slot maps when there
//! are more than [`MAX_KEPT_SLOT_MAPS`].

use std::sync::Arc;

use anyhow::anyhow;
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::CborStore;
use fvm_ipld_hamt::{BytesKey, Hamt};
use multihash_codetable::Code;

use super::{
    CachedActor, HAMT_BIT_WIDTH, MAX_CACHED_ENTRIES, STATE_TREE_VERSION, StateRoot, StateTree,
    id_from_key, id_key,
};
use crate::actor::{ActorID, ActorRecord};
use crate::slots::{SlotKey, SlotMap, SlotValue, Word, ZERO_WORD, open_slot_map};

/// The actor map, over the tree's shared store handle so it can be kept.
pub(super) type ActorsHamt<BS> = Hamt<Arc<BS>, ActorRecord, BytesKey>;

/// Slot maps kept decoded at most: beyond this many actors the kept maps are all dropped.
pub(super) const MAX_KEPT_SLOT_MAPS: usize = 4096;

/// The kept actor HAMT (opened at `root` if none is kept). The caller guarantees that a
/// kept HAMT is at `root` (see the module comment).
pub(super) fn actors_hamt<'a, BS: Blockstore>(
    kept: &'a mut Option<ActorsHamt<BS>>,
    store: &Arc<BS>,
    root: &Cid,
) -> anyhow::Result<&'a mut ActorsHamt<BS>> {
    if kept.is_none() {
        *kept = Some(Hamt::load_with_bit_width(
            root,
            store.clone(),
            HAMT_BIT_WIDTH,
        )?);
    }
    kept.as_mut()
        .ok_or_else(|| anyhow!("the actor map was just opened"))
}

impl<BS: Blockstore> StateTree<BS> {
    /// Reads one slot from the flushed KAMT at `root`, through the kept map of `id` when it
    /// is at that root (otherwise the map is opened at `root` and kept).
    pub(super) fn read_persisted_slot(
        &mut self,
        id: ActorID,
        root: Option<Cid>,
        key: &Word,
    ) -> anyhow::Result<Word> {
        let Some(root) = root else {
            return Ok(ZERO_WORD);
        };
        let map = self.slot_map_at(id, &root)?;
        Ok(map.get(&SlotKey(*key))?.map(|v| v.0).unwrap_or(ZERO_WORD))
    }

    /// The kept slot map of `id` if it is at `root`, else the map opened at `root` (now kept).
    fn slot_map_at(&mut self, id: ActorID, root: &Cid) -> anyhow::Result<&SlotMap<Arc<BS>>> {
        let fresh = !matches!(self.slot_maps.get(&id), Some((r, _)) if r == root);
        if fresh {
            if self.slot_maps.len() >= MAX_KEPT_SLOT_MAPS {
                self.slot_maps.clear();
            }
            let map = open_slot_map(self.store.clone(), Some(root))?;
            self.slot_maps.insert(id, (*root, map));
        }
        self.slot_maps
            .get(&id)
            .map(|(_, m)| m)
            .ok_or_else(|| anyhow!("slot map of f0{id} was just kept"))
    }

    /// Writes every dirty slot and actor into the HAMTs and returns the new state root.
    pub fn flush(&mut self) -> anyhow::Result<Cid> {
        if self.in_transaction() {
            anyhow::bail!("cannot flush the state tree inside a transaction");
        }
        // Nothing listed since the last flush: its root stands (a block's commit right after
        // the flush that computed its root). Every write lists what it changes first.
        if let Some(root) = self.flushed_root
            && self.dirty_actors.is_empty()
            && self.dirty_slots.is_empty()
        {
            self.journal.clear();
            return Ok(root);
        }
        self.flushed_root = None;
        self.flush_slots()?;
        // Taken out while it changes: an error below drops it, and the next use reopens the
        // map at `actors_root`, which only a successful flush moves.
        actors_hamt(&mut self.actors_hamt, &self.store, &self.actors_root)?;
        let mut hamt = self
            .actors_hamt
            .take()
            .ok_or_else(|| anyhow!("the actor map was just opened"))?;
        // Sorted so that the HAMT sees the same sequence of operations on every run.
        let mut ids = std::mem::take(&mut self.dirty_actors);
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let Some(cached) = self.actors.get_mut(&id).filter(|c| c.dirty) else {
                continue; // reverted, or already written
            };
            cached.dirty = false;
            let record = cached.record.clone();
            if let Some(log) = &mut self.changes {
                log.actors.insert(id);
                if record.is_none() {
                    let old = hamt.get(&id_key(id))?.and_then(|r| r.delegated_address);
                    log.deleted.insert(id, old);
                }
            }
            match record {
                Some(record) => {
                    hamt.set(id_key(id), record)?;
                }
                None => {
                    hamt.delete(&id_key(id))?;
                }
            }
        }
        self.actors_root = hamt.flush()?;
        self.actors_hamt = Some(hamt);
        self.journal.clear();
        self.trim_caches();
        let root = StateRoot {
            version: STATE_TREE_VERSION,
            actors: self.actors_root,
        };
        let root = self.store.put_cbor(&root, Code::Blake2b256)?;
        self.flushed_root = Some(root);
        Ok(root)
    }

    /// Keeps a long-running chain's memory bounded: after a flush every cached entry is
    /// persisted, so oversized caches can simply be dropped and refilled on demand. The
    /// decoded maps go with the caches that shadow them.
    fn trim_caches(&mut self) {
        if self.slots.len() > MAX_CACHED_ENTRIES {
            self.slots.clear();
            self.slot_maps.clear();
        }
        if self.actors.len() > MAX_CACHED_ENTRIES {
            self.actors.clear();
            self.actors_hamt = None;
        }
        if self.resolved.len() > MAX_CACHED_ENTRIES {
            self.resolved.clear();
        }
    }

    fn flush_slots(&mut self) -> anyhow::Result<()> {
        let mut keys = std::mem::take(&mut self.dirty_slots);
        keys.sort_unstable();
        keys.dedup();
        let mut by_actor: Vec<(ActorID, Vec<(Word, Word)>)> = Vec::new();
        for (id, key) in keys {
            // A slot dropped with its actor is gone; a reverted write is persisted again.
            let Some(slot) = self.slots.get_mut(&(id, key)) else {
                continue;
            };
            if slot.persisted == Some(slot.current) {
                continue;
            }
            slot.persisted = Some(slot.current);
            match by_actor.last_mut() {
                Some((last, writes)) if *last == id => writes.push((key, slot.current)),
                _ => by_actor.push((id, vec![(key, slot.current)])),
            }
        }
        // Sorted by actor, each actor's writes by key.
        for (id, writes) in by_actor {
            let Some(mut record) = self.get_actor(id)? else {
                self.slot_maps.remove(&id);
                continue; // deleted since the write
            };
            if let Some(log) = &mut self.changes {
                log.slots.extend(writes.iter().map(|(k, v)| ((id, *k), *v)));
            }
            // The kept map if it is at the record's root; taken out while it changes.
            let mut map = match self.slot_maps.remove(&id) {
                Some((root, map)) if Some(root) == record.kv_root => map,
                _ => open_slot_map(self.store.clone(), record.kv_root.as_ref())?,
            };
            // Fork mode keeps a cleared slot as a stored zero, so the remote's value stays hidden.
            let keep_zeros = self.fork.is_some();
            for (key, value) in writes {
                if value == ZERO_WORD && !keep_zeros {
                    map.delete(&SlotKey(key))?;
                } else {
                    map.set(SlotKey(key), SlotValue(value))?;
                }
            }
            record.kv_root = if map.is_empty() {
                None
            } else {
                let root = map.flush()?;
                if self.slot_maps.len() >= MAX_KEPT_SLOT_MAPS {
                    self.slot_maps.clear();
                }
                self.slot_maps.insert(id, (root, map));
                Some(root)
            };
            self.actors.insert(
                id,
                CachedActor {
                    record: Some(record),
                    dirty: true,
                    saved_in: 0,
                },
            );
            self.dirty_actors.push(id);
        }
        Ok(())
    }

    /// Visits every actor in the flushed tree (call `flush` first to include pending changes).
    /// Opens the map afresh: a full walk would otherwise leave every node decoded in memory.
    pub fn for_each_actor(
        &self,
        mut f: impl FnMut(ActorID, &ActorRecord) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let hamt: Hamt<&BS, ActorRecord, BytesKey> =
            Hamt::load_with_bit_width(&self.actors_root, &*self.store, HAMT_BIT_WIDTH)?;
        hamt.for_each(|k, v| {
            let id = id_from_key(k)?;
            f(id, v)
        })?;
        Ok(())
    }
}
