//! Calls: inlined functions and methods, struct/enum/message/error literals, `match`, and
//! the built-ins (`ctx.*`, `std::crypto`, `assert`, integer, `Option`, `Vec` methods).

use crate::cx::{Assign, Binding, CapSet, Cx, Frame, Place, Ret, Typed, Val};
use crate::items::{AdtKind, ItemRef};
use crate::types::Ty;
use std::collections::HashMap;
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, Stmt as IrStmt};
use tandem_lang_syntax::ast::{self, Arg, Cap, Expr, ExprKind, FnDef, SelfParam, TypeExpr};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

pub(crate) mod stdlib;

pub fn selector_of(sig: &str) -> [u8; 4] {
    let h = alloy_primitives::keccak256(sig.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// The deepest chain of calls (and constants) checked through one another: each level is a
/// frame of sema's recursion. A chain past it is refused as too deep, not as a recursion.
pub(crate) const MAX_INLINE_DEPTH: usize = 64;

impl Cx<'_, '_> {
    pub(crate) fn want_args(&mut self, args: &[Arg], n: usize, span: Span, what: &str) -> bool {
        if args.len() != n {
            self.err(Diagnostic::error(
                "E0370",
                format!(
                    "{what} takes {n} argument(s) but {} were supplied",
                    args.len()
                ),
                span,
                "wrong number of arguments",
            ));
            return false;
        }
        true
    }

    pub(crate) fn value_of(&mut self, e: &Expr, ty: &Ty) -> IrExpr {
        let t = self.expr(e, Some(ty));
        self.mismatch(ty, &t.ty, e.span);
        let (v, _) = self.rvalue(t);
        v.unwrap_or(IrExpr::c(0))
    }

    pub fn call(
        &mut self,
        callee: &Expr,
        args: &[Arg],
        span: Span,
        expected: Option<&Ty>,
    ) -> Typed {
        let ExprKind::Path(path) = &callee.kind else {
            self.err(Diagnostic::error(
                "E0371",
                "only named functions can be called",
                callee.span,
                "not a function name",
            ));
            return Typed::error();
        };
        let names: Vec<&str> = path.segments.iter().map(|s| s.name.as_str()).collect();
        match names.as_slice() {
            ["assert"] | ["assert!"] => return self.assert_call(args, span),
            ["assert_eq!"] => return self.assert_eq_call(args, span, true),
            ["assert_ne!"] => return self.assert_eq_call(args, span, false),
            ["Some"] => {
                if !self.want_args(args, 1, span, "`Some`") {
                    return Typed::error();
                }
                let inner = match expected {
                    Some(Ty::Option(t)) => Some((**t).clone()),
                    _ => None,
                };
                let t = self.expr(&args[0].value, inner.as_ref());
                let (v, ty) = self.rvalue(t);
                let p = self.build_aggregate(vec![
                    (IrExpr::c(1), Ty::U256),
                    (v.unwrap_or(IrExpr::c(0)), ty.clone()),
                ]);
                return Typed::value(p, Ty::Option(Box::new(ty)));
            }
            ["std", m, f] if stdlib::std_fn(m, f).is_some() => {
                return self.stdlib_call(f, args, span, (&path.generics, expected));
            }
            ["std", m, f] | ["std", m, f] if crate::items::std_fn(m, f).is_some() => {
                return self.std_call(f, args, span);
            }
            [ty, "try_from"] if crate::items::builtin_scalar(ty).is_some_and(|t| t.is_int()) => {
                let target = crate::items::builtin_scalar(ty).unwrap_or(Ty::U256);
                return self.try_from(target, args, span);
            }
            ["Bytes", "new"] => {
                if !self.want_args(args, 0, span, "`Bytes::new`") {
                    return Typed::error();
                }
                return self.bytes_lit(&[], Ty::Bytes);
            }
            ["Bytes", "from"] => {
                if !self.want_args(args, 1, span, "`Bytes::from`") {
                    return Typed::error();
                }
                return self.bytes_from(&args[0].value);
            }
            ["Bytes", "from_hex"] => {
                if !self.want_args(args, 1, span, "`Bytes::from_hex`") {
                    return Typed::error();
                }
                return self.bytes_from_hex(&args[0].value);
            }
            ["Vec", "new"] => {
                let p = self.alloc(IrExpr::c(32));
                self.emit(IrStmt::MStore(p.clone(), IrExpr::c(0)));
                let elem = match expected {
                    Some(Ty::Vec(t)) => (**t).clone(),
                    _ => path
                        .generics
                        .first()
                        .map(|g| self.resolve_ty(g))
                        .unwrap_or(Ty::Error),
                };
                return Typed::value(p, Ty::Vec(Box::new(elem)));
            }
            _ => {}
        }
        if names.len() == 2 {
            if let Some(t) = self.handle_at(path, args, span) {
                return t;
            }
            if let Some(t) = self.variant_call(path, args, expected) {
                return t;
            }
            if let Some(t) = self.trait_path_call(names[0], path, args, span) {
                return t;
            }
            // `Type::function(..)`: an associated function.
            if let Some(ItemRef::Adt(id)) = self.p.lookup(self.frame.file, names[0]) {
                let Some(m) = self.p.adts[id].methods.get(names[1]).copied() else {
                    let cands: Vec<&str> =
                        self.p.adts[id].methods.keys().map(String::as_str).collect();
                    let mut d = Diagnostic::error(
                        "E0372",
                        format!("no function `{}` on `{}`", names[1], names[0]),
                        path.span,
                        "not found",
                    );
                    if let Some(s) = did_you_mean(names[1], cands) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.err(d);
                    return Typed::error();
                };
                let targs: Vec<Ty> = match expected {
                    Some(Ty::Adt(eid, a)) if *eid == id => a.clone(),
                    _ => Vec::new(),
                };
                let mut subst: HashMap<String, Ty> = m
                    .impl_generics
                    .iter()
                    .map(|g| g.name.clone())
                    .zip(targs)
                    .collect();
                if m.impl_generics.is_empty() {
                    subst.insert("Self".into(), Ty::Adt(id, Vec::new()));
                }
                return self.inline_fn(m.def, m.file, &mut subst, None, args, span);
            }
        }
        if names.len() == 1
            && let Some((def, file)) = self.contract_fn(names[0])
        {
            return self.call_contract_fn(def, file, &path.generics, args, span);
        }
        match self.p.lookup(self.frame.file, &path.last().name) {
            Some(ItemRef::Fn(fi)) if names.len() == 1 => {
                let f = &self.p.fns[fi];
                let (def, file) = (f.def, f.file);
                let mut subst = HashMap::new();
                for (g, t) in def.generics.iter().zip(&path.generics) {
                    let t = self.resolve_ty(t);
                    subst.insert(g.name.clone(), t);
                }
                self.inline_fn(def, file, &mut subst, None, args, span)
            }
            Some(ItemRef::Std(f)) if stdlib::owns(f) => {
                self.stdlib_call(f, args, span, (&path.generics, expected))
            }
            Some(ItemRef::Std(f)) => self.std_call(f, args, span),
            _ => {
                let mut cands: Vec<String> =
                    self.p.scopes[self.frame.file].keys().cloned().collect();
                cands.extend(["assert", "Some"].map(String::from));
                let mut d = Diagnostic::error(
                    "E0210",
                    format!("cannot find function `{}` in this scope", path.text()),
                    path.span,
                    "not found in this scope",
                );
                if let Some(s) = did_you_mean(&path.last().name, cands.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.err(d);
                Typed::error()
            }
        }
    }

    /// Inlines a function body: parameters become locals (or aliases of simple arguments),
    /// `return` leaves a labelled block, and the body is checked with the callee's generics.
    pub fn inline_fn(
        &mut self,
        def: &FnDef,
        file: usize,
        subst: &mut HashMap<String, Ty>,
        recv: Option<Typed>,
        args: &[Arg],
        span: Span,
    ) -> Typed {
        if !self.want_args(
            args,
            def.params.len(),
            span,
            &format!("`{}`", def.name.name),
        ) {
            return Typed::error();
        }
        let key = crate::contract_fns::inline_key(def);
        // A function that can be a real one (no receiver, or a struct in storage) meets
        // itself again only while a body is checked alone: `real_call` answers with a
        // placeholder then.
        let storage_recv = recv
            .as_ref()
            .is_none_or(|r| matches!(r.val, Val::Place(Place::Storage { offset: 0, .. })));
        let may_be_real = storage_recv && self.fns.check_only;
        if self.inline_stack.len() > MAX_INLINE_DEPTH && !self.inline_stack.contains(&key) {
            self.err(Diagnostic::error(
                "E0373",
                format!(
                    "call to `{}` is nested over {MAX_INLINE_DEPTH} calls deep",
                    def.name.name
                ),
                span,
                "too deep to check",
            ));
            return Typed::error();
        }
        if (self.inline_stack.contains(&key) && !may_be_real)
            || self.inline_stack.len() > MAX_INLINE_DEPTH
        {
            self.err(
                Diagnostic::error(
                    "E0373",
                    format!("recursive call to `{}`", def.name.name),
                    span,
                    "recursion through an inlined function",
                )
                .with_help(
                    "this call is inlined (a method on a value in memory, or a function returning a \
                     storage reference) and inlining a recursion never ends: make it a free \
                     function over values, or rewrite the recursion as a loop",
                ),
            );
            return Typed::error();
        }
        for (cap, _) in &def.caps.caps {
            self.require(*cap, span, &format!("calling `{}`", def.name.name));
        }
        // Arguments are evaluated in the caller's frame; generics are inferred from them.
        let mut vals = Vec::new();
        for (param, arg) in def.params.iter().zip(args) {
            // A parameter type naming a generic not inferred yet (`[T; 3]`, `Vec<T>`, `(T, T)`)
            // resolves only in part (`[error; 3]`): no hint then, or the argument would be
            // typed with the error inside and `T` never inferred from it.
            let mut unresolved = tandem_lang_syntax::diag::Diagnostics::default();
            let hint = self.p.resolve_ty(file, &param.ty, subst, &mut unresolved);
            let hint = if hint == Ty::Error || unresolved.has_errors() {
                None
            } else {
                Some(hint)
            };
            let t = self.expr(&arg.value, hint.as_ref());
            infer(&param.ty, &t.ty, subst, &def.generics);
            if t.ty.is_storage_only() {
                // A storage reference is passed as its slot.
                let t = self.stabilize(t);
                let slot = match t.val {
                    Val::Place(Place::Storage { slot, .. }) => slot,
                    _ => IrExpr::c(0),
                };
                vals.push((slot, t.ty, arg.value.span));
                continue;
            }
            let (v, ty) = self.rvalue(t);
            // A `mut` parameter is the callee's own copy.
            let v = match v {
                Some(v) if param.mutable => Some(self.copy_if_aliased(&arg.value, v, &ty)),
                v => v,
            };
            vals.push((v.unwrap_or(IrExpr::c(0)), ty, arg.value.span));
        }
        self.check_fn_bounds(def, file, subst, span);
        let recv = recv.map(|r| {
            let assign = self.self_assign(def, &r, span);
            Typed { assign, ..r }
        });
        if let Some(t) = self.real_call(def, file, subst, recv.as_ref(), &vals, span) {
            return t;
        }
        let ret_ty = match &def.ret {
            Some(t) => self.p.resolve_ty(file, t, subst, self.diags),
            None => Ty::Unit,
        };
        let saved_out = std::mem::take(&mut self.out);
        let label = self.label();
        let ret_local = if ret_ty == Ty::Unit {
            None
        } else {
            Some(self.local())
        };
        let mut scope = self.inline_params(def, file, subst, vals);
        let is_method = recv.is_some();
        if let Some(r) = recv {
            scope.insert("self".to_string(), Binding::Alias(r));
        }
        if let Some(l) = ret_local {
            self.emit(IrStmt::Let(l, IrExpr::c(0)));
        }
        let mut caps = CapSet::from_caps(&def.caps);
        // Storage reached through a method's `self` was checked at the call site; any other
        // body is checked against its own `with` clause only.
        if is_method {
            caps.storage |= self.frame.caps.storage;
        }
        let contract_scope = self.is_contract_fn(def);
        let frame = Frame {
            scopes: vec![scope],
            file,
            subst: subst.clone(),
            caps,
            ret: Ret::Inline {
                label,
                local: ret_local,
                ty: ret_ty.clone(),
            },
            loops: Vec::new(),
            contract_scope,
        };
        let saved_frame = std::mem::replace(&mut self.frame, frame);
        let saved_owner = std::mem::replace(&mut self.owner, format!("fn {}", def.name.name));
        let saved_caps_span =
            std::mem::replace(&mut self.caps_span, crate::contract_fns::fn_caps_span(def));
        self.inline_stack.push(key);
        let body_out = std::mem::take(&mut self.out);
        let t = self.block(&def.body, Some(&ret_ty));
        if t.ty != Ty::Never {
            self.mismatch(
                &ret_ty,
                &t.ty,
                def.body
                    .tail
                    .as_ref()
                    .map(|e| e.span)
                    .unwrap_or(def.body.span),
            );
        }
        let (v, _) = self.rvalue(t);
        if let (Some(l), Some(v)) = (ret_local, v) {
            self.emit(IrStmt::Set(l, v));
        }
        let body = std::mem::replace(&mut self.out, body_out);
        self.inline_stack.pop();
        self.owner = saved_owner;
        self.caps_span = saved_caps_span;
        self.frame = saved_frame;
        self.emit(IrStmt::Block(label, body));
        let stmts = std::mem::replace(&mut self.out, saved_out);
        let result = ret_local.map(IrExpr::Local).unwrap_or(IrExpr::c(0));
        let e = IrExpr::Seq(stmts, Box::new(result));
        if ret_ty == Ty::Unit {
            self.emit(IrStmt::Expr(e));
            Typed::unit()
        } else {
            Typed::value(e, ret_ty)
        }
    }

    /// The scope of an inlined body's parameters: simple values are aliased, others copied
    /// into locals, a storage reference aliases the caller's place.
    fn inline_params(
        &mut self,
        def: &FnDef,
        file: usize,
        subst: &HashMap<String, Ty>,
        vals: Vec<(IrExpr, Ty, Span)>,
    ) -> HashMap<String, Binding> {
        let mut scope = HashMap::new();
        for (param, (v, ty, aspan)) in def.params.iter().zip(vals) {
            let pty = self.p.resolve_ty(file, &param.ty, subst, self.diags);
            self.mismatch(&pty, &ty, aspan);
            let assign = if param.mutable {
                Assign::Ok
            } else {
                Assign::Immutable(param.name.name.clone())
            };
            let b = match (&v, param.mutable) {
                _ if pty.is_storage_only() => Binding::Alias(Typed {
                    val: Val::Place(Place::Storage { slot: v, offset: 0 }),
                    ty: pty,
                    assign: crate::real_fns::ref_assign(&CapSet::from_caps(&def.caps)),
                }),
                (IrExpr::Local(_) | IrExpr::Const(_), false) => Binding::Alias(Typed {
                    val: Val::Value(v),
                    ty: pty,
                    assign,
                }),
                _ => {
                    let id = self.local();
                    self.emit(IrStmt::Let(id, v));
                    Binding::Local {
                        id,
                        ty: pty,
                        mutable: param.mutable,
                    }
                }
            };
            scope.insert(param.name.name.clone(), b);
        }
        scope
    }

    /// What a method's `self` may do with the receiver `r`: a `mut self` method needs a
    /// writable place (on storage read by the caller, the caller's `mut storage`).
    fn self_assign(&mut self, def: &FnDef, r: &Typed, span: Span) -> Assign {
        match def.self_param {
            SelfParam::Mut => match &r.assign {
                Assign::ReadOnlyStorage => {
                    self.require(
                        Cap::MutStorage,
                        span,
                        &format!("calling `{}` (which takes `mut self`)", def.name.name),
                    );
                    Assign::Ok
                }
                Assign::NotPlace | Assign::Immutable(_)
                    if matches!(r.val, Val::Place(Place::Local(_))) =>
                {
                    Assign::Ok
                }
                a => a.clone(),
            },
            _ => Assign::SelfNotMut,
        }
    }

    pub fn method_call(
        &mut self,
        receiver: &Expr,
        method: &ast::Ident,
        _generics: &[TypeExpr],
        args: &[Arg],
        span: Span,
        expected: Option<&Ty>,
    ) -> Typed {
        if let ExprKind::Path(p) = &receiver.kind
            && p.segments.len() == 1
            && p.segments[0].name == "ctx"
            && self.lookup_local("ctx").is_none()
        {
            return self.ctx_call(method, args, span);
        }
        let r = self.expr(receiver, None);
        let name = method.name.as_str();
        match (&r.ty, name) {
            (Ty::Error, _) => return Typed::error(),
            (Ty::Handle(_), _) => return self.handle_method(r, method, args),
            (Ty::Uint(_) | Ty::Int(_), _) => return self.int_method(r, method, args, span),
            (Ty::Option(_) | Ty::Result(..), _) => {
                return self.wrap_method(r, method, args, span, expected);
            }
            (Ty::StorageVec(t), "len" | "push" | "pop") => {
                let t = (**t).clone();
                let Val::Place(Place::Storage { slot, .. }) = r.val.clone() else {
                    return Typed::error();
                };
                let len = IrExpr::SLoad(Box::new(slot.clone()));
                if name == "len" {
                    return Typed::value(len, Ty::U256);
                }
                if r.assign == Assign::ReadOnlyStorage
                    && !self.require(Cap::MutStorage, span, &format!("`{name}`"))
                {
                    return Typed::error();
                }
                let n = self.spill(len);
                if name == "push" {
                    if !self.want_args(args, 1, span, "`push`") {
                        return Typed::error();
                    }
                    let v = self.value_of(&args[0].value, &t);
                    let v = self.spill(v);
                    let elem = self.vec_elem(&slot, n.clone(), &t, span);
                    self.assign_to(elem, v, span);
                    self.emit(IrStmt::SStore(slot, IrExpr::plus(n, IrExpr::c(1))));
                    return Typed::unit();
                }
                self.emit(IrStmt::Assert(n.clone(), 0x31));
                let last = self.spill(IrExpr::bin(IB::Sub, n, IrExpr::c(1)));
                let elem = self.vec_elem(&slot, last.clone(), &t, span);
                let (v, _) = self.rvalue(elem.clone());
                let v = self.spill(v.unwrap_or(IrExpr::c(0)));
                match &elem.val {
                    // An aggregate has no memory value for "zero": clear its slots.
                    Val::Place(Place::Storage { slot: at, .. }) if !self.is_word(&t) => {
                        let at = at.clone();
                        self.clear_stored(&at, &t);
                    }
                    _ => self.assign_to(elem, IrExpr::c(0), span),
                }
                self.emit(IrStmt::SStore(slot, last));
                return Typed::value(v, t);
            }
            (Ty::String, "into_bytes" | "as_bytes") => {
                if !self.want_args(args, 0, span, &format!("`{name}`")) {
                    return Typed::error();
                }
                // Same memory layout (length word, then the bytes); `Bytes` is immutable,
                // so the conversion shares the buffer.
                let (p, _) = self.rvalue(r);
                return Typed::value(p.unwrap_or(IrExpr::c(0)), Ty::Bytes);
            }
            (Ty::Vec(_) | Ty::Bytes | Ty::String, "len") => {
                let (p, _) = self.rvalue(r);
                return Typed::value(IrExpr::MLoad(Box::new(p.unwrap_or(IrExpr::c(0)))), Ty::U256);
            }
            (Ty::Bytes, "push" | "extend") => {
                let added = if name == "extend" {
                    Ty::Bytes
                } else {
                    Ty::Uint(8)
                };
                return self.bytes_append(r, receiver, args, span, &added);
            }
            (Ty::String, "push_str") => {
                return self.bytes_append(r, receiver, args, span, &Ty::String);
            }
            (Ty::Vec(t), "push") => {
                let t = (**t).clone();
                if !self.want_args(args, 1, span, "`push`") {
                    return Typed::error();
                }
                let target = r.clone();
                let (p, _) = self.rvalue(r);
                let old = self.spill(p.unwrap_or(IrExpr::c(0)));
                let v = self.value_of(&args[0].value, &t);
                let v = self.spill(v);
                let w = self.mem_words(&t) as u64 * 32;
                let n = self.spill(IrExpr::MLoad(Box::new(old.clone())));
                let used = self.spill(IrExpr::plus(
                    IrExpr::bin(IB::Mul, n.clone(), IrExpr::c(w)),
                    IrExpr::c(32),
                ));
                let new = self.alloc(IrExpr::plus(used.clone(), IrExpr::c(w)));
                self.emit(IrStmt::MCopy(new.clone(), old, used.clone()));
                self.emit(IrStmt::MStore(new.clone(), IrExpr::plus(n, IrExpr::c(1))));
                let slot = IrExpr::plus(new.clone(), used);
                if self.is_inline(&t) {
                    self.emit(IrStmt::MCopy(slot, v, IrExpr::c(w)));
                } else {
                    self.emit(IrStmt::MStore(slot, v));
                }
                self.assign_to(target, new, receiver.span);
                return Typed::unit();
            }
            _ => {}
        }
        if let Ty::Adt(id, targs) = r.ty.clone()
            && let Some(m) = self.p.adts[id].methods.get(name).copied()
        {
            if m.def.self_param == SelfParam::None {
                self.err(
                    Diagnostic::error(
                        "E0374",
                        format!("`{name}` does not take `self`"),
                        method.span,
                        "not a method",
                    )
                    .with_help(format!("call it as `{}::{name}(..)`", self.p.adts[id].name)),
                );
                return Typed::error();
            }
            let self_ty = r.ty.clone();
            let mut subst = self.method_subst(&m, &targs, &self_ty, span);
            let r = self.receiver(r);
            return self.inline_fn(m.def, m.file, &mut subst, Some(r), args, span);
        }
        let shown = self.show(&r.ty);
        let mut d = Diagnostic::error(
            "E0375",
            format!("no method `{name}` on type `{shown}`"),
            method.span,
            "method not found",
        );
        if let Ty::Adt(id, _) = r.ty
            && let Some(s) = did_you_mean(name, self.p.adts[id].methods.keys().map(String::as_str))
        {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.err(d);
        Typed::error()
    }
}

/// Binds generic parameters by matching a written parameter type against an argument type.
fn infer(te: &TypeExpr, ty: &Ty, subst: &mut HashMap<String, Ty>, generics: &[ast::Ident]) {
    match te {
        TypeExpr::Path(p) if p.segments.len() == 1 => {
            let n = &p.segments[0].name;
            if generics.iter().any(|g| &g.name == n) && !subst.contains_key(n) && *ty != Ty::Error {
                subst.insert(n.clone(), ty.clone());
                return;
            }
            let inner: Vec<&Ty> = match ty {
                Ty::Option(t) | Ty::Vec(t) | Ty::StorageVec(t) => vec![t],
                Ty::Map(k, v) => vec![k, v],
                Ty::Adt(_, a) => a.iter().collect(),
                _ => vec![],
            };
            for (g, t) in p.generics.iter().zip(inner) {
                infer(g, t, subst, generics);
            }
        }
        TypeExpr::Array(e, _, _) => {
            if let Ty::Array(t, _) = ty {
                infer(e, t, subst, generics);
            }
        }
        TypeExpr::Tuple(ts, _) => {
            if let Ty::Tuple(tys) = ty {
                for (a, b) in ts.iter().zip(tys) {
                    infer(a, b, subst, generics);
                }
            }
        }
        _ => {}
    }
}

pub fn lower_camel(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub fn adt_kind_is_struct(k: &AdtKind) -> bool {
    matches!(k, AdtKind::Struct(_))
}

impl Cx<'_, '_> {
    /// `Bytes::from(x)`: a `String` (or a `Bytes`) as `Bytes`, sharing the buffer.
    fn bytes_from(&mut self, arg: &Expr) -> Typed {
        let t = self.expr(arg, Some(&Ty::Bytes));
        match t.ty {
            Ty::String | Ty::Bytes => {
                let (p, _) = self.rvalue(t);
                Typed::value(p.unwrap_or(IrExpr::c(0)), Ty::Bytes)
            }
            Ty::Error => Typed::error(),
            ref other => {
                let shown = self.show(other);
                self.err(Diagnostic::error(
                    "E0300",
                    format!("`Bytes::from` takes a `String` or `Bytes`, found `{shown}`"),
                    arg.span,
                    "not a String",
                ));
                Typed::error()
            }
        }
    }

    /// `Bytes::from_hex("0102ff")`: a `Bytes` literal written in hex, checked at compile time
    /// (an even number of hex digits; `_` and spaces are separators; an optional `0x`).
    fn bytes_from_hex(&mut self, arg: &Expr) -> Typed {
        let ExprKind::Str(text) = &arg.kind else {
            self.err(Diagnostic::error(
                "E0332",
                "`Bytes::from_hex` takes a string literal",
                arg.span,
                "not a literal",
            ));
            return Typed::error();
        };
        match decode_hex(text) {
            Ok(bytes) => self.bytes_lit(&bytes, Ty::Bytes),
            Err(why) => {
                self.err(Diagnostic::error(
                    "E0332",
                    format!("invalid hex literal: {why}"),
                    arg.span,
                    "not hex bytes",
                ));
                Typed::error()
            }
        }
    }
}

/// Decodes a hex byte literal's text (optional `0x`, `_`/space separators, even digit count).
pub(crate) fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let body = text.strip_prefix("0x").unwrap_or(text);
    let digits: Vec<u8> = body
        .chars()
        .filter(|c| *c != '_' && *c != ' ')
        .map(|c| {
            c.to_digit(16)
                .map(|d| d as u8)
                .ok_or_else(|| format!("`{c}` is not a hex digit"))
        })
        .collect::<Result<_, _>>()?;
    if !digits.len().is_multiple_of(2) {
        return Err(format!(
            "{} hex digits is not a whole number of bytes",
            digits.len()
        ));
    }
    Ok(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}
