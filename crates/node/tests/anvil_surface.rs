//! The rest of anvil's daily surface over real JSON-RPC (issue 16, item 3):
//! `eth_createAccessList`, `txpool_*`, `anvil_reset`, `anvil_dumpState`/`anvil_loadState`
//! (and the `--dump-state`/`--load-state` files), `anvil_nodeInfo`,
//! `anvil_setLoggingEnabled`, `anvil_dropTransaction`/`anvil_dropAllTransactions`, the
//! `ots_*` methods as Otterscan reads them, and `revertReason` on failed receipts.

use crate::common;

use std::process::Command;

use alloy_consensus::TxEip1559;
use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, TxKind, U256};
use common::txs::{init_code, sign_1559, tx_1559};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::{DevAccount, dev_accounts};

/// SLOAD slot 0, SSTORE 42 into slot 1, BALANCE of 0x…beef, stop.
fn toucher_runtime() -> String {
    format!(
        "60005450602a60015573{}315000",
        OTHER.trim_start_matches("0x")
    )
}
const OTHER: &str = "0x000000000000000000000000000000000000beef";

/// Reverts with `Error("nope")`.
const NOPE: &str = "6308c379a060e01b6000526020600452600460245263\
                    6e6f706560e01b60445260646000fd";

struct Chain {
    _node: TestNode,
    c: Client,
    acct: DevAccount,
}

fn start(dir: &std::path::Path) -> Chain {
    let node = TestNode::start(dir);
    let c = node.client();
    Chain {
        _node: node,
        c,
        acct: dev_accounts(1).unwrap().remove(0),
    }
}

fn raw_tx(
    acct: &DevAccount,
    nonce: u64,
    to: TxKind,
    input: Vec<u8>,
    value: u64,
    access_list: AccessList,
) -> String {
    let tx = TxEip1559 {
        gas_limit: 300_000,
        value: U256::from(value),
        access_list,
        ..tx_1559(nonce, to, input)
    };
    sign_1559(acct, tx)
}

impl Chain {
    fn nonce(&self) -> u64 {
        hex_u64(&self.c.call(
            "eth_getTransactionCount",
            json!([self.acct.address, "pending"]),
        ))
    }

    fn send(&self, to: TxKind, input: Vec<u8>, value: u64) -> Value {
        let raw = raw_tx(
            &self.acct,
            self.nonce(),
            to,
            input,
            value,
            AccessList::default(),
        );
        self.c.call("eth_sendRawTransaction", json!([raw]))
    }

    fn receipt(&self, hash: &Value) -> Value {
        self.c.call("eth_getTransactionReceipt", json!([hash]))
    }

    fn deploy(&self, runtime: &str) -> (Address, Value) {
        let hash = self.send(TxKind::Create, init_code(runtime), 0);
        let r = self.receipt(&hash);
        assert_eq!(r["status"], json!("0x1"), "{r}");
        (
            r["contractAddress"].as_str().unwrap().parse().unwrap(),
            hash,
        )
    }
}

#[test]
fn failed_receipts_carry_revert_reason() {
    let dir = tempfile::tempdir().unwrap();
    let ch = start(dir.path());
    let (nope, _) = ch.deploy(NOPE);
    let hash = ch.send(TxKind::Call(nope), vec![], 0);
    let r = ch.receipt(&hash);
    assert_eq!(r["status"], json!("0x0"));
    assert_eq!(r["revertReason"], json!("nope"), "{r}");
    // Raw revert data that is no Error(string) is given as hex.
    let (dead, _) =
        ch.deploy("3615601657602a600052600160206000a160206000f35b63deadbeef60e01b60005260046000fd");
    let r = ch.receipt(&ch.send(TxKind::Call(dead), vec![], 0));
    assert_eq!(r["revertReason"], json!("0xdeadbeef"), "{r}");
    // A successful receipt has none; nor do the block's receipts for it.
    let ok = ch.receipt(&ch.send(TxKind::Call(dead), vec![1], 0));
    assert_eq!(ok["status"], json!("0x1"));
    assert!(ok.get("revertReason").is_none(), "{ok}");
    let block = ch.c.call("eth_getBlockReceipts", json!([r["blockNumber"]]));
    assert_eq!(block[0]["revertReason"], json!("0xdeadbeef"));
    // Otterscan's view of the same failure: the raw revert data.
    let data = ch.c.call("ots_getTransactionError", json!([hash]));
    assert!(data.as_str().unwrap().starts_with("0x08c379a0"), "{data}");
    let none =
        ch.c.call("ots_getTransactionError", json!([ok["transactionHash"]]));
    assert_eq!(none, json!("0x"));
}

#[test]
fn create_access_list_matches_what_the_transaction_touches() {
    let dir = tempfile::tempdir().unwrap();
    let ch = start(dir.path());
    let (toucher, _) = ch.deploy(&toucher_runtime());
    let from = ch.acct.address;
    let answer = ch.c.call(
        "eth_createAccessList",
        json!([{"from": from, "to": toucher, "gas": "0x30000"}]),
    );
    let slot = |n: u8| format!("0x{:064x}", n);
    let mut expected = vec![
        json!({"address": toucher, "storageKeys": [slot(0), slot(1)]}),
        json!({"address": OTHER, "storageKeys": []}),
    ];
    expected.sort_by_key(|e| e["address"].as_str().unwrap().to_lowercase());
    let got: Vec<Value> = answer["accessList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            json!({
                "address": e["address"].as_str().unwrap().to_lowercase(),
                "storageKeys": e["storageKeys"],
            })
        })
        .collect();
    let expected: Vec<Value> = expected
        .into_iter()
        .map(|e| {
            json!({"address": e["address"].as_str().unwrap().to_lowercase(), "storageKeys": e["storageKeys"]})
        })
        .collect();
    assert_eq!(got, expected, "{answer}");
    assert!(answer.get("error").is_none(), "{answer}");
    // The gas it reports is what the transaction costs when sent with that list.
    let list: AccessList = serde_json::from_value(answer["accessList"].clone()).unwrap();
    let raw = raw_tx(&ch.acct, ch.nonce(), TxKind::Call(toucher), vec![], 0, list);
    let r = ch.receipt(&ch.c.call("eth_sendRawTransaction", json!([raw])));
    assert_eq!(r["status"], json!("0x1"));
    assert_eq!(r["gasUsed"], answer["gasUsed"], "{answer} vs {r}");
    // A plain transfer touches nothing but sender and recipient.
    let plain = ch.c.call(
        "eth_createAccessList",
        json!([{"from": from, "to": OTHER, "value": "0x1"}]),
    );
    assert_eq!(plain["accessList"], json!([]));
    assert_eq!(plain["gasUsed"], json!("0x5208"));
    // A revert is reported beside the list, as geth does.
    let (nope, _) = ch.deploy(NOPE);
    let failed =
        ch.c.call("eth_createAccessList", json!([{"from": from, "to": nope}]));
    assert!(
        failed["error"].as_str().unwrap().contains("nope"),
        "{failed}"
    );
}

#[test]
fn txpool_shows_pending_and_queued_and_drops_from_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let ch = start(dir.path());
    let c = &ch.c;
    let empty = c.call("txpool_status", json!([]));
    assert_eq!(empty, json!({"pending": "0x0", "queued": "0x0"}));
    c.call("evm_setAutomine", json!([false]));
    let to: Address = OTHER.parse().unwrap();
    let raw0 = raw_tx(
        &ch.acct,
        0,
        TxKind::Call(to),
        vec![],
        7,
        AccessList::default(),
    );
    let pending_hash = c.call("eth_sendRawTransaction", json!([raw0]));
    let raw2 = raw_tx(
        &ch.acct,
        2,
        TxKind::Call(to),
        vec![],
        9,
        AccessList::default(),
    );
    let queued_hash = c.call("eth_sendRawTransaction", json!([raw2]));
    assert_eq!(
        c.call("txpool_status", json!([])),
        json!({"pending": "0x1", "queued": "0x1"})
    );
    let sender = ch.acct.address.to_checksum(None);
    let content = c.call("txpool_content", json!([]));
    assert_eq!(content["pending"][&sender]["0"]["hash"], pending_hash);
    assert_eq!(content["pending"][&sender]["0"]["blockNumber"], Value::Null);
    assert_eq!(content["queued"][&sender]["2"]["hash"], queued_hash);
    let from = c.call("txpool_contentFrom", json!([ch.acct.address]));
    assert_eq!(from["queued"]["2"]["hash"], queued_hash);
    let inspect = c.call("txpool_inspect", json!([]));
    let to_cs = to.to_checksum(None);
    assert_eq!(
        inspect["pending"][&sender]["0"],
        json!(format!("{to_cs}: 7 wei + 300000 gas × 3000000000 wei"))
    );
    assert_eq!(
        inspect["queued"][&sender]["2"],
        json!(format!("{to_cs}: 9 wei + 300000 gas × 3000000000 wei"))
    );

    // Dropping: a queued one goes; a pending one has run and cannot; unknown is null.
    let dropped = c.call("anvil_dropTransaction", json!([queued_hash]));
    assert_eq!(dropped, queued_hash);
    assert_eq!(
        c.call("eth_getTransactionByHash", json!([queued_hash])),
        Value::Null
    );
    let refused = c.request("anvil_dropTransaction", json!([pending_hash]));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already been applied"),
        "{refused}"
    );
    let unknown = format!("0x{}", "11".repeat(32));
    assert_eq!(
        c.call("anvil_dropTransaction", json!([unknown])),
        Value::Null
    );
    let raw3 = raw_tx(
        &ch.acct,
        3,
        TxKind::Call(to),
        vec![],
        1,
        AccessList::default(),
    );
    c.call("eth_sendRawTransaction", json!([raw3]));
    assert_eq!(c.call("txpool_status", json!([]))["queued"], json!("0x1"));
    c.call("anvil_dropAllTransactions", json!([]));
    assert_eq!(c.call("txpool_status", json!([]))["queued"], json!("0x0"));
    // Mining empties the pending part.
    c.call("evm_mine", json!([]));
    assert_eq!(
        c.call("txpool_status", json!([])),
        json!({"pending": "0x0", "queued": "0x0"})
    );
    assert_eq!(ch.receipt(&pending_hash)["status"], json!("0x1"));
}

#[test]
fn node_info_and_logging() {
    let dir = tempfile::tempdir().unwrap();
    let ch = start(dir.path());
    let c = &ch.c;
    ch.send(TxKind::Call(OTHER.parse().unwrap()), vec![], 1);
    let info = c.call("anvil_nodeInfo", json!([]));
    let latest = c.call("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(info["currentBlockNumber"], json!(1));
    assert_eq!(info["currentBlockHash"], latest["hash"]);
    assert_eq!(
        info["currentBlockTimestamp"].as_u64().unwrap(),
        hex_u64(&latest["timestamp"])
    );
    assert_eq!(info["environment"]["chainId"], json!(31337));
    assert_eq!(info["environment"]["gasLimit"], json!(30_000_000));
    // The next block's base fee (EIP-1559 moves it from block to block).
    let pending = c.call("eth_getBlockByNumber", json!(["pending", false]));
    assert_eq!(
        info["environment"]["baseFee"].as_u64().unwrap(),
        hex_u64(&pending["baseFeePerGas"])
    );
    assert_eq!(
        json!(format!(
            "0x{:x}",
            info["environment"]["gasPrice"].as_u64().unwrap()
        )),
        c.call("eth_gasPrice", json!([]))
    );
    assert_eq!(info["forkConfig"]["forkUrl"], Value::Null);
    assert_eq!(
        info["hardFork"],
        json!("osaka"),
        "a new chain's default fork"
    );
    assert_eq!(info["transactionOrder"], json!("fifo"));

    assert!(tandem_node::logging_enabled());
    assert_eq!(
        c.call("anvil_setLoggingEnabled", json!([false])),
        Value::Null
    );
    assert!(!tandem_node::logging_enabled());
    c.call("anvil_setLoggingEnabled", json!([true]));
    assert!(tandem_node::logging_enabled());
    let bad = c.request("anvil_setLoggingEnabled", json!(["yes"]));
    assert_eq!(bad["error"]["code"], json!(-32602));
}

/// What a dump must bring back.
fn observed(c: &Client, contract: Address, acct: Address) -> Value {
    json!([
        c.call("eth_blockNumber", json!([])),
        c.call("eth_getBlockByNumber", json!(["latest", false]))["hash"],
        c.call("eth_getBalance", json!([acct, "latest"])),
        c.call("eth_getBalance", json!([OTHER, "latest"])),
        c.call("eth_getTransactionCount", json!([acct, "latest"])),
        c.call("eth_getCode", json!([contract, "latest"])),
        c.call("eth_getStorageAt", json!([contract, "0x1", "latest"])),
    ])
}

#[test]
fn reset_and_dump_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ch = start(dir.path());
    let c = &ch.c;
    let me = ch.acct.address;
    let (toucher, deploy_hash) = ch.deploy(&toucher_runtime());
    ch.send(TxKind::Call(toucher), vec![], 0);
    ch.send(TxKind::Call(OTHER.parse().unwrap()), vec![], 12345);
    c.call("anvil_mine", json!(["0x3"]));
    let before = observed(c, toucher, me);
    assert_eq!(before[6], json!(format!("0x{:064x}", 42)));
    let balance_at_1 = c.call("eth_getBalance", json!([me, "0x1"]));

    let dump = c.call("anvil_dumpState", json!([]));
    let dump_hex = dump.as_str().unwrap().to_string();
    assert!(dump_hex.starts_with("0x") && dump_hex.len() > 1000);

    // Reset: a fresh genesis, the same dev accounts.
    let refused = c.request(
        "anvil_reset",
        json!([{"forking": {"jsonRpcUrl": "http://x"}}]),
    );
    assert_eq!(refused["error"]["code"], json!(-32602));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fork")
    );
    assert_eq!(c.call("anvil_reset", json!([])), Value::Null);
    assert_eq!(c.call("eth_blockNumber", json!([])), json!("0x0"));
    assert_eq!(
        c.call("eth_getBalance", json!([me, "latest"])),
        json!("0x21e19e0c9bab2400000")
    );
    assert_eq!(
        c.call("eth_getCode", json!([toucher, "latest"])),
        json!("0x")
    );
    assert_eq!(
        c.call("eth_getTransactionReceipt", json!([deploy_hash])),
        Value::Null
    );
    // The chain goes on from the new genesis (nonce 0 again).
    assert_eq!(ch.nonce(), 0);
    let again = ch.send(TxKind::Call(OTHER.parse().unwrap()), vec![], 1);
    assert_eq!(ch.receipt(&again)["blockNumber"], json!("0x1"));

    // A damaged dump is refused and changes nothing.
    let mut bytes = hex::decode(&dump_hex[2..]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    let bad = c.request(
        "anvil_loadState",
        json!([format!("0x{}", hex::encode(&bytes))]),
    );
    assert!(bad.get("error").is_some(), "{bad}");
    assert_eq!(c.call("eth_blockNumber", json!([])), json!("0x1"));

    // Load: everything as it was, receipts and past states included.
    assert_eq!(c.call("anvil_loadState", json!([dump_hex])), json!(true));
    assert_eq!(observed(c, toucher, me), before);
    assert_eq!(c.call("eth_getBalance", json!([me, "0x1"])), balance_at_1);
    let r = ch.receipt(&deploy_hash);
    assert_eq!(
        r["contractAddress"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        toucher
    );
    // And it keeps going from there.
    let next = ch.send(TxKind::Call(toucher), vec![], 0);
    let n = hex_u64(&before[0]) + 1;
    assert_eq!(ch.receipt(&next)["blockNumber"], json!(format!("0x{n:x}")));

    // The file form (`--dump-state` / `--load-state`): into a second node's data dir.
    let file = dir.path().join("state.car");
    tandem_node::dump::dump_to_file(&ch._node.node, &file).unwrap();
    let expect = observed(c, toucher, me);
    let dir2 = tempfile::tempdir().unwrap();
    let other = TestNode::start(dir2.path());
    tandem_node::dump::load_from_file(&other.node, &file).unwrap();
    assert_eq!(observed(&other.client(), toucher, me), expect);
    // anvil_dumpState's hex, saved as text, loads too.
    let text = dir.path().join("state.json");
    std::fs::write(&text, format!("\"{dump_hex}\"")).unwrap();
    let loaded = tandem_node::dump::load_from_file(&other.node, &text).unwrap();
    assert_eq!(json!(format!("0x{:x}", loaded.block)), before[0]);
    assert_eq!(observed(&other.client(), toucher, me), before);
}

#[test]
fn otterscan_reads() {
    let dir = tempfile::tempdir().unwrap();
    let ch = start(dir.path());
    let c = &ch.c;
    let me = ch.acct.address;
    assert_eq!(c.call("ots_getApiLevel", json!([])), json!(8));
    let (toucher, deploy_hash) = ch.deploy(&toucher_runtime()); // block 1, nonce 0
    let call_hash = ch.send(TxKind::Call(toucher), vec![0xaa, 0xbb, 0xcc, 0xdd, 0xee], 0); // 2
    let pay_hash = ch.send(TxKind::Call(OTHER.parse().unwrap()), vec![], 5); // 3
    c.call("anvil_mine", json!(["0x2"])); // 4, 5

    assert_eq!(
        c.call("ots_hasCode", json!([toucher, "latest"])),
        json!(true)
    );
    assert_eq!(c.call("ots_hasCode", json!([toucher, "0x0"])), json!(false));
    assert_eq!(c.call("ots_hasCode", json!([me, "latest"])), json!(false));

    // Block details: no transaction list, a count, no bloom, fees and issuance.
    let d = c.call("ots_getBlockDetails", json!([2]));
    assert_eq!(d["block"]["transactionCount"], json!(1));
    assert!(d["block"].get("transactions").is_none(), "{d}");
    assert_eq!(d["block"]["logsBloom"], Value::Null);
    assert_eq!(d["issuance"]["blockReward"], json!("0x0"));
    let r = ch.receipt(&call_hash);
    let fee = hex_u64(&r["gasUsed"]) * hex_u64(&r["effectiveGasPrice"]);
    assert_eq!(d["totalFees"], json!(format!("0x{fee:x}")));
    let by_hash = c.call("ots_getBlockDetailsByHash", json!([d["block"]["hash"]]));
    assert_eq!(by_hash, d);
    assert_eq!(c.call("ots_getBlockDetails", json!([99])), Value::Null);

    // Block transactions: input cut to the selector, receipts without logs.
    let bt = c.call("ots_getBlockTransactions", json!([2, 0, 25]));
    assert_eq!(bt["fullblock"]["transactionCount"], json!(1));
    assert_eq!(bt["fullblock"]["transactions"][0]["hash"], call_hash);
    assert_eq!(
        bt["fullblock"]["transactions"][0]["input"],
        json!("0xaabbccdd")
    );
    assert_eq!(bt["receipts"][0]["logs"], Value::Null);
    assert_eq!(bt["receipts"][0]["status"], json!("0x1"));
    let past = c.call("ots_getBlockTransactions", json!([2, 1, 25]));
    assert_eq!(past["fullblock"]["transactions"], json!([]));

    // Searches: newest first, with page flags.
    let all = c.call("ots_searchTransactionsBefore", json!([me, 0, 10]));
    let hashes: Vec<&Value> = all["txs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["hash"])
        .collect();
    assert_eq!(hashes, vec![&pay_hash, &call_hash, &deploy_hash]);
    assert_eq!(all["firstPage"], json!(true));
    assert_eq!(all["lastPage"], json!(true));
    assert_eq!(all["receipts"].as_array().unwrap().len(), 3);
    assert!(all["receipts"][0]["timestamp"].is_string());
    let page = c.call("ots_searchTransactionsBefore", json!([me, 3, 1]));
    assert_eq!(page["txs"][0]["hash"], call_hash);
    assert_eq!(page["firstPage"], json!(false));
    assert_eq!(page["lastPage"], json!(false));
    let after = c.call("ots_searchTransactionsAfter", json!([me, 1, 10]));
    let hashes: Vec<&Value> = after["txs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["hash"])
        .collect();
    assert_eq!(hashes, vec![&pay_hash, &call_hash]);
    assert_eq!(after["firstPage"], json!(true));
    assert_eq!(after["lastPage"], json!(false));
    // The recipient of a payment finds it too.
    let theirs = c.call("ots_searchTransactionsBefore", json!([OTHER, 0, 10]));
    assert_eq!(theirs["txs"].as_array().unwrap().len(), 1);

    // By sender and nonce; the contract's creator.
    for (nonce, hash) in [(0, &deploy_hash), (1, &call_hash), (2, &pay_hash)] {
        assert_eq!(
            &c.call("ots_getTransactionBySenderAndNonce", json!([me, nonce])),
            hash
        );
    }
    assert_eq!(
        c.call("ots_getTransactionBySenderAndNonce", json!([me, 3])),
        Value::Null
    );
    let creator = c.call("ots_getContractCreator", json!([toucher]));
    assert_eq!(creator["hash"], deploy_hash);
    assert_eq!(
        creator["creator"].as_str().unwrap().to_lowercase(),
        format!("{me:#x}")
    );
    assert_eq!(c.call("ots_getContractCreator", json!([me])), Value::Null);

    // Call traces: a contract forwarding the value it gets to OTHER.
    let fwd_runtime = format!("600060006000600034 73{} 5af15000", &OTHER[2..]).replace(' ', "");
    let (fwd, _) = ch.deploy(&fwd_runtime);
    let sent = ch.send(TxKind::Call(fwd), vec![0x12, 0x34], 5);
    assert_eq!(ch.receipt(&sent)["status"], json!("0x1"));
    let trace = c.call("ots_traceTransaction", json!([sent]));
    let lower = |v: &Value| v.as_str().unwrap().to_lowercase();
    assert_eq!(trace.as_array().unwrap().len(), 2, "{trace}");
    assert_eq!(trace[0]["type"], json!("CALL"));
    assert_eq!(trace[0]["depth"], json!(0));
    assert_eq!(lower(&trace[0]["from"]), format!("{me:#x}"));
    assert_eq!(lower(&trace[0]["to"]), format!("{fwd:#x}"));
    assert_eq!(trace[0]["value"], json!("0x5"));
    assert_eq!(trace[0]["input"], json!("0x1234"));
    assert_eq!(trace[1]["depth"], json!(1));
    assert_eq!(lower(&trace[1]["from"]), format!("{fwd:#x}"));
    assert_eq!(lower(&trace[1]["to"]), OTHER);
    assert_eq!(trace[1]["value"], json!("0x5"));
    let ops = c.call("ots_getInternalOperations", json!([sent]));
    assert_eq!(ops.as_array().unwrap().len(), 1, "{ops}");
    assert_eq!(ops[0]["type"], json!(0));
    assert_eq!(lower(&ops[0]["to"]), OTHER);
    assert_eq!(ops[0]["value"], json!("0x5"));
    // A plain call moves nothing internally.
    assert_eq!(
        c.call("ots_getInternalOperations", json!([call_hash])),
        json!([])
    );
}

#[test]
fn cast_reads_the_pool_and_node_info() {
    let Some(cast) = tandem_testkit::cast() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ch = start(dir.path());
    let url = ch._node.url();
    let run = |args: &[&str]| -> Value {
        let out = Command::new(&cast).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "cast {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    ch.c.call("evm_setAutomine", json!([false]));
    ch.send(TxKind::Call(OTHER.parse().unwrap()), vec![], 1);
    let status = run(&["rpc", "--rpc-url", &url, "txpool_status"]);
    assert_eq!(status, json!({"pending": "0x1", "queued": "0x0"}));
    let info = run(&["rpc", "--rpc-url", &url, "anvil_nodeInfo"]);
    assert_eq!(info["environment"]["chainId"], json!(31337));
    let list = run(&[
        "rpc",
        "--rpc-url",
        &url,
        "eth_createAccessList",
        &json!({"from": ch.acct.address, "to": OTHER}).to_string(),
    ]);
    assert_eq!(list["accessList"], json!([]));
}
