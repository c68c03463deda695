//! The documented DAG-CBOR mapping, from the caller's side: Solidity-typed values to the
//! params of a native build, and its replies back. One implementation, the harness's (the
//! `tandem test` runner uses it too); `Dual` tells it how the two builds name an actor.

pub use tandem_lang_harness::native::cbor::*;

use super::Dual;
use alloy_primitives::Address;

impl AddressMap for Dual {
    fn native_word(&self, a: Address) -> Address {
        Dual::native_word(self, a)
    }

    fn harness_word(&self, a: Address) -> Address {
        self.evm_word(a)
    }
}
