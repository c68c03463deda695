//! A disk that fills up under the node (`src/store_health.rs`): the write whose sync fails
//! gets the store's error, the node says once which block the chain resumes at and shuts
//! down with a non-zero exit, and started again (with room) it has every acknowledged
//! transaction (and perhaps the one answered with the error) and takes new ones. Before, it kept mining in memory: it served
//! blocks that the next start did not have, and logged the same error every 2 ms.

use crate::common;

use std::io::Read;
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use common::devnode::Devnode;
use common::hex_u64;
use serde_json::json;

const RECIPIENT: Address = Address::repeat_byte(0x5d);
/// Calldata per transaction: the disk fills in tens of blocks, not thousands.
const CALLDATA: usize = 60_000;

fn largest_file(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .max()
        .unwrap_or(0)
}

#[test]
fn a_full_disk_stops_the_node_and_loses_no_acknowledged_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    // Create the chain with no limit, then cap every file a few MiB above its size.
    let first = Devnode::start(&dir);
    let from = first.client().call("eth_accounts", json!([]))[0].clone();
    first.kill();
    let limit = largest_file(&dir) + 4 * 1024 * 1024;
    let mut node = Devnode::start_with_file_limit(&dir, limit);
    let c = node.client();
    let data = format!("0x{}", "ab".repeat(CALLDATA));
    let (mut acked, mut error) = (0u64, None);
    for _ in 0..1_000 {
        let answer = c.request(
            "eth_sendTransaction",
            json!([{"from": from, "to": RECIPIENT, "value": "0x1", "data": data, "gas": "0x2dc6c0"}]),
        );
        match answer.get("result") {
            Some(_) => acked += 1,
            // The node shuts down right after: no more requests.
            None => {
                error = Some(
                    answer["error"]["message"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                );
                break;
            }
        }
    }
    assert!(acked > 0, "some writes fit: {error:?}");
    let error =
        error.unwrap_or_else(|| panic!("the limit was never reached ({acked} acknowledged)"));
    // The store's own error (from this sync, or from the write-ahead thread's failure that
    // the sync then refuses with).
    assert!(
        error.contains("File too large") || error.contains("No space"),
        "the store's error: {error}"
    );
    // The node shuts down by itself, saying why.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = node.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the node did not shut down");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    node.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("could not make writes durable"), "{stderr}");
    assert!(stderr.contains("the chain resumes at block"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let error_lines = stderr.lines().filter(|l| l.contains("ERROR")).count();
    assert!(
        error_lines < 10,
        "said once, not in a loop: {error_lines} lines"
    );

    // With room again: every acknowledged transfer is there, and the chain goes on.
    let again = Devnode::start(&dir);
    let c = again.client();
    let balance =
        |c: &common::Client| hex_u64(&c.call("eth_getBalance", json!([RECIPIENT, "latest"])));
    // The write answered with the failure may be there too: its block can reach the log
    // (written ahead, without an fsync) before the store fails, and a restart replays it.
    // An error about durability leaves the outcome open, like a timeout; an answer of
    // success never does.
    let found = balance(&c);
    assert!(
        found == acked || found == acked + 1,
        "{found} found, {acked} acknowledged"
    );
    let acked = found;
    c.call(
        "eth_sendTransaction",
        json!([{"from": from, "to": RECIPIENT, "value": "0x1"}]),
    );
    assert_eq!(balance(&c), acked + 1);
}
