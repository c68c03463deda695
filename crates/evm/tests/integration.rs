//! tandem-evm's integration tests, one binary: each file under `tests/` is a module.
//! One binary links the dependency graph once instead of once per file (a CI disk filled
//! up with ~190 test binaries). `autotests = false` in Cargo.toml; the tidy test checks
//! that every file here is declared.

mod common;

mod actor_precompile;
mod bad_input;
mod code_size_limit;
mod contracts;
mod osaka;
mod receipt;
mod statetests;
mod trace_limit;
