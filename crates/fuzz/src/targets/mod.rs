//! One module per fuzz target.

pub mod evm;
pub mod evm_speed;
pub mod lang;
pub mod lang_diff;
pub mod lang_gen;
pub mod native;
pub mod rpc;
pub mod syscalls;
pub mod wasm;
