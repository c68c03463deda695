//! Find references and rename, across the files of a package.
//!
//! Both start from what the cursor names: a definition (an item, variant, field, method, …)
//! or a local binding. The occurrences are the definition's own name plus every use in the
//! package's index that resolves to it, exactly as go-to-definition resolves it (sema's types
//! settle `x.field` and `x.method()`). Rename turns each occurrence into an edit, taking care
//! of shorthands: renaming the field `to` in `Send { to } =>` writes `Send { new: to }`, and
//! renaming the local `x` in `S { x }` writes `S { x: new }`.

use crate::analysis::{Package, span_range};
use crate::index::{DefKind, RefKind, Resolved};
use lsp_types as lt;
use std::collections::BTreeMap;
use tandem_lang_syntax::diag::Span;

/// What the cursor names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A definition, by its name's span.
    Def(Span),
    /// A local binding (parameter, `let`, pattern or handler binding), by its span.
    Local(Span),
}

/// One place the target's name is written.
#[derive(Clone, Copy, Debug)]
pub struct Occurrence {
    /// The name as written; zero-width for the use hidden in a struct-literal shorthand
    /// (`S { x }` uses the local `x` right after the field name).
    pub span: Span,
    pub shorthand: Shorthand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shorthand {
    No,
    /// The span names both a field and a binding of the same name; the target is the field.
    FieldOfBinding,
    /// The span names both a field and a binding of the same name; the target is the binding.
    BindingOfField,
    /// The zero-width use of a local in `S { x }`.
    HiddenUse,
}

fn type_of(pkg: &Package, span: Span) -> Option<String> {
    pkg.types
        .iter()
        .find(|(s, _)| *s == span)
        .map(|(_, t)| t.clone())
}

/// The target at a byte offset, and the span of the name under the cursor.
pub fn target_at(pkg: &Package, file: u32, off: u32) -> Option<(Target, Span)> {
    let ix = &pkg.index;
    if let Some(d) = ix.def_at(file, off) {
        // `init` is a keyword, not a name that can change.
        if d.kind == DefKind::Init {
            return None;
        }
        return Some((Target::Def(d.span), d.span));
    }
    if let Some(l) = ix.local_at(file, off) {
        return Some((Target::Local(l.span), l.span));
    }
    let r = ix.ref_at(file, off)?;
    let t = match ix.resolve(r, |s| type_of(pkg, s)) {
        Resolved::Def(d) if d.kind != DefKind::Init => Target::Def(d.span),
        Resolved::Local(l) => Target::Local(l.span),
        _ => return None,
    };
    let shown = if r.span.lo == r.span.hi {
        // The hidden use of `S { x }`: show the field name the cursor is on.
        let name_len = name_of(pkg, t).len() as u32;
        Span::new(
            r.span.file,
            r.span.lo.saturating_sub(name_len) as usize,
            r.span.hi as usize,
        )
    } else {
        r.span
    };
    Some((t, shown))
}

fn name_of(pkg: &Package, t: Target) -> String {
    let s = match t {
        Target::Def(s) | Target::Local(s) => s,
    };
    pkg.files
        .get(s.file as usize)
        .and_then(|f| f.text.get(s.lo as usize..s.hi as usize))
        .unwrap_or("")
        .to_string()
}

/// Every occurrence of the target in the package, the declaration first, then in file and
/// offset order.
pub fn occurrences(pkg: &Package, target: Target) -> Vec<Occurrence> {
    let ix = &pkg.index;
    let decl = match target {
        Target::Def(s) | Target::Local(s) => s,
    };
    let is_binding = |s: Span| ix.locals.iter().any(|l| l.span == s);
    let is_field_ref = |s: Span| {
        ix.refs
            .iter()
            .any(|r| r.span == s && matches!(r.kind, RefKind::LitField { .. }))
    };
    let mut out = vec![Occurrence {
        span: decl,
        shorthand: match target {
            Target::Local(s) if is_field_ref(s) => Shorthand::BindingOfField,
            _ => Shorthand::No,
        },
    }];
    let mut rest = Vec::new();
    for r in &ix.refs {
        let hit = match ix.resolve(r, |s| type_of(pkg, s)) {
            Resolved::Def(d) => target == Target::Def(d.span),
            Resolved::Local(l) => target == Target::Local(l.span),
            Resolved::None => false,
        };
        if !hit || r.span == decl {
            continue;
        }
        let shorthand = if r.span.lo == r.span.hi {
            Shorthand::HiddenUse
        } else if matches!(r.kind, RefKind::LitField { .. }) && is_binding(r.span) {
            Shorthand::FieldOfBinding
        } else if matches!(r.kind, RefKind::LitField { .. })
            && ix.refs.iter().any(|h| {
                h.span.lo == r.span.hi
                    && h.span.hi == r.span.hi
                    && h.span.file == r.span.file
                    && matches!(h.kind, RefKind::Path { .. })
            })
        {
            // `S { x }` where the target is the field `x`.
            Shorthand::FieldOfBinding
        } else {
            Shorthand::No
        };
        rest.push(Occurrence {
            span: r.span,
            shorthand,
        });
    }
    rest.sort_by_key(|o| (o.span.file, o.span.lo, o.span.hi));
    rest.dedup_by_key(|o| (o.span.file, o.span.lo, o.span.hi));
    out.extend(rest);
    out
}

/// `textDocument/references`: locations of every occurrence, the declaration included when
/// asked. Hidden shorthand uses are reported on the field name they hide behind.
pub fn references(pkg: &Package, file: u32, off: u32, include_decl: bool) -> Vec<lt::Location> {
    let Some((target, _)) = target_at(pkg, file, off) else {
        return Vec::new();
    };
    let name_len = name_of(pkg, target).len() as u32;
    let mut out: Vec<lt::Location> = Vec::new();
    for (i, o) in occurrences(pkg, target).into_iter().enumerate() {
        if i == 0 && !include_decl {
            continue;
        }
        let Some(f) = pkg.files.get(o.span.file as usize) else {
            continue;
        };
        let span = if o.shorthand == Shorthand::HiddenUse {
            Span::new(
                o.span.file,
                o.span.lo.saturating_sub(name_len) as usize,
                o.span.hi as usize,
            )
        } else {
            o.span
        };
        let Some(uri) = crate::features::path_uri(&f.path) else {
            continue;
        };
        let loc = lt::Location::new(uri, span_range(&f.text, span));
        if !out.contains(&loc) {
            out.push(loc);
        }
    }
    out
}

/// The words the grammar gives a meaning; none of them can name anything.
pub const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "contract", "ctx", "else", "enum", "error", "event",
    "false", "fn", "for", "if", "impl", "in", "init", "let", "match", "message", "mut", "pub",
    "recv", "return", "revert", "self", "storage", "struct", "true", "type", "use", "while",
    "with",
];

/// Why `name` cannot be a new name, if it cannot.
pub fn invalid_name(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let ok_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !ok_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') || name == "_" {
        return Some(format!("`{name}` is not an identifier"));
    }
    if KEYWORDS.contains(&name) {
        return Some(format!("`{name}` is a keyword"));
    }
    None
}

/// `textDocument/prepareRename`: the range of the name under the cursor, or why it cannot be
/// renamed.
pub fn prepare_rename(pkg: &Package, file: u32, off: u32) -> Result<lt::Range, String> {
    let f = pkg.files.get(file as usize).ok_or("no such file")?;
    let (_, span) =
        target_at(pkg, file, off).ok_or("nothing that can be renamed is under the cursor")?;
    Ok(span_range(&f.text, span))
}

/// The edits of a rename, per file id; `Err` with the reason when it is refused.
pub fn rename_edits(
    pkg: &Package,
    file: u32,
    off: u32,
    new_name: &str,
) -> Result<BTreeMap<u32, Vec<lt::TextEdit>>, String> {
    if let Some(why) = invalid_name(new_name) {
        return Err(why);
    }
    let (target, _) =
        target_at(pkg, file, off).ok_or("nothing that can be renamed is under the cursor")?;
    let old = name_of(pkg, target);
    let mut out: BTreeMap<u32, Vec<lt::TextEdit>> = BTreeMap::new();
    for o in occurrences(pkg, target) {
        let Some(f) = pkg.files.get(o.span.file as usize) else {
            continue;
        };
        let text = match o.shorthand {
            Shorthand::No => new_name.to_string(),
            Shorthand::FieldOfBinding => format!("{new_name}: {old}"),
            Shorthand::BindingOfField => format!("{old}: {new_name}"),
            Shorthand::HiddenUse => format!(": {new_name}"),
        };
        out.entry(o.span.file)
            .or_default()
            .push(lt::TextEdit::new(span_range(&f.text, o.span), text));
    }
    // The result must still parse: a name that breaks the syntax is refused.
    for (id, edits) in &out {
        let Some(f) = pkg.files.get(*id as usize) else {
            continue;
        };
        let after = apply(&f.text, edits);
        let (_, before_errs) = tandem_lang_syntax::parse_file(*id, &f.text);
        let (_, errs) = tandem_lang_syntax::parse_file(*id, &after);
        if errs.len() > before_errs.len() {
            return Err(format!(
                "renaming `{old}` to `{new_name}` breaks the syntax"
            ));
        }
    }
    Ok(out)
}

/// Applies non-overlapping edits to a text.
pub fn apply(text: &str, edits: &[lt::TextEdit]) -> String {
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                crate::analysis::position_to_offset(text, e.range.start),
                crate::analysis::position_to_offset(text, e.range.end),
                e.new_text.as_str(),
            )
        })
        .collect();
    spans.sort_by_key(|s| (s.0, s.1));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (lo, hi, t) in spans {
        if lo < at {
            continue;
        }
        out.push_str(&text[at..lo]);
        out.push_str(t);
        at = hi;
    }
    out.push_str(&text[at..]);
    out
}
