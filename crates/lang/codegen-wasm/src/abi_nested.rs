//! Nested dynamic shapes (`Vec<Bytes>`, `Vec<String>`, `Vec<Vec<T>>`, `[Bytes; N]`,
//! structs and tuples with dynamic fields, `Vec`s of them) on the Solidity ABI side of the
//! native build: `InvokeEVM` parameters and replies, event data, custom error fields,
//! calldata sent to an EVM contract and its replies. The codec is the EVM build's generator
//! (`tandem_lang_evm::abi_nested`), which builds neutral IR over memory; this backend
//! compiles that IR like any other body, so both builds decode as strictly (offsets and
//! lengths below 2^64 and inside the data, every word clean; anything else reverts with no
//! data) and encode byte for byte alike. The one difference is memory: WASM memory does
//! not grow on a write, so the encoder's writes grow it as they go (`FnGen::grow_writes`).

use crate::codecs::Codec;
use crate::func::FnGen;
use crate::layout::global;
use tandem_lang_evm::abi_nested::{Fresh, decode_in_memory, decode_reply, encode_values};
use tandem_lang_ir::{BinOp, Expr, LabelId, LocalId, ValTy};

impl Fresh for FnGen<'_> {
    fn new_local(&mut self) -> LocalId {
        self.temp_word()
    }
    fn new_label(&mut self) -> LabelId {
        self.fresh_label()
    }
}

/// Whether the plain ABI paths (words, static aggregates, `Bytes`, `String`, vectors of
/// static elements) cover `ty`; anything else takes the generated codec.
pub fn flat(ty: &ValTy) -> bool {
    match ty {
        ValTy::Bytes | ValTy::String => true,
        ValTy::DynArray(e) => !e.is_dynamic(),
        t => !t.is_dynamic(),
    }
}

impl FnGen<'_> {
    /// A word local holding the i32 global `g`.
    fn global_word(&mut self, g: u32) -> LocalId {
        let l = self.temp_word();
        self.s().global_get(g);
        self.i32_to_word();
        self.set_local(l);
        l
    }

    /// The `InvokeEVM` parameter whose head is `off` bytes into the calldata (selector
    /// included): its codec; leaves its pointer as a word.
    pub(crate) fn abi_nested_param(&mut self, t: &ValTy, off: u32) {
        self.push_const(tandem_lang_ir::U256::from(off));
        self.call_codec(Codec::AbiParam(t.clone()));
    }

    /// The body of that codec: decoded from the calldata in memory (`RD..RD_END`, the
    /// arguments from `RD + 4`), the head at `RD + off`.
    pub(crate) fn abi_nested_param_inline(&mut self, t: &ValTy, off: Expr) {
        let rd = self.global_word(global::RD);
        let end = self.global_word(global::RD_END);
        let start = Expr::plus(Expr::Local(rd), Expr::c(4));
        let head = Expr::plus(Expr::Local(rd), off);
        let (stmts, v) = decode_in_memory(self, t, start, Expr::Local(end), head);
        self.stmts(&stmts);
        self.expr(&v);
    }

    /// An EVM contract's ABI return data (at `RD..RD_END`) as the nested shape `t` (a
    /// `Tuple` is the callee's list of return values): its codec; leaves its pointer.
    pub(crate) fn abi_nested_reply(&mut self, t: &ValTy) {
        self.call_codec(Codec::AbiReply(t.clone()));
    }

    pub(crate) fn abi_nested_reply_inline(&mut self, t: &ValTy) {
        let buf = self.global_word(global::RD);
        let size = self.temp_word();
        self.s()
            .global_get(global::RD_END)
            .global_get(global::RD)
            .i32_sub();
        self.i32_to_word();
        self.set_local(size);
        let (stmts, v) = decode_reply(self, t, buf, size);
        self.stmts(&stmts);
        self.expr(&v);
    }

    /// The ABI encoding (heads, then tails) of values of any shape at the address in the
    /// i32 local `dst`, by its codec; the length in a fresh i32 temp, returned.
    pub(crate) fn abi_encode_nested(&mut self, dst: u32, vals: &[(LocalId, ValTy)]) -> u32 {
        self.s().local_get(dst);
        self.i32_to_word();
        for (l, _) in vals {
            self.get_local(*l);
        }
        let tys = vals.iter().map(|(_, t)| t.clone()).collect();
        self.call_codec(Codec::AbiEncode(tys));
        let len = self.temp32();
        self.call(crate::rt::Rt::ToI32);
        self.s().local_set(len);
        len
    }

    /// The body of that codec; the length in a fresh i32 temp, returned.
    pub(crate) fn abi_encode_nested_inline(&mut self, dst: u32, vals: &[(LocalId, ValTy)]) -> u32 {
        let start = self.temp_word();
        self.s().local_get(dst);
        self.i32_to_word();
        self.set_local(start);
        let vs: Vec<(Expr, ValTy)> = vals
            .iter()
            .map(|(l, t)| (Expr::Local(*l), t.clone()))
            .collect();
        let (stmts, end) = encode_values(self, &vs, Expr::Local(start));
        let saved = std::mem::replace(&mut self.grow_writes, true);
        self.stmts(&stmts);
        self.grow_writes = saved;
        let len = self.temp32();
        self.expr(&Expr::bin(BinOp::Sub, end, Expr::Local(start)));
        self.call(crate::rt::Rt::ToI32);
        self.s().local_set(len);
        len
    }
}
