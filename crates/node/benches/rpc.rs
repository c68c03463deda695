//! RPC throughput: Tandem's node against the Hardhat node (EDR), same load, same run.
//!
//! `cargo bench -p tandem-node --bench rpc` (add `-- --quick` for a smaller run). Loads, all
//! on loopback and bounded in count:
//! - `eth_blockNumber` and `eth_call` (ERC20 `balanceOf`) from 8 keep-alive connections;
//! - ERC20 transfers signed up front and sent with `eth_sendRawTransaction` from 4 senders
//!   (one connection each, nonces in order; both nodes automine).
//!
//! Hardhat is installed from npm into `target/tmp/node-clients/hardhat` on first use; without
//! node/npm only Tandem is measured.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_sol_types::SolValue;
use serde_json::{Value, json};
use tandem_node::accounts::{DevAccount, dev_accounts};

/// The keep-alive JSON-RPC client, shared with the `vs_anvil` bench.
#[path = "vs_anvil/http.rs"]
mod http;
use http::{Conn, body, quantity};

const CONNECTIONS: usize = 8;
const SENDERS: usize = 4;

fn sign(acct: &DevAccount, nonce: u64, to: TxKind, input: Vec<u8>, gas: u64) -> String {
    let tx = TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(input),
    };
    let sig = acct.sign_hash(&tx.signature_hash()).unwrap();
    let env: TxEnvelope = tx.into_signed(sig).into();
    format!("0x{}", hex::encode(env.encoded_2718()))
}

fn transfer_data(to: Address, amount: u64) -> Vec<u8> {
    let mut data = hex::decode("a9059cbb").unwrap();
    data.extend((to, U256::from(amount)).abi_encode_params());
    data
}

struct Results {
    block_number: f64,
    call: f64,
    transfers: f64,
}

/// Runs `total` requests from `conns` threads; returns requests per second.
fn hammer(addr: SocketAddr, conns: usize, total: usize, body: &str) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..conns {
            s.spawn(|| {
                let mut c = Conn::open(addr).expect("connecting");
                for _ in 0..total / conns {
                    let r = c.post(body);
                    assert!(r.get("result").is_some(), "{r}");
                }
            });
        }
    });
    (total / conns * conns) as f64 / start.elapsed().as_secs_f64()
}

fn measure(addr: SocketAddr, artifact: &Value, n_reads: usize, n_txs: usize) -> Results {
    let accounts = dev_accounts(SENDERS as u32).unwrap();
    let mut c = Conn::open(addr).expect("connecting");
    let owner = accounts[0].address;
    let ctor = (
        "Tandem".to_string(),
        "TDM".to_string(),
        U256::from(10u64).pow(U256::from(27)),
        owner,
    )
        .abi_encode_params();
    let mut init = hex::decode(
        artifact["bytecode"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
    )
    .unwrap();
    init.extend(ctor);
    let nonce = |c: &mut Conn, a: Address| {
        quantity(&c.call("eth_getTransactionCount", json!([a, "pending"])))
    };
    let mut n0 = nonce(&mut c, owner);
    let hash = c.call(
        "eth_sendRawTransaction",
        json!([sign(&accounts[0], n0, TxKind::Create, init, 3_000_000)]),
    );
    n0 += 1;
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    let token: Address = receipt["contractAddress"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Fund the other senders.
    for a in &accounts[1..] {
        c.call(
            "eth_sendRawTransaction",
            json!([sign(
                &accounts[0],
                n0,
                TxKind::Call(token),
                transfer_data(a.address, 1_000_000_000),
                100_000
            )]),
        );
        n0 += 1;
    }

    let block_number = hammer(
        addr,
        CONNECTIONS,
        n_reads,
        &body("eth_blockNumber", json!([])),
    );
    let mut balance_of = hex::decode("70a08231").unwrap();
    balance_of.extend(owner.abi_encode());
    let call = hammer(
        addr,
        CONNECTIONS,
        n_reads / 2,
        &body(
            "eth_call",
            json!([{"to": token, "data": format!("0x{}", hex::encode(&balance_of))}, "latest"]),
        ),
    );

    // Transfers, signed up front so that signing is not measured.
    let per_sender = n_txs / SENDERS;
    let recipient = Address::repeat_byte(0x42);
    let batches: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            let start = nonce(&mut c, a.address);
            (0..per_sender as u64)
                .map(|i| {
                    sign(
                        a,
                        start + i,
                        TxKind::Call(token),
                        transfer_data(recipient, 1),
                        100_000,
                    )
                })
                .collect()
        })
        .collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for batch in &batches {
            s.spawn(move || {
                let mut c = Conn::open(addr).expect("connecting");
                for raw in batch {
                    c.call("eth_sendRawTransaction", json!([raw]));
                }
            });
        }
    });
    let transfers = (per_sender * SENDERS) as f64 / start.elapsed().as_secs_f64();
    // Every transfer landed.
    let mut data = hex::decode("70a08231").unwrap();
    data.extend(recipient.abi_encode());
    let bal = c.call(
        "eth_call",
        json!([{"to": token, "data": format!("0x{}", hex::encode(&data))}, "latest"]),
    );
    let bal = U256::from_str_radix(bal.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert_eq!(
        bal,
        U256::from(per_sender * SENDERS),
        "every transfer landed"
    );
    Results {
        block_number,
        call,
        transfers,
    }
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns a server and waits until `ready` matches a line of its stdout.
fn spawn(cmd: &mut Command, ready: impl Fn(&str) -> bool + Send + 'static) -> Proc {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if ready(&line) {
                let _ = tx.send(());
            }
        }
    });
    let proc = Proc(child);
    rx.recv_timeout(Duration::from_secs(120))
        .expect("the server did not start");
    proc
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn hardhat_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tmp/node-clients/hardhat");
    if !dir.join("node_modules/hardhat/package.json").exists() {
        std::fs::create_dir_all(&dir).ok()?;
        std::fs::write(
            dir.join("package.json"),
            r#"{"name": "tandem-bench-hardhat", "private": true}"#,
        )
        .ok()?;
        let ok = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "hardhat@2"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
    }
    std::fs::write(dir.join("hardhat.config.js"), "module.exports = {};\n").ok()?;
    Some(dir)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (n_reads, n_txs) = if quick { (4_000, 400) } else { (20_000, 2_000) };
    let artifacts = std::env::var_os("TANDEM_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/evm-artifacts")
        });
    let Ok(text) = std::fs::read_to_string(
        artifacts.join("openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json"),
    ) else {
        eprintln!("skipped: the evm-artifacts fixtures are missing (set TANDEM_ARTIFACTS)");
        return;
    };
    let artifact: Value = serde_json::from_str(&text).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let tandem = {
        let _node = spawn(
            Command::new(env!("CARGO_BIN_EXE_tandem-devnode")).args([
                "--data-dir",
                dir.path().to_str().unwrap(),
                "--port",
                &port.to_string(),
            ]),
            |l| l.starts_with("listening on"),
        );
        measure(
            format!("127.0.0.1:{port}").parse().unwrap(),
            &artifact,
            n_reads,
            n_txs,
        )
    };

    let hardhat = hardhat_dir().map(|hh| {
        let port = free_port();
        let _node = spawn(
            Command::new("npx")
                .args([
                    "hardhat",
                    "node",
                    "--hostname",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                ])
                .current_dir(&hh),
            |l| l.contains("Started HTTP and WebSocket JSON-RPC server"),
        );
        measure(
            format!("127.0.0.1:{port}").parse().unwrap(),
            &artifact,
            n_reads,
            n_txs,
        )
    });

    println!();
    println!(
        "| load ({n_reads} reads, {n_txs} transfers; loopback) | Tandem | Hardhat (EDR) | Tandem / Hardhat |"
    );
    println!("|---|---|---|---|");
    let row = |name: &str, t: f64, h: Option<f64>| match h {
        Some(h) => println!("| {name} | {t:.0}/s | {h:.0}/s | {:.2}x |", t / h),
        None => println!("| {name} | {t:.0}/s | (not run) | |"),
    };
    row(
        "eth_blockNumber requests",
        tandem.block_number,
        hardhat.as_ref().map(|h| h.block_number),
    );
    row(
        "eth_call (ERC20 balanceOf) requests",
        tandem.call,
        hardhat.as_ref().map(|h| h.call),
    );
    row(
        "ERC20 transfers via eth_sendRawTransaction",
        tandem.transfers,
        hardhat.as_ref().map(|h| h.transfers),
    );
}
