//! The read path and batch durability (issue 16, speed):
//! - reads at the head are served from shared caches keyed by the state root, so they must
//!   follow every change of the head's state (a mined block, or an in-place dev edit) and
//!   never answer for an older state; reads at older blocks keep their own answers;
//! - a JSON-RPC batch of transactions syncs once, before it is answered: after SIGKILL right
//!   after the answer, every transaction of the batch is still there.

use crate::common;

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, TxKind, U256};
use common::devnode::Devnode;
use common::txs::{sign_1559, tx_1559};
use common::{TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::dev_accounts;

fn transfer(nonce: u64, to: Address, value: u64) -> String {
    let tx = TxEip1559 {
        gas_limit: 21_000,
        max_fee_per_gas: 20_000_000_000,
        value: U256::from(value),
        ..tx_1559(nonce, TxKind::Call(to), vec![])
    };
    sign_1559(&dev_accounts(1).unwrap()[0], tx)
}

#[test]
fn head_reads_follow_the_head_state() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let who = Address::repeat_byte(0x77);
    let slot = format!("0x{:064x}", 5);
    let get_balance = |block: Value| c.call("eth_getBalance", json!([who, block]));
    assert_eq!(get_balance(json!("latest")), json!("0x0"));
    // Twice: the second is a cache hit and must agree.
    assert_eq!(get_balance(json!("latest")), json!("0x0"));
    let before = hex_u64(&c.call("eth_blockNumber", json!([])));

    // A mined block moves the head.
    c.call("eth_sendRawTransaction", json!([transfer(0, who, 1234)]));
    assert_eq!(get_balance(json!("latest")), json!("0x4d2"));
    assert_eq!(get_balance(json!(format!("0x{before:x}"))), json!("0x0"));

    // In-place dev edits change the head's state without a block.
    c.call("anvil_setBalance", json!([who, "0x99"]));
    assert_eq!(get_balance(json!("latest")), json!("0x99"));
    assert_eq!(
        c.call("eth_getTransactionCount", json!([who, "latest"])),
        json!("0x0")
    );
    c.call("anvil_setNonce", json!([who, "0x7"]));
    assert_eq!(
        c.call("eth_getTransactionCount", json!([who, "latest"])),
        json!("0x7")
    );
    // Runtime code: PUSH1 5 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN (returns slot 5).
    let code = "0x60055460005260206000f3";
    assert_eq!(c.call("eth_getCode", json!([who, "latest"])), json!("0x"));
    c.call("anvil_setCode", json!([who, code]));
    assert_eq!(c.call("eth_getCode", json!([who, "latest"])), json!(code));
    let zero = format!("0x{:064x}", 0);
    assert_eq!(
        c.call("eth_getStorageAt", json!([who, slot, "latest"])),
        json!(zero)
    );
    // Calls at the head are answered from the snapshot once seen; a new state is a new one.
    for _ in 0..2 {
        assert_eq!(
            c.call("eth_call", json!([{"to": who}, "latest"])),
            json!(zero)
        );
    }
    let value = format!("0x{:064x}", 0xabcdu64);
    c.call("anvil_setStorageAt", json!([who, slot, value]));
    assert_eq!(
        c.call("eth_getStorageAt", json!([who, slot, "latest"])),
        json!(value)
    );
    assert_eq!(
        c.call("eth_call", json!([{"to": who}, "latest"])),
        json!(value)
    );
    // The older block still answers for its own state.
    assert_eq!(
        c.call("eth_getCode", json!([who, format!("0x{before:x}")])),
        json!("0x")
    );
    assert_eq!(get_balance(json!(format!("0x{before:x}"))), json!("0x0"));
}

#[test]
fn a_batch_is_durable_before_it_is_answered() {
    const N: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let node = Devnode::start(dir.path());
    let c = node.client();
    let to = Address::repeat_byte(0x55);
    let batch: Vec<Value> = (0..N)
        .map(|n| {
            json!({"jsonrpc": "2.0", "id": n, "method": "eth_sendRawTransaction",
                   "params": [transfer(n, to, 1000 + n)]})
        })
        .collect();
    let answer = c.post(&Value::Array(batch).to_string());
    let answers = answer.as_array().expect("a batch answer");
    assert_eq!(answers.len(), N as usize);
    let hashes: Vec<Value> = answers
        .iter()
        .map(|a| a.get("result").cloned().unwrap_or_else(|| panic!("{a}")))
        .collect();

    // Killed the moment the answer arrived: what was acknowledged must survive.
    node.kill();
    let node = Devnode::start(dir.path());
    let c = node.client();
    for h in &hashes {
        let r = c.call("eth_getTransactionReceipt", json!([h]));
        assert_eq!(r["status"], json!("0x1"), "{h} lost after SIGKILL");
    }
    let total: u64 = (0..N).map(|n| 1000 + n).sum();
    assert_eq!(
        c.call("eth_getBalance", json!([to, "latest"])),
        json!(format!("0x{total:x}"))
    );
}
