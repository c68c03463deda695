//! Shared by the node's integration tests: an in-process node on a free loopback port and a
//! tiny blocking JSON-RPC client over plain HTTP/1.1; [`txs`]: accounts, init code, sends and
//! signed transactions; [`devnode`]: the node binary as a child process.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tandem_node::{Node, NodeConfig, ServerHandle};

pub mod devnode;
pub mod txs;
pub mod ws;

pub struct TestNode {
    pub node: Arc<Node>,
    pub addr: SocketAddr,
    server: Option<ServerHandle>,
    runtime: tokio::runtime::Runtime,
}

impl TestNode {
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, &NodeConfig::default())
    }

    /// A node served with the accept loop's limits given (`rpc/listener.rs`).
    pub fn start_with_limits(dir: &Path, limits: tandem_node::ListenerLimits) -> Self {
        Self::serve(dir, &NodeConfig::default(), limits)
    }

    /// A node opened with `config` (a fork, a hardfork), served like [`TestNode::start`].
    pub fn start_with(dir: &Path, config: &NodeConfig) -> Self {
        Self::serve(dir, config, tandem_node::ListenerLimits::default())
    }

    fn serve(dir: &Path, config: &NodeConfig, limits: tandem_node::ListenerLimits) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let node = Node::open(dir, config).unwrap();
        let server = runtime
            .block_on(tandem_node::serve_with_limits(
                node.clone(),
                "127.0.0.1:0".parse().unwrap(),
                limits,
            ))
            .unwrap();
        Self {
            node,
            addr: server.addr,
            server: Some(server),
            runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn client(&self) -> Client {
        Client { addr: self.addr }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), s.stopped()).await
            });
        }
    }
}

pub struct Client {
    pub addr: SocketAddr,
}

impl Client {
    /// Posts a JSON-RPC body on its own connection and returns the connection unread, so
    /// that many requests can be in flight at once; read it to the end for the answer.
    pub fn post_and_leave(&self, body: &str, timeout_secs: u64) -> TcpStream {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(timeout_secs)))
            .unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        s
    }

    /// Posts a raw body; returns the parsed response.
    pub fn post(&self, body: &str) -> Value {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let req = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            self.addr,
            body.len(),
            body
        );
        stream.write_all(req.as_bytes()).unwrap();
        let mut resp = Vec::new();
        stream.read_to_end(&mut resp).unwrap();
        let text = String::from_utf8_lossy(&resp);
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        };
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("bad JSON {body:?}: {e}"))
    }

    /// Sends a raw HTTP request; returns the response head and body as text.
    #[allow(dead_code)] // used by some test binaries only
    pub fn raw(&self, request: &str) -> (String, String) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut resp = Vec::new();
        stream.read_to_end(&mut resp).unwrap();
        let text = String::from_utf8_lossy(&resp).to_string();
        match text.split_once("\r\n\r\n") {
            Some((h, b)) => (h.to_string(), b.to_string()),
            None => (text, String::new()),
        }
    }

    /// Calls a method; returns the whole response object.
    pub fn request(&self, method: &str, params: Value) -> Value {
        self.post(
            &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string(),
        )
    }

    /// Calls a method and unwraps its result.
    pub fn call(&self, method: &str, params: Value) -> Value {
        let resp = self.request(method, params);
        match resp.get("result") {
            Some(r) => r.clone(),
            None => panic!("{method} failed: {resp}"),
        }
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    out
}

pub fn hex_u64(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}
