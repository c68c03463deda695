//! `tandem actor build [--path DIR]`: builds an actor crate to its WASM module (wasm32, the
//! size profile, the crate's 32 KiB stack), with `tandem-actor-test`'s builder.
//! `tandem actor install FILE.wasm` and `tandem actor create CODE_CID [--params-hex HEX]`:
//! deploy native WASM actors through the Init actor, signed by a dev key of the data dir.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use cid::Cid;
use clap::Subcommand;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use serde_json::json;
use tandem_actors::init::{
    ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn, install_code_method,
};
use tandem_chain::keys::KeyFile;
use tandem_chain::{Chain, DataDir};
use tandem_vm::message::{ApplyRet, Message, SignedMessage};
use tandem_wasm::WasmRuntime;

#[derive(Subcommand)]
pub enum ActorCommand {
    /// Build the actor crate in the current dir (or --path) to a WASM module: `cargo build
    /// --release --target wasm32-unknown-unknown` with the size profile; prints the module's
    /// path and size.
    Build {
        /// The actor crate (the folder of its Cargo.toml).
        #[arg(long, default_value = ".")]
        path: PathBuf,
        /// Cargo features to enable.
        #[arg(long)]
        features: Option<String>,
    },
    /// Install a WASM module; prints its code CID.
    Install {
        file: PathBuf,
        /// The sender: a dev account of this data dir (default: the first).
        #[arg(long)]
        from: Option<String>,
        /// At most the block gas limit (30M); the default is all of it, since installs are
        /// priced by size and compile cost.
        #[arg(long, default_value_t = 30_000_000)]
        gas_limit: u64,
    },
    /// Create an actor of installed code; prints its ID and robust address.
    Create {
        code_cid: String,
        /// Constructor parameters (CBOR), hex.
        #[arg(long, conflicts_with = "params_json")]
        params_hex: Option<String>,
        /// Constructor parameters as JSON (the mapping of `tandem send --params-json`).
        #[arg(long)]
        params_json: Option<String>,
        #[arg(long)]
        from: Option<String>,
        /// Value sent to the new actor, attoFIL.
        #[arg(long, default_value = "0")]
        value: String,
        #[arg(long, default_value_t = 10_000_000)]
        gas_limit: u64,
    },
}

pub fn run(data_dir: &Path, json: bool, cmd: ActorCommand) -> anyhow::Result<()> {
    match cmd {
        ActorCommand::Build { path, features } => build(json, &path, features)?,
        ActorCommand::Install {
            file,
            from,
            gas_limit,
        } => {
            let wasm =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let params = fvm_ipld_encoding::to_vec(&InstallCodeParams {
                code: RawBytes::new(wasm),
            })?;
            let ret = apply(
                data_dir,
                from,
                install_code_method(),
                params,
                TokenAmount::default(),
                gas_limit,
            )?;
            let out: InstallCodeReturn = ret.receipt.return_data.deserialize()?;
            if json {
                crate::output::print_json(&json!({
                    "code_cid": out.code_cid.to_string(),
                    "newly_installed": out.installed,
                    "gas_used": ret.receipt.gas_used,
                }));
            } else {
                println!("{}", out.code_cid);
            }
        }
        ActorCommand::Create {
            code_cid,
            params_hex,
            params_json,
            from,
            value,
            gas_limit,
        } => {
            let code: Cid = code_cid
                .parse()
                .map_err(|e| anyhow!("{code_cid} is not a CID: {e}"))?;
            let ctor = match (params_hex, params_json) {
                (Some(h), _) => crate::output::parse_hex(&h).context("--params-hex")?,
                (None, Some(j)) => crate::values::schema::constructor_params(data_dir, &code, &j)?,
                (None, None) => Vec::new(),
            };
            let params = fvm_ipld_encoding::to_vec(&ExecParams {
                code_cid: code,
                constructor_params: RawBytes::new(ctor),
            })?;
            let value = crate::output::parse_atto(&value)?;
            let ret = apply(data_dir, from, 2, params, value, gas_limit)?;
            let out: ExecReturn = ret.receipt.return_data.deserialize()?;
            if json {
                crate::output::print_json(&json!({
                    "id_address": out.id_address.to_string(),
                    "robust_address": out.robust_address.to_string(),
                    "gas_used": ret.receipt.gas_used,
                }));
            } else {
                println!("id      {}", out.id_address);
                println!("address {}", out.robust_address);
            }
        }
    }
    Ok(())
}

fn build(json: bool, path: &Path, features: Option<String>) -> anyhow::Result<()> {
    let mut opts = tandem_actor_test::build::BuildOptions::default();
    if let Some(f) = features {
        opts.cargo_args = vec!["--features".to_string(), f];
    }
    let module = tandem_actor_test::build::build(path, &opts)?;
    if let Some(warning) = module.stack_warning() {
        eprintln!("warning: {warning}");
    }
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| module.path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| module.path.clone());
    if json {
        crate::output::print_json(&json!({
            "module": module.path.display().to_string(),
            "size": module.wasm.len(),
            "initial_pages": module.initial_pages,
        }));
    } else {
        println!("{}", shown.display());
        let pages = module
            .initial_pages
            .map(|p| format!(", initial memory {p} pages ({} KiB)", p * 64))
            .unwrap_or_default();
        println!("{} bytes{pages}", module.wasm.len());
    }
    Ok(())
}

/// Signs a message to the Init actor with a dev key, applies and commits it; fails with the
/// actor's message if it did not succeed.
fn apply(
    data_dir: &Path,
    from: Option<String>,
    method: u64,
    params: Vec<u8>,
    value: TokenAmount,
    gas_limit: u64,
) -> anyhow::Result<ApplyRet> {
    let dir = DataDir::open(data_dir)?;
    let keys = KeyFile::load(&dir.keys_path())?;
    let from = match from {
        Some(f) => crate::output::parse_address(&f)?,
        None => keys
            .keys
            .first()
            .ok_or_else(|| anyhow!("no dev keys in {}", dir.keys_path().display()))?
            .address
            .parse::<Address>()
            .map_err(|e| anyhow!("bad key address: {e}"))?,
    };
    let key = keys
        .key_for(&from)?
        .ok_or_else(|| anyhow!("{from} is not a dev account of this data dir"))?;
    let mut runtimes = tandem_chain::runtimes();
    if !runtimes.iter().any(|r| r.name() == "wasm") {
        runtimes.push(Arc::new(WasmRuntime::with_data_dir(&dir.path)?));
    }
    let mut chain = Chain::load_with(dir, runtimes)?;
    let nonce = match chain.exec.machine.state.lookup_id(&from)? {
        Some(id) => chain
            .exec
            .machine
            .state
            .get_actor(id)?
            .map(|a| a.sequence)
            .unwrap_or(0),
        None => 0,
    };
    let msg = Message {
        version: 0,
        from,
        to: Address::new_id(1),
        sequence: nonce,
        value,
        method_num: method,
        params: RawBytes::new(params),
        gas_limit,
        gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
        gas_premium: TokenAmount::from_atto(1_000_000_000u64),
    };
    let ret = chain.apply(&SignedMessage::sign_secp256k1(msg, &key)?)?;
    if !ret.applied || !ret.receipt.exit_code.is_success() {
        let reason = ret
            .receipt
            .return_data
            .deserialize::<String>()
            .ok()
            .or(ret.failure.clone())
            .unwrap_or_default();
        let code = crate::values::exit_name(ret.receipt.exit_code.value());
        bail!("failed: {code}: {reason}");
    }
    chain.commit()?;
    Ok(ret)
}
