//! Nested dynamic ABI shapes at the handler interface (`Vec<Bytes>`, `Vec<String>`,
//! `Vec<Vec<T>>`, `[Bytes; N]`, tuples and structs with dynamic fields, `Vec`s of structs):
//! decoding handler parameters and encoding replies, events, errors and message arguments.
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
use tandem_lang_ir::{BinOp as B, Expr, LocalId, Revert, Stmt, U256, UnOp as U, ValTy};

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

/// Neutral IR under construction, with fresh locals and labels of the generator.
struct Ir<'g, 'a> {
    g: &'g mut Gen<'a>,
    out: Vec<Stmt>,
}

impl Ir<'_, '_> {
    fn emit(&mut self, s: Stmt) {
        self.out.push(s);
    }

    /// Binds `e` to a local, unless it is cheap to compute again (see [`cheap`]): each stack
    /// slot counts, as at most 16 are reachable.
    fn spill(&mut self, e: Expr) -> Expr {
        if cheap(&e, 3) {
            return e;
        }
        let l = self.g.fresh_local();
        self.emit(Stmt::Let(l, e));
        Expr::Local(l)
    }

    fn acc(&mut self, init: Expr) -> LocalId {
        let l = self.g.fresh_local();
        self.emit(Stmt::Let(l, init));
        l
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
        let i = Expr::Local(il);
        let label = self.g.fresh_label();
        let saved = std::mem::take(&mut self.out);
        let done = Expr::un(U::IsZero, Expr::bin(B::Lt, i.clone(), n));
        self.emit(Stmt::If(done, vec![Stmt::Break(label)], vec![]));
        body(self, i.clone());
        self.emit(Stmt::Set(il, Expr::plus(i, Expr::c(1))));
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
                let v = self.dec_dynamic(t, p, end);
                self.emit(Stmt::MStore(dst, v));
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

    /// A dynamic value encoded at `p`; yields the pointer to its fresh memory.
    fn dec_dynamic(&mut self, t: &ValTy, p: Expr, end: Expr) -> Expr {
        match t {
            ValTy::Bytes | ValTy::String => {
                self.fits(p.clone(), Expr::c(32), end.clone());
                let len = self.spill(mload(p.clone()));
                self.need(Expr::bin(B::Lt, len.clone(), limit()));
                let src = self.spill(Expr::plus(p, Expr::c(32)));
                self.fits(src.clone(), len.clone(), end);
                let size = Expr::plus(round_up(len.clone()), Expr::c(64));
                let out = self.spill(Expr::Alloc(Box::new(size)));
                self.emit(Stmt::MStore(out.clone(), len.clone()));
                let data = Expr::plus(out.clone(), Expr::c(32));
                self.emit(Stmt::MCopy(data.clone(), src, len.clone()));
                self.emit(Stmt::MStore(Expr::plus(data, len), Expr::c(0)));
                out
            }
            ValTy::DynArray(e) => {
                self.fits(p.clone(), Expr::c(32), end.clone());
                let len = self.spill(mload(p.clone()));
                self.need(Expr::bin(B::Lt, len.clone(), limit()));
                let q = self.spill(Expr::plus(p, Expr::c(32)));
                self.fits(q.clone(), times(len.clone(), head(e)), end.clone());
                let size = Expr::plus(times(len.clone(), mem_bytes(e)), Expr::c(32));
                let arr = self.spill(Expr::Alloc(Box::new(size)));
                self.emit(Stmt::MStore(arr.clone(), len.clone()));
                let first = Expr::plus(arr.clone(), Expr::c(32));
                self.dec_seq(e, len, first, q.clone(), q, end);
                arr
            }
            ValTy::Array(e, n) => {
                let n = *n as u64;
                self.fits(p.clone(), Expr::c(n * head(e)), end.clone());
                let size = Expr::c((n * mem_bytes(e)).max(32));
                let arr = self.spill(Expr::Alloc(Box::new(size)));
                self.dec_seq(e, Expr::c(n), arr.clone(), p.clone(), p, end);
                arr
            }
            ValTy::Tuple(ts) => {
                let hs: u64 = ts.iter().map(head).sum();
                self.fits(p.clone(), Expr::c(hs), end.clone());
                let size: u64 = ts.iter().map(mem_bytes).sum();
                let obj = self.spill(Expr::Alloc(Box::new(Expr::c(size.max(32)))));
                self.dec_fields(ts, obj.clone(), p, end);
                obj
            }
            // A word is never dynamic.
            ValTy::Word(_) => Expr::c(0),
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
    fn enc_one(&mut self, t: &ValTy, v: Expr, at: Expr, base: Expr, tail: LocalId) {
        match t {
            ValTy::Word(_) => self.emit(Stmt::MStore(at, v)),
            t if !t.is_dynamic() => self.emit(Stmt::MCopy(at, v, Expr::c(head(t)))),
            _ => {
                let to = Expr::Local(tail);
                self.emit(Stmt::MStore(at, Expr::bin(B::Sub, to.clone(), base)));
                let end = self.enc_dyn(t, v, to);
                self.emit(Stmt::Set(tail, end));
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
            self.enc_one(t, x, at, start.clone(), tail);
            h += head(t);
            m += mem_bytes(t);
        }
        Expr::Local(tail)
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
            ir.enc_one(e, x, at, start, tail);
        });
        Expr::Local(tail)
    }
}

impl Gen<'_> {
    /// Pushes the value of a nested-shape handler parameter whose head is `off` bytes into
    /// the arguments: the arguments (calldata after the selector) are copied to fresh memory
    /// and decoded from there.
    pub(crate) fn decode_nested_param(&mut self, t: &ValTy, off: u64) {
        // len = calldatasize - 4 (the dispatcher checked the head fits)
        self.push_u(4);
        self.op(op::CALLDATASIZE, 0, 1);
        self.op(op::SUB, 2, 1);
        let len = self.temp();
        self.expr(&Expr::Alloc(Box::new(Expr::Local(len))));
        let buf = self.temp();
        // calldatacopy(buf, 4, len)
        self.dup_local(len);
        self.push_u(4);
        self.dup_local(buf);
        self.op(op::CALLDATACOPY, 3, 0);
        let mut ir = Ir {
            g: self,
            out: Vec::new(),
        };
        let start = Expr::Local(buf);
        let end = ir.spill(Expr::plus(start.clone(), Expr::Local(len)));
        let at = Expr::plus(start.clone(), Expr::c(off));
        let offset = ir.spill(mload(at));
        ir.need(Expr::bin(B::Lt, offset.clone(), limit()));
        let p = ir.spill(Expr::plus(start, offset));
        let v = ir.dec_dynamic(t, p, end);
        let stmts = ir.out;
        self.expr(&Expr::Seq(stmts, Box::new(v)));
        // [len, buf, value] -> [value]
        for _ in 0..2 {
            self.op(op::SWAP1, 0, 0);
            self.pop();
        }
        self.locals.remove(&len);
        self.locals.remove(&buf);
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
        let block = self.fresh_label();
        let mut ir = Ir {
            g: self,
            out: Vec::new(),
        };
        let start = ir.spill(Expr::plus(Expr::Local(base), Expr::c(data)));
        let rel = Expr::Local(tail);
        ir.emit(Stmt::MStore(
            Expr::plus(start.clone(), Expr::c(off)),
            rel.clone(),
        ));
        let at = Expr::plus(start.clone(), rel);
        let end = ir.enc_dyn(t, v.clone(), at);
        ir.emit(Stmt::Set(tail, Expr::bin(B::Sub, end, start)));
        let stmts = ir.out;
        self.stmt(&Stmt::Block(block, stmts));
    }
}
