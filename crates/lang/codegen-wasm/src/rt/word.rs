//! 256-bit word arithmetic with the EVM's semantics, over four little-endian i64 limbs.
//! Binary helpers take `a` in locals 0..4 and `b` in 4..8.

use super::{Rt, call, func, m};
use crate::layout::mem;
use wasm_encoder::{BlockType, Function, InstructionSink};

pub fn body(rt: Rt) -> Option<Function> {
    Some(match rt {
        Rt::Add => add(),
        Rt::Sub => sub(),
        Rt::Mul => mul(),
        Rt::DivMod => divmod(),
        Rt::Div => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            get_all(s, 8);
            call(s, Rt::DivMod);
            s.drop().drop().drop().drop().end();
            f
        }
        Rt::Mod => {
            let mut f = func(4, 0);
            let s = &mut f.instructions();
            get_all(s, 8);
            call(s, Rt::DivMod);
            set_word(s, 8);
            s.drop().drop().drop().drop();
            get_word(s, 8);
            s.end();
            f
        }
        Rt::SDiv => signed_div(false),
        Rt::SMod => signed_div(true),
        Rt::Neg => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            for _ in 0..4 {
                s.i64_const(0);
            }
            get_word(s, 0);
            call(s, Rt::Sub);
            s.end();
            f
        }
        Rt::Exp => exp(),
        Rt::And | Rt::Or | Rt::Xor => bitwise(rt),
        Rt::Not => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            for i in 0..4 {
                s.local_get(i).i64_const(-1).i64_xor();
            }
            s.end();
            f
        }
        Rt::Lt => compare(false, false),
        Rt::Gt => compare(true, false),
        Rt::SLt => compare(false, true),
        Rt::SGt => compare(true, true),
        Rt::Eq => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            for i in 0..4 {
                s.local_get(i).local_get(4 + i).i64_eq();
                if i > 0 {
                    s.i32_and();
                }
            }
            s.end();
            f
        }
        Rt::IsZero => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.local_get(0)
                .local_get(1)
                .i64_or()
                .local_get(2)
                .i64_or()
                .local_get(3)
                .i64_or()
                .i64_eqz()
                .end();
            f
        }
        Rt::Shl => shift(Shift::Left),
        Rt::Shr => shift(Shift::Logical),
        Rt::Sar => shift(Shift::Arithmetic),
        Rt::SignExtend => sign_extend(),
        Rt::Byte => byte(),
        Rt::Bswap => bswap(),
        _ => return None,
    })
}

pub fn get_word(s: &mut InstructionSink<'_>, base: u32) {
    for i in 0..4 {
        s.local_get(base + i);
    }
}

pub fn set_word(s: &mut InstructionSink<'_>, base: u32) {
    for i in (0..4).rev() {
        s.local_set(base + i);
    }
}

fn get_all(s: &mut InstructionSink<'_>, n: u32) {
    for i in 0..n {
        s.local_get(i);
    }
}

/// The high limbs (1..4) of the word at `base` are not all zero (i32).
fn high_nonzero(s: &mut InstructionSink<'_>, base: u32) {
    s.local_get(base + 1)
        .local_get(base + 2)
        .i64_or()
        .local_get(base + 3)
        .i64_or()
        .i64_const(0)
        .i64_ne();
}

fn add() -> Function {
    // locals: 8 t, 9 carry, 10..14 r
    let mut f = func(6, 0);
    let s = &mut f.instructions();
    for i in 0..4 {
        s.local_get(i).local_get(4 + i).i64_add().local_set(8);
        s.local_get(8).local_get(i).i64_lt_u();
        s.local_get(8).local_get(9).i64_add().local_tee(10 + i);
        s.local_get(8)
            .i64_lt_u()
            .i32_or()
            .i64_extend_i32_u()
            .local_set(9);
    }
    get_word(s, 10);
    s.end();
    f
}

fn sub() -> Function {
    let mut f = func(6, 0);
    let s = &mut f.instructions();
    for i in 0..4 {
        s.local_get(i).local_get(4 + i).i64_sub().local_set(8);
        s.local_get(i).local_get(4 + i).i64_lt_u();
        s.local_get(8).local_get(9).i64_sub().local_set(10 + i);
        s.local_get(8)
            .local_get(9)
            .i64_lt_u()
            .i32_or()
            .i64_extend_i32_u()
            .local_set(9);
    }
    get_word(s, 10);
    s.end();
    f
}

fn mul() -> Function {
    // 32-bit halves: x 8..16, y 16..24, r 24..32, carry 32, t 33
    let (x, y, r, carry, t) = (8, 16, 24, 32, 33);
    let mut f = func(26, 0);
    let s = &mut f.instructions();
    for i in 0..8u32 {
        for (src, dst) in [(0, x), (4, y)] {
            s.local_get(src + i / 2);
            if i % 2 == 1 {
                s.i64_const(32).i64_shr_u();
            } else {
                s.i64_const(0xffff_ffff).i64_and();
            }
            s.local_set(dst + i);
        }
    }
    for i in 0..8u32 {
        s.i64_const(0).local_set(carry);
        for j in 0..8 - i {
            s.local_get(x + i)
                .local_get(y + j)
                .i64_mul()
                .local_get(r + i + j)
                .i64_add()
                .local_get(carry)
                .i64_add()
                .local_tee(t)
                .i64_const(0xffff_ffff)
                .i64_and()
                .local_set(r + i + j);
            s.local_get(t).i64_const(32).i64_shr_u().local_set(carry);
        }
    }
    for l in 0..4 {
        s.local_get(r + 2 * l)
            .local_get(r + 2 * l + 1)
            .i64_const(32)
            .i64_shl()
            .i64_or();
    }
    s.end();
    f
}

/// (a / b, a % b); both 0 when b is 0. Restoring division, one bit a step, with a 64-bit
/// fast path.
fn divmod() -> Function {
    // a 0..4 becomes the quotient; b 4..8; r 8..12; top 12; n (i32) 13
    let (r, top, n) = (8, 12, 13);
    let mut f = func(5, 1);
    let s = &mut f.instructions();
    // b == 0: zeros
    get_word(s, 4);
    call(s, Rt::IsZero);
    s.if_(BlockType::Empty);
    for _ in 0..8 {
        s.i64_const(0);
    }
    s.return_().end();
    // fast path: both fit 64 bits
    high_nonzero(s, 0);
    high_nonzero(s, 4);
    s.i32_or().i32_eqz().if_(BlockType::Empty);
    s.local_get(0)
        .local_get(4)
        .i64_div_u()
        .i64_const(0)
        .i64_const(0)
        .i64_const(0);
    s.local_get(0)
        .local_get(4)
        .i64_rem_u()
        .i64_const(0)
        .i64_const(0)
        .i64_const(0);
    s.return_().end();
    s.i32_const(256).local_set(n);
    s.loop_(BlockType::Empty);
    // top = r3 >> 63; r = r << 1 | a3 >> 63; a <<= 1
    s.local_get(r + 3).i64_const(63).i64_shr_u().local_set(top);
    for (dst, lo_src) in [
        (r + 3, r + 2),
        (r + 2, r + 1),
        (r + 1, r),
        (r, 3),
        (3, 2),
        (2, 1),
        (1, 0),
    ] {
        s.local_get(dst)
            .i64_const(1)
            .i64_shl()
            .local_get(lo_src)
            .i64_const(63)
            .i64_shr_u()
            .i64_or()
            .local_set(dst);
    }
    s.local_get(0).i64_const(1).i64_shl().local_set(0);
    // if top || r >= b: r -= b; a |= 1
    s.local_get(top).i32_wrap_i64();
    get_word(s, r);
    get_word(s, 4);
    call(s, Rt::Lt);
    s.i32_eqz().i32_or().if_(BlockType::Empty);
    get_word(s, r);
    get_word(s, 4);
    call(s, Rt::Sub);
    set_word(s, r);
    s.local_get(0).i64_const(1).i64_or().local_set(0);
    s.end();
    s.local_get(n).i32_const(1).i32_sub().local_tee(n).br_if(0);
    s.end();
    get_word(s, 0);
    get_word(s, r);
    s.end();
    f
}

/// SDIV (`modulo` false) or SMOD: on magnitudes, the sign fixed afterwards.
fn signed_div(modulo: bool) -> Function {
    // sa 8, sb 9 (i32 as i64 locals are fine: use i32 locals) -> i32 locals 8, 9
    let mut f = func(0, 2);
    let s = &mut f.instructions();
    for (base, sign) in [(0u32, 8u32), (4, 9)] {
        s.local_get(base + 3)
            .i64_const(0)
            .i64_lt_s()
            .local_tee(sign);
        s.if_(BlockType::Empty);
        get_word(s, base);
        call(s, Rt::Neg);
        set_word(s, base);
        s.end();
    }
    get_all(s, 8);
    call(s, if modulo { Rt::Mod } else { Rt::Div });
    set_word(s, 0);
    if modulo {
        s.local_get(8);
    } else {
        s.local_get(8).local_get(9).i32_ne();
    }
    s.if_(BlockType::Empty);
    get_word(s, 0);
    call(s, Rt::Neg);
    set_word(s, 0);
    s.end();
    get_word(s, 0);
    s.end();
    f
}

/// Wrapping exponentiation by squaring.
fn exp() -> Function {
    // base 0..4, e 4..8, r 8..12
    let r = 8;
    let mut f = func(4, 0);
    let s = &mut f.instructions();
    s.i64_const(1).local_set(r);
    s.block(BlockType::Empty).loop_(BlockType::Empty);
    get_word(s, 4);
    call(s, Rt::IsZero);
    s.br_if(1);
    s.local_get(4)
        .i64_const(1)
        .i64_and()
        .i32_wrap_i64()
        .if_(BlockType::Empty);
    get_word(s, r);
    get_word(s, 0);
    call(s, Rt::Mul);
    set_word(s, r);
    s.end();
    // e >>= 1
    for i in 4..7 {
        s.local_get(i)
            .i64_const(1)
            .i64_shr_u()
            .local_get(i + 1)
            .i64_const(63)
            .i64_shl()
            .i64_or()
            .local_set(i);
    }
    s.local_get(7).i64_const(1).i64_shr_u().local_set(7);
    get_word(s, 0);
    get_word(s, 0);
    call(s, Rt::Mul);
    set_word(s, 0);
    s.br(0).end().end();
    get_word(s, r);
    s.end();
    f
}

fn bitwise(rt: Rt) -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    for i in 0..4 {
        s.local_get(i).local_get(4 + i);
        match rt {
            Rt::And => s.i64_and(),
            Rt::Or => s.i64_or(),
            _ => s.i64_xor(),
        };
    }
    s.end();
    f
}

/// `a < b` (or `a > b` when `swap`), unsigned or signed, as an i32.
fn compare(swap: bool, signed: bool) -> Function {
    let (a, b) = if swap { (4, 0) } else { (0, 4) };
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    s.local_get(a).local_get(b).i64_lt_u();
    for i in 1..4 {
        s.local_get(a + i).local_get(b + i).i64_eq().i32_and();
        s.local_get(a + i).local_get(b + i);
        if signed && i == 3 {
            s.i64_lt_s();
        } else {
            s.i64_lt_u();
        }
        s.i32_or();
    }
    s.end();
    f
}

#[derive(Clone, Copy, PartialEq)]
enum Shift {
    Left,
    Logical,
    Arithmetic,
}

/// `Shl(value, amount)`, `Shr`, `Sar`: the value in 0..4, the amount in 4..8. The limbs go
/// through eight limbs of memory padded with zeros (or the sign) so a limb shift is an
/// address offset.
fn shift(kind: Shift) -> Function {
    // fill 8, k*8 (i32) 9, s 10 (i64)
    let (fill, k8, sh) = (8, 10, 9);
    let mut f = func(2, 1);
    let s = &mut f.instructions();
    if kind == Shift::Arithmetic {
        s.local_get(3).i64_const(63).i64_shr_s().local_set(fill);
    }
    // amount >= 256: everything is the fill
    high_nonzero(s, 4);
    s.local_get(4)
        .i64_const(256)
        .i64_ge_u()
        .i32_or()
        .if_(BlockType::Empty);
    for _ in 0..4 {
        s.local_get(fill);
    }
    s.return_().end();
    let (vals, pads) = if kind == Shift::Left {
        (32u64, 0u64)
    } else {
        (0, 32)
    };
    for i in 0..4u64 {
        s.i32_const(mem::SHIFT as i32)
            .local_get(i as u32)
            .i64_store(m(vals + 8 * i, 0));
        s.i32_const(mem::SHIFT as i32)
            .local_get(fill)
            .i64_store(m(pads + 8 * i, 0));
    }
    s.local_get(4).i64_const(63).i64_and().local_set(sh);
    s.local_get(4)
        .i32_wrap_i64()
        .i32_const(6)
        .i32_shr_u()
        .i32_const(3)
        .i32_shl()
        .local_set(k8);
    for i in 0..4u64 {
        if kind == Shift::Left {
            // (Z[4+i-k] << s) | ((Z[3+i-k] >> 1) >> (63 - s))
            s.i32_const((mem::SHIFT + 32 + 8 * i) as i32)
                .local_get(k8)
                .i32_sub();
            s.i64_load(m(0, 0)).local_get(sh).i64_shl();
            s.i32_const((mem::SHIFT + 24 + 8 * i) as i32)
                .local_get(k8)
                .i32_sub();
            s.i64_load(m(0, 0)).i64_const(1).i64_shr_u();
            s.i64_const(63).local_get(sh).i64_sub().i64_shr_u().i64_or();
        } else {
            // (Z[i+k] >> s) | ((Z[i+k+1] << 1) << (63 - s))
            s.i32_const((mem::SHIFT + 8 * i) as i32)
                .local_get(k8)
                .i32_add();
            s.i64_load(m(0, 0)).local_get(sh).i64_shr_u();
            s.i32_const((mem::SHIFT + 8 + 8 * i) as i32)
                .local_get(k8)
                .i32_add();
            s.i64_load(m(0, 0)).i64_const(1).i64_shl();
            s.i64_const(63).local_get(sh).i64_sub().i64_shl().i64_or();
        }
    }
    s.end();
    f
}

/// `SignExtend(value, b)`: from byte `b` (counting from the least significant).
fn sign_extend() -> Function {
    // t 8
    let mut f = func(1, 0);
    let s = &mut f.instructions();
    high_nonzero(s, 4);
    s.local_get(4)
        .i64_const(31)
        .i64_ge_u()
        .i32_or()
        .if_(BlockType::Empty);
    get_word(s, 0);
    s.return_().end();
    s.i64_const(248)
        .local_get(4)
        .i64_const(8)
        .i64_mul()
        .i64_sub()
        .local_set(8);
    get_word(s, 0);
    s.local_get(8).i64_const(0).i64_const(0).i64_const(0);
    call(s, Rt::Shl);
    s.local_get(8).i64_const(0).i64_const(0).i64_const(0);
    call(s, Rt::Sar);
    s.end();
    f
}

/// `Byte(value, i)`: byte `i` counting from the most significant; 0 past 31.
fn byte() -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    high_nonzero(s, 4);
    s.local_get(4)
        .i64_const(32)
        .i64_ge_u()
        .i32_or()
        .if_(BlockType::Empty);
    for _ in 0..4 {
        s.i64_const(0);
    }
    s.return_().end();
    get_word(s, 0);
    s.i64_const(248)
        .local_get(4)
        .i64_const(8)
        .i64_mul()
        .i64_sub();
    s.i64_const(0).i64_const(0).i64_const(0);
    call(s, Rt::Shr);
    s.drop().drop().drop().i64_const(0xff).i64_and();
    s.i64_const(0).i64_const(0).i64_const(0);
    s.end();
    f
}

fn bswap() -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    bswap_local(s, 0);
    s.end();
    f
}

/// Pushes i64 local `t` byte-swapped (WASM has no byte swap), clobbering `t`. Inlined where
/// words cross memory (`MLoad`, `MStore`): a call per limb cost more than the swap. A zero
/// limb (most limbs of addresses, balances and slot numbers) skips the swap's 24 operators
/// for a test of 3.
pub fn bswap_local(s: &mut InstructionSink<'_>, t: u32) {
    let m8 = 0x00ff_00ff_00ff_00ffu64 as i64;
    let m16 = 0x0000_ffff_0000_ffffu64 as i64;
    s.local_get(t)
        .i64_eqz()
        .if_(BlockType::Result(wasm_encoder::ValType::I64));
    s.i64_const(0).else_();
    for (mask, bits) in [(m8, 8), (m16, 16)] {
        s.local_get(t)
            .i64_const(bits)
            .i64_shr_u()
            .i64_const(mask)
            .i64_and();
        s.local_get(t)
            .i64_const(mask)
            .i64_and()
            .i64_const(bits)
            .i64_shl();
        s.i64_or().local_set(t);
    }
    s.local_get(t).i64_const(32).i64_rotl();
    s.end();
}
