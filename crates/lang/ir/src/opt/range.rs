//! Checked-arithmetic elision. A forward analysis over the structured control flow tracks
//!
//! - facts `a < b` and `a >= b` (unsigned) between expressions of locals and constants, from
//!   the conditions of `If`s (each arm gets its own; an arm that never falls through adds
//!   nothing at the join, so `if a < b { revert } ...` leaves `a >= b`) and `Assert`s;
//! - upper bounds of locals: parameters' ABI types (the decoder rejects dirty words),
//!   constants, masks, comparisons, and results of checked operations of a width.
//!
//! Facts about a local die when it is assigned; at a loop head only facts about locals the
//! loop never assigns survive; `Exit`/`Break`/`Continue` carry their state to their targets,
//! where states meet by intersection.
//!
//! An unsigned `Checked` operation that provably neither overflows its width nor divides by
//! zero becomes the plain `Bin` operation, whose word result is then identical; a mask
//! `and(x, 2^k - 1)` of a value known to fit in `k` bits becomes `x`.

use super::Ctx;
use super::fold::checked_max;
use super::util::{LocalInfo, assigned_locals, children_mut, invariant_env, locals_in, visit_expr};
use crate::{BinOp, CheckedOp, Env, Expr, LabelId, LocalId, Stmt, U256, UnOp, ValTy, WordTy};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Fact {
    /// `a < b`
    Lt(Expr, Expr),
    /// `a >= b`
    Ge(Expr, Expr),
}

impl Fact {
    fn mentions(&self, l: LocalId) -> bool {
        let (Fact::Lt(a, b) | Fact::Ge(a, b)) = self;
        locals_in(a).contains(&l) || locals_in(b).contains(&l)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct State {
    facts: Vec<Fact>,
    /// Upper bounds of locals' current values (absent: any word).
    hi: BTreeMap<LocalId, U256>,
}

impl State {
    fn kill(&mut self, l: LocalId) {
        self.facts.retain(|f| !f.mentions(l));
        self.hi.remove(&l);
    }

    fn kill_all(&mut self, ls: &BTreeSet<LocalId>) {
        for l in ls {
            self.kill(*l);
        }
    }

    fn add(&mut self, fs: Vec<Fact>) {
        for f in fs {
            if !self.facts.contains(&f) && self.facts.len() < 64 {
                self.facts.push(f);
            }
        }
    }
}

/// What holds on every incoming path (`None`: unreachable).
fn join(a: Option<State>, b: Option<State>) -> Option<State> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => {
            let facts = a
                .facts
                .iter()
                .filter(|f| b.facts.contains(f))
                .cloned()
                .collect();
            let hi =
                a.hi.iter()
                    .filter_map(|(l, x)| b.hi.get(l).map(|y| (*l, (*x).max(*y))))
                    .collect();
            Some(State { facts, hi })
        }
    }
}

/// Expressions facts may mention: their value depends only on locals.
fn fact_expr(e: &Expr) -> bool {
    match e {
        Expr::Const(_) | Expr::Local(_) => true,
        Expr::Env(v) => invariant_env(*v),
        Expr::Bin(_, a, b) => fact_expr(a) && fact_expr(b),
        Expr::Un(_, a) => fact_expr(a),
        _ => false,
    }
}

/// Facts that hold when `c` is non-zero (`truth`) or zero.
fn facts_of(c: &Expr, truth: bool, out: &mut Vec<Fact>) {
    match c {
        Expr::Un(UnOp::IsZero, x) => facts_of(x, !truth, out),
        Expr::Bin(op, a, b) if fact_expr(a) && fact_expr(b) => {
            let (a, b) = ((**a).clone(), (**b).clone());
            match (op, truth) {
                (BinOp::Lt, true) => out.push(Fact::Lt(a, b)),
                (BinOp::Lt, false) => out.push(Fact::Ge(a, b)),
                (BinOp::Gt, true) => out.push(Fact::Lt(b, a)),
                (BinOp::Gt, false) => out.push(Fact::Ge(b, a)),
                (BinOp::Eq, true) => {
                    out.push(Fact::Ge(a.clone(), b.clone()));
                    out.push(Fact::Ge(b, a));
                }
                _ => {}
            }
        }
        _ => {}
    }
    // A non-zero value: 0 < e.
    if truth && fact_expr(c) && !matches!(c, Expr::Un(..) | Expr::Const(_)) {
        out.push(Fact::Lt(Expr::Const(U256::ZERO), c.clone()));
    }
    match (c, truth) {
        (Expr::Bin(BinOp::And, a, b), true) | (Expr::Bin(BinOp::Or, a, b), false) => {
            facts_of(a, truth, out);
            facts_of(b, truth, out);
        }
        _ => {}
    }
}

fn bit_mask(v: U256) -> U256 {
    let n = v.bit_len();
    if n >= 256 {
        U256::MAX
    } else {
        (U256::from(1) << n) - U256::from(1)
    }
}

fn word_hi(t: &ValTy) -> Option<U256> {
    match t {
        ValTy::Word(WordTy::Uint(b)) if *b > 0 && *b < 256 => {
            Some((U256::from(1) << *b as usize) - U256::from(1))
        }
        ValTy::Word(WordTy::Bool) => Some(U256::from(1)),
        ValTy::Word(WordTy::Address) => Some((U256::from(1) << 160) - U256::from(1)),
        _ => None,
    }
}

/// Locals assigned by statements nested in an expression (its `Seq`s): facts read from the
/// expression's comparisons may not hold for them afterwards.
fn seq_assigned(e: &Expr) -> BTreeSet<LocalId> {
    let mut out = BTreeSet::new();
    visit_expr(e, &mut |x| {
        if let Expr::Seq(ss, _) = x {
            out.extend(assigned_locals(ss));
        }
    });
    out
}

struct Walk {
    exits: BTreeMap<LabelId, Vec<State>>,
    conts: BTreeMap<LabelId, Vec<State>>,
}

/// An upper bound of the word `e` evaluates to.
fn hi(e: &Expr, st: &State) -> U256 {
    let direct = match e {
        Expr::Const(v) => *v,
        Expr::Local(l) => st.hi.get(l).copied().unwrap_or(U256::MAX),
        Expr::Bin(op, a, b) => {
            let (x, y) = (hi(a, st), hi(b, st));
            match op {
                BinOp::And => x.min(y),
                BinOp::Or | BinOp::Xor => bit_mask(x.max(y)),
                BinOp::Add => x.checked_add(y).unwrap_or(U256::MAX),
                BinOp::Mul => x.checked_mul(y).unwrap_or(U256::MAX),
                BinOp::Div => x,
                BinOp::Mod => match b.as_ref() {
                    Expr::Const(k) if !k.is_zero() => x.min(*k - U256::from(1)),
                    _ => x,
                },
                BinOp::Shr => match b.as_ref() {
                    Expr::Const(k) if *k < U256::from(256) => x >> k.to::<usize>(),
                    Expr::Const(_) => U256::ZERO,
                    _ => x,
                },
                BinOp::Lt | BinOp::Gt | BinOp::SLt | BinOp::SGt | BinOp::Eq => U256::from(1),
                BinOp::Byte => U256::from(255),
                _ => U256::MAX,
            }
        }
        Expr::Un(UnOp::IsZero, _) => U256::from(1),
        Expr::Env(Env::Caller | Env::Origin | Env::Address) => {
            (U256::from(1) << 160) - U256::from(1)
        }
        Expr::Checked {
            op,
            signed: false,
            bits,
            a,
            b,
        } => {
            let max = checked_max(false, *bits).unwrap_or(U256::MAX);
            match op {
                CheckedOp::Add => max.min(hi(a, st).checked_add(hi(b, st)).unwrap_or(max)),
                CheckedOp::Mul => max.min(hi(a, st).checked_mul(hi(b, st)).unwrap_or(max)),
                CheckedOp::Pow => max,
                CheckedOp::Sub | CheckedOp::Div => hi(a, st),
                CheckedOp::Rem => {
                    let hb = hi(b, st);
                    hi(a, st).min(hb.saturating_sub(U256::from(1)))
                }
                CheckedOp::Neg => U256::MAX,
            }
        }
        Expr::Cond(_, a, b) => hi(a, st).max(hi(b, st)),
        _ => U256::MAX,
    };
    // Facts: e < n means e <= hi(n) - 1; n >= e means e <= hi(n).
    let mut best = direct;
    for f in &st.facts {
        match f {
            Fact::Lt(x, n) if x == e => {
                let h = hi_plain(n, st);
                if !h.is_zero() {
                    best = best.min(h - U256::from(1));
                }
            }
            Fact::Ge(n, x) if x == e => best = best.min(hi_plain(n, st)),
            _ => {}
        }
    }
    best
}

/// `hi` without consulting facts (bounds recursion).
fn hi_plain(e: &Expr, st: &State) -> U256 {
    let bare = State {
        facts: vec![],
        hi: st.hi.clone(),
    };
    hi(e, &bare)
}

/// A lower bound of the word `e` evaluates to.
fn lo(e: &Expr, st: &State) -> U256 {
    let mut best = match e {
        Expr::Const(v) => *v,
        _ => U256::ZERO,
    };
    for f in &st.facts {
        match f {
            Fact::Ge(x, Expr::Const(v)) if x == e => best = best.max(*v),
            Fact::Lt(m, x) if x == e => {
                let v = match m {
                    Expr::Const(v) => *v,
                    _ => U256::ZERO,
                };
                best = best.max(v.saturating_add(U256::from(1)));
            }
            _ => {}
        }
    }
    best
}

/// The plain operation with the same result, if the checks cannot fire.
fn elide(e: &mut Expr, st: &State) -> Option<Expr> {
    let Expr::Checked {
        op,
        signed,
        bits,
        a,
        b,
    } = e
    else {
        return None;
    };
    let max = checked_max(*signed, *bits)?;
    let (a, b) = (&mut **a, &mut **b);
    let o = match (*op, *signed) {
        (CheckedOp::Add, false) if hi(a, st).checked_add(hi(b, st)).is_some_and(|s| s <= max) => {
            BinOp::Add
        }
        (CheckedOp::Mul, false) if hi(a, st).checked_mul(hi(b, st)).is_some_and(|p| p <= max) => {
            BinOp::Mul
        }
        (CheckedOp::Sub, false)
            if st.facts.contains(&Fact::Ge(a.clone(), b.clone()))
                || st.facts.contains(&Fact::Lt(b.clone(), a.clone()))
                || hi(b, st) <= lo(a, st) =>
        {
            BinOp::Sub
        }
        (CheckedOp::Div | CheckedOp::Rem, false) if lo(b, st) >= U256::from(1) => {
            if *op == CheckedOp::Div {
                BinOp::Div
            } else {
                BinOp::Mod
            }
        }
        // A positive divisor: neither zero nor -1.
        (CheckedOp::Div | CheckedOp::Rem, true)
            if lo(b, st) >= U256::from(1) && hi(b, st) < (U256::from(1) << 255) =>
        {
            if *op == CheckedOp::Div {
                BinOp::SDiv
            } else {
                BinOp::SMod
            }
        }
        _ => return None,
    };
    let zero = || Expr::Const(U256::ZERO);
    Some(Expr::bin(
        o,
        std::mem::replace(a, zero()),
        std::mem::replace(b, zero()),
    ))
}

/// `and(x, 2^k - 1)` is `x` when `x` is known to fit in `k` bits (an address parameter or
/// `ctx.caller()` cleaned again before a store).
fn unmask(e: &mut Expr, st: &State) -> Option<Expr> {
    let Expr::Bin(BinOp::And, a, b) = e else {
        return None;
    };
    let low_mask = |m: &Expr| match m {
        Expr::Const(v) if *v == bit_mask(*v) => Some(*v),
        _ => None,
    };
    let zero = || Expr::Const(U256::ZERO);
    if let Some(m) = low_mask(b)
        && hi(a, st) <= m
    {
        return Some(std::mem::replace(&mut **a, zero()));
    }
    if let Some(m) = low_mask(a)
        && hi(b, st) <= m
    {
        return Some(std::mem::replace(&mut **b, zero()));
    }
    None
}

impl Walk {
    fn expr(&mut self, e: &mut Expr, st: &State) {
        if let Expr::Seq(ss, _) = e {
            self.list(ss, st.clone());
        }
        for c in children_mut(e) {
            self.expr(c, st);
        }
        if let Some(n) = elide(e, st) {
            *e = n;
        }
        if let Some(n) = unmask(e, st) {
            *e = n;
        }
    }

    /// The state valid throughout a statement's expressions: facts about locals assigned
    /// inside them (in `Seq`s) are dropped first.
    fn exprs(&mut self, es: Vec<&mut Expr>, st: &mut State) {
        let mut assigned = BTreeSet::new();
        for e in &es {
            visit_expr(e, &mut |x| {
                if let Expr::Seq(ss, _) = x {
                    assigned.extend(assigned_locals(ss));
                }
            });
        }
        st.kill_all(&assigned);
        for e in es {
            self.expr(e, st);
        }
    }

    fn list(&mut self, ss: &mut [Stmt], st: State) -> Option<State> {
        let mut cur = Some(st);
        for s in ss {
            let st = cur.take()?;
            cur = self.stmt(s, st);
        }
        cur
    }

    fn stmt(&mut self, s: &mut Stmt, mut st: State) -> Option<State> {
        match s {
            Stmt::Let(x, e) | Stmt::Set(x, e) => {
                self.exprs(vec![e], &mut st);
                let h = hi(e, &st);
                st.kill(*x);
                if h < U256::MAX {
                    st.hi.insert(*x, h);
                }
                Some(st)
            }
            Stmt::If(c, a, b) => {
                self.exprs(vec![c], &mut st);
                let (mut ta, mut tb) = (st.clone(), st);
                let (mut fa, mut fb) = (vec![], vec![]);
                facts_of(c, true, &mut fa);
                facts_of(c, false, &mut fb);
                let moved = seq_assigned(c);
                fa.retain(|f| !moved.iter().any(|l| f.mentions(*l)));
                fb.retain(|f| !moved.iter().any(|l| f.mentions(*l)));
                ta.add(fa);
                tb.add(fb);
                let ra = self.list(a, ta);
                let rb = self.list(b, tb);
                join(ra, rb)
            }
            Stmt::Assert(c, _) => {
                self.exprs(vec![c], &mut st);
                let mut fs = vec![];
                facts_of(c, true, &mut fs);
                let moved = seq_assigned(c);
                fs.retain(|f| !moved.iter().any(|l| f.mentions(*l)));
                st.add(fs);
                Some(st)
            }
            Stmt::Block(l, body) => {
                let l = *l;
                self.exits.insert(l, vec![]);
                let end = self.list(body, st);
                let exits = self.exits.remove(&l).unwrap_or_default();
                exits.into_iter().fold(end, |acc, x| join(acc, Some(x)))
            }
            Stmt::Exit(l) | Stmt::Break(l) => {
                self.exits.entry(*l).or_default().push(st);
                None
            }
            Stmt::Continue(l) => {
                self.conts.entry(*l).or_default().push(st);
                None
            }
            Stmt::Loop { label, body, step } => {
                let label = *label;
                let mut changed = assigned_locals(body);
                changed.extend(assigned_locals(step));
                st.kill_all(&changed);
                self.exits.insert(label, vec![]);
                self.conts.insert(label, vec![]);
                let end = self.list(body, st);
                let conts = self.conts.remove(&label).unwrap_or_default();
                let step_in = conts.into_iter().fold(end, |acc, x| join(acc, Some(x)));
                if let Some(s) = step_in {
                    self.list(step, s);
                }
                let exits = self.exits.remove(&label).unwrap_or_default();
                exits.into_iter().fold(None, |acc, x| join(acc, Some(x)))
            }
            s if matches!(s, Stmt::Return(_)) || super::util::is_revert(s) => {
                self.exprs(super::util::stmt_exprs_mut(s), &mut st);
                None
            }
            _ => {
                self.exprs(super::util::stmt_exprs_mut(s), &mut st);
                Some(st)
            }
        }
    }
}

pub fn run(body: &mut [Stmt], cx: &mut Ctx) {
    let info = LocalInfo::of(body, cx.params);
    let mut st = State::default();
    for p in cx.params {
        if info.sets.get(&p.local).copied().unwrap_or(0) == 0
            && let Some(h) = word_hi(&p.ty)
        {
            st.hi.insert(p.local, h);
        }
    }
    let mut w = Walk {
        exits: BTreeMap::new(),
        conts: BTreeMap::new(),
    };
    w.list(body, st);
}
