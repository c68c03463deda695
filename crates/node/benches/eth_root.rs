//! What keeping the Ethereum state trie costs (issue 15 item 4: at most 10 % more time per
//! block): blocks of 100 ERC-20 transfers (10 senders × 10 transfers to fresh holders, so the
//! token's storage and the trie keep growing), mined in-process with the trie kept and with
//! it off (`Node::set_eth_trie_for_bench`), each on a fresh chain; with the trie both inline
//! and on its own thread beside the commit (`tandem_node::mine`, the default). A block's time is applying
//! its 100 signed transactions plus mining it (flush, trie, records, one redb commit).
//!
//! `cargo bench -p tandem-node --bench eth_root` (`-- --quick`: fewer blocks; `--rounds N`;
//! `--profile inline|off|beside`: one mode alone, for a profiler). Needs the
//! OpenZeppelin artifacts (`../shared/fixtures/evm-artifacts` or `$TANDEM_ARTIFACTS`).

use std::path::Path;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_primitives::{Address, Bytes, TxKind, U256, keccak256};
use alloy_sol_types::SolValue;
use serde_json::Value;
use tandem_node::accounts::{DevAccount, dev_accounts};
use tandem_node::{Node, NodeConfig};

/// The allocator `tandem node` runs with (`crates/cli/src/main.rs`): a block's cost depends
/// on it, and more so when the trie update runs on a second thread beside the miner.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SENDERS: usize = 10;

/// Without the trie, with it updated inline, with it beside the commit (`mine.rs`).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Off,
    Inline,
    Beside,
}
const PER_SENDER: usize = 10;

fn sign(acct: &DevAccount, nonce: u64, to: TxKind, input: Vec<u8>, gas: u64) -> TxEnvelope {
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
    tx.into_signed(sig).into()
}

fn transfer(to: Address, amount: u64) -> Vec<u8> {
    let mut data = hex::decode("a9059cbb").unwrap();
    data.extend((to, U256::from(amount)).abi_encode_params());
    data
}

fn submit(node: &Node, env: TxEnvelope, from: &DevAccount) {
    let tx = tandem_evm::tx::from_envelope(&env, from.address.into_array());
    node.submit(env, tx).unwrap();
}

/// Mines `warmup + blocks` blocks of transfers on a fresh chain; returns the measured blocks'
/// times.
fn run(artifact: &Value, trie: Mode, warmup: usize, blocks: usize) -> Vec<Duration> {
    tandem_node::mine::PARALLEL_TRIE
        .store(trie == Mode::Beside, std::sync::atomic::Ordering::Relaxed);
    let trie = trie != Mode::Off;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(dir.path(), &NodeConfig::default()).unwrap();
    node.set_eth_trie_for_bench(trie);
    let accounts = dev_accounts(SENDERS as u32).unwrap();
    let owner = &accounts[0];
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
            owner.address,
        )
            .abi_encode_params(),
    );
    submit(
        &node,
        sign(owner, 0, TxKind::Create, init, 3_000_000),
        owner,
    );
    let token = tandem_evm::address::create_address(&owner.address.into_array(), 0);
    let token = Address::from(token);
    let mut nonces = [0u64; SENDERS];
    nonces[0] = 1;
    for a in accounts.iter().skip(1) {
        let data = transfer(a.address, 1 << 40);
        let env = sign(owner, nonces[0], TxKind::Call(token), data, 100_000);
        nonces[0] += 1;
        submit(&node, env, owner);
    }
    node.set_automine(false).unwrap();
    let mut holder = 0u64;
    let mut times = Vec::new();
    for b in 0..warmup + blocks {
        // Signed before the clock starts.
        let mut txs = Vec::with_capacity(SENDERS * PER_SENDER);
        for _ in 0..PER_SENDER {
            for (i, a) in accounts.iter().enumerate() {
                holder += 1;
                let to = Address::from_slice(&keccak256(holder.to_be_bytes())[12..]);
                txs.push((
                    sign(a, nonces[i], TxKind::Call(token), transfer(to, 7), 100_000),
                    i,
                ));
                nonces[i] += 1;
            }
        }
        let start = Instant::now();
        for (env, i) in txs {
            submit(&node, env, &accounts[i]);
        }
        let mined = node.mine().unwrap();
        let elapsed = start.elapsed();
        assert_eq!(mined.txs.len(), SENDERS * PER_SENDER);
        assert!(mined.txs.iter().all(|t| t.status), "a transfer failed");
        if b >= warmup {
            times.push(elapsed);
        }
    }
    times
}

fn median(v: &[Vec<Duration>]) -> Duration {
    let mut all: Vec<Duration> = v.iter().flatten().copied().collect();
    all.sort();
    all[all.len() / 2]
}

/// Best of the rounds for each block, averaged over the blocks: on a shared machine the
/// fastest run of the same block is the least disturbed one.
fn best_of_rounds(v: &[Vec<Duration>]) -> Duration {
    let blocks = v[0].len();
    let total: Duration = (0..blocks)
        .map(|i| v.iter().map(|r| r[i]).min().unwrap())
        .sum();
    total / blocks as u32
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let artifacts = std::env::var_os("TANDEM_ARTIFACTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/evm-artifacts")
        });
    let path = artifacts.join("openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json");
    let Some(text) = tandem_testkit::need(
        "the evm-artifacts fixtures (TANDEM_ARTIFACTS)",
        std::fs::read_to_string(&path).ok(),
    ) else {
        return;
    };
    let artifact: Value = serde_json::from_str(&text).unwrap();
    let (warmup, blocks, mut rounds) = if quick { (3, 10, 2) } else { (10, 40, 5) };
    // `--rounds N`; `--profile inline|off|beside`: that mode alone, for a profiler.
    let arg = |name: &str| {
        let args: Vec<String> = std::env::args().collect();
        let i = args.iter().position(|a| a == name)?;
        args.get(i + 1).cloned()
    };
    if let Some(r) = arg("--rounds") {
        rounds = r.parse().expect("--rounds N");
    }
    if let Some(mode) = arg("--profile") {
        let mode = match mode.as_str() {
            "off" => Mode::Off,
            "inline" => Mode::Inline,
            "beside" => Mode::Beside,
            other => panic!("--profile {other}: off, inline or beside"),
        };
        let times: Vec<_> = (0..rounds)
            .map(|_| run(&artifact, mode, warmup, blocks))
            .collect();
        println!("median {:.2} ms/block", median(&times).as_secs_f64() * 1e3);
        return;
    }
    let modes = [Mode::Off, Mode::Inline, Mode::Beside];
    let mut times: [Vec<Vec<Duration>>; 3] = Default::default();
    // Rotate the modes so drift on a shared machine hits all of them.
    for r in 0..rounds {
        for k in 0..modes.len() {
            let m = (r + k) % modes.len();
            times[m].push(run(&artifact, modes[m], warmup, blocks));
        }
    }
    let trie_ms =
        tandem_node::eth_trie::UPDATE_NANOS.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6;
    let trie_kb = tandem_node::eth_trie::NODE_BYTES.load(std::sync::atomic::Ordering::Relaxed)
        as f64
        / 1024.0;
    let mined = ((warmup + blocks) * rounds * 2) as f64;
    println!(
        "blocks of {} ERC-20 transfers; {rounds} fresh chains per mode, {warmup} warm-up + {blocks} measured blocks each",
        SENDERS * PER_SENDER
    );
    for (name, f) in [
        ("median", median as fn(&[Vec<Duration>]) -> Duration),
        ("best of rounds", best_of_rounds),
    ] {
        let [off, inline, beside] = [f(&times[0]), f(&times[1]), f(&times[2])];
        let pct = |d: Duration| (d.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0;
        println!(
            "  {name:>14}: without the trie {:>6.2} ms/block; trie inline {:>6.2} ms/block ({:+.1} %); trie beside the commit {:>6.2} ms/block ({:+.1} %)",
            off.as_secs_f64() * 1e3,
            inline.as_secs_f64() * 1e3,
            pct(inline),
            beside.as_secs_f64() * 1e3,
            pct(beside),
        );
    }
    println!(
        "  trie update alone: {:.2} ms/block, {:.0} KiB of new nodes/block",
        trie_ms / mined,
        trie_kb / mined
    );
}
