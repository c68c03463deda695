//! Semantic types, their memory and storage layouts, and their ABI shapes.

use std::fmt;
use tandem_lang_ir::{ValTy, WordTy};

pub type AdtId = usize;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Unit,
    Bool,
    Uint(u16),
    Int(u16),
    Address,
    /// `Address<M>`: an address known to speak message type `M`, so `ctx.call` through it
    /// refuses another message type. The ids of the message types it speaks, sorted: one for
    /// `Address<M>`, the bounds for a contract parameter `T: A + B` (`interfaces.rs`). On the
    /// wire it is a plain `Address`.
    Handle(Vec<usize>),
    /// `bytes1`..`bytes32`: left-aligned in its word, as in Solidity.
    FixedBytes(u8),
    Bytes,
    String,
    Array(Box<Ty>, u32),
    Tuple(Vec<Ty>),
    /// A struct or enum with its generic arguments.
    Adt(AdtId, Vec<Ty>),
    Option(Box<Ty>),
    /// `Result<T, E>`: `Ok(T)` (tag 1) or `Err(E)` (tag 0). `ctx.try_call` gives
    /// `Result<Reply, CallError>`, the error being the callee's revert data (`Bytes`).
    Result(Box<Ty>, Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    StorageVec(Box<Ty>),
    Vec(Box<Ty>),
    /// A message value (`Msg::Variant { .. }`) ready to send: message id and variant index.
    Message(usize, usize),
    /// A contract type name used as a value in `ctx.create(C, ..)`.
    ContractRef(usize),
    Never,
    /// The type of an expression that already failed to check; it unifies with everything.
    Error,
}

impl Ty {
    pub const U256: Ty = Ty::Uint(256);

    pub fn is_int(&self) -> bool {
        matches!(self, Ty::Uint(_) | Ty::Int(_))
    }

    /// Whether the value is a single word (held on the stack), not a memory pointer.
    pub fn is_word(&self, adt_is_word: impl Fn(AdtId) -> bool) -> bool {
        match self {
            Ty::Bool
            | Ty::Uint(_)
            | Ty::Int(_)
            | Ty::Address
            | Ty::Handle(_)
            | Ty::FixedBytes(_)
            | Ty::Unit => true,
            Ty::Adt(id, _) => adt_is_word(*id),
            _ => false,
        }
    }

    pub fn word_ty(&self) -> Option<WordTy> {
        Some(match self {
            Ty::Bool => WordTy::Bool,
            Ty::Uint(b) => WordTy::Uint(*b),
            Ty::Int(b) => WordTy::Int(*b),
            Ty::Address | Ty::Handle(_) => WordTy::Address,
            Ty::FixedBytes(n) => WordTy::FixedBytes(*n),
            _ => return None,
        })
    }

    pub fn is_storage_only(&self) -> bool {
        matches!(self, Ty::Map(..) | Ty::StorageVec(_))
    }

    pub fn compatible(&self, other: &Ty) -> bool {
        self == other
            || matches!(self, Ty::Error | Ty::Never)
            || matches!(other, Ty::Error | Ty::Never)
            || self.same_shape(other)
    }

    /// Equal up to `{unknown}` components (`None` and `Ok(v)` leave a part unknown when
    /// nothing said what it is); same memory shape, so one may stand for the other.
    fn same_shape(&self, other: &Ty) -> bool {
        let part = |a: &Ty, b: &Ty| a == b || *a == Ty::Error || *b == Ty::Error || a.same_shape(b);
        match (self, other) {
            (Ty::Option(a), Ty::Option(b)) | (Ty::Vec(a), Ty::Vec(b)) => part(a, b),
            (Ty::Result(a, e), Ty::Result(b, f)) => part(a, b) && part(e, f),
            (Ty::Adt(i, a), Ty::Adt(j, b)) => {
                i == j && a.len() == b.len() && a.iter().zip(b).all(|(x, y)| part(x, y))
            }
            (Ty::Tuple(a), Ty::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| part(x, y))
            }
            (Ty::Array(a, n), Ty::Array(b, m)) => n == m && part(a, b),
            _ => false,
        }
    }

    /// The more precise of two compatible types: each `{unknown}` part of one is filled from
    /// the other, so `if c { (1, None) } else { (2, Some(x)) }` is `(u256, Option<u8>)`
    /// whichever branch says what the `None` holds.
    pub fn refine(&self, other: &Ty) -> Ty {
        let both =
            |a: &[Ty], b: &[Ty]| -> Vec<Ty> { a.iter().zip(b).map(|(x, y)| x.refine(y)).collect() };
        match (self, other) {
            (Ty::Error | Ty::Never, t) => t.clone(),
            (Ty::Option(a), Ty::Option(b)) => Ty::Option(Box::new(a.refine(b))),
            (Ty::Vec(a), Ty::Vec(b)) => Ty::Vec(Box::new(a.refine(b))),
            (Ty::Result(a, e), Ty::Result(b, f)) => {
                Ty::Result(Box::new(a.refine(b)), Box::new(e.refine(f)))
            }
            (Ty::Adt(i, a), Ty::Adt(j, b)) if i == j && a.len() == b.len() => {
                Ty::Adt(*i, both(a, b))
            }
            (Ty::Tuple(a), Ty::Tuple(b)) if a.len() == b.len() => Ty::Tuple(both(a, b)),
            (Ty::Array(a, n), Ty::Array(b, m)) if n == m => Ty::Array(Box::new(a.refine(b)), *n),
            (t, _) => t.clone(),
        }
    }
}

/// How a type is rendered in messages; ADT names come from a lookup.
pub struct TyDisplay<'a> {
    pub ty: &'a Ty,
    pub adt_name: &'a dyn Fn(AdtId) -> String,
    pub msg_name: &'a dyn Fn(usize, usize) -> String,
}

impl fmt::Display for TyDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sub = |t: &Ty| {
            TyDisplay {
                ty: t,
                adt_name: self.adt_name,
                msg_name: self.msg_name,
            }
            .to_string()
        };
        match self.ty {
            Ty::Unit => write!(f, "()"),
            Ty::Bool => write!(f, "bool"),
            Ty::Uint(b) => write!(f, "u{b}"),
            Ty::Int(b) => write!(f, "i{b}"),
            Ty::Address => write!(f, "Address"),
            Ty::Handle(ms) => {
                let names: Vec<String> =
                    ms.iter().map(|m| (self.msg_name)(*m, usize::MAX)).collect();
                write!(f, "Address<{}>", names.join(" + "))
            }
            Ty::FixedBytes(n) => write!(f, "bytes{n}"),
            Ty::Bytes => write!(f, "Bytes"),
            Ty::String => write!(f, "String"),
            Ty::Array(t, n) => write!(f, "[{}; {n}]", sub(t)),
            Ty::Tuple(ts) => write!(f, "({})", ts.iter().map(sub).collect::<Vec<_>>().join(", ")),
            Ty::Adt(id, args) if args.is_empty() => write!(f, "{}", (self.adt_name)(*id)),
            Ty::Adt(id, args) => write!(
                f,
                "{}<{}>",
                (self.adt_name)(*id),
                args.iter().map(sub).collect::<Vec<_>>().join(", ")
            ),
            Ty::Option(t) => write!(f, "Option<{}>", sub(t)),
            Ty::Result(t, e) if **e == Ty::Bytes => write!(f, "Result<{}, CallError>", sub(t)),
            Ty::Result(t, e) => write!(f, "Result<{}, {}>", sub(t), sub(e)),
            Ty::Map(k, v) => write!(f, "Map<{}, {}>", sub(k), sub(v)),
            Ty::StorageVec(t) => write!(f, "StorageVec<{}>", sub(t)),
            Ty::Vec(t) => write!(f, "Vec<{}>", sub(t)),
            Ty::Message(m, v) => write!(f, "{}", (self.msg_name)(*m, *v)),
            Ty::ContractRef(_) => write!(f, "contract"),
            Ty::Never => write!(f, "!"),
            Ty::Error => write!(f, "{{unknown}}"),
        }
    }
}

/// Where a value of a type sits in storage: its byte size, and whether it takes whole slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageSize {
    /// Bytes for packed value types; for slot-aligned types, `slots * 32`.
    pub bytes: u32,
    pub whole_slots: bool,
}

impl StorageSize {
    pub fn slots(self) -> u32 {
        self.bytes.div_ceil(32).max(1)
    }
}

/// Packs fields into slots the way Solidity does: value types low-order aligned in the current
/// slot when they fit, aggregates and mappings on fresh slots, and whatever follows an
/// aggregate on a fresh slot. Returns (slot, byte offset) per field and the total slot count.
pub fn pack_fields(sizes: &[StorageSize]) -> (Vec<(u32, u32)>, u32) {
    let mut out = Vec::new();
    let mut slot = 0u32;
    let mut used = 0u32;
    for s in sizes {
        if s.whole_slots {
            if used > 0 {
                slot += 1;
                used = 0;
            }
            out.push((slot, 0));
            slot += s.slots();
        } else {
            if used + s.bytes > 32 {
                slot += 1;
                used = 0;
            }
            out.push((slot, used));
            used += s.bytes;
            if used == 32 {
                slot += 1;
                used = 0;
            }
        }
    }
    if used > 0 {
        slot += 1;
    }
    (out, slot)
}

pub fn abi_word(ty: &Ty) -> Option<ValTy> {
    ty.word_ty().map(ValTy::Word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(b: u32) -> StorageSize {
        StorageSize {
            bytes: b,
            whole_slots: false,
        }
    }

    #[test]
    fn packs_like_solidity() {
        let agg = StorageSize {
            bytes: 64,
            whole_slots: true,
        };
        let (pos, total) = pack_fields(&[v(1), v(20), v(16), agg, v(1)]);
        assert_eq!(pos, vec![(0, 0), (0, 1), (1, 0), (2, 0), (4, 0)]);
        assert_eq!(total, 5);
    }
}
