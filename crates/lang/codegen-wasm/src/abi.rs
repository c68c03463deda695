//! What crosses the actor's boundary: parameters decoded from DAG-CBOR, replies encoded as
//! DAG-CBOR and reverts with the Solidity ABI revert data (events: `event.rs`).
//! `docs/wasm-target.md` has the mapping.

use crate::func::FnGen;
use crate::layout::{DAG_CBOR, exit, global, mem};
use crate::rt::Rt;
use tandem_lang_ir::meta::{selector, signature};
use tandem_lang_ir::{Expr, LocalId, Param, Revert, ValTy};
use wasm_encoder::BlockType;

impl FnGen<'_> {
    /// Refuses value unless payable, then decodes the params into the locals: the DAG-CBOR
    /// array, or (under `InvokeEVM`, not in the constructor) the Solidity ABI calldata.
    pub fn prologue(&mut self, params: &[Param], payable: bool) {
        self.value_check(payable);
        self.params_prologue(params);
    }

    /// Reverts (no data) when value came with the message and `payable` is false.
    pub fn value_check(&mut self, payable: bool) {
        if !payable {
            let mut s = self.s();
            s.i32_const(mem::MSGCTX as i32)
                .i64_load(crate::rt::m(48, 0));
            s.i32_const(mem::MSGCTX as i32)
                .i64_load(crate::rt::m(56, 0));
            s.i64_or().i64_const(0).i64_ne().if_(BlockType::Empty);
            s.i32_const(0)
                .i32_const(0)
                .call(Rt::RevertRaw.index())
                .end();
        }
    }

    fn params_prologue(&mut self, params: &[Param]) {
        if !self.in_ctor {
            // `InvokeEVM`: Solidity ABI calldata (abi_dispatch.rs)
            self.abi_mode();
            self.s().if_(BlockType::Empty);
            self.abi_params(params);
            self.s().else_();
        }
        self.cbor_params(params);
        if !self.in_ctor {
            self.s().end();
        }
    }

    /// Decodes the DAG-CBOR params array into the locals.
    fn cbor_params(&mut self, params: &[Param]) {
        if params.is_empty() {
            let mut s = self.s();
            s.global_get(global::RD).global_get(global::RD_END).i32_ne();
            s.if_(BlockType::Empty)
                .i32_const(0)
                .call(Rt::RdArray.index())
                .end();
        } else {
            self.s().i32_const(params.len() as i32);
            self.call(Rt::RdArray);
            for p in params {
                self.decode_value(&p.ty);
                self.set_local(p.local);
            }
        }
        let mut s = self.s();
        s.global_get(global::RD).global_get(global::RD_END).i32_ne();
        s.if_(BlockType::Empty)
            .i32_const(exit::BAD_PARAMS)
            .call(Rt::Abort.index())
            .end();
    }

    pub fn decode_value(&mut self, ty: &ValTy) {
        match ty {
            ValTy::Word(w) => self.decode_word(*w),
            ValTy::Bytes | ValTy::String => {
                self.s().i32_const(if *ty == ValTy::Bytes { 2 } else { 3 });
                self.call(Rt::RdBytes);
                self.i32_to_word();
            }
            t => self.decode_aggregate(t),
        }
    }

    /// Values computed into fresh locals before an encoding starts writing at the free
    /// pointer (a value may allocate).
    pub fn pre_evaluate<'e>(
        &mut self,
        vals: impl Iterator<Item = (&'e Expr, &'e ValTy)>,
    ) -> Vec<(LocalId, ValTy)> {
        vals.map(|(e, t)| {
            self.expr(e);
            let l = self.temp_word();
            self.set_local(l);
            (l, t.clone())
        })
        .collect()
    }

    /// Leaves the return block's id: none (0) for no values, the value itself for one, an
    /// array for several.
    pub fn reply(&mut self, vals: &[(Expr, ValTy)]) {
        if vals.is_empty() {
            self.s().i32_const(0);
            return;
        }
        let temps = self.pre_evaluate(vals.iter().map(|(e, t)| (e, t)));
        if !self.in_ctor {
            // `InvokeEVM`: ABI return data (abi_dispatch.rs)
            self.abi_mode();
            self.s().if_(crate::abi_dispatch::BLOCK_ID);
            self.abi_reply_block(&temps);
            self.s().else_();
        }
        let start = self.temp32();
        self.s()
            .global_get(global::HEAP)
            .local_tee(start)
            .global_set(global::WR);
        if temps.len() > 1 {
            self.s().i32_const(4).i64_const(temps.len() as i64);
            self.call(Rt::WrHead);
        }
        for (l, ty) in &temps {
            self.encode(*l, ty);
        }
        self.s().local_get(start).i64_const(DAG_CBOR);
        self.call(Rt::Finish);
        self.release(1);
        if !self.in_ctor {
            self.s().end();
        }
    }

    pub fn encode(&mut self, l: LocalId, ty: &ValTy) {
        match ty {
            ValTy::Word(w) => self.encode_word(*w, |g| g.get_local(l)),
            ValTy::Bytes | ValTy::String => {
                self.local_ptr(l);
                self.s().i32_const(if *ty == ValTy::Bytes { 2 } else { 3 });
                self.call(Rt::WrBytes);
            }
            t => self.encode_aggregate(l, t),
        }
    }

    pub fn local_ptr(&mut self, l: LocalId) {
        self.get_local(l);
        self.call(Rt::ToI32);
    }

    pub fn revert(&mut self, r: &Revert) {
        match r {
            Revert::Empty => {
                self.s().i32_const(0).i32_const(0);
                self.call(Rt::RevertRaw);
            }
            Revert::Panic(code) => {
                self.s().i32_const(*code as i32);
                self.call(Rt::Panic);
            }
            Revert::Error { name, args } => {
                let sig = signature(name, args.iter().map(|(_, t)| t));
                let sel = selector(&sig);
                let temps = self.pre_evaluate(args.iter().map(|(e, t)| (e, t)));
                let (p, data) = (self.temp32(), self.temp32());
                self.s()
                    .global_get(global::HEAP)
                    .local_tee(p)
                    .i32_const(4)
                    .i32_add()
                    .local_set(data);
                self.s().local_get(data);
                self.call(Rt::GrowTo);
                self.s().local_get(p).i32_const(i32::from_le_bytes(sel));
                self.s().i32_store(crate::rt::m(0, 0));
                let len = self.abi_encode_values(data, &temps);
                self.s().local_get(p).local_get(len).i32_const(4).i32_add();
                self.call(Rt::RevertRaw);
                self.release(3);
            }
            Revert::Bubble => self.bubble(),
        }
        self.s().unreachable();
    }
}
