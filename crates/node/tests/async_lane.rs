//! The system lane and async messages on a running node (docs/async.md): cron entries run
//! in every block however full of user messages it is, and an async message sent through
//! JSON-RPC is delivered and answered in follow-up blocks, with its status and logs served.

use crate::actors;
use crate::common;

use common::{TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_chain::keys::KeyFile;

fn cbor<T: serde::Serialize>(v: &T) -> String {
    format!("0x{}", hex::encode(fvm_ipld_encoding::to_vec(v).unwrap()))
}

struct Setup {
    node: TestNode,
    f1: String,
    /// The data dir, when this setup owns it.
    _dir: Option<tempfile::TempDir>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let keys = KeyFile::load(&dir.path().join("keys.json")).unwrap();
    let f1 = keys.keys[0].address.clone();
    Setup {
        node,
        f1,
        _dir: Some(dir),
    }
}

impl Setup {
    fn call(&self, method: &str, params: Value) -> Value {
        self.node.client().call(method, params)
    }

    fn pinger(&self) -> String {
        let wasm = actors::wasm("async-pinger");
        let r = self.call(
            "tandem_installCode",
            json!([self.f1, format!("0x{}", hex::encode(&wasm))]),
        );
        assert_eq!(r["exitCode"], json!(0), "{r}");
        let r = self.call(
            "tandem_createActor",
            json!([self.f1, r["codeCid"], cbor(&())]),
        );
        assert_eq!(r["exitCode"], json!(0), "{r}");
        r["idAddress"].as_str().unwrap().to_string()
    }

    fn send(&self, to: &str, method: &str, params: String, gas: u64) -> Value {
        self.call(
            "tandem_sendMessage",
            json!([{"from": self.f1, "to": to, "method": method, "params": params,
                    "gasLimit": format!("0x{gas:x}")}]),
        )
    }

    fn query(&self, to: &str, method: &str) -> Vec<u8> {
        let r = self.call(
            "tandem_call",
            json!([{"from": self.f1, "to": to, "method": method}]),
        );
        assert_eq!(r["exitCode"], json!(0), "{r}");
        hex::decode(r["return"].as_str().unwrap().trim_start_matches("0x")).unwrap()
    }

    fn ticks(&self, who: &str) -> u64 {
        fvm_ipld_encoding::from_slice(&self.query(who, "Ticks")).unwrap()
    }
}

/// `SendAsync` params for an `Echo(data)` to pinger `to`, with a reply.
type SendParams = (
    fvm_ipld_encoding::RawBytes,
    u64,
    u64,
    fvm_ipld_encoding::RawBytes,
    fvm_shared::econ::TokenAmount,
    u64,
    u64,
);

fn echo_send(to: &str, data: &[u8]) -> SendParams {
    let to: fvm_shared::address::Address = to.parse().unwrap();
    let echo = tandem_vm::frc42::method_number("Echo").unwrap();
    let params = fvm_ipld_encoding::to_vec(&fvm_ipld_encoding::RawBytes::new(data.to_vec()));
    (
        fvm_ipld_encoding::RawBytes::new(to.to_bytes()),
        echo,
        0x71,
        fvm_ipld_encoding::RawBytes::new(params.unwrap()),
        fvm_shared::econ::TokenAmount::from_atto(0u8),
        1_000_000,
        500_000,
    )
}

#[test]
fn cron_runs_in_every_block_however_full_of_user_messages() {
    let s = setup();
    let p = s.pinger();
    // No cron entry for an ID where no actor lives (found by hand with cast).
    let refused = s
        .node
        .client()
        .request("tandem_registerCron", json!(["f0999999", "Tick"]));
    assert_eq!(refused["error"]["code"], json!(-32000), "{refused}");
    assert_eq!(
        s.call("tandem_registerCron", json!([p, "Tick"])),
        json!(true)
    );
    assert_eq!(
        s.call("tandem_cronEntries", json!([]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    s.call("evm_setAutomine", json!([false]));
    let first = s.node.node.latest_number() + 1;
    // Each message burns the whole block gas limit: one per block, and the lane still runs.
    let burns: Vec<Value> = (0..3)
        .map(|_| s.send(&p, "Burn", cbor(&()), 30_000_000))
        .collect();
    s.call("evm_mine", json!([]));
    let last = s.node.node.latest_number();
    assert_eq!(last - first + 1, 3, "one full message per block");
    for n in first..=last {
        let block = s.call("eth_getBlockByNumber", json!([format!("0x{n:x}"), false]));
        assert_eq!(hex_u64(&block["gasLimit"]), 30_000_000);
    }
    for b in &burns {
        let cid = b["cid"].clone();
        let r = s.call("tandem_waitMessage", json!([cid, 1000]));
        assert_eq!(r["exitCode"], json!(7), "out of gas: {r}");
    }
    s.call("evm_setAutomine", json!([true]));
    // Every block since the registration ticked once (reads run on forks: no lane).
    assert_eq!(s.ticks(&p), last - first + 1);
}

#[test]
fn an_async_message_is_delivered_and_answered_on_the_node() {
    let s = setup();
    let (a, b) = (s.pinger(), s.pinger());
    let r = s.send(
        &a,
        "SendAsync",
        cbor(&echo_send(&b, b"over rpc")),
        30_000_000,
    );
    assert_eq!(r["exitCode"], json!(0), "{r}");
    let sent_in = hex_u64(&r["block"]);
    // Automine mined follow-up blocks: delivered and answered already.
    let status = s.call("tandem_asyncStatus", json!([0]));
    assert_eq!(status["status"], json!("delivered"), "{status}");
    assert_eq!(status["exitCode"], json!(0));
    assert_eq!(status["replyExitCode"], json!(0));
    assert!(
        hex_u64(&status["block"]) > sent_in,
        "never in the sender's block"
    );
    assert_eq!(s.call("tandem_asyncQueue", json!([]))["length"], json!(0));
    let delivery = s.call("tandem_waitMessage", json!([status["delivery"], 1000]));
    assert_eq!(delivery["events"], json!(1));
    // The delivery's event is an Ethereum log, served by eth_getLogs.
    let topic = format!(
        "0x{}",
        hex::encode(alloy_primitives::keccak256(b"Echo(bytes)"))
    );
    let logs = s.call(
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "toBlock": "latest", "topics": [topic]}]),
    );
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(hex_u64(&logs[0]["blockNumber"]), hex_u64(&status["block"]));
    // The reply reached the sender.
    let replies: Vec<(u64, u32, fvm_ipld_encoding::RawBytes)> =
        fvm_ipld_encoding::from_slice(&s.query(&a, "Replies")).unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!((replies[0].0, replies[0].1), (0, 0));
    assert_eq!(s.call("tandem_asyncStatus", json!([5])), Value::Null);
}

#[test]
fn a_queue_survives_a_restart_and_is_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    drop(TestNode::start(dir.path()));
    let keys = KeyFile::load(&dir.path().join("keys.json")).unwrap();
    let f1 = keys.keys[0].address.clone();
    let (a, b) = {
        let s = Setup {
            node: TestNode::start(dir.path()),
            f1: f1.clone(),
            _dir: None,
        };
        let (a, b) = (s.pinger(), s.pinger());
        s.call("evm_setAutomine", json!([false]));
        let r = s.send(&a, "SendAsync", cbor(&echo_send(&b, b"kept")), 30_000_000);
        assert!(r["cid"].is_string(), "{r}");
        s.call("evm_mine", json!([]));
        let queue = s.call("tandem_asyncQueue", json!([]));
        assert_eq!(queue["length"], json!(1), "{queue}");
        (a, b)
    };
    // A new node over the same data dir: the queue is in the committed state.
    let s = Setup {
        node: TestNode::start(dir.path()),
        f1,
        _dir: None,
    };
    assert_eq!(
        s.call("tandem_asyncStatus", json!([0]))["status"],
        json!("pending")
    );
    s.call("evm_mine", json!([]));
    s.call("evm_mine", json!([]));
    let status = s.call("tandem_asyncStatus", json!([0]));
    assert_eq!(status["status"], json!("delivered"), "{status}");
    let received: Vec<(
        u64,
        fvm_shared::econ::TokenAmount,
        fvm_ipld_encoding::RawBytes,
    )> = fvm_ipld_encoding::from_slice(&s.query(&b, "Received")).unwrap();
    assert_eq!(received.len(), 1, "delivered once");
    let replies: Vec<(u64, u32, fvm_ipld_encoding::RawBytes)> =
        fvm_ipld_encoding::from_slice(&s.query(&a, "Replies")).unwrap();
    assert_eq!(replies.len(), 1);
}
