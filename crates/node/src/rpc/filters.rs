//! Logs, polling filters (`eth_newFilter` …) and WebSocket subscriptions (`eth_subscribe`).
//!
//! Filters live in memory (as in anvil and Hardhat) and are dropped after five minutes
//! without a poll. A filter remembers the last block it reported; a poll reports the blocks
//! mined since.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use jsonrpsee::core::server::{PendingSubscriptionSink, SubscriptionMessage};
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::Value;

use super::{Handler, Params, block_number, to_value};
use crate::blocks::BlockRecord;
use crate::error::{RpcError, RpcResult};
use crate::node::{MinedBlock, Node};
use crate::shapes;

const FILTER_TIMEOUT: Duration = Duration::from_secs(300);
/// Bounds on one `eth_getLogs`, so a careless query cannot stall the node.
const MAX_LOG_RANGE: u64 = 100_000;
const MAX_LOGS: usize = 20_000;

enum FilterKind {
    Blocks,
    PendingTxs,
    Logs(Box<Filter>),
}

struct InstalledFilter {
    kind: FilterKind,
    last_block: u64,
    last_poll: Instant,
}

#[derive(Default)]
pub struct Filters {
    map: Mutex<HashMap<u64, InstalledFilter>>,
    next_id: AtomicU64,
}

impl Filters {
    fn install(&self, kind: FilterKind, latest: u64) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, f| f.last_poll.elapsed() < FILTER_TIMEOUT);
        map.insert(
            id,
            InstalledFilter {
                kind,
                last_block: latest,
                last_poll: Instant::now(),
            },
        );
        super::quantity(id)
    }
}

pub const METHODS: &[(&str, Handler)] = &[
    ("eth_getLogs", get_logs),
    ("eth_newFilter", new_filter),
    ("eth_newBlockFilter", |node, _| {
        Ok(node
            .filters
            .install(FilterKind::Blocks, node.latest_number()))
    }),
    ("eth_newPendingTransactionFilter", |node, _| {
        Ok(node
            .filters
            .install(FilterKind::PendingTxs, node.latest_number()))
    }),
    ("eth_getFilterChanges", filter_changes),
    ("eth_getFilterLogs", filter_logs),
    ("eth_uninstallFilter", uninstall_filter),
];

/// The logs of one block that match `filter`.
fn block_logs(
    node: &Node,
    block: &BlockRecord,
    filter: &Filter,
    out: &mut Vec<Log>,
) -> RpcResult<()> {
    if (block.txs.is_empty() && block.messages.is_empty())
        || !filter.matches_bloom(block.header.logs_bloom)
    {
        return Ok(());
    }
    for tx in node.blocks.block_txs(block)? {
        push_matching(shapes::logs(&tx, block), filter, out);
    }
    for (cid, m) in node.blocks.block_messages(block)? {
        push_matching(shapes::message_logs(&cid, &m, block), filter, out);
    }
    Ok(())
}

fn push_matching(logs: Vec<Log>, filter: &Filter, out: &mut Vec<Log>) {
    for log in logs {
        if filter.matches_address(log.address()) && filter.matches_topics(log.topics()) {
            out.push(log);
        }
    }
}

/// The logs matching `filter`, within `[floor, ∞)` for filters that poll.
pub fn logs(node: &Node, filter: &Filter, floor: u64) -> RpcResult<Vec<Log>> {
    let latest = node.latest_number();
    let (from, to) = match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let Some(block) = node.blocks.block_by_hash(&hash, latest)? else {
                return Err(RpcError::server("unknown block"));
            };
            let mut out = Vec::new();
            block_logs(node, &block, filter, &mut out)?;
            return Ok(out);
        }
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            let resolve = |b: Option<BlockNumberOrTag>| -> RpcResult<u64> {
                let tag = b.unwrap_or(BlockNumberOrTag::Latest);
                // A fork has no blocks before its genesis: a range starting there starts at it.
                if let BlockNumberOrTag::Number(n) = tag
                    && n < node.first_number()
                {
                    return Ok(node.first_number());
                }
                Ok(block_number(node, tag)?.unwrap_or(latest))
            };
            (resolve(from_block)?, resolve(to_block)?)
        }
    };
    let from = from.max(floor).max(node.first_number());
    if from > to {
        return Ok(Vec::new());
    }
    if to - from > MAX_LOG_RANGE {
        return Err(RpcError::server(format!(
            "query exceeds max block range {MAX_LOG_RANGE}"
        )));
    }
    let mut out = Vec::new();
    for n in from..=to {
        let Some(block) = node.blocks.block(n, latest)? else {
            break;
        };
        block_logs(node, &block, filter, &mut out)?;
        if out.len() > MAX_LOGS {
            return Err(RpcError::server(format!(
                "query returned more than {MAX_LOGS} results"
            )));
        }
    }
    Ok(out)
}

fn get_logs(node: &Node, p: &Params) -> RpcResult<Value> {
    let filter: Filter = p.get(0)?;
    to_value(logs(node, &filter, 0)?)
}

fn new_filter(node: &Node, p: &Params) -> RpcResult<Value> {
    let filter: Filter = p.get(0)?;
    Ok(node
        .filters
        .install(FilterKind::Logs(Box::new(filter)), node.latest_number()))
}

fn filter_id(p: &Params) -> RpcResult<u64> {
    let id: alloy_primitives::U64 = p.get(0)?;
    Ok(id.to())
}

fn filter_changes(node: &Node, p: &Params) -> RpcResult<Value> {
    let id = filter_id(p)?;
    let latest = node.latest_number();
    let (kind_logs, since) = {
        let mut map = node.filters.map.lock().unwrap_or_else(|e| e.into_inner());
        let Some(f) = map.get_mut(&id) else {
            return Err(RpcError::server("filter not found"));
        };
        let since = f.last_block;
        f.last_block = latest.max(since);
        f.last_poll = Instant::now();
        match &f.kind {
            FilterKind::Logs(filter) => (Some(filter.clone()), since),
            FilterKind::Blocks => (None, since),
            FilterKind::PendingTxs => {
                drop(map);
                return to_value(block_tx_hashes(node, since + 1, latest)?);
            }
        }
    };
    match kind_logs {
        Some(filter) => to_value(logs(node, &filter, since + 1)?),
        None => {
            let mut hashes = Vec::new();
            for n in since + 1..=latest {
                if let Some(b) = node.blocks.block(n, latest)? {
                    hashes.push(b.hash);
                }
            }
            to_value(hashes)
        }
    }
}

fn block_tx_hashes(node: &Node, from: u64, to: u64) -> RpcResult<Vec<B256>> {
    let mut out = Vec::new();
    for n in from..=to {
        if let Some(b) = node.blocks.block(n, to)? {
            out.extend(b.txs.iter().copied());
        }
    }
    Ok(out)
}

fn filter_logs(node: &Node, p: &Params) -> RpcResult<Value> {
    let id = filter_id(p)?;
    let filter = {
        let mut map = node.filters.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(&id) {
            Some(f) => {
                f.last_poll = Instant::now();
                match &f.kind {
                    FilterKind::Logs(filter) => filter.clone(),
                    _ => return Err(RpcError::server("filter not found")),
                }
            }
            None => return Err(RpcError::server("filter not found")),
        }
    };
    to_value(logs(node, &filter, 0)?)
}

fn uninstall_filter(node: &Node, p: &Params) -> RpcResult<Value> {
    let id = filter_id(p)?;
    let mut map = node.filters.map.lock().unwrap_or_else(|e| e.into_inner());
    Ok(Value::Bool(map.remove(&id).is_some()))
}

/// What one subscription sends for a new block.
enum Subscription {
    NewHeads,
    Logs(Box<Filter>),
    PendingTxs,
}

fn notifications(sub: &Subscription, block: &MinedBlock) -> Vec<Value> {
    match sub {
        Subscription::NewHeads => serde_json::to_value(shapes::header(&block.record))
            .ok()
            .into_iter()
            .collect(),
        Subscription::PendingTxs => block
            .record
            .txs
            .iter()
            .filter_map(|h| serde_json::to_value(h).ok())
            .collect(),
        Subscription::Logs(filter) => {
            let mut out = Vec::new();
            if filter.matches_bloom(block.record.header.logs_bloom) {
                for tx in &block.txs {
                    push_matching(shapes::logs(tx, &block.record), filter, &mut out);
                }
                for (cid, m) in &block.messages {
                    let logs = shapes::message_logs(cid, m, &block.record);
                    push_matching(logs, filter, &mut out);
                }
            }
            out.iter()
                .filter_map(|l| serde_json::to_value(l).ok())
                .collect()
        }
    }
}

fn parse_subscription(p: &Params) -> RpcResult<Subscription> {
    let kind: String = p.get(0)?;
    match kind.as_str() {
        "newHeads" => Ok(Subscription::NewHeads),
        "newPendingTransactions" => Ok(Subscription::PendingTxs),
        "logs" => Ok(Subscription::Logs(Box::new(
            p.opt::<Filter>(1)?.unwrap_or_default(),
        ))),
        other => Err(RpcError::invalid_params(format!(
            "unknown subscription {other:?}"
        ))),
    }
}

/// `eth_subscribe`: streams new heads, logs or mined transaction hashes until the client
/// unsubscribes or disconnects.
pub async fn subscribe(
    params: jsonrpsee::types::Params<'static>,
    pending: PendingSubscriptionSink,
    node: std::sync::Arc<std::sync::Arc<Node>>,
) {
    let sub = match Params::parse(params.as_str()).and_then(|p| parse_subscription(&p)) {
        Ok(s) => s,
        Err(e) => {
            pending.reject(ErrorObjectOwned::from(e)).await;
            return;
        }
    };
    let mut blocks = node.events.subscribe();
    let Ok(sink) = pending.accept().await else {
        return;
    };
    loop {
        tokio::select! {
            _ = sink.closed() => return,
            next = blocks.recv() => match next {
                Ok(block) => {
                    for item in notifications(&sub, &block) {
                        let Ok(raw) = serde_json::value::to_raw_value(&item) else { continue };
                        if sink.send(SubscriptionMessage::from(raw)).await.is_err() {
                            return;
                        }
                    }
                }
                // A slow client misses blocks rather than stalling the node.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}
