//! tandem-cli's integration tests, one binary: each file under `tests/` is a module.
//! One binary links the dependency graph once instead of once per file (a CI disk filled
//! up with ~190 test binaries). `autotests = false` in Cargo.toml; the tidy test checks
//! that every file here is declared.

#[path = "../../wasm/tests/common/actors.rs"]
mod actors;
mod common;
mod lsp_support;

mod abi;
mod async_cli;
mod bench;
mod car_snapshot;
mod crash_safety;
mod diagnostics_cli;
mod evm_cli;
mod first_actor;
mod fmt;
mod lang_package;
mod lang_schema;
mod lang_tests;
mod lang_wasm_build;
mod lsp;
mod lsp_edit;
mod new_actor;
mod test_targets;
mod values;
mod viem_two_builds;
