//! Typed addresses and token amounts, with the encodings of fvm_shared's `Address` (a CBOR
//! byte string of the address bytes) and `TokenAmount` (a big integer: a byte string of a
//! sign byte and the big-endian magnitude, empty for zero).

use alloc::vec::Vec;

use crate::cbor::{Cbor, CborError, Reader, head};

/// An actor's ID (the payload of an `f0` address).
pub type ActorId = u64;

/// Why bytes are not an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressError {
    Empty,
    /// A protocol byte other than 0 (ID), 1 (secp256k1), 2 (actor), 3 (BLS), 4 (delegated).
    UnknownProtocol(u8),
    /// A payload of the wrong length for its protocol.
    Length,
    /// An ID or namespace that is not a minimal unsigned varint of at most 64 bits.
    Varint,
}

/// A Filecoin address as its bytes: the protocol byte, then the payload (an unsigned varint
/// ID for `f0`, a 20-byte hash for `f1`/`f2`, a 48-byte key for `f3`, a varint namespace and
/// up to 54 bytes for `f4`). Encodes as a CBOR byte string, like fvm_shared's `Address`.
///
/// An address that names no actor yet (an `f1` key, an `f410` Ethereum address) is still an
/// address: a send with value to it creates the account (or a placeholder).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(Vec<u8>);

impl Address {
    pub const PROTOCOL_ID: u8 = 0;
    pub const PROTOCOL_SECP256K1: u8 = 1;
    pub const PROTOCOL_ACTOR: u8 = 2;
    pub const PROTOCOL_BLS: u8 = 3;
    pub const PROTOCOL_DELEGATED: u8 = 4;
    /// The Ethereum Address Manager's namespace: `f410…` addresses hold 20-byte Ethereum
    /// addresses.
    pub const EAM_NAMESPACE: u64 = 10;
    /// The longest sub-address of a delegated (`f4`) address.
    pub const MAX_SUBADDRESS_LEN: usize = 54;

    /// `f0{id}`.
    pub fn id(id: ActorId) -> Self {
        let mut out = alloc::vec![Self::PROTOCOL_ID];
        varint(&mut out, id);
        Self(out)
    }

    /// `f4{namespace}f…`: a delegated address (sub-address at most 54 bytes).
    pub fn delegated(namespace: ActorId, sub: &[u8]) -> Result<Self, AddressError> {
        if sub.len() > Self::MAX_SUBADDRESS_LEN {
            return Err(AddressError::Length);
        }
        let mut out = alloc::vec![Self::PROTOCOL_DELEGATED];
        varint(&mut out, namespace);
        out.extend_from_slice(sub);
        Ok(Self(out))
    }

    /// The `f410…` address of an Ethereum address.
    pub fn eth(addr: [u8; 20]) -> Self {
        let mut out = alloc::vec![Self::PROTOCOL_DELEGATED];
        varint(&mut out, Self::EAM_NAMESPACE);
        out.extend_from_slice(&addr);
        Self(out)
    }

    /// Checks the bytes as fvm_shared does: a known protocol and a payload of its shape.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AddressError> {
        let (&protocol, payload) = bytes.split_first().ok_or(AddressError::Empty)?;
        let ok = match protocol {
            Self::PROTOCOL_ID => {
                let (_, rest) = read_varint(payload)?;
                rest.is_empty()
            }
            Self::PROTOCOL_SECP256K1 | Self::PROTOCOL_ACTOR => payload.len() == 20,
            Self::PROTOCOL_BLS => payload.len() == 48,
            Self::PROTOCOL_DELEGATED => {
                let (_, sub) = read_varint(payload)?;
                sub.len() <= Self::MAX_SUBADDRESS_LEN
            }
            p => return Err(AddressError::UnknownProtocol(p)),
        };
        if !ok {
            return Err(AddressError::Length);
        }
        Ok(Self(bytes.to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.clone()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn protocol(&self) -> u8 {
        self.0[0]
    }

    /// The ID of an `f0` address.
    pub fn as_id(&self) -> Option<ActorId> {
        if self.protocol() != Self::PROTOCOL_ID {
            return None;
        }
        read_varint(&self.0[1..]).ok().map(|(id, _)| id)
    }

    /// The Ethereum address of an `f410` address.
    pub fn as_eth(&self) -> Option<[u8; 20]> {
        if self.protocol() != Self::PROTOCOL_DELEGATED {
            return None;
        }
        match read_varint(&self.0[1..]) {
            Ok((Self::EAM_NAMESPACE, sub)) => sub.try_into().ok(),
            _ => None,
        }
    }
}

impl From<ActorId> for Address {
    fn from(id: ActorId) -> Self {
        Self::id(id)
    }
}

impl Cbor for Address {
    fn encode(&self, out: &mut Vec<u8>) {
        head(out, 2, self.0.len() as u64);
        out.extend_from_slice(&self.0);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        Self::from_bytes(r.bytes()?).map_err(|_| CborError::Type)
    }
}

/// Appends `v` as an unsigned LEB128 varint (Filecoin addresses, HAMT keys).
pub(crate) fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A minimal unsigned varint of at most 64 bits, and the bytes after it.
fn read_varint(bytes: &[u8]) -> Result<(u64, &[u8]), AddressError> {
    let mut v: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        let bits = u64::from(b & 0x7f);
        if i == 9 && bits > 1 {
            return Err(AddressError::Varint);
        }
        v |= bits << (7 * i);
        if b & 0x80 == 0 {
            // A trailing zero group is not minimal (0 itself is the one byte 0x00).
            if b == 0 && i > 0 {
                return Err(AddressError::Varint);
            }
            return Ok((v, &bytes[i + 1..]));
        }
    }
    Err(AddressError::Varint)
}

/// An amount of attoFIL. Encodes as fvm_shared's `TokenAmount` (a big integer), so it is
/// the same on the wire as a plain `u128` in the SDK.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenAmount(pub u128);

impl TokenAmount {
    pub const ZERO: Self = Self(0);
    /// attoFIL in one FIL.
    pub const PRECISION: u128 = 1_000_000_000_000_000_000;

    pub const fn from_atto(atto: u128) -> Self {
        Self(atto)
    }

    /// `whole` FIL (saturating at `u128::MAX` attoFIL).
    pub const fn from_whole(whole: u64) -> Self {
        Self((whole as u128).saturating_mul(Self::PRECISION))
    }

    pub const fn atto(&self) -> u128 {
        self.0
    }

    pub const fn is_zero(&self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }
}

impl From<u128> for TokenAmount {
    fn from(atto: u128) -> Self {
        Self(atto)
    }
}

impl Cbor for TokenAmount {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        u128::decode(r).map(Self)
    }
}

/// Sends `amount` to `to` with method 0 (value only, no code runs). An address with no actor
/// yet gets one (an account for `f1`/`f3`, a placeholder for `f410`), as any send with value.
#[cfg(target_arch = "wasm32")]
pub fn transfer(to: &Address, amount: TokenAmount) -> Result<(), crate::ActorError> {
    let r = crate::send(to.as_bytes(), 0, None, amount.0, 0, false)?;
    if r.exit_code != 0 {
        // A user code (>= 16) is the receiver's; anything else is reported as state.
        let code = if r.exit_code >= 16 {
            r.exit_code
        } else {
            crate::USR_ILLEGAL_STATE
        };
        return Err(crate::ActorError::new(code, "transfer failed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_bad_bytes_are_refused() {
        for id in [0u64, 1, 127, 128, 1234, u64::MAX] {
            let a = Address::id(id);
            assert_eq!(a.as_bytes(), crate::id_address(id));
            assert_eq!(Address::from_bytes(a.as_bytes()).unwrap().as_id(), Some(id));
        }
        assert_eq!(Address::from_bytes(&[]), Err(AddressError::Empty));
        assert_eq!(
            Address::from_bytes(&[9, 1]),
            Err(AddressError::UnknownProtocol(9))
        );
        assert_eq!(Address::from_bytes(&[1, 0]), Err(AddressError::Length));
        assert_eq!(
            Address::from_bytes(&[0, 0x80, 0x00]),
            Err(AddressError::Varint)
        );
        let eth = Address::eth([7; 20]);
        assert_eq!(eth.as_eth(), Some([7; 20]));
        assert_eq!(Address::from_bytes(eth.as_bytes()), Ok(eth));
    }
}
