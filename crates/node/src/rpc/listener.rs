//! The RPC server's accept loop, in place of jsonrpsee's: what a client can hold open.
//!
//! jsonrpsee's own loop bounds requests in flight (`MAX_CONNECTIONS`) but not open sockets:
//! an idle HTTP/1.1 keep-alive connection is kept forever, and when accepting fails (no file
//! descriptor left: `EMFILE`) it retries at once, so one of the runtime's two threads spun
//! at 100 % while a client held the descriptors (measured: a node under `ulimit -n 512`
//! and 700 idle clients). Here:
//! - at most [`open_limit`] sockets are open; at the limit the loop stops accepting (new
//!   clients wait in the kernel's backlog) instead of failing;
//! - a failed accept waits [`ACCEPT_BACKOFF`] before the next, and is logged at most once
//!   a minute;
//! - an HTTP connection with no request in flight and no byte either way for
//!   [`HTTP_IDLE_TIMEOUT`] is closed (geth's HTTP idle timeout is the same 120 s). WebSocket
//!   connections are not: a subscriber may legitimately hear nothing for long, and the
//!   server pings them (`server.rs`), so a dead peer is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// At most this many open sockets (HTTP or WebSocket, idle or busy), and fewer if the
/// process may not open that many files ([`open_limit`]).
pub const MAX_OPEN_CONNECTIONS: usize = 10_000;
/// File descriptors kept for everything else (the store, its log, dumps, the runtime).
const RESERVED_FDS: u64 = 256;
/// An idle HTTP connection is closed after this long.
pub const HTTP_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// The wait after a failed accept.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Clients that may wait to be accepted (the kernel caps it at `net.core.somaxconn`); std's
/// default of 128 makes a burst of connections past the open limit retry their SYNs for
/// seconds to minutes.
const LISTEN_BACKLOG: u32 = 1_024;

/// The listening socket.
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As std's bind does: a restarted node can take its port back at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// How many sockets the server keeps open at most: [`MAX_OPEN_CONNECTIONS`], or the
/// process's file limit less [`RESERVED_FDS`] if that is lower (at least 16).
pub fn open_limit() -> usize {
    let files = raise_file_limit();
    let room = files.saturating_sub(RESERVED_FDS).max(16);
    MAX_OPEN_CONNECTIONS.min(usize::try_from(room).unwrap_or(usize::MAX))
}

/// Raises this process's soft limit on open files to its hard limit (as geth does: the
/// default soft limit of 1,024 is far below what a server needs) and returns the limit now
/// in force. Where the limit cannot be read, assumes 1,024.
pub fn raise_file_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one rlimit through a valid pointer.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return 1_024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            // SAFETY: setrlimit reads one rlimit through a valid pointer.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
        lim.rlim_cur
    }
    #[cfg(not(unix))]
    {
        1_024
    }
}

/// Logs a failing accept at most once a minute, with how many failed since.
#[derive(Default)]
pub struct AcceptErrors {
    last: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    pub fn failed(&mut self, e: &std::io::Error) {
        self.unlogged += 1;
        if self
            .last
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
        {
            tracing::warn!(
                target: "tandem::rpc",
                "accepting an RPC connection failed ({} times since the last report): {e}; retrying in {} ms",
                self.unlogged,
                ACCEPT_BACKOFF.as_millis()
            );
            self.last = Some(Instant::now());
            self.unlogged = 0;
        }
    }
}

/// What one connection has been doing, for its idle timer.
pub struct Activity {
    start: Instant,
    /// Milliseconds since `start` of the last byte read or written.
    last: AtomicU64,
    in_flight: AtomicUsize,
    upgraded: AtomicBool,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            last: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            upgraded: AtomicBool::new(false),
        })
    }

    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }

    /// A request arrived; `websocket` if it asks for an upgrade. The guard ends it.
    pub fn request(self: &Arc<Self>, websocket: bool) -> InFlight {
        if websocket {
            self.upgraded.store(true, Ordering::Relaxed);
        }
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
        InFlight(self.clone())
    }

    /// Resolves when the connection has been idle for `limit`: no request in flight and no
    /// byte either way. Never, once it became a WebSocket.
    pub async fn idle(&self, limit: Duration) {
        loop {
            if self.upgraded.load(Ordering::Relaxed) {
                std::future::pending::<()>().await;
            }
            let idle = self.idle_for();
            if idle >= limit && self.in_flight.load(Ordering::Relaxed) == 0 {
                return;
            }
            tokio::time::sleep(limit.saturating_sub(idle).max(Duration::from_secs(1))).await;
        }
    }
}

/// A request in flight; dropped when its answer is ready.
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A socket that records when bytes last moved.
pub struct WatchedStream {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl WatchedStream {
    pub fn new(inner: TcpStream, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        poll
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
