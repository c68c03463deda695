//! Packages and builds: a package is a folder with `Tandem.toml` and `src/*.tdm`. Builds write
//! Foundry-shaped artifacts (`out/<File>.tdm/<Contract>.json`); `--standard-json` speaks
//! solc's standard JSON; `tandem init` scaffolds a package.

pub mod bindgen;
pub mod check;
pub mod cli;
pub mod ipld_schema;
pub mod ipld_validate;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tandem_lang_ir::meta::{AbiItem, AbiParam};
use tandem_lang_ir::{Module, ValTy};

/// One compiled contract with everything artifacts need.
pub struct Built {
    pub name: String,
    pub file: String,
    pub init_code: Vec<u8>,
    pub runtime_code: Vec<u8>,
    pub contract: tandem_lang_ir::Contract,
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compiles named sources to the target-neutral IR (sema's output). The error is the
/// rendered diagnostics (rustc style); warnings are dropped (see [`check::check_sources`]).
pub fn compile_module(sources: &[(String, String)]) -> Result<Module, String> {
    check::check_sources(sources).map(|c| c.module)
}

/// Compiles named sources to EVM bytecode. The error is the rendered diagnostics.
pub fn compile_sources(sources: &[(String, String)]) -> Result<Vec<Built>, String> {
    let checked = check::check_sources(sources)?;
    evm_build(&checked)
}

pub(crate) fn evm_build(checked: &check::Checked) -> Result<Vec<Built>, String> {
    let module = &checked.module;
    let out = tandem_lang_evm::generate(module, true)
        .map_err(|e| checked.backend_error(check::Backend::Evm, &e))?;
    Ok(out
        .into_iter()
        .zip(module.contracts.iter().cloned())
        .map(|(o, c)| Built {
            name: o.name,
            file: c.file.clone(),
            init_code: o.init_code,
            runtime_code: o.runtime_code,
            contract: c,
        })
        .collect())
}

fn wasm_build(checked: &check::Checked) -> Result<Vec<tandem_lang_wasm::Output>, String> {
    tandem_lang_wasm::generate(&checked.module)
        .map_err(|e| checked.backend_error(check::Backend::Wasm, &e))
}

/// Compiles named sources to native WASM actors (one per contract, in module order).
pub fn compile_wasm(sources: &[(String, String)]) -> Result<Vec<tandem_lang_wasm::Output>, String> {
    wasm_build(&check::check_sources(sources)?)
}

/// Reads a package: the manifest's name and every `src/**/*.tdm` file.
pub fn read_package(dir: &Path) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let manifest = std::fs::read_to_string(dir.join("Tandem.toml"))
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.join("Tandem.toml").display()))?;
    let name = manifest
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("name").map(|r| {
                r.trim_start_matches([' ', '='])
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
        })
        .unwrap_or_else(|| "package".into());
    let mut sources = Vec::new();
    let mut stack = vec![dir.join("src")];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "tdm") {
                let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
                sources.push((rel, std::fs::read_to_string(&p)?));
            }
        }
    }
    Ok((name, sources))
}

fn abi_param(p: &AbiParam, event: bool) -> Value {
    let mut v = json!({ "name": p.name, "type": abi_type(&p.ty), "internalType": abi_type(&p.ty) });
    if let Some(c) = components(&p.ty) {
        v["components"] = c;
    }
    if event {
        v["indexed"] = json!(p.indexed);
    }
    v
}

fn abi_type(t: &ValTy) -> String {
    match t {
        ValTy::Tuple(_) => "tuple".into(),
        ValTy::Array(e, n) => format!("{}[{n}]", abi_type(e)),
        ValTy::DynArray(e) => format!("{}[]", abi_type(e)),
        other => other.sol_name(),
    }
}

fn components(t: &ValTy) -> Option<Value> {
    match t {
        ValTy::Tuple(ts) => Some(Value::Array(
            ts.iter()
                .enumerate()
                .map(|(i, t)| {
                    abi_param(
                        &AbiParam {
                            name: format!("field{i}"),
                            ty: t.clone(),
                            indexed: false,
                        },
                        false,
                    )
                })
                .collect(),
        )),
        ValTy::Array(e, _) | ValTy::DynArray(e) => components(e),
        _ => None,
    }
}

/// The Solidity JSON ABI.
pub fn abi_json(c: &tandem_lang_ir::Contract) -> Value {
    Value::Array(
        c.meta
            .abi
            .iter()
            .map(|item| match item {
                AbiItem::Function {
                    name,
                    inputs,
                    outputs,
                    mutability,
                } => json!({
                    "type": "function", "name": name,
                    "inputs": inputs.iter().map(|p| abi_param(p, false)).collect::<Vec<_>>(),
                    "outputs": outputs.iter().map(|p| abi_param(p, false)).collect::<Vec<_>>(),
                    "stateMutability": mutability.as_str(),
                }),
                AbiItem::Constructor { inputs, payable } => json!({
                    "type": "constructor",
                    "inputs": inputs.iter().map(|p| abi_param(p, false)).collect::<Vec<_>>(),
                    "stateMutability": if *payable { "payable" } else { "nonpayable" },
                }),
                AbiItem::Event { name, inputs } => json!({
                    "type": "event", "name": name, "anonymous": false,
                    "inputs": inputs.iter().map(|p| abi_param(p, true)).collect::<Vec<_>>(),
                }),
                AbiItem::Error { name, inputs } => json!({
                    "type": "error", "name": name,
                    "inputs": inputs.iter().map(|p| abi_param(p, false)).collect::<Vec<_>>(),
                }),
                AbiItem::Receive => json!({"type": "receive", "stateMutability": "payable"}),
                AbiItem::Fallback { payable } => json!({
                    "type": "fallback",
                    "stateMutability": if *payable { "payable" } else { "nonpayable" },
                }),
            })
            .collect(),
    )
}

pub fn method_identifiers(c: &tandem_lang_ir::Contract) -> Value {
    let mut m = serde_json::Map::new();
    for h in &c.meta.handlers {
        m.insert(h.signature.clone(), json!(hex(&h.selector)));
    }
    Value::Object(m)
}

pub fn storage_layout(c: &tandem_lang_ir::Contract) -> Value {
    let storage: Vec<Value> = c
        .meta
        .storage
        .iter()
        .enumerate()
        .map(|(i, s)| json!({ "astId": i, "contract": format!("{}:{}", c.file, c.name), "label": s.label, "offset": s.offset, "slot": s.slot.to_string(), "type": s.type_label }))
        .collect();
    let mut types = serde_json::Map::new();
    for s in &c.meta.storage {
        types.insert(s.type_label.clone(), json!({ "encoding": s.encoding, "label": s.type_label.trim_start_matches("t_"), "numberOfBytes": s.number_of_bytes.to_string() }));
    }
    json!({ "storage": storage, "types": types })
}

/// A Foundry-shaped artifact.
pub fn artifact(b: &Built) -> Value {
    json!({
        "abi": abi_json(&b.contract),
        "bytecode": { "object": format!("0x{}", hex(&b.init_code)) },
        "deployedBytecode": { "object": format!("0x{}", hex(&b.runtime_code)) },
        "methodIdentifiers": method_identifiers(&b.contract),
        "storageLayout": storage_layout(&b.contract),
        "metadata": { "compiler": { "name": "tandem", "version": env!("CARGO_PKG_VERSION") }, "language": "Tandem", "sources": [b.file] },
    })
}

/// Which backends `tandem build` runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// EVM bytecode (the default).
    #[default]
    Evm,
    /// Native WASM actors (`tandem_v1`).
    Wasm,
    /// Both.
    All,
}

/// Builds a package folder and writes `out/<File>.tdm/<Contract>.json` (EVM target).
pub fn build_package(dir: &Path) -> anyhow::Result<Vec<Built>> {
    Ok(build_package_for(dir, Target::Evm)?.evm)
}

/// What a build produced.
#[derive(Default)]
pub struct BuildOutput {
    pub evm: Vec<Built>,
    pub wasm: Vec<tandem_lang_wasm::Output>,
    /// The rendered warnings (empty when there are none) and how many there are.
    pub warnings: String,
    pub n_warnings: usize,
}

/// The `wasm` section of an artifact: the module's file, its size, the FRC-0042 method
/// table (the constructor is method 1) and, given the contract, `ipldSchema`: the IPLD
/// Schema (DSL text) of its params and replies (`ipld_schema`).
pub fn wasm_artifact_with_schema(
    w: &tandem_lang_wasm::Output,
    c: &tandem_lang_ir::Contract,
) -> Value {
    let mut v = wasm_artifact(w);
    v["ipldSchema"] = json!(ipld_schema::schema(c).render());
    v
}

/// The `wasm` section of an artifact without the schema (see [`wasm_artifact_with_schema`]).
pub fn wasm_artifact(w: &tandem_lang_wasm::Output) -> Value {
    let methods: Vec<Value> = w
        .methods
        .iter()
        .map(|m| json!({ "variant": m.variant, "function": m.sol_name, "method": m.number }))
        .collect();
    json!({
        "file": format!("{}.wasm", w.name),
        "size": w.wasm.len(),
        "constructor": 1,
        "methods": methods,
    })
}

/// Builds a package folder for `target`: `out/<File>.tdm/<Contract>.json`, plus
/// `<Contract>.wasm` beside it for the WASM target (the JSON then has a `wasm` section).
pub fn build_package_for(dir: &Path, target: Target) -> anyhow::Result<BuildOutput> {
    build_package_with(dir, target, false)
}

/// [`build_package_for`]; with `deny_warnings`, a warning fails the build before anything is
/// written (the error holds the rendered warnings).
pub fn build_package_with(
    dir: &Path,
    target: Target,
    deny_warnings: bool,
) -> anyhow::Result<BuildOutput> {
    let (_, sources) = read_package(dir)?;
    let checked = check::check_sources(&sources).map_err(check::Rendered)?;
    if deny_warnings && !checked.warnings.is_empty() {
        return Err(check::Rendered(format!(
            "{}error: {} warning(s) denied by `--deny-warnings`\n",
            checked.render_warnings(),
            checked.warnings.len()
        ))
        .into());
    }
    let mut out = BuildOutput {
        warnings: checked.render_warnings(),
        n_warnings: checked.warnings.len(),
        ..BuildOutput::default()
    };
    if target != Target::Evm {
        out.wasm = wasm_build(&checked).map_err(check::Rendered)?;
    }
    let contracts = checked.module.contracts.clone();
    if target != Target::Wasm {
        out.evm = evm_build(&checked).map_err(check::Rendered)?;
    }
    for (i, c) in contracts.iter().enumerate() {
        let folder = dir.join("out").join(&c.file);
        std::fs::create_dir_all(&folder)?;
        let mut json = match out.evm.get(i) {
            Some(b) => artifact(b),
            None => json!({
                "abi": abi_json(c),
                "methodIdentifiers": method_identifiers(c),
                "storageLayout": storage_layout(c),
                "metadata": { "compiler": { "name": "tandem", "version": env!("CARGO_PKG_VERSION") }, "language": "Tandem", "sources": [c.file] },
            }),
        };
        if let Some(w) = out.wasm.get(i) {
            std::fs::write(folder.join(format!("{}.wasm", w.name)), &w.wasm)?;
            json["wasm"] = wasm_artifact_with_schema(w, c);
        }
        std::fs::write(
            folder.join(format!("{}.json", c.name)),
            serde_json::to_string_pretty(&json)?,
        )?;
    }
    Ok(out)
}

/// solc's standard JSON: `{"language":"Tandem","sources":{"F.tdm":{"content":".."}}}` in,
/// `{"contracts":{"F.tdm":{"C":{"abi","evm":{..},"storageLayout"}}},"errors":[..]}` out.
pub fn standard_json(input: &Value) -> Value {
    let mut sources = Vec::new();
    if let Some(m) = input.get("sources").and_then(Value::as_object) {
        for (name, s) in m {
            sources.push((
                name.clone(),
                s.get("content")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ));
        }
    }
    match compile_sources(&sources) {
        Err(e) => {
            json!({ "errors": [{ "severity": "error", "type": "CompilerError", "formattedMessage": e, "message": e }], "sources": {}, "contracts": {} })
        }
        Ok(built) => {
            let mut contracts = serde_json::Map::new();
            for b in &built {
                let file = sources
                    .iter()
                    .map(|(n, _)| n.clone())
                    .find(|n| n.ends_with(&b.file))
                    .unwrap_or(b.file.clone());
                let entry = contracts.entry(file).or_insert_with(|| json!({}));
                entry[&b.name] = json!({
                    "abi": abi_json(&b.contract),
                    "evm": {
                        "bytecode": { "object": hex(&b.init_code) },
                        "deployedBytecode": { "object": hex(&b.runtime_code) },
                        "methodIdentifiers": method_identifiers(&b.contract),
                    },
                    "storageLayout": storage_layout(&b.contract),
                });
            }
            json!({ "errors": [], "contracts": contracts })
        }
    }
}

pub const COIN_EXAMPLE: &str = include_str!("../../tests/fixtures/coin.tdm");

/// The scaffold's test: call expectations for `src/Coin.tdm`, run by `tandem test` (the
/// grammar is `tandem_lang_harness::fixture`'s).
pub const COIN_TEST: &str = "\
# Call expectations for src/Coin.tdm, run by `tandem test` on revm and the Tandem VM.
# `alice` deploys and sends by default; `bob` and `carol` are other funded accounts.
constructor(uint256): 1000 ->
totalSupply() -> 1000
balanceOf(address): alice -> 1000
transfer(address,uint256): bob, 250 -> true
~ emit Transferred(address,address,uint256): #alice, #bob, 250
balanceOf(address): bob -> 250
transfer(address,uint256): carol, 1 from: carol -> FAILURE InsufficientBalance(uint256,uint256): 0, 1
";

/// Scaffolds a package: manifest, the Coin example, a test script and a .gitignore.
pub fn init_package(dir: &Path, name: &str) -> anyhow::Result<()> {
    if dir.join("Tandem.toml").exists() {
        anyhow::bail!("{} already has a Tandem.toml", dir.display());
    }
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("test"))?;
    std::fs::write(
        dir.join("Tandem.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\ntargets = [\"evm\"]\n\n[dependencies]\n"
        ),
    )?;
    std::fs::write(dir.join("src/Coin.tdm"), COIN_EXAMPLE)?;
    std::fs::write(dir.join(".gitignore"), "out/\n")?;
    std::fs::write(dir.join("test/Coin.calls"), COIN_TEST)?;
    Ok(())
}
