//! Ethereum's view of a Tandem state: the state root over every actor with an Ethereum
//! (f410) address, and the logs hash of a transaction.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Log, LogData, U256, keccak256};
use alloy_trie::root::{state_root_unhashed, storage_root_unhashed};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use revm::primitives::KECCAK_EMPTY;
use tandem_state::StateTree;
use tandem_state::actor::ActorRecord;
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::eth::EthAddress;
use tandem_vm::store::VmStore;

use crate::address::tokens_to_u256;
use crate::state::read_state;
use crate::tx::EthLog;

/// Which Tandem actors Ethereum sees, and as what: every actor with an Ethereum (f410)
/// address is an account at that address (EVM contracts, Ethereum accounts, placeholders, and
/// native actors created at an f410 address), with nonce = the actor's sequence, balance = its
/// balance, code hash = keccak of its EVM bytecode (empty for anything but an EVM contract)
/// and storage = its slot storage (keys and values as 32-byte words). Actors without an f410
/// address (built-ins, f1/f3 accounts, native actors known only by ID) are not in the view.
pub fn eth_address(record: &ActorRecord) -> Option<Address> {
    record
        .delegated_address
        .as_ref()
        .and_then(EthAddress::from_delegated)
        .map(|e| Address::from(e.0))
}

/// The code hash Ethereum sees for an actor (see [`eth_address`]).
pub fn code_hash(store: &VmStore, record: &ActorRecord) -> anyhow::Result<B256> {
    Ok(
        if BuiltinCode::from_cid(&record.code) == Some(BuiltinCode::Evm) {
            read_state(store, &record.state)?
                .map(|s| B256::from(s.bytecode_hash))
                .unwrap_or(KECCAK_EMPTY)
        } else {
            KECCAK_EMPTY
        },
    )
}

/// The account of an actor given its storage root, or `None` when it is empty (no nonce,
/// balance, code or storage): EIP-161 removes empty accounts.
pub fn trie_account(
    store: &VmStore,
    record: &ActorRecord,
    storage_root: B256,
) -> anyhow::Result<Option<TrieAccount>> {
    Ok(trie_account_with(
        code_hash(store, record)?,
        record,
        storage_root,
    ))
}

/// [`trie_account`] with the actor's code hash already read.
pub fn trie_account_with(
    code_hash: B256,
    record: &ActorRecord,
    storage_root: B256,
) -> Option<TrieAccount> {
    let balance = tokens_to_u256(&record.balance);
    if record.sequence == 0
        && balance.is_zero()
        && code_hash == KECCAK_EMPTY
        && storage_root == EMPTY_ROOT_HASH
    {
        return None;
    }
    Some(TrieAccount {
        nonce: record.sequence,
        balance,
        storage_root,
        code_hash,
    })
}

/// The Ethereum accounts of a flushed state, by address (see [`eth_address`]). Empty accounts
/// are left out.
pub fn eth_accounts(state: &StateTree<VmStore>) -> anyhow::Result<BTreeMap<Address, TrieAccount>> {
    let mut accounts = BTreeMap::new();
    let store = state.store();
    state.for_each_actor(|_, record| {
        let Some(address) = eth_address(record) else {
            return Ok(());
        };
        let mut slots = Vec::new();
        state.for_each_slot(record, |k, v| {
            slots.push((B256::from(*k), U256::from_be_bytes(*v)));
            Ok(())
        })?;
        if let Some(account) = trie_account(store, record, storage_root_unhashed(slots))? {
            accounts.insert(address, account);
        }
        Ok(())
    })?;
    Ok(accounts)
}

/// The Ethereum state root of a flushed state.
pub fn eth_state_root(state: &StateTree<VmStore>) -> anyhow::Result<B256> {
    Ok(state_root_unhashed(eth_accounts(state)?))
}

/// keccak256 of the RLP list of logs.
pub fn logs_hash(logs: &[EthLog]) -> B256 {
    let logs: Vec<Log> = logs
        .iter()
        .map(|l| Log {
            address: Address::from(l.address),
            data: LogData::new_unchecked(l.topics.clone(), l.data.clone()),
        })
        .collect();
    keccak256(alloy_rlp::encode(&logs))
}
