//! `tandem abi show|encode|decode`: values by an actor's schema (the `tandem:schema` section
//! `dispatch!` writes into its module), from a module file, a code CID or an actor address.

use anyhow::{Context, anyhow, bail};
use cid::Cid;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tandem_chain::{Chain, DataDir};

use crate::Ctx;
use crate::output::{parse_address, parse_hex, print_json};
use crate::values::schema::{ActorSchema, decode_value, encode_params};

#[derive(Subcommand)]
pub enum AbiCommand {
    /// Print the schema: methods (name, FRC-0042 number, params, return) and events.
    Show(Target),
    /// Encode a method's params from JSON (named fields) to hex.
    Encode {
        #[command(flatten)]
        target: Target,
        /// The method, by name or number.
        method: String,
        /// The params as JSON (or use --params-json).
        json_value: Option<String>,
        #[arg(long, conflicts_with = "json_value")]
        params_json: Option<String>,
    },
    /// Decode a method's params or return (hex) to JSON with field names.
    Decode {
        #[command(flatten)]
        target: Target,
        method: String,
        /// Hex of the method's return.
        #[arg(long, conflicts_with = "params", required_unless_present = "params")]
        r#return: Option<String>,
        /// Hex of the method's params.
        #[arg(long)]
        params: Option<String>,
    },
}

#[derive(Args)]
pub struct Target {
    /// A `.wasm` module, an installed code CID, or an actor's address (f0…, f4…, 0x…).
    target: String,
}

pub fn run(ctx: &Ctx, cmd: AbiCommand) -> anyhow::Result<()> {
    match cmd {
        AbiCommand::Show(t) => {
            let schema = load(ctx, &t.target)?;
            if ctx.json {
                print_json(&schema.0);
            } else {
                print_text(&schema);
            }
        }
        AbiCommand::Encode {
            target,
            method,
            json_value,
            params_json,
        } => {
            let schema = load(ctx, &target.target)?;
            let m = schema.method(&method)?;
            let text = json_value
                .or(params_json)
                .ok_or_else(|| anyhow!("give the params as JSON"))?;
            let value: Value = serde_json::from_str(&text).context("the params are not JSON")?;
            let bytes = encode_params(m, &value)?;
            if ctx.json {
                print_json(&json!({
                    "method": m["name"],
                    "number": m["number"],
                    "params": hex::encode(&bytes),
                }));
            } else {
                println!("0x{}", hex::encode(&bytes));
            }
        }
        AbiCommand::Decode {
            target,
            method,
            r#return,
            params,
        } => {
            let schema = load(ctx, &target.target)?;
            let m = schema.method(&method)?;
            let (ret, hex_text) = match (r#return, params) {
                (Some(h), _) => (true, h),
                (None, Some(h)) => (false, h),
                (None, None) => bail!("give --return HEX or --params HEX"),
            };
            let data = parse_hex(&hex_text)?;
            let value = decode_value(m, ret, &data).with_context(|| {
                format!(
                    "decoding {} of {}",
                    if ret { "the return" } else { "the params" },
                    m["name"]
                )
            })?;
            print_json(&value);
        }
    }
    Ok(())
}

/// The schema of a module file, installed code or an actor.
fn load(ctx: &Ctx, target: &str) -> anyhow::Result<ActorSchema> {
    let path = std::path::Path::new(target);
    if path.is_file() {
        let module = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return ActorSchema::from_wasm(&module)
            .ok_or_else(|| anyhow!("{target} has no tandem:schema section"));
    }
    let dir = DataDir::open(&ctx.data_dir)?;
    let mut chain = Chain::load(dir)?;
    let found = match target.parse::<Cid>() {
        Ok(code) => ActorSchema::for_code(chain.buffer(), &code)?,
        Err(_) => {
            let addr = parse_address(target)
                .map_err(|_| anyhow!("{target} is not a file, a code CID or an address"))?;
            ActorSchema::for_actor(&mut chain.exec.machine.state, &addr)?
        }
    };
    found.ok_or_else(|| anyhow!("{target}: no module with a tandem:schema section"))
}

fn print_text(schema: &ActorSchema) {
    for m in schema.methods() {
        println!(
            "method {} ({}): {} -> {}",
            m["name"].as_str().unwrap_or("?"),
            m["number"],
            m["params"],
            m["return"]
        );
    }
    for e in schema.events() {
        println!("event  {}", e["signature"].as_str().unwrap_or("?"));
    }
}
