//! `std::abi::encode(..)` of nested dynamic types (`Vec<Bytes>`, `Vec<String>`,
//! `Vec<Vec<T>>`, `[Bytes; N]`, structs and tuples with dynamic fields), lowered to neutral
//! IR: the backends' encoders (`IrExpr::AbiEncode`) take words, `Bytes`, `String`, static
//! aggregates and `Vec`s of static values, and refuse the rest. Two passes over the value:
//! its encoded size (a loop per dynamic array of dynamic elements), then the encoding into a
//! buffer of that size, heads first and each dynamic part in the tail after them, with
//! offsets relative to the start of the enclosing tuple or array (the Solidity ABI).

use crate::cx::Cx;
use crate::types::Ty;
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, LocalId, Stmt as IrStmt, UnOp as IU, ValTy};

fn mload(e: IrExpr) -> IrExpr {
    IrExpr::MLoad(Box::new(e))
}

fn times(a: IrExpr, k: u64) -> IrExpr {
    if k == 1 {
        return a;
    }
    IrExpr::bin(IB::Mul, a, IrExpr::c(k))
}

fn round_up(len: IrExpr) -> IrExpr {
    IrExpr::bin(
        IB::Shl,
        IrExpr::bin(IB::Shr, IrExpr::plus(len, IrExpr::c(31)), IrExpr::c(5)),
        IrExpr::c(5),
    )
}

/// Whether a value of this shape has a dynamic part inside an aggregate: what the backends'
/// encoders refuse and [`Cx::abi_encode_nested`] handles.
pub(crate) fn nested_dynamic(v: &ValTy) -> bool {
    match v {
        ValTy::DynArray(e) | ValTy::Array(e, _) => e.is_dynamic() || nested_dynamic(e),
        ValTy::Tuple(ts) => ts.iter().any(|t| t.is_dynamic() || nested_dynamic(t)),
        _ => false,
    }
}

impl Cx<'_, '_> {
    /// The Solidity ABI encoding of `args` (values already in locals or constants, with
    /// their checked types) as fresh `Bytes`.
    pub(crate) fn abi_encode_nested(&mut self, args: &[(IrExpr, Ty)]) -> IrExpr {
        self.uses_heap = true;
        let size = self.size_fields(args);
        let buf = self.alloc(IrExpr::plus(size.clone(), IrExpr::c(64)));
        self.emit(IrStmt::MStore(buf.clone(), size));
        let start = self.spill(IrExpr::plus(buf.clone(), IrExpr::c(32)));
        self.enc_fields(args, start);
        buf
    }

    /// `std::abi::encode` of checked values: the backends' `AbiEncode` unless a value has a
    /// dynamic part inside an aggregate, then [`Self::abi_encode_nested`].
    pub(crate) fn abi_encode_values(&mut self, args: Vec<(IrExpr, ValTy, Ty)>) -> IrExpr {
        self.uses_heap = true;
        if args.iter().any(|(_, v, _)| nested_dynamic(v)) {
            let vals: Vec<(IrExpr, Ty)> = args.into_iter().map(|(e, _, t)| (e, t)).collect();
            return self.abi_encode_nested(&vals);
        }
        IrExpr::AbiEncode(args.into_iter().map(|(e, v, _)| (e, v)).collect())
    }

    /// The value of each component of a struct or tuple held in memory at `v`.
    fn comp_values(&mut self, t: &Ty, v: IrExpr) -> Vec<(IrExpr, Ty)> {
        let comps: Vec<Ty> = match t {
            Ty::Tuple(ts) => ts.clone(),
            Ty::Adt(id, args) => self
                .struct_fields(*id, args)
                .into_iter()
                .map(|(_, t)| t)
                .collect(),
            _ => Vec::new(),
        };
        let offs = self.tuple_offsets(&comps);
        comps
            .into_iter()
            .zip(offs)
            .map(|(c, off)| (self.read_mem_field(v.clone(), off, &c), c))
            .collect()
    }

    /// A local accumulating a sum, starting at `init`.
    fn acc(&mut self, init: IrExpr) -> LocalId {
        let l = self.local();
        self.emit(IrStmt::Let(l, init));
        l
    }

    /// The encoded size of a tuple of these values (heads and tails).
    fn size_fields(&mut self, comps: &[(IrExpr, Ty)]) -> IrExpr {
        let heads: u64 = comps.iter().map(|(_, t)| self.abi_head(t)).sum();
        let total = self.acc(IrExpr::c(heads));
        for (v, t) in comps {
            if self.abi_dynamic(t) {
                let s = self.size_dyn(t, v.clone());
                self.emit(IrStmt::Set(total, IrExpr::plus(IrExpr::Local(total), s)));
            }
        }
        IrExpr::Local(total)
    }

    /// The encoded size of the tail of a dynamic value `v` of type `t`.
    fn size_dyn(&mut self, t: &Ty, v: IrExpr) -> IrExpr {
        match t {
            Ty::Bytes | Ty::String => self.spill(IrExpr::plus(round_up(mload(v)), IrExpr::c(32))),
            Ty::Vec(e) => {
                let v = self.spill(v);
                let n = self.spill(mload(v.clone()));
                let inner = self.size_seq(e, n, IrExpr::plus(v, IrExpr::c(32)));
                self.spill(IrExpr::plus(inner, IrExpr::c(32)))
            }
            Ty::Array(e, n) => self.size_seq(e, IrExpr::c(u64::from(*n)), v),
            _ => {
                let v = self.spill(v);
                let comps = self.comp_values(t, v);
                self.size_fields(&comps)
            }
        }
    }

    /// The encoded size of `n` elements of type `e` laid out in memory from `src`.
    fn size_seq(&mut self, e: &Ty, n: IrExpr, src: IrExpr) -> IrExpr {
        let hs = self.abi_head(e);
        let total = self.acc(times(n.clone(), hs));
        if !self.abi_dynamic(e) {
            return IrExpr::Local(total);
        }
        let per = u64::from(self.mem_words(e)) * 32;
        self.each(n, |cx, i| {
            let at = IrExpr::plus(src.clone(), times(i, per));
            let v = cx.elem_value(e, at);
            let s = cx.size_dyn(e, v);
            cx.emit(IrStmt::Set(total, IrExpr::plus(IrExpr::Local(total), s)));
        });
        IrExpr::Local(total)
    }

    /// An element's value at memory address `at`: the address of an inline aggregate, the
    /// word otherwise.
    fn elem_value(&mut self, e: &Ty, at: IrExpr) -> IrExpr {
        if self.is_inline(e) { at } else { mload(at) }
    }

    /// Runs `body(i)` for i in 0..n, in a loop.
    fn each(&mut self, n: IrExpr, body: impl FnOnce(&mut Self, IrExpr)) {
        let il = self.acc(IrExpr::c(0));
        let i = IrExpr::Local(il);
        let label = self.label();
        let saved = std::mem::take(&mut self.out);
        let done = IrExpr::un(IU::IsZero, IrExpr::bin(IB::Lt, i.clone(), n));
        self.emit(IrStmt::If(done, vec![IrStmt::Break(label)], vec![]));
        body(self, i.clone());
        self.emit(IrStmt::Set(il, IrExpr::plus(i, IrExpr::c(1))));
        let body = std::mem::replace(&mut self.out, saved);
        self.emit(IrStmt::Loop {
            label,
            body,
            step: vec![],
        });
    }

    /// Encodes a tuple of these values at `start`; yields the end of its encoding.
    fn enc_fields(&mut self, comps: &[(IrExpr, Ty)], start: IrExpr) -> IrExpr {
        let heads: u64 = comps.iter().map(|(_, t)| self.abi_head(t)).sum();
        let tail = self.acc(IrExpr::plus(start.clone(), IrExpr::c(heads)));
        let mut head = 0u64;
        for (v, t) in comps {
            let h = IrExpr::plus(start.clone(), IrExpr::c(head));
            self.enc_one(t, v.clone(), h, start.clone(), tail);
            head += self.abi_head(t);
        }
        IrExpr::Local(tail)
    }

    /// Encodes one value: its head at `head`, and for a dynamic value its offset from `base`
    /// and its encoding at the tail (the local `tail`, moved past it).
    fn enc_one(&mut self, t: &Ty, v: IrExpr, head: IrExpr, base: IrExpr, tail: LocalId) {
        if self.is_word(t) {
            self.emit(IrStmt::MStore(head, v));
            return;
        }
        if !self.abi_dynamic(t) {
            let bytes = IrExpr::c(u64::from(self.mem_words(t)) * 32);
            self.emit(IrStmt::MCopy(head, v, bytes));
            return;
        }
        let at = IrExpr::Local(tail);
        self.emit(IrStmt::MStore(head, IrExpr::bin(IB::Sub, at.clone(), base)));
        let end = self.enc_dyn(t, v, at);
        self.emit(IrStmt::Set(tail, end));
    }

    /// Encodes the tail of a dynamic value at `at`; yields the end of it.
    fn enc_dyn(&mut self, t: &Ty, v: IrExpr, at: IrExpr) -> IrExpr {
        let at = self.spill(at);
        match t {
            Ty::Bytes | Ty::String => {
                let v = self.spill(v);
                let len = self.spill(mload(v.clone()));
                self.emit(IrStmt::MStore(at.clone(), len.clone()));
                let data = IrExpr::plus(at.clone(), IrExpr::c(32));
                let src = IrExpr::plus(v, IrExpr::c(32));
                self.emit(IrStmt::MCopy(data.clone(), src, len.clone()));
                // Zero the padding; what follows is written after this.
                self.emit(IrStmt::MStore(
                    IrExpr::plus(data, len.clone()),
                    IrExpr::c(0),
                ));
                self.spill(IrExpr::plus(at, IrExpr::plus(round_up(len), IrExpr::c(32))))
            }
            Ty::Vec(e) => {
                let v = self.spill(v);
                let n = self.spill(mload(v.clone()));
                self.emit(IrStmt::MStore(at.clone(), n.clone()));
                let src = IrExpr::plus(v, IrExpr::c(32));
                self.enc_seq(e, n, src, IrExpr::plus(at, IrExpr::c(32)))
            }
            Ty::Array(e, n) => self.enc_seq(e, IrExpr::c(u64::from(*n)), v, at),
            _ => {
                let v = self.spill(v);
                let comps = self.comp_values(t, v);
                self.enc_fields(&comps, at)
            }
        }
    }

    /// Encodes `n` elements of type `e` (in memory from `src`) as a tuple at `start`.
    fn enc_seq(&mut self, e: &Ty, n: IrExpr, src: IrExpr, start: IrExpr) -> IrExpr {
        let start = self.spill(start);
        let hs = self.abi_head(e);
        let per = u64::from(self.mem_words(e)) * 32;
        let tail = self.acc(IrExpr::plus(start.clone(), times(n.clone(), hs)));
        self.each(n, |cx, i| {
            let at = IrExpr::plus(src.clone(), times(i.clone(), per));
            let v = cx.elem_value(e, at);
            let v = cx.spill(v);
            let head = IrExpr::plus(start.clone(), times(i, hs));
            cx.enc_one(e, v, head, start.clone(), tail);
        });
        IrExpr::Local(tail)
    }
}
