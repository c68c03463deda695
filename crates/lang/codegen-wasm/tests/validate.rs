//! Every contract the WASM target accepts is a valid module under the runtime's feature set;
//! what it refuses is refused by name.

use std::path::Path;
use wasmparser::{Validator, WasmFeatures};

fn fixtures() -> Vec<(String, Vec<(String, String)>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures/features");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let mut files = Vec::new();
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                let f = e.unwrap().path();
                if f.extension().is_some_and(|x| x == "tdm") {
                    let n = f.file_name().unwrap().to_string_lossy().to_string();
                    files.push((n, std::fs::read_to_string(&f).unwrap()));
                }
            }
        } else {
            files.push((name.clone(), std::fs::read_to_string(&p).unwrap()));
        }
        out.push((name, files));
    }
    out
}

pub fn validate(wasm: &[u8]) -> Result<(), String> {
    let features = WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::FLOATS;
    Validator::new_with_features(features)
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn every_fixture_validates_or_is_refused_by_name() {
    let mut built = Vec::new();
    let mut refused = Vec::new();
    for (name, files) in fixtures() {
        match tandem_lang_driver::compile_wasm(&files) {
            Ok(outs) => {
                for o in &outs {
                    validate(&o.wasm).unwrap_or_else(|e| panic!("{name}/{}: {e}", o.name));
                }
                built.push(name);
            }
            Err(e) => {
                // E0802: inline EVM assembly, which no WASM build will run.
                assert!(
                    e.contains("not supported by the WASM target") || e.contains("error[E0802]"),
                    "{name}: {e}"
                );
                refused.push(format!("{name}: {}", e.trim()));
            }
        }
    }
    eprintln!(
        "built: {}\nrefused:\n  {}",
        built.join(", "),
        refused.join("\n  ")
    );
    assert!(built.iter().any(|n| n == "coin.tdm"));
}
