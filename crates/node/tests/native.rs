//! `tandem_*` native methods over HTTP: actor reads, messages from f1 dev keys (value
//! transfers, an EVM contract invoked by FRC-0042 name), read-only calls, waiting, and a
//! rejected module install.

mod common;

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
