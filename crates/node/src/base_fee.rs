//! The EIP-1559 base-fee controller: each block's base fee follows from its parent's gas
//! used against the gas target (half the gas limit), moving at most 1/8 per block; or a
//! constant, when `tandem node --base-fee` pins it.
//!
//! The blob base fee (EIP-4844) follows the header's `excessBlobGas`, which grows by the
//! blob gas a block uses above the fork's target and shrinks below it; from Osaka on,
//! EIP-7918 keeps blobs from getting cheaper than their execution cost: while
//! `BLOB_BASE_COST × base fee` exceeds `GAS_PER_BLOB × blob base fee`, a block's blob gas
//! adds to the excess (scaled by `(max − target) / max`) without the target subtracted.
//! The fork's parameters are alloy's `BlobParams` (Cancun 3/6, Prague and Osaka 6/9).

/// The gas limit is twice the target (EIP-1559's elasticity multiplier).
pub const ELASTICITY: u64 = 2;
/// The base fee moves at most 1/8 per block.
pub const CHANGE_DENOMINATOR: u128 = 8;
/// The base fee of block 0 (and of the first block after a chain is created), as anvil.
pub const INITIAL_BASE_FEE: u64 = 1_000_000_000;

/// How a chain's base fee is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaseFeeRule {
    /// EIP-1559: from the parent block's base fee and gas used.
    #[default]
    Eip1559,
    /// Every block has this base fee (`--base-fee`).
    Pinned(u64),
}

impl BaseFeeRule {
    /// The rule `--base-fee` asks for: pinned to a fee, or EIP-1559 without it.
    pub fn from_pin(pin: Option<u64>) -> Self {
        pin.map_or(BaseFeeRule::Eip1559, BaseFeeRule::Pinned)
    }

    /// The base fee of the block after a parent with this base fee, gas used and limit.
    pub fn next(self, parent_base_fee: u64, parent_gas_used: u64, parent_gas_limit: u64) -> u64 {
        match self {
            BaseFeeRule::Pinned(fee) => fee,
            BaseFeeRule::Eip1559 => {
                next_base_fee(parent_base_fee, parent_gas_used, parent_gas_limit)
            }
        }
    }
}

/// EIP-1559's rule: at the target the fee stays; above it the fee rises by
/// `fee × (used − target) / target / 8`, at least 1 wei; below it it falls by
/// `fee × (target − used) / target / 8`. Computed in u128, so nothing overflows.
pub fn next_base_fee(parent_base_fee: u64, gas_used: u64, gas_limit: u64) -> u64 {
    let target = (gas_limit / ELASTICITY) as u128;
    let fee = parent_base_fee as u128;
    let used = gas_used as u128;
    if target == 0 || used == target {
        return parent_base_fee;
    }
    if used > target {
        let delta = (fee * (used - target) / target / CHANGE_DENOMINATOR).max(1);
        (fee + delta).min(u64::MAX as u128) as u64
    } else {
        let delta = fee * (target - used) / target / CHANGE_DENOMINATOR;
        (fee - delta) as u64
    }
}

impl crate::node::Node {
    /// The base fee of the block a transaction sent now lands in: the open block's, or the
    /// one the next block will have.
    pub fn base_fee(&self) -> u128 {
        let lock = self.lock();
        if lock.open.is_some() {
            let fee =
                tandem_evm::address::tokens_to_u256(&lock.chain.exec.machine.network.base_fee);
            return fee.try_into().unwrap_or(u128::MAX);
        }
        drop(lock);
        self.next_base_fee(&self.latest()) as u128
    }

    /// The base fee of the block after `parent`.
    pub fn next_base_fee(&self, parent: &crate::blocks::BlockRecord) -> u64 {
        let h = &parent.header;
        self.base_fee_rule.next(
            h.base_fee_per_gas.unwrap_or(INITIAL_BASE_FEE),
            h.gas_used,
            h.gas_limit,
        )
    }
}

/// The blob parameters of a fork.
pub fn blob_params(fork: tandem_vm::kernel::Hardfork) -> alloy_eips::eip7840::BlobParams {
    use alloy_eips::eip7840::BlobParams;
    use tandem_vm::kernel::Hardfork;
    match fork {
        Hardfork::Cancun => BlobParams::cancun(),
        Hardfork::Prague => BlobParams::prague(),
        Hardfork::Osaka => BlobParams::osaka(),
    }
}

/// The `excessBlobGas` of the block after a parent with these fields, under `fork`
/// (EIP-4844, with EIP-7918's floor from Osaka on).
pub fn next_excess_blob_gas(
    fork: tandem_vm::kernel::Hardfork,
    parent_excess: u64,
    parent_blob_gas_used: u64,
    parent_base_fee: u64,
) -> u64 {
    blob_params(fork).next_block_excess_blob_gas_osaka(
        parent_excess,
        parent_blob_gas_used,
        parent_base_fee,
    )
}

/// The blob base fee of a block with `excess` blob gas.
pub fn blob_base_fee(fork: tandem_vm::kernel::Hardfork, excess: u64) -> u128 {
    blob_params(fork).calc_blob_fee(excess)
}

impl crate::node::Node {
    /// The `excessBlobGas` of the block after `parent`.
    pub fn next_excess_blob_gas(&self, parent: &crate::blocks::BlockRecord) -> u64 {
        let h = &parent.header;
        next_excess_blob_gas(
            self.hardfork(),
            h.excess_blob_gas.unwrap_or(0),
            h.blob_gas_used.unwrap_or(0),
            h.base_fee_per_gas.unwrap_or(INITIAL_BASE_FEE),
        )
    }

    /// The blob base fee of the block after `parent`.
    pub fn next_blob_base_fee(&self, parent: &crate::blocks::BlockRecord) -> u128 {
        blob_base_fee(self.hardfork(), self.next_excess_blob_gas(parent))
    }

    /// The blob base fee of a mined block (what its blob transactions paid).
    pub fn blob_base_fee_of(&self, block: &crate::blocks::BlockRecord) -> u128 {
        blob_base_fee(self.hardfork(), block.header.excess_blob_gas.unwrap_or(0))
    }

    /// The blob base fee of the block a transaction sent now lands in.
    pub fn blob_base_fee(&self) -> u128 {
        let lock = self.lock();
        if lock.open.is_some() {
            let fee =
                tandem_evm::address::tokens_to_u256(&lock.chain.exec.machine.network.blob_base_fee);
            return fee.try_into().unwrap_or(u128::MAX);
        }
        drop(lock);
        self.next_blob_base_fee(&self.latest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_eip_1559() {
        let limit = 30_000_000;
        // At the target: unchanged.
        assert_eq!(
            next_base_fee(1_000_000_000, 15_000_000, limit),
            1_000_000_000
        );
        // Empty: down 1/8.
        assert_eq!(next_base_fee(1_000_000_000, 0, limit), 875_000_000);
        // Full: up 1/8.
        assert_eq!(next_base_fee(1_000_000_000, limit, limit), 1_125_000_000);
        // A plain transfer in a block: 21,000 of a 15M target.
        assert_eq!(
            next_base_fee(1_000_000_000, 21_000, limit),
            1_000_000_000 - 1_000_000_000u64 * (15_000_000 - 21_000) / 15_000_000 / 8
        );
        // Rising from a tiny fee still rises by at least 1 wei.
        assert_eq!(next_base_fee(7, 15_000_001, limit), 8);
        // Empty blocks bottom out where 1/8 rounds to nothing.
        let mut fee = 1_000_000_000;
        for _ in 0..400 {
            fee = next_base_fee(fee, 0, limit);
        }
        assert_eq!(fee, 7);
        assert_eq!(next_base_fee(0, limit, limit), 1);
        assert_eq!(next_base_fee(u64::MAX, limit, limit), u64::MAX);
        assert_eq!(BaseFeeRule::Pinned(5).next(1_000, limit, limit), 5);
    }

    #[test]
    fn blob_excess_follows_eip_4844_and_eip_7918() {
        use tandem_vm::kernel::Hardfork::{Cancun, Osaka, Prague};
        const BLOB: u64 = 131_072;
        // Below the target the excess drains to zero, on every fork.
        for fork in [Cancun, Prague, Osaka] {
            assert_eq!(next_excess_blob_gas(fork, 0, BLOB, 1_000_000_000), 0);
        }
        // Cancun's target is 3 blobs, Prague's 6: six blobs add three to Cancun's excess
        // and nothing to Prague's.
        assert_eq!(
            next_excess_blob_gas(Cancun, 0, 6 * BLOB, 1_000_000_000),
            3 * BLOB
        );
        assert_eq!(next_excess_blob_gas(Prague, 0, 6 * BLOB, 1_000_000_000), 0);
        assert_eq!(
            next_excess_blob_gas(Prague, 0, 9 * BLOB, 1_000_000_000),
            3 * BLOB
        );
        // Osaka (EIP-7918): with blobs cheaper than 2^13 gas of execution at the base fee,
        // the excess grows by used × (9 − 6) / 9 and the target is not subtracted.
        assert_eq!(
            next_excess_blob_gas(Osaka, 0, 6 * BLOB, 1_000_000_000),
            2 * BLOB
        );
        assert_eq!(
            next_excess_blob_gas(Osaka, 0, 9 * BLOB, 1_000_000_000),
            3 * BLOB
        );
        // At a base fee low enough that blobs already pay their execution cost, Osaka
        // is EIP-4844 again: 8192 × 15 < 131072 × 1.
        assert_eq!(next_excess_blob_gas(Osaka, 0, 6 * BLOB, 15), 0);
        assert_eq!(next_excess_blob_gas(Osaka, 0, 9 * BLOB, 15), 3 * BLOB);
        // The fee: 1 wei at no excess, rising exponentially with it.
        assert_eq!(blob_base_fee(Osaka, 0), 1);
        assert!(blob_base_fee(Osaka, 100 * 5_007_716) > 1_000_000_000);
        assert!(blob_base_fee(Cancun, 10 * 3_338_477) > blob_base_fee(Osaka, 10 * 3_338_477));
    }
}
