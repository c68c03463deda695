//! `tandem schema` (the IPLD Schema of a package's messages) and `tandem bindgen --rust`
//! (Rust SDK types for them): `tandem_lang_driver::{ipld_schema, bindgen}`.

use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct SchemaArgs {
    /// The package folder (default: the current directory).
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Only this contract (default: every contract of the package).
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
    /// The contract (default: the first one of the package).
    #[arg(long)]
    pub contract: Option<String>,
}

pub fn run_schema(json: bool, args: SchemaArgs) -> anyhow::Result<()> {
    use tandem_lang_driver::ipld_schema::package_schemas;
    let schemas = package_schemas(&args.path, args.contract.as_deref())?;
    if json {
        let v: serde_json::Map<String, serde_json::Value> = schemas
            .iter()
            .map(|s| (s.contract.clone(), s.render().into()))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let texts: Vec<String> = schemas.iter().map(|s| s.render()).collect();
        print!("{}", texts.join("\n"));
    }
    Ok(())
}

pub fn run_bindgen(args: BindgenArgs) -> anyhow::Result<()> {
    use tandem_lang_driver::ipld_schema::package_schemas;
    let schemas = package_schemas(&args.path, args.contract.as_deref())?;
    let first = schemas
        .first()
        .ok_or_else(|| anyhow::anyhow!("no contracts in the package"))?;
    print!("{}", tandem_lang_driver::bindgen::rust(first));
    Ok(())
}
