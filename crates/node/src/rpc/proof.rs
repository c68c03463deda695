//! `eth_getProof` (EIP-1186): an account's proof in the Ethereum state trie and its slots'
//! proofs in its storage trie, against the state root of the block asked for (the header's
//! `stateRoot`; see `crate::eth_trie`). Any block whose state the node still holds can be
//! proven (blocks mined before the trie was kept get theirs built on first use, but their
//! headers carry the older IPLD digest).

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::Decodable;
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use serde_json::{Value, json};
use tandem_evm::eth_view::{account_key, slot_key};
use tandem_evm::mpt::proof;
use tandem_vm::eth::EthAddress;

use super::{Handler, Params, quantity, state_block};
use crate::error::{RpcError, RpcResult};
use crate::eth_trie::MetaNodes;
use crate::fork::RemoteState;
use crate::node::Node;
use crate::state::{StateView, f4};

pub const METHODS: &[(&str, Handler)] = &[("eth_getProof", get_proof)];

/// At most this many slots per request (geth has no limit; this keeps one call bounded).
const MAX_SLOTS: usize = 1024;

/// A storage key as clients send it: 32-byte hex, or a shorter hex quantity (left-padded).
fn parse_slot(text: &str) -> RpcResult<B256> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(|| RpcError::invalid_params(format!("storage key {text:?} is not 0x hex")))?;
    if digits.is_empty() || digits.len() > 64 {
        return Err(RpcError::invalid_params(format!(
            "storage key {text:?} is not 1 to 32 bytes of hex"
        )));
    }
    let padded = format!("{digits:0>64}");
    let bytes = hex::decode(&padded)
        .map_err(|_| RpcError::invalid_params(format!("storage key {text:?} is not hex")))?;
    Ok(B256::from_slice(&bytes))
}

fn hex_list(nodes: &[Bytes]) -> Value {
    Value::Array(nodes.iter().map(|b| Value::String(b.to_string())).collect())
}

/// `eth_getProof(address, storageKeys, block = latest)`.
fn get_proof(node: &Node, p: &Params) -> RpcResult<Value> {
    let address: Address = p.get(0)?;
    let keys: Vec<String> = p.opt(1)?.unwrap_or_default();
    if keys.len() > MAX_SLOTS {
        return Err(RpcError::invalid_params(format!(
            "at most {MAX_SLOTS} storage keys per request"
        )));
    }
    let slots = keys
        .iter()
        .map(|k| parse_slot(k))
        .collect::<RpcResult<Vec<_>>>()?;
    if let Some(id) = EthAddress(address.into_array()).as_id() {
        return Err(RpcError::invalid_params(format!(
            "{address} is the ID address of actor f0{id}; only actors with an Ethereum (f410) \
             address are in the Ethereum state trie"
        )));
    }
    let block = state_block(node, p.opt(2)?)?;
    let (root, loc) = node.eth_state_root_at(&block)?;
    let src = MetaNodes(&node.store);
    let (account_proof, value) = proof(&src, root, loc, account_key(&address).as_slice())?;
    let in_trie = value.is_some();
    let (account, storage_loc) = match value {
        Some((rlp, storage_loc)) => (
            TrieAccount::decode(&mut rlp.as_slice())
                .map_err(|e| RpcError::internal(format!("bad account in the state trie: {e}")))?,
            storage_loc,
        ),
        None => (
            TrieAccount {
                nonce: 0,
                balance: U256::ZERO,
                storage_root: EMPTY_ROOT_HASH,
                code_hash: alloy_primitives::KECCAK256_EMPTY,
            },
            0,
        ),
    };
    let mut storage = Vec::with_capacity(slots.len());
    let mut proven = Vec::with_capacity(slots.len());
    for (text, slot) in keys.iter().zip(&slots) {
        let key = slot_key(slot);
        let (nodes, value) = proof(&src, account.storage_root, storage_loc, key.as_slice())?;
        let value = match value {
            Some((rlp, _)) => U256::decode(&mut rlp.as_slice())
                .map_err(|e| RpcError::internal(format!("bad value in a storage trie: {e}")))?,
            None => U256::ZERO,
        };
        proven.push((*slot, value));
        storage
            .push(json!({"key": text, "value": format!("{value:#x}"), "proof": hex_list(&nodes)}));
    }
    if let Some(remote) = node
        .fork
        .as_ref()
        .filter(|_| !in_trie || !proven.is_empty())
    {
        let root = block.state_cid()?;
        not_only_remote(node, remote, &root, &address, in_trie, &proven)?;
    }
    Ok(json!({
        "address": address,
        "balance": format!("{:#x}", account.balance),
        "codeHash": account.code_hash,
        "nonce": quantity(account.nonce),
        "storageHash": account.storage_root,
        "accountProof": hex_list(&account_proof),
        "storageProof": storage,
    }))
}

/// Fork mode: the trie holds what the fork has stored. An account, or a slot, still only on
/// the remote would be proven absent (or zero), which is not what the fork reads: that is an
/// error naming the remote instead of a proof that does not match the chain's reads.
fn not_only_remote(
    node: &Node,
    remote: &RemoteState,
    root: &cid::Cid,
    address: &Address,
    in_trie: bool,
    slots: &[(B256, U256)],
) -> RpcResult<()> {
    let mut view = StateView::at(node, root)?;
    let only_remote = |what: String| {
        RpcError::server(format!(
            "fork: {what} is read from {} at block {} and is not in this chain's state trie \
             yet; ask the remote for its proof",
            remote.url(),
            remote.block()
        ))
    };
    if !in_trie {
        let source = view.tree.fork().cloned();
        view.tree.set_fork(None);
        let local = view.tree.lookup_id(&f4(address))?;
        view.tree.set_fork(source);
        if local.is_none() && view.actor(address)?.is_some() {
            return Err(only_remote(format!("account {address}")));
        }
        return Ok(());
    }
    for (slot, value) in slots {
        if U256::from_be_bytes(view.storage(address, slot)?.0) != *value {
            return Err(only_remote(format!("slot {slot} of {address}")));
        }
    }
    Ok(())
}
