//! Writing committed blocks to redb beside the mining: a thread that, while commits pile up
//! waiting for a sync (a JSON-RPC batch of transactions mines one block per transaction and
//! syncs once at the end), writes them to redb without an fsync. The batch's sync then only
//! writes the last few before its fsync, so most of the store's work runs on the second core
//! while the first one mines. Durability is unchanged: nothing is acknowledged before a sync,
//! and redb's next durable commit makes these writes durable with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;

use crate::node::Node;

/// Commits waiting before the thread writes them. Concurrent single sends sync every few
/// commits and never reach it; a batch passes it many times.
pub const WRITE_AHEAD_MIN: usize = 24;

/// How often the thread looks at the number of waiting commits.
const POLL: Duration = Duration::from_millis(2);

/// Write-aheads done since the process started (tests check the path ran).
pub static WRITES_AHEAD: AtomicU64 = AtomicU64::new(0);

/// Starts the thread; it ends when the node is dropped.
pub(crate) fn spawn_write_ahead(node: &Arc<Node>) -> anyhow::Result<()> {
    let weak = Arc::downgrade(node);
    // Read without holding the node, which it takes only while there is work: between
    // batches nothing waits (each answer synced), so dropping the node is never delayed.
    let waiting = node.store.pending_gauge();
    std::thread::Builder::new()
        .name("tandem-write-ahead".into())
        .spawn(move || {
            while weak.strong_count() > 0 {
                std::thread::sleep(POLL);
                if waiting.load(Ordering::Acquire) < WRITE_AHEAD_MIN {
                    continue;
                }
                let Some(node) = weak.upgrade() else { return };
                match node.store.write_ahead() {
                    Ok(true) => {
                        WRITES_AHEAD.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(false) => {}
                    // The commits stay pending; the next sync writes them or reports why.
                    Err(e) => {
                        tracing::warn!(target: "tandem::node", "writing ahead failed: {e:#}")
                    }
                }
            }
        })
        .context("starting the write-ahead thread")?;
    Ok(())
}
