//! Types that cannot be kept in storage, reported once per root cause: at the struct field
//! that declares the type (not at each of the storage reads and writes that meet it), with
//! the first place it was kept in storage as a second label. Later meetings of the same
//! type at the same field add nothing.

use crate::cx::Cx;
use crate::items::AdtKind;
use crate::types::{StorageSize, Ty};
use tandem_lang_syntax::diag::{Diagnostic, Span};

impl Cx<'_, '_> {
    /// The storage sizes of a struct's or tuple's components; a struct field's problems are
    /// reported at the field's type.
    pub(crate) fn field_storage_sizes(
        &mut self,
        ty: &Ty,
        at: Span,
        span: Span,
    ) -> Vec<StorageSize> {
        let fields = self.agg_fields(ty);
        let spans: Vec<Span> = match ty {
            Ty::Adt(id, _) => match self.p.adts.get(*id).map(|a| &a.kind) {
                Some(AdtKind::Struct(s)) => s.fields.iter().map(|f| f.ty.span()).collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        fields
            .iter()
            .enumerate()
            .map(|(i, t)| {
                // An immutable takes no storage (see `immutables.rs`).
                if let Ty::Adt(id, _) = ty
                    && self.field_is_immutable(*id, i)
                {
                    return StorageSize {
                        bytes: 0,
                        whole_slots: false,
                    };
                }
                let field_at = spans.get(i).copied().unwrap_or(at);
                let size = self.storage_size_at(t, field_at, span);
                match ty {
                    Ty::Adt(id, _) if self.field_is_padded(*id, i) => {
                        crate::padded::padded_size(size)
                    }
                    _ => size,
                }
            })
            .collect()
    }

    /// `E0500` at `at`, unless this root cause was already reported.
    pub(crate) fn not_storable(&mut self, ty: &Ty, at: Span, used: Span) {
        let message = format!("`{}` cannot be kept in storage", self.show(ty));
        // Met again without a field to point at (a read, a write, the layout table): the
        // field's report already covers it.
        let seen = self.diags.list.iter().any(|d| {
            d.code == "E0500"
                && d.message == message
                && (d.primary_span() == Some(at) || at == used)
        });
        if seen {
            return;
        }
        let mut d = Diagnostic::error("E0500", message, at, "not storable").with_help(
            "storage holds integers, `bool`, `Address`, `bytesN`, `Bytes`, `String`, arrays, \
                 `Map`, `StorageVec`, and structs, tuples, enums, `Option`s and `Result`s of \
                 these (an enum's or `Option`'s payload not a `Map` or `StorageVec`)",
        );
        if used != at && used != Span::default() {
            d = d.with_label(used, "kept in storage here");
        }
        self.err(d);
    }
}
