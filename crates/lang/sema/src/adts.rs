//! Struct, enum and message literals, and `match`.

use crate::cx::{Binding, Cx, Typed};
use crate::items::{AdtKind, ItemRef};
use crate::types::Ty;
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, Stmt as IrStmt, U256, ValTy};
use tandem_lang_syntax::ast::{self, Arg, Expr, MatchArm, Pattern, PatternFields, VariantFields};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

/// How one arm's pattern tests the scrutinee, and what it binds.
pub(crate) struct ArmTest {
    pub cond: Option<IrExpr>,
    pub binds: Vec<(ast::Ident, bool, IrExpr, Ty)>,
}

impl Cx<'_, '_> {
    pub fn struct_lit(
        &mut self,
        path: &ast::Path,
        fields: &[(ast::Ident, Option<Expr>)],
        span: Span,
        expected: Option<&Ty>,
    ) -> Typed {
        if path.segments.len() == 2
            && let Some(t) = self.variant_value(path, fields, expected)
        {
            return t;
        }
        match self.p.lookup(self.frame.file, &path.last().name) {
            Some(ItemRef::Adt(id)) if matches!(self.p.adts[id].kind, AdtKind::Struct(_)) => {
                let n = self.p.adts[id].generics.len();
                let args: Vec<Ty> = if !path.generics.is_empty() {
                    path.generics.iter().map(|g| self.resolve_ty(g)).collect()
                } else {
                    match expected {
                        Some(Ty::Adt(e, a)) if *e == id => a.clone(),
                        _ => vec![Ty::Error; n],
                    }
                };
                if n > 0 && args.contains(&Ty::Error) {
                    self.err(Diagnostic::error(
                        "E0380",
                        format!("cannot infer the type arguments of `{}`", path.text()),
                        path.span,
                        "write them: `Name::<T> { .. }`",
                    ));
                }
                let decl = self.struct_fields(id, &args);
                let names: Vec<String> = decl.iter().map(|(n, _)| n.clone()).collect();
                let tys: Vec<Ty> = decl.iter().map(|(_, t)| t.clone()).collect();
                let vals = self.check_field_values(&names, &tys, fields, span, &path.text());
                let p = self.build_aggregate(vals);
                Typed::value(p, Ty::Adt(id, args))
            }
            Some(ItemRef::Event(_)) => {
                self.err(Diagnostic::error(
                    "E0381",
                    "an event can only be emitted",
                    span,
                    "use `ctx.emit(..)`",
                ));
                Typed::error()
            }
            Some(ItemRef::Error(_)) => {
                self.err(Diagnostic::error(
                    "E0382",
                    "an error can only be raised",
                    span,
                    "use `revert ..` or `assert(cond, ..)`",
                ));
                Typed::error()
            }
            _ => {
                self.err(
                    self.p
                        .unknown(self.frame.file, &path.last().name, path.span, "struct"),
                );
                Typed::error()
            }
        }
    }

    /// The index of message `mi`'s variant named `v`; `None` (reported, with the names it
    /// has) when there is none.
    pub(crate) fn message_variant(&mut self, mi: usize, v: &ast::Ident) -> Option<usize> {
        let def = self.p.messages[mi].def;
        let vi = def.variants.iter().position(|x| x.name.name == v.name);
        if vi.is_none() {
            self.unknown_variant(
                &def.name.name,
                v,
                def.variants.iter().map(|x| x.name.name.as_str()).collect(),
            );
        }
        vi
    }

    /// `Enum::Variant { .. }`, `Enum::Variant` or `Msg::Variant { .. }`; None if the path is
    /// not a variant.
    pub fn variant_value(
        &mut self,
        path: &ast::Path,
        fields: &[(ast::Ident, Option<Expr>)],
        expected: Option<&Ty>,
    ) -> Option<Typed> {
        let (tname, vname) = (&path.segments[0], &path.segments[1]);
        match self.p.lookup(self.frame.file, &tname.name)? {
            ItemRef::Message(mi) => {
                let def = self.p.messages[mi].def;
                let file = self.p.messages[mi].file;
                let Some(vi) = self.message_variant(mi, vname) else {
                    return Some(Typed::error());
                };
                let var = &def.variants[vi];
                let vals = self.named_fields(&var.fields, file, fields, path.span, &path.text());
                let mut args = Vec::new();
                for (v, t) in vals {
                    let a = self.val_ty(&t, path.span).unwrap_or(ValTy::Tuple(vec![]));
                    args.push((v, a));
                }
                let (_, signature, _) = crate::contract::variant_signature(self, mi, vi);
                let msg = tandem_lang_ir::MsgRef {
                    name: format!("{}::{}", def.name.name, var.name.name),
                    signature,
                    method_number: crate::contract::variant_method_number(self.p, mi, vi),
                };
                let ptr = self.spill(IrExpr::Message { msg, args });
                self.uses_heap = true;
                Some(Typed::value(ptr, Ty::Message(mi, vi)))
            }
            ItemRef::Adt(id) if !crate::calls::adt_kind_is_struct(&self.p.adts[id].kind) => {
                let AdtKind::Enum(e) = self.p.adts[id].kind else {
                    return None;
                };
                let Some(vi) = e.variants.iter().position(|v| v.name.name == vname.name) else {
                    self.unknown_variant(
                        &e.name.name,
                        vname,
                        e.variants.iter().map(|v| v.name.name.as_str()).collect(),
                    );
                    return Some(Typed::error());
                };
                let args = self.enum_args(id, expected);
                if self.p.adt_is_word(id) {
                    return Some(Typed::value(IrExpr::c(vi as u64), Ty::Adt(id, args)));
                }
                let variants = self.enum_variants(id, &args);
                let (_, decl) = &variants[vi];
                let names: Vec<String> = decl.iter().map(|(n, _)| n.clone()).collect();
                let tys: Vec<Ty> = decl.iter().map(|(_, t)| t.clone()).collect();
                if matches!(e.variants[vi].fields, VariantFields::Tuple(_))
                    && fields.is_empty()
                    && !tys.is_empty()
                {
                    return None;
                }
                let vals = self.check_field_values(&names, &tys, fields, path.span, &path.text());
                Some(Typed::value(
                    self.enum_value(id, &args, vi, vals),
                    Ty::Adt(id, args),
                ))
            }
            _ => None,
        }
    }

    fn enum_args(&mut self, id: usize, expected: Option<&Ty>) -> Vec<Ty> {
        match expected {
            Some(Ty::Adt(e, a)) if *e == id => a.clone(),
            _ => vec![Ty::Error; self.p.adts[id].generics.len()],
        }
    }

    fn enum_value(&mut self, id: usize, args: &[Ty], vi: usize, vals: Vec<(IrExpr, Ty)>) -> IrExpr {
        // [tag][payload], padded to the largest variant.
        let variants = self.enum_variants(id, args);
        let max = variants
            .iter()
            .map(|(_, f)| f.iter().map(|(_, t)| self.mem_words(t)).sum::<u32>())
            .max()
            .unwrap_or(0);
        let used: u32 = vals.iter().map(|(_, t)| self.mem_words(t)).sum();
        let mut all = vec![(IrExpr::c(vi as u64), Ty::U256)];
        all.extend(vals);
        for _ in used..max {
            all.push((IrExpr::c(0), Ty::U256));
        }
        self.build_aggregate(all)
    }

    fn unknown_variant(&mut self, owner: &str, v: &ast::Ident, cands: Vec<&str>) {
        let mut d = Diagnostic::error(
            "E0383",
            format!("no variant `{}` in `{owner}`", v.name),
            v.span,
            "unknown variant",
        );
        if let Some(s) = did_you_mean(&v.name, cands) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.err(d);
    }

    /// `Enum::Variant(a, b)`.
    pub fn variant_call(
        &mut self,
        path: &ast::Path,
        args: &[Arg],
        expected: Option<&Ty>,
    ) -> Option<Typed> {
        let Some(ItemRef::Adt(id)) = self.p.lookup(self.frame.file, &path.segments[0].name) else {
            return None;
        };
        let AdtKind::Enum(e) = self.p.adts[id].kind else {
            return None;
        };
        let vi = e
            .variants
            .iter()
            .position(|v| v.name.name == path.segments[1].name)?;
        let targs = self.enum_args(id, expected);
        let variants = self.enum_variants(id, &targs);
        let decl = variants[vi].1.clone();
        if decl.len() != args.len() {
            self.err(Diagnostic::error(
                "E0370",
                format!(
                    "`{}` takes {} value(s) but {} were supplied",
                    path.text(),
                    decl.len(),
                    args.len()
                ),
                path.span,
                "wrong number of values",
            ));
            return Some(Typed::error());
        }
        let mut vals = Vec::new();
        for ((_, t), a) in decl.iter().zip(args) {
            let x = self.expr(&a.value, Some(t));
            self.mismatch(t, &x.ty, a.value.span);
            let (v, _) = self.rvalue(x);
            let v = v.unwrap_or(IrExpr::c(0));
            vals.push((if v.is_pure() { v } else { self.spill(v) }, t.clone()));
        }
        Some(Typed::value(
            self.enum_value(id, &targs, vi, vals),
            Ty::Adt(id, targs),
        ))
    }

    pub fn match_expr(
        &mut self,
        scrut: &Expr,
        arms: &[MatchArm],
        span: Span,
        expected: Option<&Ty>,
    ) -> Typed {
        let mark = self.out.len();
        let errors = self.diags.list.len();
        let (t, refined_late) = self.match_expr_once(scrut, arms, span, expected);
        // A later arm said what an earlier one left unknown (`(None, 1)`, then `(Some(x), 2)`):
        // check the match again with the whole type, so every arm builds its value in that
        // type's memory layout.
        if refined_late && self.diags.list.len() == errors {
            self.out.truncate(mark);
            return self.match_expr_once(scrut, arms, span, Some(&t.ty)).0;
        }
        t
    }

    /// A `match`, and whether an arm's type filled in what an earlier arm's left unknown.
    fn match_expr_once(
        &mut self,
        scrut: &Expr,
        arms: &[MatchArm],
        span: Span,
        expected: Option<&Ty>,
    ) -> (Typed, bool) {
        let mut refined_late = false;
        let s = self.expr(scrut, None);
        let (v, sty) = self.rvalue(s);
        let v = self.spill(v.unwrap_or(IrExpr::c(0)));
        let tests: Vec<ArmTest> = arms
            .iter()
            .map(|a| self.pattern_test(&a.pattern, v.clone(), &sty))
            .collect();
        self.check_exhaustive(arms, &sty, span);
        let mut result_ty: Option<Ty> = expected.cloned().filter(|t| *t != Ty::Unit);
        let r = self.local();
        self.emit(IrStmt::Let(r, IrExpr::c(0)));
        let mut branches = Vec::new();
        let mut all_never = true;
        for (arm, test) in arms.iter().zip(tests) {
            let saved = std::mem::take(&mut self.out);
            self.frame.scopes.push(Default::default());
            for (name, mutable, e, ty) in test.binds {
                let id = self.local();
                self.emit(IrStmt::Let(id, e));
                self.bind(&name.name, Binding::Local { id, ty, mutable });
            }
            let t = self.expr(&arm.body, result_ty.as_ref());
            self.frame.scopes.pop();
            if t.ty != Ty::Never {
                all_never = false;
                match &result_ty {
                    Some(rt) => {
                        self.mismatch(rt, &t.ty, arm.body.span);
                        // A later arm may say what an earlier `None` holds.
                        let whole = rt.refine(&t.ty);
                        if rt.compatible(&t.ty) && whole != *rt {
                            refined_late = true;
                            result_ty = Some(whole);
                        }
                    }
                    None => result_ty = Some(t.ty.clone()),
                }
            }
            let (e, ty) = self.rvalue(t);
            if let Some(e) = e {
                if ty != Ty::Unit && ty != Ty::Never {
                    self.emit(IrStmt::Set(r, e));
                } else {
                    self.discard(e);
                }
            }
            let body = std::mem::replace(&mut self.out, saved);
            branches.push((test.cond, body));
        }
        // Build the if-chain from the last arm; an unmatched value cannot occur (exhaustive).
        let mut chain: Vec<IrStmt> = vec![IrStmt::Assert(IrExpr::c(0), 0x01)];
        for (i, (cond, body)) in branches.into_iter().enumerate().rev() {
            let body = vec![IrStmt::Expr(IrExpr::Seq(body, Box::new(IrExpr::c(0))))];
            chain = match cond {
                None => body,
                Some(_)
                    if i == arms.len() - 1
                        && chain.len() == 1
                        && matches!(chain[0], IrStmt::Assert(..))
                        && self.last_arm_total(&sty, arms) =>
                {
                    body
                }
                Some(c) => vec![IrStmt::If(c, body, chain)],
            };
        }
        self.out.extend(chain);
        if all_never && !arms.is_empty() {
            return (Typed::never(), false);
        }
        let t = match result_ty {
            Some(t) if t != Ty::Unit => Typed::value(IrExpr::Local(r), t),
            _ => Typed::unit(),
        };
        (t, refined_late)
    }

    /// After an exhaustive check passed, the last arm matches whatever is left.
    fn last_arm_total(&self, _ty: &Ty, _arms: &[MatchArm]) -> bool {
        true
    }

    pub(crate) fn pattern_test(&mut self, p: &Pattern, v: IrExpr, ty: &Ty) -> ArmTest {
        let mut t = ArmTest {
            cond: None,
            binds: vec![],
        };
        self.pattern_into(p, v, ty, &mut t);
        t
    }

    /// `A | B | ..`: matches when any alternative does. Each name is bound from the first
    /// alternative that matched (a chain of `Cond`s read only in the arm, after the test);
    /// every alternative must bind the same names with the same types and mutability (E0399).
    fn or_pattern_test(&mut self, alts: &[Pattern], span: Span, v: IrExpr, ty: &Ty) -> ArmTest {
        let tests: Vec<ArmTest> = alts
            .iter()
            .map(|a| self.pattern_test(a, v.clone(), ty))
            .collect();
        let Some(first) = tests.first() else {
            return ArmTest {
                cond: None,
                binds: vec![],
            };
        };
        let key = |b: &(ast::Ident, bool, IrExpr, Ty)| b.0.name.clone();
        for (alt, test) in alts.iter().zip(&tests).skip(1) {
            let mut problem = None;
            for b in &first.binds {
                match test.binds.iter().find(|o| key(o) == key(b)) {
                    None => problem = Some(format!("`{}` is not bound here", b.0.name)),
                    Some(o) if !o.3.compatible(&b.3) => {
                        let (want, got) = (self.show(&b.3), self.show(&o.3));
                        problem = Some(format!(
                            "`{}` is `{got}` here and `{want}` in the first alternative",
                            b.0.name
                        ));
                    }
                    Some(o) if o.1 != b.1 => {
                        problem = Some(format!("`{}` is `mut` in one alternative only", b.0.name))
                    }
                    Some(_) => {}
                }
                if problem.is_some() {
                    break;
                }
            }
            if problem.is_none()
                && let Some(extra) = test
                    .binds
                    .iter()
                    .find(|o| !first.binds.iter().any(|b| key(b) == key(o)))
            {
                problem = Some(format!(
                    "`{}` is not bound in the first alternative",
                    extra.0.name
                ));
            }
            if let Some(label) = problem {
                self.err(
                    Diagnostic::error(
                        "E0399",
                        "the alternatives of a pattern bind different names",
                        alt.span(),
                        label,
                    )
                    .with_label(span, "in this pattern")
                    .with_help("every alternative of `A | B` must bind the same names, with the same types"),
                );
                let mut t = ArmTest {
                    cond: None,
                    binds: vec![],
                };
                for p in alts.iter().take(1) {
                    error_binds(p, &mut t);
                }
                return t;
            }
        }
        // The test: any alternative's (one that always matches makes the whole always match).
        let mut cond: Option<IrExpr> = None;
        let mut always = false;
        for t in &tests {
            match &t.cond {
                None => always = true,
                Some(c) => {
                    cond = Some(match cond.take() {
                        None => c.clone(),
                        Some(acc) => IrExpr::bin(IB::Or, acc, c.clone()),
                    })
                }
            }
        }
        let cond = if always { None } else { cond };
        let binds = first
            .binds
            .iter()
            .map(|b| {
                // From the last alternative back: `c_i ? e_i : (the later ones)`.
                let mut value = IrExpr::c(0);
                for (i, test) in tests.iter().enumerate().rev() {
                    let e = test
                        .binds
                        .iter()
                        .find(|o| key(o) == key(b))
                        .map(|o| o.2.clone())
                        .unwrap_or(IrExpr::c(0));
                    value = match (&test.cond, i + 1 == tests.len()) {
                        (None, _) | (_, true) => e,
                        (Some(c), false) => {
                            IrExpr::Cond(Box::new(c.clone()), Box::new(e), Box::new(value))
                        }
                    };
                }
                let ty = tests.iter().fold(b.3.clone(), |t, test| {
                    match test.binds.iter().find(|o| key(o) == key(b)) {
                        Some(o) => t.refine(&o.3),
                        None => t,
                    }
                });
                (b.0.clone(), b.1, value, ty)
            })
            .collect();
        ArmTest { cond, binds }
    }

    fn and(t: &mut ArmTest, c: IrExpr) {
        t.cond = Some(match t.cond.take() {
            None => c,
            Some(prev) => IrExpr::bin(IB::And, prev, c),
        });
    }

    fn pattern_into(&mut self, p: &Pattern, v: IrExpr, ty: &Ty, t: &mut ArmTest) {
        match p {
            Pattern::Or(alts, span) => {
                let alt = self.or_pattern_test(alts, *span, v, ty);
                if let Some(c) = alt.cond {
                    Self::and(t, c);
                }
                t.binds.extend(alt.binds);
            }
            Pattern::Wildcard(_) => {}
            Pattern::Bind { name, mutable } => {
                t.binds.push((name.clone(), *mutable, v, ty.clone()))
            }
            Pattern::Literal(e) => {
                let lit = self.expr(e, Some(ty));
                self.mismatch(ty, &lit.ty, e.span);
                let (l, _) = self.rvalue(lit);
                Self::and(t, IrExpr::bin(IB::Eq, v, l.unwrap_or(IrExpr::c(0))));
            }
            Pattern::Tuple(ps, span) => {
                let Ty::Tuple(ts) = ty else {
                    if *ty != Ty::Error {
                        self.err(Diagnostic::error(
                            "E0390",
                            "tuple pattern on a non-tuple value",
                            *span,
                            "mismatched pattern",
                        ));
                    }
                    return error_binds(p, t);
                };
                let ts = ts.clone();
                let offs = self.tuple_offsets(&ts);
                for ((p, ft), off) in ps.iter().zip(&ts).zip(offs) {
                    let fv = self.read_mem_field(v.clone(), off, ft);
                    self.pattern_into(p, fv, ft, t);
                }
            }
            Pattern::Variant { path, fields, span } => {
                let last = path.last().name.as_str();
                let (vi, payload): (usize, Vec<(String, Ty)>) = match (ty, last) {
                    (Ty::Option(inner), "Some") => (1, vec![("0".into(), (**inner).clone())]),
                    (Ty::Option(_), "None") => (0, vec![]),
                    (Ty::Result(ok, _), "Ok") => (1, vec![("0".into(), (**ok).clone())]),
                    (Ty::Result(_, err), "Err") => (0, vec![("0".into(), (**err).clone())]),
                    (Ty::Adt(id, args), _)
                        if !crate::calls::adt_kind_is_struct(&self.p.adts[*id].kind) =>
                    {
                        let variants = self.enum_variants(*id, args);
                        let Some(vi) = variants.iter().position(|(n, _)| n == last) else {
                            let name = self.p.adts[*id].name.clone();
                            self.unknown_variant(
                                &name,
                                path.last(),
                                variants.iter().map(|(n, _)| n.as_str()).collect(),
                            );
                            return error_binds(p, t);
                        };
                        if self.p.adt_is_word(*id) {
                            Self::and(t, IrExpr::bin(IB::Eq, v, IrExpr::c(vi as u64)));
                            return;
                        }
                        (vi, variants[vi].1.clone())
                    }
                    (Ty::Error, _) => return error_binds(p, t),
                    _ => {
                        let shown = self.show(ty);
                        self.err(Diagnostic::error(
                            "E0391",
                            format!(
                                "pattern `{}` cannot match a value of type `{shown}`",
                                path.text()
                            ),
                            *span,
                            "mismatched pattern",
                        ));
                        return error_binds(p, t);
                    }
                };
                Self::and(
                    t,
                    IrExpr::bin(
                        IB::Eq,
                        IrExpr::MLoad(Box::new(v.clone())),
                        IrExpr::Const(U256::from(vi)),
                    ),
                );
                let tys: Vec<Ty> = payload.iter().map(|(_, t)| t.clone()).collect();
                let offs = self.tuple_offsets(&tys);
                let sub: Vec<(usize, &Pattern)> = match fields {
                    PatternFields::Unit => vec![],
                    PatternFields::Tuple(ps) => ps.iter().enumerate().collect(),
                    PatternFields::Named(fs) => fs
                        .iter()
                        .filter_map(|(n, p)| {
                            match payload.iter().position(|(pn, _)| *pn == n.name) {
                                Some(i) => Some((i, p)),
                                None => {
                                    self.err(Diagnostic::error(
                                        "E0310",
                                        format!(
                                            "variant `{}` has no field `{}`",
                                            path.text(),
                                            n.name
                                        ),
                                        n.span,
                                        "unknown field",
                                    ));
                                    None
                                }
                            }
                        })
                        .collect(),
                };
                if let PatternFields::Tuple(ps) = fields
                    && ps.len() != payload.len()
                {
                    self.err(Diagnostic::error(
                        "E0392",
                        format!(
                            "`{}` has {} field(s), the pattern {}",
                            path.text(),
                            payload.len(),
                            ps.len()
                        ),
                        *span,
                        "wrong number of fields",
                    ));
                    return error_binds(p, t);
                }
                for (i, p) in sub {
                    let fv = self.read_mem_field(v.clone(), 1 + offs[i], &tys[i]);
                    self.pattern_into(p, fv, &tys[i], t);
                }
            }
        }
    }
}

/// A pattern that could not be checked still binds its names, as errors, so their uses in the
/// arm report nothing more (one error per root cause).
pub(crate) fn error_binds(p: &Pattern, t: &mut ArmTest) {
    match p {
        Pattern::Bind { name, mutable } => {
            t.binds
                .push((name.clone(), *mutable, IrExpr::c(0), Ty::Error))
        }
        Pattern::Tuple(ps, _) => ps.iter().for_each(|p| error_binds(p, t)),
        Pattern::Or(alts, _) => alts.iter().take(1).for_each(|p| error_binds(p, t)),
        Pattern::Variant { fields, .. } => match fields {
            PatternFields::Unit => {}
            PatternFields::Tuple(ps) => ps.iter().for_each(|p| error_binds(p, t)),
            PatternFields::Named(fs) => fs.iter().for_each(|(_, p)| error_binds(p, t)),
        },
        Pattern::Wildcard(_) | Pattern::Literal(_) => {}
    }
}
