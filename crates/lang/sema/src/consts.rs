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

pub fn const_u32(p: &Program, file: usize, e: &Expr) -> Option<u32> {
    let v = const_value(p, file, e, 0)?;
    (v <= U256::from(u32::MAX)).then(|| v.to::<u32>())
}
