//! Typed values and their Solidity ABI encoding, the wire form the language defines for
//! messages, replies, events, errors and `std::abi::encode`. Decoding is strict, as
//! Solidity's: every word clean for its type, every offset and length inside the data.

use crate::arith::is_clean;
use alloy_primitives::U256;
use tandem_lang_ir::ValTy;

/// A value of a [`ValTy`], independent of where it lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Word(U256),
    Bytes(Vec<u8>),
    /// The parts of a tuple or the elements of an array or vector.
    List(Vec<Val>),
}

/// The ABI encoding of values laid side by side (a tuple's encoding, no selector).
pub fn encode(vals: &[(Val, ValTy)]) -> Vec<u8> {
    let head: usize = vals.iter().map(|(_, t)| t.head_size() as usize).sum();
    let mut out = vec![0u8; head];
    let mut tail: Vec<u8> = Vec::new();
    let mut at = 0usize;
    for (v, t) in vals {
        if t.is_dynamic() {
            put_word(&mut out, at, U256::from(head + tail.len()));
            tail.extend(encode_one(v, t));
            at += 32;
        } else {
            let enc = encode_one(v, t);
            out[at..at + enc.len()].copy_from_slice(&enc);
            at += enc.len();
        }
    }
    out.extend(tail);
    out
}

fn put_word(out: &mut [u8], at: usize, w: U256) {
    out[at..at + 32].copy_from_slice(&w.to_be_bytes::<32>());
}

fn word_bytes(w: U256) -> Vec<u8> {
    w.to_be_bytes::<32>().to_vec()
}

/// One value's encoding: in place for a static value, the tail for a dynamic one.
fn encode_one(v: &Val, t: &ValTy) -> Vec<u8> {
    match (t, v) {
        (ValTy::Word(_), Val::Word(w)) => word_bytes(*w),
        (ValTy::Bytes | ValTy::String, Val::Bytes(b)) => {
            let mut out = word_bytes(U256::from(b.len()));
            out.extend_from_slice(b);
            out.resize(32 + b.len().div_ceil(32) * 32, 0);
            out
        }
        (ValTy::Array(e, _), Val::List(xs)) => {
            let parts: Vec<(Val, ValTy)> = xs.iter().map(|x| (x.clone(), (**e).clone())).collect();
            encode(&parts)
        }
        (ValTy::DynArray(e), Val::List(xs)) => {
            let parts: Vec<(Val, ValTy)> = xs.iter().map(|x| (x.clone(), (**e).clone())).collect();
            let mut out = word_bytes(U256::from(xs.len()));
            out.extend(encode(&parts));
            out
        }
        (ValTy::Tuple(ts), Val::List(xs)) => {
            let parts: Vec<(Val, ValTy)> = xs.iter().cloned().zip(ts.iter().cloned()).collect();
            encode(&parts)
        }
        // A value never has another shape than its type (the interpreter builds both).
        _ => Vec::new(),
    }
}

/// Decodes values of the types laid side by side at the start of `data`; `None` when the
/// data does not decode strictly.
pub fn decode(data: &[u8], tys: &[ValTy]) -> Option<Vec<Val>> {
    let mut at = 0usize;
    let mut out = Vec::with_capacity(tys.len());
    for t in tys {
        out.push(decode_at(data, 0, at, t)?);
        at = at.checked_add(t.head_size() as usize)?;
    }
    Some(out)
}

/// A call's reply of shape `t`: a `Tuple` is the callee's list of return values, side by side
/// from the start (a handler's `-> (A, B)`); any other shape is one value. `None` when the data
/// does not decode strictly.
pub fn decode_reply(data: &[u8], t: &ValTy) -> Option<Val> {
    match t {
        ValTy::Tuple(ts) => decode(data, ts).map(Val::List),
        t => decode(data, std::slice::from_ref(t))?.pop(),
    }
}

fn word_at(data: &[u8], at: usize) -> Option<U256> {
    let end = at.checked_add(32)?;
    let b = data.get(at..end)?;
    Some(U256::from_be_slice(b))
}

fn small(w: U256) -> Option<usize> {
    if w > U256::from(u32::MAX) {
        None
    } else {
        Some(w.to::<usize>())
    }
}

/// The value of type `t` whose head is at `at`; offsets count from `base`.
fn decode_at(data: &[u8], base: usize, at: usize, t: &ValTy) -> Option<Val> {
    if t.is_dynamic() {
        let off = small(word_at(data, at)?)?;
        let start = base.checked_add(off)?;
        return decode_tail(data, start, t);
    }
    decode_static(data, at, t)
}

fn decode_static(data: &[u8], at: usize, t: &ValTy) -> Option<Val> {
    match t {
        ValTy::Word(w) => {
            let v = word_at(data, at)?;
            is_clean(v, *w).then_some(Val::Word(v))
        }
        ValTy::Array(e, n) => {
            let step = e.head_size() as usize;
            (0..*n as usize)
                .map(|i| decode_static(data, at + i * step, e))
                .collect::<Option<Vec<_>>>()
                .map(Val::List)
        }
        ValTy::Tuple(ts) => {
            let mut off = at;
            let mut parts = Vec::new();
            for t in ts {
                parts.push(decode_static(data, off, t)?);
                off += t.head_size() as usize;
            }
            Some(Val::List(parts))
        }
        _ => None,
    }
}

/// A dynamic value whose encoding starts at `start`.
fn decode_tail(data: &[u8], start: usize, t: &ValTy) -> Option<Val> {
    match t {
        ValTy::Bytes | ValTy::String => {
            let len = small(word_at(data, start)?)?;
            let from = start + 32;
            let b = data.get(from..from.checked_add(len)?)?;
            Some(Val::Bytes(b.to_vec()))
        }
        ValTy::DynArray(e) => {
            let n = small(word_at(data, start)?)?;
            let inner = start + 32;
            let step = e.head_size() as usize;
            // The heads must fit before any element is read.
            if inner.checked_add(n.checked_mul(step)?)? > data.len() {
                return None;
            }
            (0..n)
                .map(|i| decode_at(data, inner, inner + i * step, e))
                .collect::<Option<Vec<_>>>()
                .map(Val::List)
        }
        ValTy::Array(e, n) => {
            let step = e.head_size() as usize;
            (0..*n as usize)
                .map(|i| decode_at(data, start, start + i * step, e))
                .collect::<Option<Vec<_>>>()
                .map(Val::List)
        }
        ValTy::Tuple(ts) => {
            let mut off = start;
            let mut parts = Vec::new();
            for t in ts {
                parts.push(decode_at(data, start, off, t)?);
                off += t.head_size() as usize;
            }
            Some(Val::List(parts))
        }
        ValTy::Word(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_lang_ir::WordTy;

    #[test]
    fn round_trip_and_strictness() {
        let tys = vec![
            ValTy::Word(WordTy::Uint(8)),
            ValTy::String,
            ValTy::DynArray(Box::new(ValTy::Word(WordTy::Uint(256)))),
        ];
        let vals = vec![
            Val::Word(U256::from(7)),
            Val::Bytes(b"hello".to_vec()),
            Val::List(vec![Val::Word(U256::from(1)), Val::Word(U256::from(2))]),
        ];
        let pairs: Vec<_> = vals.iter().cloned().zip(tys.iter().cloned()).collect();
        let enc = encode(&pairs);
        assert_eq!(enc.len(), 3 * 32 + 64 + 96);
        assert_eq!(decode(&enc, &tys), Some(vals));
        // a dirty u8 and a truncated tail are refused
        let mut dirty = enc.clone();
        dirty[30] = 1;
        assert_eq!(decode(&dirty, &tys), None);
        assert_eq!(decode(&enc[..enc.len() - 1], &tys), None);
    }
}
