//! Constant arguments: a parameter of an internal function that every call passes the same
//! constant is dropped from the signature and declared at the body's entry with that
//! constant, so the other passes fold it into the body. A recursive call that passes the
//! parameter itself on (unassigned in the body) counts as passing the same constant.
//!
//! The case that matters: a method on a struct in storage gets the struct's base slot as its
//! first parameter (`sema/src/real_fns.rs`), and every caller passes the same slot (the
//! contract's storage root, `0`); the body then addresses fixed slots again, as an inlined
//! copy would, and each call pushes one word less.
//!
//! Dropping an argument is safe because a constant has no effects, and evaluation order of
//! the others is unchanged. The rewrite repeats while it finds more: a method that passes its
//! (now constant) slot on to another method makes that call's argument constant too.

use super::inline::{bodies, bodies_mut};
use super::util::{assigned_locals, rewrite_stmts, visit_stmts};
use crate::{Contract, Expr, FuncId, Stmt, U256};

/// Applies the rewrite to every function of one contract.
pub fn run(c: &mut Contract) {
    // A dropped parameter that the body passes on to another function makes that argument a
    // constant too: repeat until nothing changes (each round drops at least one parameter).
    loop {
        let mut changed = false;
        for f in 0..c.functions.len() {
            // From the last parameter down, so the indices still to look at do not move.
            for i in (0..c.functions[f].params.len()).rev() {
                if let Some(v) = constant_arg(c, f, i) {
                    drop_param(c, f, i, v);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// The constant every call of function `f` passes as parameter `i`, if there is one.
fn constant_arg(c: &Contract, f: usize, i: usize) -> Option<U256> {
    let func = &c.functions[f];
    let param = func.params[i];
    let arity = func.params.len();
    let forwards = !assigned_locals(&func.body).contains(&param);
    let mut value: Option<U256> = None;
    let mut ok = true;
    let all = bodies(c);
    // `bodies` lists the functions last, in order.
    let own_body = all.len() - c.functions.len() + f;
    for (b, body) in all.into_iter().enumerate() {
        let own = b == own_body;
        visit_stmts(body, &mut |_| {}, &mut |e| {
            let Expr::Call(g, args) = e else { return };
            if *g as usize != f || !ok {
                return;
            }
            match args.get(i) {
                _ if args.len() != arity => ok = false,
                Some(Expr::Const(v)) => match value {
                    Some(w) if w != *v => ok = false,
                    _ => value = Some(*v),
                },
                Some(Expr::Local(l)) if own && *l == param && forwards => {}
                _ => ok = false,
            }
        });
    }
    if ok { value } else { None }
}

/// Removes parameter `i` of function `f` (declaring it at entry as `v`) and the argument from
/// every call.
fn drop_param(c: &mut Contract, f: usize, i: usize, v: U256) {
    let param = c.functions[f].params.remove(i);
    let body = &mut c.functions[f].body;
    if !assigned_locals(body).contains(&param) {
        // Never assigned: every use is the constant (what copy propagation would do, done
        // here so the calls this body makes see a constant argument in the next round).
        rewrite_stmts(body, &mut |e| {
            if *e == Expr::Local(param) {
                *e = Expr::Const(v);
            }
        });
    }
    body.insert(0, Stmt::Let(param, Expr::Const(v)));
    let id = f as FuncId;
    for body in bodies_mut(c) {
        rewrite_stmts(body, &mut |e| {
            if let Expr::Call(g, args) = e
                && *g == id
                && i < args.len()
            {
                args.remove(i);
            }
        });
    }
}
