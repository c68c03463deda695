//! Addresses: resolution through the Init actor's address map, and registration.
//!
//! The map is kept decoded between lookups and registrations, and addresses it does not hold
//! are remembered (a lookup of an absent address walked the map's nodes from the root, ~7 µs:
//! an EVM loop of `BALANCE`s, or of calls to precompiles, repeated them). Why neither can
//! serve stale state: both are keyed by the Init actor's state CID, and any change to the map
//! changes that state (a registration, a revert of one, a record written wholesale), so a
//! different CID finds them stale and they are rebuilt. A registration writes through the
//! kept map and re-keys it to the state it produced; a failure on the way drops it. Memory is
//! bounded: the map is reopened after [`MAX_ADDRESS_MAP_USES`] lookups and registrations and the absent set
//! forgotten at [`MAX_ABSENT_ADDRESSES`].

use anyhow::{anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::CborStore;
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::{Address, Payload};
use multihash_codetable::Code;
use rustc_hash::FxHashSet as HashSet;

use super::{HAMT_BIT_WIDTH, INIT_ACTOR_ID, StateTree, Undo};
use crate::actor::ActorID;
use crate::init_state::InitState;

/// The Init actor's address map, opened over the tree's store.
pub(super) type AddressMap<BS> = Hamt<std::sync::Arc<BS>, u64, BytesKey>;

/// Absent addresses remembered at most (then forgotten all at once): a block of lookups of
/// fresh addresses must not grow a node's memory without end.
const MAX_ABSENT_ADDRESSES: usize = 1 << 16;
/// Lookups a kept address map serves before it is reopened (see `StateTree::address_map`):
/// each may decode a few nodes of ~3 KiB on a large map, so at most ~40 MB are kept, and a
/// reopening (one root decode, ~7 µs) is paid once per 4,096 lookups.
const MAX_ADDRESS_MAP_USES: u32 = 1 << 12;

impl<BS: Blockstore> StateTree<BS> {
    /// Resolves any address to an actor ID, if one is assigned.
    pub fn lookup_id(&mut self, addr: &Address) -> anyhow::Result<Option<ActorID>> {
        if let Payload::ID(id) = addr.payload() {
            return Ok(Some(*id));
        }
        if let Some(id) = self.resolved.get(addr) {
            return Ok(Some(*id));
        }
        let init_state = self
            .actor_ref(INIT_ACTOR_ID)?
            .ok_or_else(|| anyhow!("the Init actor is missing"))?
            .state;
        if self.absent.0 != Some(init_state) || self.absent.1.len() >= MAX_ABSENT_ADDRESSES {
            self.absent = (Some(init_state), HashSet::default());
        } else if self.absent.1.contains(addr) {
            return Ok(None);
        }
        let found = self
            .address_map(init_state)?
            .get(&BytesKey(addr.to_bytes()))?
            .copied();
        if let Some(id) = found {
            // A read-through cache fill: the mapping is already persisted, so no undo entry.
            self.resolved.insert(*addr, id);
        } else if self.fork.is_some() {
            return self.fork_resolve(addr);
        } else {
            self.absent.1.insert(*addr);
        }
        Ok(found)
    }

    /// The kept address map for the Init actor state `init_state` (see `address_map`).
    fn address_map(&mut self, init_state: Cid) -> anyhow::Result<&AddressMap<BS>> {
        let stale = self
            .address_map
            .as_ref()
            .is_none_or(|(at, _, uses)| *at != init_state || *uses >= MAX_ADDRESS_MAP_USES);
        if stale {
            let init: InitState = self.read_cbor(&init_state)?;
            let map =
                Hamt::load_with_bit_width(&init.address_map, self.store.clone(), HAMT_BIT_WIDTH)?;
            self.address_map = Some((init_state, map, 0));
        }
        let (_, map, uses) = self
            .address_map
            .as_mut()
            .ok_or_else(|| anyhow!("the address map was just opened"))?;
        *uses += 1;
        Ok(map)
    }

    /// Sets `key` in the kept address map (opened by the caller) and flushes it: its root.
    fn add_to_kept_address_map(&mut self, key: BytesKey, id: ActorID) -> anyhow::Result<Cid> {
        let (_, map, _) = self
            .address_map
            .as_mut()
            .ok_or_else(|| anyhow!("the address map is not open"))?;
        map.set(key, id)?;
        Ok(map.flush()?)
    }

    /// Empties the cache of addresses the address map does not hold.
    pub(crate) fn forget_absent_addresses(&mut self) {
        self.absent = (None, HashSet::default());
    }

    /// Assigns the next actor ID to `addr` (a robust or delegated address).
    pub fn register_new_address(&mut self, addr: &Address) -> anyhow::Result<ActorID> {
        self.assign_address(addr, None)
    }

    /// Makes `addr` a second address of an existing actor ID.
    pub fn register_address(&mut self, addr: &Address, id: ActorID) -> anyhow::Result<()> {
        self.assign_address(addr, Some(id)).map(|_| ())
    }

    fn assign_address(
        &mut self,
        addr: &Address,
        existing: Option<ActorID>,
    ) -> anyhow::Result<ActorID> {
        if matches!(addr.payload(), Payload::ID(_)) {
            bail!("cannot register an ID address");
        }
        let mut init_record = self
            .get_actor(INIT_ACTOR_ID)?
            .ok_or_else(|| anyhow!("the Init actor is missing"))?;
        let init_state = init_record.state;
        let mut init: InitState = self.read_cbor(&init_state)?;
        let id = existing.unwrap_or(init.next_id);
        let key = BytesKey(addr.to_bytes());
        let previous = self.address_map(init_state)?.get(&key)?.copied();
        if let Some(old) = previous {
            // An address whose actor was deleted (a self-destructed contract) may be taken by
            // a new actor, as on Ethereum; a live actor's address never moves.
            if existing.is_some() || self.get_actor(old)?.is_some() {
                bail!("address {addr} is already registered");
            }
        }
        // The kept map takes the new address and stays kept at the Init state it leads to;
        // on any failure it is dropped, since it may hold half a change.
        let changed = self.add_to_kept_address_map(key, id).and_then(|root| {
            init.address_map = root;
            if existing.is_none() {
                init.next_id += 1;
            }
            self.store.put_cbor(&init, Code::Blake2b256)
        });
        match changed {
            Ok(new_state) => {
                init_record.state = new_state;
                if let Some(kept) = self.address_map.as_mut() {
                    kept.0 = new_state;
                }
            }
            Err(e) => {
                self.address_map = None;
                return Err(e);
            }
        }
        self.set_actor(INIT_ACTOR_ID, init_record);
        self.resolved.insert(*addr, id);
        self.journal.push(Undo::Resolved(*addr));
        Ok(id)
    }

    /// The Init actor's current state.
    pub fn init_state(&mut self) -> anyhow::Result<InitState> {
        let record = self
            .get_actor(INIT_ACTOR_ID)?
            .ok_or_else(|| anyhow!("the Init actor is missing"))?;
        self.read_cbor(&record.state)
    }
}
