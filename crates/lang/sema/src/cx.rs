//! The checking-and-lowering context: scopes, capabilities, blocks, statements, control flow.
//! Type checking and lowering to IR happen in one walk; generic code is walked once per
//! instantiation (monomorphisation), so every walk sees concrete types.

use crate::items::Program;
use crate::types::{Ty, TyDisplay};
use std::collections::HashMap;
use tandem_lang_ir::{self as ir, Expr as IrExpr, LabelId, LocalId, Stmt as IrStmt};
use tandem_lang_syntax::ast::{self, Cap, Caps, Pattern};
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics, Span};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapSet {
    pub storage: bool,
    pub mut_storage: bool,
    pub ctx: bool,
    pub mut_ctx: bool,
}

impl CapSet {
    pub fn from_caps(caps: &Caps) -> CapSet {
        let mut s = CapSet::default();
        for (c, _) in &caps.caps {
            s.grant(*c);
        }
        s
    }
    pub fn grant(&mut self, c: Cap) {
        match c {
            Cap::Storage => self.storage = true,
            Cap::MutStorage => {
                self.storage = true;
                self.mut_storage = true
            }
            Cap::Ctx => self.ctx = true,
            Cap::MutCtx => {
                self.ctx = true;
                self.mut_ctx = true
            }
        }
    }
    pub fn has(&self, c: Cap) -> bool {
        match c {
            Cap::Storage => self.storage,
            Cap::MutStorage => self.mut_storage,
            Cap::Ctx => self.ctx,
            Cap::MutCtx => self.mut_ctx,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Place {
    Local(LocalId),
    /// A value in storage: slot and byte offset (packed value types).
    Storage {
        slot: IrExpr,
        offset: u32,
    },
    /// A word in memory at this address.
    Memory(IrExpr),
    /// A packed value type at a byte position known only at run time (element `i` of a packed
    /// array or `StorageVec`): `slot` and `shift` (in bits) are pure expressions (locals).
    StoragePacked {
        slot: Box<IrExpr>,
        shift: Box<IrExpr>,
        bytes: u32,
    },
    /// Immutable #k (`#[immutable]`, see `immutables.rs`), reached at this span.
    Immutable(u32, Span),
}

#[derive(Clone, Debug)]
pub enum Val {
    Value(IrExpr),
    Place(Place),
    Unit,
}

/// Why a place cannot be assigned, if it cannot.
#[derive(Clone, Debug, PartialEq)]
pub enum Assign {
    Ok,
    Immutable(String),
    ReadOnlyStorage,
    SelfNotMut,
    NotPlace,
}

#[derive(Clone, Debug)]
pub struct Typed {
    pub val: Val,
    pub ty: Ty,
    pub assign: Assign,
}

impl Typed {
    pub fn value(e: IrExpr, ty: Ty) -> Typed {
        Typed {
            val: Val::Value(e),
            ty,
            assign: Assign::NotPlace,
        }
    }
    pub fn unit() -> Typed {
        Typed {
            val: Val::Unit,
            ty: Ty::Unit,
            assign: Assign::NotPlace,
        }
    }
    pub fn never() -> Typed {
        Typed {
            val: Val::Unit,
            ty: Ty::Never,
            assign: Assign::NotPlace,
        }
    }
    pub fn error() -> Typed {
        Typed {
            val: Val::Value(IrExpr::c(0)),
            ty: Ty::Error,
            assign: Assign::NotPlace,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Binding {
    Local { id: LocalId, ty: Ty, mutable: bool },
    Alias(Typed),
}

#[derive(Clone, Debug)]
pub enum Ret {
    /// `return` ends the external call with an ABI-encoded reply.
    Handler(Ty),
    /// `return` leaves an inlined body, storing the value in a local.
    Inline {
        label: LabelId,
        local: Option<LocalId>,
        ty: Ty,
    },
}

/// What changes when the walk enters an inlined function body.
pub struct Frame {
    pub scopes: Vec<HashMap<String, Binding>>,
    pub file: usize,
    pub subst: HashMap<String, Ty>,
    pub caps: CapSet,
    pub ret: Ret,
    pub loops: Vec<LabelId>,
    /// Whether the contract's own `fn`s are in scope: in its handlers, constructor,
    /// `receive`/`fallback` and its own `fn`s (not in free functions or methods).
    pub contract_scope: bool,
}

pub struct Cx<'a, 'p> {
    pub p: &'p Program<'a>,
    pub diags: &'p mut Diagnostics,
    pub frame: Frame,
    pub storage_ty: Option<Ty>,
    pub out: Vec<IrStmt>,
    pub next_local: u32,
    pub next_label: u32,
    pub inline_stack: Vec<String>,
    pub uses_heap: bool,
    /// Names of the handler or function whose capabilities apply (for messages).
    pub owner: String,
    pub caps_span: Span,
    /// The expression checked last (entered or finished): where a refusal deep in layout,
    /// which has no span of its own, points.
    pub expr_span: Span,
    /// The contract being compiled (for `ctx.create` of itself and for errors).
    pub contract: Option<usize>,
    /// The contract each of its type parameters was instantiated with (`Keeper<Token>`: `T`
    /// → `Token`), for `ctx.create(T, ..)` in its handlers and fns.
    pub contract_args: HashMap<String, usize>,
    pub children: Vec<usize>,
    /// The slot where the contract's storage type starts (0, or `#[slot = ..]`).
    pub storage_root: IrExpr,
    /// The events the contract emits and the errors it reverts with (indices into the
    /// program's lists): the ABI lists these, as solc does.
    pub used_events: std::collections::BTreeSet<usize>,
    pub used_errors: std::collections::BTreeSet<usize>,
    /// Internal functions lowered so far, and their keys (see `real_fns`).
    pub fns: crate::real_fns::FnTable,
    /// The immutables `init` has written so far (see `immutables.rs`).
    pub immutables_written: std::collections::BTreeSet<u32>,
}

impl<'a, 'p> Cx<'a, 'p> {
    pub fn new(
        p: &'p Program<'a>,
        diags: &'p mut Diagnostics,
        file: usize,
        storage_ty: Option<Ty>,
    ) -> Cx<'a, 'p> {
        Cx {
            p,
            diags,
            frame: Frame {
                scopes: vec![HashMap::new()],
                file,
                subst: HashMap::new(),
                caps: CapSet::default(),
                ret: Ret::Handler(Ty::Unit),
                loops: Vec::new(),
                contract_scope: false,
            },
            storage_ty,
            out: Vec::new(),
            next_local: 0,
            next_label: 0,
            inline_stack: Vec::new(),
            uses_heap: false,
            owner: String::new(),
            caps_span: Span::default(),
            expr_span: Span::default(),
            contract: None,
            contract_args: HashMap::new(),
            children: Vec::new(),
            storage_root: IrExpr::c(0),
            used_events: Default::default(),
            used_errors: Default::default(),
            fns: Default::default(),
            immutables_written: Default::default(),
        }
    }

    pub fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn show(&self, t: &Ty) -> String {
        let p = self.p;
        let adt = |id: usize| p.adts.get(id).map(|a| a.name.clone()).unwrap_or_default();
        let msg = |m: usize, v: usize| {
            p.messages
                .get(m)
                // No such variant (`usize::MAX`): the message type itself, for `Address<M>`.
                .map(|d| match d.def.variants.get(v) {
                    Some(x) => format!("{}::{}", d.def.name.name, x.name.name),
                    None => d.def.name.name.clone(),
                })
                .unwrap_or_default()
        };
        TyDisplay {
            ty: t,
            adt_name: &adt,
            msg_name: &msg,
        }
        .to_string()
    }

    pub fn mismatch(&mut self, expected: &Ty, found: &Ty, span: Span) {
        if expected.compatible(found) {
            return;
        }
        // A handle that speaks several interfaces goes where one speaking some of them is
        // expected (on the wire both are an address; the calls it then accepts are fewer).
        if let (Ty::Handle(want), Ty::Handle(have)) = (expected, found)
            && want.iter().all(|m| have.contains(m))
        {
            return;
        }
        let (e, f) = (self.show(expected), self.show(found));
        let mut d = Diagnostic::error(
            "E0300",
            "mismatched types",
            span,
            format!("expected `{e}`, found `{f}`"),
        );
        if expected.is_int() && found.is_int() {
            d = d.with_help(format!(
                "convert with `as {e}` (truncating) or `{e}::try_from(..)` (checked)"
            ));
        }
        match (expected, found) {
            (Ty::Address, Ty::Handle(_)) => d = d.with_help("a handle's address is `h.address()`"),
            (Ty::Handle(ms), Ty::Address) if ms.len() == 1 => {
                let name = &self.p.messages[ms[0]].def.name.name;
                d = d.with_help(format!("make a handle with `{name}::at(a)`"));
            }
            _ => {}
        }
        self.err(d);
    }

    pub fn local(&mut self) -> LocalId {
        self.next_local += 1;
        self.next_local - 1
    }
    pub fn label(&mut self) -> LabelId {
        self.next_label += 1;
        self.next_label - 1
    }
    pub fn emit(&mut self, s: IrStmt) {
        self.out.push(s);
    }

    pub fn bind(&mut self, name: &str, b: Binding) {
        if let Some(s) = self.frame.scopes.last_mut() {
            s.insert(name.to_string(), b);
        }
    }

    pub fn lookup_local(&self, name: &str) -> Option<Binding> {
        self.frame
            .scopes
            .iter()
            .rev()
            .find_map(|s| s.get(name).cloned())
    }

    pub fn local_names(&self) -> Vec<String> {
        self.frame
            .scopes
            .iter()
            .flat_map(|s| s.keys().cloned())
            .collect()
    }

    /// Requires a capability, reporting which one is missing.
    pub fn require(&mut self, cap: Cap, span: Span, what: &str) -> bool {
        if self.frame.caps.has(cap) {
            return true;
        }
        let (code, msg) = match cap {
            Cap::MutStorage if self.frame.caps.storage => (
                "E0401",
                format!(
                    "{what} writes storage, but `{}` only declares read access (`storage`)",
                    self.owner
                ),
            ),
            _ => (
                "E0400",
                format!(
                    "{what} needs the capability `{}`, which `{}` does not declare",
                    cap.text(),
                    self.owner
                ),
            ),
        };
        let d = Diagnostic::error(code, msg, span, format!("needs `{}`", cap.text())).with_help(
            format!("declare it on the handler: `with ({})`", cap.text()),
        );
        let d = if self.caps_span != Span::default() {
            d.with_label(self.caps_span, "capabilities declared here")
        } else {
            d
        };
        self.err(d);
        false
    }

    /// Puts a value into a fresh local unless it is already a constant or a local, so it can
    /// be used more than once without repeating side effects.
    pub fn spill(&mut self, e: IrExpr) -> IrExpr {
        match e {
            IrExpr::Const(_) | IrExpr::Local(_) => e,
            e => {
                let l = self.local();
                self.emit(IrStmt::Let(l, e));
                IrExpr::Local(l)
            }
        }
    }

    /// A block as an expression; its locals end with it.
    pub fn block(&mut self, b: &ast::Block, expected: Option<&Ty>) -> Typed {
        let saved = std::mem::take(&mut self.out);
        self.frame.scopes.push(HashMap::new());
        let mut diverges = false;
        for s in &b.stmts {
            if self.stmt(s) {
                diverges = true;
            }
        }
        let tail = match &b.tail {
            Some(e) => {
                let t = self.expr(e, expected);
                if t.ty == Ty::Never {
                    diverges = true;
                }
                Some(self.rvalue(t))
            }
            None => None,
        };
        self.frame.scopes.pop();
        let stmts = std::mem::replace(&mut self.out, saved);
        match tail {
            Some((Some(e), ty)) if ty != Ty::Never => {
                if stmts.is_empty() {
                    Typed::value(e, ty)
                } else {
                    Typed::value(IrExpr::Seq(stmts, Box::new(e)), ty)
                }
            }
            Some((e, ty)) => {
                self.emit_block(stmts);
                if let Some(e) = e {
                    self.discard(e);
                }
                if diverges {
                    Typed::never()
                } else {
                    Typed {
                        val: Val::Unit,
                        ty,
                        assign: Assign::NotPlace,
                    }
                }
            }
            None => {
                self.emit_block(stmts);
                if diverges {
                    Typed::never()
                } else {
                    Typed::unit()
                }
            }
        }
    }

    /// Emits statements whose locals must not outlive them.
    pub fn emit_block(&mut self, stmts: Vec<IrStmt>) {
        if stmts.iter().any(|s| matches!(s, IrStmt::Let(..))) {
            self.emit(IrStmt::Expr(IrExpr::Seq(stmts, Box::new(IrExpr::c(0)))));
        } else {
            self.out.extend(stmts);
        }
    }

    pub fn discard(&mut self, e: IrExpr) {
        if !e.is_pure() {
            self.emit(IrStmt::Expr(e));
        }
    }

    /// Lowers a statement; returns true when control cannot continue past it.
    pub fn stmt(&mut self, s: &ast::Stmt) -> bool {
        match s {
            ast::Stmt::Let {
                pattern,
                ty,
                init,
                els,
                span,
            } => {
                let declared = ty.as_ref().map(|t| self.resolve_ty(t));
                let Some(init) = init else {
                    self.err(Diagnostic::error(
                        "E0301",
                        "`let` needs an initial value",
                        *span,
                        "add `= value`",
                    ));
                    return false;
                };
                if let Some(els) = els {
                    return self.let_else(pattern, declared, init, els);
                }
                let t = self.expr(init, declared.as_ref());
                if let Some(d) = &declared {
                    self.mismatch(d, &t.ty, init.span);
                }
                let ty = declared.unwrap_or(t.ty.clone());
                if ty.is_storage_only() {
                    // A storage reference: the name aliases the place.
                    if let Pattern::Bind { name, .. } = pattern {
                        self.bind(&name.name, Binding::Alias(Typed { ty, ..t }));
                        return false;
                    }
                }
                let never = t.ty == Ty::Never;
                let (e, _) = self.rvalue(t);
                let e = e.map(|e| self.copy_if_aliased(init, e, &ty));
                self.bind_pattern(pattern, e, &ty);
                never
            }
            ast::Stmt::Expr(e) => {
                let t = self.expr(e, None);
                let never = t.ty == Ty::Never;
                if let (Some(e), _) = self.rvalue(t) {
                    self.discard(e);
                }
                never
            }
        }
    }

    /// Binds a `let` pattern: a name, `_`, or a tuple of those.
    pub fn bind_pattern(&mut self, pattern: &Pattern, e: Option<IrExpr>, ty: &Ty) {
        match pattern {
            Pattern::Bind { name, mutable } => {
                let id = self.local();
                self.emit(IrStmt::Let(id, e.unwrap_or(IrExpr::c(0))));
                self.bind(
                    &name.name,
                    Binding::Local {
                        id,
                        ty: ty.clone(),
                        mutable: *mutable,
                    },
                );
            }
            Pattern::Wildcard(_) => {
                if let Some(e) = e {
                    self.discard(e);
                }
            }
            Pattern::Tuple(ps, span) => {
                let Ty::Tuple(ts) = ty else {
                    let shown = self.show(ty);
                    self.err(Diagnostic::error(
                        "E0302",
                        format!("expected a tuple, found `{shown}`"),
                        *span,
                        "tuple pattern",
                    ));
                    return;
                };
                if ts.len() != ps.len() {
                    self.err(Diagnostic::error(
                        "E0303",
                        format!(
                            "this tuple has {} elements, the pattern {}",
                            ts.len(),
                            ps.len()
                        ),
                        *span,
                        "wrong arity",
                    ));
                    return;
                }
                let base = self.spill(e.unwrap_or(IrExpr::c(0)));
                let offsets = self.tuple_offsets(ts);
                for ((p, t), off) in ps.iter().zip(ts).zip(offsets) {
                    let field = self.read_mem_field(base.clone(), off, t);
                    self.bind_pattern(p, Some(field), t);
                }
            }
            other => self.bind_irrefutable(other, e, ty),
        }
    }

    pub fn resolve_ty(&mut self, t: &ast::TypeExpr) -> Ty {
        self.p
            .resolve_ty(self.frame.file, t, &self.frame.subst, self.diags)
    }

    pub fn while_loop(&mut self, cond: &ast::Expr, body: &ast::Block) -> Typed {
        let label = self.label();
        let saved = std::mem::take(&mut self.out);
        let c = self.expr(cond, Some(&Ty::Bool));
        self.mismatch(&Ty::Bool, &c.ty, cond.span);
        let (c, _) = self.rvalue(c);
        let mut stmts = std::mem::take(&mut self.out);
        stmts.push(IrStmt::If(
            IrExpr::un(ir::UnOp::IsZero, c.unwrap_or(IrExpr::c(0))),
            vec![IrStmt::Break(label)],
            vec![],
        ));
        self.frame.loops.push(label);
        let b = self.block(body, Some(&Ty::Unit));
        if let (Some(e), _) = self.rvalue(b) {
            self.discard(e);
        }
        self.frame.loops.pop();
        let body_stmts = std::mem::replace(&mut self.out, saved);
        stmts.push(IrStmt::Expr(IrExpr::Seq(
            body_stmts,
            Box::new(IrExpr::c(0)),
        )));
        self.emit(IrStmt::Loop {
            label,
            body: stmts,
            step: vec![],
        });
        Typed::unit()
    }

    pub fn for_loop(
        &mut self,
        var: &ast::Ident,
        start: &ast::Expr,
        end: &ast::Expr,
        body: &ast::Block,
    ) -> Typed {
        // A literal bound takes the other bound's type (a literal has no effects, so the
        // end may be evaluated first).
        let (s, e, ty) = if matches!(start.kind, ast::ExprKind::Int(..))
            && !matches!(end.kind, ast::ExprKind::Int(..))
        {
            let e = self.expr(end, None);
            let ty = if e.ty.is_int() {
                e.ty.clone()
            } else {
                Ty::U256
            };
            (self.expr(start, Some(&ty)), e, ty)
        } else {
            let s = self.expr(start, None);
            let ty = if s.ty.is_int() {
                s.ty.clone()
            } else {
                Ty::U256
            };
            let e = self.expr(end, Some(&ty));
            (s, e, ty)
        };
        self.mismatch(&ty, &e.ty, end.span);
        if !s.ty.is_int() && s.ty != Ty::Error {
            let shown = self.show(&s.ty);
            self.err(Diagnostic::error(
                "E0306",
                format!("a range needs integers, found `{shown}`"),
                start.span,
                "not an integer",
            ));
        }
        let (se, _) = self.rvalue(s);
        let (ee, _) = self.rvalue(e);
        let i = self.local();
        self.emit(IrStmt::Let(i, se.unwrap_or(IrExpr::c(0))));
        let end_l = self.local();
        self.emit(IrStmt::Let(end_l, ee.unwrap_or(IrExpr::c(0))));
        let label = self.label();
        let signed = matches!(ty, Ty::Int(_));
        let lt = if signed {
            ir::BinOp::SLt
        } else {
            ir::BinOp::Lt
        };
        let saved = std::mem::take(&mut self.out);
        self.frame.scopes.push(HashMap::new());
        // `for _ in a..b` counts without a name the body could read.
        if var.name != "_" {
            self.bind(
                &var.name,
                Binding::Local {
                    id: i,
                    ty: ty.clone(),
                    mutable: false,
                },
            );
        }
        self.frame.loops.push(label);
        let b = self.block(body, Some(&Ty::Unit));
        if let (Some(e), _) = self.rvalue(b) {
            self.discard(e);
        }
        self.frame.loops.pop();
        self.frame.scopes.pop();
        let body_stmts = std::mem::replace(&mut self.out, saved);
        let exit = IrStmt::If(
            IrExpr::un(
                ir::UnOp::IsZero,
                IrExpr::bin(lt, IrExpr::Local(i), IrExpr::Local(end_l)),
            ),
            vec![IrStmt::Break(label)],
            vec![],
        );
        // `i < end` held, so `i + 1` cannot overflow: the increment is unchecked.
        let step = vec![IrStmt::Set(i, IrExpr::plus(IrExpr::Local(i), IrExpr::c(1)))];
        self.emit(IrStmt::Loop {
            label,
            body: vec![
                exit,
                IrStmt::Expr(IrExpr::Seq(body_stmts, Box::new(IrExpr::c(0)))),
            ],
            step,
        });
        Typed::unit()
    }

    pub fn ret(&mut self, value: Option<&ast::Expr>, span: Span) -> Typed {
        let ret = self.frame.ret.clone();
        let want = match &ret {
            Ret::Handler(t) | Ret::Inline { ty: t, .. } => t.clone(),
        };
        let v = match value {
            Some(e) => {
                let t = self.expr(e, Some(&want));
                self.mismatch(&want, &t.ty, e.span);
                self.rvalue(t).0
            }
            None => {
                if want != Ty::Unit && want != Ty::Error {
                    let shown = self.show(&want);
                    self.err(Diagnostic::error(
                        "E0307",
                        format!("`return` needs a value of type `{shown}`"),
                        span,
                        "missing value",
                    ));
                }
                None
            }
        };
        match ret {
            Ret::Handler(ty) => {
                let vals = match (v, self.val_ty(&ty, span)) {
                    (Some(e), Some(abi)) if ty != Ty::Unit => self.return_values(e, &ty, abi),
                    _ => vec![],
                };
                self.emit(IrStmt::Return(vals));
            }
            Ret::Inline { label, local, .. } => {
                if let (Some(l), Some(e)) = (local, v) {
                    self.emit(IrStmt::Set(l, e));
                }
                self.emit(IrStmt::Exit(label));
            }
        }
        Typed::never()
    }

    /// A reply is one value, or a tuple's elements as separate return values.
    pub fn return_values(
        &mut self,
        e: IrExpr,
        ty: &Ty,
        abi: ir::ValTy,
    ) -> Vec<(IrExpr, ir::ValTy)> {
        match (ty, abi) {
            (Ty::Tuple(ts), ir::ValTy::Tuple(abis)) => {
                let base = self.spill(e);
                let offs = self.tuple_offsets(ts);
                ts.iter()
                    .zip(abis)
                    .zip(offs)
                    .map(|((t, a), off)| (self.read_mem_field(base.clone(), off, t), a))
                    .collect()
            }
            (_, abi) => vec![(e, abi)],
        }
    }
}
