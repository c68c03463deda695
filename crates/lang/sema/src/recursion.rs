//! Types that hold themselves by value have no finite size: they are refused right after the
//! items are collected, before layout or lowering could recurse into them forever. `Vec`,
//! `StorageVec` and `Map` hold their elements elsewhere, so they break a cycle.

use tandem_lang_syntax::ast::{TypeExpr, VariantFields};
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics};

use crate::items::{AdtKind, ItemRef, Program};

/// Type names whose values live out of line.
/// `Address<M>` holds an address, not an `M` (and `M` must be a message anyway).
const INDIRECTIONS: &[&str] = &["Vec", "StorageVec", "Map", "Address"];

/// Reports every struct or enum that contains itself by value. True if any does.
pub fn check(p: &Program, diags: &mut Diagnostics) -> bool {
    let edges: Vec<Vec<usize>> = (0..p.adts.len()).map(|i| contained(p, i)).collect();
    let mut found = false;
    for start in 0..p.adts.len() {
        if reaches(&edges, start) {
            found = true;
            let adt = &p.adts[start];
            let span = match adt.kind {
                AdtKind::Struct(s) => s.name.span,
                AdtKind::Enum(e) => e.name.span,
            };
            diags.push(Diagnostic::error(
                "E0215",
                format!("recursive type `{}` has infinite size", adt.name),
                span,
                "it contains itself by value; hold it in a `Vec`, `StorageVec` or `Map`",
            ));
        }
    }
    found
}

/// Whether `start` reaches itself through the by-value edges.
fn reaches(edges: &[Vec<usize>], start: usize) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut stack = edges[start].clone();
    while let Some(n) = stack.pop() {
        if n == start {
            return true;
        }
        if !std::mem::replace(&mut seen[n], true) {
            stack.extend(&edges[n]);
        }
    }
    false
}

/// The ADTs that ADT `i` holds by value.
fn contained(p: &Program, i: usize) -> Vec<usize> {
    let adt = &p.adts[i];
    let mut out = Vec::new();
    let mut visit = |ty: &TypeExpr| by_value(p, adt.file, ty, &mut out);
    match adt.kind {
        AdtKind::Struct(s) => s.fields.iter().for_each(|f| visit(&f.ty)),
        AdtKind::Enum(e) => {
            for v in &e.variants {
                match &v.fields {
                    VariantFields::Unit => {}
                    VariantFields::Tuple(tys) => tys.iter().for_each(&mut visit),
                    VariantFields::Named(fields) => fields.iter().for_each(|f| visit(&f.ty)),
                }
            }
        }
    }
    out
}

fn by_value(p: &Program, file: usize, ty: &TypeExpr, out: &mut Vec<usize>) {
    match ty {
        TypeExpr::Path(path) => {
            let name = &path.last().name;
            if INDIRECTIONS.contains(&name.as_str()) {
                return;
            }
            if let Some(ItemRef::Adt(id)) = p.lookup(file, name) {
                out.push(id);
            }
            for g in &path.generics {
                by_value(p, file, g, out);
            }
        }
        TypeExpr::Array(elem, _, _) => by_value(p, file, elem, out),
        TypeExpr::Tuple(tys, _) => tys.iter().for_each(|t| by_value(p, file, t, out)),
    }
}
