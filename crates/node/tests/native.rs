//! `tandem_*` native methods over HTTP: actor reads, messages from f1 dev keys (value
//! transfers, an EVM contract invoked by FRC-0042 name), read-only calls, waiting, and a
//! rejected module install.

use crate::common;

use common::TestNode;
use serde_json::{Value, json};
use tandem_chain::keys::KeyFile;

/// Runtime: with calldata, logs and returns 42 (see rpc.rs).
const INIT: &str = "6027600c60003960276000f33615601657602a600052600160206000a160206000f35b63deadbeef60e01b60005260046000fd";

#[test]
fn native_messages_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let keys = KeyFile::load(&dir.path().join("keys.json")).unwrap();
    let f1 = keys.keys[0].address.clone();
    let accounts = c.call("eth_accounts", json!([]));

    let init = c.call("tandem_getActor", json!(["f01"]));
    assert_eq!(init["kind"], json!("tandem/init"));
    let dev = c.call("tandem_getActor", json!([accounts[0]]));
    assert_eq!(dev["kind"], json!("tandem/ethaccount"));
    assert_eq!(
        c.call("tandem_methodNumber", json!(["InvokeEVM"])),
        json!(3844450837u64)
    );

    // A value transfer from an f1 dev key to an Ethereum address (method 0).
    let before = c.call("eth_getBalance", json!([accounts[5], "latest"]));
    let r = c.call(
        "tandem_sendMessage",
        json!([{"from": f1, "to": accounts[5], "method": 0, "value": "0x64"}]),
    );
    assert_eq!(r["exitCode"], json!(0), "{r}");
    let after = c.call("eth_getBalance", json!([accounts[5], "latest"]));
    assert_ne!(before, after);
    let waited = c.call("tandem_waitMessage", json!([r["cid"], 1000]));
    assert_eq!(waited["block"], r["block"]);

    // An EVM contract invoked from a native message by FRC-0042 name.
    let hash = c.call(
        "eth_sendTransaction",
        json!([{"from": accounts[0], "data": format!("0x{INIT}")}]),
    );
    let contract = c.call("eth_getTransactionReceipt", json!([hash]))["contractAddress"].clone();
    let r = c.call(
        "tandem_sendMessage",
        json!([{"from": f1, "to": contract, "method": "InvokeEVM", "params": "0x4101"}]),
    );
    assert_eq!(r["exitCode"], json!(0), "{r}");
    assert_eq!(r["events"], json!(1));
    let ret = r["return"].as_str().unwrap();
    assert!(ret.ends_with(&format!("{:064x}", 42)), "{ret}");
    let call = c.call(
        "tandem_call",
        json!([{"from": f1, "to": contract, "method": "InvokeEVM", "params": "0x4101"}]),
    );
    assert_eq!(call["exitCode"], json!(0), "{call}");
    let state = c.call("tandem_getActorState", json!([contract]));
    assert!(state["data"].as_str().unwrap().len() > 2);

    // Installing a module that is not WASM: applied, with an error exit code.
    let r = c.call("tandem_installCode", json!([f1, "0x00010203"]));
    assert_ne!(r["exitCode"], json!(0), "{r}");
    // Unknown senders are refused.
    let refused = c.request(
        "tandem_sendMessage",
        json!([{"from": "0x0000000000000000000000000000000000000001", "to": "f01", "method": 0}]),
    );
    assert_eq!(refused["error"]["code"], json!(-32000));
    assert_eq!(
        c.call("tandem_waitMessage", json!(["bafy-unknown", 10])),
        Value::Null
    );
}

/// Issue 11's attack that stopped the node: an actor makes a block linking a CID that exists
/// nowhere, to make it its state. Now refused where the block is made; the node keeps mining.
#[test]
fn a_hostile_native_actor_cannot_stop_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let keys = KeyFile::load(&dir.path().join("keys.json")).unwrap();
    let f1 = keys.keys[0].address.clone();
    let accounts = c.call("eth_accounts", json!([]));

    // DAG-CBOR [link to bafy…"exists nowhere"], built by hand: array(1), tag 42, bytes(37),
    // the 0 prefix, CIDv1 DAG-CBOR blake2b-256.
    let mut block = vec![
        0x81, 0xd8, 0x2a, 0x58, 39, 0x00, 0x01, 0x71, 0xa0, 0xe4, 0x02, 0x20,
    ];
    block.extend([0x5a; 32]);
    let data: String = block.iter().map(|b| format!("\\{b:02x}")).collect();
    let wasm = wat::parse_str(format!(
        r#"(module
  (import "tandem_v1" "ipld_block_create" (func $create (param i64 i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_link" (func $link (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "self_set_root" (func $set_root (param i32 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{data}")
  (func (export "invoke") (param $p i32) (result i32)
    (local $e i32)
    ;; The constructor (method 1) does nothing.
    (drop (call $ctx (i32.const 1000)))
    (if (i64.eq (i64.load (i32.const 1024)) (i64.const 1)) (then (return (i32.const 0))))
    (local.set $e (call $create (i64.const 0x71) (i32.const 0) (i32.const {len}) (i32.const 200)))
    (if (local.get $e) (then (drop (call $abort (i32.add (i32.const 100) (local.get $e)) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (drop (call $link (i32.load (i32.const 200)) (i32.const 300) (i32.const 100) (i32.const 400)))
    (drop (call $set_root (i32.const 300) (i32.load (i32.const 400))))
    (i32.const 0)))"#,
        len = block.len()
    ))
    .unwrap();
    let installed = c.call(
        "tandem_installCode",
        json!([f1, format!("0x{}", hex_string(&wasm))]),
    );
    assert_eq!(installed["exitCode"], json!(0), "{installed}");
    let created = c.call(
        "tandem_createActor",
        json!([f1, installed["codeCid"].clone()]),
    );
    assert_eq!(created["exitCode"], json!(0), "{created}");
    let attacker = created["idAddress"].clone();
    let number = |c: &common::Client| c.call("eth_blockNumber", json!([]));
    for _ in 0..2 {
        let before = number(&c);
        let r = c.call(
            "tandem_sendMessage",
            json!([{"from": f1, "to": attacker, "method": 2}]),
        );
        assert_eq!(r["exitCode"], json!(106), "NotFound at block creation: {r}");
        assert_ne!(number(&c), before, "the failed message was mined");
        // The chain keeps mining Ethereum transactions and native messages.
        let hash = c.call(
            "eth_sendTransaction",
            json!([{"from": accounts[0], "to": accounts[1], "value": "0x1"}]),
        );
        let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
        assert_eq!(receipt["status"], json!("0x1"));
    }
    // Nor can anyone run its constructor again.
    let r = c.call(
        "tandem_sendMessage",
        json!([{"from": f1, "to": attacker, "method": 1}]),
    );
    assert_eq!(r["exitCode"], json!(18), "{r}");
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
