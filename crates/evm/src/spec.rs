//! The hardfork's rules as the EVM runtime needs them: revm's `SpecId`, gas parameters and
//! precompile set, the blob schedule, and the transaction-level limits that changed with
//! Prague (EIP-7623, EIP-7691, EIP-7702) and Osaka (EIP-7825, EIP-7594).
//!
//! The fork is a runtime setting carried by the block's [`NetworkContext`]
//! (`tandem_vm::kernel::Hardfork`, Osaka unless set); everything here is a lookup of constant
//! tables, one per fork, built once.

use std::sync::OnceLock;

use revm::context_interface::cfg::GasParams;
use revm::precompile::{PrecompileSpecId, Precompiles};
use revm::primitives::hardfork::SpecId;
pub use tandem_vm::kernel::Hardfork;

/// revm's spec for a fork.
pub fn spec_id(fork: Hardfork) -> SpecId {
    match fork {
        Hardfork::Cancun => SpecId::CANCUN,
        Hardfork::Prague => SpecId::PRAGUE,
        Hardfork::Osaka => SpecId::OSAKA,
    }
}

fn index(fork: Hardfork) -> usize {
    match fork {
        Hardfork::Cancun => 0,
        Hardfork::Prague => 1,
        Hardfork::Osaka => 2,
    }
}

/// revm's gas parameters for a fork (built once per fork).
pub fn gas_params(fork: Hardfork) -> &'static GasParams {
    static TABLES: [OnceLock<GasParams>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    TABLES[index(fork)].get_or_init(|| GasParams::new_spec(spec_id(fork)))
}

/// The Ethereum precompiles of a fork: Cancun's 0x01–0x0a; Prague adds BLS12-381
/// (0x0b–0x11, EIP-2537); Osaka adds P256VERIFY (0x100, EIP-7951) and bounds and reprices
/// MODEXP (EIP-7823, EIP-7883).
pub fn precompiles(fork: Hardfork) -> &'static Precompiles {
    Precompiles::new(PrecompileSpecId::from_spec_id(spec_id(fork)))
}

/// The addresses of [`precompiles`], sorted: warm in every Ethereum transaction (EIP-2929).
pub fn precompile_addresses(fork: Hardfork) -> &'static [[u8; 20]] {
    static ADDRESSES: [OnceLock<Vec<[u8; 20]>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    ADDRESSES[index(fork)].get_or_init(|| {
        let mut all: Vec<[u8; 20]> = precompiles(fork)
            .addresses()
            .map(|a| a.into_array())
            .collect();
        all.sort();
        all
    })
}

/// EIP-4844's per-block blob parameters as a fork sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobSchedule {
    /// Target blobs per block.
    pub target: u64,
    /// Maximum blobs per block.
    pub max_per_block: u64,
    /// Maximum blobs per transaction (EIP-7594 caps it at 6 from Osaka on).
    pub max_per_tx: u64,
    /// The denominator of the blob base fee's exponential.
    pub update_fraction: u128,
}

/// Cancun: 3/6 (EIP-4844); Prague and Osaka: 6/9 (EIP-7691), Osaka with at most 6 per
/// transaction (EIP-7594).
pub fn blob_schedule(fork: Hardfork) -> BlobSchedule {
    match fork {
        Hardfork::Cancun => BlobSchedule {
            target: 3,
            max_per_block: 6,
            max_per_tx: 6,
            update_fraction: 3_338_477,
        },
        Hardfork::Prague => BlobSchedule {
            target: 6,
            max_per_block: 9,
            max_per_tx: 9,
            update_fraction: 5_007_716,
        },
        Hardfork::Osaka => BlobSchedule {
            target: 6,
            max_per_block: 9,
            max_per_tx: 6,
            update_fraction: 5_007_716,
        },
    }
}

/// EIP-7825 (Osaka): no transaction may ask for more gas than this.
pub const TX_GAS_LIMIT_CAP: u64 = 1 << 24;

/// The per-transaction gas cap of a fork, if it has one.
pub fn tx_gas_cap(fork: Hardfork) -> Option<u64> {
    (fork >= Hardfork::Osaka).then_some(TX_GAS_LIMIT_CAP)
}

/// The most gas one transaction may have: the block's limit, and from Osaka on at most
/// [`TX_GAS_LIMIT_CAP`] (what calls and estimates without a limit run with).
pub fn max_tx_gas(fork: Hardfork, block_gas_limit: u64) -> u64 {
    tx_gas_cap(fork).map_or(block_gas_limit, |cap| cap.min(block_gas_limit))
}

/// Whether EIP-7702 set-code transactions (type 4) and delegation designators exist.
pub fn has_set_code(fork: Hardfork) -> bool {
    fork >= Hardfork::Prague
}

/// EIP-7702: intrinsic gas per authorization, and what is refunded for one whose authority
/// already existed.
pub const PER_EMPTY_ACCOUNT_COST: u64 = 25_000;
pub const PER_AUTH_BASE_COST: u64 = 12_500;

/// EIP-7623 (Prague): the calldata floor, `21,000 + 10 × tokens` where a zero byte is one
/// token and any other byte four; zero before Prague.
pub fn calldata_floor(fork: Hardfork, input: &[u8]) -> u64 {
    if fork < Hardfork::Prague {
        return 0;
    }
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    let tokens = zeros + 4 * (input.len() as u64 - zeros);
    21_000 + 10 * tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Address;

    #[test]
    fn precompile_sets_grow_with_the_fork() {
        let bls = Address::with_last_byte(0x0b);
        let p256 = Address::left_padding_from(&[0x01, 0x00]);
        assert!(!precompiles(Hardfork::Cancun).contains(&bls));
        assert!(precompiles(Hardfork::Prague).contains(&bls));
        assert!(!precompiles(Hardfork::Prague).contains(&p256));
        assert!(precompiles(Hardfork::Osaka).contains(&p256));
        assert_eq!(precompile_addresses(Hardfork::Cancun).len(), 10);
        assert_eq!(precompile_addresses(Hardfork::Prague).len(), 17);
        assert_eq!(precompile_addresses(Hardfork::Osaka).len(), 18);
    }

    #[test]
    fn floor_and_caps() {
        assert_eq!(calldata_floor(Hardfork::Cancun, &[1, 0]), 0);
        assert_eq!(calldata_floor(Hardfork::Prague, &[1, 0]), 21_000 + 50);
        assert_eq!(tx_gas_cap(Hardfork::Prague), None);
        assert_eq!(tx_gas_cap(Hardfork::Osaka), Some(16_777_216));
        assert_eq!(
            gas_params(Hardfork::Prague).tx_eip7702_auth_refund_regular(),
            12_500
        );
        assert_eq!("Fusaka".parse::<Hardfork>(), Ok(Hardfork::Osaka));
        assert_eq!(Hardfork::default(), Hardfork::Osaka);
    }
}
