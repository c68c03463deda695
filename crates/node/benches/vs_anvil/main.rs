//! Tandem's node against anvil (and, when installed, Hardhat): issue 16's six loads in one
//! interleaved run, rounds rotated, ratios printed.
//!
//! `cargo bench -p tandem-node --bench vs_anvil` (`-- --quick`: one short round;
//! `-- --rounds N`; `-- --transfers-only`: the two transfer rows alone). Every node gets the same load generator: 8 keep-alive HTTP/1.1
//! connections on loopback.
//!
//! | load | what |
//! |---|---|
//! | `eth_blockNumber` | 8 clients |
//! | `eth_call balanceOf` | an OpenZeppelin ERC-20's `balanceOf`, 8 clients |
//! | `eth_getBalance`, `eth_getStorageAt` | the owner's balance and token-balance slot, 8 clients |
//! | transfers, 8 senders | ERC-20 transfers by `eth_sendRawTransaction`, one connection per sender |
//! | 800 transfers in one batch | one JSON-RPC batch of 800 signed transfers (8 senders × 100) |
//!
//! Transactions are signed before the clock starts. Each round runs every node once, in an
//! order rotated per round; a row's rate is its total count over its total time. At the end
//! every node's recipient must hold exactly the tokens sent (so no transfer was lost).
//!
//! Nodes: Tandem is `$TANDEM_BIN` (a `tandem` CLI, run as `tandem --data-dir D node`) or
//! else this package's `tandem-devnode` (the same node, built by `cargo bench`);
//! `$TANDEM_BASE_BIN`, when set, runs a second Tandem build ("Tandem-base", say the one
//! before a change; a CLI or a devnode under any name) in the same rounds, so both get ratios from one run. anvil is
//! `$ANVIL`, or npm's `@foundry-rs/anvil-linux-amd64`, installed into `target/tmp/anvil` on
//! first use. Hardhat runs too if `target/tmp/node-clients/hardhat` holds it (the `rpc`
//! bench installs it) and `--hardhat` is given.

mod http;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_sol_types::SolValue;
use http::{Conn, body, quantity};
use serde_json::{Value, json};
use tandem_node::accounts::{DevAccount, dev_accounts};

const CLIENTS: usize = 8;
const SENDERS: usize = 8;
const BATCH: usize = 800;
const LOADS: [&str; 6] = [
    "eth_blockNumber",
    "eth_call balanceOf",
    "eth_getBalance",
    "eth_getStorageAt",
    "ERC-20 transfers, 8 senders",
    "800 transfers in one batch",
];

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A node under load, with its token deployed and its senders funded.
struct Target {
    name: &'static str,
    addr: std::net::SocketAddr,
    token: Address,
    owner: Address,
    nonces: Vec<u64>,
    /// Tokens sent to `RECIPIENT` so far.
    sent: u64,
    /// Per load: (operations, seconds).
    totals: [(f64, f64); 6],
    _proc: Proc,
    _dir: Option<tempfile::TempDir>,
}

const RECIPIENT: Address = Address::repeat_byte(0x42);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `cmd` and waits until it answers `eth_chainId`.
fn start(mut cmd: Command, port: u16) -> (Proc, std::net::SocketAddr) {
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let proc = Proc(child);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(mut c) = Conn::open(addr) {
            let r = c.post(&body("eth_chainId", json!([])));
            if r.get("result").is_some() {
                return (proc, addr);
            }
        }
        assert!(Instant::now() < deadline, "{cmd:?} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sign(acct: &DevAccount, nonce: u64, to: Address, input: Vec<u8>) -> String {
    let tx = TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(input),
    };
    let sig = acct.sign_hash(&tx.signature_hash()).expect("signing");
    let env: TxEnvelope = tx.into_signed(sig).into();
    format!("0x{}", hex::encode(env.encoded_2718()))
}

fn transfer_data(to: Address, amount: u64) -> Vec<u8> {
    let mut data = hex::decode("a9059cbb").unwrap();
    data.extend((to, U256::from(amount)).abi_encode_params());
    data
}

fn balance_of_data(who: Address) -> String {
    let mut data = hex::decode("70a08231").unwrap();
    data.extend(who.abi_encode());
    format!("0x{}", hex::encode(data))
}

/// Deploys the token from account 0 and gives each sender tokens to send.
fn set_up(
    name: &'static str,
    proc: Proc,
    addr: std::net::SocketAddr,
    dir: Option<tempfile::TempDir>,
    accounts: &[DevAccount],
    init: &[u8],
) -> Target {
    let mut c = Conn::open(addr).expect("connecting");
    let owner = accounts[0].address;
    let nonce_of = |c: &mut Conn, a: Address| {
        quantity(&c.call("eth_getTransactionCount", json!([a, "pending"])))
    };
    let mut n0 = nonce_of(&mut c, owner);
    let deploy = {
        let tx = TxEip1559 {
            chain_id: 31337,
            nonce: n0,
            gas_limit: 3_000_000,
            max_fee_per_gas: 20_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Create,
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::from(init.to_vec()),
        };
        let sig = accounts[0].sign_hash(&tx.signature_hash()).unwrap();
        let env: TxEnvelope = tx.into_signed(sig).into();
        format!("0x{}", hex::encode(env.encoded_2718()))
    };
    let hash = c.call("eth_sendRawTransaction", json!([deploy]));
    n0 += 1;
    let receipt = mined(&mut c, &hash);
    let token: Address = receipt["contractAddress"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no contract address in {receipt}"))
        .parse()
        .unwrap();
    for a in &accounts[1..=SENDERS] {
        let raw = sign(
            &accounts[0],
            n0,
            token,
            transfer_data(a.address, 1_000_000_000),
        );
        c.call("eth_sendRawTransaction", json!([raw]));
        n0 += 1;
    }
    let nonces = accounts[1..=SENDERS]
        .iter()
        .map(|a| nonce_of(&mut c, a.address))
        .collect();
    Target {
        name,
        addr,
        token,
        owner,
        nonces,
        sent: 0,
        totals: [(0.0, 0.0); 6],
        _proc: proc,
        _dir: dir,
    }
}

/// The receipt of `hash`, once it is mined (anvil may answer a send before it mines).
fn mined(c: &mut Conn, hash: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = c.call("eth_getTransactionReceipt", json!([hash]));
        if !r.is_null() {
            return r;
        }
        assert!(Instant::now() < deadline, "{hash} was not mined");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `total` requests of `body` from 8 clients; returns seconds.
fn hammer(addr: std::net::SocketAddr, total: usize, body: &str) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..CLIENTS {
            s.spawn(|| {
                let mut c = Conn::open(addr).expect("connecting");
                for _ in 0..total / CLIENTS {
                    let r = c.post(body);
                    assert!(r.get("result").is_some(), "{body}: {r}");
                }
            });
        }
    });
    start.elapsed().as_secs_f64()
}

/// Signs `per_sender` transfers for each sender, advancing the target's nonces.
fn sign_transfers(t: &mut Target, accounts: &[DevAccount], per_sender: usize) -> Vec<Vec<String>> {
    let data = transfer_data(RECIPIENT, 1);
    let txs = (0..SENDERS)
        .map(|i| {
            let first = t.nonces[i];
            t.nonces[i] += per_sender as u64;
            (0..per_sender as u64)
                .map(|k| sign(&accounts[1 + i], first + k, t.token, data.clone()))
                .collect()
        })
        .collect();
    t.sent += (per_sender * SENDERS) as u64;
    txs
}

/// One round of the six loads against `t`.
fn round(t: &mut Target, accounts: &[DevAccount], reads: usize, transfers: usize) {
    let addr = t.addr;
    let reads = if only_transfers() { 0 } else { reads };
    let owner_slot = keccak256((t.owner, U256::ZERO).abi_encode());
    let bodies = [
        body("eth_blockNumber", json!([])),
        body(
            "eth_call",
            json!([{"to": t.token, "data": balance_of_data(t.owner)}, "latest"]),
        ),
        body("eth_getBalance", json!([t.owner, "latest"])),
        body(
            "eth_getStorageAt",
            json!([t.token, B256::from(owner_slot), "latest"]),
        ),
    ];
    for (i, b) in bodies.iter().enumerate() {
        let n = if i == 1 { reads / 2 } else { reads };
        let n = n / CLIENTS * CLIENTS;
        if n == 0 {
            continue;
        }
        let secs = hammer(addr, n, b);
        t.totals[i].0 += n as f64;
        t.totals[i].1 += secs;
    }

    // Transfers from 8 senders, one connection each, answers awaited one by one.
    let per_sender = transfers / SENDERS;
    let txs = sign_transfers(t, accounts, per_sender);
    let start = Instant::now();
    std::thread::scope(|s| {
        for list in &txs {
            s.spawn(move || {
                let mut c = Conn::open(addr).expect("connecting");
                let mut last = Value::Null;
                for raw in list {
                    last = c.call("eth_sendRawTransaction", json!([raw]));
                }
                // Counted until the last one is mined.
                mined(&mut c, &last);
            });
        }
    });
    t.totals[4].0 += (per_sender * SENDERS) as f64;
    t.totals[4].1 += start.elapsed().as_secs_f64();

    // 800 transfers in one batch, in nonce order per sender, senders interleaved.
    let txs = sign_transfers(t, accounts, BATCH / SENDERS);
    let batch: Vec<Value> = (0..BATCH / SENDERS)
        .flat_map(|k| txs.iter().map(move |list| list[k].clone()))
        .enumerate()
        .map(|(id, raw)| json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction", "params": [raw]}))
        .collect();
    let text = Value::Array(batch).to_string();
    let mut c = Conn::open(addr).expect("connecting");
    let start = Instant::now();
    let answer = c.post(&text);
    let answers = answer.as_array().expect("a batch answer");
    assert_eq!(answers.len(), BATCH, "{}", t.name);
    for a in answers {
        assert!(a.get("result").is_some(), "{}: {a}", t.name);
    }
    // Counted until each sender's last one is mined.
    for a in &answers[BATCH - SENDERS..] {
        mined(&mut c, &a["result"]);
    }
    let secs = start.elapsed().as_secs_f64();
    t.totals[5].0 += BATCH as f64;
    t.totals[5].1 += secs;
}

/// Every transfer landed: the recipient holds what was sent.
fn check(t: &Target) {
    let mut c = Conn::open(t.addr).expect("connecting");
    let bal = c.call(
        "eth_call",
        json!([{"to": t.token, "data": balance_of_data(RECIPIENT)}, "latest"]),
    );
    let bal = U256::from_str_radix(bal.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert_eq!(bal, U256::from(t.sent), "{}: every transfer landed", t.name);
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

/// anvil from `$ANVIL` or npm (installed into `target/tmp/anvil` on first use).
fn anvil_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("ANVIL") {
        return PathBuf::from(p);
    }
    let dir = target_dir().join("tmp/anvil");
    let bin = dir.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    if !bin.exists() {
        std::fs::create_dir_all(&dir).expect("creating target/tmp/anvil");
        std::fs::write(
            dir.join("package.json"),
            r#"{"name": "tandem-bench-anvil", "private": true}"#,
        )
        .unwrap();
        let ok = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .arg("@foundry-rs/anvil-linux-amd64@1")
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok && bin.exists(),
            "npm could not install anvil (set $ANVIL)"
        );
    }
    bin
}

fn tandem_cmd(dir: &Path, port: u16, bin: Option<std::ffi::OsString>) -> Command {
    match bin {
        Some(bin) => {
            let devnode = is_devnode(Path::new(&bin));
            let mut cmd = Command::new(&bin);
            cmd.arg("--data-dir").arg(dir);
            if !devnode {
                cmd.arg("node");
            }
            cmd.args(["--port", &port.to_string()]);
            cmd
        }
        None => {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem-devnode"));
            cmd.arg("--data-dir")
                .arg(dir)
                .args(["--port", &port.to_string()]);
            cmd
        }
    }
}

/// Whether `bin` is a `tandem-devnode` (by name, or a copy under another name such as
/// `/tmp/node_base_bin`: the devnode refuses `--help`, the `tandem` CLI prints its help).
fn is_devnode(bin: &Path) -> bool {
    let named = bin
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("tandem-devnode"));
    named
        || !Command::new(bin)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// `--transfers-only`: skip the read rows (for profiling the write path).
fn only_transfers() -> bool {
    std::env::args().any(|a| a == "--transfers-only")
}

fn arg_value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let rounds: usize = arg_value("--rounds")
        .map(|r| r.parse().expect("--rounds N"))
        .unwrap_or(if quick { 1 } else { 3 });
    let (reads, transfers) = if quick { (4_000, 160) } else { (16_000, 400) };
    let artifacts = std::env::var_os("TANDEM_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/evm-artifacts")
        });
    let path = artifacts.join("openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set TANDEM_ARTIFACTS)", path.display()));
    let artifact: Value = serde_json::from_str(&text).unwrap();
    let accounts = dev_accounts(1 + SENDERS as u32).unwrap();
    let mut init = hex::decode(
        artifact["bytecode"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
    )
    .unwrap();
    init.extend(
        (
            "Tandem".to_string(),
            "TDM".to_string(),
            U256::from(10u64).pow(U256::from(27)),
            accounts[0].address,
        )
            .abi_encode_params(),
    );

    let mut targets = Vec::new();
    {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let bin = std::env::var_os("TANDEM_BIN");
        let (proc, addr) = start(tandem_cmd(dir.path(), port, bin), port);
        targets.push(set_up("Tandem", proc, addr, Some(dir), &accounts, &init));
    }
    // A second Tandem build (say, before a change) interleaved with the first.
    if let Some(base) = std::env::var_os("TANDEM_BASE_BIN") {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let (proc, addr) = start(tandem_cmd(dir.path(), port, Some(base)), port);
        targets.push(set_up(
            "Tandem-base",
            proc,
            addr,
            Some(dir),
            &accounts,
            &init,
        ));
    }
    {
        let port = free_port();
        let mut cmd = Command::new(anvil_bin());
        cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
        let (proc, addr) = start(cmd, port);
        targets.push(set_up("anvil", proc, addr, None, &accounts, &init));
    }
    let hardhat = target_dir().join("tmp/node-clients/hardhat");
    if args.iter().any(|a| a == "--hardhat") {
        assert!(
            hardhat.join("node_modules/hardhat").exists(),
            "--hardhat: run the rpc bench once to install Hardhat"
        );
        std::fs::write(hardhat.join("hardhat.config.js"), "module.exports = {};\n").unwrap();
        let port = free_port();
        let mut cmd = Command::new("npx");
        cmd.args(["hardhat", "node", "--hostname", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .current_dir(&hardhat);
        let (proc, addr) = start(cmd, port);
        targets.push(set_up("Hardhat", proc, addr, None, &accounts, &init));
    }

    for r in 0..rounds {
        let n = targets.len();
        for k in 0..n {
            let t = &mut targets[(r + k) % n];
            eprintln!("round {}/{rounds}: {}", r + 1, t.name);
            round(t, &accounts, reads, transfers);
        }
    }
    for t in &targets {
        check(t);
    }
    report(&targets, rounds, reads, transfers);
}

fn report(targets: &[Target], rounds: usize, reads: usize, transfers: usize) {
    println!();
    println!(
        "{rounds} round(s): {reads} reads per read row ({} eth_call), {transfers} + {BATCH} transfers per round; 8 clients, loopback",
        reads / 2
    );
    let mut head = String::from("| load |");
    let mut rule = String::from("|---|");
    for t in targets {
        head += &format!(" {} |", t.name);
        rule += "---|";
    }
    let is_tandem = |t: &&Target| t.name.starts_with("Tandem");
    let pairs: Vec<(&Target, &Target)> = targets
        .iter()
        .filter(is_tandem)
        .flat_map(|a| {
            targets
                .iter()
                .filter(|t| !is_tandem(t))
                .map(move |b| (a, b))
        })
        .collect();
    for (a, b) in &pairs {
        head += &format!(" {}/{} |", a.name, b.name);
        rule += "---|";
    }
    println!("{head}\n{rule}");
    for (i, load) in LOADS.iter().enumerate() {
        if targets[0].totals[i].0 == 0.0 {
            continue;
        }
        let rate = |t: &Target| t.totals[i].0 / t.totals[i].1;
        let mut line = format!("| {load} |");
        for t in targets {
            line += &format!(" {:.0}/s |", rate(t));
        }
        for (a, b) in &pairs {
            line += &format!(" {:.2}x |", rate(a) / rate(b));
        }
        println!("{line}");
    }
}
