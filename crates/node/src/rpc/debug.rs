//! `debug_traceTransaction`, `debug_traceCall`, `debug_traceBlockByNumber` and
//! `debug_traceBlockByHash` in geth's shapes: the struct logger (default), `callTracer`,
//! `prestateTracer` and `4byteTracer`. Native actors and built-ins are frames like any other,
//! with a `tandem` field (docs/node.md, "Traces").

use std::collections::{BTreeMap, BTreeSet};

use alloy_eips::BlockId;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::TransactionRequest;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tandem_state::StateTree;
use tandem_vm::ActorID;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::store::VmStore;
use tandem_vm::trace::{FrameKind, StepOptions, Tracer};

use super::{Handler, Params, find_block};
use crate::error::{RpcError, RpcResult};
use crate::frames::{self, hex_u64, hex_u256};
use crate::node::Node;
use crate::overrides::{BlockOverrides, StateOverrides};
use crate::replay::{self, Key, Traced};
use crate::state::{CallSite, evm_code, f4};

pub const METHODS: &[(&str, Handler)] = &[
    ("debug_traceTransaction", trace_transaction),
    ("debug_traceCall", trace_call),
    ("debug_traceBlockByNumber", trace_block_by_number),
    ("debug_traceBlockByHash", trace_block_by_hash),
];

/// geth's trace options (unknown fields are ignored, as geth does).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceOptions {
    pub tracer: Option<String>,
    #[serde(default)]
    pub tracer_config: Option<Value>,
    #[serde(default)]
    pub disable_stack: bool,
    #[serde(default)]
    pub enable_memory: bool,
    #[serde(default)]
    pub disable_storage: bool,
    #[serde(default)]
    pub limit: Option<usize>,
    /// `debug_traceCall` only.
    #[serde(default)]
    pub state_overrides: Option<StateOverrides>,
    #[serde(default)]
    pub block_overrides: Option<BlockOverrides>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    StructLogger,
    Call {
        with_log: bool,
        only_top: bool,
        /// Tandem's extension: each frame's gas by price-list operation (`gasCharges`).
        gas_charges: bool,
    },
    Prestate {
        diff: bool,
    },
    FourByte,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallConfig {
    #[serde(default)]
    with_log: bool,
    #[serde(default)]
    only_top_call: bool,
    #[serde(default)]
    with_gas_charges: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrestateConfig {
    #[serde(default)]
    diff_mode: bool,
}

impl TraceOptions {
    pub fn kind(&self) -> RpcResult<Kind> {
        let cfg = self.tracer_config.clone().unwrap_or(Value::Null);
        let cfg = if cfg.is_null() { json!({}) } else { cfg };
        let bad = |e: serde_json::Error| RpcError::invalid_params(format!("tracerConfig: {e}"));
        Ok(match self.tracer.as_deref() {
            None | Some("") | Some("structLogger") => Kind::StructLogger,
            Some("callTracer") => {
                let c: CallConfig = serde_json::from_value(cfg).map_err(bad)?;
                Kind::Call {
                    with_log: c.with_log,
                    only_top: c.only_top_call,
                    gas_charges: c.with_gas_charges,
                }
            }
            Some("prestateTracer") => {
                let c: PrestateConfig = serde_json::from_value(cfg).map_err(bad)?;
                Kind::Prestate { diff: c.diff_mode }
            }
            Some("4byteTracer") => Kind::FourByte,
            Some(other) => {
                return Err(RpcError::invalid_params(format!(
                    "unknown tracer {other:?} (supported: the struct logger, callTracer, prestateTracer, 4byteTracer)"
                )));
            }
        })
    }

    /// What the EVM must record per opcode for this tracer.
    pub fn steps(&self) -> RpcResult<Option<StepOptions>> {
        Ok(match self.kind()? {
            Kind::StructLogger => Some(StepOptions {
                stack: !self.disable_stack,
                memory: self.enable_memory,
                storage: !self.disable_storage,
                limit: self.limit.unwrap_or(0),
            }),
            // The slots a transaction touched come from SLOAD/SSTORE; one step is kept.
            Kind::Prestate { .. } => Some(StepOptions {
                stack: false,
                memory: false,
                storage: true,
                limit: 1,
            }),
            _ => None,
        })
    }
}

fn options(p: &Params, i: usize) -> RpcResult<TraceOptions> {
    Ok(p.opt::<TraceOptions>(i)?.unwrap_or_default())
}

fn trace_transaction(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    let opts = options(p, 1)?;
    let kind = opts.kind()?;
    let block = replay::tx_block(node, &hash)?;
    let steps = opts.steps()?;
    replay::replay_one(node, &block, Key::Tx(hash), steps, &mut |exec, t| {
        render(exec, &t, kind)
    })
}

fn trace_call(node: &Node, p: &Params) -> RpcResult<Value> {
    let req: TransactionRequest = p.get(0)?;
    let block: Option<BlockId> = p.opt(1)?;
    let opts = options(p, 2)?;
    let kind = opts.kind()?;
    let site = CallSite::resolve(node, block, false)?.with_overrides(
        node,
        opts.state_overrides.as_ref(),
        opts.block_overrides.as_ref(),
    )?;
    let (mut exec, traced) = replay::trace_call(node, &req, &site, opts.steps()?)?;
    render(&mut exec, &traced, kind)
}

fn trace_block_by_number(node: &Node, p: &Params) -> RpcResult<Value> {
    let id: alloy_eips::BlockNumberOrTag = p.get(0)?;
    trace_block(node, BlockId::Number(id), options(p, 1)?)
}

fn trace_block_by_hash(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    trace_block(node, BlockId::from(hash), options(p, 1)?)
}

fn trace_block(node: &Node, id: BlockId, opts: TraceOptions) -> RpcResult<Value> {
    let kind = opts.kind()?;
    let block = find_block(node, id)?.ok_or_else(|| RpcError::server("block not found"))?;
    let mut out = Vec::new();
    let want = |k: &Key| matches!(k, Key::Tx(_));
    let mut sink = |exec: &mut Executor, t: Traced| -> RpcResult<()> {
        let Key::Tx(hash) = &t.key else {
            return Ok(());
        };
        let result = render(exec, &t, kind)?;
        out.push(json!({"txHash": hash, "result": result}));
        Ok(())
    };
    if block.number() > 0 {
        let steps = opts.steps()?;
        replay::replay_block(node, &block, steps, &want, false, &mut sink)?;
    }
    Ok(Value::Array(out))
}

/// A trace in the shape `kind` asks for.
pub fn render(exec: &mut Executor, t: &Traced, kind: Kind) -> RpcResult<Value> {
    match kind {
        Kind::StructLogger => Ok(struct_logs(t)),
        Kind::Call {
            with_log,
            only_top,
            gas_charges,
        } => {
            let state = &mut exec.machine.state;
            let shape = CallShape {
                with_log,
                only_top,
                gas_charges,
            };
            Ok(call_tree(state, t, shape))
        }
        Kind::Prestate { diff } => prestate(exec, t, diff),
        Kind::FourByte => Ok(four_byte(t)),
    }
}

fn struct_logs(t: &Traced) -> Value {
    let logs: Vec<Value> = t.tracer.struct_logs.iter().map(struct_log).collect();
    json!({
        "gas": t.gas_used,
        "failed": !t.success,
        "returnValue": format!("0x{}", hex::encode(&t.output)),
        "structLogs": logs,
    })
}

fn struct_log(l: &tandem_vm::trace::StructLog) -> Value {
    let mut m = Map::new();
    m.insert("pc".into(), json!(l.pc));
    m.insert("op".into(), json!(tandem_evm::trace::op_name(l.op)));
    m.insert("gas".into(), json!(l.gas));
    m.insert("gasCost".into(), json!(l.gas_cost));
    m.insert("depth".into(), json!(l.depth));
    if let Some(stack) = &l.stack {
        let items = stack
            .iter()
            .map(|w| hex_u256(U256::from_be_bytes(*w)))
            .collect();
        m.insert("stack".into(), Value::Array(items));
    }
    if let Some(memory) = &l.memory {
        let words = memory.chunks(32).map(|c| json!(hex::encode(c))).collect();
        m.insert("memory".into(), Value::Array(words));
    }
    if let Some(storage) = &l.storage {
        let s: Map<String, Value> = storage
            .iter()
            .map(|(k, v)| (hex::encode(k), json!(hex::encode(v))))
            .collect();
        m.insert("storage".into(), Value::Object(s));
    }
    if let Some(e) = &l.error {
        m.insert("error".into(), json!(e));
    }
    Value::Object(m)
}

/// geth's call type of a frame.
pub fn call_type(t: &Tracer, i: usize) -> &'static str {
    let f = &t.frames[i];
    let parent_ro = f.parent.is_some_and(|p| t.frames[p].read_only);
    match f.kind {
        FrameKind::Create => "CREATE",
        FrameKind::DelegateCall => "DELEGATECALL",
        FrameKind::Call if f.read_only && !parent_ro => "STATICCALL",
        FrameKind::Call => "CALL",
    }
}

/// What a `callTracer` tree shows (its `tracerConfig`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CallShape {
    pub with_log: bool,
    pub only_top: bool,
    pub gas_charges: bool,
}

/// The `callTracer` tree of a traced item.
pub fn call_tree(state: &mut StateTree<VmStore>, t: &Traced, shape: CallShape) -> Value {
    let Some(root) = t.root else {
        // Nothing ran (a message refused before its first frame).
        let mut m = Map::new();
        m.insert("type".into(), json!("CALL"));
        m.insert("from".into(), json!(t.from.unwrap_or_default()));
        m.insert("gas".into(), hex_u64(t.gas_limit));
        m.insert("gasUsed".into(), hex_u64(t.gas_used));
        m.insert("input".into(), json!("0x"));
        m.insert("error".into(), json!(t.failure.clone().unwrap_or_default()));
        return Value::Object(m);
    };
    let mut v = call_frame(state, &t.tracer, root, shape, false);
    if let Value::Object(m) = &mut v {
        if shape.gas_charges {
            m.insert(
                "messageGas".into(),
                json!(t.tracer.frames[root].message_gas),
            );
        }
        if let Some(from) = t.from {
            m.insert("from".into(), json!(from));
        }
        if t.gas_limit > 0 {
            m.insert("gas".into(), hex_u64(t.gas_limit));
        }
        m.insert("gasUsed".into(), hex_u64(t.gas_used));
    }
    v
}

fn call_frame(
    state: &mut StateTree<VmStore>,
    t: &Tracer,
    i: usize,
    shape: CallShape,
    parent_failed: bool,
) -> Value {
    let f = &t.frames[i];
    let typ = call_type(t, i);
    let mut m = Map::new();
    m.insert("type".into(), json!(typ));
    let from = match (f.kind, f.parent) {
        // The contract that delegated (its storage is the one the code runs on).
        (FrameKind::DelegateCall, _) => frames::receiver_address(state, f),
        _ => frames::eth_of(state, f.caller),
    };
    m.insert("from".into(), json!(from));
    m.insert("to".into(), json!(frames::to_address(state, f)));
    if typ == "CALL" || typ == "CREATE" {
        m.insert("value".into(), hex_u256(frames::value_of(f)));
    }
    m.insert("gas".into(), hex_u64(f.gas_limit));
    m.insert("gasUsed".into(), hex_u64(f.gas_used));
    m.insert("input".into(), json!(frames::input(f)));
    let output = frames::output(state, f);
    let failed = f.failed();
    if (!failed || frames::reverted(f)) && !output.is_empty() {
        m.insert("output".into(), json!(output));
    }
    if let Some(e) = frames::error(f) {
        m.insert("error".into(), json!(e));
        if frames::reverted(f)
            && let Some(r) = frames::revert_reason(&output)
        {
            m.insert("revertReason".into(), json!(r));
        }
    }
    if let Some(x) = frames::tandem_fields(f) {
        m.insert("tandem".into(), x);
    }
    if shape.gas_charges {
        m.insert("gasCharges".into(), json!(f.gas_charges));
    }
    let failed = failed || parent_failed;
    if shape.with_log && !failed && !f.events.is_empty() {
        let logs: Vec<Value> = f
            .events
            .iter()
            .filter_map(|(pos, ev)| {
                let log = tandem_evm::tx::eth_logs(state, std::slice::from_ref(ev)).ok()?;
                let log = log.into_iter().next()?;
                Some(json!({
                    "address": Address::from(log.address),
                    "topics": log.topics,
                    "data": log.data,
                    "position": hex_u64(*pos as u64),
                }))
            })
            .collect();
        if !logs.is_empty() {
            m.insert("logs".into(), Value::Array(logs));
        }
    }
    if !shape.only_top && !f.children.is_empty() {
        let child_shape = CallShape {
            only_top: false,
            ..shape
        };
        let calls: Vec<Value> = f
            .children
            .iter()
            .map(|&c| call_frame(state, t, c, child_shape, failed))
            .collect();
        m.insert("calls".into(), Value::Array(calls));
    }
    Value::Object(m)
}

fn four_byte(t: &Traced) -> Value {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for f in &t.tracer.frames {
        if !frames::is_evm(f) || f.kind == FrameKind::Create {
            continue;
        }
        let input = frames::input(f);
        if input.len() >= 4 {
            let key = format!("0x{}-{}", hex::encode(&input[..4]), input.len() - 4);
            *counts.entry(key).or_default() += 1;
        }
    }
    json!(counts)
}

/// One account as the prestate tracer shows it; `None` when there is no actor.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Account {
    balance: U256,
    nonce: u64,
    code: Bytes,
    storage: BTreeMap<B256, B256>,
}

fn actor_id(state: &mut StateTree<VmStore>, addr: &Address) -> Option<ActorID> {
    match EthAddress(addr.into_array()).as_id() {
        Some(id) => Some(id),
        None => state.lookup_id(&f4(addr)).ok().flatten(),
    }
}

fn read_account(
    state: &mut StateTree<VmStore>,
    addr: &Address,
    slots: &BTreeSet<[u8; 32]>,
) -> RpcResult<Option<Account>> {
    let Some(id) = actor_id(state, addr) else {
        return Ok(None);
    };
    let Some(record) = state.get_actor(id)? else {
        return Ok(None);
    };
    let code = evm_code(state.store(), &record)?;
    let mut storage = BTreeMap::new();
    for slot in slots {
        let (v, _) = state.slot_get(id, slot)?;
        storage.insert(B256::from(*slot), B256::from(v));
    }
    Ok(Some(Account {
        balance: tandem_evm::address::tokens_to_u256(&record.balance),
        nonce: record.sequence,
        code,
        storage,
    }))
}

fn account_json(a: &Account, only: Option<&Account>) -> Value {
    // `only`: in a diff's post, just the fields that changed from it.
    let mut m = Map::new();
    if only.is_none_or(|o| o.balance != a.balance) {
        m.insert("balance".into(), hex_u256(a.balance));
    }
    if a.nonce > 0 && only.is_none_or(|o| o.nonce != a.nonce) {
        m.insert("nonce".into(), json!(a.nonce));
    }
    if !a.code.is_empty() && only.is_none_or(|o| o.code != a.code) {
        m.insert("code".into(), json!(a.code));
    }
    let storage: Map<String, Value> = a
        .storage
        .iter()
        .filter(|(k, v)| match only {
            None => true,
            Some(o) => o.storage.get(*k) != Some(*v) && **v != B256::ZERO,
        })
        .map(|(k, v)| (format!("{k}"), json!(v)))
        .collect();
    if !storage.is_empty() {
        m.insert("storage".into(), Value::Object(storage));
    }
    Value::Object(m)
}

fn prestate(exec: &mut Executor, t: &Traced, diff: bool) -> RpcResult<Value> {
    let state = &mut exec.machine.state;
    let mut touched: BTreeMap<Address, BTreeSet<[u8; 32]>> = BTreeMap::new();
    if let Some(from) = t.from {
        touched.entry(from).or_default();
    }
    for f in &t.tracer.frames {
        let caller = frames::eth_of(state, f.caller);
        touched.entry(caller).or_default();
        let to = frames::to_address(state, f);
        let slots = touched.entry(to).or_default();
        if let Some(seen) = f.callee.and_then(|id| t.tracer.seen_storage.get(&id)) {
            slots.extend(seen.keys().copied());
        }
    }
    let mut pre_tree = StateTree::load(state.store().clone(), &t.pre_root)?;
    // In fork mode an account first read from the remote by this transaction is not in the
    // pre-state's tree: the pre-tree asks the remote too (its writes stay in the replay's
    // buffer, which is thrown away).
    pre_tree.set_fork(state.fork().cloned());
    let mut pre = Map::new();
    let mut post = Map::new();
    for (addr, slots) in &touched {
        let before = read_account(&mut pre_tree, addr, slots)?;
        if !diff {
            let a = before.unwrap_or(Account {
                balance: U256::ZERO,
                nonce: 0,
                code: Bytes::new(),
                storage: BTreeMap::new(),
            });
            pre.insert(format!("{addr:#x}"), account_json(&a, None));
            continue;
        }
        let after = read_account(state, addr, slots)?;
        if before == after {
            continue;
        }
        if let Some(b) = &before {
            let mut b = b.clone();
            // The pre side lists only the slots that changed.
            if let Some(a) = &after {
                b.storage.retain(|k, v| a.storage.get(k) != Some(v));
            }
            pre.insert(format!("{addr:#x}"), account_json(&b, None));
        }
        if let Some(a) = &after {
            let empty = Account {
                balance: U256::ZERO,
                nonce: 0,
                code: Bytes::new(),
                storage: BTreeMap::new(),
            };
            let base = before.as_ref().unwrap_or(&empty);
            post.insert(format!("{addr:#x}"), account_json(a, Some(base)));
        }
    }
    Ok(if diff {
        json!({"pre": pre, "post": post})
    } else {
        Value::Object(pre)
    })
}
