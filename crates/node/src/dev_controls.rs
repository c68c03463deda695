//! The dev controls of the node: automine, interval mining (a timer thread), the clock and
//! snapshots — what `evm_*`, `anvil_*` and `hardhat_*` methods drive.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use tandem_chain::{Chain, DataDir};
use tandem_state::blockstore::{CommitBatch, CommitStore};

use crate::blocks::{BlockRecord, LATEST_KEY, block_key};
use crate::node::{Inner, Node, Snapshot, unix_now};

/// `evm_snapshot`s kept at once (~100 bytes each).
pub const MAX_SNAPSHOTS: usize = 100_000;

/// The timer miner: a thread that mines (and syncs) a block every interval while interval
/// mining is on, and ends when the node is dropped.
pub(crate) fn spawn_interval_miner(node: &Arc<Node>) -> anyhow::Result<()> {
    const IDLE_POLL: Duration = Duration::from_millis(50);
    let weak = Arc::downgrade(node);
    std::thread::Builder::new()
        .name("tandem-interval-miner".into())
        .spawn(move || {
            let mut last = std::time::Instant::now();
            loop {
                let Some(node) = weak.upgrade() else { return };
                // A failed store takes no more blocks (`store_health.rs`), nor error lines.
                if node.health.failure().is_some() {
                    return;
                }
                let every = Duration::from_millis(node.mining_interval_ms());
                if every.is_zero() {
                    last = std::time::Instant::now();
                } else if last.elapsed() >= every {
                    last = std::time::Instant::now();
                    if let Err(e) = node.mine().and_then(|_| node.sync()) {
                        tracing::error!(target: "tandem::node", "interval mining failed: {e:#}");
                    }
                }
                // Not holding the node while asleep, so dropping it ends the thread.
                drop(node);
                let nap = if every.is_zero() {
                    IDLE_POLL
                } else {
                    let left = every.saturating_sub(last.elapsed());
                    left.clamp(Duration::from_millis(1), IDLE_POLL)
                };
                std::thread::sleep(nap);
            }
        })
        .context("starting the interval miner")?;
    Ok(())
}

impl Node {
    /// Milliseconds between timer-mined blocks; 0 when interval mining is off.
    pub fn mining_interval_ms(&self) -> u64 {
        self.interval_ms.load(Ordering::Acquire)
    }

    /// `evm_setIntervalMining`: mine every `ms` milliseconds (0 turns the timer off).
    pub fn set_mining_interval_ms(&self, ms: u64) {
        self.interval_ms.store(ms, Ordering::Release);
    }

    /// Whether each transaction and message is mined in a block of its own at once.
    pub fn automine(&self) -> bool {
        self.automine.load(Ordering::Acquire)
    }

    /// Turns automine on or off; turning it on mines what is pending.
    pub fn set_automine(&self, on: bool) -> anyhow::Result<()> {
        let mut inner = self.lock();
        self.automine.store(on, Ordering::Release);
        if on && inner.open.is_some() {
            self.mine_locked(&mut inner)?;
        }
        Ok(())
    }

    /// The number and timestamp of the block a transaction sent now would land in: the open
    /// block's, or those the next block would get (for calls at `pending`).
    pub fn pending_env(&self) -> (u64, u64) {
        let inner = self.lock();
        if let Some(open) = &inner.open {
            return (open.number, open.timestamp);
        }
        let parent = self.latest();
        (
            parent.number().saturating_add(1),
            next_block_timestamp(&inner, &parent),
        )
    }

    /// Shifts the clock; returns the total offset in seconds.
    pub fn increase_time(&self, secs: i64) -> i64 {
        let mut inner = self.lock();
        inner.time_offset = inner.time_offset.saturating_add(secs);
        inner.time_offset
    }

    /// Sets the next block's timestamp; later blocks go on from there. It must be above the
    /// previous block's (the open block's, if one is open): timestamps strictly increase.
    pub fn set_next_timestamp(&self, ts: u64) -> anyhow::Result<()> {
        let mut inner = self.lock();
        let previous = match &inner.open {
            Some(open) => open.timestamp,
            None => self.latest().header.timestamp,
        };
        if ts <= previous {
            bail!(
                "timestamp {ts} is lower than or equal to the previous block's timestamp {previous}"
            );
        }
        inner.next_timestamp = Some(ts);
        Ok(())
    }

    /// Takes an `evm_snapshot`; past [`MAX_SNAPSHOTS`] the oldest is forgotten.
    pub fn snapshot(&self) -> u64 {
        let mut inner = self.lock();
        let id = inner.next_snapshot;
        inner.next_snapshot += 1;
        let latest = self.latest();
        let snap = Snapshot {
            block: latest.number(),
            state: latest.state.clone(),
            time_offset: inner.time_offset,
        };
        inner.snapshots.insert(id, snap);
        // Snapshots nobody reverts to would otherwise pile up for the node's lifetime (a
        // loop of `evm_snapshot` pins memory without bound); the oldest go first, as test
        // suites revert to recent ones.
        while inner.snapshots.len() > MAX_SNAPSHOTS {
            inner.snapshots.pop_first();
        }
        id
    }

    /// Rewinds to a snapshot (dropping it and every later one). Pending transactions and
    /// state changes made since are lost.
    pub fn revert(&self, id: u64) -> anyhow::Result<bool> {
        let mut inner = self.lock();
        let Some(snap) = inner.snapshots.remove(&id) else {
            return Ok(false);
        };
        inner.snapshots.retain(|k, _| *k < id);
        let latest = self.latest_number();
        let mut record = self
            .blocks
            .block(snap.block, latest)?
            .with_context(|| format!("block {} is missing", snap.block))?;
        // The state as it was when the snapshot was taken, dev edits made since undone.
        record.state = snap.state;
        let root = record.state_cid()?;
        let mut batch = CommitBatch::new();
        batch.set_head(&root);
        batch.set_meta(block_key(snap.block), serde_json::to_vec(&record)?);
        batch.set_meta(LATEST_KEY, snap.block.to_be_bytes().to_vec());
        self.store.commit(&batch)?;
        let dir = DataDir {
            path: self.path.clone(),
            store: self.store.clone(),
            config: self.chain_config.clone(),
        };
        inner.chain = Chain::load_with(dir, self.runtimes.clone())?;
        inner.open = None;
        inner.queued.clear();
        inner.next_timestamp = None;
        inner.time_offset = snap.time_offset;
        self.set_latest(record);
        Ok(true)
    }
}

/// The timestamp of the block opened next on `parent`: the one `evm_setNextBlockTimestamp`
/// set, or the clock (with the `evm_increaseTime` offset); always at least a second after
/// the parent's, as Ethereum requires (Hardhat and anvil add the second too). At the largest
/// timestamp the chain keeps mining at it rather than stop.
pub(crate) fn next_block_timestamp(inner: &Inner, parent: &BlockRecord) -> u64 {
    let floor = parent.header.timestamp.saturating_add(1);
    match inner.next_timestamp {
        Some(t) => t.max(floor),
        None => {
            let now = (unix_now() as i64).saturating_add(inner.time_offset);
            (now.max(0) as u64).max(floor)
        }
    }
}
