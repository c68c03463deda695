//! The inlining policy: which internal functions ([`crate::Function`]) stay functions and
//! which are copied into their callers.
//!
//! A function is inlined at every call site when it is not recursive (it does not reach
//! itself through calls) and either
//! - it is called from at most one place (a copy costs nothing extra; a function never
//!   called is dropped), or
//! - its body is small: at most [`SMALL`] IR nodes (statements and expressions), where a
//!   call's own code (pushing the return label and the arguments, the jumps, moving the
//!   result into place: about 8 bytes and 30 gas on the EVM per site, a `call` and the
//!   argument moves on WASM) would cost about as much as the body.
//!
//! Everything else stays a function, called by [`crate::Expr::Call`]. Inlining repeats
//! until no function qualifies (each round removes one function), so a chain of small or
//! single-use functions collapses into its callers.
//!
//! A call `f(a1..an)` becomes `Seq([let p1' = a1, .., let pn' = an, let r' = 0, body'], r')`
//! with every local and label of the body renamed to ids unused in the contract: the same
//! evaluation order (arguments left to right, then the body) and the same result.

use super::util::{max_ids, rewrite_stmts, stmt_exprs_mut, sub_lists_mut, visit_stmts};
use crate::{Contract, Expr, FuncId, LabelId, LocalId, Stmt};
use std::collections::HashMap;

/// A body of at most this many IR nodes is inlined wherever it is called.
pub const SMALL: usize = 12;

/// Applies the policy to one contract.
pub fn run(c: &mut Contract) {
    let (mut next_local, mut next_label) = contract_max_ids(c);
    for _ in 0..=c.functions.len() {
        let counts = call_counts(c);
        let recursive = recursive(c);
        let pick = (0..c.functions.len())
            .find(|&f| !recursive[f] && (counts[f] <= 1 || size(&c.functions[f].body) <= SMALL));
        let Some(f) = pick else { break };
        let func = c.functions[f].clone();
        let f = f as FuncId;
        for body in bodies_mut(c) {
            rewrite_stmts(body, &mut |e| {
                if let Expr::Call(g, args) = e
                    && *g == f
                {
                    let args = std::mem::take(args);
                    *e = inlined(&func, args, &mut next_local, &mut next_label);
                }
            });
        }
        c.functions.remove(f as usize);
        for body in bodies_mut(c) {
            rewrite_stmts(body, &mut |e| {
                if let Expr::Call(g, _) = e
                    && *g > f
                {
                    *g -= 1;
                }
            });
        }
    }
}

/// Every statement list of the contract: init, `receive`/`fallback`, handlers, functions.
pub(super) fn bodies_mut(c: &mut Contract) -> Vec<&mut Vec<Stmt>> {
    let mut v: Vec<&mut Vec<Stmt>> = vec![&mut c.init.body];
    v.extend(c.receive.iter_mut().map(|s| &mut s.body));
    v.extend(c.fallback.iter_mut().map(|s| &mut s.body));
    v.extend(c.handlers.iter_mut().map(|h| &mut h.body));
    v.extend(c.functions.iter_mut().map(|f| &mut f.body));
    v
}

pub(super) fn bodies(c: &Contract) -> Vec<&Vec<Stmt>> {
    let mut v: Vec<&Vec<Stmt>> = vec![&c.init.body];
    v.extend(c.specials().map(|s| &s.body));
    v.extend(c.handlers.iter().map(|h| &h.body));
    v.extend(c.functions.iter().map(|f| &f.body));
    v
}

/// The next free local and label ids over the whole contract.
fn contract_max_ids(c: &Contract) -> (LocalId, LabelId) {
    let mut ml = 0;
    let mut mb = 0;
    let params: Vec<&crate::Param> = std::iter::once(&c.init.params)
        .chain(c.handlers.iter().map(|h| &h.params))
        .flatten()
        .collect();
    for p in params {
        ml = ml.max(p.local);
    }
    for f in &c.functions {
        for l in f.params.iter().chain(&f.result) {
            ml = ml.max(*l);
        }
    }
    for b in bodies(c) {
        let (l, lb) = max_ids(b, &[]);
        ml = ml.max(l);
        mb = mb.max(lb);
    }
    (ml.saturating_add(1), mb.saturating_add(1))
}

/// Call sites of each function, over every body.
fn call_counts(c: &Contract) -> Vec<usize> {
    let mut n = vec![0; c.functions.len()];
    for b in bodies(c) {
        visit_stmts(b, &mut |_| {}, &mut |e| {
            if let Expr::Call(f, _) = e
                && let Some(k) = n.get_mut(*f as usize)
            {
                *k += 1;
            }
        });
    }
    n
}

/// The functions each function calls directly.
fn callees(c: &Contract) -> Vec<Vec<usize>> {
    c.functions
        .iter()
        .map(|f| {
            let mut out = Vec::new();
            visit_stmts(&f.body, &mut |_| {}, &mut |e| {
                if let Expr::Call(g, _) = e
                    && !out.contains(&(*g as usize))
                {
                    out.push(*g as usize);
                }
            });
            out
        })
        .collect()
}

/// Whether each function reaches itself through calls (direct or mutual recursion).
pub fn recursive(c: &Contract) -> Vec<bool> {
    let edges = callees(c);
    (0..edges.len())
        .map(|start| {
            let mut seen = vec![false; edges.len()];
            let mut stack = edges[start].clone();
            while let Some(n) = stack.pop() {
                if n == start {
                    return true;
                }
                if n < seen.len() && !std::mem::replace(&mut seen[n], true) {
                    stack.extend(&edges[n]);
                }
            }
            false
        })
        .collect()
}

/// IR nodes of a body: statements and expressions.
pub fn size(body: &[Stmt]) -> usize {
    let n = std::cell::Cell::new(0);
    visit_stmts(body, &mut |_| n.set(n.get() + 1), &mut |_| {
        n.set(n.get() + 1)
    });
    n.get()
}

/// The body of `func` as an expression evaluating `args`, with fresh locals and labels.
fn inlined(
    func: &crate::Function,
    args: Vec<Expr>,
    next_local: &mut LocalId,
    next_label: &mut LabelId,
) -> Expr {
    let mut locals: HashMap<LocalId, LocalId> = HashMap::new();
    let mut labels: HashMap<LabelId, LabelId> = HashMap::new();
    let mut fresh_local = |l: LocalId, locals: &mut HashMap<LocalId, LocalId>| {
        *locals.entry(l).or_insert_with(|| {
            *next_local = next_local.saturating_add(1);
            *next_local - 1
        })
    };
    let mut out = Vec::new();
    for (p, a) in func.params.iter().zip(args) {
        out.push(Stmt::Let(fresh_local(*p, &mut locals), a));
    }
    let result = func.result.map(|r| fresh_local(r, &mut locals));
    if let Some(r) = result {
        out.push(Stmt::Let(r, Expr::c(0)));
    }
    let mut body = func.body.clone();
    rename(&mut body, &mut |l| fresh_local(l, &mut locals), &mut |b| {
        *labels.entry(b).or_insert_with(|| {
            *next_label = next_label.saturating_add(1);
            *next_label - 1
        })
    });
    out.extend(body);
    let value = result.map(Expr::Local).unwrap_or(Expr::c(0));
    Expr::Seq(out, Box::new(value))
}

/// Renames every local (declared, assigned, read) and label of a statement list.
fn rename(
    ss: &mut [Stmt],
    local: &mut dyn FnMut(LocalId) -> LocalId,
    label: &mut dyn FnMut(LabelId) -> LabelId,
) {
    for s in ss.iter_mut() {
        match s {
            Stmt::Let(l, _) | Stmt::Set(l, _) => *l = local(*l),
            Stmt::Block(l, _)
            | Stmt::Loop { label: l, .. }
            | Stmt::Exit(l)
            | Stmt::Break(l)
            | Stmt::Continue(l) => *l = label(*l),
            _ => {}
        }
        for e in stmt_exprs_mut(s) {
            rename_expr(e, local, label);
        }
        for list in sub_lists_mut(s) {
            rename(list, local, label);
        }
    }
}

fn rename_expr(
    e: &mut Expr,
    local: &mut dyn FnMut(LocalId) -> LocalId,
    label: &mut dyn FnMut(LabelId) -> LabelId,
) {
    match e {
        Expr::Local(l) => *l = local(*l),
        Expr::Seq(ss, _) => rename(ss, local, label),
        _ => {}
    }
    for c in super::util::children_mut(e) {
        rename_expr(c, local, label);
    }
}
