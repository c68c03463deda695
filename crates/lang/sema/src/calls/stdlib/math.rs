//! `std::math::mul_div(a, b, d)` and `mul_div_up`: `a * b / d` rounded down or up, exact with
//! a 512-bit intermediate product (what Uniswap's FullMath and OpenZeppelin's `Math.mulDiv`
//! give). Division by zero is `Panic(0x12)`; a quotient that does not fit 256 bits (or
//! rounding up past `u256::MAX`) is `Panic(0x11)`. `mul_mod` and `add_mod` are Solidity's
//! `mulmod`/`addmod` (exact, `Panic(0x12)` for a zero modulus).
//!
//! The IR has no MULMOD, so the product is built from 128-bit halves, and when its high word
//! is not zero the 512-by-256 division is a restoring long division of 256 steps. A product
//! below 2^256 (the usual case) costs one division.

use crate::cx::Cx;
use tandem_lang_ir::{
    BinOp as IB, Expr as IrExpr, LocalId, Revert, Stmt as IrStmt, U256, UnOp as IU,
};

fn panic_if(cond: IrExpr, code: u8) -> IrStmt {
    IrStmt::If(cond, vec![IrStmt::Revert(Revert::Panic(code))], vec![])
}

fn bin(op: IB, a: &IrExpr, b: &IrExpr) -> IrExpr {
    IrExpr::bin(op, a.clone(), b.clone())
}

impl Cx<'_, '_> {
    /// Declares a local holding `e` and returns it as an expression.
    fn let_(&mut self, e: IrExpr) -> (LocalId, IrExpr) {
        let l = self.local();
        self.emit(IrStmt::Let(l, e));
        (l, IrExpr::Local(l))
    }

    /// `a * b / d` (rounded up when `up`), for locals or constants `a`, `b`, `d`.
    pub(super) fn mul_div(&mut self, a: IrExpr, b: IrExpr, d: IrExpr, up: bool) -> IrExpr {
        self.emit(panic_if(IrExpr::un(IU::IsZero, d.clone()), 0x12));
        let (hi, lo) = self.wide_product(&a, &b);
        // The quotient and remainder, set on both paths.
        let (ql, q) = self.let_(bin(IB::Div, &lo, &d));
        let (rl, r) = self.let_(bin(IB::Mod, &lo, &d));
        let long = self.long_division(&hi, &lo, &d, ql, rl);
        self.emit(IrStmt::If(hi, long, vec![]));
        if !up {
            return q;
        }
        let (_, bump) = self.let_(IrExpr::un(IU::IsZero, IrExpr::un(IU::IsZero, r)));
        self.emit(panic_if(
            bin(
                IB::And,
                &bump,
                &IrExpr::un(IU::IsZero, IrExpr::un(IU::Not, q.clone())),
            ),
            0x11,
        ));
        let (_, out) = self.let_(IrExpr::plus(q, bump));
        out
    }

    /// `a * b % m` on the exact 512-bit product (Solidity's `mulmod`), `Panic(0x12)` when
    /// `m` is 0. A product below 2^256 costs one MOD; a wider one reduces its high word
    /// first (so the quotient fits) and runs the long division for the remainder.
    pub(super) fn mul_mod(&mut self, a: IrExpr, b: IrExpr, m: IrExpr) -> IrExpr {
        self.emit(panic_if(IrExpr::un(IU::IsZero, m.clone()), 0x12));
        let (hi, lo) = self.wide_product(&a, &b);
        let (ql, _) = self.let_(IrExpr::c(0));
        let (rl, r) = self.let_(bin(IB::Mod, &lo, &m));
        let saved = std::mem::take(&mut self.out);
        let (_, hi_reduced) = self.let_(bin(IB::Mod, &hi, &m));
        let long = self.long_division(&hi_reduced, &lo, &m, ql, rl);
        self.out.extend(long);
        let wide = std::mem::replace(&mut self.out, saved);
        self.emit(IrStmt::If(hi, wide, vec![]));
        r
    }

    /// `(a + b) % m` on the exact 257-bit sum (Solidity's `addmod`), `Panic(0x12)` when `m`
    /// is 0: both reduced below `m`, their sum taken back by `m` once when it reaches `m` or
    /// wraps past 2^256.
    pub(super) fn add_mod(&mut self, a: IrExpr, b: IrExpr, m: IrExpr) -> IrExpr {
        self.emit(panic_if(IrExpr::un(IU::IsZero, m.clone()), 0x12));
        let (_, x) = self.let_(bin(IB::Mod, &a, &m));
        let (_, y) = self.let_(bin(IB::Mod, &b, &m));
        let (sl, s) = self.let_(bin(IB::Add, &x, &y));
        let wrapped = bin(IB::Lt, &s, &x);
        let reached = IrExpr::un(IU::IsZero, bin(IB::Lt, &s, &m));
        self.emit(IrStmt::If(
            bin(IB::Or, &wrapped, &reached),
            vec![IrStmt::Set(sl, bin(IB::Sub, &s, &m))],
            vec![],
        ));
        s
    }

    /// The 512-bit product `a·b` as locals `(hi, lo)`.
    fn wide_product(&mut self, a: &IrExpr, b: &IrExpr) -> (IrExpr, IrExpr) {
        let low_mask = IrExpr::Const((U256::from(1) << 128) - U256::from(1));
        let c128 = IrExpr::c(128);
        let (_, a0) = self.let_(bin(IB::And, a, &low_mask));
        let (_, a1) = self.let_(bin(IB::Shr, a, &c128));
        let (_, b0) = self.let_(bin(IB::And, b, &low_mask));
        let (_, b1) = self.let_(bin(IB::Shr, b, &c128));
        // a·b = a1·b1·2^256 + (a1·b0 + a0·b1)·2^128 + a0·b0; each partial product fits a word.
        let (_, p00) = self.let_(bin(IB::Mul, &a0, &b0));
        let (_, p01) = self.let_(bin(IB::Mul, &a0, &b1));
        let (_, p10) = self.let_(bin(IB::Mul, &a1, &b0));
        let (_, mid) = self.let_(bin(IB::Add, &p01, &p10));
        let (_, mid_carry) = self.let_(bin(IB::Lt, &mid, &p01));
        let (_, lo) = self.let_(IrExpr::plus(p00.clone(), bin(IB::Shl, &mid, &c128)));
        let (_, lo_carry) = self.let_(bin(IB::Lt, &lo, &p00));
        let hi_sum = IrExpr::plus(
            IrExpr::plus(bin(IB::Mul, &a1, &b1), bin(IB::Shr, &mid, &c128)),
            IrExpr::plus(bin(IB::Shl, &mid_carry, &c128), lo_carry),
        );
        let (_, hi) = self.let_(hi_sum);
        (hi, lo)
    }

    /// Statements dividing the 512-bit `hi·2^256 + lo` by `d` into the locals `ql` (quotient)
    /// and `rl` (remainder); `Panic(0x11)` when the quotient needs more than 256 bits.
    fn long_division(
        &mut self,
        hi: &IrExpr,
        lo: &IrExpr,
        d: &IrExpr,
        ql: LocalId,
        rl: LocalId,
    ) -> Vec<IrStmt> {
        let saved = std::mem::take(&mut self.out);
        self.emit(panic_if(IrExpr::un(IU::IsZero, bin(IB::Lt, hi, d)), 0x11));
        let (q, r) = (IrExpr::Local(ql), IrExpr::Local(rl));
        self.emit(IrStmt::Set(ql, IrExpr::c(0)));
        self.emit(IrStmt::Set(rl, hi.clone()));
        // Invariant: r < d. Each step shifts in the next bit of `lo` (from the top); the true
        // remainder 2r + bit < 2d may carry out of the word (`top`), and then it is ≥ d too.
        let (il, i) = self.let_(IrExpr::c(256));
        let (tl, top) = self.let_(IrExpr::c(0));
        let label = self.label();
        let body = vec![
            IrStmt::If(
                IrExpr::un(IU::IsZero, i.clone()),
                vec![IrStmt::Break(label)],
                vec![],
            ),
            IrStmt::Set(il, bin(IB::Sub, &i, &IrExpr::c(1))),
            IrStmt::Set(tl, bin(IB::Shr, &r, &IrExpr::c(255))),
            IrStmt::Set(
                rl,
                bin(
                    IB::Or,
                    &bin(IB::Shl, &r, &IrExpr::c(1)),
                    &bin(IB::And, &bin(IB::Shr, lo, &i), &IrExpr::c(1)),
                ),
            ),
            IrStmt::Set(ql, bin(IB::Shl, &q, &IrExpr::c(1))),
            IrStmt::If(
                bin(IB::Or, &top, &IrExpr::un(IU::IsZero, bin(IB::Lt, &r, d))),
                vec![
                    IrStmt::Set(rl, bin(IB::Sub, &r, d)),
                    IrStmt::Set(ql, bin(IB::Or, &q, &IrExpr::c(1))),
                ],
                vec![],
            ),
        ];
        self.emit(IrStmt::Loop {
            label,
            body,
            step: vec![],
        });
        std::mem::replace(&mut self.out, saved)
    }
}
