//! Shared walkers and facts about locals, used by every pass.

use crate::{Env, Expr, LabelId, LocalId, Param, Payload, Stmt};
use std::collections::{BTreeMap, BTreeSet};

/// The direct sub-expressions of an expression, in no particular order (statements nested in
/// a `Seq` are not included: see `for_each_expr_mut`).
pub fn children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match e {
        Expr::Const(_) | Expr::Local(_) | Expr::Env(_) | Expr::Reply(_) | Expr::ReplyBytes => {
            vec![]
        }
        Expr::Bin(_, a, b) | Expr::Hash(_, a, b) => vec![a, b],
        Expr::MapSlot { base, key, .. } => vec![base, key],
        Expr::Checked { a, b, .. } => vec![a, b],
        Expr::Un(_, a)
        | Expr::Balance(a)
        | Expr::SLoad(a)
        | Expr::MLoad(a)
        | Expr::DataSlot(a)
        | Expr::Alloc(a) => vec![a],
        Expr::HashWords(_, ws) | Expr::Intrinsic(_, ws) | Expr::Call(_, ws) => {
            ws.iter_mut().collect()
        }
        Expr::EvmAsm { inputs, .. } => inputs.iter_mut().collect(),
        Expr::Seq(_, v) => vec![v],
        Expr::Cond(c, a, b) => vec![c, a, b],
        Expr::Message { args, .. } | Expr::AbiEncode(args) => {
            args.iter_mut().map(|(e, _)| e).collect()
        }
        Expr::Send {
            gas,
            target,
            value,
            payload,
            ..
        } => {
            let mut v: Vec<&mut Expr> = vec![target, value];
            if let Payload::Message(p) | Payload::Bytes(p) = payload {
                v.push(p);
            }
            v.extend(gas.as_deref_mut());
            v
        }
        Expr::Create {
            value, args, salt, ..
        } => {
            let mut v: Vec<&mut Expr> = vec![value];
            v.extend(args.iter_mut().map(|(e, _)| e));
            v.extend(salt.as_deref_mut());
            v
        }
        Expr::SendAsync {
            target,
            value,
            gas,
            message,
            reply,
        } => {
            let mut v: Vec<&mut Expr> = vec![target, value, gas, message];
            if let Some(r) = reply {
                v.push(&mut r.gas);
            }
            v
        }
        Expr::AsyncReturn(_, b) => vec![b],
        Expr::Lowered(l) => l.children_mut(),
    }
}

/// The direct sub-expressions of an expression (read-only).
pub fn children(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Const(_) | Expr::Local(_) | Expr::Env(_) | Expr::Reply(_) | Expr::ReplyBytes => {
            vec![]
        }
        Expr::Bin(_, a, b) | Expr::Hash(_, a, b) => vec![a, b],
        Expr::MapSlot { base, key, .. } => vec![base, key],
        Expr::Checked { a, b, .. } => vec![a, b],
        Expr::Un(_, a)
        | Expr::Balance(a)
        | Expr::SLoad(a)
        | Expr::MLoad(a)
        | Expr::DataSlot(a)
        | Expr::Alloc(a) => vec![a],
        Expr::HashWords(_, ws) | Expr::Intrinsic(_, ws) | Expr::Call(_, ws) => ws.iter().collect(),
        Expr::EvmAsm { inputs, .. } => inputs.iter().collect(),
        Expr::Seq(_, v) => vec![v],
        Expr::Cond(c, a, b) => vec![c, a, b],
        Expr::Message { args, .. } | Expr::AbiEncode(args) => args.iter().map(|(e, _)| e).collect(),
        Expr::Send {
            gas,
            target,
            value,
            payload,
            ..
        } => {
            let mut v: Vec<&Expr> = vec![target, value];
            if let Payload::Message(p) | Payload::Bytes(p) = payload {
                v.push(p);
            }
            v.extend(gas.as_deref());
            v
        }
        Expr::Create {
            value, args, salt, ..
        } => {
            let mut v: Vec<&Expr> = vec![value];
            v.extend(args.iter().map(|(e, _)| e));
            v.extend(salt.as_deref());
            v
        }
        Expr::SendAsync {
            target,
            value,
            gas,
            message,
            reply,
        } => {
            let mut v: Vec<&Expr> = vec![target, value, gas, message];
            if let Some(r) = reply {
                v.push(&r.gas);
            }
            v
        }
        Expr::AsyncReturn(_, b) => vec![b],
        Expr::Lowered(l) => l.children(),
    }
}

/// The expressions a statement evaluates itself (not those of nested statement lists).
pub fn stmt_exprs_mut(s: &mut Stmt) -> Vec<&mut Expr> {
    match s {
        Stmt::Let(_, e) | Stmt::Set(_, e) | Stmt::Expr(e) | Stmt::Assert(e, _) => vec![e],
        Stmt::If(c, _, _) => vec![c],
        Stmt::SStore(a, b) | Stmt::MStore(a, b) => vec![a, b],
        Stmt::MCopy(a, b, c) => vec![a, b, c],
        Stmt::Return(vals) | Stmt::Revert(crate::Revert::Error { args: vals, .. }) => {
            vals.iter_mut().map(|(e, _)| e).collect()
        }
        Stmt::Emit { fields, .. } => fields.iter_mut().map(|f| &mut f.value).collect(),
        Stmt::Lowered(l) => l.exprs_mut(),
        Stmt::Block(..)
        | Stmt::Exit(_)
        | Stmt::Loop { .. }
        | Stmt::Break(_)
        | Stmt::Continue(_)
        | Stmt::Revert(_) => vec![],
    }
}

/// Read-only `stmt_exprs_mut`.
pub fn stmt_exprs(s: &Stmt) -> Vec<&Expr> {
    match s {
        Stmt::Let(_, e) | Stmt::Set(_, e) | Stmt::Expr(e) | Stmt::Assert(e, _) => vec![e],
        Stmt::If(c, _, _) => vec![c],
        Stmt::SStore(a, b) | Stmt::MStore(a, b) => vec![a, b],
        Stmt::MCopy(a, b, c) => vec![a, b, c],
        Stmt::Return(vals) | Stmt::Revert(crate::Revert::Error { args: vals, .. }) => {
            vals.iter().map(|(e, _)| e).collect()
        }
        Stmt::Emit { fields, .. } => fields.iter().map(|f| &f.value).collect(),
        Stmt::Lowered(l) => l.exprs(),
        _ => vec![],
    }
}

/// Whether the statement ends the message with a failure.
pub fn is_revert(s: &Stmt) -> bool {
    matches!(
        s,
        Stmt::Revert(_) | Stmt::Lowered(crate::LStmt::RevertError { .. })
    )
}

/// Whether the expression itself calls out or creates (may re-enter, write any storage).
/// Inline assembly counts as one: it may read any storage slot (and the scratch memory), so
/// no knowledge of storage survives it and no store before it is dropped.
pub fn calls_out(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Send { .. }
            | Expr::Call(..)
            | Expr::EvmAsm { .. }
            | Expr::Create { .. }
            | Expr::Intrinsic(crate::Intrinsic::CreateCode, _)
            | Expr::SendAsync { .. }
            | Expr::Lowered(crate::LExpr::Call { .. } | crate::LExpr::Create { .. })
    )
}

/// The statement lists nested directly in a statement.
pub fn sub_lists_mut(s: &mut Stmt) -> Vec<&mut Vec<Stmt>> {
    match s {
        Stmt::If(_, a, b) => vec![a, b],
        Stmt::Block(_, b) => vec![b],
        Stmt::Loop { body, step, .. } => vec![body, step],
        _ => vec![],
    }
}

pub fn sub_lists(s: &Stmt) -> Vec<&Vec<Stmt>> {
    match s {
        Stmt::If(_, a, b) => vec![a, b],
        Stmt::Block(_, b) => vec![b],
        Stmt::Loop { body, step, .. } => vec![body, step],
        _ => vec![],
    }
}

/// Rewrites every expression bottom-up (children before parents), statements inside `Seq`s
/// included.
pub fn rewrite_expr(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    if let Expr::Seq(ss, _) = e {
        rewrite_stmts(ss, f);
    }
    for c in children_mut(e) {
        rewrite_expr(c, f);
    }
    f(e);
}

pub fn rewrite_stmts(ss: &mut [Stmt], f: &mut dyn FnMut(&mut Expr)) {
    for s in ss {
        rewrite_stmt(s, f);
    }
}

pub fn rewrite_stmt(s: &mut Stmt, f: &mut dyn FnMut(&mut Expr)) {
    for e in stmt_exprs_mut(s) {
        rewrite_expr(e, f);
    }
    for l in sub_lists_mut(s) {
        rewrite_stmts(l, f);
    }
}

/// Visits every expression (parents before children), statements inside `Seq`s included.
pub fn visit_expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    if let Expr::Seq(ss, _) = e {
        visit_stmts(ss, &mut |_| {}, f);
    }
    for c in children(e) {
        visit_expr(c, f);
    }
}

/// Visits every statement (`fs`) and expression (`fe`), nested ones included.
pub fn visit_stmts(ss: &[Stmt], fs: &mut dyn FnMut(&Stmt), fe: &mut dyn FnMut(&Expr)) {
    for s in ss {
        visit_stmt(s, fs, fe);
    }
}

pub fn visit_stmt(s: &Stmt, fs: &mut dyn FnMut(&Stmt), fe: &mut dyn FnMut(&Expr)) {
    fs(s);
    for e in stmt_exprs(s) {
        visit_expr_full(e, fs, fe);
    }
    for l in sub_lists(s) {
        visit_stmts(l, fs, fe);
    }
}

fn visit_expr_full(e: &Expr, fs: &mut dyn FnMut(&Stmt), fe: &mut dyn FnMut(&Expr)) {
    fe(e);
    if let Expr::Seq(ss, _) = e {
        visit_stmts(ss, fs, fe);
    }
    for c in children(e) {
        visit_expr_full(c, fs, fe);
    }
}

/// Whether any sub-expression satisfies `p`.
pub fn expr_any(e: &Expr, p: &mut dyn FnMut(&Expr) -> bool) -> bool {
    let mut found = false;
    visit_expr(e, &mut |x| {
        if !found && p(x) {
            found = true;
        }
    });
    found
}

/// Whether any statement or expression in the list satisfies the predicates.
pub fn stmts_any(
    ss: &[Stmt],
    ps: &mut dyn FnMut(&Stmt) -> bool,
    pe: &mut dyn FnMut(&Expr) -> bool,
) -> bool {
    let found = std::cell::Cell::new(false);
    visit_stmts(
        ss,
        &mut |s| {
            if !found.get() && ps(s) {
                found.set(true);
            }
        },
        &mut |e| {
            if !found.get() && pe(e) {
                found.set(true);
            }
        },
    );
    found.get()
}

/// How each local is declared, assigned and read across a body.
#[derive(Default, Debug)]
pub struct LocalInfo {
    pub lets: BTreeMap<LocalId, u32>,
    pub sets: BTreeMap<LocalId, u32>,
    pub uses: BTreeMap<LocalId, u32>,
    pub params: BTreeSet<LocalId>,
    /// Labels targeted by `Exit`, `Break` or `Continue`.
    pub targets: BTreeSet<LabelId>,
}

impl LocalInfo {
    pub fn of(body: &[Stmt], params: &[Param]) -> LocalInfo {
        let mut info = LocalInfo {
            params: params.iter().map(|p| p.local).collect(),
            ..LocalInfo::default()
        };
        let (mut lets, mut sets, mut uses, mut targets) = (
            BTreeMap::new(),
            BTreeMap::new(),
            BTreeMap::<LocalId, u32>::new(),
            BTreeSet::new(),
        );
        visit_stmts(
            body,
            &mut |s| match s {
                Stmt::Let(l, _) => *lets.entry(*l).or_insert(0) += 1,
                Stmt::Set(l, _) => *sets.entry(*l).or_insert(0) += 1,
                Stmt::Exit(l) | Stmt::Break(l) | Stmt::Continue(l) => {
                    targets.insert(*l);
                }
                _ => {}
            },
            &mut |e| {
                if let Expr::Local(l) = e {
                    *uses.entry(*l).or_insert(0) += 1;
                }
            },
        );
        info.lets = lets;
        info.sets = sets;
        info.uses = uses;
        info.targets = targets;
        info
    }

    pub fn uses(&self, l: LocalId) -> u32 {
        self.uses.get(&l).copied().unwrap_or(0)
    }

    /// A local whose value never changes while it is in scope: a parameter that is never
    /// assigned, or a local declared exactly once and never assigned.
    pub fn stable(&self, l: LocalId) -> bool {
        let lets = self.lets.get(&l).copied().unwrap_or(0);
        let sets = self.sets.get(&l).copied().unwrap_or(0);
        sets == 0
            && ((self.params.contains(&l) && lets == 0) || (lets == 1 && !self.params.contains(&l)))
    }
}

/// Environment values that cannot change during one message.
pub fn invariant_env(e: Env) -> bool {
    matches!(
        e,
        Env::Caller
            | Env::Origin
            | Env::CallValue
            | Env::Address
            | Env::Number
            | Env::Timestamp
            | Env::ChainId
    )
}

/// An expression whose value is the same wherever it is evaluated while its locals are in
/// scope: constants, stable locals, invariant environment values, hashes and pure arithmetic
/// of those (no memory or storage reads).
pub fn is_stable(e: &Expr, info: &LocalInfo) -> bool {
    match e {
        Expr::Const(_) => true,
        Expr::Local(l) => info.stable(*l),
        Expr::Env(v) => invariant_env(*v),
        Expr::Bin(_, a, b) => is_stable(a, info) && is_stable(b, info),
        Expr::Un(_, a) => is_stable(a, info),
        Expr::HashWords(crate::HashAlg::Keccak256, ws) => ws.iter().all(|w| is_stable(w, info)),
        _ => false,
    }
}

/// Whether the expression, evaluated, can write storage or memory that others read, call out,
/// or assign locals: anything beyond reading.
pub fn has_effects(e: &Expr) -> bool {
    expr_any(e, &mut |x| {
        calls_out(x)
            || matches!(
                x,
                Expr::Seq(..)
                    | Expr::Alloc(_)
                    | Expr::Message { .. }
                    | Expr::Reply(_)
                    | Expr::ReplyBytes
                    | Expr::AbiEncode(_)
                    | Expr::Intrinsic(..)
                    | Expr::Hash(crate::HashAlg::Sha256 | crate::HashAlg::Blake2b256, ..)
                    | Expr::HashWords(crate::HashAlg::Sha256 | crate::HashAlg::Blake2b256, _)
                    | Expr::Lowered(crate::LExpr::AbiEncode { .. })
                    | Expr::MapSlot {
                        bytes_key: true,
                        ..
                    }
            )
    })
}

/// The locals a statement list declares or assigns anywhere (nested included).
pub fn assigned_locals(ss: &[Stmt]) -> BTreeSet<LocalId> {
    let mut out = BTreeSet::new();
    visit_stmts(
        ss,
        &mut |s| {
            if let Stmt::Let(l, _) | Stmt::Set(l, _) = s {
                out.insert(*l);
            }
        },
        &mut |_| {},
    );
    out
}

/// The locals an expression reads.
pub fn locals_in(e: &Expr) -> BTreeSet<LocalId> {
    let mut out = BTreeSet::new();
    visit_expr(e, &mut |x| {
        if let Expr::Local(l) = x {
            out.insert(*l);
        }
    });
    out
}

/// Whether control can never continue past the statement.
pub fn terminates(s: &Stmt) -> bool {
    match s {
        Stmt::Return(_) | Stmt::Exit(_) | Stmt::Break(_) | Stmt::Continue(_) => true,
        s if is_revert(s) => true,
        Stmt::Assert(Expr::Const(v), _) => v.is_zero(),
        Stmt::If(Expr::Const(v), a, b) => {
            if v.is_zero() {
                list_terminates(b)
            } else {
                list_terminates(a)
            }
        }
        Stmt::If(_, a, b) => list_terminates(a) && list_terminates(b),
        Stmt::Block(l, body) => list_terminates(body) && !targets(body, *l),
        // A loop without a `Break` never ends normally.
        Stmt::Loop { label, body, step } => {
            let mut brk = |s: &Stmt| matches!(s, Stmt::Break(x) if x == label);
            !stmts_any(body, &mut brk, &mut |_| false) && !stmts_any(step, &mut brk, &mut |_| false)
        }
        _ => false,
    }
}

pub fn list_terminates(ss: &[Stmt]) -> bool {
    ss.iter().any(terminates)
}

/// Whether the list contains an `Exit`/`Break`/`Continue` to `label`.
pub fn targets(ss: &[Stmt], label: LabelId) -> bool {
    stmts_any(
        ss,
        &mut |s| matches!(s, Stmt::Exit(l) | Stmt::Break(l) | Stmt::Continue(l) if *l == label),
        &mut |_| false,
    )
}

/// The largest local and label ids used in a body (for fresh ids).
pub fn max_ids(ss: &[Stmt], params: &[Param]) -> (LocalId, LabelId) {
    let ml = std::cell::Cell::new(params.iter().map(|p| p.local).max().unwrap_or(0));
    let mut mb = 0;
    visit_stmts(
        ss,
        &mut |s| match s {
            Stmt::Let(l, _) | Stmt::Set(l, _) => ml.set(ml.get().max(*l)),
            Stmt::Block(l, _)
            | Stmt::Loop { label: l, .. }
            | Stmt::Exit(l)
            | Stmt::Break(l)
            | Stmt::Continue(l) => mb = mb.max(*l),
            _ => {}
        },
        &mut |e| {
            if let Expr::Local(l) = e {
                ml.set(ml.get().max(*l));
            }
        },
    );
    (ml.get(), mb)
}
