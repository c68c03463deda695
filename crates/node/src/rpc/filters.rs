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

/// What the installed filters may hold at once, in [`InstalledFilter::weight`]s (1 per filter
/// plus 1 per address or topic it lists): ~1M values, tens of MB. A filter stays until
/// uninstalled or unpolled for 5 minutes, so without a bound anyone could keep gigabytes
/// installed (a 64 MB request lists a million addresses) or, by sheer number, make each
/// install slower.
pub const MAX_FILTER_WEIGHT: usize = 1 << 20;
/// Addresses, and values per topic position, one installed filter may list (geth's bounds).
pub const MAX_FILTER_VALUES: usize = 1_000;
/// Live `eth_subscribe` subscriptions on the node. Each one is a task woken at every block
/// to build its notifications, so their number is CPU per block, not only memory.
pub const MAX_SUBSCRIPTIONS: usize = 10_000;

#[derive(Default)]
pub struct Filters {
    map: Mutex<Installed>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Installed {
    by_id: HashMap<u64, InstalledFilter>,
    /// The sum of the filters' and subscriptions' weights.
    weight: usize,
    subscriptions: usize,
    /// Expired filters are swept when the map reaches this size (twice what the last sweep
    /// left), so installs cost O(1) amortised instead of a scan each.
    sweep_at: usize,
    /// When the last sweep ran: with the budget full, a refused install sweeps at most once
    /// a second (filters expire after minutes), not once per attempt.
    swept: Option<Instant>,
}

/// What a log filter weighs in the budget: 1, plus 1 per address or topic value it lists.
fn filter_weight(f: &Filter) -> usize {
    1 + f.address.len() + f.topics.iter().map(|t| t.len()).sum::<usize>()
}

/// A log filter to be kept (installed or subscribed) lists at most [`MAX_FILTER_VALUES`]
/// addresses and values per topic position.
fn check_width(f: &Filter) -> RpcResult<()> {
    if f.address.len() > MAX_FILTER_VALUES || f.topics.iter().any(|t| t.len() > MAX_FILTER_VALUES) {
        return Err(RpcError::invalid_params(format!(
            "a filter lists at most {MAX_FILTER_VALUES} addresses and {MAX_FILTER_VALUES} \
             values per topic position"
        )));
    }
    Ok(())
}

impl InstalledFilter {
    fn weight(&self) -> usize {
        match &self.kind {
            FilterKind::Logs(f) => filter_weight(f),
            _ => 1,
        }
    }

    fn expired(&self) -> bool {
        self.last_poll.elapsed() >= FILTER_TIMEOUT
    }
}

impl Installed {
    fn sweep(&mut self) {
        let mut freed = 0;
        self.by_id.retain(|_, f| {
            let keep = !f.expired();
            if !keep {
                freed += f.weight();
            }
            keep
        });
        self.weight -= freed;
        self.sweep_at = (2 * self.by_id.len()).max(1024);
        self.swept = Some(Instant::now());
    }

    /// The live filter `id` (an expired one is removed and reported missing).
    fn live(&mut self, id: u64) -> Option<&mut InstalledFilter> {
        if self.by_id.get(&id).is_some_and(InstalledFilter::expired) {
            self.remove(id);
        }
        self.by_id.get_mut(&id)
    }

    /// Takes `weight` from the budget, sweeping expired filters first when due or needed.
    fn admit(&mut self, weight: usize) -> RpcResult<()> {
        let full = self.weight + weight > MAX_FILTER_WEIGHT;
        let recently = self
            .swept
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1));
        if self.by_id.len() >= self.sweep_at || (full && !recently) {
            self.sweep();
        }
        if self.weight + weight > MAX_FILTER_WEIGHT {
            return Err(RpcError::server(format!(
                "too many filters installed ({} holding {} values with the subscriptions, at \
                 most {MAX_FILTER_WEIGHT}): uninstall some with eth_uninstallFilter; one not \
                 polled for 5 minutes expires",
                self.by_id.len(),
                self.weight
            )));
        }
        self.weight += weight;
        Ok(())
    }

    fn remove(&mut self, id: u64) -> bool {
        match self.by_id.remove(&id) {
            Some(f) => {
                self.weight -= f.weight();
                true
            }
            None => false,
        }
    }
}

impl Filters {
    fn install(&self, kind: FilterKind, latest: u64) -> RpcResult<Value> {
        if let FilterKind::Logs(f) = &kind {
            check_width(f)?;
        }
        let filter = InstalledFilter {
            kind,
            last_block: latest,
            last_poll: Instant::now(),
        };
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.admit(filter.weight())?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        map.by_id.insert(id, filter);
        Ok(super::quantity(id))
    }

    /// A subscription's share of the budget, given back when it ends.
    fn hold(&self, weight: usize) -> RpcResult<Held<'_>> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.subscriptions >= MAX_SUBSCRIPTIONS {
            return Err(RpcError::server(format!(
                "too many subscriptions: the node serves at most {MAX_SUBSCRIPTIONS} at once"
            )));
        }
        map.admit(weight)?;
        map.subscriptions += 1;
        Ok(Held {
            filters: self,
            weight,
        })
    }
}

struct Held<'a> {
    filters: &'a Filters,
    weight: usize,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut map = self.filters.map.lock().unwrap_or_else(|e| e.into_inner());
        map.weight -= self.weight;
        map.subscriptions -= 1;
    }
}

pub const METHODS: &[(&str, Handler)] = &[
    ("eth_getLogs", get_logs),
    ("eth_newFilter", new_filter),
    ("eth_newBlockFilter", |node, _| {
        node.filters
            .install(FilterKind::Blocks, node.latest_number())
    }),
    ("eth_newPendingTransactionFilter", |node, _| {
        node.filters
            .install(FilterKind::PendingTxs, node.latest_number())
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
    node.filters
        .install(FilterKind::Logs(Box::new(filter)), node.latest_number())
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
        let Some(f) = map.live(id) else {
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
        match map.live(id) {
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
    Ok(Value::Bool(map.remove(id)))
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
        "logs" => {
            let filter = p.opt::<Filter>(1)?.unwrap_or_default();
            check_width(&filter)?;
            Ok(Subscription::Logs(Box::new(filter)))
        }
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
    let parsed = Params::parse(params.as_str()).and_then(|p| parse_subscription(&p));
    let held = parsed.and_then(|sub| {
        let weight = match &sub {
            Subscription::Logs(f) => filter_weight(f),
            _ => 1,
        };
        Ok((node.filters.hold(weight)?, sub))
    });
    let (_held, sub) = match held {
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Address;

    fn filter(kind: FilterKind, polled_ago: Duration) -> InstalledFilter {
        InstalledFilter {
            kind,
            last_block: 0,
            last_poll: Instant::now().checked_sub(polled_ago).unwrap(),
        }
    }

    fn insert(map: &mut Installed, id: u64, f: InstalledFilter) {
        map.weight += f.weight();
        map.by_id.insert(id, f);
    }

    #[test]
    fn expired_filters_give_their_weight_back() {
        let stale = FILTER_TIMEOUT + Duration::from_secs(1);
        let logs = || {
            let f = Filter::new().address(vec![Address::ZERO, Address::repeat_byte(1)]);
            FilterKind::Logs(Box::new(f))
        };
        let mut map = Installed::default();
        insert(&mut map, 1, filter(logs(), stale));
        insert(&mut map, 2, filter(FilterKind::Blocks, stale));
        insert(&mut map, 3, filter(logs(), Duration::ZERO));
        insert(&mut map, 4, filter(FilterKind::PendingTxs, stale));
        assert_eq!(map.weight, 3 + 1 + 3 + 1);
        // An expired filter is gone when asked for, and its weight with it.
        assert!(map.live(1).is_none());
        assert_eq!(map.weight, 5);
        map.sweep();
        assert_eq!(map.by_id.keys().copied().collect::<Vec<_>>(), vec![3]);
        assert_eq!(map.weight, 3);
        assert_eq!(map.sweep_at, 1024);
        assert!(map.live(3).is_some());
        assert!(map.remove(3));
        assert_eq!(map.weight, 0);
    }
}
