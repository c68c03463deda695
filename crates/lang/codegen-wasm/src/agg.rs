//! Aggregates across the boundary: fixed arrays, vectors, structs and tuples as DAG-CBOR
//! arrays (docs/wasm-target.md). In memory (docs/ir.md) a static aggregate is its words side
//! by side, one per leaf, and a vector a length word (the element count) then its elements
//! inline; the reader fills that layout and the writer walks it.

use crate::func::FnGen;
use crate::layout::exit;
use crate::rt::Rt;
use tandem_lang_ir::{LocalId, ValTy, WordTy};
use wasm_encoder::BlockType;

/// Whether the WASM target carries `ty` as a parameter or a reply: words, `Bytes`, `String`,
/// static aggregates and vectors of static elements (as the EVM target).
pub fn crosses(ty: &ValTy) -> bool {
    match ty {
        ValTy::Word(_) | ValTy::Bytes | ValTy::String => true,
        ValTy::DynArray(e) => !e.is_dynamic(),
        t => !t.is_dynamic(),
    }
}

/// How many elements a loop visits: a constant or an i32 local.
#[derive(Clone, Copy)]
pub enum Count {
    Fixed(u32),
    Local(u32),
}

impl FnGen<'_> {
    /// Decodes an aggregate from the params, leaving its pointer as a word.
    pub fn decode_aggregate(&mut self, ty: &ValTy) {
        let p = self.temp32();
        if let ValTy::DynArray(e) = ty {
            let n = self.temp32();
            self.call(Rt::RdLen);
            self.s().local_set(n);
            // 32 + n * size bytes: n is at most the params' length, so no i64 overflow
            let mut s = self.s();
            s.local_get(n)
                .i64_extend_i32_u()
                .i64_const(e.head_size() as i64)
                .i64_mul()
                .i64_const(32)
                .i64_add();
            s.i64_const(0x7fff_0000).i64_gt_u().if_(BlockType::Empty);
            s.i32_const(exit::BAD_PARAMS);
            s.call(Rt::Abort.index()).end();
            s.local_get(n).i32_const(e.head_size() as i32).i32_mul();
            s.i32_const(32).i32_add();
            self.call(Rt::Alloc);
            self.s().local_tee(p).local_get(n);
            self.i32_to_word();
            self.call(Rt::MStore);
            self.each(e, p, 32, Count::Local(n), |g, cur| g.decode_into(e, cur, 0));
            self.release(1);
        } else {
            self.s().i32_const(ty.head_size() as i32);
            self.call(Rt::Alloc);
            self.s().local_set(p);
            self.decode_into(ty, p, 0);
        }
        self.s().local_get(p);
        self.i32_to_word();
        self.release(1);
    }

    /// Decodes a static value into memory at (i32 local `base`) + `off`.
    fn decode_into(&mut self, ty: &ValTy, base: u32, off: u32) {
        match ty {
            ValTy::Word(w) => {
                self.at(base, off);
                self.decode_word(*w);
                self.call(Rt::MStore);
            }
            ValTy::Tuple(ts) => {
                self.s().i32_const(ts.len() as i32);
                self.call(Rt::RdArray);
                let mut o = off;
                for t in ts {
                    self.decode_into(t, base, o);
                    o += t.head_size();
                }
            }
            ValTy::Array(e, n) => {
                self.s().i32_const(*n as i32);
                self.call(Rt::RdArray);
                self.each(e, base, off, Count::Fixed(*n), |g, cur| {
                    g.decode_into(e, cur, 0)
                });
            }
            other => self.unsupported(&format!("a parameter of type `{}`", other.sol_name())),
        }
    }

    /// Encodes the aggregate whose pointer is the word local `l`.
    pub fn encode_aggregate(&mut self, l: LocalId, ty: &ValTy) {
        let p = self.temp32();
        self.get_local(l);
        self.call(Rt::ToI32);
        self.s().local_set(p);
        if let ValTy::DynArray(e) = ty {
            let n = self.temp32();
            self.s().local_get(p);
            self.call(Rt::MLoad);
            self.call(Rt::ToI32);
            self.s().local_set(n);
            self.s().i32_const(4).local_get(n).i64_extend_i32_u();
            self.call(Rt::WrHead);
            self.each(e, p, 32, Count::Local(n), |g, cur| g.encode_from(e, cur, 0));
            self.release(1);
        } else {
            self.encode_from(ty, p, 0);
        }
        self.release(1);
    }

    /// Encodes the static value at (i32 local `base`) + `off`.
    fn encode_from(&mut self, ty: &ValTy, base: u32, off: u32) {
        match ty {
            ValTy::Word(w) => self.encode_word(*w, |g| {
                g.at(base, off);
                g.call(Rt::MLoad);
            }),
            ValTy::Tuple(ts) => {
                self.s().i32_const(4).i64_const(ts.len() as i64);
                self.call(Rt::WrHead);
                let mut o = off;
                for t in ts {
                    self.encode_from(t, base, o);
                    o += t.head_size();
                }
            }
            ValTy::Array(e, n) => {
                self.s().i32_const(4).i64_const(*n as i64);
                self.call(Rt::WrHead);
                self.each(e, base, off, Count::Fixed(*n), |g, cur| {
                    g.encode_from(e, cur, 0)
                });
            }
            other => self.unsupported(&format!("a reply of type `{}`", other.sol_name())),
        }
    }

    /// Pushes `base + off` (i32).
    pub fn at(&mut self, base: u32, off: u32) {
        let mut s = self.s();
        s.local_get(base);
        if off > 0 {
            s.i32_const(off as i32).i32_add();
        }
    }

    /// Runs `body` with an i32 local holding the address of each of `count` elements of
    /// `elem` from `base + off`.
    pub fn each(
        &mut self,
        elem: &ValTy,
        base: u32,
        off: u32,
        count: Count,
        body: impl Fn(&mut Self, u32),
    ) {
        let (i, cur) = (self.temp32(), self.temp32());
        self.at(base, off);
        self.s().local_set(cur).i32_const(0).local_set(i);
        let size = elem.head_size() as i32;
        self.s().block(BlockType::Empty).loop_(BlockType::Empty);
        self.s().local_get(i);
        match count {
            Count::Fixed(n) => self.s().i32_const(n as i32),
            Count::Local(n) => self.s().local_get(n),
        };
        self.s().i32_ge_u().br_if(1);
        body(self, cur);
        let mut s = self.s();
        s.local_get(cur).i32_const(size).i32_add().local_set(cur);
        s.local_get(i).i32_const(1).i32_add().local_set(i);
        s.br(0).end().end();
        self.release(2);
    }

    /// Decodes one word-typed value, leaving the word.
    pub fn decode_word(&mut self, w: WordTy) {
        match w {
            WordTy::Uint(b) | WordTy::Int(b) => {
                let signed = matches!(w, WordTy::Int(_));
                self.s().i32_const(signed as i32).i32_const(b as i32);
                self.call(Rt::RdInt);
            }
            WordTy::Bool => self.call(Rt::RdBool),
            WordTy::Address => self.call(Rt::RdAddress),
            WordTy::FixedBytes(n) => {
                self.s().i32_const(n as i32);
                self.call(Rt::RdFixed);
            }
        }
    }

    /// Encodes one word-typed value that `push` leaves on the stack.
    pub fn encode_word(&mut self, w: WordTy, push: impl FnOnce(&mut Self)) {
        match w {
            WordTy::Uint(b) | WordTy::Int(b) => {
                let signed = matches!(w, WordTy::Int(_));
                self.s().i32_const(signed as i32).i32_const(b as i32);
                push(self);
                self.call(Rt::WrInt);
            }
            WordTy::Bool => {
                push(self);
                self.call(Rt::WrBool);
            }
            WordTy::Address => {
                push(self);
                self.call(Rt::WrAddress);
            }
            WordTy::FixedBytes(n) => {
                self.s().i32_const(n as i32);
                push(self);
                self.call(Rt::WrFixed);
            }
        }
    }
}
