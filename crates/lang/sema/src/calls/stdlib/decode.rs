//! `std::abi::decode::<T>(data)`: Solidity's `abi.decode(data, (T))`, lowered to neutral IR
//! (memory loads, bounds checks, allocations and loops), so the EVM build, the native build
//! and the reference interpreter run the same decoder.
//!
//! A tuple type argument is the parameter list: `decode::<(A, B)>` reads what
//! `std::abi::encode(a, b)` writes, as `abi.decode(data, (A, B))` does. Every other `T` is a
//! one-element list. The decoder is as strict as Solidity's: the head must fit the data, an
//! offset or length must be below 2^64 and what it points at must lie inside the data (an
//! offset is relative to the start of its enclosing tuple or array), and a word must be clean
//! for its type (a `bool` of 2, a `u8` of 256, an `i8` that is not sign-extended, an address
//! or `bytesN` with stray bits, an enum past its last variant). Any violation reverts with no
//! data. Values are built in the language's memory layout (docs/ir.md "The model"): inline
//! aggregates flattened, dynamic ones behind a pointer word.

use crate::cx::{Cx, Typed};
use crate::items::AdtKind;
use crate::layout::clean;
use crate::types::Ty;
use tandem_lang_ir::{
    BinOp as IB, Expr as IrExpr, Revert, Stmt as IrStmt, U256, UnOp as IU, ValTy,
};
use tandem_lang_syntax::diag::Span;

/// Offsets and lengths at or above this revert, as Solidity's decoder requires.
fn limit() -> IrExpr {
    IrExpr::Const(U256::from(1) << 64)
}

fn mload(e: IrExpr) -> IrExpr {
    IrExpr::MLoad(Box::new(e))
}

fn times(a: IrExpr, k: u64) -> IrExpr {
    if k == 1 {
        return a;
    }
    IrExpr::bin(IB::Mul, a, IrExpr::c(k))
}

impl Cx<'_, '_> {
    /// `decode::<T>(data)` for a checked `T` (its ABI shape exists) and `data` a `Bytes`
    /// pointer (a local or a constant).
    pub(super) fn abi_decode(&mut self, ty: &Ty, data: IrExpr) -> Typed {
        self.uses_heap = true;
        let start = self.spill(IrExpr::plus(data.clone(), IrExpr::c(32)));
        let end = self.spill(IrExpr::plus(start.clone(), mload(data)));
        match ty {
            Ty::Unit => Typed::unit(),
            Ty::Tuple(ts) => {
                let ts = ts.clone();
                let hs: u64 = ts.iter().map(|t| self.abi_head(t)).sum();
                self.fits(start.clone(), IrExpr::c(hs), end.clone());
                let words: u64 = ts.iter().map(|t| u64::from(self.mem_words(t))).sum();
                let obj = self.alloc(IrExpr::c(32 * words.max(1)));
                self.dec_fields(&ts, obj.clone(), start, end);
                Typed::value(obj, ty.clone())
            }
            t => {
                let hs = self.abi_head(t);
                self.fits(start.clone(), IrExpr::c(hs), end.clone());
                if self.is_inline(t) {
                    let words = u64::from(self.mem_words(t));
                    let obj = self.alloc(IrExpr::c(32 * words));
                    self.dec_into(t, obj.clone(), start.clone(), start, end);
                    return Typed::value(obj, t.clone());
                }
                let slot = self.alloc(IrExpr::c(32));
                self.dec_into(t, slot.clone(), start.clone(), start, end);
                let v = self.spill(mload(slot));
                Typed::value(v, t.clone())
            }
        }
    }

    /// The ABI shape of an already checked type.
    fn abi_shape(&mut self, t: &Ty) -> ValTy {
        self.val_ty(t, Span::default())
            .unwrap_or(ValTy::Tuple(Vec::new()))
    }

    /// Bytes the type takes in its enclosing head.
    pub(super) fn abi_head(&mut self, t: &Ty) -> u64 {
        u64::from(self.abi_shape(t).head_size())
    }

    pub(super) fn abi_dynamic(&mut self, t: &Ty) -> bool {
        self.abi_shape(t).is_dynamic()
    }

    /// Reverts with no data unless `ok`.
    fn need(&mut self, ok: IrExpr) {
        self.emit(IrStmt::If(
            IrExpr::un(IU::IsZero, ok),
            vec![IrStmt::Revert(Revert::Empty)],
            vec![],
        ));
    }

    /// Reverts unless `at + size <= end` (no overflow: both are bounded memory offsets).
    fn fits(&mut self, at: IrExpr, size: IrExpr, end: IrExpr) {
        let past = IrExpr::bin(IB::Gt, IrExpr::plus(at, size), end);
        self.need(IrExpr::un(IU::IsZero, past));
    }

    /// The components of a tuple or struct type, in order.
    fn abi_comps(&mut self, t: &Ty) -> Vec<Ty> {
        match t {
            Ty::Tuple(ts) => ts.clone(),
            Ty::Adt(id, args) => self
                .struct_fields(*id, args)
                .into_iter()
                .map(|(_, t)| t)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Decodes the components of a tuple whose head starts at `p` into memory at `dst`.
    fn dec_fields(&mut self, comps: &[Ty], dst: IrExpr, p: IrExpr, end: IrExpr) {
        let offs = self.tuple_offsets(comps);
        let mut head = 0u64;
        for (t, off) in comps.iter().zip(offs) {
            let d = IrExpr::plus(dst.clone(), IrExpr::c(u64::from(off) * 32));
            let h = IrExpr::plus(p.clone(), IrExpr::c(head));
            self.dec_into(t, d, h, p.clone(), end.clone());
            head += self.abi_head(t);
        }
    }

    /// Decodes one value whose head is at `head` (inside a tuple or array starting at
    /// `base`) into memory at `dst`: a word or pointer word, or an inline aggregate's words.
    fn dec_into(&mut self, t: &Ty, dst: IrExpr, head: IrExpr, base: IrExpr, end: IrExpr) {
        if self.is_word(t) {
            let v = self.spill(mload(head));
            self.need(IrExpr::bin(IB::Eq, v.clone(), clean(v.clone(), t)));
            if let Ty::Adt(id, args) = t
                && matches!(self.p.adts[*id].kind, AdtKind::Enum(_))
            {
                let n = self.enum_variants(*id, args).len() as u64;
                self.need(IrExpr::bin(IB::Lt, v.clone(), IrExpr::c(n)));
            }
            self.emit(IrStmt::MStore(dst, v));
            return;
        }
        if !self.abi_dynamic(t) {
            match t {
                Ty::Array(e, n) => {
                    let n = IrExpr::c(u64::from(*n));
                    self.dec_seq(e, n, dst, head.clone(), head, end);
                }
                _ => {
                    let comps = self.abi_comps(t);
                    self.dec_fields(&comps, dst, head, end);
                }
            }
            return;
        }
        let off = self.spill(mload(head));
        self.need(IrExpr::bin(IB::Lt, off.clone(), limit()));
        let p = self.spill(IrExpr::plus(base, off));
        let v = self.dec_dynamic(t, p, end);
        self.emit(IrStmt::MStore(dst, v));
    }

    /// A dynamic value encoded at `p`; yields the pointer to its fresh memory.
    fn dec_dynamic(&mut self, t: &Ty, p: IrExpr, end: IrExpr) -> IrExpr {
        match t {
            Ty::Bytes | Ty::String => {
                self.fits(p.clone(), IrExpr::c(32), end.clone());
                let len = self.spill(mload(p.clone()));
                self.need(IrExpr::bin(IB::Lt, len.clone(), limit()));
                let src = self.spill(IrExpr::plus(p, IrExpr::c(32)));
                self.fits(src.clone(), len.clone(), end);
                let out = self.packed_buffer(len.clone());
                let data = IrExpr::plus(out.clone(), IrExpr::c(32));
                self.emit(IrStmt::MCopy(data.clone(), src, len.clone()));
                self.emit(IrStmt::MStore(IrExpr::plus(data, len), IrExpr::c(0)));
                out
            }
            Ty::Vec(e) => {
                self.fits(p.clone(), IrExpr::c(32), end.clone());
                let len = self.spill(mload(p.clone()));
                self.need(IrExpr::bin(IB::Lt, len.clone(), limit()));
                let q = self.spill(IrExpr::plus(p, IrExpr::c(32)));
                let hs = self.abi_head(e);
                self.fits(q.clone(), times(len.clone(), hs), end.clone());
                let per = u64::from(self.mem_words(e)) * 32;
                let arr = self.alloc(IrExpr::plus(times(len.clone(), per), IrExpr::c(32)));
                self.emit(IrStmt::MStore(arr.clone(), len.clone()));
                let first = IrExpr::plus(arr.clone(), IrExpr::c(32));
                self.dec_seq(e, len, first, q.clone(), q, end);
                arr
            }
            Ty::Array(e, n) => {
                let n = u64::from(*n);
                let hs = self.abi_head(e);
                self.fits(p.clone(), IrExpr::c(n * hs), end.clone());
                let per = u64::from(self.mem_words(e)) * 32;
                let arr = self.alloc(IrExpr::c((n * per).max(32)));
                self.dec_seq(e, IrExpr::c(n), arr.clone(), p.clone(), p, end);
                arr
            }
            _ => {
                let comps = self.abi_comps(t);
                let hs: u64 = comps.iter().map(|c| self.abi_head(c)).sum();
                self.fits(p.clone(), IrExpr::c(hs), end.clone());
                let words: u64 = comps.iter().map(|c| u64::from(self.mem_words(c))).sum();
                let obj = self.alloc(IrExpr::c(32 * words.max(1)));
                self.dec_fields(&comps, obj.clone(), p, end);
                obj
            }
        }
    }

    /// `n` elements of type `e`, their heads from `src` (offsets relative to `base`), into
    /// memory from `dst`: a loop.
    fn dec_seq(&mut self, e: &Ty, n: IrExpr, dst: IrExpr, src: IrExpr, base: IrExpr, end: IrExpr) {
        let per = u64::from(self.mem_words(e)) * 32;
        let hs = self.abi_head(e);
        let il = self.local();
        self.emit(IrStmt::Let(il, IrExpr::c(0)));
        let i = IrExpr::Local(il);
        let label = self.label();
        let saved = std::mem::take(&mut self.out);
        let done = IrExpr::un(IU::IsZero, IrExpr::bin(IB::Lt, i.clone(), n));
        self.emit(IrStmt::If(done, vec![IrStmt::Break(label)], vec![]));
        let d = IrExpr::plus(dst, times(i.clone(), per));
        let h = IrExpr::plus(src, times(i.clone(), hs));
        self.dec_into(e, d, h, base, end);
        self.emit(IrStmt::Set(il, IrExpr::plus(i, IrExpr::c(1))));
        let body = std::mem::replace(&mut self.out, saved);
        self.emit(IrStmt::Loop {
            label,
            body,
            step: vec![],
        });
    }
}
