//! The documented DAG-CBOR mapping, from the caller's side: Solidity-typed values to the
//! params of a native build, and its replies back.

use super::{NativeChain, masked};

/// How the two builds name one actor: the word the harness (the EVM side) uses and the native
/// twin's. The harness's chain and the WASM backend's own tests each implement it.
pub trait AddressMap {
    fn native_word(&self, a: Address) -> Address;
    fn harness_word(&self, a: Address) -> Address;
}

impl AddressMap for NativeChain {
    fn native_word(&self, a: Address) -> Address {
        NativeChain::native_word(self, a)
    }
    fn harness_word(&self, a: Address) -> Address {
        NativeChain::harness_word(self, a)
    }
}
use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, I256, U256};
use tandem_lang_ir::{ValTy, WordTy};

fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    match arg {
        0..=23 => out.push(m | arg as u8),
        24..=0xff => out.extend([m | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(arg.to_be_bytes());
        }
    }
}

fn bigint(out: &mut Vec<u8>, neg: bool, mag: U256) {
    if mag.is_zero() {
        head(out, 2, 0);
        return;
    }
    let bytes = mag.to_be_bytes::<32>();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    head(out, 2, (33 - skip) as u64);
    out.push(neg as u8);
    out.extend(&bytes[skip..]);
}

pub fn fil_address(a: Address) -> Vec<u8> {
    let b = a.into_array();
    if b[0] == 0xff && b[1..12].iter().all(|x| *x == 0) {
        let mut id = super::unmask(a).unwrap_or_default();
        let mut out = vec![0u8];
        loop {
            let byte = (id & 0x7f) as u8;
            id >>= 7;
            out.push(if id != 0 { byte | 0x80 } else { byte });
            if id == 0 {
                return out;
            }
        }
    }
    let mut out = vec![4u8, 10];
    out.extend(b);
    out
}

pub fn encode(
    d: &dyn AddressMap,
    out: &mut Vec<u8>,
    v: &DynSolValue,
    ty: &ValTy,
) -> Result<(), String> {
    match (v, ty) {
        (DynSolValue::Uint(u, _), ValTy::Word(WordTy::Uint(b))) if *b <= 64 => {
            let v = u64::try_from(*u).map_err(|_| format!("{u} does not fit u{b}"))?;
            head(out, 0, v)
        }
        (DynSolValue::Uint(u, _), ValTy::Word(WordTy::Uint(_))) => bigint(out, false, *u),
        (DynSolValue::Int(i, _), ValTy::Word(WordTy::Int(b))) => {
            let neg = i.is_negative();
            if *b <= 64 {
                let v = i.as_i64();
                if neg {
                    head(out, 1, (-1 - v) as u64)
                } else {
                    head(out, 0, v as u64)
                }
            } else {
                bigint(out, neg, i.unsigned_abs())
            }
        }
        (DynSolValue::Bool(b), _) => out.push(if *b { 0xf5 } else { 0xf4 }),
        (DynSolValue::Address(a), _) => {
            let f = fil_address(d.native_word(*a));
            head(out, 2, f.len() as u64);
            out.extend(f);
        }
        (DynSolValue::FixedBytes(w, n), _) => {
            head(out, 2, *n as u64);
            out.extend(&w[..*n]);
        }
        (DynSolValue::Bytes(b), _) => {
            head(out, 2, b.len() as u64);
            out.extend(b);
        }
        (DynSolValue::String(s), _) => {
            head(out, 3, s.len() as u64);
            out.extend(s.as_bytes());
        }
        // arrays, vectors, structs and tuples: an array of the items
        (DynSolValue::FixedArray(vs), ValTy::Array(t, _))
        | (DynSolValue::Array(vs), ValTy::DynArray(t)) => {
            head(out, 4, vs.len() as u64);
            for v in vs {
                encode(d, out, v, t)?;
            }
        }
        (DynSolValue::Tuple(vs), ValTy::Tuple(ts)) if vs.len() == ts.len() => {
            head(out, 4, vs.len() as u64);
            for (v, t) in vs.iter().zip(ts) {
                encode(d, out, v, t)?;
            }
        }
        _ => return Err(format!("no CBOR form for {v:?} as {ty:?}")),
    }
    Ok(())
}

/// The params block of a handler: an array of the arguments (empty for none).
pub fn params(d: &dyn AddressMap, vals: &[DynSolValue], tys: &[ValTy]) -> Result<Vec<u8>, String> {
    if vals.is_empty() {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    head(&mut out, 4, vals.len() as u64);
    for (v, t) in vals.iter().zip(tys) {
        encode(d, &mut out, v, t)?;
    }
    Ok(out)
}

struct Rd<'a>(&'a [u8]);

impl Rd<'_> {
    fn head(&mut self) -> Result<(u8, u64), String> {
        let (&b, rest) = self.0.split_first().ok_or("truncated")?;
        self.0 = rest;
        let info = b & 31;
        let n = match info {
            0..=23 => return Ok((b >> 5, info as u64)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(format!("bad head {b:#x}")),
        };
        let mut arg = 0u64;
        for _ in 0..n {
            let (&x, rest) = self.0.split_first().ok_or("truncated")?;
            self.0 = rest;
            arg = arg << 8 | x as u64;
        }
        Ok((b >> 5, arg))
    }

    fn bytes(&mut self, major: u8) -> Result<Vec<u8>, String> {
        let (m, n) = self.head()?;
        if m != major || n as usize > self.0.len() {
            return Err(format!("expected major {major}, got {m}"));
        }
        let (b, rest) = self.0.split_at(n as usize);
        self.0 = rest;
        Ok(b.to_vec())
    }
}

fn decode_one(d: &dyn AddressMap, r: &mut Rd<'_>, ty: &ValTy) -> Result<DynSolValue, String> {
    Ok(match ty {
        ValTy::Word(WordTy::Uint(b)) if *b <= 64 => match r.head()? {
            (0, v) => DynSolValue::Uint(U256::from(v), *b as usize),
            h => return Err(format!("expected uint, got {h:?}")),
        },
        ValTy::Word(WordTy::Int(b)) if *b <= 64 => match r.head()? {
            (0, v) => DynSolValue::Int(I256::from_raw(U256::from(v)), *b as usize),
            (1, v) => {
                DynSolValue::Int(I256::MINUS_ONE - I256::from_raw(U256::from(v)), *b as usize)
            }
            h => return Err(format!("expected int, got {h:?}")),
        },
        ValTy::Word(WordTy::Uint(b) | WordTy::Int(b)) => {
            let raw = r.bytes(2)?;
            let (neg, mag) = match raw.split_first() {
                None => (false, U256::ZERO),
                Some((s, m)) => (*s == 1, U256::from_be_slice(m)),
            };
            if matches!(ty, ValTy::Word(WordTy::Int(_))) {
                let v = I256::from_raw(mag);
                DynSolValue::Int(if neg { v.wrapping_neg() } else { v }, *b as usize)
            } else {
                DynSolValue::Uint(mag, *b as usize)
            }
        }
        ValTy::Word(WordTy::Bool) => match r.head()? {
            (7, 21) => DynSolValue::Bool(true),
            (7, 20) => DynSolValue::Bool(false),
            h => return Err(format!("expected bool, got {h:?}")),
        },
        ValTy::Word(WordTy::Address) => {
            let raw = r.bytes(2)?;
            let a = match raw.first() {
                Some(0) => {
                    let mut id = 0u64;
                    for (i, b) in raw[1..].iter().enumerate() {
                        id |= ((b & 0x7f) as u64) << (7 * i);
                    }
                    masked(id)
                }
                Some(4) if raw.len() == 22 && raw[1] == 10 => Address::from_slice(&raw[2..]),
                _ => return Err(format!("unexpected address {raw:?}")),
            };
            DynSolValue::Address(d.harness_word(a))
        }
        ValTy::Word(WordTy::FixedBytes(n)) => {
            let raw = r.bytes(2)?;
            if raw.len() != *n as usize {
                return Err(format!("expected {n} bytes, got {}", raw.len()));
            }
            let mut w = [0u8; 32];
            w[..raw.len()].copy_from_slice(&raw);
            DynSolValue::FixedBytes(w.into(), *n as usize)
        }
        ValTy::Bytes => DynSolValue::Bytes(r.bytes(2)?),
        ValTy::String => {
            DynSolValue::String(String::from_utf8(r.bytes(3)?).map_err(|e| e.to_string())?)
        }
        ValTy::Array(t, n) => DynSolValue::FixedArray(decode_items(d, r, t, Some(*n as u64))?),
        ValTy::DynArray(t) => DynSolValue::Array(decode_items(d, r, t, None)?),
        ValTy::Tuple(ts) => {
            match r.head()? {
                (4, n) if n as usize == ts.len() => {}
                h => return Err(format!("expected an array of {}, got {h:?}", ts.len())),
            }
            DynSolValue::Tuple(
                ts.iter()
                    .map(|t| decode_one(d, r, t))
                    .collect::<Result<_, _>>()?,
            )
        }
    })
}

fn decode_items(
    d: &dyn AddressMap,
    r: &mut Rd<'_>,
    t: &ValTy,
    want: Option<u64>,
) -> Result<Vec<DynSolValue>, String> {
    let n = match r.head()? {
        (4, n) if want.is_none_or(|w| w == n) => n,
        h => return Err(format!("expected an array of {want:?}, got {h:?}")),
    };
    (0..n).map(|_| decode_one(d, r, t)).collect()
}

/// The values of a handler's params block (an array of the arguments; empty for none).
pub fn params_values(
    d: &dyn AddressMap,
    data: &[u8],
    tys: &[ValTy],
) -> Result<Vec<DynSolValue>, String> {
    if tys.is_empty() {
        return if data.is_empty() {
            Ok(vec![])
        } else {
            Err("params where none were expected".into())
        };
    }
    let mut r = Rd(data);
    let vals = decode_items_of(d, &mut r, tys)?;
    if !r.0.is_empty() {
        return Err("trailing bytes in the params".into());
    }
    Ok(vals)
}

fn decode_items_of(
    d: &dyn AddressMap,
    r: &mut Rd<'_>,
    tys: &[ValTy],
) -> Result<Vec<DynSolValue>, String> {
    match r.head()? {
        (4, n) if n as usize == tys.len() => {}
        h => return Err(format!("expected an array of {}, got {h:?}", tys.len())),
    }
    tys.iter().map(|t| decode_one(d, r, t)).collect()
}

/// A reply: nothing, the one value, or an array of the values; as ABI return data.
pub fn reply_to_abi(d: &dyn AddressMap, data: &[u8], tys: &[ValTy]) -> Result<Vec<u8>, String> {
    if tys.is_empty() {
        return if data.is_empty() {
            Ok(vec![])
        } else {
            Err("a reply where none was expected".into())
        };
    }
    let mut r = Rd(data);
    let vals = if tys.len() == 1 {
        vec![decode_one(d, &mut r, &tys[0])?]
    } else {
        match r.head()? {
            (4, n) if n as usize == tys.len() => {}
            h => return Err(format!("expected an array of {}, got {h:?}", tys.len())),
        }
        tys.iter()
            .map(|t| decode_one(d, &mut r, t))
            .collect::<Result<_, _>>()?
    };
    if !r.0.is_empty() {
        return Err("trailing bytes in the reply".into());
    }
    Ok(DynSolValue::Tuple(vals).abi_encode_params())
}
