//! What the AST says about names: every definition in a package (items, variants, fields,
//! functions, handlers), every place a name is used (paths, fields, methods, struct-literal
//! fields, `recv` arms) and every local binding with the body it is visible in. Hover and
//! go-to-definition resolve a use to a definition through this index; sema's expression types
//! (`Package::types`) settle field and method receivers.

use crate::analysis::PkgFile;
use tandem_lang_syntax::ast::*;
use tandem_lang_syntax::diag::Span;

mod body;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    Contract,
    Message,
    Variant,
    Event,
    Error,
    Struct,
    Enum,
    EnumVariant,
    Field,
    Fn,
    Method,
    Const,
    Alias,
    Handler,
    Init,
    Storage,
}

impl DefKind {
    /// Items reachable by a bare name at file level.
    fn top_level(self) -> bool {
        matches!(
            self,
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
    }
}

#[derive(Clone, Debug)]
pub struct Def {
    pub name: String,
    pub kind: DefKind,
    /// The name's span (file id inside).
    pub span: Span,
    /// The whole definition.
    pub full: Span,
    /// The enclosing item's name: the message of a variant, the struct/event/error/variant
    /// of a field, the type of a method, the contract of a handler.
    pub parent: Option<String>,
    /// A one-line rendering of the declaration.
    pub detail: String,
}

#[derive(Clone, Debug)]
pub enum RefKind {
    /// The segment `idx` of a path.
    Path {
        segs: Vec<String>,
        idx: usize,
    },
    /// `recv.name`; `recv` is the receiver expression's span (its type comes from sema).
    Field {
        recv: Span,
        name: String,
    },
    Method {
        recv: Span,
        name: String,
    },
    /// A field named in a struct literal, `revert`, or pattern of the type `ty`.
    LitField {
        ty: String,
        name: String,
    },
    /// A variant named in a `recv Msg { .. }` arm.
    RecvVariant {
        msg: String,
        variant: String,
    },
}

#[derive(Clone, Debug)]
pub struct Ref {
    pub span: Span,
    pub kind: RefKind,
}

#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub span: Span,
    /// The body it is visible in.
    pub scope: Span,
    /// The written type, if any.
    pub ty: Option<String>,
}

#[derive(Default)]
pub struct Index {
    pub defs: Vec<Def>,
    pub refs: Vec<Ref>,
    pub locals: Vec<Local>,
    /// (contract name, storage type name).
    pub storage_types: Vec<(String, String)>,
}

fn contains(s: Span, file: u32, off: u32) -> bool {
    s.file == file && s.lo <= off && off <= s.hi
}

impl Index {
    pub fn build(files: &[PkgFile]) -> Index {
        let mut ix = Index::default();
        for f in files {
            let mut w = Walker {
                ix: &mut ix,
                text: &f.text,
                scope: Span::default(),
            };
            for item in &f.ast.items {
                w.item(item);
            }
        }
        ix
    }

    pub fn def_at(&self, file: u32, off: u32) -> Option<&Def> {
        self.defs
            .iter()
            .find(|d| d.kind != DefKind::Handler && contains(d.span, file, off))
    }

    pub fn ref_at(&self, file: u32, off: u32) -> Option<&Ref> {
        self.refs
            .iter()
            .filter(|r| contains(r.span, file, off))
            .min_by_key(|r| r.span.hi - r.span.lo)
    }

    pub fn local_at(&self, file: u32, off: u32) -> Option<&Local> {
        self.locals.iter().find(|l| contains(l.span, file, off))
    }

    /// The closest earlier binding of `name` whose body contains the use.
    pub fn local_for(&self, name: &str, at: Span) -> Option<&Local> {
        self.locals
            .iter()
            .filter(|l| {
                l.name == name
                    && l.span.file == at.file
                    && l.span.lo <= at.lo
                    && contains(l.scope, at.file, at.lo)
            })
            .max_by_key(|l| l.span.lo)
    }

    /// Among matching definitions, the one in `file` (each file is a module, so a name
    /// defined there is the one meant), else the first elsewhere (imported with `use`).
    fn pick<'a>(mut it: impl Iterator<Item = &'a Def>, file: u32) -> Option<&'a Def> {
        let first = it.next()?;
        if first.span.file == file {
            return Some(first);
        }
        Some(it.find(|d| d.span.file == file).unwrap_or(first))
    }

    pub fn top(&self, name: &str, file: u32) -> Option<&Def> {
        Self::pick(
            self.defs
                .iter()
                .filter(|d| d.kind.top_level() && d.name == name),
            file,
        )
    }

    pub fn member(&self, parent: &str, name: &str, kinds: &[DefKind], file: u32) -> Option<&Def> {
        Self::pick(
            self.defs.iter().filter(|d| {
                d.name == name && d.parent.as_deref() == Some(parent) && kinds.contains(&d.kind)
            }),
            file,
        )
    }

    /// The only definition of `name` among `kinds` (a guess when no type is known), in
    /// `file` if there is one there.
    pub fn unique(&self, name: &str, kinds: &[DefKind], file: u32) -> Option<&Def> {
        let all: Vec<&Def> = self
            .defs
            .iter()
            .filter(|d| d.name == name && kinds.contains(&d.kind))
            .collect();
        let here: Vec<&Def> = all
            .iter()
            .copied()
            .filter(|d| d.span.file == file)
            .collect();
        match (here.as_slice(), all.as_slice()) {
            ([one], _) | ([], [one]) => Some(one),
            _ => None,
        }
    }

    /// Resolves a use to its definition.
    pub fn resolve(&self, r: &Ref, type_of: impl Fn(Span) -> Option<String>) -> Resolved<'_> {
        let f = r.span.file;
        match &r.kind {
            RefKind::Path { segs, idx } => {
                let name = &segs[*idx];
                if segs.len() == 1 {
                    if let Some(l) = self.local_for(name, r.span) {
                        return Resolved::Local(l);
                    }
                    return self.top(name, f).map_or(Resolved::None, Resolved::Def);
                }
                if *idx > 0 {
                    let parent = &segs[*idx - 1];
                    if let Some(d) = self.member(
                        parent,
                        name,
                        &[DefKind::Variant, DefKind::EnumVariant, DefKind::Method],
                        f,
                    ) {
                        return Resolved::Def(d);
                    }
                }
                self.top(name, f).map_or(Resolved::None, Resolved::Def)
            }
            RefKind::Field { recv, name } | RefKind::Method { recv, name } => {
                let kinds: &[DefKind] = if matches!(r.kind, RefKind::Field { .. }) {
                    &[DefKind::Field]
                } else {
                    &[DefKind::Method]
                };
                if let Some(ty) = type_of(*recv)
                    && let Some(d) = self.member(base_type(&ty), name, kinds, f)
                {
                    return Resolved::Def(d);
                }
                self.unique(name, kinds, f)
                    .map_or(Resolved::None, Resolved::Def)
            }
            RefKind::LitField { ty, name } => self
                .member(ty, name, &[DefKind::Field], f)
                .map_or(Resolved::None, Resolved::Def),
            RefKind::RecvVariant { msg, variant } => self
                .member(msg, variant, &[DefKind::Variant], f)
                .map_or(Resolved::None, Resolved::Def),
        }
    }
}

pub enum Resolved<'a> {
    Def(&'a Def),
    Local(&'a Local),
    None,
}

/// `Wallet<u256>` → `Wallet`; `mut Ledger` → `Ledger`.
pub fn base_type(ty: &str) -> &str {
    let t = ty.trim_start_matches("mut ").trim();
    t.split(['<', ' ']).next().unwrap_or(t)
}

struct Walker<'a> {
    ix: &'a mut Index,
    text: &'a str,
    /// The body locals are visible in.
    scope: Span,
}

fn slice(text: &str, s: Span) -> &str {
    text.get(s.lo as usize..s.hi as usize).unwrap_or("")
}

impl Walker<'_> {
    fn def(
        &mut self,
        name: &Ident,
        kind: DefKind,
        full: Span,
        parent: Option<&str>,
        detail: String,
    ) {
        self.ix.defs.push(Def {
            name: name.name.clone(),
            kind,
            span: name.span,
            full,
            parent: parent.map(str::to_string),
            detail,
        });
    }

    fn ty_text(&self, t: &TypeExpr) -> String {
        slice(self.text, t.span()).to_string()
    }

    fn fields_text(&self, fields: &[Field]) -> String {
        fields
            .iter()
            .map(|f| format!("{}: {}", f.name.name, self.ty_text(&f.ty)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn fields(&mut self, fields: &[Field], parent: &str) {
        for f in fields {
            let detail = format!("{}: {}", f.name.name, self.ty_text(&f.ty));
            self.def(&f.name, DefKind::Field, f.name.span, Some(parent), detail);
            self.ty(&f.ty);
        }
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Use(u) => {
                for p in &u.paths {
                    self.path(p);
                }
            }
            ItemKind::Message(m) => {
                self.def(
                    &m.name,
                    DefKind::Message,
                    item.span,
                    None,
                    format!("message {}", m.name.name),
                );
                for v in &m.variants {
                    let mut d = format!("{}::{}", m.name.name, v.name.name);
                    if !v.fields.is_empty() {
                        d += &format!(" {{ {} }}", self.fields_text(&v.fields));
                    }
                    if let Some(r) = &v.ret {
                        d += &format!(" -> {}", self.ty_text(r));
                    }
                    let full = v
                        .attrs
                        .first()
                        .map_or(v.name.span, |a| a.span.to(v.name.span));
                    self.def(&v.name, DefKind::Variant, full, Some(&m.name.name), d);
                    self.fields(&v.fields, &v.name.name);
                    if let Some(r) = &v.ret {
                        self.ty(r);
                    }
                }
            }
            ItemKind::Event(e) => {
                let d = format!(
                    "event {} {{ {} }}",
                    e.name.name,
                    self.fields_text(&e.fields)
                );
                self.def(&e.name, DefKind::Event, item.span, None, d);
                self.fields(&e.fields, &e.name.name);
            }
            ItemKind::Error(e) => {
                let d = format!(
                    "error {} {{ {} }}",
                    e.name.name,
                    self.fields_text(&e.fields)
                );
                self.def(&e.name, DefKind::Error, item.span, None, d);
                self.fields(&e.fields, &e.name.name);
            }
            ItemKind::Struct(s) => {
                let d = format!("struct {}{}", s.name.name, generics(&s.generics));
                self.def(&s.name, DefKind::Struct, item.span, None, d);
                self.fields(&s.fields, &s.name.name);
            }
            ItemKind::Enum(e) => {
                let d = format!("enum {}{}", e.name.name, generics(&e.generics));
                self.def(&e.name, DefKind::Enum, item.span, None, d);
                for v in &e.variants {
                    let d = format!("{}::{}", e.name.name, v.name.name);
                    self.def(
                        &v.name,
                        DefKind::EnumVariant,
                        v.name.span,
                        Some(&e.name.name),
                        d,
                    );
                    match &v.fields {
                        VariantFields::Unit => {}
                        VariantFields::Tuple(ts) => ts.iter().for_each(|t| self.ty(t)),
                        VariantFields::Named(fs) => self.fields(fs, &v.name.name),
                    }
                }
            }
            ItemKind::Impl(i) => {
                if let Some(t) = &i.trait_ {
                    self.path(t);
                }
                self.ty(&i.ty);
                let owner = match &i.ty {
                    TypeExpr::Path(p) => p.last().name.clone(),
                    _ => String::new(),
                };
                for f in &i.fns {
                    self.func(f, DefKind::Method, Some(&owner));
                }
            }
            ItemKind::Trait(t) => {
                // Indexed as a type name (hover shows `trait ..`); its methods as methods.
                let d = format!("trait {}", t.name.name);
                self.def(&t.name, DefKind::Struct, item.span, None, d);
                for f in &t.fns {
                    self.func(&f.def, DefKind::Method, Some(&t.name.name));
                }
            }
            ItemKind::Fn(f) => self.func(f, DefKind::Fn, None),
            ItemKind::Const(c) => self.konst(c, item.span, None),
            ItemKind::TypeAlias(a) => {
                let d = format!("type {} = {}", a.name.name, self.ty_text(&a.ty));
                self.def(&a.name, DefKind::Alias, item.span, None, d);
                self.ty(&a.ty);
            }
            ItemKind::Contract(c) => self.contract(c, item.span),
        }
    }

    fn konst(&mut self, c: &ConstDef, full: Span, parent: Option<&str>) {
        let d = format!("const {}: {}", c.name.name, self.ty_text(&c.ty));
        self.def(&c.name, DefKind::Const, full, parent, d);
        self.ty(&c.ty);
        self.expr(&c.value);
    }

    fn contract(&mut self, c: &ContractDef, full: Span) {
        let name = c.name.name.clone();
        let d = format!("contract {}{}", name, generics(&c.generics));
        self.def(&c.name, DefKind::Contract, full, None, d);
        // `contract Token: Erc20`: each interface is a use of its message.
        for i in &c.interfaces {
            self.path(i);
        }
        if let Some(st) = &c.storage {
            self.ty(st);
            if let TypeExpr::Path(p) = st {
                self.ix
                    .storage_types
                    .push((name.clone(), p.last().name.clone()));
            }
        }
        if let Some(init) = &c.init {
            let d = format!("init({})", self.params_text(&init.params));
            let id = Ident {
                name: "init".into(),
                span: Span::new(
                    init.span.file,
                    init.span.lo as usize,
                    init.span.lo as usize + 4,
                ),
            };
            self.def(&id, DefKind::Init, init.span, Some(&name), d);
            self.scope = init.body.span;
            self.params(&init.params, init.body.span);
            self.block(&init.body);
        }
        for k in &c.consts {
            self.konst(k, k.name.span.to(k.value.span), Some(&name));
        }
        for r in &c.recvs {
            self.path(&r.msg);
            let msg = r.msg.last().name.clone();
            for arm in &r.arms {
                let variant = arm.variant.last().clone();
                self.ix.refs.push(Ref {
                    span: variant.span,
                    kind: RefKind::RecvVariant {
                        msg: msg.clone(),
                        variant: variant.name.clone(),
                    },
                });
                // The handler itself is a definition too (document symbols list it), but it
                // is named by the variant: hover and definition go to the variant.
                self.ix.defs.push(Def {
                    name: variant.name.clone(),
                    kind: DefKind::Handler,
                    span: Span::new(variant.span.file, 0, 0),
                    full: arm.span,
                    parent: Some(name.clone()),
                    detail: format!("{msg}::{}", variant.name),
                });
                self.scope = arm.body.span;
                if let Some(bs) = &arm.bindings {
                    for (field, bind) in bs {
                        self.ix.refs.push(Ref {
                            span: field.span,
                            kind: RefKind::LitField {
                                ty: variant.name.clone(),
                                name: field.name.clone(),
                            },
                        });
                        let local = bind.as_ref().unwrap_or(field);
                        self.ix.locals.push(Local {
                            name: local.name.clone(),
                            span: local.span,
                            scope: arm.body.span,
                            ty: None,
                        });
                    }
                }
                self.block(&arm.body);
            }
        }
        for f in &c.fns {
            self.func(f, DefKind::Fn, Some(&name));
        }
    }

    fn params_text(&self, ps: &[Param]) -> String {
        ps.iter()
            .map(|p| {
                format!(
                    "{}{}: {}",
                    if p.mutable { "mut " } else { "" },
                    p.name.name,
                    self.ty_text(&p.ty)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn params(&mut self, ps: &[Param], scope: Span) {
        for p in ps {
            self.ty(&p.ty);
            let ty = Some(self.ty_text(&p.ty));
            self.ix.locals.push(Local {
                name: p.name.name.clone(),
                span: p.name.span,
                scope,
                ty,
            });
        }
    }

    fn func(&mut self, f: &FnDef, kind: DefKind, parent: Option<&str>) {
        let mut ps: Vec<String> = Vec::new();
        match f.self_param {
            SelfParam::None => {}
            SelfParam::Value => ps.push("self".into()),
            SelfParam::Mut => ps.push("mut self".into()),
        }
        let rest = self.params_text(&f.params);
        if !rest.is_empty() {
            ps.push(rest);
        }
        let mut d = format!(
            "fn {}{}({})",
            f.name.name,
            generics(&f.generics),
            ps.join(", ")
        );
        if let Some(r) = &f.ret {
            d += &format!(" -> {}", self.ty_text(r));
        }
        if !f.caps.caps.is_empty() {
            let caps: Vec<&str> = f.caps.caps.iter().map(|(c, _)| c.text()).collect();
            d += &format!(" with ({})", caps.join(", "));
        }
        self.def(&f.name, kind, f.span, parent, d);
        self.scope = f.body.span;
        self.params(&f.params, f.body.span);
        if let Some(r) = &f.ret {
            self.ty(r);
        }
        self.block(&f.body);
    }

    fn path(&mut self, p: &Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.name.clone()).collect();
        for (idx, s) in p.segments.iter().enumerate() {
            self.ix.refs.push(Ref {
                span: s.span,
                kind: RefKind::Path {
                    segs: segs.clone(),
                    idx,
                },
            });
        }
        for g in &p.generics {
            self.ty(g);
        }
    }

    fn ty(&mut self, t: &TypeExpr) {
        match t {
            TypeExpr::Path(p) => self.path(p),
            TypeExpr::Array(e, n, _) => {
                self.ty(e);
                self.expr(n);
            }
            TypeExpr::Tuple(ts, _) => ts.iter().for_each(|t| self.ty(t)),
        }
    }
}

fn generics(g: &[Ident]) -> String {
    if g.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = g.iter().map(|i| i.name.as_str()).collect();
        format!("<{}>", names.join(", "))
    }
}
