//! Calls that become real functions of the IR (`ir::Function`, `ir::Expr::Call`) instead of
//! inlined copies.
//!
//! A call of a free function, an associated function (`Type::f(..)`) or a contract `fn` whose
//! parameters and result are values (words and memory aggregates, passed as pointer words)
//! is lowered once per (function, generic substitution) and called. Such a function may be
//! recursive, directly or through others. The optimiser decides later which of them to copy
//! into their callers (`ir::opt::inline`).
//!
//! Storage places are passed as words too: a method whose receiver is a struct in storage
//! (`storage.s.f(..)`, `storage.map[k].f(..)`) gets the struct's base slot as a hidden first
//! parameter, and a parameter that is a storage reference (`Map`, `StorageVec`) gets its slot;
//! the body addresses storage relative to it. A struct always starts a new slot, so a slot is
//! all a receiver's place needs. The body is lowered once per (function, substitution, what
//! `self` may do — write or only read —, whether the caller's frame reads storage): a method's
//! `self` carries the caller's storage access, so that access is part of the instantiation.
//! A storage-reference parameter is read-only unless the function's own `with` grants
//! `mut storage`.
//!
//! Calls keep today's inlining where the body's meaning depends on the call site:
//! - methods on a value in memory or a local (`mut self` writes through to the caller's
//!   binding);
//! - a result that is a storage reference: it names a place, not a value;
//! - a result of type `!` (never returns normally).
//!
//! Those are inlined, so recursion through them is refused (E0373).

use crate::cx::{Assign, Binding, CapSet, Cx, Frame, Place, Ret, Typed, Val};
use crate::types::Ty;
use std::collections::HashMap;
use tandem_lang_ir::{self as ir, Expr as IrExpr, FuncId, Stmt as IrStmt};
use tandem_lang_syntax::ast::FnDef;
use tandem_lang_syntax::diag::{Diagnostic, Span};

/// At most this many real functions being lowered inside each other (a generic function
/// that calls itself at ever larger types would never end).
const MAX_NESTING: usize = 64;

/// The real functions of the contract being compiled.
#[derive(Default)]
pub struct FnTable {
    pub functions: Vec<ir::Function>,
    /// (function, substitution) → its index.
    ids: HashMap<String, FuncId>,
    /// Functions being lowered right now, inside each other (their inline keys).
    lowering: Vec<String>,
    /// Set while a body is walked only for its diagnostics (a contract `fn` checked alone):
    /// calls then check their arguments without lowering new functions.
    pub check_only: bool,
}

impl Cx<'_, '_> {
    /// The call as a real function call, when the callee qualifies (see the module docs);
    /// `None` to inline it. `recv` is a method's receiver (its `assign` already says what
    /// `self` may do); `vals` are the evaluated arguments (with their types and spans), a
    /// storage reference's being its slot.
    pub(crate) fn real_call(
        &mut self,
        def: &FnDef,
        file: usize,
        subst: &HashMap<String, Ty>,
        recv: Option<&Typed>,
        vals: &[(IrExpr, Ty, Span)],
        span: Span,
    ) -> Option<Typed> {
        let this = match recv {
            None if def.self_param == tandem_lang_syntax::ast::SelfParam::None => None,
            None => return None,
            Some(r) => match (&r.val, &r.ty) {
                (Val::Place(Place::Storage { slot, offset: 0 }), Ty::Adt(..)) => {
                    Some((slot.clone(), r.ty.clone(), r.assign.clone()))
                }
                _ => return None,
            },
        };
        let ret_ty = match &def.ret {
            Some(t) => self.p.resolve_ty(file, t, subst, self.diags),
            None => Ty::Unit,
        };
        if matches!(ret_ty, Ty::Never | Ty::Error) || ret_ty.is_storage_only() {
            return None;
        }
        let mut ptys = Vec::new();
        for p in &def.params {
            let t = self.p.resolve_ty(file, &p.ty, subst, self.diags);
            if t == Ty::Error {
                return None;
            }
            ptys.push(t);
        }
        for (pty, (_, ty, aspan)) in ptys.iter().zip(vals) {
            self.mismatch(pty, ty, *aspan);
        }
        let mut shown: Vec<(String, String)> = subst
            .iter()
            .map(|(k, v)| (k.clone(), format!("{v:?}")))
            .collect();
        shown.sort();
        let mut key = format!("{}|{shown:?}", crate::contract_fns::inline_key(def));
        // What `self` may do and the caller's storage access shape a method's body.
        let storage = self.frame.caps.storage;
        if let Some((_, ty, assign)) = &this {
            key = format!("{key}|self {ty:?} {assign:?} {storage}");
        }
        let id = match self.fns.ids.get(&key) {
            Some(id) => *id,
            None if self.fns.check_only => {
                // Checked alone: a call back into a function being checked yields a
                // placeholder; anything else is walked inline for its diagnostics.
                if !self
                    .inline_stack
                    .contains(&crate::contract_fns::inline_key(def))
                {
                    return None;
                }
                return Some(placeholder(ret_ty));
            }
            None => {
                let this_fn = crate::contract_fns::inline_key(def);
                if self.fns.lowering.len() >= MAX_NESTING && !self.fns.lowering.contains(&this_fn) {
                    self.err(Diagnostic::error(
                        "E0373",
                        format!(
                            "call to `{}` is nested over {MAX_NESTING} calls deep",
                            def.name.name
                        ),
                        span,
                        "each function here is compiled inside the one calling it",
                    ));
                    return Some(Typed::error());
                }
                if self.fns.lowering.len() >= MAX_NESTING {
                    self.err(
                        Diagnostic::error(
                            "E0373",
                            format!("recursive call to `{}`", def.name.name),
                            span,
                            "each call instantiates the function at new types",
                        )
                        .with_help("a generic function may not call itself at ever larger types"),
                    );
                    return Some(Typed::error());
                }
                let this_ty = this
                    .as_ref()
                    .map(|(_, t, a)| (t.clone(), a.clone(), storage));
                let sig = Sig {
                    ptys: &ptys,
                    ret_ty: &ret_ty,
                    this: this_ty,
                };
                self.lower_function(def, file, subst, sig, key)
            }
        };
        let mut args: Vec<IrExpr> = this.map(|(slot, _, _)| slot).into_iter().collect();
        args.extend(vals.iter().map(|(v, _, _)| v.clone()));
        let call = IrExpr::Call(id, args);
        if ret_ty == Ty::Unit {
            self.emit(IrStmt::Expr(call));
            Some(Typed::unit())
        } else {
            Some(Typed::value(call, ret_ty))
        }
    }

    /// Lowers one instantiation of a function into the table; returns its index. The body is
    /// walked in a frame of its own: parameters as locals, `return` leaving the body's block
    /// with the result in the result local.
    fn lower_function(
        &mut self,
        def: &FnDef,
        file: usize,
        subst: &HashMap<String, Ty>,
        sig: Sig<'_>,
        key: String,
    ) -> FuncId {
        let (ptys, ret_ty) = (sig.ptys, sig.ret_ty);
        let id = self.fns.functions.len() as FuncId;
        let mut name = def.name.name.clone();
        if !def.generics.is_empty() {
            let args: Vec<String> = def
                .generics
                .iter()
                .map(|g| subst.get(&g.name).map(|t| self.show(t)).unwrap_or_default())
                .collect();
            name = format!("{name}<{}>", args.join(", "));
        }
        self.fns.functions.push(ir::Function {
            name: name.clone(),
            params: Vec::new(),
            result: None,
            body: Vec::new(),
        });
        self.fns.ids.insert(key, id);
        let mut scope = HashMap::new();
        let mut params = Vec::new();
        let mut caps = CapSet::from_caps(&def.caps);
        if let Some((ty, assign, storage)) = sig.this {
            // `self` is the struct at the slot in the hidden first parameter.
            let l = self.local();
            params.push(l);
            caps.storage |= storage;
            let b = Binding::Alias(storage_place(l, ty, assign));
            scope.insert("self".to_string(), b);
        }
        for (p, ty) in def.params.iter().zip(ptys) {
            let l = self.local();
            params.push(l);
            let b = if ty.is_storage_only() {
                Binding::Alias(storage_place(l, ty.clone(), ref_assign(&caps)))
            } else {
                Binding::Local {
                    id: l,
                    ty: ty.clone(),
                    mutable: p.mutable,
                }
            };
            scope.insert(p.name.name.clone(), b);
        }
        let result = (*ret_ty != Ty::Unit).then(|| self.local());
        let label = self.label();
        let frame = Frame {
            scopes: vec![scope],
            file,
            subst: subst.clone(),
            caps,
            ret: Ret::Inline {
                label,
                local: result,
                ty: ret_ty.clone(),
            },
            loops: Vec::new(),
            contract_scope: self.is_contract_fn(def),
        };
        let saved_frame = std::mem::replace(&mut self.frame, frame);
        let saved_out = std::mem::take(&mut self.out);
        let saved_owner = std::mem::replace(&mut self.owner, format!("fn {}", def.name.name));
        let saved_caps_span =
            std::mem::replace(&mut self.caps_span, crate::contract_fns::fn_caps_span(def));
        // Inlining inside this body starts afresh: a cycle through this function ends at it.
        let saved_stack = std::mem::take(&mut self.inline_stack);
        self.fns.lowering.push(crate::contract_fns::inline_key(def));
        let t = self.block(&def.body, Some(ret_ty));
        if t.ty != Ty::Never {
            let span = def
                .body
                .tail
                .as_ref()
                .map(|e| e.span)
                .unwrap_or(def.body.span);
            self.mismatch(ret_ty, &t.ty, span);
        }
        let (v, _) = self.rvalue(t);
        if let (Some(l), Some(v)) = (result, v) {
            self.emit(IrStmt::Set(l, v));
        }
        self.fns.lowering.pop();
        let body = std::mem::replace(&mut self.out, saved_out);
        self.inline_stack = saved_stack;
        self.owner = saved_owner;
        self.caps_span = saved_caps_span;
        self.frame = saved_frame;
        self.fns.functions[id as usize] = ir::Function {
            name,
            params,
            result,
            body: vec![IrStmt::Block(label, body)],
        };
        id
    }
}

impl Cx<'_, '_> {
    /// A call of a helper function sema writes itself (a standard library routine such as
    /// `std::math::mul_div`'s long division), built once per contract by `build` over its
    /// parameters and called: like any function, the optimiser copies it into a single
    /// caller and keeps it shared between several.
    pub(crate) fn helper_call(
        &mut self,
        name: &str,
        args: Vec<IrExpr>,
        build: fn(&mut Self, &[IrExpr]) -> IrExpr,
    ) -> IrExpr {
        if self.fns.check_only {
            return build(self, &args);
        }
        let key = format!("std::{name}");
        let id = match self.fns.ids.get(&key) {
            Some(id) => *id,
            None => {
                let id = self.fns.functions.len() as FuncId;
                let params: Vec<_> = args.iter().map(|_| self.local()).collect();
                let result = self.local();
                let saved_out = std::mem::take(&mut self.out);
                let vals: Vec<IrExpr> = params.iter().map(|l| IrExpr::Local(*l)).collect();
                let v = build(self, &vals);
                self.emit(IrStmt::Set(result, v));
                let body = std::mem::replace(&mut self.out, saved_out);
                self.fns.functions.push(ir::Function {
                    name: name.to_string(),
                    params,
                    result: Some(result),
                    body,
                });
                self.fns.ids.insert(key, id);
                id
            }
        };
        IrExpr::Call(id, args)
    }
}

/// What a real function's instantiation is lowered against.
struct Sig<'t> {
    ptys: &'t [Ty],
    ret_ty: &'t Ty,
    /// A method on a storage receiver: `self`'s type, what it may do, and whether the
    /// caller's frame reads storage.
    this: Option<(Ty, Assign, bool)>,
}

/// What a body may do through a storage-reference parameter: write only when its own `with`
/// grants `mut storage`.
pub(crate) fn ref_assign(caps: &CapSet) -> Assign {
    if caps.mut_storage {
        Assign::Ok
    } else {
        Assign::ReadOnlyStorage
    }
}

/// A storage place whose slot is in a parameter local.
fn storage_place(l: ir::LocalId, ty: Ty, assign: Assign) -> Typed {
    Typed {
        val: Val::Place(Place::Storage {
            slot: IrExpr::Local(l),
            offset: 0,
        }),
        ty,
        assign,
    }
}

/// A value of the type that stands for a call while a body is only checked.
fn placeholder(ret_ty: Ty) -> Typed {
    if ret_ty == Ty::Unit {
        Typed::unit()
    } else {
        Typed::value(IrExpr::c(0), ret_ty)
    }
}
