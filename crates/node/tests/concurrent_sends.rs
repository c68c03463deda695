//! Concurrent `eth_sendTransaction` calls from one dev account, without a nonce, each get
//! their own nonce and are all mined, as on Hardhat and anvil. (The node used to read the
//! pending nonce and submit separately, so two calls in flight could pick the same nonce and
//! one failed with "nonce too low": OpenZeppelin's MerkleTree test sends 2^DEPTH pushes in a
//! `Promise.all`.)

use crate::common;

use std::collections::BTreeSet;

use serde_json::json;

use common::TestNode;

const FROM: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const SENDS: usize = 48;
const THREADS: usize = 12;

#[test]
fn concurrent_sends_from_one_account_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let addr = node.addr;
    let hashes: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    let c = common::Client { addr };
                    (0..SENDS / THREADS)
                        .map(|i| {
                            // Half without gas (estimated inside the call), half with it.
                            let mut tx = json!({
                                "from": FROM,
                                "to": "0x3000000000000000000000000000000000000004",
                                "value": format!("0x{:x}", t * 100 + i + 1),
                            });
                            if i % 2 == 0 {
                                tx["gas"] = json!("0x5208");
                            }
                            let r = c.request("eth_sendTransaction", json!([tx]));
                            let hash = r
                                .get("result")
                                .unwrap_or_else(|| panic!("send failed: {r}"));
                            hash.as_str().unwrap().to_owned()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let c = node.client();
    let mut nonces = BTreeSet::new();
    for h in &hashes {
        let receipt = c.call("eth_getTransactionReceipt", json!([h]));
        assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
        let tx = c.call("eth_getTransactionByHash", json!([h]));
        let n = u64::from_str_radix(tx["nonce"].as_str().unwrap().trim_start_matches("0x"), 16);
        nonces.insert(n.unwrap());
    }
    assert_eq!(nonces, (0..SENDS as u64).collect::<BTreeSet<_>>());
    assert_eq!(
        c.call("eth_getTransactionCount", json!([FROM, "latest"])),
        json!(format!("0x{SENDS:x}"))
    );
}
