//! Compile-time evaluation of the constant expressions that types need (array lengths).

use crate::items::{ItemRef, Program};
use alloy_primitives::U256;
use tandem_lang_syntax::ast::{BinOp, Expr, ExprKind};

pub fn parse_int(digits: &str, radix: u32) -> Option<U256> {
    U256::from_str_radix(digits, radix as u64).ok()
}

/// Evaluates integer literals, named constants and `+ - * / << **` over them.
pub fn const_value(p: &Program, file: usize, e: &Expr, depth: u32) -> Option<U256> {
    if depth > 32 {
        return None;
    }
    match &e.kind {
        ExprKind::Int(d, r) => parse_int(d, *r),
        ExprKind::Path(path) if path.segments.len() == 1 => {
            match p.lookup(file, &path.last().name)? {
                ItemRef::Const(c) => {
                    const_value(p, p.consts[c].file, &p.consts[c].def.value, depth + 1)
                }
                _ => None,
            }
        }
        ExprKind::Path(path) if path.segments.len() == 2 => {
            let ty = crate::items::builtin_scalar(&path.segments[0].name)?;
            match (path.segments[1].name.as_str(), &ty) {
                ("MAX", crate::types::Ty::Uint(_)) => int_bound(&ty, true),
                ("MIN", crate::types::Ty::Uint(_)) => int_bound(&ty, false),
                _ => None,
            }
        }
        ExprKind::Binary(op, a, b) => {
            let a = const_value(p, file, a, depth + 1)?;
            let b = const_value(p, file, b, depth + 1)?;
            match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => a.checked_div(b),
                BinOp::Shl => (b < U256::from(256)).then(|| a << b.to::<usize>()),
                BinOp::Pow => a.checked_pow(b),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `T::MAX` (`max`) or `T::MIN` of an integer type, as the 256-bit word the stack holds:
/// signed values are sign-extended (two's complement over 256 bits).
pub fn int_bound(ty: &crate::types::Ty, max: bool) -> Option<U256> {
    use crate::types::Ty;
    match *ty {
        Ty::Uint(bits) => Some(if max {
            U256::MAX >> (256 - bits as usize)
        } else {
            U256::ZERO
        }),
        Ty::Int(bits) => {
            let half = U256::from(1) << (bits as usize - 1);
            Some(if max {
                half - U256::from(1)
            } else {
                U256::ZERO.wrapping_sub(half)
            })
        }
        _ => None,
    }
}

pub fn const_u32(p: &Program, file: usize, e: &Expr) -> Option<u32> {
    let v = const_value(p, file, e, 0)?;
    (v <= U256::from(u32::MAX)).then(|| v.to::<u32>())
}
