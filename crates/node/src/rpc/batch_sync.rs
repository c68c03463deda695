//! One durable sync per JSON-RPC batch.
//!
//! A write method syncs the store before it answers (`server.rs`), so a write is never
//! acknowledged before it is durable. Inside a batch that would be one fsync per call, and a
//! batch of 800 transactions would wait for 800 fsyncs in a row (its calls run one after the
//! other). This layer marks every call of a batch with a [`DeferredSync`]: a write in the
//! batch then only records that a sync is owed, and the layer syncs once, after the last
//! call and before the batch's answer is sent. If that sync fails, the whole batch is
//! answered with an error instead, so no write of it is acknowledged.
//!
//! A batch without heavy reads also runs its calls in place ([`MayBlock`]): on the node's
//! multi-threaded runtime the batch leaves the async workers (`block_in_place`) and its
//! writes run on its thread, where single writes take the blocking pool, so a batch of N
//! writes costs no 2N thread switches; the async workers stay free for other requests
//! meanwhile. A batch with a heavy read runs as single calls do (see `batch` below for why).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jsonrpsee::core::middleware::{Batch, Notification, Request, RpcServiceT};
use jsonrpsee::server::MethodResponse;
use jsonrpsee::types::{ErrorObjectOwned, Id};

use crate::node::Node;

/// In a batch call's extensions: the batch syncs once after its last call.
#[derive(Clone, Default)]
pub struct DeferredSync(Arc<AtomicBool>);

impl DeferredSync {
    /// A write succeeded; the batch owes a sync before it answers.
    pub fn owe(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn owed(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// In a batch call's extensions: the batch runs on a thread that may block (the runtime's
/// `block_in_place`), so its writes run there instead of hopping to the blocking pool one
/// call at a time (`server.rs`).
#[derive(Clone, Copy)]
pub struct MayBlock;

/// Batch writes run in place since the process started (tests check the path ran).
pub static WRITES_IN_PLACE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Batches that may run in place at once: a small part of the blocking pool (512 threads),
/// so requests that need a pool thread always find one soon.
pub const MAX_IN_PLACE_BATCHES: usize = 32;

static IN_PLACE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_IN_PLACE_BATCHES);

/// Whether a batch may run in place: `block_in_place` needs the multi-threaded runtime
/// (the node's); elsewhere the calls take the blocking pool as single calls do.
fn may_block_in_place() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// The RPC middleware that gives each batch one sync.
#[derive(Clone)]
pub struct BatchSync<S> {
    pub service: S,
    pub node: Arc<Node>,
}

impl<S> RpcServiceT for BatchSync<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, req: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.service.call(req)
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let deferred = DeferredSync::default();
        // A heavy read waits for its turn at the gate and then for a blocking-pool thread
        // (`server.rs`). Inside a batch in place it would wait holding the pool thread its
        // batch runs on, and over 512 such batches (the pool's size) would each hold one while
        // waiting for another: the node would stop for good (`tests/hostile_batches.rs`). So
        // a batch with a heavy read runs its calls as single calls do, waiting without a
        // thread; in place stays for batches of writes and light reads, which never wait for
        // the pool.
        //
        // And at most `MAX_IN_PLACE_BATCHES` batches run in place at once (the rest as single
        // calls do), so batches of writes cannot hold most of the pool either: a write sent
        // alone behind hundreds of them would wait for whole batches to finish.
        let heavy = batch
            .iter()
            .flatten()
            .any(|e| super::server::is_heavy_read(e.method_name()));
        let place = match may_block_in_place() && !heavy {
            true => IN_PLACE.try_acquire().ok(),
            false => None,
        };
        let in_place = place.is_some();
        for entry in batch.iter_mut().flatten() {
            entry.extensions_mut().insert(deferred.clone());
            if in_place {
                entry.extensions_mut().insert(MayBlock);
            }
        }
        let service = self.service.clone();
        let node = self.node.clone();
        let raws = super::presend::raw_transactions(&batch);
        async move {
            // Senders recovered on another thread while the calls run (`presend.rs`).
            let ahead = (raws.len() > 1).then(|| super::presend::Ahead::start(node.clone(), raws));
            // The calls run one after the other either way; in place, this thread leaves the
            // runtime's workers (others take over its tasks) and runs them without a thread
            // switch per write.
            let answer = if in_place {
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(service.batch(batch))
                })
            } else {
                service.batch(batch).await
            };
            drop(place);
            drop(ahead);
            if !deferred.owed() {
                return answer;
            }
            let synced = tokio::task::spawn_blocking(move || node.sync()).await;
            let failure = match synced {
                Ok(Ok(())) => return answer,
                Ok(Err(e)) => format!("{e:#}"),
                Err(e) => e.to_string(),
            };
            tracing::error!(target: "tandem::rpc", "a batch's writes could not be made durable: {failure}");
            MethodResponse::error(
                Id::Null,
                ErrorObjectOwned::owned(
                    -32603,
                    format!("the batch's writes could not be made durable: {failure}"),
                    None::<()>,
                ),
            )
        }
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.service.notification(n)
    }
}
