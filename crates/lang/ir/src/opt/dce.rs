//! Dead code and structural clean-up:
//!
//! - statements after one that never falls through (`Return`, `Revert`, `Exit`, `Break`,
//!   `Continue`, an `If` whose arms both end so, `assert 0`, ...) are dropped;
//! - `If` on a constant condition keeps only the arm taken; `If` with two empty arms keeps its
//!   condition's effects only; `Assert` of a non-zero constant goes;
//! - locals never read lose their `Let`/`Set` (the value is still evaluated when impure);
//! - pure expression statements go;
//! - blocks nobody exits are flattened into their parent when that cannot lengthen a local's
//!   life; an `Exit` at the very end of its own block (or a `Continue` at the end of its loop's
//!   body) goes;
//! - a `Seq` evaluated first by a statement has its statements hoisted in front of it (saving
//!   the stack shuffling that yields the value out of the `Seq`'s scope); a statement followed
//!   only by a `Return` of constants counts as the last of its scope for this and for
//!   flattening blocks.

use super::Ctx;
use super::util::{LocalInfo, stmt_exprs_mut, terminates};
use crate::{Expr, LStmt, LabelId, Stmt, U256, ValTy};

fn take(e: &mut Expr) -> Expr {
    std::mem::replace(e, Expr::Const(U256::ZERO))
}

pub fn run(body: &mut Vec<Stmt>, cx: &mut Ctx) {
    let info = LocalInfo::of(body, cx.params);
    list(body, false, &info, cx);
}

fn has_top_let(ss: &[Stmt]) -> bool {
    ss.iter().any(|s| matches!(s, Stmt::Let(..)))
}

/// Removes a jump to `label` that is the last thing executed in `ss` (where falling off the
/// end of `ss` reaches the same place as the jump).
fn strip_trailing(ss: &mut Vec<Stmt>, label: LabelId, is_continue: bool) {
    match ss.last_mut() {
        Some(Stmt::Exit(l) | Stmt::Break(l)) if *l == label && !is_continue => {
            ss.pop();
        }
        Some(Stmt::Continue(l)) if *l == label && is_continue => {
            ss.pop();
        }
        Some(Stmt::If(_, a, b)) => {
            strip_trailing(a, label, is_continue);
            strip_trailing(b, label, is_continue);
        }
        Some(Stmt::Block(_, b)) => strip_trailing(b, label, is_continue),
        _ => {}
    }
}

/// Simplifies the statements nested in one statement's expressions (`Seq` bodies).
fn in_exprs(s: &mut Stmt, info: &LocalInfo, cx: &mut Ctx) {
    for e in stmt_exprs_mut(s) {
        in_expr(e, info, cx);
    }
}

fn in_expr(e: &mut Expr, info: &LocalInfo, cx: &mut Ctx) {
    if let Expr::Seq(ss, v) = e {
        list(ss, true, info, cx);
        // A `Seq` that never reaches its value: the statements that defined the locals the
        // value reads may have been dropped above, so it must not read them (found by the
        // fuzzer's lang-diff target: a tuple reply after an `assert(false)` that followed a
        // loop failed the verifier).
        if ss.iter().any(terminates) {
            **v = Expr::Const(U256::ZERO);
        }
    }
    for c in super::util::children_mut(e) {
        in_expr(c, info, cx);
    }
}

/// The expression a statement evaluates before anything else, if hoisting statements out of
/// it keeps the order of effects.
fn first_evaluated(s: &mut Stmt) -> Option<&mut Expr> {
    match s {
        Stmt::Let(_, e) | Stmt::Set(_, e) | Stmt::Expr(e) | Stmt::Assert(e, _) => Some(e),
        Stmt::If(c, _, _) => Some(c),
        // The value is evaluated before the address.
        Stmt::SStore(_, v) | Stmt::MStore(_, v) | Stmt::Lowered(LStmt::MStore8(_, v)) => Some(v),
        // Encoding writes each word after evaluating it; hoisting the first value's statements
        // is safe when the other values are pure (they cannot observe the order).
        Stmt::Return(vals)
            if !vals.is_empty()
                && matches!(vals[0].1, ValTy::Word(_))
                && vals[1..].iter().all(|(e, _)| e.is_pure()) =>
        {
            Some(&mut vals[0].0)
        }
        _ => None,
    }
}

/// Whether the statement ends the body without reading any local: a `Return` of constants
/// (nothing after it can use a local whose life hoisting lengthened).
fn plain_return(s: Option<&Stmt>) -> bool {
    matches!(s, Some(Stmt::Return(vals)) if vals.iter().all(|(e, _)| matches!(e, Expr::Const(_))))
}

fn list(ss: &mut Vec<Stmt>, in_seq: bool, info: &LocalInfo, cx: &mut Ctx) {
    let old = std::mem::take(ss);
    let n = old.len();
    // The last statement, when it is a `Return` reading no local, does not make the one
    // before it any less last.
    let tail = if !in_seq && n >= 2 && plain_return(old.last()) {
        n - 1
    } else {
        n
    };
    for (i, mut s) in old.into_iter().enumerate() {
        let last = (i + 1 == n || i + 1 == tail) && !in_seq;
        in_exprs(&mut s, info, cx);
        // Hoist a leading `Seq`'s statements.
        let term = matches!(s, Stmt::Return(_));
        if let Some(e) = first_evaluated(&mut s)
            && let Expr::Seq(inner, v) = e
            && (!has_top_let(inner) || last || term)
        {
            let inner = std::mem::take(inner);
            let v = take(v);
            *e = v;
            let ends = inner.iter().any(terminates);
            ss.extend(inner);
            if ends {
                return;
            }
        }
        match s {
            Stmt::Let(x, e) | Stmt::Set(x, e) if info.uses(x) == 0 => {
                if !e.is_pure() {
                    ss.push(Stmt::Expr(e));
                }
            }
            Stmt::Expr(e) if e.is_pure() => {}
            Stmt::Assert(Expr::Const(v), _) if !v.is_zero() => {}
            Stmt::If(Expr::Const(v), mut a, mut b) => {
                let arm = if v.is_zero() { &mut b } else { &mut a };
                list(arm, false, info, cx);
                let arm = std::mem::take(arm);
                let ends = arm.iter().any(terminates);
                cx.splice(ss, arm, last);
                if ends {
                    return;
                }
            }
            Stmt::If(c, mut a, mut b) => {
                list(&mut a, false, info, cx);
                list(&mut b, false, info, cx);
                if a.is_empty() && b.is_empty() {
                    if !c.is_pure() {
                        ss.push(Stmt::Expr(c));
                    }
                } else {
                    ss.push(Stmt::If(c, a, b));
                }
            }
            Stmt::Block(l, mut body) => {
                list(&mut body, false, info, cx);
                strip_trailing(&mut body, l, false);
                if !info.targets.contains(&l) && (last || !has_top_let(&body)) {
                    ss.extend(body);
                } else if !body.is_empty() {
                    ss.push(Stmt::Block(l, body));
                }
            }
            Stmt::Loop {
                label,
                mut body,
                mut step,
            } => {
                list(&mut body, false, info, cx);
                list(&mut step, false, info, cx);
                strip_trailing(&mut body, label, true);
                ss.push(Stmt::Loop { label, body, step });
            }
            s => ss.push(s),
        }
        if ss.last().is_some_and(terminates) {
            return;
        }
    }
}
