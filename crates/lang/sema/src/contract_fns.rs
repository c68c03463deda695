//! A contract's own functions and guards.
//!
//! A `fn` written inside a contract body declares capabilities with `with ..` exactly as a
//! handler does, and is checked against the contract's storage type (and, in a generic
//! contract, its type arguments). It is in scope in the contract's handlers, constructor,
//! `receive`/`fallback` and its other `fn`s. A call is allowed only when the caller holds every
//! capability the callee declares (E0400, or E0401 when only `mut` is missing), and the body may
//! only use what its own `with` clause grants. Every such function is checked once per compiled
//! contract even when nothing calls it.
//!
//! `#[guard = f]` or `#[guard = f(args)]` on a `recv` arm (or on a whole `recv` block, the
//! constructor, `receive` or `fallback`) calls `f` before the body, in the handler's scope: its
//! arguments may name the arm's bound fields. A guard returns `()` and refuses by reverting.

use crate::cx::{Binding, CapSet, Cx, Frame, Ret, Typed};
use crate::types::Ty;
use std::collections::HashMap;
use tandem_lang_syntax::ast::{Arg, Attr, Expr, ExprKind, FnDef, SelfParam, TypeExpr};
use tandem_lang_syntax::diag::{Diagnostic, Span};

/// `f(args)`: a call of a named function.
fn named_call(v: &Expr) -> bool {
    matches!(&v.kind, ExprKind::Call(f, _) if matches!(f.kind, ExprKind::Path(_)))
}

/// Where a function's capabilities are declared (its name when it declares none).
pub(crate) fn fn_caps_span(def: &FnDef) -> Span {
    def.caps.caps.first().map(|c| c.1).unwrap_or(def.name.span)
}

/// The key the inliner uses to detect recursion.
pub(crate) fn inline_key(def: &FnDef) -> String {
    format!("{}@{}:{}", def.name.name, def.span.file, def.span.lo)
}

impl<'a> Cx<'a, '_> {
    /// The contract's own function of this name, when the walk is in the contract's scope.
    pub(crate) fn contract_fn(&self, name: &str) -> Option<(&'a FnDef, usize)> {
        if !self.frame.contract_scope {
            return None;
        }
        let c = &self.p.contracts[self.contract?];
        let def: &'a tandem_lang_syntax::ast::ContractDef = c.def;
        def.fns
            .iter()
            .find(|f| f.name.name == name && f.self_param == SelfParam::None)
            .map(|f| (f, c.file))
    }

    /// Whether `def` is one of the compiled contract's own functions.
    pub(crate) fn is_contract_fn(&self, def: &FnDef) -> bool {
        self.contract.is_some_and(|ci| {
            self.p.contracts[ci]
                .def
                .fns
                .iter()
                .any(|f| std::ptr::eq(f, def))
        })
    }

    /// Calls a contract function: its body sees the contract's type arguments and its own.
    pub(crate) fn call_contract_fn(
        &mut self,
        def: &FnDef,
        file: usize,
        generics: &[TypeExpr],
        args: &[Arg],
        span: Span,
    ) -> Typed {
        let mut subst = self.frame.subst.clone();
        for g in &def.generics {
            subst.remove(&g.name);
        }
        for (g, t) in def.generics.iter().zip(generics) {
            let t = self.resolve_ty(t);
            subst.insert(g.name.clone(), t);
        }
        self.inline_fn(def, file, &mut subst, None, args, span)
    }

    /// Checks the contract's functions once each, whether or not anything calls them:
    /// duplicate names, `self` (a contract function has no receiver), and each non-generic
    /// body against its own `with` clause. Generic ones are checked per call, like free
    /// generic functions.
    pub(crate) fn check_contract_fns(&mut self) {
        let Some(ci) = self.contract else { return };
        let (def, file) = (self.p.contracts[ci].def, self.p.contracts[ci].file);
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for f in &def.fns {
            if let Some(prev) = seen.insert(&f.name.name, f.name.span) {
                self.err(
                    Diagnostic::error(
                        "E0200",
                        format!("`{}` is defined twice", f.name.name),
                        f.name.span,
                        "redefined here",
                    )
                    .with_label(prev, "first defined here"),
                );
                continue;
            }
            if f.self_param != SelfParam::None {
                self.err(
                    Diagnostic::error(
                        "E0404",
                        format!("contract function `{}` takes `self`", f.name.name),
                        f.name.span,
                        "a contract function has no receiver",
                    )
                    .with_help(
                        "declare `with storage` (or `with mut storage`) and use `storage`, \
                         or move it to an `impl` of the storage type",
                    ),
                );
                continue;
            }
            if f.generics.is_empty() {
                self.check_fn_alone(f, file, true, None);
            }
        }
    }

    /// Walks one function body with its parameters as fresh locals and discards the code:
    /// only the diagnostics matter. Nothing it reaches (events, errors, children) is recorded.
    /// `contract_scope`: a contract's own `fn` (it sees the contract's items). `receiver`: a
    /// method's `self` (see [`Cx::check_method_alone`]).
    pub(crate) fn check_fn_alone(
        &mut self,
        f: &FnDef,
        file: usize,
        contract_scope: bool,
        receiver: Option<Typed>,
    ) {
        let saved_out = std::mem::take(&mut self.out);
        let saved_events = self.used_events.clone();
        let saved_errors = self.used_errors.clone();
        let saved_children = self.children.clone();
        let saved_heap = self.uses_heap;
        let subst = self.frame.subst.clone();
        let mut scope = HashMap::new();
        for prm in &f.params {
            let ty = self.p.resolve_ty(file, &prm.ty, &subst, self.diags);
            let id = self.local();
            let mutable = prm.mutable;
            scope.insert(prm.name.name.clone(), Binding::Local { id, ty, mutable });
        }
        let ret_ty = match &f.ret {
            Some(t) => self.p.resolve_ty(file, t, &subst, self.diags),
            None => Ty::Unit,
        };
        let label = self.label();
        let local = (ret_ty != Ty::Unit).then(|| self.local());
        let mut caps = CapSet::from_caps(&f.caps);
        if let Some(r) = receiver {
            // The receiver's storage access comes from its caller, whoever that is.
            caps.storage = true;
            caps.mut_storage = true;
            scope.insert("self".to_string(), Binding::Alias(r));
        }
        let frame = Frame {
            scopes: vec![scope],
            file,
            subst,
            caps,
            ret: Ret::Inline {
                label,
                local,
                ty: ret_ty.clone(),
            },
            loops: Vec::new(),
            contract_scope,
        };
        let saved_frame = std::mem::replace(&mut self.frame, frame);
        let saved_owner = std::mem::replace(&mut self.owner, format!("fn {}", f.name.name));
        let saved_caps_span = std::mem::replace(&mut self.caps_span, fn_caps_span(f));
        self.inline_stack.push(inline_key(f));
        let saved_check = std::mem::replace(&mut self.fns.check_only, true);
        let t = self.block(&f.body, Some(&ret_ty));
        self.fns.check_only = saved_check;
        if t.ty != Ty::Never {
            let span = f.body.tail.as_ref().map(|e| e.span).unwrap_or(f.body.span);
            self.mismatch(&ret_ty, &t.ty, span);
        }
        let _ = self.rvalue(t);
        self.inline_stack.pop();
        self.frame = saved_frame;
        self.owner = saved_owner;
        self.caps_span = saved_caps_span;
        self.out = saved_out;
        self.used_events = saved_events;
        self.used_errors = saved_errors;
        self.children = saved_children;
        self.uses_heap = saved_heap;
    }

    /// Runs the `#[guard = ..]` attributes of these lists, in order, before a body.
    pub(crate) fn guards(&mut self, lists: &[&[Attr]]) {
        for a in lists.iter().flat_map(|l| l.iter()) {
            if a.name.name != "guard" {
                continue;
            }
            let call = match a.value.as_ref() {
                Some(v) if matches!(v.kind, ExprKind::Path(_)) => Expr {
                    kind: ExprKind::Call(Box::new(v.clone()), Vec::new()),
                    span: v.span,
                },
                Some(v) if named_call(v) => v.clone(),
                _ => {
                    self.err(
                        Diagnostic::error(
                            "E0403",
                            "`#[guard]` needs a function to call",
                            a.span,
                            "not a function",
                        )
                        .with_help("write `#[guard = name]` or `#[guard = name(args)]`"),
                    );
                    continue;
                }
            };
            let t = self.expr(&call, Some(&Ty::Unit));
            if !matches!(t.ty, Ty::Unit | Ty::Never | Ty::Error) {
                let shown = self.show(&t.ty);
                self.err(
                    Diagnostic::error(
                        "E0403",
                        format!("a guard returns `()`, but this one returns `{shown}`"),
                        call.span,
                        "not a guard",
                    )
                    .with_help("a guard refuses by reverting; it returns nothing"),
                );
            }
            if let (Some(e), _) = self.rvalue(t) {
                self.discard(e);
            }
        }
    }
}

impl Cx<'_, '_> {
    /// Walks an unused method (or associated function) of non-generic type `adt` once, for
    /// its diagnostics, as `check_fn_alone` does for free functions. `self` is the type in
    /// storage (a struct at slot 0): a receiver in storage may do everything one in memory
    /// may, and its recursion is a real function's (only a call on a memory value is inlined,
    /// and refused there, where it is made).
    pub(crate) fn check_method_alone(&mut self, adt: usize, m: &crate::items::Method) {
        let self_ty = Ty::Adt(adt, Vec::new());
        self.frame.subst = [("Self".to_string(), self_ty.clone())]
            .into_iter()
            .collect();
        let receiver = (m.def.self_param != SelfParam::None).then(|| Typed {
            val: crate::cx::Val::Place(crate::cx::Place::Storage {
                slot: tandem_lang_ir::Expr::c(0),
                offset: 0,
            }),
            ty: self_ty,
            assign: if m.def.self_param == SelfParam::Mut {
                crate::cx::Assign::Ok
            } else {
                crate::cx::Assign::SelfNotMut
            },
        });
        self.check_fn_alone(m.def, m.file, false, receiver);
    }
}
