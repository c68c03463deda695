//! Copy and constant propagation: a local declared once and never assigned, whose value is a
//! constant, another such local (or unassigned parameter), or an environment value that cannot
//! change during the message, is replaced by that value at every use. The declaration is then
//! unused and `dce` removes it.
//!
//! Large constants used more than once stay in their local (a PUSH32 per use would grow the
//! code more than the DUPs it saves).

use super::Ctx;
use super::util::{LocalInfo, invariant_env, rewrite_stmts, visit_stmts};
use crate::{Expr, LocalId, Stmt, U256};
use std::collections::BTreeMap;

pub fn run(body: &mut [Stmt], cx: &mut Ctx) {
    let info = LocalInfo::of(body, cx.params);
    let mut subst: BTreeMap<LocalId, Expr> = BTreeMap::new();
    visit_stmts(
        body,
        &mut |s| {
            let Stmt::Let(x, e) = s else { return };
            if !info.stable(*x) || info.uses(*x) == 0 {
                return;
            }
            let ok = match e {
                Expr::Const(v) => *v < U256::from(1u64 << 32) || info.uses(*x) == 1,
                Expr::Local(y) => info.stable(*y) && y != x,
                Expr::Env(v) => invariant_env(*v),
                _ => false,
            };
            if ok {
                subst.insert(*x, e.clone());
            }
        },
        &mut |_| {},
    );
    if subst.is_empty() {
        return;
    }
    // Resolve chains (x = y, y = 5) so one rewrite suffices; bounded against cycles.
    let keys: Vec<LocalId> = subst.keys().copied().collect();
    for k in keys {
        let mut v = subst[&k].clone();
        for _ in 0..16 {
            match &v {
                Expr::Local(y) if *y != k => match subst.get(y) {
                    Some(n) => v = n.clone(),
                    None => break,
                },
                _ => break,
            }
        }
        if v == Expr::Local(k) {
            subst.remove(&k);
        } else {
            subst.insert(k, v);
        }
    }
    rewrite_stmts(body, &mut |e| {
        if let Expr::Local(l) = e
            && let Some(v) = subst.get(l)
        {
            *e = v.clone();
        }
    });
}
