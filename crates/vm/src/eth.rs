//! Ethereum addresses in Tandem: f410 delegated addresses for Ethereum accounts and
//! contracts, and `0xff‖0…0‖id` masked IDs for every other actor.

use fvm_shared::address::{Address, Payload};

use crate::ActorID;
use crate::builtin::EAM_ACTOR_ID;

/// A 20-byte Ethereum address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EthAddress(pub [u8; 20]);

const MASK_PREFIX: [u8; 12] = [0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

impl EthAddress {
    pub const ZERO: EthAddress = EthAddress([0; 20]);

    /// The masked form of an actor ID.
    pub fn from_id(id: ActorID) -> Self {
        let mut bytes = [0u8; 20];
        bytes[..12].copy_from_slice(&MASK_PREFIX);
        bytes[12..].copy_from_slice(&id.to_be_bytes());
        EthAddress(bytes)
    }

    /// The actor ID, if this is a masked ID address.
    pub fn as_id(&self) -> Option<ActorID> {
        if self.0[..12] == MASK_PREFIX {
            Some(u64::from_be_bytes(
                self.0[12..].try_into().expect("8 bytes"),
            ))
        } else {
            None
        }
    }

    /// The Filecoin address to send to: an ID address for masked IDs, otherwise f410.
    pub fn to_filecoin(&self) -> Address {
        match self.as_id() {
            Some(id) => Address::new_id(id),
            None => Address::new_delegated(EAM_ACTOR_ID, &self.0).expect("20 bytes fit"),
        }
    }

    /// The Ethereum address of an f410 address.
    pub fn from_delegated(addr: &Address) -> Option<Self> {
        match addr.payload() {
            Payload::Delegated(d) if d.namespace() == EAM_ACTOR_ID => {
                Some(EthAddress(d.subaddress().try_into().ok()?))
            }
            _ => None,
        }
    }

    /// Precompile addresses (0x00…01 to 0x00…ff) are never actors.
    pub fn is_precompile_range(&self) -> bool {
        self.0[..19].iter().all(|b| *b == 0) && self.0[19] != 0
    }
}

impl std::fmt::Display for EthAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{}", hex_lower(&self.0))
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_ids_round_trip() {
        let a = EthAddress::from_id(1234);
        assert_eq!(a.as_id(), Some(1234));
        assert_eq!(a.to_filecoin(), Address::new_id(1234));
    }

    #[test]
    fn f410_round_trip() {
        let a = EthAddress([7u8; 20]);
        let f4 = a.to_filecoin();
        assert_eq!(EthAddress::from_delegated(&f4), Some(a));
    }
}
