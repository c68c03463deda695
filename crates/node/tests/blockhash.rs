//! BLOCKHASH on the node answers the chain's real block hashes (issue 15): what
//! `eth_getBlockByNumber(n).hash` says and what the EIP-2935 history contract recorded, in
//! transactions, in `eth_call` at `latest`, `pending` and an older block, in a
//! `debug_traceTransaction` replay, after `evm_revert` and in `eth_simulateV1`'s blocks; zero
//! for the current block, a future one and anything more than 256 blocks back.

use crate::common;

use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};

const DEV: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const HISTORY: &str = "0000f90827f1c53a10cb7a02335b175320002935";
/// `return blockhash(calldataload(0))`.
const READER: &str = "60003540 60005260206000f3";
/// `x = blockhash(calldataload(0)); sstore(number, x); return x`.
const RECORDER: &str = "6000354080435560005260206000f3";
const ZERO: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

/// `staticcall(HISTORY, calldataload(0))`; returns `(hash, success)` (the history contract
/// reverts for blocks it does not serve).
fn history_reader() -> String {
    format!("600035600052 6020600060206000 73{HISTORY} 5afa 602052 60406000f3")
}

fn init(runtime: &str) -> String {
    let runtime = runtime.replace(' ', "");
    let len = runtime.len() / 2;
    assert!(len < 256);
    format!("0x60{len:02x}600c60003960{len:02x}6000f3{runtime}")
}

fn send(c: &Client, tx: Value) -> Value {
    let hash = c.call("eth_sendTransaction", json!([tx]));
    c.call("eth_getTransactionReceipt", json!([hash]))
}

fn deploy(c: &Client, runtime: &str) -> String {
    let receipt = send(c, json!({"from": DEV, "data": init(runtime)}));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    receipt["contractAddress"].as_str().unwrap().to_string()
}

fn word(n: u64) -> String {
    format!("0x{n:064x}")
}

fn block_hash(c: &Client, n: u64) -> String {
    let b = c.call("eth_getBlockByNumber", json!([format!("0x{n:x}"), false]));
    b["hash"].as_str().unwrap().to_string()
}

fn latest(c: &Client) -> u64 {
    hex_u64(&c.call("eth_blockNumber", json!([])))
}

/// `blockhash(n)` through an `eth_call` of the reader at `at`.
fn call_blockhash(c: &Client, reader: &str, n: u64, at: Value) -> String {
    let out = c.call("eth_call", json!([{"to": reader, "data": word(n)}, at]));
    out.as_str().unwrap().to_string()
}

#[test]
fn blockhash_answers_the_chains_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let reader = deploy(&c, READER);
    let recorder = deploy(&c, RECORDER);
    let history = deploy(&c, &history_reader());
    // More than 256 blocks, so that the oldest ones fall out of BLOCKHASH's reach.
    c.call("hardhat_mine", json!(["0x12c"]));
    let head = latest(&c);
    assert!(head > 300, "{head}");
    let hashes: Vec<String> = (0..=head).map(|n| block_hash(&c, n)).collect();
    // At `latest`: the 256 blocks before it, each as the block itself and the history
    // contract give it; zero for the latest block itself, the future and 257 back.
    for back in [1u64, 2, 7, 100, 255, 256] {
        let n = head - back;
        let got = call_blockhash(&c, &reader, n, json!("latest"));
        assert_eq!(got, hashes[n as usize], "blockhash({n}) at {head}");
        let from_history = c.call(
            "eth_call",
            json!([{"to": history, "data": word(n)}, "latest"]),
        );
        let from_history = from_history.as_str().unwrap();
        assert!(
            from_history.ends_with('1'),
            "history of {n}: {from_history}"
        );
        assert_eq!(
            &from_history[..66],
            got,
            "history contract vs BLOCKHASH for {n}"
        );
    }
    for n in [head, head + 1, head - 257, head - 300, 0] {
        let got = call_blockhash(&c, &reader, n, json!("latest"));
        assert_eq!(got, ZERO, "blockhash({n}) at {head}");
    }
    // `pending` is the next block: the latest block's hash is now in reach, 256 back is not.
    assert_eq!(
        call_blockhash(&c, &reader, head, json!("pending")),
        hashes[head as usize]
    );
    assert_eq!(
        call_blockhash(&c, &reader, head - 256, json!("pending")),
        ZERO
    );
    // The pending block opens with EIP-2935's write of the latest block's hash, so the
    // history contract has it at `pending` (and not yet at `latest`).
    let pending_history = c.call(
        "eth_call",
        json!([{"to": history, "data": word(head)}, "pending"]),
    );
    assert_eq!(
        pending_history.as_str().unwrap(),
        format!("{}{:064x}", hashes[head as usize], 1),
        "history of the latest block at pending"
    );
    let latest_history = c.call(
        "eth_call",
        json!([{"to": history, "data": word(head)}, "latest"]),
    );
    assert!(
        latest_history.as_str().unwrap().ends_with('0'),
        "the latest block's own hash is not in history at latest: {latest_history}"
    );
    // At an older block, the blocks before that one (and not the blocks after it).
    let old = head - 40;
    let at_old = json!(format!("0x{old:x}"));
    assert_eq!(
        call_blockhash(&c, &reader, old - 1, at_old.clone()),
        hashes[(old - 1) as usize]
    );
    assert_eq!(
        call_blockhash(&c, &reader, old - 256, at_old.clone()),
        hashes[(old - 256) as usize]
    );
    assert_eq!(call_blockhash(&c, &reader, old, at_old.clone()), ZERO);
    assert_eq!(call_blockhash(&c, &reader, old + 1, at_old), ZERO);

    // In transactions (each mined in its own block), and in their replays.
    for back in [1u64, 3, 256, 257, 0] {
        let mined_in = latest(&c) + 1;
        let n = mined_in - back;
        let r = send(&c, json!({"from": DEV, "to": recorder, "data": word(n)}));
        assert_eq!(r["status"], json!("0x1"), "{r}");
        assert_eq!(hex_u64(&r["blockNumber"]), mined_in);
        let expected = if (1..=256).contains(&back) {
            block_hash(&c, n)
        } else {
            ZERO.to_string()
        };
        let stored = c.call(
            "eth_getStorageAt",
            json!([recorder, format!("0x{mined_in:x}"), "latest"]),
        );
        assert_eq!(
            stored.as_str().unwrap(),
            expected,
            "blockhash({n}) in block {mined_in}"
        );
        let trace = c.call(
            "debug_traceTransaction",
            json!([r["transactionHash"], {"tracer": "callTracer"}]),
        );
        assert_eq!(
            trace["output"].as_str().unwrap(),
            expected,
            "replay of block {mined_in}"
        );
    }
}

#[test]
fn blockhash_follows_a_revert_and_simulated_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let reader = deploy(&c, READER);
    let snap = c.call("evm_snapshot", json!([]));
    let base = latest(&c);
    c.call("hardhat_mine", json!(["0x3"]));
    let first = block_hash(&c, base + 1);
    assert_eq!(
        call_blockhash(&c, &reader, base + 1, json!("latest")),
        first
    );
    // The same numbers again, mined later: other blocks, other hashes.
    assert_eq!(c.call("evm_revert", json!([snap])), json!(true));
    c.call("evm_increaseTime", json!([1000]));
    c.call("hardhat_mine", json!(["0x3"]));
    let second = block_hash(&c, base + 1);
    assert_ne!(first, second);
    for at in [
        json!("latest"),
        json!("pending"),
        json!(format!("0x{:x}", base + 2)),
    ] {
        assert_eq!(
            call_blockhash(&c, &reader, base + 1, at.clone()),
            second,
            "at {at}"
        );
    }

    // eth_simulateV1: a simulated block sees the chain's blocks and the simulated ones
    // before it, as their headers hash.
    let head = latest(&c);
    let call = |n: u64| json!({"from": DEV, "to": reader, "data": word(n)});
    let payload = json!({"blockStateCalls": [
        {"calls": [call(head)]},
        {"calls": [call(head + 1), call(head), call(head + 2)]},
    ]});
    let out = c.call("eth_simulateV1", json!([payload, "latest"]));
    let blocks = out.as_array().unwrap();
    assert_eq!(blocks.len(), 2, "{out:#}");
    let ret = |i: usize, j: usize| blocks[i]["calls"][j]["returnData"].clone();
    assert_eq!(ret(0, 0), json!(block_hash(&c, head)));
    assert_eq!(
        ret(1, 0),
        blocks[0]["hash"],
        "the first simulated block's hash"
    );
    assert_eq!(ret(1, 1), json!(block_hash(&c, head)));
    assert_eq!(ret(1, 2), json!(ZERO), "the current block");
}
