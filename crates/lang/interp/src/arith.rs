//! Word arithmetic with the language's semantics: the wrapping 256-bit operations of `BinOp`
//! and `UnOp`, and checked arithmetic of any width (`CheckedOp`), written from docs/ir.md.

use alloy_primitives::{I256, U256};
use tandem_lang_ir::{BinOp, CheckedOp, UnOp, WordTy};

/// The language's panic codes (0x01, an assertion, comes with `Assert`).
pub const PANIC_OVERFLOW: u8 = 0x11;
pub const PANIC_DIV_ZERO: u8 = 0x12;

fn flag(b: bool) -> U256 {
    if b { U256::from(1) } else { U256::ZERO }
}

fn signed(v: U256) -> I256 {
    I256::from_raw(v)
}

/// A shift amount as a `usize`, or `None` when it shifts every bit out.
fn amount(v: U256) -> Option<usize> {
    if v >= U256::from(256) {
        None
    } else {
        Some(v.to::<usize>())
    }
}

/// `BinOp` on two words (operands in source order: `Shl(value, amount)`).
pub fn bin(op: BinOp, a: U256, b: U256) -> U256 {
    match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::Div => a.checked_div(b).unwrap_or_default(),
        BinOp::Mod => a.checked_rem(b).unwrap_or_default(),
        BinOp::SDiv => {
            if b.is_zero() {
                U256::ZERO
            } else {
                let (x, y) = (signed(a), signed(b));
                if x == I256::MIN && y == I256::MINUS_ONE {
                    a
                } else {
                    (x / y).into_raw()
                }
            }
        }
        BinOp::SMod => {
            let (x, y) = (signed(a), signed(b));
            if b.is_zero() || y == I256::MINUS_ONE {
                U256::ZERO
            } else {
                (x % y).into_raw()
            }
        }
        BinOp::Exp => a.wrapping_pow(b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => amount(b).map_or(U256::ZERO, |n| a << n),
        BinOp::Shr => amount(b).map_or(U256::ZERO, |n| a >> n),
        BinOp::Sar => {
            let neg = a.bit(255);
            match amount(b) {
                Some(n) => signed(a).asr(n).into_raw(),
                None if neg => U256::MAX,
                None => U256::ZERO,
            }
        }
        BinOp::Lt => flag(a < b),
        BinOp::Gt => flag(a > b),
        BinOp::SLt => flag(signed(a) < signed(b)),
        BinOp::SGt => flag(signed(a) > signed(b)),
        BinOp::Eq => flag(a == b),
        BinOp::SignExtend => sign_extend(a, b),
        BinOp::Byte => match amount(b) {
            Some(i) if i < 32 => U256::from(a.to_be_bytes::<32>()[i]),
            _ => U256::ZERO,
        },
    }
}

/// Extends the sign of byte `index` (0 = least significant) over the higher bytes.
pub fn sign_extend(v: U256, index: U256) -> U256 {
    if index >= U256::from(31) {
        return v;
    }
    let bit = index.to::<usize>() * 8 + 7;
    let mask = (U256::from(1) << (bit + 1)) - U256::from(1);
    if v.bit(bit) { v | !mask } else { v & mask }
}

pub fn un(op: UnOp, a: U256) -> U256 {
    match op {
        UnOp::IsZero => flag(a.is_zero()),
        UnOp::Not => !a,
    }
}

/// Checked arithmetic on a `bits`-wide integer: the result, or the panic code.
pub fn checked(op: CheckedOp, is_signed: bool, bits: u16, a: U256, b: U256) -> Result<U256, u8> {
    if is_signed {
        checked_signed(op, bits, signed(a), signed(b)).map(I256::into_raw)
    } else {
        checked_unsigned(op, bits, a, b)
    }
}

fn umax(bits: u16) -> U256 {
    if bits >= 256 {
        U256::MAX
    } else {
        (U256::from(1) << bits as usize) - U256::from(1)
    }
}

fn checked_unsigned(op: CheckedOp, bits: u16, a: U256, b: U256) -> Result<U256, u8> {
    let r = match op {
        CheckedOp::Add => a.checked_add(b),
        CheckedOp::Sub => a.checked_sub(b),
        CheckedOp::Mul => a.checked_mul(b),
        CheckedOp::Div => return a.checked_div(b).ok_or(PANIC_DIV_ZERO),
        CheckedOp::Rem => return a.checked_rem(b).ok_or(PANIC_DIV_ZERO),
        CheckedOp::Pow => a.checked_pow(b),
        CheckedOp::Neg => U256::ZERO.checked_sub(a),
    };
    r.filter(|r| *r <= umax(bits)).ok_or(PANIC_OVERFLOW)
}

fn checked_signed(op: CheckedOp, bits: u16, a: I256, b: I256) -> Result<I256, u8> {
    let bits = bits.clamp(8, 256) as usize;
    let max = I256::from_raw((U256::from(1) << (bits - 1)) - U256::from(1));
    let min = -max - I256::ONE;
    let r = match op {
        CheckedOp::Add => a.checked_add(b),
        CheckedOp::Sub => a.checked_sub(b),
        CheckedOp::Mul => a.checked_mul(b),
        CheckedOp::Div => {
            if b.is_zero() {
                return Err(PANIC_DIV_ZERO);
            }
            a.checked_div(b)
        }
        CheckedOp::Rem => {
            if b.is_zero() {
                return Err(PANIC_DIV_ZERO);
            }
            if b == I256::MINUS_ONE {
                Some(I256::ZERO)
            } else {
                a.checked_rem(b)
            }
        }
        CheckedOp::Pow => {
            if b.is_negative() {
                return Err(PANIC_OVERFLOW);
            }
            a.checked_pow(b.into_raw())
        }
        CheckedOp::Neg => a.checked_neg(),
    };
    r.filter(|r| *r >= min && *r <= max).ok_or(PANIC_OVERFLOW)
}

/// Whether a word is a clean value of its type (what a strict decoder accepts).
pub fn is_clean(v: U256, w: WordTy) -> bool {
    match w {
        WordTy::Uint(bits) => v <= umax(bits),
        WordTy::Int(bits) => bits >= 256 || v == sign_extend(v, U256::from(bits as usize / 8 - 1)),
        WordTy::Bool => v <= U256::from(1),
        WordTy::Address => v <= umax(160),
        WordTy::FixedBytes(n) => n >= 32 || (v & umax(256 - 8 * n as u16)).is_zero(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neg(n: u64) -> U256 {
        U256::ZERO.wrapping_sub(U256::from(n))
    }

    #[test]
    fn evm_word_semantics() {
        assert_eq!(bin(BinOp::Div, U256::from(7), U256::ZERO), U256::ZERO);
        assert_eq!(bin(BinOp::SDiv, neg(7), U256::from(2)), neg(3));
        assert_eq!(bin(BinOp::SMod, neg(7), U256::from(2)), neg(1));
        assert_eq!(bin(BinOp::Shl, U256::from(1), U256::from(256)), U256::ZERO);
        assert_eq!(bin(BinOp::Sar, neg(1), U256::from(300)), U256::MAX);
        assert_eq!(
            bin(BinOp::Byte, U256::from(0xab), U256::from(31)),
            U256::from(0xab)
        );
        assert_eq!(sign_extend(U256::from(0x80), U256::ZERO), neg(128));
        assert_eq!(bin(BinOp::Exp, U256::from(2), U256::from(256)), U256::ZERO);
    }

    #[test]
    fn checked_widths() {
        let c = |op, s, bits, a, b| checked(op, s, bits, a, b);
        assert_eq!(
            c(CheckedOp::Add, false, 8, U256::from(255), U256::from(1)),
            Err(0x11)
        );
        assert_eq!(
            c(CheckedOp::Add, false, 8, U256::from(254), U256::from(1)),
            Ok(U256::from(255))
        );
        assert_eq!(
            c(CheckedOp::Sub, true, 8, neg(128), U256::from(1)),
            Err(0x11)
        );
        assert_eq!(c(CheckedOp::Div, true, 8, neg(128), neg(1)), Err(0x11));
        assert_eq!(c(CheckedOp::Rem, true, 256, neg(5), U256::ZERO), Err(0x12));
        assert_eq!(
            c(CheckedOp::Neg, true, 16, neg(32768), U256::ZERO),
            Err(0x11)
        );
        assert_eq!(
            c(CheckedOp::Mul, true, 16, neg(2), U256::from(3)),
            Ok(neg(6))
        );
        assert_eq!(
            c(CheckedOp::Pow, false, 256, U256::from(2), U256::from(256)),
            Err(0x11)
        );
        assert!(is_clean(neg(1), WordTy::Int(8)));
        assert!(!is_clean(U256::from(255), WordTy::Int(8)));
        assert!(!is_clean(U256::from(1), WordTy::FixedBytes(1)));
    }
}
