//! The `ots_*` methods Otterscan uses (Erigon's Otterscan API, level 8), answered from the
//! node's block and transaction records and its per-block states.
//!
//! The node keeps no address index: searches scan block records (a dev chain is short), and
//! lookups by nonce or creation bisect the per-block states. The call-trace methods
//! (`ots_traceTransaction`, `ots_getInternalOperations`) replay the transaction with the VM
//! tracer and flatten its `callTracer` tree.

use alloy_consensus::Transaction as _;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, B256, U256};
use serde_json::{Value, json};

use super::{Handler, Params, quantity, to_value};
use crate::blocks::{BlockRecord, TxRecord};
use crate::error::{RpcError, RpcResult};
use crate::node::Node;
use crate::shapes;
use crate::state::{self, StateView};

/// The Otterscan API level the answers follow.
pub const API_LEVEL: u64 = 8;

pub const METHODS: &[(&str, Handler)] = &[
    ("ots_getApiLevel", |_, _| Ok(Value::from(API_LEVEL))),
    ("ots_hasCode", has_code),
    ("ots_getTransactionError", transaction_error),
    ("ots_getBlockDetails", block_details),
    ("ots_getBlockDetailsByHash", block_details_by_hash),
    ("ots_getBlockTransactions", block_transactions),
    ("ots_searchTransactionsBefore", search_before),
    ("ots_searchTransactionsAfter", search_after),
    ("ots_getTransactionBySenderAndNonce", tx_by_sender_and_nonce),
    ("ots_getContractCreator", contract_creator),
    ("ots_traceTransaction", trace_transaction),
    ("ots_getInternalOperations", internal_operations),
];

/// The `callTracer` tree of a mined transaction (replayed with the VM tracer).
fn call_tree(node: &Node, hash: B256) -> RpcResult<Value> {
    let block = crate::replay::tx_block(node, &hash)?;
    crate::replay::replay_one(
        node,
        &block,
        crate::replay::Key::Tx(hash),
        None,
        &mut |exec, t| {
            Ok(super::debug::call_tree(
                &mut exec.machine.state,
                &t,
                super::debug::CallShape::default(),
            ))
        },
    )
}

/// The frames of a call tree in order, each with its depth (the transaction's is 0).
fn flatten<'a>(frame: &'a Value, depth: u64, out: &mut Vec<(u64, &'a Value)>) {
    out.push((depth, frame));
    for child in frame["calls"].as_array().into_iter().flatten() {
        flatten(child, depth + 1, out);
    }
}

/// `ots_traceTransaction(hash)`: every frame, `{type, depth, from, to, value, input,
/// output}` (`value` null where the call carries none).
fn trace_transaction(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    let tree = call_tree(node, hash)?;
    let mut frames = Vec::new();
    flatten(&tree, 0, &mut frames);
    let out = frames
        .into_iter()
        .map(|(depth, f)| {
            json!({
                "type": f["type"],
                "depth": depth,
                "from": f["from"],
                "to": f["to"],
                "value": f.get("value").cloned().unwrap_or(Value::Null),
                "input": f.get("input").cloned().unwrap_or(json!("0x")),
                "output": f.get("output").cloned().unwrap_or(json!("0x")),
            })
        })
        .collect();
    Ok(Value::Array(out))
}

/// `ots_getInternalOperations(hash)`: value moved by inner calls (type 0) and contracts
/// created by inner frames (type 2), as Erigon reports them.
fn internal_operations(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    let tree = call_tree(node, hash)?;
    let mut frames = Vec::new();
    flatten(&tree, 0, &mut frames);
    let mut out = Vec::new();
    for (depth, f) in frames {
        if depth == 0 || f.get("error").is_some() {
            continue;
        }
        let value = f.get("value").cloned().unwrap_or(json!("0x0"));
        let op = match f["type"].as_str() {
            Some("CREATE") => 2,
            Some("CREATE2") => 3,
            Some("CALL") if value != json!("0x0") => 0,
            _ => continue,
        };
        out.push(json!({"type": op, "from": f["from"], "to": f["to"], "value": value}));
    }
    Ok(Value::Array(out))
}

/// A block number as Otterscan sends it: a JSON number, a hex quantity or a tag.
fn block_param(node: &Node, p: &Params, i: usize) -> RpcResult<u64> {
    let tag = match p.get::<Value>(i)? {
        Value::Number(n) => {
            return n
                .as_u64()
                .ok_or_else(|| RpcError::invalid_params(format!("parameter {i}: a block number")));
        }
        v => serde_json::from_value::<BlockNumberOrTag>(v)
            .map_err(|e| RpcError::invalid_params(format!("parameter {i}: {e}")))?,
    };
    Ok(super::block_number(node, tag)?.unwrap_or(u64::MAX))
}

/// A page size or number: a JSON number or a hex quantity.
fn count_param(p: &Params, i: usize) -> RpcResult<u64> {
    match p.get::<Value>(i)? {
        Value::Number(n) => n.as_u64(),
        v => serde_json::from_value::<U256>(v)
            .ok()
            .map(|u| u.saturating_to()),
    }
    .ok_or_else(|| RpcError::invalid_params(format!("parameter {i}: a count")))
}

/// At most this many transactions per page of `ots_getBlockTransactions` and
/// `ots_searchTransactions*` (Otterscan asks for 25).
pub const MAX_OTS_PAGE_SIZE: u64 = 1_000;

/// A page size: 1 to [`MAX_OTS_PAGE_SIZE`] (0 reads as 1).
fn page_size(p: &Params, i: usize) -> RpcResult<u64> {
    let size = count_param(p, i)?;
    if size > MAX_OTS_PAGE_SIZE {
        return Err(RpcError::invalid_params(format!(
            "page size {size} is larger than {MAX_OTS_PAGE_SIZE} (MAX_OTS_PAGE_SIZE)"
        )));
    }
    Ok(size.max(1))
}

fn block_at(node: &Node, n: u64) -> RpcResult<Option<BlockRecord>> {
    Ok(node.blocks.block(n, node.latest_number())?)
}

fn has_code(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let block = super::state_block(node, p.opt(1)?)?;
    let mut view = StateView::at(node, &block.state_cid()?)?;
    Ok(Value::Bool(!view.code(&addr)?.is_empty()))
}

/// The revert data of a failed transaction (`0x` when it succeeded or left none).
fn transaction_error(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    let Some((rec, _)) = node.blocks.tx(&hash, node.latest_number())? else {
        return Err(RpcError::server(format!("transaction {hash} not found")));
    };
    let data = if rec.status {
        Default::default()
    } else {
        rec.output
    };
    to_value(data)
}

/// A block as Erigon's Otterscan API shapes it: no transaction list, `transactionCount`,
/// `logsBloom` null.
fn block_shape(block: &BlockRecord, txs: Option<Vec<TxRecord>>) -> RpcResult<Value> {
    let count = block.txs.len();
    let mut value = to_value(shapes::block(block, txs)?)?;
    if let Value::Object(o) = &mut value {
        o.insert("transactionCount".into(), Value::from(count));
        o.insert("logsBloom".into(), Value::Null);
    }
    Ok(value)
}

fn details(node: &Node, block: Option<BlockRecord>) -> RpcResult<Value> {
    let Some(block) = block else {
        return Ok(Value::Null);
    };
    let txs = node.blocks.block_txs(&block)?;
    let fees: u128 = txs
        .iter()
        .map(|t| t.effective_gas_price.saturating_mul(t.gas_used as u128))
        .fold(0, u128::saturating_add);
    let mut shaped = block_shape(&block, None)?;
    if let Value::Object(o) = &mut shaped {
        o.remove("transactions");
    }
    Ok(json!({
        "block": shaped,
        // A dev chain pays no block reward.
        "issuance": {"blockReward": "0x0", "uncleReward": "0x0", "issuance": "0x0"},
        "totalFees": quantity(fees),
    }))
}

fn block_details(node: &Node, p: &Params) -> RpcResult<Value> {
    let n = block_param(node, p, 0)?;
    details(node, block_at(node, n)?)
}

fn block_details_by_hash(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    details(
        node,
        node.blocks.block_by_hash(&hash, node.latest_number())?,
    )
}

/// A transaction as Otterscan's lists take it: the input cut to its 4-byte selector.
fn listed_tx(rec: &TxRecord, block: &BlockRecord) -> RpcResult<Value> {
    let mut tx = to_value(shapes::transaction(rec, block)?)?;
    if let Some(Value::String(input)) = tx.get_mut("input")
        && input.len() > 10
    {
        input.truncate(10);
    }
    Ok(tx)
}

/// A receipt for a list: no logs, no bloom, plus the block's timestamp.
fn listed_receipt(rec: &TxRecord, block: &BlockRecord) -> RpcResult<Value> {
    let mut r = shapes::receipt_json(rec, block)?;
    if let Value::Object(o) = &mut r {
        o.insert("logs".into(), Value::Null);
        o.insert("logsBloom".into(), Value::Null);
        o.insert("timestamp".into(), quantity(block.header.timestamp));
    }
    Ok(r)
}

/// `ots_getBlockTransactions(number, page, pageSize)`: page 0 holds the block's last
/// transactions (Erigon pages from the end), in block order.
fn block_transactions(node: &Node, p: &Params) -> RpcResult<Value> {
    let n = block_param(node, p, 0)?;
    let page = count_param(p, 1)?;
    let size = page_size(p, 2)?;
    let Some(block) = block_at(node, n)? else {
        return Ok(Value::Null);
    };
    let txs = node.blocks.block_txs(&block)?;
    let end = (txs.len() as u64).saturating_sub(page.saturating_mul(size)) as usize;
    let start = end.saturating_sub(size as usize);
    let slice = &txs[start..end];
    let listed = slice
        .iter()
        .map(|t| listed_tx(t, &block))
        .collect::<RpcResult<Vec<_>>>()?;
    let mut full = block_shape(&block, None)?;
    if let Value::Object(o) = &mut full {
        o.insert("transactions".into(), Value::Array(listed));
    }
    let receipts = slice
        .iter()
        .map(|t| listed_receipt(t, &block))
        .collect::<RpcResult<Vec<_>>>()?;
    Ok(json!({"fullblock": full, "receipts": receipts}))
}

/// Whether a transaction concerns `addr`: sent by it, to it, or creating it.
fn touches(rec: &TxRecord, addr: &Address) -> RpcResult<bool> {
    if rec.from == *addr || rec.contract_address == Some(*addr) {
        return Ok(true);
    }
    Ok(shapes::envelope(rec)?.to() == Some(*addr))
}

/// Scans blocks in `order` for transactions of `addr`, whole blocks at a time, until at
/// least `size` are found. Returns them newest first and whether blocks were left unread.
fn scan(
    node: &Node,
    addr: &Address,
    order: impl Iterator<Item = u64>,
    size: usize,
) -> RpcResult<(Vec<(TxRecord, BlockRecord)>, bool)> {
    let mut found = Vec::new();
    let mut order = order.peekable();
    while let Some(n) = order.next() {
        let Some(block) = block_at(node, n)? else {
            continue;
        };
        for rec in node.blocks.block_txs(&block)? {
            if touches(&rec, addr)? {
                found.push((rec, block.clone()));
            }
        }
        if found.len() >= size {
            return Ok((found, order.peek().is_some()));
        }
    }
    Ok((found, false))
}

fn search_page(found: &[(TxRecord, BlockRecord)], first: bool, last: bool) -> RpcResult<Value> {
    let txs = found
        .iter()
        .map(|(t, b)| to_value(shapes::transaction(t, b)?))
        .collect::<RpcResult<Vec<_>>>()?;
    let receipts = found
        .iter()
        .map(|(t, b)| {
            let mut r = shapes::receipt_json(t, b)?;
            if let Value::Object(o) = &mut r {
                o.insert("timestamp".into(), quantity(b.header.timestamp));
            }
            Ok(r)
        })
        .collect::<RpcResult<Vec<_>>>()?;
    Ok(json!({"txs": txs, "receipts": receipts, "firstPage": first, "lastPage": last}))
}

fn newest_first(found: &mut [(TxRecord, BlockRecord)]) {
    found.sort_by_key(|(t, _)| std::cmp::Reverse((t.block, t.index)));
}

/// `ots_searchTransactionsBefore(addr, block, pageSize)`: transactions of `addr` in blocks
/// before `block` (0: from the latest block on), newest first.
fn search_before(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let from = count_param(p, 1)?;
    let size = page_size(p, 2)? as usize;
    let latest = node.latest_number();
    let top = if from == 0 {
        latest
    } else {
        from.saturating_sub(1).min(latest)
    };
    let start_empty = from == 1;
    let blocks = (node.first_number()..=top).rev().filter(|_| !start_empty);
    let (mut found, more) = scan(node, &addr, blocks, size)?;
    newest_first(&mut found);
    search_page(&found, from == 0, !more)
}

/// `ots_searchTransactionsAfter(addr, block, pageSize)`: transactions of `addr` in blocks
/// after `block`, newest first.
fn search_after(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let from = count_param(p, 1)?;
    let size = page_size(p, 2)? as usize;
    let latest = node.latest_number();
    let (mut found, more) = scan(node, &addr, from.saturating_add(1)..=latest, size)?;
    newest_first(&mut found);
    search_page(&found, !more, from == 0)
}

/// The first block in `lo..=hi` where `pred` holds, assuming it holds from some block on;
/// `None` if it does not hold at `hi`.
fn bisect(
    lo: u64,
    hi: u64,
    mut pred: impl FnMut(u64) -> RpcResult<bool>,
) -> RpcResult<Option<u64>> {
    if !pred(hi)? {
        return Ok(None);
    }
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(Some(lo))
}

fn view_at(node: &Node, n: u64) -> RpcResult<StateView> {
    let block = block_at(node, n)?.ok_or_else(|| RpcError::server("header not found"))?;
    Ok(StateView::at(node, &block.state_cid()?)?)
}

/// `ots_getTransactionBySenderAndNonce(addr, nonce)`: the hash, or null. Bisects on the
/// sender's nonce; when a state is missing or the nonce went backwards
/// (`anvil_setNonce`), scans the blocks instead.
fn tx_by_sender_and_nonce(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let nonce = count_param(p, 1)?;
    let latest = node.latest_number();
    let matches = |rec: &TxRecord| -> RpcResult<bool> {
        Ok(rec.from == addr && shapes::envelope(rec)?.nonce() == nonce)
    };
    let found = bisect(0, latest, |n| Ok(view_at(node, n)?.nonce(&addr)? > nonce));
    if let Ok(Some(n)) = found
        && let Some(block) = block_at(node, n)?
    {
        for rec in node.blocks.block_txs(&block)? {
            if matches(&rec)? {
                return to_value(shapes::tx_hash(&rec));
            }
        }
    }
    for n in node.first_number()..=latest {
        let Some(block) = block_at(node, n)? else {
            continue;
        };
        for rec in node.blocks.block_txs(&block)? {
            if matches(&rec)? {
                return to_value(shapes::tx_hash(&rec));
            }
        }
    }
    Ok(Value::Null)
}

fn code_at(node: &Node, n: u64, addr: &Address) -> RpcResult<bool> {
    Ok(!view_at(node, n)?.code(addr)?.is_empty())
}

/// `ots_getContractCreator(addr)`: `{hash, creator}` of the transaction that deployed the
/// code at `addr`, or null for an address without code. The block is found by bisecting
/// on the code; in it, a creation transaction for `addr` names its sender. A contract
/// created by another contract is found by replaying the block's transactions on its
/// parent's state; the creator is then the contract the transaction called.
fn contract_creator(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let latest = node.latest_number();
    let Some(n) = bisect(0, latest, |n| code_at(node, n, &addr))? else {
        return Ok(Value::Null);
    };
    let Some(block) = block_at(node, n)? else {
        return Ok(Value::Null);
    };
    let txs = node.blocks.block_txs(&block)?;
    if let Some(rec) = txs.iter().find(|t| t.contract_address == Some(addr)) {
        return Ok(json!({"hash": shapes::tx_hash(rec), "creator": rec.from}));
    }
    let Some(rec) = creating_tx(node, &block, &txs, &addr)? else {
        return Ok(Value::Null);
    };
    let creator = shapes::envelope(&rec)?.to().unwrap_or(rec.from);
    Ok(json!({"hash": shapes::tx_hash(&rec), "creator": creator}))
}

/// Replays `block`'s transactions on its parent's state until `addr` has code.
fn creating_tx(
    node: &Node,
    block: &BlockRecord,
    txs: &[TxRecord],
    addr: &Address,
) -> RpcResult<Option<TxRecord>> {
    let Some(parent) = block_at(node, block.number().saturating_sub(1))? else {
        return Ok(None);
    };
    let mut exec = state::fork(node, &parent)?;
    exec.machine.network.epoch = block.number() as i64;
    exec.machine.network.timestamp = block.header.timestamp;
    for rec in txs {
        let tx = state::tx_from_envelope(&shapes::envelope(rec)?, rec.from);
        if tandem_evm::tx::apply_tx_any_sender(&mut exec, &tx).is_err() {
            continue;
        }
        let st = &mut exec.machine.state;
        let Some(id) = st.lookup_id(&state::f4(addr))? else {
            continue;
        };
        if let Some(record) = st.get_actor(id)?
            && !state::evm_code(st.store(), &record)?.is_empty()
        {
            return Ok(Some(rec.clone()));
        }
    }
    Ok(None)
}
