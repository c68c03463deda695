//! Tagged unions in storage: an enum with payloads, and an `Option` or `Result` whose payload
//! is not a single word. The layout is a tag word, then the payload words:
//! - slot `s` holds the variant's index (its declaration order; `None` 0 and `Some` 1, `Err` 0
//!   and `Ok` 1, the tags of their memory form) as a whole word;
//! - from slot `s + 1`, the variant's fields are laid out as a struct of them would be
//!   (Solidity packing: small values share a slot, aggregates and strings start one);
//! - the union takes `1 + max(slots of a variant's fields)` slots, so what follows it in a
//!   struct starts after the largest variant.
//!
//! A write stores the tag and the live variant's fields only; the words another variant left
//! are not cleared (reads look at the tag first, so they are never read). A slot never
//! written reads as the first variant with zero fields (`None`, `Err(0)`).
//!
//! The memory form is the one `match` reads everywhere: `[tag][the variant's fields, flattened
//! as a tuple's]`, so a read from storage allocates the largest variant's words.

use crate::cx::{Cx, Place};
use crate::items::AdtKind;
use crate::types::{StorageSize, Ty, pack_fields};
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, Stmt as IrStmt, UnOp};
use tandem_lang_syntax::diag::Span;

impl Cx<'_, '_> {
    /// The variants' field types when `ty` is kept in storage as a tagged union, in tag order.
    pub(crate) fn union_variants(&mut self, ty: &Ty) -> Option<Vec<Vec<Ty>>> {
        match ty {
            Ty::Adt(id, args)
                if matches!(self.p.adts[*id].kind, AdtKind::Enum(_))
                    && !self.p.adt_is_word(*id) =>
            {
                let vs = self.enum_variants(*id, args);
                Some(
                    vs.into_iter()
                        .map(|(_, fs)| fs.into_iter().map(|(_, t)| t).collect())
                        .collect(),
                )
            }
            // `Option` of a word keeps its packed `struct { bool, T }` layout (`agg_fields`).
            Ty::Option(t) if !self.is_word(t) => Some(vec![vec![], vec![(**t).clone()]]),
            Ty::Result(ok, err) => Some(vec![vec![(**err).clone()], vec![(**ok).clone()]]),
            _ => None,
        }
    }

    /// (slot after the tag, byte offset) of each field of each variant, and the slots the
    /// largest variant's fields take.
    fn union_positions(
        &mut self,
        variants: &[Vec<Ty>],
        at: Span,
        span: Span,
    ) -> (Vec<Vec<(u32, u32)>>, u32) {
        let mut most = 0;
        let positions = variants
            .iter()
            .map(|fields| {
                let sizes: Vec<StorageSize> = fields
                    .iter()
                    .map(|t| {
                        if t.is_storage_only() {
                            // A mapping has no memory form to take apart in a `match`.
                            self.not_storable(t, at, span);
                        }
                        self.storage_size_at(t, at, span)
                    })
                    .collect();
                let (pos, slots) = pack_fields(&sizes);
                most = most.max(slots);
                pos
            })
            .collect();
        (positions, most)
    }

    /// The storage size of a tagged union: the tag's slot and the largest variant's.
    pub(crate) fn union_storage_size(
        &mut self,
        variants: &[Vec<Ty>],
        at: Span,
        span: Span,
    ) -> StorageSize {
        let (_, most) = self.union_positions(variants, at, span);
        StorageSize {
            bytes: most.saturating_add(1).saturating_mul(32),
            whole_slots: true,
        }
    }

    /// Copies a tagged union at `slot` into a fresh memory value: the tag, then the fields of
    /// the variant it names.
    pub(crate) fn read_union(&mut self, slot: IrExpr, variants: &[Vec<Ty>]) -> IrExpr {
        let (positions, _) = self.union_positions(variants, Span::default(), Span::default());
        let words = variants
            .iter()
            .map(|fs| fs.iter().map(|t| self.mem_words(t)).sum::<u32>())
            .max()
            .unwrap_or(0);
        let base = self.alloc(IrExpr::c((1 + words as u64) * 32));
        let tag = self.spill(IrExpr::SLoad(Box::new(slot.clone())));
        self.emit(IrStmt::MStore(base.clone(), tag.clone()));
        for (vi, (fields, pos)) in variants.iter().zip(positions).enumerate() {
            if fields.is_empty() {
                continue;
            }
            let saved = std::mem::take(&mut self.out);
            let offs = self.tuple_offsets(fields);
            for ((t, (s, o)), off) in fields.iter().zip(pos).zip(offs) {
                let place = Place::Storage {
                    slot: Self::slot_plus(&slot, 1 + s),
                    offset: o,
                };
                let v = self.read_place(&place, t);
                let addr = IrExpr::plus(base.clone(), IrExpr::c((1 + off as u64) * 32));
                if self.is_inline(t) {
                    let n = self.mem_words(t);
                    self.emit(IrStmt::MCopy(addr, v, IrExpr::c(n as u64 * 32)));
                } else {
                    self.emit(IrStmt::MStore(addr, v));
                }
            }
            let body = std::mem::replace(&mut self.out, saved);
            let is_this = IrExpr::bin(IB::Eq, tag.clone(), IrExpr::c(vi as u64));
            self.emit(IrStmt::If(is_this, body, vec![]));
        }
        base
    }

    /// Writes the memory value `v` of a tagged union to `slot`: its tag, then the fields of
    /// the variant it names (a `None` writes the tag alone, never reading payload words it
    /// does not have). When the tag changes, the old variant's strings are deleted (their
    /// data words too) and every payload slot is zeroed first, so no field ever reads words
    /// another variant wrote (a string's length is read before it is overwritten).
    pub(crate) fn write_union(&mut self, slot: &IrExpr, variants: &[Vec<Ty>], v: IrExpr) {
        let (positions, most) = self.union_positions(variants, Span::default(), Span::default());
        let src = self.spill(v);
        let tag = self.spill(IrExpr::MLoad(Box::new(src.clone())));
        if most > 0 {
            let old = self.spill(IrExpr::SLoad(Box::new(slot.clone())));
            let saved = std::mem::take(&mut self.out);
            self.clear_variants(slot, variants, &positions, &old);
            for k in 1..=most {
                self.emit(IrStmt::SStore(Self::slot_plus(slot, k), IrExpr::c(0)));
            }
            let reset = std::mem::replace(&mut self.out, saved);
            let changed = IrExpr::un(UnOp::IsZero, IrExpr::bin(IB::Eq, old, tag.clone()));
            self.emit(IrStmt::If(changed, reset, vec![]));
        }
        self.emit(IrStmt::SStore(slot.clone(), tag.clone()));
        for (vi, (fields, pos)) in variants.iter().zip(positions).enumerate() {
            if fields.is_empty() {
                continue;
            }
            let saved = std::mem::take(&mut self.out);
            let offs = self.tuple_offsets(fields);
            for ((t, (s, o)), off) in fields.iter().zip(pos).zip(offs) {
                let fv = self.read_mem_field(src.clone(), 1 + off, t);
                let place = Place::Storage {
                    slot: Self::slot_plus(slot, 1 + s),
                    offset: o,
                };
                self.write_place(&place, t, fv);
            }
            let body = std::mem::replace(&mut self.out, saved);
            let is_this = IrExpr::bin(IB::Eq, tag.clone(), IrExpr::c(vi as u64));
            self.emit(IrStmt::If(is_this, body, vec![]));
        }
    }
}

impl Cx<'_, '_> {
    /// Deletes the strings of the variant `tag` names (a union at `slot` with these field
    /// positions), so their long data words do not outlive it.
    fn clear_variants(
        &mut self,
        slot: &IrExpr,
        variants: &[Vec<Ty>],
        positions: &[Vec<(u32, u32)>],
        tag: &IrExpr,
    ) {
        for (vi, (fields, pos)) in variants.iter().zip(positions).enumerate() {
            if !fields.iter().any(|t| self.holds_bytes(t)) {
                continue;
            }
            let saved = std::mem::take(&mut self.out);
            for (t, (s, _)) in fields.iter().zip(pos) {
                self.clear_bytes(&Self::slot_plus(slot, 1 + s), t);
            }
            let body = std::mem::replace(&mut self.out, saved);
            let is_this = IrExpr::bin(IB::Eq, tag.clone(), IrExpr::c(vi as u64));
            self.emit(IrStmt::If(is_this, body, vec![]));
        }
    }

    /// Deletes the stored value of `ty` at `slot` (a whole-slot aggregate): its strings'
    /// data words, then every slot it takes, so it reads as zero (a `StorageVec`'s `pop`).
    pub(crate) fn clear_stored(&mut self, slot: &IrExpr, ty: &Ty) {
        self.clear_bytes(slot, ty);
        let slots = self.storage_size(ty, Span::default()).slots();
        for k in 0..slots {
            self.emit(IrStmt::SStore(Self::slot_plus(slot, k), IrExpr::c(0)));
        }
    }

    /// Whether a stored value of `ty` has a `String` or `Bytes` somewhere in it.
    fn holds_bytes(&mut self, ty: &Ty) -> bool {
        match ty {
            Ty::Bytes | Ty::String => true,
            Ty::Array(t, _) => self.holds_bytes(t),
            _ => {
                if let Some(vs) = self.union_variants(ty) {
                    return vs.iter().flatten().any(|t| self.holds_bytes(t));
                }
                let fields = self.agg_fields(ty);
                fields.iter().any(|t| self.holds_bytes(t))
            }
        }
    }

    /// Writes an empty value over every `String` and `Bytes` in the stored value of `ty` at
    /// `slot` (deleting their data words); other words are left for the caller to zero.
    fn clear_bytes(&mut self, slot: &IrExpr, ty: &Ty) {
        if !self.holds_bytes(ty) {
            return;
        }
        match ty {
            Ty::Bytes | Ty::String => {
                let empty = self.alloc(IrExpr::c(32));
                self.emit(IrStmt::MStore(empty.clone(), IrExpr::c(0)));
                self.write_storage_bytes(slot.clone(), empty);
            }
            Ty::Array(t, n) => {
                // Elements holding strings take whole slots each.
                let per = self.storage_size(t, Span::default()).slots();
                for i in 0..*n {
                    self.clear_bytes(&Self::slot_plus(slot, i.saturating_mul(per)), t);
                }
            }
            _ => {
                if let Some(vs) = self.union_variants(ty) {
                    let (positions, _) =
                        self.union_positions(&vs, Span::default(), Span::default());
                    let tag = self.spill(IrExpr::SLoad(Box::new(slot.clone())));
                    self.clear_variants(slot, &vs, &positions, &tag);
                    return;
                }
                let fields = self.agg_fields(ty);
                let pos = self.storage_positions(ty, Span::default());
                for (t, (s, _)) in fields.iter().zip(pos) {
                    self.clear_bytes(&Self::slot_plus(slot, s), t);
                }
            }
        }
    }
}
