//! `tandem_*` methods of the system lane and async messages (docs/async.md, docs/node.md):
//! the queue, an async message's status, and registering cron entries (a dev method).

use serde_json::{Value, json};
use tandem_evm::address::tokens_to_u256;
use tandem_vm::async_queue::{self, AsyncEntry};
use tandem_vm::system_lane::{self, CronEntry};

use super::native::{method, parse_address};
use super::{Handler, Params};
use crate::error::{RpcError, RpcResult};
use crate::node::Node;

pub const METHODS: &[(&str, Handler)] = &[
    ("tandem_asyncQueue", queue),
    ("tandem_asyncStatus", status),
    ("tandem_registerCron", register_cron),
    ("tandem_cronEntries", cron_entries),
];

fn entry_json(e: &AsyncEntry) -> Value {
    json!({
        "id": e.id,
        "from": format!("f0{}", e.from),
        "to": e.to.to_string(),
        "method": e.method,
        "value": tokens_to_u256(&e.value),
        "gasLimit": e.gas_limit,
        "paramsCodec": e.params_codec,
        "params": format!("0x{}", hex::encode(e.params.bytes())),
        "reply": e.reply.as_ref().map(|r| json!({
            "method": r.method,
            "gasLimit": r.gas_limit,
            "evmSelector": (!r.evm_selector.is_empty())
                .then(|| format!("0x{}", hex::encode(r.evm_selector.bytes()))),
        })),
        "sentEpoch": e.sent_epoch,
    })
}

/// `tandem_asyncQueue(limit?)`: the waiting messages, head first (at most `limit`, 100 by
/// default, 1,024 at most), and how many wait in all.
fn queue(node: &Node, p: &Params) -> RpcResult<Value> {
    let limit = p.opt::<usize>(0)?.unwrap_or(100).min(1024);
    let (entries, len) = node.with_executor(|ex| {
        let state = &mut ex.machine.state;
        let len = async_queue::load(state)?.map_or(0, |q| q.len());
        Ok((async_queue::pending(state, limit)?, len))
    })?;
    Ok(json!({
        "length": len,
        "messages": entries.iter().map(entry_json).collect::<Vec<_>>(),
    }))
}

/// `tandem_asyncStatus(id)`: `delivered` with its block, exit code and reply, `pending`
/// with its place in the queue, or null for an id never given out.
fn status(node: &Node, p: &Params) -> RpcResult<Value> {
    let id: u64 = p.get(0)?;
    if let Some(s) = crate::lane::delivered(&node.blocks, id, node.latest_number())? {
        let mut v = serde_json::to_value(&s).map_err(|e| RpcError::internal(e.to_string()))?;
        v["status"] = json!("delivered");
        v["block"] = json!(format!("0x{:x}", s.block));
        return Ok(v);
    }
    let pending = node.with_executor(|ex| {
        let state = &mut ex.machine.state;
        Ok(async_queue::load(state)?.filter(|q| id >= q.head && id < q.next_id))
    })?;
    Ok(match pending {
        Some(q) => json!({ "status": "pending", "position": id - q.head }),
        None => Value::Null,
    })
}

/// `tandem_registerCron(address, method)`: adds a cron entry, run in every block's system
/// lane from now on (a dev method: on a real chain this is genesis or governance).
fn register_cron(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr = parse_address(&p.get::<String>(0)?)?;
    let method = method(&p.get::<Value>(1)?)?;
    node.modify_state(|ex| {
        let state = &mut ex.machine.state;
        // An ID address resolves whether or not an actor lives there: check it does.
        let actor = match state.lookup_id(&addr)? {
            Some(id) if state.get_actor(id)?.is_some() => id,
            _ => anyhow::bail!("no actor at {addr}"),
        };
        system_lane::register_cron(ex, CronEntry { actor, method })
    })
    .map_err(|e| RpcError::server(format!("{e:#}")))?;
    Ok(Value::Bool(true))
}

/// `tandem_cronEntries()`: the registered cron entries.
fn cron_entries(node: &Node, _: &Params) -> RpcResult<Value> {
    let entries = node.with_executor(system_lane::cron_entries)?;
    Ok(Value::Array(
        entries
            .iter()
            .map(|e| json!({ "actor": format!("f0{}", e.actor), "method": e.method }))
            .collect(),
    ))
}
