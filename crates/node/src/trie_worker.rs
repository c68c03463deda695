//! A long-lived thread that runs a block's Ethereum trie update beside the rest of mining
//! (the commit's walk, the receipts, the transaction and receipt roots, the records).
//!
//! The job is *offered*, not handed over: the worker takes it when it wakes, and the miner
//! takes it back and runs it inline if the worker has not started it by the time the miner's
//! own side is done. So a busy machine (no idle core to wake the worker on) costs the offer,
//! a lock and a wake-up, not a wait for the scheduler; an idle core hides the update. (A
//! thread spawned per block and joined measured +169 % per block against +62 % inline on the
//! loaded 2-core machine: the join waited for the new thread's first time slice.) Either way
//! the update is the same function on the same input, so the root does not depend on which
//! thread computed it.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tandem_state::blockstore::RedbStore;

use crate::eth_trie::{Done, Job};

/// Trie updates the worker ran since the process started (tests check the path ran).
pub static WORKER_RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Whether the miner takes back an offer the worker has not started (on; a test turns it
/// off to make sure the worker's path runs).
pub static TAKE_BACK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// One block's offered update.
struct Offer {
    job: Mutex<Option<Job>>,
    done: Mutex<Option<Done>>,
    ready: Condvar,
}

/// The worker thread, started at the first offer (reading trie nodes from the node's store);
/// it ends when the node drops it.
#[derive(Default)]
pub struct TrieWorker {
    sender: Mutex<Option<Sender<Arc<Offer>>>>,
}

/// An update offered to the worker: [`Offered::finish`] gives its result.
pub(crate) struct Offered {
    offer: Arc<Offer>,
}

impl TrieWorker {
    /// Offers `job` to the worker (started now if it is not running). When no thread can be
    /// started or reached the job simply stays in the offer and [`Offered::finish`] runs it.
    pub(crate) fn offer(&self, job: Job, store: &Arc<RedbStore>) -> Offered {
        let offer = Arc::new(Offer {
            job: Mutex::new(Some(job)),
            done: Mutex::new(None),
            ready: Condvar::new(),
        });
        let mut sender = lock(&self.sender);
        if sender.is_none() {
            *sender = spawn(store.clone());
        }
        if let Some(s) = sender.as_ref()
            && s.send(offer.clone()).is_err()
        {
            *sender = None; // the thread is gone: start another next time
        }
        Offered { offer }
    }
}

impl Offered {
    /// The update's result: run here if the worker has not taken it, else waited for.
    pub(crate) fn finish(self, store: &RedbStore) -> Done {
        let take_back = TAKE_BACK.load(std::sync::atomic::Ordering::Relaxed)
            || Arc::strong_count(&self.offer) == 1; // never sent: nobody else will run it
        if take_back && let Some(job) = lock(&self.offer.job).take() {
            return job.run(store);
        }
        let mut done = lock(&self.offer.done);
        loop {
            if let Some(d) = done.take() {
                return d;
            }
            done = self
                .offer
                .ready
                .wait(done)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn spawn(store: Arc<RedbStore>) -> Option<Sender<Arc<Offer>>> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("tandem-trie".into())
        .spawn(move || work(rx, &store))
        .ok()?;
    Some(tx)
}

fn work(rx: Receiver<Arc<Offer>>, store: &RedbStore) {
    while let Ok(offer) = rx.recv() {
        let Some(job) = lock(&offer.job).take() else {
            continue; // the miner took it back
        };
        WORKER_RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seq = job.seq();
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(store)))
            .unwrap_or_else(|_| Done::failed(seq, "the Ethereum trie update panicked"));
        *lock(&offer.done) = Some(done);
        offer.ready.notify_one();
    }
}
