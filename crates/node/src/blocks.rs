//! Blocks, transactions and receipts, kept in the store's meta table.
//!
//! Layout (keys → values):
//! - `node.latest` → the latest block number (8 bytes, big-endian);
//! - `node.block.<n>` → the block record (JSON: hash, header, Tandem state root, tx hashes);
//! - `node.blockhash.<hex>` → the block number (8 bytes, big-endian);
//! - `node.tx.<hex>` → the transaction record (JSON: raw envelope, sender, position, receipt);
//! - `node.msg.<cid>` → a native message's receipt (JSON: block, exit code, return, gas).
//!
//! Every entry of a block is written in the same redb transaction as the state it describes
//! (`Chain::commit_with_meta`), so after a crash blocks and state never disagree. After an
//! `evm_revert`, records past `node.latest` may remain; lookups check that a record is still
//! on the chain (the block exists at or below the latest and lists the transaction).

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, Log};
use anyhow::Context;
use cid::Cid;
use serde::{Deserialize, Serialize};
use tandem_state::blockstore::{CommitStore, RedbStore};

pub const LATEST_KEY: &str = "node.latest";
/// The number of the chain's first block, its genesis: 0, or a fork's block (absent: 0).
pub const FIRST_KEY: &str = "node.first";

pub fn block_key(n: u64) -> String {
    format!("node.block.{n}")
}

pub fn hash_key(hash: &B256) -> String {
    format!("node.blockhash.{}", hex::encode(hash))
}

pub fn msg_key(cid: &str) -> String {
    format!("node.msg.{cid}")
}

pub fn tx_key(hash: &B256) -> String {
    format!("node.tx.{}", hex::encode(hash))
}

/// A mined block.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockRecord {
    pub hash: B256,
    pub header: alloy_consensus::Header,
    /// Tandem's state root after the block (the header's `stateRoot` is its digest).
    pub state: String,
    pub txs: Vec<B256>,
    /// CIDs of native messages in the block (after its Ethereum transactions).
    #[serde(default)]
    pub messages: Vec<String>,
}

impl BlockRecord {
    pub fn number(&self) -> u64 {
        self.header.number
    }

    pub fn state_cid(&self) -> anyhow::Result<Cid> {
        Cid::try_from(self.state.as_str()).context("a block's state root is not a CID")
    }
}

/// A mined transaction with its receipt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TxRecord {
    /// The EIP-2718 envelope (impersonated senders carry a placeholder signature).
    pub raw: Bytes,
    pub from: Address,
    pub block: u64,
    pub index: u64,
    pub status: bool,
    pub gas_used: u64,
    pub cumulative_gas_used: u64,
    pub effective_gas_price: u128,
    pub contract_address: Option<Address>,
    pub logs: Vec<Log>,
    /// Index of this transaction's first log within the block.
    pub first_log_index: u64,
    /// Return or revert data.
    pub output: Bytes,
    pub failure: Option<String>,
}

/// A mined native (Filecoin-shaped) message's receipt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MsgRecord {
    pub block: u64,
    pub exit_code: u32,
    pub return_data: Bytes,
    pub gas_used: u64,
    /// Number of events the message emitted.
    pub events: u64,
    pub failure: Option<String>,
    /// Position in the block, after its Ethereum transactions (the `transactionIndex` of
    /// its logs).
    #[serde(default)]
    pub index: u64,
    /// The Ethereum logs among its events (an EVM contract reached from a native message
    /// logs as it would from a transaction); served by `eth_getLogs` and filters.
    #[serde(default)]
    pub logs: Vec<Log>,
    #[serde(default)]
    pub first_log_index: u64,
    /// The message itself (DAG-CBOR), so a trace can replay it; user messages only (the
    /// system lane's are replayed by running the lane).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Bytes>,
    /// How many of the block's Ethereum transactions ran before it (messages and
    /// transactions may interleave in a block).
    #[serde(default)]
    pub after_txs: u64,
}

impl MsgRecord {
    /// The record of an applied native message (or system message) before its block is
    /// mined: its receipt, with `logs` the Ethereum logs among its events ([`eth_logs`]).
    pub fn unmined(ret: &tandem_vm::message::ApplyRet, logs: Vec<Log>) -> Self {
        MsgRecord {
            block: 0,
            exit_code: ret.receipt.exit_code.value(),
            return_data: Bytes::from(ret.receipt.return_data.to_vec()),
            gas_used: ret.receipt.gas_used,
            events: ret.events.len() as u64,
            failure: ret.failure.clone(),
            index: 0,
            logs,
            first_log_index: 0,
            message: None,
            after_txs: 0,
        }
    }
}

/// The Ethereum logs among a message's events, as the node serves them.
pub fn eth_logs(
    state: &mut tandem_state::StateTree<impl fvm_ipld_blockstore::Blockstore>,
    events: &[fvm_shared::event::StampedEvent],
) -> anyhow::Result<Vec<Log>> {
    Ok(tandem_evm::tx::eth_logs(state, events)?
        .into_iter()
        .map(|l| Log {
            address: Address::from(l.address),
            data: alloy_primitives::LogData::new_unchecked(l.topics, l.data),
        })
        .collect())
}

/// The Ethereum transaction hash under which a native message's logs are served: the
/// digest of its CID (blake2b-256), as Lotus does for Filecoin messages.
pub fn message_tx_hash(cid: &str) -> B256 {
    Cid::try_from(cid)
        .ok()
        .and_then(|c| B256::try_from(c.hash().digest()).ok())
        .unwrap_or_else(|| alloy_primitives::keccak256(cid.as_bytes()))
}

/// Reads the records back.
#[derive(Clone)]
pub struct BlockStore {
    store: Arc<RedbStore>,
}

fn be_u64(bytes: &[u8]) -> anyhow::Result<u64> {
    Ok(u64::from_be_bytes(
        bytes.try_into().context("a stored number is not 8 bytes")?,
    ))
}

impl BlockStore {
    pub fn new(store: Arc<RedbStore>) -> Self {
        Self { store }
    }

    /// The number of the chain's genesis block (a fork's starts at the remote's block).
    pub fn first_number(&self) -> anyhow::Result<u64> {
        Ok(self
            .store
            .get_meta(FIRST_KEY)?
            .map(|b| be_u64(&b))
            .transpose()?
            .unwrap_or(0))
    }

    pub fn latest_number(&self) -> anyhow::Result<Option<u64>> {
        self.store
            .get_meta(LATEST_KEY)?
            .map(|b| be_u64(&b))
            .transpose()
    }

    /// The block at `n`, ignoring whether it is still on the chain.
    fn raw_block(&self, n: u64) -> anyhow::Result<Option<BlockRecord>> {
        self.record(&block_key(n))
    }

    /// The block at `n` if `n` is at or below `latest`.
    pub fn block(&self, n: u64, latest: u64) -> anyhow::Result<Option<BlockRecord>> {
        if n > latest {
            return Ok(None);
        }
        self.raw_block(n)
    }

    pub fn block_by_hash(&self, hash: &B256, latest: u64) -> anyhow::Result<Option<BlockRecord>> {
        let Some(bytes) = self.store.get_meta(&hash_key(hash))? else {
            return Ok(None);
        };
        let n = be_u64(&bytes)?;
        Ok(self.block(n, latest)?.filter(|b| b.hash == *hash))
    }

    /// A JSON record kept in the store's metadata under `key`.
    pub(crate) fn record<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> anyhow::Result<Option<T>> {
        self.store
            .get_meta(key)?
            .map(|bytes| serde_json::from_slice(&bytes).with_context(|| format!("reading {key}")))
            .transpose()
    }

    /// A mined transaction, if its block is still on the chain.
    pub fn tx(&self, hash: &B256, latest: u64) -> anyhow::Result<Option<(TxRecord, BlockRecord)>> {
        let Some(rec) = self.record::<TxRecord>(&tx_key(hash))? else {
            return Ok(None);
        };
        let Some(block) = self.block(rec.block, latest)? else {
            return Ok(None);
        };
        if block.txs.get(rec.index as usize) != Some(hash) {
            return Ok(None);
        }
        Ok(Some((rec, block)))
    }

    /// A mined native message, if its block is still on the chain.
    pub fn message(&self, cid: &str, latest: u64) -> anyhow::Result<Option<MsgRecord>> {
        let Some(rec) = self.record::<MsgRecord>(&msg_key(cid))? else {
            return Ok(None);
        };
        let on_chain = self
            .block(rec.block, latest)?
            .is_some_and(|b| b.messages.iter().any(|m| m == cid));
        Ok(on_chain.then_some(rec))
    }

    /// Every native message record of a block, in order, with its CID.
    pub fn block_messages(&self, block: &BlockRecord) -> anyhow::Result<Vec<(String, MsgRecord)>> {
        block
            .messages
            .iter()
            .map(|cid| {
                let rec = self.record(&msg_key(cid))?.with_context(|| {
                    format!("message {cid} of block {} is missing", block.number())
                })?;
                Ok((cid.clone(), rec))
            })
            .collect()
    }

    /// Every transaction record of a block, in order.
    pub fn block_txs(&self, block: &BlockRecord) -> anyhow::Result<Vec<TxRecord>> {
        block
            .txs
            .iter()
            .map(|h| {
                self.record(&tx_key(h))?.with_context(|| {
                    format!("transaction {h} of block {} is missing", block.number())
                })
            })
            .collect()
    }
}

// ---- block 0 and the meta entries of a block --------------------------------------------

pub(crate) fn alloy_trie_empty_root() -> B256 {
    // keccak256(rlp("")), the root of an empty trie.
    alloy_primitives::keccak256([0x80u8])
}

pub(crate) fn block_meta(record: &BlockRecord) -> anyhow::Result<Vec<(String, Option<Vec<u8>>)>> {
    let n = record.number();
    Ok(vec![
        (block_key(n), Some(serde_json::to_vec(record)?)),
        (hash_key(&record.hash), Some(n.to_be_bytes().to_vec())),
        (LATEST_KEY.to_string(), Some(n.to_be_bytes().to_vec())),
    ])
}

impl crate::Node {
    /// The genesis block's number: 0, or the block a fork started from.
    pub fn first_number(&self) -> u64 {
        self.first_number.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn set_first_number(&self, n: u64) {
        self.first_number
            .store(n, std::sync::atomic::Ordering::Release);
    }
}

/// The genesis block (number `number`: 0, or a fork's block) over the genesis state.
pub(crate) fn write_genesis_block(
    store: &Arc<RedbStore>,
    root: &Cid,
    number: u64,
) -> anyhow::Result<()> {
    let (eth_root, eth_meta) = crate::eth_trie::build(store.clone(), root)?;
    let record = genesis_record(root, eth_root, number);
    let mut batch = tandem_state::blockstore::CommitBatch::new();
    for (k, v) in genesis_meta(&record)?.into_iter().chain(eth_meta) {
        if let Some(v) = v {
            batch.set_meta(k, v);
        }
    }
    store.commit(&batch)
}

/// A genesis block's meta entries: its record's, and the chain's first number.
pub(crate) fn genesis_meta(record: &BlockRecord) -> anyhow::Result<Vec<(String, Option<Vec<u8>>)>> {
    let mut meta = block_meta(record)?;
    meta.push((
        FIRST_KEY.to_string(),
        Some(record.number().to_be_bytes().to_vec()),
    ));
    Ok(meta)
}

/// The record of the genesis block over a genesis state root (`eth_root`: its Ethereum state
/// root), numbered `number`: 0, or on a fork the remote's block, so that block numbers go on
/// from the fork block as on anvil and `block.number` deltas in forked contracts hold.
pub(crate) fn genesis_record(root: &Cid, eth_root: B256, number: u64) -> BlockRecord {
    let header = alloy_consensus::Header {
        number,
        ommers_hash: alloy_consensus::constants::EMPTY_OMMER_ROOT_HASH,
        state_root: eth_root,
        transactions_root: alloy_trie_empty_root(),
        receipts_root: alloy_trie_empty_root(),
        gas_limit: crate::node::BLOCK_GAS_LIMIT,
        timestamp: crate::node::unix_now(),
        base_fee_per_gas: Some(1_000_000_000),
        withdrawals_root: Some(alloy_trie_empty_root()),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        ..Default::default()
    };
    BlockRecord {
        hash: header.hash_slow(),
        header,
        state: root.to_string(),
        txs: Vec::new(),
        messages: Vec::new(),
    }
}
