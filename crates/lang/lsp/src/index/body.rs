//! The index's walk through function bodies: statements, patterns (locals and their scopes)
//! and expressions (uses of names).

use super::*;

impl Walker<'_> {
    pub(super) fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            match s {
                Stmt::Let {
                    pattern,
                    ty,
                    init,
                    els,
                    ..
                } => {
                    if let Some(t) = ty {
                        self.ty(t);
                    }
                    if let Some(e) = init {
                        self.expr(e);
                    }
                    if let Some(b) = els {
                        self.block(b);
                    }
                    let written = ty.as_ref().map(|t| self.ty_text(t));
                    self.pattern(pattern, written);
                }
                Stmt::Expr(e) => self.expr(e),
            }
        }
        if let Some(t) = &b.tail {
            self.expr(t);
        }
    }

    pub(super) fn pattern(&mut self, p: &Pattern, ty: Option<String>) {
        match p {
            Pattern::Wildcard(_) => {}
            Pattern::Bind { name, .. } => self.ix.locals.push(Local {
                name: name.name.clone(),
                span: name.span,
                scope: self.scope,
                ty,
            }),
            Pattern::Literal(e) => self.expr(e),
            Pattern::Tuple(ps, _) => ps.iter().for_each(|p| self.pattern(p, None)),
            Pattern::Or(alts, _) => alts.iter().for_each(|p| self.pattern(p, ty.clone())),
            Pattern::Variant { path, fields, .. } => {
                self.path(path);
                match fields {
                    PatternFields::Unit => {}
                    PatternFields::Tuple(ps) => ps.iter().for_each(|p| self.pattern(p, None)),
                    PatternFields::Named(fs) => {
                        let owner = path.last().name.clone();
                        for (f, p) in fs {
                            self.ix.refs.push(Ref {
                                span: f.span,
                                kind: RefKind::LitField {
                                    ty: owner.clone(),
                                    name: f.name.clone(),
                                },
                            });
                            self.pattern(p, None);
                        }
                    }
                }
            }
        }
    }

    pub(super) fn lit_fields(&mut self, path: &Path, fields: &[(Ident, Option<Expr>)]) {
        self.path(path);
        let owner = path.last().name.clone();
        for (f, e) in fields {
            self.ix.refs.push(Ref {
                span: f.span,
                kind: RefKind::LitField {
                    ty: owner.clone(),
                    name: f.name.clone(),
                },
            });
            match e {
                Some(e) => self.expr(e),
                // `S { x }` also uses the local `x`.
                None => self.ix.refs.push(Ref {
                    span: Span::new(f.span.file, f.span.hi as usize, f.span.hi as usize),
                    kind: RefKind::Path {
                        segs: vec![f.name.clone()],
                        idx: 0,
                    },
                }),
            }
        }
    }

    pub(super) fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Int(..)
            | ExprKind::Bool(_)
            | ExprKind::Str(_)
            | ExprKind::Break
            | ExprKind::Continue
            | ExprKind::Error => {}
            ExprKind::Path(p) => self.path(p),
            ExprKind::Tuple(es) | ExprKind::Array(es) => es.iter().for_each(|e| self.expr(e)),
            ExprKind::ArrayRepeat(a, b) | ExprKind::Index(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Binary(_, a, b)
            | ExprKind::Assign(a, b)
            | ExprKind::CompoundAssign(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::StructLit { path, fields } => self.lit_fields(path, fields),
            ExprKind::Revert(path, fields) => self.lit_fields(path, fields),
            ExprKind::Field(recv, name) => {
                self.expr(recv);
                self.ix.refs.push(Ref {
                    span: name.span,
                    kind: RefKind::Field {
                        recv: recv.span,
                        name: name.name.clone(),
                    },
                });
            }
            ExprKind::TupleField(recv, _, _) => self.expr(recv),
            ExprKind::Call(f, args) => {
                self.expr(f);
                args.iter().for_each(|a| self.expr(&a.value));
            }
            ExprKind::MethodCall {
                receiver,
                method,
                generics,
                args,
            } => {
                self.expr(receiver);
                self.ix.refs.push(Ref {
                    span: method.span,
                    kind: RefKind::Method {
                        recv: receiver.span,
                        name: method.name.clone(),
                    },
                });
                generics.iter().for_each(|g| self.ty(g));
                args.iter().for_each(|a| self.expr(&a.value));
            }
            ExprKind::Unary(_, a) => self.expr(a),
            ExprKind::Cast(a, t) => {
                self.expr(a);
                self.ty(t);
            }
            ExprKind::If(c, b, els) => {
                self.expr(c);
                self.block(b);
                if let Some(e) = els {
                    self.expr(e);
                }
            }
            ExprKind::Match(s, arms) => {
                self.expr(s);
                for a in arms {
                    let outer = self.scope;
                    self.scope = a.span;
                    self.pattern(&a.pattern, None);
                    self.expr(&a.body);
                    self.scope = outer;
                }
            }
            ExprKind::While(c, b) => {
                self.expr(c);
                self.block(b);
            }
            ExprKind::For {
                var,
                start,
                end,
                body,
            } => {
                self.expr(start);
                self.expr(end);
                self.ix.locals.push(Local {
                    name: var.name.clone(),
                    span: var.span,
                    scope: body.span,
                    ty: None,
                });
                self.block(body);
            }
            ExprKind::ForIn { pat, iter, body } => {
                self.expr(iter);
                let outer = self.scope;
                self.scope = body.span;
                self.pattern(pat, None);
                self.scope = outer;
                self.block(body);
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
