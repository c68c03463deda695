//! Re-running what a block did, with the VM's tracer on, for `debug_trace*`, `trace_*` and
//! `tandem_traceMessage` (docs/node.md, "Traces").
//!
//! A block is replayed on its parent's state in a throwaway buffer, with the block's own
//! environment: the system lane first, then its transactions and user messages in the order
//! they ran (a message records how many transactions preceded it). Nothing reaches the chain.
//! Calls (`debug_traceCall`, `trace_call`) run on a [`CallSite`] like `eth_call`.

use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes};
use alloy_rpc_types_eth::TransactionRequest;
use cid::Cid;
use fvm_shared::econ::TokenAmount;
use tandem_evm::tx::{EthReceipt, EthTx};
use tandem_vm::executor::Executor;
use tandem_vm::message::{ApplyRet, Message};
use tandem_vm::trace::{StepOptions, Tracer};

use crate::blocks::BlockRecord;
use crate::error::{RpcError, RpcResult};
use crate::node::Node;
use crate::rpc::trace_budget::Budget;
use crate::state::{self, CallSite, f4};

/// What a trace is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Tx(B256),
    Msg(String),
    Call,
}

/// One traced transaction, message or call.
pub struct Traced {
    pub key: Key,
    pub tracer: Tracer,
    /// The top-level frame of this item in `tracer` (the lane shares one tracer).
    pub root: Option<usize>,
    /// The state root before it ran (in the replay's buffer; prestate reads it).
    pub pre_root: Cid,
    /// The Ethereum sender (transactions and calls).
    pub from: Option<Address>,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub success: bool,
    pub output: Bytes,
    pub failure: Option<String>,
    /// Position in the block (transactions: `transactionIndex`).
    pub index: u64,
}

impl Traced {
    fn of_tx(key: Key, tracer: Tracer, pre_root: Cid, tx: &EthTx, r: &EthReceipt) -> Self {
        let root = tracer.roots().next();
        Self {
            key,
            tracer,
            root,
            pre_root,
            from: Some(Address::from(tx.sender)),
            gas_limit: tx.gas_limit,
            gas_used: r.gas_used,
            success: r.success,
            output: r.output.clone(),
            failure: r.failure.clone(),
            index: 0,
        }
    }

    fn of_msg(
        key: Key,
        tracer: Tracer,
        root: Option<usize>,
        pre_root: Cid,
        ret: &ApplyRet,
    ) -> Self {
        Self {
            key,
            tracer,
            root,
            pre_root,
            from: None,
            gas_limit: 0,
            gas_used: ret.receipt.gas_used,
            success: ret.receipt.exit_code.is_success(),
            output: Bytes::from(ret.receipt.return_data.to_vec()),
            failure: ret.failure.clone(),
            index: 0,
        }
    }
}

/// Called with each traced item and the executor right after it ran (its post-state).
pub type Sink<'a> = dyn FnMut(&mut Executor, Traced) -> RpcResult<()> + 'a;

/// Replays `block`, tracing the items `want` selects; stops after the first one when
/// `single`. Returns whether anything was traced. The traces share one request's budget
/// (`trace_budget`): one that goes over it is the error.
pub fn replay_block(
    node: &Node,
    block: &BlockRecord,
    steps: Option<StepOptions>,
    want: &dyn Fn(&Key) -> bool,
    single: bool,
    sink: &mut Sink<'_>,
) -> RpcResult<bool> {
    let n = block.number();
    if n == node.first_number() {
        return Err(RpcError::server("genesis is not traceable"));
    }
    let latest = node.latest_number();
    let parent = node
        .blocks
        .block(n - 1, latest)?
        .ok_or_else(|| RpcError::server(format!("parent of block {n} not found")))?;
    let mut site = CallSite::at(node, &parent)?;
    site.network = CallSite::at(node, block)?.network;
    let mut exec = site.executor(node)?;
    let msgs = node.blocks.block_messages(block)?;
    let txs = node.blocks.block_txs(block)?;
    let mut found = false;
    let mut budget = Budget::default();

    crate::history::write_parent_hash(&mut exec, block.header.parent_hash);
    // The system lane: one tracer for all of it, one root per system message.
    let lane_wanted = msgs.iter().any(|(c, _)| want(&Key::Msg(c.clone())));
    let pre_lane = exec.flush()?;
    if lane_wanted {
        exec.machine.tracer = Some(Box::new(Tracer::with_limit(steps, budget.limit())));
    }
    let ran = exec.run_system_lane().map_err(RpcError::internal)?;
    if let Some(tracer) = exec.machine.tracer.take() {
        budget.spend(&tracer)?;
        let roots: Vec<usize> = tracer.roots().collect();
        for (i, m) in ran.iter().enumerate() {
            let Some((cid, _)) = msgs.get(i) else { break };
            let key = Key::Msg(cid.clone());
            if want(&key) {
                found = true;
                let mut t = Traced::of_msg(
                    key,
                    (*tracer).clone(),
                    roots.get(i).copied(),
                    pre_lane,
                    &m.ret,
                );
                t.index = i as u64;
                sink(&mut exec, t)?;
                if single {
                    return Ok(true);
                }
            }
        }
    }
    let user_msgs = msgs.get(ran.len()..).unwrap_or_default();

    let mut next_msg = 0;
    for i in 0..=txs.len() {
        while let Some((cid, rec)) = user_msgs.get(next_msg)
            && rec.after_txs <= i as u64
        {
            next_msg += 1;
            let key = Key::Msg(cid.clone());
            let wanted = want(&key);
            let msg = decode_message(cid, rec.message.as_ref())?;
            let (pre, ret, tracer) = run_traced(&mut exec, steps, &mut budget, wanted, |e| {
                e.apply_message(&msg).map_err(RpcError::internal)
            })?;
            if let Some(tracer) = tracer {
                found = true;
                let root = tracer.roots().next();
                let mut t = Traced::of_msg(key, tracer, root, pre, &ret);
                t.gas_limit = msg.gas_limit;
                t.index = (txs.len() + ran.len() + next_msg - 1) as u64;
                sink(&mut exec, t)?;
                if single {
                    return Ok(true);
                }
            }
        }
        let Some(rec) = txs.get(i) else { break };
        let hash = block.txs.get(i).copied().unwrap_or_default();
        let env = TxEnvelope::decode_2718(&mut rec.raw.as_ref())
            .map_err(|e| RpcError::internal(format!("stored transaction {hash}: {e}")))?;
        let tx = state::tx_from_envelope(&env, rec.from);
        let key = Key::Tx(hash);
        let wanted = want(&key);
        let (pre, receipt, tracer) = run_traced(&mut exec, steps, &mut budget, wanted, |e| {
            tandem_evm::tx::apply_tx_any_sender(e, &tx)
                .map_err(|e| RpcError::internal(format!("replaying {hash}: {e}")))
        })?;
        if let Some(tracer) = tracer {
            found = true;
            let mut t = Traced::of_tx(key, tracer, pre, &tx, &receipt);
            t.index = i as u64;
            sink(&mut exec, t)?;
            if single {
                return Ok(true);
            }
        }
    }
    Ok(found)
}

/// Runs `f` with a tracer when `wanted`, within what is left of `budget`; returns the state
/// root before, the result and the tracer (an overflowed tracer is the error).
fn run_traced<R>(
    exec: &mut Executor,
    steps: Option<StepOptions>,
    budget: &mut Budget,
    wanted: bool,
    f: impl FnOnce(&mut Executor) -> RpcResult<R>,
) -> RpcResult<(Cid, R, Option<Tracer>)> {
    if !wanted {
        let r = f(exec)?;
        return Ok((Cid::default(), r, None));
    }
    let pre = exec.flush()?;
    exec.machine.tracer = Some(Box::new(Tracer::with_limit(steps, budget.limit())));
    let r = f(exec);
    let tracer = exec.machine.tracer.take();
    let r = r?;
    if let Some(t) = &tracer {
        budget.spend(t)?;
    }
    Ok((pre, r, tracer.map(|t| *t)))
}

fn decode_message(cid: &str, bytes: Option<&Bytes>) -> RpcResult<Message> {
    let bytes = bytes.ok_or_else(|| {
        RpcError::server(format!(
            "message {cid} was mined by a node that did not keep messages; it cannot be replayed"
        ))
    })?;
    fvm_ipld_encoding::from_slice(bytes)
        .map_err(|e| RpcError::internal(format!("stored message {cid}: {e}")))
}

/// Traces a call request at `site` (as `eth_call` runs it: without a fee in the request the
/// base fee is zero, and any sender may call).
pub fn trace_call(
    node: &Node,
    req: &TransactionRequest,
    site: &CallSite,
    steps: Option<StepOptions>,
) -> RpcResult<(Executor, Traced)> {
    let from = req.from.unwrap_or_default();
    let mut exec = site.executor(node)?;
    if req.gas_price.is_none() && req.max_fee_per_gas.is_none() {
        exec.machine.network.base_fee = TokenAmount::default();
    }
    let nonce = {
        let state = &mut exec.machine.state;
        match state.lookup_id(&f4(&from))? {
            Some(id) => state.get_actor(id)?.map(|r| r.sequence).unwrap_or(0),
            None => 0,
        }
    };
    let cap = tandem_evm::spec::max_tx_gas(
        site.network.hardfork,
        site.network
            .block_gas_limit
            .min(crate::node::BLOCK_GAS_LIMIT),
    );
    let gas = req.gas.unwrap_or(cap).min(cap);
    let tx = state::tx_from_request(req, from, nonce, gas);
    let mut budget = Budget::default();
    let (pre, receipt, tracer) = run_traced(&mut exec, steps, &mut budget, true, |e| {
        tandem_evm::tx::apply_tx_any_sender(e, &tx).map_err(|e| RpcError::from_tx(&e, &from))
    })?;
    let tracer = tracer.unwrap_or_default();
    let traced = Traced::of_tx(Key::Call, tracer, pre, &tx, &receipt);
    Ok((exec, traced))
}

/// The block and position of a mined transaction.
pub fn tx_block(node: &Node, hash: &B256) -> RpcResult<BlockRecord> {
    let latest = node.latest_number();
    match node.blocks.tx(hash, latest)? {
        Some((_, block)) => Ok(block),
        None => Err(RpcError::server(format!("transaction {hash} not found"))),
    }
}

/// Replays one mined transaction or message and renders its trace with `render` (given the
/// executor right after it ran, so the post-state and the pre-state root are readable).
pub fn replay_one(
    node: &Node,
    block: &BlockRecord,
    key: Key,
    steps: Option<StepOptions>,
    render: &mut dyn FnMut(&mut Executor, Traced) -> RpcResult<serde_json::Value>,
) -> RpcResult<serde_json::Value> {
    let mut out = None;
    let want = |k: &Key| *k == key;
    let mut sink = |exec: &mut Executor, t: Traced| -> RpcResult<()> {
        out = Some(render(exec, t)?);
        Ok(())
    };
    replay_block(node, block, steps, &want, true, &mut sink)?;
    out.ok_or_else(|| RpcError::server("not found in its block"))
}
