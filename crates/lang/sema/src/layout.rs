//! Memory and storage layouts of values, and reads/writes of places.
#![allow(clippy::manual_checked_ops)]

use crate::cx::{Cx, Place, Typed, Val};
use crate::items::AdtKind;
use crate::types::{StorageSize, Ty, pack_fields};
use tandem_lang_ir::meta::TypeName;
use tandem_lang_ir::{BinOp, Expr as IrExpr, Stmt as IrStmt, U256, UnOp, ValTy, WordTy};
use tandem_lang_syntax::ast::{self, VariantFields};
use tandem_lang_syntax::diag::{Diagnostic, Span};

/// The most words one whole-value storage copy may move: its code is a load or store per word,
/// and past about this many it alone is over EIP-170's 24 KiB.
pub const MAX_UNROLLED_WORDS: u64 = 1024;

impl Cx<'_, '_> {
    pub fn is_word(&self, ty: &Ty) -> bool {
        ty.is_word(|id| self.p.adt_is_word(id)) || matches!(ty, Ty::Never | Ty::Error)
    }

    /// Field types of a struct instance, generics substituted.
    pub fn struct_fields(&mut self, id: usize, args: &[Ty]) -> Vec<(String, Ty)> {
        let p = self.p;
        let adt = &p.adts[id];
        let AdtKind::Struct(s) = adt.kind else {
            return Vec::new();
        };
        let subst = adt
            .generics
            .iter()
            .cloned()
            .zip(args.iter().cloned())
            .collect();
        s.fields
            .iter()
            .map(|f| {
                (
                    f.name.name.clone(),
                    p.resolve_ty(adt.file, &f.ty, &subst, self.diags),
                )
            })
            .collect()
    }

    /// Payload types of each variant of an enum instance.
    pub fn enum_variants(&mut self, id: usize, args: &[Ty]) -> Vec<(String, Vec<(String, Ty)>)> {
        let p = self.p;
        let adt = &p.adts[id];
        let AdtKind::Enum(e) = adt.kind else {
            return Vec::new();
        };
        let subst = adt
            .generics
            .iter()
            .cloned()
            .zip(args.iter().cloned())
            .collect();
        e.variants
            .iter()
            .map(|v| {
                let fields = match &v.fields {
                    VariantFields::Unit => Vec::new(),
                    VariantFields::Tuple(ts) => ts
                        .iter()
                        .enumerate()
                        .map(|(i, t)| {
                            (i.to_string(), p.resolve_ty(adt.file, t, &subst, self.diags))
                        })
                        .collect(),
                    VariantFields::Named(fs) => fs
                        .iter()
                        .map(|f| {
                            (
                                f.name.name.clone(),
                                p.resolve_ty(adt.file, &f.ty, &subst, self.diags),
                            )
                        })
                        .collect(),
                };
                (v.name.name.clone(), fields)
            })
            .collect()
    }

    /// Whether a value of this type is laid out inline (flattened words) inside aggregates.
    pub fn is_inline(&mut self, ty: &Ty) -> bool {
        match ty {
            Ty::Array(t, _) => self.is_word(t) || self.is_inline(t),
            Ty::Tuple(ts) => ts.iter().all(|t| self.is_word(t) || self.is_inline(t)),
            Ty::Adt(id, args) if !self.p.adt_is_word(*id) => match self.p.adts[*id].kind {
                AdtKind::Struct(_) => {
                    let fs = self.struct_fields(*id, args);
                    fs.iter().all(|(_, t)| self.is_word(t) || self.is_inline(t))
                }
                AdtKind::Enum(_) => false,
            },
            _ => false,
        }
    }

    /// Words a value occupies inside an aggregate.
    pub fn mem_words(&mut self, ty: &Ty) -> u32 {
        if !self.is_inline(ty) {
            return 1;
        }
        match ty {
            Ty::Array(t, n) => self.mem_words(t).saturating_mul(*n),
            Ty::Tuple(ts) => ts.iter().map(|t| self.mem_words(t)).sum(),
            Ty::Adt(id, args) => {
                let fs = self.struct_fields(*id, args);
                fs.iter().map(|(_, t)| self.mem_words(t)).sum()
            }
            _ => 1,
        }
    }

    pub fn tuple_offsets(&mut self, ts: &[Ty]) -> Vec<u32> {
        let mut off = 0;
        ts.iter()
            .map(|t| {
                let o = off;
                off += self.mem_words(t);
                o
            })
            .collect()
    }

    /// The value of a component `off` words into an aggregate at `base`.
    pub fn read_mem_field(&mut self, base: IrExpr, off: u32, ty: &Ty) -> IrExpr {
        let addr = if off == 0 {
            base
        } else {
            IrExpr::plus(base, IrExpr::c(off as u64 * 32))
        };
        if self.is_inline(ty) {
            addr
        } else {
            IrExpr::MLoad(Box::new(addr))
        }
    }

    pub fn mem_field(
        &mut self,
        base: IrExpr,
        off: u32,
        ty: &Ty,
        assign: crate::cx::Assign,
    ) -> Typed {
        let addr = if off == 0 {
            base
        } else {
            IrExpr::plus(base, IrExpr::c(off as u64 * 32))
        };
        if self.is_inline(ty) {
            Typed {
                val: Val::Value(addr),
                ty: ty.clone(),
                assign: crate::cx::Assign::NotPlace,
            }
        } else {
            Typed {
                val: Val::Place(Place::Memory(addr)),
                ty: ty.clone(),
                assign,
            }
        }
    }

    /// Values have copy semantics: a memory aggregate read from an existing name, field or
    /// element is copied when bound, so writes through the new name leave the old one alone.
    pub fn copy_if_aliased(&mut self, init: &ast::Expr, e: IrExpr, ty: &Ty) -> IrExpr {
        if !matches!(
            init.kind,
            ast::ExprKind::Path(_)
                | ast::ExprKind::Field(..)
                | ast::ExprKind::TupleField(..)
                | ast::ExprKind::Index(..)
        ) {
            return e;
        }
        if self.is_inline(ty) {
            let bytes = IrExpr::c(self.mem_words(ty) as u64 * 32);
            let src = self.spill(e);
            let dst = self.alloc(bytes.clone());
            self.emit(IrStmt::MCopy(dst.clone(), src, bytes));
            return dst;
        }
        if let Ty::Vec(t) = ty
            && (self.is_word(t) || self.is_inline(t))
        {
            let per = self.mem_words(t) as u64 * 32;
            let src = self.spill(e);
            let bytes = self.spill(IrExpr::plus(
                IrExpr::bin(
                    BinOp::Mul,
                    IrExpr::MLoad(Box::new(src.clone())),
                    IrExpr::c(per),
                ),
                IrExpr::c(32),
            ));
            let dst = self.alloc(bytes.clone());
            self.emit(IrStmt::MCopy(dst.clone(), src, bytes));
            return dst;
        }
        e
    }

    pub fn alloc(&mut self, bytes: IrExpr) -> IrExpr {
        self.uses_heap = true;
        let l = self.local();
        self.emit(IrStmt::Let(l, IrExpr::Alloc(Box::new(bytes))));
        IrExpr::Local(l)
    }

    pub fn storage_size(&mut self, ty: &Ty, span: Span) -> StorageSize {
        self.storage_size_at(ty, span, span)
    }

    /// [`Self::storage_size`]; a type that cannot be stored is reported at `at` (the
    /// innermost struct field holding it) and once per root cause (see `storable.rs`).
    pub(crate) fn storage_size_at(&mut self, ty: &Ty, at: Span, span: Span) -> StorageSize {
        let v = |b| StorageSize {
            bytes: b,
            whole_slots: false,
        };
        match ty {
            Ty::Bool => v(1),
            Ty::Uint(b) | Ty::Int(b) => v(*b as u32 / 8),
            Ty::Address | Ty::Handle(_) => v(20),
            Ty::FixedBytes(n) => v(*n as u32),
            Ty::Adt(id, _) if self.p.adt_is_word(*id) => v(1),
            Ty::Map(..) | Ty::StorageVec(_) | Ty::Bytes | Ty::String | Ty::Vec(_) => StorageSize {
                bytes: 32,
                whole_slots: true,
            },
            Ty::Array(t, n) => {
                let es = self.storage_size_at(t, at, span);
                let slots = if es.whole_slots || es.bytes > 16 {
                    es.slots().saturating_mul(*n)
                } else {
                    n.div_ceil(32 / es.bytes)
                };
                StorageSize {
                    bytes: slots.max(1).saturating_mul(32),
                    whole_slots: true,
                }
            }
            // `Option<T>` of a word type is stored as `struct { is_some: bool, value: T }`
            // (see agg_fields); an enum with payloads, and an `Option` of anything else or a
            // `Result`, as a tag word and the variant's fields (`storage_union.rs`).
            Ty::Option(t) if self.is_word(t) => {
                let sizes = self.field_storage_sizes(ty, at, span);
                let (_, slots) = pack_fields(&sizes);
                StorageSize {
                    bytes: slots.max(1).saturating_mul(32),
                    whole_slots: true,
                }
            }
            Ty::Adt(..) | Ty::Option(_) | Ty::Result(..) if self.union_variants(ty).is_some() => {
                let variants = self.union_variants(ty).unwrap_or_default();
                self.union_storage_size(&variants, at, span)
            }
            Ty::Tuple(_) | Ty::Adt(..) | Ty::Option(_) => {
                let sizes = self.field_storage_sizes(ty, at, span);
                let (_, slots) = pack_fields(&sizes);
                StorageSize {
                    bytes: slots.max(1).saturating_mul(32),
                    whole_slots: true,
                }
            }
            Ty::Error => v(32),
            other => {
                self.not_storable(other, at, span);
                v(32)
            }
        }
    }

    /// Whether a whole storage value of `ty` is small enough to copy: such a copy is one load
    /// or store per word, unrolled, and compile time grows faster than the words (20k words
    /// took minutes). Past [`MAX_UNROLLED_WORDS`] it is `E0503`, at the expression checked last.
    fn unroll_fits(&mut self, ty: &Ty, doing: &str) -> bool {
        let words = self.unrolled_words(ty);
        if words <= MAX_UNROLLED_WORDS {
            return true;
        }
        let shown = self.show(ty);
        self.err(Diagnostic::error(
            "E0503",
            format!(
                "{doing} a whole `{shown}` in storage at once takes {words} words, over the \
                 limit of {MAX_UNROLLED_WORDS}"
            ),
            self.expr_span,
            "copy it element by element in a loop",
        ));
        false
    }

    /// The words an unrolled storage copy of `ty` moves (saturating).
    fn unrolled_words(&mut self, ty: &Ty) -> u64 {
        match ty {
            Ty::Array(t, n) => (*n as u64).saturating_mul(self.unrolled_words(t)),
            Ty::Tuple(_) | Ty::Adt(..) | Ty::Option(_) => {
                let fields = self.agg_fields(ty);
                fields
                    .iter()
                    .fold(0u64, |sum, t| sum.saturating_add(self.unrolled_words(t)))
                    .max(1)
            }
            _ => 1,
        }
    }

    /// Component types of a tuple or struct.
    pub fn agg_fields(&mut self, ty: &Ty) -> Vec<Ty> {
        match ty {
            Ty::Tuple(ts) => ts.clone(),
            // The tag (0 or 1) then the value: its memory form and its storage layout.
            Ty::Option(t) => vec![Ty::Bool, (**t).clone()],
            Ty::Adt(id, args) if matches!(self.p.adts[*id].kind, AdtKind::Struct(_)) => self
                .struct_fields(*id, args)
                .into_iter()
                .map(|(_, t)| t)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// (slot, byte offset) of each component of a struct or tuple in storage.
    pub fn storage_positions(&mut self, ty: &Ty, span: Span) -> Vec<(u32, u32)> {
        let sizes = self.field_storage_sizes(ty, span, span);
        pack_fields(&sizes).0
    }

    pub fn slot_plus(slot: &IrExpr, n: u32) -> IrExpr {
        if n == 0 {
            return slot.clone();
        }
        match slot {
            IrExpr::Const(c) => IrExpr::Const(c.wrapping_add(U256::from(n))),
            s => IrExpr::plus(s.clone(), IrExpr::c(n as u64)),
        }
    }

    /// Reads a place to a value (loading words, copying storage aggregates to memory).
    pub fn rvalue(&mut self, t: Typed) -> (Option<IrExpr>, Ty) {
        match t.val {
            Val::Unit => (None, t.ty),
            Val::Value(e) => (Some(e), t.ty),
            Val::Place(p) => {
                let e = self.read_place(&p, &t.ty);
                (Some(e), t.ty)
            }
        }
    }

    pub fn read_place(&mut self, p: &Place, ty: &Ty) -> IrExpr {
        match p {
            Place::Local(l) => IrExpr::Local(*l),
            Place::Memory(addr) => IrExpr::MLoad(Box::new(addr.clone())),
            Place::Storage { slot, offset } => {
                if self.is_word(ty) {
                    let bytes = self.storage_size(ty, Span::default()).bytes;
                    extract(IrExpr::SLoad(Box::new(slot.clone())), *offset, bytes, ty)
                } else if ty.is_storage_only() {
                    // Whole mappings are not values; a later use reports it.
                    IrExpr::c(0)
                } else {
                    self.copy_storage_to_memory(slot.clone(), ty)
                }
            }
            Place::StoragePacked { slot, shift, bytes } => {
                let word = IrExpr::bin(BinOp::Shr, IrExpr::SLoad(slot.clone()), (**shift).clone());
                extract(word, 0, *bytes, ty)
            }
            Place::Immutable(k, span) => self.read_immutable(*k, *span),
        }
    }

    fn copy_storage_to_memory(&mut self, slot: IrExpr, ty: &Ty) -> IrExpr {
        if let Some(variants) = self.union_variants(ty) {
            return self.read_union(slot, &variants);
        }
        if !self.unroll_fits(ty, "reading") {
            return IrExpr::c(0);
        }
        let (comps, positions): (Vec<Ty>, Vec<(u32, u32)>) = match ty {
            Ty::Array(t, n) => {
                let es = self.storage_size(t, Span::default());
                let per = if es.whole_slots || es.bytes > 16 {
                    0
                } else {
                    32 / es.bytes
                };
                let pos = (0..*n)
                    .map(|i| {
                        if per == 0 {
                            (i * es.slots(), 0)
                        } else {
                            (i / per, (i % per) * es.bytes)
                        }
                    })
                    .collect();
                (vec![(**t).clone(); *n as usize], pos)
            }
            Ty::Tuple(_) | Ty::Adt(..) | Ty::Option(_) => {
                let f = self.agg_fields(ty);
                let pos = self.storage_positions(ty, Span::default());
                (f, pos)
            }
            Ty::Bytes | Ty::String => return self.read_storage_bytes(slot),
            Ty::Vec(_) => {
                let shown = self.show(ty);
                self.err(Diagnostic::error(
                    "E0501",
                    format!("reading a whole `{shown}` from storage is not supported yet"),
                    Span::default(),
                    "here",
                ));
                return IrExpr::c(0);
            }
            _ => return IrExpr::c(0),
        };
        // The copy's own block: its components' words. Not `mem_words(ty)`, which is the one
        // pointer word an aggregate that is not inline takes inside another.
        let words: u32 = comps.iter().map(|t| self.mem_words(t)).sum();
        let base = self.alloc(IrExpr::c(words as u64 * 32));
        let offs = self.tuple_offsets(&comps);
        let imm = self.immutable_fields(ty);
        for (i, ((t, (s, o)), off)) in comps.iter().zip(positions).zip(offs).enumerate() {
            let place = match imm.get(i).copied().flatten() {
                Some(k) => Place::Immutable(k, Span::default()),
                None => Place::Storage {
                    slot: Self::slot_plus(&slot, s),
                    offset: o,
                },
            };
            let v = self.read_place(&place, t);
            let addr = IrExpr::plus(base.clone(), IrExpr::c(off as u64 * 32));
            if self.is_inline(t) {
                let words = self.mem_words(t);
                self.emit(IrStmt::MCopy(addr, v, IrExpr::c(words as u64 * 32)));
            } else {
                self.emit(IrStmt::MStore(addr, v));
            }
        }
        base
    }

    /// Writes a value to a place.
    pub fn write_place(&mut self, p: &Place, ty: &Ty, v: IrExpr) {
        match p {
            Place::Local(l) => self.emit(IrStmt::Set(*l, v)),
            Place::Memory(addr) => self.emit(IrStmt::MStore(addr.clone(), v)),
            Place::Immutable(k, span) => self.write_immutable(*k, v, *span),
            Place::StoragePacked { slot, shift, bytes } => {
                // old & !(mask << shift) | (v & mask) << shift
                let v = match fixed_bytes_shift(ty) {
                    Some(s) => IrExpr::bin(BinOp::Shr, v, IrExpr::c(s)),
                    None => v,
                };
                let mask = (U256::from(1) << (*bytes * 8) as usize) - U256::from(1);
                let hole = IrExpr::un(
                    UnOp::Not,
                    IrExpr::bin(BinOp::Shl, IrExpr::Const(mask), (**shift).clone()),
                );
                let old = IrExpr::bin(BinOp::And, IrExpr::SLoad(slot.clone()), hole);
                let newv = IrExpr::bin(
                    BinOp::Shl,
                    IrExpr::bin(BinOp::And, v, IrExpr::Const(mask)),
                    (**shift).clone(),
                );
                self.emit(IrStmt::SStore(
                    (**slot).clone(),
                    IrExpr::bin(BinOp::Or, old, newv),
                ));
            }
            Place::Storage { slot, offset } => {
                if self.is_word(ty) {
                    let bytes = self.storage_size(ty, Span::default()).bytes;
                    let v = match fixed_bytes_shift(ty) {
                        Some(s) => IrExpr::bin(BinOp::Shr, v, IrExpr::c(s)),
                        None => v,
                    };
                    if *offset == 0 && bytes == 32 {
                        self.emit(IrStmt::SStore(slot.clone(), v));
                    } else {
                        let mask = (U256::from(1) << (bytes * 8) as usize) - U256::from(1);
                        let shifted_mask = IrExpr::Const(!(mask << (*offset * 8) as usize));
                        let old = IrExpr::bin(
                            BinOp::And,
                            IrExpr::SLoad(Box::new(slot.clone())),
                            shifted_mask,
                        );
                        let mut newv = IrExpr::bin(BinOp::And, v, IrExpr::Const(mask));
                        if *offset > 0 {
                            newv = IrExpr::bin(BinOp::Shl, newv, IrExpr::c(*offset as u64 * 8));
                        }
                        self.emit(IrStmt::SStore(
                            slot.clone(),
                            IrExpr::bin(BinOp::Or, old, newv),
                        ));
                    }
                } else if matches!(ty, Ty::Bytes | Ty::String) {
                    self.write_storage_bytes(slot.clone(), v);
                } else if let Some(variants) = self.union_variants(ty) {
                    self.write_union(slot, &variants, v);
                } else if self.unroll_fits(ty, "writing") {
                    let src = self.spill(v);
                    let comps: Vec<Ty> = match ty {
                        Ty::Array(t, n) => vec![(**t).clone(); *n as usize],
                        _ => self.agg_fields(ty),
                    };
                    let positions: Vec<(u32, u32)> = match ty {
                        Ty::Array(t, n) => {
                            let es = self.storage_size(t, Span::default());
                            let per = if es.whole_slots || es.bytes > 16 {
                                0
                            } else {
                                32 / es.bytes
                            };
                            (0..*n)
                                .map(|i| {
                                    if per == 0 {
                                        (i * es.slots(), 0)
                                    } else {
                                        (i / per, (i % per) * es.bytes)
                                    }
                                })
                                .collect()
                        }
                        _ => self.storage_positions(ty, Span::default()),
                    };
                    let offs = self.tuple_offsets(&comps);
                    for ((t, (s, o)), off) in comps.iter().zip(positions).zip(offs) {
                        let fv = self.read_mem_field(src.clone(), off, t);
                        self.write_place(
                            &Place::Storage {
                                slot: Self::slot_plus(slot, s),
                                offset: o,
                            },
                            t,
                            fv,
                        );
                    }
                }
            }
        }
    }

    /// The ABI shape of a type, or an error if it cannot cross the ABI.
    pub fn val_ty(&mut self, ty: &Ty, span: Span) -> Option<ValTy> {
        Some(match ty {
            Ty::Unit => ValTy::Tuple(vec![]),
            Ty::Bool
            | Ty::Uint(_)
            | Ty::Int(_)
            | Ty::Address
            | Ty::Handle(_)
            | Ty::FixedBytes(_) => ValTy::Word(ty.word_ty()?),
            Ty::Adt(id, _) if self.p.adt_is_word(*id) => ValTy::Word(WordTy::Uint(8)),
            Ty::Bytes => ValTy::Bytes,
            Ty::String => ValTy::String,
            Ty::Array(t, n) => ValTy::Array(Box::new(self.val_ty(t, span)?), *n),
            Ty::Vec(t) => ValTy::DynArray(Box::new(self.val_ty(t, span)?)),
            Ty::Tuple(ts) => ValTy::Tuple(
                ts.iter()
                    .map(|t| self.val_ty(t, span))
                    .collect::<Option<_>>()?,
            ),
            Ty::Adt(id, args) if matches!(self.p.adts[*id].kind, AdtKind::Struct(_)) => {
                let fs = self.struct_fields(*id, args);
                ValTy::Tuple(
                    fs.iter()
                        .map(|(_, t)| self.val_ty(t, span))
                        .collect::<Option<_>>()?,
                )
            }
            Ty::Error | Ty::Never => ValTy::Word(WordTy::Uint(256)),
            other => {
                let shown = self.show(other);
                self.err(Diagnostic::error(
                    "E0502",
                    format!("`{shown}` has no Solidity ABI encoding"),
                    span,
                    "cannot be sent or returned",
                ));
                return None;
            }
        })
    }
}

impl Cx<'_, '_> {
    /// The names behind [`Cx::val_ty`] of `ty` (struct, enum, field and variant names), for
    /// the artifact's metadata (`ir::meta::TypeName`).
    pub fn type_name(&mut self, ty: &Ty) -> TypeName {
        match ty {
            Ty::Adt(id, args) => match self.p.adts[*id].kind {
                AdtKind::Struct(_) => {
                    let fields = self
                        .struct_fields(*id, args)
                        .into_iter()
                        .map(|(n, t)| (n, self.type_name(&t)))
                        .collect();
                    TypeName::Struct {
                        name: self.show(ty),
                        fields,
                    }
                }
                AdtKind::Enum(e) => TypeName::Enum {
                    name: self.show(ty),
                    variants: e.variants.iter().map(|v| v.name.name.clone()).collect(),
                },
            },
            Ty::Array(t, _) | Ty::Vec(t) => TypeName::Items(Box::new(self.type_name(t))),
            Ty::Tuple(ts) => TypeName::Tuple(ts.iter().map(|t| self.type_name(t)).collect()),
            _ => TypeName::Unnamed,
        }
    }
}

/// Extracts a packed value from a storage word.
pub fn extract(word: IrExpr, offset: u32, bytes: u32, ty: &Ty) -> IrExpr {
    if offset == 0 && bytes == 32 {
        return word;
    }
    let shifted = if offset == 0 {
        word
    } else {
        IrExpr::bin(BinOp::Shr, word, IrExpr::c(offset as u64 * 8))
    };
    match ty {
        Ty::Int(_) => IrExpr::bin(BinOp::SignExtend, shifted, IrExpr::c(bytes as u64 - 1)),
        // Back to left-aligned; the shift drops the neighbours' bytes.
        Ty::FixedBytes(_) => match fixed_bytes_shift(ty) {
            Some(s) => IrExpr::bin(BinOp::Shl, shifted, IrExpr::c(s)),
            None => shifted,
        },
        _ => {
            let mask = (U256::from(1) << (bytes * 8) as usize) - U256::from(1);
            IrExpr::bin(BinOp::And, shifted, IrExpr::Const(mask))
        }
    }
}

/// Cleans a word to a type's canonical form (truncating or sign-extending).
pub fn clean(e: IrExpr, ty: &Ty) -> IrExpr {
    match ty {
        Ty::Uint(b) if *b < 256 => IrExpr::bin(
            BinOp::And,
            e,
            IrExpr::Const((U256::from(1) << *b as usize) - U256::from(1)),
        ),
        Ty::Int(b) if *b < 256 => IrExpr::bin(BinOp::SignExtend, e, IrExpr::c(*b as u64 / 8 - 1)),
        Ty::Address | Ty::Handle(_) => IrExpr::bin(
            BinOp::And,
            e,
            IrExpr::Const((U256::from(1) << 160) - U256::from(1)),
        ),
        Ty::Bool => IrExpr::un(UnOp::IsZero, IrExpr::un(UnOp::IsZero, e)),
        Ty::FixedBytes(n) if *n < 32 => {
            IrExpr::bin(BinOp::And, e, IrExpr::Const(fixed_bytes_mask(*n)))
        }
        _ => e,
    }
}

/// The bits a `bytesN` value may occupy: its first n bytes.
pub fn fixed_bytes_mask(n: u8) -> U256 {
    if n >= 32 {
        return U256::MAX;
    }
    !(U256::MAX >> (n as usize * 8))
}

/// A `bytesN` sits right-aligned in storage (as Solidity packs it) and left-aligned in
/// words: the shift between the two.
pub fn fixed_bytes_shift(ty: &Ty) -> Option<u64> {
    match ty {
        Ty::FixedBytes(n) if *n < 32 => Some(256 - *n as u64 * 8),
        _ => None,
    }
}
