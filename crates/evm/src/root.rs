//! Ethereum's view of a Tandem state: the state root over every actor with an Ethereum
//! (f410) address, and the logs hash of a transaction.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Log, LogData, U256, keccak256};
use alloy_trie::TrieAccount;
use alloy_trie::root::{state_root_unhashed, storage_root_unhashed};
use revm::primitives::KECCAK_EMPTY;
use tandem_state::StateTree;
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::eth::EthAddress;
use tandem_vm::store::VmStore;

use crate::address::tokens_to_u256;
use crate::state::read_state;
use crate::tx::EthLog;

/// The Ethereum accounts of a flushed state, by address. Empty accounts (no nonce, balance,
/// code or storage) are left out, as EIP-161 removes them.
pub fn eth_accounts(state: &StateTree<VmStore>) -> anyhow::Result<BTreeMap<Address, TrieAccount>> {
    let mut accounts = BTreeMap::new();
    let store = state.store();
    state.for_each_actor(|_, record| {
        let Some(eth) = record
            .delegated_address
            .as_ref()
            .and_then(EthAddress::from_delegated)
        else {
            return Ok(());
        };
        let code_hash = if BuiltinCode::from_cid(&record.code) == Some(BuiltinCode::Evm) {
            read_state(store, &record.state)?
                .map(|s| B256::from(s.bytecode_hash))
                .unwrap_or(KECCAK_EMPTY)
        } else {
            KECCAK_EMPTY
        };
        let mut slots = Vec::new();
        state.for_each_slot(record, |k, v| {
            slots.push((B256::from(*k), U256::from_be_bytes(*v)));
            Ok(())
        })?;
        let balance = tokens_to_u256(&record.balance);
        if record.sequence == 0
            && balance.is_zero()
            && code_hash == KECCAK_EMPTY
            && slots.is_empty()
        {
            return Ok(());
        }
        accounts.insert(
            Address::from(eth.0),
            TrieAccount {
                nonce: record.sequence,
                balance,
                storage_root: storage_root_unhashed(slots),
                code_hash,
            },
        );
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
