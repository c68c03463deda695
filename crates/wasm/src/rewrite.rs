//! The module the engine compiles: the installed bytes with an export section of the host's
//! own, so that a finished instance can be reset and reused (`warm.rs`).
//!
//! wasmtime reaches a global or a table only through an export, and a Rust actor's mutable
//! globals (`__stack_pointer`, the allocator's) are not exported. So a resettable module is
//! compiled with its mutable globals, its table and a marker exported under names in a
//! reserved namespace. Exports are invisible to the code inside the module, so this changes
//! nothing an actor can observe; the code CID stays the hash of the installed bytes.
//!
//! User exports in the reserved namespace are dropped (only the host looks at exports), so
//! nothing an installer writes can claim that a module is resettable.
//!
//! A resettable module with mutable globals also gets a function of the host's, exported as
//! [`RESET_EXPORT`]: it sets every mutable global to its initial value (the global's own
//! constant initialiser, inlined), so a warm reset restores them with one call into the
//! instance instead of one type-checked `Global::set` per global (~10 ns each; the language's
//! modules have two dozen). It is appended after every defined function and type, so no index
//! the module uses moves, and no code of the module can call it.
//!
//! Every `memory.grow`, `elem.drop` and `table.init` is preceded by a fuel pad: `f64.const 0;
//! f64.sqrt; drop`, twice. wasmtime charges fuel per operator, at most 255 units each, and
//! these calls into the runtime cost more than that buys even when they do nothing (on some
//! machines: `elem.drop` ran 10–24 ns on the seventeenth session's AMD EPYC); the pad's operators
//! cost fuel and compute nothing (Cranelift drops the unused square root). The stack is
//! the same before and after a pad, so the code means what it meant.

use wasmtime::wasmparser::{BinaryReader, ExternalKind, Operator, Parser, Payload, TypeRef};

use crate::validate::ModuleInfo;

/// The namespace no user export keeps. The leading control character keeps it out of any
/// name a toolchain emits.
pub const RESERVED_PREFIX: &str = "\u{1}tandem:";
/// Present on every module compiled as resettable.
pub const RESETTABLE_MARKER: &str = "\u{1}tandem:resettable";
/// Mutable global `i` is exported as this prefix followed by `i`.
pub const GLOBAL_PREFIX: &str = "\u{1}tandem:global:";
/// The defined table, if any.
pub const TABLE_EXPORT: &str = "\u{1}tandem:table";
/// The function that restores every mutable global to its initial value.
pub const RESET_EXPORT: &str = "\u{1}tandem:reset";

const TYPE_SECTION: u8 = 1;
const FUNCTION_SECTION: u8 = 3;
const EXPORT_SECTION: u8 = 7;
const CODE_SECTION: u8 = 10;
/// `global.set` and `end`.
const GLOBAL_SET: u8 = 0x24;
const END: u8 = 0x0b;

/// The bytes to compile for a validated module: exports in the reserved namespace removed,
/// and for a resettable module the host's exports (and its reset function) added.
pub fn prepare(wasm: &[u8], info: &ModuleInfo) -> Result<Vec<u8>, String> {
    let bad = |e: wasmtime::wasmparser::BinaryReaderError| format!("malformed WASM: {e}");
    let reset = match info.resettable && !info.mutable_globals.is_empty() {
        true => ResetFn::plan(wasm)?,
        false => None,
    };
    let mut out = Vec::with_capacity(wasm.len() + 64);
    out.extend_from_slice(wasm.get(..8).ok_or("truncated module")?);
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(bad)?;
        if let Payload::ExportSection(reader) = &payload {
            let mut entries = Vec::new();
            let mut count = 0u32;
            for export in reader.clone() {
                let export = export.map_err(bad)?;
                if export.name.starts_with(RESERVED_PREFIX) {
                    continue;
                }
                let kind = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => 0x00,
                    ExternalKind::Table => 0x01,
                    ExternalKind::Memory => 0x02,
                    ExternalKind::Global => 0x03,
                    ExternalKind::Tag => 0x04,
                };
                push_export(&mut entries, &mut count, export.name, kind, export.index);
            }
            if info.resettable {
                push_export(&mut entries, &mut count, RESETTABLE_MARKER, 0x02, 0);
                for &g in &info.mutable_globals {
                    let name = format!("{GLOBAL_PREFIX}{g}");
                    push_export(&mut entries, &mut count, &name, 0x03, g);
                }
                if info.defined_tables > 0 {
                    push_export(&mut entries, &mut count, TABLE_EXPORT, 0x01, 0);
                }
                if let Some(r) = &reset {
                    push_export(&mut entries, &mut count, RESET_EXPORT, 0x00, r.func_index);
                }
            }
            push_section(&mut out, EXPORT_SECTION, count, &entries);
            continue;
        }
        // Every other section is copied as it is (function bodies come with their section),
        // except that the reset function is appended to the type, function and code sections.
        if let Some((id, range)) = payload.as_section() {
            let start = range.start;
            let contents = wasm.get(range).ok_or("section out of range")?;
            let appended = reset.as_ref().and_then(|r| match id {
                TYPE_SECTION => Some(vec![0x60, 0x00, 0x00]),
                FUNCTION_SECTION => {
                    let mut v = Vec::new();
                    leb(&mut v, r.type_index);
                    Some(v)
                }
                CODE_SECTION => Some(r.body()),
                _ => None,
            });
            if id == CODE_SECTION && info.padded_operators > 0 {
                let (count, mut entries) = padded_bodies(wasm, start, contents.len())?;
                if let Some(entry) = appended {
                    entries.extend_from_slice(&entry);
                    push_section(&mut out, id, count + 1, &entries);
                } else {
                    push_section(&mut out, id, count, &entries);
                }
                continue;
            }
            match appended {
                Some(entry) => {
                    let (count, rest) = split_count(contents).map_err(bad)?;
                    let mut entries = rest.to_vec();
                    entries.extend_from_slice(&entry);
                    push_section(&mut out, id, count + 1, &entries);
                }
                None => {
                    out.push(id);
                    leb(&mut out, contents.len() as u32);
                    out.extend_from_slice(contents);
                }
            }
        }
    }
    Ok(out)
}

/// Three `f64.const 0; f64.sqrt; drop` (`config::prices::RUNTIME_CALL_PAD_FUEL` units).
const FUEL_PAD: [u8; 33] = [
    0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x9f, 0x1a, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x9f, 0x1a, 0x44, 0, 0,
    0, 0, 0, 0, 0, 0, 0x9f, 0x1a,
];

/// The operators that get a [`FUEL_PAD`] before them: calls into the runtime worth more fuel
/// than one operator may cost.
pub(crate) fn needs_pad(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::MemoryGrow { .. } | Operator::ElemDrop { .. } | Operator::TableInit { .. }
    )
}

/// The code section's entries with a [`FUEL_PAD`] before every operator that [`needs_pad`],
/// and their count. The section's contents are `len` bytes at `start` in `wasm`.
fn padded_bodies(wasm: &[u8], start: usize, len: usize) -> Result<(u32, Vec<u8>), String> {
    let bad = |e: wasmtime::wasmparser::BinaryReaderError| format!("malformed WASM: {e}");
    let contents = wasm.get(start..start + len).ok_or("section out of range")?;
    let reader = wasmtime::wasmparser::CodeSectionReader::new(BinaryReader::new(contents, start))
        .map_err(bad)?;
    let count = reader.count();
    let mut entries = Vec::with_capacity(contents.len());
    for body in reader {
        let body = body.map_err(bad)?;
        let range = body.range();
        let mut padded = Vec::with_capacity(range.len() + FUEL_PAD.len());
        let mut copied = range.start;
        let mut ops = body.get_operators_reader().map_err(bad)?;
        while !ops.eof() {
            let at = ops.original_position();
            if needs_pad(&ops.read().map_err(bad)?) {
                padded.extend_from_slice(wasm.get(copied..at).ok_or("body out of range")?);
                padded.extend_from_slice(&FUEL_PAD);
                copied = at;
            }
        }
        padded.extend_from_slice(wasm.get(copied..range.end).ok_or("body out of range")?);
        leb(&mut entries, padded.len() as u32);
        entries.extend_from_slice(&padded);
    }
    Ok((count, entries))
}

/// The host's reset function: where it goes and what it does.
struct ResetFn {
    type_index: u32,
    func_index: u32,
    /// Per mutable global, its index and its initialiser without the final `end`.
    inits: Vec<(u32, Vec<u8>)>,
}

impl ResetFn {
    /// `None` when the module has no type, function or code section to append to (it then
    /// has no defined function, and the host restores its globals one by one).
    fn plan(wasm: &[u8]) -> Result<Option<Self>, String> {
        let bad = |e: wasmtime::wasmparser::BinaryReaderError| format!("malformed WASM: {e}");
        let (mut types, mut imported, mut defined, mut code) = (None, 0u32, None, false);
        let mut inits = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(bad)? {
                Payload::TypeSection(r) => types = Some(r.count()),
                Payload::ImportSection(r) => {
                    for import in r.into_imports() {
                        if matches!(import.map_err(bad)?.ty, TypeRef::Func(_)) {
                            imported += 1;
                        }
                    }
                }
                Payload::FunctionSection(r) => defined = Some(r.count()),
                Payload::GlobalSection(r) => {
                    for (index, global) in r.into_iter().enumerate() {
                        let global = global.map_err(bad)?;
                        if !global.ty.mutable {
                            continue;
                        }
                        let mut reader = global.init_expr.get_binary_reader();
                        let expr = reader.read_bytes(reader.bytes_remaining()).map_err(bad)?;
                        match expr.split_last() {
                            Some((&END, ops)) => inits.push((index as u32, ops.to_vec())),
                            _ => return Err("a global initialiser without `end`".into()),
                        }
                    }
                }
                Payload::CodeSectionStart { .. } => code = true,
                _ => {}
            }
        }
        Ok(match (types, defined) {
            (Some(types), Some(defined)) if code => Some(Self {
                type_index: types,
                func_index: imported + defined,
                inits,
            }),
            _ => None,
        })
    }

    /// The code section entry: no locals, then `<init>; global.set g` per global.
    fn body(&self) -> Vec<u8> {
        let mut body = vec![0x00];
        for (g, ops) in &self.inits {
            body.extend_from_slice(ops);
            body.push(GLOBAL_SET);
            leb(&mut body, *g);
        }
        body.push(END);
        let mut entry = Vec::with_capacity(body.len() + 5);
        leb(&mut entry, body.len() as u32);
        entry.extend_from_slice(&body);
        entry
    }
}

/// A vector section's count and the bytes of its entries.
fn split_count(contents: &[u8]) -> Result<(u32, &[u8]), wasmtime::wasmparser::BinaryReaderError> {
    let mut reader = BinaryReader::new(contents, 0);
    let count = reader.read_var_u32()?;
    Ok((count, &contents[reader.current_position()..]))
}

fn push_section(out: &mut Vec<u8>, id: u8, count: u32, entries: &[u8]) {
    let mut body = Vec::with_capacity(entries.len() + 5);
    leb(&mut body, count);
    body.extend_from_slice(entries);
    out.push(id);
    leb(out, body.len() as u32);
    out.extend_from_slice(&body);
}

fn push_export(out: &mut Vec<u8>, count: &mut u32, name: &str, kind: u8, index: u32) {
    leb(out, name.len() as u32);
    out.extend_from_slice(name.as_bytes());
    out.push(kind);
    leb(out, index);
    *count += 1;
}

fn leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate;
    use wasmtime::wasmparser::Validator;

    fn exports(wasm: &[u8]) -> Vec<String> {
        let mut names = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            if let Ok(Payload::ExportSection(r)) = payload {
                names.extend(r.into_iter().map(|e| e.unwrap().name.to_string()));
            }
        }
        names
    }

    #[test]
    fn every_call_into_the_runtime_gets_a_fuel_pad_and_nothing_else_changes() {
        let wasm = wat::parse_str(
            r#"(module
                 (memory (export "memory") 1)
                 (table 2 funcref) (func $g) (elem $e func $g)
                 (func (export "invoke") (param i32) (result i32)
                   (drop (memory.grow (i32.const 1)))
                   (if (i32.eqz (local.get 0)) (then (drop (memory.grow (i32.const 0)))))
                   (table.init $e (i32.const 0) (i32.const 0) (i32.const 1))
                   (elem.drop $e)
                   (i32.const 0)))"#,
        )
        .unwrap();
        let info = validate(&wasm).unwrap();
        assert_eq!(info.padded_operators, 4);
        let prepared = prepare(&wasm, &info).unwrap();
        Validator::new().validate_all(&prepared).unwrap();
        let pads = prepared
            .windows(FUEL_PAD.len())
            .filter(|w| *w == FUEL_PAD)
            .count();
        assert_eq!(pads, 4);

        // Without such operators the code section is copied as it is.
        let plain = wat::parse_str(
            r#"(module (memory (export "memory") 1)
                 (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#,
        )
        .unwrap();
        let info = validate(&plain).unwrap();
        assert_eq!(info.padded_operators, 0);
        let prepared = prepare(&plain, &info).unwrap();
        assert!(!prepared.windows(FUEL_PAD.len()).any(|w| w == FUEL_PAD));
    }

    #[test]
    fn a_resettable_module_exports_its_mutable_globals_and_table() {
        let wasm = wat::parse_str(
            r#"(module
                 (global (mut i32) (i32.const 1))
                 (global i32 (i32.const 2))
                 (global (mut i64) (i64.const 3))
                 (table 2 funcref)
                 (memory (export "memory") 1)
                 (data (i32.const 16) "hi")
                 (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#,
        )
        .unwrap();
        let info = validate(&wasm).unwrap();
        assert!(info.resettable);
        let out = prepare(&wasm, &info).unwrap();
        Validator::new().validate_all(&out).unwrap();
        assert_eq!(
            exports(&out),
            [
                "memory",
                "invoke",
                RESETTABLE_MARKER,
                "\u{1}tandem:global:0",
                "\u{1}tandem:global:2",
                TABLE_EXPORT,
                RESET_EXPORT
            ]
        );
    }

    /// The reset function puts every mutable global (of each type, a funcref included) back
    /// to its initialiser, and the module's own functions keep their indices.
    #[test]
    fn the_reset_function_restores_every_mutable_global() {
        use wasmtime::{Engine, Instance, Store, Val};
        let wasm = wat::parse_str(
            r#"(module
                 (type $t (func (result i32)))
                 (global $a (mut i32) (i32.const 7))
                 (global $c i64 (i64.const 9))
                 (global $b (mut i64) (i64.const -3))
                 (global $f (mut f64) (f64.const 1.5))
                 (global $r (mut funcref) (ref.func $one))
                 (memory (export "memory") 1)
                 (func $one (type $t) (i32.const 1))
                 (func $two (type $t) (i32.const 2))
                 (elem declare func $two)
                 (func (export "invoke") (param i32) (result i32)
                   (global.set $a (i32.const 70))
                   (global.set $b (i64.const 30))
                   (global.set $f (f64.const 2.5))
                   (global.set $r (ref.null func))
                   (i32.const 0)))"#,
        )
        .unwrap();
        let info = validate(&wasm).unwrap();
        let out = prepare(&wasm, &info).unwrap();
        Validator::new().validate_all(&out).unwrap();
        assert!(exports(&out).contains(&RESET_EXPORT.to_string()));
        let engine = Engine::default();
        let module = wasmtime::Module::new(&engine, &out).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let values = |store: &mut Store<()>| -> Vec<String> {
            [0, 2, 3]
                .iter()
                .map(|g| {
                    let name = format!("{GLOBAL_PREFIX}{g}");
                    let v = instance
                        .get_global(&mut *store, &name)
                        .unwrap()
                        .get(&mut *store);
                    match v {
                        Val::I32(x) => x.to_string(),
                        Val::I64(x) => x.to_string(),
                        Val::F64(x) => f64::from_bits(x).to_string(),
                        other => panic!("{other:?}"),
                    }
                })
                .collect()
        };
        let initial = values(&mut store);
        assert_eq!(initial, ["7", "-3", "1.5"]);
        let invoke = instance
            .get_typed_func::<i32, i32>(&mut store, "invoke")
            .unwrap();
        invoke.call(&mut store, 0).unwrap();
        assert_eq!(values(&mut store), ["70", "30", "2.5"]);
        let reset = instance
            .get_typed_func::<(), ()>(&mut store, RESET_EXPORT)
            .unwrap();
        reset.call(&mut store, ()).unwrap();
        assert_eq!(values(&mut store), initial);
        let r = instance
            .get_global(&mut store, "\u{1}tandem:global:4")
            .unwrap();
        let f = r.get(&mut store).unwrap_funcref().cloned().unwrap();
        let f = f.typed::<(), i32>(&store).unwrap();
        assert_eq!(
            f.call(&mut store, ()).unwrap(),
            1,
            "the funcref is $one again"
        );
    }

    #[test]
    fn a_module_without_mutable_globals_gets_no_reset_function() {
        let wasm = wat::parse_str(
            r#"(module (global i32 (i32.const 1)) (memory (export "memory") 1)
                 (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#,
        )
        .unwrap();
        let info = validate(&wasm).unwrap();
        let out = prepare(&wasm, &info).unwrap();
        Validator::new().validate_all(&out).unwrap();
        assert_eq!(exports(&out), ["memory", "invoke", RESETTABLE_MARKER]);
    }

    #[test]
    fn reserved_user_exports_are_dropped_and_unresettable_modules_get_no_marker() {
        let wasm = wat::parse_str(
            r#"(module
                 (table 1 funcref)
                 (memory (export "memory") 1)
                 (func $f (export "invoke") (param i32) (result i32) (i32.const 0))
                 (func (export "\01tandem:resettable") (param i32) (result i32) (i32.const 0))
                 (elem declare func $f)
                 (func $h (table.set 0 (i32.const 0) (ref.null func))))"#,
        )
        .unwrap();
        let info = validate(&wasm).unwrap();
        assert!(!info.resettable, "table.set makes a module unresettable");
        let out = prepare(&wasm, &info).unwrap();
        Validator::new().validate_all(&out).unwrap();
        assert_eq!(exports(&out), ["memory", "invoke"]);
    }

    #[test]
    fn a_start_function_or_a_segment_drop_makes_a_module_unresettable() {
        for body in [
            "(func $s) (start $s)",
            "(data \"x\") (func (data.drop 0))",
            "(table 1 funcref) (elem func) (func (elem.drop 0))",
        ] {
            let wasm = wat::parse_str(format!(
                r#"(module (memory (export "memory") 1) {body}
                     (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#
            ))
            .unwrap();
            let info = validate(&wasm).unwrap();
            assert!(!info.resettable, "{body}");
        }
    }
}
