//! The `tandem build` and `tandem init` commands (wired into the CLI by crates/cli).

use clap::Args;
use std::io::Read;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    /// The package folder (default: the current directory).
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// Print the init code of one contract as hex (for forge's `vm.ffi`) instead of writing artifacts.
    #[arg(long)]
    pub bin: bool,
    /// The contract `--bin` prints (default: the first).
    #[arg(long)]
    pub contract: Option<String>,
    /// Read solc standard JSON on stdin and write standard JSON output to stdout.
    #[arg(long)]
    pub standard_json: bool,
    /// The backends: `evm` (EVM bytecode), `wasm` (native actors, `<Contract>.wasm` beside
    /// the JSON) or `all`.
    #[arg(long, value_enum, default_value_t = crate::Target::Evm)]
    pub target: crate::Target,
    /// Fail the build on any warning (`-D warnings` says the same).
    #[arg(long)]
    pub deny_warnings: bool,
    /// `-D warnings`: fail on warnings (the only lint group so far).
    #[arg(short = 'D', value_name = "LINTS", value_parser = ["warnings"])]
    pub deny: Vec<String>,
}

impl BuildArgs {
    /// `--deny-warnings` or `-D warnings`.
    pub fn denies_warnings(&self) -> bool {
        self.deny_warnings || !self.deny.is_empty()
    }
}

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    /// The package name (also the folder created).
    pub name: String,
}

pub fn run_build(args: &BuildArgs) -> anyhow::Result<()> {
    if args.standard_json {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        let v: serde_json::Value = serde_json::from_str(&input)?;
        println!(
            "{}",
            serde_json::to_string_pretty(&crate::standard_json(&v))?
        );
        return Ok(());
    }
    if args.bin {
        let (_, sources) = crate::read_package(&args.path)?;
        let checked = crate::check::check_sources(&sources).map_err(crate::check::Rendered)?;
        if !checked.warnings.is_empty() {
            if args.denies_warnings() {
                return Err(crate::check::Rendered(checked.render_warnings()).into());
            }
            eprint!("{}", checked.render_warnings());
        }
        let built = crate::evm_build(&checked).map_err(crate::check::Rendered)?;
        let b = match &args.contract {
            Some(n) => built
                .iter()
                .find(|b| &b.name == n)
                .ok_or_else(|| anyhow::anyhow!("no contract `{n}`"))?,
            None => built
                .first()
                .ok_or_else(|| anyhow::anyhow!("no contracts in the package"))?,
        };
        println!("0x{}", crate::hex(&b.init_code));
        return Ok(());
    }
    let out = crate::build_package_with(&args.path, args.target, args.denies_warnings())?;
    eprint!("{}", out.warnings);
    for b in &out.evm {
        eprintln!(
            "compiled {}/{} ({} bytes runtime)",
            b.file,
            b.name,
            b.runtime_code.len()
        );
        if let Some(w) = too_large_warning(&b.name, b.runtime_code.len()) {
            eprintln!("{w}");
        }
    }
    for w in &out.wasm {
        eprintln!("compiled {}.wasm ({} bytes)", w.name, w.wasm.len());
    }
    Ok(())
}

/// EIP-170: the largest runtime code an Ethereum chain deploys.
const EIP_170_LIMIT: usize = 24_576;

/// The warning `tandem build` prints for a contract whose runtime code no Ethereum chain
/// deploys (`tandem test` lifts the limit, so nothing else would say so).
fn too_large_warning(name: &str, runtime_len: usize) -> Option<String> {
    (runtime_len > EIP_170_LIMIT).then(|| {
        format!(
            "warning: {name} is {runtime_len} bytes, over EIP-170's {EIP_170_LIMIT}-byte limit, \
             so no Ethereum chain will deploy it (`tandem test` lifts the limit, as anvil's \
             `--disable-code-size-limit` does)"
        )
    })
}

pub fn run_init(args: &InitArgs) -> anyhow::Result<()> {
    let dir = PathBuf::from(&args.name);
    crate::init_package(&dir, &args.name)?;
    eprintln!("created package `{}`", args.name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_runtimes_over_eip_170_are_warned_of() {
        assert_eq!(too_large_warning("C", 24_576), None);
        let w = too_large_warning("Big", 24_577).expect("warned");
        assert!(
            w.contains("Big is 24577 bytes") && w.contains("EIP-170"),
            "{w}"
        );
    }
}
