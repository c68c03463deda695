//! `ctx.create` as Init `Exec`: the child's module is embedded in the parent (a passive
//! data segment, as EVM init code embeds its children), its code CID (raw, blake2b-256) is
//! computed with `crypto_hash`, and `actor_create` runs its constructor with the DAG-CBOR
//! arguments. Code that Init has not seen yet (Exec refuses it with USR_FORBIDDEN) is
//! installed from the embedded bytes (`InstallCode`) and the create retried, so only the
//! first create of a code pays for the install.

use crate::func::FnGen;
use crate::layout::{DAG_CBOR, INSTALL_CODE, global, mem, sys};
use crate::rt::{Rt, m};
use tandem_lang_ir::{Expr, ValTy};
use wasm_encoder::BlockType;

/// v1, IPLD_RAW, multihash blake2b-256 (varint 0xb220), 32 bytes.
const CID_PREFIX: [u8; 6] = [0x01, 0x55, 0xa0, 0xe4, 0x02, 0x20];
const CID_LEN: i32 = 38;
/// Init's USR_FORBIDDEN: code that is not installed.
const FORBIDDEN: i32 = 18;

impl FnGen<'_> {
    pub fn create(
        &mut self,
        child: u32,
        value: &Expr,
        args: &[(Expr, ValTy)],
        salt: Option<&Expr>,
    ) {
        if salt.is_some() {
            self.unsupported("`create2` (Init `Exec` gives no deterministic address)");
            return self.push_const(Default::default());
        }
        let Some(&size) = self.children.get(child as usize) else {
            self.unsupported("a `create` of an unknown child");
            return self.push_const(Default::default());
        };
        let temps = self.pre_evaluate(args.iter().map(|(e, t)| (e, t)));
        let v = self.temp_word();
        self.expr(value);
        self.set_local(v);
        let (p, params, ok) = (self.temp32(), self.temp32(), self.temp32());
        // the code CID: the prefix, then blake2b-256 of the module copied to the free memory
        let mut s = self.s();
        s.global_get(global::HEAP)
            .local_tee(p)
            .i32_const(size as i32)
            .i32_add();
        s.call(Rt::GrowTo.index());
        s.local_get(p)
            .i32_const(0)
            .i32_const(size as i32)
            .memory_init(child, 0);
        s.i32_const(mem::CODE as i32)
            .i32_const(i32::from_le_bytes(CID_PREFIX[..4].try_into().unwrap()))
            .i32_store(m(0, 0));
        s.i32_const(mem::CODE as i32)
            .i32_const(i32::from(u16::from_le_bytes([
                CID_PREFIX[4],
                CID_PREFIX[5],
            ])))
            .i32_store16(m(4, 0));
        s.i32_const(0).local_get(p).i32_const(size as i32);
        s.i32_const(mem::CODE as i32 + 6).call(sys::CRYPTO_HASH);
        s.call(Rt::Chk.index());
        s.i32_const(0).local_set(params);
        let temps: Vec<_> = temps;
        self.cbor_args(&temps, params);
        self.actor_create(params, v, ok);
        // not installed yet: install the embedded module, then create again
        let mut s = self.s();
        s.local_get(ok).i32_eqz();
        s.i32_const(mem::OUT as i32)
            .i32_load(m(0, 0))
            .i32_const(FORBIDDEN)
            .i32_eq();
        s.i32_and().if_(BlockType::Empty);
        self.install(child, size);
        self.actor_create(params, v, ok);
        self.s().end();
        // the new actor's address from Exec's return `[id address, robust address]` (the
        // syscall's `actor_id` is 0 today: crates/wasm takes the return block before parsing)
        let mut s = self.s();
        s.local_get(ok)
            .if_(BlockType::FunctionType(crate::module::TY_WORD_BLOCK));
        s.global_get(global::LAST_RET).call(Rt::ReadBlock.index());
        s.i32_const(1).global_set(global::REPLY_MODE);
        s.i32_const(2).call(Rt::RdArray.index());
        s.call(Rt::RdAddress.index());
        s.i32_const(0).global_set(global::REPLY_MODE);
        s.else_()
            .i64_const(0)
            .i64_const(0)
            .i64_const(0)
            .i64_const(0)
            .end();
        self.release(3);
    }

    /// `actor_create` with the CID at `CODE`; the outcome at `OUT` and in the last-send
    /// globals, success in the i32 local `ok`.
    fn actor_create(&mut self, params: u32, v: tandem_lang_ir::LocalId, ok: u32) {
        let vl = self.word_local(v);
        let mut s = self.s();
        s.i32_const(mem::CODE as i32)
            .i32_const(CID_LEN)
            .local_get(params);
        s.local_get(vl).local_get(vl + 1);
        s.i32_const(mem::OUT as i32).call(sys::ACTOR_CREATE);
        s.if_(BlockType::Empty);
        // a syscall error (no funds): a failed create without a reply
        s.i32_const(mem::OUT as i32)
            .i32_const(-1)
            .i32_store(m(0, 0));
        s.i32_const(mem::OUT as i32).i32_const(0).i32_store(m(4, 0));
        s.end();
        s.i32_const(mem::OUT as i32)
            .i32_load(m(0, 0))
            .global_set(global::LAST_EXIT);
        s.i32_const(mem::OUT as i32)
            .i32_load(m(4, 0))
            .global_set(global::LAST_RET);
        s.i32_const(0).global_set(global::LAST_EVM);
        s.global_get(global::LAST_EXIT).i32_eqz().local_set(ok);
    }

    /// Sends `InstallCode([module])` to Init (f0 1); its outcome does not matter (the retried
    /// create fails if the install did).
    fn install(&mut self, child: u32, size: u32) {
        let start = self.temp32();
        self.s()
            .global_get(global::HEAP)
            .local_tee(start)
            .global_set(global::WR);
        self.s().i32_const(4).i64_const(1);
        self.call(Rt::WrHead);
        self.s().i32_const(2).i64_const(size as i64);
        self.call(Rt::WrHead);
        self.s().i32_const(size as i32);
        self.call(Rt::WrReserve);
        let mut s = self.s();
        s.global_get(global::WR)
            .i32_const(0)
            .i32_const(size as i32)
            .memory_init(child, 0);
        s.global_get(global::WR)
            .i32_const(size as i32)
            .i32_add()
            .global_set(global::WR);
        s.local_get(start).i64_const(DAG_CBOR);
        s.call(Rt::Finish.index()).local_set(start);
        s.i32_const(mem::TO as i32)
            .i32_const(0x0100)
            .i32_store16(m(0, 0));
        s.i32_const(mem::TO as i32)
            .i32_const(2)
            .i64_const(INSTALL_CODE as i64);
        s.local_get(start)
            .i64_const(0)
            .i64_const(0)
            .i64_const(0)
            .i64_const(0);
        s.i32_const(mem::OUT as i32 + 16).call(sys::SEND).drop();
        self.release(1);
    }
}
