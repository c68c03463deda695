//! The transaction pool as geth's `txpool_*` namespace shows it, and anvil's methods that
//! drop from it.
//!
//! The node's pool has two parts. **Pending**: transactions applied to the open block and
//! waiting to be mined (automine off, or `--block-time`). **Queued**: transactions whose
//! nonce is ahead of their sender's, waiting for the gap to fill (`Node::submit`).

use std::collections::BTreeMap;

use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_primitives::{Address, B256};
use serde_json::{Map, Value, json};

use super::{Handler, Params, quantity, to_value};
use crate::error::{RpcError, RpcResult};
use crate::node::Node;
use crate::shapes;

pub const METHODS: &[(&str, Handler)] = &[
    ("txpool_status", status),
    ("txpool_content", content),
    ("txpool_inspect", inspect),
    ("txpool_contentFrom", content_from),
    ("anvil_dropTransaction", drop_transaction),
    ("anvil_dropAllTransactions", drop_all),
];

/// One transaction of the pool.
pub struct PoolTx {
    pub envelope: TxEnvelope,
    pub from: Address,
}

/// A copy of the pool: pending (applied to the open block) and queued (future nonces), each
/// by sender and nonce.
#[derive(Default)]
pub struct PoolView {
    pub pending: BTreeMap<(Address, u64), PoolTx>,
    pub queued: BTreeMap<(Address, u64), PoolTx>,
}

impl Node {
    /// The pool's transactions as they stand.
    pub fn pool(&self) -> PoolView {
        let inner = self.lock();
        let mut view = PoolView::default();
        for tx in inner.open.iter().flat_map(|o| &o.txs) {
            view.pending.insert(
                (tx.from, tx.envelope.nonce()),
                PoolTx {
                    envelope: tx.envelope.clone(),
                    from: tx.from,
                },
            );
        }
        for ((from, nonce), (envelope, _)) in &inner.queued {
            view.queued.insert(
                (*from, *nonce),
                PoolTx {
                    envelope: envelope.clone(),
                    from: *from,
                },
            );
        }
        view
    }

    /// Drops a queued transaction by hash; `Ok(false)` if the pool does not hold it. A
    /// pending transaction has already run against the open block's state and cannot be
    /// taken out of it: that is an error saying so.
    pub fn drop_transaction(&self, hash: &B256) -> RpcResult<bool> {
        let mut inner = self.lock();
        let key = inner
            .queued
            .iter()
            .find(|(_, (env, _))| env.tx_hash() == hash)
            .map(|(k, _)| *k);
        if let Some(key) = key {
            inner.queued.remove(&key);
            return Ok(true);
        }
        let in_open = inner
            .open
            .iter()
            .flat_map(|o| &o.txs)
            .any(|t| t.hash == *hash);
        if in_open {
            return Err(RpcError::server(format!(
                "transaction {hash} has already been applied to the pending block and will be \
                 mined with it; only queued (future-nonce) transactions can be dropped"
            )));
        }
        Ok(false)
    }

    /// Empties the queue of future-nonce transactions; returns how many were dropped.
    pub fn drop_all_queued(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.queued.len();
        inner.queued.clear();
        n
    }
}

fn status(node: &Node, _: &Params) -> RpcResult<Value> {
    let pool = node.pool();
    Ok(json!({
        "pending": quantity(pool.pending.len() as u64),
        "queued": quantity(pool.queued.len() as u64),
    }))
}

/// `{sender: {nonce (decimal): f(tx)}}`, as geth groups the pool.
fn grouped(
    txs: &BTreeMap<(Address, u64), PoolTx>,
    f: impl Fn(&PoolTx) -> RpcResult<Value>,
) -> RpcResult<Value> {
    let mut out = Map::new();
    for ((from, nonce), tx) in txs {
        let by_nonce = out
            .entry(from.to_checksum(None))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = by_nonce {
            m.insert(nonce.to_string(), f(tx)?);
        }
    }
    Ok(Value::Object(out))
}

fn tx_json(tx: &PoolTx) -> RpcResult<Value> {
    to_value(shapes::pending_transaction(tx.envelope.clone(), tx.from))
}

fn content(node: &Node, _: &Params) -> RpcResult<Value> {
    let pool = node.pool();
    Ok(json!({
        "pending": grouped(&pool.pending, tx_json)?,
        "queued": grouped(&pool.queued, tx_json)?,
    }))
}

/// `txpool_contentFrom(address)`: one sender's part of `txpool_content`.
fn content_from(node: &Node, p: &Params) -> RpcResult<Value> {
    let addr: Address = p.get(0)?;
    let pool = node.pool();
    let mine = |txs: &BTreeMap<(Address, u64), PoolTx>| -> RpcResult<Value> {
        let mut m = Map::new();
        for ((from, nonce), tx) in txs {
            if *from == addr {
                m.insert(nonce.to_string(), tx_json(tx)?);
            }
        }
        Ok(Value::Object(m))
    };
    Ok(json!({ "pending": mine(&pool.pending)?, "queued": mine(&pool.queued)? }))
}

/// geth's one-line summary: `0xTo: V wei + G gas × P wei` (`contract creation: …`).
fn summary(tx: &PoolTx) -> RpcResult<Value> {
    let env = &tx.envelope;
    let to = match env.to() {
        Some(to) => to.to_checksum(None),
        None => "contract creation".to_string(),
    };
    let price = env.gas_price().unwrap_or_else(|| env.max_fee_per_gas());
    Ok(Value::String(format!(
        "{to}: {} wei + {} gas × {price} wei",
        env.value(),
        env.gas_limit()
    )))
}

fn inspect(node: &Node, _: &Params) -> RpcResult<Value> {
    let pool = node.pool();
    Ok(json!({
        "pending": grouped(&pool.pending, summary)?,
        "queued": grouped(&pool.queued, summary)?,
    }))
}

/// `anvil_dropTransaction(hash)`: the hash if it was dropped, null if the pool lacks it.
fn drop_transaction(node: &Node, p: &Params) -> RpcResult<Value> {
    let hash: B256 = p.get(0)?;
    if node.drop_transaction(&hash)? {
        to_value(hash)
    } else {
        Ok(Value::Null)
    }
}

/// `anvil_dropAllTransactions`: empties the queue of future-nonce transactions. Pending ones
/// have run against the open block and are mined with it.
fn drop_all(node: &Node, _: &Params) -> RpcResult<Value> {
    let n = node.drop_all_queued();
    tracing::info!(target: "tandem::node", "dropped {n} queued transactions");
    Ok(Value::Null)
}
