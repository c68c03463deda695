//! Completion: what may follow the cursor.
//!
//! - after `ctx.`: `ctx`'s methods (sema's own list);
//! - after `storage.`: the fields of the enclosing contract's storage struct and its methods;
//! - after `x.`: the fields and methods of `x`'s type. The type comes from sema: the file is
//!   checked as if the half-typed `.name` were not there (so it usually parses), and the
//!   smallest expression ending at the dot gives the receiver's type; built-in methods of
//!   integers, `Option` and `StorageVec` are added. With no type, every field and method of
//!   the package is offered;
//! - after `Name::`: a message's variants, an enum's variants, a type's functions, or the
//!   items of the module (file) `Name`;
//! - anywhere else: inside a `recv Msg { .. }` block the variants of `Msg`, then the locals in
//!   scope, the package's items and the keywords.

use crate::analysis::{Package, World};
use crate::index::{Def, DefKind, base_type};
use lsp_types as lt;
use std::collections::BTreeSet;
use std::path::Path;
use tandem_lang_syntax::ast::ItemKind;
use tandem_lang_syntax::diag::Span;

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The start of the identifier that ends at `at`.
fn word_start(text: &[u8], at: usize) -> usize {
    let mut i = at;
    while i > 0 && is_ident_byte(text[i - 1]) {
        i -= 1;
    }
    i
}

fn trim_back(text: &[u8], mut at: usize) -> usize {
    while at > 0 && text[at - 1].is_ascii_whitespace() {
        at -= 1;
    }
    at
}

fn item(label: &str, kind: lt::CompletionItemKind, detail: Option<&str>) -> lt::CompletionItem {
    lt::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: detail.map(str::to_string),
        ..Default::default()
    }
}

fn def_kind(k: DefKind) -> lt::CompletionItemKind {
    use lt::CompletionItemKind as C;
    match k {
        DefKind::Contract => C::CLASS,
        DefKind::Message => C::INTERFACE,
        DefKind::Variant | DefKind::EnumVariant => C::ENUM_MEMBER,
        DefKind::Event => C::EVENT,
        DefKind::Error | DefKind::Struct => C::STRUCT,
        DefKind::Enum => C::ENUM,
        DefKind::Field | DefKind::Storage => C::FIELD,
        DefKind::Fn | DefKind::Handler | DefKind::Init => C::FUNCTION,
        DefKind::Method => C::METHOD,
        DefKind::Const => C::CONSTANT,
        DefKind::Alias => C::TYPE_PARAMETER,
    }
}

fn def_item(d: &Def) -> lt::CompletionItem {
    item(&d.name, def_kind(d.kind), Some(&d.detail))
}

const INT_METHODS: &[&str] = &[
    "wrapping_add",
    "wrapping_sub",
    "wrapping_mul",
    "saturating_add",
    "saturating_sub",
    "min",
    "max",
];

/// Methods sema gives built-in types (`methods.rs`, `calls.rs`).
fn builtin_methods(ty: &str) -> &'static [&'static str] {
    let t = ty.trim_start_matches("mut ");
    if t.starts_with("Option<") {
        &["is_some", "is_none", "unwrap", "unwrap_or"]
    } else if t.starts_with("StorageVec<") {
        &["len", "push", "pop"]
    } else if (t.starts_with('u') || t.starts_with('i'))
        && t.len() > 1
        && t[1..].bytes().all(|b| b.is_ascii_digit())
    {
        INT_METHODS
    } else {
        &[]
    }
}

/// Fields and methods of the type `ty`.
fn members(pkg: &Package, ty: &str, out: &mut Vec<lt::CompletionItem>) {
    let b = base_type(ty);
    for d in &pkg.index.defs {
        if matches!(d.kind, DefKind::Field | DefKind::Method) && d.parent.as_deref() == Some(b) {
            out.push(def_item(d));
        }
    }
    for m in builtin_methods(ty) {
        out.push(item(m, lt::CompletionItemKind::METHOD, Some(ty)));
    }
}

/// The contract whose body holds the offset, and its storage type.
fn enclosing_storage(pkg: &Package, file: u32, off: u32) -> Option<String> {
    let c = pkg.index.defs.iter().find(|d| {
        d.kind == DefKind::Contract && d.full.file == file && d.full.lo <= off && off <= d.full.hi
    })?;
    pkg.index
        .storage_types
        .iter()
        .find(|(name, _)| *name == c.name)
        .map(|(_, st)| st.clone())
}

/// Completion at byte offset `off` of `path` (file id `file` of `pkg`).
pub fn completion(
    world: &mut World,
    path: &Path,
    pkg: &Package,
    file: u32,
    off: usize,
) -> Vec<lt::CompletionItem> {
    let Some(f) = pkg.files.get(file as usize) else {
        return Vec::new();
    };
    let text: &str = &f.text;
    let mut off = off.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let bytes = text.as_bytes();
    let start = word_start(bytes, off);
    let before = trim_back(bytes, start);
    let mut out = Vec::new();
    if before > 0 && bytes[before - 1] == b'.' && !(before > 1 && bytes[before - 2] == b'.') {
        let dot = before - 1;
        let recv_end = trim_back(bytes, dot);
        let recv_start = word_start(bytes, recv_end);
        let recv = &text[recv_start..recv_end];
        let plain = recv_start == 0 || bytes[recv_start - 1] != b'.';
        if plain && recv == "ctx" {
            for m in tandem_lang_sema::CTX_METHODS {
                out.push(item(m, lt::CompletionItemKind::METHOD, Some("ctx")));
            }
            return out;
        }
        // Check the text without `.prefix`, so it parses and the receiver gets its type.
        let patched = format!("{}{}", &text[..dot], &text[off..]);
        let p2 = world.check_as_if(path, &patched);
        if plain
            && recv == "storage"
            && let Some(st) = enclosing_storage(&p2, file, dot as u32)
        {
            members(&p2, &st, &mut out);
            return out;
        }
        let ty = p2
            .types
            .iter()
            .filter(|(s, _)| s.file == file && s.hi as usize == recv_end && s.lo < s.hi)
            .min_by_key(|(s, _)| s.hi - s.lo)
            .map(|(_, t)| t.clone());
        match ty {
            Some(t) => members(&p2, &t, &mut out),
            None => {
                for d in p2
                    .index
                    .defs
                    .iter()
                    .filter(|d| matches!(d.kind, DefKind::Field | DefKind::Method))
                {
                    out.push(def_item(d));
                }
            }
        }
        return dedup(out);
    }
    if before > 1 && &bytes[before - 2..before] == b"::" {
        let q_end = trim_back(bytes, before - 2);
        let q = &text[word_start(bytes, q_end)..q_end];
        for d in &pkg.index.defs {
            if d.parent.as_deref() == Some(q)
                && matches!(
                    d.kind,
                    DefKind::Variant | DefKind::EnumVariant | DefKind::Method
                )
            {
                out.push(def_item(d));
            }
        }
        // `module::`: the items of the file `module.tdm`.
        if let Some(id) = pkg
            .files
            .iter()
            .position(|f| f.path.file_stem().and_then(|s| s.to_str()) == Some(q))
        {
            for d in pkg.index.defs.iter().filter(|d| {
                d.span.file == id as u32 && d.parent.is_none() && d.kind != DefKind::Handler
            }) {
                out.push(def_item(d));
            }
        }
        return dedup(out);
    }
    fallback(pkg, file, off as u32, &mut out);
    dedup(out)
}

fn fallback(pkg: &Package, file: u32, off: u32, out: &mut Vec<lt::CompletionItem>) {
    let ix = &pkg.index;
    // Inside `recv Msg { .. }` (between arms): the variants of `Msg`.
    if let Some(f) = pkg.files.get(file as usize) {
        for it in &f.ast.items {
            let ItemKind::Contract(c) = &it.kind else {
                continue;
            };
            for r in &c.recvs {
                let in_block = r.span.lo <= off && off <= r.span.hi;
                let in_arm = r.arms.iter().any(|a| a.span.lo < off && off <= a.span.hi);
                if in_block && !in_arm {
                    let msg = &r.msg.last().name;
                    for d in ix
                        .defs
                        .iter()
                        .filter(|d| d.kind == DefKind::Variant && d.parent.as_deref() == Some(msg))
                    {
                        out.push(def_item(d));
                    }
                }
            }
        }
    }
    let at = Span::new(file, off as usize, off as usize);
    let mut seen = BTreeSet::new();
    let mut locals: Vec<_> = ix
        .locals
        .iter()
        .filter(|l| {
            l.span.file == file
                && l.span.hi <= off
                && l.scope.file == file
                && l.scope.lo <= at.lo
                && at.lo <= l.scope.hi
        })
        .collect();
    // The nearest binding of a name shadows the others.
    locals.sort_by_key(|l| std::cmp::Reverse(l.span.lo));
    for l in locals {
        if seen.insert(l.name.clone()) {
            let detail = l.ty.as_deref().map(|t| format!("{}: {t}", l.name));
            out.push(item(
                &l.name,
                lt::CompletionItemKind::VARIABLE,
                detail.as_deref(),
            ));
        }
    }
    for d in ix.defs.iter().filter(|d| {
        d.parent.is_none()
            && matches!(
                d.kind,
                DefKind::Contract
                    | DefKind::Message
                    | DefKind::Event
                    | DefKind::Error
                    | DefKind::Struct
                    | DefKind::Enum
                    | DefKind::Fn
                    | DefKind::Const
                    | DefKind::Alias
            )
    }) {
        out.push(def_item(d));
    }
    // The enclosing contract's functions and constants.
    if let Some(c) = ix.defs.iter().find(|d| {
        d.kind == DefKind::Contract && d.full.file == file && d.full.lo <= off && off <= d.full.hi
    }) {
        for d in ix.defs.iter().filter(|d| {
            d.parent.as_deref() == Some(&c.name) && matches!(d.kind, DefKind::Fn | DefKind::Const)
        }) {
            out.push(def_item(d));
        }
    }
    for k in crate::refs::KEYWORDS {
        out.push(item(k, lt::CompletionItemKind::KEYWORD, None));
    }
}

/// Drops repeated labels, keeping the first (the most specific).
fn dedup(items: Vec<lt::CompletionItem>) -> Vec<lt::CompletionItem> {
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.label.clone()))
        .collect()
}
