//! The Ethereum state trie of a Tandem state (the view [`crate::root`] defines), kept up to
//! date incrementally: [`EthView::apply`] takes the state tree's [`ChangeLog`] (exactly the
//! actor records and slots its flushes wrote, whatever runtime or path wrote them: EVM and
//! native slot writes through the shared slot storage, value transfers, nonce bumps,
//! creations, deletions) and re-hashes only those accounts and storage slots.
//! [`EthView::build`] computes the whole trie from a state (a new chain, or a state whose trie
//! was never kept).

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_rlp::Decodable;
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use tandem_state::actor::{ActorID, ActorRecord};
use tandem_state::{ChangeLog, StateTree};
use tandem_vm::store::VmStore;

use crate::mpt::{Loc, NewNodes, NodeSource, Trie};
use crate::root::{code_hash, eth_address, trie_account, trie_account_with};

/// Storage tries kept in memory between blocks (the accounts touched most recently).
const MAX_CACHED_STORAGE: usize = 4096;

/// The account trie and the storage tries of recently touched accounts.
pub struct EthView {
    accounts: Trie,
    storage: HashMap<Address, Trie>,
}

/// The trie key of an account or slot: keccak256 of the address or the slot word.
pub fn account_key(address: &Address) -> B256 {
    keccak256(address)
}

pub fn slot_key(slot: &B256) -> B256 {
    keccak256(slot)
}

/// A storage value as the trie holds it: RLP of the word as an integer.
pub fn slot_value(value: &[u8; 32]) -> Vec<u8> {
    alloy_rlp::encode(U256::from_be_bytes(*value))
}

/// What to do to one account of the view.
#[derive(Default)]
struct Touched {
    /// The live actor at this address, if any.
    live: Option<(ActorID, ActorRecord)>,
    /// An actor at this address was deleted: its storage starts over.
    deleted: bool,
}

/// A flush's changes with everything the trie needs from the state already read (records,
/// code hashes, the slots of a recreated account), so [`EthView::apply_prepared`] reads no
/// state and may run beside the state's commit. Accounts in address order.
pub struct Prepared {
    accounts: Vec<(Address, Account)>,
}

enum Account {
    /// No live actor has the address now.
    Gone,
    Live {
        record: Box<ActorRecord>,
        code_hash: B256,
        storage: Storage,
    },
}

enum Storage {
    /// The actor has no slot storage.
    Empty,
    /// Another actor had the address in this interval: the storage trie from all the slots.
    Rebuild(Vec<([u8; 32], [u8; 32])>),
    /// The slots written, in key order, with their new values (zero: deleted).
    Writes(Vec<([u8; 32], [u8; 32])>),
}

impl Prepared {
    /// Accounts and slots the trie update will visit (to decide whether it is worth a thread).
    pub fn size(&self) -> usize {
        self.accounts
            .iter()
            .map(|(_, a)| match a {
                Account::Live {
                    storage: Storage::Rebuild(s) | Storage::Writes(s),
                    ..
                } => 1 + s.len(),
                _ => 1,
            })
            .sum()
    }
}

impl EthView {
    /// The view whose state root is `root`, stored at `loc`.
    pub fn at(root: B256, loc: Loc) -> Self {
        Self {
            accounts: Trie::at(root, loc),
            storage: HashMap::new(),
        }
    }

    /// The state root as of the last [`Self::apply`] or [`Self::build`], and where its node
    /// is stored.
    pub fn root(&self) -> (B256, Loc) {
        (self.accounts.root(), self.accounts.loc())
    }

    /// The whole view of a flushed state, every node stored at `seq`.
    pub fn build(state: &StateTree<VmStore>, seq: Loc) -> anyhow::Result<(Self, NewNodes)> {
        let store = state.store();
        let mut accounts = Trie::empty();
        let mut nodes = Vec::new();
        let none = NoNodes;
        state.for_each_actor(|_, record| {
            let Some(address) = eth_address(record) else {
                return Ok(());
            };
            let mut storage = Trie::empty();
            state.for_each_slot(record, |k, v| {
                storage.insert(
                    slot_key(&B256::from(*k)).as_slice(),
                    slot_value(v),
                    0,
                    &none,
                )
            })?;
            let (storage_root, storage_loc, new) = storage.commit(seq);
            nodes.extend(new);
            if let Some(account) = trie_account(store, record, storage_root)? {
                let key = account_key(&address);
                let value = alloy_rlp::encode(account);
                accounts.insert(key.as_slice(), value, storage_loc, &none)?;
            }
            Ok(())
        })?;
        let (_, _, new) = accounts.commit(seq);
        nodes.extend(new);
        Ok((
            Self {
                accounts,
                storage: HashMap::new(),
            },
            nodes,
        ))
    }

    /// Brings the view from the state the changes started at to `state` (flushed, with the
    /// changes taken from it); returns the new root and the new nodes, stored at `seq`.
    pub fn apply(
        &mut self,
        state: &mut StateTree<VmStore>,
        changes: &ChangeLog,
        src: &dyn NodeSource,
        seq: Loc,
    ) -> anyhow::Result<(B256, NewNodes)> {
        let prepared = Self::prepare(state, changes)?;
        self.apply_prepared(prepared, src, seq)
    }

    /// The first half of [`Self::apply`]: what the update needs from the flushed `state`.
    pub fn prepare(
        state: &mut StateTree<VmStore>,
        changes: &ChangeLog,
    ) -> anyhow::Result<Prepared> {
        let mut touched: BTreeMap<Address, Touched> = BTreeMap::new();
        for address in changes.deleted.values().flatten() {
            if let Some(a) = tandem_vm::eth::EthAddress::from_delegated(address) {
                touched.entry(Address::from(a.0)).or_default().deleted = true;
            }
        }
        let ids = changes
            .actors
            .iter()
            .copied()
            .chain(changes.slots.keys().map(|(id, _)| *id));
        for id in ids {
            let Some(record) = state.get_actor(id)? else {
                continue;
            };
            if let Some(address) = eth_address(&record) {
                touched.entry(address).or_default().live = Some((id, record));
            }
        }
        let mut accounts = Vec::with_capacity(touched.len());
        for (address, t) in touched {
            let Some((id, record)) = t.live else {
                accounts.push((address, Account::Gone));
                continue;
            };
            let storage = if record.kv_root.is_none() {
                Storage::Empty
            } else if t.deleted {
                let mut slots = Vec::new();
                state.for_each_slot(&record, |k, v| {
                    slots.push((*k, *v));
                    Ok(())
                })?;
                Storage::Rebuild(slots)
            } else {
                Storage::Writes(
                    changes
                        .slots
                        .range((id, [0u8; 32])..=(id, [0xff; 32]))
                        .map(|((_, k), v)| (*k, *v))
                        .collect(),
                )
            };
            let code_hash = code_hash(state.store(), &record)?;
            accounts.push((
                address,
                Account::Live {
                    record: Box::new(record),
                    code_hash,
                    storage,
                },
            ));
        }
        Ok(Prepared { accounts })
    }

    /// The second half of [`Self::apply`]: the trie update itself, from prepared changes.
    pub fn apply_prepared(
        &mut self,
        prepared: Prepared,
        src: &dyn NodeSource,
        seq: Loc,
    ) -> anyhow::Result<(B256, NewNodes)> {
        let mut nodes = Vec::new();
        for (address, account) in prepared.accounts {
            let key = account_key(&address);
            let Account::Live {
                record,
                code_hash,
                storage,
            } = account
            else {
                self.accounts.remove(key.as_slice(), src)?;
                self.storage.remove(&address);
                continue;
            };
            let (storage_root, storage_loc) =
                self.update_storage(src, &address, storage, seq, &mut nodes)?;
            match trie_account_with(code_hash, &record, storage_root) {
                Some(account) => {
                    let value = alloy_rlp::encode(account);
                    self.accounts
                        .insert(key.as_slice(), value, storage_loc, src)?
                }
                None => {
                    self.accounts.remove(key.as_slice(), src)?;
                }
            }
        }
        let (root, _, new) = self.accounts.commit(seq);
        nodes.extend(new);
        if self.storage.len() > MAX_CACHED_STORAGE {
            self.storage.clear();
        }
        Ok((root, nodes))
    }

    /// The account's storage root after the changes; its storage trie stays cached.
    fn update_storage(
        &mut self,
        src: &dyn NodeSource,
        address: &Address,
        storage: Storage,
        seq: Loc,
        nodes: &mut NewNodes,
    ) -> anyhow::Result<(B256, Loc)> {
        let mut storage = match storage {
            Storage::Empty => Trie::empty(),
            Storage::Rebuild(slots) => {
                let mut t = Trie::empty();
                for (k, v) in slots {
                    t.insert(slot_key(&B256::from(k)).as_slice(), slot_value(&v), 0, src)?;
                }
                t
            }
            Storage::Writes(writes) => {
                let (current, loc) = match self
                    .accounts
                    .get(account_key(address).as_slice(), src)?
                {
                    Some((rlp, loc)) => {
                        let account = TrieAccount::decode(&mut rlp.as_slice())
                            .map_err(|e| anyhow::anyhow!("bad account in the state trie: {e}"))?;
                        (account.storage_root, loc)
                    }
                    None => (EMPTY_ROOT_HASH, 0),
                };
                let mut t = self
                    .storage
                    .remove(address)
                    .filter(|t| t.root() == current)
                    .unwrap_or_else(|| Trie::at(current, loc));
                for (slot, value) in writes {
                    let k = slot_key(&B256::from(slot));
                    if value == [0u8; 32] {
                        t.remove(k.as_slice(), src)?;
                    } else {
                        t.insert(k.as_slice(), slot_value(&value), 0, src)?;
                    }
                }
                t
            }
        };
        let (root, loc, new) = storage.commit(seq);
        nodes.extend(new);
        if root != EMPTY_ROOT_HASH {
            self.storage.insert(*address, storage);
        }
        Ok((root, loc))
    }
}

/// A source for tries built from nothing: every node they need is in memory.
struct NoNodes;

impl NodeSource for NoNodes {
    fn node(&self, hash: &B256, _: Loc) -> anyhow::Result<Option<Vec<u8>>> {
        anyhow::bail!("trie node {hash} requested while building a trie from scratch")
    }
}
