//! Hostile JSON-RPC batches. A batch of writes and light reads runs in place
//! (`rpc/batch_sync.rs`: it leaves the async workers with `block_in_place` and `block_on`s its
//! calls on that thread, which the runtime replaces from the blocking pool, 512 threads). A
//! heavy read waits for its turn at the heavy-read gate (`rpc/server.rs`) and then asks the
//! pool for a thread. When batches of heavy reads ran in place too, each waited at the gate
//! holding its pool thread: with over 512 of them in flight, every pool thread was a batch
//! waiting for a heavy read that waited for a pool thread, and the node stopped for good (0%
//! CPU, 514 threads parked in `block_in_place`, no write ever answered again). Now a batch
//! with a heavy read runs as single calls do (waiting without a thread), and at most 32
//! batches run in place at once. `hostile_rpc.rs` sends the same flood as single requests.

use crate::common;

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};

const DEV: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

/// Input for the BLAKE2F precompile (EIP-152) asking for `rounds` rounds: the slowest work
/// per gas an `eth_call` can ask for.
fn blake2f_input(rounds: u32) -> String {
    let mut input = rounds.to_be_bytes().to_vec();
    input.extend([0u8; 64 + 128 + 16]);
    input.push(1);
    format!("0x{}", hex::encode(input))
}

/// The node still answers and still mines.
fn assert_alive(c: &Client) {
    let before = hex_u64(&c.call("eth_blockNumber", json!([])));
    c.call("evm_mine", json!([]));
    let after = hex_u64(&c.call("eth_blockNumber", json!([])));
    assert_eq!(after, before + 1, "the node did not mine after the flood");
}

/// A batch of `calls` heavy `eth_call`s; `i` makes each call differ (its gas), so none is
/// answered from the head's call cache.
fn heavy_batch(i: usize, calls: usize, input: &str) -> String {
    let batch: Vec<Value> = (0..calls)
        .map(|k| {
            let call = json!({
                "from": DEV,
                "to": "0x0000000000000000000000000000000000000009",
                "gas": format!("0x{:x}", 0x1000000 - i * calls - k),
                "input": input,
            });
            json!({"jsonrpc": "2.0", "id": k, "method": "eth_call", "params": [call, "latest"]})
        })
        .collect();
    Value::Array(batch).to_string()
}

/// `batches` batches of `calls` heavy reads of `rounds` each, all in flight; then a value
/// transfer, a second later, must be answered within seconds, and every batch answered.
fn flood_then_write(batches: usize, calls: usize, rounds: u32) {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let input = blake2f_input(rounds);
    let mut streams: Vec<TcpStream> = (0..batches)
        .map(|i| c.post_and_leave(&heavy_batch(i, calls, &input), 600))
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let start = Instant::now();
    let write = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction",
        "params": [{"from": DEV, "to": DEV, "value": "0x1"}]})
    .to_string();
    let mut answer = String::new();
    if c.post_and_leave(&write, 30)
        .read_to_string(&mut answer)
        .is_err()
    {
        // A deadlocked node would hang the test in its drop: leave it behind.
        std::mem::forget(streams);
        std::mem::forget(node);
        panic!(
            "a write sent behind {batches} batches of {calls} heavy reads had no answer in 30 s"
        );
    }
    let took = start.elapsed();
    let hash = answer
        .split_once("\"result\":\"")
        .and_then(|(_, rest)| rest.split('"').next())
        .unwrap_or_else(|| panic!("no transaction hash: {answer}"));
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"));
    for s in &mut streams {
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        assert_eq!(text.matches("\"result\":\"0x").count(), calls, "{text}");
    }
    let flood_took = start.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "a write waited {took:?} behind {batches} batches of {calls} heavy reads (the flood took {flood_took:?})"
    );
    assert!(
        flood_took > took * 2,
        "the flood ({flood_took:?}) did not outlast the write ({took:?}): make it heavier"
    );
    assert_alive(&c);
}

/// 520 batches of 20 heavy reads each: more batches than the blocking pool has threads.
#[test]
fn a_flood_of_heavy_batches_cannot_stall_writes() {
    flood_then_write(520, 20, 200_000);
}
