//! secp256k1 public-key recovery (k256), shared by signature checks and the kernel.

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};

/// Recovers the uncompressed public key from a 32-byte prehash and a 65-byte r‖s‖v signature.
pub fn recover_secp256k1(hash: &[u8; 32], sig: &[u8; 65]) -> anyhow::Result<[u8; 65]> {
    let signature =
        Signature::from_slice(&sig[..64]).map_err(|e| anyhow::anyhow!("invalid signature: {e}"))?;
    let recid = RecoveryId::from_byte(sig[64])
        .ok_or_else(|| anyhow::anyhow!("invalid recovery id {}", sig[64]))?;
    let key = VerifyingKey::recover_from_prehash(hash, &signature, recid)
        .map_err(|e| anyhow::anyhow!("recovery failed: {e}"))?;
    let point = key.to_encoded_point(false);
    let mut out = [0u8; 65];
    out.copy_from_slice(point.as_bytes());
    Ok(out)
}
