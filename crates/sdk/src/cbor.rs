//! A small DAG-CBOR codec: unsigned and negative integers, byte and text strings, arrays,
//! booleans and null. Tuples and structs encode as arrays (like fvm's `Serialize_tuple`);
//! token amounts (`u128`) as fvm big-integer bytes (sign byte + big-endian magnitude).

use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CborError {
    Eof,
    Type,
    Overflow,
    Utf8,
    Trailing,
}

impl CborError {
    /// What went wrong, for abort messages.
    pub fn reason(&self) -> &'static str {
        match self {
            CborError::Eof => "ends too early (or no params were sent)",
            CborError::Type => "a value of the wrong type",
            CborError::Overflow => "a number out of range",
            CborError::Utf8 => "text that is not UTF-8",
            CborError::Trailing => "bytes left after the value",
        }
    }
}

#[derive(Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self.data.get(self.pos).ok_or(CborError::Eof)?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `n` raw bytes (e.g. the content after a head).
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], CborError> {
        let end = self.pos.checked_add(n).ok_or(CborError::Overflow)?;
        let s = self.data.get(self.pos..end).ok_or(CborError::Eof)?;
        self.pos = end;
        Ok(s)
    }

    /// Reads a head: (major type, argument). Simple values come back as major 7.
    pub fn head(&mut self) -> Result<(u8, u64), CborError> {
        let b = self.byte()?;
        let major = b >> 5;
        let info = b & 0x1f;
        let arg = match info {
            0..=23 => info as u64,
            24 => self.byte()? as u64,
            25 => u16::from_be_bytes(self.take(2)?.try_into().map_err(|_| CborError::Eof)?) as u64,
            26 => u32::from_be_bytes(self.take(4)?.try_into().map_err(|_| CborError::Eof)?) as u64,
            27 => u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| CborError::Eof)?),
            _ => return Err(CborError::Type),
        };
        Ok((major, arg))
    }

    pub fn expect(&mut self, major: u8) -> Result<u64, CborError> {
        let (m, arg) = self.head()?;
        if m != major {
            return Err(CborError::Type);
        }
        Ok(arg)
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], CborError> {
        let n = self.expect(2)?;
        self.take(usize::try_from(n).map_err(|_| CborError::Overflow)?)
    }

    pub fn text(&mut self) -> Result<&'a str, CborError> {
        let n = self.expect(3)?;
        let b = self.take(usize::try_from(n).map_err(|_| CborError::Overflow)?)?;
        core::str::from_utf8(b).map_err(|_| CborError::Utf8)
    }

    pub fn array(&mut self) -> Result<usize, CborError> {
        usize::try_from(self.expect(4)?).map_err(|_| CborError::Overflow)
    }

    /// The major type of the next item, without reading it.
    pub fn peek_major(&self) -> Result<u8, CborError> {
        self.data
            .get(self.pos)
            .map(|b| b >> 5)
            .ok_or(CborError::Eof)
    }

    pub fn is_done(&self) -> bool {
        self.pos >= self.data.len()
    }
}

pub fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= u8::MAX as u64 {
        out.extend_from_slice(&[m | 24, arg as u8]);
    } else if arg <= u16::MAX as u64 {
        out.push(m | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= u32::MAX as u64 {
        out.push(m | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

/// A value with a DAG-CBOR encoding.
pub trait Cbor: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError>;

    /// Decodes invocation params (`None` when the call carried none).
    fn from_params(data: Option<&[u8]>) -> Result<Self, CborError> {
        from_slice(data.ok_or(CborError::Eof)?)
    }

    /// The return block (codec, bytes), or `None` for no return value.
    fn to_block(&self) -> Option<(u64, Vec<u8>)> {
        Some((crate::DAG_CBOR, to_vec(self)))
    }
}

pub fn to_vec<T: Cbor>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    v.encode(&mut out);
    out
}

pub fn from_slice<T: Cbor>(data: &[u8]) -> Result<T, CborError> {
    let mut r = Reader::new(data);
    let v = T::decode(&mut r)?;
    if !r.is_done() {
        return Err(CborError::Trailing);
    }
    Ok(v)
}

impl Cbor for () {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(0xf6);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        match r.head()? {
            (7, 22) => Ok(()),
            _ => Err(CborError::Type),
        }
    }
    /// A method without params accepts none, an empty block, `[]` or `null`; anything else
    /// is refused rather than silently ignored.
    fn from_params(data: Option<&[u8]>) -> Result<Self, CborError> {
        match data {
            None | Some([]) | Some([0x80]) | Some([0xf6]) => Ok(()),
            Some(_) => Err(CborError::Trailing),
        }
    }
    fn to_block(&self) -> Option<(u64, Vec<u8>)> {
        None
    }
}

impl Cbor for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(if *self { 0xf5 } else { 0xf4 });
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        match r.head()? {
            (7, 20) => Ok(false),
            (7, 21) => Ok(true),
            _ => Err(CborError::Type),
        }
    }
}

impl Cbor for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        head(out, 0, *self);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        r.expect(0)
    }
}

impl Cbor for i64 {
    fn encode(&self, out: &mut Vec<u8>) {
        if *self >= 0 {
            head(out, 0, *self as u64);
        } else {
            head(out, 1, (-1 - *self) as u64);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        match r.head()? {
            (0, v) => i64::try_from(v).map_err(|_| CborError::Overflow),
            (1, v) => i64::try_from(v)
                .map(|v| -1 - v)
                .map_err(|_| CborError::Overflow),
            _ => Err(CborError::Type),
        }
    }
}

/// Token amounts: fvm's big-integer bytes (empty for zero, else 0x00 + big-endian).
impl Cbor for u128 {
    fn encode(&self, out: &mut Vec<u8>) {
        if *self == 0 {
            head(out, 2, 0);
            return;
        }
        // Written into one buffer and appended once: the byte string's head (one byte, as at
        // most 17 bytes follow), the sign byte, the magnitude without its leading zeros
        // (counted on the value, not byte by byte: each byte read is a load for native code).
        let skip = (self.leading_zeros() / 8) as usize;
        let n = 16 - skip;
        let mut buf = [0u8; 18];
        buf[0] = 0x40 | (n as u8 + 1);
        buf[2..2 + n].copy_from_slice(&self.to_be_bytes()[skip..]);
        out.extend_from_slice(&buf[..2 + n]);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        let b = r.bytes()?;
        match b.split_first() {
            None => Ok(0),
            Some((0, mag)) if mag.len() <= 16 => {
                let mut buf = [0u8; 16];
                buf[16 - mag.len()..].copy_from_slice(mag);
                Ok(u128::from_be_bytes(buf))
            }
            _ => Err(CborError::Overflow),
        }
    }
}

impl Cbor for String {
    fn encode(&self, out: &mut Vec<u8>) {
        head(out, 3, self.len() as u64);
        out.extend_from_slice(self.as_bytes());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        Ok(String::from(r.text()?))
    }
}

/// A CBOR byte string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Cbor for Bytes {
    fn encode(&self, out: &mut Vec<u8>) {
        head(out, 2, self.0.len() as u64);
        out.extend_from_slice(&self.0);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        Ok(Bytes(r.bytes()?.to_vec()))
    }
}

/// Raw bytes in and out (IPLD_RAW): Solidity-ABI calldata and return data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Raw(pub Vec<u8>);

impl Cbor for Raw {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
    fn decode(_: &mut Reader<'_>) -> Result<Self, CborError> {
        Err(CborError::Type)
    }
    fn from_params(data: Option<&[u8]>) -> Result<Self, CborError> {
        Ok(Raw(data.unwrap_or_default().to_vec()))
    }
    fn to_block(&self) -> Option<(u64, Vec<u8>)> {
        Some((crate::IPLD_RAW, self.0.clone()))
    }
}

impl<T: Cbor> Cbor for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        head(out, 4, self.len() as u64);
        for v in self {
            v.encode(out);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        let n = r.array()?;
        let mut v = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            v.push(T::decode(r)?);
        }
        Ok(v)
    }
}

macro_rules! tuple {
    ($n:literal: $($t:ident $i:tt),+) => {
        impl<$($t: Cbor),+> Cbor for ($($t,)+) {
            fn encode(&self, out: &mut Vec<u8>) {
                head(out, 4, $n);
                $(self.$i.encode(out);)+
            }
            fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
                if r.array()? != $n {
                    return Err(CborError::Type);
                }
                Ok(($($t::decode(r)?,)+))
            }
        }
    };
}
pub(crate) use tuple;

tuple!(1: A 0);
tuple!(2: A 0, B 1);
tuple!(3: A 0, B 1, C 2);
tuple!(4: A 0, B 1, C 2, D 3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let v = (
            7u64,
            Bytes(alloc::vec![1, 2]),
            1_000_000_000_000_000_000u128,
        );
        let bytes = to_vec(&v);
        assert_eq!(from_slice::<(u64, Bytes, u128)>(&bytes).unwrap(), v);
        assert_eq!(to_vec(&0u128), [0x40]);
        assert_eq!(to_vec(&256u128), [0x43, 0, 1, 0]);
        assert_eq!(from_slice::<i64>(&to_vec(&-5i64)).unwrap(), -5);
        assert!(from_slice::<u64>(&[0x01, 0x02]).is_err());
    }

    /// Big integers: a byte string of the sign byte and the big-endian magnitude without
    /// leading zeros, at every magnitude length (fvm_shared's encoding of a `TokenAmount`).
    #[test]
    fn u128_encodes_as_a_minimal_big_integer() {
        let by_bytes = |v: u128| {
            let be = v.to_be_bytes();
            let skip = be.iter().take_while(|b| **b == 0).count();
            let mut out = Vec::new();
            if v != 0 {
                head(&mut out, 2, (17 - skip) as u64);
                out.push(0);
                out.extend_from_slice(&be[skip..]);
            } else {
                head(&mut out, 2, 0);
            }
            out
        };
        for k in 0..128 {
            for v in [
                1u128 << k,
                (1u128 << k) - 1,
                (1u128 << k) + 1,
                u128::MAX >> k,
            ] {
                assert_eq!(to_vec(&v), by_bytes(v), "{v}");
                assert_eq!(from_slice::<u128>(&to_vec(&v)).unwrap(), v);
            }
        }
        assert_eq!(to_vec(&u128::MAX).len(), 18);
    }
}
