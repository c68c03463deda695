//! Requests that wait for a block (`tandem_waitMessage`, `eth_sendRawTransactionSync`) hold a
//! thread of the blocking pool while they wait, up to two minutes. The pool is what every
//! write and heavy read runs on (512 threads), so a few hundred idle waits would stall the
//! chain: at most [`MAX_WAITERS`] requests wait at once on a node, and the next one gets an
//! error that names the limit instead of a thread.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{RpcError, RpcResult};

/// Requests waiting for a block at once, per node.
pub const MAX_WAITERS: usize = 64;

/// A node's count of waiting requests. Per node, not per process: two nodes in one process
/// (tests, an embedder) must not refuse each other's waits.
#[derive(Default)]
pub struct Waiters(AtomicUsize);

/// A place among a node's waiters, given back when dropped.
pub struct Waiter<'a>(&'a AtomicUsize);

impl Waiters {
    /// Takes a place, or says that [`MAX_WAITERS`] requests are waiting already.
    pub fn enter(&self) -> RpcResult<Waiter<'_>> {
        let taken = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_WAITERS).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(Waiter(&self.0)),
            Err(_) => Err(RpcError::server(format!(
                "too many requests waiting for blocks (MAX_WAITERS {MAX_WAITERS}); \
                 retry later or poll for the receipt"
            ))),
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
