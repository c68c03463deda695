//! Aggregates across the boundary: fixed arrays, vectors, structs and tuples as DAG-CBOR
//! arrays (docs/wasm-target.md), nested to any depth (`Vec<Bytes>`, `Vec<Vec<T>>`,
//! `[String; N]`, structs with dynamic fields, `Vec`s of them). In memory (docs/ir.md) a
//! static aggregate is its words side by side, one per leaf, inline in its parent; a
//! dynamic value (`Bytes`, `String`, a `Vec`, an aggregate holding one) sits behind a
//! pointer word: a `Vec` is a length word (the element count) then its elements, an
//! aggregate its fields (static ones inline, dynamic ones as pointers). The reader fills
//! that layout, checking each leaf as at the top level; the writer walks it.

use crate::codecs::Codec;
use crate::func::FnGen;
use crate::layout::exit;
use crate::rt::Rt;
use tandem_lang_ir::{LocalId, ValTy, WordTy};
use wasm_encoder::BlockType;

/// How many elements a loop visits: a constant or an i32 local.
#[derive(Clone, Copy)]
pub enum Count {
    Fixed(u32),
    Local(u32),
}

/// Bytes of an aggregate's own memory (behind its pointer): its fields or elements, each
/// inline when static and a pointer word when dynamic.
fn body_size(ty: &ValTy) -> u32 {
    match ty {
        ValTy::Tuple(ts) => ts.iter().map(ValTy::head_size).fold(0, u32::saturating_add),
        ValTy::Array(e, n) => e.head_size().saturating_mul(*n),
        t => t.head_size(),
    }
}

impl FnGen<'_> {
    /// Decodes an aggregate from the params (its codec), leaving its pointer as a word.
    pub fn decode_aggregate(&mut self, ty: &ValTy) {
        self.call_codec(Codec::CborDecode(ty.clone()));
    }

    /// The body of that codec.
    pub fn decode_aggregate_inline(&mut self, ty: &ValTy) {
        let p = self.temp32();
        self.decode_ptr(ty, p);
        self.s().local_get(p);
        self.i32_to_word();
        self.release(1);
    }

    /// Decodes a value that lives behind a pointer (a dynamic value, or a static aggregate
    /// at the top level) into fresh memory; the pointer in the i32 local `p`.
    fn decode_ptr(&mut self, ty: &ValTy, p: u32) {
        match ty {
            ValTy::Bytes | ValTy::String => {
                self.s().i32_const(if *ty == ValTy::Bytes { 2 } else { 3 });
                self.call(Rt::RdBytes);
                self.s().local_set(p);
            }
            ValTy::DynArray(e) => {
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
            }
            ValTy::Tuple(_) | ValTy::Array(..) => {
                self.s().i32_const(body_size(ty) as i32);
                self.call(Rt::Alloc);
                self.s().local_set(p);
                self.decode_fields(ty, p, 0);
            }
            ValTy::Word(w) => {
                // a word is never behind a pointer; kept total for the match
                self.decode_word(*w);
                self.call(Rt::ToI32);
                self.s().local_set(p);
            }
        }
    }

    /// Decodes a value into its place in memory at (i32 local `base`) + `off`: a word or a
    /// static aggregate inline, a dynamic value as the pointer to its own memory.
    fn decode_into(&mut self, ty: &ValTy, base: u32, off: u32) {
        match ty {
            ValTy::Word(w) => {
                self.at(base, off);
                self.decode_word(*w);
                self.call(Rt::MStore);
            }
            t if !t.is_dynamic() => self.decode_fields(t, base, off),
            ValTy::Bytes | ValTy::String => {
                self.at(base, off);
                self.s().i32_const(if *ty == ValTy::Bytes { 2 } else { 3 });
                self.call(Rt::RdBytes);
                self.i32_to_word();
                self.call(Rt::MStore);
            }
            t => {
                self.at(base, off);
                self.call_codec(Codec::CborDecode(t.clone()));
                self.call(Rt::MStore);
            }
        }
    }

    /// The CBOR array of a tuple's fields or an array's items, into memory from
    /// (i32 local `base`) + `off`.
    fn decode_fields(&mut self, ty: &ValTy, base: u32, off: u32) {
        match ty {
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
            other => self.decode_into(other, base, off),
        }
    }

    /// Encodes the aggregate whose pointer is the word local `l` (its codec).
    pub fn encode_aggregate(&mut self, l: LocalId, ty: &ValTy) {
        self.get_local(l);
        self.call_codec(Codec::CborEncode(ty.clone()));
        self.s().drop().drop().drop().drop();
    }

    /// The body of that codec.
    pub fn encode_aggregate_inline(&mut self, l: LocalId, ty: &ValTy) {
        let p = self.temp32();
        self.get_local(l);
        self.call(Rt::ToI32);
        self.s().local_set(p);
        self.encode_ptr(ty, p);
        self.release(1);
    }

    /// Encodes the value behind the pointer in the i32 local `p`.
    fn encode_ptr(&mut self, ty: &ValTy, p: u32) {
        match ty {
            ValTy::Bytes | ValTy::String => {
                self.s().local_get(p);
                self.s().i32_const(if *ty == ValTy::Bytes { 2 } else { 3 });
                self.call(Rt::WrBytes);
            }
            ValTy::DynArray(e) => {
                let n = self.temp32();
                self.s().local_get(p);
                self.call(Rt::MLoad);
                self.call(Rt::ToI32);
                self.s().local_set(n);
                self.s().i32_const(4).local_get(n).i64_extend_i32_u();
                self.call(Rt::WrHead);
                self.each(e, p, 32, Count::Local(n), |g, cur| g.encode_from(e, cur, 0));
                self.release(1);
            }
            t => self.encode_fields(t, p, 0),
        }
    }

    /// Encodes the value in its place at (i32 local `base`) + `off` (see `decode_into`).
    fn encode_from(&mut self, ty: &ValTy, base: u32, off: u32) {
        match ty {
            ValTy::Word(w) => self.encode_word(*w, |g| {
                g.at(base, off);
                g.call(Rt::MLoad);
            }),
            t if !t.is_dynamic() => self.encode_fields(t, base, off),
            ValTy::Bytes | ValTy::String => {
                self.at(base, off);
                self.call(Rt::MLoad);
                self.call(Rt::ToI32);
                self.s().i32_const(if *ty == ValTy::Bytes { 2 } else { 3 });
                self.call(Rt::WrBytes);
            }
            t => {
                self.at(base, off);
                self.call(Rt::MLoad);
                self.call_codec(Codec::CborEncode(t.clone()));
                self.s().drop().drop().drop().drop();
            }
        }
    }

    /// A tuple's fields or an array's items from (i32 local `base`) + `off`, as one CBOR
    /// array.
    fn encode_fields(&mut self, ty: &ValTy, base: u32, off: u32) {
        match ty {
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
            other => self.encode_from(other, base, off),
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
