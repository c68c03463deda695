//! Dev methods (`evm_*`, and `anvil_*` with their `hardhat_*` aliases): snapshots, mining,
//! time, and direct state edits that test runners and scripts rely on.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::Value;
use tandem_evm::address::u256_to_tokens;

use super::{Handler, Params, quantity, to_value};
use crate::error::{RpcError, RpcResult};
use crate::node::Node;
use crate::overrides::{ensure_actor, put_code};

pub const METHODS: &[(&str, Handler)] = &[
    ("evm_snapshot", |node, _| Ok(quantity(node.snapshot()))),
    ("evm_revert", revert),
    ("evm_mine", evm_mine),
    ("anvil_mine", mine_many),
    ("hardhat_mine", mine_many),
    ("hardhat_metadata", metadata),
    ("anvil_metadata", metadata),
    ("evm_setAutomine", set_automine),
    ("evm_setIntervalMining", |node, p| {
        // A plain number (Hardhat) or a hex quantity.
        let ms = match p.get::<Value>(0)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s
                .strip_prefix("0x")
                .and_then(|h| u64::from_str_radix(h, 16).ok()),
            _ => None,
        }
        .ok_or_else(|| RpcError::invalid_params("interval: milliseconds as a number"))?;
        node.set_mining_interval_ms(ms);
        Ok(Value::Bool(true))
    }),
    ("anvil_setAutomine", set_automine),
    ("anvil_getAutomine", |node, _| {
        Ok(Value::Bool(node.automine()))
    }),
    ("hardhat_getAutomine", |node, _| {
        Ok(Value::Bool(node.automine()))
    }),
    ("evm_increaseTime", increase_time),
    ("evm_setNextBlockTimestamp", set_next_timestamp),
    ("anvil_setBalance", set_balance),
    ("hardhat_setBalance", set_balance),
    ("anvil_setCode", set_code),
    ("hardhat_setCode", set_code),
    ("anvil_setStorageAt", set_storage_at),
    ("hardhat_setStorageAt", set_storage_at),
    ("anvil_setNonce", set_nonce),
    ("hardhat_setNonce", set_nonce),
    ("anvil_impersonateAccount", |node, p| {
        impersonate(node, p, true)
    }),
    ("hardhat_impersonateAccount", |node, p| {
        impersonate(node, p, true)
    }),
    ("anvil_stopImpersonatingAccount", |node, p| {
        impersonate(node, p, false)
    }),
    ("hardhat_stopImpersonatingAccount", |node, p| {
        impersonate(node, p, false)
    }),
];

/// `hardhat_metadata`: what hardhat-network-helpers read to recognise a dev node; the
/// instance id changes on every start (so cached snapshots are known stale).
fn metadata(node: &Node, _: &Params) -> RpcResult<Value> {
    let latest = node.latest();
    Ok(serde_json::json!({
        "clientVersion": format!("tandem/v{}", env!("CARGO_PKG_VERSION")),
        "chainId": node.chain_id(),
        "instanceId": node.instance_id,
        "latestBlockNumber": latest.number(),
        "latestBlockHash": latest.hash,
    }))
}

/// `evm_setAutomine(bool)`: off, transactions wait in the open block for `evm_mine` (or the
/// block timer); on again, the open block is mined.
fn set_automine(node: &Node, p: &Params) -> RpcResult<Value> {
    node.set_automine(p.get(0)?)?;
    Ok(Value::Bool(true))
}

fn revert(node: &Node, p: &Params) -> RpcResult<Value> {
    let id: alloy_primitives::U64 = p.get(0)?;
    Ok(Value::Bool(node.revert(id.to())?))
}

fn evm_mine(node: &Node, p: &Params) -> RpcResult<Value> {
    // Hardhat takes a timestamp; anvil also takes `{timestamp, blocks}`.
    match p.0.first() {
        Some(Value::Object(o)) => {
            if let Some(ts) = o.get("timestamp").filter(|v| !v.is_null()) {
                let ts: U256 =
                    serde_json::from_value(ts.clone()).map_err(RpcError::invalid_params)?;
                next_timestamp(node, ts.saturating_to())?;
            }
            let blocks: Option<U256> = match o.get("blocks") {
                Some(v) if !v.is_null() => {
                    Some(serde_json::from_value(v.clone()).map_err(RpcError::invalid_params)?)
                }
                _ => None,
            };
            for _ in 0..blocks
                .map(|b| b.saturating_to::<u64>())
                .unwrap_or(1)
                .min(10_000)
            {
                node.mine()?;
            }
        }
        _ => {
            if let Some(ts) = p.opt::<U256>(0)? {
                next_timestamp(node, ts.saturating_to())?;
            }
            node.mine()?;
        }
    }
    Ok(Value::String("0x0".into()))
}

/// `anvil_mine(count, interval)`: mines `count` blocks, `interval` seconds apart.
fn mine_many(node: &Node, p: &Params) -> RpcResult<Value> {
    let count = p
        .opt::<U256>(0)?
        .map(|c| c.saturating_to::<u64>())
        .unwrap_or(1);
    let interval = p.opt::<U256>(1)?.map(|i| i.saturating_to::<u64>());
    if count > 100_000 {
        return Err(RpcError::invalid_params("at most 100000 blocks at once"));
    }
    for i in 0..count {
        // Without an interval (or with 0) each block is a second after the last.
        if let (Some(step @ 1..), true) = (interval, i > 0) {
            let ts = node.latest().header.timestamp.saturating_add(step);
            next_timestamp(node, ts)?;
        }
        node.mine()?;
    }
    Ok(Value::Null)
}

fn increase_time(node: &Node, p: &Params) -> RpcResult<Value> {
    let secs: Value = p.get(0)?;
    let secs: i64 = match secs {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| RpcError::invalid_params("seconds"))?,
        other => serde_json::from_value::<U256>(other)
            .map_err(RpcError::invalid_params)?
            .saturating_to(),
    };
    Ok(quantity(node.increase_time(secs).max(0) as u64))
}

fn set_next_timestamp(node: &Node, p: &Params) -> RpcResult<Value> {
    let ts: Value = p.get(0)?;
    let ts: u64 = match ts {
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| RpcError::invalid_params("timestamp"))?,
        other => serde_json::from_value::<U256>(other)
            .map_err(RpcError::invalid_params)?
            .saturating_to(),
    };
    next_timestamp(node, ts)?;
    Ok(Value::Null)
}

/// Sets the next block's timestamp. One that goes back in time is the caller's mistake,
/// answered as Hardhat does (-32000, "… lower than the previous block's timestamp …"), never
/// as an internal error (`evm_mine` with a timestamp reported it as one; found by the fuzzer).
fn next_timestamp(node: &Node, ts: u64) -> RpcResult<()> {
    node.set_next_timestamp(ts)
        .map_err(|e| RpcError::server(e.to_string()))
}

fn set_balance(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let balance: U256 = p.get(1)?;
    node.modify_state(|exec| {
        let (id, mut record) = ensure_actor(exec, &addr)?;
        record.balance = u256_to_tokens(balance);
        exec.machine.state.set_actor(id, record);
        Ok(())
    })?;
    Ok(Value::Bool(true))
}

fn set_nonce(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let nonce: U256 = p.get(1)?;
    node.modify_state(|exec| {
        let (id, mut record) = ensure_actor(exec, &addr)?;
        record.sequence = nonce.saturating_to();
        exec.machine.state.set_actor(id, record);
        Ok(())
    })?;
    Ok(Value::Bool(true))
}

fn set_code(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let code: Bytes = p.get(1)?;
    node.modify_state(|exec| {
        let (id, mut record) = ensure_actor(exec, &addr)?;
        put_code(exec, &mut record, &code)?;
        exec.machine.state.set_actor(id, record);
        Ok(())
    })?;
    Ok(Value::Bool(true))
}

fn set_storage_at(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let slot: U256 = p.get(1)?;
    let value: B256 = p.get(2)?;
    node.modify_state(|exec| {
        let (id, record) = ensure_actor(exec, &addr)?;
        exec.machine.state.set_actor(id, record);
        exec.machine
            .state
            .slot_set(id, &B256::from(slot).0, &value.0)?;
        Ok(())
    })?;
    Ok(Value::Bool(true))
}

fn impersonate(node: &Node, p: &Params, on: bool) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    node.set_impersonated(addr, on)?;
    to_value(true)
}
