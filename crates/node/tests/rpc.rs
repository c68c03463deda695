//! The Ethereum JSON-RPC endpoint over real HTTP: deploy with a signed raw transaction,
//! call, receipts, logs, blocks, errors, batches, dev-account sends, state at past blocks.

use crate::common;

use alloy_consensus::TxEip1559;
use alloy_primitives::{TxKind, U256};
use common::txs::{sign_1559, tx_1559};
use common::{TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::{DevAccount, dev_accounts};

/// Runtime: with calldata, logs topic 0x01 with data 42 and returns 42; without calldata,
/// reverts with 0xdeadbeef.
const RUNTIME: &str =
    "3615601657602a600052600160206000a160206000f35b63deadbeef60e01b60005260046000fd";
const INIT_PREFIX: &str = "6027600c60003960276000f3";

fn sign(acct: &DevAccount, nonce: u64, to: TxKind, input: Vec<u8>, value: u64) -> String {
    let tx = TxEip1559 {
        value: U256::from(value),
        ..tx_1559(nonce, to, input)
    };
    sign_1559(acct, tx)
}

#[test]
fn deploy_call_receipt_logs_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let acct = &dev_accounts(2).unwrap()[0];

    assert_eq!(c.call("eth_chainId", json!([])), json!("0x7a69"));
    assert_eq!(c.call("net_version", json!([])), json!("31337"));
    let accounts = c.call("eth_accounts", json!([]));
    assert_eq!(
        accounts[0].as_str().unwrap().to_lowercase(),
        "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    );
    assert_eq!(c.call("eth_blockNumber", json!([])), json!("0x0"));
    let balance = c.call("eth_getBalance", json!([accounts[0], "latest"]));
    assert_eq!(balance, json!("0x21e19e0c9bab2400000"));

    // Deploy with a signed raw transaction.
    let init = hex::decode(format!("{INIT_PREFIX}{RUNTIME}")).unwrap();
    let raw = sign(acct, 0, TxKind::Create, init, 0);
    let hash = c.call("eth_sendRawTransaction", json!([raw]));
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(receipt["blockNumber"], json!("0x1"));
    assert_eq!(receipt["type"], json!("0x2"));
    let contract = receipt["contractAddress"].clone();
    assert_eq!(
        contract.as_str().unwrap(),
        "0x5fbdb2315678afecb367f032d93f642f64180aa3",
        "the first CREATE address of the first dev account, as on anvil"
    );
    assert_eq!(
        c.call("eth_getCode", json!([contract, "latest"])),
        json!(format!("0x{RUNTIME}"))
    );
    assert_eq!(c.call("eth_getCode", json!([contract, "0x0"])), json!("0x"));
    // Resending the same transaction: geth's wording.
    let again = c.request("eth_sendRawTransaction", json!([raw]));
    assert_eq!(again["error"]["code"], json!(-32000));
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("nonce too low"),
        "{again}"
    );

    // eth_call: the return value, and a revert as code 3 with its data.
    let out = c.call(
        "eth_call",
        json!([{"to": contract, "data": "0x01"}, "latest"]),
    );
    assert_eq!(out, json!(format!("0x{:064x}", 42)));
    let reverted = c.request("eth_call", json!([{"to": contract}, "latest"]));
    assert_eq!(reverted["error"]["code"], json!(3), "{reverted}");
    assert_eq!(reverted["error"]["data"], json!("0xdeadbeef"));
    assert!(
        reverted["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("execution reverted")
    );
    let est = c.request(
        "eth_estimateGas",
        json!([{"from": accounts[0], "to": contract}]),
    );
    assert_eq!(est["error"]["code"], json!(3));
    let gas = hex_u64(&c.call(
        "eth_estimateGas",
        json!([{"from": accounts[0], "to": contract, "data": "0x01"}]),
    ));
    assert!((21_000..60_000).contains(&gas), "estimate {gas}");

    // A transaction that logs.
    let to = TxKind::Call(contract.as_str().unwrap().parse().unwrap());
    let hash = c.call(
        "eth_sendRawTransaction",
        json!([sign(acct, 1, to, vec![1], 0)]),
    );
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["logs"].as_array().unwrap().len(), 1);
    let log = &receipt["logs"][0];
    assert_eq!(log["address"], contract);
    assert_eq!(log["topics"][0], json!(format!("0x{:064x}", 1)));
    assert_eq!(log["data"], json!(format!("0x{:064x}", 42)));
    assert_eq!(log["blockNumber"], json!("0x2"));
    assert_eq!(log["logIndex"], json!("0x0"));
    let logs = c.call(
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "toBlock": "latest", "address": contract}]),
    );
    assert_eq!(logs.as_array().unwrap().len(), 1);
    let none = c.call(
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "topics": [format!("0x{:064x}", 2)]}]),
    );
    assert_eq!(none, json!([]));

    // Blocks: by number (full and hashes), by hash, tags.
    let block = c.call("eth_getBlockByNumber", json!(["latest", true]));
    assert_eq!(block["number"], json!("0x2"));
    assert_eq!(block["transactions"][0]["hash"], hash);
    assert_eq!(
        block["transactions"][0]["from"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        accounts[0].as_str().unwrap().to_lowercase()
    );
    assert!(block["baseFeePerGas"].is_string());
    let by_hash = c.call("eth_getBlockByHash", json!([block["hash"], false]));
    assert_eq!(by_hash["transactions"][0], hash);
    assert_eq!(
        c.call("eth_getBlockByNumber", json!(["earliest", false]))["number"],
        json!("0x0")
    );
    assert_eq!(
        c.call("eth_getBlockByNumber", json!(["0x63", false])),
        Value::Null
    );
    let tx = c.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["blockNumber"], json!("0x2"));
    assert!(tx["r"].is_string() && tx["yParity"].is_string());
    assert_eq!(
        c.call(
            "eth_getTransactionReceipt",
            json!([format!("0x{:064x}", 7)])
        ),
        Value::Null
    );
    let fees = c.call("eth_feeHistory", json!(["0x2", "latest", [50]]));
    assert_eq!(fees["baseFeePerGas"].as_array().unwrap().len(), 3);

    // Node-side fill and signing for a dev account.
    let to1 = accounts[1].clone();
    let before = c.call("eth_getBalance", json!([to1, "latest"]));
    let hash = c.call(
        "eth_sendTransaction",
        json!([{"from": accounts[0], "to": to1, "value": "0x1000"}]),
    );
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"));
    let after = c.call("eth_getBalance", json!([to1, "latest"]));
    let diff = U256::from_str_radix(after.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
        - U256::from_str_radix(before.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert_eq!(diff, U256::from(0x1000));
    assert_eq!(
        c.call("eth_getTransactionCount", json!([accounts[0], "pending"])),
        json!("0x3")
    );
    assert_eq!(
        c.call("eth_getTransactionCount", json!([accounts[0], "0x1"])),
        json!("0x1")
    );

    // Errors that keep the node serving.
    let parse = c.post("{\"jsonrpc\": \"2.0\", \"method\": ");
    assert_eq!(parse["error"]["code"], json!(-32700));
    let unknown = c.request("eth_noSuchMethod", json!([]));
    assert_eq!(unknown["error"]["code"], json!(-32601));
    let funds = c.request(
        "eth_sendRawTransaction",
        json!([sign(
            &dev_accounts(11).unwrap()[10],
            0,
            TxKind::Call(Default::default()),
            vec![],
            1
        )]),
    );
    assert!(
        funds["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("insufficient funds"),
        "{funds}"
    );

    // Batches.
    let batch = c.post(
        &json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId", "params": []},
        ])
        .to_string(),
    );
    assert_eq!(batch.as_array().unwrap().len(), 2);
    assert_eq!(c.call("eth_blockNumber", json!([])), json!("0x3"));
}

/// A transaction ahead of its sender's nonce waits (served as pending) and is mined once
/// the gap fills; one too far ahead is refused with geth's wording.
#[test]
fn future_nonces_wait_for_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let acct = &dev_accounts(2).unwrap()[0];
    let bob = dev_accounts(2).unwrap()[1].address;
    let to = TxKind::Call(bob);

    let later = c.call(
        "eth_sendRawTransaction",
        json!([sign(acct, 2, to, vec![], 2)]),
    );
    let next = c.call(
        "eth_sendRawTransaction",
        json!([sign(acct, 1, to, vec![], 1)]),
    );
    assert_eq!(c.call("eth_blockNumber", json!([])), json!("0x0"));
    assert_eq!(
        c.call("eth_getTransactionReceipt", json!([later])),
        Value::Null
    );
    let pending = c.call("eth_getTransactionByHash", json!([later]));
    assert_eq!(pending["nonce"], json!("0x2"), "{pending}");
    assert_eq!(pending["blockNumber"], Value::Null);
    let count = c.call("eth_getTransactionCount", json!([acct.address, "latest"]));
    assert_eq!(count, json!("0x0"));

    // Nonce 0 fills the gap: all three are mined in nonce order, one block each.
    let first = c.call(
        "eth_sendRawTransaction",
        json!([sign(acct, 0, to, vec![], 0)]),
    );
    assert_eq!(c.call("eth_blockNumber", json!([])), json!("0x3"));
    for (hash, block) in [(&first, "0x1"), (&next, "0x2"), (&later, "0x3")] {
        let r = c.call("eth_getTransactionReceipt", json!([hash]));
        assert_eq!(r["status"], json!("0x1"), "{r}");
        assert_eq!(r["blockNumber"], json!(block));
    }
    let count = c.call("eth_getTransactionCount", json!([acct.address, "latest"]));
    assert_eq!(count, json!("0x3"));

    let far = c.request(
        "eth_sendRawTransaction",
        json!([sign(acct, 3 + 5000, to, vec![], 0)]),
    );
    let msg = far["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.starts_with("nonce too high"), "{far}");
}

/// Browser dapps on another origin: the CORS preflight is answered and responses carry
/// `Access-Control-Allow-Origin`.
#[test]
fn cors_for_browser_dapps() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let (head, _) = c.raw(&format!(
        "OPTIONS / HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:5173\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n",
        c.addr
    ));
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    assert!(head.contains("access-control-allow-methods"), "{head}");
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let (head, body) = c.raw(&format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:5173\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        c.addr,
        body.len()
    ));
    assert!(
        head.to_ascii_lowercase()
            .contains("access-control-allow-origin: *"),
        "{head}"
    );
    assert!(body.contains("0x7a69"), "{body}");
}

/// `evm_setAutomine(false)`: transactions wait in the open block until `evm_mine`; turning
/// automine back on mines what is pending.
#[test]
fn automine_off_batches_transactions_into_one_block() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let acct = &dev_accounts(2).unwrap()[0];
    let to = TxKind::Call(dev_accounts(2).unwrap()[1].address);

    assert_eq!(c.call("anvil_getAutomine", json!([])), json!(true));
    c.call("evm_setAutomine", json!([false]));
    assert_eq!(c.call("hardhat_getAutomine", json!([])), json!(false));
    let a = c.call(
        "eth_sendRawTransaction",
        json!([sign(acct, 0, to, vec![], 1)]),
    );
    let b = c.call(
        "eth_sendRawTransaction",
        json!([sign(acct, 1, to, vec![], 1)]),
    );
    assert_eq!(c.call("eth_blockNumber", json!([])), json!("0x0"));
    assert_eq!(c.call("eth_getTransactionReceipt", json!([a])), Value::Null);
    let pending = c.call("eth_getTransactionCount", json!([acct.address, "pending"]));
    assert_eq!(pending, json!("0x2"));

    c.call("evm_mine", json!([]));
    assert_eq!(c.call("eth_blockNumber", json!([])), json!("0x1"));
    let block = c.call("eth_getBlockByNumber", json!(["0x1", false]));
    assert_eq!(block["transactions"], json!([a, b]));

    let d = c.call(
        "eth_sendRawTransaction",
        json!([sign(acct, 2, to, vec![], 1)]),
    );
    assert_eq!(c.call("eth_getTransactionReceipt", json!([d])), Value::Null);
    c.call("anvil_setAutomine", json!([true]));
    let r = c.call("eth_getTransactionReceipt", json!([d]));
    assert_eq!(r["blockNumber"], json!("0x2"), "{r}");
    let e = c.call(
        "eth_sendRawTransaction",
        json!([sign(acct, 3, to, vec![], 1)]),
    );
    let r = c.call("eth_getTransactionReceipt", json!([e]));
    assert_eq!(r["blockNumber"], json!("0x3"), "{r}");
}

/// `evm_setIntervalMining`, `hardhat_metadata` and EIP-7966's `eth_sendRawTransactionSync`.
#[test]
fn interval_mining_metadata_and_sync_send() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let acct = &dev_accounts(2).unwrap()[0];
    let to = TxKind::Call(dev_accounts(2).unwrap()[1].address);

    let meta = c.call("hardhat_metadata", json!([]));
    assert_eq!(meta["chainId"], json!(31337));
    assert_eq!(meta["latestBlockNumber"], json!(0));
    assert!(meta["instanceId"].as_str().unwrap().len() == 66, "{meta}");

    // The receipt comes back with the send.
    let r = c.call(
        "eth_sendRawTransactionSync",
        json!([sign(acct, 0, to, vec![], 5)]),
    );
    assert_eq!(r["status"], json!("0x1"), "{r}");
    assert_eq!(r["blockNumber"], json!("0x1"));
    // Not mined in time (automine off, no timer): error 4 with the hash.
    c.call("evm_setAutomine", json!([false]));
    let late = c.request(
        "eth_sendRawTransactionSync",
        json!([sign(acct, 1, to, vec![], 5), "0x64"]),
    );
    assert_eq!(late["error"]["code"], json!(4), "{late}");
    assert!(late["error"]["data"].as_str().unwrap().starts_with("0x"));

    // A 100 ms timer mines the pending transaction, then empty blocks.
    c.call("evm_setIntervalMining", json!([100]));
    let start = std::time::Instant::now();
    while hex_u64(&c.call("eth_blockNumber", json!([]))) < 4 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "no timer blocks"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let block2 = c.call("eth_getBlockByNumber", json!(["0x2", false]));
    assert_eq!(block2["transactions"].as_array().unwrap().len(), 1);
    c.call("evm_setIntervalMining", json!([0]));
    std::thread::sleep(std::time::Duration::from_millis(150));
    let n = c.call("eth_blockNumber", json!([]));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(c.call("eth_blockNumber", json!([])), n, "the timer is off");
}

/// A timestamp that goes back in time is the caller's mistake, through every method that
/// takes one: Hardhat's -32000 with its wording, never an internal error; and a chain pushed
/// to the largest timestamp keeps mining (found by the RPC fuzzer).
#[test]
fn timestamps_back_in_time_are_refused_as_the_callers_error() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    c.call("evm_mine", json!([{ "timestamp": "0xffffffffffffffff" }]));
    for (method, params) in [
        ("evm_setNextBlockTimestamp", json!([5])),
        ("evm_mine", json!([5])),
        ("evm_mine", json!([{ "timestamp": 5 }])),
    ] {
        let e = c.request(method, params);
        assert_eq!(e["error"]["code"], json!(-32000), "{method}: {e}");
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("lower than or equal to the previous block's timestamp"),
            "{msg}"
        );
    }
    let before = hex_u64(&c.call("eth_blockNumber", json!([])));
    c.call("evm_mine", json!([]));
    assert_eq!(hex_u64(&c.call("eth_blockNumber", json!([]))), before + 1);
}
