//! tandem-lang-harness's integration tests, one binary: each file under `tests/` is a module.
//! One binary links the dependency graph once instead of once per file (a CI disk filled
//! up with ~190 test binaries). `autotests = false` in Cargo.toml; the tidy test checks
//! that every file here is declared.

mod abi_decode;
mod abi_dynamic;
mod both_targets;
mod coin;
mod docs;
mod enum_range;
mod fixtures;
mod gas;
mod gas_vs_solc;
mod immutables;
mod interfaces;
mod interp_agrees;
mod lang_examples;
mod lang_tests;
mod nested_abi;
mod nested_cbor;
mod nested_replies;
mod opt;
mod should_fail;
mod sstore2;
mod storage_methods;
