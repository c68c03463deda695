//! Ethereum addresses and amounts in Tandem.
//!
//! - CREATE and CREATE2 addresses as Ethereum computes them (public so that the Ethereum
//!   address manager built-in computes the same ones).
//! - Conversions between revm's words and Tandem's types (f410 / masked-ID addresses,
//!   `TokenAmount` in attoFIL = wei).

use alloy_primitives::{Address, B256, U256, keccak256};
use fvm_shared::bigint::{BigInt, Sign};
use fvm_shared::econ::TokenAmount;
use tandem_vm::eth::EthAddress;

/// The address CREATE gives: `keccak256(rlp([sender, nonce]))[12..]`.
pub fn create_address(sender: &[u8; 20], nonce: u64) -> [u8; 20] {
    Address::from(*sender).create(nonce).into_array()
}

/// The address CREATE2 gives: `keccak256(0xff ‖ sender ‖ salt ‖ keccak256(init_code))[12..]`.
pub fn create2_address(sender: &[u8; 20], salt: &[u8; 32], init_code: &[u8]) -> [u8; 20] {
    create2_address_from_hash(sender, salt, &keccak256(init_code).0)
}

/// CREATE2 with the init-code hash already known.
pub fn create2_address_from_hash(
    sender: &[u8; 20],
    salt: &[u8; 32],
    init_code_hash: &[u8; 32],
) -> [u8; 20] {
    Address::from(*sender)
        .create2(B256::from(*salt), B256::from(*init_code_hash))
        .into_array()
}

/// A wei amount as attoFIL (1:1).
pub fn u256_to_tokens(value: U256) -> TokenAmount {
    if value.is_zero() {
        return TokenAmount::default();
    }
    // Every fee and almost every value fits: one small allocation instead of a byte-wise
    // conversion (which copies, reverses and regroups the 32 bytes).
    if let Ok(small) = u128::try_from(value) {
        return TokenAmount::from_atto(small);
    }
    let bytes: [u8; 32] = value.to_be_bytes();
    TokenAmount::from_atto(BigInt::from_bytes_be(Sign::Plus, &bytes))
}

/// An attoFIL amount as wei; negative amounts read as zero and amounts past 2^256 saturate.
pub fn tokens_to_u256(amount: &TokenAmount) -> U256 {
    let atto = amount.atto();
    if atto.sign() == Sign::Minus {
        return U256::ZERO;
    }
    // Limb by limb (little-endian u64 digits): no allocation on this per-frame path.
    let mut limbs = [0u64; 4];
    for (i, digit) in atto.magnitude().iter_u64_digits().enumerate() {
        match limbs.get_mut(i) {
            Some(limb) => *limb = digit,
            None => return U256::MAX,
        }
    }
    U256::from_limbs(limbs)
}

pub fn to_eth(addr: Address) -> EthAddress {
    EthAddress(addr.into_array())
}

pub fn from_eth(addr: EthAddress) -> Address {
    Address::from(addr.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_matches_known_vectors() {
        let sender: [u8; 20] = hex::decode("6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            hex::encode(create_address(&sender, 0)),
            "cd234a471b72ba2f1ccf0a70fcaba648a5eecd8d"
        );
        // EIP-1014 example 1: zero sender, zero salt, init code 0x00.
        assert_eq!(
            hex::encode(create2_address(&[0; 20], &[0; 32], &[0])),
            "4d1a2e2bb4f88f0250f26ffff098b0b30b26bf38"
        );
    }

    #[test]
    fn amounts_round_trip() {
        let wide = U256::from(u128::MAX) + U256::from(1u8);
        for v in [
            U256::ZERO,
            U256::from(1u8),
            U256::from(u128::MAX),
            wide,
            U256::MAX,
        ] {
            assert_eq!(tokens_to_u256(&u256_to_tokens(v)), v);
            // Both conversions (u128 and byte-wise) give the same amount.
            let bytes: [u8; 32] = v.to_be_bytes();
            let big = BigInt::from_bytes_be(Sign::Plus, &bytes);
            assert_eq!(u256_to_tokens(v), TokenAmount::from_atto(big));
        }
    }
}
