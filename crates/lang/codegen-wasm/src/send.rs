//! Sends between actors (`ctx.call` and friends). The target's runtime decides the
//! encoding at run time: an actor running the EVM's code gets the message as Solidity ABI
//! calldata through `InvokeEVM` (an IPLD_RAW block) and answers ABI return data; any other
//! actor gets the variant's FRC-0042 method number and a DAG-CBOR array of the arguments
//! and answers DAG-CBOR (docs/wasm-target.md). The last send's exit code, return block and
//! runtime are kept for `Reply`, `ReplyBytes` and `Revert::Bubble`.

use crate::func::FnGen;
use crate::layout::{DAG_CBOR, INVOKE_EVM, IPLD_RAW, global, mem, sys};
use crate::module::TY_WORD_BLOCK;
use crate::rt::{Rt, m};
use tandem_lang_ir::meta::selector;
use tandem_lang_ir::{CallKind, Expr, LocalId, MsgRef, Payload, ValTy, WordTy};
use wasm_encoder::BlockType;

/// A message value bound to a local: the variant and its arguments, evaluated into locals
/// where the message was built.
pub type BoundMessage = (MsgRef, Vec<(LocalId, ValTy)>);

impl FnGen<'_> {
    /// `let l = Message { .. }`: the arguments are evaluated now; the encoding waits for
    /// the send, which knows the target's runtime.
    pub fn bind_message(&mut self, l: LocalId, msg: &MsgRef, args: &[(Expr, ValTy)]) {
        let temps = self.pre_evaluate(args.iter().map(|(e, t)| (e, t)));
        self.messages.insert(l, (msg.clone(), temps));
        self.push_const(Default::default());
        self.set_local(l);
    }

    pub fn send(
        &mut self,
        kind: CallKind,
        gas: Option<&Expr>,
        target: &Expr,
        value: &Expr,
        payload: &Payload,
    ) {
        let msg = match payload {
            Payload::None | Payload::Bytes(_) => None,
            Payload::Message(e) => match &**e {
                Expr::Local(l) if self.messages.contains_key(l) => Some(self.messages[l].clone()),
                _ => {
                    self.unsupported("a message value not built in the same handler");
                    return self.push_const(Default::default());
                }
            },
        };
        let raw = match payload {
            Payload::Bytes(e) => {
                let r = self.temp_word();
                self.expr(e);
                self.set_local(r);
                Some(r)
            }
            _ => None,
        };
        let (t, v, g) = (self.temp_word(), self.temp_word(), self.temp_word());
        self.expr(target);
        self.set_local(t);
        self.expr(value);
        self.set_local(v);
        match gas {
            Some(e) => self.expr(e),
            None => self.push_const(Default::default()),
        }
        self.set_local(g);
        let (evm, params, len) = (self.temp32(), self.temp32(), self.temp32());
        let method = self.temp_word();
        self.get_local(t);
        self.call(Rt::IsEvm);
        self.s().local_set(evm).i32_const(0).local_set(params);
        self.push_const(Default::default());
        self.set_local(method);
        if let Some((msg, args)) = &msg {
            let ml = self.limb(method);
            self.s().local_get(evm).if_(BlockType::Empty);
            self.evm_calldata(msg, args, params);
            self.s().i64_const(INVOKE_EVM as i64).local_set(ml);
            self.s().else_();
            self.cbor_args(args, params);
            self.s().i64_const(msg.method_number as i64).local_set(ml);
            self.s().end();
        }
        if let Some(r) = raw {
            // raw bytes are Solidity calldata: InvokeEVM whatever the target
            self.raw_params(r, params);
            let ml = self.limb(method);
            self.s().i64_const(INVOKE_EVM as i64).local_set(ml);
        }
        self.get_local(t);
        self.call(Rt::ToAddr);
        self.s().local_set(len);
        self.s().i32_const(mem::TO as i32 + 1).local_get(len);
        let (ml, vl, gl) = (self.limb(method), self.limb(v), self.limb(g));
        let mut s = self.s();
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
        // as the EVM's CALL: at most all but 1/64 of the gas left, so a callee that burns
        // everything (an EVM fault) leaves the caller enough to go on
        s.i32_const(mem::OUT as i32).call(sys::GAS_AVAILABLE);
        s.call(Rt::Chk.index());
        s.i32_const(mem::OUT as i32)
            .i64_load(m(0, 0))
            .local_tee(gl + 3);
        s.local_get(gl + 3)
            .i64_const(6)
            .i64_shr_u()
            .i64_sub()
            .local_set(gl + 3);
        s.local_get(gl).local_get(gl + 3);
        // the requested limit if given and smaller (a word past 64 bits is no limit)
        s.local_get(gl).i64_eqz().i32_eqz();
        s.local_get(gl + 1)
            .local_get(gl + 2)
            .i64_or()
            .i64_eqz()
            .i32_and();
        s.local_get(gl).local_get(gl + 3).i64_lt_u().i32_and();
        s.select();
        s.i64_const(i64::from(kind == CallKind::StaticCall));
        s.i32_const(mem::OUT as i32).call(sys::SEND);
        // a syscall error (no funds, a bad address) is a failed send without a reply
        s.if_(BlockType::Empty);
        s.i32_const(-1).global_set(global::LAST_EXIT);
        s.i32_const(0).global_set(global::LAST_RET);
        s.else_();
        s.i32_const(mem::OUT as i32)
            .i32_load(m(0, 0))
            .global_set(global::LAST_EXIT);
        s.i32_const(mem::OUT as i32)
            .i32_load(m(4, 0))
            .global_set(global::LAST_RET);
        s.end();
        s.local_get(evm).global_set(global::LAST_EVM);
        s.global_get(global::LAST_EXIT).i32_eqz();
        self.i32_to_word();
        self.release(3);
    }

    /// The first WASM local (the low limb) of a word local.
    fn limb(&mut self, l: LocalId) -> u32 {
        self.word_local(l)
    }

    /// Selector and ABI arguments as an IPLD_RAW block; its id in `params`.
    pub(crate) fn evm_calldata(&mut self, msg: &MsgRef, args: &[(LocalId, ValTy)], params: u32) {
        let (p, data) = (self.temp32(), self.temp32());
        self.s()
            .global_get(global::HEAP)
            .local_tee(p)
            .i32_const(4)
            .i32_add()
            .local_set(data);
        self.s().local_get(data);
        self.call(Rt::GrowTo);
        let sel = selector(&msg.signature);
        self.s().local_get(p).i32_const(i32::from_le_bytes(sel));
        self.s().i32_store(m(0, 0));
        // words, static aggregates, `Bytes`, `String`, vectors (abi_dispatch.rs)
        let len = self.abi_encode_values(data, args);
        let mut s = self.s();
        s.i64_const(IPLD_RAW)
            .local_get(p)
            .local_get(len)
            .i32_const(4)
            .i32_add();
        s.i32_const(mem::OUT as i32).call(sys::BLOCK_CREATE);
        self.call(Rt::Chk);
        self.s()
            .i32_const(mem::OUT as i32)
            .i32_load(m(0, 0))
            .local_set(params);
        self.release(3);
    }

    /// The `Bytes` in word local `r` as an IPLD_RAW block; its id in `params`.
    fn raw_params(&mut self, r: LocalId, params: u32) {
        let p = self.temp32();
        self.local_ptr(r);
        self.s().local_set(p);
        let mut s = self.s();
        s.i64_const(IPLD_RAW).local_get(p).i32_const(32).i32_add();
        s.local_get(p);
        self.call(Rt::MLoad);
        self.call(Rt::ToI32);
        self.s().i32_const(mem::OUT as i32).call(sys::BLOCK_CREATE);
        self.call(Rt::Chk);
        self.s()
            .i32_const(mem::OUT as i32)
            .i32_load(m(0, 0))
            .local_set(params);
        self.release(1);
    }

    /// A DAG-CBOR array of the arguments (no block for none); its id in `params`.
    pub fn cbor_args(&mut self, args: &[(LocalId, ValTy)], params: u32) {
        if args.is_empty() {
            return;
        }
        let start = self.temp32();
        self.s()
            .global_get(global::HEAP)
            .local_tee(start)
            .global_set(global::WR);
        self.s().i32_const(4).i64_const(args.len() as i64);
        self.call(Rt::WrHead);
        for (l, ty) in args {
            self.encode(*l, ty);
        }
        self.s().local_get(start).i64_const(DAG_CBOR);
        self.call(Rt::Finish);
        self.s().local_set(params);
        self.release(1);
    }

    /// The last send's reply decoded as `ty`: DAG-CBOR from a native actor (all of it, as
    /// one value), ABI return data from an EVM contract (a word). What does not decode
    /// reverts with no data.
    pub fn reply_value(&mut self, ty: &ValTy) {
        self.s().global_get(global::LAST_RET);
        self.call(Rt::ReadBlock);
        self.s().i32_const(1).global_set(global::REPLY_MODE);
        self.s()
            .global_get(global::LAST_EVM)
            .if_(BlockType::FunctionType(TY_WORD_BLOCK));
        self.abi_reply(ty);
        self.s().else_();
        match ty {
            // a struct with dynamic fields is read as a list of one (sema's `Reply`): its
            // DAG-CBOR reply is the struct itself, kept behind one more pointer
            ValTy::Tuple(ts)
                if ts.len() == 1 && matches!(&ts[0], t @ ValTy::Tuple(_) if t.is_dynamic()) =>
            {
                let p = self.temp32();
                self.s().i32_const(32);
                self.call(Rt::Alloc);
                self.s().local_tee(p);
                self.decode_value(&ts[0]);
                self.call(Rt::MStore);
                self.s().local_get(p);
                self.i32_to_word();
                self.release(1);
            }
            _ => self.decode_value(ty),
        }
        let mut s = self.s();
        s.global_get(global::RD).global_get(global::RD_END).i32_ne();
        s.if_(BlockType::Empty);
        s.i32_const(0).i32_const(0).call(Rt::RevertRaw.index());
        s.end().end();
        s.i32_const(0).global_set(global::REPLY_MODE);
    }

    /// ABI return data of a word or a static aggregate (its words side by side, as in
    /// memory), each word checked clean for its type, or of a `Bytes`, `String` or `Vec` of
    /// a static type ([`Self::abi_reply_dynamic`]), or of a nested dynamic shape (the EVM
    /// build's strict decoder, `abi_nested.rs`); what is too short or dirty reverts with no
    /// data.
    pub(crate) fn abi_reply(&mut self, ty: &ValTy) {
        if ty.is_dynamic() {
            match ty {
                ValTy::Bytes | ValTy::String => self.abi_reply_dynamic(ty, 1),
                ValTy::DynArray(e) if !e.is_dynamic() => self.abi_reply_dynamic(ty, e.head_size()),
                t => self.abi_nested_reply(t),
            }
            return;
        }
        let size = ty.head_size() as i32;
        let mut s = self.s();
        s.global_get(global::RD_END)
            .global_get(global::RD)
            .i32_sub();
        s.i32_const(size).i32_lt_u().if_(BlockType::Empty);
        s.i32_const(0).i32_const(0).call(Rt::RevertRaw.index());
        s.end();
        if let ValTy::Word(w) = ty {
            self.s().global_get(global::RD);
            self.clean_word(*w);
            return;
        }
        let p = self.temp32();
        self.s().i32_const(size);
        self.call(Rt::Alloc);
        let mut s = self.s();
        s.local_tee(p).global_get(global::RD).i32_const(size);
        s.memory_copy(0, 0);
        self.check_leaves(ty, p, 0);
        self.s().local_get(p);
        self.i32_to_word();
        self.release(1);
    }

    /// A `Bytes`, `String` or `Vec` (of static elements, `unit` bytes each) from ABI return
    /// data at `RD..RD_END`, as strictly as Solidity decodes return data: the head word is
    /// there; the offset it holds fits 64 bits and leaves room for the length word; the
    /// length fits 64 bits and its data lies inside the return data; every element of a
    /// vector is clean for its type. Anything else reverts with no data. Bytes after the
    /// value are ignored (as Solidity does). Leaves the new value's pointer as a word.
    fn abi_reply_dynamic(&mut self, ty: &ValTy, unit: u32) {
        let (o, len) = (self.temp_word(), self.temp_word());
        let (n, at, bytes, ptr) = (self.temp32(), self.temp32(), self.temp32(), self.temp32());
        let revert = |g: &mut Self| {
            g.s().if_(BlockType::Empty);
            g.s().i32_const(0).i32_const(0);
            g.call(Rt::RevertRaw);
            g.s().end();
        };
        // the head word
        self.s()
            .global_get(global::RD_END)
            .global_get(global::RD)
            .i32_sub()
            .local_tee(n)
            .i32_const(32)
            .i32_lt_u();
        revert(self);
        self.s().global_get(global::RD);
        self.call(Rt::MLoad);
        self.set_local(o);
        let ol = self.word_local(o);
        // offset < 2^64 and offset + 32 <= n
        {
            let mut s = self.s();
            s.local_get(ol + 1)
                .local_get(ol + 2)
                .i64_or()
                .local_get(ol + 3)
                .i64_or()
                .i64_const(0)
                .i64_ne();
            s.local_get(ol)
                .local_get(n)
                .i32_const(32)
                .i32_sub()
                .i64_extend_i32_u()
                .i64_gt_u()
                .i32_or();
        }
        revert(self);
        self.s()
            .global_get(global::RD)
            .local_get(ol)
            .i32_wrap_i64()
            .i32_add()
            .local_tee(at);
        self.call(Rt::MLoad);
        self.set_local(len);
        let ll = self.word_local(len);
        // length < 2^64, length <= n (so length * unit cannot wrap) and
        // offset + 32 + length * unit <= n
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
                .local_get(n)
                .i64_extend_i32_u()
                .i64_gt_u()
                .i32_or();
            s.local_get(ll)
                .i64_const(i64::from(unit))
                .i64_mul()
                .local_get(ol)
                .i64_add()
                .i64_const(32)
                .i64_add()
                .local_get(n)
                .i64_extend_i32_u()
                .i64_gt_u()
                .i32_or();
        }
        revert(self);
        {
            let mut s = self.s();
            s.local_get(ll)
                .i32_wrap_i64()
                .i32_const(unit as i32)
                .i32_mul()
                .local_tee(bytes)
                .i32_const(32)
                .i32_add();
        }
        self.call(Rt::Alloc);
        self.s().local_tee(ptr);
        self.get_local(len);
        self.call(Rt::MStore);
        {
            let mut s = self.s();
            s.local_get(ptr).i32_const(32).i32_add();
            s.local_get(at).i32_const(32).i32_add();
            s.local_get(bytes).memory_copy(0, 0);
        }
        if let ValTy::DynArray(e) = ty {
            let count = self.temp32();
            self.s().local_get(ll).i32_wrap_i64().local_set(count);
            self.each(e, ptr, 32, crate::agg::Count::Local(count), |g, cur| {
                g.check_leaves(e, cur, 0)
            });
            self.release(1);
        }
        self.s().local_get(ptr);
        self.i32_to_word();
        self.release(4);
    }

    /// Reverts unless every word of the static value at `base + off` is clean.
    pub(crate) fn check_leaves(&mut self, ty: &ValTy, base: u32, off: u32) {
        match ty {
            ValTy::Word(w) => {
                self.at(base, off);
                self.clean_word(*w);
                self.s().drop().drop().drop().drop();
            }
            ValTy::Tuple(ts) => {
                let mut o = off;
                for t in ts {
                    self.check_leaves(t, base, o);
                    o += t.head_size();
                }
            }
            ValTy::Array(e, n) => {
                self.each(e, base, off, crate::agg::Count::Fixed(*n), |g, cur| {
                    g.check_leaves(e, cur, 0)
                })
            }
            _ => {}
        }
    }

    /// The word at the i32 address on the stack, reverting (no data) unless clean.
    pub(crate) fn clean_word(&mut self, w: WordTy) {
        let t = self.temp_word();
        self.call(Rt::MLoad);
        self.set_local(t);
        if let Some(dirty) = dirty(Expr::Local(t), w) {
            self.cond(&dirty);
            self.s().if_(BlockType::Empty);
            self.s().i32_const(0).i32_const(0);
            self.call(Rt::RevertRaw);
            self.s().end();
        }
        self.get_local(t);
    }

    /// The last send's whole reply or failure data as fresh `Bytes`.
    pub fn reply_bytes(&mut self) {
        self.s().global_get(global::LAST_RET);
        self.call(Rt::ReadBlock);
        let (p, n) = (self.temp32(), self.temp32());
        let mut s = self.s();
        s.global_get(global::RD_END)
            .global_get(global::RD)
            .i32_sub()
            .local_tee(n);
        s.i32_const(32)
            .i32_add()
            .call(Rt::Alloc.index())
            .local_tee(p);
        s.local_get(n).i64_extend_i32_u();
        s.i64_const(0).i64_const(0).i64_const(0);
        s.call(Rt::MStore.index());
        s.local_get(p).i32_const(32).i32_add();
        s.global_get(global::RD).local_get(n).memory_copy(0, 0);
        s.local_get(p);
        self.i32_to_word();
        self.release(2);
    }

    /// Re-raises the last send's failure: its data as revert data (exit 33).
    pub fn bubble(&mut self) {
        let mut s = self.s();
        s.global_get(global::LAST_RET).if_(BlockType::Empty);
        s.i32_const(crate::layout::exit::REVERTED)
            .global_get(global::LAST_RET)
            .i32_const(0)
            .i32_const(0)
            .call(sys::VM_ABORT)
            .drop();
        s.end();
        s.i32_const(0).i32_const(0).call(Rt::RevertRaw.index());
    }
}

/// A condition that holds when the word is not clean for its type (as Solidity's decoder
/// checks return data).
fn dirty(x: Expr, w: WordTy) -> Option<Expr> {
    use tandem_lang_ir::BinOp::{Eq, Shl, Shr, SignExtend};
    let not = |e: Expr| Expr::un(tandem_lang_ir::UnOp::IsZero, e);
    let shr = |b: u64| Expr::bin(Shr, x.clone(), Expr::c(b));
    Some(match w {
        WordTy::Uint(256) | WordTy::Int(256) | WordTy::FixedBytes(32) => return None,
        WordTy::Uint(b) => not(not(shr(b as u64))),
        WordTy::Address => not(not(shr(160))),
        WordTy::Bool => not(not(shr(1))),
        WordTy::Int(b) => not(Expr::bin(
            Eq,
            Expr::bin(SignExtend, x.clone(), Expr::c(b as u64 / 8 - 1)),
            x,
        )),
        WordTy::FixedBytes(n) => not(not(Expr::bin(Shl, x, Expr::c(8 * n as u64)))),
    })
}
