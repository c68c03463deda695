//! Enum values that enter from outside are range-checked as Solidity's decoder checks them: an
//! enum's ABI value at or past its number of variants reverts with no data (solc's `abi.decode`
//! of calldata and of return data). A unit enum crosses the ABI as a `uint8`
//! (`ValTy::Word(Uint(8))`), so a backend's decoder only checks that the word fits 8 bits; the
//! check against the variant count is added here, in neutral IR over the decoded value in the
//! language's memory layout, and every target (the EVM build, the native build's DAG-CBOR and
//! Solidity-ABI entries) and the interpreter run the same check. It covers handler and
//! constructor parameters, `ctx.call` replies and `#[reply]` values, including enums inside
//! structs, tuples, arrays and `Vec`s. A type without an enum adds no code.
//! (`std::abi::decode` checks while it decodes, in `calls/stdlib/decode.rs`.)

use crate::cx::Cx;
use crate::items::AdtKind;
use crate::types::Ty;
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, Revert, Stmt as IrStmt, UnOp as IU};

fn mload(e: IrExpr) -> IrExpr {
    IrExpr::MLoad(Box::new(e))
}

impl Cx<'_, '_> {
    /// Whether a value of `t` holds a unit enum anywhere.
    pub(crate) fn has_enum(&mut self, t: &Ty) -> bool {
        match t {
            Ty::Adt(id, args) => match self.p.adts[*id].kind {
                AdtKind::Enum(_) => self.p.adt_is_word(*id),
                AdtKind::Struct(_) => {
                    let fs = self.struct_fields(*id, args);
                    fs.iter().any(|(_, t)| self.has_enum(t))
                }
            },
            Ty::Array(e, _) | Ty::Vec(e) => self.has_enum(e),
            Ty::Tuple(ts) => ts.iter().any(|t| self.has_enum(t)),
            _ => false,
        }
    }

    /// Reverts with no data unless every enum in the value `v` of type `t` (a word, or a
    /// pointer to an aggregate) names one of its variants. Emits nothing when `t` has no enum.
    pub(crate) fn check_enums(&mut self, t: &Ty, v: IrExpr) {
        if !self.has_enum(t) {
            return;
        }
        if self.is_word(t) {
            self.enum_in_range(t, v);
        } else {
            let p = self.spill(v);
            self.check_object(t, p);
        }
    }

    /// `v < number of variants` for an enum `t`.
    fn enum_in_range(&mut self, t: &Ty, v: IrExpr) {
        let Ty::Adt(id, args) = t else { return };
        let n = self.enum_variants(*id, args).len() as u64;
        let past = IrExpr::un(IU::IsZero, IrExpr::bin(IB::Lt, v, IrExpr::c(n)));
        self.emit(IrStmt::If(
            past,
            vec![IrStmt::Revert(Revert::Empty)],
            vec![],
        ));
    }

    /// The aggregate whose contents start at `p`: an inline aggregate's flattened words, a
    /// `Vec`'s length word and elements, a dynamic array's elements or a dynamic struct's
    /// field words.
    fn check_object(&mut self, t: &Ty, p: IrExpr) {
        match t {
            Ty::Vec(e) => {
                let len = self.spill(mload(p.clone()));
                let first = IrExpr::plus(p, IrExpr::c(32));
                self.check_each(e, len, first);
            }
            Ty::Array(e, n) => self.check_each(e, IrExpr::c(u64::from(*n)), p),
            _ => {
                let comps: Vec<Ty> = match t {
                    Ty::Tuple(ts) => ts.clone(),
                    Ty::Adt(id, args) => self
                        .struct_fields(*id, args)
                        .into_iter()
                        .map(|(_, t)| t)
                        .collect(),
                    _ => return,
                };
                let offs = self.tuple_offsets(&comps);
                for (c, off) in comps.iter().zip(offs) {
                    if self.has_enum(c) {
                        let at = IrExpr::plus(p.clone(), IrExpr::c(u64::from(off) * 32));
                        self.check_slot(c, at);
                    }
                }
            }
        }
    }

    /// The value of `t` stored at `at` inside its parent: a word, an inline aggregate's words
    /// or a pointer word.
    fn check_slot(&mut self, t: &Ty, at: IrExpr) {
        if self.is_word(t) {
            self.enum_in_range(t, mload(at));
        } else if self.is_inline(t) {
            self.check_object(t, at);
        } else {
            let p = self.spill(mload(at));
            self.check_object(t, p);
        }
    }

    /// `n` elements of `e` laid out from `first`: a loop.
    fn check_each(&mut self, e: &Ty, n: IrExpr, first: IrExpr) {
        let per = u64::from(self.mem_words(e)) * 32;
        let il = self.local();
        self.emit(IrStmt::Let(il, IrExpr::c(0)));
        let i = IrExpr::Local(il);
        let label = self.label();
        let saved = std::mem::take(&mut self.out);
        let done = IrExpr::un(IU::IsZero, IrExpr::bin(IB::Lt, i.clone(), n));
        self.emit(IrStmt::If(done, vec![IrStmt::Break(label)], vec![]));
        let at = IrExpr::plus(first, IrExpr::bin(IB::Mul, i.clone(), IrExpr::c(per)));
        self.check_slot(e, at);
        self.emit(IrStmt::Set(il, IrExpr::plus(i, IrExpr::c(1))));
        let body = std::mem::replace(&mut self.out, saved);
        self.emit(IrStmt::Loop {
            label,
            body,
            step: vec![],
        });
    }
}
