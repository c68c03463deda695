//! The second entry of a native Tandem actor: `InvokeEVM` (3844450837) with Solidity-ABI
//! calldata, so an EVM contract (or `cast`) calls it through its ordinary interface
//! (docs/wasm-target.md, "Dispatch and the wire format").
//!
//! `invoke` routes the method here ([`dispatch`]): the calldata is the params block
//! (IPLD_RAW, or a CBOR byte string, as the EVM runtime accepts it), dispatch is by the
//! 4-byte selector of each handler (`ContractMeta::handlers[i].selector`, the EVM build's),
//! and the `ABI` global tells the handler's prologue and its `Return` to decode and encode
//! the Solidity ABI instead of DAG-CBOR. The decoder is the EVM build's (codegen-evm's
//! `abi.rs`), guard for guard: calldata shorter than the selector and the head, a word
//! not clean for its type, an unknown selector revert with no data (exit 33); a tail is
//! read where its offset points, past the end of the calldata as zeros, as `CALLDATALOAD`
//! and `CALLDATACOPY` read. One guard is added: a tail longer than the calldata reverts
//! with no data (the EVM build would zero-fill it, or run out of gas).

use crate::agg::Count;
use crate::func::FnGen;
use crate::layout::{INVOKE_EVM, IPLD_RAW, exit, global, mem, sys};
use crate::rt::{Rt, m};
use tandem_lang_ir::{Contract, Expr, LocalId, Param, ValTy};
use wasm_encoder::{BlockType, InstructionSink, ValType};

const CBOR: i64 = 0x51;
const DAG_CBOR: i64 = 0x71;

/// In `invoke`, after the method-number dispatch: `InvokeEVM` runs the handler whose
/// selector starts the calldata. Locals of `invoke`: `params` (the block id), `method`
/// (i64), `codec` (i64, set here), `sel` (i32). `first` is the function index of handler 0.
pub fn dispatch(
    s: &mut InstructionSink<'_>,
    c: &Contract,
    first: u32,
    [params, method, codec, sel]: [u32; 4],
) {
    let (receive, fallback) = special_indices(c, first);
    s.local_get(method)
        .i64_const(INVOKE_EVM as i64)
        .i64_eq()
        .if_(BlockType::Empty);
    // the calldata: IPLD_RAW bytes, or a CBOR byte string; another codec is bad params
    s.local_get(params).if_(BlockType::Empty);
    s.local_get(params)
        .i32_const(mem::OUT as i32)
        .call(sys::BLOCK_STAT)
        .call(Rt::Chk.index());
    s.i32_const(mem::OUT as i32)
        .i64_load(m(8, 0))
        .local_set(codec);
    s.local_get(codec).i64_const(CBOR).i64_eq();
    s.local_get(codec).i64_const(DAG_CBOR).i64_eq().i32_or();
    s.if_(BlockType::Empty);
    s.call(Rt::RdHead.index())
        .local_set(method)
        .i32_const(2)
        .i32_ne();
    s.local_get(method)
        .global_get(global::RD_END)
        .global_get(global::RD)
        .i32_sub()
        .i64_extend_i32_u()
        .i64_ne()
        .i32_or();
    s.if_(BlockType::Empty)
        .i32_const(exit::BAD_PARAMS)
        .call(Rt::Abort.index())
        .end();
    s.else_();
    s.local_get(codec).i64_const(IPLD_RAW).i64_ne();
    s.if_(BlockType::Empty)
        .i32_const(exit::BAD_PARAMS)
        .call(Rt::Abort.index())
        .end();
    s.end();
    s.end();
    // fresh (zero) memory right after the calldata: a word read near its end sees zeros
    s.i32_const(32).call(Rt::Alloc.index()).drop();
    s.i32_const(1).global_set(global::ABI);
    s.global_get(global::RD_END)
        .global_get(global::RD)
        .i32_sub()
        .i32_const(4)
        .i32_lt_u();
    s.if_(BlockType::Empty);
    // Solidity's routing: empty calldata runs `receive` (else `fallback`), other calldata no
    // selector matches runs `fallback`.
    if let Some(r) = receive {
        s.global_get(global::RD_END)
            .global_get(global::RD)
            .i32_eq()
            .if_(BlockType::Empty);
        s.call(r).return_().end();
    }
    no_match(s, fallback);
    s.end();
    s.global_get(global::RD).i32_load(m(0, 0)).local_set(sel);
    for (i, h) in c.meta.handlers.iter().enumerate() {
        s.local_get(sel)
            .i32_const(i32::from_le_bytes(h.selector))
            .i32_eq()
            .if_(BlockType::Empty);
        s.call(first + i as u32).return_().end();
    }
    no_match(s, fallback);
    s.end();
}

/// The function indices of `receive` and `fallback`: after the handlers, in that order.
pub fn special_indices(c: &Contract, first: u32) -> (Option<u32>, Option<u32>) {
    let after = first + c.handlers.len() as u32;
    let receive = c.receive.as_ref().map(|_| after);
    let fallback = c
        .fallback
        .as_ref()
        .map(|_| after + c.receive.is_some() as u32);
    (receive, fallback)
}

/// Calldata no handler takes: the `fallback`, else a revert with no data.
fn no_match(s: &mut InstructionSink<'_>, fallback: Option<u32>) {
    match fallback {
        Some(f) => {
            s.call(f).return_();
        }
        None => revert_empty(s),
    }
}

fn revert_empty(s: &mut InstructionSink<'_>) {
    s.i32_const(0).i32_const(0).call(Rt::RevertRaw.index());
}

/// Bytes per element of a dynamic value's data (1 for `Bytes`/`String`).
fn unit(ty: &ValTy) -> u32 {
    match ty {
        ValTy::DynArray(e) => e.head_size(),
        _ => 1,
    }
}

impl FnGen<'_> {
    fn revert_empty(&mut self) {
        self.s().i32_const(0).i32_const(0);
        self.call(Rt::RevertRaw);
    }

    /// Pushes the calldata's length (i32).
    fn cd_len(&mut self) {
        self.s()
            .global_get(global::RD_END)
            .global_get(global::RD)
            .i32_sub();
    }

    /// The handler's parameters from ABI calldata (after the selector) into their locals.
    pub fn abi_params(&mut self, params: &[Param]) {
        let head: u64 = params.iter().map(|p| u64::from(p.ty.head_size())).sum();
        if head > 0 {
            self.cd_len();
            self.s()
                .i64_extend_i32_u()
                .i64_const(4 + head as i64)
                .i64_lt_u()
                .if_(BlockType::Empty);
            self.revert_empty();
            self.s().end();
        }
        let mut off = 4u32;
        for p in params {
            let at = self.temp32();
            self.s()
                .global_get(global::RD)
                .i32_const(off as i32)
                .i32_add()
                .local_set(at);
            match &p.ty {
                ValTy::Word(w) => {
                    self.s().local_get(at);
                    self.clean_word(*w);
                }
                t if !crate::abi_nested::flat(t) => self.abi_nested_param(t, off),
                t if !t.is_dynamic() => {
                    let (ptr, size) = (self.temp32(), t.head_size() as i32);
                    self.s().i32_const(size);
                    self.call(Rt::Alloc);
                    let mut s = self.s();
                    s.local_tee(ptr).local_get(at).i32_const(size);
                    s.memory_copy(0, 0);
                    self.check_leaves(t, ptr, 0);
                    self.s().local_get(ptr);
                    self.i32_to_word();
                    self.release(1);
                }
                t => self.abi_tail_param(at, t),
            }
            self.set_local(p.local);
            self.release(1);
            off = off.saturating_add(p.ty.head_size());
        }
    }

    /// A `Bytes`, `String` or `Vec` parameter whose head word is at the i32 local `head`:
    /// as the EVM build, the tail is at offset + 4 (256-bit arithmetic), its length word and
    /// data read as `CALLDATALOAD`/`CALLDATACOPY` do (zeros past the end), a vector's
    /// elements checked clean. Leaves the pointer as a word.
    fn abi_tail_param(&mut self, head: u32, ty: &ValTy) {
        let (o, len) = (self.temp_word(), self.temp_word());
        let (inr, at, n, bytes, ptr) = (
            self.temp32(),
            self.temp32(),
            self.temp32(),
            self.temp32(),
            self.temp32(),
        );
        self.s().local_get(head);
        self.call(Rt::MLoad);
        self.push_const(tandem_lang_ir::U256::from(4u64));
        self.call(Rt::Add);
        self.set_local(o);
        let ol = self.word_local(o);
        // in range: the tail's offset is below the calldata's length
        {
            let mut s = self.s();
            s.local_get(ol + 1)
                .local_get(ol + 2)
                .i64_or()
                .local_get(ol + 3)
                .i64_or()
                .i64_eqz();
            s.local_get(ol);
            s.global_get(global::RD_END)
                .global_get(global::RD)
                .i32_sub()
                .i64_extend_i32_u()
                .i64_lt_u()
                .i32_and()
                .local_set(inr);
            s.global_get(global::RD)
                .local_get(ol)
                .i32_wrap_i64()
                .i32_add()
                .local_set(at);
        }
        self.s()
            .local_get(inr)
            .if_(BlockType::FunctionType(crate::module::TY_WORD_BLOCK));
        self.s().local_get(at);
        self.call(Rt::MLoad);
        self.s().else_();
        self.push_const(Default::default());
        self.s().end();
        self.set_local(len);
        let ll = self.word_local(len);
        // the length, in elements, must fit the calldata
        {
            let mut s = self.s();
            s.local_get(ll + 1)
                .local_get(ll + 2)
                .i64_or()
                .local_get(ll + 3)
                .i64_or()
                .i64_const(0)
                .i64_ne();
            s.local_get(ll)
                .i64_const(i64::from(unit(ty)))
                .i64_mul()
                .global_get(global::RD_END)
                .global_get(global::RD)
                .i32_sub()
                .i64_extend_i32_u()
                .i64_gt_u()
                .i32_or();
            // a vector longer than the calldata could hold wraps the product: refuse it too
            s.local_get(ll)
                .global_get(global::RD_END)
                .global_get(global::RD)
                .i32_sub()
                .i64_extend_i32_u()
                .i64_gt_u()
                .i32_or();
            s.if_(BlockType::Empty);
        }
        self.revert_empty();
        self.s().end();
        {
            let mut s = self.s();
            s.local_get(ll).i32_wrap_i64().local_set(n);
            s.local_get(n)
                .i32_const(unit(ty) as i32)
                .i32_mul()
                .local_set(bytes);
            s.local_get(bytes).i32_const(32).i32_add();
        }
        self.call(Rt::Alloc);
        self.s().local_tee(ptr);
        self.get_local(len);
        self.call(Rt::MStore);
        // the data there is: min(bytes, calldata end - (at + 32)), the rest stays zero
        {
            let mut s = self.s();
            s.local_get(inr).if_(BlockType::Empty);
            s.global_get(global::RD_END)
                .local_get(at)
                .i32_const(32)
                .i32_add()
                .i32_sub()
                .local_tee(at);
            s.i32_const(0).i32_gt_s().if_(BlockType::Empty);
            s.local_get(ptr).i32_const(32).i32_add();
            s.global_get(global::RD_END).local_get(at).i32_sub();
            s.local_get(bytes)
                .local_get(at)
                .local_get(bytes)
                .local_get(at)
                .i32_lt_u()
                .select();
            s.memory_copy(0, 0);
            s.end().end();
        }
        if let ValTy::DynArray(e) = ty {
            self.each(e, ptr, 32, Count::Local(n), |g, cur| {
                g.check_leaves(e, cur, 0)
            });
        }
        self.s().local_get(ptr);
        self.i32_to_word();
        self.release(5);
    }

    /// The return block of `vals` as ABI return data (an IPLD_RAW block); leaves its id.
    pub fn abi_reply_block(&mut self, vals: &[(LocalId, ValTy)]) {
        let dst = self.temp32();
        self.s().global_get(global::HEAP).local_set(dst);
        let len = self.abi_encode_values(dst, vals);
        let mut s = self.s();
        s.i64_const(IPLD_RAW).local_get(dst).local_get(len);
        s.i32_const(mem::OUT as i32).call(sys::BLOCK_CREATE);
        self.call(Rt::Chk);
        self.s().i32_const(mem::OUT as i32).i32_load(m(0, 0));
        self.release(2);
    }

    /// The Solidity ABI encoding (head, then tails) of values at the address in i32 temp
    /// `dst`, as the EVM build encodes returns, calldata, event data and error fields: words,
    /// static aggregates, `Bytes`, `String` and vectors of static elements here, nested
    /// dynamic shapes by the generated codec (`abi_nested.rs`). Leaves the length in a fresh
    /// i32 temp, returned.
    pub(crate) fn abi_encode_values(&mut self, dst: u32, vals: &[(LocalId, ValTy)]) -> u32 {
        if !vals.iter().all(|(_, t)| crate::abi_nested::flat(t)) {
            return self.abi_encode_nested(dst, vals);
        }
        let tail = self.temp32();
        let head: u32 = vals
            .iter()
            .map(|(_, t)| t.head_size())
            .fold(0, u32::saturating_add);
        self.s().local_get(dst).i32_const(head as i32).i32_add();
        self.call(Rt::GrowTo);
        self.s().i32_const(head as i32).local_set(tail);
        let mut off = 0u32;
        for (l, ty) in vals {
            match ty {
                ValTy::Word(_) => {
                    self.at(dst, off);
                    self.get_local(*l);
                    self.call(Rt::MStore);
                }
                t if !t.is_dynamic() => {
                    self.at(dst, off);
                    self.local_ptr(*l);
                    self.s().i32_const(t.head_size() as i32).memory_copy(0, 0);
                }
                t => {
                    self.at(dst, off);
                    self.s().local_get(tail);
                    self.i32_to_word();
                    self.call(Rt::MStore);
                    self.abi_tail_value(dst, tail, *l, unit(t));
                }
            }
            off = off.saturating_add(ty.head_size());
        }
        tail
    }

    /// `std::abi::encode(..)` (`Expr::AbiEncode`): fresh `Bytes` on the heap, a length word
    /// then the encoding `abi_encode_values` writes; leaves the pointer as a word.
    pub(crate) fn abi_encode_bytes(&mut self, args: &[(Expr, ValTy)]) {
        // The values first: evaluating them may allocate.
        let vals: Vec<(LocalId, ValTy)> = args
            .iter()
            .map(|(e, t)| {
                self.expr(e);
                let l = self.temp_word();
                self.set_local(l);
                (l, t.clone())
            })
            .collect();
        let (p, data) = (self.temp32(), self.temp32());
        self.s()
            .global_get(global::HEAP)
            .local_tee(p)
            .i32_const(32)
            .i32_add()
            .local_tee(data);
        self.call(Rt::GrowTo);
        let len = self.abi_encode_values(data, &vals);
        self.s().local_get(p);
        self.s().local_get(len);
        self.i32_to_word();
        self.call(Rt::MStore);
        // Claim the length word and the (word-padded) encoding.
        self.s().local_get(len).i32_const(32).i32_add();
        self.call(Rt::Alloc);
        self.s().drop();
        self.s().local_get(p);
        self.i32_to_word();
        self.release(3);
    }

    /// Appends a dynamic value at `dst + tail`: its length word (bytes or elements), the
    /// data, zero padding to the word; advances `tail`.
    fn abi_tail_value(&mut self, dst: u32, tail: u32, l: LocalId, unit: u32) {
        let (bytes, at) = (self.temp32(), self.temp32());
        self.local_ptr(l);
        self.call(Rt::MLoad);
        self.call(Rt::ToI32);
        let mut s = self.s();
        s.i32_const(unit as i32).i32_mul().local_set(bytes);
        s.local_get(dst).local_get(tail).i32_add().local_tee(at);
        s.local_get(bytes)
            .i32_const(63)
            .i32_add()
            .i32_const(-32)
            .i32_and()
            .i32_add();
        self.call(Rt::GrowTo);
        self.s().local_get(at);
        self.local_ptr(l);
        let mut s = self.s();
        s.local_get(bytes).i32_const(32).i32_add().memory_copy(0, 0);
        s.local_get(at)
            .i32_const(32)
            .i32_add()
            .local_get(bytes)
            .i32_add()
            .i32_const(0);
        s.i32_const(0)
            .local_get(bytes)
            .i32_sub()
            .i32_const(31)
            .i32_and()
            .memory_fill(0);
        s.local_get(tail).i32_const(32).i32_add();
        s.local_get(bytes)
            .i32_const(31)
            .i32_add()
            .i32_const(-32)
            .i32_and()
            .i32_add()
            .local_set(tail);
        self.release(2);
    }

    /// Whether the handler runs for `InvokeEVM` (i32): the prologue and `Return` branch on it.
    pub fn abi_mode(&mut self) {
        self.s().global_get(global::ABI);
    }
}

/// `Return` of a handler: the block type of the branch that leaves a return block id.
pub const BLOCK_ID: BlockType = BlockType::Result(ValType::I32);
