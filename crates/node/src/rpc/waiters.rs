//! Requests that wait for a block (`tandem_waitMessage`, `eth_sendRawTransactionSync`) hold a
//! thread of the blocking pool while they wait, up to two minutes. The pool is what every
//! write and heavy read runs on (512 threads), so a few hundred idle waits would stall the
//! chain: at most [`MAX_WAITERS`] requests wait at once, and the next one gets an error that
//! names the limit instead of a thread.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{RpcError, RpcResult};

/// Requests waiting for a block at once (in this process: one node per process).
pub const MAX_WAITERS: usize = 64;

static WAITING: AtomicUsize = AtomicUsize::new(0);

/// A place among the waiters, given back when dropped.
pub struct Waiter(());

impl Waiter {
    /// Takes a place, or says that [`MAX_WAITERS`] requests are waiting already.
    pub fn enter() -> RpcResult<Self> {
        let taken = WAITING.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_WAITERS).then_some(n + 1)
        });
        match taken {
            Ok(_) => Ok(Self(())),
            Err(_) => Err(RpcError::server(format!(
                "too many requests waiting for blocks (MAX_WAITERS {MAX_WAITERS}); \
                 retry later or poll for the receipt"
            ))),
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::AcqRel);
    }
}
