//! Parity-style traces (`trace_transaction`, `trace_block`, `trace_replayTransaction`,
//! `trace_call`) and `tandem_traceMessage` (a native message's call tree, callTracer-shaped).
//! Every frame of every runtime is listed; native and built-in frames carry `tandem` fields.

use alloy_eips::BlockId;
use alloy_primitives::B256;
use alloy_rpc_types_eth::TransactionRequest;
use serde_json::{Map, Value, json};
use tandem_state::StateTree;
use tandem_vm::executor::Executor;
use tandem_vm::store::VmStore;
use tandem_vm::trace::FrameKind;

use super::debug::{self, Kind, TraceOptions, call_type};
use super::{Handler, Params, find_block};
use crate::blocks::BlockRecord;
use crate::error::{RpcError, RpcResult};
use crate::frames::{self, hex_u64, hex_u256};
use crate::node::Node;
use crate::replay::{self, Key, Traced};
use crate::state::CallSite;

pub const METHODS: &[(&str, Handler)] = &[
    ("trace_transaction", trace_transaction),
    ("trace_block", trace_block),
    ("trace_replayTransaction", replay_transaction),
    ("trace_call", trace_call),
    ("tandem_traceMessage", trace_message),
];

/// Where a flat trace sits, for the localized forms.
struct Place<'a> {
    block: &'a BlockRecord,
    hash: B256,
    position: u64,
}

/// The parity listing of one traced item (pre-order, with trace addresses).
fn flat(state: &mut StateTree<VmStore>, t: &Traced, place: Option<&Place<'_>>) -> Vec<Value> {
    let Some(root) = t.root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, address) in frames::subtree(&t.tracer, root) {
        let f = &t.tracer.frames[i];
        let mut action = Map::new();
        let from = match f.kind {
            FrameKind::DelegateCall => frames::receiver_address(state, f),
            _ if i == root && t.from.is_some() => t.from.unwrap_or_default(),
            _ => frames::eth_of(state, f.caller),
        };
        let gas = if i == root && t.gas_limit > 0 {
            t.gas_limit
        } else {
            f.gas_limit
        };
        let gas_used = if i == root { t.gas_used } else { f.gas_used };
        action.insert("from".into(), json!(from));
        action.insert("gas".into(), hex_u64(gas));
        action.insert("value".into(), hex_u256(frames::value_of(f)));
        let to = frames::to_address(state, f);
        let output = frames::output(state, f);
        let (typ, result) = if f.kind == FrameKind::Create {
            action.insert("init".into(), json!(frames::input(f)));
            action.insert("creationMethod".into(), json!("create"));
            let result = json!({"address": to, "code": output, "gasUsed": hex_u64(gas_used)});
            ("create", result)
        } else {
            let call_type = call_type(&t.tracer, i).to_ascii_lowercase();
            action.insert("callType".into(), json!(call_type));
            action.insert("input".into(), json!(frames::input(f)));
            action.insert("to".into(), json!(to));
            (
                "call",
                json!({"gasUsed": hex_u64(gas_used), "output": output}),
            )
        };
        let mut m = Map::new();
        m.insert("action".into(), Value::Object(action));
        match parity_error(f) {
            Some(e) => {
                m.insert("error".into(), json!(e));
                m.insert("result".into(), Value::Null);
            }
            None => {
                m.insert("result".into(), result);
            }
        }
        m.insert("subtraces".into(), json!(f.children.len()));
        m.insert("traceAddress".into(), json!(address));
        m.insert("type".into(), json!(typ));
        if let Some(x) = frames::tandem_fields(f) {
            m.insert("tandem".into(), x);
        }
        if let Some(p) = place {
            m.insert("blockHash".into(), json!(p.block.hash));
            m.insert("blockNumber".into(), json!(p.block.number()));
            m.insert("transactionHash".into(), json!(p.hash));
            m.insert("transactionPosition".into(), json!(p.position));
        }
        out.push(Value::Object(m));
    }
    out
}

/// Parity's error words.
fn parity_error(f: &tandem_vm::trace::TraceFrame) -> Option<String> {
    let e = frames::error(f)?;
    Some(match e.as_str() {
        "execution reverted" => "Reverted".into(),
        "out of gas" => "Out of gas".into(),
        "invalid opcode" => "Bad instruction".into(),
        "invalid jump destination" => "Bad jump destination".into(),
        _ => e,
    })
}

fn trace_transaction(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    let block = replay::tx_block(node, &hash)?;
    replay::replay_one(node, &block, Key::Tx(hash), None, &mut |exec, t| {
        let place = Place {
            block: &block,
            hash,
            position: t.index,
        };
        Ok(Value::Array(flat(
            &mut exec.machine.state,
            &t,
            Some(&place),
        )))
    })
}

fn trace_block(node: &Node, p: &Params) -> RpcResult<Value> {
    let id: BlockId = p.get(0)?;
    let Some(block) = find_block(node, id)? else {
        return Ok(Value::Null);
    };
    let mut out = Vec::new();
    if block.number() == node.first_number() {
        return Ok(Value::Array(out));
    }
    let want = |k: &Key| matches!(k, Key::Tx(_));
    let mut sink = |exec: &mut Executor, t: Traced| -> RpcResult<()> {
        if let Key::Tx(hash) = t.key {
            let place = Place {
                block: &block,
                hash,
                position: t.index,
            };
            out.extend(flat(&mut exec.machine.state, &t, Some(&place)));
        }
        Ok(())
    };
    replay::replay_block(node, &block, None, &want, false, &mut sink)?;
    Ok(Value::Array(out))
}

/// The trace types asked for: only `trace` is produced; `vmTrace` and `stateDiff` are
/// refused rather than answered empty.
fn check_types(p: &Params, i: usize) -> RpcResult<()> {
    let types: Vec<String> = p.opt(i)?.unwrap_or_default();
    for t in &types {
        if t != "trace" {
            return Err(RpcError::invalid_params(format!(
                "trace type {t:?} is not supported (only \"trace\")"
            )));
        }
    }
    Ok(())
}

fn replay_result(state: &mut StateTree<VmStore>, t: &Traced) -> Value {
    json!({
        "output": t.output,
        "stateDiff": null,
        "trace": flat(state, t, None),
        "vmTrace": null,
    })
}

fn replay_transaction(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    check_types(p, 1)?;
    let block = replay::tx_block(node, &hash)?;
    replay::replay_one(node, &block, Key::Tx(hash), None, &mut |exec, t| {
        Ok(replay_result(&mut exec.machine.state, &t))
    })
}

fn trace_call(node: &Node, p: &Params) -> RpcResult<Value> {
    let req: TransactionRequest = p.get(0)?;
    check_types(p, 1)?;
    let block: Option<BlockId> = p.opt(2)?;
    let site = CallSite::resolve(node, block, false)?;
    let (mut exec, traced) = replay::trace_call(node, &req, &site, None)?;
    Ok(replay_result(&mut exec.machine.state, &traced))
}

/// `tandem_traceMessage(cid, options?)`: a mined native message's trace, by default the
/// callTracer tree with logs (any of `debug_traceTransaction`'s tracers may be asked for).
fn trace_message(node: &Node, p: &Params) -> RpcResult<Value> {
    let cid: String = p.get(0)?;
    let mut opts = p.opt::<TraceOptions>(1)?.unwrap_or_default();
    if opts.tracer.is_none() {
        opts.tracer = Some("callTracer".into());
        opts.tracer_config = Some(json!({"withLog": true, "withGasCharges": true}));
    }
    let kind = opts.kind()?;
    let latest = node.latest_number();
    let rec = node
        .blocks
        .message(&cid, latest)?
        .ok_or_else(|| RpcError::server(format!("message {cid} not found")))?;
    let block = node
        .blocks
        .block(rec.block, latest)?
        .ok_or_else(|| RpcError::server(format!("block {} not found", rec.block)))?;
    let steps = opts.steps()?;
    replay::replay_one(node, &block, Key::Msg(cid), steps, &mut |exec, t| {
        let v = debug::render(exec, &t, kind)?;
        Ok(match (kind, v) {
            (Kind::Call { .. }, Value::Object(mut m)) => {
                m.insert("exitCode".into(), json!(rec.exit_code));
                Value::Object(m)
            }
            (_, v) => v,
        })
    })
}
