//! Checked arithmetic as plain IR: the operation, then the same overflow and zero-divisor
//! tests the EVM backend makes (`codegen-evm/src/arith.rs`), reverting with `Panic(0x11)` or
//! `Panic(0x12)`. Panics then come from exactly the same conditions on both targets.

use tandem_lang_ir::{BinOp, CheckedOp, Expr, LocalId, Revert, Stmt, U256, UnOp};

fn b(op: BinOp, x: Expr, y: Expr) -> Expr {
    Expr::bin(op, x, y)
}

fn guard(cond: Expr, code: u8) -> Stmt {
    Stmt::If(cond, vec![Stmt::Revert(Revert::Panic(code))], vec![])
}

/// The checked operation as IR; `fresh` hands out unused locals.
pub fn lower(
    op: CheckedOp,
    signed: bool,
    bits: u16,
    a: &Expr,
    bx: &Expr,
    fresh: &mut dyn FnMut() -> LocalId,
) -> Result<Expr, String> {
    let max = if signed {
        (U256::from(1) << (bits as usize - 1)) - U256::from(1)
    } else if bits == 256 {
        U256::MAX
    } else {
        (U256::from(1) << bits as usize) - U256::from(1)
    };
    let (la, lb, lr) = (fresh(), fresh(), fresh());
    let (x, y, r) = (Expr::Local(la), Expr::Local(lb), Expr::Local(lr));
    let mut ss = Vec::new();
    if op == CheckedOp::Neg {
        ss.push(Stmt::Let(la, a.clone()));
        ss.push(guard(b(BinOp::Eq, x.clone(), Expr::Const(!max)), 0x11));
        return Ok(Expr::Seq(ss, Box::new(b(BinOp::Sub, Expr::c(0), x))));
    }
    ss.push(Stmt::Let(lb, bx.clone()));
    ss.push(Stmt::Let(la, a.clone()));
    let range = |r: &Expr| guard(b(BinOp::Gt, r.clone(), Expr::Const(max)), 0x11);
    let plain = match op {
        CheckedOp::Add => BinOp::Add,
        CheckedOp::Sub => BinOp::Sub,
        _ => BinOp::Mul,
    };
    match (op, signed) {
        (CheckedOp::Add, false) if bits == 256 => {
            ss.push(Stmt::Let(lr, b(BinOp::Add, x.clone(), y)));
            ss.push(guard(b(BinOp::Lt, r.clone(), x), 0x11));
        }
        (CheckedOp::Sub, false) => {
            ss.push(guard(b(BinOp::Lt, x.clone(), y.clone()), 0x11));
            ss.push(Stmt::Let(lr, b(BinOp::Sub, x, y)));
        }
        (CheckedOp::Add | CheckedOp::Mul, false) if op == CheckedOp::Add || bits <= 128 => {
            ss.push(Stmt::Let(lr, b(plain, x, y)));
            ss.push(range(&r));
        }
        (CheckedOp::Mul, false) => {
            ss.push(Stmt::Let(lr, b(BinOp::Mul, x.clone(), y.clone())));
            let ok = b(
                BinOp::Or,
                Expr::un(UnOp::IsZero, x.clone()),
                b(BinOp::Eq, b(BinOp::Div, r.clone(), x), y),
            );
            ss.push(guard(Expr::un(UnOp::IsZero, ok), 0x11));
            if bits < 256 {
                ss.push(range(&r));
            }
        }
        (CheckedOp::Div | CheckedOp::Rem, _) => {
            ss.push(guard(Expr::un(UnOp::IsZero, y.clone()), 0x12));
            if signed && op == CheckedOp::Div {
                let min = b(BinOp::Eq, x.clone(), Expr::Const(!max));
                let m1 = b(BinOp::Eq, y.clone(), Expr::Const(U256::MAX));
                ss.push(guard(b(BinOp::And, min, m1), 0x11));
            }
            let code = match (op, signed) {
                (CheckedOp::Div, false) => BinOp::Div,
                (CheckedOp::Div, true) => BinOp::SDiv,
                (_, false) => BinOp::Mod,
                _ => BinOp::SMod,
            };
            ss.push(Stmt::Let(lr, b(code, x, y)));
        }
        (CheckedOp::Pow, _) => {
            // Checked only against the type's range, as on the EVM (`**` on 256 bits wraps).
            ss.push(Stmt::Let(lr, b(BinOp::Exp, x, y)));
            if !signed && bits < 256 {
                ss.push(range(&r));
            }
        }
        (_, true) if bits < 256 && (op != CheckedOp::Mul || bits <= 128) => {
            ss.push(Stmt::Let(lr, b(plain, x, y)));
            let ext = b(BinOp::SignExtend, r.clone(), Expr::c(bits as u64 / 8 - 1));
            ss.push(guard(
                Expr::un(UnOp::IsZero, b(BinOp::Eq, ext, r.clone())),
                0x11,
            ));
        }
        (CheckedOp::Add | CheckedOp::Sub, true) => {
            ss.push(Stmt::Let(lr, b(plain, x.clone(), y.clone())));
            let cmp = if op == CheckedOp::Add {
                BinOp::SLt
            } else {
                BinOp::SGt
            };
            let neg = b(BinOp::SLt, y, Expr::c(0));
            ss.push(guard(b(BinOp::Xor, b(cmp, r.clone(), x), neg), 0x11));
        }
        (CheckedOp::Mul, true) => {
            // As the EVM backend: the 256-bit product overflowed iff x != 0 and
            // sdiv(r, x) != y, or (the one case sdiv cannot see) x < 0 and y is the 256-bit
            // minimum; a narrower type then checks its own range.
            ss.push(Stmt::Let(lr, b(BinOp::Mul, x.clone(), y.clone())));
            let wrapped = b(
                BinOp::And,
                Expr::un(UnOp::IsZero, Expr::un(UnOp::IsZero, x.clone())),
                Expr::un(
                    UnOp::IsZero,
                    b(BinOp::Eq, b(BinOp::SDiv, r.clone(), x.clone()), y.clone()),
                ),
            );
            ss.push(guard(wrapped, 0x11));
            if bits == 256 {
                let min = Expr::Const(U256::from(1) << 255);
                let neg = b(BinOp::SLt, x, Expr::c(0));
                ss.push(guard(b(BinOp::And, neg, b(BinOp::Eq, y, min)), 0x11));
            } else {
                let ext = b(BinOp::SignExtend, r.clone(), Expr::c(bits as u64 / 8 - 1));
                ss.push(guard(
                    Expr::un(UnOp::IsZero, b(BinOp::Eq, ext, r.clone())),
                    0x11,
                ));
            }
        }
        _ => return Err("internal: unsupported checked operation".into()),
    }
    Ok(Expr::Seq(ss, Box::new(r)))
}
