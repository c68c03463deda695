//! What `tandem send` and `tandem call` share: the message's arguments (receiver, method,
//! params as hex or JSON, `--debug`) and the report of its receipt, with the return and the
//! failure decoded.

use anyhow::{Context, bail};
use clap::Args;
use fvm_shared::address::Address;
use serde_json::{Value, json};
use tandem_chain::Chain;
use tandem_vm::message::ApplyRet;

use super::gas_breakdown;
use crate::Ctx;
use crate::output::{parse_address, parse_hex, print_json};
use crate::values::events::decode_log;
use crate::values::schema::{ActorSchema, decode_value, encode_params};
use crate::values::{cbor_to_json, exit_name, params_from_json};

#[derive(Args)]
pub struct MessageArgs {
    /// The receiver (f0…/f1…/f2…/f4… or 0x…).
    #[arg(long)]
    pub to: String,
    /// Value in attoFIL.
    #[arg(long, default_value = "0")]
    pub value: String,
    /// Method number (0 moves value and runs no code).
    #[arg(long, conflicts_with = "method_name")]
    pub method: Option<u64>,
    /// Method name, turned into its FRC-0042 number.
    #[arg(long)]
    pub method_name: Option<String>,
    /// CBOR parameters, hex.
    #[arg(long, conflicts_with = "params_json")]
    pub params_hex: Option<String>,
    /// Parameters as JSON. When the receiver's module has a schema: by the method's types
    /// (structs as objects of named fields, or arrays). Else encoded to DAG-CBOR as written:
    /// numbers → integers, strings → text, arrays, objects → maps, {"bytes":"0x…"},
    /// {"address":"f0…"}, {"bigint":"…"}, {"cid":"…"}.
    #[arg(long)]
    pub params_json: Option<String>,
    /// Print the actors' `debug_log` lines (to stderr) for this message.
    #[arg(long)]
    pub debug: bool,
    /// Print where the message's gas went: what it was charged outside its frames, then
    /// each frame's own charges by price-list operation (`gas_charges` with `--json`).
    #[arg(long)]
    pub gas: bool,
}

impl MessageArgs {
    pub fn to(&self) -> anyhow::Result<Address> {
        parse_address(&self.to)
    }

    pub fn method(&self) -> anyhow::Result<u64> {
        Ok(match (&self.method, &self.method_name) {
            (Some(m), _) => *m,
            (None, Some(name)) => tandem_vm::frc42::method_number(name)?,
            (None, None) => 0,
        })
    }

    /// The params, by the receiver's schema when it has one that knows the method (params
    /// that do not fit the schema are sent as schema-less JSON, with a warning, so the actor
    /// has the last word).
    pub fn params(&self, schema: Option<&ActorSchema>) -> anyhow::Result<Vec<u8>> {
        match (&self.params_hex, &self.params_json) {
            (Some(h), _) => parse_hex(h).context("--params-hex"),
            (None, Some(j)) => {
                let method = self.method()?;
                let Some(m) = schema.and_then(|s| s.method_by_number(method)) else {
                    return params_from_json(j);
                };
                let value: Value = serde_json::from_str(j).context("--params-json is not JSON")?;
                match encode_params(m, &value) {
                    Ok(p) => Ok(p),
                    Err(typed) => match params_from_json(j) {
                        Ok(p) => {
                            eprintln!(
                                "warning: --params-json does not fit the schema ({typed:#}); \
                                 sent as schema-less JSON"
                            );
                            Ok(p)
                        }
                        Err(_) => Err(typed),
                    },
                }
            }
            (None, None) => Ok(Vec::new()),
        }
    }
}

/// What the schemas of the receiver and the emitters say of a message's outcome.
#[derive(Default)]
pub struct Named {
    /// The return, by the receiver's schema.
    pub ret: Option<Value>,
    /// Each event, by its emitter's schema (when it is an Ethereum-shaped event it knows).
    pub events: Vec<Option<Value>>,
    /// The Ethereum logs among the events, as the node serves them.
    pub logs: Vec<Value>,
}

impl Named {
    pub fn decode(
        chain: &mut Chain,
        method: u64,
        schema: Option<&ActorSchema>,
        ret: &ApplyRet,
    ) -> Self {
        let state = &mut chain.exec.machine.state;
        let data = ret.receipt.return_data.bytes();
        let named_ret = schema
            .filter(|_| ret.receipt.exit_code.is_success())
            .and_then(|s| s.method_by_number(method))
            .and_then(|m| decode_value(m, true, data).ok());
        let mut schemas: std::collections::BTreeMap<u64, Option<ActorSchema>> = Default::default();
        let events = ret
            .events
            .iter()
            .map(|e| {
                let (topics, log_data) = tandem_evm::host::event_to_log(&e.event)?;
                let topics: Vec<[u8; 32]> = topics.iter().map(|t| t.0).collect();
                let schema = schemas.entry(e.emitter).or_insert_with(|| {
                    ActorSchema::for_actor(state, &Address::new_id(e.emitter))
                        .ok()
                        .flatten()
                });
                decode_log(schema.as_ref()?, &topics, &log_data)
            })
            .collect();
        let logs = tandem_evm::tx::eth_logs(state, &ret.events)
            .unwrap_or_default()
            .into_iter()
            .map(|l| {
                json!({
                    "address": format!("0x{}", hex::encode(l.address)),
                    "topics": l.topics.iter().map(|t| format!("0x{}", hex::encode(t))).collect::<Vec<_>>(),
                    "data": format!("0x{}", hex::encode(&l.data)),
                })
            })
            .collect();
        Self {
            ret: named_ret,
            events,
            logs,
        }
    }
}

/// The receiver's schema, if its module carries one.
pub fn receiver_schema(chain: &mut Chain, to: &Address) -> Option<ActorSchema> {
    ActorSchema::for_actor(&mut chain.exec.machine.state, to)
        .ok()
        .flatten()
}

/// The sender's next nonce (0 for an address with no actor yet).
pub fn nonce(chain: &mut Chain, from: &Address) -> anyhow::Result<u64> {
    let state = &mut chain.exec.machine.state;
    Ok(match state.lookup_id(from)? {
        Some(id) => state.get_actor(id)?.map(|a| a.sequence).unwrap_or(0),
        None => 0,
    })
}

/// Why a message failed: the abort message (a CBOR string in the return data), else the
/// VM's reason.
fn reason(ret: &ApplyRet) -> Option<String> {
    let data = ret.receipt.return_data.bytes();
    if !ret.receipt.exit_code.is_success() && !data.is_empty() {
        match cbor_to_json(data) {
            Some(Value::String(s)) => return Some(s),
            Some(v) => return Some(v.to_string()),
            None => {}
        }
    }
    ret.failure.clone()
}

/// Prints a receipt (`message` and `state_root` are absent for a call) and fails if the
/// message did not succeed, with its exit code by name and its reason.
pub fn report(
    ctx: &Ctx,
    message: Option<&str>,
    ret: &ApplyRet,
    state_root: Option<&str>,
    named: &Named,
    gas: Option<&tandem_vm::trace::GasBreakdown>,
) -> anyhow::Result<()> {
    let r = &ret.receipt;
    // Receipts leave the events root to be asked for (the executor no longer hashes it).
    let events_root = match r.events_root {
        Some(root) => Some(root),
        None => ret.events_root()?,
    };
    let ok = ret.applied && r.exit_code.is_success();
    let code = r.exit_code.value();
    let reason = reason(ret);
    let decoded = cbor_to_json(r.return_data.bytes());
    if ctx.json {
        let return_decoded = if ok { decoded.clone() } else { None };
        let mut out = json!({
            "applied": ret.applied,
            "exit_code": code,
            "exit": exit_name(code),
            "return": hex::encode(r.return_data.bytes()),
            "return_decoded": return_decoded,
            "return_named": named.ret,
            "gas_used": r.gas_used,
            "events_root": events_root.map(|c| c.to_string()),
            "events": events_json(ret, named),
            "logs": named.logs,
            "failure": ret.failure,
            "reason": reason,
        });
        if let Some(m) = message {
            out["message"] = json!(m);
            out["base_fee_burn"] = json!(ret.gas.base_fee_burn.atto().to_string());
            out["miner_tip"] = json!(ret.gas.miner_tip.atto().to_string());
            out["refund"] = json!(ret.gas.refund.atto().to_string());
        }
        if let Some(root) = state_root {
            out["state_root"] = json!(root);
        }
        if let Some(g) = gas {
            out["gas_charges"] = gas_breakdown::to_json(g);
        }
        print_json(&out);
    } else {
        print_text(
            message,
            ret,
            ok,
            decoded.as_ref(),
            state_root,
            events_root,
            named,
        );
        if let Some(g) = gas {
            print!("{g}");
        }
    }
    if ok {
        return Ok(());
    }
    let what = message.map_or("call".to_string(), |m| format!("message {m}"));
    match (ret.applied, reason) {
        (false, reason) => bail!(
            "{what} was not applied: {}",
            reason.unwrap_or_else(|| exit_name(code))
        ),
        (true, Some(reason)) => bail!("{what} failed: {}: {reason}", exit_name(code)),
        (true, None) => bail!("{what} failed: {}", exit_name(code)),
    }
}

/// The events a message emitted, entry by entry: each value as hex, and decoded when its
/// codec is CBOR or DAG-CBOR.
fn events_json(ret: &ApplyRet, named: &Named) -> Value {
    ret.events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let entries: Vec<Value> = e
                .event
                .entries
                .iter()
                .map(|x| {
                    json!({
                        "key": x.key,
                        "flags": x.flags.bits(),
                        "codec": x.codec,
                        "value": hex::encode(&x.value),
                        "decoded": decoded_entry(x.codec, &x.value),
                    })
                })
                .collect();
            let named = named.events.get(i).cloned().flatten();
            json!({ "emitter": e.emitter, "entries": entries, "named": named })
        })
        .collect()
}

/// An entry's value decoded, when its codec is CBOR or DAG-CBOR and it decodes.
fn decoded_entry(codec: u64, value: &[u8]) -> Option<Value> {
    let cbor = codec == fvm_ipld_encoding::DAG_CBOR || codec == fvm_ipld_encoding::CBOR;
    cbor.then(|| cbor_to_json(value)).flatten()
}

/// An entry's value for people: decoded CBOR, else hex.
fn entry_value(codec: u64, value: &[u8]) -> String {
    match decoded_entry(codec, value) {
        Some(v) => v.to_string(),
        None => format!("0x{}", hex::encode(value)),
    }
}

fn print_text(
    message: Option<&str>,
    ret: &ApplyRet,
    ok: bool,
    decoded: Option<&Value>,
    state_root: Option<&str>,
    events_root: Option<cid::Cid>,
    named: &Named,
) {
    let r = &ret.receipt;
    let status = if ok {
        "ok".to_string()
    } else {
        format!("failed: {}", exit_name(r.exit_code.value()))
    };
    match message {
        Some(m) => println!("message {m}: {status}"),
        None => println!("call: {status}"),
    }
    println!("  gas used   {}", r.gas_used);
    if !r.return_data.is_empty() {
        println!("  return     0x{}", hex::encode(r.return_data.bytes()));
        if let Some(v) = decoded.filter(|_| ok) {
            println!("  decoded    {v}");
        }
        if let Some(v) = named.ret.as_ref().filter(|_| ok) {
            println!("  named      {v}");
        }
    }
    if let Some(root) = events_root {
        println!("  events     {root} ({} events)", ret.events.len());
    }
    for (i, event) in ret.events.iter().enumerate() {
        let entries: Vec<String> = event
            .event
            .entries
            .iter()
            .map(|e| format!("{}={}", e.key, entry_value(e.codec, &e.value)))
            .collect();
        println!("  event      f0{}: {}", event.emitter, entries.join(", "));
        if let Some(Some(v)) = named.events.get(i) {
            println!("             {v}");
        }
    }
    if !ok && let Some(reason) = reason(ret) {
        println!("  reason     {reason}");
    }
    if message.is_some() {
        println!(
            "  fees       burnt {} tip {} attoFIL",
            ret.gas.base_fee_burn.atto(),
            ret.gas.miner_tip.atto()
        );
    }
    if let Some(root) = state_root {
        println!("  state root {root}");
    }
}
