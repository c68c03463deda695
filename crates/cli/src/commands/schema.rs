//! `tandem schema` (the IPLD Schema of a package's messages) and `tandem bindgen --rust`
//! (Rust SDK types for them): `tandem_lang_driver::{ipld_schema, bindgen}`.

use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct SchemaArgs {
    /// The package folder (default: the current directory).
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Only this contract (default: every contract of the package that builds for WASM; the
    /// ones the WASM target refuses are named on stderr).
    #[arg(long)]
    pub contract: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct BindgenArgs {
    /// Emit Rust (`#[derive(tandem_sdk::Cbor)]` types, method numbers, typed calls).
    #[arg(long, required = true)]
    pub rust: bool,
    /// The package folder (default: the current directory).
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// The contract (default: the first one of the package that builds for WASM).
    #[arg(long)]
    pub contract: Option<String>,
}

/// Says on stderr which contracts the WASM target refused (they have no schema); the
/// others were emitted.
fn report_refused(refused: &[(String, String)]) {
    for (name, why) in refused {
        eprintln!(
            "warning: contract `{name}` left out: the WASM target refuses it (no native build, so no schema): {why}"
        );
    }
}

/// The schemas of every contract that builds for WASM; the refused ones are reported on
/// stderr and the command still succeeds. It fails only when nothing can be emitted.
pub fn run_schema(json: bool, args: SchemaArgs) -> anyhow::Result<()> {
    use tandem_lang_driver::ipld_schema::package_schemas;
    let pkg = package_schemas(&args.path, args.contract.as_deref())?;
    report_refused(&pkg.refused);
    if json {
        let v: serde_json::Map<String, serde_json::Value> = pkg
            .schemas
            .iter()
            .map(|s| (s.contract.clone(), s.render().into()))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let texts: Vec<String> = pkg.schemas.iter().map(|s| s.render()).collect();
        print!("{}", texts.join("\n"));
    }
    Ok(())
}

/// The bindings of the named contract, or of the package's first contract that builds for
/// WASM (refused ones before it are reported on stderr).
pub fn run_bindgen(args: BindgenArgs) -> anyhow::Result<()> {
    use tandem_lang_driver::ipld_schema::package_schemas;
    let pkg = package_schemas(&args.path, args.contract.as_deref())?;
    report_refused(&pkg.refused);
    let first = pkg
        .schemas
        .first()
        .ok_or_else(|| anyhow::anyhow!("no contracts in the package"))?;
    print!("{}", tandem_lang_driver::bindgen::rust(first));
    Ok(())
}
