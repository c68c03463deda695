//! `tandem evm deploy|call|send`: EVM contracts on the embedded chain, in Solidity's terms.
//!
//! - `deploy CODE [ARGS…]`: init code (hex, a file of hex, or an artifact JSON from Foundry,
//!   Hardhat or `tandem build`) plus constructor arguments, deployed by a dev account through
//!   the EAM's CreateExternal; prints the contract's 0x and f410 addresses.
//! - `call ADDR SIG [ARGS…]`: a read-only call (no signature, fee or commit), cast-style:
//!   `"balanceOf(address)(uint256)" 0x…`; the return decoded by the signature's outputs.
//! - `send ADDR SIG [ARGS…]`: the same as a signed message (method InvokeEVM), committed.
//!
//! A dev account is an f1 account: the EVM sees it at its masked-ID address `0xff00…<id>`,
//! printed as `sender`. Failures exit non-zero with the exit code by name and the revert
//! decoded (`Error(string)`, `Panic(uint256)`, a custom error of `--abi` by name, else its
//! selector and data).

mod abi;

use alloy_dyn_abi::{DynSolValue, Specifier};
use alloy_json_abi::{Function, JsonAbi};
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::{Address, Payload};
use fvm_shared::econ::TokenAmount;
use serde_json::{Value, json};
use tandem_actors::eam::CreateReturn;
use tandem_chain::keys::KeyFile;
use tandem_chain::{Chain, DataDir};
use tandem_vm::builtin::EAM_ACTOR_ID;
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::message::{ApplyRet, Message, SignedMessage};

use super::message::nonce;
use crate::Ctx;
use crate::output::{parse_address, parse_atto, print_json};
use crate::values::exit_name;

/// EAM CreateExternal: a create by the account that signed the message.
const CREATE_EXTERNAL: u64 = 4;
/// The exit code of an EVM contract that ran REVERT.
const EVM_CONTRACT_REVERTED: u32 = 33;

#[derive(Subcommand)]
pub enum EvmCommand {
    /// Deploy EVM init code (hex, a file, or a Foundry/Hardhat/`tandem build` artifact) with
    /// constructor arguments; prints the contract's 0x and f410 addresses.
    Deploy(DeployArgs),
    /// Call a contract read-only (no signature, fee or commit):
    /// `tandem evm call 0x… "balanceOf(address)(uint256)" 0x…`.
    Call(CallArgs),
    /// Send a transaction to a contract (signed by a dev account, committed):
    /// `tandem evm send 0x… "transfer(address,uint256)" 0x… 100 --from f1…`.
    Send(CallArgs),
}

#[derive(Args)]
pub struct TxArgs {
    /// The sender: a dev account of this data dir (default: the first).
    #[arg(long)]
    from: Option<String>,
    /// Value sent with it, attoFIL (= wei).
    #[arg(long, default_value = "0")]
    value: String,
    /// Gas limit (at most the block gas limit).
    #[arg(long, default_value_t = 30_000_000)]
    gas_limit: u64,
}

#[derive(Args)]
pub struct DeployArgs {
    /// Init code as hex, a file of hex, or an artifact JSON (`bytecode.object` or `bytecode`).
    code: String,
    /// Constructor arguments (cast syntax), typed by the artifact's ABI or `--constructor`.
    #[arg(allow_negative_numbers = true)]
    args: Vec<String>,
    /// The constructor's parameters, e.g. "constructor(uint256,string)" or "(uint256,string)"
    /// (default: the artifact's ABI).
    #[arg(long)]
    constructor: Option<String>,
    #[command(flatten)]
    tx: TxArgs,
}

#[derive(Args)]
pub struct CallArgs {
    /// The contract: 0x…, f410…, or f0….
    to: String,
    /// `name(inputs)(outputs)` as cast takes it, or `function name(…) returns (…)`.
    sig: String,
    /// Arguments (cast syntax; an `address` may also be an f0/f1/f410 address).
    #[arg(allow_negative_numbers = true)]
    args: Vec<String>,
    /// An artifact or JSON ABI whose custom errors decode reverts by name.
    #[arg(long)]
    abi: Option<String>,
    /// Print the actors' `debug_log` lines (to stderr).
    #[arg(long)]
    pub debug: bool,
    #[command(flatten)]
    tx: TxArgs,
}

pub fn debug(cmd: &EvmCommand) -> bool {
    match cmd {
        EvmCommand::Call(a) | EvmCommand::Send(a) => a.debug,
        EvmCommand::Deploy(_) => false,
    }
}

pub fn run(ctx: &Ctx, cmd: EvmCommand) -> anyhow::Result<()> {
    match cmd {
        EvmCommand::Deploy(args) => deploy(ctx, args),
        EvmCommand::Call(args) => call(ctx, args, false),
        EvmCommand::Send(args) => call(ctx, args, true),
    }
}

/// The sender (default: the first dev account) and its key, if this data dir has it.
fn sender(
    dir: &DataDir,
    from: Option<&str>,
) -> anyhow::Result<(Address, Option<k256::ecdsa::SigningKey>)> {
    let keys = KeyFile::load(&dir.keys_path())?;
    let from = match from {
        Some(f) => parse_address(f)?,
        None => parse_address(
            &keys
                .keys
                .first()
                .ok_or_else(|| {
                    anyhow!("no dev keys in {}: pass --from", dir.keys_path().display())
                })?
                .address,
        )?,
    };
    let key = keys.key_for(&from)?;
    Ok((from, key))
}

/// How the EVM sees an address: its f410 form's 20 bytes, else the masked ID of its actor.
fn eth_of(chain: &mut Chain, addr: &Address) -> anyhow::Result<EthAddress> {
    if let Some(eth) = EthAddress::from_delegated(addr) {
        return Ok(eth);
    }
    let id = chain
        .exec
        .machine
        .state
        .lookup_id(addr)?
        .ok_or_else(|| anyhow!("{addr} has no actor on this chain"))?;
    Ok(EthAddress::from_id(id))
}

/// Applies a message signed by `from`'s dev key and commits it.
fn send_signed(
    chain: &mut Chain,
    from: Address,
    key: Option<&k256::ecdsa::SigningKey>,
    to: Address,
    method: u64,
    params: Vec<u8>,
    tx: &TxArgs,
) -> anyhow::Result<(String, ApplyRet)> {
    let key = key.ok_or_else(|| {
        anyhow!("{from} is not a dev account of this data dir (no key in keys.json)")
    })?;
    let msg = Message {
        version: 0,
        from,
        to,
        sequence: nonce(chain, &from)?,
        value: parse_atto(&tx.value)?,
        method_num: method,
        params: RawBytes::new(params),
        gas_limit: tx.gas_limit,
        gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
        gas_premium: TokenAmount::from_atto(1_000_000_000u64),
    };
    let signed = SignedMessage::sign_secp256k1(msg, key)?;
    let cid = signed.cid()?.to_string();
    let ret = chain.apply(&signed)?;
    if ret.applied {
        chain.commit()?;
    }
    Ok((cid, ret))
}

fn deploy(ctx: &Ctx, args: DeployArgs) -> anyhow::Result<()> {
    let code = abi::load_code(&args.code)?;
    let types = match (&args.constructor, &code.abi) {
        (Some(sig), _) => abi::parse_param_types(sig)?,
        (None, Some(a)) => match &a.constructor {
            Some(c) => c
                .inputs
                .iter()
                .map(|p| {
                    p.resolve()
                        .map_err(|e| anyhow!("the artifact's constructor: {e}"))
                })
                .collect::<anyhow::Result<_>>()?,
            None => Vec::new(),
        },
        (None, None) if args.args.is_empty() => Vec::new(),
        (None, None) => bail!(
            "constructor arguments need their types: pass --constructor \"(uint256,…)\" or an artifact with an ABI"
        ),
    };
    let dir = DataDir::open(&ctx.data_dir)?;
    let (from, key) = sender(&dir, args.tx.from.as_deref())?;
    let mut chain = Chain::load(dir)?;
    let values = coerce(&mut chain, &types, &args.args)?;
    let mut initcode = code.initcode;
    initcode.extend(DynSolValue::Tuple(values).abi_encode_params());
    let params = fvm_ipld_encoding::to_vec(&RawBytes::new(initcode))?;
    let (cid, ret) = send_signed(
        &mut chain,
        from,
        key.as_ref(),
        Address::new_id(EAM_ACTOR_ID),
        CREATE_EXTERNAL,
        params,
        &args.tx,
    )?;
    let ok = ret.applied && ret.receipt.exit_code.is_success();
    let sender_eth = eth_of(&mut chain, &from)?;
    if !ok {
        return failed(ctx, &format!("deploy {cid}"), &ret, code.abi.as_ref());
    }
    let out: CreateReturn = ret
        .receipt
        .return_data
        .deserialize()
        .context("the EAM's return")?;
    let eth = EthAddress(out.eth_address);
    if ctx.json {
        print_json(&json!({
            "address": eth.to_string(),
            "f410_address": eth.to_filecoin().to_string(),
            "id_address": Address::new_id(out.actor_id).to_string(),
            "sender": sender_eth.to_string(),
            "message": cid,
            "gas_used": ret.receipt.gas_used,
        }));
    } else {
        println!("deployed   {eth}");
        println!("  f410     {}", eth.to_filecoin());
        println!("  id       {}", Address::new_id(out.actor_id));
        println!("  sender   {sender_eth} ({from})");
        println!("  message  {cid}");
        println!("  gas used {}", ret.receipt.gas_used);
    }
    Ok(())
}

/// Cast-style arguments; an `address` may also be a Filecoin address of an actor.
fn coerce(
    chain: &mut Chain,
    types: &[alloy_dyn_abi::DynSolType],
    args: &[String],
) -> anyhow::Result<Vec<DynSolValue>> {
    let mut args = args.to_vec();
    for (ty, a) in types.iter().zip(args.iter_mut()) {
        if *ty == alloy_dyn_abi::DynSolType::Address && (a.starts_with('f') || a.starts_with('t')) {
            let addr = parse_address(a)?;
            *a = eth_of(chain, &addr)?.to_string();
        }
    }
    abi::coerce_args(types, &args)
}

fn call(ctx: &Ctx, args: CallArgs, commit: bool) -> anyhow::Result<()> {
    let f = abi::parse_signature(&args.sig)?;
    let types = f
        .inputs
        .iter()
        .map(|p| p.resolve().map_err(|e| anyhow!("{}: {e}", args.sig)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let errors = args.abi.as_deref().map(abi::load_abi).transpose()?;
    let to = parse_address(&args.to)?;
    if matches!(to.payload(), Payload::Secp256k1(_) | Payload::BLS(_)) {
        bail!("{to} is an account, not a contract");
    }
    let dir = DataDir::open(&ctx.data_dir)?;
    let (from, key) = sender(&dir, args.tx.from.as_deref())?;
    let mut chain = Chain::load(dir)?;
    chain.exec.machine.debug = args.debug;
    // A call to an address with no actor would be an empty success (Ethereum's rule).
    if chain.exec.machine.state.lookup_id(&to)?.is_none() {
        bail!("no contract at {} ({to})", args.to);
    }
    let values = coerce(&mut chain, &types, &args.args)?;
    let data = abi::calldata(&f, &values)?;
    let params = fvm_ipld_encoding::to_vec(&RawBytes::new(data))?;
    let (what, ret) = if commit {
        let (cid, ret) = send_signed(
            &mut chain,
            from,
            key.as_ref(),
            to,
            INVOKE_EVM,
            params,
            &args.tx,
        )?;
        (format!("message {cid}"), ret)
    } else {
        chain.exec.machine.network.base_fee = TokenAmount::default();
        let msg = Message {
            version: 0,
            from,
            to,
            sequence: nonce(&mut chain, &from)?,
            value: parse_atto(&args.tx.value)?,
            method_num: INVOKE_EVM,
            params: RawBytes::new(params),
            gas_limit: args.tx.gas_limit,
            gas_fee_cap: TokenAmount::default(),
            gas_premium: TokenAmount::default(),
        };
        // Dropped without a commit: nothing the call wrote is kept.
        ("call".to_string(), chain.exec.apply_message(&msg)?)
    };
    if !(ret.applied && ret.receipt.exit_code.is_success()) {
        return failed(ctx, &what, &ret, errors.as_ref());
    }
    report_ok(ctx, &what, commit, &f, &ret)
}

fn report_ok(
    ctx: &Ctx,
    what: &str,
    commit: bool,
    f: &Function,
    ret: &ApplyRet,
) -> anyhow::Result<()> {
    let data = ret.receipt.return_data.bytes();
    let decoded = abi::decode_return(f, data)?;
    if ctx.json {
        let mut out = json!({
            "exit_code": 0,
            "exit": exit_name(0),
            "return": format!("0x{}", hex::encode(data)),
            "decoded": decoded.as_ref().map(|v| v.iter().map(abi::to_json).collect::<Vec<Value>>()),
            "gas_used": ret.receipt.gas_used,
            "events": ret.events.len(),
        });
        if commit {
            out["message"] = json!(what.trim_start_matches("message "));
        }
        print_json(&out);
        return Ok(());
    }
    match &decoded {
        // Like cast: the values alone, one per line.
        Some(values) if !commit => {
            for v in values {
                println!("{}", abi::text(v));
            }
        }
        _ => {
            println!("{what}: ok");
            println!("  gas used {}", ret.receipt.gas_used);
            if !data.is_empty() {
                println!("  return   0x{}", hex::encode(data));
            }
            for v in decoded.iter().flatten() {
                println!("  decoded  {}", abi::text(v));
            }
            if !ret.events.is_empty() {
                println!("  events   {}", ret.events.len());
            }
        }
    }
    Ok(())
}

/// Prints a failed call or message (`--json`: the receipt with `exit` and `reason`) and
/// returns the error that makes the command exit non-zero.
fn failed(ctx: &Ctx, what: &str, ret: &ApplyRet, errors: Option<&JsonAbi>) -> anyhow::Result<()> {
    let code = ret.receipt.exit_code.value();
    let data = ret.receipt.return_data.bytes();
    let reason = match abi::revert_reason(data, errors) {
        Some(r) => Some(r),
        None if ret.applied && code == EVM_CONTRACT_REVERTED => {
            Some("reverted without data".into())
        }
        None => ret.failure.clone(),
    };
    let exit = exit_name(code);
    if ctx.json {
        print_json(&json!({
            "applied": ret.applied,
            "exit_code": code,
            "exit": exit,
            "reason": reason,
            "return": format!("0x{}", hex::encode(data)),
            "gas_used": ret.receipt.gas_used,
            "failure": ret.failure,
        }));
    }
    match (ret.applied, reason) {
        (false, r) => bail!("{what} was not applied: {}", r.unwrap_or(exit)),
        (true, Some(r)) => bail!("{what} failed: {exit}: {r}"),
        (true, None) => bail!("{what} failed: {exit}"),
    }
}
