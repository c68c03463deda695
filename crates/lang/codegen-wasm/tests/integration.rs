//! tandem-lang-wasm's integration tests, one binary: each file under `tests/` is a module.
//! One binary links the dependency graph once instead of once per file (a CI disk filled
//! up with ~190 test binaries). `autotests = false` in Cargo.toml; the tidy test checks
//! that every file here is declared.

mod common;

mod async_send;
mod differential;
mod erc20_cost;
mod invoke_evm;
mod slot_memo;
mod solidity_caller;
mod validate;
