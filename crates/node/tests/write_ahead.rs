//! Write-ahead (`src/write_ahead.rs`) with the commit log: a JSON-RPC batch mines one block
//! per transaction and its one sync makes them durable in the store's commit log; a second
//! thread writes them to redb behind. Every transaction is durable when the batch answers:
//! killed with SIGKILL right after, the node comes back (replaying the log) with every block,
//! receipt and nonce; and in process the thread is seen to write them while every receipt
//! stays readable.

use crate::common;

use std::sync::atomic::Ordering;

use alloy_primitives::{Address, TxKind, U256};
use common::devnode::Devnode;
use common::txs::{sign_1559, tx_1559};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::dev_accounts;
use tandem_node::write_ahead::{WRITE_AHEAD_MIN, WRITES_AHEAD};

const SENDERS: usize = 4;
/// Enough blocks that the write-ahead thread passes its threshold several times.
const PER_SENDER: u64 = 50;
const RECIPIENT: Address = Address::repeat_byte(0x77);

/// One batch of value transfers, senders interleaved, each sender's nonces in order.
fn transfer_batch() -> String {
    let accounts = dev_accounts(SENDERS as u32).unwrap();
    let calls: Vec<Value> = (0..PER_SENDER)
        .flat_map(|nonce| accounts.iter().map(move |a| (a, nonce)))
        .enumerate()
        .map(|(id, (acct, nonce))| {
            let tx = alloy_consensus::TxEip1559 {
                value: U256::from(1000 + nonce),
                gas_limit: 21_000,
                ..tx_1559(nonce, TxKind::Call(RECIPIENT), Vec::new())
            };
            json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction",
                   "params": [sign_1559(acct, tx)]})
        })
        .collect();
    Value::Array(calls).to_string()
}

/// Sends the batch; returns the transaction hashes in order.
fn send_batch(c: &Client) -> Vec<Value> {
    let answer = c.post(&transfer_batch());
    let answers = answer.as_array().expect("a batch answer");
    assert_eq!(answers.len(), SENDERS * PER_SENDER as usize, "{answer}");
    answers
        .iter()
        .map(|a| {
            assert!(a.get("result").is_some(), "{a}");
            a["result"].clone()
        })
        .collect()
}

/// Every transfer landed: receipts, nonces, the recipient's balance, one block each.
fn check_all_landed(c: &Client, hashes: &[Value], first_block: u64) {
    for h in hashes {
        let r = c.call("eth_getTransactionReceipt", json!([h]));
        assert_eq!(r["status"], json!("0x1"), "{h}: {r}");
    }
    for a in dev_accounts(SENDERS as u32).unwrap() {
        let n = c.call("eth_getTransactionCount", json!([a.address, "latest"]));
        assert_eq!(hex_u64(&n), PER_SENDER, "{}", a.address);
    }
    let sent: u64 = (0..PER_SENDER).map(|n| 1000 + n).sum::<u64>() * SENDERS as u64;
    let balance = c.call("eth_getBalance", json!([RECIPIENT, "latest"]));
    assert_eq!(balance, json!(format!("0x{sent:x}")));
    assert_eq!(
        hex_u64(&c.call("eth_blockNumber", json!([]))),
        first_block + hashes.len() as u64
    );
}

#[test]
fn a_batch_written_ahead_is_durable_when_answered() {
    let dir = tempfile::tempdir().unwrap();
    let node = Devnode::start(dir.path());
    let c = node.client();
    let first = hex_u64(&c.call("eth_blockNumber", json!([])));
    let hashes = send_batch(&c);
    let head = c.call("eth_getBlockByNumber", json!(["latest", false]));
    // SIGKILL right after the answer: nothing but what reached the disk survives.
    node.kill();
    let node = Devnode::start(dir.path());
    let c = node.client();
    assert_eq!(
        c.call("eth_getBlockByNumber", json!(["latest", false])),
        head
    );
    check_all_landed(&c, &hashes, first);
}

#[test]
fn the_write_ahead_thread_writes_a_batch_behind_and_reads_stay_whole() {
    assert!((SENDERS as u64 * PER_SENDER) as usize > 4 * WRITE_AHEAD_MIN);
    let dir = tempfile::tempdir().unwrap();
    let (hashes, first) = {
        let node = TestNode::start(dir.path());
        let c = node.client();
        let first = hex_u64(&c.call("eth_blockNumber", json!([])));
        let before = WRITES_AHEAD.load(Ordering::Relaxed);
        let hashes = send_batch(&c);
        // Answered: durable in the commit log, readable while redb is written behind.
        assert!(node.node.store.uses_commit_log());
        check_all_landed(&c, &hashes, first);
        // Once the commits pause, the thread writes what waits to redb (it counts a write
        // when redb has it, after taking the commits).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while node.node.store.pending_commits() >= WRITE_AHEAD_MIN
            || WRITES_AHEAD.load(Ordering::Relaxed) == before
        {
            assert!(
                std::time::Instant::now() < deadline,
                "no write-ahead after a batch of {} blocks; {} commits waiting",
                hashes.len(),
                node.node.store.pending_commits()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        check_all_landed(&c, &hashes, first);
        (hashes, first)
    };
    // Opened again: everything is in the file.
    let node = TestNode::start(dir.path());
    check_all_landed(&node.client(), &hashes, first);
}
