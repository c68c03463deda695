//! A keep-alive HTTP/1.1 JSON-RPC client on a raw TCP stream: the node benches' one client
//! (`vs_anvil`, and `rpc` includes this file), the same bytes for every node measured.
//! Answers may come with a `Content-Length` or chunked (Hardhat's server chunks).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};

pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    addr: SocketAddr,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(300)))?;
        Ok(Self {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            addr,
        })
    }

    /// Posts `body` on the kept-alive connection; a server that closed it while idle gets
    /// one fresh connection.
    pub fn post(&mut self, body: &str) -> Value {
        if let Some(v) = self.try_post(body) {
            return v;
        }
        *self = Conn::open(self.addr).expect("reconnecting");
        self.try_post(body)
            .expect("the server closed a fresh connection")
    }

    /// None if the connection was closed before a response head arrived.
    fn try_post(&mut self, body: &str) -> Option<Value> {
        let req = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.writer.write_all(req.as_bytes()).ok()?;
        let mut len = None;
        let mut chunked = false;
        let mut line = String::new();
        let mut first = true;
        loop {
            line.clear();
            let n = self.reader.read_line(&mut line).unwrap_or(0);
            if first && n == 0 {
                return None;
            }
            first = false;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse::<usize>().ok();
                } else if k.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = v.trim().eq_ignore_ascii_case("chunked");
                }
            }
        }
        let mut buf = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).ok()?;
                let size = usize::from_str_radix(line.trim(), 16).ok()?;
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).ok()?;
                if size == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..size]);
            }
        } else {
            buf.resize(len?, 0);
            self.reader.read_exact(&mut buf).ok()?;
        }
        serde_json::from_slice(&buf).ok()
    }

    /// One call; panics (this is a benchmark) on an error answer.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let resp = self.post(&body(method, params));
        match resp.get("result") {
            Some(r) => r.clone(),
            None => panic!("{method}: {resp}"),
        }
    }
}

/// A JSON-RPC request body.
pub fn body(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string()
}

/// A hex quantity as u64.
pub fn quantity(v: &Value) -> u64 {
    let s = v.as_str().expect("a hex quantity");
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("a hex quantity")
}
