//! What the node does when its store cannot make a write durable (a full disk, an I/O error).
//!
//! A failed sync leaves blocks that were mined in memory but never saved; after it, redb
//! refuses every write until it is reopened. Going on would serve a chain that the next
//! start does not have (the blocks after the last sync vanish), and retrying would log the
//! same error every few milliseconds. So the first failure is final for this run: it is
//! logged once, every later write is refused with the reason and the block the chain will
//! resume at, and `tandem node` shuts down (as geth does when its disk runs low). Starting
//! again once the disk has room resumes at the last synced block: nothing acknowledged is lost.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::RpcError;

#[derive(Default)]
pub struct StoreHealth {
    failure: OnceLock<String>,
    /// The highest block number known to be durable.
    durable: AtomicU64,
    failed: tokio::sync::Notify,
}

impl StoreHealth {
    pub(crate) fn new(durable: u64) -> Self {
        Self {
            durable: AtomicU64::new(durable),
            ..Self::default()
        }
    }

    /// Why the store failed, once it has.
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    /// Every block up to this one was synced, so a restart resumes at it or later (blocks
    /// written ahead to the commit log before the failure are replayed too).
    pub fn durable_number(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// Every block up to `number` is durable.
    pub(crate) fn synced(&self, number: u64) {
        self.durable.fetch_max(number, Ordering::AcqRel);
    }

    /// Records the store's failure (the first one is kept) and says so once.
    pub(crate) fn fail(&self, error: &anyhow::Error) {
        let reason = format!("{error:#}");
        if self.failure.set(reason).is_ok() {
            tracing::error!(
                target: "tandem::node",
                "the store could not make writes durable, so the node takes no more: {error:#}. \
                 Restart it once the disk has room; the chain resumes at block {} or later",
                self.durable_number()
            );
            self.failed.notify_one();
        }
    }

    /// The error a write gets once the store has failed.
    pub(crate) fn refusal(&self) -> Option<anyhow::Error> {
        self.failure().map(|reason| {
            anyhow::anyhow!(
                "the node's store failed ({reason}); it takes no more writes. Restart it once \
                 the disk has room: the chain resumes at block {} or later",
                self.durable_number()
            )
        })
    }

    pub(crate) fn refuse_rpc(&self) -> Result<(), RpcError> {
        match self.refusal() {
            Some(e) => Err(RpcError::internal(format!("{e:#}"))),
            None => Ok(()),
        }
    }

    /// Resolves once the store has failed.
    pub async fn failed(&self) {
        loop {
            // `notify_one` leaves a permit when nobody waits yet, so a failure between the
            // check and the wait still wakes this.
            if self.failure().is_some() {
                return;
            }
            self.failed.notified().await;
        }
    }
}
