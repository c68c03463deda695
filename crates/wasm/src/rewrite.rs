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

use wasmtime::wasmparser::{ExternalKind, Parser, Payload};

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

const EXPORT_SECTION: u8 = 7;

/// The bytes to compile for a validated module: exports in the reserved namespace removed,
/// and for a resettable module the host's exports added.
pub fn prepare(wasm: &[u8], info: &ModuleInfo) -> Result<Vec<u8>, String> {
    let bad = |e: wasmtime::wasmparser::BinaryReaderError| format!("malformed WASM: {e}");
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
            }
            let mut body = Vec::with_capacity(entries.len() + 5);
            leb(&mut body, count);
            body.extend_from_slice(&entries);
            out.push(EXPORT_SECTION);
            leb(&mut out, body.len() as u32);
            out.extend_from_slice(&body);
            continue;
        }
        // Every other section is copied as it is (function bodies come with their section).
        if let Some((id, range)) = payload.as_section() {
            let contents = wasm.get(range).ok_or("section out of range")?;
            out.push(id);
            leb(&mut out, contents.len() as u32);
            out.extend_from_slice(contents);
        }
    }
    Ok(out)
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
                TABLE_EXPORT
            ]
        );
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
                 (func $h (table.set 0 (i32.const 0) (ref.func $f))))"#,
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
