//! A mapping entry updated in place (`balances[to] += v`) reaches the backend as
//! `let t = map_slot(b, k); sstore(t, f(sload(t)))`: the slot as a word in a local. Compiled
//! as written, the hash's bytes become limbs for the local, then big-endian bytes again for
//! the read's key and again for the write's. When the slot's operands are constants and
//! locals that nothing assigns, both accesses take the `map_slot` expression itself:
//! `storage.rs` passes the hash's bytes straight to the slot syscalls, and the map-slot memo
//! (`Rt::MapMemo`) hashes the slot once, as the `let` did. Same syscalls in the same order.

use tandem_lang_ir::opt::util::{LocalInfo, assigned_locals, locals_in, sub_lists_mut, visit_expr};
use tandem_lang_ir::{Expr, LocalId, Stmt};

/// Rewrites every `let t = map_slot(..); sstore(t, f(sload(t)))` pair of the body.
pub fn run(body: &mut Vec<Stmt>) {
    let info = LocalInfo::of(body, &[]);
    rewrite_list(body, &info);
}

fn rewrite_list(list: &mut Vec<Stmt>, info: &LocalInfo) {
    let mut i = 0;
    while i < list.len() {
        if i + 1 < list.len()
            && let Some(t) = in_place_update(&list[i], &list[i + 1], info)
            && let Stmt::Let(_, slot) = list.remove(i)
            && let Stmt::SStore(at, value) = &mut list[i]
        {
            // the `let` is gone; its two uses take the slot expression
            *at = slot.clone();
            replace_local(value, t, &slot);
        }
        for sub in sub_lists_mut(&mut list[i]) {
            rewrite_list(sub, info);
        }
        i += 1;
    }
}

/// The local `t` when `first` is `let t = map_slot(..)` with operands that can be evaluated
/// again to the same word and `second` is `sstore(t, v)` with `t` read once in `v`, by
/// `sload(t)`, and nowhere else in the body, and `v` calls no function and uses at most one
/// other word-keyed map slot (so the rewrite never adds a `crypto_hash`).
fn in_place_update(first: &Stmt, second: &Stmt, info: &LocalInfo) -> Option<LocalId> {
    let Stmt::Let(t, slot @ Expr::MapSlot { .. }) = first else {
        return None;
    };
    let Stmt::SStore(Expr::Local(at), value) = second else {
        return None;
    };
    if at != t || assigned(info, *t) || info.uses(*t) != 2 || !stable(slot, info) {
        return None;
    }
    let mut loads = 0;
    let mut binds_operand = false;
    // Other map slots `v` hashes: the memo keeps two, so the store still finds the entry's
    // slot there after one more; after two it would hash it again, which the `let` did not.
    let mut other_slots = 0;
    let mut calls = false;
    let operands = locals_in(slot);
    visit_expr(value, &mut |e| match e {
        Expr::SLoad(inner) if matches!(**inner, Expr::Local(l) if l == *t) => loads += 1,
        Expr::MapSlot {
            bytes_key: false, ..
        } => other_slots += 1,
        Expr::Call(..) => calls = true,
        Expr::Seq(stmts, _) => {
            binds_operand |= assigned_locals(stmts).iter().any(|l| operands.contains(l));
        }
        _ => {}
    });
    (loads == 1 && !binds_operand && other_slots <= 1 && !calls).then_some(*t)
}

/// Whether the slot expression gives the same word wherever it is evaluated in the body: a
/// word-keyed `map_slot` of constants, locals never reassigned and such `map_slot`s.
fn stable(e: &Expr, info: &LocalInfo) -> bool {
    match e {
        Expr::Const(_) => true,
        Expr::Local(l) => !assigned(info, *l),
        Expr::MapSlot {
            base,
            key,
            bytes_key: false,
        } => stable(base, info) && stable(key, info),
        _ => false,
    }
}

/// Whether anything in the body assigns `l` (its `let` aside).
fn assigned(info: &LocalInfo, l: LocalId) -> bool {
    info.sets.contains_key(&l)
}

/// Replaces `sload(t)` in `e` with `sload(slot)`.
fn replace_local(e: &mut Expr, t: LocalId, slot: &Expr) {
    tandem_lang_ir::opt::util::rewrite_expr(e, &mut |x| {
        if let Expr::SLoad(inner) = x
            && matches!(**inner, Expr::Local(l) if l == t)
        {
            **inner = slot.clone();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::run;
    use tandem_lang_ir::{BinOp, Expr, Stmt, U256};

    fn slot(key: u32) -> Expr {
        Expr::MapSlot {
            base: Box::new(Expr::Const(U256::from(1))),
            key: Box::new(Expr::Local(key)),
            bytes_key: false,
        }
    }

    /// `let t = map_slot(1, k); sstore(t, add(sload(t), v))`
    fn update(t: u32, k: u32, v: u32) -> Vec<Stmt> {
        let add = Expr::Bin(
            BinOp::Add,
            Box::new(Expr::SLoad(Box::new(Expr::Local(t)))),
            Box::new(Expr::Local(v)),
        );
        vec![Stmt::Let(t, slot(k)), Stmt::SStore(Expr::Local(t), add)]
    }

    #[test]
    fn an_in_place_update_uses_the_slot_expression() {
        let mut body = update(5, 1, 2);
        run(&mut body);
        let add = Expr::Bin(
            BinOp::Add,
            Box::new(Expr::SLoad(Box::new(slot(1)))),
            Box::new(Expr::Local(2)),
        );
        assert_eq!(body, vec![Stmt::SStore(slot(1), add)]);
    }

    #[test]
    fn nested_updates_are_rewritten_too() {
        let mut body = vec![Stmt::If(Expr::Local(9), update(5, 1, 2), vec![])];
        run(&mut body);
        let Stmt::If(_, then, _) = &body[0] else {
            panic!("{body:?}")
        };
        assert!(matches!(then[..], [Stmt::SStore(Expr::MapSlot { .. }, _)]));
    }

    #[test]
    fn a_reassigned_key_keeps_the_let() {
        let mut body = update(5, 1, 2);
        body.push(Stmt::Set(1, Expr::Const(U256::ZERO)));
        let before = body.clone();
        run(&mut body);
        assert_eq!(body, before);
    }

    #[test]
    fn a_slot_used_again_keeps_the_let() {
        let mut body = update(5, 1, 2);
        body.push(Stmt::Expr(Expr::SLoad(Box::new(Expr::Local(5)))));
        let before = body.clone();
        run(&mut body);
        assert_eq!(body, before);
    }

    #[test]
    fn an_update_reading_two_other_slots_keeps_the_let() {
        // bal[k] += bal[x] + bal[y]: the memo's two entries would no longer hold bal[k]
        let others = Expr::Bin(
            BinOp::Add,
            Box::new(Expr::SLoad(Box::new(slot(3)))),
            Box::new(Expr::SLoad(Box::new(slot(4)))),
        );
        let add = Expr::Bin(
            BinOp::Add,
            Box::new(Expr::SLoad(Box::new(Expr::Local(5)))),
            Box::new(others),
        );
        let mut body = vec![Stmt::Let(5, slot(1)), Stmt::SStore(Expr::Local(5), add)];
        let before = body.clone();
        run(&mut body);
        assert_eq!(body, before);
    }

    #[test]
    fn a_store_of_another_value_keeps_the_let() {
        // sstore(t, v): no read of t, nothing to share
        let mut body = vec![
            Stmt::Let(5, slot(1)),
            Stmt::SStore(Expr::Local(5), Expr::Local(2)),
        ];
        let before = body.clone();
        run(&mut body);
        assert_eq!(body, before);
    }
}
