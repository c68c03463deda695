//! Install-time checks: the fixed feature set, the limits, and imports of known syscalls
//! only. Everything that fails here is refused before any machine code is generated.

use tandem_vm::gas::Gas;
use wasmtime::wasmparser::{Operator, Parser, Payload, TypeRef, Validator};

use crate::config::{self, prices};
use crate::syscalls::SYSCALL_NAMES;

/// What install learnt about a module; the compile price is computed from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInfo {
    pub bytes: usize,
    pub functions: u32,
    pub operators: u64,
    /// Σ over functions of (params + locals) × control-flow operators.
    pub locals_x_branches: u64,
    pub max_nesting: u32,
    pub data_bytes: u64,
    pub has_memory_export: bool,
    pub has_entry_point: bool,
    /// Whether a finished instance can be reset to its initial state and reused (see
    /// `warm.rs`): everything a call may change is then the memory's contents and size and
    /// the mutable globals. A start function, table mutation (`table.set`/`fill`/`copy`/
    /// `init`/`grow`) or dropping a segment (`data.drop`, `elem.drop`) leaves state the
    /// host cannot reset, so such a module is instantiated fresh for every call.
    pub resettable: bool,
    /// Mutable globals and defined tables (the host exports them to reset a reused instance).
    pub mutable_globals: Vec<u32>,
    pub defined_tables: u32,
    /// Operators that call into the runtime for more than one operator's fuel can buy
    /// (`memory.grow`, `elem.drop`, `table.init`): each gets a fuel pad when compiled
    /// (`rewrite.rs::needs_pad`).
    pub padded_operators: u64,
    /// Parameter counts of the type section's function types, and each defined function's
    /// type index (parsing state for the per-function product).
    type_params: Vec<u32>,
    func_types: Vec<u32>,
    code_seen: usize,
}

/// Paid before the module is even parsed, so a huge module pays for its parsing.
pub fn upfront_cost(len: usize) -> Gas {
    prices::INSTALL_BASE + prices::INSTALL_BYTE.saturating_mul(len as u64)
}

/// Paid after validation and before compilation: compile time grows with functions,
/// operators and, per function, with (locals × control-flow operators), so compile bombs pay
/// for themselves (and the limits cap them). See docs/gas.md for the measurements.
pub fn compile_cost(info: &ModuleInfo) -> Gas {
    prices::INSTALL_FUNCTION.saturating_mul(info.functions as u64)
        + prices::INSTALL_OPERATOR.saturating_mul(info.operators)
        + prices::INSTALL_LOCAL_BRANCH.saturating_mul(info.locals_x_branches)
}

/// Paid at every instantiation, beyond `INSTANTIATE_BASE`: the active data segments copied
/// into memory. (Initial memory and table elements are charged by the limiter as growth.)
pub fn instantiate_cost(info: &ModuleInfo) -> Gas {
    prices::INSTANTIATE_DATA_BYTE.saturating_mul(info.data_bytes)
}

/// Validates a module against the feature set and the limits.
pub fn validate(wasm: &[u8]) -> Result<ModuleInfo, String> {
    if wasm.len() > config::MAX_MODULE_BYTES {
        return Err(format!(
            "module is {} bytes; the limit is {}",
            wasm.len(),
            config::MAX_MODULE_BYTES
        ));
    }
    Validator::new_with_features(config::allowed_features())
        .validate_all(wasm)
        .map_err(|e| format!("invalid or unsupported WASM: {e}"))?;
    let mut info = ModuleInfo {
        bytes: wasm.len(),
        resettable: true,
        ..ModuleInfo::default()
    };
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| format!("malformed WASM: {e}"))?;
        check_payload(payload, &mut info)?;
    }
    if !info.has_entry_point {
        return Err(format!(
            "module does not export a function `{}`",
            config::ENTRY_POINT
        ));
    }
    if !info.has_memory_export {
        return Err(format!(
            "module does not export its memory as `{}`",
            config::MEMORY_EXPORT
        ));
    }
    Ok(info)
}

fn limit(what: &str, n: u64, max: u64) -> Result<(), String> {
    if n > max {
        return Err(format!("{what}: {n} exceeds the limit of {max}"));
    }
    Ok(())
}

fn check_payload(payload: Payload<'_>, info: &mut ModuleInfo) -> Result<(), String> {
    let bad = |e: wasmtime::wasmparser::BinaryReaderError| format!("malformed WASM: {e}");
    match payload {
        Payload::ImportSection(reader) => {
            limit("imports", reader.count() as u64, config::MAX_IMPORTS as u64)?;
            for import in reader.into_imports() {
                let import = import.map_err(bad)?;
                if import.module != config::SYSCALL_MODULE || !SYSCALL_NAMES.contains(&import.name)
                {
                    return Err(format!(
                        "imports unknown syscall `{}::{}` (known: module `{}`, see docs/syscalls.md)",
                        import.module,
                        import.name,
                        config::SYSCALL_MODULE
                    ));
                }
                if !matches!(import.ty, TypeRef::Func(_)) {
                    return Err(format!("import `{}` must be a function", import.name));
                }
            }
        }
        Payload::TypeSection(reader) => {
            for ty in reader.into_iter_err_on_gc_types() {
                let ty = ty.map_err(bad)?;
                info.type_params.push(ty.params().len() as u32);
            }
        }
        Payload::FunctionSection(reader) => {
            limit(
                "functions",
                reader.count() as u64,
                config::MAX_FUNCTIONS as u64,
            )?;
            info.functions = reader.count();
            for ty in reader {
                info.func_types.push(ty.map_err(bad)?);
            }
        }
        Payload::TableSection(reader) => {
            limit("tables", reader.count() as u64, config::MAX_TABLES as u64)?;
            info.defined_tables = reader.count();
            for table in reader {
                let table = table.map_err(bad)?;
                limit(
                    "table elements",
                    table.ty.initial,
                    config::MAX_TABLE_ELEMENTS,
                )?;
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader {
                let memory = memory.map_err(bad)?;
                limit(
                    "initial memory bytes",
                    memory.initial.saturating_mul(config::WASM_PAGE),
                    config::MAX_INSTANCE_MEMORY,
                )?;
            }
        }
        Payload::GlobalSection(reader) => {
            limit("globals", reader.count() as u64, config::MAX_GLOBALS as u64)?;
            // Imports are functions only, so a defined global's index is its position.
            for (index, global) in reader.into_iter().enumerate() {
                if global.map_err(bad)?.ty.mutable {
                    info.mutable_globals.push(index as u32);
                }
            }
        }
        Payload::StartSection { .. } => info.resettable = false,
        Payload::DataSection(reader) => {
            limit(
                "data segments",
                reader.count() as u64,
                config::MAX_DATA_SEGMENTS as u64,
            )?;
            for data in reader {
                let data = data.map_err(bad)?;
                info.data_bytes += data.data.len() as u64;
            }
        }
        Payload::ExportSection(reader) => {
            limit("exports", reader.count() as u64, config::MAX_EXPORTS as u64)?;
            for export in reader {
                let export = export.map_err(bad)?;
                use wasmtime::wasmparser::ExternalKind;
                match (export.name, export.kind) {
                    (config::ENTRY_POINT, ExternalKind::Func) => info.has_entry_point = true,
                    (config::MEMORY_EXPORT, ExternalKind::Memory) => info.has_memory_export = true,
                    _ => {}
                }
            }
        }
        Payload::CodeSectionEntry(body) => {
            limit(
                "function body bytes",
                body.range().len() as u64,
                config::MAX_FUNCTION_BODY_BYTES as u64,
            )?;
            let params = info
                .func_types
                .get(info.code_seen)
                .and_then(|t| info.type_params.get(*t as usize))
                .copied()
                .unwrap_or(0) as u64;
            info.code_seen += 1;
            let mut locals = 0u64;
            for local in body.get_locals_reader().map_err(bad)? {
                let (n, _) = local.map_err(bad)?;
                locals += n as u64;
            }
            limit(
                "locals in a function",
                locals,
                config::MAX_LOCALS_PER_FUNCTION as u64,
            )?;
            let mut ops = body.get_operators_reader().map_err(bad)?;
            let mut depth = 0u32;
            let mut branches = 0u64;
            while !ops.eof() {
                let op = ops.read().map_err(bad)?;
                info.operators += 1;
                if crate::rewrite::needs_pad(&op) {
                    info.padded_operators += 1;
                }
                match &op {
                    Operator::Else | Operator::Br { .. } | Operator::BrIf { .. } => branches += 1,
                    Operator::BrTable { targets } => branches += 1 + targets.len() as u64,
                    _ => {}
                }
                match op {
                    Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                        branches += 1;
                        depth += 1;
                        if depth > config::MAX_NESTING_DEPTH {
                            return Err(format!(
                                "blocks nested deeper than {}",
                                config::MAX_NESTING_DEPTH
                            ));
                        }
                        info.max_nesting = info.max_nesting.max(depth);
                    }
                    Operator::End => depth = depth.saturating_sub(1),
                    // A call into the runtime for a reference to a function (~16 ns) that one
                    // operator's fuel cannot cover; no toolchain we build with emits it in
                    // code (tables are filled by element segments).
                    Operator::RefFunc { .. } => {
                        return Err(
                            "`ref.func` in function bodies is not supported (fill tables with element segments)"
                                .into(),
                        );
                    }
                    ref op if computes_on_floats(op) => {
                        return Err(format!(
                            "float arithmetic is not supported in native actors (on a \
                             subnormal operand it runs ~40 ns, more than one operator's gas \
                             can cover; float constants, loads, stores and bit casts are \
                             allowed): {op:?}"
                        ));
                    }
                    Operator::TableSet { .. }
                    | Operator::TableFill { .. }
                    | Operator::TableCopy { .. }
                    | Operator::TableInit { .. }
                    | Operator::TableGrow { .. }
                    | Operator::ElemDrop { .. }
                    | Operator::DataDrop { .. } => info.resettable = false,
                    _ => {}
                }
            }
            let product = (params + locals).saturating_mul(branches);
            limit(
                "(locals + params) × control-flow operators in a function",
                product,
                config::MAX_LOCALS_X_BRANCHES,
            )?;
            info.locals_x_branches += product;
        }
        _ => {}
    }
    Ok(())
}

/// Whether `op` computes on float values (arithmetic, comparisons, rounding, conversions): a
/// multiplication, division or square root with a subnormal operand or result takes a
/// microcode assist on x86 (~38 ns measured, against ~2–6 ns), which no per-operator price can
/// cover (one operator carries at most 10.2 gas). Moving float bits is allowed: constants,
/// loads, stores, `reinterpret`, `select`, locals and globals.
fn computes_on_floats(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        F32Eq
            | F32Ne
            | F32Lt
            | F32Gt
            | F32Le
            | F32Ge
            | F64Eq
            | F64Ne
            | F64Lt
            | F64Gt
            | F64Le
            | F64Ge
            | F32Abs
            | F32Neg
            | F32Ceil
            | F32Floor
            | F32Trunc
            | F32Nearest
            | F32Sqrt
            | F32Add
            | F32Sub
            | F32Mul
            | F32Div
            | F32Min
            | F32Max
            | F32Copysign
            | F64Abs
            | F64Neg
            | F64Ceil
            | F64Floor
            | F64Trunc
            | F64Nearest
            | F64Sqrt
            | F64Add
            | F64Sub
            | F64Mul
            | F64Div
            | F64Min
            | F64Max
            | F64Copysign
            | F32ConvertI32S
            | F32ConvertI32U
            | F32ConvertI64S
            | F32ConvertI64U
            | F32DemoteF64
            | F64ConvertI32S
            | F64ConvertI32U
            | F64ConvertI64S
            | F64ConvertI64U
            | F64PromoteF32
            | I32TruncF32S
            | I32TruncF32U
            | I32TruncF64S
            | I32TruncF64U
            | I64TruncF32S
            | I64TruncF32U
            | I64TruncF64S
            | I64TruncF64U
            | I32TruncSatF32S
            | I32TruncSatF32U
            | I32TruncSatF64S
            | I32TruncSatF64U
            | I64TruncSatF32S
            | I64TruncSatF32U
            | I64TruncSatF64S
            | I64TruncSatF64U
    )
}
