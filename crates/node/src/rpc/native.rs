//! `tandem_*`: native actors over JSON-RPC (documented in docs/node.md).
//!
//! Addresses are Filecoin strings (`f01`, `f2…`, `f410f…`; `t` works too) or 0x Ethereum
//! addresses. Methods are numbers or FRC-0042 names. Params and return values are hex CBOR.
//! Messages are sent from a dev account (an 0x dev account or an f1 key of `keys.json`),
//! which the node trusts without a signature, or pushed pre-signed.

use std::str::FromStr;

use alloy_primitives::Bytes;
use cid::Cid;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address as FilAddress;
use fvm_shared::econ::TokenAmount;
use serde::Deserialize;
use serde_json::{Value, json};
use tandem_actors::init::{
    ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn, install_code_method,
};
use tandem_chain::keys::KeyFile;
use tandem_evm::address::{tokens_to_u256, u256_to_tokens};
use tandem_vm::builtin::{BuiltinCode, INIT_ACTOR_ID, init_methods};
use tandem_vm::eth::EthAddress;
use tandem_vm::message::{Message, SignedMessage};

use super::{Handler, Params, state_block};
use crate::blocks::MsgRecord;
use crate::error::{RpcError, RpcResult};
use crate::node::{BLOCK_GAS_LIMIT, Node};
use crate::state::StateView;

pub const METHODS: &[(&str, Handler)] = &[
    ("tandem_installCode", install_code),
    ("tandem_createActor", create_actor),
    ("tandem_sendMessage", send_message),
    ("tandem_pushSignedMessage", push_signed),
    ("tandem_call", call),
    ("tandem_getActor", get_actor),
    ("tandem_getActorState", get_actor_state),
    ("tandem_waitMessage", wait_message),
    ("tandem_methodNumber", |_, p| {
        let name: String = p.get(0)?;
        Ok(Value::from(method(&Value::String(name))?))
    }),
];

/// A Filecoin or Ethereum address.
pub fn parse_address(s: &str) -> RpcResult<FilAddress> {
    if let Some(hex) = s.strip_prefix("0x") {
        let bytes: [u8; 20] = hex::decode(hex)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| RpcError::invalid_params(format!("bad address {s}")))?;
        return Ok(EthAddress(bytes).to_filecoin());
    }
    let normal = match s.strip_prefix('t') {
        Some(rest) => format!("f{rest}"),
        None => s.to_string(),
    };
    FilAddress::from_str(&normal)
        .map_err(|e| RpcError::invalid_params(format!("bad address {s}: {e}")))
}

pub(crate) fn method(v: &Value) -> RpcResult<u64> {
    match v {
        Value::Number(n) => n.as_u64().ok_or_else(|| RpcError::invalid_params("method")),
        Value::String(s) if s.starts_with("0x") => u64::from_str_radix(&s[2..], 16)
            .map_err(|_| RpcError::invalid_params(format!("bad method {s}"))),
        Value::String(s) if s.chars().all(|c| c.is_ascii_digit()) => {
            s.parse().map_err(|_| RpcError::invalid_params("method"))
        }
        Value::String(name) => {
            tandem_vm::frc42::method_number(name).map_err(RpcError::invalid_params)
        }
        _ => Err(RpcError::invalid_params(
            "method must be a number or an FRC-0042 name",
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendRequest {
    from: String,
    to: String,
    method: Value,
    #[serde(default)]
    params: Option<Bytes>,
    #[serde(default)]
    value: Option<alloy_primitives::U256>,
    #[serde(default)]
    gas_limit: Option<alloy_primitives::U64>,
}

/// The sender's next nonce, and that the node may send for it.
fn dev_sender(node: &Node, from: &FilAddress) -> RpcResult<u64> {
    let is_eth_dev = EthAddress::from_delegated(from).is_some_and(|e| {
        node.dev_account(&alloy_primitives::Address::from(e.0))
            .is_some()
    });
    let is_f1_dev = KeyFile::load(&node.path.join(tandem_chain::datadir::KEYS_FILE))
        .ok()
        .and_then(|k| k.key_for(from).ok().flatten())
        .is_some();
    if !is_eth_dev && !is_f1_dev {
        return Err(RpcError::server(format!(
            "unknown account {from}: send from a dev account or push a signed message"
        )));
    }
    Ok(node.with_executor(|exec| {
        let state = &mut exec.machine.state;
        Ok(match state.lookup_id(from)? {
            Some(id) => state.get_actor(id)?.map(|r| r.sequence).unwrap_or(0),
            None => 0,
        })
    })?)
}

fn message(node: &Node, req: &SendRequest, nonce: u64) -> RpcResult<Message> {
    Ok(Message {
        version: 0,
        from: parse_address(&req.from)?,
        to: parse_address(&req.to)?,
        sequence: nonce,
        value: u256_to_tokens(req.value.unwrap_or_default()),
        method_num: method(&req.method)?,
        params: RawBytes::new(req.params.clone().unwrap_or_default().to_vec()),
        gas_limit: req.gas_limit.map(|g| g.to()).unwrap_or(BLOCK_GAS_LIMIT),
        gas_fee_cap: TokenAmount::from_atto(node.base_fee() * 2),
        gas_premium: TokenAmount::from_atto(0u8),
    })
}

fn receipt_json(cid: &str, r: &MsgRecord) -> Value {
    json!({
        "cid": cid,
        "block": format!("0x{:x}", r.block),
        "exitCode": r.exit_code,
        "return": r.return_data,
        "gasUsed": format!("0x{:x}", r.gas_used),
        "events": r.events,
        "failure": r.failure,
    })
}

fn send(node: &Node, req: &SendRequest) -> RpcResult<(String, MsgRecord)> {
    let from = parse_address(&req.from)?;
    let nonce = dev_sender(node, &from)?;
    let msg = message(node, req, nonce)?;
    node.submit_native(&msg, None)
}

fn send_message(node: &Node, p: &Params) -> RpcResult<Value> {
    let req: SendRequest = p.get(0)?;
    let (cid, r) = send(node, &req)?;
    Ok(receipt_json(&cid, &r))
}

fn push_signed(node: &Node, p: &Params) -> RpcResult<Value> {
    let raw: Bytes = p.get(0)?;
    let signed: SignedMessage = fvm_ipld_encoding::from_slice(&raw)
        .map_err(|e| RpcError::invalid_params(format!("not a CBOR signed message: {e}")))?;
    let (cid, r) = node.submit_native(&signed.message, Some(&signed))?;
    Ok(receipt_json(&cid, &r))
}

fn cbor<T: serde::Serialize>(v: &T) -> RpcResult<Bytes> {
    Ok(Bytes::from(
        fvm_ipld_encoding::to_vec(v).map_err(RpcError::internal)?,
    ))
}

/// `tandem_installCode(from, wasm)`: Init's InstallCode.
fn install_code(node: &Node, p: &Params) -> RpcResult<Value> {
    let from: String = p.get(0)?;
    let code: Bytes = p.get(1)?;
    let params = cbor(&InstallCodeParams {
        code: RawBytes::new(code.to_vec()),
    })?;
    let req = SendRequest {
        from,
        to: format!("f0{INIT_ACTOR_ID}"),
        method: Value::from(install_code_method()),
        params: Some(params),
        value: None,
        gas_limit: None,
    };
    let (cid, r) = send(node, &req)?;
    let mut out = receipt_json(&cid, &r);
    if r.exit_code == 0
        && let Ok(ret) = fvm_ipld_encoding::from_slice::<InstallCodeReturn>(&r.return_data)
    {
        out["codeCid"] = json!(ret.code_cid.to_string());
        out["installed"] = json!(ret.installed);
    }
    Ok(out)
}

/// `tandem_createActor(from, codeCid, constructorParams?, value?)`: Init's Exec.
fn create_actor(node: &Node, p: &Params) -> RpcResult<Value> {
    let from: String = p.get(0)?;
    let code: String = p.get(1)?;
    let code = Cid::try_from(code.as_str())
        .map_err(|e| RpcError::invalid_params(format!("code CID: {e}")))?;
    let ctor: Option<Bytes> = p.opt(2)?;
    let value: Option<alloy_primitives::U256> = p.opt(3)?;
    let params = cbor(&ExecParams {
        code_cid: code,
        constructor_params: RawBytes::new(ctor.unwrap_or_default().to_vec()),
    })?;
    let req = SendRequest {
        from,
        to: format!("f0{INIT_ACTOR_ID}"),
        method: Value::from(init_methods::EXEC),
        params: Some(params),
        value,
        gas_limit: None,
    };
    let (cid, r) = send(node, &req)?;
    let mut out = receipt_json(&cid, &r);
    if r.exit_code == 0
        && let Ok(ret) = fvm_ipld_encoding::from_slice::<ExecReturn>(&r.return_data)
    {
        let id = ret.id_address.id().unwrap_or(0);
        out["idAddress"] = json!(ret.id_address.to_string());
        out["robustAddress"] = json!(ret.robust_address.to_string());
        out["ethAddress"] = json!(EthAddress::from_id(id).to_string());
    }
    Ok(out)
}

/// `tandem_call(request, block?)`: runs a message on a throwaway fork; nothing is kept.
fn call(node: &Node, p: &Params) -> RpcResult<Value> {
    let req: SendRequest = p.get(0)?;
    let block = state_block(node, p.opt(1)?)?;
    let mut exec = crate::state::fork(node, &block)?;
    let from = parse_address(&req.from)?;
    let nonce = {
        let state = &mut exec.machine.state;
        match state.lookup_id(&from)? {
            Some(id) => state.get_actor(id)?.map(|r| r.sequence).unwrap_or(0),
            None => 0,
        }
    };
    exec.machine.network.base_fee = TokenAmount::default();
    let mut msg = message(node, &req, nonce)?;
    msg.gas_fee_cap = TokenAmount::default();
    let ret = exec.apply_message(&msg)?;
    Ok(json!({
        "applied": ret.applied,
        "exitCode": ret.receipt.exit_code.value(),
        "return": Bytes::from(ret.receipt.return_data.to_vec()),
        "gasUsed": format!("0x{:x}", ret.receipt.gas_used),
        "failure": ret.failure,
    }))
}

fn actor_at(
    node: &Node,
    p: &Params,
) -> RpcResult<Option<(u64, tandem_state::ActorRecord, StateView)>> {
    let addr: String = p.get(0)?;
    let addr = parse_address(&addr)?;
    let block = state_block(node, p.opt(1)?)?;
    let mut view = StateView::at(node, &block.state_cid()?)?;
    let Some(id) = view.tree.lookup_id(&addr)? else {
        return Ok(None);
    };
    Ok(view.tree.get_actor(id)?.map(|r| (id, r, view)))
}

/// `tandem_getActor(address, block?)`.
fn get_actor(node: &Node, p: &Params) -> RpcResult<Value> {
    let Some((id, r, _)) = actor_at(node, p)? else {
        return Ok(Value::Null);
    };
    let kind = BuiltinCode::from_cid(&r.code)
        .map(|c| c.name())
        .unwrap_or("native");
    Ok(json!({
        "id": format!("f0{id}"),
        "code": r.code.to_string(),
        "kind": kind,
        "state": r.state.to_string(),
        "sequence": r.sequence,
        "balance": tokens_to_u256(&r.balance),
        "delegatedAddress": r.delegated_address.map(|a| a.to_string()),
        "ethAddress": r.delegated_address.as_ref().and_then(EthAddress::from_delegated)
            .unwrap_or_else(|| EthAddress::from_id(id)).to_string(),
    }))
}

/// `tandem_getActorState(address, block?)`: the state root block (hex DAG-CBOR).
fn get_actor_state(node: &Node, p: &Params) -> RpcResult<Value> {
    let Some((_, r, view)) = actor_at(node, p)? else {
        return Ok(Value::Null);
    };
    use fvm_ipld_blockstore::Blockstore;
    let bytes = view.tree.store().get(&r.state)?.unwrap_or_default();
    Ok(json!({ "cid": r.state.to_string(), "data": Bytes::from(bytes) }))
}

/// `tandem_waitMessage(cid, timeoutMs?)`: the receipt once the message is mined.
fn wait_message(node: &Node, p: &Params) -> RpcResult<Value> {
    let cid: String = p.get(0)?;
    let timeout = p.opt::<u64>(1)?.unwrap_or(30_000).min(120_000);
    let start = std::time::Instant::now();
    let mut waiter = None;
    loop {
        if let Some(r) = node.blocks.message(&cid, node.latest_number())? {
            return Ok(receipt_json(&cid, &r));
        }
        if start.elapsed().as_millis() as u64 >= timeout {
            return Ok(Value::Null);
        }
        if waiter.is_none() {
            waiter = Some(node.waiters.enter()?);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
