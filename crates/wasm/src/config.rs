//! The engine configuration, the fixed WASM feature set, the limits and the native prices.
//!
//! Everything here feeds the engine-config hash that keys the on-disk module cache, so a
//! change to any of it invalidates cached modules instead of loading stale machine code.

use std::hash::{Hash, Hasher};

use tandem_vm::gas::Gas;
use wasmtime::wasmparser::WasmFeatures;
use wasmtime::{Config, Engine, OptLevel, Strategy};

/// The syscall ABI version; the import module is `tandem_v1`.
pub const SYSCALL_MODULE: &str = "tandem_v1";
/// The one entry point: `invoke(params_block_id: u32) -> return_block_id: u32` (0 = none).
pub const ENTRY_POINT: &str = "invoke";
/// The exported linear memory.
pub const MEMORY_EXPORT: &str = "memory";

/// Installed modules are stored as one IPLD block, so this is also the block-size limit.
pub const MAX_MODULE_BYTES: usize = 1 << 20;
pub const MAX_FUNCTIONS: u32 = 10_000;
/// A function body larger than this is refused (compile time grows with body size).
pub const MAX_FUNCTION_BODY_BYTES: usize = 256 * 1024;
pub const MAX_LOCALS_PER_FUNCTION: u32 = 4_096;
/// Deepest block/loop/if nesting in a function.
pub const MAX_NESTING_DEPTH: u32 = 512;
pub const MAX_GLOBALS: u32 = 1_000;
pub const MAX_DATA_SEGMENTS: u32 = 1_000;
pub const MAX_IMPORTS: u32 = 256;
pub const MAX_EXPORTS: u32 = 1_000;
/// Table elements, declared or grown.
pub const MAX_TABLE_ELEMENTS: u64 = 20_000;
pub const MAX_TABLES: u32 = 1;
/// Linear memory per instance (128 MiB) and across all WASM frames on the stack (512 MiB).
pub const MAX_INSTANCE_MEMORY: u64 = 128 << 20;
pub const MAX_STACK_MEMORY: u64 = 512 << 20;
/// Native stack for one instance's WASM code (bounds recursion inside a frame).
pub const MAX_WASM_STACK: usize = 512 * 1024;
/// WASM frames live on one thread's stack at once (each may use `MAX_WASM_STACK`).
pub const MAX_WASM_FRAMES: u32 = 256;

pub const WASM_PAGE: u64 = 64 * 1024;

/// Prices of the native runtime (in milligas; see docs/gas.md for the calibration).
pub mod prices {
    use super::Gas;

    /// One unit of wasmtime fuel: one executed instruction (`nop`, `drop`, `block`, `loop`
    /// and `end` are free).
    pub const MILLIGAS_PER_FUEL: i64 = 250;
    /// Growing linear memory, per byte (zeroing and keeping the page).
    pub const MEMORY_BYTE: Gas = Gas::from_milligas(100);
    /// Growing a table, per element.
    pub const TABLE_ELEMENT: Gas = Gas::from_milligas(2_000);
    /// Install: parsing and validation, per byte.
    pub const INSTALL_BASE: Gas = Gas::new(50_000);
    pub const INSTALL_BYTE: Gas = Gas::new(20);
    /// Install: compilation, per function and per operator (paid before compiling).
    pub const INSTALL_FUNCTION: Gas = Gas::new(2_000);
    pub const INSTALL_OPERATOR: Gas = Gas::new(3);
    /// Instantiation: per imported function and per data byte copied in.
    pub const INSTANTIATE_BASE: Gas = Gas::new(2_000);
    pub const INSTANTIATE_DATA_BYTE: Gas = Gas::from_milligas(100);
}

/// The WASM features an installed module may use. Anything else is refused at install.
///
/// - MVP with floats: NaNs are canonicalised by Cranelift, so float results are
///   deterministic.
/// - mutable globals, saturating float-to-int, sign extension, multi-value, bulk memory.
/// - reference types, funcref only (no GC types): current Rust toolchains emit the
///   reference-types encoding of `call_indirect`; table growth is bounded and charged.
///
/// Refused: SIMD, relaxed SIMD, threads/atomics, tail calls, multi-memory, memory64,
/// exceptions, GC and function references, extended const, wide arithmetic, custom page
/// sizes, stack switching, the component model.
pub fn allowed_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::FLOATS
}

/// The deterministic wasmtime configuration.
pub fn wasmtime_config() -> Config {
    let mut c = Config::new();
    c.strategy(Strategy::Cranelift)
        .cranelift_opt_level(OptLevel::Speed)
        .cranelift_nan_canonicalization(true)
        .consume_fuel(true)
        .wasm_backtrace_max_frames(None)
        .max_wasm_stack(MAX_WASM_STACK)
        // Threads are compiled out (no `threads` cargo feature).
        .wasm_simd(false)
        .wasm_relaxed_simd(false)
        .relaxed_simd_deterministic(true)
        .wasm_tail_call(false)
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_extended_const(false)
        .wasm_wide_arithmetic(false)
        .wasm_custom_page_sizes(false)
        .wasm_features(WasmFeatures::REFERENCE_TYPES, true)
        .wasm_features(WasmFeatures::FUNCTION_REFERENCES, false)
        .wasm_features(WasmFeatures::GC, false)
        .wasm_bulk_memory(true)
        .wasm_multi_value(true)
        .memory_may_move(true);
    c
}

pub fn engine() -> anyhow::Result<Engine> {
    Engine::new(&wasmtime_config()).map_err(|e| anyhow::anyhow!("wasmtime engine: {e}"))
}

/// A hex hash of everything that makes compiled code compatible: wasmtime's own
/// compatibility hash plus our limits and prices that instrumentation might bake in.
pub fn engine_config_hash(engine: &Engine) -> String {
    // SipHash with fixed keys: stable for a given build, which is all a cache key needs.
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    "tandem-wasm/1".hash(&mut h);
    (MAX_WASM_STACK, prices::MILLIGAS_PER_FUEL).hash(&mut h);
    format!("{:016x}", h.finish())
}
