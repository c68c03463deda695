//! The middle IR's optimiser. Each handler body and the init body are optimised on their own,
//! running the passes below in turn until nothing changes (or a bounded number of rounds):
//!
//! - [`fold`]: constant folding and algebraic simplification, checked arithmetic with
//!   constant operands, canonical conditions;
//! - [`copyprop`]: propagation of locals assigned once from a constant, another such local or
//!   an environment value that cannot change during a message;
//! - [`dce`]: dead code (after terminators, constant `If`s and `Assert`s, unused pure `Let`s,
//!   blocks nobody exits, `Seq`s in statement position);
//! - [`range`]: checked arithmetic that cannot overflow given guards on the path and known
//!   ranges becomes plain arithmetic;
//! - [`storage`]: repeated `SLoad`s of a slot reuse a local, `SLoad` after `SStore` reuses the
//!   stored value, stores overwritten before any read are dropped, repeated mapping-slot hashes
//!   are computed once.
//!
//! Before them, [`inline`] applies the inlining policy to the contract's internal functions
//! (single-use and small ones are copied into their callers, recursive ones never) and
//! [`const_args`] moves a parameter every call passes the same constant into the body (a
//! storage method's base slot); the functions that stay are optimised like any body
//! ([`optimize_function`]).
//!
//! Every pass only transforms what it can prove equivalent (including the revert behaviour and
//! the exact width semantics of `Checked`); when unsure it leaves the code alone. No pass
//! panics on malformed IR, and output never depends on hash-map order.

pub mod const_args;
pub mod copyprop;
pub mod dce;
pub mod fold;
pub mod inline;
pub mod range;
pub mod storage;
pub mod util;

use crate::{LabelId, LocalId, Module, Param, Stmt};

/// Rounds of all passes per body, at most.
const MAX_ROUNDS: usize = 8;

/// Per-body state shared by the passes: fresh ids and the parameters.
pub struct Ctx<'a> {
    pub params: &'a [Param],
    next_local: LocalId,
    next_label: LabelId,
}

impl<'a> Ctx<'a> {
    pub fn new(body: &[Stmt], params: &'a [Param]) -> Ctx<'a> {
        let (l, b) = util::max_ids(body, params);
        Ctx {
            params,
            next_local: l.saturating_add(1),
            next_label: b.saturating_add(1),
        }
    }

    /// A local id not used anywhere in the body.
    pub fn fresh_local(&mut self) -> LocalId {
        let l = self.next_local;
        self.next_local = self.next_local.saturating_add(1);
        l
    }

    pub fn fresh_label(&mut self) -> LabelId {
        let l = self.next_label;
        self.next_label = self.next_label.saturating_add(1);
        l
    }

    /// Appends statements that ran in their own scope to `out`: directly when that cannot
    /// lengthen a local's life (no top-level `Let`, or nothing follows in a scope), else
    /// inside a fresh block.
    pub fn splice(&mut self, out: &mut Vec<Stmt>, ss: Vec<Stmt>, last: bool) {
        if last || !ss.iter().any(|s| matches!(s, Stmt::Let(..))) {
            out.extend(ss);
        } else if !ss.is_empty() {
            let l = self.fresh_label();
            out.push(Stmt::Block(l, ss));
        }
    }
}

/// The passes, for running one alone (tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Fold,
    CopyProp,
    Dce,
    Range,
    Storage,
}

pub const ALL_PASSES: [Pass; 5] = [
    Pass::Fold,
    Pass::CopyProp,
    Pass::Dce,
    Pass::Range,
    Pass::Storage,
];

/// Applies the inlining policy, then optimises every init, handler and function body.
pub fn optimize(m: &mut Module) {
    for c in &mut m.contracts {
        inline::run(c);
        const_args::run(c);
        for f in &mut c.functions {
            optimize_function(f);
        }
        optimize_body(&mut c.init.body, &c.init.params);
        for s in c.specials_mut() {
            optimize_body(&mut s.body, &s.params);
        }
        for h in &mut c.handlers {
            optimize_body(&mut h.body, &h.params);
        }
    }
}

/// Runs all passes on an internal function's body. Its parameters and result local are
/// declared at entry (passed as parameters), and the result is read when the body ends: a
/// trailing `Return` of it stands for that read while the passes run, so no store to it is
/// dropped, and is taken off again.
pub fn optimize_function(f: &mut crate::Function) {
    let word = crate::ValTy::Word(crate::WordTy::Uint(256));
    let params: Vec<Param> = f
        .params
        .iter()
        .chain(&f.result)
        .map(|l| Param {
            name: String::new(),
            ty: word.clone(),
            local: *l,
        })
        .collect();
    let tail = f
        .result
        .map(|r| Stmt::Return(vec![(crate::Expr::Local(r), word.clone())]));
    if let Some(t) = &tail {
        f.body.push(t.clone());
    }
    optimize_body(&mut f.body, &params);
    if let Some(t) = &tail
        && f.body.last() == Some(t)
    {
        f.body.pop();
    }
}

/// Runs all passes on one body until a fixpoint (bounded).
pub fn optimize_body(body: &mut Vec<Stmt>, params: &[Param]) {
    optimize_with(body, params, &ALL_PASSES);
}

/// Runs the given passes, in order, until a fixpoint (bounded).
pub fn optimize_with(body: &mut Vec<Stmt>, params: &[Param], passes: &[Pass]) {
    let mut cx = Ctx::new(body, params);
    for _ in 0..MAX_ROUNDS {
        let before = body.clone();
        for p in passes {
            run_pass(*p, body, &mut cx);
        }
        if *body == before {
            break;
        }
    }
}

/// Runs one pass once.
pub fn run_pass(p: Pass, body: &mut Vec<Stmt>, cx: &mut Ctx) {
    match p {
        Pass::Fold => fold::run(body, cx),
        Pass::CopyProp => copyprop::run(body, cx),
        Pass::Dce => dce::run(body, cx),
        Pass::Range => range::run(body, cx),
        Pass::Storage => storage::run(body, cx),
    }
}
