//! Senders of a batch's raw transactions, recovered ahead of its calls.
//!
//! A JSON-RPC batch's calls run one after the other, and each `eth_sendRawTransaction`
//! recovers its sender (an ECDSA public-key recovery) before it submits. For a batch, the
//! batch layer (`batch_sync.rs`) starts a blocking task that decodes the batch's raw
//! transactions and recovers their senders on another thread while the calls run; a call
//! whose sender is already known takes it, otherwise it recovers it itself. The key is the
//! transaction hash, which commits to the signature and the payload, so a known sender is
//! the one recovery would find. Entries live only while their batch runs.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use alloy_consensus::transaction::SignerRecoverable;
use alloy_primitives::{Address, B256, Bytes};
use jsonrpsee::core::middleware::Batch;

use crate::node::Node;

/// Calls that found their sender recovered ahead, since the process started (tests check
/// the path ran).
pub static TAKEN_AHEAD: AtomicU64 = AtomicU64::new(0);

/// Senders recovered ahead, by transaction hash.
#[derive(Default)]
pub struct Recovered(std::sync::Mutex<HashMap<B256, Address>>);

impl Recovered {
    /// The sender recovered ahead for `hash`, if any (taken: each is used once).
    pub fn take(&self, hash: &B256) -> Option<Address> {
        let found = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(hash);
        if found.is_some() {
            TAKEN_AHEAD.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// How many are held (none once every batch has finished).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a sender for a batch still running (under the map's lock, so [`Ahead`]'s drop
    /// either sees it and removes it or stops it from being added).
    fn insert_for(&self, batch: &BatchState, hash: B256, sender: Address) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if batch.stopped.load(Ordering::Acquire) {
            return false;
        }
        map.insert(hash, sender);
        batch
            .inserted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(hash);
        true
    }

    /// Ends a batch: nothing more is added for it, and what its calls did not take goes.
    fn end(&self, batch: &BatchState) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        batch.stopped.store(true, Ordering::Release);
        for h in batch
            .inserted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            map.remove(&h);
        }
    }
}

#[derive(Default)]
struct BatchState {
    stopped: AtomicBool,
    inserted: std::sync::Mutex<Vec<B256>>,
}

/// The raw transactions a batch sends, in call order. Blob transactions are left out: their
/// decoding checks KZG proofs, which should run once, in the call.
pub fn raw_transactions(batch: &Batch<'_>) -> Vec<Bytes> {
    batch
        .iter()
        .flatten()
        .filter(|e| {
            matches!(
                e.method_name(),
                "eth_sendRawTransaction" | "eth_sendRawTransactionSync"
            )
        })
        .filter_map(|e| e.params())
        .filter_map(|p| serde_json::from_str::<Vec<serde_json::Value>>(p.get()).ok())
        .filter_map(|mut params| {
            let first = params.drain(..).next()?;
            serde_json::from_value::<Bytes>(first).ok()
        })
        .filter(|raw| raw.first() != Some(&3))
        .collect()
}

/// Recovers senders ahead of a batch's calls; dropping it (when the batch has answered, or
/// is dropped with its connection) stops the recovery and forgets what the calls did not
/// take, so nothing outlives the batch.
pub struct Ahead {
    node: Arc<Node>,
    state: Arc<BatchState>,
}

impl Ahead {
    /// Starts recovering `raws`' senders on the blocking pool.
    pub fn start(node: Arc<Node>, raws: Vec<Bytes>) -> Self {
        let state = Arc::new(BatchState::default());
        let (worker, batch) = (node.clone(), state.clone());
        // Not awaited: the drop below ends it.
        drop(tokio::task::spawn_blocking(move || {
            for raw in raws {
                // A transaction that does not decode or recover is the call's to report.
                let Ok(env) = super::raw_tx::decode(&raw) else {
                    continue;
                };
                if let Ok(sender) = env.recover_signer()
                    && !worker.presend.insert_for(&batch, *env.tx_hash(), sender)
                {
                    return;
                }
            }
        }));
        Self { node, state }
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.node.presend.end(&self.state);
    }
}
