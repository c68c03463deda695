//! The WASM backend: compiles the target-neutral IR to a native Tandem actor, a WASM module
//! that imports the `tandem_v1` syscalls and exports `memory` and
//! `invoke(params_block_id) -> return_block_id` (docs/syscalls.md).
//!
//! - Values are 256-bit words with the EVM's semantics, kept as four i64 limbs; the
//!   arithmetic is a set of runtime helpers in every module ([`rt`]).
//! - Dispatch is by FRC-0042 method number (`ContractMeta::handlers[i].method_number`),
//!   method 1 being the constructor. Params and replies are DAG-CBOR; events have the EVM
//!   runtime's shape (`t1`..`t4`, `d`) and reverts carry the Solidity ABI revert data with
//!   the EVM runtime's exit code 33, so both builds of a contract report the same events and
//!   errors. Storage uses the same slots as the EVM build (keccak256 mapping slots).
//! - Sends encode by the target's runtime (`send.rs`): Solidity ABI through InvokeEVM to an
//!   EVM contract, FRC-0042 + DAG-CBOR to any other actor.
//! - What the target cannot express yet (creates, `std::abi::encode`,
//!   aggregates holding dynamic values) is a compile error naming the construct.
//!
//! `docs/wasm-target.md` documents the mapping.

mod abi;
mod agg;
mod checked;
mod func;
mod layout;
mod module;
mod rt;
mod send;

use tandem_lang_ir::{Module, Stage};

pub use layout::exit;

/// One contract as a native actor.
#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub wasm: Vec<u8>,
    /// (variant, Solidity name, FRC-0042 method number) of every handler, in order; the
    /// constructor is method 1.
    pub methods: Vec<Method>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    pub variant: String,
    pub sol_name: String,
    pub number: u64,
}

/// Target-neutral IR to one WASM module per contract. Verifies the IR first.
pub fn generate(m: &Module) -> Result<Vec<Output>, String> {
    tandem_lang_ir::verify(m, Stage::Neutral).map_err(|e| e.to_string())?;
    m.contracts
        .iter()
        .map(|c| {
            let wasm = module::contract(c)?;
            let methods = c
                .handlers
                .iter()
                .zip(&c.meta.handlers)
                .map(|(h, meta)| Method {
                    variant: h.variant.clone(),
                    sol_name: meta.sol_name.clone(),
                    number: meta.method_number,
                })
                .collect();
            Ok(Output {
                name: c.name.clone(),
                wasm,
                methods,
            })
        })
        .collect()
}
