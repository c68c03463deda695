//! `tandem send`: sign a message with a dev key, apply it and commit. Exits non-zero when
//! the message fails, with its exit code by name and its decoded reason.

use anyhow::anyhow;
use clap::Args;
use fvm_ipld_encoding::RawBytes;
use tandem_chain::keys::KeyFile;
use tandem_chain::{Chain, DataDir};
use tandem_vm::message::{Message, SignedMessage};

use super::gas_breakdown;
use super::message::{MessageArgs, Named, nonce, receiver_schema, report};
use crate::Ctx;
use crate::output::{parse_address, parse_atto};

#[derive(Args)]
pub struct SendArgs {
    /// The sender: a dev account of this data dir.
    #[arg(long)]
    from: String,
    #[command(flatten)]
    pub msg: MessageArgs,
    #[arg(long, default_value_t = 10_000_000)]
    gas_limit: u64,
    /// Fee cap per gas, attoFIL.
    #[arg(long, default_value = "2000000000")]
    gas_fee_cap: String,
    /// Priority fee per gas, attoFIL.
    #[arg(long, default_value = "1000000000")]
    gas_premium: String,
    /// Send the same message this many times (nonces increase), committing after each;
    /// stops at the first that fails.
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
    let to = args.msg.to()?;
    let method = args.msg.method()?;
    let value = parse_atto(&args.msg.value)?;
    let mut chain = Chain::load(dir)?;
    chain.exec.machine.debug = args.msg.debug;
    let schema = receiver_schema(&mut chain, &to);
    let params = args.msg.params(schema.as_ref())?;
    for _ in 0..args.repeat {
        let msg = Message {
            version: 0,
            from,
            to,
            sequence: nonce(&mut chain, &from)?,
            value: value.clone(),
            method_num: method,
            params: RawBytes::new(params.clone()),
            gas_limit: args.gas_limit,
            gas_fee_cap: parse_atto(&args.gas_fee_cap)?,
            gas_premium: parse_atto(&args.gas_premium)?,
        };
        let signed = SignedMessage::sign_secp256k1(msg, &key)?;
        let cid = signed.cid()?;
        if args.msg.gas {
            gas_breakdown::start(&mut chain);
        }
        let ret = chain.apply(&signed)?;
        let gas = gas_breakdown::take(&mut chain);
        let (root, _) = chain.commit()?;
        let named = Named::decode(&mut chain, method, schema.as_ref(), &ret);
        report(
            ctx,
            Some(&cid.to_string()),
            &ret,
            Some(&root.to_string()),
            &named,
            gas.as_ref(),
        )?;
    }
    Ok(())
}
