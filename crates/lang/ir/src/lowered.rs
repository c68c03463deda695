//! Backend-lowered forms: EVM-shaped operations that the EVM backend's ABI lowering
//! (`tandem_lang_evm::lower`) produces from the typed operations, so that the shared optimiser
//! can still see through them. `sema` never produces them; [`crate::verify`] refuses them in
//! [`crate::Stage::Neutral`] IR. Another backend has no use for them.

use crate::{CallKind, Expr, ValTy};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LExpr {
    /// A CALL or STATICCALL with `args_len` bytes of calldata at `args`; yields the success
    /// flag.
    Call {
        kind: CallKind,
        gas: Option<Box<Expr>>,
        addr: Box<Expr>,
        value: Box<Expr>,
        args: Box<Expr>,
        args_len: Box<Expr>,
    },
    /// CREATE or CREATE2 of the contract `child`, with ABI-encoded constructor arguments in
    /// memory; yields the new address (0 on failure).
    Create {
        child: u32,
        value: Box<Expr>,
        args: Box<Expr>,
        args_len: Box<Expr>,
        salt: Option<Box<Expr>>,
    },
    /// ABI-encodes the values (after an optional selector) into fresh memory laid out like
    /// `Bytes`: a length word, then the encoding. Yields the pointer.
    AbiEncode {
        selector: Option<[u8; 4]>,
        args: Vec<(Expr, ValTy)>,
    },
    /// RETURNDATASIZE.
    ReturnDataSize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LStmt {
    /// `dst, src, len`
    ReturnDataCopy(Expr, Expr, Expr),
    MStore8(Expr, Expr),
    /// A log with the given topics and ABI-encoded data.
    Log {
        topics: Vec<Expr>,
        data: Vec<(Expr, ValTy)>,
    },
    /// REVERT with a selector and ABI-encoded fields (a custom error).
    RevertError {
        selector: [u8; 4],
        args: Vec<(Expr, ValTy)>,
    },
}

impl LExpr {
    pub fn is_pure(&self) -> bool {
        matches!(self, LExpr::ReturnDataSize)
    }

    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            LExpr::Call {
                gas,
                addr,
                value,
                args,
                args_len,
                ..
            } => {
                let mut v: Vec<&Expr> = vec![addr, value, args, args_len];
                v.extend(gas.as_deref());
                v
            }
            LExpr::Create {
                value,
                args,
                args_len,
                salt,
                ..
            } => {
                let mut v: Vec<&Expr> = vec![value, args, args_len];
                v.extend(salt.as_deref());
                v
            }
            LExpr::AbiEncode { args, .. } => args.iter().map(|(e, _)| e).collect(),
            LExpr::ReturnDataSize => vec![],
        }
    }

    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            LExpr::Call {
                gas,
                addr,
                value,
                args,
                args_len,
                ..
            } => {
                let mut v: Vec<&mut Expr> = vec![addr, value, args, args_len];
                v.extend(gas.as_deref_mut());
                v
            }
            LExpr::Create {
                value,
                args,
                args_len,
                salt,
                ..
            } => {
                let mut v: Vec<&mut Expr> = vec![value, args, args_len];
                v.extend(salt.as_deref_mut());
                v
            }
            LExpr::AbiEncode { args, .. } => args.iter_mut().map(|(e, _)| e).collect(),
            LExpr::ReturnDataSize => vec![],
        }
    }
}

impl LStmt {
    /// The expressions the statement evaluates.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            LStmt::ReturnDataCopy(a, b, c) => vec![a, b, c],
            LStmt::MStore8(a, b) => vec![a, b],
            LStmt::Log { topics, data } => {
                topics.iter().chain(data.iter().map(|(e, _)| e)).collect()
            }
            LStmt::RevertError { args, .. } => args.iter().map(|(e, _)| e).collect(),
        }
    }

    pub fn exprs_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            LStmt::ReturnDataCopy(a, b, c) => vec![a, b, c],
            LStmt::MStore8(a, b) => vec![a, b],
            LStmt::Log { topics, data } => topics
                .iter_mut()
                .chain(data.iter_mut().map(|(e, _)| e))
                .collect(),
            LStmt::RevertError { args, .. } => args.iter_mut().map(|(e, _)| e).collect(),
        }
    }
}
