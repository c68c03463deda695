//! FRC-0042 method numbers, computed with the field's `frc42_dispatch` resolver over
//! blake2b-512.

use frc42_dispatch::hasher::hash::{Hasher, MethodResolver};
use multihash_codetable::{Code, MultihashDigest};

struct Blake2b512;

impl Hasher for Blake2b512 {
    fn hash(&self, bytes: &[u8]) -> Vec<u8> {
        Code::Blake2b512.digest(bytes).digest().to_vec()
    }
}

/// The FRC-0042 method number of a method name (`Constructor` is 1).
pub fn method_number(name: &str) -> anyhow::Result<u64> {
    MethodResolver::new(Blake2b512)
        .method_number(name)
        .map_err(|e| anyhow::anyhow!("invalid method name {name:?}: {e}"))
}

/// "InvokeEVM": the method under which actors receive Solidity-ABI calldata.
pub const INVOKE_EVM: u64 = 3_844_450_837;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_frc42_vectors() {
        assert_eq!(method_number("Transfer").unwrap(), 80_475_954);
        assert_eq!(method_number("BalanceOf").unwrap(), 2_266_030_508);
        assert_eq!(method_number("InvokeEVM").unwrap(), INVOKE_EVM);
        assert_eq!(method_number("Constructor").unwrap(), 1);
        assert!(method_number("lower").is_err());
    }
}
