//! The answers: diagnostics, document symbols, hover, definition and formatting, each a pure
//! function of a checked [`Package`].

use crate::analysis::{Package, span_range};
use crate::index::{Def, DefKind, Resolved};
use lsp_types as lt;
use std::path::Path;
use tandem_lang_syntax::ast::{self, ItemKind, TypeExpr, VariantFields};
use tandem_lang_syntax::diag::{Diagnostic, Severity, Span};

/// A file URI for a path (`None` for paths that cannot be one).
pub fn path_uri(path: &Path) -> Option<lt::Url> {
    lt::Url::from_file_path(path).ok()
}

/// The package's diagnostics for the file `id`, in LSP form.
pub fn diagnostics(pkg: &Package, id: u32) -> Vec<lt::Diagnostic> {
    let Some(file) = pkg.files.get(id as usize) else {
        return Vec::new();
    };
    pkg.diags
        .iter()
        .filter_map(|d| {
            let span = d.primary_span().unwrap_or_default();
            (span.file == id).then(|| to_lsp(pkg, &file.text, d, span))
        })
        .collect()
}

fn to_lsp(pkg: &Package, text: &str, d: &Diagnostic, span: Span) -> lt::Diagnostic {
    let mut message = d.message.clone();
    if let Some(l) = d.labels.iter().find(|l| l.primary)
        && !l.message.is_empty()
        && l.message != d.message
    {
        message += &format!("\n{}", l.message);
    }
    for n in &d.notes {
        message += &format!("\n{n}");
    }
    let related: Vec<lt::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .filter_map(|l| {
            let f = pkg.files.get(l.span.file as usize)?;
            Some(lt::DiagnosticRelatedInformation {
                location: lt::Location::new(path_uri(&f.path)?, span_range(&f.text, l.span)),
                message: l.message.clone(),
            })
        })
        .collect();
    lt::Diagnostic {
        range: span_range(text, span),
        severity: Some(match d.severity {
            Severity::Error => lt::DiagnosticSeverity::ERROR,
            Severity::Warning => lt::DiagnosticSeverity::WARNING,
        }),
        code: Some(lt::NumberOrString::String(d.code.to_string())),
        source: Some("tandem".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written.
fn symbol(
    text: &str,
    name: &str,
    detail: Option<String>,
    kind: lt::SymbolKind,
    full: Span,
    sel: Span,
    children: Vec<lt::DocumentSymbol>,
) -> lt::DocumentSymbol {
    let full = full.to(sel);
    lt::DocumentSymbol {
        name: if name.is_empty() {
            "_".into()
        } else {
            name.into()
        },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: span_range(text, full),
        selection_range: span_range(text, sel),
        children: (!children.is_empty()).then_some(children),
    }
}

fn field_symbols(text: &str, fields: &[ast::Field]) -> Vec<lt::DocumentSymbol> {
    fields
        .iter()
        .map(|f| {
            let ty = slice(text, f.ty.span());
            symbol(
                text,
                &f.name.name,
                Some(ty.into()),
                lt::SymbolKind::FIELD,
                f.name.span.to(f.ty.span()),
                f.name.span,
                vec![],
            )
        })
        .collect()
}

fn slice(text: &str, s: Span) -> &str {
    text.get(s.lo as usize..s.hi as usize).unwrap_or("")
}

fn fn_symbol(text: &str, f: &ast::FnDef, kind: lt::SymbolKind) -> lt::DocumentSymbol {
    symbol(text, &f.name.name, None, kind, f.span, f.name.span, vec![])
}

/// The outline of one file: contracts (storage, init, handlers, constants, functions),
/// messages and their variants, events, errors, structs and their fields, enums and their
/// variants, impls, functions, constants and type aliases.
pub fn document_symbols(pkg: &Package, id: u32) -> Vec<lt::DocumentSymbol> {
    let Some(file) = pkg.files.get(id as usize) else {
        return Vec::new();
    };
    let text = &*file.text;
    use lt::SymbolKind as K;
    let mut out = Vec::new();
    for item in &file.ast.items {
        let s = item.span;
        let sym = match &item.kind {
            ItemKind::Use(_) => continue,
            ItemKind::Message(m) => {
                let vs = m
                    .variants
                    .iter()
                    .map(|v| {
                        let end = v.ret.as_ref().map_or(v.name.span, |r| r.span());
                        let end = v.fields.last().map_or(end, |f| end.to(f.ty.span()));
                        symbol(
                            text,
                            &v.name.name,
                            None,
                            K::METHOD,
                            v.name.span.to(end),
                            v.name.span,
                            field_symbols(text, &v.fields),
                        )
                    })
                    .collect();
                symbol(
                    text,
                    &m.name.name,
                    Some("message".into()),
                    K::INTERFACE,
                    s,
                    m.name.span,
                    vs,
                )
            }
            ItemKind::Event(e) => {
                let fs = field_symbols(text, &e.fields);
                symbol(
                    text,
                    &e.name.name,
                    Some("event".into()),
                    K::EVENT,
                    s,
                    e.name.span,
                    fs,
                )
            }
            ItemKind::Error(e) => {
                let fs = field_symbols(text, &e.fields);
                symbol(
                    text,
                    &e.name.name,
                    Some("error".into()),
                    K::STRUCT,
                    s,
                    e.name.span,
                    fs,
                )
            }
            ItemKind::Struct(st) => {
                let fs = field_symbols(text, &st.fields);
                symbol(text, &st.name.name, None, K::STRUCT, s, st.name.span, fs)
            }
            ItemKind::Enum(e) => {
                let vs = e
                    .variants
                    .iter()
                    .map(|v| {
                        let children = match &v.fields {
                            VariantFields::Named(fs) => field_symbols(text, fs),
                            _ => vec![],
                        };
                        let sp = v.name.span;
                        symbol(text, &v.name.name, None, K::ENUM_MEMBER, sp, sp, children)
                    })
                    .collect();
                symbol(text, &e.name.name, None, K::ENUM, s, e.name.span, vs)
            }
            ItemKind::Impl(i) => {
                let fs = i
                    .fns
                    .iter()
                    .map(|f| fn_symbol(text, f, K::METHOD))
                    .collect();
                let name = format!("impl {}", slice(text, i.ty.span()));
                symbol(text, &name, None, K::OBJECT, s, i.ty.span(), fs)
            }
            ItemKind::Trait(t) => {
                let fs = t
                    .fns
                    .iter()
                    .map(|f| fn_symbol(text, &f.def, K::METHOD))
                    .collect();
                let name = &t.name.name;
                symbol(
                    text,
                    name,
                    Some("trait".into()),
                    K::INTERFACE,
                    s,
                    t.name.span,
                    fs,
                )
            }
            ItemKind::Fn(f) => fn_symbol(text, f, K::FUNCTION),
            ItemKind::Const(c) => {
                let ty = slice(text, c.ty.span()).to_string();
                symbol(
                    text,
                    &c.name.name,
                    Some(ty),
                    K::CONSTANT,
                    s,
                    c.name.span,
                    vec![],
                )
            }
            ItemKind::TypeAlias(a) => {
                let ty = slice(text, a.ty.span()).to_string();
                symbol(
                    text,
                    &a.name.name,
                    Some(ty),
                    K::TYPE_PARAMETER,
                    s,
                    a.name.span,
                    vec![],
                )
            }
            ItemKind::Contract(c) => {
                let mut ch = Vec::new();
                if let Some(st) = &c.storage {
                    let ty = slice(text, st.span()).to_string();
                    let mut fields = Vec::new();
                    // The storage struct's fields, when it is defined in this file.
                    if let TypeExpr::Path(p) = st {
                        for it in &file.ast.items {
                            if let ItemKind::Struct(sd) = &it.kind
                                && sd.name.name == p.last().name
                            {
                                fields = field_symbols(text, &sd.fields);
                            }
                        }
                    }
                    let sp = st.span();
                    ch.push(symbol(
                        text,
                        "storage",
                        Some(ty),
                        K::PROPERTY,
                        sp,
                        sp,
                        fields,
                    ));
                }
                if let Some(i) = &c.init {
                    let sel = Span::new(i.span.file, i.span.lo as usize, i.span.lo as usize + 4);
                    ch.push(symbol(
                        text,
                        "init",
                        None,
                        K::CONSTRUCTOR,
                        i.span,
                        sel,
                        vec![],
                    ));
                }
                for r in &c.recvs {
                    let msg = r.msg.last();
                    let arms = r
                        .arms
                        .iter()
                        .map(|a| {
                            let v = a.variant.last();
                            symbol(text, &v.name, None, K::METHOD, a.span, v.span, vec![])
                        })
                        .collect();
                    let name = format!("recv {}", msg.name);
                    ch.push(symbol(
                        text,
                        &name,
                        None,
                        K::NAMESPACE,
                        r.span,
                        msg.span,
                        arms,
                    ));
                }
                for k in &c.consts {
                    let ty = slice(text, k.ty.span()).to_string();
                    let sp = k.name.span.to(k.value.span);
                    ch.push(symbol(
                        text,
                        &k.name.name,
                        Some(ty),
                        K::CONSTANT,
                        sp,
                        k.name.span,
                        vec![],
                    ));
                }
                for f in &c.fns {
                    ch.push(fn_symbol(text, f, K::METHOD));
                }
                symbol(
                    text,
                    &c.name.name,
                    Some("contract".into()),
                    K::CLASS,
                    s,
                    c.name.span,
                    ch,
                )
            }
        };
        out.push(sym);
    }
    out
}

/// Sema's type of the expression with exactly this span.
fn type_of(pkg: &Package, span: Span) -> Option<String> {
    pkg.types
        .iter()
        .find(|(s, _)| *s == span)
        .map(|(_, t)| t.clone())
}

/// Sema's type of the smallest checked expression around `off`.
fn type_around(pkg: &Package, file: u32, off: u32) -> Option<(Span, String)> {
    pkg.types
        .iter()
        .filter(|(s, _)| s.file == file && s.lo <= off && off <= s.hi)
        .min_by_key(|(s, _)| s.hi - s.lo)
        .cloned()
}

fn code(s: &str) -> String {
    format!("```tandem\n{s}\n```")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What a variant is called on the wire, per contract that handles it.
fn variant_wire(pkg: &Package, d: &Def) -> Vec<String> {
    let msg = d.parent.clone().unwrap_or_default();
    let qualified = format!("{msg}::{}", d.name);
    let handlers: Vec<&str> = pkg
        .index
        .defs
        .iter()
        .filter(|h| h.kind == DefKind::Handler && h.detail == qualified)
        .filter_map(|h| h.parent.as_deref())
        .collect();
    let mut lines = Vec::new();
    if let Some(m) = &pkg.module {
        for c in &m.contracts {
            if !handlers.is_empty() && !handlers.contains(&c.name.as_str()) {
                continue;
            }
            for (h, meta) in c.handlers.iter().zip(&c.meta.handlers) {
                if h.variant == d.name {
                    lines.push(format!(
                        "`{}`: Solidity `{}` · selector `0x{}` · FRC-0042 method `{}`",
                        c.name,
                        meta.signature,
                        hex(&meta.selector),
                        meta.method_number
                    ));
                }
            }
        }
        if !lines.is_empty() && !pkg.module_fresh {
            lines.push("_(from the last version of the package that compiled)_".into());
        }
    }
    if lines.is_empty() {
        let n = tandem_lang_sema::frc42_method_number(&d.name)
            .map(|n| format!(" · FRC-0042 method `{n}` (by name; `#[method]` may change it)"))
            .unwrap_or_default();
        lines.push(format!(
            "not handled by a compiled contract{n}; selectors appear once the package compiles"
        ));
    }
    lines
}

/// The storage layout of a field of a contract's storage struct.
fn storage_slot(pkg: &Package, d: &Def) -> Vec<String> {
    let Some(parent) = &d.parent else {
        return Vec::new();
    };
    let Some(m) = &pkg.module else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (contract, st) in &pkg.index.storage_types {
        if st != parent {
            continue;
        }
        for c in m.contracts.iter().filter(|c| &c.name == contract) {
            for e in c.meta.storage.iter().filter(|e| e.label == d.name) {
                lines.push(format!(
                    "`{}` storage: slot `{}` · offset `{}` · {} byte(s) · `{}`",
                    c.name, e.slot, e.offset, e.number_of_bytes, e.type_label
                ));
            }
        }
    }
    lines
}

fn hover_def(pkg: &Package, d: &Def) -> String {
    let mut parts = vec![code(&d.detail)];
    match d.kind {
        DefKind::Variant => parts.extend(variant_wire(pkg, d)),
        DefKind::Field => parts.extend(storage_slot(pkg, d)),
        _ => {}
    }
    parts.join("\n\n")
}

/// Hover at a byte offset of the file `id`.
pub fn hover(pkg: &Package, id: u32, off: u32) -> Option<lt::Hover> {
    let file = pkg.files.get(id as usize)?;
    let ix = &pkg.index;
    let (value, span) = if let Some(d) = ix.def_at(id, off) {
        (hover_def(pkg, d), d.span)
    } else if let Some(l) = ix.local_at(id, off) {
        let ty =
            l.ty.clone()
                .or_else(|| type_around(pkg, id, off).map(|(_, t)| t));
        let ty = ty.map(|t| format!(": {t}")).unwrap_or_default();
        (code(&format!("let {}{ty}", l.name)), l.span)
    } else if let Some(r) = ix.ref_at(id, off) {
        let ty = type_of(pkg, r.span).or_else(|| {
            // A path expression's span is the whole path; the segment is inside it.
            type_around(pkg, id, off)
                .filter(|(s, _)| s.lo <= r.span.lo && r.span.hi <= s.hi && s.hi - s.lo < 200)
                .map(|(_, t)| t)
        });
        match ix.resolve(r, |s| type_of(pkg, s)) {
            Resolved::Def(d) => {
                let mut v = hover_def(pkg, d);
                if let Some(t) = ty
                    && matches!(d.kind, DefKind::Field | DefKind::Const)
                {
                    v += &format!("\n\ntype here: `{t}`");
                }
                (v, r.span)
            }
            Resolved::Local(l) => {
                let t = ty.or_else(|| l.ty.clone());
                let t = t.map(|t| format!(": {t}")).unwrap_or_default();
                (code(&format!("let {}{t}", l.name)), r.span)
            }
            Resolved::None => (code(&ty?), r.span),
        }
    } else {
        let (s, t) = type_around(pkg, id, off)?;
        (code(&t), s)
    };
    Some(lt::Hover {
        contents: lt::HoverContents::Markup(lt::MarkupContent {
            kind: lt::MarkupKind::Markdown,
            value,
        }),
        range: Some(span_range(&file.text, span)),
    })
}

/// Definition at a byte offset of the file `id`.
pub fn definition(pkg: &Package, id: u32, off: u32) -> Option<lt::Location> {
    let ix = &pkg.index;
    let target = if let Some(d) = ix.def_at(id, off) {
        d.span
    } else if let Some(l) = ix.local_at(id, off) {
        l.span
    } else {
        let r = ix.ref_at(id, off)?;
        match ix.resolve(r, |s| type_of(pkg, s)) {
            Resolved::Def(d) => d.span,
            Resolved::Local(l) => l.span,
            Resolved::None => {
                // `use token::Ledger`: a module segment names a file of the package.
                if let crate::index::RefKind::Path { segs, idx } = &r.kind {
                    let name = &segs[*idx];
                    let f = pkg.files.iter().position(|f| {
                        f.path.file_stem().and_then(|s| s.to_str()) == Some(name.as_str())
                    })?;
                    Span::new(f as u32, 0, 0)
                } else {
                    return None;
                }
            }
        }
    };
    let f = pkg.files.get(target.file as usize)?;
    Some(lt::Location::new(
        path_uri(&f.path)?,
        span_range(&f.text, target),
    ))
}

/// The whole-document edit `tandem fmt` would make; `Ok(None)` when the text does not parse.
pub fn format(text: &str) -> Result<Option<Vec<lt::TextEdit>>, String> {
    match tandem_lang_fmt::format_source(text) {
        Ok(out) if out == text => Ok(Some(Vec::new())),
        Ok(out) => {
            let end = crate::analysis::offset_to_position(text, text.len());
            let range = lt::Range::new(lt::Position::new(0, 0), end);
            Ok(Some(vec![lt::TextEdit::new(range, out)]))
        }
        Err(tandem_lang_fmt::FmtError::Syntax(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}
