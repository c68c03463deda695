//! Constant folding and algebraic simplification.
//!
//! `eval_bin` and `eval_checked` give the exact word results of the EVM backend's code:
//! `eval_checked` mirrors `codegen-evm`'s `checked()` bit for bit (including the overflow
//! tests it performs on words, the `Panic(0x11)`/`Panic(0x12)` codes and the signed/unsigned
//! width handling), so folding never changes a result or a revert.

use super::Ctx;
use super::util::rewrite_stmts;
use crate::{BinOp, CheckedOp, Expr, Stmt, U256, UnOp};

fn neg(x: U256) -> bool {
    x.bit(255)
}

fn abs(x: U256) -> U256 {
    if neg(x) {
        U256::ZERO.wrapping_sub(x)
    } else {
        x
    }
}

fn bool_word(b: bool) -> U256 {
    if b { U256::from(1) } else { U256::ZERO }
}

fn slt(a: U256, b: U256) -> bool {
    match (neg(a), neg(b)) {
        (true, false) => true,
        (false, true) => false,
        _ => a < b,
    }
}

/// EVM `SIGNEXTEND(byte_index, value)`.
pub fn signextend(k: U256, x: U256) -> U256 {
    if k >= U256::from(31) {
        return x;
    }
    let bit = k.to::<usize>() * 8 + 7;
    let mask = (U256::from(1) << (bit + 1)) - U256::from(1);
    if x.bit(bit) { x | !mask } else { x & mask }
}

/// The word result of a plain binary operation (operands in IR order).
pub fn eval_bin(op: BinOp, a: U256, b: U256) -> U256 {
    let shift = |b: U256| -> Option<usize> {
        if b < U256::from(256) {
            Some(b.to::<usize>())
        } else {
            None
        }
    };
    match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::Div => a.checked_div(b).unwrap_or(U256::ZERO),
        BinOp::Mod => a.checked_rem(b).unwrap_or(U256::ZERO),
        BinOp::SDiv => {
            if b.is_zero() {
                return U256::ZERO;
            }
            let q = abs(a) / abs(b);
            if neg(a) != neg(b) {
                U256::ZERO.wrapping_sub(q)
            } else {
                q
            }
        }
        BinOp::SMod => {
            if b.is_zero() {
                return U256::ZERO;
            }
            let r = abs(a) % abs(b);
            if neg(a) {
                U256::ZERO.wrapping_sub(r)
            } else {
                r
            }
        }
        BinOp::Exp => a.wrapping_pow(b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => shift(b).map(|s| a << s).unwrap_or(U256::ZERO),
        BinOp::Shr => shift(b).map(|s| a >> s).unwrap_or(U256::ZERO),
        BinOp::Sar => {
            let fill = if neg(a) { U256::MAX } else { U256::ZERO };
            match shift(b) {
                None => fill,
                Some(0) => a,
                Some(s) => (a >> s) | (fill << (256 - s)),
            }
        }
        BinOp::Lt => bool_word(a < b),
        BinOp::Gt => bool_word(a > b),
        BinOp::SLt => bool_word(slt(a, b)),
        BinOp::SGt => bool_word(slt(b, a)),
        BinOp::Eq => bool_word(a == b),
        BinOp::SignExtend => signextend(b, a),
        BinOp::Byte => match shift(b) {
            Some(i) if i < 32 => (a >> (8 * (31 - i))) & U256::from(0xff),
            _ => U256::ZERO,
        },
    }
}

/// The largest value of a `Checked` width, as the backend computes it.
pub fn checked_max(signed: bool, bits: u16) -> Option<U256> {
    if bits == 0 || bits > 256 || !bits.is_multiple_of(8) {
        return None;
    }
    Some(if signed {
        (U256::from(1) << (bits as usize - 1)) - U256::from(1)
    } else if bits == 256 {
        U256::MAX
    } else {
        (U256::from(1) << bits as usize) - U256::from(1)
    })
}

/// What the backend's code for `Checked` computes on these words: `Ok(result)`, `Err(panic
/// code)`, or `None` for shapes it does not generate (then nothing is folded).
pub fn eval_checked(
    op: CheckedOp,
    signed: bool,
    bits: u16,
    a: U256,
    b: U256,
) -> Option<Result<U256, u8>> {
    let max = checked_max(signed, bits)?;
    let over = Err(0x11);
    if op == CheckedOp::Neg {
        if !signed {
            return None;
        }
        return Some(if a == !max {
            over
        } else {
            Ok(U256::ZERO.wrapping_sub(a))
        });
    }
    let r = match (op, signed) {
        (CheckedOp::Add, false) if bits == 256 => {
            let r = a.wrapping_add(b);
            if r < b { over } else { Ok(r) }
        }
        (CheckedOp::Sub, false) => {
            if a < b {
                over
            } else {
                Ok(a.wrapping_sub(b))
            }
        }
        (CheckedOp::Add, false) => {
            let r = a.wrapping_add(b);
            if r > max { over } else { Ok(r) }
        }
        (CheckedOp::Mul, false) => {
            let p = a.wrapping_mul(b);
            if bits <= 128 {
                if p > max { over } else { Ok(p) }
            } else if !(a.is_zero() || p / a == b) || p > max {
                over
            } else {
                Ok(p)
            }
        }
        (CheckedOp::Div | CheckedOp::Rem, _) => {
            if b.is_zero() {
                Err(0x12)
            } else if signed && op == CheckedOp::Div && a == !max && b == U256::MAX {
                over
            } else {
                let o = match (op, signed) {
                    (CheckedOp::Div, false) => BinOp::Div,
                    (CheckedOp::Div, true) => BinOp::SDiv,
                    (_, false) => BinOp::Mod,
                    _ => BinOp::SMod,
                };
                Ok(eval_bin(o, a, b))
            }
        }
        (CheckedOp::Pow, _) => {
            let r = a.wrapping_pow(b);
            if !signed && r > max { over } else { Ok(r) }
        }
        (CheckedOp::Add | CheckedOp::Sub | CheckedOp::Mul, true) => {
            let r = match op {
                CheckedOp::Add => a.wrapping_add(b),
                CheckedOp::Sub => a.wrapping_sub(b),
                _ => a.wrapping_mul(b),
            };
            if bits < 256 && (op != CheckedOp::Mul || bits <= 128) {
                if signextend(U256::from(bits / 8 - 1), r) != r {
                    over
                } else {
                    Ok(r)
                }
            } else if op == CheckedOp::Mul {
                return None;
            } else {
                let moved = if op == CheckedOp::Add {
                    slt(r, a)
                } else {
                    slt(a, r)
                };
                if slt(b, U256::ZERO) != moved {
                    over
                } else {
                    Ok(r)
                }
            }
        }
        _ => return None,
    };
    Some(r)
}

fn take(e: &mut Expr) -> Expr {
    std::mem::replace(e, Expr::Const(U256::ZERO))
}

fn konst(e: &Expr) -> Option<U256> {
    match e {
        Expr::Const(v) => Some(*v),
        _ => None,
    }
}

fn is(e: &Expr, v: u64) -> bool {
    konst(e) == Some(U256::from(v))
}

/// `k` if `v == 2^k` (k > 0).
fn log2(v: U256) -> Option<u64> {
    if v > U256::from(1) && v.count_ones() == 1 {
        Some(v.trailing_zeros() as u64)
    } else {
        None
    }
}

/// One bottom-up simplification step at the root of `e` (children are already simplified).
pub fn simplify(e: &mut Expr) {
    if let Some(n) = simplified(e) {
        *e = n;
    }
}

fn simplified(e: &mut Expr) -> Option<Expr> {
    let zero = || Expr::Const(U256::ZERO);
    match e {
        Expr::Bin(op, a, b) => {
            let op = *op;
            if let (Some(x), Some(y)) = (konst(a), konst(b)) {
                return Some(Expr::Const(eval_bin(op, x, y)));
            }
            let bz = is(b, 0);
            let az = is(a, 0);
            let b1 = is(b, 1);
            match op {
                BinOp::Add | BinOp::Or | BinOp::Xor if bz => Some(take(a)),
                BinOp::Add | BinOp::Or | BinOp::Xor if az => Some(take(b)),
                BinOp::Sub | BinOp::Shl | BinOp::Shr | BinOp::Sar if bz => Some(take(a)),
                BinOp::Mul | BinOp::Div | BinOp::SDiv | BinOp::Exp if b1 => Some(take(a)),
                BinOp::Mul if is(a, 1) => Some(take(b)),
                BinOp::And if konst(b) == Some(U256::MAX) => Some(take(a)),
                BinOp::And if konst(a) == Some(U256::MAX) => Some(take(b)),
                BinOp::Mul | BinOp::And if (bz && a.is_pure()) || (az && b.is_pure()) => {
                    Some(zero())
                }
                BinOp::Div | BinOp::Mod | BinOp::SDiv | BinOp::SMod
                    if (bz || az) && a.is_pure() && b.is_pure() =>
                {
                    Some(zero())
                }
                BinOp::Mod if b1 && a.is_pure() => Some(zero()),
                BinOp::Lt if bz && a.is_pure() => Some(zero()),
                BinOp::Gt if az && b.is_pure() => Some(zero()),
                BinOp::Shl | BinOp::Shr
                    if konst(b).is_some_and(|k| k >= U256::from(256)) && a.is_pure() =>
                {
                    Some(zero())
                }
                BinOp::Exp if bz && a.is_pure() => Some(Expr::c(1)),
                BinOp::Eq if bz => Some(Expr::un(UnOp::IsZero, take(a))),
                BinOp::Eq if az => Some(Expr::un(UnOp::IsZero, take(b))),
                // Cheaper opcodes for powers of two (SHL/SHR/AND cost 3, MUL/DIV/MOD 5).
                BinOp::Mul => {
                    if let Some(k) = konst(b).and_then(log2) {
                        Some(Expr::bin(BinOp::Shl, take(a), Expr::c(k)))
                    } else {
                        konst(a)
                            .and_then(log2)
                            .map(|k| Expr::bin(BinOp::Shl, take(b), Expr::c(k)))
                    }
                }
                BinOp::Div => konst(b)
                    .and_then(log2)
                    .map(|k| Expr::bin(BinOp::Shr, take(a), Expr::c(k))),
                BinOp::Mod => konst(b).and_then(log2).map(|k| {
                    let mask = (U256::from(1) << k as usize) - U256::from(1);
                    Expr::bin(BinOp::And, take(a), Expr::Const(mask))
                }),
                BinOp::And => {
                    // and(and(x, c1), c2) = and(x, c1 & c2)
                    let c2 = konst(b)?;
                    if let Expr::Bin(BinOp::And, x, c1) = &mut **a {
                        let c1 = konst(c1)?;
                        return Some(Expr::bin(BinOp::And, take(x), Expr::Const(c1 & c2)));
                    }
                    None
                }
                _ => None,
            }
        }
        Expr::Un(op, a) => {
            let op = *op;
            if let Some(x) = konst(a) {
                return Some(Expr::Const(match op {
                    UnOp::IsZero => bool_word(x.is_zero()),
                    UnOp::Not => !x,
                }));
            }
            match (op, &mut **a) {
                // iszero(iszero(iszero(x))) = iszero(x)
                (UnOp::IsZero, Expr::Un(UnOp::IsZero, inner)) => match &mut **inner {
                    Expr::Un(UnOp::IsZero, x) => Some(Expr::un(UnOp::IsZero, take(x))),
                    _ => None,
                },
                (UnOp::Not, Expr::Un(UnOp::Not, x)) => Some(take(x)),
                _ => None,
            }
        }
        Expr::Checked {
            op,
            signed,
            bits,
            a,
            b,
        } => {
            let (op, signed, bits) = (*op, *signed, *bits);
            super::fold::checked_max(signed, bits)?;
            let (ka, kb) = (konst(a), konst(b));
            if op == CheckedOp::Neg {
                return match eval_checked(op, signed, bits, ka?, U256::ZERO)? {
                    Ok(v) if b.is_pure() => Some(Expr::Const(v)),
                    _ => None,
                };
            }
            if let (Some(x), Some(y)) = (ka, kb) {
                return match eval_checked(op, signed, bits, x, y)? {
                    Ok(v) => Some(Expr::Const(v)),
                    Err(_) => None,
                };
            }
            // Identities, for operands already in range (as the backend assumes).
            let wide_signed_mul = signed && op == CheckedOp::Mul && bits > 128;
            match op {
                CheckedOp::Add if kb == Some(U256::ZERO) => Some(take(a)),
                CheckedOp::Add if ka == Some(U256::ZERO) => Some(take(b)),
                CheckedOp::Sub if kb == Some(U256::ZERO) => Some(take(a)),
                CheckedOp::Mul if !wide_signed_mul && kb == Some(U256::from(1)) => Some(take(a)),
                CheckedOp::Mul if !wide_signed_mul && ka == Some(U256::from(1)) => Some(take(b)),
                CheckedOp::Mul
                    if !wide_signed_mul
                        && ((kb == Some(U256::ZERO) && a.is_pure())
                            || (ka == Some(U256::ZERO) && b.is_pure())) =>
                {
                    Some(zero())
                }
                CheckedOp::Div if !signed && kb == Some(U256::from(1)) => Some(take(a)),
                CheckedOp::Pow if !signed && kb == Some(U256::from(1)) => Some(take(a)),
                CheckedOp::Pow if kb == Some(U256::ZERO) && a.is_pure() => Some(Expr::c(1)),
                // A non-zero constant divisor: no Panic(0x12); for signed division also no
                // MIN / -1 overflow unless the divisor is -1.
                CheckedOp::Div | CheckedOp::Rem => {
                    let d = kb?;
                    if d.is_zero() || (signed && op == CheckedOp::Div && d == U256::MAX) {
                        return None;
                    }
                    let o = match (op, signed) {
                        (CheckedOp::Div, false) => BinOp::Div,
                        (CheckedOp::Div, true) => BinOp::SDiv,
                        (_, false) => BinOp::Mod,
                        _ => BinOp::SMod,
                    };
                    Some(Expr::bin(o, take(a), take(b)))
                }
                _ => None,
            }
        }
        Expr::Cond(c, a, b) => {
            if let Some(v) = konst(c) {
                return Some(if v.is_zero() { take(b) } else { take(a) });
            }
            if a == b && c.is_pure() {
                return Some(take(a));
            }
            let stripped = strip_not_not(c);
            stripped.map(|x| Expr::Cond(Box::new(x), Box::new(take(a)), Box::new(take(b))))
        }
        Expr::Seq(ss, v) if ss.is_empty() => Some(take(v)),
        _ => None,
    }
}

/// In a condition only zero/non-zero matters: `iszero(iszero(x))` is `x`.
fn strip_not_not(c: &mut Expr) -> Option<Expr> {
    if let Expr::Un(UnOp::IsZero, inner) = c
        && let Expr::Un(UnOp::IsZero, x) = &mut **inner
    {
        let mut x = take(x);
        if let Some(y) = strip_not_not(&mut x) {
            x = y;
        }
        return Some(x);
    }
    None
}

/// The negation of a condition (as a condition).
pub fn negate(c: Expr) -> Expr {
    match c {
        Expr::Un(UnOp::IsZero, x) => *x,
        Expr::Const(v) => Expr::Const(bool_word(v.is_zero())),
        c => Expr::un(UnOp::IsZero, c),
    }
}

fn canon_stmts(ss: &mut [Stmt]) {
    for s in ss {
        match s {
            Stmt::If(c, a, b) => {
                if let Some(x) = strip_not_not(c) {
                    *c = x;
                }
                if a.is_empty() && !b.is_empty() {
                    // if c {} else {b}  ==  if !c {b}
                    *c = negate(take(c));
                    std::mem::swap(a, b);
                } else if !b.is_empty() && matches!(c, Expr::Un(UnOp::IsZero, _)) {
                    // if !x {a} else {b}  ==  if x {b} else {a}
                    *c = negate(take(c));
                    std::mem::swap(a, b);
                }
                canon_stmts(a);
                canon_stmts(b);
            }
            Stmt::Assert(c, _) => {
                if let Some(x) = strip_not_not(c) {
                    *c = x;
                }
            }
            Stmt::Block(_, b) => canon_stmts(b),
            Stmt::Loop { body, step, .. } => {
                canon_stmts(body);
                canon_stmts(step);
            }
            _ => {}
        }
        for e in super::util::stmt_exprs_mut(s) {
            super::util::rewrite_expr(e, &mut |x| {
                if let Expr::Seq(ss, _) = x {
                    canon_stmts(ss);
                }
            });
        }
    }
}

pub fn run(body: &mut [Stmt], _cx: &mut Ctx) {
    rewrite_stmts(body, &mut simplify);
    canon_stmts(body);
}
