//! tandem-wasm's integration tests, one binary: each file under `tests/` is a module.
//! One binary links the dependency graph once instead of once per file (a CI disk filled
//! up with ~190 test binaries). `autotests = false` in Cargo.toml; the tidy test checks
//! that every file here is declared.

#[path = "../benches/support/attack_modules.rs"]
mod attack_modules;
mod common;

mod actors;
mod async_messages;
mod creator;
mod cross_runtime;
mod event_data;
mod events_root;
mod gas_charges;
mod hostile;
mod ipld_maps;
mod lookups;
mod pricing;
mod safety;
mod sol_calls;
mod tandem_caller;
mod transient;
mod warm_instances;
