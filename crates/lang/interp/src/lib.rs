//! A reference interpreter of the Tandem language's target-neutral IR (`tandem-lang-ir`):
//! an independent check of what the compiled builds do.
//!
//! It runs sema's module directly, from the IR's semantics (docs/ir.md, `ir::verify`), with
//! none of a backend's code: 256-bit words, checked arithmetic that panics with the
//! language's codes, a byte-addressed memory for aggregates, storage as a map of 32-byte
//! slots at the places sema's layout names (mapping entries and dynamic data at the
//! Solidity slots, so storage compares slot by slot with the builds), events and errors as
//! typed values given in their Solidity ABI form, typed replies decoded strictly, and
//! message sends between the contracts of one interpreted world. docs/interp.md says what
//! it checks and what it does not run.
//!
//! The world speaks the contracts' Solidity interface at its edge ([`World::call`] takes
//! calldata, [`Outcome`] holds return or revert data and logs), so its results compare
//! byte for byte with the EVM build's.

mod abi;
mod arith;
mod exec;
mod exec_ext;
mod mem;
mod world;

pub use abi::{Val, decode, encode};
pub use world::{Account, Env, Log, Outcome, World};

use std::fmt;

/// Why the interpreter stopped without an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The module or the request is malformed (the verifier refused the module, an unknown
    /// contract index).
    Invalid(String),
    /// A construct the interpreter does not run, named.
    Unsupported(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(m) => write!(f, "invalid: {m}"),
            Error::Unsupported(m) => write!(f, "unsupported by the interpreter: {m}"),
        }
    }
}

impl std::error::Error for Error {}
