//! How big a type is when written out: every struct field, enum payload, tuple element and
//! container's element, expanded (an array's element once; a struct's type arguments only
//! where its fields hold them). Layout, the ABI, the IPLD schema and the backends walk a type
//! that way, so a few lines of source that double a type at each level (`struct T1 { a: T2,
//! b: T2 }`, …, or `P<P<P<…>>>` with `struct P<T> { a: T, b: T }`) cost 2^n time and memory;
//! 22 levels took minutes and tens of GiB. Resolving a type therefore
//! refuses one whose expansion is over [`MAX_TYPE_PARTS`] (`E0217`). Sizes are memoized per
//! type, so checking costs each distinct type once however it is shared.

use std::collections::HashMap;

use tandem_lang_syntax::ast::{TypeExpr, VariantFields};
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics};

use crate::items::{AdtKind, Program};
use crate::types::Ty;

/// The most parts a type may expand to. Real types have tens to hundreds; a struct of 4096
/// words is far past what a contract can copy within a block's gas.
pub const MAX_TYPE_PARTS: u64 = 4096;
/// The deepest nesting of types counted (a chain of structs each holding the next); past it
/// the type is too large, and counting stops before it could exhaust the stack.
const MAX_TYPE_DEPTH: u32 = 256;

impl Program<'_> {
    /// `E0217` when `ty`, written at `te`, expands past [`MAX_TYPE_PARTS`].
    pub(crate) fn check_type_size(&self, ty: &Ty, te: &TypeExpr, diags: &mut Diagnostics) -> bool {
        let parts = self.type_parts(ty, 0);
        if parts <= MAX_TYPE_PARTS {
            return true;
        }
        diags.push(Diagnostic::error(
            "E0217",
            format!(
                "type is too large: it expands to {} parts, over the limit of {MAX_TYPE_PARTS}",
                if parts == u64::MAX {
                    format!("more than 2^64 (or is nested over {MAX_TYPE_DEPTH} deep)")
                } else {
                    parts.to_string()
                }
            ),
            te.span(),
            "this type",
        ));
        false
    }

    /// The parts of `ty` written out (saturating). A type met again while its own size is
    /// being computed (a struct holding a `Vec` of itself) counts as one part.
    fn type_parts(&self, ty: &Ty, depth: u32) -> u64 {
        if let Some(&n) = self.type_sizes.borrow().get(ty) {
            return n;
        }
        if depth > MAX_TYPE_DEPTH {
            return u64::MAX;
        }
        let children: Vec<Ty> = match ty {
            Ty::Array(t, _) | Ty::Option(t) | Ty::StorageVec(t) | Ty::Vec(t) => vec![(**t).clone()],
            Ty::Result(a, b) | Ty::Map(a, b) => vec![(**a).clone(), (**b).clone()],
            Ty::Tuple(ts) => ts.clone(),
            Ty::Adt(id, args) => {
                self.type_sizes.borrow_mut().insert(ty.clone(), 1);
                self.adt_part_types(*id, args)
            }
            _ => return 1,
        };
        let parts = children.iter().fold(1u64, |sum, t| {
            sum.saturating_add(self.type_parts(t, depth + 1))
        });
        self.type_sizes.borrow_mut().insert(ty.clone(), parts);
        parts
    }

    /// The types an ADT instance holds: its fields, or every variant's payload.
    fn adt_part_types(&self, id: usize, args: &[Ty]) -> Vec<Ty> {
        // Not every id names a declared ADT (sema uses placeholder ids).
        let Some(adt) = self.adts.get(id) else {
            return Vec::new();
        };
        let subst: HashMap<String, Ty> = adt.generics.iter().cloned().zip(args.to_vec()).collect();
        // Errors in the fields are reported where the ADT itself is checked.
        let mut scratch = Diagnostics::default();
        let mut resolve =
            |te: &TypeExpr| self.resolve_unchecked(adt.file, te, &subst, &mut scratch);
        match adt.kind {
            AdtKind::Struct(s) => s.fields.iter().map(|f| resolve(&f.ty)).collect(),
            AdtKind::Enum(e) => e
                .variants
                .iter()
                .flat_map(|v| match &v.fields {
                    VariantFields::Unit => Vec::new(),
                    VariantFields::Tuple(tys) => tys.iter().collect(),
                    VariantFields::Named(fields) => fields.iter().map(|f| &f.ty).collect(),
                })
                .map(resolve)
                .collect(),
        }
    }
}
