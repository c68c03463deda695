//! Spilling: when a handler needs more live locals than the EVM's 16 reachable stack slots,
//! some of its locals move to fixed memory words (`0x80 + 32·k`, below the heap). The rewrite
//! is on the handler's IR, so the emitter stays a plain stack allocator: `let l = e` becomes
//! `mstore(off, e)`, `l = e` the same, and every read of `l` an `mload(off)`. A spilled
//! parameter is stored to its word first thing.
//!
//! The generator retries: each "stack too deep" names the local it could not reach (or the
//! deepest one then live), which is spilled, until the code fits or [`MAX_SPILLS`] is hit.

use tandem_lang_ir::opt::util::{children_mut, rewrite_stmts, stmt_exprs_mut, sub_lists_mut};
use tandem_lang_ir::{Expr, Handler, LocalId, Stmt, U256};

/// At most this many locals per contract move to memory.
pub const MAX_SPILLS: usize = 64;

/// The first spill word; the heap starts after the last one.
pub const SPILL_BASE: u64 = 0x80;

/// Moves local `l` of `h` to the memory word at `off`.
pub fn spill(h: &mut Handler, l: LocalId, off: u64) {
    let params: Vec<LocalId> = h.params.iter().map(|p| p.local).collect();
    spill_body(&mut h.body, &params, l, off);
}

/// Moves local `l` of a body (a handler's, or a non-recursive internal function's) to the
/// memory word at `off`; a parameter is stored there first thing. A function's result local
/// is not spilled here: it is read when the body ends, so the emitter keeps it on the stack
/// (it is never the victim: see `Gen::stack_too_deep`).
pub fn spill_body(body: &mut Vec<Stmt>, params: &[LocalId], l: LocalId, off: u64) {
    let at = || Expr::Const(U256::from(off));
    stores(body, l, off);
    rewrite_stmts(body, &mut |e| {
        if matches!(e, Expr::Local(x) if *x == l) {
            *e = Expr::MLoad(Box::new(at()));
        }
    });
    if params.contains(&l) {
        body.insert(0, Stmt::MStore(at(), Expr::Local(l)));
    }
}

/// `let l = e` and `l = e` become stores, in nested statement lists and `Seq`s too.
fn stores(ss: &mut [Stmt], l: LocalId, off: u64) {
    for s in ss.iter_mut() {
        if let Stmt::Let(x, e) | Stmt::Set(x, e) = s
            && *x == l
        {
            let value = std::mem::replace(e, Expr::Const(U256::ZERO));
            *s = Stmt::MStore(Expr::Const(U256::from(off)), value);
        }
        for e in stmt_exprs_mut(s) {
            stores_in_expr(e, l, off);
        }
        for list in sub_lists_mut(s) {
            stores(list, l, off);
        }
    }
}

fn stores_in_expr(e: &mut Expr, l: LocalId, off: u64) {
    if let Expr::Seq(ss, _) = e {
        stores(ss, l, off);
    }
    for c in children_mut(e) {
        stores_in_expr(c, l, off);
    }
}
