//! anvil's whole-node methods: `anvil_nodeInfo`, `anvil_setLoggingEnabled`, `anvil_reset`,
//! `anvil_dumpState` and `anvil_loadState` (the dump format is in [`crate::dump`]).

use std::sync::atomic::{AtomicBool, Ordering};

use alloy_primitives::Bytes;
use serde_json::{Value, json};

use super::{Handler, Params};
use crate::error::{RpcError, RpcResult};
use crate::node::{BLOCK_GAS_LIMIT, DEFAULT_PRIORITY_FEE, Node};

pub const METHODS: &[(&str, Handler)] = &[
    ("anvil_nodeInfo", node_info),
    ("anvil_setLoggingEnabled", set_logging),
    ("anvil_reset", reset),
    ("hardhat_reset", reset),
    ("anvil_dumpState", dump_state),
    ("hardhat_dumpState", dump_state),
    ("anvil_loadState", load_state),
    ("hardhat_loadState", load_state),
];

static LOGGING: AtomicBool = AtomicBool::new(true);

/// Whether the node's own log lines (targets `tandem::node` and `tandem::rpc`) are wanted;
/// `anvil_setLoggingEnabled(false)` turns them off. `tandem node` filters on it.
pub fn logging_enabled() -> bool {
    LOGGING.load(Ordering::Relaxed)
}

/// anvil's shape: the head, the fork, the pool's order and the fee environment; no fork
/// config (fork mode is not supported).
fn node_info(node: &Node, _: &Params) -> RpcResult<Value> {
    let latest = node.latest();
    let base_fee = node.base_fee();
    let hard_fork = node.with_executor(|e| Ok(e.machine.network.hardfork.to_string()))?;
    Ok(json!({
        "currentBlockNumber": latest.number(),
        "currentBlockTimestamp": latest.header.timestamp,
        "currentBlockHash": latest.hash,
        "hardFork": hard_fork,
        "transactionOrder": "fifo",
        "environment": {
            "baseFee": base_fee,
            "chainId": node.chain_id(),
            "gasLimit": BLOCK_GAS_LIMIT,
            "gasPrice": base_fee + DEFAULT_PRIORITY_FEE,
        },
        // A forked node names its remote and block (`--fork-url`, `fork.rs`).
        "forkConfig": {
            "forkUrl": node.fork.as_ref().map(|r| r.url()),
            "forkBlockNumber": node.fork.as_ref().map(|r| r.block()),
            "forkRetryBackoff": null,
        },
    }))
}

fn set_logging(_: &Node, p: &Params) -> RpcResult<Value> {
    let on: bool = p.get(0)?;
    LOGGING.store(on, Ordering::Relaxed);
    Ok(Value::Null)
}

/// `anvil_reset([options])`: a fresh genesis. Forking options (`{forking: {jsonRpcUrl,
/// blockNumber}}`) are refused: a node forks only when it starts (`--fork-url`).
fn reset(node: &Node, p: &Params) -> RpcResult<Value> {
    match p.0.first() {
        None | Some(Value::Null) => {}
        Some(Value::Object(o)) => {
            let forking = o.get("forking").filter(|v| !v.is_null());
            if forking.is_some() {
                return Err(RpcError::invalid_params(
                    "anvil_reset resets to a fresh local genesis and takes no `forking` \
                     options: start the node with --fork-url to fork",
                ));
            }
            if let Some(k) = o.keys().find(|k| k.as_str() != "forking") {
                return Err(RpcError::invalid_params(format!(
                    "unknown reset option `{k}`"
                )));
            }
        }
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "reset options must be an object, not {other}"
            )));
        }
    }
    node.reset()?;
    Ok(Value::Null)
}

/// `anvil_dumpState`: the chain and its state as hex bytes (a CAR file).
fn dump_state(node: &Node, _: &Params) -> RpcResult<Value> {
    let car = node.dump_state()?;
    Ok(Value::String(Bytes::from(car).to_string()))
}

/// `anvil_loadState(hex)`: verifies a dump and makes it the chain; true when loaded. A
/// malformed or inconsistent dump is an error that changes nothing.
fn load_state(node: &Node, p: &Params) -> RpcResult<Value> {
    let car: Bytes = p.get(0)?;
    node.load_state(&car)
        .map_err(|e| RpcError::server(format!("invalid state dump: {e:#}")))?;
    Ok(Value::Bool(true))
}
