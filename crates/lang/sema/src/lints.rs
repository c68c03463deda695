//! Warnings, found on the AST after a program checked cleanly (so they never pile onto an
//! error): `W0001` unused variable, `W0002` unreachable `match` arm, `W0003` unused result of
//! a call that returns a value. Warnings do not stop a build (`tandem build --deny-warnings`
//! makes them errors). A name starting with `_` is never reported unused; `let _ = f()`
//! drops a result on purpose.

use crate::items::SourceFile;
use std::collections::HashMap;
use tandem_lang_syntax::ast::{
    Block, ExprKind, File, FnDef, ItemKind, MatchArm, Param, Pattern, PatternFields, Stmt,
};
use tandem_lang_syntax::ast::{Expr, Ident};
use tandem_lang_syntax::diag::{Diagnostic, Severity, Span};

/// A warning with a primary label (the same shape as [`Diagnostic::error`]).
pub fn warning(code: &'static str, message: String, span: Span, label: &str) -> Diagnostic {
    let mut d = Diagnostic::error(code, message, span, label);
    d.severity = Severity::Warning;
    d
}

/// What a call's result is, by name: functions that return a value, and messages' variants
/// that reply one.
#[derive(Default)]
struct Returns {
    fns: HashMap<String, bool>,
    replies: HashMap<(String, String), bool>,
}

/// Every warning in the program, in source order per file.
pub fn lint(files: &[SourceFile]) -> Vec<Diagnostic> {
    let mut returns = Returns::default();
    for f in files {
        collect_returns(&f.ast, &mut returns);
    }
    let mut out = Vec::new();
    for f in files {
        let mut w = Walker {
            scopes: Vec::new(),
            returns: &returns,
            out: &mut out,
        };
        w.file(&f.ast);
    }
    out
}

fn collect_returns(file: &File, r: &mut Returns) {
    for item in &file.items {
        match &item.kind {
            ItemKind::Fn(f) => {
                r.fns.insert(f.name.name.clone(), f.ret.is_some());
            }
            ItemKind::Contract(c) => {
                for f in &c.fns {
                    r.fns.insert(f.name.name.clone(), f.ret.is_some());
                }
            }
            ItemKind::Message(m) => {
                for v in &m.variants {
                    let key = (m.name.name.clone(), v.name.name.clone());
                    r.replies.insert(key, v.ret.is_some());
                }
            }
            _ => {}
        }
    }
}

/// How a name was bound, for the fix a warning suggests.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shorthand {
    /// `let x`, a parameter, `Variant { field: x }`: rename it `_x`.
    No,
    /// A pattern's `Variant { field }`: write `field: _`.
    Pattern,
    /// A handler's `Variant { field } =>`: leave the field out of the braces.
    Handler,
}

struct Local {
    name: String,
    span: Span,
    used: bool,
    shorthand: Shorthand,
}

/// One block's locals, in binding order, indexed by name (the last binding of a name
/// shadows the earlier ones): a use is found without a scan, which made a handler of 60k
/// `let`s take 20 s.
#[derive(Default)]
struct Scope {
    locals: Vec<Local>,
    by_name: HashMap<String, usize>,
}

struct Walker<'a> {
    scopes: Vec<Scope>,
    returns: &'a Returns,
    out: &'a mut Vec<Diagnostic>,
}

impl Walker<'_> {
    fn file(&mut self, file: &File) {
        for item in &file.items {
            match &item.kind {
                ItemKind::Fn(f) => self.func(f),
                ItemKind::Impl(imp) => imp.fns.iter().for_each(|f| self.func(f)),
                ItemKind::Contract(c) => {
                    c.fns.iter().for_each(|f| self.func(f));
                    if let Some(init) = &c.init {
                        self.body(&init.params, &[], &init.body);
                    }
                    for recv in &c.recvs {
                        for arm in &recv.arms {
                            let binds: Vec<(Ident, Shorthand)> = arm
                                .bindings
                                .iter()
                                .flatten()
                                .map(|(field, rename)| match rename {
                                    Some(r) => (r.clone(), Shorthand::No),
                                    None => (field.clone(), Shorthand::Handler),
                                })
                                .collect();
                            // A `#[guard = f(field)]` uses the fields it names.
                            let guards: Vec<&Expr> = recv
                                .attrs
                                .iter()
                                .chain(&arm.attrs)
                                .filter(|a| a.name.name == "guard")
                                .filter_map(|a| a.value.as_ref())
                                .collect();
                            self.push();
                            for (b, shorthand) in &binds {
                                self.bind(b, *shorthand);
                            }
                            guards.iter().for_each(|e| self.expr(e));
                            self.body(&[], &[], &arm.body);
                            self.pop();
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn func(&mut self, f: &FnDef) {
        self.body(&f.params, &[], &f.body);
    }

    fn body(&mut self, params: &[Param], binds: &[(Ident, Shorthand)], body: &Block) {
        self.push();
        for p in params {
            self.bind(&p.name, Shorthand::No);
        }
        for (b, shorthand) in binds {
            self.bind(b, *shorthand);
        }
        self.block(body);
        self.pop();
    }

    fn push(&mut self) {
        self.scopes.push(Scope::default());
    }

    fn pop(&mut self) {
        for l in self.scopes.pop().unwrap_or_default().locals {
            if l.used || l.name.starts_with('_') {
                continue;
            }
            let help = match l.shorthand {
                Shorthand::No => {
                    format!(
                        "if this is intentional, prefix it with an underscore: `_{}`",
                        l.name
                    )
                }
                Shorthand::Pattern => format!("if this is intentional, write `{}: _`", l.name),
                Shorthand::Handler => format!(
                    "a handler binds only the fields it names: leave `{}` out of the braces",
                    l.name
                ),
            };
            self.out.push(
                warning(
                    "W0001",
                    format!("unused variable `{}`", l.name),
                    l.span,
                    "never read",
                )
                .with_help(help),
            );
        }
    }

    fn bind(&mut self, name: &Ident, shorthand: Shorthand) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.by_name.insert(name.name.clone(), scope.locals.len());
            scope.locals.push(Local {
                name: name.name.clone(),
                span: name.span,
                used: false,
                shorthand,
            });
        }
    }

    fn pattern(&mut self, p: &Pattern) {
        match p {
            Pattern::Bind { name, .. } => self.bind(name, Shorthand::No),
            Pattern::Tuple(ps, _) => ps.iter().for_each(|p| self.pattern(p)),
            Pattern::Variant { fields, .. } => match fields {
                PatternFields::Unit => {}
                PatternFields::Tuple(ps) => ps.iter().for_each(|p| self.pattern(p)),
                PatternFields::Named(fs) => {
                    for (field, p) in fs {
                        match p {
                            // `{ w }` binds a name spelled like the field.
                            Pattern::Bind { name, .. } if name.span == field.span => {
                                self.bind(name, Shorthand::Pattern)
                            }
                            _ => self.pattern(p),
                        }
                    }
                }
            },
            // Every alternative binds the same names (sema checks it): the first one's stand
            // for all, so a name used in the arm is used once.
            Pattern::Or(alts, _) => {
                if let Some(first) = alts.first() {
                    self.pattern(first);
                }
            }
            Pattern::Wildcard(_) | Pattern::Literal(_) => {}
        }
    }

    fn use_name(&mut self, name: &str) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(&i) = scope.by_name.get(name) {
                scope.locals[i].used = true;
                return;
            }
        }
    }

    fn block(&mut self, b: &Block) {
        self.push();
        for s in &b.stmts {
            match s {
                Stmt::Let {
                    pattern, init, els, ..
                } => {
                    if let Some(e) = init {
                        self.expr(e);
                    }
                    if let Some(b) = els {
                        self.block(b);
                    }
                    self.pattern(pattern);
                }
                Stmt::Expr(e) => {
                    self.unused_result(e);
                    self.expr(e);
                }
            }
        }
        if let Some(t) = &b.tail {
            self.expr(t);
        }
        self.pop();
    }

    /// `W0003`: a statement that drops the value of a call that returns one.
    fn unused_result(&mut self, e: &Expr) {
        let what = match &e.kind {
            ExprKind::Call(callee, _) => match &callee.kind {
                ExprKind::Path(p) if p.segments.len() == 1 => {
                    let name = &p.segments[0].name;
                    let local = self.scopes.iter().any(|s| s.by_name.contains_key(name));
                    match self.returns.fns.get(name) {
                        Some(true) if !local => format!("`{name}` returns a value"),
                        _ => return,
                    }
                }
                _ => return,
            },
            ExprKind::MethodCall {
                receiver,
                method,
                args,
                ..
            } if matches!(&receiver.kind, ExprKind::Path(p) if p.text() == "ctx") => {
                match method.name.as_str() {
                    "try_call" | "try_call_with" | "try_call_raw" => {
                        format!("`ctx.{}` reports whether the call succeeded", method.name)
                    }
                    "call_raw" => "`ctx.call_raw` returns the reply's bytes".to_string(),
                    "call" | "call_with" => match args.get(1).map(|a| message_of(&a.value)) {
                        Some(Some(key)) if self.returns.replies.get(&key) == Some(&true) => {
                            format!("`{}::{}` replies a value", key.0, key.1)
                        }
                        _ => return,
                    },
                    _ => return,
                }
            }
            _ => return,
        };
        self.out.push(
            warning(
                "W0003",
                "unused result of a call".to_string(),
                e.span,
                &what,
            )
            .with_help("use the result, or drop it on purpose with `let _ = ..`"),
        );
    }

    fn arms(&mut self, arms: &[MatchArm]) {
        unreachable_arms(arms, self.out);
        for arm in arms {
            self.push();
            self.pattern(&arm.pattern);
            self.expr(&arm.body);
            self.pop();
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Path(p) => {
                if p.segments.len() == 1 {
                    self.use_name(&p.segments[0].name);
                }
            }
            ExprKind::Int(..)
            | ExprKind::Bool(_)
            | ExprKind::Str(_)
            | ExprKind::Break
            | ExprKind::Continue
            | ExprKind::Error => {}
            ExprKind::Tuple(es) | ExprKind::Array(es) => es.iter().for_each(|e| self.expr(e)),
            ExprKind::ArrayRepeat(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::StructLit { fields, .. } | ExprKind::Revert(_, fields) => {
                for (name, value) in fields {
                    match value {
                        Some(v) => self.expr(v),
                        None => self.use_name(&name.name),
                    }
                }
            }
            ExprKind::Field(a, _) | ExprKind::TupleField(a, ..) | ExprKind::Unary(_, a) => {
                self.expr(a)
            }
            ExprKind::Cast(a, _) => self.expr(a),
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                args.iter().for_each(|a| self.expr(&a.value));
            }
            ExprKind::MethodCall { receiver, args, .. } => {
                self.expr(receiver);
                args.iter().for_each(|a| self.expr(&a.value));
            }
            // A plain `x = ..` writes `x` without reading it.
            ExprKind::Assign(lhs, rhs) => {
                if !matches!(&lhs.kind, ExprKind::Path(p) if p.segments.len() == 1) {
                    self.expr(lhs);
                }
                self.expr(rhs);
            }
            ExprKind::CompoundAssign(_, lhs, rhs) => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::If(c, then, els) => {
                self.expr(c);
                self.block(then);
                if let Some(e) = els {
                    self.expr(e);
                }
            }
            ExprKind::Match(scrut, arms) => {
                self.expr(scrut);
                self.arms(arms);
            }
            ExprKind::While(c, body) => {
                self.expr(c);
                self.block(body);
            }
            ExprKind::For {
                var,
                start,
                end,
                body,
            } => {
                self.expr(start);
                self.expr(end);
                self.push();
                self.bind(var, Shorthand::No);
                self.block(body);
                self.pop();
            }
            ExprKind::ForIn { pat, iter, body } => {
                self.expr(iter);
                self.push();
                self.pattern(pat);
                self.block(body);
                self.pop();
            }
            ExprKind::Try(e) => self.expr(e),
            ExprKind::Asm(a) => {
                for e in &a.inputs {
                    self.expr(e);
                }
            }
            ExprKind::Block(b) => self.block(b),
            ExprKind::Return(v) => {
                if let Some(v) = v {
                    self.expr(v);
                }
            }
        }
    }
}

/// `Msg::Variant { .. }` or `Msg::Variant`: the message and variant a send names.
fn message_of(e: &Expr) -> Option<(String, String)> {
    let path = match &e.kind {
        ExprKind::StructLit { path, .. } | ExprKind::Path(path) => path,
        _ => return None,
    };
    match &path.segments[..] {
        [m, v] => Some((m.name.clone(), v.name.clone())),
        _ => None,
    }
}

/// Whether a pattern matches every value (of a type it fits).
fn irrefutable(p: &Pattern) -> bool {
    match p {
        Pattern::Wildcard(_) | Pattern::Bind { .. } => true,
        Pattern::Tuple(ps, _) => ps.iter().all(irrefutable),
        Pattern::Or(alts, _) => alts.iter().any(irrefutable),
        Pattern::Literal(_) | Pattern::Variant { .. } => false,
    }
}

/// What an arm covers completely: a whole variant (its fields all irrefutable) or one literal.
fn covered_key(p: &Pattern) -> Option<String> {
    match p {
        Pattern::Variant { path, fields, .. } => {
            let all = match fields {
                PatternFields::Unit => true,
                PatternFields::Tuple(ps) => ps.iter().all(irrefutable),
                PatternFields::Named(fs) => fs.iter().all(|(_, p)| irrefutable(p)),
            };
            all.then(|| format!("variant {}", path.last().name))
        }
        Pattern::Literal(e) => match &e.kind {
            ExprKind::Int(d, r) => Some(format!("int {r}:{d}")),
            ExprKind::Bool(b) => Some(format!("bool {b}")),
            ExprKind::Str(s) => Some(format!("str {s:?}")),
            _ => None,
        },
        _ => None,
    }
}

/// `W0002`: arms after a catch-all, and arms whose variant or literal an earlier arm covers.
fn unreachable_arms(arms: &[MatchArm], out: &mut Vec<Diagnostic>) {
    let mut catch_all: Option<Span> = None;
    let mut covered: HashMap<String, Span> = HashMap::new();
    for arm in arms {
        let earlier = catch_all.or_else(|| {
            let key = match &arm.pattern {
                Pattern::Variant { path, .. } => Some(format!("variant {}", path.last().name)),
                p => covered_key(p),
            };
            key.and_then(|k| covered.get(&k).copied())
        });
        if let Some(prev) = earlier {
            out.push(
                warning(
                    "W0002",
                    "unreachable match arm".to_string(),
                    arm.pattern.span(),
                    "no value reaches this arm",
                )
                .with_label(prev, "every value it could match is matched here"),
            );
            continue;
        }
        if irrefutable(&arm.pattern) {
            catch_all = Some(arm.pattern.span());
        } else if let Pattern::Or(alts, _) = &arm.pattern {
            // Alternatives an earlier arm covers are reported by sema (W0004).
            for a in alts {
                if let Some(k) = covered_key(a) {
                    covered.entry(k).or_insert(a.span());
                }
            }
        } else if let Some(k) = covered_key(&arm.pattern) {
            covered.insert(k, arm.pattern.span());
        }
        if let (Some(t), Some(_)) = (covered.get("bool true"), covered.get("bool false")) {
            catch_all = Some(*t);
        }
    }
}
