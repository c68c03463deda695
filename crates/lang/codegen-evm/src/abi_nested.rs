//! Nested dynamic ABI shapes at the handler interface (`Vec<Bytes>`, `Vec<String>`,
//! `Vec<Vec<T>>`, `[Bytes; N]`, tuples and structs with dynamic fields, `Vec`s of structs):
//! decoding handler parameters and `ctx.call` replies ([`decode_reply`], used by the ABI
//! lowering) and encoding replies, events, errors and message arguments.
//!
//! The generator builds neutral IR over memory (loads, bounds checks, allocations, loops) and
//! emits it like any other, the same construction as sema's `std::abi::decode`/`encode`
//! (crates/lang/sema/src/calls/stdlib/{decode,encode}.rs), driven by the [`ValTy`] the
//! interface carries instead of the source type. The memory layout is the language's (docs/ir.md
//! "The model"): a static aggregate inline as its words, everything dynamic behind a pointer
//! word. Decoding is as strict as Solidity's: the head fits the data, an offset or a length is
//! below 2^64, what it points at lies inside the data (offsets relative to the enclosing tuple
//! or array) and every word is clean for its type; anything else reverts with no data.

use crate::asm::op;
use crate::emit::Gen;
use crate::validate::dirty;
use tandem_lang_ir::{BinOp as B, Expr, LabelId, LocalId, Revert, Stmt, U256, UnOp as U, ValTy};

fn mload(e: Expr) -> Expr {
    Expr::MLoad(Box::new(e))
}

fn times(a: Expr, k: u64) -> Expr {
    if k == 1 {
        return a;
    }
    Expr::bin(B::Mul, a, Expr::c(k))
}

fn round_up(len: Expr) -> Expr {
    Expr::bin(
        B::Shl,
        Expr::bin(B::Shr, Expr::plus(len, Expr::c(31)), Expr::c(5)),
        Expr::c(5),
    )
}

/// Offsets and lengths at or above this revert, as Solidity's decoder requires.
fn limit() -> Expr {
    Expr::Const(U256::from(1) << 64)
}

/// A static aggregate: laid out inline in its parent, as its own ABI encoding.
fn inline(t: &ValTy) -> bool {
    !matches!(t, ValTy::Word(_)) && !t.is_dynamic()
}

/// Bytes a value of the shape takes inside an aggregate in memory.
fn mem_bytes(t: &ValTy) -> u64 {
    if inline(t) { t.head_size() as u64 } else { 32 }
}

fn head(t: &ValTy) -> u64 {
    t.head_size() as u64
}

/// A local, a constant, or arithmetic and memory loads of them at most `depth` deep: safe to
/// compute again wherever the value is used, since the memory read (the copied arguments,
/// the values being encoded) is never written while it is in use, and every local such an
/// expression reads keeps its value meanwhile (a loop counter within its iteration, a running
/// tail until the value written at it is done).
fn cheap(e: &Expr, depth: u32) -> bool {
    match e {
        Expr::Local(_) | Expr::Const(_) => true,
        Expr::Bin(B::Add | B::Sub | B::Mul | B::Shl, a, b) if depth > 0 => {
            cheap(a, depth - 1) && cheap(b, depth - 1)
        }
        Expr::MLoad(a) if depth > 0 => cheap(a, depth - 1),
        _ => false,
    }
}

/// Where the decoder and encoder get fresh locals and labels: the emitter (parameters and
/// encodings, built while bytecode is emitted) or the ABI lowering (call replies).
pub trait Fresh {
    fn new_local(&mut self) -> LocalId;
    fn new_label(&mut self) -> LabelId;
}

impl Fresh for Gen<'_> {
    fn new_local(&mut self) -> LocalId {
        self.fresh_local()
    }
    fn new_label(&mut self) -> LabelId {
        self.fresh_label()
    }
}

/// Neutral IR under construction, with fresh locals and labels of the generator.
struct Ir<'g, G: Fresh + ?Sized> {
    g: &'g mut G,
    out: Vec<Stmt>,
    /// Where values live: on the stack (`None`), or in memory words from the address held in
    /// this local, the count so far (for a value nested too deep for the stack).
    frame: Option<(LocalId, u64)>,
}

/// A variable of the built IR: a stack local, or a word of the memory frame.
#[derive(Clone)]
enum Var {
    Local(LocalId),
    Slot(Expr),
}

impl Var {
    fn get(&self) -> Expr {
        match self {
            Var::Local(l) => Expr::Local(*l),
            Var::Slot(at) => mload(at.clone()),
        }
    }

    fn set(&self, v: Expr) -> Stmt {
        match self {
            Var::Local(l) => Stmt::Set(*l, v),
            Var::Slot(at) => Stmt::MStore(at.clone(), v),
        }
    }
}

impl<G: Fresh + ?Sized> Ir<'_, G> {
    fn emit(&mut self, s: Stmt) {
        self.out.push(s);
    }

    /// Binds `e` to a local, unless it is cheap to compute again (see [`cheap`]): each stack
    /// slot counts, as at most 16 are reachable.
    fn spill(&mut self, e: Expr) -> Expr {
        if cheap(&e, 3) {
            return e;
        }
        self.acc(e).get()
    }

    /// A variable holding `init`.
    fn acc(&mut self, init: Expr) -> Var {
        if let Some((fr, n)) = &mut self.frame {
            let at = Expr::plus(Expr::Local(*fr), Expr::c(32 * *n));
            *n += 1;
            self.emit(Stmt::MStore(at.clone(), init));
            return Var::Slot(at);
        }
        let l = self.g.new_local();
        self.emit(Stmt::Let(l, init));
        Var::Local(l)
    }

    fn need(&mut self, ok: Expr) {
        self.emit(Stmt::If(
            Expr::un(U::IsZero, ok),
            vec![Stmt::Revert(Revert::Empty)],
            vec![],
        ));
    }

    /// Reverts unless `at + size <= end` (no overflow: both are bounded memory offsets).
    fn fits(&mut self, at: Expr, size: Expr, end: Expr) {
        let past = Expr::bin(B::Gt, Expr::plus(at, size), end);
        self.need(Expr::un(U::IsZero, past));
    }

    /// Runs `body(i)` for i in 0..n, in a loop.
    fn each(&mut self, n: Expr, body: impl FnOnce(&mut Self, Expr)) {
        let il = self.acc(Expr::c(0));
        let i = il.get();
        let label = self.g.new_label();
        let saved = std::mem::take(&mut self.out);
        let done = Expr::un(U::IsZero, Expr::bin(B::Lt, i.clone(), n));
        self.emit(Stmt::If(done, vec![Stmt::Break(label)], vec![]));
        body(self, i.clone());
        self.emit(il.set(Expr::plus(i, Expr::c(1))));
        let body = std::mem::replace(&mut self.out, saved);
        self.emit(Stmt::Loop {
            label,
            body,
            step: vec![],
        });
    }

    /// Decodes one value whose head is at `at` (inside a tuple or array starting at `base`)
    /// into memory at `dst`.
    fn dec_into(&mut self, t: &ValTy, dst: Expr, at: Expr, base: Expr, end: Expr) {
        match t {
            ValTy::Word(w) => {
                let v = self.spill(mload(at));
                if let Some(bad) = dirty(v.clone(), *w) {
                    self.need(Expr::un(U::IsZero, bad));
                }
                self.emit(Stmt::MStore(dst, v));
            }
            ValTy::Array(e, n) if !t.is_dynamic() => {
                self.dec_seq(e, Expr::c(*n as u64), dst, at.clone(), at, end)
            }
            ValTy::Tuple(ts) if !t.is_dynamic() => self.dec_fields(ts, dst, at, end),
            _ => {
                let off = self.spill(mload(at));
                self.need(Expr::bin(B::Lt, off.clone(), limit()));
                let p = self.spill(Expr::plus(base, off));
                self.dec_dynamic(t, p, end, dst);
            }
        }
    }

    /// The components of a tuple whose head starts at `p`, into memory at `dst`.
    fn dec_fields(&mut self, ts: &[ValTy], dst: Expr, p: Expr, end: Expr) {
        let (mut h, mut m) = (0u64, 0u64);
        for t in ts {
            let d = Expr::plus(dst.clone(), Expr::c(m));
            let at = Expr::plus(p.clone(), Expr::c(h));
            self.dec_into(t, d, at, p.clone(), end.clone());
            h += head(t);
            m += mem_bytes(t);
        }
    }

    /// Fresh memory of `size` bytes whose pointer is stored at `dst`; yields the pointer, read
    /// back from `dst` rather than held on the stack when that is cheap (each stack slot
    /// counts: a nested value holds a few per level while its elements are decoded).
    fn alloc_at(&mut self, size: Expr, dst: Expr) -> Expr {
        self.emit(Stmt::MStore(dst.clone(), Expr::Alloc(Box::new(size))));
        self.spill(mload(dst))
    }

    /// A dynamic value encoded at `p`, decoded into fresh memory whose pointer is stored at
    /// `dst`.
    fn dec_dynamic(&mut self, t: &ValTy, p: Expr, end: Expr, dst: Expr) {
        match t {
            ValTy::Bytes | ValTy::String => {
                self.fits(p.clone(), Expr::c(32), end.clone());
                let len = self.spill(mload(p.clone()));
                self.need(Expr::bin(B::Lt, len.clone(), limit()));
                let src = self.spill(Expr::plus(p, Expr::c(32)));
                self.fits(src.clone(), len.clone(), end);
                let size = Expr::plus(round_up(len.clone()), Expr::c(64));
                let out = self.alloc_at(size, dst);
                self.emit(Stmt::MStore(out.clone(), len.clone()));
                let data = Expr::plus(out, Expr::c(32));
                self.emit(Stmt::MCopy(data.clone(), src, len.clone()));
                self.emit(Stmt::MStore(Expr::plus(data, len), Expr::c(0)));
            }
            ValTy::DynArray(e) => {
                self.fits(p.clone(), Expr::c(32), end.clone());
                let len = self.spill(mload(p.clone()));
                self.need(Expr::bin(B::Lt, len.clone(), limit()));
                let q = self.spill(Expr::plus(p, Expr::c(32)));
                self.fits(q.clone(), times(len.clone(), head(e)), end.clone());
                let size = Expr::plus(times(len.clone(), mem_bytes(e)), Expr::c(32));
                let arr = self.alloc_at(size, dst);
                self.emit(Stmt::MStore(arr.clone(), len.clone()));
                let first = Expr::plus(arr, Expr::c(32));
                self.dec_seq(e, len, first, q.clone(), q, end);
            }
            ValTy::Array(e, n) => {
                let n = *n as u64;
                self.fits(p.clone(), Expr::c(n * head(e)), end.clone());
                let size = Expr::c((n * mem_bytes(e)).max(32));
                let arr = self.alloc_at(size, dst);
                self.dec_seq(e, Expr::c(n), arr, p.clone(), p, end);
            }
            ValTy::Tuple(ts) => {
                let hs: u64 = ts.iter().map(head).sum();
                self.fits(p.clone(), Expr::c(hs), end.clone());
                let size: u64 = ts.iter().map(mem_bytes).sum();
                let obj = self.alloc_at(Expr::c(size.max(32)), dst);
                self.dec_fields(ts, obj, p, end);
            }
            // A word is never dynamic.
            ValTy::Word(_) => {}
        }
    }

    /// `n` elements of shape `e`, their heads from `src` (offsets relative to `base`), into
    /// memory from `dst`.
    fn dec_seq(&mut self, e: &ValTy, n: Expr, dst: Expr, src: Expr, base: Expr, end: Expr) {
        let (per, hs) = (mem_bytes(e), head(e));
        self.each(n, |ir, i| {
            let d = Expr::plus(dst, times(i.clone(), per));
            let at = Expr::plus(src, times(i, hs));
            ir.dec_into(e, d, at, base, end);
        });
    }

    /// Encodes one value: its head at `at`, and for a dynamic value its offset from `base`
    /// and its encoding at the tail (the local `tail`, moved past it).
    fn enc_one(&mut self, t: &ValTy, v: Expr, at: Expr, base: Expr, tail: &Var) {
        match t {
            ValTy::Word(_) => self.emit(Stmt::MStore(at, v)),
            t if !t.is_dynamic() => self.emit(Stmt::MCopy(at, v, Expr::c(head(t)))),
            _ => {
                let to = tail.get();
                self.emit(Stmt::MStore(at, Expr::bin(B::Sub, to.clone(), base)));
                let end = self.enc_dyn(t, v, to);
                self.emit(tail.set(end));
            }
        }
    }

    /// Encodes a tuple of these values (in memory at `v`) at `start`; yields its end.
    fn enc_fields(&mut self, ts: &[ValTy], v: Expr, start: Expr) -> Expr {
        let hs: u64 = ts.iter().map(head).sum();
        let tail = self.acc(Expr::plus(start.clone(), Expr::c(hs)));
        let (mut h, mut m) = (0u64, 0u64);
        for t in ts {
            let addr = Expr::plus(v.clone(), Expr::c(m));
            let x = if inline(t) { addr } else { mload(addr) };
            let x = self.spill(x);
            let at = Expr::plus(start.clone(), Expr::c(h));
            self.enc_one(t, x, at, start.clone(), &tail);
            h += head(t);
            m += mem_bytes(t);
        }
        tail.get()
    }

    /// Encodes the tail of a dynamic value `v` at `at`; yields the end of it.
    fn enc_dyn(&mut self, t: &ValTy, v: Expr, at: Expr) -> Expr {
        let at = self.spill(at);
        let v = self.spill(v);
        match t {
            ValTy::Bytes | ValTy::String => {
                let len = self.spill(mload(v.clone()));
                self.emit(Stmt::MStore(at.clone(), len.clone()));
                let data = Expr::plus(at.clone(), Expr::c(32));
                let src = Expr::plus(v, Expr::c(32));
                self.emit(Stmt::MCopy(data.clone(), src, len.clone()));
                // Zero the padding; what follows is written after this.
                self.emit(Stmt::MStore(Expr::plus(data, len.clone()), Expr::c(0)));
                self.spill(Expr::plus(at, Expr::plus(round_up(len), Expr::c(32))))
            }
            ValTy::DynArray(e) => {
                let n = self.spill(mload(v.clone()));
                self.emit(Stmt::MStore(at.clone(), n.clone()));
                let src = Expr::plus(v, Expr::c(32));
                self.enc_seq(e, n, src, Expr::plus(at, Expr::c(32)))
            }
            ValTy::Array(e, n) => self.enc_seq(e, Expr::c(*n as u64), v, at),
            ValTy::Tuple(ts) => self.enc_fields(ts, v, at),
            ValTy::Word(_) => at,
        }
    }

    /// Encodes `n` elements of shape `e` (in memory from `src`) as a tuple at `start`.
    fn enc_seq(&mut self, e: &ValTy, n: Expr, src: Expr, start: Expr) -> Expr {
        let start = self.spill(start);
        let src = self.spill(src);
        let (per, hs) = (mem_bytes(e), head(e));
        let tail = self.acc(Expr::plus(start.clone(), times(n.clone(), hs)));
        self.each(n, |ir, i| {
            let addr = Expr::plus(src, times(i.clone(), per));
            let x = if inline(e) { addr } else { mload(addr) };
            let x = ir.spill(x);
            let at = Expr::plus(start.clone(), times(i, hs));
            ir.enc_one(e, x, at, start, &tail);
        });
        tail.get()
    }
}

/// Statements decoding the return data of a call, copied to memory at `buf` (`size` bytes; both
/// locals), as the reply shape `t`, and the expression of the decoded value (a pointer in the
/// language's layout). A `Tuple` is the callee's list of return values, encoded side by side
/// from the start (a handler's `-> (A, B)`); any other shape is one value, behind its offset
/// word. As strict as a handler parameter: an offset or length at or above 2^64, anything
/// pointing past the data or a dirty word reverts with no data.
pub fn decode_reply(
    g: &mut (impl Fresh + ?Sized),
    t: &ValTy,
    buf: LocalId,
    size: LocalId,
) -> (Vec<Stmt>, Expr) {
    let mut ir = Ir {
        g,
        out: Vec::new(),
        frame: None,
    };
    let start = Expr::Local(buf);
    let end = ir.acc(Expr::plus(start.clone(), Expr::Local(size))).get();
    let dst = ir.acc(Expr::Alloc(Box::new(Expr::c(32)))).get();
    let p = if matches!(t, ValTy::Tuple(_)) {
        start
    } else {
        ir.fits(start.clone(), Expr::c(32), end.clone());
        let offset = ir.spill(mload(start.clone()));
        ir.need(Expr::bin(B::Lt, offset.clone(), limit()));
        ir.spill(Expr::plus(start, offset))
    };
    ir.dec_dynamic(t, p, end, dst.clone());
    (ir.out, mload(dst))
}

/// Statements decoding one dynamic value of shape `t` from an ABI encoding in memory that
/// starts at `start` and ends at `end` (the constructor's arguments, copied after the init
/// code), its head (the offset word) at `head`, and the expression of the decoded value. As
/// strict as a handler parameter: an offset or length at or above 2^64, anything pointing
/// past `end` or a dirty word reverts with no data.
pub fn decode_in_memory(
    g: &mut (impl Fresh + ?Sized),
    t: &ValTy,
    start: Expr,
    end: Expr,
    head: Expr,
) -> (Vec<Stmt>, Expr) {
    let mut ir = Ir {
        g,
        out: Vec::new(),
        frame: None,
    };
    let end = ir.acc(end).get();
    let dst = ir.acc(Expr::Alloc(Box::new(Expr::c(32)))).get();
    ir.fits(head.clone(), Expr::c(32), end.clone());
    let offset = ir.spill(mload(head));
    ir.need(Expr::bin(B::Lt, offset.clone(), limit()));
    let p = ir.spill(Expr::plus(start, offset));
    ir.dec_dynamic(t, p, end, dst.clone());
    (ir.out, mload(dst))
}

/// Statements writing the Solidity ABI encoding of `vals` (a tuple of them: heads, then the
/// tails of the dynamic ones, offsets relative to `start`) at `start`, and the expression of
/// where the encoding ends. Each value is a word, or the pointer of an aggregate, `Bytes`,
/// `String` or `Vec` in the language's memory layout, of any nesting. Used by the WASM
/// backend, whose memory does not grow on a write: it sizes the writes itself.
pub fn encode_values(
    g: &mut (impl Fresh + ?Sized),
    vals: &[(Expr, ValTy)],
    start: Expr,
) -> (Vec<Stmt>, Expr) {
    let mut ir = Ir {
        g,
        out: Vec::new(),
        frame: None,
    };
    let start = ir.spill(start);
    let hs: u64 = vals.iter().map(|(_, t)| head(t)).sum();
    let tail = ir.acc(Expr::plus(start.clone(), Expr::c(hs)));
    let mut h = 0u64;
    for (v, t) in vals {
        let at = Expr::plus(start.clone(), Expr::c(h));
        ir.enc_one(t, v.clone(), at, start.clone(), &tail);
        h += head(t);
    }
    (ir.out, tail.get())
}

impl Gen<'_> {
    /// Pushes the value of a nested-shape handler parameter whose head is `off` bytes into
    /// the arguments: the arguments (calldata after the selector) are copied to fresh memory
    /// and decoded from there, with the decoder's variables on the stack, or (when that runs
    /// out of stack) in a memory frame.
    pub(crate) fn decode_nested_param(&mut self, t: &ValTy, off: u64) {
        let clean = self.error.is_none();
        let saved = (
            self.asm.items.len(),
            self.height,
            self.locals.clone(),
            self.too_deep,
        );
        self.decode_nested(t, off, false);
        let too_deep = |e: &Option<String>| {
            e.as_deref()
                .is_some_and(|e| e.starts_with("stack too deep"))
        };
        if clean && too_deep(&self.error) {
            self.asm.items.truncate(saved.0);
            self.height = saved.1;
            self.locals = saved.2;
            self.too_deep = saved.3;
            self.error = None;
            self.decode_nested(t, off, true);
        }
        self.hint_too_deep(clean, t, "decoding a parameter");
    }

    fn decode_nested(&mut self, t: &ValTy, off: u64, in_memory: bool) {
        // `buf`: [the value's pointer][len][the arguments (len bytes)] with len = calldatasize
        // - 4 (the dispatcher checked the head fits).
        self.push_u(4);
        self.op(op::CALLDATASIZE, 0, 1);
        self.op(op::SUB, 2, 1);
        self.op(op::DUP1, 0, 1);
        self.push_u(64);
        self.op(op::ADD, 2, 1);
        let size = self.temp();
        self.expr(&Expr::Alloc(Box::new(Expr::Local(size))));
        self.locals.remove(&size);
        // [len, size, buf] -> [len, buf]; mstore(buf + 32, len)
        self.op(op::SWAP1, 0, 0);
        self.pop();
        self.op(op::DUP1 + 1, 0, 1);
        self.op(op::DUP1 + 1, 0, 1);
        self.push_u(32);
        self.op(op::ADD, 2, 1);
        self.op(op::MSTORE, 2, 0);
        // [len, buf] -> [buf]: calldatacopy(buf + 64, 4, len)
        self.op(op::SWAP1, 0, 0);
        self.push_u(4);
        self.op(op::DUP1 + 2, 0, 1);
        self.push_u(64);
        self.op(op::ADD, 2, 1);
        self.op(op::CALLDATACOPY, 3, 0);
        let buf = self.temp();
        let fr = self.fresh_local();
        let mut ir = Ir {
            g: self,
            out: Vec::new(),
            frame: in_memory.then_some((fr, 0)),
        };
        let b = Expr::Local(buf);
        let start = Expr::plus(b.clone(), Expr::c(64));
        let end = Expr::plus(start.clone(), mload(Expr::plus(b.clone(), Expr::c(32))));
        let end = ir.spill(end);
        let offset = mload(Expr::plus(start.clone(), Expr::c(off)));
        ir.need(Expr::bin(B::Lt, offset.clone(), limit()));
        let p = ir.spill(Expr::plus(start, offset));
        ir.dec_dynamic(t, p, end, b.clone());
        let (stmts, frame) = (ir.out, ir.frame);
        if let Some((_, words)) = frame {
            self.expr(&Expr::Alloc(Box::new(Expr::c(32 * words.max(1)))));
            self.locals.insert(fr, self.height - 1);
        }
        self.expr(&Expr::Seq(stmts, Box::new(mload(b))));
        // [buf, (fr,) value] -> [value]
        for _ in 0..1 + usize::from(frame.is_some()) {
            self.op(op::SWAP1, 0, 0);
            self.pop();
        }
        self.locals.remove(&buf);
        self.locals.remove(&fr);
    }

    /// Says which nested value ran out of stack (each level of nesting holds a few words on
    /// the stack while its elements are visited) and what to do about it.
    fn hint_too_deep(&mut self, clean: bool, t: &ValTy, doing: &str) {
        if let (true, Some(e)) = (clean, &self.error)
            && e.starts_with("stack too deep")
        {
            self.error = Some(format!(
                "{e} while {doing} of type `{}`: a nested ABI value this deep, with the handler's \
                 other locals, needs more stack than the EVM reaches; pass it as `Bytes` \
                 (`std::abi::encode` / `std::abi::decode`) or split it",
                t.sol_name()
            ));
        }
    }

    /// Encodes a nested-shape value `v` at the running tail of an encoding whose arguments
    /// start at `base + data`: writes the offset to the head at `data + off` and moves the
    /// tail temp (relative to the arguments' start) past the value's encoding.
    pub(crate) fn encode_nested(
        &mut self,
        t: &ValTy,
        v: &Expr,
        base: LocalId,
        data: u64,
        off: u64,
        tail: LocalId,
    ) {
        let clean = self.error.is_none();
        let block = self.fresh_label();
        let mut ir = Ir {
            g: self,
            out: Vec::new(),
            frame: None,
        };
        let start = ir.spill(Expr::plus(Expr::Local(base), Expr::c(data)));
        let tail = Var::Local(tail);
        let rel = tail.get();
        ir.emit(Stmt::MStore(
            Expr::plus(start.clone(), Expr::c(off)),
            rel.clone(),
        ));
        let at = Expr::plus(start.clone(), rel);
        let end = ir.enc_dyn(t, v.clone(), at);
        ir.emit(tail.set(Expr::bin(B::Sub, end, start)));
        let stmts = ir.out;
        self.stmt(&Stmt::Block(block, stmts));
        self.hint_too_deep(clean, t, "encoding a value");
    }
}
