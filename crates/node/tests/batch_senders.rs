//! A batch's senders recovered ahead (`src/rpc/presend.rs`): the calls of a batch of raw
//! transactions take senders recovered on another thread; a transaction that does not decode
//! or whose signature names another account gets the same error as alone; nothing is kept
//! once the batch has answered. A batch's writes run in place, not one blocking-pool hop
//! each, while the async workers answer other requests.

use crate::common;

use std::sync::atomic::Ordering;

use alloy_primitives::{Address, TxKind, U256};
use common::txs::{sign_1559, tx_1559};
use common::{TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::dev_accounts;
use tandem_node::rpc::presend::TAKEN_AHEAD;

const RECIPIENT: Address = Address::repeat_byte(0x55);

fn call(id: usize, raw: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction", "params": [raw]})
}

#[test]
fn a_batch_takes_senders_recovered_ahead_and_keeps_none() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let accounts = dev_accounts(2).unwrap();
    let transfer = |acct, nonce: u64| {
        let tx = alloy_consensus::TxEip1559 {
            value: U256::from(7),
            gas_limit: 21_000,
            ..tx_1559(nonce, TxKind::Call(RECIPIENT), Vec::new())
        };
        sign_1559(acct, tx)
    };
    let mut calls: Vec<Value> = (0..60u64)
        .map(|n| call(n as usize, &transfer(&accounts[(n % 2) as usize], n / 2)))
        .collect();
    // A signature over other bytes recovers to an account with no funds (nonce 0, so it is
    // not queued for later): the same error as the call alone gives. And bytes that are no
    // transaction at all.
    let good = transfer(&accounts[0], 0);
    let mut tampered = hex::decode(good.trim_start_matches("0x")).unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let tampered = format!("0x{}", hex::encode(tampered));
    calls.push(call(60, &tampered));
    calls.push(call(61, "0x02c0ffee"));
    let alone = c.post(&call(0, &tampered).to_string());
    assert!(alone.get("error").is_some(), "{alone}");

    let before = TAKEN_AHEAD.load(Ordering::Relaxed);
    let answer = c.post(&Value::Array(calls).to_string());
    let answers = answer.as_array().expect("a batch answer");
    assert_eq!(answers.len(), 62);
    for a in &answers[..60] {
        assert!(a.get("result").is_some(), "{a}");
    }
    assert_eq!(answers[60]["error"], alone["error"], "{answer}");
    assert!(answers[61].get("error").is_some(), "{}", answers[61]);
    assert!(
        TAKEN_AHEAD.load(Ordering::Relaxed) > before,
        "no call took a sender recovered ahead"
    );
    assert!(node.node.presend.is_empty(), "senders kept after the batch");
    for a in &accounts {
        let n = c.call("eth_getTransactionCount", json!([a.address, "latest"]));
        assert_eq!(hex_u64(&n), 30);
    }
    let balance = c.call("eth_getBalance", json!([RECIPIENT, "latest"]));
    assert_eq!(balance, json!(format!("0x{:x}", 7 * 60)));
}

/// A batch's writes run on the batch's own thread, not one blocking-pool hop each
/// (`rpc/batch_sync.rs`), and the async workers answer other requests meanwhile.
#[test]
fn a_batch_runs_its_writes_in_place_and_other_requests_are_answered_meanwhile() {
    use tandem_node::rpc::batch_sync::WRITES_IN_PLACE;
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let accounts = dev_accounts(1).unwrap();
    const N: u64 = 300;
    let calls: Vec<Value> = (0..N)
        .map(|n| {
            let tx = alloy_consensus::TxEip1559 {
                value: U256::from(1),
                gas_limit: 21_000,
                ..tx_1559(n, TxKind::Call(RECIPIENT), Vec::new())
            };
            call(n as usize, &sign_1559(&accounts[0], tx))
        })
        .collect();
    let before = WRITES_IN_PLACE.load(Ordering::Relaxed);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        let c = node.client();
        let sender = accounts[0].address;
        std::thread::spawn(move || {
            // Answers that arrived while the batch was half-way through its transactions.
            let mut during = 0u32;
            while !done.load(Ordering::Acquire) {
                let n = c.call("eth_getTransactionCount", json!([sender, "latest"]));
                if (1..N).contains(&hex_u64(&n)) {
                    during += 1;
                }
            }
            during
        })
    };
    let answer = c.post(&Value::Array(calls).to_string());
    done.store(true, Ordering::Release);
    let during = reader.join().unwrap();
    let answers = answer.as_array().expect("a batch answer");
    assert!(
        answers.iter().all(|a| a.get("result").is_some()),
        "{answer}"
    );
    // At least this batch's (other tests' batches may run in place meanwhile).
    assert!(WRITES_IN_PLACE.load(Ordering::Relaxed) - before >= N);
    assert!(during > 0, "no other request was answered during the batch");
    let n = c.call(
        "eth_getTransactionCount",
        json!([accounts[0].address, "latest"]),
    );
    assert_eq!(hex_u64(&n), N);
}
