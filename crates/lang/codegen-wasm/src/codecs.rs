//! Codec functions shared across a module: the DAG-CBOR reader and writer of each aggregate
//! shape (`agg.rs`) and the Solidity ABI decoders and encoders of nested dynamic shapes
//! (`abi_nested.rs`) are generated once per shape as functions of their own, after the
//! contract's internal functions, and called from every handler, reply, event, error and
//! send that needs them (a `Doc` read by five handlers, or inside a `Vec<Doc>`, is one
//! function). Inlined, the nested codecs made a module of a dozen nested handlers too large
//! to install within a message's gas (install is priced per operator).
//!
//! Each takes and returns words (four i64 each), as internal functions do: an `AbiParam`
//! the offset of its head in the calldata and gives the value's pointer; an `AbiReply` gives
//! the decoded return data's pointer; an `AbiEncode` takes the destination and the values
//! and gives the length written; a `CborDecode` gives the pointer of the value read at the
//! params' cursor; a `CborEncode` takes the value and writes it at the writer's cursor.

use crate::func::FnGen;
use crate::rt::Rt;
use std::cell::RefCell;
use std::rc::Rc;
use tandem_lang_ir::{Expr, LocalId, ValTy};
use wasm_encoder::Function;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Codec {
    AbiParam(ValTy),
    AbiReply(ValTy),
    AbiEncode(Vec<ValTy>),
    CborDecode(ValTy),
    CborEncode(ValTy),
}

impl Codec {
    /// How many words the function takes.
    pub fn n_params(&self) -> usize {
        match self {
            Codec::AbiParam(_) | Codec::CborEncode(_) => 1,
            Codec::AbiReply(_) | Codec::CborDecode(_) => 0,
            Codec::AbiEncode(ts) => 1 + ts.len(),
        }
    }
}

/// The codecs a module's functions asked for, in the order of their function indices.
pub type Registry = Rc<RefCell<Vec<Codec>>>;

impl FnGen<'_> {
    /// Calls codec `c` (asking for it once per module), its word arguments on the stack;
    /// leaves its word.
    pub fn call_codec(&mut self, c: Codec) {
        let i = {
            let mut r = self.codecs.borrow_mut();
            match r.iter().position(|x| *x == c) {
                Some(i) => i,
                None => {
                    r.push(c);
                    r.len() - 1
                }
            }
        };
        let index = self.codec_base + i as u32;
        self.s().call(index);
    }
}

/// The body of codec `c`, generated like an internal function whose parameters are the
/// IR locals 0..n.
pub fn body(
    contract: &str,
    c: &Codec,
    first_free_local: LocalId,
    registry: &Registry,
    codec_base: u32,
) -> Result<Function, String> {
    let params: Vec<LocalId> = (0..c.n_params() as LocalId).collect();
    let mut g = FnGen::for_function(contract, first_free_local, &params);
    g.codecs = Rc::clone(registry);
    g.codec_base = codec_base;
    let out = g.temp_word();
    match c {
        Codec::AbiParam(t) => g.abi_nested_param_inline(t, Expr::Local(0)),
        Codec::AbiReply(t) => g.abi_nested_reply_inline(t),
        Codec::AbiEncode(ts) => {
            let dst = g.temp32();
            g.get_local(0);
            g.call(Rt::ToI32);
            g.s().local_set(dst);
            let vals: Vec<(LocalId, ValTy)> = ts
                .iter()
                .enumerate()
                .map(|(i, t)| (i as LocalId + 1, t.clone()))
                .collect();
            let len = g.abi_encode_nested_inline(dst, &vals);
            g.s().local_get(len);
            g.i32_to_word();
            g.release(2);
        }
        Codec::CborDecode(t) => g.decode_aggregate_inline(t),
        Codec::CborEncode(t) => {
            g.encode_aggregate_inline(0, t);
            g.push_const(Default::default());
        }
    }
    g.set_local(out);
    g.finish_function(Some(out))
        .map_err(|e| format!("{e} (in a codec of `{c:?}`)"))
}
