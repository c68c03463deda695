//! Async sends (`ctx.send`, docs/async.md) through the `send_async` syscall, and the value
//! a reply handler receives.
//!
//! The target, method and params follow the synchronous sends (`send.rs`): an EVM
//! contract gets `InvokeEVM` with the variant's Solidity calldata, any other actor the
//! variant's FRC-0042 number and a DAG-CBOR array of its fields. The reply comes to the
//! reply handler's method number (its FRC-0042 number) with DAG-CBOR `[id, exit_code, ret]`,
//! where `ret` is the callee's return block: DAG-CBOR from a native actor, ABI return data
//! from an EVM contract. So that the handler knows which, a reply from an EVM callee is
//! asked for at the number plus 2^32 ([`EVM_REPLY_BIT`], outside FRC-0042's range), which
//! `invoke` dispatches to the same handler with `ASYNC_EVM` set.

use crate::func::FnGen;
use crate::layout::{INVOKE_EVM, global, mem, sys};
use crate::module::TY_WORD_BLOCK;
use crate::rt::{Rt, m};
use tandem_lang_ir::{AsyncReplyTo, Expr, ValTy};
use wasm_encoder::BlockType;

/// Added to a reply handler's method number when the callee is an EVM contract.
pub const EVM_REPLY_BIT: u64 = 1 << 32;

impl FnGen<'_> {
    pub fn send_async(&mut self, parts: [&Expr; 4], reply: Option<&AsyncReplyTo>) {
        let [target, value, gas, message] = parts;
        let msg = match message {
            Expr::Local(l) if self.messages.contains_key(l) => self.messages[l].clone(),
            _ => {
                self.unsupported("a message value not built in the same handler");
                return self.push_const(Default::default());
            }
        };
        let (t, v, g, rg) = (
            self.temp_word(),
            self.temp_word(),
            self.temp_word(),
            self.temp_word(),
        );
        for (e, l) in [(target, t), (value, v), (gas, g)] {
            self.expr(e);
            self.set_local(l);
        }
        match reply {
            Some(r) => self.expr(&r.gas),
            None => self.push_const(Default::default()),
        }
        self.set_local(rg);
        let (evm, params, len) = (self.temp32(), self.temp32(), self.temp32());
        let method = self.temp_word();
        let ml = self.word_local(method);
        self.get_local(t);
        self.call(Rt::IsEvm);
        self.s().local_set(evm).i32_const(0).local_set(params);
        let (msg, args) = &msg;
        self.s().local_get(evm).if_(BlockType::Empty);
        self.evm_calldata(msg, args, params);
        self.s().i64_const(INVOKE_EVM as i64).local_set(ml);
        self.s().else_();
        self.cbor_args(args, params);
        self.s().i64_const(msg.method_number as i64).local_set(ml);
        self.s().end();
        self.get_local(t);
        self.call(Rt::ToAddr);
        self.s().local_set(len);
        let (vl, gl, rl) = (self.word_local(v), self.word_local(g), self.word_local(rg));
        let mut s = self.s();
        s.i32_const(mem::TO as i32 + 1).local_get(len);
        s.local_get(ml).local_get(params);
        // a value past 128 bits becomes 2^128 - 1, more than any balance: the send fails
        for limb in [vl, vl + 1] {
            s.i64_const(-1).local_get(limb);
            s.local_get(vl + 2)
                .local_get(vl + 3)
                .i64_or()
                .i64_eqz()
                .i32_eqz();
            s.select();
        }
        s.local_get(gl);
        match reply {
            Some(r) => {
                let n = r.handler.method_number;
                s.i64_const((n | EVM_REPLY_BIT) as i64)
                    .i64_const(n as i64)
                    .local_get(evm)
                    .select();
                s.local_get(rl);
            }
            None => {
                s.i64_const(0).i64_const(0);
            }
        }
        s.i32_const(mem::OUT as i32).call(sys::SEND_ASYNC);
        // refused (a full queue, no funds, a read-only frame): revert with no data
        s.if_(BlockType::Empty);
        s.i32_const(0).i32_const(0).call(Rt::RevertRaw.index());
        s.end();
        s.i32_const(mem::OUT as i32).i64_load(m(0, 0));
        s.i64_const(0).i64_const(0).i64_const(0);
        self.release(3);
    }

    /// The `Bytes` at `ret` decoded as the reply type: ABI return data when the reply came
    /// from an EVM callee (`ASYNC_EVM`), else DAG-CBOR (all of it, as one value). What does
    /// not decode reverts with no data.
    pub fn async_return(&mut self, ty: &ValTy, ret: &Expr) {
        let p = self.temp32();
        self.ptr(ret);
        self.s()
            .local_tee(p)
            .i32_const(32)
            .i32_add()
            .global_set(global::RD);
        self.s().local_get(p);
        self.call(Rt::MLoad);
        self.call(Rt::ToI32);
        let mut s = self.s();
        s.global_get(global::RD)
            .i32_add()
            .global_set(global::RD_END);
        s.i32_const(1).global_set(global::REPLY_MODE);
        s.global_get(global::ASYNC_EVM)
            .if_(BlockType::FunctionType(TY_WORD_BLOCK));
        self.abi_reply(ty);
        self.s().else_();
        self.decode_value(ty);
        let mut s = self.s();
        s.global_get(global::RD).global_get(global::RD_END).i32_ne();
        s.if_(BlockType::Empty);
        s.i32_const(0).i32_const(0).call(Rt::RevertRaw.index());
        s.end().end();
        s.i32_const(0).global_set(global::REPLY_MODE);
        self.release(1);
    }
}
