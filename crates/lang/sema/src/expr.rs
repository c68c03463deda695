//! Expressions: literals, names, operators, casts, literals of aggregates, fields, indexing,
//! assignment, `match` and `revert`.

use crate::consts::parse_int;
use crate::cx::{Assign, Binding, Cx, Place, Typed, Val};
use crate::items::ItemRef;
use crate::layout::{clean, fixed_bytes_shift};
use crate::types::Ty;
use tandem_lang_ir::{self as ir, CheckedOp, Expr as IrExpr, Stmt as IrStmt, U256, UnOp as IU};
use tandem_lang_syntax::ast::{self, Cap, Expr, ExprKind, UnOp};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

pub fn int_range(ty: &Ty) -> Option<(bool, u16)> {
    match ty {
        Ty::Uint(b) => Some((false, *b)),
        Ty::Int(b) => Some((true, *b)),
        _ => None,
    }
}

/// Moves a value between the right-aligned forms (integers, Address) and the left-aligned
/// `bytesN`, as Solidity's conversions do: `bytes4 as u32` is the four bytes as a number,
/// `u32 as bytes4` its four low bytes, `bytes32 as bytes4` the first four bytes.
fn realign(v: IrExpr, from: &Ty, to: &Ty) -> IrExpr {
    match (fixed_bytes_shift(from), fixed_bytes_shift(to)) {
        _ if matches!((from, to), (Ty::FixedBytes(_), Ty::FixedBytes(_))) => v,
        (Some(s), _) => IrExpr::bin(ir::BinOp::Shr, v, IrExpr::c(s)),
        (_, Some(s)) => IrExpr::bin(ir::BinOp::Shl, v, IrExpr::c(s)),
        _ => v,
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
        self.expr_span = e.span;
        let t = self.expr_untraced(e, expected);
        self.expr_span = e.span;
        crate::probe::record(e.span, || self.show(&t.ty));
        t
    }

    fn expr_untraced(&mut self, e: &Expr, expected: Option<&Ty>) -> Typed {
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
                let mark = self.out.len();
                let errors = self.diags.list.len();
                let (t, refined) = self.array_lit(items, expected);
                // A later element said what an earlier one left unknown (`[None, Some(x)]`):
                // build every element again with the whole type, in its memory layout.
                if refined && self.diags.list.len() == errors {
                    self.out.truncate(mark);
                    return self.array_lit(items, Some(&t.ty)).0;
                }
                t
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
            ExprKind::Call(callee, args) => {
                match self.result_ctor(callee, args, e.span, expected) {
                    Some(t) => t,
                    None => self.call(callee, args, e.span, expected),
                }
            }
            ExprKind::Try(inner) => self.try_expr(inner, e.span),
            ExprKind::Asm(b) => self.inline_asm(b, e.span),
            ExprKind::ForIn { pat, iter, body } => self.for_in(pat, iter, body),
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
                let scalar = |t: &Ty| t.is_int() || matches!(t, Ty::Address | Ty::FixedBytes(_));
                // A handle converts back to its plain address (`h as Address`).
                let ok = (scalar(&from) || from == Ty::Bool) && scalar(&target)
                    || matches!(from, Ty::Handle(_)) && target == Ty::Address
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
                        .with_help("`as` converts between integers, bytesN and Address"),
                    );
                    return Typed::error();
                }
                Typed::value(clean(realign(v, &from, &target), &target), target)
            }
            ExprKind::Assign(lhs, rhs) => {
                let l = self.expr(lhs, None);
                let r = self.expr(rhs, Some(&l.ty));
                self.mismatch(&l.ty, &r.ty, rhs.span);
                let (rv, _) = self.rvalue(r);
                // A local takes a copy; other places copy the value into themselves.
                let rv = match l.val {
                    Val::Place(Place::Local(_)) => rv.map(|v| self.copy_if_aliased(rhs, v, &l.ty)),
                    _ => rv,
                };
                self.assign_to(l, rv.unwrap_or(IrExpr::c(0)), lhs.span);
                Typed::unit()
            }
            ExprKind::CompoundAssign(op, lhs, rhs) => {
                let l = self.expr(lhs, None);
                let l = self.stabilize(l);
                // As in `a << b`, a shift amount does not take the shifted value's type.
                let shift = matches!(op, ast::BinOp::Shl | ast::BinOp::Shr);
                let r = self.expr(rhs, if shift { None } else { Some(&l.ty) });
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
                let (name, args) = self.error_value(path, fields, e.span);
                if let Some(name) = name {
                    self.emit(IrStmt::Revert(ir::Revert::Error { name, args }));
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
        if matches!(p, Place::Storage { .. })
            && self.immutable_fields(&l.ty).iter().any(Option::is_some)
        {
            self.whole_immutables_write(span);
            return;
        }
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
        if let Some(Ty::Address) = expected {
            // An address written as a number: at most 20 bytes.
            if negative || v >> 160 != U256::ZERO {
                self.err(Diagnostic::error(
                    "E0331",
                    "literal out of range for `Address`",
                    span,
                    "an address has 20 bytes",
                ));
                return Typed::error();
            }
            return Typed::value(IrExpr::Const(v), Ty::Address);
        }
        if let Some(Ty::FixedBytes(n)) = expected {
            // A `bytesN` literal: at most n bytes, written as a number (`0x01ffc9a7`).
            let n = *n;
            if negative || (n < 32 && v >> (n as usize * 8) != U256::ZERO) {
                self.err(Diagnostic::error(
                    "E0331",
                    format!("literal out of range for `bytes{n}`"),
                    span,
                    format!("a bytes{n} literal has at most {n} bytes"),
                ));
                return Typed::error();
            }
            let word = if n < 32 {
                v << (256 - n as usize * 8)
            } else {
                v
            };
            return Typed::value(IrExpr::Const(word), Ty::FixedBytes(n));
        }
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
            if let Some(t) = self.int_bound(path) {
                return t;
            }
            // `Enum::Variant` without payload, or `Msg::Variant` without fields.
            if let Some(t) = self.variant_value(path, &[], expected) {
                return t;
            }
        }
        // A `const` declared in the contract being compiled (seed 003's `const OWNER`).
        let contract_const = self.contract.and_then(|ci| {
            let c = &self.p.contracts[ci];
            (path.segments.len() == 1 && c.file == self.frame.file)
                .then(|| {
                    c.def
                        .consts
                        .iter()
                        .find(|k| k.name.name == path.last().name)
                })
                .flatten()
                .map(|k| (k, c.file))
        });
        if let Some((def, file)) = contract_const {
            return self.const_expr(def, file);
        }
        match self.p.lookup(self.frame.file, &path.last().name) {
            Some(ItemRef::Const(c)) if path.segments.len() == 1 => {
                self.const_expr(self.p.consts[c].def, self.p.consts[c].file)
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
}

impl<'a> Cx<'a, '_> {
    /// `T::MAX` / `T::MIN` for an integer type `T` (a builtin name or an alias of one): a
    /// constant of type `T`, the word as the stack holds it (signed values sign-extended).
    fn int_bound(&mut self, path: &ast::Path) -> Option<Typed> {
        let (ty_name, which) = (&path.segments[0].name, path.segments[1].name.as_str());
        if which != "MAX" && which != "MIN" {
            return None;
        }
        let ty = crate::items::builtin_scalar(ty_name).or_else(|| {
            let te = ast::TypeExpr::Path(ast::Path {
                segments: vec![path.segments[0].clone()],
                generics: vec![],
                span: path.segments[0].span,
            });
            // Quietly: a name that is no type falls through to the other path forms.
            let mut scratch = tandem_lang_syntax::diag::Diagnostics::default();
            let t = self
                .p
                .resolve_ty(self.frame.file, &te, &self.frame.subst, &mut scratch);
            (!scratch.has_errors()).then_some(t)
        })?;
        let word = crate::consts::int_bound(&ty, which == "MAX")?;
        Some(Typed::value(IrExpr::Const(word), ty))
    }

    /// The value of a named constant, checked against its declared type.
    fn const_expr(&mut self, def: &'a ast::ConstDef, file: usize) -> Typed {
        // A constant defined through itself (directly or by a cycle) would expand forever.
        let key = format!("const {}@{}:{}", def.name.name, file, def.name.span.lo);
        if !self.inline_stack.contains(&key)
            && self.inline_stack.len() > crate::calls::MAX_INLINE_DEPTH
        {
            self.err(Diagnostic::error(
                "E0379",
                format!(
                    "constant `{}` is defined through over {} others",
                    def.name.name,
                    crate::calls::MAX_INLINE_DEPTH
                ),
                def.value.span,
                "too deep to evaluate",
            ));
            return Typed::error();
        }
        if self.inline_stack.contains(&key) {
            self.err(Diagnostic::error(
                "E0379",
                format!("constant `{}` is defined in terms of itself", def.name.name),
                def.value.span,
                "this refers back to the constant",
            ));
            return Typed::error();
        }
        let ty = self
            .p
            .resolve_ty(file, &def.ty, &Default::default(), self.diags);
        let saved = std::mem::replace(&mut self.frame.file, file);
        self.inline_stack.push(key);
        let t = self.expr(&def.value, Some(&ty));
        self.inline_stack.pop();
        self.frame.file = saved;
        self.mismatch(&ty, &t.ty, def.value.span);
        let (v, _) = self.rvalue(t);
        Typed::value(v.unwrap_or(IrExpr::c(0)), ty)
    }
}

impl Cx<'_, '_> {
    /// `[a, b, ..]`: the element type from `expected` or the first element, filled in by
    /// later elements (the flag says one did).
    fn array_lit(&mut self, items: &[ast::Expr], expected: Option<&Ty>) -> (Typed, bool) {
        let mut ety = match expected {
            Some(Ty::Array(t, _)) => Some((**t).clone()),
            _ => None,
        };
        let mut refined = false;
        let mut vals = Vec::new();
        for it in items {
            let t = self.expr(it, ety.as_ref());
            match &ety {
                Some(et) => {
                    self.mismatch(et, &t.ty, it.span);
                    let whole = et.refine(&t.ty);
                    if et.compatible(&t.ty) && whole != *et {
                        refined = true;
                        ety = Some(whole);
                    }
                }
                None => ety = Some(t.ty.clone()),
            }
            let (v, ty) = self.rvalue(t);
            vals.push((v.unwrap_or(IrExpr::c(0)), ty));
        }
        let ety = ety.unwrap_or(Ty::U256);
        let n = vals.len() as u32;
        let t = Typed::value(self.build_aggregate(vals), Ty::Array(Box::new(ety), n));
        (t, refined)
    }
}
