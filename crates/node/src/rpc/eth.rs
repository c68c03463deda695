//! `eth_*`, `net_*` and `web3_*`: chain and blocks, state, execution, transactions.

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use alloy_rpc_types_eth::{FeeHistory, TransactionRequest};
use serde_json::Value;

use super::{Handler, Params, find_block, quantity, state_block, to_value};
use crate::error::{INTERNAL_ERROR, RpcError, RpcResult};
use crate::node::{BLOCK_GAS_LIMIT, DEFAULT_PRIORITY_FEE, Node};
use crate::overrides::{BlockOverrides, StateOverrides};
use crate::shapes;
use crate::state::{self, CallSite, StateView};

pub const METHODS: &[(&str, Handler)] = &[
    ("eth_chainId", chain_id),
    ("net_version", net_version),
    ("net_listening", |_, _| Ok(Value::Bool(true))),
    ("net_peerCount", |_, _| Ok(quantity(0u8))),
    ("web3_clientVersion", |_, _| {
        Ok(Value::String(format!(
            "tandem/v{}",
            env!("CARGO_PKG_VERSION")
        )))
    }),
    ("web3_sha3", web3_sha3),
    ("eth_syncing", |_, _| Ok(Value::Bool(false))),
    ("eth_mining", |_, _| Ok(Value::Bool(true))),
    ("eth_hashrate", |_, _| Ok(quantity(0u8))),
    ("eth_coinbase", coinbase),
    ("eth_blockNumber", |node, _| {
        Ok(quantity(node.latest_number()))
    }),
    ("eth_gasPrice", |node, _| {
        Ok(quantity(node.base_fee() + DEFAULT_PRIORITY_FEE))
    }),
    ("eth_maxPriorityFeePerGas", |_, _| {
        Ok(quantity(DEFAULT_PRIORITY_FEE))
    }),
    ("eth_blobBaseFee", |node, _| {
        Ok(quantity(node.blob_base_fee()))
    }),
    ("eth_feeHistory", fee_history),
    ("eth_getBlockByNumber", block_by_number),
    ("eth_getBlockByHash", block_by_hash),
    ("eth_getBlockTransactionCountByNumber", tx_count_by_number),
    ("eth_getBlockTransactionCountByHash", tx_count_by_hash),
    ("eth_getUncleCountByBlockNumber", |_, _| Ok(quantity(0u8))),
    ("eth_getUncleCountByBlockHash", |_, _| Ok(quantity(0u8))),
    ("eth_getBlockReceipts", block_receipts),
    ("eth_getBalance", balance),
    ("eth_getTransactionCount", transaction_count),
    ("eth_getCode", code),
    ("eth_getStorageAt", storage_at),
    ("eth_call", call),
    ("eth_estimateGas", estimate_gas),
    ("eth_sendRawTransaction", send_raw_transaction),
    ("eth_sendTransaction", send_transaction),
    ("eth_accounts", accounts),
    ("eth_getTransactionByHash", transaction_by_hash),
    (
        "eth_getTransactionByBlockNumberAndIndex",
        tx_by_number_and_index,
    ),
    (
        "eth_getTransactionByBlockHashAndIndex",
        tx_by_hash_and_index,
    ),
    ("eth_getTransactionReceipt", transaction_receipt),
    ("eth_sendRawTransactionSync", send_raw_transaction_sync),
];

fn chain_id(node: &Node, _: &Params) -> RpcResult<Value> {
    Ok(quantity(node.chain_id()))
}

fn net_version(node: &Node, _: &Params) -> RpcResult<Value> {
    Ok(Value::String(node.chain_id().to_string()))
}

fn web3_sha3(_: &Node, p: &Params) -> RpcResult<Value> {
    let data: Bytes = p.get(0)?;
    to_value(alloy_primitives::keccak256(&data))
}

fn coinbase(node: &Node, _: &Params) -> RpcResult<Value> {
    to_value(node.latest().header.beneficiary)
}

fn fee_history(node: &Node, p: &Params) -> RpcResult<Value> {
    let count: U256 = p.get(0)?;
    let newest: BlockNumberOrTag = p.get(1)?;
    let percentiles: Option<Vec<f64>> = p.opt(2)?;
    let count = count.min(U256::from(1024)).to::<u64>();
    let newest = super::block_number(node, newest)?.unwrap_or(node.latest_number());
    let oldest = (newest + 1).saturating_sub(count).max(node.first_number());
    let latest = node.latest_number();
    let mut base_fees = Vec::new();
    let mut ratios = Vec::new();
    let mut blob_fees = Vec::new();
    let mut blob_ratios = Vec::new();
    let max_blob_gas = crate::block_limits::max_blob_gas(node.hardfork()).max(1);
    let mut rewards = Vec::new();
    for n in oldest..=newest {
        if count == 0 {
            break;
        }
        let Some(b) = node.blocks.block(n, latest)? else {
            break;
        };
        base_fees.push(b.header.base_fee_per_gas.unwrap_or(0) as u128);
        ratios.push(b.header.gas_used as f64 / b.header.gas_limit.max(1) as f64);
        blob_fees.push(shapes::blob_base_fee(&b.header));
        blob_ratios.push(b.header.blob_gas_used.unwrap_or(0) as f64 / max_blob_gas as f64);
        if let Some(ps) = &percentiles {
            let tip = if b.txs.is_empty() {
                0
            } else {
                DEFAULT_PRIORITY_FEE
            };
            rewards.push(vec![tip; ps.len()]);
        }
    }
    // The next block's fees.
    base_fees.push(node.base_fee());
    blob_fees.push(node.blob_base_fee());
    let history = FeeHistory {
        base_fee_per_gas: base_fees,
        gas_used_ratio: ratios,
        base_fee_per_blob_gas: blob_fees,
        blob_gas_used_ratio: blob_ratios,
        oldest_block: oldest,
        reward: percentiles.map(|_| rewards),
    };
    to_value(history)
}

fn block_json(node: &Node, id: BlockId, full: bool) -> RpcResult<Value> {
    if id == BlockId::Number(BlockNumberOrTag::Pending) {
        let pending = node.pending_block()?;
        return to_value(shapes::pending_block(&pending, full)?);
    }
    let Some(block) = find_block(node, id)? else {
        return Ok(Value::Null);
    };
    let txs = if full {
        Some(node.blocks.block_txs(&block)?)
    } else {
        None
    };
    let mut value = to_value(shapes::block(&block, txs)?)?;
    // The header's stateRoot is the Ethereum trie's; Tandem's IPLD state root beside it.
    if let Value::Object(o) = &mut value {
        o.insert("tandemStateRoot".into(), Value::String(block.state.clone()));
    }
    Ok(value)
}

fn block_by_number(node: &Node, p: &Params) -> RpcResult<Value> {
    let tag: BlockNumberOrTag = p.get(0)?;
    let full = p.opt::<bool>(1)?.unwrap_or(false);
    block_json(node, BlockId::Number(tag), full)
}

fn block_by_hash(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    let full = p.opt::<bool>(1)?.unwrap_or(false);
    block_json(node, BlockId::from(hash), full)
}

fn tx_count(node: &Node, id: BlockId) -> RpcResult<Value> {
    Ok(match find_block(node, id)? {
        Some(b) => quantity(b.txs.len() as u64),
        None => Value::Null,
    })
}

fn tx_count_by_number(node: &Node, p: &Params) -> RpcResult<Value> {
    tx_count(node, BlockId::Number(p.get(0)?))
}

fn tx_count_by_hash(node: &Node, p: &Params) -> RpcResult<Value> {
    tx_count(node, BlockId::from(p.get::<B256>(0)?))
}

fn block_receipts(node: &Node, p: &Params) -> RpcResult<Value> {
    let id: BlockId = p.get(0)?;
    let Some(block) = find_block(node, id)? else {
        return Ok(Value::Null);
    };
    let receipts = node
        .blocks
        .block_txs(&block)?
        .iter()
        .map(|t| shapes::receipt_json(t, &block))
        .collect::<anyhow::Result<Vec<_>>>()?;
    to_value(receipts)
}

fn view(node: &Node, p: &Params, i: usize) -> RpcResult<StateView> {
    let block = state_block(node, p.opt(i)?)?;
    Ok(StateView::of(node, &block)?)
}

fn balance(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    to_value(view(node, p, 1)?.balance(&addr)?)
}

fn transaction_count(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let id: Option<BlockId> = p.opt(1)?;
    if id == Some(BlockId::Number(BlockNumberOrTag::Pending)) {
        return Ok(quantity(node.pending_nonce(&addr)?));
    }
    Ok(quantity(view(node, p, 1)?.nonce(&addr)?))
}

fn code(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    to_value(view(node, p, 1)?.code(&addr)?)
}

fn storage_at(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let slot: U256 = p.get(1)?;
    to_value(view(node, p, 2)?.storage(&addr, &B256::from(slot))?)
}

/// The site of `eth_call` / `eth_estimateGas`: the block (param 1), then geth's state
/// overrides (param 2) and block overrides (param 3).
fn call_site(node: &Node, p: &Params, default_pending: bool) -> RpcResult<CallSite> {
    let site = CallSite::resolve(node, p.opt(1)?, default_pending)?;
    let state: Option<StateOverrides> = p.opt(2)?;
    let block: Option<BlockOverrides> = p.opt(3)?;
    site.with_overrides(node, state.as_ref(), block.as_ref())
}

fn call(node: &Node, p: &Params) -> RpcResult<Value> {
    let req: TransactionRequest = p.get(0)?;
    let site = call_site(node, p, false)?;
    to_value(state::call(node, &req, &site)?)
}

/// Estimates at `pending` unless told otherwise (as Hardhat does): the block the
/// transaction would be mined in.
///
/// The limit found is then checked where the transaction may really land: unless
/// `evm_setNextBlockTimestamp` fixed it, the clock can tick before the transaction is mined,
/// so at `pending` the limit must also succeed one second later; if it does not, the
/// estimate there is taken when larger. If the call fails outright a second later (a vote
/// in the last second of a voting period), no limit helps there and the next block's answer
/// stands, as on Hardhat. Either way the answer is a limit that was run and succeeded in the
/// next block's context.
fn estimate_gas(node: &Node, p: &Params) -> RpcResult<Value> {
    let req: TransactionRequest = p.get(0)?;
    let site = call_site(node, p, true)?;
    let gas = state::estimate_gas(node, &req, &site)?;
    let pending = matches!(
        p.opt::<BlockId>(1)?,
        None | Some(BlockId::Number(BlockNumberOrTag::Pending))
    );
    let time_overridden = p
        .opt::<BlockOverrides>(3)?
        .is_some_and(|o| o.time.is_some());
    if !pending || time_overridden || node.lock().next_timestamp.is_some() {
        return Ok(quantity(gas));
    }
    let mut later = call_site(node, p, true)?;
    later.network.timestamp = later.network.timestamp.saturating_add(1);
    let holds = state::run_call(node, &req, &later, gas).is_ok_and(|(r, _)| r.success);
    if holds {
        return Ok(quantity(gas));
    }
    match state::estimate_gas(node, &req, &later) {
        Ok(at_later) => Ok(quantity(gas.max(at_later))),
        Err(e) if e.code == INTERNAL_ERROR => Err(e),
        Err(_) => Ok(quantity(gas)),
    }
}

fn send_raw_transaction(node: &Node, p: &Params) -> RpcResult<Value> {
    let raw: Bytes = p.get(0)?;
    let env = super::raw_tx::decode(&raw)?;
    let sender = match node.presend.take(env.tx_hash()) {
        Some(sender) => sender,
        None => env
            .recover_signer()
            .map_err(|e| RpcError::server(format!("invalid sender: {e}")))?,
    };
    let tx = state::tx_from_envelope(&env, sender);
    to_value(node.submit(env, tx)?)
}

/// Fills a request from a dev (or impersonated) account, signs it and submits it.
fn send_transaction(node: &Node, p: &Params) -> RpcResult<Value> {
    let mut req: TransactionRequest = p.get(0)?;
    let from = req
        .from
        .ok_or_else(|| RpcError::invalid_params("`from` is required"))?;
    let dev = node.dev_account(&from).cloned();
    if dev.is_none() && !node.is_impersonated(&from) {
        return Err(RpcError::server(format!("unknown account {from}")));
    }
    let given_nonce = req.nonce;
    let gas = match req.gas {
        Some(g) => g,
        None => {
            // Estimate as the next block would run it.
            req.nonce = None;
            state::estimate_gas(node, &req, &CallSite::pending(node)?)?
        }
    };
    // From choosing the nonce to submitting, one send at a time: concurrent sends from one
    // account must not pick the same nonce.
    let _fill = node.send_fill.lock().unwrap_or_else(|e| e.into_inner());
    let nonce = match given_nonce {
        Some(n) => n,
        None => node.pending_nonce(&from)?,
    };
    let to = req.to.unwrap_or(TxKind::Create);
    let input = req.input.input().cloned().unwrap_or_default();
    let value = req.value.unwrap_or_default();
    let chain_id = node.chain_id();
    if let (Some(gas_price), None) = (req.gas_price, req.max_fee_per_gas) {
        let tx = TxLegacy {
            chain_id: Some(chain_id),
            nonce,
            gas_price,
            gas_limit: gas,
            to,
            value,
            input,
        };
        let hash = tx.signature_hash();
        return finish(node, from, dev, hash, move |sig| tx.into_signed(sig).into());
    }
    let base = node.base_fee();
    let tip = req.max_priority_fee_per_gas.unwrap_or(DEFAULT_PRIORITY_FEE);
    let max_fee = req.max_fee_per_gas.unwrap_or(2 * base + tip);
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas.min(BLOCK_GAS_LIMIT),
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip.min(max_fee),
        to,
        value,
        access_list: req.access_list.clone().unwrap_or_default(),
        input,
    };
    let hash = tx.signature_hash();
    finish(node, from, dev, hash, move |sig| tx.into_signed(sig).into())
}

fn finish(
    node: &Node,
    from: Address,
    dev: Option<crate::accounts::DevAccount>,
    hash: B256,
    sign: impl FnOnce(Signature) -> TxEnvelope,
) -> RpcResult<Value> {
    let sig = match dev {
        Some(d) => d.sign_hash(&hash)?,
        // Impersonated: a placeholder signature; the node knows the sender.
        None => Signature::new(U256::from(1), U256::from(1), false),
    };
    let env = sign(sig);
    let tx = state::tx_from_envelope(&env, from);
    to_value(node.submit(env, tx)?)
}

fn accounts(node: &Node, _: &Params) -> RpcResult<Value> {
    to_value(node.accounts.iter().map(|a| a.address).collect::<Vec<_>>())
}

fn transaction_by_hash(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    if let Some((rec, block)) = node.blocks.tx(&hash, node.latest_number())? {
        return to_value(shapes::transaction(&rec, &block)?);
    }
    match node.pending_tx(&hash) {
        Some((env, from)) => to_value(shapes::pending_transaction(env, from)),
        None => Ok(Value::Null),
    }
}

fn tx_at(node: &Node, id: BlockId, index: U256) -> RpcResult<Value> {
    let Some(block) = find_block(node, id)? else {
        return Ok(Value::Null);
    };
    let Some(hash) = block.txs.get(index.saturating_to::<usize>()) else {
        return Ok(Value::Null);
    };
    match node.blocks.tx(hash, node.latest_number())? {
        Some((rec, block)) => to_value(shapes::transaction(&rec, &block)?),
        None => Ok(Value::Null),
    }
}

fn tx_by_number_and_index(node: &Node, p: &Params) -> RpcResult<Value> {
    tx_at(node, BlockId::Number(p.get(0)?), p.get(1)?)
}

fn tx_by_hash_and_index(node: &Node, p: &Params) -> RpcResult<Value> {
    tx_at(node, BlockId::from(p.get::<B256>(0)?), p.get(1)?)
}

/// EIP-7966 `eth_sendRawTransactionSync(raw, timeoutMs?)`: sends and answers with the
/// receipt once mined (at once in automine), or error 4 with the hash after the timeout.
fn send_raw_transaction_sync(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 =
        serde_json::from_value(send_raw_transaction(node, p)?).map_err(RpcError::internal)?;
    let timeout_ms = p
        .opt::<alloy_primitives::U64>(1)?
        .map(|t| t.to::<u64>())
        .unwrap_or(SYNC_SEND_TIMEOUT_MS)
        .min(MAX_SYNC_SEND_TIMEOUT_MS);
    let start = std::time::Instant::now();
    let mut waiter = None;
    loop {
        if let Some((rec, block)) = node.blocks.tx(&hash, node.latest_number())? {
            return Ok(shapes::receipt_json(&rec, &block)?);
        }
        if start.elapsed().as_millis() as u64 >= timeout_ms {
            return Err(RpcError {
                code: 4,
                message: format!("the transaction was added but not mined within {timeout_ms} ms"),
                data: Some(Value::String(hash.to_string())),
            });
        }
        if waiter.is_none() {
            // The transaction is in; only the wait is refused.
            waiter = Some(node.waiters.enter().map_err(|e| RpcError {
                code: 4,
                message: format!("the transaction was added; {}", e.message),
                data: Some(Value::String(hash.to_string())),
            })?);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Default and longest waits of `eth_sendRawTransactionSync`.
const SYNC_SEND_TIMEOUT_MS: u64 = 2_000;
const MAX_SYNC_SEND_TIMEOUT_MS: u64 = 60_000;

fn transaction_receipt(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    match node.blocks.tx(&hash, node.latest_number())? {
        Some((rec, block)) => Ok(shapes::receipt_json(&rec, &block)?),
        None => Ok(Value::Null),
    }
}
