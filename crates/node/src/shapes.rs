//! Records → the RPC shapes of `alloy-rpc-types-eth` (blocks, transactions, receipts, logs),
//! so every field clients insist on is there and spelled as they expect.

use alloy_consensus::transaction::Recovered;
use alloy_consensus::{
    Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, TxEnvelope, TxType,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::eip4895::Withdrawals;
use alloy_primitives::{B256, U256, keccak256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};

use crate::blocks::{BlockRecord, MsgRecord, TxRecord, message_tx_hash};

pub fn header(record: &BlockRecord) -> Header {
    let size = alloy_rlp::Encodable::length(&record.header);
    Header {
        hash: record.hash,
        inner: record.header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(size)),
    }
}

pub fn envelope(rec: &TxRecord) -> anyhow::Result<TxEnvelope> {
    let mut buf = rec.raw.as_ref();
    TxEnvelope::decode_2718(&mut buf)
        .map_err(|e| anyhow::anyhow!("a stored transaction does not decode: {e}"))
}

pub fn transaction(rec: &TxRecord, block: &BlockRecord) -> anyhow::Result<Transaction> {
    Ok(Transaction {
        inner: Recovered::new_unchecked(envelope(rec)?, rec.from),
        block_hash: Some(block.hash),
        block_number: Some(block.number()),
        transaction_index: Some(rec.index),
        effective_gas_price: Some(rec.effective_gas_price),
        block_timestamp: Some(block.header.timestamp),
    })
}

/// A transaction applied but not yet mined.
pub fn pending_transaction(env: TxEnvelope, from: alloy_primitives::Address) -> Transaction {
    Transaction {
        inner: Recovered::new_unchecked(env, from),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: None,
        block_timestamp: None,
    }
}

pub fn block(
    record: &BlockRecord,
    full: Option<Vec<TxRecord>>,
) -> anyhow::Result<Block<Transaction>> {
    let transactions = match full {
        Some(txs) => BlockTransactions::Full(
            txs.iter()
                .map(|t| transaction(t, record))
                .collect::<anyhow::Result<_>>()?,
        ),
        None => BlockTransactions::Hashes(record.txs.clone()),
    };
    Ok(Block {
        header: header(record),
        uncles: Vec::new(),
        transactions,
        withdrawals: Some(Withdrawals::default()),
    })
}

pub fn logs(rec: &TxRecord, block: &BlockRecord) -> Vec<Log> {
    rpc_logs(
        &rec.logs,
        keccak256(&rec.raw),
        rec.index,
        rec.first_log_index,
        block,
    )
}

/// The logs of a native message, under its [`message_tx_hash`].
pub fn message_logs(cid: &str, rec: &MsgRecord, block: &BlockRecord) -> Vec<Log> {
    rpc_logs(
        &rec.logs,
        message_tx_hash(cid),
        rec.index,
        rec.first_log_index,
        block,
    )
}

fn rpc_logs(
    logs: &[alloy_primitives::Log],
    tx_hash: B256,
    tx_index: u64,
    first_log_index: u64,
    block: &BlockRecord,
) -> Vec<Log> {
    logs.iter()
        .enumerate()
        .map(|(i, l)| Log {
            inner: l.clone(),
            block_hash: Some(block.hash),
            block_number: Some(block.number()),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(tx_index),
            log_index: Some(first_log_index + i as u64),
            removed: false,
        })
        .collect()
}

pub fn receipt(rec: &TxRecord, block: &BlockRecord) -> anyhow::Result<TransactionReceipt> {
    let env = envelope(rec)?;
    let logs = logs(rec, block);
    let inner = ReceiptWithBloom::from(Receipt {
        status: Eip658Value::Eip658(rec.status),
        cumulative_gas_used: rec.cumulative_gas_used,
        logs: rec.logs.clone(),
    });
    let with_rpc_logs = ReceiptWithBloom {
        receipt: Receipt {
            status: inner.receipt.status,
            cumulative_gas_used: inner.receipt.cumulative_gas_used,
            logs,
        },
        logs_bloom: inner.logs_bloom,
    };
    let envelope = match env.tx_type() {
        TxType::Legacy => ReceiptEnvelope::Legacy(with_rpc_logs),
        TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_rpc_logs),
        TxType::Eip4844 => ReceiptEnvelope::Eip4844(with_rpc_logs),
        TxType::Eip7702 => ReceiptEnvelope::Eip7702(with_rpc_logs),
        _ => ReceiptEnvelope::Eip1559(with_rpc_logs),
    };
    Ok(TransactionReceipt {
        inner: envelope,
        transaction_hash: tx_hash(rec),
        transaction_index: Some(rec.index),
        block_hash: Some(block.hash),
        block_number: Some(block.number()),
        gas_used: rec.gas_used,
        effective_gas_price: rec.effective_gas_price,
        blob_gas_used: (env.tx_type() == TxType::Eip4844).then(|| blob_gas(&env)),
        blob_gas_price: Some(blob_base_fee(&block.header)),
        from: rec.from,
        to: alloy_consensus::Transaction::to(&env),
        contract_address: rec.contract_address,
    })
}

pub fn tx_hash(rec: &TxRecord) -> B256 {
    keccak256(&rec.raw)
}

/// A receipt as the node serves it: alloy's shape, plus anvil's `revertReason` on a failed
/// transaction that left revert data (the `Error(string)` message or a `Panic(uint256)`
/// decoded, any other data as hex).
pub fn receipt_json(rec: &TxRecord, block: &BlockRecord) -> anyhow::Result<serde_json::Value> {
    let mut value = serde_json::to_value(receipt(rec, block)?)?;
    if let (false, Some(reason), serde_json::Value::Object(fields)) =
        (rec.status, revert_reason(&rec.output), &mut value)
    {
        fields.insert("revertReason".into(), serde_json::Value::String(reason));
    }
    Ok(value)
}

/// What a failed transaction's revert data says: [`crate::frames::revert_reason`], else the
/// data as hex; `None` when it reverted without data.
pub fn revert_reason(output: &[u8]) -> Option<String> {
    if output.is_empty() {
        return None;
    }
    Some(
        crate::frames::revert_reason(output)
            .unwrap_or_else(|| format!("0x{}", hex::encode(output))),
    )
}

/// The blob base fee of a block, from its `excessBlobGas`. The fork's update fraction is
/// read off the header: Prague and Osaka (which share it) write `requestsHash`, Cancun not.
pub fn blob_base_fee(header: &alloy_consensus::Header) -> u128 {
    let fork = if header.requests_hash.is_some() {
        tandem_vm::kernel::Hardfork::Prague
    } else {
        tandem_vm::kernel::Hardfork::Cancun
    };
    crate::base_fee::blob_base_fee(fork, header.excess_blob_gas.unwrap_or(0))
}

/// The blob gas a transaction uses: 2^17 per blob (EIP-4844).
pub fn blob_gas(env: &TxEnvelope) -> u64 {
    alloy_consensus::Transaction::blob_versioned_hashes(env).map_or(0, |h| {
        h.len() as u64 * alloy_eips::eip4844::DATA_GAS_PER_BLOB
    })
}

/// The header's `requestsHash` (EIP-7685) from Prague on: the node makes no execution-layer
/// requests, so it is the hash of an empty list, `sha256("")`.
pub fn requests_hash(fork: tandem_vm::kernel::Hardfork) -> Option<B256> {
    (fork >= tandem_vm::kernel::Hardfork::Prague)
        .then_some(alloy_eips::eip7685::EMPTY_REQUESTS_HASH)
}

/// The pending block (`eth_getBlockByNumber("pending", full)`), its transactions as hashes
/// or in full (without a block position yet).
pub fn pending_block(
    pending: &crate::pending::PendingBlock,
    full: bool,
) -> anyhow::Result<Block<Transaction>> {
    let mut block = block(&pending.record, None)?;
    if full {
        block.transactions = BlockTransactions::Full(
            pending
                .txs
                .iter()
                .map(|(env, from)| pending_transaction(env.clone(), *from))
                .collect(),
        );
    }
    Ok(block)
}
