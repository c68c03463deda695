//! The EIP-1559 base-fee controller: each block's base fee follows from its parent's gas
//! used against the gas target (half the gas limit), moving at most 1/8 per block; or a
//! constant, when `tandem node --base-fee` pins it.

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
}
