//! Helpers for sends: the target's Filecoin address, whether it runs on the EVM, and a
//! return block made the CBOR reader's input.

use super::word::get_word;
use super::{Rt, call, func, m};
use crate::layout::{EVM_CODE_CID, global, mem, sys};
use wasm_encoder::{BlockType, Function};

pub fn body(rt: Rt) -> Option<Function> {
    Some(match rt {
        Rt::ToAddr => {
            // (word) -> len: the Filecoin address bytes at TO + 1 (after WrAddress's head)
            let mut f = func(0, 1);
            let s = &mut f.instructions();
            s.global_get(global::WR).local_set(4);
            s.i32_const(mem::TO as i32).global_set(global::WR);
            get_word(s, 0);
            call(s, Rt::WrAddress);
            s.global_get(global::WR)
                .i32_const(mem::TO as i32 + 1)
                .i32_sub();
            s.local_get(4).global_set(global::WR);
            s.end();
            f
        }
        Rt::IsEvm => {
            // (word) -> 1 if an actor has that address and runs the EVM's code
            let mut f = func(1, 1);
            let (id, found) = (4, 5);
            let s = &mut f.instructions();
            get_word(s, 0);
            call(s, Rt::IdOfWord);
            s.local_set(found).local_set(id);
            s.local_get(found).i32_eqz().if_(BlockType::Empty);
            s.i32_const(0).return_().end();
            s.local_get(id)
                .i32_const(mem::CODE as i32)
                .i32_const(64)
                .i32_const(mem::OUT as i32)
                .call(sys::ACTOR_CODE);
            s.if_(BlockType::Empty).i32_const(0).return_().end();
            s.i32_const(mem::OUT as i32)
                .i32_load(m(0, 0))
                .i32_const(EVM_CODE_CID.len() as i32)
                .i32_eq();
            let word = |b: &[u8]| {
                let mut x = [0u8; 8];
                x[..b.len()].copy_from_slice(b);
                i64::from_le_bytes(x)
            };
            s.i32_const(mem::CODE as i32)
                .i64_load(m(0, 0))
                .i64_const(word(&EVM_CODE_CID[..8]))
                .i64_eq()
                .i32_and();
            // the last six bytes, read as the eight ending at the CID's end
            s.i32_const(mem::CODE as i32)
                .i64_load(m(EVM_CODE_CID.len() as u64 - 8, 0))
                .i64_const(word(&EVM_CODE_CID[EVM_CODE_CID.len() - 8..]))
                .i64_eq()
                .i32_and();
            s.end();
            f
        }
        Rt::ReadBlock => {
            // (id): the block's bytes in fresh memory, as the reader's input (empty for 0)
            let mut f = func(0, 2);
            let (size, p) = (1, 2);
            let s = &mut f.instructions();
            s.global_get(global::HEAP).local_set(p);
            s.local_get(0).if_(BlockType::Empty);
            s.local_get(0)
                .i32_const(mem::OUT as i32)
                .call(sys::BLOCK_STAT);
            call(s, Rt::Chk);
            s.i32_const(mem::OUT as i32)
                .i32_load(m(4, 0))
                .local_tee(size);
            call(s, Rt::Alloc);
            s.local_set(p);
            s.local_get(0)
                .i32_const(0)
                .local_get(p)
                .local_get(size)
                .i32_const(mem::OUT as i32)
                .call(sys::BLOCK_READ);
            call(s, Rt::Chk);
            s.end();
            s.local_get(p).global_set(global::RD);
            s.local_get(p)
                .local_get(size)
                .i32_add()
                .global_set(global::RD_END);
            s.end();
            f
        }
        Rt::Ecrecover => ecrecover(),
        _ => return None,
    })
}

/// `(hash, v, r, s) -> address`: as the EVM's precompile, 0 unless v is 27 or 28 and the
/// signature recovers a key (`crypto_recover_secp256k1`); else the last 20 bytes of the
/// keccak256 of the key's 64 coordinate bytes.
fn ecrecover() -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    let (hash, v, r, sv) = (0, 4, 8, 12);
    let at = mem::HBUF as i32;
    // v in {27, 28}
    s.local_get(v + 1)
        .local_get(v + 2)
        .i64_or()
        .local_get(v + 3)
        .i64_or()
        .i64_const(0)
        .i64_ne();
    s.local_get(v)
        .i64_const(27)
        .i64_sub()
        .i64_const(1)
        .i64_gt_u()
        .i32_or();
    s.if_(BlockType::Empty);
    s.i64_const(0)
        .i64_const(0)
        .i64_const(0)
        .i64_const(0)
        .return_();
    s.end();
    for (off, w) in [(0, hash), (32, r), (64, sv)] {
        s.i32_const(at + off);
        get_word(s, w);
        call(s, Rt::MStore);
    }
    s.i32_const(at + 96)
        .local_get(v)
        .i32_wrap_i64()
        .i32_const(27)
        .i32_sub()
        .i32_store8(m(0, 0));
    s.i32_const(at)
        .i32_const(at + 32)
        .i32_const(mem::PUBKEY as i32)
        .call(sys::RECOVER);
    s.if_(BlockType::Empty);
    s.i64_const(0)
        .i64_const(0)
        .i64_const(0)
        .i64_const(0)
        .return_();
    s.end();
    s.i32_const(2)
        .i32_const(mem::PUBKEY as i32 + 1)
        .i32_const(64);
    call(s, Rt::Hash);
    // keep the low 160 bits: limbs 0, 1 and the low half of 2
    s.drop().i64_const(0xffff_ffff).i64_and().i64_const(0);
    s.end();
    f
}
