//! Issue 15 items 3 and 6, through the real node's JSON-RPC: estimates that hold when sent
//! with exactly the estimate, `eth_simulateV1`, the EIP-1559 base-fee controller and a pinned
//! base fee, the `pending` block, `blobGasPrice`/`blobGasUsed` on receipts and `requestsHash`
//! in Prague+ headers; and the same through cast (`--override-code`, `access-list`,
//! `send --auth`, `block pending`, `receipt`), which must be installed under `CI=true`.

use crate::common;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip4844, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{B256, Bytes, TxKind, U256};
use common::txs::{
    BY_NUMBER, DEV, ENV, OTHER, SLOTS, deploy, envelope_1559, init_code, run_cast, send, tx_1559,
};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::dev_accounts;
use tandem_node::base_fee::next_base_fee;
use tandem_node::{Node, NodeConfig};

/// Writes the slot `timestamp` only in odd seconds.
const ODD_SECONDS: &str = "42600116600857005b6001425500";
/// Counts its calls in slot 0 and returns the new count.
const COUNTER: &str = "6000546001018060005560005260206000f3";
/// Reverts without data.
const REVERTS: &str = "60006000fd";
/// Burns gas until 65,536 are left.
const BURNER: &str = "5b620100005a11600057";

/// Forwards its call value to `to` (a CALL with no data).
fn forwarder(to: &str) -> String {
    format!("60006000600060003473{}5af100", to.trim_start_matches("0x"))
}

fn block(c: &Client, tag: &str) -> Value {
    c.call("eth_getBlockByNumber", json!([tag, false]))
}

fn word_u64(hex: &str, i: usize) -> u64 {
    let hex = hex.trim_start_matches("0x");
    u64::from_str_radix(&hex[64 * i + 48..64 * (i + 1)], 16).unwrap()
}

#[test]
fn estimates_sent_as_they_are_always_suffice() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    for runtime in [BY_NUMBER, ODD_SECONDS] {
        let contract = deploy(&c, runtime);
        let mut estimates = Vec::new();
        // The alternation: every other transaction ran out of gas.
        for round in 0..6 {
            let req = json!({"from": DEV, "to": contract});
            let estimate = hex_u64(&c.call("eth_estimateGas", json!([req])));
            let mined = send(
                &c,
                json!({"from": DEV, "to": contract, "gas": format!("0x{estimate:x}")}),
            );
            assert_eq!(
                mined["status"],
                json!("0x1"),
                "{runtime} round {round}: {mined}"
            );
            assert!(hex_u64(&mined["gasUsed"]) <= estimate, "{mined}");
            estimates.push(estimate);
            // Move the clock by one second in some rounds, so odd and even seconds both come.
            if round % 2 == 1 {
                c.call("evm_increaseTime", json!([1]));
            }
        }
        if runtime == BY_NUMBER {
            // A new slot in every block: the same estimate each time, covering the write.
            assert!(
                estimates.iter().all(|e| *e == estimates[0] && *e > 40_000),
                "{estimates:?}"
            );
        }
    }
}

#[test]
fn an_estimate_holds_when_the_clock_ticks_before_mining() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let contract = deploy(&c, ODD_SECONDS);
    // Put the chain ahead of the wall clock at an odd timestamp and the clock far behind,
    // so the next block's timestamp is exactly the parent's + 1: even.
    let ahead = hex_u64(&block(&c, "latest")["timestamp"]) + 10_001;
    let ahead = ahead | 1;
    c.call("evm_setNextBlockTimestamp", json!([ahead]));
    c.call("evm_mine", json!([]));
    c.call("evm_increaseTime", json!([-1_000_000]));
    let pending = hex_u64(&block(&c, "pending")["timestamp"]);
    assert_eq!(pending, ahead + 1);
    // In an even second the contract writes nothing: a bare estimate would be ~21,000.
    let req = json!({"from": DEV, "to": contract});
    let estimate = hex_u64(&c.call("eth_estimateGas", json!([req])));
    assert!(
        estimate > 40_000,
        "covers the odd second's write: {estimate}"
    );
    // Pinned to that even second, the estimate is the cheap one.
    c.call("evm_setNextBlockTimestamp", json!([ahead + 1]));
    let pinned = hex_u64(&c.call("eth_estimateGas", json!([req])));
    assert!(pinned < 30_000, "{pinned}");
    // The clock ticked: mined a second later, with exactly the first estimate.
    c.call("evm_setNextBlockTimestamp", json!([ahead + 2]));
    let mined = send(
        &c,
        json!({"from": DEV, "to": contract, "gas": format!("0x{estimate:x}")}),
    );
    assert_eq!(mined["status"], json!("0x1"), "{mined}");
    assert_eq!(hex_u64(&block(&c, "latest")["timestamp"]) % 2, 1);
}

#[test]
fn simulate_v1_runs_blocks_of_calls_on_a_throwaway_state() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let latest = block(&c, "latest");
    let n = hex_u64(&latest["number"]);
    let ts = hex_u64(&latest["timestamp"]);
    let env = "0x1000000000000000000000000000000000000001";
    let counter = "0x1000000000000000000000000000000000000002";
    let reverts = "0x1000000000000000000000000000000000000003";
    let fwd = "0x1000000000000000000000000000000000000004";
    let poor = "0x4000000000000000000000000000000000000004";
    let payload = json!({
        "blockStateCalls": [
            {
                "stateOverrides": {
                    env: {"code": format!("0x{ENV}")},
                    counter: {"code": format!("0x{COUNTER}")},
                    reverts: {"code": format!("0x{REVERTS}")},
                    fwd: {"code": format!("0x{}", forwarder(OTHER))},
                    poor: {"balance": "0x100000"},
                },
                "calls": [
                    {"from": DEV, "to": env},
                    {"from": DEV, "to": counter},
                    {"from": DEV, "to": counter},
                    {"from": DEV, "to": reverts},
                    {"from": poor, "to": fwd, "value": "0x5"},
                ]
            },
            {
                "blockOverrides": {"number": format!("0x{:x}", n + 4), "time": format!("0x{:x}", ts + 100)},
                "calls": [{"from": DEV, "to": env}, {"from": DEV, "to": counter}]
            }
        ],
        "traceTransfers": true,
        "returnFullTransactions": true
    });
    let out = c.call("eth_simulateV1", json!([payload, "latest"]));
    let blocks = out.as_array().unwrap();
    // Block n+1, the two fillers n+2 and n+3, then n+4.
    assert_eq!(blocks.len(), 4, "{out:#}");
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(hex_u64(&b["number"]), n + 1 + i as u64);
        let parent = if i == 0 {
            latest["hash"].clone()
        } else {
            blocks[i - 1]["hash"].clone()
        };
        assert_eq!(b["parentHash"], parent);
        assert_eq!(
            b["baseFeePerGas"],
            json!("0x0"),
            "no validation: no base fee"
        );
    }
    assert!(blocks[1]["calls"].as_array().unwrap().is_empty());
    let calls = blocks[0]["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 5);
    let ret = |i: usize, j: usize| {
        blocks[i]["calls"][j]["returnData"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (word_u64(&ret(0, 0), 0), word_u64(&ret(0, 0), 1)),
        (n + 1, ts + 1)
    );
    // State carries from call to call and block to block.
    assert_eq!(word_u64(&ret(0, 1), 0), 1);
    assert_eq!(word_u64(&ret(0, 2), 0), 2);
    assert_eq!(word_u64(&ret(3, 1), 0), 3);
    assert_eq!(
        (word_u64(&ret(3, 0), 0), word_u64(&ret(3, 0), 1)),
        (n + 4, ts + 100)
    );
    // A revert: status 0 and geth's error.
    assert_eq!(calls[3]["status"], json!("0x0"));
    assert_eq!(calls[3]["error"]["code"], json!(3));
    assert_eq!(calls[0]["status"], json!("0x1"));
    assert!(hex_u64(&calls[0]["gasUsed"]) > 21_000);
    // Transfers traced: poor → fwd, then fwd → OTHER (the inner call), as ERC-20 logs.
    let logs = calls[4]["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 2, "{logs:#?}");
    let topic = format!(
        "{:#x}",
        alloy_primitives::keccak256("Transfer(address,address,uint256)")
    );
    let pad = |a: &str| format!("0x{:0>64}", a.trim_start_matches("0x"));
    for (log, (from, to)) in logs.iter().zip([(poor, fwd), (fwd, OTHER)]) {
        assert_eq!(
            log["address"],
            json!("0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
        );
        assert_eq!(log["topics"], json!([topic, pad(from), pad(to)]));
        assert_eq!(
            hex_u64(&json!(format!("0x{}", &log["data"].as_str().unwrap()[2..]))),
            5
        );
        assert_eq!(log["blockHash"], blocks[0]["hash"]);
    }
    // Full transactions, with their senders.
    let txs = blocks[0]["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 5);
    assert_eq!(txs[4]["from"], json!(poor));
    assert_eq!(logs[0]["transactionHash"], txs[4]["hash"]);
    // The chain saw none of it.
    assert_eq!(block(&c, "latest")["hash"], latest["hash"]);
    for addr in [env, counter, fwd] {
        assert_eq!(c.call("eth_getCode", json!([addr, "latest"])), json!("0x"));
    }
    assert_eq!(
        c.call("eth_getBalance", json!([OTHER, "latest"])),
        json!("0x21e19e0c9bab2400000")
    );
}

#[test]
fn simulate_v1_validation_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let next_fee =
        c.call("eth_getBlockByNumber", json!(["pending", false]))["baseFeePerGas"].clone();
    let one = |calls: Value, validation: bool| {
        c.request(
            "eth_simulateV1",
            json!([{"blockStateCalls": [{"calls": calls}], "validation": validation}]),
        )
    };
    // With validation the block has the chain's next base fee, and nonces are checked.
    let ok = one(json!([{"from": DEV, "to": OTHER, "value": "0x1"}]), true);
    assert_eq!(ok["result"][0]["baseFeePerGas"], next_fee, "{ok}");
    assert_eq!(ok["result"][0]["calls"][0]["status"], json!("0x1"));
    let bad_nonce = one(json!([{"from": DEV, "to": OTHER, "nonce": "0x9"}]), true);
    assert!(
        bad_nonce["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nonce too high"),
        "{bad_nonce}"
    );
    // Without it the given nonce is ignored, as geth does.
    let free = one(json!([{"from": DEV, "to": OTHER, "nonce": "0x9"}]), false);
    assert_eq!(
        free["result"][0]["calls"][0]["status"],
        json!("0x1"),
        "{free}"
    );
    // Too poor for the value: the whole request fails, naming the call.
    let poor = one(
        json!([{"from": "0x4000000000000000000000000000000000000004", "to": OTHER, "value": "0x1"}]),
        false,
    );
    assert!(
        poor["error"]["message"]
            .as_str()
            .unwrap()
            .contains("block 0: call 0"),
        "{poor}"
    );
    // Timestamps and numbers must go forward; unknown fields are refused.
    let back = c.request(
        "eth_simulateV1",
        json!([{"blockStateCalls": [{"blockOverrides": {"time": "0x1"}}]}]),
    );
    assert_eq!(back["error"]["code"], json!(-38021), "{back}");
    let number = c.request(
        "eth_simulateV1",
        json!([{"blockStateCalls": [{"blockOverrides": {"number": "0x0"}}]}]),
    );
    assert_eq!(number["error"]["code"], json!(-38020), "{number}");
    let unknown = c.request(
        "eth_simulateV1",
        json!([{"blockStateCalls": [], "traceTransfer": true}]),
    );
    assert_eq!(unknown["error"]["code"], json!(-32602), "{unknown}");
    let too_far = c.request(
        "eth_simulateV1",
        json!([{"blockStateCalls": [{"blockOverrides": {"number": "0x10000"}}]}]),
    );
    assert_eq!(too_far["error"]["code"], json!(-38026), "{too_far}");
}

/// The base fee of block `n`.
fn base_fee(c: &Client, n: u64) -> u64 {
    hex_u64(&block(c, &format!("0x{n:x}"))["baseFeePerGas"])
}

#[test]
fn the_base_fee_follows_eip_1559() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    assert_eq!(base_fee(&c, 0), 1_000_000_000);
    // Empty blocks: down by 1/8 each.
    c.call("evm_mine", json!([]));
    assert_eq!(base_fee(&c, 1), 875_000_000);
    // A block using more than half its gas limit: up.
    let burner = deploy(&c, BURNER);
    let heavy = send(&c, json!({"from": DEV, "to": burner, "gas": "0xf42400"}));
    let n = hex_u64(&heavy["blockNumber"]);
    assert!(hex_u64(&heavy["gasUsed"]) > 15_000_000, "{heavy}");
    // What the pending block and eth_gasPrice announce is what the next block gets.
    let pending = block(&c, "pending");
    let announced = hex_u64(&pending["baseFeePerGas"]);
    let price = hex_u64(&c.call("eth_gasPrice", json!([])));
    let history = c.call("eth_feeHistory", json!(["0x2", "latest", []]));
    c.call("evm_mine", json!([]));
    for k in 1..=n + 1 {
        let parent = block(&c, &format!("0x{:x}", k - 1));
        assert_eq!(
            base_fee(&c, k),
            next_base_fee(
                hex_u64(&parent["baseFeePerGas"]),
                hex_u64(&parent["gasUsed"]),
                hex_u64(&parent["gasLimit"])
            ),
            "block {k}"
        );
    }
    assert!(
        base_fee(&c, n + 1) > base_fee(&c, n),
        "a full block raises the fee"
    );
    assert_eq!(announced, base_fee(&c, n + 1));
    assert_eq!(price, announced + 1_000_000_000);
    assert_eq!(
        hex_u64(&history["baseFeePerGas"][2]),
        announced,
        "{history}"
    );
    // The node fills fees that cover the moving base fee.
    let filled = send(&c, json!({"from": DEV, "to": OTHER, "value": "0x1"}));
    assert_eq!(filled["status"], json!("0x1"));
    assert!(hex_u64(&filled["effectiveGasPrice"]) > base_fee(&c, n + 1) / 2);
}

#[test]
fn a_pinned_base_fee_stays() {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        base_fee: Some(7),
        ..NodeConfig::default()
    };
    drop(Node::open(dir.path(), &config).unwrap());
    // The pin is a run option: TestNode reopens without it, so open with it in-process.
    let node = Node::open(dir.path(), &config).unwrap();
    let accts = dev_accounts(1).unwrap();
    let burner_init = init_code(BURNER);
    let mut nonce = 0;
    let mut raw = |to: TxKind, input: Vec<u8>, gas: u64| {
        let tx = TxEip1559 {
            gas_limit: gas,
            max_fee_per_gas: 1_000,
            max_priority_fee_per_gas: 1,
            ..tx_1559(nonce, to, input)
        };
        nonce += 1;
        let env = envelope_1559(&accts[0], tx);
        let sender = accts[0].address;
        node.submit(
            env.clone(),
            tandem_node::state::tx_from_envelope(&env, sender),
        )
        .unwrap()
    };
    raw(TxKind::Create, burner_init, 200_000);
    let burner = accts[0].address.create(0);
    for _ in 0..3 {
        raw(TxKind::Call(burner), Vec::new(), 16_000_000);
    }
    let latest = node.latest_number();
    assert!(latest >= 4);
    for n in 1..=latest {
        let b = node.blocks.block(n, latest).unwrap().unwrap();
        assert_eq!(b.header.base_fee_per_gas, Some(7), "block {n}");
    }
    assert!(
        node.blocks
            .block(latest, latest)
            .unwrap()
            .unwrap()
            .header
            .gas_used
            > 15_000_000
    );
    assert_eq!(node.base_fee(), 7);
}

#[test]
fn pending_block_receipts_and_headers_as_anvil_gives_them() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    c.call("evm_mine", json!([]));
    let latest = block(&c, "latest");
    let pending = block(&c, "pending");
    assert_eq!(hex_u64(&pending["number"]), hex_u64(&latest["number"]) + 1);
    assert_eq!(pending["parentHash"], latest["hash"]);
    assert!(hex_u64(&pending["timestamp"]) > hex_u64(&latest["timestamp"]));
    // Prague and later: the empty requests hash, sha256 of nothing (EIP-7685).
    let empty_requests = "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(latest["requestsHash"], json!(empty_requests));
    assert_eq!(pending["requestsHash"], json!(empty_requests));
    // With automine off, the pending block holds what waits, and a call at pending sees its
    // number.
    c.call("evm_setAutomine", json!([false]));
    let hash = c.call(
        "eth_sendTransaction",
        json!([{"from": DEV, "to": OTHER, "value": "0x1"}]),
    );
    let pending = block(&c, "pending");
    assert_eq!(pending["transactions"], json!([hash]));
    assert_eq!(hex_u64(&pending["gasUsed"]), 21_000);
    let full = c.call("eth_getBlockByNumber", json!(["pending", true]));
    assert_eq!(full["transactions"][0]["hash"], hash);
    assert_eq!(full["transactions"][0]["from"], json!(DEV));
    c.call("evm_mine", json!([]));
    let mined = block(&c, "latest");
    assert_eq!(mined["number"], pending["number"]);
    assert_eq!(mined["timestamp"], pending["timestamp"]);
    assert_eq!(mined["baseFeePerGas"], pending["baseFeePerGas"]);
    assert_eq!(mined["transactionsRoot"], pending["transactionsRoot"]);
    c.call("evm_setAutomine", json!([true]));
    // Receipts carry the blob gas price; a blob transaction its blob gas.
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["blobGasPrice"], json!("0x1"), "{receipt}");
    assert!(
        receipt.get("blobGasUsed").is_none_or(Value::is_null),
        "{receipt}"
    );
    let accts = dev_accounts(1).unwrap();
    let tx = TxEip4844 {
        chain_id: 31337,
        nonce: hex_u64(&c.call("eth_getTransactionCount", json!([DEV, "pending"]))),
        gas_limit: 100_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: OTHER.parse().unwrap(),
        value: U256::ZERO,
        access_list: Default::default(),
        // Version 0x01 (KZG) hashes.
        blob_versioned_hashes: (1..=2u8)
            .map(|i| {
                let mut h = [i; 32];
                h[0] = 1;
                B256::from(h)
            })
            .collect(),
        max_fee_per_blob_gas: 10,
        input: Bytes::new(),
    };
    let sig = accts[0].sign_hash(&tx.signature_hash()).unwrap();
    let env: TxEnvelope = tx.into_signed(sig).into();
    let sent = c.request(
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(env.encoded_2718()))]),
    );
    let blob_hash = sent
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{sent}"));
    let receipt = c.call("eth_getTransactionReceipt", json!([blob_hash]));
    assert_eq!(receipt["type"], json!("0x3"));
    assert_eq!(hex_u64(&receipt["blobGasUsed"]), 2 * 131_072, "{receipt}");
    assert_eq!(receipt["blobGasPrice"], json!("0x1"));
    let b = block(&c, "latest");
    assert_eq!(hex_u64(&b["blobGasUsed"]), 2 * 131_072);
}

#[test]
fn a_cancun_chain_has_no_requests_hash() {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        hardfork: Some(tandem_vm::kernel::Hardfork::Cancun),
        ..NodeConfig::default()
    };
    drop(Node::open(dir.path(), &config).unwrap());
    let node = TestNode::start(dir.path());
    let c = node.client();
    c.call("evm_mine", json!([]));
    assert!(block(&c, "latest").get("requestsHash").is_none());
    assert!(block(&c, "pending").get("requestsHash").is_none());
}

#[test]
fn cast_drives_overrides_access_lists_7702_pending_blocks_and_receipts() {
    let Some(cast) = tandem_testkit::cast() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let url = node.url();
    let accts = dev_accounts(2).unwrap();
    let key = accts[1].private_key_hex();
    let signer = format!("{:#x}", accts[1].address);

    // --override-code on an empty address.
    let empty = "0x2000000000000000000000000000000000000002";
    let code = format!("{empty}:0x{ENV}");
    let out = run_cast(
        &cast,
        &["call", "--rpc-url", &url, empty, "--override-code", &code],
    );
    let n = hex_u64(&c.call("eth_blockNumber", json!([])));
    assert_eq!(word_u64(&out, 0), n);

    // access-list: the slots a contract reads.
    let slots = deploy(&c, SLOTS);
    let out = run_cast(
        &cast,
        &[
            "access-list",
            "--rpc-url",
            &url,
            "--from",
            DEV,
            &slots,
            "--json",
        ],
    );
    let list: Value = serde_json::from_str(&out).unwrap();
    let entry = &list["accessList"][0];
    assert_eq!(
        entry["address"].as_str().unwrap().to_lowercase(),
        slots.to_lowercase(),
        "{list}"
    );
    assert_eq!(entry["storageKeys"].as_array().unwrap().len(), 2, "{list}");

    // send --auth: the sender delegates to a contract (self-sponsored EIP-7702).
    let counter = deploy(&c, COUNTER);
    let out = run_cast(
        &cast,
        &[
            "send",
            "--rpc-url",
            &url,
            "--private-key",
            &key,
            "--auth",
            &counter,
            &signer,
            "--json",
        ],
    );
    let receipt: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(receipt["type"], json!("0x4"), "{receipt}");
    let designator = format!(
        "0xef0100{}",
        counter.trim_start_matches("0x").to_lowercase()
    );
    assert_eq!(
        c.call("eth_getCode", json!([signer, "latest"])),
        json!(designator)
    );
    // The delegated EOA runs the counter on its own storage.
    let out = run_cast(&cast, &["call", "--rpc-url", &url, &signer]);
    assert_eq!(
        word_u64(&out, 0),
        2,
        "the send ran it once; this call a second time"
    );

    // block pending: the next block.
    let out = run_cast(&cast, &["block", "pending", "--rpc-url", &url, "--json"]);
    let pending: Value = serde_json::from_str(&out).unwrap();
    let latest = block(&c, "latest");
    assert_eq!(
        hex_u64(&pending["number"]),
        hex_u64(&latest["number"]) + 1,
        "{pending}"
    );
    assert_eq!(pending["parentHash"], latest["hash"]);

    // receipt: the fields anvil gives.
    let hash = receipt["transactionHash"].as_str().unwrap();
    let out = run_cast(&cast, &["receipt", "--rpc-url", &url, hash, "--json"]);
    let r: Value = serde_json::from_str(&out).unwrap();
    for field in [
        "blobGasPrice",
        "effectiveGasPrice",
        "logsBloom",
        "cumulativeGasUsed",
        "from",
        "to",
    ] {
        assert!(r.get(field).is_some_and(|v| !v.is_null()), "{field}: {r}");
    }
    assert_eq!(r["blobGasPrice"], json!("0x1"));
    let field = run_cast(&cast, &["receipt", "--rpc-url", &url, hash, "blobGasPrice"]);
    assert_eq!(field, "1");
}
