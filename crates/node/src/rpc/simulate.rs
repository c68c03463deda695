//! `eth_simulateV1` (geth's shape): a sequence of blocks on top of a mined one, each with its
//! state and block overrides and its calls, run one after the other on a throwaway buffer.
//! Each call sees the state the calls before it left; each block, the blocks before it.
//! Nothing reaches the chain.
//!
//! - Block numbers go up by one (a block override may skip ahead: the gap is filled with
//!   empty blocks, as geth fills it); timestamps by one second (the dev chain's rule) unless
//!   overridden, and must strictly increase.
//! - `validation: false` (the default): the base fee is zero unless overridden, nonces are
//!   the sender's current ones, and senders with code may call (as `eth_call`).
//!   `validation: true`: the base fee follows the chain's rule (EIP-1559 or `--base-fee`),
//!   nonces, fees and EIP-3607 are checked; a call that could not be included fails the
//!   whole request.
//! - `traceTransfers`: every value transfer (top-level and inner, in execution order with the
//!   contracts' logs) is reported as an ERC-20 `Transfer` log of `0xeeee…eeee`.

use alloy_consensus::proofs::{calculate_receipt_root, calculate_transaction_root};
use alloy_consensus::transaction::Recovered;
use alloy_consensus::{
    Eip658Value, Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, SignableTransaction,
    TxEip1559, TxEnvelope,
};
use alloy_primitives::{
    Address, B64, B256, Bloom, Bytes, Log, LogData, Signature, U256, keccak256,
};
use alloy_rpc_types_eth::{BlockTransactions, Transaction, TransactionRequest};
use fvm_shared::econ::TokenAmount;
use serde::Deserialize;
use serde_json::{Value, json};
use tandem_evm::exit::REVERTED;
use tandem_evm::tx::EthReceipt;
use tandem_vm::executor::Executor;
use tandem_vm::trace::{FrameKind, Tracer};

use super::{Handler, Params, state_block, to_value};
use crate::blocks::BlockRecord;
use crate::error::{RpcError, RpcResult};
use crate::node::{BLOCK_GAS_LIMIT, Node};
use crate::overrides::{self, BlockOverrides, StateOverrides};
use crate::state::{CallSite, f4, tx_from_request};
use crate::{frames, shapes};

pub const METHODS: &[(&str, Handler)] = &[("eth_simulateV1", simulate)];

/// At most this many blocks (gap fillers included) and calls in one request.
const MAX_BLOCKS: u64 = 256;
const MAX_CALLS: usize = 1_000;
/// At most this much gas used by all the calls of one simulation together (each block may
/// use a block's gas; the calls stop at the first block that goes over).
pub const MAX_SIMULATE_GAS: u64 = 10 * BLOCK_GAS_LIMIT;

/// The pseudo-address of value-transfer logs (`traceTransfers`), as geth uses.
const TRANSFER_ADDRESS: Address = Address::new([0xee; 20]);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Payload {
    block_state_calls: Vec<SimBlock>,
    #[serde(default)]
    trace_transfers: bool,
    #[serde(default)]
    validation: bool,
    #[serde(default)]
    return_full_transactions: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SimBlock {
    block_overrides: Option<BlockOverrides>,
    state_overrides: Option<StateOverrides>,
    #[serde(default)]
    calls: Vec<TransactionRequest>,
}

/// A call's outcome in its simulated block.
struct CallOut {
    env: TxEnvelope,
    from: Address,
    receipt: EthReceipt,
    logs: Vec<Log>,
}

/// `eth_simulateV1(payload, block = latest)`.
fn simulate(node: &Node, p: &Params) -> RpcResult<Value> {
    let payload: Payload = p.get(0)?;
    let base = state_block(node, p.opt(1)?)?;
    let calls: usize = payload
        .block_state_calls
        .iter()
        .map(|b| b.calls.len())
        .sum();
    if calls > MAX_CALLS {
        return Err(RpcError::invalid_params(format!(
            "too many calls: {calls} (at most {MAX_CALLS})"
        )));
    }
    let mut exec = CallSite::at(node, &base)?.executor(node)?;
    let mut parent = (*base).clone();
    let mut out = Vec::new();
    let mut gas_used = 0u64;
    for (i, block) in payload.block_state_calls.iter().enumerate() {
        let o = block.block_overrides.as_ref();
        let number = match o.and_then(|o| o.number) {
            Some(n) => n.to::<u64>(),
            None => parent.number() + 1,
        };
        if number <= parent.number() {
            return Err(RpcError::new(
                -38020,
                format!(
                    "block {i}: number {number} is not after the previous block's {}",
                    parent.number()
                ),
            ));
        }
        if number - base.number() > MAX_BLOCKS {
            return Err(RpcError::new(
                -38026,
                format!("too many blocks: at most {MAX_BLOCKS}"),
            ));
        }
        // Empty blocks fill a gap the numbers leave.
        while parent.number() + 1 < number {
            let empty = SimBlock::default();
            let (record, v) = run_block(node, &mut exec, &parent, &empty, &payload, None)?;
            out.push(v);
            parent = record;
        }
        let (record, v) = run_block(node, &mut exec, &parent, block, &payload, Some(i))?;
        gas_used = gas_used.saturating_add(record.header.gas_used);
        if gas_used > MAX_SIMULATE_GAS {
            return Err(RpcError::server(format!(
                "block {i}: the simulation used more than {MAX_SIMULATE_GAS} gas \
                 (MAX_SIMULATE_GAS)"
            )));
        }
        out.push(v);
        parent = record;
    }
    Ok(Value::Array(out))
}

/// Runs one simulated block on `exec` after `parent`; returns its record and its JSON.
fn run_block(
    node: &Node,
    exec: &mut Executor,
    parent: &BlockRecord,
    block: &SimBlock,
    payload: &Payload,
    index: Option<usize>,
) -> RpcResult<(BlockRecord, Value)> {
    let at = |e: RpcError| match index {
        Some(i) => RpcError {
            message: format!("block {i}: {}", e.message),
            ..e
        },
        None => e,
    };
    let number = parent.number() + 1;
    let o = block.block_overrides.as_ref();
    let timestamp = match o.and_then(|o| o.time) {
        Some(t) => t.to::<u64>(),
        None => parent.header.timestamp.saturating_add(1),
    };
    if timestamp <= parent.header.timestamp {
        return Err(at(RpcError::new(
            -38021,
            format!(
                "timestamp {timestamp} is not after the previous block's {}",
                parent.header.timestamp
            ),
        )));
    }
    let base_fee = if payload.validation {
        node.next_base_fee(parent)
    } else {
        0
    };
    let network = &mut exec.machine.network;
    network.epoch = number.min(i64::MAX as u64) as i64;
    network.timestamp = timestamp;
    network.base_fee = TokenAmount::from_atto(base_fee);
    network.prev_randao = keccak256(number.to_be_bytes()).0;
    network.block_gas_limit = BLOCK_GAS_LIMIT;
    // What an earlier block's overrides set does not carry over.
    network.coinbase = fvm_shared::address::Address::new_id(tandem_vm::builtin::REWARD_ACTOR_ID);
    network.blob_base_fee = TokenAmount::from_atto(node.next_blob_base_fee(parent));
    // BLOCKHASH sees the simulated blocks before this one, as their headers hash.
    let hashes = network.block_hashes.take().unwrap_or_default();
    network.block_hashes = Some(hashes.extended(parent.number(), parent.hash.0));
    if let Some(o) = o {
        overrides::apply_block_env(network, o).map_err(at)?;
    }
    let network = network.clone();
    if let Some(s) = block.state_overrides.as_ref().filter(|s| !s.is_empty()) {
        overrides::check(s).map_err(at)?;
        overrides::apply(exec, s)?;
    }
    crate::history::write_parent_hash(exec, parent.hash);
    let mut calls = Vec::with_capacity(block.calls.len());
    let mut used = 0u64;
    for (j, req) in block.calls.iter().enumerate() {
        let left = network.block_gas_limit.saturating_sub(used);
        let call = run_one(node, exec, req, payload, left).map_err(|e| {
            at(RpcError {
                message: format!("call {j}: {}", e.message),
                ..e
            })
        })?;
        used += call.receipt.gas_used;
        calls.push(call);
    }
    let withdrawals = o.and_then(|o| o.withdrawals.as_deref());
    if let Some(w) = withdrawals {
        overrides::credit_withdrawals(exec, w)?;
    }
    let root = exec.flush()?;
    let mut header = header(parent, &network, &calls, &root, node);
    // What the overrides set that the header shows.
    header.gas_limit = network.block_gas_limit;
    if let Some(to) = o.and_then(|o| o.fee_recipient) {
        header.beneficiary = to;
    }
    if let Some(w) = withdrawals {
        header.withdrawals_root = Some(alloy_consensus::proofs::calculate_withdrawals_root(w));
    }
    let record = BlockRecord {
        hash: header.hash_slow(),
        header,
        state: root.to_string(),
        txs: calls.iter().map(|c| *c.env.tx_hash()).collect(),
        messages: Vec::new(),
    };
    let json = block_json(&record, &calls, payload.return_full_transactions)?;
    Ok((record, json))
}

/// Runs one call of a simulated block with at most `gas_left` gas.
fn run_one(
    node: &Node,
    exec: &mut Executor,
    req: &TransactionRequest,
    payload: &Payload,
    gas_left: u64,
) -> RpcResult<CallOut> {
    let from = req.from.unwrap_or_default();
    let cap = tandem_evm::spec::max_tx_gas(exec.machine.network.hardfork, gas_left);
    let gas = match req.gas {
        Some(g) if g > gas_left => {
            return Err(RpcError::new(
                -38015,
                format!("block gas limit reached: {g} > {gas_left} left"),
            ));
        }
        Some(g) => g,
        None => cap,
    };
    let state_nonce = {
        let state = &mut exec.machine.state;
        match state.lookup_id(&f4(&from))? {
            Some(id) => state.get_actor(id)?.map(|r| r.sequence).unwrap_or(0),
            None => 0,
        }
    };
    let mut req = req.clone();
    let nonce = if payload.validation {
        req.nonce.unwrap_or(state_nonce)
    } else {
        state_nonce
    };
    if payload.validation && req.gas_price.is_none() && req.max_fee_per_gas.is_none() {
        let base: u128 = shapes_u128(&exec.machine.network.base_fee);
        req.max_fee_per_gas = Some(base);
    }
    let tx = tx_from_request(&req, from, nonce, gas);
    if payload.trace_transfers {
        let limit = super::trace_budget::REQUEST_LIMIT;
        exec.machine.tracer = Some(Box::new(Tracer::with_limit(None, limit)));
    }
    let applied = if payload.validation {
        tandem_evm::tx::apply_tx(exec, &tx)
    } else {
        tandem_evm::tx::apply_tx_any_sender(exec, &tx)
    };
    let tracer = exec.machine.tracer.take();
    let receipt = applied.map_err(|e| RpcError::from_tx(&e, &from))?;
    if let Some(t) = &tracer {
        super::trace_budget::check(t)?;
    }
    let logs = match tracer {
        Some(t) => traced_logs(exec, &t)?,
        None => receipt
            .logs
            .iter()
            .map(|l| Log {
                address: Address::from(l.address),
                data: LogData::new_unchecked(l.topics.clone(), l.data.clone()),
            })
            .collect(),
    };
    let env = envelope(node, &tx);
    Ok(CallOut {
        env,
        from,
        receipt,
        logs,
    })
}

fn shapes_u128(t: &TokenAmount) -> u128 {
    tandem_evm::address::tokens_to_u256(t)
        .try_into()
        .unwrap_or(u128::MAX)
}

/// The transaction a call stands for, with a placeholder signature (the node knows the
/// sender), so it has a hash for its logs and the block.
fn envelope(node: &Node, tx: &tandem_evm::tx::EthTx) -> TxEnvelope {
    let t = TxEip1559 {
        chain_id: node.chain_id(),
        nonce: tx.nonce,
        gas_limit: tx.gas_limit,
        max_fee_per_gas: tx.max_fee_per_gas,
        max_priority_fee_per_gas: tx.max_priority_fee_per_gas,
        to: match tx.to {
            Some(to) => alloy_primitives::TxKind::Call(Address::from(to)),
            None => alloy_primitives::TxKind::Create,
        },
        value: tx.value,
        access_list: Default::default(),
        input: tx.input.clone(),
    };
    t.into_signed(Signature::new(U256::from(1), U256::from(1), false))
        .into()
}

/// The logs of a traced call in execution order, each value transfer of a frame that did
/// not fail (nor any frame above it) as a `Transfer(from, to, value)` log of `0xeeee…eeee`
/// before what the frame logged.
fn traced_logs(exec: &mut Executor, t: &Tracer) -> anyhow::Result<Vec<Log>> {
    let mut out = Vec::new();
    for root in t.roots() {
        frame_logs(exec, t, root, &mut out)?;
    }
    Ok(out)
}

fn frame_logs(exec: &mut Executor, t: &Tracer, i: usize, out: &mut Vec<Log>) -> anyhow::Result<()> {
    let f = &t.frames[i];
    if f.failed() {
        return Ok(());
    }
    let state = &mut exec.machine.state;
    let value = frames::value_of(f);
    if !value.is_zero() && f.kind != FrameKind::DelegateCall {
        let from = frames::eth_of(state, f.caller);
        let to = frames::to_address(state, f);
        let topic = keccak256("Transfer(address,address,uint256)");
        out.push(Log {
            address: TRANSFER_ADDRESS,
            data: LogData::new_unchecked(
                vec![topic, from.into_word(), to.into_word()],
                Bytes::from(value.to_be_bytes::<32>().to_vec()),
            ),
        });
    }
    let mut next_child = 0;
    for (position, event) in &f.events {
        while next_child < (*position).min(f.children.len()) {
            frame_logs(exec, t, f.children[next_child], out)?;
            next_child += 1;
        }
        let state = &mut exec.machine.state;
        for l in tandem_evm::tx::eth_logs(state, std::slice::from_ref(event))? {
            out.push(Log {
                address: Address::from(l.address),
                data: LogData::new_unchecked(l.topics, l.data),
            });
        }
    }
    for &child in &f.children[next_child.min(f.children.len())..] {
        frame_logs(exec, t, child, out)?;
    }
    Ok(())
}

/// The simulated block's header: its calls' transactions and receipts rooted as on
/// Ethereum; `stateRoot` the digest of the simulated IPLD state root.
fn header(
    parent: &BlockRecord,
    network: &tandem_vm::kernel::NetworkContext,
    calls: &[CallOut],
    root: &cid::Cid,
    node: &Node,
) -> Header {
    let mut cumulative = 0;
    let mut bloom = Bloom::default();
    let receipts: Vec<ReceiptEnvelope> = calls
        .iter()
        .map(|c| {
            cumulative += c.receipt.gas_used;
            let r = ReceiptWithBloom::from(Receipt {
                status: Eip658Value::Eip658(c.receipt.success),
                cumulative_gas_used: cumulative,
                logs: c.logs.clone(),
            });
            bloom.accrue_bloom(&r.logs_bloom);
            ReceiptEnvelope::Eip1559(r)
        })
        .collect();
    let envelopes: Vec<&TxEnvelope> = calls.iter().map(|c| &c.env).collect();
    let digest = root.hash().digest();
    Header {
        parent_hash: parent.hash,
        ommers_hash: alloy_consensus::constants::EMPTY_OMMER_ROOT_HASH,
        beneficiary: parent.header.beneficiary,
        state_root: if digest.len() == 32 {
            B256::from_slice(digest)
        } else {
            keccak256(root.to_bytes())
        },
        transactions_root: calculate_transaction_root(&envelopes),
        receipts_root: calculate_receipt_root(&receipts),
        logs_bloom: bloom,
        number: network.epoch as u64,
        gas_limit: BLOCK_GAS_LIMIT,
        gas_used: cumulative,
        timestamp: network.timestamp,
        mix_hash: B256::from(network.prev_randao),
        nonce: B64::ZERO,
        base_fee_per_gas: Some(
            shapes_u128(&network.base_fee)
                .try_into()
                .unwrap_or(u64::MAX),
        ),
        withdrawals_root: parent.header.withdrawals_root,
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: shapes::requests_hash(node.hardfork()),
        ..Default::default()
    }
}

/// A simulated block as geth answers it: the block, plus `calls` with each call's status,
/// return data, gas used, logs and error.
fn block_json(record: &BlockRecord, calls: &[CallOut], full: bool) -> RpcResult<Value> {
    let mut block = shapes::block(record, None)?;
    if full {
        block.transactions = BlockTransactions::Full(
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| Transaction {
                    inner: Recovered::new_unchecked(c.env.clone(), c.from),
                    block_hash: Some(record.hash),
                    block_number: Some(record.number()),
                    transaction_index: Some(i as u64),
                    effective_gas_price: Some(shapes_u128(&TokenAmount::from_atto(
                        record.header.base_fee_per_gas.unwrap_or(0),
                    ))),
                    block_timestamp: Some(record.header.timestamp),
                })
                .collect(),
        );
    }
    let mut log_index = 0u64;
    let mut results = Vec::with_capacity(calls.len());
    for (i, c) in calls.iter().enumerate() {
        let logs: Vec<alloy_rpc_types_eth::Log> = c
            .logs
            .iter()
            .map(|l| {
                log_index += 1;
                alloy_rpc_types_eth::Log {
                    inner: l.clone(),
                    block_hash: Some(record.hash),
                    block_number: Some(record.number()),
                    block_timestamp: Some(record.header.timestamp),
                    transaction_hash: Some(*c.env.tx_hash()),
                    transaction_index: Some(i as u64),
                    log_index: Some(log_index - 1),
                    removed: false,
                }
            })
            .collect();
        let mut r = json!({
            "status": if c.receipt.success { "0x1" } else { "0x0" },
            "returnData": c.receipt.output,
            "gasUsed": format!("0x{:x}", c.receipt.gas_used),
            "logs": logs,
        });
        if !c.receipt.success {
            r["error"] = call_error(&c.receipt);
        }
        results.push(r);
    }
    let mut v = to_value(block)?;
    v["calls"] = Value::Array(results);
    Ok(v)
}

/// A failed call's `error`: a revert is code 3 with its data, anything else -32015 (geth's
/// VM error).
fn call_error(r: &EthReceipt) -> Value {
    if r.exit_code == REVERTED {
        let e = RpcError::reverted(&r.output);
        return json!({"code": e.code, "message": e.message, "data": r.output});
    }
    let message = if r.exit_code == fvm_shared::error::ExitCode::SYS_OUT_OF_GAS {
        "out of gas".to_string()
    } else {
        r.failure
            .clone()
            .unwrap_or_else(|| "execution failed".into())
    };
    json!({"code": -32015, "message": message})
}
