//! Fork mode over `https://`: a TLS front (rustls, the test certificate in `tests/data/fork_tls`)
//! relays JSON-RPC to a plain remote node. A fork that trusts the test CA (`ca_cert`, the CLI's
//! `--fork-ca-cert`) reads the remote's accounts through it; one that trusts only Mozilla's
//! roots refuses the certificate, so the connection is really verified.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

use alloy_primitives::{Address, U256};
use common::{TestNode, hex_u64};
use serde_json::json;
use tandem_node::accounts::dev_accounts;
use tandem_node::fork::ForkConfig;
use tandem_node::{Node, NodeConfig};

fn tls_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fork_tls")
}

/// Serves TLS on a free port; each connection's requests are relayed to `upstream` over
/// plain HTTP. Runs until the test process ends.
fn tls_front(upstream: SocketAddr) -> SocketAddr {
    let pem = |name: &str| std::fs::read(tls_dir().join(name)).unwrap();
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(&pem("cert.pem"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(&pem("key.pem")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let tls = rustls::StreamOwned::new(conn, stream);
                // A handshake the client refused ends here; the client reports why.
                let _ = relay(tls, upstream);
            });
        }
    });
    addr
}

/// Relays requests from one client connection until it closes.
fn relay(tls: impl Read + Write, upstream: SocketAddr) -> std::io::Result<()> {
    let mut tls = BufReader::new(tls);
    loop {
        let mut length = None;
        let mut line = String::new();
        if tls.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let request_line = line.trim_end().to_string();
        loop {
            line.clear();
            tls.read_line(&mut line)?;
            let header = line.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(v) = header.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            }
        }
        let mut body = vec![0u8; length.unwrap_or(0)];
        tls.read_exact(&mut body)?;
        assert!(request_line.starts_with("POST "), "{request_line}");
        let answer = forward(upstream, &body)?;
        let out = tls.get_mut();
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            answer.len()
        )?;
        out.write_all(&answer)?;
        out.flush()?;
    }
}

/// One plain HTTP POST to the upstream node; its answer's body.
fn forward(upstream: SocketAddr, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(upstream)?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    Ok(raw[split + 4..].to_vec())
}

#[test]
fn a_fork_reads_an_https_remote_and_verifies_its_certificate() {
    let remote_dir = tempfile::tempdir().unwrap();
    let remote = TestNode::start(remote_dir.path());
    let rc = remote.client();
    // On the remote only: ether for an address no genesis holds.
    let receiver = Address::repeat_byte(0x5a);
    let sender = &dev_accounts(1).unwrap()[0];
    let amount = U256::from(123_456_789u64);
    let hash = rc.call(
        "eth_sendTransaction",
        json!([{"from": sender.address, "to": receiver, "value": format!("{amount:#x}")}]),
    );
    assert!(hash.is_string(), "{hash}");
    let fork_block = hex_u64(&rc.call("eth_blockNumber", json!([])));
    let front = tls_front(remote.addr);
    let url = format!("https://127.0.0.1:{}", front.port());

    // Mozilla's roots do not hold the test CA: the handshake is refused, and nothing is made.
    let refused_dir = tempfile::tempdir().unwrap();
    let config = |ca_cert: Option<PathBuf>| NodeConfig {
        fork: Some(ForkConfig {
            url: url.clone(),
            block_number: Some(fork_block),
            ca_cert,
        }),
        ..NodeConfig::default()
    };
    let err = Node::open(refused_dir.path(), &config(None))
        .err()
        .expect("an untrusted certificate");
    let text = format!("{err:#}").to_ascii_lowercase();
    assert!(text.contains("certificate"), "{text}");

    // Trusting the test CA, the fork reads the remote's account through TLS.
    let fork_dir = tempfile::tempdir().unwrap();
    let fork = TestNode::start_with(fork_dir.path(), &config(Some(tls_dir().join("ca.pem"))));
    let fc = fork.client();
    let balance = fc.call("eth_getBalance", json!([receiver, "latest"]));
    assert_eq!(balance, json!(format!("{amount:#x}")));
    drop(fork);

    // Restarted without flags, it forks the recorded https remote with the recorded roots.
    let again = TestNode::start_with(fork_dir.path(), &NodeConfig::default());
    let balance = again
        .client()
        .call("eth_getBalance", json!([receiver, "latest"]));
    assert_eq!(balance, json!(format!("{amount:#x}")));
}
