//! The JSON-RPC server: HTTP and WebSocket on one port (jsonrpsee), batches, subscriptions.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use jsonrpsee::RpcModule;
use jsonrpsee::server::{BatchRequestConfig, PingConfig, Server, ServerConfig};
use jsonrpsee::types::{ErrorObjectOwned, SubscriptionId};

use super::{
    Handler, Params, access_list, anvil_state, dev, eth, filters, lane, listener, native, ots,
    pool, sign,
};
use crate::error::RpcError;
use crate::node::Node;

/// A running server; dropping it does not stop it, [`ServerHandle::stop`] does.
pub struct ServerHandle {
    pub addr: SocketAddr,
    handle: jsonrpsee::server::ServerHandle,
}

impl ServerHandle {
    pub fn stop(&self) {
        let _ = self.handle.stop();
    }

    pub async fn stopped(self) {
        self.handle.stopped().await
    }
}

/// Subscription ids as Ethereum nodes give them: `0x` and 32 hex digits.
#[derive(Debug, Default)]
struct HexIds(std::sync::atomic::AtomicU64);

impl jsonrpsee::core::traits::IdProvider for HexIds {
    fn next_id(&self) -> SubscriptionId<'static> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        SubscriptionId::Str(format!("0x{salt:016x}{n:016x}").into())
    }
}

/// Every method the node answers, by name.
pub fn method_tables() -> impl Iterator<Item = &'static (&'static str, Handler)> {
    eth::METHODS
        .iter()
        .chain(filters::METHODS)
        .chain(dev::METHODS)
        .chain(native::METHODS)
        .chain(lane::METHODS)
        .chain(sign::METHODS)
        .chain(super::debug::METHODS.iter().chain(super::trace::METHODS))
        .chain(access_list::METHODS)
        .chain(pool::METHODS)
        .chain(anvil_state::METHODS)
        .chain(ots::METHODS)
        .chain(super::simulate::METHODS)
        .chain(super::proof::METHODS)
}

/// At most this many calls in one JSON-RPC batch (a longer batch is one error).
pub const MAX_BATCH_REQUESTS: u32 = 1_000;
/// At most this many bytes in one HTTP request or WebSocket message (a state dump for
/// `anvil_loadState` is the largest legitimate one).
pub const MAX_REQUEST_BYTES: u32 = 64 << 20;
/// At most this many bytes in one answer.
pub const MAX_RESPONSE_BYTES: u32 = 256 << 20;
/// At most this many open connections.
pub const MAX_CONNECTIONS: u32 = 1_000;
/// Answers and notifications waiting for one connection's client to read them (jsonrpsee's
/// default is 1,024). A WebSocket client that subscribes and never reads holds at most this
/// many; past it the connection takes no new request until the client reads.
pub const MAX_BUFFERED_MESSAGES: u32 = 256;

/// Methods that wait on the chain lock (a commit fsyncs) or sleep run on the blocking pool,
/// so the async workers keep parsing and answering reads meanwhile. They sync before they
/// answer (a write is acknowledged only when durable).
fn is_blocking(name: &str) -> bool {
    matches!(
        name,
        "eth_sendRawTransaction" | "eth_sendRawTransactionSync" | "eth_sendTransaction"
    ) || ["evm_", "anvil_", "hardhat_", "tandem_", "debug_", "trace_"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Reads that run the EVM or scan the chain (up to a block's gas per call, 256 simulated
/// blocks, 16 access-list runs, a chain-long search, a block's replay for a trace) run on the
/// blocking pool, and take turns there: a few of them at once would otherwise hold every async
/// worker, and many of them every blocking thread. (Traces also count as blocking methods.)
pub(super) fn is_heavy_read(name: &str) -> bool {
    matches!(
        name,
        "eth_call"
            | "eth_estimateGas"
            | "eth_simulateV1"
            | "eth_createAccessList"
            | "eth_getProof"
            | "eth_getLogs"
            | "eth_getFilterLogs"
    ) || ["ots_", "debug_trace", "trace_"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Heavy reads that may run at once: `max(4, cores)`. The rest wait for a place without
/// holding a thread, so however many arrive, the blocking pool always has threads for
/// writes, and writes share the CPU with at most this many reads. (Without the gate, a
/// flood of heavy calls took every blocking thread, and a transaction sent behind them
/// waited until hundreds of them had finished.)
pub fn max_heavy_reads() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get().max(4))
}

pub fn module(node: Arc<Node>) -> anyhow::Result<RpcModule<Arc<Node>>> {
    let mut module = RpcModule::new(node);
    let gate = Arc::new(tokio::sync::Semaphore::new(max_heavy_reads()));
    for (name, handler) in method_tables() {
        let handler = *handler;
        let name: &'static str = name;
        let run = move |params: jsonrpsee::types::Params<'_>,
                        node: &Arc<Node>,
                        ext: &jsonrpsee::Extensions| {
            // Once the store has failed, writes are refused before they run (`store_health.rs`).
            let refused = if is_blocking(name) && !is_heavy_read(name) {
                node.health.refuse_rpc()
            } else {
                Ok(())
            };
            let mut result = refused
                .and_then(|()| Params::parse(params.as_str()))
                .and_then(|p| handler(node, &p));
            // A write is acknowledged only once it is durable (group commit; see Node::sync);
            // in a batch, once for the whole batch before it answers (batch_sync.rs).
            if result.is_ok() && is_blocking(name) {
                match ext.get::<super::batch_sync::DeferredSync>() {
                    Some(deferred) => deferred.owe(),
                    None => {
                        if let Err(e) = node.sync() {
                            result = Err(e.into());
                        }
                    }
                }
            }
            if let Err(e) = &result {
                tracing::debug!(target: "tandem::rpc", "{name} failed: {} ({})", e.message, e.code);
            }
            result.map_err(ErrorObjectOwned::from)
        };
        if is_heavy_read(name) {
            let gate = gate.clone();
            module.register_async_method(name, move |params, node, ext| {
                let gate = gate.clone();
                async move {
                    // The semaphore is never closed, so acquiring fails only if it were.
                    let _place = gate.acquire_owned().await.map_err(|_| {
                        ErrorObjectOwned::from(RpcError::internal("the node is shutting down"))
                    })?;
                    tokio::task::spawn_blocking(move || run(params, &node, &ext))
                        .await
                        .unwrap_or_else(|e| {
                            Err(ErrorObjectOwned::from(RpcError::internal(format!(
                                "{name} stopped: {e}"
                            ))))
                        })
                }
            })?;
        } else if is_blocking(name) {
            module.register_async_method(name, move |params, node, ext| async move {
                // A batch that runs on a thread allowed to block (`batch_sync.rs`) runs its
                // writes right there: a hop to the blocking pool per call cost two thread
                // switches each, 1,600 for a batch of 800 transactions.
                if ext.get::<super::batch_sync::MayBlock>().is_some() {
                    super::batch_sync::WRITES_IN_PLACE.fetch_add(1, Ordering::Relaxed);
                    return run(params, &node, &ext);
                }
                tokio::task::spawn_blocking(move || run(params, &node, &ext))
                    .await
                    .unwrap_or_else(|e| {
                        Err(ErrorObjectOwned::from(RpcError::internal(format!(
                            "{name} stopped: {e}"
                        ))))
                    })
            })?;
        } else {
            module.register_method(name, move |params, node, ext| run(params, node, ext))?;
        }
    }
    module.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, node, _| filters::subscribe(params, pending, node),
    )?;
    Ok(module)
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One connection served until it closes.
type Serving = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), BoxError>> + Send>>;

/// What the accept loop allows (`listener.rs`); tests lower them.
#[derive(Clone, Copy, Debug)]
pub struct ListenerLimits {
    /// Open sockets at most.
    pub open: usize,
    /// An HTTP connection idle this long is closed.
    pub http_idle: std::time::Duration,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        Self {
            open: listener::open_limit(),
            http_idle: listener::HTTP_IDLE_TIMEOUT,
        }
    }
}

/// Starts serving on `addr` (port 0 picks a free port).
pub async fn serve(node: Arc<Node>, addr: SocketAddr) -> anyhow::Result<ServerHandle> {
    serve_with_limits(node, addr, ListenerLimits::default()).await
}

/// [`serve`] with the accept loop's limits given.
pub async fn serve_with_limits(
    node: Arc<Node>,
    addr: SocketAddr,
    limits: ListenerLimits,
) -> anyhow::Result<ServerHandle> {
    let config = ServerConfig::builder()
        .set_id_provider(HexIds::default())
        .set_batch_request_config(BatchRequestConfig::Limit(MAX_BATCH_REQUESTS))
        .max_connections(MAX_CONNECTIONS)
        .set_message_buffer_capacity(MAX_BUFFERED_MESSAGES)
        .max_request_body_size(MAX_REQUEST_BYTES)
        .max_response_body_size(MAX_RESPONSE_BYTES)
        // WebSocket connections are not closed for idleness (a subscriber may hear nothing
        // for long), so a peer that vanished is found by its missing pongs.
        .enable_ws_ping(PingConfig::new().max_failures(3))
        .build();
    // Browser dapps (a page on another origin) may call the node, as anvil allows: any
    // origin, the methods and headers; preflights are answered here.
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods(tower_http::cors::Any)
        .allow_headers(tower_http::cors::Any);
    let services = Server::builder()
        .set_config(config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(cors))
        .set_rpc_middleware(
            jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new().layer_fn({
                let node = node.clone();
                move |service| super::batch_sync::BatchSync {
                    service,
                    node: node.clone(),
                }
            }),
        )
        .to_service_builder();
    let methods = jsonrpsee::Methods::from(module(node)?);
    let tcp = listener::bind(addr)?;
    let addr = tcp.local_addr()?;
    let (stop, handle) = jsonrpsee::server::stop_channel();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.open));
    tokio::spawn(async move {
        let mut errors = listener::AcceptErrors::default();
        let mut full_reported = false;
        loop {
            if slots.available_permits() == 0 && !full_reported {
                tracing::warn!(target: "tandem::rpc", "{} RPC connections are open, the most this node keeps; new ones wait until one closes", limits.open);
                full_reported = true;
            }
            let permit = tokio::select! {
                p = slots.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                _ = stop.clone().shutdown() => break,
            };
            let socket = tokio::select! {
                r = tcp.accept() => r,
                _ = stop.clone().shutdown() => break,
            };
            let socket = match socket {
                Ok((socket, _)) => socket,
                Err(e) => {
                    errors.failed(&e);
                    tokio::time::sleep(listener::ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            full_reported = false;
            let _ = socket.set_nodelay(true);
            let activity = listener::Activity::new();
            let service = services.clone().build(methods.clone(), stop.clone());
            let watched = activity.clone();
            let service = tower::service_fn(move |req| {
                let guard = watched.request(jsonrpsee::server::ws::is_upgrade_request(&req));
                let mut service = service.clone();
                async move {
                    let answer = tower::Service::call(&mut service, req).await;
                    drop(guard);
                    answer
                }
            });
            let io = listener::WatchedStream::new(socket, activity.clone());
            let serving: Serving = Box::pin(jsonrpsee::server::serve_with_graceful_shutdown(
                io,
                service,
                stop.clone().shutdown(),
            ));
            tokio::spawn(async move {
                tokio::select! {
                    _ = serving => {}
                    _ = activity.idle(limits.http_idle) => {}
                }
                drop(permit);
            });
        }
    });
    Ok(ServerHandle { addr, handle })
}
