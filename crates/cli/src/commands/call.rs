//! `tandem call`: a read-only message. It runs on the head state, as `tandem send` would
//! run it, with no signature, no fee (the base fee is zero for it, as in the node's
//! `tandem_call` and `eth_call`) and no commit: nothing it does is kept, the nonce included.

use anyhow::anyhow;
use clap::Args;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use tandem_chain::keys::KeyFile;
use tandem_chain::{Chain, DataDir};
use tandem_vm::message::Message;

use super::gas_breakdown;
use super::message::{MessageArgs, Named, nonce, receiver_schema, report};
use crate::Ctx;
use crate::output::{parse_address, parse_atto};

#[derive(Args)]
pub struct CallArgs {
    /// The caller (any address with an actor; default: the first dev account).
    #[arg(long)]
    from: Option<String>,
    #[command(flatten)]
    pub msg: MessageArgs,
    #[arg(long, default_value_t = 30_000_000)]
    gas_limit: u64,
}

pub fn run(ctx: &Ctx, args: CallArgs) -> anyhow::Result<()> {
    let dir = DataDir::open(&ctx.data_dir)?;
    let from = match &args.from {
        Some(f) => parse_address(f)?,
        None => first_dev_account(&dir)?,
    };
    let mut chain = Chain::load(dir)?;
    chain.exec.machine.debug = args.msg.debug;
    chain.exec.machine.network.base_fee = TokenAmount::default();
    let to = args.msg.to()?;
    let method = args.msg.method()?;
    let schema = receiver_schema(&mut chain, &to);
    let msg = Message {
        version: 0,
        from,
        to,
        sequence: nonce(&mut chain, &from)?,
        value: parse_atto(&args.msg.value)?,
        method_num: method,
        params: RawBytes::new(args.msg.params(schema.as_ref())?),
        gas_limit: args.gas_limit,
        gas_fee_cap: TokenAmount::default(),
        gas_premium: TokenAmount::default(),
    };
    if args.msg.gas {
        gas_breakdown::start(&mut chain);
    }
    let ret = chain.exec.apply_message(&msg)?;
    let gas = gas_breakdown::take(&mut chain);
    let named = Named::decode(&mut chain, method, schema.as_ref(), &ret);
    // `chain` is dropped without a commit: the buffer with everything the call wrote goes.
    report(ctx, None, &ret, None, &named, gas.as_ref())
}

fn first_dev_account(dir: &DataDir) -> anyhow::Result<Address> {
    let keys = KeyFile::load(&dir.keys_path())?;
    let first = keys
        .keys
        .first()
        .ok_or_else(|| anyhow!("no dev keys in {}: pass --from", dir.keys_path().display()))?;
    parse_address(&first.address)
}
