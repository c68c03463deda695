//! `evm_revert` undoes dev state edits (`anvil_`/`hardhat_setStorageAt`, `setBalance`,
//! `setCode`, `setNonce`) made since the snapshot, also when no block was mined in between,
//! as anvil and Hardhat do. The edits rewrite the latest block's state in place, so a
//! snapshot that only remembered the block number kept them: OpenZeppelin's AccessManager
//! tests set `_executionId` with `setStorageAt` in one test and expect it gone in the next
//! (`loadFixture` reverts to a snapshot between tests).

use crate::common;

use serde_json::{Value, json};

use common::TestNode;

const ADDR: &str = "0x1000000000000000000000000000000000000002";
const SLOT: &str = "0x3";
const VALUE: &str = "0x00000000000000000000000000000000000000000000000000000000000000bb";
const ZERO: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

fn edit(c: &common::Client) {
    assert_eq!(
        c.call("hardhat_setStorageAt", json!([ADDR, SLOT, VALUE])),
        json!(true)
    );
    assert_eq!(
        c.call("anvil_setBalance", json!([ADDR, "0x1234"])),
        json!(true)
    );
    assert_eq!(
        c.call("anvil_setCode", json!([ADDR, "0x6000"])),
        json!(true)
    );
    assert_eq!(c.call("anvil_setNonce", json!([ADDR, "0x7"])), json!(true));
}

fn read(c: &common::Client) -> Vec<Value> {
    vec![
        c.call("eth_getStorageAt", json!([ADDR, SLOT, "latest"])),
        c.call("eth_getBalance", json!([ADDR, "latest"])),
        c.call("eth_getCode", json!([ADDR, "latest"])),
        c.call("eth_getTransactionCount", json!([ADDR, "latest"])),
    ]
}

#[test]
fn evm_revert_undoes_state_edits_made_without_a_block() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let before = read(&c);
    assert_eq!(
        before,
        vec![json!(ZERO), json!("0x0"), json!("0x"), json!("0x0")]
    );
    let number = c.call("eth_blockNumber", json!([]));
    let head = c.call("eth_getBlockByNumber", json!(["latest", false]));

    let snap = c.call("evm_snapshot", json!([]));
    edit(&c);
    assert_eq!(
        read(&c),
        vec![json!(VALUE), json!("0x1234"), json!("0x6000"), json!("0x7")]
    );
    assert_eq!(c.call("evm_revert", json!([snap])), json!(true));
    assert_eq!(read(&c), before, "the edits survived evm_revert");
    assert_eq!(c.call("eth_blockNumber", json!([])), number);
    // The block itself is as it was: same hash, same header state root.
    assert_eq!(
        c.call("eth_getBlockByNumber", json!(["latest", false])),
        head
    );

    // Twice over, with a mined block after the edits this time: same answer.
    let snap = c.call("evm_snapshot", json!([]));
    edit(&c);
    c.call("evm_mine", json!([]));
    assert_eq!(c.call("evm_revert", json!([snap])), json!(true));
    assert_eq!(
        read(&c),
        before,
        "the edits survived evm_revert after a block"
    );

    // An edit made before the snapshot stays.
    assert_eq!(
        c.call("hardhat_setStorageAt", json!([ADDR, SLOT, VALUE])),
        json!(true)
    );
    let snap = c.call("evm_snapshot", json!([]));
    assert_eq!(
        c.call("anvil_setBalance", json!([ADDR, "0x99"])),
        json!(true)
    );
    assert_eq!(c.call("evm_revert", json!([snap])), json!(true));
    assert_eq!(
        c.call("eth_getStorageAt", json!([ADDR, SLOT, "latest"])),
        json!(VALUE)
    );
    assert_eq!(
        c.call("eth_getBalance", json!([ADDR, "latest"])),
        json!("0x0")
    );
    // The chain goes on: a block mines on the restored state.
    c.call("evm_mine", json!([]));
    assert_eq!(
        c.call("eth_getStorageAt", json!([ADDR, SLOT, "latest"])),
        json!(VALUE)
    );
}

/// Snapshots nobody reverts to are forgotten oldest first past `MAX_SNAPSHOTS`, so a loop
/// of `evm_snapshot` cannot pin memory for the node's lifetime; recent ones still revert.
#[test]
fn snapshots_are_bounded_oldest_first() {
    use tandem_node::dev_controls::MAX_SNAPSHOTS;
    let dir = tempfile::tempdir().unwrap();
    let node = common::TestNode::start(dir.path());
    let first = node.node.snapshot();
    let mut last = first;
    for _ in 0..MAX_SNAPSHOTS {
        last = node.node.snapshot();
    }
    assert!(
        !node.node.revert(first).unwrap(),
        "the oldest was forgotten"
    );
    assert!(node.node.revert(first + 1).unwrap(), "the next one is kept");
    assert!(
        !node.node.revert(last).unwrap(),
        "a revert drops the later ones"
    );
    let c = node.client();
    let again = c.call("evm_snapshot", json!([]));
    assert_eq!(c.call("evm_revert", json!([again])), json!(true));
}
