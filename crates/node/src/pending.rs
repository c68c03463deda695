//! The `pending` block: the block a transaction sent now would land in, as anvil serves it
//! for `eth_getBlockByNumber("pending")`: the latest block's number + 1 and hash as parent,
//! the timestamp and base fee it will get, and the transactions already waiting in it.

use alloy_consensus::{Header, TxEnvelope};
use alloy_primitives::{Address, B256, keccak256};

use crate::blocks::BlockRecord;
use crate::node::{BLOCK_GAS_LIMIT, Node};

/// The pending block and the transactions it holds so far (with their senders).
pub struct PendingBlock {
    pub record: BlockRecord,
    pub txs: Vec<(TxEnvelope, Address)>,
}

impl Node {
    /// The block a transaction sent now would land in. Its state is the latest block's (the
    /// waiting transactions' effects are not readable until mined); its hash is that of its
    /// header as it stands, so it changes as transactions arrive.
    pub fn pending_block(&self) -> anyhow::Result<PendingBlock> {
        let latest = self.latest();
        let (number, timestamp) = self.pending_env();
        let base_fee = self.base_fee();
        let (txs, gas_used): (Vec<(TxEnvelope, Address)>, u64) = {
            let inner = self.lock();
            match &inner.open {
                Some(open) => (
                    open.txs
                        .iter()
                        .map(|p| (p.envelope.clone(), p.from))
                        .collect(),
                    open.txs.iter().map(|p| p.receipt.gas_used).sum(),
                ),
                None => (Vec::new(), 0),
            }
        };
        let envelopes: Vec<&TxEnvelope> = txs.iter().map(|(e, _)| e).collect();
        let header = Header {
            parent_hash: latest.hash,
            ommers_hash: latest.header.ommers_hash,
            beneficiary: latest.header.beneficiary,
            state_root: latest.header.state_root,
            transactions_root: alloy_consensus::proofs::calculate_transaction_root(&envelopes),
            receipts_root: latest.header.receipts_root,
            number,
            gas_limit: BLOCK_GAS_LIMIT,
            gas_used,
            timestamp,
            mix_hash: keccak256(number.to_be_bytes()),
            base_fee_per_gas: Some(base_fee.try_into().unwrap_or(u64::MAX)),
            withdrawals_root: latest.header.withdrawals_root,
            blob_gas_used: Some(envelopes.iter().map(|e| crate::shapes::blob_gas(e)).sum()),
            excess_blob_gas: Some(self.next_excess_blob_gas(&latest)),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: crate::shapes::requests_hash(self.hardfork()),
            ..Default::default()
        };
        Ok(PendingBlock {
            record: BlockRecord {
                hash: header.hash_slow(),
                header,
                state: latest.state.clone(),
                txs: txs.iter().map(|(e, _)| *e.tx_hash()).collect(),
                messages: Vec::new(),
            },
            txs,
        })
    }
}
