//! Tandem's native WASM actor runtime.
//!
//! - [`config`]: the deterministic wasmtime configuration, the feature set, limits, prices.
//! - [`validate`]: install-time checks and the install price.
//! - [`syscalls`]: the `tandem_v1` syscalls (docs/syscalls.md).
//! - [`WasmRuntime`]: the `Runtime` the chain registers; compiled modules are cached by code
//!   CID in memory and under `<data-dir>/wasm-cache/`.

pub mod cache;
pub mod config;
mod host;
mod rewrite;
mod runtime;
pub mod syscalls;
pub mod validate;
mod warm;

pub use runtime::{WasmRuntime, code_cid};
