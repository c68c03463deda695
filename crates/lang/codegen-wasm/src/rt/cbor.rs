//! The DAG-CBOR reader (params) and writer (replies, events) of the generated actor. The
//! reader walks the params block copied into memory (`global::RD`..`global::RD_END`) and
//! aborts with `exit::BAD_PARAMS` on anything that does not decode as the expected type.

use super::word::get_word;
use super::{Rt, call, func, m};
use crate::layout::{exit, global, mem, sys};
use wasm_encoder::{BlockType, Function, InstructionSink};

pub fn body(rt: Rt) -> Option<Function> {
    Some(match rt {
        Rt::RdByte => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.global_get(global::RD)
                .global_get(global::RD_END)
                .i32_ge_u();
            s.if_(BlockType::Empty);
            bad(s);
            s.end();
            s.global_get(global::RD).i32_load8_u(m(0, 0));
            s.global_get(global::RD)
                .i32_const(1)
                .i32_add()
                .global_set(global::RD);
            s.end();
            f
        }
        Rt::RdHead => rd_head(),
        Rt::RdArray => {
            let mut f = func(1, 1);
            let s = &mut f.instructions();
            call(s, Rt::RdHead);
            s.local_set(1).i32_const(4).i32_ne();
            s.local_get(1)
                .local_get(0)
                .i64_extend_i32_u()
                .i64_ne()
                .i32_or();
            s.if_(BlockType::Empty);
            bad(s);
            s.end().end();
            f
        }
        Rt::RdLen => {
            // an array head of any length, at most the bytes left (each item takes one)
            let mut f = func(1, 1);
            let s = &mut f.instructions();
            call(s, Rt::RdHead);
            s.local_set(0).i32_const(4).i32_ne();
            s.local_get(0);
            s.global_get(global::RD_END)
                .global_get(global::RD)
                .i32_sub()
                .i64_extend_i32_u();
            s.i64_gt_u().i32_or().if_(BlockType::Empty);
            bad(s);
            s.end();
            s.local_get(0).i32_wrap_i64().end();
            f
        }
        Rt::RdInt => rd_int(),
        Rt::RdBool => {
            let mut f = func(0, 1);
            let s = &mut f.instructions();
            call(s, Rt::RdByte);
            s.local_tee(0)
                .i32_const(0xf5)
                .i32_eq()
                .if_(BlockType::Empty);
            s.i64_const(1)
                .i64_const(0)
                .i64_const(0)
                .i64_const(0)
                .return_()
                .end();
            s.local_get(0)
                .i32_const(0xf4)
                .i32_ne()
                .if_(BlockType::Empty);
            bad(s);
            s.end();
            s.i64_const(0).i64_const(0).i64_const(0).i64_const(0).end();
            f
        }
        Rt::RdFixed => {
            // n 0; arg 1 (i64); major 2
            let mut f = func(1, 1);
            let s = &mut f.instructions();
            expect_bytes(s, 2, 1, Some(0));
            s.i32_const(mem::WBUF as i32)
                .i32_const(0)
                .i32_const(32)
                .memory_fill(0);
            s.i32_const(mem::WBUF as i32)
                .global_get(global::RD)
                .local_get(0)
                .memory_copy(0, 0);
            advance(s, 0);
            s.i32_const(mem::WBUF as i32);
            call(s, Rt::MLoad);
            s.end();
            f
        }
        Rt::RdBytes => {
            // major 0; arg 1 (i64); got 2, len 3, p 4
            let mut f = func(1, 3);
            let s = &mut f.instructions();
            call(s, Rt::RdHead);
            s.local_set(1).local_get(0).i32_ne().if_(BlockType::Empty);
            bad(s);
            s.end();
            in_bounds(s, 1, 3);
            s.local_get(3).i32_const(32).i32_add();
            call(s, Rt::Alloc);
            s.local_tee(4)
                .local_get(1)
                .i64_const(0)
                .i64_const(0)
                .i64_const(0);
            call(s, Rt::MStore);
            s.local_get(4)
                .i32_const(32)
                .i32_add()
                .global_get(global::RD)
                .local_get(3);
            s.memory_copy(0, 0);
            advance(s, 3);
            s.local_get(4).end();
            f
        }
        Rt::RdAddress => rd_address(),
        Rt::WrReserve => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.global_get(global::WR).local_get(0).i32_add();
            call(s, Rt::GrowTo);
            s.end();
            f
        }
        Rt::WrByte => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.i32_const(1);
            call(s, Rt::WrReserve);
            s.global_get(global::WR).local_get(0).i32_store8(m(0, 0));
            s.global_get(global::WR)
                .i32_const(1)
                .i32_add()
                .global_set(global::WR)
                .end();
            f
        }
        Rt::WrHead => wr_head(),
        Rt::WrInt => wr_int(),
        Rt::WrBool => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.i32_const(0xf4).i32_const(0xf5);
            get_word(s, 0);
            call(s, Rt::IsZero);
            s.select();
            call(s, Rt::WrByte);
            s.end();
            f
        }
        Rt::WrFixed => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.i32_const(2).local_get(0).i64_extend_i32_u();
            call(s, Rt::WrHead);
            s.i32_const(mem::WBUF as i32);
            get_word(s, 1);
            call(s, Rt::MStore);
            copy_out(
                s,
                |s| {
                    s.i32_const(mem::WBUF as i32);
                },
                0,
            );
            s.end();
            f
        }
        Rt::WrBytes => {
            // (ptr, major); len 2
            let mut f = func(0, 1);
            let s = &mut f.instructions();
            s.local_get(0);
            call(s, Rt::MLoad);
            call(s, Rt::ToI32);
            s.local_set(2);
            s.local_get(1).local_get(2).i64_extend_i32_u();
            call(s, Rt::WrHead);
            copy_out(
                s,
                |s| {
                    s.local_get(0).i32_const(32).i32_add();
                },
                2,
            );
            s.end();
            f
        }
        Rt::WrAddress => wr_address(),
        Rt::WrTopic => {
            // [flags 3, "t<k>", IPLD_RAW, 32 bytes]: k in 0, the word in 1..5
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.i32_const(4).i64_const(4);
            call(s, Rt::WrHead);
            s.i32_const(3);
            call(s, Rt::WrByte);
            s.i32_const(3).i64_const(2);
            call(s, Rt::WrHead);
            s.i32_const(b't' as i32);
            call(s, Rt::WrByte);
            s.local_get(0);
            call(s, Rt::WrByte);
            s.i32_const(0).i64_const(0x55);
            call(s, Rt::WrHead);
            s.i32_const(2).i64_const(32);
            call(s, Rt::WrHead);
            s.i32_const(32);
            call(s, Rt::WrReserve);
            s.global_get(global::WR);
            get_word(s, 1);
            call(s, Rt::MStore);
            s.global_get(global::WR)
                .i32_const(32)
                .i32_add()
                .global_set(global::WR)
                .end();
            f
        }
        Rt::Finish => {
            // (start, codec) -> block id
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.local_get(1)
                .local_get(0)
                .global_get(global::WR)
                .local_get(0)
                .i32_sub();
            s.i32_const(mem::OUT as i32).call(sys::BLOCK_CREATE);
            call(s, Rt::Chk);
            s.i32_const(mem::OUT as i32).i32_load(m(0, 0)).end();
            f
        }
        _ => return None,
    })
}

/// Params that do not decode exit with `BAD_PARAMS`; a reply that does not decode reverts
/// with no data (as the EVM build).
fn bad(s: &mut InstructionSink<'_>) {
    s.global_get(global::REPLY_MODE).if_(BlockType::Empty);
    s.i32_const(0).i32_const(0);
    call(s, Rt::RevertRaw);
    s.end();
    s.i32_const(exit::BAD_PARAMS);
    call(s, Rt::Abort);
}

/// Checks that `arg` (i64 local) bytes remain to read; leaves the length in i32 local `len`.
fn in_bounds(s: &mut InstructionSink<'_>, arg: u32, len: u32) {
    s.local_get(arg);
    s.global_get(global::RD_END)
        .global_get(global::RD)
        .i32_sub()
        .i64_extend_i32_u();
    s.i64_gt_u().if_(BlockType::Empty);
    bad(s);
    s.end();
    s.local_get(arg).i32_wrap_i64().local_set(len);
}

fn advance(s: &mut InstructionSink<'_>, len: u32) {
    s.global_get(global::RD)
        .local_get(len)
        .i32_add()
        .global_set(global::RD);
}

/// Reads a head of major type `major` whose argument (i64 local `arg`) is in bounds, and
/// equals the i32 local `want` when given.
fn expect_bytes(s: &mut InstructionSink<'_>, major: i32, arg: u32, want: Option<u32>) {
    call(s, Rt::RdHead);
    s.local_set(arg).i32_const(major).i32_ne();
    if let Some(w) = want {
        s.local_get(arg)
            .local_get(w)
            .i64_extend_i32_u()
            .i64_ne()
            .i32_or();
    }
    s.if_(BlockType::Empty);
    bad(s);
    s.end();
    s.local_get(arg);
    s.global_get(global::RD_END)
        .global_get(global::RD)
        .i32_sub()
        .i64_extend_i32_u();
    s.i64_gt_u().if_(BlockType::Empty);
    bad(s);
    s.end();
}

/// Copies `len` (i32 local) bytes from `src` to the writer and advances it.
fn copy_out(s: &mut InstructionSink<'_>, src: impl Fn(&mut InstructionSink<'_>), len: u32) {
    s.local_get(len);
    call(s, Rt::WrReserve);
    s.global_get(global::WR);
    src(s);
    s.local_get(len).memory_copy(0, 0);
    s.global_get(global::WR)
        .local_get(len)
        .i32_add()
        .global_set(global::WR);
}

fn rd_head() -> Function {
    // b 1 (i32), n 2 (i32); arg 0 (i64)
    let mut f = func(1, 2);
    let s = &mut f.instructions();
    call(s, Rt::RdByte);
    s.local_tee(1)
        .i32_const(31)
        .i32_and()
        .local_tee(2)
        .i32_const(24)
        .i32_lt_u();
    s.if_(BlockType::Empty);
    s.local_get(1)
        .i32_const(5)
        .i32_shr_u()
        .local_get(2)
        .i64_extend_i32_u()
        .return_();
    s.end();
    s.local_get(2)
        .i32_const(27)
        .i32_gt_u()
        .if_(BlockType::Empty);
    bad(s);
    s.end();
    s.i32_const(1)
        .local_get(2)
        .i32_const(24)
        .i32_sub()
        .i32_shl()
        .local_set(2);
    s.loop_(BlockType::Empty);
    s.local_get(0).i64_const(8).i64_shl();
    call(s, Rt::RdByte);
    s.i64_extend_i32_u().i64_or().local_set(0);
    s.local_get(2).i32_const(1).i32_sub().local_tee(2).br_if(0);
    s.end();
    s.local_get(1).i32_const(5).i32_shr_u().local_get(0).end();
    f
}

/// `(signed, bits) -> word`: widths up to 64 as CBOR integers, wider ones as Filecoin
/// BigInt bytes (a sign byte, 0 or 1, then the big-endian magnitude; empty for zero).
fn rd_int() -> Function {
    // params signed 0, bits 1; i64: arg 2, m 3..7; i32: major 7, limit 8, neg 9, len 10
    let (arg, mw, major, limit, neg, len) = (2, 3, 7, 8, 9, 10);
    let mut f = func(5, 4);
    let s = &mut f.instructions();
    call(s, Rt::RdHead);
    s.local_set(arg).local_set(major);
    s.local_get(1).local_get(0).i32_sub().local_set(limit);
    s.local_get(1)
        .i32_const(64)
        .i32_le_u()
        .if_(BlockType::Empty);
    {
        s.local_get(major).i32_eqz().if_(BlockType::Empty);
        s.local_get(limit).i32_const(64).i32_lt_u();
        s.local_get(arg)
            .local_get(limit)
            .i64_extend_i32_u()
            .i64_shr_u()
            .i64_const(0)
            .i64_ne();
        s.i32_and().if_(BlockType::Empty);
        bad(s);
        s.end();
        s.local_get(arg)
            .i64_const(0)
            .i64_const(0)
            .i64_const(0)
            .return_();
        s.end();
        s.local_get(major)
            .i32_const(1)
            .i32_eq()
            .local_get(0)
            .i32_and();
        s.if_(BlockType::Empty);
        s.local_get(arg)
            .local_get(limit)
            .i64_extend_i32_u()
            .i64_shr_u()
            .i64_const(0)
            .i64_ne();
        s.if_(BlockType::Empty);
        bad(s);
        s.end();
        s.local_get(arg).i64_const(-1).i64_xor();
        s.i64_const(-1).i64_const(-1).i64_const(-1).return_();
        s.end();
        bad(s);
    }
    s.end();
    // wide: BigInt bytes
    s.local_get(major)
        .i32_const(2)
        .i32_ne()
        .local_get(arg)
        .i64_const(33)
        .i64_gt_u()
        .i32_or();
    s.if_(BlockType::Empty);
    bad(s);
    s.end();
    in_bounds(s, arg, len);
    s.local_get(len).i32_eqz().if_(BlockType::Empty);
    s.i64_const(0)
        .i64_const(0)
        .i64_const(0)
        .i64_const(0)
        .return_()
        .end();
    call(s, Rt::RdByte);
    s.local_tee(neg).i32_const(1).i32_gt_u();
    s.local_get(neg)
        .local_get(0)
        .i32_eqz()
        .i32_and()
        .i32_or()
        .if_(BlockType::Empty);
    bad(s);
    s.end();
    s.local_get(len).i32_const(1).i32_sub().local_set(len);
    advance(s, len);
    magnitude_limbs(s, len, mw);
    // range: (neg ? m - 1 : m) >> limit == 0 (limit < 256)
    s.local_get(limit)
        .i32_const(256)
        .i32_lt_u()
        .if_(BlockType::Empty);
    get_word(s, mw);
    s.local_get(neg)
        .i64_extend_i32_u()
        .i64_const(0)
        .i64_const(0)
        .i64_const(0);
    call(s, Rt::Sub);
    s.local_get(limit)
        .i64_extend_i32_u()
        .i64_const(0)
        .i64_const(0)
        .i64_const(0);
    call(s, Rt::Shr);
    call(s, Rt::IsZero);
    s.i32_eqz().if_(BlockType::Empty);
    bad(s);
    s.end().end();
    s.local_get(neg).if_(BlockType::Empty);
    get_word(s, mw);
    call(s, Rt::Neg);
    s.return_().end();
    get_word(s, mw);
    s.end();
    f
}

/// The `len` (i32 local, at most 32) big-endian bytes that end at the reader's position as
/// limbs into the i64 locals `mw..mw + 4`: each limb the value has is one load of the 8
/// bytes ending where it ends, swapped, and cut to the value's bytes when it is the partial
/// top limb (the bytes before the value are in memory, the params' or the scratch below the
/// heap). A small amount is then one load where staging it in a word took four.
fn magnitude_limbs(s: &mut InstructionSink<'_>, len: u32, mw: u32) {
    for k in 0..4i32 {
        s.local_get(len)
            .i32_const(8 * k)
            .i32_gt_u()
            .if_(BlockType::Result(wasm_encoder::ValType::I64));
        s.global_get(global::RD)
            .i32_const(8 * (k + 1))
            .i32_sub()
            .i64_load(m(0, 0));
        call(s, Rt::Bswap);
        // the low (len - 8k) bytes when that is under 8, else all of them
        s.i64_const(1)
            .local_get(len)
            .i32_const(8 * k)
            .i32_sub()
            .i32_const(3)
            .i32_shl()
            .i64_extend_i32_u()
            .i64_shl()
            .i64_const(1)
            .i64_sub();
        s.i64_const(-1)
            .local_get(len)
            .i32_const(8 * (k + 1))
            .i32_lt_u()
            .select()
            .i64_and();
        s.else_().i64_const(0).end();
        s.local_set(mw + k as u32);
    }
}

/// A Filecoin address as a word: f0 to the masked ID form, an f410 of the Ethereum
/// namespace to its 20 bytes, any other protocol resolved to an ID.
fn rd_address() -> Function {
    // i64: arg 0, id 1; i32: len 2, at 3, b 4, shift 5
    let (arg, id, len, at, b, sh) = (0, 1, 2, 3, 4, 5);
    let mut f = func(2, 4);
    let s = &mut f.instructions();
    expect_bytes(s, 2, arg, None);
    s.local_get(arg).i32_wrap_i64().local_tee(len).i32_eqz();
    s.local_get(len)
        .i32_const(64)
        .i32_gt_u()
        .i32_or()
        .if_(BlockType::Empty);
    bad(s);
    s.end();
    s.global_get(global::RD).local_set(at);
    advance(s, len);
    // f0: 0x00 then the LEB128 id
    s.local_get(at)
        .i32_load8_u(m(0, 0))
        .i32_eqz()
        .if_(BlockType::Empty);
    {
        s.local_get(len)
            .i32_const(11)
            .i32_gt_u()
            .if_(BlockType::Empty);
        bad(s);
        s.end();
        s.block(BlockType::Empty).loop_(BlockType::Empty);
        s.local_get(at).i32_const(1).i32_add().local_tee(at);
        s.global_get(global::RD).i32_ge_u().br_if(1);
        s.local_get(at).i32_load8_u(m(0, 0)).local_tee(b);
        s.i32_const(0x7f)
            .i32_and()
            .i64_extend_i32_u()
            .local_get(sh)
            .i64_extend_i32_u()
            .i64_shl();
        s.local_get(id).i64_or().local_set(id);
        s.local_get(sh).i32_const(7).i32_add().local_set(sh);
        s.br(0).end().end();
        super::io::masked(s, id);
        s.return_();
    }
    s.end();
    // f410 in the Ethereum namespace
    s.local_get(len).i32_const(22).i32_eq();
    s.local_get(at)
        .i32_load16_u(m(0, 0))
        .i32_const(0x0a04)
        .i32_eq()
        .i32_and();
    s.if_(BlockType::Empty);
    super::io::eth_address_limbs(s, |s| {
        s.local_get(at).i32_const(2).i32_add();
    });
    s.return_().end();
    s.local_get(at)
        .local_get(len)
        .i32_const(mem::OUT as i32)
        .call(sys::ACTOR_RESOLVE);
    s.if_(BlockType::Empty);
    bad(s);
    s.end();
    s.i32_const(mem::OUT as i32).i64_load(m(0, 0)).local_set(id);
    super::io::masked(s, id);
    s.end();
    f
}

fn wr_head() -> Function {
    // (major, arg); i32: info 2, n 3
    let (info, n) = (2, 3);
    let mut f = func(0, 2);
    let s = &mut f.instructions();
    s.local_get(1)
        .i64_const(24)
        .i64_lt_u()
        .if_(BlockType::Empty);
    s.local_get(0)
        .i32_const(5)
        .i32_shl()
        .local_get(1)
        .i32_wrap_i64()
        .i32_or();
    call(s, Rt::WrByte);
    s.return_().end();
    s.i32_const(27).local_set(info).i32_const(8).local_set(n);
    for (limit, i, k) in [(1u64 << 32, 26, 4), (1 << 16, 25, 2), (1 << 8, 24, 1)] {
        s.local_get(1)
            .i64_const(limit as i64)
            .i64_lt_u()
            .if_(BlockType::Empty);
        s.i32_const(i).local_set(info).i32_const(k).local_set(n);
        s.end();
    }
    s.local_get(0)
        .i32_const(5)
        .i32_shl()
        .local_get(info)
        .i32_or();
    call(s, Rt::WrByte);
    s.loop_(BlockType::Empty);
    s.local_get(n).i32_const(1).i32_sub().local_tee(n);
    s.local_get(1)
        .local_get(n)
        .i32_const(3)
        .i32_shl()
        .i64_extend_i32_u()
        .i64_shr_u();
    s.i32_wrap_i64().i32_const(0xff).i32_and();
    call(s, Rt::WrByte);
    s.br_if(0).end();
    s.end();
    f
}

fn wr_int() -> Function {
    // (signed, bits, w 2..6); i32: neg 6, n 7
    let (neg, n) = (6, 7);
    let mut f = func(0, 2);
    let s = &mut f.instructions();
    s.local_get(0)
        .local_get(5)
        .i64_const(0)
        .i64_lt_s()
        .i32_and()
        .local_set(neg);
    s.local_get(1)
        .i32_const(64)
        .i32_le_u()
        .if_(BlockType::Empty);
    s.local_get(neg)
        .local_get(2)
        .i64_const(-1)
        .i64_xor()
        .local_get(2)
        .local_get(neg)
        .select();
    call(s, Rt::WrHead);
    s.return_().end();
    get_word(s, 2);
    call(s, Rt::IsZero);
    s.if_(BlockType::Empty).i32_const(2).i64_const(0);
    call(s, Rt::WrHead);
    s.return_().end();
    s.local_get(neg).if_(BlockType::Empty);
    get_word(s, 2);
    call(s, Rt::Neg);
    for i in (0..4).rev() {
        s.local_set(2 + i);
    }
    s.end();
    // significant bytes: from the top non-zero limb
    for i in 0..4u32 {
        s.local_get(2 + i).i64_eqz().i32_eqz().if_(BlockType::Empty);
        s.i32_const(8 * (i as i32 + 1))
            .local_get(2 + i)
            .i64_clz()
            .i32_wrap_i64();
        s.i32_const(3).i32_shr_u().i32_sub().local_set(n);
        s.end();
    }
    wr_int_tail(s, neg, n);
    f
}

fn wr_int_tail(s: &mut InstructionSink<'_>, neg: u32, n: u32) {
    s.i32_const(2)
        .local_get(n)
        .i32_const(1)
        .i32_add()
        .i64_extend_i32_u();
    call(s, Rt::WrHead);
    s.local_get(neg);
    call(s, Rt::WrByte);
    s.i32_const(mem::WBUF as i32);
    get_word(s, 2);
    call(s, Rt::MStore);
    copy_out(
        s,
        |s| {
            s.i32_const(mem::WBUF as i32 + 32).local_get(n).i32_sub();
        },
        n,
    );
    s.end();
}

fn wr_address() -> Function {
    // w 0..4; i64: x 4; i32: n 5, b 6
    let (x, n, b) = (4, 5, 6);
    let mut f = func(1, 2);
    let s = &mut f.instructions();
    s.local_get(1).i64_eqz().local_get(3).i64_eqz().i32_and();
    s.local_get(2)
        .i64_const(0xff00_0000)
        .i64_eq()
        .i32_and()
        .if_(BlockType::Empty);
    {
        s.i32_const(mem::ABUF as i32)
            .i32_const(0)
            .i32_store8(m(0, 0));
        s.local_get(0).local_set(x).i32_const(1).local_set(n);
        s.loop_(BlockType::Empty);
        s.local_get(x)
            .i32_wrap_i64()
            .i32_const(0x7f)
            .i32_and()
            .local_set(b);
        s.local_get(x)
            .i64_const(7)
            .i64_shr_u()
            .local_tee(x)
            .i64_const(0)
            .i64_ne();
        s.if_(BlockType::Empty)
            .local_get(b)
            .i32_const(0x80)
            .i32_or()
            .local_set(b)
            .end();
        s.local_get(n)
            .i32_const(mem::ABUF as i32)
            .i32_add()
            .local_get(b)
            .i32_store8(m(0, 0));
        s.local_get(n).i32_const(1).i32_add().local_set(n);
        s.local_get(x).i64_const(0).i64_ne().br_if(0);
        s.end();
        s.i32_const(2).local_get(n).i64_extend_i32_u();
        call(s, Rt::WrHead);
        copy_out(
            s,
            |s| {
                s.i32_const(mem::ABUF as i32);
            },
            n,
        );
        s.return_();
    }
    s.end();
    s.i32_const(2).i64_const(22);
    call(s, Rt::WrHead);
    s.i32_const(4);
    call(s, Rt::WrByte);
    s.i32_const(10);
    call(s, Rt::WrByte);
    s.i32_const(mem::WBUF as i32);
    get_word(s, 0);
    call(s, Rt::MStore);
    s.i32_const(20).local_set(n);
    copy_out(
        s,
        |s| {
            s.i32_const(mem::WBUF as i32 + 12);
        },
        n,
    );
    s.end();
    f
}
