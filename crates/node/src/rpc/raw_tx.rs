//! Decoding `eth_sendRawTransaction`'s bytes: an error that says what is wrong with them, and
//! blob transactions' sidecars checked and dropped.
//!
//! A blob transaction may arrive in its network form, with a sidecar of blobs, KZG commitments
//! and proofs. The sidecar must match the versioned hashes (as counts, as hashes of the
//! commitments, and by the proofs), as a transaction pool checks it; a block keeps the
//! consensus form, so the sidecar is dropped once checked (the transaction's hash does not
//! cover it).

use alloy_consensus::transaction::RlpEcdsaDecodableTx;
use alloy_consensus::{Signed, TxEip4844Variant, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::eip4844::env_settings::EnvKzgSettings;
use alloy_primitives::Address;
use tandem_evm::tx::TxError;

use crate::error::{RpcError, RpcResult};

fn malformed(what: String) -> RpcError {
    RpcError::from_tx(&TxError::Malformed(what), &Address::ZERO)
}

/// The signed transaction in `raw` (EIP-2718: a legacy RLP list, or a type byte and its
/// payload), in its consensus form.
pub fn decode(raw: &[u8]) -> RpcResult<TxEnvelope> {
    let Some(&first) = raw.first() else {
        return Err(malformed("no bytes".into()));
    };
    let mut buf = raw;
    let env = match first {
        0xc0.. => TxLegacy::rlp_decode_signed(&mut buf)
            .map(TxEnvelope::Legacy)
            .map_err(|e| malformed(format!("legacy transaction: {e}")))?,
        0x80..=0xbf => {
            return Err(malformed(
                "an RLP string where a transaction (a list or a type byte) belongs".into(),
            ));
        }
        ty => TxEnvelope::decode_2718(&mut buf)
            .map_err(|e| malformed(format!("type {ty} transaction: {e}")))?,
    };
    if !buf.is_empty() {
        return Err(RpcError::server(format!(
            "invalid transaction: {} trailing bytes",
            buf.len()
        )));
    }
    // Type 4 (EIP-7702) goes on to the EVM, which refuses it before Prague.
    if env.tx_type() as u8 > 4 {
        return Err(RpcError::server(format!(
            "transaction type not supported: {}",
            env.tx_type() as u8
        )));
    }
    without_sidecar(env)
}

/// A blob transaction's sidecar checked against its versioned hashes, then dropped.
fn without_sidecar(env: TxEnvelope) -> RpcResult<TxEnvelope> {
    let TxEnvelope::Eip4844(signed) = env else {
        return Ok(env);
    };
    let (tx, sig, hash) = signed.into_parts();
    let tx = match tx {
        TxEip4844Variant::TxEip4844WithSidecar(with) => {
            with.sidecar
                .validate(
                    &with.tx.blob_versioned_hashes,
                    EnvKzgSettings::Default.get(),
                )
                .map_err(|e| RpcError::server(format!("invalid blob sidecar: {e}")))?;
            TxEip4844Variant::TxEip4844(with.tx)
        }
        plain => plain,
    };
    Ok(TxEnvelope::Eip4844(Signed::new_unchecked(tx, sig, hash)))
}
