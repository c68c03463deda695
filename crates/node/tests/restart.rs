//! Restart: the node is killed with SIGKILL after N transactions and started again on the
//! same data dir. Every receipt, block, log and balance is still served, and the next
//! transactions get the right nonces.

use crate::common;

use alloy_primitives::TxKind;
use common::devnode::Devnode;
use common::hex_u64;
use common::txs::{sign_1559, tx_1559};
use serde_json::{Value, json};
use tandem_node::accounts::dev_accounts;

const RUNTIME: &str =
    "3615601657602a600052600160206000a160206000f35b63deadbeef60e01b60005260046000fd";
const INIT_PREFIX: &str = "6027600c60003960276000f3";

fn raw_tx(key: usize, nonce: u64, to: TxKind, input: Vec<u8>) -> String {
    let acct = &dev_accounts(key as u32 + 1).unwrap()[key];
    sign_1559(acct, tx_1559(nonce, to, input))
}

#[test]
fn sigkill_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let node = Devnode::start(dir.path());
    let c = node.client();
    let accounts = c.call("eth_accounts", json!([]));

    // N transactions: a deploy, logging calls, node-signed value transfers.
    let mut hashes = Vec::new();
    let init = hex::decode(format!("{INIT_PREFIX}{RUNTIME}")).unwrap();
    hashes.push(c.call(
        "eth_sendRawTransaction",
        json!([raw_tx(0, 0, TxKind::Create, init)]),
    ));
    let contract =
        c.call("eth_getTransactionReceipt", json!([hashes[0]]))["contractAddress"].clone();
    let to = TxKind::Call(contract.as_str().unwrap().parse().unwrap());
    for nonce in 1..4 {
        hashes.push(c.call(
            "eth_sendRawTransaction",
            json!([raw_tx(0, nonce, to, vec![nonce as u8])]),
        ));
    }
    for i in 0..4 {
        let from = &accounts[1 + i % 2];
        hashes.push(c.call(
            "eth_sendTransaction",
            json!([{"from": from, "to": accounts[3], "value": format!("0x{:x}", 1000 + i)}]),
        ));
    }
    let receipts: Vec<Value> = hashes
        .iter()
        .map(|h| c.call("eth_getTransactionReceipt", json!([h])))
        .collect();
    assert!(receipts.iter().all(|r| r["status"] == json!("0x1")));
    let balances: Vec<Value> = (0..4)
        .map(|i| c.call("eth_getBalance", json!([accounts[i], "latest"])))
        .collect();
    let head = c.call("eth_getBlockByNumber", json!(["latest", false]));
    let logs = c.call(
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "address": contract}]),
    );
    assert_eq!(logs.as_array().unwrap().len(), 3);

    // SIGKILL, then start again on the same data dir.
    node.kill();
    let node = Devnode::start(dir.path());
    let c = node.client();

    assert_eq!(
        c.call("eth_getBlockByNumber", json!(["latest", false])),
        head
    );
    assert_eq!(
        hex_u64(&c.call("eth_blockNumber", json!([]))),
        hashes.len() as u64
    );
    for (h, r) in hashes.iter().zip(&receipts) {
        assert_eq!(&c.call("eth_getTransactionReceipt", json!([h])), r);
        assert_eq!(c.call("eth_getTransactionByHash", json!([h]))["hash"], *h);
    }
    for (i, b) in balances.iter().enumerate() {
        assert_eq!(&c.call("eth_getBalance", json!([accounts[i], "latest"])), b);
    }
    assert_eq!(
        c.call(
            "eth_getLogs",
            json!([{"fromBlock": "0x0", "address": contract}])
        ),
        logs
    );
    assert_eq!(
        c.call("eth_getCode", json!([contract, "latest"])),
        json!(format!("0x{RUNTIME}"))
    );

    // The next transactions get the right nonces.
    let nonce0 = hex_u64(&c.call("eth_getTransactionCount", json!([accounts[0], "pending"])));
    assert_eq!(nonce0, 4);
    let h = c.call(
        "eth_sendRawTransaction",
        json!([raw_tx(0, nonce0, to, vec![9])]),
    );
    assert_eq!(
        c.call("eth_getTransactionReceipt", json!([h]))["status"],
        json!("0x1")
    );
    let h = c.call(
        "eth_sendTransaction",
        json!([{"from": accounts[1], "to": accounts[3], "value": "0x1"}]),
    );
    let tx = c.call("eth_getTransactionByHash", json!([h]));
    assert_eq!(tx["nonce"], json!("0x2"));
    assert_eq!(
        hex_u64(&c.call("eth_blockNumber", json!([]))),
        hashes.len() as u64 + 2
    );
}
