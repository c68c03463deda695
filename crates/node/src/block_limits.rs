//! What one block may hold. A transaction that would not fit the open block makes the node
//! mine it first, so every block keeps to:
//! - user gas at most the block gas limit (system calls and the system lane run on gas of
//!   their own);
//! - blob gas at most the fork's maximum (EIP-4844: 6 blobs, EIP-7691: 9 from Prague on);
//! - from Osaka on, an RLP-encoded block of at most `MAX_RLP_BLOCK_SIZE` bytes (EIP-7934:
//!   10 MiB less a 2 MiB margin for the consensus layer's wrapping). A transaction too big
//!   for an empty block is refused.
//!
//! With a 30M block gas limit, EIP-7623's calldata floor (10 gas a zero byte) keeps a block
//! under about 3 MB, so the size cap cannot bind before the gas limit does; it is kept so that
//! the rule holds whatever the limits become, and is tested on the encoding itself.

use alloy_consensus::TxEnvelope;
use alloy_eips::eip4844::DATA_GAS_PER_BLOB;
use alloy_rlp::Encodable;
use tandem_vm::kernel::Hardfork;

use crate::node::{BLOCK_GAS_LIMIT, Inner, Node, OpenBlock};

/// EIP-7934: the largest block, and the margin left for the consensus layer's wrapping.
pub const MAX_BLOCK_SIZE: usize = 10 * 1024 * 1024;
pub const SAFETY_MARGIN: usize = 2 * 1024 * 1024;
pub const MAX_RLP_BLOCK_SIZE: usize = MAX_BLOCK_SIZE - SAFETY_MARGIN;
/// More than the RLP length of any header the node writes (about 600 bytes with every
/// field up to Prague's `requestsHash`): the header is only made when the block is mined.
pub const HEADER_BOUND: usize = 1024;

/// What a transaction or message asks of a block.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    pub gas: u64,
    pub blob_gas: u64,
    /// Its length inside the block's RLP (0 for native messages: they are not in the
    /// Ethereum block's transaction list).
    pub bytes: usize,
}

impl Needs {
    pub fn of_tx(envelope: &TxEnvelope, gas_limit: u64) -> Self {
        Self {
            gas: gas_limit,
            blob_gas: crate::shapes::blob_gas(envelope),
            bytes: envelope.length(),
        }
    }

    pub fn of_message(gas_limit: u64) -> Self {
        Self {
            gas: gas_limit,
            ..Self::default()
        }
    }
}

/// The length of an RLP list header for a payload of `payload` bytes.
fn list_header(payload: usize) -> usize {
    alloy_rlp::length_of_length(payload)
}

/// The RLP length of a block with a header of `header_len` bytes (its own list header
/// included), transactions of `txs_len` bytes (each as it sits in the list), no ommers
/// and an empty withdrawals list: `[header, [txs…], [], []]`.
pub fn rlp_block_size(header_len: usize, txs_len: usize) -> usize {
    let payload = header_len + list_header(txs_len) + txs_len + 1 + 1;
    list_header(payload) + payload
}

/// The most blob gas a block may use under `fork`.
pub fn max_blob_gas(fork: Hardfork) -> u64 {
    tandem_evm::spec::blob_schedule(fork).max_per_block * DATA_GAS_PER_BLOB
}

/// Whether `needs` fits in a block that already holds `open`.
pub(crate) fn fits(open: &OpenBlock, needs: &Needs, fork: Hardfork) -> bool {
    open.user_gas.saturating_add(needs.gas) <= BLOCK_GAS_LIMIT
        && open.blob_gas.saturating_add(needs.blob_gas) <= max_blob_gas(fork)
        && (fork < Hardfork::Osaka
            || rlp_block_size(HEADER_BOUND, open.tx_bytes + needs.bytes) <= MAX_RLP_BLOCK_SIZE)
}

/// Why `needs` fits in no block at all, if it does not (checked on an empty block).
pub fn too_big(needs: &Needs, fork: Hardfork) -> Option<String> {
    (fork >= Hardfork::Osaka && rlp_block_size(HEADER_BOUND, needs.bytes) > MAX_RLP_BLOCK_SIZE)
        .then(|| {
            format!(
                "transaction of {} bytes does not fit a block of at most {MAX_RLP_BLOCK_SIZE} \
                 RLP bytes (EIP-7934)",
                needs.bytes
            )
        })
}

impl Node {
    /// Mines the open block first if `needs` would not fit it, so no block breaks the
    /// limits above. A block with nothing of the user's in it is never mined early.
    pub(crate) fn make_room(&self, inner: &mut Inner, needs: &Needs) -> anyhow::Result<()> {
        let fork = self.hardfork();
        let full = inner
            .open
            .as_ref()
            .is_some_and(|o| o.user_count > 0 && !fits(o, needs, fork));
        if full {
            self.mine_locked(inner)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Block, BlockBody, Header, Signed, TxLegacy};
    use alloy_primitives::{Bytes, Signature, TxKind, U256};

    /// An open block holding `tx_bytes` of transactions using `blob_gas`.
    fn open_block(tx_bytes: usize, blob_gas: u64) -> OpenBlock {
        OpenBlock {
            number: 1,
            timestamp: 0,
            txs: Vec::new(),
            messages: Vec::new(),
            user_gas: 0,
            user_count: 1,
            blob_gas,
            tx_bytes,
            async_statuses: Vec::new(),
        }
    }

    fn tx(input: usize) -> TxEnvelope {
        let tx = TxLegacy {
            chain_id: Some(31337),
            gas_limit: 21_000,
            to: TxKind::Call(Default::default()),
            value: U256::from(1),
            input: Bytes::from(vec![7u8; input]),
            ..Default::default()
        };
        let sig = Signature::new(U256::from(1), U256::from(2), false);
        TxEnvelope::Legacy(Signed::new_unchecked(tx, sig, Default::default()))
    }

    #[test]
    fn the_size_is_the_encoded_block_size() {
        let header = Header {
            base_fee_per_gas: Some(1),
            withdrawals_root: Some(Default::default()),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(Default::default()),
            requests_hash: Some(Default::default()),
            ..Default::default()
        };
        assert!(header.length() < HEADER_BOUND, "{}", header.length());
        for sizes in [vec![], vec![0], vec![10, 100_000], vec![60_000; 40]] {
            let txs: Vec<TxEnvelope> = sizes.iter().map(|&n| tx(n)).collect();
            let txs_len: usize = txs.iter().map(Encodable::length).sum();
            let block = Block {
                header: header.clone(),
                body: BlockBody {
                    transactions: txs,
                    ommers: Vec::new(),
                    withdrawals: Some(Default::default()),
                },
            };
            let mut out = Vec::new();
            block.encode(&mut out);
            assert_eq!(rlp_block_size(header.length(), txs_len), out.len());
        }
    }

    #[test]
    fn osaka_caps_the_block_size() {
        let big = Needs {
            bytes: MAX_RLP_BLOCK_SIZE,
            ..Needs::default()
        };
        assert!(too_big(&big, Hardfork::Osaka).is_some());
        assert!(too_big(&big, Hardfork::Prague).is_none());
        let half = Needs {
            bytes: MAX_RLP_BLOCK_SIZE / 2,
            ..Needs::default()
        };
        assert!(too_big(&half, Hardfork::Osaka).is_none());
        let open = open_block(MAX_RLP_BLOCK_SIZE / 2, 0);
        assert!(!fits(&open, &half, Hardfork::Osaka));
        assert!(fits(&open, &half, Hardfork::Prague));
        let small = Needs {
            bytes: 1000,
            ..Needs::default()
        };
        assert!(fits(&open, &small, Hardfork::Osaka));
    }

    #[test]
    fn blob_gas_is_capped_per_fork() {
        let six = Needs {
            blob_gas: 6 * DATA_GAS_PER_BLOB,
            ..Needs::default()
        };
        let open = open_block(0, 3 * DATA_GAS_PER_BLOB);
        // Cancun: 6 blobs a block; Prague and Osaka: 9.
        assert!(!fits(&open, &six, Hardfork::Cancun));
        assert!(fits(&open, &six, Hardfork::Prague));
        assert!(fits(&open, &six, Hardfork::Osaka));
        let open = open_block(0, 4 * DATA_GAS_PER_BLOB);
        assert!(!fits(&open, &six, Hardfork::Osaka));
    }
}
