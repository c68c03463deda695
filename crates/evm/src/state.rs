//! An EVM contract's own state: its bytecode (a raw IPLD block) and the code's keccak hash.
//! Storage is not here: it lives in the actor's host-managed slot storage (`kv_root`).
//!
//! The analysed bytecode (jump table) is cached by the state's CID. That CID is a content
//! hash of the code's CID, so an entry can never go stale.
//!
//! Both caches hash CIDs with Fx, not SipHash: a CID is 80 bytes, looked up at least twice per
//! transaction, and nothing iterates these maps, so no order can reach the state.

use std::sync::RwLock;

use rustc_hash::FxHashMap as HashMap;

use alloy_primitives::{B256, Bytes, keccak256};
use anyhow::{Context, anyhow};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{CborStore, IPLD_RAW, strict_bytes};
use multihash_codetable::{Code, MultihashDigest};
use revm::bytecode::Bytecode;
use revm::primitives::KECCAK_EMPTY;

/// The state block of every EVM contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct EvmState {
    /// The deployed code, an IPLD_RAW block.
    pub bytecode: Cid,
    /// keccak256 of the code (Ethereum's code hash).
    #[serde(with = "strict_bytes")]
    pub bytecode_hash: [u8; 32],
}

/// A contract's code, ready to run.
#[derive(Debug, Clone)]
pub struct LoadedCode {
    pub code: Bytecode,
    pub hash: B256,
    pub cid: Cid,
}

/// Writes a contract's code and state block; returns the state's CID.
pub fn store_code<BS: Blockstore>(store: &BS, code: &[u8]) -> anyhow::Result<(Cid, EvmState)> {
    let cid = Cid::new_v1(IPLD_RAW, Code::Blake2b256.digest(code));
    store.put_keyed(&cid, code)?;
    let state = EvmState {
        bytecode: cid,
        bytecode_hash: keccak256(code).0,
    };
    let root = store.put_cbor(&state, Code::Blake2b256)?;
    Ok((root, state))
}

/// Reads a contract's state block; `None` while the constructor runs (the state is still the
/// empty object every new actor starts with).
pub fn read_state<BS: Blockstore>(store: &BS, state: &Cid) -> anyhow::Result<Option<EvmState>> {
    let raw = store
        .get(state)?
        .ok_or_else(|| anyhow!("EVM contract state {state} is missing"))?;
    if raw == [0x80] {
        return Ok(None);
    }
    let evm = fvm_ipld_encoding::from_slice(&raw).context("reading EVM contract state")?;
    Ok(Some(evm))
}

/// Whether a contract has code, without loading or analysing it.
///
/// Remembered by state CID (a content hash, so an answer never goes stale): every Ethereum
/// transaction to a contract asks this before its frame runs.
pub fn has_code<BS: Blockstore>(store: &BS, state: &Cid) -> anyhow::Result<bool> {
    static KNOWN: RwLock<Option<HashMap<Cid, bool>>> = RwLock::new(None);
    if let Ok(known) = KNOWN.read()
        && let Some(&hit) = known.as_ref().and_then(|m| m.get(state))
    {
        return Ok(hit);
    }
    let has =
        read_state(store, state)?.is_some_and(|s| B256::from(s.bytecode_hash) != KECCAK_EMPTY);
    if let Ok(mut known) = KNOWN.write() {
        let map = known.get_or_insert_with(HashMap::default);
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(*state, has);
    }
    Ok(has)
}

/// Caches analysed code by state CID.
#[derive(Default)]
pub struct CodeCache {
    entries: RwLock<HashMap<Cid, LoadedCode>>,
}

/// Past this many entries the cache starts over (a crude bound for long-running nodes).
const MAX_CACHED: usize = 20_000;

impl CodeCache {
    pub fn load<BS: Blockstore>(&self, store: &BS, state: &Cid) -> anyhow::Result<LoadedCode> {
        if let Ok(map) = self.entries.read()
            && let Some(hit) = map.get(state)
        {
            return Ok(hit.clone());
        }
        let loaded = match read_state(store, state)? {
            // A contract whose constructor is still running has no code yet.
            None => LoadedCode {
                code: Bytecode::default(),
                hash: KECCAK_EMPTY,
                cid: *state,
            },
            Some(evm) => {
                let raw = store
                    .get(&evm.bytecode)?
                    .ok_or_else(|| anyhow!("EVM bytecode {} is missing", evm.bytecode))?;
                LoadedCode {
                    // A delegation designator (EIP-7702) loads as one, so that the
                    // interpreter charges for and follows the delegation.
                    code: crate::setcode::bytecode_of(Bytes::from(raw)),
                    hash: B256::from(evm.bytecode_hash),
                    cid: evm.bytecode,
                }
            }
        };
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= MAX_CACHED {
                map.clear();
            }
            map.insert(*state, loaded.clone());
        }
        Ok(loaded)
    }
}
