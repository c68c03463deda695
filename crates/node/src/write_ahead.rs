//! Writing committed blocks to redb behind the mining. A sync makes commits durable in the
//! store's commit log (`RedbStore::use_commit_log`); they wait in memory, readable, until this
//! thread writes them to redb without an fsync, in groups, when the commits pause (or too
//! many wait). Durability is unchanged: nothing is acknowledged before a sync, a commit
//! reaches redb only after it is in the log, and opening the store replays the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;

use crate::node::Node;

/// Commits waiting before the thread writes them, once no commit came for a poll interval.
pub const WRITE_AHEAD_MIN: usize = 24;

/// Commits waiting at which the thread writes them even while commits keep coming.
pub const WRITE_AHEAD_FORCE: usize = 1024;

/// Whether `waiting` commits are worth a redb transaction now. The commit log makes them
/// durable at each sync, so redb can wait: for a group of [`WRITE_AHEAD_MIN`] and a pause in
/// the commits (`idle`: a batch has answered, or the senders wait for a sync's fsync), when
/// the writing does not take a core from the mining; under a load that never pauses, at
/// [`WRITE_AHEAD_FORCE`].
pub fn worth_writing(waiting: usize, idle: bool) -> bool {
    waiting >= WRITE_AHEAD_FORCE || (idle && waiting >= WRITE_AHEAD_MIN)
}

/// How often the thread looks at the number of waiting commits.
const POLL: Duration = Duration::from_millis(2);

/// Write-aheads done since the process started (tests check the path ran).
pub static WRITES_AHEAD: AtomicU64 = AtomicU64::new(0);

/// Starts the thread; it ends when the node is dropped.
pub(crate) fn spawn_write_ahead(node: &Arc<Node>) -> anyhow::Result<()> {
    let weak = Arc::downgrade(node);
    // Read without holding the node, which it takes only while writing, so dropping the
    // node is never delayed (what still waits then is written by the store's last handle).
    let waiting = node.store.pending_gauge();
    std::thread::Builder::new()
        .name("tandem-write-ahead".into())
        .spawn(move || {
            let mut last = 0usize;
            while weak.strong_count() > 0 {
                std::thread::sleep(POLL);
                let now = waiting.load(Ordering::Acquire);
                let idle = now == last;
                last = now;
                if !worth_writing(now, idle) {
                    // Commits keep coming: append them to the log meanwhile, so the sync that
                    // answers them has only its fsync and the last few left.
                    if now >= WRITE_AHEAD_MIN
                        && let Some(node) = weak.upgrade()
                    {
                        node.store.log_ahead();
                    }
                    continue;
                }
                let Some(node) = weak.upgrade() else { return };
                if node.health.failure().is_some() {
                    return;
                }
                match node.store.write_ahead() {
                    Ok(true) => {
                        WRITES_AHEAD.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(false) => {}
                    // redb takes no write after a failed one: the store has failed for this
                    // run (the commits written to the log stay durable and are replayed
                    // at the next start).
                    Err(e) => {
                        node.health.fail(&e);
                        return;
                    }
                }
            }
        })
        .context("starting the write-ahead thread")?;
    Ok(())
}
