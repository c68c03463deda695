//! Places: field access and indexing of memory aggregates, storage and calldata.

use crate::cx::{Assign, Cx, Place, Typed, Val};
use crate::items::AdtKind;
use crate::types::Ty;
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, Stmt as IrStmt, U256};
use tandem_lang_syntax::ast::{self, Expr};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

impl Cx<'_, '_> {
    pub(crate) fn field(&mut self, base: &Expr, name: &ast::Ident) -> Typed {
        let b = self.expr(base, None);
        let Ty::Adt(id, args) = b.ty.clone() else {
            if b.ty != Ty::Error {
                let shown = self.show(&b.ty);
                self.err(Diagnostic::error(
                    "E0310",
                    format!("no field `{}` on type `{shown}`", name.name),
                    name.span,
                    "unknown field",
                ));
            }
            return Typed::error();
        };
        if !matches!(self.p.adts[id].kind, AdtKind::Struct(_)) {
            let shown = self.show(&b.ty);
            self.err(Diagnostic::error(
                "E0310",
                format!("no field `{}` on enum `{shown}`", name.name),
                name.span,
                "use `match` to read enum payloads",
            ));
            return Typed::error();
        }
        let fields = self.struct_fields(id, &args);
        let Some(idx) = fields.iter().position(|(n, _)| *n == name.name) else {
            let shown = self.show(&b.ty);
            let mut d = Diagnostic::error(
                "E0310",
                format!("no field `{}` on type `{shown}`", name.name),
                name.span,
                "unknown field",
            );
            if let Some(s) = did_you_mean(&name.name, fields.iter().map(|(n, _)| n.as_str())) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                let all: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                d = d.with_help(format!("available fields: {}", all.join(", ")));
            }
            self.err(d);
            return Typed::error();
        };
        let fty = fields[idx].1.clone();
        match b.val {
            Val::Place(Place::Storage { slot, .. }) if self.field_is_immutable(id, idx) => {
                self.immutable_field(&b.ty, &slot, (id, idx), fty, name.span)
            }
            Val::Place(Place::Storage { slot, .. }) => {
                let pos = self.storage_positions(&b.ty, name.span)[idx];
                Typed {
                    val: Val::Place(Place::Storage {
                        slot: Self::slot_plus(&slot, pos.0),
                        offset: pos.1,
                    }),
                    ty: fty,
                    assign: b.assign,
                }
            }
            _ => {
                let assign = match &b.assign {
                    Assign::Immutable(_) | Assign::NotPlace => Assign::Ok,
                    a => a.clone(),
                };
                let (base, _) = self.rvalue(b);
                let tys: Vec<Ty> = fields.iter().map(|(_, t)| t.clone()).collect();
                let off = self.tuple_offsets(&tys)[idx];
                self.mem_field(base.unwrap_or(IrExpr::c(0)), off, &fty, assign)
            }
        }
    }

    pub(crate) fn index(&mut self, base: &Expr, idx: &Expr, span: Span) -> Typed {
        let b = self.expr(base, None);
        match b.ty.clone() {
            Ty::Map(k, v) => {
                let Val::Place(Place::Storage { slot, .. }) = b.val else {
                    return Typed::error();
                };
                let key = self.expr(idx, Some(&k));
                self.mismatch(&k, &key.ty, idx.span);
                let (kv, _) = self.rvalue(key);
                let kv = kv.unwrap_or(IrExpr::c(0));
                let bytes_key = matches!(*k, Ty::Bytes | Ty::String);
                let kv = self.spill(kv);
                let place = IrExpr::MapSlot {
                    base: Box::new(slot),
                    key: Box::new(kv),
                    bytes_key,
                };
                // A `Bytes` key's slot is computed once, where the key is evaluated.
                let slot_e = if bytes_key { self.spill(place) } else { place };
                Typed {
                    val: Val::Place(Place::Storage {
                        slot: slot_e,
                        offset: 0,
                    }),
                    ty: *v,
                    assign: b.assign,
                }
            }
            Ty::StorageVec(t) => {
                let Val::Place(Place::Storage { slot, .. }) = b.val else {
                    return Typed::error();
                };
                let i = self.index_value(idx);
                self.emit(IrStmt::Assert(
                    IrExpr::bin(IB::Lt, i.clone(), IrExpr::SLoad(Box::new(slot.clone()))),
                    0x32,
                ));
                let data = IrExpr::DataSlot(Box::new(slot));
                self.storage_element(data, i, &t, b.assign, span)
            }
            Ty::Array(t, n) => {
                let i = self.index_value(idx);
                if let IrExpr::Const(c) = &i {
                    if *c >= U256::from(n) {
                        self.err(Diagnostic::error(
                            "E0360",
                            format!("index {c} is out of bounds for an array of length {n}"),
                            idx.span,
                            "out of bounds",
                        ));
                        return Typed::error();
                    }
                } else {
                    self.emit(IrStmt::Assert(
                        IrExpr::bin(IB::Lt, i.clone(), IrExpr::c(n as u64)),
                        0x32,
                    ));
                }
                match b.val {
                    Val::Place(Place::Storage { slot, .. }) => {
                        self.storage_element(slot, i, &t, b.assign, span)
                    }
                    _ => {
                        let assign = match &b.assign {
                            Assign::Immutable(_) | Assign::NotPlace => Assign::Ok,
                            a => a.clone(),
                        };
                        let (base, _) = self.rvalue(b);
                        let w = self.mem_words(&t) as u64;
                        let addr = IrExpr::plus(
                            base.unwrap_or(IrExpr::c(0)),
                            IrExpr::bin(IB::Mul, i, IrExpr::c(w * 32)),
                        );
                        let addr = self.spill(addr);
                        self.mem_field(addr, 0, &t, assign)
                    }
                }
            }
            Ty::Vec(t) => {
                let (base, _) = self.rvalue(b);
                let base = self.spill(base.unwrap_or(IrExpr::c(0)));
                let i = self.index_value(idx);
                self.emit(IrStmt::Assert(
                    IrExpr::bin(IB::Lt, i.clone(), IrExpr::MLoad(Box::new(base.clone()))),
                    0x32,
                ));
                let w = self.mem_words(&t) as u64;
                let addr = IrExpr::plus(
                    IrExpr::plus(base, IrExpr::c(32)),
                    IrExpr::bin(IB::Mul, i, IrExpr::c(w * 32)),
                );
                let addr = self.spill(addr);
                self.mem_field(addr, 0, &t, Assign::Ok)
            }
            Ty::Bytes => {
                let (base, _) = self.rvalue(b);
                let base = self.spill(base.unwrap_or(IrExpr::c(0)));
                let i = self.index_value(idx);
                self.emit(IrStmt::Assert(
                    IrExpr::bin(IB::Lt, i.clone(), IrExpr::MLoad(Box::new(base.clone()))),
                    0x32,
                ));
                let word = IrExpr::MLoad(Box::new(IrExpr::plus(
                    IrExpr::plus(base, IrExpr::c(32)),
                    i.clone(),
                )));
                Typed::value(IrExpr::bin(IB::Byte, word, IrExpr::c(0)), Ty::Uint(8))
            }
            Ty::FixedBytes(n) => {
                // `b[i]`: byte i of a bytesN (Panic(0x32) past the end), as a u8.
                let (v, _) = self.rvalue(b);
                let v = self.spill(v.unwrap_or(IrExpr::c(0)));
                let i = self.index_value(idx);
                let i = self.spill(i);
                self.emit(IrStmt::Assert(
                    IrExpr::bin(IB::Lt, i.clone(), IrExpr::c(n as u64)),
                    0x32,
                ));
                Typed::value(IrExpr::bin(IB::Byte, v, i), Ty::Uint(8))
            }
            Ty::Error => Typed::error(),
            other => {
                let shown = self.show(&other);
                self.err(Diagnostic::error(
                    "E0361",
                    format!("cannot index into a value of type `{shown}`"),
                    span,
                    "not indexable",
                ));
                Typed::error()
            }
        }
    }

    pub(crate) fn index_value(&mut self, idx: &Expr) -> IrExpr {
        let t = self.expr(idx, Some(&Ty::U256));
        if !matches!(t.ty, Ty::Uint(_) | Ty::Error) {
            let shown = self.show(&t.ty);
            self.err(Diagnostic::error(
                "E0362",
                format!("index must be an unsigned integer, found `{shown}`"),
                idx.span,
                "bad index",
            ));
        }
        let (v, _) = self.rvalue(t);
        self.spill(v.unwrap_or(IrExpr::c(0)))
    }

    /// Element `i` of a packed array whose data starts at `data`.
    pub(crate) fn storage_element(
        &mut self,
        data: IrExpr,
        i: IrExpr,
        t: &Ty,
        assign: Assign,
        span: Span,
    ) -> Typed {
        let es = self.storage_size(t, span);
        let place = if es.whole_slots || es.bytes > 16 {
            let slot = IrExpr::plus(data, IrExpr::bin(IB::Mul, i, IrExpr::c(es.slots() as u64)));
            Place::Storage {
                slot: self.spill(slot),
                offset: 0,
            }
        } else {
            let per = 32 / es.bytes;
            if let IrExpr::Const(c) = &i {
                let c: u64 = c.saturating_to();
                let slot = Self::slot_plus(&data, (c / per as u64) as u32);
                Place::Storage {
                    slot,
                    offset: (c % per as u64) as u32 * es.bytes,
                }
            } else {
                // A dynamic offset inside the slot: read and write through shifts at run time.
                let slot = self.spill(IrExpr::plus(
                    data,
                    IrExpr::bin(IB::Div, i.clone(), IrExpr::c(per as u64)),
                ));
                let shift = self.spill(IrExpr::bin(
                    IB::Mul,
                    IrExpr::bin(IB::Mod, i, IrExpr::c(per as u64)),
                    IrExpr::c(es.bytes as u64 * 8),
                ));
                return self.dynamic_packed(slot, shift, t, es.bytes, assign);
            }
        };
        Typed {
            val: Val::Place(place),
            ty: t.clone(),
            assign,
        }
    }

    /// A packed element at a run-time position: a place read by shifting and masking and
    /// written by a read-modify-write of its slot (see `write_place`).
    pub(crate) fn dynamic_packed(
        &mut self,
        slot: IrExpr,
        shift: IrExpr,
        t: &Ty,
        bytes: u32,
        assign: Assign,
    ) -> Typed {
        Typed {
            val: Val::Place(Place::StoragePacked {
                slot: Box::new(slot),
                shift: Box::new(shift),
                bytes,
            }),
            ty: t.clone(),
            assign,
        }
    }
}
