//! Events: actor events in exactly the shape the EVM runtime gives logs, so the node serves
//! them as Ethereum logs and both builds emit byte-identical events: entries `t1` (the
//! signature's keccak256, unless anonymous), `t2`.. (indexed fields; `Bytes`/`String`
//! hashed), `d` (the Solidity ABI encoding of the other fields, if any); flags 3, IPLD_RAW.
//!
//! When every data field is static (words and static aggregates, the common case) the
//! block's layout is known at compile time: it is written in place with constant stores for
//! the CBOR framing and each word stored where it goes, with no writer calls per byte.
//! Otherwise the data is ABI-encoded first and the block written by the CBOR writer.

use crate::func::FnGen;
use crate::layout::{IPLD_RAW, global, sys};
use crate::rt::{Rt, m};
use tandem_lang_ir::meta::signature;
use tandem_lang_ir::{EventField, LocalId, ValTy};

/// A topic entry before its 32 bytes: `[3, "t<k>", 0x55, bytes(32)]`'s heads (flags, key,
/// codec, the value's head); the key's digit is at [`TOPIC_DIGIT`].
const TOPIC_HEAD: [u8; 9] = [0x84, 0x03, 0x62, b't', b'1', 0x18, RAW, 0x58, 0x20];
const TOPIC_DIGIT: usize = 4;
/// The data entry before its bytes' head: `[3, "d", 0x55, bytes(len)]`.
const DATA_HEAD: [u8; 6] = [0x84, 0x03, 0x61, b'd', 0x18, RAW];
/// The entries' codec, IPLD_RAW, as the byte after its head (`0x18`).
const RAW: u8 = IPLD_RAW as u8;
/// The largest data written in place (a longer one takes the writer).
const MAX_FIXED_DATA: u32 = 0xffff;

/// A CBOR head (major type, argument) in its shortest form, as `Rt::WrHead` writes it.
fn cbor_head(major: u8, arg: u64) -> Vec<u8> {
    let m = major << 5;
    match arg {
        0..=23 => vec![m | arg as u8],
        24..=0xff => vec![m | 24, arg as u8],
        0x100..=0xffff => [&[m | 25][..], &(arg as u16).to_be_bytes()].concat(),
        0x1_0000..=0xffff_ffff => [&[m | 26][..], &(arg as u32).to_be_bytes()].concat(),
        _ => [&[m | 27][..], &arg.to_be_bytes()].concat(),
    }
}

/// A topic: a constant (the signature's hash) or a word in a local.
#[derive(Clone, Copy)]
enum Topic {
    Const([u8; 32]),
    Local(LocalId),
}

/// Appends constant bytes, joined to the bytes before them (fewer, wider stores).
fn bytes(pieces: &mut Vec<Piece>, b: &[u8]) {
    match pieces.last_mut() {
        Some(Piece::Bytes(v)) => v.extend_from_slice(b),
        _ => pieces.push(Piece::Bytes(b.to_vec())),
    }
}

/// A piece of an event block laid out at compile time.
enum Piece {
    Bytes(Vec<u8>),
    /// A word local, stored big-endian.
    Word(LocalId),
    /// A static aggregate behind the pointer in a local: its `n` bytes copied.
    Copy(LocalId, u32),
}

impl FnGen<'_> {
    /// An actor event in the EVM's log shape (see the module's comment).
    pub fn emit_event(&mut self, name: &str, anonymous: bool, fields: &[EventField]) {
        let temps = self.pre_evaluate(fields.iter().map(|f| (&f.value, &f.ty)));
        let mut topics = Vec::new();
        if !anonymous {
            let sig = signature(name, fields.iter().map(|f| &f.ty));
            topics.push(Topic::Const(alloy_primitives::keccak256(sig.as_bytes()).0));
        }
        let mut data = Vec::new();
        for (f, (l, ty)) in fields.iter().zip(&temps) {
            if !f.indexed {
                data.push((*l, ty.clone()));
                continue;
            }
            match ty {
                ValTy::Bytes | ValTy::String => {
                    let t = self.temp_word();
                    self.s().i32_const(2);
                    self.local_ptr(*l);
                    self.s().i32_const(32).i32_add();
                    self.local_ptr(*l);
                    self.call(Rt::MLoad);
                    self.call(Rt::ToI32);
                    self.call(Rt::Hash);
                    self.set_local(t);
                    topics.push(Topic::Local(t));
                }
                _ => topics.push(Topic::Local(*l)),
            }
        }
        let static_len = data.iter().try_fold(0u32, |n, (_, t)| {
            if t.is_dynamic() {
                None
            } else {
                n.checked_add(t.head_size())
            }
        });
        match static_len {
            Some(len) if len <= MAX_FIXED_DATA => self.emit_in_place(&topics, &data, len),
            _ => self.emit_written(&topics, &data),
        }
    }

    /// The block laid out at compile time at the free pointer: framing by constant stores,
    /// words stored in place, static aggregates copied.
    fn emit_in_place(&mut self, topics: &[Topic], data: &[(LocalId, ValTy)], data_len: u32) {
        let entries = topics.len() + usize::from(!data.is_empty());
        let mut pieces = vec![Piece::Bytes(cbor_head(4, entries as u64))];
        for (k, t) in topics.iter().enumerate() {
            let mut head = TOPIC_HEAD;
            head[TOPIC_DIGIT] = b'1' + k as u8;
            bytes(&mut pieces, &head);
            match t {
                Topic::Const(w) => bytes(&mut pieces, w),
                Topic::Local(l) => pieces.push(Piece::Word(*l)),
            }
        }
        if !data.is_empty() {
            bytes(&mut pieces, &DATA_HEAD);
            bytes(&mut pieces, &cbor_head(2, u64::from(data_len)));
            for (l, ty) in data {
                match ty {
                    ValTy::Word(_) => pieces.push(Piece::Word(*l)),
                    t => pieces.push(Piece::Copy(*l, t.head_size())),
                }
            }
        }
        let size: u32 = pieces
            .iter()
            .map(|p| match p {
                Piece::Bytes(b) => b.len() as u32,
                Piece::Word(_) => 32,
                Piece::Copy(_, n) => *n,
            })
            .sum();
        let p = self.temp32();
        self.s()
            .global_get(global::HEAP)
            .local_tee(p)
            .i32_const(size as i32)
            .i32_add();
        self.call(Rt::GrowTo);
        let mut off = 0u32;
        for piece in &pieces {
            match piece {
                Piece::Bytes(b) => {
                    self.store_bytes(p, off, b);
                    off += b.len() as u32;
                }
                Piece::Word(l) => {
                    self.s().local_get(p).i32_const(off as i32).i32_add();
                    self.get_local(*l);
                    self.call(Rt::MStore);
                    off += 32;
                }
                Piece::Copy(l, n) => {
                    self.s().local_get(p).i32_const(off as i32).i32_add();
                    self.local_ptr(*l);
                    self.s().i32_const(*n as i32).memory_copy(0, 0);
                    off += n;
                }
            }
        }
        // emitted from memory: no block is made for it
        self.s()
            .local_get(p)
            .i32_const(size as i32)
            .call(sys::EVENT_EMIT_DATA)
            .call(Rt::Chk.index());
        self.release(1);
    }

    /// Constant bytes at `p + off` (i32 local `p`), eight at a time.
    fn store_bytes(&mut self, p: u32, off: u32, bytes: &[u8]) {
        let mut s = self.s();
        let mut i = 0;
        while i < bytes.len() {
            let at = m(u64::from(off) + i as u64, 0);
            let rest = &bytes[i..];
            s.local_get(p);
            if let Some(b) = rest.first_chunk::<8>() {
                s.i64_const(i64::from_le_bytes(*b)).i64_store(at);
                i += 8;
            } else if let Some(b) = rest.first_chunk::<4>() {
                s.i32_const(i32::from_le_bytes(*b)).i32_store(at);
                i += 4;
            } else if let Some(b) = rest.first_chunk::<2>() {
                s.i32_const(i32::from(u16::from_le_bytes(*b)))
                    .i32_store16(at);
                i += 2;
            } else {
                s.i32_const(i32::from(rest[0])).i32_store8(at);
                i += 1;
            }
        }
    }

    /// Data with dynamic fields: ABI-encoded at the free pointer, then the block written
    /// after it by the CBOR writer.
    fn emit_written(&mut self, topics: &[Topic], data: &[(LocalId, ValTy)]) {
        let p = self.temp32();
        self.s().global_get(global::HEAP).local_set(p);
        let len = self.abi_encode_values(p, data);
        let start = self.temp32();
        self.s()
            .local_get(p)
            .local_get(len)
            .i32_add()
            .local_tee(start)
            .global_set(global::WR);
        let entries = topics.len() + usize::from(!data.is_empty());
        self.s().i32_const(4).i64_const(entries as i64);
        self.call(Rt::WrHead);
        for (k, t) in topics.iter().enumerate() {
            self.s().i32_const(b'1' as i32 + k as i32);
            match t {
                Topic::Const(w) => self.push_const(tandem_lang_ir::U256::from_be_bytes(*w)),
                Topic::Local(l) => self.get_local(*l),
            }
            self.call(Rt::WrTopic);
        }
        if !data.is_empty() {
            self.data_entry(p, len);
        }
        // the bytes the writer wrote, emitted from memory (no block is made)
        self.s()
            .local_get(start)
            .global_get(global::WR)
            .local_get(start)
            .i32_sub()
            .call(sys::EVENT_EMIT_DATA);
        self.call(Rt::Chk);
        self.release(3);
    }

    /// `[3, "d", IPLD_RAW, bytes]` of the `len` bytes at `p`.
    fn data_entry(&mut self, p: u32, len: u32) {
        for (major, arg) in [(4, 4), (0, 3), (3, 1)] {
            self.s().i32_const(major).i64_const(arg);
            self.call(Rt::WrHead);
        }
        self.s().i32_const(b'd' as i32);
        self.call(Rt::WrByte);
        self.s().i32_const(0).i64_const(IPLD_RAW);
        self.call(Rt::WrHead);
        self.s().i32_const(2).local_get(len).i64_extend_i32_u();
        self.call(Rt::WrHead);
        self.s().local_get(len);
        self.call(Rt::WrReserve);
        let mut s = self.s();
        s.global_get(global::WR)
            .local_get(p)
            .local_get(len)
            .memory_copy(0, 0);
        s.global_get(global::WR)
            .local_get(len)
            .i32_add()
            .global_set(global::WR);
    }
}
