//! Fork mode's hook into the state tree: a source of accounts and slots consulted on a miss.
//!
//! A node started with `--fork-url` reads the Ethereum state of another node lazily. The
//! state tree asks its [`ForkSource`] in exactly two places, and only when one is installed
//! (otherwise each is one `Option` check):
//! - [`StateTree::lookup_id`] of a delegated (f410) address that the Init actor's map does not
//!   know: the source may create the actor (an Ethereum account, or an EVM contract with its
//!   code) through the tree's ordinary, journaled writes, and returns its ID.
//! - a slot read whose key is absent from the actor's slot map: the source gives the remote
//!   value at the fork block for the actor's delegated address (zero for an address the remote
//!   does not know). The value is cached as read, and written into the slot map at the next
//!   flush, so it is fetched once per chain.
//!
//! A slot a fork has cleared must stay cleared, so with a source installed a zero written over
//! a non-zero value is kept in the slot map as an explicit zero (an empty value) instead of a
//! deletion; [`StateTree::for_each_slot`] skips those entries.
//!
//! Sources must be deterministic for a given remote and block (the remote's state at a fixed
//! block never changes), so replaying the same messages gives the same root.

use std::sync::Arc;

use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::{Address, Payload};

use crate::actor::ActorID;
use crate::slots::{Word, ZERO_WORD, read_slot_entry};
use crate::state_tree::StateTree;

/// Where a forked chain's missing accounts and slots come from.
pub trait ForkSource<BS>: Send + Sync {
    /// `addr` (a delegated address) has no actor locally: create one from the remote if it
    /// exists there, returning its ID, or `None` when the remote has no such account.
    fn materialize(
        &self,
        tree: &mut StateTree<BS>,
        addr: &Address,
    ) -> anyhow::Result<Option<ActorID>>;

    /// The remote value of slot `key` of the account at delegated address `addr`.
    fn slot(&self, addr: &Address, key: &Word) -> anyhow::Result<Word>;
}

impl<BS: Blockstore> StateTree<BS> {
    /// Installs (or removes) the fork source.
    pub fn set_fork(&mut self, source: Option<Arc<dyn ForkSource<BS>>>) {
        self.fork = source;
        // An address absent here may be the fork source's.
        self.forget_absent_addresses();
    }

    /// The installed fork source, if any.
    pub fn fork(&self) -> Option<&Arc<dyn ForkSource<BS>>> {
        self.fork.as_ref()
    }

    /// `lookup_id`'s miss in fork mode: asks the source for a delegated address. The source
    /// is taken out while it runs, so its own lookups cannot recurse into it.
    pub(crate) fn fork_resolve(&mut self, addr: &Address) -> anyhow::Result<Option<ActorID>> {
        if !matches!(addr.payload(), Payload::Delegated(_)) {
            return Ok(None);
        }
        let Some(source) = self.fork.take() else {
            return Ok(None);
        };
        let out = source.materialize(self, addr);
        self.fork = Some(source);
        out
    }

    /// A slot read in fork mode: `(value in the slot map, value seen)`. A key absent from the
    /// map reads the remote's value; a non-zero one is not in the map yet (`None`), so the
    /// next flush stores it, and a later local write of zero is stored as an explicit zero.
    pub(crate) fn fork_read_slot(
        &mut self,
        id: ActorID,
        key: &Word,
    ) -> anyhow::Result<(Option<Word>, Word)> {
        let (root, addr) = match self.actor_ref(id)? {
            Some(r) => (r.kv_root, r.delegated_address),
            None => (None, None),
        };
        if let Some(local) = read_slot_entry(self.store(), root.as_ref(), key)? {
            return Ok((Some(local), local));
        }
        let remote = match (&self.fork, addr) {
            (Some(source), Some(addr)) => source.slot(&addr, key)?,
            _ => ZERO_WORD,
        };
        let stored = (remote == ZERO_WORD).then_some(ZERO_WORD);
        Ok((stored, remote))
    }
}
