//! Tandem's EVM runtime: EVM contracts run natively on revm's interpreter, one frame per
//! invocation, with every call, delegate call and create going through Tandem's call manager.
//!
//! - [`runtime`]: [`EvmRuntime`], the `Runtime` for code CID `BuiltinCode::Evm`.
//! - [`host`]: revm's `Host` over the kernel.
//! - [`calls`]: outgoing CALL/CREATE families and Ethereum precompiles.
//! - [`tx`]: signed Ethereum transactions applied through the executor.
//! - [`root`]: the Ethereum state root and logs hash of a Tandem state.
//! - [`mpt`]: a persisted Merkle-Patricia trie updated in place, and its proofs.
//! - [`eth_view`]: the Ethereum state trie of a Tandem state, kept up to date per flush.
//! - [`spec`]: the hardfork's rules (revm spec, gas, precompiles, blob schedule, tx limits).
//! - [`setcode`]: EIP-7702 authorizations and delegation designators.
//! - [`statetest`]: Ethereum's GeneralStateTests runner.
//! - [`address`]: CREATE/CREATE2 formulas and value conversions.

pub mod actor_precompile;
pub mod address;
pub mod async_precompile;
pub mod calls;
pub mod eth_view;
pub mod exit;
pub mod host;
pub mod initcode;
pub mod mpt;
pub mod root;
pub mod runtime;
pub mod setcode;
pub mod spec;
pub mod state;
pub mod statetest;
pub mod system_call;
pub mod trace;
pub mod tx;
pub mod world;

pub use runtime::EvmRuntime;
