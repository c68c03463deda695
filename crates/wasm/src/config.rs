//! The engine configuration, the fixed WASM feature set, the limits and the native prices.
//!
//! Everything here feeds the engine-config hash that keys the on-disk module cache, so a
//! change to any of it invalidates cached modules instead of loading stale machine code.

use std::hash::{Hash, Hasher};

use tandem_vm::gas::Gas;
use wasmtime::wasmparser::WasmFeatures;
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OperatorCost, OptLevel,
    PoolingAllocationConfig, Strategy,
};

/// The syscall ABI version; the import module is `tandem_v1` (defined by `tandem-abi`).
pub use tandem_abi::SYSCALL_MODULE;
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
/// Cranelift's time and memory on one function grow with (locals + params) × control-flow
/// operators (every merge point carries the live locals; see docs/gas.md, compile bombs).
/// A function above this product is refused; below it the product is priced
/// (`prices::INSTALL_LOCAL_BRANCH`). 1,000,000 ≈ 0.33 s and 40 MB of Cranelift on the
/// reference machine, and costs more than a block's gas anyway.
pub const MAX_LOCALS_X_BRANCHES: u64 = 1_000_000;
/// Deepest block/loop/if nesting in a function.
pub const MAX_NESTING_DEPTH: u32 = 512;
pub const MAX_GLOBALS: u32 = 1_000;
pub const MAX_DATA_SEGMENTS: u32 = 1_000;
pub const MAX_IMPORTS: u32 = 256;
pub const MAX_EXPORTS: u32 = 1_000;
/// Table elements, declared or grown.
pub const MAX_TABLE_ELEMENTS: u64 = 20_000;
pub const MAX_TABLES: u32 = 1;
/// Linear memory per instance (2 MiB) and across all WASM frames on the stack (512 MiB).
///
/// Per instance it is small on purpose: a chain of dependent loads at random addresses costs
/// ~5.6 ns per load over 1 MiB, ~10 ns over 2 MiB, ~37 ns over 4 MiB and ~120 ns over 16 MiB
/// or more on the reference machine (L2 and TLB reach; docs/gas.md). A load's fuel price
/// (`prices::LOAD_FUEL`) covers the 2 MiB case; a larger memory would need a price per load
/// that would over-charge every honest load many times over.
pub const MAX_INSTANCE_MEMORY: u64 = 2 << 20;
pub const MAX_STACK_MEMORY: u64 = 512 << 20;
/// Native stack for one instance's WASM code (bounds recursion inside a frame).
pub const MAX_WASM_STACK: usize = 512 * 1024;
/// WASM frames live on one thread's stack at once (each may use `MAX_WASM_STACK`).
pub const MAX_WASM_FRAMES: u32 = 256;

pub const WASM_PAGE: u64 = 64 * 1024;

/// The low part of an instance's memory that its pool slot keeps mapped between instances
/// (reset by `memset`); memory above it is returned to the kernel after every instance.
/// Memory is priced in these two tiers (`prices::MEMORY_BYTE_RESIDENT`, `prices::MEMORY_BYTE`).
pub const RESIDENT_MEMORY: u64 = 256 * 1024;

/// The price of growing an instance's memory from `current` to `desired` bytes.
pub fn memory_growth_price(current: u64, desired: u64) -> Gas {
    let resident = desired.min(RESIDENT_MEMORY).saturating_sub(current);
    let above = desired.saturating_sub(current.max(RESIDENT_MEMORY));
    prices::MEMORY_BYTE_RESIDENT.saturating_mul(resident)
        + prices::MEMORY_BYTE.saturating_mul(above)
}

/// Prices of the native runtime (in milligas; see docs/gas.md for the calibration).
pub mod prices {
    use super::Gas;

    /// One unit of wasmtime fuel: 1/25 gas (40 milligas). wasmtime charges the bulk-memory
    /// operators (`memory.fill`/`copy`/`init`, data segments at instantiation) at least one
    /// unit per byte, and they run at ~0.017 ns per byte: at 1/8 gas a unit they were 4×
    /// over-charged, at 1/25 they are within 2× of the common rate. 1/25 is also the finest
    /// unit in whole milligas in which a load's price (8 gas) fits wasmtime's largest
    /// per-operator cost, 255 units.
    pub const MILLIGAS_PER_FUEL: i64 = 40;
    /// A simple operator (integer add/sub/logic/compare/shift, const, local/global access,
    /// branch, select, store, …): 0.12 gas. `nop`, `drop`, `block`, `end`, `else`,
    /// `return` and `unreachable` stay free (`loop` does not: [`LOOP_FUEL`]).
    pub const SIMPLE_FUEL: u8 = 3;
    /// Fuel per load (any width): 8 gas. A dependent chain of loads at random addresses in a
    /// `MAX_INSTANCE_MEMORY` memory takes ~6–10 ns per load on the reference machines (8 gas
    /// leaves a margin for the noise of a shared L3).
    pub const LOAD_FUEL: u8 = 200;
    /// Integer multiplication: 3–4 cycles of latency in a dependent chain (0.52 gas). Also
    /// the bit counts (`clz`, `ctz`, `popcnt`): ~0.7 ns each in a dependent chain on the
    /// sixteenth session's machine, 2.6× the common rate at the simple operator's 0.12 gas
    /// (the fuzzer's slowest module looped on `i64.ctz; i64.ctz; i64.clz`).
    pub const SLOW_ALU_FUEL: u8 = 13;
    /// Float arithmetic is refused at install since the sixteenth session (a subnormal
    /// operand costs ~38 ns: `validate.rs`); these prices apply to no module and stay so the
    /// engine's operator costs, and the compiled-code cache key, did not move with the refusal.
    ///
    /// Float arithmetic, measured in dependent chains on the fifteenth session's machine
    /// (Cranelift canonicalises every NaN a float operation may produce: a compare and a
    /// select after each, on the chain): f64.add ~4.2 ns, f32.add between a demotion and a
    /// promotion ~3.7 ns each, min/max ~4.5 ns (the NaN and signed-zero cases), rounding
    /// (`ceil`, `floor`, `trunc`, `nearest`) ~5.4 ns, a conversion between integers and
    /// floats (`convert`, `trunc`, `trunc_sat`, `demote`, `promote`) ~3–3.5 ns. At the
    /// integer multiplication's price they were 3–6× under-charged (docs/gas.md). 5 / 6 / 7
    /// / 5 gas.
    pub const FLOAT_ARITH_FUEL: u8 = 125;
    pub const FLOAT_MIN_MAX_FUEL: u8 = 150;
    pub const FLOAT_ROUND_FUEL: u8 = 175;
    pub const CONVERT_FUEL: u8 = 125;
    /// Float sign operations (`neg`, `abs`, `copysign`: masks applied through the vector
    /// unit, ~1.7 ns in a chain) and bit casts between floats and integers (`reinterpret`,
    /// 0.5–1.1 ns each way, bimodal between runs): 1.52 and 2 gas. Float comparisons pay
    /// the integer multiplication's price (a compare and the NaN's parity flag, ~1.2 ns with
    /// a `select` in a chain).
    pub const FLOAT_SIGN_FUEL: u8 = 38;
    pub const REINTERPRET_FUEL: u8 = 50;
    /// `memory.fill`'s fixed part (it is a call into the runtime: ~3 ns for no bytes on the
    /// Xeon, 10.4–10.8 ns on the eighteenth session's AMD EPYC, 2.4–2.7× the rate at 4 gas),
    /// besides its per-byte price: 7 gas. `memory.copy`, `memory.init`, `data.drop`,
    /// `table.fill` and `table.get` measured within 2× at the simple operator's price.
    pub const MEMORY_FILL_FUEL: u8 = 175;
    /// Table operations that call into the runtime, their fixed part: `elem.drop` and
    /// `table.init` (~6.5 ns, even with nothing to copy: found by the fuzzer's slowest
    /// module, a loop of `elem.drop` at ~28 ns per gas), `table.copy` (~0.8–3.2 ns) and
    /// `table.set` (~1–1.7 ns): 7 / 7 / 3 / 1 gas. On the seventeenth session's AMD EPYC
    /// `elem.drop` and `table.init` of nothing took 10–24 ns (the wasm fuzzer's slowest
    /// module, a loop of `memory.size; elem.drop; br_if`, ran 3.0 ns per gas), more than one
    /// operator's fuel can buy: both also get the fuel pad below, 38 gas in all.
    pub const ELEM_DROP_FUEL: u8 = 175;
    pub const TABLE_INIT_FUEL: u8 = 175;
    pub const TABLE_COPY_FUEL: u8 = 75;
    pub const TABLE_SET_FUEL: u8 = 25;
    /// `memory.grow` is a call into the runtime (~18–22 ns even for no pages or a refused
    /// growth, which never reach the limiter, on the Xeon; 47–49 ns on the eighteenth
    /// session's AMD EPYC, 2.1–2.4× the rate at 30.8 gas), more than one operator may cost
    /// (255 units). The compiled module gets this many units more before every `memory.grow`
    /// (and every `elem.drop` and `table.init`), as operators that cost fuel and compute
    /// nothing (`rewrite.rs`): 31 gas more, 41.2 in all for `memory.grow`, 38 for the other two.
    pub const RUNTIME_CALL_PAD_FUEL: u32 = 3 * (3 + 255);
    /// Division and remainder, and square roots, measured in dependent chains. The fourth
    /// session's machine: i64 div/rem ~3.4–4.0 ns, f64.div ~5.1 ns, f32.sqrt ~5.5 ns,
    /// f64.sqrt ~6.8 ns at a common rate of 0.68 ns/gas. The tenth's (an AVX-512 CPU,
    /// 0.52 ns/gas): 3.9–5.0, 6.9, 6.9 and 8.0 ns. Priced 5 / 7 / 7 / 10 / 10 gas, and f64.sqrt
    /// at the most one operator can cost, 255 units (10.2 gas; 7.8 ns is 1.4× the common rate
    /// there): both machines within 2×, since an operation the chain under-prices is a cheap
    /// way to burn its CPU.
    pub const I32_DIV_FUEL: u8 = 125;
    pub const I64_DIV_FUEL: u8 = 175;
    pub const F32_DIV_FUEL: u8 = 175;
    pub const F64_DIV_FUEL: u8 = 250;
    pub const F32_SQRT_FUEL: u8 = 250;
    pub const F64_SQRT_FUEL: u8 = 255;
    /// Branches (`br`, `br_if`, `br_table`): a loop's back-edge is one, and an iteration
    /// costs at least the fuel check at the loop's head. With the fuel counter in a
    /// register that is ~0.3 ns; in a function whose registers run out it lives in memory
    /// and an iteration of `loop br 0` took ~0.9 ns (the fuzzer's slowest module, 7.7 ns per
    /// gas at the simple operator's 0.12): 1 gas. On the seventeenth session's AMD EPYC the
    /// fuzzer's slowest module (seed 1509) was a bare `loop br 0` at 1.0–2.3 ns per
    /// iteration (best of five re-runs, three times; the common rate 0.71–0.76 ns per gas):
    /// 1.52 gas.
    pub const BRANCH_FUEL: u8 = 38;
    /// `br_table`: a bounds check, a load from the jump table and an indirect jump. A loop
    /// whose back-edge is a `br_table` took ~2.8 ns per iteration on the sixteenth session's
    /// machine whatever the index (a predictable one included), against ~0.3 ns with `br_if`
    /// (the wasm fuzzer's slowest module, 2.1 ns per gas at the branch's 1 gas): 4 gas.
    pub const BR_TABLE_FUEL: u8 = 100;
    /// Entering a `loop`: wasmtime checks the fuel at every loop header, and a loop nested in
    /// another is entered again on each iteration of the outer one, so one back-edge can run
    /// any number of headers. Free until the seventeenth session, when the wasm fuzzer's
    /// slowest module (1.2 ns per gas) branched back over three loop headers per iteration:
    /// 16 nested empty loops measured 0.4–0.9 ns per loop entered, 5–13× the common rate at
    /// no gas. 1 gas (nested `block`s and `if`s measured free).
    pub const LOOP_FUEL: u8 = 25;
    /// Calls (frame set-up, stack check, fuel spill): 0.76 gas.
    pub const CALL_FUEL: u8 = 19;
    /// `call_indirect`: a call plus the table bounds check, the signature check and the
    /// indirect jump: 6 gas. At the plain call's price it measured 1.96–2.02× the common
    /// rate, at 1.12 gas up to 2.1×, at 1.52 gas 2.3–3.1× on the seventeenth session's AMD
    /// EPYC: ~6–9.6 ns a call whose target follows the data (the calibration's probe
    /// alternates between two functions on a bit of its result, so the predictor misses),
    /// against ~1.9 ns for a direct call (docs/gas.md).
    pub const CALL_INDIRECT_FUEL: u8 = 150;
    /// `memory.size` and `table.size`: loads through the instance's context, ~1 ns each in a
    /// chain on the seventeenth session's AMD EPYC (2.5× the common rate at the simple
    /// operator's 0.12 gas, in two runs): 0.52 gas, a multiplication's price.
    pub const SIZE_FUEL: u8 = 13;
    /// Bulk memory, per byte (`memory.fill`, `memory.copy`, `memory.init` and active data
    /// segments at instantiation): one unit, 0.04 gas.
    pub const BULK_BYTE_FUEL: u8 = 1;
    /// Bulk table operations, per element (`table.fill`, `table.copy`, `table.init`):
    /// 0.12 gas, what they cost at the earlier unit; nothing measured them cheaper.
    pub const TABLE_ELEMENT_FUEL: u8 = 3;
    /// `memory.grow` and `table.grow` leave compiled code for the host (plus the per-byte or
    /// per-element growth price charged by the limiter): 10.2 gas.
    pub const GROW_FUEL: u8 = 255;
    /// Growing linear memory, per byte, initial memory included, in two tiers (see
    /// [`RESIDENT_MEMORY`](super::RESIDENT_MEMORY)). The cost is not the growth itself but
    /// what the pool does with the pages: the first 256 KiB of a slot stay mapped and are
    /// reset with `memset` (a touched 64 KiB page measured 1.5-2.1 µs in all, instantiation
    /// and reset, on the reference machines: 26 milligas a byte, 1,704 gas a page), the rest is
    /// given back to the kernel after every instance, so each 4 KiB page of it is faulted in
    /// and zeroed again when touched (~24 µs per 64 KiB). The runtime cannot see which pages
    /// an instance touches, so every byte is priced as touched.
    pub const MEMORY_BYTE_RESIDENT: Gas = Gas::from_milligas(26);
    pub const MEMORY_BYTE: Gas = Gas::from_milligas(500);
    /// Growing a table, per element, initial table included. wasmtime initialises tables
    /// lazily: a fresh instance's table measured ~0.2–0.6 ns per element (the calibration's
    /// fresh path; 0.75 gas since the fifteenth session, when 0.5 measured up to 2.3×
    /// under), and the element's first use is paid by `call_indirect`.
    pub const TABLE_ELEMENT: Gas = Gas::from_milligas(750);
    /// Install: parsing and validation, per byte.
    pub const INSTALL_BASE: Gas = Gas::new(50_000);
    pub const INSTALL_BYTE: Gas = Gas::new(20);
    /// Install: compilation, paid before compiling: per function, per operator, and per
    /// (local × control-flow operator) of each function, the term that makes Cranelift
    /// super-linear. Calibrated on generated worst cases to ≈ 10 ns of compile per gas on
    /// the reference machine (docs/gas.md): compilation runs once per node per module (the
    /// result is cached on disk), and at 1 gas/ns a 28 KB honest module would cost more than
    /// a block.
    pub const INSTALL_FUNCTION: Gas = Gas::new(5_000);
    pub const INSTALL_OPERATOR: Gas = Gas::new(400);
    pub const INSTALL_LOCAL_BRANCH: Gas = Gas::new(35);
    /// Instantiation: the instance, and the reset of its pool slot when it ends. Without
    /// signal-based traps a slot stays as large as the largest instance it ever held, and its
    /// release memsets up to `RESIDENT_MEMORY` of it whatever the current instance's size:
    /// ~1.4 µs more than a fresh 64 KiB slot on the reference machine. The base covers that
    /// worst case (an empty call is then ~0.5× the common rate in a fresh slot, ~0.9× in a
    /// slot a 2 MiB instance used), so making slots large cannot make others' calls cheap.
    pub const INSTANTIATE_BASE: Gas = Gas::new(3_500);
    /// Active data segments, per byte, on top of the fuel instantiation itself spends on them
    /// (`BULK_BYTE_FUEL`, 0.04 gas, per byte): copying them measured ~0.02 ns per byte, so
    /// the fuel alone covers it and nothing is added.
    pub const INSTANTIATE_DATA_BYTE: Gas = Gas::from_milligas(0);
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

/// Multiplies every operator's cost by `SIMPLE_FUEL`: wasmtime's defaults are one unit per
/// operator with control flow free, and a simple operator costs `SIMPLE_FUEL` units here.
macro_rules! scale_every_operator {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
        fn scale_every_operator(c: &mut OperatorCost) {
            $( c.$op = c.$op.saturating_mul(prices::SIMPLE_FUEL); )*
        }
    };
}
wasmtime::wasmparser::for_each_operator!(scale_every_operator);

/// Fuel per WASM operator (see `prices`): the wasmtime defaults (one unit per operator,
/// control flow free) scaled to `SIMPLE_FUEL`, the slow classes priced apart, and the
/// per-byte and per-element costs of bulk operations.
pub fn operator_cost() -> OperatorCost {
    use prices::*;
    let mut c = OperatorCost::new();
    scale_every_operator(&mut c);
    c.variable.memory_copy_per_byte = BULK_BYTE_FUEL;
    c.variable.memory_fill_per_byte = BULK_BYTE_FUEL;
    c.variable.memory_init_per_byte = BULK_BYTE_FUEL;
    c.variable.table_copy_per_element = TABLE_ELEMENT_FUEL;
    c.variable.table_fill_per_element = TABLE_ELEMENT_FUEL;
    c.variable.table_init_per_element = TABLE_ELEMENT_FUEL;
    for load in [
        &mut c.I32Load,
        &mut c.I64Load,
        &mut c.F32Load,
        &mut c.F64Load,
        &mut c.I32Load8S,
        &mut c.I32Load8U,
        &mut c.I32Load16S,
        &mut c.I32Load16U,
        &mut c.I64Load8S,
        &mut c.I64Load8U,
        &mut c.I64Load16S,
        &mut c.I64Load16U,
        &mut c.I64Load32S,
        &mut c.I64Load32U,
    ] {
        *load = LOAD_FUEL;
    }
    c.I32Mul = SLOW_ALU_FUEL;
    c.I64Mul = SLOW_ALU_FUEL;
    for count in [
        &mut c.I32Clz,
        &mut c.I32Ctz,
        &mut c.I32Popcnt,
        &mut c.I64Clz,
        &mut c.I64Ctz,
        &mut c.I64Popcnt,
    ] {
        *count = SLOW_ALU_FUEL;
    }
    for compare in [
        &mut c.F32Eq,
        &mut c.F32Ne,
        &mut c.F32Lt,
        &mut c.F32Gt,
        &mut c.F32Le,
        &mut c.F32Ge,
        &mut c.F64Eq,
        &mut c.F64Ne,
        &mut c.F64Lt,
        &mut c.F64Gt,
        &mut c.F64Le,
        &mut c.F64Ge,
    ] {
        *compare = SLOW_ALU_FUEL;
    }
    for arith in [
        &mut c.F32Add,
        &mut c.F32Sub,
        &mut c.F32Mul,
        &mut c.F64Add,
        &mut c.F64Sub,
        &mut c.F64Mul,
    ] {
        *arith = FLOAT_ARITH_FUEL;
    }
    for min_max in [&mut c.F32Min, &mut c.F32Max, &mut c.F64Min, &mut c.F64Max] {
        *min_max = FLOAT_MIN_MAX_FUEL;
    }
    for round in [
        &mut c.F32Ceil,
        &mut c.F32Floor,
        &mut c.F32Trunc,
        &mut c.F32Nearest,
        &mut c.F64Ceil,
        &mut c.F64Floor,
        &mut c.F64Trunc,
        &mut c.F64Nearest,
    ] {
        *round = FLOAT_ROUND_FUEL;
    }
    for sign in [
        &mut c.F32Neg,
        &mut c.F32Abs,
        &mut c.F32Copysign,
        &mut c.F64Neg,
        &mut c.F64Abs,
        &mut c.F64Copysign,
    ] {
        *sign = FLOAT_SIGN_FUEL;
    }
    for cast in [
        &mut c.I32ReinterpretF32,
        &mut c.I64ReinterpretF64,
        &mut c.F32ReinterpretI32,
        &mut c.F64ReinterpretI64,
    ] {
        *cast = REINTERPRET_FUEL;
    }
    c.Loop = LOOP_FUEL;
    c.Br = BRANCH_FUEL;
    c.BrIf = BRANCH_FUEL;
    c.BrTable = BR_TABLE_FUEL;
    c.MemoryFill = MEMORY_FILL_FUEL;
    c.ElemDrop = ELEM_DROP_FUEL;
    c.TableInit = TABLE_INIT_FUEL;
    c.TableCopy = TABLE_COPY_FUEL;
    c.TableSet = TABLE_SET_FUEL;
    for convert in [
        &mut c.I32TruncF32S,
        &mut c.I32TruncF32U,
        &mut c.I32TruncF64S,
        &mut c.I32TruncF64U,
        &mut c.I64TruncF32S,
        &mut c.I64TruncF32U,
        &mut c.I64TruncF64S,
        &mut c.I64TruncF64U,
        &mut c.I32TruncSatF32S,
        &mut c.I32TruncSatF32U,
        &mut c.I32TruncSatF64S,
        &mut c.I32TruncSatF64U,
        &mut c.I64TruncSatF32S,
        &mut c.I64TruncSatF32U,
        &mut c.I64TruncSatF64S,
        &mut c.I64TruncSatF64U,
        &mut c.F32ConvertI32S,
        &mut c.F32ConvertI32U,
        &mut c.F32ConvertI64S,
        &mut c.F32ConvertI64U,
        &mut c.F64ConvertI32S,
        &mut c.F64ConvertI32U,
        &mut c.F64ConvertI64S,
        &mut c.F64ConvertI64U,
        &mut c.F32DemoteF64,
        &mut c.F64PromoteF32,
    ] {
        *convert = CONVERT_FUEL;
    }
    c.I32DivS = I32_DIV_FUEL;
    c.I32DivU = I32_DIV_FUEL;
    c.I32RemS = I32_DIV_FUEL;
    c.I32RemU = I32_DIV_FUEL;
    c.I64DivS = I64_DIV_FUEL;
    c.I64DivU = I64_DIV_FUEL;
    c.I64RemS = I64_DIV_FUEL;
    c.I64RemU = I64_DIV_FUEL;
    c.F32Div = F32_DIV_FUEL;
    c.F64Div = F64_DIV_FUEL;
    c.F32Sqrt = F32_SQRT_FUEL;
    c.F64Sqrt = F64_SQRT_FUEL;
    c.Call = CALL_FUEL;
    c.CallIndirect = CALL_INDIRECT_FUEL;
    c.MemorySize = SIZE_FUEL;
    c.TableSize = SIZE_FUEL;
    c.MemoryGrow = GROW_FUEL;
    c.TableGrow = GROW_FUEL;
    c
}

/// The deterministic wasmtime configuration.
pub fn wasmtime_config() -> Config {
    let mut c = Config::new();
    // Cranelift's spectre guards on heap and table accesses load from address 0 when an
    // index is out of bounds, which needs signal-based traps. Without them the guards must
    // be off; an actor can only address its own linear memory either way, and nothing a
    // node holds in memory beside chain state is secret (its keys sign in another process
    // on a real deployment; dev keys are public).
    // SAFETY: both are documented Cranelift settings; they change code shape, not semantics.
    unsafe {
        c.cranelift_flag_set("enable_heap_access_spectre_mitigation", "false");
        c.cranelift_flag_set("enable_table_access_spectre_mitigation", "false");
    }
    c.strategy(Strategy::Cranelift)
        .cranelift_opt_level(OptLevel::Speed)
        .cranelift_nan_canonicalization(true)
        .consume_fuel(true)
        .operator_cost(operator_cost())
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
        // Instances come from a pool of slots reserved once: no mmap/munmap/mprotect per
        // call, which was 70% of an empty native call. A slot reserves exactly the largest
        // memory an instance may have, so memories never move and bounds checks are explicit.
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling()))
        .memory_reservation(MAX_INSTANCE_MEMORY)
        .memory_guard_size(0)
        .memory_reservation_for_growth(0)
        .memory_may_move(false)
        // Bounds checks are explicit already (no guard region), so nothing relies on a
        // fault: without signal-based traps a pooled slot keeps its pages read-write between
        // instances, and neither instantiation nor `memory.grow` calls `mprotect` (two
        // syscalls and a TLB flush per call were ~25% of a native token transfer).
        .signals_based_traps(false)
        // Data segments are copied into the (resident) slot at instantiation instead of
        // mapped copy-on-write: small actors pay no page faults per call.
        .memory_init_cow(false);
    c
}

/// Instances the pool holds at once, across every thread that runs native actors (the
/// chain, RPC reads): 256 nested WASM frames of up to four messages at a time. Running out is
/// a resource error of this node, never an actor's failure (see `runtime.rs`).
pub const POOL_INSTANCES: u32 = 4 * MAX_WASM_FRAMES;

fn pooling() -> PoolingAllocationConfig {
    let mut p = PoolingAllocationConfig::default();
    // Warm instances (`warm.rs`) hold slots too, on top of what frames may need.
    let slots = POOL_INSTANCES + crate::warm::MAX_WARM as u32;
    p.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
        .total_component_instances(0)
        .max_memories_per_module(1)
        .max_tables_per_module(MAX_TABLES)
        .max_memory_size(MAX_INSTANCE_MEMORY as usize)
        .table_elements(MAX_TABLE_ELEMENTS as usize)
        // Resetting a returned slot: the lowest `RESIDENT_MEMORY` bytes are memset and stay
        // mapped (the next call takes no page faults), the rest is madvised away. The
        // PAGEMAP_SCAN ioctl (reset only dirtied pages) measured slower for small actors:
        // the scan cost more than the memset it saved.
        .pagemap_scan(Enabled::No)
        .linear_memory_keep_resident(RESIDENT_MEMORY as usize)
        .table_keep_resident(16 * 1024);
    p
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
    // 4: modules are compiled with the host's exports (`rewrite.rs`); 5: and with fuel pads
    // before `memory.grow`; 6: and before `elem.drop` and `table.init`; 7: pads of three.
    "tandem-wasm/7".hash(&mut h);
    (
        MAX_WASM_STACK,
        prices::MILLIGAS_PER_FUEL,
        prices::RUNTIME_CALL_PAD_FUEL,
    )
        .hash(&mut h);
    format!("{:?}", operator_cost()).hash(&mut h);
    format!("{:016x}", h.finish())
}
