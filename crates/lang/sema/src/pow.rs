//! Checked exponentiation, lowered here to plain IR so that both backends get it alike: the
//! exact power, reverting with `Panic(0x11)` when it does not fit the type (Solidity ≥ 0.8).
//! A power that only wraps at 2^256 (EXP) is never taken as the answer.

use crate::cx::Cx;
use tandem_lang_ir::{
    BinOp as IB, CheckedOp, Expr as IrExpr, Revert, Stmt as IrStmt, U256, UnOp as IU,
};

/// Unsigned powers with a constant exponent up to this are unrolled into checked products.
const UNROLL_MAX: u64 = 64;

fn panic_if(cond: IrExpr) -> IrStmt {
    IrStmt::If(cond, vec![IrStmt::Revert(Revert::Panic(0x11))], vec![])
}

/// `x * y > limit` for `x, y <= limit`, without the product: `y != 0 && x > limit / y`.
fn mul_over(x: IrExpr, y: IrExpr, limit: IrExpr) -> IrExpr {
    IrExpr::bin(
        IB::And,
        IrExpr::un(IU::IsZero, IrExpr::un(IU::IsZero, y.clone())),
        IrExpr::bin(IB::Gt, x, IrExpr::bin(IB::Div, limit, y)),
    )
}

impl Cx<'_, '_> {
    /// `a ** b` on an integer type of `bits` width (`b` unsigned, any width).
    pub(crate) fn checked_pow(&mut self, signed: bool, bits: u16, a: IrExpr, b: IrExpr) -> IrExpr {
        let a = self.spill(a);
        let b = self.spill(b);
        if !signed
            && let IrExpr::Const(k) = &b
            && *k <= U256::from(UNROLL_MAX)
        {
            return self.unrolled_pow(bits, a, k.to::<u64>());
        }
        let max = if signed {
            (U256::from(1) << (bits as usize - 1)) - U256::from(1)
        } else if bits == 256 {
            U256::MAX
        } else {
            (U256::from(1) << bits as usize) - U256::from(1)
        };
        // The magnitude of the result is computed unsigned against `limit`: the type's maximum,
        // or one more for a signed result that is negative (a negative base, an odd exponent).
        let e = self.local();
        self.emit(IrStmt::Let(e, b));
        let e = IrExpr::Local(e);
        let (base, limit, neg) = if signed {
            let is_neg = self.spill(IrExpr::bin(IB::SLt, a.clone(), IrExpr::c(0)));
            let neg = self.spill(IrExpr::bin(
                IB::And,
                is_neg.clone(),
                IrExpr::bin(IB::And, e.clone(), IrExpr::c(1)),
            ));
            let base = self.local();
            self.emit(IrStmt::Let(
                base,
                IrExpr::Cond(
                    Box::new(is_neg),
                    Box::new(IrExpr::bin(IB::Sub, IrExpr::c(0), a.clone())),
                    Box::new(a),
                ),
            ));
            let limit = self.spill(IrExpr::plus(IrExpr::Const(max), neg.clone()));
            (IrExpr::Local(base), limit, Some(neg))
        } else {
            let base = self.local();
            self.emit(IrStmt::Let(base, a));
            (IrExpr::Local(base), IrExpr::Const(max), None)
        };
        let IrExpr::Local(base_l) = base else {
            unreachable!()
        };
        let IrExpr::Local(e_l) = e else {
            unreachable!()
        };
        let r = self.local();
        self.emit(IrStmt::Let(r, IrExpr::c(1)));
        let rv = IrExpr::Local(r);
        let label = self.label();
        let done = || {
            IrStmt::If(
                IrExpr::un(IU::IsZero, e.clone()),
                vec![IrStmt::Break(label)],
                vec![],
            )
        };
        let body = vec![
            done(),
            IrStmt::If(
                IrExpr::bin(IB::And, e.clone(), IrExpr::c(1)),
                vec![
                    panic_if(mul_over(rv.clone(), base.clone(), limit.clone())),
                    IrStmt::Set(r, IrExpr::bin(IB::Mul, rv.clone(), base.clone())),
                ],
                vec![],
            ),
            IrStmt::Set(e_l, IrExpr::bin(IB::Shr, e.clone(), IrExpr::c(1))),
            // Square only while bits remain: the result is then at least the square, so a
            // square over the limit is an overflow and never a false alarm.
            done(),
            panic_if(mul_over(base.clone(), base.clone(), limit)),
            IrStmt::Set(base_l, IrExpr::bin(IB::Mul, base.clone(), base)),
        ];
        self.emit(IrStmt::Loop {
            label,
            body,
            step: vec![],
        });
        match neg {
            Some(neg) => self.spill(IrExpr::Cond(
                Box::new(neg),
                Box::new(IrExpr::bin(IB::Sub, IrExpr::c(0), rv.clone())),
                Box::new(rv),
            )),
            None => rv,
        }
    }

    /// An unsigned power with a small constant exponent: square and multiply with checked
    /// products, squaring only while bits remain (so no square overflows spuriously).
    fn unrolled_pow(&mut self, bits: u16, a: IrExpr, k: u64) -> IrExpr {
        let mul = |x: IrExpr, y: IrExpr| IrExpr::Checked {
            op: CheckedOp::Mul,
            signed: false,
            bits,
            a: Box::new(x),
            b: Box::new(y),
        };
        let mut result: Option<IrExpr> = None;
        let mut base = a;
        let mut k = k;
        while k > 0 {
            if k & 1 == 1 {
                result = Some(match result {
                    None => base.clone(),
                    Some(r) => self.spill(mul(r, base.clone())),
                });
            }
            k >>= 1;
            if k > 0 {
                base = self.spill(mul(base.clone(), base));
            }
        }
        result.unwrap_or(IrExpr::c(1))
    }
}
