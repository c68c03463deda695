//! Memory, storage, hashing, context and abort helpers over the `tandem_v1` syscalls.

use super::word::{bswap_local, get_word};
use super::{Rt, call, func, m};
use crate::layout::{IPLD_RAW, exit, global, mem, sys};
use wasm_encoder::{BlockType, Function, InstructionSink};

pub fn body(rt: Rt) -> Option<Function> {
    Some(match rt {
        Rt::MLoad => {
            // limb 1 (i64)
            let mut f = func(1, 0);
            let s = &mut f.instructions();
            for off in [24u64, 16, 8, 0] {
                s.local_get(0).i64_load(m(off, 0)).local_set(1);
                bswap_local(s, 1);
            }
            s.end();
            f
        }
        Rt::MStore => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            for (off, limb) in [(0u64, 4u32), (8, 3), (16, 2), (24, 1)] {
                s.local_get(0);
                bswap_local(s, limb);
                s.i64_store(m(off, 0));
            }
            s.end();
            f
        }
        Rt::ToI32 => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.local_get(1).local_get(2).i64_or().local_get(3).i64_or();
            s.local_get(0)
                .i64_const(32)
                .i64_shr_u()
                .i64_or()
                .i64_const(0)
                .i64_ne();
            s.if_(BlockType::Empty).unreachable().end();
            s.local_get(0).i32_wrap_i64().end();
            f
        }
        Rt::GrowTo => {
            // pages 1 (i32)
            let mut f = func(0, 1);
            let s = &mut f.instructions();
            s.local_get(0)
                .memory_size(0)
                .i32_const(16)
                .i32_shl()
                .i32_gt_u();
            s.if_(BlockType::Empty);
            s.local_get(0)
                .memory_size(0)
                .i32_const(16)
                .i32_shl()
                .i32_sub();
            s.i32_const(0xffff).i32_add().i32_const(16).i32_shr_u();
            s.memory_grow(0)
                .i32_const(-1)
                .i32_eq()
                .if_(BlockType::Empty)
                .unreachable()
                .end();
            s.end().end();
            f
        }
        Rt::Alloc => {
            // p 1, new 2
            let mut f = func(0, 2);
            let s = &mut f.instructions();
            s.global_get(global::HEAP)
                .local_tee(1)
                .local_get(0)
                .i32_add();
            s.i32_const(31)
                .i32_add()
                .i32_const(-32)
                .i32_and()
                .local_tee(2);
            s.local_get(1)
                .i32_lt_u()
                .if_(BlockType::Empty)
                .unreachable()
                .end();
            s.local_get(2);
            call(s, Rt::GrowTo);
            s.local_get(2).global_set(global::HEAP).local_get(1).end();
            f
        }
        Rt::Chk => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.local_get(0)
                .if_(BlockType::Empty)
                .unreachable()
                .end()
                .end();
            f
        }
        Rt::Abort => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.local_get(0).i32_const(0).i32_const(0).i32_const(0);
            s.call(sys::VM_ABORT).drop().unreachable().end();
            f
        }
        Rt::RevertRaw => {
            // (ptr, len): REVERTED with the bytes as an IPLD_RAW block (empty for no data)
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.i64_const(IPLD_RAW)
                .local_get(0)
                .local_get(1)
                .i32_const(mem::OUT as i32);
            s.call(sys::BLOCK_CREATE);
            call(s, Rt::Chk);
            s.i32_const(exit::REVERTED)
                .i32_const(mem::OUT as i32)
                .i32_load(m(0, 0));
            s.i32_const(0)
                .i32_const(0)
                .call(sys::VM_ABORT)
                .drop()
                .unreachable()
                .end();
            f
        }
        Rt::Panic => {
            // Panic(uint256 code): selector 0x4e487b71 then the code word, at WBUF - 4
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            let at = mem::HBUF as i32;
            s.i32_const(at)
                .i32_const(i32::from_le_bytes([0x4e, 0x48, 0x7b, 0x71]));
            s.i32_store(m(0, 0));
            s.i32_const(at + 4).local_get(0).i64_extend_i32_u();
            s.i64_const(0).i64_const(0).i64_const(0);
            call(s, Rt::MStore);
            s.i32_const(at).i32_const(36);
            call(s, Rt::RevertRaw);
            s.end();
            f
        }
        // Slot and transient storage alike: the key (and value) as big-endian words at KEY
        // (and VAL), as the EVM build's SLOAD/TLOAD see them.
        Rt::SLoad => word_get(sys::SLOT_GET),
        Rt::TLoad => word_get(sys::TRANSIENT_GET),
        Rt::SStore => word_set(sys::SLOT_SET),
        Rt::TStore => word_set(sys::TRANSIENT_SET),
        Rt::Hash => {
            // (kind, ptr, len)
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.local_get(0)
                .local_get(1)
                .local_get(2)
                .i32_const(mem::OUT as i32);
            s.call(sys::CRYPTO_HASH);
            call(s, Rt::Chk);
            s.i32_const(mem::OUT as i32);
            call(s, Rt::MLoad);
            s.end();
            f
        }
        Rt::MapSlot => {
            // keccak256(key . base) as limbs: key 0..4, base 4..8.
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            get_word(s, 0);
            get_word(s, 4);
            call(s, Rt::MapMemo);
            s.global_get(global::MS_LIMBS)
                .i32_eqz()
                .if_(BlockType::Empty);
            s.i32_const(mem::MS_HASH as i32);
            call(s, Rt::MLoad);
            for i in (0..4).rev() {
                s.global_set(global::MS_OUT + i);
            }
            s.i32_const(1).global_set(global::MS_LIMBS);
            s.end();
            for i in 0..4 {
                s.global_get(global::MS_OUT + i);
            }
            s.end();
            f
        }
        Rt::MapMemo => map_memo(),
        // A value at a mapping slot: the slot's bytes go from the memo to KEY as they are,
        // never through limbs (`SLoad(MapSlot(..))`, `SStore(MapSlot(..), v)`).
        Rt::SLoadMap => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            get_word(s, 0);
            get_word(s, 4);
            call(s, Rt::MapMemo);
            memo_to_key(s);
            s.i32_const(mem::KEY as i32)
                .i32_const(mem::VAL as i32)
                .call(sys::SLOT_GET);
            call(s, Rt::Chk);
            s.i32_const(mem::VAL as i32);
            call(s, Rt::MLoad);
            s.end();
            f
        }
        Rt::SStoreMap => {
            // key 0..4, base 4..8, value 8..12
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            get_word(s, 0);
            get_word(s, 4);
            call(s, Rt::MapMemo);
            memo_to_key(s);
            s.i32_const(mem::VAL as i32);
            get_word(s, 8);
            call(s, Rt::MStore);
            s.i32_const(mem::KEY as i32)
                .i32_const(mem::VAL as i32)
                .call(sys::SLOT_SET);
            call(s, Rt::Chk);
            s.end();
            f
        }
        Rt::MapSlotBytes => map_slot_bytes(),
        Rt::DataSlot => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.i32_const(mem::HBUF as i32);
            get_word(s, 0);
            call(s, Rt::MStore);
            s.i32_const(2).i32_const(mem::HBUF as i32).i32_const(32);
            call(s, Rt::Hash);
            s.end();
            f
        }
        Rt::WordOfId => word_of_id(),
        Rt::IdOfWord => id_of_word(),
        Rt::Caller => {
            let mut f = func(0, 0);
            let s = &mut f.instructions();
            s.global_get(global::CALLER_SET)
                .i32_eqz()
                .if_(BlockType::Empty);
            s.i32_const(mem::MSGCTX as i32).i64_load(m(0, 0));
            call(s, Rt::WordOfId);
            for i in (0..4).rev() {
                s.global_set(global::CALLER + i);
            }
            s.i32_const(1).global_set(global::CALLER_SET);
            s.end();
            for i in 0..4 {
                s.global_get(global::CALLER + i);
            }
            s.end();
            f
        }
        Rt::Balance => {
            // id 4 (i64), found 5 (i32)
            let mut f = func(1, 1);
            let s = &mut f.instructions();
            get_word(s, 0);
            call(s, Rt::IdOfWord);
            s.local_set(5).local_set(4);
            s.local_get(5).if_(BlockType::Empty);
            s.local_get(4)
                .i32_const(mem::OUT as i32)
                .call(sys::ACTOR_BALANCE)
                .i32_eqz();
            s.if_(BlockType::Empty);
            s.i32_const(mem::OUT as i32).i64_load(m(0, 0));
            s.i32_const(mem::OUT as i32).i64_load(m(8, 0));
            s.i64_const(0).i64_const(0).return_();
            s.end().end();
            s.i64_const(0).i64_const(0).i64_const(0).i64_const(0).end();
            f
        }
        Rt::CodeSize => {
            // (address word) -> the byte size of its code, 0 where no actor lives
            // id 4 (i64), found 5 (i32)
            let mut f = func(1, 1);
            let s = &mut f.instructions();
            get_word(s, 0);
            call(s, Rt::IdOfWord);
            s.local_set(5).local_set(4);
            s.local_get(5).if_(BlockType::Empty);
            s.local_get(4)
                .i32_const(mem::OUT as i32)
                .call(sys::ACTOR_CODE_SIZE)
                .i32_eqz();
            s.if_(BlockType::Empty);
            s.i32_const(mem::OUT as i32).i64_load(m(0, 0));
            s.i64_const(0).i64_const(0).i64_const(0).return_();
            s.end().end();
            s.i64_const(0).i64_const(0).i64_const(0).i64_const(0).end();
            f
        }
        _ => return None,
    })
}

/// `(key word) -> word` through a 32-byte get syscall (`slot_get`, `transient_get`).
fn word_get(syscall: u32) -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    s.i32_const(mem::KEY as i32);
    get_word(s, 0);
    call(s, Rt::MStore);
    s.i32_const(mem::KEY as i32)
        .i32_const(mem::VAL as i32)
        .call(syscall);
    call(s, Rt::Chk);
    s.i32_const(mem::VAL as i32);
    call(s, Rt::MLoad);
    s.end();
    f
}

/// `(key word, value word)` through a 32-byte set syscall (`slot_set`, `transient_set`).
fn word_set(syscall: u32) -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    for (at, base) in [(mem::KEY, 0), (mem::VAL, 4)] {
        s.i32_const(at as i32);
        get_word(s, base);
        call(s, Rt::MStore);
    }
    s.i32_const(mem::KEY as i32)
        .i32_const(mem::VAL as i32)
        .call(syscall);
    call(s, Rt::Chk);
    s.end();
    f
}

/// keccak256(key . base) at `mem::MS_HASH` (key 0..4, base 4..8). The last two slots
/// hashed are remembered (a pure function of their inputs): reading then writing a balance
/// hashes its slot once, and so does reading then writing `allowances[o][s]`, whose outer
/// slot is hashed right after its inner one. A hit on the older entry swaps the two, so the
/// slot asked for is always the one at `MS_HASH`.
fn map_memo() -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    memo_hit(s, global::MS_SET, global::MS_IN);
    s.if_(BlockType::Empty).return_().end();
    memo_hit(s, global::MS2_SET, global::MS2_IN);
    s.if_(BlockType::Empty);
    for i in 0..8 {
        s.global_get(global::MS_IN + i)
            .global_set(global::MS2_IN + i);
        s.local_get(i).global_set(global::MS_IN + i);
    }
    for (dst, src) in [
        (mem::MS_SWAP, mem::MS_HASH),
        (mem::MS_HASH, mem::MS_HASH2),
        (mem::MS_HASH2, mem::MS_SWAP),
    ] {
        s.i32_const(dst as i32)
            .i32_const(src as i32)
            .i32_const(32)
            .memory_copy(0, 0);
    }
    s.i32_const(0).global_set(global::MS_LIMBS).return_().end();
    // a miss: the last entry becomes the older one
    for i in 0..8 {
        s.global_get(global::MS_IN + i)
            .global_set(global::MS2_IN + i);
    }
    s.global_get(global::MS_SET).global_set(global::MS2_SET);
    s.i32_const(mem::MS_HASH2 as i32)
        .i32_const(mem::MS_HASH as i32)
        .i32_const(32)
        .memory_copy(0, 0);
    for (off, base) in [(0, 0), (32, 4)] {
        s.i32_const(mem::HBUF as i32 + off);
        get_word(s, base);
        call(s, Rt::MStore);
    }
    s.i32_const(2)
        .i32_const(mem::HBUF as i32)
        .i32_const(64)
        .i32_const(mem::MS_HASH as i32);
    s.call(sys::CRYPTO_HASH);
    call(s, Rt::Chk);
    for i in 0..8 {
        s.local_get(i).global_set(global::MS_IN + i);
    }
    s.i32_const(1).global_set(global::MS_SET);
    s.i32_const(0).global_set(global::MS_LIMBS);
    s.end();
    f
}

/// Pushes whether the memo entry (`set`, inputs from `inputs`) holds the key and base in
/// locals 0..8 (i32).
fn memo_hit(s: &mut InstructionSink<'_>, set: u32, inputs: u32) {
    s.global_get(set);
    for i in 0..8 {
        s.local_get(i).global_get(inputs + i).i64_eq().i32_and();
    }
}

/// Copies the memo's slot to `mem::KEY`.
fn memo_to_key(s: &mut InstructionSink<'_>) {
    s.i32_const(mem::KEY as i32)
        .i32_const(mem::MS_HASH as i32)
        .i32_const(32)
        .memory_copy(0, 0);
}

/// keccak256(key bytes . base) for a `Bytes`/`String` key at `ptr` (param 0), base 1..5.
fn map_slot_bytes() -> Function {
    // len 5, at 6 (i32)
    let mut f = func(0, 2);
    let s = &mut f.instructions();
    s.local_get(0);
    call(s, Rt::MLoad);
    call(s, Rt::ToI32);
    s.local_set(5);
    s.global_get(global::HEAP).local_set(6);
    s.local_get(6)
        .local_get(5)
        .i32_add()
        .i32_const(32)
        .i32_add();
    call(s, Rt::GrowTo);
    s.local_get(6)
        .local_get(0)
        .i32_const(32)
        .i32_add()
        .local_get(5)
        .memory_copy(0, 0);
    s.local_get(6).local_get(5).i32_add();
    get_word(s, 1);
    call(s, Rt::MStore);
    s.i32_const(2)
        .local_get(6)
        .local_get(5)
        .i32_const(32)
        .i32_add();
    call(s, Rt::Hash);
    s.end();
    f
}

/// The address word of an actor: its Ethereum address if it has an f410 one, else the
/// masked ID form `0xff 00.. id`.
fn word_of_id() -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    s.local_get(0)
        .i32_const(mem::ABUF as i32)
        .i32_const(64)
        .i32_const(mem::OUT as i32);
    s.call(sys::LOOKUP_DELEGATED).i32_eqz();
    s.i32_const(mem::OUT as i32)
        .i32_load(m(0, 0))
        .i32_const(22)
        .i32_eq()
        .i32_and();
    s.i32_const(mem::ABUF as i32)
        .i32_load16_u(m(0, 0))
        .i32_const(0x0a04)
        .i32_eq()
        .i32_and();
    s.if_(BlockType::Empty);
    eth_address_limbs(s, |s| {
        s.i32_const(mem::ABUF as i32 + 2);
    });
    s.return_().end();
    masked(s, 0);
    s.end();
    f
}

/// Pushes the word of the 20 big-endian bytes of an Ethereum address at the i32 that `at`
/// pushes: three loads straight into limbs (the top limb is zero), where staging the bytes
/// in a word buffer for `MLoad` took four loads, a fill and a copy. The top 4 bytes are the
/// low half of the 8 bytes that end there.
pub fn eth_address_limbs(s: &mut InstructionSink<'_>, at: impl Fn(&mut InstructionSink<'_>)) {
    for off in [12, 4] {
        at(s);
        s.i64_load(m(off, 0));
        call(s, Rt::Bswap);
    }
    at(s);
    s.i32_const(4).i32_sub().i64_load(m(0, 0));
    call(s, Rt::Bswap);
    s.i64_const(0xffff_ffff).i64_and().i64_const(0);
}

/// Pushes the masked ID word of the id in local `id`.
pub fn masked(s: &mut InstructionSink<'_>, id: u32) {
    s.local_get(id)
        .i64_const(0)
        .i64_const(0xff00_0000)
        .i64_const(0);
}

/// (id, found) of an address word: the masked ID form directly, an Ethereum address through
/// its f410 address.
fn id_of_word() -> Function {
    let mut f = func(0, 0);
    let s = &mut f.instructions();
    s.local_get(1).i64_eqz().local_get(3).i64_eqz().i32_and();
    s.local_get(2).i64_const(0xff00_0000).i64_eq().i32_and();
    s.if_(BlockType::Empty)
        .local_get(0)
        .i32_const(1)
        .return_()
        .end();
    // not a 160-bit word: no such actor
    s.local_get(3)
        .i64_const(0)
        .i64_ne()
        .local_get(2)
        .i64_const(32)
        .i64_shr_u()
        .i64_const(0);
    s.i64_ne()
        .i32_or()
        .if_(BlockType::Empty)
        .i64_const(0)
        .i32_const(0)
        .return_()
        .end();
    s.i32_const(mem::WBUF as i32);
    get_word(s, 0);
    call(s, Rt::MStore);
    s.i32_const(mem::ABUF as i32)
        .i32_const(0x0a04)
        .i32_store16(m(0, 0));
    s.i32_const(mem::ABUF as i32 + 2)
        .i32_const(mem::WBUF as i32 + 12)
        .i32_const(20);
    s.memory_copy(0, 0);
    s.i32_const(mem::ABUF as i32)
        .i32_const(22)
        .i32_const(mem::OUT as i32);
    s.call(sys::ACTOR_RESOLVE)
        .if_(BlockType::Empty)
        .i64_const(0)
        .i32_const(0)
        .return_()
        .end();
    s.i32_const(mem::OUT as i32)
        .i64_load(m(0, 0))
        .i32_const(1)
        .end();
    f
}
