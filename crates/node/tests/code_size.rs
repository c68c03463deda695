//! `tandem node --disable-code-size-limit` (`NodeConfig::unlimited_code_size`), as anvil's
//! flag: with it a 30,000-byte contract deploys and its code reads back, calls and estimates
//! see the lift too; a restart without it restores EIP-170 (the same deployment fails).

use crate::common;

use common::txs::DEV;
use common::{TestNode, hex_u64};
use serde_json::json;
use tandem_node::{Node, NodeConfig};

/// Init code returning 30,000 zero bytes as the runtime: PUSH3 30000 PUSH1 0 RETURN.
const BIG_INIT: &str = "0x620075306000f3";

fn deploy_big(node: &TestNode) -> serde_json::Value {
    let c = node.client();
    let hash = c.call(
        "eth_sendTransaction",
        json!([{"from": DEV, "data": BIG_INIT, "gas": "0x989680"}]),
    );
    c.call("eth_getTransactionReceipt", json!([hash]))
}

#[test]
fn the_code_size_limit_is_lifted_only_while_asked() {
    let dir = tempfile::tempdir().unwrap();
    let lifted = NodeConfig {
        unlimited_code_size: true,
        ..NodeConfig::default()
    };
    {
        let node = TestNode::start_with(dir.path(), &lifted);
        assert!(node.node.unlimited_code_size());
        // A call creating the same code sees the lift (it runs as the next block would).
        let c = node.client();
        let out = c.call(
            "eth_call",
            json!([{"from": DEV, "data": BIG_INIT, "gas": "0x989680"}, "latest"]),
        );
        assert_eq!(out.as_str().unwrap().len(), 2 + 2 * 30_000, "{out}");
        let receipt = deploy_big(&node);
        assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
        let at = receipt["contractAddress"].as_str().unwrap().to_string();
        let code = c.call("eth_getCode", json!([at, "latest"]));
        assert_eq!(code.as_str().unwrap().len(), 2 + 2 * 30_000);
        let gas = c.call("eth_estimateGas", json!([{"from": DEV, "data": BIG_INIT}]));
        assert!(hex_u64(&gas) > 6_000_000, "{gas}");
    }
    // Started again without the flag: EIP-170 holds again.
    drop(Node::open(dir.path(), &NodeConfig::default()).unwrap());
    let node = TestNode::start(dir.path());
    assert!(!node.node.unlimited_code_size());
    let receipt = deploy_big(&node);
    assert_eq!(receipt["status"], json!("0x0"), "{receipt}");
}
