//! `tandem send`: sign a message with a dev key, apply it and commit.

use anyhow::{Context, anyhow};
use clap::Args;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use serde_json::json;
use tandem_chain::keys::KeyFile;
use tandem_chain::{Chain, DataDir};
use tandem_vm::message::{ApplyRet, Message, SignedMessage};

use crate::Ctx;
use crate::output::{parse_address, parse_atto, parse_hex, print_json};

#[derive(Args)]
pub struct SendArgs {
    /// The sender: a dev account of this data dir.
    #[arg(long)]
    from: String,
    /// The receiver (f0…/f1…/f2…/f4… or 0x…).
    #[arg(long)]
    to: String,
    /// Value in attoFIL.
    #[arg(long, default_value = "0")]
    value: String,
    /// Method number (0 moves value and runs no code).
    #[arg(long, conflicts_with = "method_name")]
    method: Option<u64>,
    /// Method name, turned into its FRC-0042 number.
    #[arg(long)]
    method_name: Option<String>,
    /// CBOR parameters, hex.
    #[arg(long)]
    params_hex: Option<String>,
    #[arg(long, default_value_t = 10_000_000)]
    gas_limit: u64,
    /// Fee cap per gas, attoFIL.
    #[arg(long, default_value = "2000000000")]
    gas_fee_cap: String,
    /// Priority fee per gas, attoFIL.
    #[arg(long, default_value = "1000000000")]
    gas_premium: String,
    /// Send the same message this many times (nonces increase), committing after each.
    #[arg(long, default_value_t = 1)]
    repeat: u64,
}

pub fn run(ctx: &Ctx, args: SendArgs) -> anyhow::Result<()> {
    let dir = DataDir::open(&ctx.data_dir)?;
    let keys = KeyFile::load(&dir.keys_path())?;
    let from = parse_address(&args.from)?;
    let key = keys.key_for(&from)?.ok_or_else(|| {
        anyhow!("{from} is not a dev account of this data dir (no key in keys.json)")
    })?;
    let to = parse_address(&args.to)?;
    let method = match (&args.method, &args.method_name) {
        (Some(m), _) => *m,
        (None, Some(name)) => tandem_vm::frc42::method_number(name)?,
        (None, None) => 0,
    };
    let params = match &args.params_hex {
        Some(h) => parse_hex(h).context("--params-hex")?,
        None => Vec::new(),
    };
    let value = parse_atto(&args.value)?;
    let mut chain = Chain::load(dir)?;
    for _ in 0..args.repeat {
        let sender_id = chain.exec.machine.state.lookup_id(&from)?;
        let nonce = match sender_id {
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
            to,
            sequence: nonce,
            value: value.clone(),
            method_num: method,
            params: RawBytes::new(params.clone()),
            gas_limit: args.gas_limit,
            gas_fee_cap: parse_atto(&args.gas_fee_cap)?,
            gas_premium: parse_atto(&args.gas_premium)?,
        };
        let signed = SignedMessage::sign_secp256k1(msg, &key)?;
        let cid = signed.cid()?;
        let ret = chain.apply(&signed)?;
        let (root, _) = chain.commit()?;
        print_receipt(ctx, &cid.to_string(), &ret, &root.to_string());
    }
    Ok(())
}

fn print_receipt(ctx: &Ctx, cid: &str, ret: &ApplyRet, root: &str) {
    let r = &ret.receipt;
    if ctx.json {
        print_json(&json!({
            "message": cid,
            "applied": ret.applied,
            "exit_code": r.exit_code.value(),
            "return": hex::encode(r.return_data.bytes()),
            "gas_used": r.gas_used,
            "events_root": r.events_root.map(|c| c.to_string()),
            "base_fee_burn": ret.gas.base_fee_burn.atto().to_string(),
            "miner_tip": ret.gas.miner_tip.atto().to_string(),
            "refund": ret.gas.refund.atto().to_string(),
            "failure": ret.failure,
            "state_root": root,
        }));
        return;
    }
    let status = if r.exit_code.is_success() {
        "ok".to_string()
    } else {
        format!("failed ({})", r.exit_code)
    };
    println!("message {cid}: {status}");
    println!("  gas used   {}", r.gas_used);
    if !r.return_data.is_empty() {
        println!("  return     0x{}", hex::encode(r.return_data.bytes()));
    }
    if let Some(root) = r.events_root {
        println!("  events     {root} ({} events)", ret.events.len());
    }
    if let Some(reason) = &ret.failure {
        println!("  reason     {reason}");
    }
    println!(
        "  fees       burnt {} tip {} attoFIL",
        ret.gas.base_fee_burn.atto(),
        ret.gas.miner_tip.atto()
    );
    println!("  state root {root}");
    let _ = TokenAmount::default();
}
