//! Control flow: `if`/`else` as an expression (its branches agreeing on one type), and over
//! patterns and results: `let PAT = e else { .. }`, `for PAT in xs`, `Ok`/`Err` and the `?`
//! operator. (`if let` is a `match` already: the parser reads it so.)
//!
//! All of it lowers to IR the backends have: tag tests, `If`, `Loop`, `Exit`, `Revert::Error`.

use crate::adts::ArmTest;
use crate::cx::{Binding, Cx, Ret, Typed, Val};
use crate::items::AdtKind;
use crate::types::Ty;
use tandem_lang_ir::{self as ir, Expr as IrExpr, Stmt as IrStmt, UnOp as IU};
use tandem_lang_syntax::ast::{self, Arg, Block, Expr, ExprKind, Ident, Pattern};
use tandem_lang_syntax::diag::{Diagnostic, Span};

impl Cx<'_, '_> {
    /// Checks a branch (`check`: the `then` block, or an `else` block or `if`) into statements
    /// of its own: its value, type and statements.
    fn branch(
        &mut self,
        check: impl FnOnce(&mut Self) -> Typed,
    ) -> (Option<IrExpr>, Ty, Vec<IrStmt>) {
        let saved = std::mem::take(&mut self.out);
        let t = check(self);
        let (v, ty) = self.rvalue(t);
        (v, ty, std::mem::replace(&mut self.out, saved))
    }

    pub fn if_expr(
        &mut self,
        cond: &ast::Expr,
        then: &ast::Block,
        els: Option<&ast::Expr>,
        expected: Option<&Ty>,
    ) -> Typed {
        let c = self.expr(cond, Some(&Ty::Bool));
        self.mismatch(&Ty::Bool, &c.ty, cond.span);
        let (c, _) = self.rvalue(c);
        let c = c.unwrap_or(IrExpr::c(0));
        let saved = std::mem::take(&mut self.out);
        let errors = self.diags.list.len();
        let (mut te, mut tty, mut then_stmts) = self.branch(|cx| cx.block(then, expected));
        let (mut ee, mut ety, mut else_stmts) = match els {
            Some(e) => {
                let want = if tty == Ty::Never {
                    expected.cloned()
                } else {
                    Some(tty.clone())
                };
                self.branch(|cx| cx.expr(e, want.as_ref()))
            }
            None => (None, Ty::Unit, Vec::new()),
        };
        // One branch may say what the other leaves unknown (`(1, None)` and `(2, Some(x))`):
        // a branch built with less is checked again with the whole type, so both build the
        // value in that type's memory layout.
        if els.is_some()
            && tty.compatible(&ety)
            && !matches!(tty, Ty::Never)
            && !matches!(ety, Ty::Never)
            && self.diags.list.len() == errors
        {
            let whole = tty.refine(&ety);
            if whole != tty {
                (te, tty, then_stmts) = self.branch(|cx| cx.block(then, Some(&whole)));
            }
            if let Some(e) = els.filter(|_| whole != ety) {
                (ee, ety, else_stmts) = self.branch(|cx| cx.expr(e, Some(&whole)));
            }
        }
        self.out = saved;
        let ty = match (&tty, &ety) {
            (Ty::Never, t) | (t, Ty::Never) => t.clone(),
            (a, b) => {
                if els.is_some() {
                    self.mismatch(a, b, els.map(|e| e.span).unwrap_or(then.span));
                } else if *a != Ty::Unit && *a != Ty::Error {
                    let shown = self.show(a);
                    self.err(
                        Diagnostic::error(
                            "E0305",
                            "`if` without `else` cannot produce a value",
                            then.span,
                            format!("this block yields `{shown}`"),
                        )
                        .with_help("add an `else` branch"),
                    );
                }
                a.clone()
            }
        };
        let valued = !matches!(ty, Ty::Unit | Ty::Never | Ty::Error) && els.is_some();
        if valued {
            if then_stmts.is_empty()
                && else_stmts.is_empty()
                && let (Some(a), Some(b)) = (&te, &ee)
                && a.is_pure()
                && b.is_pure()
            {
                return Typed::value(
                    IrExpr::Cond(Box::new(c), Box::new(a.clone()), Box::new(b.clone())),
                    ty,
                );
            }
            let r = self.local();
            self.emit(IrStmt::Let(r, IrExpr::c(0)));
            let mut ts = then_stmts;
            if let Some(a) = te {
                ts.push(IrStmt::Set(r, a));
            }
            let mut es = else_stmts;
            if let Some(b) = ee {
                es.push(IrStmt::Set(r, b));
            }
            self.emit(IrStmt::If(c, ts, es));
            return Typed::value(IrExpr::Local(r), ty);
        }
        let mut ts = then_stmts;
        if let Some(a) = te
            && !a.is_pure()
        {
            ts.push(IrStmt::Expr(a));
        }
        let mut es = else_stmts;
        if let Some(b) = ee
            && !b.is_pure()
        {
            es.push(IrStmt::Expr(b));
        }
        self.emit(IrStmt::If(c, ts, es));
        if tty == Ty::Never && ety == Ty::Never {
            Typed::never()
        } else {
            Typed::unit()
        }
    }

    /// `Ok(v)` / `Err(e)`: `[tag][payload]`, tag 1 for `Ok` and 0 for `Err` (as
    /// `ctx.try_call`'s results). None when `callee` is not one of them.
    pub fn result_ctor(
        &mut self,
        callee: &Expr,
        args: &[Arg],
        span: Span,
        expected: Option<&Ty>,
    ) -> Option<Typed> {
        let ExprKind::Path(path) = &callee.kind else {
            return None;
        };
        let ok = match path.segments.as_slice() {
            [s] if s.name == "Ok" => true,
            [s] if s.name == "Err" => false,
            _ => return None,
        };
        if self.lookup_local(&path.segments[0].name).is_some() {
            return None;
        }
        if args.len() != 1 {
            let what = if ok { "`Ok`" } else { "`Err`" };
            self.err(Diagnostic::error(
                "E0370",
                format!("{what} takes 1 value but {} were supplied", args.len()),
                span,
                "wrong number of values",
            ));
            return Some(Typed::error());
        }
        let (want_ok, want_err) = match expected {
            Some(Ty::Result(t, e)) => (Some((**t).clone()), Some((**e).clone())),
            _ => (None, None),
        };
        let want = if ok { &want_ok } else { &want_err };
        let t = self.expr(&args[0].value, want.as_ref());
        if let Some(w) = want {
            self.mismatch(w, &t.ty, args[0].value.span);
        }
        let (v, ty) = self.rvalue(t);
        let ty = match want {
            Some(w) if ty == Ty::Never || ty == Ty::Error => w.clone(),
            _ => ty,
        };
        let p = self.build_aggregate(vec![
            (IrExpr::c(ok as u64), Ty::U256),
            (v.unwrap_or(IrExpr::c(0)), ty.clone()),
        ]);
        let (t, e) = if ok {
            (ty, want_err.unwrap_or(Ty::Error))
        } else {
            (want_ok.unwrap_or(Ty::Error), ty)
        };
        Some(Typed::value(p, Ty::Result(Box::new(t), Box::new(e))))
    }

    /// `e?`: the `Ok` (or `Some`) value; otherwise an inlined function returns the `Err` (or
    /// `None`) as its own result, and a handler reverts with the error's variant as a custom
    /// error (`enum E { Low { have: u256 } }` reverts with `Low(uint256)`).
    pub fn try_expr(&mut self, inner: &Expr, span: Span) -> Typed {
        let t = self.expr(inner, None);
        let (v, ty) = self.rvalue(t);
        let (ok_ty, err_ty) = match &ty {
            Ty::Result(t, e) => ((**t).clone(), Some((**e).clone())),
            Ty::Option(t) => ((**t).clone(), None),
            Ty::Error => return Typed::error(),
            Ty::Never => return Typed::never(),
            other => {
                let shown = self.show(other);
                self.err(
                    Diagnostic::error(
                        "E0395",
                        format!("`?` needs a `Result` or an `Option`, found `{shown}`"),
                        inner.span,
                        "not a `Result` or `Option`",
                    )
                    .with_help("`?` takes the `Ok` value or passes the `Err` on"),
                );
                return Typed::error();
            }
        };
        let v = self.spill(v.unwrap_or(IrExpr::c(0)));
        let failed = IrExpr::un(IU::IsZero, IrExpr::MLoad(Box::new(v.clone())));
        let saved = std::mem::take(&mut self.out);
        match self.frame.ret.clone() {
            Ret::Inline {
                label,
                local,
                ty: fn_ty,
            } => {
                // `Err(e)` of `Result<T, E>` is laid out as `Err(e)` of `Result<U, E>` (and
                // `None` as `None`): the value is returned as it is.
                let fits = match (&fn_ty, &err_ty) {
                    (Ty::Result(_, fe), Some(e)) => fe.compatible(e),
                    (Ty::Option(_), None) => true,
                    (Ty::Error, _) => true,
                    _ => false,
                };
                if !fits {
                    let (f, s) = (self.show(&fn_ty), self.show(&ty));
                    let help = match &err_ty {
                        Some(_) => "the function must return a `Result` with the same error type",
                        None => "the function must return an `Option`",
                    };
                    self.err(
                        Diagnostic::error(
                            "E0396",
                            format!("`?` on `{s}` in a function that returns `{f}`"),
                            span,
                            "cannot pass this on",
                        )
                        .with_help(help),
                    );
                }
                if let Some(l) = local {
                    self.emit(IrStmt::Set(l, v.clone()));
                }
                self.emit(IrStmt::Exit(label));
            }
            Ret::Handler(_) => self.revert_with_error(&v, err_ty.as_ref(), &ty, span),
        }
        let on_err = std::mem::replace(&mut self.out, saved);
        self.emit(IrStmt::If(failed, on_err, vec![]));
        let ok = self.read_mem_field(v, 1, &ok_ty);
        Typed::value(ok, ok_ty)
    }

    /// In a handler, `?` reverts with the error: each variant of an error enum is a custom
    /// error of its name and fields.
    fn revert_with_error(&mut self, v: &IrExpr, err: Option<&Ty>, whole: &Ty, span: Span) {
        let refuse = |cx: &mut Self, help: &str| {
            let shown = cx.show(whole);
            cx.err(
                Diagnostic::error(
                    "E0397",
                    format!("`?` on `{shown}` in a handler: nothing to revert with"),
                    span,
                    "a handler reverts with the error",
                )
                .with_help(help.to_string()),
            );
        };
        let (id, args) = match err {
            Some(Ty::Adt(id, args)) if matches!(self.p.adts[*id].kind, AdtKind::Enum(_)) => {
                (*id, args.clone())
            }
            Some(Ty::Error) => return,
            Some(Ty::Bytes) => {
                return refuse(
                    self,
                    "use `ctx.call`, which re-raises the callee's revert, or `match` the result",
                );
            }
            Some(_) => {
                return refuse(
                    self,
                    "make the error an `enum`: each variant reverts as a custom error",
                );
            }
            None => {
                return refuse(self, "use `let Some(v) = x else { revert .. }`");
            }
        };
        let e = self.read_mem_field(v.clone(), 1, &Ty::Adt(id, args.clone()));
        let e = self.spill(e);
        let word = self.p.adt_is_word(id);
        let tag = if word {
            e.clone()
        } else {
            IrExpr::MLoad(Box::new(e.clone()))
        };
        let variants = self.enum_variants(id, &args);
        // The last variant needs no test: the tag is one of them.
        let mut chain: Vec<IrStmt> = vec![];
        for (vi, (name, fields)) in variants.iter().enumerate().rev() {
            let tys: Vec<Ty> = fields.iter().map(|(_, t)| t.clone()).collect();
            let offs = self.tuple_offsets(&tys);
            let mut vals = Vec::new();
            for (t, off) in tys.iter().zip(offs) {
                let f = self.read_mem_field(e.clone(), 1 + off, t);
                let a = self
                    .val_ty(t, span)
                    .unwrap_or(ir::ValTy::Word(ir::WordTy::Uint(256)));
                vals.push((f, a));
            }
            let revert = IrStmt::Revert(ir::Revert::Error {
                name: name.clone(),
                args: vals,
            });
            chain = if chain.is_empty() {
                vec![revert]
            } else {
                vec![IrStmt::If(
                    IrExpr::bin(ir::BinOp::Eq, tag.clone(), IrExpr::c(vi as u64)),
                    vec![revert],
                    chain,
                )]
            };
        }
        self.out.extend(chain);
    }

    /// `let PAT = e else { .. }`: binds what the pattern binds, or runs the block, which must
    /// not finish (it returns, reverts, breaks or continues). Returns whether `e` diverges.
    pub fn let_else(
        &mut self,
        pattern: &Pattern,
        declared: Option<Ty>,
        init: &Expr,
        els: &Block,
    ) -> bool {
        let t = self.expr(init, declared.as_ref());
        if let Some(d) = &declared {
            self.mismatch(d, &t.ty, init.span);
        }
        let never = t.ty == Ty::Never;
        let (e, ty) = self.rvalue(t);
        let ty = declared.unwrap_or(ty);
        let v = self.spill(e.unwrap_or(IrExpr::c(0)));
        let test: ArmTest = self.pattern_test(pattern, v, &ty);
        let saved = std::mem::take(&mut self.out);
        let b = self.block(els, None);
        if b.ty != Ty::Never && b.ty != Ty::Error {
            self.err(
                Diagnostic::error(
                    "E0394",
                    "the `else` block of `let .. else` must not finish",
                    els.span,
                    "control reaches the end of this block",
                )
                .with_help("end it with `return`, `revert ..`, `break` or `continue`"),
            );
        }
        if let (Some(x), _) = self.rvalue(b) {
            self.discard(x);
        }
        let else_stmts = std::mem::replace(&mut self.out, saved);
        if let Some(c) = test.cond {
            self.emit(IrStmt::If(IrExpr::un(IU::IsZero, c), else_stmts, vec![]));
        }
        for (name, mutable, e, ty) in test.binds {
            let id = self.local();
            self.emit(IrStmt::Let(id, e));
            self.bind(&name.name, Binding::Local { id, ty, mutable });
        }
        never
    }

    /// `let PAT = e` where `PAT` is a variant or an or-pattern (`let (A(x) | B(x)) = s`):
    /// allowed when exhaustiveness says every value of the type matches, and lowered as the
    /// arm of a one-arm `match` (the names bound as the alternatives' tests bind them).
    /// A pattern some value escapes is E0304, naming that value.
    pub fn bind_irrefutable(&mut self, pattern: &Pattern, e: Option<IrExpr>, ty: &Ty) {
        if let Some(missing) = self.refutable_witness(pattern, ty) {
            self.err(
                Diagnostic::error(
                    "E0304",
                    format!("refutable pattern in `let`: `{missing}` not covered"),
                    pattern.span(),
                    "this pattern may not match",
                )
                .with_help(
                    "add what to do otherwise: `let PAT = value else { return .. }`, or use `match`",
                ),
            );
            // The names stay declared (as errors), so their uses add no second error.
            let mut test = ArmTest {
                cond: None,
                binds: vec![],
            };
            crate::adts::error_binds(pattern, &mut test);
            for (name, mutable, _, ty) in test.binds {
                let id = self.local();
                self.bind(&name.name, Binding::Local { id, ty, mutable });
            }
            return;
        }
        let v = self.spill(e.unwrap_or(IrExpr::c(0)));
        let test: ArmTest = self.pattern_test(pattern, v, ty);
        for (name, mutable, e, ty) in test.binds {
            let id = self.local();
            self.emit(IrStmt::Let(id, e));
            self.bind(&name.name, Binding::Local { id, ty, mutable });
        }
    }

    /// `for PAT in xs`: over an array, a `Vec`, `Bytes` or a `StorageVec` (in storage, elements
    /// are read as the loop reaches them; the length is read once, at the start). Lowered as
    /// `for i in 0..len { let PAT = xs[i]; .. }` over a hidden binding of `xs`.
    pub fn for_in(&mut self, pat: &Pattern, iter: &Expr, body: &Block) -> Typed {
        let t = self.expr(iter, None);
        let len: Option<ExprKind> = match &t.ty {
            Ty::Array(_, n) => Some(ExprKind::Int(n.to_string(), 10)),
            Ty::Vec(_) | Ty::StorageVec(_) | Ty::Bytes => None,
            Ty::Error => return Typed::unit(),
            other => {
                let shown = self.show(other);
                self.err(
                    Diagnostic::error(
                        "E0398",
                        format!("cannot loop over `{shown}`"),
                        iter.span,
                        "not a collection",
                    )
                    .with_help(
                        "`for x in xs` walks an array, a `Vec`, `Bytes` or a `StorageVec`; \
                         `for i in a..b` counts",
                    ),
                );
                return Typed::unit();
            }
        };
        let sp = iter.span;
        let hidden = |name: &str| Expr {
            kind: ExprKind::Path(ast::Path {
                segments: vec![Ident {
                    name: name.to_string(),
                    span: sp,
                }],
                generics: vec![],
                span: sp,
            }),
            span: sp,
        };
        // `%` cannot start a name in source text, so these never clash with the program's.
        let depth = self.frame.loops.len();
        let (xs, i) = (format!("%xs{depth}"), format!("%i{depth}"));
        self.frame.scopes.push(Default::default());
        let ty = t.ty.clone();
        if matches!(t.val, Val::Place(crate::cx::Place::Storage { .. })) {
            let t = self.stabilize(t);
            self.bind(&xs, Binding::Alias(t));
        } else {
            let (v, _) = self.rvalue(t);
            let id = self.local();
            self.emit(IrStmt::Let(id, v.unwrap_or(IrExpr::c(0))));
            self.bind(
                &xs,
                Binding::Local {
                    id,
                    ty,
                    mutable: false,
                },
            );
        }
        let end = Expr {
            kind: len.unwrap_or_else(|| ExprKind::MethodCall {
                receiver: Box::new(hidden(&xs)),
                method: Ident {
                    name: "len".into(),
                    span: sp,
                },
                generics: vec![],
                args: vec![],
            }),
            span: sp,
        };
        let start = Expr {
            kind: ExprKind::Int("0".into(), 10),
            span: sp,
        };
        let elem = ast::Stmt::Let {
            pattern: pat.clone(),
            ty: None,
            init: Some(Expr {
                kind: ExprKind::Index(Box::new(hidden(&xs)), Box::new(hidden(&i))),
                span: sp,
            }),
            els: None,
            span: pat.span(),
        };
        let mut stmts = vec![elem];
        stmts.extend(body.stmts.iter().cloned());
        let block = Block {
            stmts,
            tail: body.tail.clone(),
            span: body.span,
        };
        let var = Ident { name: i, span: sp };
        self.for_loop(&var, &start, &end, &block);
        self.frame.scopes.pop();
        Typed::unit()
    }
}
