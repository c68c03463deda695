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
/// FRC-42 "Create2": Init's Exec at CREATE2's address (`tandem_actors::init::create2_method`).
pub(crate) const CREATE2: u64 = 956_362_481;

impl FnGen<'_> {
    pub fn create(
        &mut self,
        child: u32,
        value: &Expr,
        args: &[(Expr, ValTy)],
        salt: Option<&Expr>,
    ) {
        let Some(&size) = self.children.get(child as usize) else {
            self.unsupported("a `create` of an unknown child");
            return self.push_const(Default::default());
        };
        let temps = self.pre_evaluate(args.iter().map(|(e, t)| (e, t)));
        // the EVM build's order: the arguments, the salt, the value
        let salt = salt.map(|e| {
            let l = self.temp_word();
            self.expr(e);
            self.set_local(l);
            l
        });
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
            .memory_init(0, child);
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
        match salt {
            None => self.cbor_args(&temps, params),
            Some(salt) => self.create2_params(&temps, salt, params),
        }
        self.create_send(params, v, ok, salt.is_some());
        // not installed yet: install the embedded module, then create again
        let mut s = self.s();
        s.local_get(ok).i32_eqz();
        s.global_get(global::LAST_EXIT)
            .i32_const(FORBIDDEN)
            .i32_eq();
        s.i32_and().if_(BlockType::Empty);
        self.install(child, size);
        self.create_send(params, v, ok, salt.is_some());
        self.s().end();
        // the new actor's address from the return `[id address, robust address]` (the
        // syscall's `actor_id` is 0 today: crates/wasm takes the return block before parsing):
        // Exec's masked ID, Create2's f410 address
        let mut s = self.s();
        s.local_get(ok)
            .if_(BlockType::FunctionType(crate::module::TY_WORD_BLOCK));
        s.global_get(global::LAST_RET).call(Rt::ReadBlock.index());
        s.i32_const(1).global_set(global::REPLY_MODE);
        s.i32_const(2).call(Rt::RdArray.index());
        s.call(Rt::RdAddress.index());
        if salt.is_some() {
            s.drop().drop().drop().drop();
            s.call(Rt::RdAddress.index());
        }
        s.i32_const(0).global_set(global::REPLY_MODE);
        s.else_()
            .i64_const(0)
            .i64_const(0)
            .i64_const(0)
            .i64_const(0)
            .end();
        self.release(3);
    }

    /// Init `Create2`'s params `[code CID bytes, constructor params, salt]` (DAG-CBOR) as a block
    /// in the i32 local `params`: the constructor's DAG-CBOR arguments (none: empty bytes)
    /// are written first at the heap, then the outer array after them, copying them in.
    fn create2_params(
        &mut self,
        args: &[(tandem_lang_ir::LocalId, ValTy)],
        salt: tandem_lang_ir::LocalId,
        params: u32,
    ) {
        let (start, len) = (self.temp32(), self.temp32());
        self.s()
            .global_get(global::HEAP)
            .local_tee(start)
            .global_set(global::WR);
        if !args.is_empty() {
            self.s().i32_const(4).i64_const(args.len() as i64);
            self.call(Rt::WrHead);
            for (l, ty) in args {
                self.encode(*l, ty);
            }
        }
        let mut s = self.s();
        s.global_get(global::WR)
            .local_get(start)
            .i32_sub()
            .local_set(len);
        // the outer array starts at WR, past the arguments
        s.global_get(global::WR).local_set(params);
        s.i32_const(4).i64_const(3).call(Rt::WrHead.index());
        // the CID's bytes (not a link: the module is no block this actor reaches)
        s.i32_const(2)
            .i64_const(CID_LEN as i64)
            .call(Rt::WrHead.index());
        s.i32_const(CID_LEN).call(Rt::WrReserve.index());
        s.global_get(global::WR)
            .i32_const(mem::CODE as i32)
            .i32_const(CID_LEN)
            .memory_copy(0, 0);
        s.global_get(global::WR)
            .i32_const(CID_LEN)
            .i32_add()
            .global_set(global::WR);
        s.i32_const(2)
            .local_get(len)
            .i64_extend_i32_u()
            .call(Rt::WrHead.index());
        s.local_get(len).call(Rt::WrReserve.index());
        s.global_get(global::WR)
            .local_get(start)
            .local_get(len)
            .memory_copy(0, 0);
        s.global_get(global::WR)
            .local_get(len)
            .i32_add()
            .global_set(global::WR);
        s.i32_const(2).i64_const(32).call(Rt::WrHead.index());
        s.i32_const(32).call(Rt::WrReserve.index());
        s.global_get(global::WR);
        self.get_local(salt);
        self.call(Rt::MStore);
        let mut s = self.s();
        s.global_get(global::WR)
            .i32_const(32)
            .i32_add()
            .global_set(global::WR);
        s.local_get(params).i64_const(DAG_CBOR);
        s.call(Rt::Finish.index()).local_set(params);
        self.release(2);
    }

    /// The create message: `actor_create` (Init `Exec`) with the CID at `CODE`, or a send
    /// of Init `Create2` with `params` (`salted`); the outcome at `OUT` and in the last-send
    /// globals, success in the i32 local `ok`.
    fn create_send(&mut self, params: u32, v: tandem_lang_ir::LocalId, ok: u32, salted: bool) {
        let vl = self.word_local(v);
        let mut s = self.s();
        if salted {
            s.i32_const(mem::TO as i32)
                .i32_const(0x0100)
                .i32_store16(m(0, 0));
            s.i32_const(mem::TO as i32)
                .i32_const(2)
                .i64_const(CREATE2 as i64)
                .local_get(params);
            s.local_get(vl).local_get(vl + 1).i64_const(0).i64_const(0);
            s.i32_const(mem::OUT as i32).call(sys::SEND);
        } else {
            s.i32_const(mem::CODE as i32)
                .i32_const(CID_LEN)
                .local_get(params);
            s.local_get(vl).local_get(vl + 1);
            s.i32_const(mem::OUT as i32).call(sys::ACTOR_CREATE);
        }
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
        // the reply (success) or a constructor's revert data (exit 33) is kept; Init's own
        // refusals (a collision, code not installed) carry no data to bubble, as a failed
        // CREATE2 on the EVM returns none
        s.i32_const(mem::OUT as i32).i32_load(m(4, 0)).i32_const(0);
        s.global_get(global::LAST_EXIT).i32_eqz();
        s.global_get(global::LAST_EXIT)
            .i32_const(crate::layout::exit::REVERTED)
            .i32_eq()
            .i32_or();
        s.select().global_set(global::LAST_RET);
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
            .memory_init(0, child);
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
