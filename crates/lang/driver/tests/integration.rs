//! tandem-lang-driver's integration tests, one binary: each file under `tests/` is a module.
//! One binary links the dependency graph once instead of once per file (a CI disk filled
//! up with ~190 test binaries). `autotests = false` in Cargo.toml; the tidy test checks
//! that every file here is declared.

mod bindgen;
mod build;
mod diagnostics;
mod hostile_source;
mod hostile_types;
mod inline_asm;
mod ipld_conformance;
mod ipld_names;
mod nested_abi_refused;
mod recursive_functions;
