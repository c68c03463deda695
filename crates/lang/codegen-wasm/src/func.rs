//! Code generation of one function (the constructor or a handler): statements and
//! expressions. A word is four i64 values on the WASM stack (least significant limb first)
//! and each IR local four i64 WASM locals; comparisons used as conditions stay i32.

use crate::layout::global;
use crate::module::TY_WORD_BLOCK;
use crate::rt::Rt;
use std::collections::HashMap;
use tandem_lang_ir::{BinOp, Env, Expr, HashAlg, LocalId, Revert, Stmt, U256, UnOp};
use wasm_encoder::{BlockType, Function, InstructionSink, ValType};

/// i32 scratch locals at the start of every generated function.
pub const I32_TEMPS: u32 = 32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctl {
    Block(u32),
    Break(u32),
    Continue(u32),
    Other,
}

pub struct FnGen<'a> {
    pub contract: &'a str,
    code: Vec<u8>,
    words: HashMap<LocalId, u32>,
    n_words: u32,
    i32_used: u32,
    ctl: Vec<Ctl>,
    next_local: LocalId,
    /// In the constructor `ctx.caller()` is the creator (`msg_creator`): Init runs the
    /// constructor, so the message's caller is Init.
    pub in_ctor: bool,
    pub error: Option<String>,
    /// Message values by the local they were bound to (see `send.rs`).
    pub messages: HashMap<LocalId, crate::send::BoundMessage>,
    /// The sizes of the child modules embedded as passive data segments, in order.
    pub children: Vec<u32>,
    /// WASM locals before the generator's own: an internal function's parameters (four
    /// i64 per word); 0 in an entry point.
    base: u32,
    /// The WASM function index of internal function 0 (`Expr::Call`), and how many there
    /// are. Every one returns a word (0 for a function without a result).
    pub fn_base: u32,
    pub n_functions: u32,
    /// Whether this is an internal function's body (it runs in the constructor or a handler).
    in_function: bool,
    /// Labels for generated IR (the nested ABI codec), counting down from the top so they
    /// never meet the body's own.
    next_label: tandem_lang_ir::LabelId,
    /// While set, `MStore` and `MCopy` grow memory to cover what they write (the generated
    /// ABI encoder writes past the heap before it claims the bytes).
    pub grow_writes: bool,
    /// The module's shared codec functions (`codecs.rs`) and the index of the first.
    pub codecs: crate::codecs::Registry,
    pub codec_base: u32,
}

impl<'a> FnGen<'a> {
    pub fn new(contract: &'a str, first_free_local: LocalId) -> Self {
        FnGen {
            contract,
            code: Vec::new(),
            words: HashMap::new(),
            n_words: 0,
            i32_used: 0,
            ctl: Vec::new(),
            next_local: first_free_local,
            in_ctor: false,
            error: None,
            messages: HashMap::new(),
            children: Vec::new(),
            base: 0,
            fn_base: 0,
            n_functions: 0,
            in_function: false,
            next_label: tandem_lang_ir::LabelId::MAX,
            grow_writes: false,
            codecs: Default::default(),
            codec_base: 0,
        }
    }

    /// A label for generated IR, distinct from the body's.
    pub fn fresh_label(&mut self) -> tandem_lang_ir::LabelId {
        self.next_label -= 1;
        self.next_label
    }

    /// A generator for an internal function's body: its parameters are the WASM function's
    /// parameters (four i64 each, in order), so they need no locals of their own.
    pub fn for_function(contract: &'a str, first_free_local: LocalId, params: &[LocalId]) -> Self {
        let mut g = FnGen::new(contract, first_free_local);
        g.base = 4 * params.len() as u32;
        g.in_function = true;
        for (i, p) in params.iter().enumerate() {
            g.words.insert(*p, 4 * i as u32);
        }
        g
    }

    /// Ends an internal function: the result word (or 0) is its return value.
    pub fn finish_function(mut self, result: Option<LocalId>) -> Result<Function, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match result {
            Some(r) => self.get_local(r),
            None => self.push_const(U256::ZERO),
        }
        self.s().end();
        let mut f = Function::new([(I32_TEMPS, ValType::I32), (4 * self.n_words, ValType::I64)]);
        f.raw(self.code);
        Ok(f)
    }

    /// `Call(f, args)`: the arguments' words left to right, then a WASM `call`.
    fn call_internal(&mut self, f: tandem_lang_ir::FuncId, args: &[Expr]) {
        if f >= self.n_functions {
            self.unsupported("a call to a function the contract does not have");
            self.push_const(U256::ZERO);
            return;
        }
        for a in args {
            self.expr(a);
        }
        let index = self.fn_base + f;
        self.s().call(index);
    }

    pub fn s(&mut self) -> InstructionSink<'_> {
        InstructionSink::new(&mut self.code)
    }

    pub fn call(&mut self, rt: Rt) {
        self.s().call(rt.index());
    }

    pub fn finish(mut self) -> Result<Function, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.s().i32_const(0).end();
        let mut f = Function::new([(I32_TEMPS, ValType::I32), (4 * self.n_words, ValType::I64)]);
        f.raw(self.code);
        Ok(f)
    }

    pub fn unsupported(&mut self, what: &str) {
        if self.error.is_none() {
            self.error = Some(format!(
                "{}: {what} is not supported by the WASM target yet",
                self.contract
            ));
        }
    }

    /// A fresh i32 temp (released with `release`, in stack order).
    pub fn temp32(&mut self) -> u32 {
        let t = self.i32_used;
        if t >= I32_TEMPS {
            self.unsupported("an expression this deeply nested");
            return self.base;
        }
        self.i32_used += 1;
        self.base + t
    }

    pub fn release(&mut self, n: u32) {
        self.i32_used -= n;
    }

    /// The first of the four WASM locals of an IR local.
    pub fn word_local(&mut self, l: LocalId) -> u32 {
        if let Some(b) = self.words.get(&l) {
            return *b;
        }
        let b = self.base + I32_TEMPS + 4 * self.n_words;
        self.n_words += 1;
        self.words.insert(l, b);
        b
    }

    /// A fresh word local (for values computed before an encoding starts).
    pub fn temp_word(&mut self) -> LocalId {
        let l = self.next_local;
        self.next_local += 1;
        self.word_local(l);
        l
    }

    pub fn set_local(&mut self, l: LocalId) {
        let b = self.word_local(l);
        let mut s = self.s();
        for i in (0..4).rev() {
            s.local_set(b + i);
        }
    }

    pub fn get_local(&mut self, l: LocalId) {
        let b = self.word_local(l);
        let mut s = self.s();
        for i in 0..4 {
            s.local_get(b + i);
        }
    }

    pub fn push_const(&mut self, v: U256) {
        let limbs = *v.as_limbs();
        let mut s = self.s();
        for l in limbs {
            s.i64_const(l as i64);
        }
    }

    /// An i32 on the stack as a word.
    pub fn i32_to_word(&mut self) {
        self.s()
            .i64_extend_i32_u()
            .i64_const(0)
            .i64_const(0)
            .i64_const(0);
    }

    /// A word expression as a memory offset or length (traps past 32 bits).
    pub fn ptr(&mut self, e: &Expr) {
        if let Expr::Const(c) = e
            && let Ok(v) = u32::try_from(*c)
        {
            self.s().i32_const(v as i32);
            return;
        }
        self.expr(e);
        self.call(Rt::ToI32);
    }

    pub fn stmts(&mut self, ss: &[Stmt]) {
        for s in ss {
            self.stmt(s);
        }
    }

    fn depth(&self, want: Ctl) -> u32 {
        let pos = self.ctl.iter().rposition(|c| *c == want).unwrap_or(0);
        (self.ctl.len() - 1 - pos) as u32
    }

    pub fn stmt(&mut self, st: &Stmt) {
        match st {
            Stmt::Let(l, Expr::Message { msg, args }) => self.bind_message(*l, msg, args),
            Stmt::Let(l, e) | Stmt::Set(l, e) => {
                if let Expr::Local(x) = e
                    && let Some(m) = self.messages.get(x).cloned()
                {
                    self.messages.insert(*l, m);
                }
                self.expr(e);
                self.set_local(*l);
            }
            Stmt::SStore(k, v) => self.sstore(k, v),
            Stmt::MStore(p, v) if self.grow_writes => {
                let at = self.temp32();
                self.ptr(p);
                self.s().local_tee(at).i32_const(32).i32_add();
                self.call(Rt::GrowTo);
                self.s().local_get(at);
                self.expr(v);
                self.call(Rt::MStore);
                self.release(1);
            }
            Stmt::MStore(p, v) => {
                self.ptr(p);
                self.expr(v);
                self.call(Rt::MStore);
            }
            Stmt::MCopy(d, src, n) if self.grow_writes => {
                let (at, from, len) = (self.temp32(), self.temp32(), self.temp32());
                self.ptr(d);
                self.s().local_set(at);
                self.ptr(src);
                self.s().local_set(from);
                self.ptr(n);
                self.s().local_tee(len).local_get(at).i32_add();
                self.call(Rt::GrowTo);
                let mut s = self.s();
                s.local_get(at).local_get(from).local_get(len);
                s.memory_copy(0, 0);
                self.release(3);
            }
            Stmt::MCopy(d, src, n) => {
                self.ptr(d);
                self.ptr(src);
                self.ptr(n);
                self.s().memory_copy(0, 0);
            }
            Stmt::Expr(e) => {
                self.expr(e);
                self.s().drop().drop().drop().drop();
            }
            Stmt::If(c, t, e) => {
                self.cond(c);
                self.s().if_(BlockType::Empty);
                self.ctl.push(Ctl::Other);
                self.stmts(t);
                if !e.is_empty() {
                    self.s().else_();
                    self.stmts(e);
                }
                self.ctl.pop();
                self.s().end();
            }
            Stmt::Block(l, body) => {
                self.s().block(BlockType::Empty);
                self.ctl.push(Ctl::Block(*l));
                self.stmts(body);
                self.ctl.pop();
                self.s().end();
            }
            Stmt::Exit(l) => {
                let d = self.depth(Ctl::Block(*l));
                self.s().br(d);
            }
            Stmt::Loop { label, body, step } => {
                self.s().block(BlockType::Empty).loop_(BlockType::Empty);
                self.ctl.push(Ctl::Break(*label));
                self.ctl.push(Ctl::Other);
                self.s().block(BlockType::Empty);
                self.ctl.push(Ctl::Continue(*label));
                self.stmts(body);
                self.ctl.pop();
                self.s().end();
                self.stmts(step);
                self.s().br(0).end().end();
                self.ctl.pop();
                self.ctl.pop();
            }
            Stmt::Break(l) => {
                let d = self.depth(Ctl::Break(*l));
                self.s().br(d);
            }
            Stmt::Continue(l) => {
                let d = self.depth(Ctl::Continue(*l));
                self.s().br(d);
            }
            Stmt::Return(vals) => {
                self.reply(vals);
                self.s().return_();
            }
            Stmt::Revert(r) => self.revert(r),
            Stmt::Emit {
                name,
                anonymous,
                fields,
            } => self.emit_event(name, *anonymous, fields),
            Stmt::Assert(c, code) => {
                self.cond(c);
                self.s().i32_eqz().if_(BlockType::Empty);
                self.ctl.push(Ctl::Other);
                self.revert(&Revert::Panic(*code));
                self.ctl.pop();
                self.s().end();
            }
            Stmt::Lowered(_) => self.unsupported("an EVM-lowered statement"),
        }
    }

    /// Pushes `a` then `b` for `op`, evaluating them in the EVM backend's order: `b` first,
    /// except for shifts, `SignExtend` and `Byte` (codegen-evm `emit.rs`), so that operands
    /// with effects (a checked operation's panic, a call) happen in the same order on both
    /// targets (found by the fuzzer's lang-diff target). Returns the operation to apply to the
    /// pushed words: a comparison is mirrored instead of reordering its operands.
    fn operands(&mut self, op: BinOp, a: &Expr, b: &Expr) -> BinOp {
        let source_order = matches!(
            op,
            BinOp::Shl | BinOp::Shr | BinOp::Sar | BinOp::SignExtend | BinOp::Byte
        ) || matches!(a, Expr::Const(_))
            || matches!(b, Expr::Const(_));
        if source_order {
            self.expr(a);
            self.expr(b);
            return op;
        }
        self.expr(b);
        match op {
            BinOp::Add | BinOp::Mul | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Eq => {
                self.expr(a);
                op
            }
            BinOp::Lt | BinOp::Gt | BinOp::SLt | BinOp::SGt => {
                self.expr(a);
                match op {
                    BinOp::Lt => BinOp::Gt,
                    BinOp::Gt => BinOp::Lt,
                    BinOp::SLt => BinOp::SGt,
                    _ => BinOp::SLt,
                }
            }
            _ => {
                let t = self.temp_word();
                self.set_local(t);
                self.expr(a);
                self.get_local(t);
                op
            }
        }
    }

    /// A condition as an i32 (non-zero = true), without building a word for comparisons.
    pub fn cond(&mut self, c: &Expr) {
        match c {
            Expr::Bin(op @ (BinOp::Lt | BinOp::Gt | BinOp::SLt | BinOp::SGt | BinOp::Eq), a, b) => {
                let op = self.operands(*op, a, b);
                self.call(compare(op));
            }
            Expr::Un(UnOp::IsZero, a) => {
                self.cond(a);
                self.s().i32_eqz();
            }
            _ => {
                self.expr(c);
                self.call(Rt::IsZero);
                self.s().i32_eqz();
            }
        }
    }

    pub fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Const(v) => self.push_const(*v),
            Expr::Local(l) => self.get_local(*l),
            Expr::Bin(op, a, b) => {
                let op = &self.operands(*op, a, b);
                match op {
                    BinOp::Lt | BinOp::Gt | BinOp::SLt | BinOp::SGt | BinOp::Eq => {
                        self.call(compare(*op));
                        self.i32_to_word();
                    }
                    _ => self.call(arith(*op)),
                }
            }
            Expr::Un(UnOp::IsZero, a) => {
                self.cond(a);
                self.s().i32_eqz();
                self.i32_to_word();
            }
            Expr::Un(UnOp::Not, a) => {
                self.expr(a);
                self.call(Rt::Not);
            }
            Expr::Checked {
                op,
                signed,
                bits,
                a,
                b,
            } => {
                let mut next = self.next_local;
                let mut fresh = || {
                    next += 1;
                    next - 1
                };
                match crate::checked::lower(*op, *signed, *bits, a, b, &mut fresh) {
                    Ok(lowered) => {
                        self.next_local = next;
                        self.expr(&lowered);
                    }
                    Err(msg) => {
                        self.unsupported(&msg);
                        self.push_const(U256::ZERO);
                    }
                }
            }
            Expr::Env(env) => self.env(*env),
            Expr::Balance(a) => {
                self.expr(a);
                self.call(Rt::Balance);
            }
            Expr::SLoad(a) => self.sload(a),
            Expr::MLoad(a) => {
                self.ptr(a);
                self.call(Rt::MLoad);
            }
            Expr::HashWords(alg, words) => self.hash_words(*alg, words),
            Expr::Hash(alg, p, n) => {
                self.s().i32_const(hash_kind(*alg));
                self.ptr(p);
                self.ptr(n);
                self.call(Rt::Hash);
            }
            Expr::MapSlot {
                base,
                key,
                bytes_key,
            } => {
                if *bytes_key {
                    self.ptr(key);
                    self.expr(base);
                    self.call(Rt::MapSlotBytes);
                } else {
                    self.expr(key);
                    self.expr(base);
                    self.call(Rt::MapSlot);
                }
            }
            Expr::DataSlot(a) => {
                self.expr(a);
                self.call(Rt::DataSlot);
            }
            Expr::Alloc(n) => {
                self.ptr(n);
                self.call(Rt::Alloc);
                self.i32_to_word();
            }
            Expr::Seq(ss, v) => {
                self.stmts(ss);
                self.expr(v);
            }
            Expr::Cond(c, a, b) => {
                self.cond(c);
                self.s().if_(BlockType::FunctionType(TY_WORD_BLOCK));
                self.ctl.push(Ctl::Other);
                self.expr(a);
                self.s().else_();
                self.expr(b);
                self.ctl.pop();
                self.s().end();
            }
            Expr::Send {
                kind,
                gas,
                target,
                value,
                payload,
            } => self.send(*kind, gas.as_deref(), target, value, payload),
            Expr::Reply(ty) => self.reply_value(ty),
            Expr::SendAsync {
                target,
                value,
                gas,
                message,
                reply,
            } => self.send_async([target, value, gas, message], reply.as_ref()),
            Expr::AsyncReturn(ty, ret) => self.async_return(ty, ret),
            Expr::Create {
                child,
                value,
                args,
                salt,
            } => self.create(*child, value, args, salt.as_deref()),
            Expr::Intrinsic(tandem_lang_ir::Intrinsic::Ecrecover, args) if args.len() == 4 => {
                for a in args {
                    self.expr(a);
                }
                self.call(Rt::Ecrecover);
            }
            Expr::Intrinsic(tandem_lang_ir::Intrinsic::CodeSize, args) if args.len() == 1 => {
                self.expr(&args[0]);
                self.call(Rt::CodeSize);
            }
            Expr::Intrinsic(tandem_lang_ir::Intrinsic::TLoad, args) if args.len() == 1 => {
                self.expr(&args[0]);
                self.call(Rt::TLoad);
            }
            // Native code is shared by content hash, so immutables stay in the actor's state.
            Expr::Intrinsic(tandem_lang_ir::Intrinsic::Immutable(k), _) => {
                self.push_const(tandem_lang_ir::immutable_slot(*k));
                self.call(Rt::SLoad);
            }
            Expr::Intrinsic(tandem_lang_ir::Intrinsic::SetImmutable(k), args)
                if args.len() == 1 =>
            {
                self.push_const(tandem_lang_ir::immutable_slot(*k));
                self.expr(&args[0]);
                self.call(Rt::SStore);
                self.push_const(U256::ZERO);
            }
            Expr::Intrinsic(tandem_lang_ir::Intrinsic::TStore, args) if args.len() == 2 => {
                self.expr(&args[0]);
                self.expr(&args[1]);
                self.call(Rt::TStore);
                self.push_const(U256::ZERO);
            }
            Expr::ReplyBytes => self.reply_bytes(),
            Expr::Call(f, args) => self.call_internal(*f, args),
            Expr::AbiEncode(args) => self.abi_encode_bytes(args),
            Expr::EvmAsm { .. } => {
                // Not a gap to fill later: there is no EVM here (the driver reports E0802).
                if self.error.is_none() {
                    self.error = Some(format!(
                        "{}: inline EVM assembly (`asm evm`) is EVM-only: the WASM target has no EVM to run it",
                        self.contract
                    ));
                }
                self.push_const(U256::ZERO);
            }
            other => {
                self.unsupported(construct_name(other));
                self.push_const(U256::ZERO);
            }
        }
    }

    fn env(&mut self, env: Env) {
        use crate::layout::mem::{MSGCTX, NETCTX, OUT};
        use crate::layout::sys;
        let m = crate::rt::m;
        match env {
            // In the constructor the caller is Init, which runs it; `ctx.caller()` there is
            // the actor that asked Init (`msg_creator`), as the EVM's CALLER in `init`. An
            // internal function may run in the constructor or in a handler: it asks the
            // message's method number (1: the constructor).
            Env::Caller if self.in_function => {
                self.s()
                    .i32_const(MSGCTX as i32)
                    .i64_load(m(24, 0))
                    .i64_const(1)
                    .i64_eq()
                    .if_(BlockType::FunctionType(TY_WORD_BLOCK));
                self.s().i32_const(OUT as i32).call(sys::MSG_CREATOR);
                self.call(Rt::Chk);
                self.s().i32_const(OUT as i32).i64_load(m(0, 0));
                self.call(Rt::WordOfId);
                self.s().else_();
                self.call(Rt::Caller);
                self.s().end();
            }
            Env::Caller if !self.in_ctor => self.call(Rt::Caller),
            Env::Caller => {
                self.s().i32_const(OUT as i32).call(sys::MSG_CREATOR);
                self.call(Rt::Chk);
                self.s().i32_const(OUT as i32).i64_load(m(0, 0));
                self.call(Rt::WordOfId);
            }
            Env::Origin | Env::Address => {
                let off = if env == Env::Origin { 8 } else { 16 };
                self.s().i32_const(MSGCTX as i32).i64_load(m(off, 0));
                self.call(Rt::WordOfId);
            }
            Env::CallValue => {
                let mut s = self.s();
                s.i32_const(MSGCTX as i32).i64_load(m(48, 0));
                s.i32_const(MSGCTX as i32).i64_load(m(56, 0));
                s.i64_const(0).i64_const(0);
            }
            Env::Number | Env::Timestamp | Env::ChainId => {
                let off = match env {
                    Env::ChainId => 0,
                    Env::Number => 8,
                    _ => 16,
                };
                self.s().i32_const(NETCTX as i32).i64_load(m(off, 0));
                self.s().i64_const(0).i64_const(0).i64_const(0);
            }
            Env::GasLeft => {
                let mut s = self.s();
                s.i32_const(OUT as i32).call(sys::GAS_AVAILABLE);
                s.call(Rt::Chk.index());
                s.i32_const(OUT as i32)
                    .i64_load(m(0, 0))
                    .i64_const(0)
                    .i64_const(0)
                    .i64_const(0);
            }
            Env::SelfBalance => {
                let mut s = self.s();
                s.i32_const(OUT as i32).call(sys::SELF_BALANCE);
                s.call(Rt::Chk.index());
                s.i32_const(OUT as i32).i64_load(m(0, 0));
                s.i32_const(OUT as i32)
                    .i64_load(m(8, 0))
                    .i64_const(0)
                    .i64_const(0);
            }
        }
    }

    /// The words side by side at the free pointer (not reserved: nothing allocates between
    /// the stores and the hash), hashed.
    fn hash_words(&mut self, alg: HashAlg, words: &[Expr]) {
        let temps: Vec<LocalId> = words
            .iter()
            .map(|w| {
                self.expr(w);
                let t = self.temp_word();
                self.set_local(t);
                t
            })
            .collect();
        let len = 32 * words.len() as i32;
        self.s().global_get(global::HEAP).i32_const(len).i32_add();
        self.call(Rt::GrowTo);
        for (i, t) in temps.iter().enumerate() {
            self.s()
                .global_get(global::HEAP)
                .i32_const(32 * i as i32)
                .i32_add();
            self.get_local(*t);
            self.call(Rt::MStore);
        }
        self.s()
            .i32_const(hash_kind(alg))
            .global_get(global::HEAP)
            .i32_const(len);
        self.call(Rt::Hash);
    }
}

pub fn hash_kind(alg: HashAlg) -> i32 {
    match alg {
        HashAlg::Blake2b256 => 0,
        HashAlg::Sha256 => 1,
        HashAlg::Keccak256 => 2,
    }
}

fn compare(op: BinOp) -> Rt {
    match op {
        BinOp::Lt => Rt::Lt,
        BinOp::Gt => Rt::Gt,
        BinOp::SLt => Rt::SLt,
        BinOp::SGt => Rt::SGt,
        _ => Rt::Eq,
    }
}

fn arith(op: BinOp) -> Rt {
    match op {
        BinOp::Add => Rt::Add,
        BinOp::Sub => Rt::Sub,
        BinOp::Mul => Rt::Mul,
        BinOp::Div => Rt::Div,
        BinOp::SDiv => Rt::SDiv,
        BinOp::Mod => Rt::Mod,
        BinOp::SMod => Rt::SMod,
        BinOp::Exp => Rt::Exp,
        BinOp::And => Rt::And,
        BinOp::Or => Rt::Or,
        BinOp::Xor => Rt::Xor,
        BinOp::Shl => Rt::Shl,
        BinOp::Shr => Rt::Shr,
        BinOp::Sar => Rt::Sar,
        BinOp::SignExtend => Rt::SignExtend,
        BinOp::Byte => Rt::Byte,
        BinOp::Lt | BinOp::Gt | BinOp::SLt | BinOp::SGt | BinOp::Eq => compare(op),
    }
}

/// How a construct the target lacks is named in the error.
fn construct_name(e: &Expr) -> &'static str {
    match e {
        Expr::Message { .. } => "a message value (`ctx.call` and friends)",
        Expr::Send { .. } => "a send to another actor (`ctx.call`, `send_value`, `call_raw`)",
        Expr::Reply(_) => "reading a call's reply",
        Expr::ReplyBytes => "reading a call's raw reply",
        Expr::Create { .. } => "creating a contract (`create`/`create2`)",
        Expr::Intrinsic(tandem_lang_ir::Intrinsic::Ecrecover, _) => "`ecrecover`",
        Expr::Intrinsic(tandem_lang_ir::Intrinsic::CodeSize, _) => "`ctx.code_size`",
        Expr::Intrinsic(
            tandem_lang_ir::Intrinsic::CodeHash | tandem_lang_ir::Intrinsic::CodeCopy,
            _,
        ) => {
            "`std::code::code_at`/`code_hash` (EVM-only: the VM has no syscall for an actor's code bytes)"
        }
        Expr::Intrinsic(tandem_lang_ir::Intrinsic::CreateCode, _) => {
            "`std::sstore2::write` (EVM-only: it deploys the data as EVM code, and the VM has no syscall for an actor's code bytes)"
        }
        Expr::Lowered(_) => "an EVM-lowered expression",
        _ => "this expression",
    }
}
