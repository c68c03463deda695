//! The definition-time checks of traits and bounds (see `traits.rs`):
//! - every bound names a trait (E0220);
//! - in a generic body, a method called on a value whose type is a *bounded* parameter must be
//!   a method of one of its bounds (E0225), whatever the instantiations provide. The values
//!   recognised are the body's parameters written `x: T`, `let x: T = ..` and, in a contract
//!   whose storage type is a bounded parameter, `storage`; in a trait's default method, `self`
//!   (it may call only the trait's methods). A name also bound by any other pattern in the body
//!   is left alone (its type is not known here), and so are other receivers: those are checked
//!   per instantiation, as calls on unbounded parameters always are.

use crate::items::{ItemRef, Program};
use std::collections::{HashMap, HashSet};
use tandem_lang_syntax::ast::*;
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics};

/// What a bounded parameter may be asked for: its name and its bounds' trait ids.
type Bounded = HashMap<String, Vec<usize>>;

pub fn check_program(p: &Program, diags: &mut Diagnostics) {
    for (fi, f) in p.files.iter().enumerate() {
        for item in &f.ast.items {
            match &item.kind {
                ItemKind::Struct(s) => names(p, fi, &s.bounds, diags),
                ItemKind::Enum(e) => names(p, fi, &e.bounds, diags),
                ItemKind::Fn(fd) => func(p, fi, &Bounded::new(), fd, None, diags),
                ItemKind::Impl(imp) => {
                    names(p, fi, &imp.bounds, diags);
                    let outer = bounded(p, fi, &imp.generics, &imp.bounds, &Bounded::new());
                    for fd in &imp.fns {
                        func(p, fi, &outer, fd, None, diags);
                    }
                }
                ItemKind::Trait(t) => trait_defaults(p, fi, t, diags),
                ItemKind::Contract(c) => contract(p, fi, c, diags),
                _ => {}
            }
        }
    }
}

/// E0220 for every bound that does not name a trait.
fn names(p: &Program, fi: usize, bounds: &[Bound], diags: &mut Diagnostics) {
    for b in bounds {
        for t in &b.traits {
            p.trait_named(fi, t, diags);
        }
    }
}

/// The bounded parameters in scope: the outer ones, shadowed by `generics`, plus their own.
fn bounded(
    p: &Program,
    fi: usize,
    generics: &[Ident],
    bounds: &[Bound],
    outer: &Bounded,
) -> Bounded {
    let mut out = outer.clone();
    for g in generics {
        out.remove(&g.name);
        let ts = p.bound_traits(fi, bounds, &g.name);
        if !ts.is_empty() {
            out.insert(g.name.clone(), ts);
        }
    }
    out
}

/// The bounded parameter a written type is, if it is one (`T`, not `Vec<T>`).
fn param_of(te: &TypeExpr, scope: &Bounded) -> Option<String> {
    match te {
        TypeExpr::Path(path) if path.segments.len() == 1 && path.generics.is_empty() => {
            let n = &path.segments[0].name;
            scope.contains_key(n).then(|| n.clone())
        }
        _ => None,
    }
}

fn func(
    p: &Program,
    fi: usize,
    outer: &Bounded,
    fd: &FnDef,
    storage: Option<&str>,
    diags: &mut Diagnostics,
) {
    names(p, fi, &fd.bounds, diags);
    let scope = bounded(p, fi, &fd.generics, &fd.bounds, outer);
    if scope.is_empty() {
        return;
    }
    let mut vars = Vars::default();
    if let Some(s) = storage {
        vars.typed("storage", s);
    }
    for prm in &fd.params {
        match param_of(&prm.ty, &scope) {
            Some(t) => vars.typed(&prm.name.name, &t),
            None => vars.other(&prm.name.name),
        }
    }
    vars.block(&fd.body, &scope);
    vars.report(p, &scope, diags);
}

fn trait_defaults(p: &Program, fi: usize, t: &TraitDef, diags: &mut Diagnostics) {
    let Some(crate::items::ItemRef::Trait(tid)) = p.lookup(fi, &t.name.name) else {
        return;
    };
    let mut seen = HashSet::new();
    for tf in &t.fns {
        if !seen.insert(&tf.def.name.name) {
            diags.push(Diagnostic::error(
                "E0202",
                format!(
                    "method `{}` is declared twice in trait `{}`",
                    tf.def.name.name, t.name.name
                ),
                tf.def.name.span,
                "redeclared here",
            ));
        }
        names(p, fi, &tf.def.bounds, diags);
        if !tf.has_default || tf.def.self_param == SelfParam::None {
            continue;
        }
        // `self` is some implementor: it has the trait's methods and no others.
        let mut scope = bounded(p, fi, &tf.def.generics, &tf.def.bounds, &Bounded::new());
        scope.insert("Self".into(), vec![tid]);
        let mut vars = Vars::default();
        vars.typed("self", "Self");
        for prm in &tf.def.params {
            match param_of(&prm.ty, &scope) {
                Some(ty) => vars.typed(&prm.name.name, &ty),
                None => vars.other(&prm.name.name),
            }
        }
        vars.block(&tf.def.body, &scope);
        vars.report(p, &scope, diags);
    }
}

fn contract(p: &Program, fi: usize, c: &ContractDef, diags: &mut Diagnostics) {
    // A contract's parameter may also be bounded by interfaces (message types, `interfaces.rs`).
    for b in &c.bounds {
        for t in &b.traits {
            if !matches!(p.lookup(fi, &t.last().name), Some(ItemRef::Message(_))) {
                p.trait_named(fi, t, diags);
            }
        }
    }
    let scope = bounded(p, fi, &c.generics, &c.bounds, &Bounded::new());
    let storage = c.storage.as_ref().and_then(|t| param_of(t, &scope));
    for fd in &c.fns {
        func(p, fi, &scope, fd, storage.as_deref(), diags);
    }
    if scope.is_empty() {
        return;
    }
    let mut vars = Vars::default();
    if let Some(s) = &storage {
        vars.typed("storage", s);
    }
    let inits = [c.init.as_ref(), c.receive.as_deref(), c.fallback.as_deref()];
    for init in inits.into_iter().flatten() {
        for prm in &init.params {
            match param_of(&prm.ty, &scope) {
                Some(t) => vars.typed(&prm.name.name, &t),
                None => vars.other(&prm.name.name),
            }
        }
        vars.attrs(&init.attrs, &scope);
        vars.block(&init.body, &scope);
    }
    for r in &c.recvs {
        vars.attrs(&r.attrs, &scope);
        for arm in &r.arms {
            for (field, rename) in arm.bindings.iter().flatten() {
                vars.other(&rename.as_ref().unwrap_or(field).name);
            }
            vars.attrs(&arm.attrs, &scope);
            vars.block(&arm.body, &scope);
        }
    }
    vars.report(p, &scope, diags);
}

/// The names of one body: those whose type is a bounded parameter, those bound otherwise,
/// and the method calls on names.
#[derive(Default)]
struct Vars<'e> {
    typed: HashMap<String, HashSet<String>>,
    other: HashSet<String>,
    calls: Vec<(&'e str, &'e Ident)>,
}

impl<'e> Vars<'e> {
    fn typed(&mut self, name: &str, param: &str) {
        self.typed
            .entry(name.to_string())
            .or_default()
            .insert(param.to_string());
    }

    fn other(&mut self, name: &str) {
        self.other.insert(name.to_string());
    }

    fn report(&self, p: &Program, scope: &Bounded, diags: &mut Diagnostics) {
        for (recv, method) in &self.calls {
            if self.other.contains(*recv) {
                continue;
            }
            let Some(params) = self.typed.get(*recv) else {
                continue;
            };
            if params.len() != 1 {
                continue;
            }
            let Some(param) = params.iter().next() else {
                continue;
            };
            // A parameter shadowed by the function's own (unbounded) one is not checked.
            let Some(traits) = scope.get(param) else {
                continue;
            };
            if traits.iter().any(|t| p.traits[*t].has_method(&method.name)) {
                continue;
            }
            let list = traits
                .iter()
                .map(|t| format!("`{}`", p.traits[*t].def.name.name))
                .collect::<Vec<_>>()
                .join(" + ");
            let help = if param == "Self" {
                format!(
                    "a default method may call only its trait's methods: declare `{}` in {list}",
                    method.name
                )
            } else {
                format!(
                    "add a bound that declares `{}` (`{param}: {} + Other`), or declare it in {list}",
                    method.name,
                    list.replace('`', "")
                )
            };
            diags.push(
                Diagnostic::error(
                    "E0225",
                    format!(
                        "no method `{}` in the bounds of `{param}` ({list})",
                        method.name
                    ),
                    method.span,
                    format!("`{recv}` has type `{param}`: only its bounds' methods can be called"),
                )
                .with_help(help),
            );
        }
    }

    fn attrs(&mut self, attrs: &'e [Attr], scope: &Bounded) {
        for a in attrs {
            if let Some(v) = &a.value {
                self.expr(v, scope);
            }
        }
    }

    fn block(&mut self, b: &'e Block, scope: &Bounded) {
        for s in &b.stmts {
            match s {
                Stmt::Let {
                    pattern,
                    ty,
                    init,
                    els,
                    ..
                } => {
                    if let Some(e) = init {
                        self.expr(e, scope);
                    }
                    if let Some(b) = els {
                        self.block(b, scope);
                    }
                    match (pattern, ty.as_ref().and_then(|t| param_of(t, scope))) {
                        (Pattern::Bind { name, .. }, Some(t)) => self.typed(&name.name, &t),
                        _ => self.pattern(pattern),
                    }
                }
                Stmt::Expr(e) => self.expr(e, scope),
            }
        }
        if let Some(t) = &b.tail {
            self.expr(t, scope);
        }
    }

    fn pattern(&mut self, pat: &'e Pattern) {
        match pat {
            Pattern::Bind { name, .. } => self.other(&name.name),
            Pattern::Tuple(ps, _) | Pattern::Or(ps, _) => ps.iter().for_each(|p| self.pattern(p)),
            Pattern::Variant { fields, .. } => match fields {
                PatternFields::Unit => {}
                PatternFields::Tuple(ps) => ps.iter().for_each(|p| self.pattern(p)),
                PatternFields::Named(fs) => fs.iter().for_each(|(_, p)| self.pattern(p)),
            },
            Pattern::Wildcard(_) | Pattern::Literal(_) => {}
        }
    }

    fn exprs(&mut self, es: impl IntoIterator<Item = &'e Expr>, scope: &Bounded) {
        for e in es {
            self.expr(e, scope);
        }
    }

    fn expr(&mut self, e: &'e Expr, scope: &Bounded) {
        match &e.kind {
            ExprKind::MethodCall {
                receiver,
                method,
                args,
                ..
            } => {
                if let ExprKind::Path(path) = &receiver.kind
                    && path.segments.len() == 1
                {
                    self.calls.push((&path.segments[0].name, method));
                }
                self.expr(receiver, scope);
                self.exprs(args.iter().map(|a| &a.value), scope);
            }
            ExprKind::Tuple(es) | ExprKind::Array(es) => self.exprs(es, scope),
            ExprKind::ArrayRepeat(a, b)
            | ExprKind::Index(a, b)
            | ExprKind::Binary(_, a, b)
            | ExprKind::Assign(a, b)
            | ExprKind::CompoundAssign(_, a, b) => self.exprs([&**a, &**b], scope),
            ExprKind::StructLit { fields, .. } | ExprKind::Revert(_, fields) => {
                self.exprs(fields.iter().filter_map(|(_, v)| v.as_ref()), scope)
            }
            ExprKind::Field(a, _)
            | ExprKind::TupleField(a, _, _)
            | ExprKind::Unary(_, a)
            | ExprKind::Cast(a, _)
            | ExprKind::Try(a) => self.expr(a, scope),
            ExprKind::Call(f, args) => {
                self.expr(f, scope);
                self.exprs(args.iter().map(|a| &a.value), scope);
            }
            ExprKind::If(c, then, els) => {
                self.expr(c, scope);
                self.block(then, scope);
                if let Some(e) = els {
                    self.expr(e, scope);
                }
            }
            ExprKind::Match(s, arms) => {
                self.expr(s, scope);
                for arm in arms {
                    self.pattern(&arm.pattern);
                    self.expr(&arm.body, scope);
                }
            }
            ExprKind::While(c, b) => {
                self.expr(c, scope);
                self.block(b, scope);
            }
            ExprKind::For {
                var,
                start,
                end,
                body,
            } => {
                self.other(&var.name);
                self.exprs([&**start, &**end], scope);
                self.block(body, scope);
            }
            ExprKind::ForIn { pat, iter, body } => {
                self.pattern(pat);
                self.expr(iter, scope);
                self.block(body, scope);
            }
            ExprKind::Block(b) => self.block(b, scope),
            ExprKind::Return(Some(v)) => self.expr(v, scope),
            // Literals, paths, `break`/`continue`, and anything else hold no call to check.
            _ => {}
        }
    }
}
