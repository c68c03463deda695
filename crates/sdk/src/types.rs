//! More `Cbor` impls: small integers, `Option`, `BTreeMap<K, V>`, byte arrays and tuples
//! of 5 to 12 elements. Each is the encoding fvm_ipld_encoding (serde) gives the same type,
//! except where noted; `crates/sdk-derive/tests/encoding.rs` checks the bytes.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::cbor::{Cbor, CborError, Reader, head, to_vec, tuple};

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Cbor for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                head(out, 0, *self as u64);
            }
            fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
                <$t>::try_from(r.expect(0)?).map_err(|_| CborError::Overflow)
            }
        }
    )*};
}
unsigned!(u8, u16, u32);

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl Cbor for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                (*self as i64).encode(out);
            }
            fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
                <$t>::try_from(i64::decode(r)?).map_err(|_| CborError::Overflow)
            }
        }
    )*};
}
signed!(i8, i16, i32);

/// `None` is CBOR null; `Some(v)` is `v` itself (so `Option<()>` cannot tell `Some(())` from
/// `None`, as with serde).
impl<T: Cbor> Cbor for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0xf6),
            Some(v) => v.encode(out),
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        let mut ahead = r.clone();
        if ahead.head() == Ok((7, 22)) {
            *r = ahead;
            return Ok(None);
        }
        T::decode(r).map(Some)
    }
}

/// A byte string (as `serde_bytes::ByteArray<N>`; serde's default for `[u8; N]` is an array
/// of integers). Decoding requires exactly `N` bytes.
impl<const N: usize> Cbor for [u8; N] {
    fn encode(&self, out: &mut Vec<u8>) {
        head(out, 2, N as u64);
        out.extend_from_slice(self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        r.bytes()?.try_into().map_err(|_| CborError::Type)
    }
}

/// A CBOR map, entries in DAG-CBOR's canonical order: by the bytes of the encoded key, which
/// for text keys is shorter keys first, then bytewise (as serde_ipld_dagcbor writes maps).
/// DAG-CBOR proper allows only text keys (`String`); other key types encode as
/// fvm_ipld_encoding encodes them, but strict DAG-CBOR readers elsewhere may refuse them.
/// Decoding rejects keys out of order or repeated, so every map has exactly one encoding.
impl<K: Cbor + Ord, V: Cbor> Cbor for BTreeMap<K, V> {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut entries: Vec<(Vec<u8>, &V)> = self.iter().map(|(k, v)| (to_vec(k), v)).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        head(out, 5, entries.len() as u64);
        for (k, v) in entries {
            out.extend_from_slice(&k);
            v.encode(out);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        let n = r.expect(5)?;
        let mut map = BTreeMap::new();
        let mut last: Option<Vec<u8>> = None;
        for _ in 0..n {
            let k = K::decode(r)?;
            let encoded = to_vec(&k);
            if last.as_ref().is_some_and(|prev| *prev >= encoded) {
                return Err(CborError::Type);
            }
            map.insert(k, V::decode(r)?);
            last = Some(encoded);
        }
        Ok(map)
    }
}

// Tuples of 1 to 4 are in `cbor`, with the macro.
tuple!(5: A 0, B 1, C 2, D 3, E 4);
tuple!(6: A 0, B 1, C 2, D 3, E 4, F 5);
tuple!(7: A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple!(8: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple!(9: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple!(10: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple!(11: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple!(12: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
