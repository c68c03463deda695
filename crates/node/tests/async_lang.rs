//! A Tandem-language contract and a Rust actor exchange async messages on the node
//! (docs/async.md): `examples/lang/async-ping` (EVM build, deployed with an Ethereum
//! transaction) and `examples/actors/async-pinger` (a native actor), each sending to the other
//! through the queue and receiving the other's reply.

use crate::actors;
use crate::common;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, sol};
use common::{TestNode, hex_u64};
use fvm_ipld_encoding::RawBytes;
use serde_json::{Value, json};
use tandem_chain::keys::KeyFile;

sol! {
    function sendPing(address target, uint64 n) external returns (uint64);
    function last() external returns (uint64, bool, uint64, uint64);
}

fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

#[test]
fn a_tandem_contract_and_a_rust_actor_exchange_async_messages() {
    let pkg =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lang/async-ping");
    let (_, sources) = tandem_lang_driver::read_package(&pkg).unwrap();
    let built = tandem_lang_driver::compile_sources(&sources).unwrap();
    let ping = built.iter().find(|b| b.name == "AsyncPing").unwrap();

    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let accounts = c.call("eth_accounts", json!([]));
    let from = accounts[0].clone();
    let f1 = KeyFile::load(&dir.path().join("keys.json")).unwrap().keys[0]
        .address
        .clone();

    // The Tandem contract, deployed by an Ethereum transaction.
    let hash = c.call(
        "eth_sendTransaction",
        json!([{"from": from, "data": hex0x(&ping.init_code)}]),
    );
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let contract: Address = receipt["contractAddress"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // The Rust actor, installed and created by native messages.
    let wasm = actors::wasm("async-pinger");
    let r = c.call("tandem_installCode", json!([f1, hex0x(&wasm)]));
    let r = c.call(
        "tandem_createActor",
        json!([
            f1,
            r["codeCid"],
            hex0x(&fvm_ipld_encoding::to_vec(&()).unwrap())
        ]),
    );
    assert_eq!(r["exitCode"], json!(0), "{r}");
    let pinger = r["idAddress"].as_str().unwrap().to_string();
    let pinger_eth: Address = r["ethAddress"].as_str().unwrap().parse().unwrap();

    let last = |c: &common::Client| {
        let out = c.call(
            "eth_call",
            json!([{"to": contract, "data": hex0x(&lastCall {}.abi_encode())}, "latest"]),
        );
        let r = lastCall::abi_decode_returns(&unhex(&out)).unwrap();
        (r._0, r._1, r._2, r._3)
    };

    // Tandem → Rust: `SendPing { target: pinger, n: 41 }`; the pinger answers n + 1.
    let data = sendPingCall {
        target: pinger_eth,
        n: 41,
    }
    .abi_encode();
    let hash = c.call(
        "eth_sendTransaction",
        json!([{"from": from, "to": contract, "data": hex0x(&data), "gas": "0x4c4b40"}]),
    );
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    // Automine delivered it and the reply in follow-up blocks.
    assert_eq!(last(&c), (0, true, 42, 1));
    let status = c.call("tandem_asyncStatus", json!([0]));
    assert_eq!(status["replyExitCode"], json!(0), "{status}");
    assert!(hex_u64(&status["block"]) > hex_u64(&receipt["blockNumber"]));
    // The reply handler's event is an Ethereum log of the reply's block.
    let reply_logs = c.call(
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "toBlock": "latest", "address": contract}]),
    );
    assert_eq!(reply_logs.as_array().unwrap().len(), 1, "{reply_logs}");

    // Rust → Tandem: the pinger queues `sendPing(pinger, 99)` for the contract, which in turn
    // queues `Ping { n: 99 }` for the pinger: both replies come back.
    let contract_f410 = tandem_vm::eth::EthAddress(contract.into_array()).to_filecoin();
    let inner = sendPingCall {
        target: pinger_eth,
        n: 99,
    }
    .abi_encode();
    let params = (
        RawBytes::new(contract_f410.to_bytes()),
        tandem_vm::frc42::INVOKE_EVM,
        0x55u64,
        RawBytes::new(inner),
        fvm_shared::econ::TokenAmount::from_atto(0u8),
        // The contract's own send reserves 2M of it (its gas and its reply gas).
        3_500_000u64,
        500_000u64,
    );
    let r = c.call(
        "tandem_sendMessage",
        json!([{"from": f1, "to": pinger, "method": "SendAsync",
                "params": hex0x(&fvm_ipld_encoding::to_vec(&params).unwrap())}]),
    );
    assert_eq!(r["exitCode"], json!(0), "{r}");
    assert_eq!(
        last(&c),
        (2, true, 100, 2),
        "the contract's own send is message 2"
    );
    let replies = c.call(
        "tandem_call",
        json!([{"from": f1, "to": pinger, "method": "Replies"}]),
    );
    let replies: Vec<(u64, u32, RawBytes)> =
        fvm_ipld_encoding::from_slice(&unhex(&replies["return"])).unwrap();
    assert_eq!(replies.len(), 1);
    let (id, exit, ret) = &replies[0];
    assert_eq!((*id, *exit), (1, 0));
    // The contract's ABI return: the id of the message it queued.
    assert_eq!(U256::from_be_slice(ret), U256::from(2));
    for id in 0..3 {
        let s = c.call("tandem_asyncStatus", json!([id]));
        assert_eq!(s["status"], json!("delivered"), "{id}: {s}");
    }
}
