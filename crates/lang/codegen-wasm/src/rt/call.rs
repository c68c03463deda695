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
        _ => return None,
    })
}
