//! The JSON-RPC server of `tandem node`, in process on a loopback port: random and malformed
//! JSON, every method with parameters of random types and arity, batches up to and beyond the
//! limit, and (rarely) bodies of many megabytes. Every request with an id gets an HTTP answer
//! whose body is a JSON-RPC response (a result or an error); no handler panics; afterwards the
//! node still answers `eth_blockNumber` and mines on `evm_mine`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use tandem_node::{Node, NodeConfig, ServerHandle};

use crate::{Stats, Target, pick};

/// Panics seen on any thread since the hook was installed (the server's included).
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current().name().unwrap_or("?").to_string();
            if let Ok(mut p) = PANICS.lock() {
                p.push(format!("thread {thread}: {info}"));
            }
            previous(info)
        }));
    });
}

pub struct RpcTarget {
    _dir: tempfile::TempDir,
    _node: Arc<Node>,
    addr: SocketAddr,
    server: Option<ServerHandle>,
    runtime: tokio::runtime::Runtime,
    methods: Vec<&'static str>,
    requests: u64,
}

impl RpcTarget {
    pub fn start() -> Self {
        install_panic_hook();
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let node = Node::open(dir.path(), &NodeConfig::default()).unwrap();
        let server = runtime
            .block_on(tandem_node::serve(
                node.clone(),
                "127.0.0.1:0".parse().unwrap(),
            ))
            .unwrap();
        let mut methods: Vec<&'static str> = tandem_node::rpc::server::method_tables()
            .map(|(name, _)| *name)
            .collect();
        methods.sort();
        Self {
            _dir: dir,
            _node: node,
            addr: server.addr,
            server: Some(server),
            runtime,
            methods,
            requests: 0,
        }
    }
}

impl Drop for RpcTarget {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), s.stopped()).await
            });
        }
    }
}

/// An HTTP answer: status and body (None when the server closed without answering).
fn post(addr: SocketAddr, body: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).expect("the node accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // A server that refuses a huge body may close before reading it all.
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body));
    let mut resp = Vec::new();
    if let Err(e) = stream.read_to_end(&mut resp) {
        assert!(
            e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::TimedOut,
            "the node did not answer within 120 s"
        );
    }
    let text = String::from_utf8_lossy(&resp).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(len.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A random JSON value shaped like what Ethereum methods take (and what they do not).
fn value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 2 { 14 } else { 17 }) {
        0 => Value::Null,
        1 => json!(rng.random_bool(0.5)),
        2 => json!(rng.random::<i64>()),
        3 => json!(rng.random::<f64>() * 1e30),
        4 => json!(pick(
            rng,
            &[
                "latest",
                "pending",
                "earliest",
                "safe",
                "finalized",
                "0x",
                "",
                "0x-1",
                "0xzz",
                "-1"
            ]
        )),
        5 => json!(format!("0x{:x}", rng.random_range(0..16u64))),
        6 => json!(format!("0x{:x}", rng.random::<u64>())),
        7 => json!(format!("0x{}", "f".repeat(rng.random_range(1..80)))),
        8 => json!(format!("0x{}", hex::encode(crate::bytes(rng, 20)))),
        9 => json!(format!("0x{}", hex::encode(crate::bytes(rng, 32)))),
        10 => {
            let n = rng.random_range(0..200);
            json!(format!("0x{}", hex::encode(crate::bytes(rng, n))))
        }
        11 => json!(pick(
            rng,
            &[
                "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                "0x70997970C51812dc3A010C7d01b8B64d6d0a6a7a",
                "f01",
                "f099",
                "f410fxxx",
                "t1abc",
                "bafy2bzacea",
                "é😀",
            ]
        )),
        12 => json!(String::from_utf8_lossy(&crate::bytes(rng, 12)).to_string()),
        13 => json!(rng.random_range(0..5u64)),
        14 => {
            let n = rng.random_range(0..5);
            Value::Array((0..n).map(|_| value(rng, depth + 1)).collect())
        }
        _ => {
            let keys = [
                "from",
                "to",
                "value",
                "data",
                "input",
                "gas",
                "gasPrice",
                "nonce",
                "address",
                "topics",
                "fromBlock",
                "toBlock",
                "blockHash",
                "code",
                "method",
                "params",
                "maxFeePerGas",
                "accessList",
                "type",
                "chainId",
            ];
            let n = rng.random_range(0..5);
            Value::Object(
                (0..n)
                    .map(|_| (pick(rng, &keys).to_string(), value(rng, depth + 1)))
                    .collect(),
            )
        }
    }
}

/// Methods that stall on request (waiting, mining many blocks) are still called, with
/// parameters that keep them short.
fn tame(method: &str, params: &mut Value) {
    // Waiting methods wait up to their timeout (30 s by default) for a receipt that a random
    // hash never gets: keep the timeout short.
    if matches!(method, "tandem_waitMessage" | "eth_sendRawTransactionSync")
        && let Value::Array(a) = params
        && !a.is_empty()
    {
        a.truncate(1);
        a.push(json!(50));
    }
    if matches!(method, "hardhat_mine" | "anvil_mine")
        && let Value::Array(a) = params
        && !a.is_empty()
    {
        a[0] = json!("0x3");
    }
}

impl RpcTarget {
    /// Panics if any thread panicked since the last check (the server's included).
    pub fn assert_no_panic(&self) {
        let panics = std::mem::take(&mut *PANICS.lock().unwrap());
        assert!(panics.is_empty(), "the server panicked: {panics:#?}");
    }

    fn request(&self, rng: &mut StdRng, id: u64) -> Value {
        let method = *pick(rng, &self.methods);
        let mut params = match rng.random_range(0..6) {
            0 => Value::Null,
            1 => value(rng, 0),
            _ => {
                let n = rng.random_range(0..5);
                Value::Array((0..n).map(|_| value(rng, 0)).collect())
            }
        };
        tame(method, &mut params);
        let mut req = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if !params.is_null() || rng.random_bool(0.5) {
            req["params"] = params;
        }
        match rng.random_range(0..30) {
            0 => req["jsonrpc"] = json!("1.0"),
            1 => req["id"] = value(rng, 0),
            2 => req["method"] = value(rng, 0),
            3 => {
                req.as_object_mut().unwrap().remove("method");
            }
            _ => {}
        }
        req
    }

    /// One body: (bytes, whether an answer with a JSON body is required).
    fn body(&mut self, rng: &mut StdRng) -> (Vec<u8>, bool, &'static str) {
        match rng.random_range(0..100) {
            0..=59 => {
                let id = rng.random_range(1..1000);
                let r = self.request(rng, id);
                (r.to_string().into_bytes(), true, "single")
            }
            60..=69 => {
                let n = match rng.random_range(0..10) {
                    0 => 0,
                    1 => rng.random_range(990..1010),
                    _ => rng.random_range(1..20),
                };
                let batch: Vec<Value> = (0..n).map(|i| self.request(rng, i as u64 + 1)).collect();
                (Value::Array(batch).to_string().into_bytes(), true, "batch")
            }
            70..=79 => {
                // Truncated or corrupted valid JSON.
                let mut b = self.request(rng, 7).to_string().into_bytes();
                let i = rng.random_range(0..b.len());
                if rng.random_bool(0.5) {
                    b.truncate(i);
                } else {
                    b[i] = rng.random();
                }
                (b, true, "corrupted")
            }
            80..=84 => {
                let n = rng.random_range(0..300);
                (crate::bytes(rng, n), true, "random bytes")
            }
            85..=89 => {
                let depth = rng.random_range(100..20_000);
                let b = format!(
                    "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":{}{}}}",
                    "[".repeat(depth),
                    "]".repeat(depth)
                );
                (b.into_bytes(), true, "deep nesting")
            }
            90..=97 => {
                // A large parameter (a few MB of calldata or a long string).
                let n = rng.random_range(100_000..3_000_000);
                let method = *pick(
                    rng,
                    &[
                        "eth_call",
                        "eth_estimateGas",
                        "web3_sha3",
                        "eth_sendRawTransaction",
                        "eth_getBalance",
                    ],
                );
                let b = json!({"jsonrpc": "2.0", "id": 1, "method": method,
                    "params": [{"data": format!("0x{}", "ab".repeat(n))}]});
                (b.to_string().into_bytes(), true, "large body")
            }
            _ => {
                // Beyond the 64 MiB body limit, now and then.
                if self.requests.is_multiple_of(5) {
                    let n = 65 << 20;
                    let mut b =
                        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"web3_sha3\",\"params\":[\"0x"
                            .to_vec();
                    b.resize(n, b'a');
                    b.extend_from_slice(b"\"]}");
                    (b, false, "huge body")
                } else {
                    (b"{}".to_vec(), true, "empty object")
                }
            }
        }
    }

    /// One request; the answer must be HTTP 200 with a JSON body.
    pub fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, text) = post(self.addr, body.to_string().as_bytes())
            .unwrap_or_else(|| panic!("no answer to {method}"));
        assert_eq!(status, 200, "{method}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method}: bad JSON {text:?}: {e}"))
    }

    pub fn block_number(&self) -> u64 {
        let r = self.call("eth_blockNumber", json!([]));
        let s = r["result"]
            .as_str()
            .unwrap_or_else(|| panic!("eth_blockNumber: {r}"));
        u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
    }
}

fn check_response(kind: &str, body: &[u8], status: u16, text: &str, stats: &mut Stats) {
    let shown = || String::from_utf8_lossy(&body[..body.len().min(300)]).to_string();
    assert!(
        status < 500,
        "{kind}: HTTP {status} for {}: {text}",
        shown()
    );
    if text.is_empty() {
        // Notifications (no id) and HTTP-level refusals may have no body.
        stats.count(&format!("{kind}: HTTP {status}, empty body"));
        return;
    }
    let v: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{kind}: not JSON ({e}) for {}: {text}", shown()));
    if v.is_null() {
        // jsonrpsee answers a request whose `id` is neither a string, a number nor null
        // (e.g. `true`, an object, a fraction, a negative number: its ids are u64) with a bare `null` body instead of an Invalid Request
        // error. A library behaviour, recorded here, not a node failure.
        // The same for a notification (no `id`, e.g. a corrupted key): no answer is due.
        let id_ok = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|r| r.get("id").cloned())
            .is_some_and(|id| id.is_string() || id.is_u64() || id.is_null());
        assert!(!id_ok, "{kind}: a `null` answer to {}", shown());
        stats.count("invalid or absent id answered with a bare null (jsonrpsee)");
        return;
    }
    let items = match &v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for item in items {
        let ok = item.get("result").is_some() != item.get("error").is_some();
        assert!(
            ok,
            "{kind}: not a JSON-RPC response: {item} for {}",
            shown()
        );
        if let Some(e) = item.get("error") {
            let code = e["code"].as_i64().unwrap_or(0);
            stats.count(&format!("error {code}"));
            if code == -32603 {
                // Internal errors are the node's, not the caller's: keep what they said.
                let msg: String = e["message"]
                    .as_str()
                    .unwrap_or("")
                    .chars()
                    .take(90)
                    .collect();
                stats.count(&format!("  internal: {msg}"));
            }
        } else {
            stats.count("result");
        }
    }
}

impl Target for RpcTarget {
    const NAME: &'static str = "rpc";

    fn iteration(&mut self, rng: &mut StdRng, stats: &mut Stats) {
        for _ in 0..rng.random_range(1..=4) {
            self.requests += 1;
            let (body, answer_required, kind) = self.body(rng);
            let t = std::time::Instant::now();
            let answer = post(self.addr, &body);
            if t.elapsed() > Duration::from_secs(2) {
                let mut head = String::from_utf8_lossy(&body[..body.len().min(120)]).to_string();
                if let Ok(Value::Array(reqs)) = serde_json::from_slice::<Value>(&body) {
                    let mut methods: Vec<String> = reqs
                        .iter()
                        .filter_map(|r| r.get("method").map(|m| m.to_string()))
                        .filter(|m| m.contains("wait") || m.contains("Sync") || m.contains("mine"))
                        .collect();
                    methods.dedup();
                    head = format!("batch of {} with {}", reqs.len(), methods.join(" "));
                }
                stats.count(&format!(
                    "slow ({:.0} s): {head}",
                    t.elapsed().as_secs_f64()
                ));
            }
            match answer {
                Some((status, text)) => check_response(kind, &body, status, &text, stats),
                None => assert!(
                    !answer_required,
                    "{kind}: the connection closed without an answer to {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                ),
            }
            self.assert_no_panic();
        }
        // Still up, and still mining.
        let before = self.block_number();
        let r = self.call("evm_mine", json!([]));
        assert!(r.get("result").is_some(), "evm_mine: {r}");
        let after = self.block_number();
        assert!(after > before, "evm_mine did not mine ({before} → {after})");
    }
}
