//! Storage read/write coalescing within a body.
//!
//! Slots are tracked only when their expression is *stable* (constants, locals declared once
//! and never assigned, unassigned parameters, message-invariant environment values, hashes of
//! those), so syntactic equality is value equality wherever the expression is in scope.
//!
//! - A slot loaded again later in the same straight-line code gets one `SLoad` into a local
//!   that the later reads reuse; an `SLoad` after an `SStore` to the same slot reuses the
//!   stored value (hoisted into a local when it is not one already).
//! - Knowledge dies at stores to possibly aliasing slots, at external calls and creations
//!   (re-entrancy), at statements with nested effects (`Seq`), at loops, and at joins unless
//!   both arms agree (an arm that never falls through does not count).
//! - In a statement whose only effect is one call, the call's operands (evaluated before it)
//!   reuse known values too.
//! - A `Seq`'s statements are a straight-line list of their own, coalesced the same way with
//!   no knowledge on entry, and nothing learnt in them survives the statement holding the
//!   `Seq` (they may store or call out, in an order relative to the rest of that statement
//!   that this pass does not track).
//! - A store is dropped when a later store in the same straight-line code writes the same slot
//!   and nothing in between can read a possibly aliasing slot, call out, or leave the code
//!   (a revert in between would undo both stores anyway).
//! - A mapping-slot hash computed more than once in the rest of a statement list is computed
//!   once into a local.
//!
//! Aliasing: distinct constant slots differ; a hash (optionally plus a constant offset) differs
//! from a small constant slot; hashes of different lengths, of different constant last words
//! (mapping base slots), or of the same words at different offsets differ. Anything else may
//! alias.
//!
//! Hoisting adds a stack slot, so it is skipped where many locals are already live.

use super::Ctx;
use super::util::{
    LocalInfo, assigned_locals, children, children_mut, is_stable, locals_in, stmt_exprs,
    stmt_exprs_mut, stmts_any,
};
use crate::{BinOp, Expr, HashAlg, LStmt, LocalId, Stmt, U256};
use std::collections::BTreeMap;

/// Locals live at a point above which no new local is introduced.
const MAX_LIVE: usize = 11;

type Avail = Vec<(Expr, LocalId)>;

enum Slot<'a> {
    Small(U256),
    Hash(&'a [Expr], U256),
    Other,
}

fn classify(e: &Expr) -> Slot<'_> {
    match e {
        Expr::Const(v) if *v < (U256::from(1) << 64) => Slot::Small(*v),
        Expr::HashWords(HashAlg::Keccak256, ws) if !ws.is_empty() => Slot::Hash(ws, U256::ZERO),
        Expr::Bin(BinOp::Add, a, b) => match (&**a, &**b) {
            (Expr::HashWords(HashAlg::Keccak256, ws), Expr::Const(k))
            | (Expr::Const(k), Expr::HashWords(HashAlg::Keccak256, ws))
                if !ws.is_empty() && *k < (U256::from(1) << 64) =>
            {
                Slot::Hash(ws, *k)
            }
            _ => Slot::Other,
        },
        _ => Slot::Other,
    }
}

/// Stable locals' defining expressions (a hoisted slot hash still has a known shape).
type Defs = BTreeMap<LocalId, Expr>;

fn resolve<'a>(e: &'a Expr, defs: &'a Defs) -> &'a Expr {
    let mut e = e;
    for _ in 0..8 {
        match e {
            Expr::Local(l) => match defs.get(l) {
                Some(d) => e = d,
                None => break,
            },
            _ => break,
        }
    }
    e
}

/// Whether two slot expressions may name the same slot.
pub fn may_alias(a: &Expr, b: &Expr, defs: &Defs) -> bool {
    if a == b {
        return true;
    }
    let (a, b) = (resolve(a, defs), resolve(b, defs));
    if a == b {
        return true;
    }
    match (classify(a), classify(b)) {
        (Slot::Small(x), Slot::Small(y)) => x == y,
        (Slot::Small(_), Slot::Hash(..)) | (Slot::Hash(..), Slot::Small(_)) => false,
        (Slot::Hash(w1, o1), Slot::Hash(w2, o2)) => {
            if w1.len() != w2.len() {
                return false;
            }
            if w1 == w2 {
                return o1 == o2;
            }
            !matches!((w1.last(), w2.last()), (Some(Expr::Const(x)), Some(Expr::Const(y))) if x != y)
        }
        _ => !matches!((a, b), (Expr::Const(x), Expr::Const(y)) if x != y),
    }
}

/// Calls, creations and nested statements: anything that may write storage or re-enter.
fn storage_effects(e: &Expr) -> bool {
    super::util::expr_any(e, &mut |x| {
        matches!(x, Expr::Seq(..)) || super::util::calls_out(x)
    })
}

fn stmt_storage_effects(s: &Stmt) -> bool {
    stmt_exprs(s).into_iter().any(storage_effects)
}

fn kill(avail: &mut Avail, slot: &Expr, defs: &Defs) {
    avail.retain(|(s, _)| !may_alias(s, slot, defs));
}

/// Knowledge that survives running `ss` (a summary: stores kill aliases, calls kill all).
fn survive(mut avail: Avail, ss: &[Stmt], defs: &Defs) -> Avail {
    let clear = stmts_any(ss, &mut |_| false, &mut super::util::calls_out);
    if clear {
        return vec![];
    }
    super::util::visit_stmts(
        ss,
        &mut |s| {
            if let Stmt::SStore(slot, _) = s {
                kill(&mut avail, slot, defs);
            }
        },
        &mut |_| {},
    );
    avail
}

/// Drops knowledge mentioning locals declared in `ss` (out of scope after it).
fn scoped(avail: Avail, ss: &[Stmt]) -> Avail {
    let inner = assigned_locals(ss);
    avail
        .into_iter()
        .filter(|(s, h)| !inner.contains(h) && locals_in(s).is_disjoint(&inner))
        .collect()
}

fn intersect(a: Avail, b: &Avail) -> Avail {
    a.into_iter().filter(|x| b.contains(x)).collect()
}

/// Whether an `SLoad` of a slot equal to `slot` occurs anywhere in `ss`.
fn loads_later(ss: &[Stmt], slot: &Expr) -> bool {
    stmts_any(
        ss,
        &mut |_| false,
        &mut |e| matches!(e, Expr::SLoad(s) if **s == *slot),
    )
}

/// Whether an `SLoad` of a slot that may alias `slot` occurs in the expression.
fn reads_alias(e: &Expr, slot: &Expr, defs: &Defs) -> bool {
    super::util::expr_any(
        e,
        &mut |x| matches!(x, Expr::SLoad(s) if may_alias(s, slot, defs)),
    )
}

/// Whether the store `SStore(slot, _)` at the head of `rest` is overwritten before anything
/// can observe it.
fn dead_store(slot: &Expr, rest: &[Stmt], defs: &Defs) -> bool {
    for t in rest {
        let exprs = stmt_exprs(t);
        if exprs
            .iter()
            .any(|e| storage_effects(e) || reads_alias(e, slot, defs))
        {
            return false;
        }
        match t {
            Stmt::SStore(s2, _) if s2 == slot => return true,
            s if super::util::is_revert(s) => return true,
            Stmt::Let(..)
            | Stmt::Set(..)
            | Stmt::SStore(..)
            | Stmt::MStore(..)
            | Stmt::Lowered(LStmt::MStore8(..) | LStmt::Log { .. })
            | Stmt::MCopy(..)
            | Stmt::Expr(_)
            | Stmt::Assert(..)
            | Stmt::Emit { .. } => {}
            _ => return false,
        }
    }
    false
}

/// Unconditionally evaluated sub-expressions satisfying `p` (not inside `Cond` arms or `Seq`s).
fn unconditional<'a>(e: &'a Expr, p: &dyn Fn(&Expr) -> bool, out: &mut Vec<&'a Expr>) {
    if p(e) {
        out.push(e);
    }
    match e {
        Expr::Seq(..) => {}
        Expr::Cond(c, _, _) => unconditional(c, p, out),
        _ => {
            for c in children(e) {
                unconditional(c, p, out);
            }
        }
    }
}

fn replace_in(e: &mut Expr, from: &Expr, to: LocalId) {
    if e == from {
        *e = Expr::Local(to);
        return;
    }
    if let Expr::Seq(ss, _) = e {
        for s in ss.iter_mut() {
            replace_in_stmt(s, from, to);
        }
    }
    for c in children_mut(e) {
        replace_in(c, from, to);
    }
}

fn replace_in_stmt(s: &mut Stmt, from: &Expr, to: LocalId) {
    for e in stmt_exprs_mut(s) {
        replace_in(e, from, to);
    }
    for l in super::util::sub_lists_mut(s) {
        for s in l.iter_mut() {
            replace_in_stmt(s, from, to);
        }
    }
}

/// In a statement whose one storage effect is a single call (no `Seq`, no other call), the
/// call's own operands are evaluated before it: their loads of known slots reuse the values.
fn reuse_before_call(s: &mut Stmt, avail: &Avail) {
    if avail.is_empty() {
        return;
    }
    let (mut calls, mut seqs) = (0, false);
    for e in stmt_exprs(s) {
        super::util::visit_expr(e, &mut |x| {
            calls += usize::from(super::util::calls_out(x));
            seqs |= matches!(x, Expr::Seq(..));
        });
    }
    if calls != 1 || seqs {
        return;
    }
    fn find(e: &mut Expr, avail: &Avail) {
        if super::util::calls_out(e) {
            for c in children_mut(e) {
                for (slot, h) in avail {
                    replace_in(c, &Expr::SLoad(Box::new(slot.clone())), *h);
                }
            }
            return;
        }
        for c in children_mut(e) {
            find(c, avail);
        }
    }
    for e in stmt_exprs_mut(s) {
        find(e, avail);
    }
}

fn count_in(ss: &[Stmt], target: &Expr) -> usize {
    let mut n = 0;
    super::util::visit_stmts(ss, &mut |_| {}, &mut |e| {
        if e == target {
            n += 1;
        }
    });
    n
}

struct Walk<'a, 'b> {
    info: LocalInfo,
    defs: Defs,
    cx: &'a mut Ctx<'b>,
}

impl Walk<'_, '_> {
    fn list(&mut self, ss: &mut Vec<Stmt>, mut avail: Avail, mut live: usize) -> Avail {
        let mut old = std::mem::take(ss);
        let n = old.len();
        for i in 0..n {
            let mut s = std::mem::replace(&mut old[i], Stmt::Exit(LocalId::MAX));
            let rest = &mut old[i + 1..];
            // Repeated mapping-slot hashes: compute once.
            if live < MAX_LIVE {
                let mut hs = vec![];
                for e in stmt_exprs(&s) {
                    unconditional(
                        e,
                        &|x| {
                            matches!(x, Expr::HashWords(HashAlg::Keccak256, _))
                                && is_stable(x, &self.info)
                        },
                        &mut hs,
                    );
                }
                let h = hs
                    .into_iter()
                    .find(|h| count_in(std::slice::from_ref(&s), h) + count_in(rest, h) >= 2);
                if let Some(h) = h.cloned() {
                    let t = self.cx.fresh_local();
                    ss.push(Stmt::Let(t, h.clone()));
                    live += 1;
                    replace_in_stmt(&mut s, &h, t);
                    for r in rest.iter_mut() {
                        replace_in_stmt(r, &h, t);
                    }
                }
            }
            if stmt_storage_effects(&s) {
                reuse_before_call(&mut s, &avail);
                for l in super::util::sub_lists_mut(&mut s) {
                    self.list(l, vec![], live);
                }
                // A `Seq`'s statements are straight-line code of their own: coalesce within
                // them, knowing nothing on entry (the statement around may have run anything
                // before) and keeping nothing after (they may write or call out).
                for e in stmt_exprs_mut(&mut s) {
                    self.seqs(e, live);
                }
                if matches!(s, Stmt::Let(..)) {
                    live += 1;
                }
                ss.push(s);
                avail.clear();
                continue;
            }
            // Reads: reuse known values, hoist slots read again later.
            let mut loads = vec![];
            for e in stmt_exprs(&s) {
                unconditional(
                    e,
                    &|x| matches!(x, Expr::SLoad(slot) if is_stable(slot, &self.info)),
                    &mut loads,
                );
            }
            let loads: Vec<Expr> = loads.into_iter().cloned().collect();
            for ld in loads {
                let Expr::SLoad(slot) = &ld else { continue };
                if let Some((_, h)) = avail.iter().find(|(s2, _)| *s2 == **slot) {
                    let h = *h;
                    for e in stmt_exprs_mut(&mut s) {
                        replace_in(e, &ld, h);
                    }
                    continue;
                }
                let direct = matches!(&s, Stmt::Let(x, e) if *e == ld && self.info.stable(*x));
                let again = count_in(std::slice::from_ref(&s), &ld) >= 2 || loads_later(rest, slot);
                if !direct && again && live < MAX_LIVE {
                    let t = self.cx.fresh_local();
                    ss.push(Stmt::Let(t, ld.clone()));
                    live += 1;
                    for e in stmt_exprs_mut(&mut s) {
                        replace_in(e, &ld, t);
                    }
                    avail.push(((**slot).clone(), t));
                }
            }
            match &mut s {
                Stmt::Let(x, Expr::SLoad(slot))
                    if self.info.stable(*x) && is_stable(slot, &self.info) =>
                {
                    avail.push(((**slot).clone(), *x));
                }
                Stmt::SStore(slot, v) => {
                    let slot = slot.clone();
                    if is_stable(&slot, &self.info) && dead_store(&slot, rest, &self.defs) {
                        let v = std::mem::replace(v, Expr::c(0));
                        if !v.is_pure() {
                            ss.push(Stmt::Expr(v));
                        }
                        continue;
                    }
                    if !is_stable(&slot, &self.info) {
                        avail.clear();
                    } else {
                        kill(&mut avail, &slot, &self.defs);
                        match v {
                            Expr::Local(y) if self.info.stable(*y) => avail.push((slot, *y)),
                            Expr::Local(_) | Expr::Const(_) => {}
                            _ if live < MAX_LIVE && loads_later(rest, &slot) => {
                                let t = self.cx.fresh_local();
                                let v = std::mem::replace(v, Expr::Local(t));
                                ss.push(Stmt::Let(t, v));
                                live += 1;
                                avail.push((slot, t));
                            }
                            _ => {}
                        }
                    }
                }
                Stmt::If(_, a, b) => {
                    let ra = self.list(a, avail.clone(), live);
                    let rb = self.list(b, avail.clone(), live);
                    let ra = scoped(ra, a);
                    let rb = scoped(rb, b);
                    let (ta, tb) = (
                        a.iter().any(super::util::terminates),
                        b.iter().any(super::util::terminates),
                    );
                    avail = match (ta, tb) {
                        (true, true) => vec![],
                        (true, false) => rb,
                        (false, true) => ra,
                        (false, false) => intersect(ra, &rb),
                    };
                }
                Stmt::Block(l, body) => {
                    let targeted = self.info.targets.contains(l);
                    let end = self.list(body, avail.clone(), live);
                    avail = if targeted {
                        survive(avail, body, &self.defs)
                    } else {
                        scoped(end, body)
                    };
                }
                Stmt::Loop { body, step, .. } => {
                    self.list(body, vec![], live);
                    self.list(step, vec![], live);
                    avail = survive(avail, body, &self.defs);
                    avail = survive(avail, step, &self.defs);
                }
                _ => {}
            }
            if matches!(s, Stmt::Let(..)) {
                live += 1;
            }
            ss.push(s);
        }
        avail
    }
}

impl Walk<'_, '_> {
    /// Runs [`Walk::list`] on the statements of every `Seq` in `e` (those nested in a `Seq`'s
    /// statements are reached through that list; those in its value here).
    fn seqs(&mut self, e: &mut Expr, live: usize) {
        if let Expr::Seq(ss, _) = e {
            self.list(ss, vec![], live);
        }
        for c in children_mut(e) {
            self.seqs(c, live);
        }
    }
}

pub fn run(body: &mut Vec<Stmt>, cx: &mut Ctx) {
    let info = LocalInfo::of(body, cx.params);
    let live = cx.params.len();
    let mut defs = Defs::new();
    super::util::visit_stmts(
        body,
        &mut |s| {
            if let Stmt::Let(x, e) = s
                && info.stable(*x)
                && is_stable(e, &info)
            {
                defs.insert(*x, e.clone());
            }
        },
        &mut |_| {},
    );
    let mut w = Walk { info, defs, cx };
    w.list(body, vec![], live);
}
