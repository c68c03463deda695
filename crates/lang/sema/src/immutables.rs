//! Immutables: a field of the contract's storage type marked `#[immutable]` holds a value
//! `init` sets and nothing changes afterwards. It takes no storage slot (the layout skips it
//! and the layout report leaves it out); it lowers to `Intrinsic::Immutable(k)` (read) and
//! `Intrinsic::SetImmutable(k)` (the write, in `init` only), `k` its number among the storage
//! type's immutable fields in declaration order. Each backend keeps it where reads are
//! cheapest (docs/ir.md): the EVM build in its code, the native build in its state.
//!
//! Rules: written only in `init`'s own body (E0510); read in `init` only after a write
//! earlier in the source (E0511); declared only on a value-type field of the contract's
//! storage type and reached as `storage.name` (E0512). A function `init` calls may read one;
//! before `init` writes it, it is 0 on every target.

use crate::cx::{Assign, Cx, Place, Typed, Val};
use crate::items::AdtKind;
use crate::types::Ty;
use tandem_lang_ir::{Expr as IrExpr, Intrinsic, Stmt as IrStmt};
use tandem_lang_syntax::diag::{Diagnostic, Span};

fn has_attr(f: &tandem_lang_syntax::ast::Field) -> bool {
    f.attrs.iter().any(|a| a.name.name == "immutable")
}

impl Cx<'_, '_> {
    /// Whether field `idx` of struct `id` is declared `#[immutable]`.
    pub(crate) fn field_is_immutable(&self, id: usize, idx: usize) -> bool {
        let Some(AdtKind::Struct(s)) = self.p.adts.get(id).map(|a| &a.kind) else {
            return false;
        };
        s.fields.get(idx).is_some_and(has_attr)
    }

    /// `storage.name` where `name` is immutable: its place, or E0512 when the field is not
    /// the contract's own storage type's or not a value type.
    pub(crate) fn immutable_field(
        &mut self,
        base_ty: &Ty,
        slot: &IrExpr,
        (id, idx): (usize, usize),
        fty: Ty,
        span: Span,
    ) -> Typed {
        if self.storage_ty.as_ref() != Some(base_ty) {
            // A struct nested in storage: reported at its declaration (`check_immutables`).
            return Typed::error();
        }
        if *slot != self.storage_root {
            self.err(
                Diagnostic::error(
                    "E0512",
                    "an `#[immutable]` field is reached only as `storage.name`",
                    span,
                    "not the contract's own storage",
                )
                .with_help(
                    "declare immutables on the contract's storage type and read them as \
                     `storage.name` (not through a method's `self` or a nested struct)",
                ),
            );
            return Typed::error();
        }
        if !self.is_word(&fty) {
            // Reported at the declaration (`check_immutables`).
            return Typed::error();
        }
        let k = (0..idx).filter(|i| self.field_is_immutable(id, *i)).count() as u32;
        Typed {
            val: Val::Place(Place::Immutable(k, span)),
            ty: fty,
            assign: Assign::Ok,
        }
    }

    /// For each field of a struct type, its immutable number if it is `#[immutable]`.
    pub(crate) fn immutable_fields(&self, ty: &Ty) -> Vec<Option<u32>> {
        let Ty::Adt(id, _) = ty else {
            return Vec::new();
        };
        let Some(AdtKind::Struct(s)) = self.p.adts.get(*id).map(|a| &a.kind) else {
            return Vec::new();
        };
        let mut k = 0;
        (0..s.fields.len())
            .map(|i| {
                self.field_is_immutable(*id, i).then(|| {
                    k += 1;
                    k - 1
                })
            })
            .collect()
    }

    /// E0512 for an assignment of the whole storage value (its immutables are written one
    /// by one, in `init`).
    pub(crate) fn whole_immutables_write(&mut self, span: Span) {
        self.err(
            Diagnostic::error(
                "E0512",
                "a storage value with `#[immutable]` fields cannot be assigned whole",
                span,
                "has immutables",
            )
            .with_help("assign its fields one by one (the immutables in `init`)"),
        );
    }

    /// E0512 at each `#[immutable]` field of the contract's storage type that does not hold
    /// a value type, and at each one in a struct nested in that storage (only the storage
    /// type's own fields can be immutable).
    pub(crate) fn check_immutables(&mut self) {
        let Some(root) = self.storage_ty.clone() else {
            return;
        };
        let mut seen = Vec::new();
        for t in self.agg_fields(&root) {
            self.nested_immutables(&t, &mut seen);
        }
        let Ty::Adt(id, args) = root else {
            return;
        };
        let Some(AdtKind::Struct(s)) = self.p.adts.get(id).map(|a| &a.kind) else {
            return;
        };
        let spans: Vec<Span> = s.fields.iter().map(|f| f.name.span).collect();
        for (i, (_, t)) in self.struct_fields(id, &args).into_iter().enumerate() {
            if self.field_is_immutable(id, i) && !self.is_word(&t) {
                let shown = self.show(&t);
                self.err(Diagnostic::error(
                    "E0512",
                    format!("an `#[immutable]` field holds a value type, not `{shown}`"),
                    spans[i],
                    "not a value type",
                ));
            }
        }
    }

    fn nested_immutables(&mut self, t: &Ty, seen: &mut Vec<Ty>) {
        if seen.contains(t) {
            return;
        }
        seen.push(t.clone());
        match t {
            Ty::Map(_, v) => self.nested_immutables(v, seen),
            Ty::StorageVec(e) | Ty::Array(e, _) | Ty::Option(e) => self.nested_immutables(e, seen),
            Ty::Tuple(_) | Ty::Adt(..) => {
                if let Ty::Adt(id, _) = t
                    && let Some(AdtKind::Struct(s)) = self.p.adts.get(*id).map(|a| &a.kind)
                {
                    for f in s.fields.iter().filter(|f| has_attr(f)) {
                        self.err(Diagnostic::error(
                            "E0512",
                            "an `#[immutable]` field is reached only as `storage.name`",
                            f.name.span,
                            "in a struct nested in storage",
                        ));
                    }
                }
                for f in self.agg_fields(t) {
                    self.nested_immutables(&f, seen);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn read_immutable(&mut self, k: u32, span: Span) -> IrExpr {
        if self.owner == "init" && !self.immutables_written.contains(&k) {
            self.err(
                Diagnostic::error(
                    "E0511",
                    "immutable read in `init` before `init` writes it",
                    span,
                    "not written yet",
                )
                .with_help("write it first: `storage.name = value`"),
            );
        }
        IrExpr::Intrinsic(Intrinsic::Immutable(k), vec![])
    }

    pub(crate) fn write_immutable(&mut self, k: u32, v: IrExpr, span: Span) {
        if self.owner != "init" {
            self.err(
                Diagnostic::error(
                    "E0510",
                    "an immutable is written only in `init`",
                    span,
                    "written outside `init`",
                )
                .with_help("set it in `init`, or drop `#[immutable]` to keep it in storage"),
            );
            return;
        }
        self.immutables_written.insert(k);
        self.emit(IrStmt::Expr(IrExpr::Intrinsic(
            Intrinsic::SetImmutable(k),
            vec![v],
        )));
    }
}
