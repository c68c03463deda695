//! Expressions: literals, names, operators, casts, literals of aggregates, fields, indexing,
//! assignment, `match` and `revert`.

use crate::consts::parse_int;
use crate::cx::{Assign, Binding, Cx, Place, Typed, Val};
use crate::items::{AdtKind, ItemRef};
use crate::layout::clean;
use crate::types::Ty;
use tandem_lang_ir::{
    self as ir, BinOp as IB, CheckedOp, Expr as IrExpr, Stmt as IrStmt, U256, UnOp as IU,
};
use tandem_lang_syntax::ast::{self, BinOp, Cap, Expr, ExprKind, UnOp};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

pub fn int_range(ty: &Ty) -> Option<(bool, u16)> {
    match ty {
        Ty::Uint(b) => Some((false, *b)),
        Ty::Int(b) => Some((true, *b)),
        _ => None,
    }
}

pub fn fits(v: U256, negative: bool, ty: &Ty) -> bool {
    match ty {
        Ty::Uint(b) => !negative && (*b == 256 || v < (U256::from(1) << *b as usize)),
        Ty::Int(b) => {
            let lim = U256::from(1) << (*b as usize - 1);
            if negative { v <= lim } else { v < lim }
        }
        _ => false,
    }
}

impl Cx<'_, '_> {
    pub fn expr(&mut self, e: &Expr, expected: Option<&Ty>) -> Typed {
        match &e.kind {
            ExprKind::Int(d, r) => self.int_lit(d, *r, false, e.span, expected),
            ExprKind::Bool(b) => Typed::value(IrExpr::c(*b as u64), Ty::Bool),
            ExprKind::Str(s) => self.bytes_lit(
                s.as_bytes(),
                if expected == Some(&Ty::Bytes) {
                    Ty::Bytes
                } else {
                    Ty::String
                },
            ),
            ExprKind::Path(path) => self.path_expr(path, expected),
            ExprKind::Tuple(items) if items.is_empty() => Typed::unit(),
            ExprKind::Tuple(items) => {
                let exp: Vec<Option<Ty>> = match expected {
                    Some(Ty::Tuple(ts)) if ts.len() == items.len() => {
                        ts.iter().cloned().map(Some).collect()
                    }
                    _ => vec![None; items.len()],
                };
                let vals: Vec<(IrExpr, Ty)> = items
                    .iter()
                    .zip(exp)
                    .map(|(it, x)| {
                        let t = self.expr(it, x.as_ref());
                        let (v, ty) = self.rvalue(t);
                        (v.unwrap_or(IrExpr::c(0)), ty)
                    })
                    .collect();
                let ty = Ty::Tuple(vals.iter().map(|(_, t)| t.clone()).collect());
                Typed::value(self.build_aggregate(vals), ty)
            }
            ExprKind::Array(items) => {
                let elem = match expected {
                    Some(Ty::Array(t, _)) => Some((**t).clone()),
                    _ => None,
                };
                let mut vals = Vec::new();
                let mut ety = elem.clone();
                for it in items {
                    let t = self.expr(it, ety.as_ref());
                    if let Some(et) = &ety {
                        self.mismatch(et, &t.ty, it.span);
                    } else {
                        ety = Some(t.ty.clone());
                    }
                    let (v, ty) = self.rvalue(t);
                    vals.push((v.unwrap_or(IrExpr::c(0)), ty));
                }
                let ety = ety.unwrap_or(Ty::U256);
                let n = vals.len() as u32;
                Typed::value(self.build_aggregate(vals), Ty::Array(Box::new(ety), n))
            }
            ExprKind::ArrayRepeat(v, n) => {
                let elem = match expected {
                    Some(Ty::Array(t, _)) => Some((**t).clone()),
                    _ => None,
                };
                let Some(count) = crate::consts::const_u32(self.p, self.frame.file, n) else {
                    self.err(Diagnostic::error(
                        "E0212",
                        "array length must be a constant integer",
                        n.span,
                        "not a constant",
                    ));
                    return Typed::error();
                };
                let t = self.expr(v, elem.as_ref());
                let (val, ety) = self.rvalue(t);
                let val = self.spill(val.unwrap_or(IrExpr::c(0)));
                let vals = (0..count.min(4096))
                    .map(|_| (val.clone(), ety.clone()))
                    .collect();
                Typed::value(self.build_aggregate(vals), Ty::Array(Box::new(ety), count))
            }
            ExprKind::StructLit { path, fields } => self.struct_lit(path, fields, e.span, expected),
            ExprKind::Field(base, name) => self.field(base, name),
            ExprKind::TupleField(base, idx, span) => {
                let b = self.expr(base, None);
                match b.ty.clone() {
                    Ty::Tuple(ts) if (*idx as usize) < ts.len() => {
                        let t = ts[*idx as usize].clone();
                        match b.val {
                            Val::Place(Place::Storage { slot, .. }) => {
                                let pos = self.storage_positions(&b.ty, *span)[*idx as usize];
                                Typed {
                                    val: Val::Place(Place::Storage {
                                        slot: Self::slot_plus(&slot, pos.0),
                                        offset: pos.1,
                                    }),
                                    ty: t,
                                    assign: b.assign,
                                }
                            }
                            _ => {
                                let (base, _) = self.rvalue(b.clone());
                                let off = self.tuple_offsets(&ts)[*idx as usize];
                                self.mem_field(base.unwrap_or(IrExpr::c(0)), off, &t, b.assign)
                            }
                        }
                    }
                    Ty::Error => Typed::error(),
                    other => {
                        let shown = self.show(&other);
                        self.err(Diagnostic::error(
                            "E0310",
                            format!("no field `{idx}` on type `{shown}`"),
                            *span,
                            "unknown field",
                        ));
                        Typed::error()
                    }
                }
            }
            ExprKind::Index(base, idx) => self.index(base, idx, e.span),
            ExprKind::Call(callee, args) => self.call(callee, args, e.span, expected),
            ExprKind::MethodCall {
                receiver,
                method,
                generics,
                args,
            } => self.method_call(receiver, method, generics, args, e.span, expected),
            ExprKind::Unary(UnOp::Neg, inner) => {
                if let ExprKind::Int(d, r) = &inner.kind {
                    return self.int_lit(d, *r, true, e.span, expected);
                }
                let t = self.expr(inner, expected);
                let (v, ty) = self.rvalue(t);
                match ty {
                    Ty::Int(bits) => Typed::value(
                        IrExpr::Checked {
                            op: CheckedOp::Neg,
                            signed: true,
                            bits,
                            a: Box::new(v.unwrap_or(IrExpr::c(0))),
                            b: Box::new(IrExpr::c(0)),
                        },
                        ty,
                    ),
                    Ty::Error => Typed::error(),
                    other => {
                        let shown = self.show(&other);
                        self.err(Diagnostic::error(
                            "E0311",
                            format!("cannot negate `{shown}`"),
                            e.span,
                            "only signed integers can be negated",
                        ));
                        Typed::error()
                    }
                }
            }
            ExprKind::Unary(UnOp::Not, inner) => {
                let t = self.expr(inner, expected);
                let (v, ty) = self.rvalue(t);
                let v = v.unwrap_or(IrExpr::c(0));
                match ty {
                    Ty::Bool => Typed::value(IrExpr::un(IU::IsZero, v), Ty::Bool),
                    Ty::Uint(_) | Ty::Int(_) => {
                        Typed::value(clean(IrExpr::un(IU::Not, v), &ty), ty)
                    }
                    Ty::Error => Typed::error(),
                    other => {
                        let shown = self.show(&other);
                        self.err(Diagnostic::error(
                            "E0312",
                            format!("cannot apply `!` to `{shown}`"),
                            e.span,
                            "expects bool or an integer",
                        ));
                        Typed::error()
                    }
                }
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e.span, expected),
            ExprKind::Cast(inner, te) => {
                let target = self.resolve_ty(te);
                let t = self.expr(inner, None);
                let (v, from) = self.rvalue(t);
                let v = v.unwrap_or(IrExpr::c(0));
                let ok = matches!((&from, &target), (a, b) if (a.is_int() || *a == Ty::Address || *a == Ty::Bool) && (b.is_int() || *b == Ty::Address))
                    || from == Ty::Error
                    || target == Ty::Error
                    || matches!((&from, &target), (Ty::Adt(id, _), b) if self.p.adt_is_word(*id) && b.is_int());
                if !ok {
                    let (a, b) = (self.show(&from), self.show(&target));
                    self.err(
                        Diagnostic::error(
                            "E0313",
                            format!("cannot cast `{a}` as `{b}`"),
                            e.span,
                            "invalid cast",
                        )
                        .with_help("`as` converts between integers and Address"),
                    );
                    return Typed::error();
                }
                Typed::value(clean(v, &target), target)
            }
            ExprKind::Assign(lhs, rhs) => {
                let l = self.expr(lhs, None);
                let r = self.expr(rhs, Some(&l.ty));
                self.mismatch(&l.ty, &r.ty, rhs.span);
                let (rv, _) = self.rvalue(r);
                self.assign_to(l, rv.unwrap_or(IrExpr::c(0)), lhs.span);
                Typed::unit()
            }
            ExprKind::CompoundAssign(op, lhs, rhs) => {
                let l = self.expr(lhs, None);
                let l = self.stabilize(l);
                let r = self.expr(rhs, Some(&l.ty));
                let (cur, lty) = self.rvalue(l.clone());
                let (rv, rty) = self.rvalue(r);
                let v = self.arith(
                    *op,
                    cur.unwrap_or(IrExpr::c(0)),
                    &lty,
                    rv.unwrap_or(IrExpr::c(0)),
                    &rty,
                    e.span,
                );
                self.assign_to(l, v.0, lhs.span);
                Typed::unit()
            }
            ExprKind::If(c, then, els) => self.if_expr(c, then, els.as_deref(), expected),
            ExprKind::Match(scrut, arms) => self.match_expr(scrut, arms, e.span, expected),
            ExprKind::While(c, body) => self.while_loop(c, body),
            ExprKind::For {
                var,
                start,
                end,
                body,
            } => self.for_loop(var, start, end, body),
            ExprKind::Block(b) => self.block(b, expected),
            ExprKind::Break | ExprKind::Continue => {
                let Some(&label) = self.frame.loops.last() else {
                    self.err(Diagnostic::error(
                        "E0314",
                        "`break` or `continue` outside of a loop",
                        e.span,
                        "not in a loop",
                    ));
                    return Typed::never();
                };
                self.emit(if matches!(e.kind, ExprKind::Break) {
                    IrStmt::Break(label)
                } else {
                    IrStmt::Continue(label)
                });
                Typed::never()
            }
            ExprKind::Return(v) => self.ret(v.as_deref(), e.span),
            ExprKind::Revert(path, fields) => {
                let (selector, args) = self.error_value(path, fields, e.span);
                if let Some(selector) = selector {
                    self.emit(IrStmt::Revert(ir::Revert::Error { selector, args }));
                }
                Typed::never()
            }
            ExprKind::Error => Typed::error(),
        }
    }

    /// Makes a place safe to read and write again (its slot is already made of locals and
    /// constants, see `index`); values are spilled.
    pub fn stabilize(&mut self, t: Typed) -> Typed {
        match t.val {
            Val::Place(Place::Storage { slot, offset }) => {
                let slot = self.spill(slot);
                Typed {
                    val: Val::Place(Place::Storage { slot, offset }),
                    ..t
                }
            }
            Val::Place(Place::Memory(a)) => {
                let a = self.spill(a);
                Typed {
                    val: Val::Place(Place::Memory(a)),
                    ..t
                }
            }
            _ => t,
        }
    }

    pub fn assign_to(&mut self, l: Typed, v: IrExpr, span: Span) {
        match &l.assign {
            Assign::Ok => {}
            Assign::Immutable(name) => {
                self.err(
                    Diagnostic::error(
                        "E0320",
                        format!("cannot assign twice to immutable variable `{name}`"),
                        span,
                        "cannot assign",
                    )
                    .with_help(format!("make the variable mutable: `let mut {name}`")),
                );
                return;
            }
            Assign::ReadOnlyStorage => {
                self.require(Cap::MutStorage, span, "this assignment");
                return;
            }
            Assign::SelfNotMut => {
                self.err(
                    Diagnostic::error(
                        "E0321",
                        "cannot assign through `self`: the method takes `self`, not `mut self`",
                        span,
                        "cannot assign",
                    )
                    .with_help("declare the method with `mut self`"),
                );
                return;
            }
            Assign::NotPlace => {
                if l.ty != Ty::Error {
                    self.err(Diagnostic::error(
                        "E0322",
                        "invalid left-hand side of assignment",
                        span,
                        "cannot assign to this expression",
                    ));
                }
                return;
            }
        }
        let Val::Place(p) = &l.val else { return };
        self.write_place(p, &l.ty, v);
    }

    fn int_lit(
        &mut self,
        digits: &str,
        radix: u32,
        negative: bool,
        span: Span,
        expected: Option<&Ty>,
    ) -> Typed {
        let Some(v) = parse_int(digits, radix) else {
            self.err(Diagnostic::error(
                "E0330",
                "integer literal is too large",
                span,
                "does not fit in 256 bits",
            ));
            return Typed::error();
        };
        let ty = match expected {
            Some(t @ (Ty::Uint(_) | Ty::Int(_))) => t.clone(),
            _ => Ty::U256,
        };
        if !fits(v, negative, &ty) {
            let shown = self.show(&ty);
            self.err(Diagnostic::error(
                "E0331",
                format!("literal out of range for `{shown}`"),
                span,
                "does not fit",
            ));
            return Typed::error();
        }
        let word = if negative {
            U256::ZERO.wrapping_sub(v)
        } else {
            v
        };
        Typed::value(IrExpr::Const(word), ty)
    }

    pub fn bytes_lit(&mut self, bytes: &[u8], ty: Ty) -> Typed {
        let words = bytes.len().div_ceil(32) as u64;
        let ptr = self.alloc(IrExpr::c(32 + words * 32));
        self.emit(IrStmt::MStore(ptr.clone(), IrExpr::c(bytes.len() as u64)));
        for (i, chunk) in bytes.chunks(32).enumerate() {
            let mut w = [0u8; 32];
            w[..chunk.len()].copy_from_slice(chunk);
            self.emit(IrStmt::MStore(
                IrExpr::plus(ptr.clone(), IrExpr::c(32 + 32 * i as u64)),
                IrExpr::Const(U256::from_be_bytes(w)),
            ));
        }
        Typed::value(ptr, ty)
    }

    /// Lays values out in fresh memory as an aggregate.
    pub fn build_aggregate(&mut self, vals: Vec<(IrExpr, Ty)>) -> IrExpr {
        let tys: Vec<Ty> = vals.iter().map(|(_, t)| t.clone()).collect();
        let words: u32 = tys.iter().map(|t| self.mem_words(t)).sum();
        let offs = self.tuple_offsets(&tys);
        // Evaluate the values before allocating, so nested allocations do not interleave.
        let vals: Vec<(IrExpr, Ty)> = vals
            .into_iter()
            .map(|(v, t)| (if v.is_pure() { v } else { self.spill(v) }, t))
            .collect();
        let base = self.alloc(IrExpr::c(words.max(1) as u64 * 32));
        for ((v, t), off) in vals.into_iter().zip(offs) {
            let addr = if off == 0 {
                base.clone()
            } else {
                IrExpr::plus(base.clone(), IrExpr::c(off as u64 * 32))
            };
            if self.is_inline(&t) {
                let n = self.mem_words(&t);
                self.emit(IrStmt::MCopy(addr, v, IrExpr::c(n as u64 * 32)));
            } else {
                self.emit(IrStmt::MStore(addr, v));
            }
        }
        base
    }

    fn path_expr(&mut self, path: &ast::Path, expected: Option<&Ty>) -> Typed {
        let first = &path.segments[0];
        if path.segments.len() == 1 {
            if let Some(b) = self.lookup_local(&first.name) {
                return match b {
                    Binding::Local { id, ty, mutable } => Typed {
                        val: Val::Place(Place::Local(id)),
                        ty,
                        assign: if mutable {
                            Assign::Ok
                        } else {
                            Assign::Immutable(first.name.clone())
                        },
                    },
                    Binding::Alias(t) => t,
                };
            }
            match first.name.as_str() {
                "storage" => {
                    let Some(ty) = self.storage_ty.clone() else {
                        self.err(Diagnostic::error(
                            "E0340",
                            "`storage` used outside of a contract",
                            first.span,
                            "no storage here",
                        ));
                        return Typed::error();
                    };
                    if !self.require(Cap::Storage, first.span, "reading `storage`") {
                        return Typed::error();
                    }
                    let assign = if self.frame.caps.mut_storage {
                        Assign::Ok
                    } else {
                        Assign::ReadOnlyStorage
                    };
                    return Typed {
                        val: Val::Place(Place::Storage {
                            slot: self.storage_root.clone(),
                            offset: 0,
                        }),
                        ty,
                        assign,
                    };
                }
                "ctx" => {
                    self.err(Diagnostic::error(
                        "E0341",
                        "`ctx` can only be used to call its methods",
                        first.span,
                        "e.g. `ctx.caller()`",
                    ));
                    return Typed::error();
                }
                "None" => {
                    let inner = match expected {
                        Some(Ty::Option(t)) => (**t).clone(),
                        _ => Ty::Error,
                    };
                    let v = self
                        .build_aggregate(vec![(IrExpr::c(0), Ty::U256), (IrExpr::c(0), Ty::U256)]);
                    return Typed::value(v, Ty::Option(Box::new(inner)));
                }
                _ => {}
            }
        }
        if path.segments.len() == 2 {
            // `Enum::Variant` without payload, or `Msg::Variant` without fields.
            if let Some(t) = self.variant_value(path, &[], expected) {
                return t;
            }
        }
        match self.p.lookup(self.frame.file, &path.last().name) {
            Some(ItemRef::Const(c)) if path.segments.len() == 1 => {
                let def = self.p.consts[c].def;
                let file = self.p.consts[c].file;
                let ty = self
                    .p
                    .resolve_ty(file, &def.ty, &Default::default(), self.diags);
                let saved = std::mem::replace(&mut self.frame.file, file);
                let t = self.expr(&def.value, Some(&ty));
                self.frame.file = saved;
                self.mismatch(&ty, &t.ty, def.value.span);
                let (v, _) = self.rvalue(t);
                Typed::value(v.unwrap_or(IrExpr::c(0)), ty)
            }
            Some(ItemRef::Contract(c)) => Typed::value(IrExpr::c(0), Ty::ContractRef(c)),
            _ => {
                let mut cands = self.local_names();
                cands.extend(self.p.scopes[self.frame.file].keys().cloned());
                let name = path.text();
                let mut d = Diagnostic::error(
                    "E0210",
                    format!("cannot find value `{name}` in this scope"),
                    path.span,
                    "not found in this scope",
                );
                if let Some(s) = did_you_mean(&name, cands.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.err(d);
                Typed::error()
            }
        }
    }

    fn binary(
        &mut self,
        op: BinOp,
        a: &Expr,
        b: &Expr,
        span: Span,
        expected: Option<&Ty>,
    ) -> Typed {
        if matches!(op, BinOp::And | BinOp::Or) {
            let l = self.expr(a, Some(&Ty::Bool));
            self.mismatch(&Ty::Bool, &l.ty, a.span);
            let (lv, _) = self.rvalue(l);
            let saved = std::mem::take(&mut self.out);
            let r = self.expr(b, Some(&Ty::Bool));
            self.mismatch(&Ty::Bool, &r.ty, b.span);
            let (rv, _) = self.rvalue(r);
            let rstmts = std::mem::replace(&mut self.out, saved);
            let (lv, rv) = (lv.unwrap_or(IrExpr::c(0)), rv.unwrap_or(IrExpr::c(0)));
            if rstmts.is_empty() && rv.is_pure() {
                let op = if op == BinOp::And { IB::And } else { IB::Or };
                return Typed::value(IrExpr::bin(op, lv, rv), Ty::Bool);
            }
            // Short-circuit: the right side runs only when needed.
            let t = self.local();
            self.emit(IrStmt::Let(t, lv));
            let mut body = rstmts;
            body.push(IrStmt::Set(t, rv));
            let cond = if op == BinOp::And {
                IrExpr::Local(t)
            } else {
                IrExpr::un(IU::IsZero, IrExpr::Local(t))
            };
            self.emit(IrStmt::If(cond, body, vec![]));
            return Typed::value(IrExpr::Local(t), Ty::Bool);
        }
        let cmp = matches!(
            op,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        );
        let hint = if cmp || matches!(op, BinOp::Shl | BinOp::Shr | BinOp::Pow) {
            None
        } else {
            expected
        };
        // A literal operand takes the other operand's type.
        let (l, r) = if matches!(a.kind, ExprKind::Int(..)) && !matches!(b.kind, ExprKind::Int(..))
        {
            let r = self.expr(b, hint);
            let r = self.stabilize_value(r);
            let l = self.expr(a, Some(&r.ty));
            (l, r)
        } else {
            let l = self.expr(a, hint);
            let l = self.stabilize_value(l);
            let rhint = if matches!(op, BinOp::Shl | BinOp::Shr | BinOp::Pow) {
                None
            } else {
                Some(l.ty.clone())
            };
            let r = self.expr(b, rhint.as_ref());
            (l, r)
        };
        let (lv, lt) = self.rvalue(l);
        let (rv, rt) = self.rvalue(r);
        let (lv, rv) = (lv.unwrap_or(IrExpr::c(0)), rv.unwrap_or(IrExpr::c(0)));
        if cmp {
            return self.compare(op, lv, &lt, rv, &rt, span);
        }
        let (v, t) = self.arith(op, lv, &lt, rv, &rt, span);
        Typed::value(v, t)
    }

    /// Evaluates a value now if later operands could change what it reads.
    fn stabilize_value(&mut self, t: Typed) -> Typed {
        t
    }

    fn compare(&mut self, op: BinOp, l: IrExpr, lt: &Ty, r: IrExpr, rt: &Ty, span: Span) -> Typed {
        if !lt.compatible(rt) {
            self.mismatch(lt, rt, span);
            return Typed::error();
        }
        let ty = if *lt == Ty::Error { rt } else { lt };
        let eq_only = matches!(ty, Ty::Bool | Ty::Address)
            || matches!(ty, Ty::Adt(id, _) if self.p.adt_is_word(*id));
        if matches!(ty, Ty::Bytes | Ty::String) && matches!(op, BinOp::Eq | BinOp::Ne) {
            let (l, r) = (self.spill(l), self.spill(r));
            let h = |p: IrExpr| {
                IrExpr::HashMem(
                    Box::new(IrExpr::plus(p.clone(), IrExpr::c(32))),
                    Box::new(IrExpr::MLoad(Box::new(p))),
                )
            };
            let eq = IrExpr::bin(IB::Eq, h(l), h(r));
            return Typed::value(
                if op == BinOp::Eq {
                    eq
                } else {
                    IrExpr::un(IU::IsZero, eq)
                },
                Ty::Bool,
            );
        }
        if !(ty.is_int() || eq_only || *ty == Ty::Error)
            || (eq_only && !matches!(op, BinOp::Eq | BinOp::Ne))
        {
            let shown = self.show(ty);
            self.err(Diagnostic::error(
                "E0350",
                format!("cannot compare `{shown}` with `{}`", op.text()),
                span,
                "unsupported comparison",
            ));
            return Typed::error();
        }
        let signed = matches!(ty, Ty::Int(_));
        let (lt_op, gt_op) = if signed {
            (IB::SLt, IB::SGt)
        } else {
            (IB::Lt, IB::Gt)
        };
        let v = match op {
            BinOp::Eq => IrExpr::bin(IB::Eq, l, r),
            BinOp::Ne => IrExpr::un(IU::IsZero, IrExpr::bin(IB::Eq, l, r)),
            BinOp::Lt => IrExpr::bin(lt_op, l, r),
            BinOp::Gt => IrExpr::bin(gt_op, l, r),
            BinOp::Le => IrExpr::un(IU::IsZero, IrExpr::bin(gt_op, l, r)),
            _ => IrExpr::un(IU::IsZero, IrExpr::bin(lt_op, l, r)),
        };
        Typed::value(v, Ty::Bool)
    }

    /// Arithmetic and bitwise operators; arithmetic is checked.
    pub fn arith(
        &mut self,
        op: BinOp,
        l: IrExpr,
        lt: &Ty,
        r: IrExpr,
        rt: &Ty,
        span: Span,
    ) -> (IrExpr, Ty) {
        let ty = if *lt == Ty::Error {
            rt.clone()
        } else {
            lt.clone()
        };
        let Some((signed, bits)) = int_range(&ty) else {
            if ty == Ty::Bool
                && matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor)
                && rt.compatible(&Ty::Bool)
            {
                let o = match op {
                    BinOp::BitAnd => IB::And,
                    BinOp::BitOr => IB::Or,
                    _ => IB::Xor,
                };
                return (IrExpr::bin(o, l, r), Ty::Bool);
            }
            if ty != Ty::Error {
                let shown = self.show(&ty);
                self.err(Diagnostic::error(
                    "E0351",
                    format!("cannot apply `{}` to `{shown}`", op.text()),
                    span,
                    "expects integers",
                ));
            }
            return (IrExpr::c(0), Ty::Error);
        };
        if matches!(op, BinOp::Shl | BinOp::Shr) {
            if !matches!(rt, Ty::Uint(_) | Ty::Error) {
                let shown = self.show(rt);
                self.err(Diagnostic::error(
                    "E0352",
                    format!("shift amount must be unsigned, found `{shown}`"),
                    span,
                    "signed shift amount",
                ));
            }
            let v = match op {
                BinOp::Shl => clean(IrExpr::bin(IB::Shl, l, r), &ty),
                _ if signed => IrExpr::bin(IB::Sar, l, r),
                _ => IrExpr::bin(IB::Shr, l, r),
            };
            return (v, ty);
        }
        if op == BinOp::Pow {
            if !matches!(rt, Ty::Uint(_) | Ty::Error) {
                self.err(Diagnostic::error(
                    "E0353",
                    "exponent must be unsigned",
                    span,
                    "signed exponent",
                ));
            }
        } else {
            self.mismatch(&ty, rt, span);
        }
        let checked = |op| IrExpr::Checked {
            op,
            signed,
            bits,
            a: Box::new(l.clone()),
            b: Box::new(r.clone()),
        };
        let v = match op {
            BinOp::Add => checked(CheckedOp::Add),
            BinOp::Sub => checked(CheckedOp::Sub),
            BinOp::Mul => checked(CheckedOp::Mul),
            BinOp::Div => checked(CheckedOp::Div),
            BinOp::Rem => checked(CheckedOp::Rem),
            BinOp::Pow => checked(CheckedOp::Pow),
            BinOp::BitAnd => IrExpr::bin(IB::And, l, r),
            BinOp::BitOr => IrExpr::bin(IB::Or, l, r),
            BinOp::BitXor => IrExpr::bin(IB::Xor, l, r),
            _ => IrExpr::c(0),
        };
        (v, ty)
    }

    fn field(&mut self, base: &Expr, name: &ast::Ident) -> Typed {
        let b = self.expr(base, None);
        let Ty::Adt(id, args) = b.ty.clone() else {
            if b.ty != Ty::Error {
                let shown = self.show(&b.ty);
                self.err(Diagnostic::error(
                    "E0310",
                    format!("no field `{}` on type `{shown}`", name.name),
                    name.span,
                    "unknown field",
                ));
            }
            return Typed::error();
        };
        if !matches!(self.p.adts[id].kind, AdtKind::Struct(_)) {
            let shown = self.show(&b.ty);
            self.err(Diagnostic::error(
                "E0310",
                format!("no field `{}` on enum `{shown}`", name.name),
                name.span,
                "use `match` to read enum payloads",
            ));
            return Typed::error();
        }
        let fields = self.struct_fields(id, &args);
        let Some(idx) = fields.iter().position(|(n, _)| *n == name.name) else {
            let shown = self.show(&b.ty);
            let mut d = Diagnostic::error(
                "E0310",
                format!("no field `{}` on type `{shown}`", name.name),
                name.span,
                "unknown field",
            );
            if let Some(s) = did_you_mean(&name.name, fields.iter().map(|(n, _)| n.as_str())) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                let all: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                d = d.with_help(format!("available fields: {}", all.join(", ")));
            }
            self.err(d);
            return Typed::error();
        };
        let fty = fields[idx].1.clone();
        match b.val {
            Val::Place(Place::Storage { slot, .. }) => {
                let pos = self.storage_positions(&b.ty, name.span)[idx];
                Typed {
                    val: Val::Place(Place::Storage {
                        slot: Self::slot_plus(&slot, pos.0),
                        offset: pos.1,
                    }),
                    ty: fty,
                    assign: b.assign,
                }
            }
            _ => {
                let assign = match &b.assign {
                    Assign::Immutable(_) | Assign::NotPlace => Assign::Ok,
                    a => a.clone(),
                };
                let (base, _) = self.rvalue(b);
                let tys: Vec<Ty> = fields.iter().map(|(_, t)| t.clone()).collect();
                let off = self.tuple_offsets(&tys)[idx];
                self.mem_field(base.unwrap_or(IrExpr::c(0)), off, &fty, assign)
            }
        }
    }

    fn index(&mut self, base: &Expr, idx: &Expr, span: Span) -> Typed {
        let b = self.expr(base, None);
        match b.ty.clone() {
            Ty::Map(k, v) => {
                let Val::Place(Place::Storage { slot, .. }) = b.val else {
                    return Typed::error();
                };
                let key = self.expr(idx, Some(&k));
                self.mismatch(&k, &key.ty, idx.span);
                let (kv, _) = self.rvalue(key);
                let kv = kv.unwrap_or(IrExpr::c(0));
                let slot_e = if matches!(*k, Ty::Bytes | Ty::String) {
                    // keccak256(key bytes ++ slot)
                    let kp = self.spill(kv);
                    let len = self.spill(IrExpr::MLoad(Box::new(kp.clone())));
                    let end = IrExpr::plus(IrExpr::plus(kp.clone(), IrExpr::c(32)), len.clone());
                    let saved = self.spill(IrExpr::MLoad(Box::new(end.clone())));
                    self.emit(IrStmt::MStore(end.clone(), slot));
                    let h = self.spill(IrExpr::HashMem(
                        Box::new(IrExpr::plus(kp, IrExpr::c(32))),
                        Box::new(IrExpr::plus(len, IrExpr::c(32))),
                    ));
                    self.emit(IrStmt::MStore(end, saved));
                    h
                } else {
                    let kv = self.spill(kv);
                    IrExpr::HashWords(vec![kv, slot])
                };
                Typed {
                    val: Val::Place(Place::Storage {
                        slot: slot_e,
                        offset: 0,
                    }),
                    ty: *v,
                    assign: b.assign,
                }
            }
            Ty::StorageVec(t) => {
                let Val::Place(Place::Storage { slot, .. }) = b.val else {
                    return Typed::error();
                };
                let i = self.index_value(idx);
                self.emit(IrStmt::Assert(
                    IrExpr::bin(IB::Lt, i.clone(), IrExpr::SLoad(Box::new(slot.clone()))),
                    0x32,
                ));
                let data = IrExpr::HashWords(vec![slot]);
                self.storage_element(data, i, &t, b.assign, span)
            }
            Ty::Array(t, n) => {
                let i = self.index_value(idx);
                if let IrExpr::Const(c) = &i {
                    if *c >= U256::from(n) {
                        self.err(Diagnostic::error(
                            "E0360",
                            format!("index {c} is out of bounds for an array of length {n}"),
                            idx.span,
                            "out of bounds",
                        ));
                        return Typed::error();
                    }
                } else {
                    self.emit(IrStmt::Assert(
                        IrExpr::bin(IB::Lt, i.clone(), IrExpr::c(n as u64)),
                        0x32,
                    ));
                }
                match b.val {
                    Val::Place(Place::Storage { slot, .. }) => {
                        self.storage_element(slot, i, &t, b.assign, span)
                    }
                    _ => {
                        let assign = match &b.assign {
                            Assign::Immutable(_) | Assign::NotPlace => Assign::Ok,
                            a => a.clone(),
                        };
                        let (base, _) = self.rvalue(b);
                        let w = self.mem_words(&t) as u64;
                        let addr = IrExpr::plus(
                            base.unwrap_or(IrExpr::c(0)),
                            IrExpr::bin(IB::Mul, i, IrExpr::c(w * 32)),
                        );
                        let addr = self.spill(addr);
                        self.mem_field(addr, 0, &t, assign)
                    }
                }
            }
            Ty::Vec(t) => {
                let (base, _) = self.rvalue(b);
                let base = self.spill(base.unwrap_or(IrExpr::c(0)));
                let i = self.index_value(idx);
                self.emit(IrStmt::Assert(
                    IrExpr::bin(IB::Lt, i.clone(), IrExpr::MLoad(Box::new(base.clone()))),
                    0x32,
                ));
                let w = self.mem_words(&t) as u64;
                let addr = IrExpr::plus(
                    IrExpr::plus(base, IrExpr::c(32)),
                    IrExpr::bin(IB::Mul, i, IrExpr::c(w * 32)),
                );
                let addr = self.spill(addr);
                self.mem_field(addr, 0, &t, Assign::Ok)
            }
            Ty::Bytes => {
                let (base, _) = self.rvalue(b);
                let base = self.spill(base.unwrap_or(IrExpr::c(0)));
                let i = self.index_value(idx);
                self.emit(IrStmt::Assert(
                    IrExpr::bin(IB::Lt, i.clone(), IrExpr::MLoad(Box::new(base.clone()))),
                    0x32,
                ));
                let word = IrExpr::MLoad(Box::new(IrExpr::plus(
                    IrExpr::plus(base, IrExpr::c(32)),
                    i.clone(),
                )));
                Typed::value(IrExpr::bin(IB::Byte, word, IrExpr::c(0)), Ty::Uint(8))
            }
            Ty::Error => Typed::error(),
            other => {
                let shown = self.show(&other);
                self.err(Diagnostic::error(
                    "E0361",
                    format!("cannot index into a value of type `{shown}`"),
                    span,
                    "not indexable",
                ));
                Typed::error()
            }
        }
    }

    fn index_value(&mut self, idx: &Expr) -> IrExpr {
        let t = self.expr(idx, Some(&Ty::U256));
        if !matches!(t.ty, Ty::Uint(_) | Ty::Error) {
            let shown = self.show(&t.ty);
            self.err(Diagnostic::error(
                "E0362",
                format!("index must be an unsigned integer, found `{shown}`"),
                idx.span,
                "bad index",
            ));
        }
        let (v, _) = self.rvalue(t);
        self.spill(v.unwrap_or(IrExpr::c(0)))
    }

    /// Element `i` of a packed array whose data starts at `data`.
    fn storage_element(
        &mut self,
        data: IrExpr,
        i: IrExpr,
        t: &Ty,
        assign: Assign,
        span: Span,
    ) -> Typed {
        let es = self.storage_size(t, span);
        let place = if es.whole_slots || es.bytes > 16 {
            let slot = IrExpr::plus(data, IrExpr::bin(IB::Mul, i, IrExpr::c(es.slots() as u64)));
            Place::Storage {
                slot: self.spill(slot),
                offset: 0,
            }
        } else {
            let per = 32 / es.bytes;
            if let IrExpr::Const(c) = &i {
                let c: u64 = c.saturating_to();
                let slot = Self::slot_plus(&data, (c / per as u64) as u32);
                Place::Storage {
                    slot,
                    offset: (c % per as u64) as u32 * es.bytes,
                }
            } else {
                // A dynamic offset inside the slot: read and write through shifts at run time.
                let slot = self.spill(IrExpr::plus(
                    data,
                    IrExpr::bin(IB::Div, i.clone(), IrExpr::c(per as u64)),
                ));
                let shift = self.spill(IrExpr::bin(
                    IB::Mul,
                    IrExpr::bin(IB::Mod, i, IrExpr::c(per as u64)),
                    IrExpr::c(es.bytes as u64 * 8),
                ));
                return self.dynamic_packed(slot, shift, t, es.bytes, assign);
            }
        };
        Typed {
            val: Val::Place(place),
            ty: t.clone(),
            assign,
        }
    }

    fn dynamic_packed(
        &mut self,
        slot: IrExpr,
        shift: IrExpr,
        t: &Ty,
        bytes: u32,
        assign: Assign,
    ) -> Typed {
        // Modelled as a local holding the value, written back by `write_packed` (see assign_to).
        let word = IrExpr::bin(
            IB::Shr,
            IrExpr::SLoad(Box::new(slot.clone())),
            shift.clone(),
        );
        let mask = (U256::from(1) << (bytes * 8) as usize) - U256::from(1);
        let v = match t {
            Ty::Int(_) => IrExpr::bin(IB::SignExtend, word, IrExpr::c(bytes as u64 - 1)),
            _ => IrExpr::bin(IB::And, word, IrExpr::Const(mask)),
        };
        let _ = assign;
        Typed::value(v, t.clone())
    }
}
