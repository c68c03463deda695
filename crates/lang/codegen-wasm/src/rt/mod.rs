//! The runtime helpers every generated module carries: 256-bit word arithmetic over four
//! little-endian i64 limbs (`word`), and memory, storage, context, CBOR and abort helpers
//! over the `tandem_v1` syscalls (`io`, `cbor`). A word crosses a call as four i64 values,
//! least significant limb first.

mod call;
mod cbor;
mod io;
mod word;

use crate::layout::{I32, I64, N_IMPORTS};
use wasm_encoder::{Function, InstructionSink, MemArg, ValType};

/// One runtime helper. The function index is `N_IMPORTS + helper as u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Rt {
    Add,
    Sub,
    Mul,
    DivMod,
    Div,
    Mod,
    SDiv,
    SMod,
    Neg,
    Exp,
    And,
    Or,
    Xor,
    Not,
    Lt,
    Gt,
    SLt,
    SGt,
    Eq,
    IsZero,
    Shl,
    Shr,
    Sar,
    SignExtend,
    Byte,
    Bswap,
    MLoad,
    MStore,
    ToI32,
    GrowTo,
    Alloc,
    Chk,
    Abort,
    RevertRaw,
    Panic,
    SLoad,
    SStore,
    TLoad,
    TStore,
    Hash,
    MapSlot,
    MapSlotBytes,
    DataSlot,
    WordOfId,
    IdOfWord,
    Caller,
    Balance,
    RdByte,
    RdHead,
    RdArray,
    RdLen,
    RdInt,
    RdBool,
    RdFixed,
    RdBytes,
    RdAddress,
    WrReserve,
    WrByte,
    WrHead,
    WrInt,
    WrBool,
    WrFixed,
    WrBytes,
    WrAddress,
    WrTopic,
    Finish,
    ToAddr,
    IsEvm,
    ReadBlock,
    Ecrecover,
    CodeSize,
    MapMemo,
    SLoadMap,
    SStoreMap,
}

pub const ALL: &[Rt] = &[
    Rt::Add,
    Rt::Sub,
    Rt::Mul,
    Rt::DivMod,
    Rt::Div,
    Rt::Mod,
    Rt::SDiv,
    Rt::SMod,
    Rt::Neg,
    Rt::Exp,
    Rt::And,
    Rt::Or,
    Rt::Xor,
    Rt::Not,
    Rt::Lt,
    Rt::Gt,
    Rt::SLt,
    Rt::SGt,
    Rt::Eq,
    Rt::IsZero,
    Rt::Shl,
    Rt::Shr,
    Rt::Sar,
    Rt::SignExtend,
    Rt::Byte,
    Rt::Bswap,
    Rt::MLoad,
    Rt::MStore,
    Rt::ToI32,
    Rt::GrowTo,
    Rt::Alloc,
    Rt::Chk,
    Rt::Abort,
    Rt::RevertRaw,
    Rt::Panic,
    Rt::SLoad,
    Rt::SStore,
    Rt::TLoad,
    Rt::TStore,
    Rt::Hash,
    Rt::MapSlot,
    Rt::MapSlotBytes,
    Rt::DataSlot,
    Rt::WordOfId,
    Rt::IdOfWord,
    Rt::Caller,
    Rt::Balance,
    Rt::RdByte,
    Rt::RdHead,
    Rt::RdArray,
    Rt::RdLen,
    Rt::RdInt,
    Rt::RdBool,
    Rt::RdFixed,
    Rt::RdBytes,
    Rt::RdAddress,
    Rt::WrReserve,
    Rt::WrByte,
    Rt::WrHead,
    Rt::WrInt,
    Rt::WrBool,
    Rt::WrFixed,
    Rt::WrBytes,
    Rt::WrAddress,
    Rt::WrTopic,
    Rt::Finish,
    Rt::ToAddr,
    Rt::IsEvm,
    Rt::ReadBlock,
    Rt::Ecrecover,
    Rt::CodeSize,
    Rt::MapMemo,
    Rt::SLoadMap,
    Rt::SStoreMap,
];

pub const W: [ValType; 4] = [I64; 4];
pub const W2: [ValType; 8] = [I64; 8];

impl Rt {
    pub fn index(self) -> u32 {
        N_IMPORTS + self as u32
    }

    /// (params, results).
    pub fn sig(self) -> (Vec<ValType>, Vec<ValType>) {
        use Rt::*;
        let w = W.to_vec();
        let w2 = W2.to_vec();
        let cat = |a: &[ValType], b: &[ValType]| [a, b].concat();
        match self {
            Add | Sub | Mul | Div | Mod | SDiv | SMod | Exp | And | Or | Xor | Shl | Shr | Sar
            | SignExtend | Byte | MapSlot => (w2, w),
            DivMod => (w2.clone(), w2),
            Lt | Gt | SLt | SGt | Eq => (w2, vec![I32]),
            Neg | Not | SLoad | TLoad | DataSlot => (w.clone(), w),
            IsZero | ToI32 => (w, vec![I32]),
            Bswap => (vec![I64], vec![I64]),
            MLoad => (vec![I32], w),
            MStore => (cat(&[I32], &w), vec![]),
            GrowTo | Chk | Abort | Panic | WrReserve | WrByte => (vec![I32], vec![]),
            Alloc => (vec![I32], vec![I32]),
            RevertRaw => (vec![I32, I32], vec![]),
            SStore | TStore | MapMemo => (w2, vec![]),
            SLoadMap => (w2, w),
            SStoreMap => ([I64; 12].to_vec(), vec![]),
            Hash => (vec![I32, I32, I32], w),
            MapSlotBytes => (cat(&[I32], &w), w),
            WordOfId => (vec![I64], w),
            IdOfWord => (w, vec![I64, I32]),
            Caller => (vec![], w),
            Balance | CodeSize => (w.clone(), w),
            RdByte | RdLen => (vec![], vec![I32]),
            RdHead => (vec![], vec![I32, I64]),
            RdArray => (vec![I32], vec![]),
            RdInt => (vec![I32, I32], w),
            RdBool | RdAddress => (vec![], w),
            RdFixed => (vec![I32], w),
            RdBytes => (vec![I32], vec![I32]),
            WrHead => (vec![I32, I64], vec![]),
            WrInt => (cat(&[I32, I32], &w), vec![]),
            WrBool | WrAddress => (w, vec![]),
            WrFixed => (cat(&[I32], &w), vec![]),
            WrBytes => (vec![I32, I32], vec![]),
            WrTopic => (cat(&[I32], &w), vec![]),
            Finish => (vec![I32, I64], vec![I32]),
            ToAddr | IsEvm => (w, vec![I32]),
            ReadBlock => (vec![I32], vec![]),
            Ecrecover => ([I64; 16].to_vec(), w),
        }
    }

    pub fn body(self) -> Function {
        word::body(self)
            .or_else(|| io::body(self))
            .or_else(|| cbor::body(self))
            .or_else(|| call::body(self))
            .unwrap_or_else(|| unreachable!("no body for {self:?}"))
    }
}

pub fn m(offset: u64, align: u32) -> MemArg {
    MemArg {
        offset,
        align,
        memory_index: 0,
    }
}

/// `call` a helper.
pub fn call(s: &mut InstructionSink<'_>, rt: Rt) {
    s.call(rt.index());
}

/// A function with `n64` i64 locals then `n32` i32 locals after its parameters.
pub fn func(n64: u32, n32: u32) -> Function {
    Function::new([(n64, I64), (n32, I32)])
}
