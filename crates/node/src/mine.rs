//! Mining the open block: flush the state, update the Ethereum trie, assemble the header,
//! receipts and records, and commit it all in one atomic store transaction.
//!
//! The trie update of a large block is offered to a second thread ([`PARALLEL_TRIE`],
//! `trie_worker.rs`) while the miner does everything that does not need the state root: the
//! commit's reachability walk, the receipts and logs bloom, the transaction and receipt
//! roots, the transactions' records. The update reads only what `eth_trie::prepare` took from
//! the flushed state and trie nodes in the store's meta table, and the walk only moves the
//! state's blocks out of the buffer, so neither sees the other's work. The header waits for
//! the trie's root; the result is the same as computing one after the other.

use std::sync::Arc;

use alloy_consensus::proofs::{calculate_receipt_root, calculate_transaction_root};
use alloy_consensus::{
    Eip658Value, Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, TxEnvelope, TxType,
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B64, B256, Bloom, Bytes, Log, LogData, U256};
use anyhow::Context;
use cid::Cid;
use tandem_chain::PendingCommit;
use tandem_evm::address::tokens_to_u256;
use tandem_vm::eth::EthAddress;

use crate::blocks::{
    BlockRecord, MsgRecord, TxRecord, alloy_trie_empty_root, block_meta, msg_key, tx_key,
};
use crate::eth_trie::{Job, Meta};
use crate::node::{BLOCK_GAS_LIMIT, Inner, MinedBlock, Node, OpenBlock};
use crate::shapes::blob_gas;

/// A trie update visiting at least this many accounts and slots is offered to the trie
/// worker; a smaller one (a block of one transfer touches about six) costs less inline than
/// the worker's wake-up.
pub const PARALLEL_TRIE_MIN: usize = 64;

/// Whether a large block's trie update is offered to the trie worker (on by default; the
/// benchmark turns it off to compare). A thread spawned per block used to be off by default:
/// on the loaded 2-core development machine it waited for the scheduler (+169 % against +62 %
/// inline at load average 5). An offer the worker has not started when the miner's own side
/// is done is taken back and run inline, so a busy machine loses a wake-up, not a time slice.
pub static PARALLEL_TRIE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// A block's transactions and messages as the chain records them.
struct Assembled {
    records: Vec<TxRecord>,
    messages: Vec<(String, MsgRecord)>,
    bloom: Bloom,
    gas_used: u64,
    transactions_root: B256,
    receipts_root: B256,
    /// The transactions' and messages' store entries (nothing in them needs the state root).
    meta: Meta,
}

fn assemble(open: &OpenBlock) -> anyhow::Result<Assembled> {
    let mut records = Vec::with_capacity(open.txs.len());
    let mut receipts = Vec::with_capacity(open.txs.len());
    let mut cumulative = 0u64;
    let mut log_index = 0u64;
    let mut bloom = Bloom::default();
    for (i, p) in open.txs.iter().enumerate() {
        let logs: Vec<Log> = p
            .receipt
            .logs
            .iter()
            .map(|l| Log {
                address: Address::from(l.address),
                data: LogData::new_unchecked(l.topics.clone(), l.data.clone()),
            })
            .collect();
        cumulative += p.receipt.gas_used;
        let receipt = ReceiptWithBloom::from(Receipt {
            status: Eip658Value::Eip658(p.receipt.success),
            cumulative_gas_used: cumulative,
            logs: logs.clone(),
        });
        bloom.accrue_bloom(&receipt.logs_bloom);
        receipts.push(match p.envelope.tx_type() {
            TxType::Legacy => ReceiptEnvelope::Legacy(receipt),
            TxType::Eip2930 => ReceiptEnvelope::Eip2930(receipt),
            TxType::Eip4844 => ReceiptEnvelope::Eip4844(receipt),
            TxType::Eip7702 => ReceiptEnvelope::Eip7702(receipt),
            _ => ReceiptEnvelope::Eip1559(receipt),
        });
        records.push(TxRecord {
            raw: Bytes::from(p.envelope.encoded_2718()),
            from: p.from,
            block: open.number,
            index: i as u64,
            status: p.receipt.success,
            gas_used: p.receipt.gas_used,
            cumulative_gas_used: cumulative,
            effective_gas_price: p
                .receipt
                .effective_gas_price
                .try_into()
                .unwrap_or(u128::MAX),
            contract_address: p.receipt.contract_address.map(Address::from),
            first_log_index: log_index,
            logs,
            output: p.receipt.output.clone(),
            failure: p.receipt.failure.clone(),
        });
        log_index += p.receipt.logs.len() as u64;
    }
    // Native messages follow the transactions; their logs continue the numbering.
    let mut messages = Vec::with_capacity(open.messages.len());
    for (i, (cid, m)) in open.messages.iter().enumerate() {
        for log in &m.logs {
            bloom.accrue_log(log);
        }
        messages.push((
            cid.clone(),
            MsgRecord {
                block: open.number,
                index: (open.txs.len() + i) as u64,
                first_log_index: log_index,
                ..m.clone()
            },
        ));
        log_index += m.logs.len() as u64;
    }
    let envelopes: Vec<&TxEnvelope> = open.txs.iter().map(|p| &p.envelope).collect();
    let mut meta = Meta::with_capacity(records.len() + messages.len());
    for (cid, m) in &messages {
        meta.push((msg_key(cid), Some(serde_json::to_vec(m)?)));
    }
    // A transaction's hash is already known: no need to hash its raw bytes again.
    for (p, r) in open.txs.iter().zip(&records) {
        meta.push((tx_key(&p.hash), Some(serde_json::to_vec(r)?)));
    }
    Ok(Assembled {
        transactions_root: calculate_transaction_root(&envelopes),
        receipts_root: calculate_receipt_root(&receipts),
        records,
        messages,
        bloom,
        gas_used: cumulative,
        meta,
    })
}

impl Node {
    pub(crate) fn mine_open_block(&self, inner: &mut Inner) -> anyhow::Result<Arc<MinedBlock>> {
        let parent = self.latest();
        self.open_block(inner, &parent);
        let open = inner.open.take().context("no open block")?;
        crate::eth_trie::before_flush(inner)?;
        let root = inner.chain.exec.flush()?;
        let job = crate::eth_trie::prepare(inner)?;
        let (eth_root, eth_meta, pending, block) =
            self.trie_beside_commit(inner, &root, job, &open)?;

        let network = &inner.chain.exec.machine.network;
        let base_fee = tokens_to_u256(&network.base_fee);
        let header = Header {
            parent_hash: parent.hash,
            ommers_hash: alloy_consensus::constants::EMPTY_OMMER_ROOT_HASH,
            beneficiary: Address::from(EthAddress::from_id(tandem_vm::builtin::REWARD_ACTOR_ID).0),
            state_root: eth_root,
            transactions_root: block.transactions_root,
            receipts_root: block.receipts_root,
            logs_bloom: block.bloom,
            difficulty: U256::ZERO,
            number: open.number,
            gas_limit: BLOCK_GAS_LIMIT,
            gas_used: block.gas_used,
            timestamp: open.timestamp,
            extra_data: Bytes::new(),
            mix_hash: B256::from(network.prev_randao),
            nonce: B64::ZERO,
            base_fee_per_gas: Some(base_fee.try_into().unwrap_or(u64::MAX)),
            withdrawals_root: Some(alloy_trie_empty_root()),
            blob_gas_used: Some(open.txs.iter().map(|p| blob_gas(&p.envelope)).sum()),
            excess_blob_gas: Some(self.next_excess_blob_gas(&parent)),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: crate::shapes::requests_hash(self.hardfork()),
            ..Default::default()
        };
        let record = BlockRecord {
            hash: header.hash_slow(),
            header,
            state: root.to_string(),
            txs: open.txs.iter().map(|p| p.hash).collect(),
            messages: open.messages.iter().map(|(c, _)| c.clone()).collect(),
        };
        let mut meta = block_meta(&record)?;
        meta.extend(eth_meta);
        meta.extend(block.meta);
        for (id, status) in &open.async_statuses {
            meta.push((
                crate::lane::async_key(*id),
                Some(serde_json::to_vec(status)?),
            ));
        }
        inner.chain.finish_commit(pending, meta)?;
        tracing::info!(
            target: "tandem::node",
            "block {} mined: {} txs, gas used {}, hash {}",
            record.number(),
            record.txs.len(),
            record.header.gas_used,
            record.hash
        );
        self.set_latest(record.clone());
        let mined = Arc::new(MinedBlock {
            record,
            txs: block.records,
            messages: block.messages,
        });
        // No subscribers is not an error.
        let _ = self.events.send(mined.clone());
        Ok(mined)
    }

    /// The trie update (offered to the trie worker when it is large), the commit's walk and
    /// the block's records; returns the Ethereum state root, the trie's meta entries, the
    /// begun commit and the records.
    fn trie_beside_commit(
        &self,
        inner: &mut Inner,
        root: &Cid,
        job: Job,
        open: &OpenBlock,
    ) -> anyhow::Result<(B256, Meta, PendingCommit, Assembled)> {
        if job.needs_state() {
            // A full build reads the state: before the walk takes its blocks.
            let (eth_root, meta) = crate::eth_trie::finish(inner, root, job.run(&self.store))?;
            let pending = inner.chain.begin_commit()?;
            return Ok((eth_root, meta, pending, assemble(open)?));
        }
        let running = if job.size() >= PARALLEL_TRIE_MIN
            && PARALLEL_TRIE.load(std::sync::atomic::Ordering::Relaxed)
        {
            Running::Offered(self.trie_worker.offer(job, &self.store))
        } else {
            Running::Inline(job)
        };
        let pending = inner.chain.begin_commit()?;
        if pending.root() != *root {
            anyhow::bail!("the state changed between the flush and the commit");
        }
        let block = assemble(open)?;
        let done = match running {
            Running::Offered(offered) => offered.finish(&self.store),
            Running::Inline(job) => job.run(&self.store),
        };
        if done.needs_state() {
            // The update failed and the trie is rebuilt from the state: give the walk's
            // blocks back first, then walk again (the state has not changed).
            inner.chain.abandon_commit(pending);
            let (eth_root, meta) = crate::eth_trie::finish(inner, root, done)?;
            return Ok((eth_root, meta, inner.chain.begin_commit()?, block));
        }
        let (eth_root, meta) = crate::eth_trie::finish(inner, root, done)?;
        Ok((eth_root, meta, pending, block))
    }
}

/// Where a block's trie update runs.
enum Running {
    Offered(crate::trie_worker::Offered),
    Inline(Job),
}
