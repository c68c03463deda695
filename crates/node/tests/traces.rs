//! Traces across runtimes (issue 16): a transaction EVM → native actor → EVM that reverts at
//! the bottom, in geth's callTracer and parity's shapes; the struct logger on a small contract
//! against known opcodes and gas; prestate in diff mode; 4byte; `debug_traceCall`; and
//! `tandem_traceMessage` for a native message.

use crate::actors;
use crate::common;

use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};

const DEV: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

/// Init code that deploys `runtime`.
fn deploy_code(runtime: &[u8]) -> String {
    let n = runtime.len() as u8;
    let mut code = vec![
        0x60, n, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(runtime);
    format!("0x{}", hex::encode(code))
}

/// Forwards `calldata[20..]` to the address in `calldata[..20]`; reverts with the callee's
/// return data when the call fails, returns it otherwise.
fn forwarder() -> Vec<u8> {
    hex::decode(
        "3660149003806014600037600060008260006000600035606\
         01c5af13d600060003e6029573d6000fd5b3d6000f3"
            .replace(' ', ""),
    )
    .unwrap()
}

/// Always reverts with `Error("bottom")`.
fn reverter() -> Vec<u8> {
    let mut data = hex::decode("08c379a0").unwrap();
    data.extend_from_slice(&[0u8; 31]);
    data.push(0x20);
    data.extend_from_slice(&[0u8; 31]);
    data.push(6);
    let mut word = b"bottom".to_vec();
    word.resize(32, 0);
    data.extend_from_slice(&word);
    // PUSH1 100 PUSH1 12 PUSH1 0 CODECOPY PUSH1 100 PUSH1 0 REVERT, then the data.
    let mut code = hex::decode("6064600c60003960646000fd").unwrap();
    code.extend_from_slice(&data);
    code
}

/// SSTORE 42 at slot 1, SLOAD it, MSTORE it, LOG0 the word, STOP.
fn logger() -> Vec<u8> {
    hex::decode("602a600155600154600052602060 00a000".replace(' ', "")).unwrap()
}

fn send(c: &Client, to: Option<&str>, data: &str) -> (String, Value) {
    let mut tx = json!({"from": DEV, "data": data, "gas": "0x186a0"});
    if let Some(to) = to {
        tx["to"] = json!(to);
        tx["gas"] = json!("0xf4240");
    }
    let hash = c.call("eth_sendTransaction", json!([tx]));
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    (hash.as_str().unwrap().to_string(), receipt)
}

fn deploy(c: &Client, runtime: &[u8]) -> String {
    let (_, r) = send(c, None, &deploy_code(runtime));
    assert_eq!(r["status"], "0x1", "deploy failed: {r}");
    r["contractAddress"].as_str().unwrap().to_string()
}

/// Drops `gas` and `gasUsed` everywhere (checked separately), recursively.
fn without_gas(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "gas" && *k != "gasUsed")
                .map(|(k, v)| (k.clone(), without_gas(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_gas).collect()),
        other => other.clone(),
    }
}

/// Each frame used no more gas than it had, and no more than its parent.
fn check_gas(frame: &Value) {
    let gas = hex_u64(&frame["gas"]);
    let used = hex_u64(&frame["gasUsed"]);
    assert!(used <= gas, "frame used {used} of {gas}: {frame}");
    for c in frame["calls"].as_array().into_iter().flatten() {
        assert!(
            hex_u64(&c["gasUsed"]) <= used,
            "child used more than its parent"
        );
        check_gas(c);
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    node: TestNode,
    forwarder: String,
    reverter: String,
    logger: String,
    /// The evm-caller actor: ID address and masked Ethereum address.
    actor_id: String,
    actor_eth: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let forwarder = deploy(&c, &forwarder());
    let reverter = deploy(&c, &reverter());
    let logger = deploy(&c, &logger());
    let wasm = actors::wasm("evm-caller");
    let installed = c.call(
        "tandem_installCode",
        json!([DEV, format!("0x{}", hex::encode(wasm))]),
    );
    assert_eq!(installed["exitCode"], 0, "{installed}");
    let created = c.call("tandem_createActor", json!([DEV, installed["codeCid"]]));
    assert_eq!(created["exitCode"], 0, "{created}");
    Setup {
        actor_id: created["idAddress"].as_str().unwrap().to_string(),
        actor_eth: created["ethAddress"].as_str().unwrap().to_lowercase(),
        _dir: dir,
        node,
        forwarder,
        reverter,
        logger,
    }
}

/// Calldata for the forwarder: call the actor with 0xdeadbeef ‖ reverter ‖ 0x01020304,
/// which makes the actor call the reverter.
fn cross_calldata(s: &Setup) -> String {
    format!(
        "0x{}deadbeef{}01020304",
        &s.actor_eth[2..],
        &s.reverter[2..].to_lowercase()
    )
}

#[test]
fn evm_native_evm_revert_in_every_shape() {
    let s = setup();
    let c = s.node.client();
    let (hash, receipt) = send(&c, Some(&s.forwarder), &cross_calldata(&s));
    assert_eq!(
        receipt["status"], "0x0",
        "the bottom reverts, and so does the top"
    );

    let tree = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"withLog": true}}]),
    );
    check_gas(&tree);
    assert_eq!(tree["gas"], "0xf4240");
    assert_eq!(tree["gasUsed"], receipt["gasUsed"]);
    let invoke_evm = 3_844_450_837u64;
    let native = &tree["calls"][0];
    let actor_num: u64 = s
        .actor_id
        .trim_start_matches(['f', 't', '0'])
        .parse()
        .unwrap();
    let bottom_input = "0x01020304";
    let expected = json!({
        "type": "CALL",
        "from": DEV,
        "to": s.forwarder.to_lowercase(),
        "value": "0x0",
        "input": cross_calldata(&s),
        "output": native["output"],
        "error": "execution reverted",
        "calls": [{
            "type": "CALL",
            "from": s.forwarder.to_lowercase(),
            "to": s.actor_eth,
            "value": "0x0",
            "input": native["input"],
            "output": native["output"],
            "error": "execution reverted",
            "tandem": {
                "actorId": format!("f0{actor_num}"),
                "method": invoke_evm,
                "methodName": "InvokeEVM",
                "runtime": "wasm",
                "exitCode": 33,
                "paramsDecoded": native["tandem"]["paramsDecoded"],
                "returnDecoded": native["tandem"]["returnDecoded"],
            },
            "calls": [{
                "type": "CALL",
                "from": s.actor_eth,
                "to": s.reverter.to_lowercase(),
                "value": "0x0",
                "input": bottom_input,
                "output": format!("0x{}", hex::encode(&reverter()[12..])),
                "error": "execution reverted",
                "revertReason": "bottom",
            }],
        }],
    });
    assert_eq!(
        without_gas(&tree),
        without_gas(&prune_null_outputs(expected)),
        "{tree:#}"
    );
    // The native frame's params are the raw calldata the EVM sent (IPLD_RAW), as hex.
    let sent = format!("0xdeadbeef{}01020304", &s.reverter[2..].to_lowercase());
    assert_eq!(native["input"], sent);
    assert_eq!(native["tandem"]["paramsDecoded"], sent);
    // The actor aborted with exit 33 and its message (a CBOR string), which the forwarder
    // passed on as its own revert data.
    assert_eq!(native["tandem"]["returnDecoded"], "callback failed");
    let message = format!("0x6f{}", hex::encode("callback failed"));
    assert_eq!(native["output"], message);
    assert_eq!(tree["output"], message);

    // onlyTopCall drops the children.
    let top = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true}}]),
    );
    assert!(top.get("calls").is_none(), "{top}");

    // Parity's flat listing: three frames, pre-order, with trace addresses.
    let flat = c.call("trace_transaction", json!([hash]));
    let flat = flat.as_array().unwrap();
    assert_eq!(flat.len(), 3, "{flat:#?}");
    let addrs: Vec<&Value> = flat.iter().map(|t| &t["traceAddress"]).collect();
    assert_eq!(addrs, [&json!([]), &json!([0]), &json!([0, 0])]);
    let errors: Vec<&Value> = flat.iter().map(|t| &t["error"]).collect();
    assert_eq!(errors, [&json!("Reverted"); 3]);
    assert_eq!(flat[1]["action"]["to"], json!(s.actor_eth));
    assert_eq!(flat[1]["tandem"]["runtime"], "wasm");
    assert_eq!(flat[2]["action"]["callType"], "call");
    for t in flat {
        assert_eq!(t["transactionHash"], json!(hash));
        assert_eq!(t["blockNumber"], json!(hex_u64(&receipt["blockNumber"])));
    }
    let replayed = c.call("trace_replayTransaction", json!([hash, ["trace"]]));
    assert_eq!(replayed["trace"].as_array().unwrap().len(), 3);
    let refused = c.request("trace_replayTransaction", json!([hash, ["vmTrace"]]));
    assert_eq!(refused["error"]["code"], -32602, "{refused}");

    // The block's traces hold the same tree.
    let block = c.call(
        "debug_traceBlockByNumber",
        json!([receipt["blockNumber"], {"tracer": "callTracer"}]),
    );
    assert_eq!(block[0]["txHash"], json!(hash));
    assert_eq!(
        without_gas(&block[0]["result"]["calls"]),
        without_gas(&{
            let mut t = tree.clone();
            strip_logs(&mut t);
            t["calls"].clone()
        })
    );
    let by_hash = c.call(
        "debug_traceBlockByHash",
        json!([receipt["blockHash"], {"tracer": "callTracer"}]),
    );
    assert_eq!(by_hash, block);
    let parity_block = c.call("trace_block", json!([receipt["blockNumber"]]));
    assert_eq!(parity_block.as_array().unwrap().len(), 3);

    // Four-byte selectors of the EVM frames (the forwarder's and the reverter's).
    let fourbyte = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "4byteTracer"}]),
    );
    let first = &s.actor_eth[2..10];
    let n = (cross_calldata(&s).len() - 2) / 2 - 4;
    assert_eq!(
        fourbyte,
        json!({format!("0x{first}-{n}"): 1, "0x01020304-0": 1}),
        "{fourbyte}"
    );
}

/// Removes `output: null` (the key is absent when a frame returned nothing).
fn prune_null_outputs(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.get("output") == Some(&Value::Null) {
                    m.remove("output");
                }
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

fn strip_logs(v: &mut Value) {
    if let Value::Object(m) = v {
        m.remove("logs");
        for c in m.values_mut() {
            strip_logs(c);
        }
    } else if let Value::Array(a) = v {
        a.iter_mut().for_each(strip_logs);
    }
}

#[test]
fn struct_logger_prestate_and_logs_on_a_small_contract() {
    let s = setup();
    let c = s.node.client();
    let (hash, receipt) = send(&c, Some(&s.logger), "0x");
    assert_eq!(receipt["status"], "0x1");

    let trace = c.call(
        "debug_traceTransaction",
        json!([hash, {"enableMemory": true}]),
    );
    assert_eq!(trace["failed"], false);
    assert_eq!(
        json!(trace["gas"].as_u64().unwrap()),
        json!(hex_u64(&receipt["gasUsed"]))
    );
    let logs = trace["structLogs"].as_array().unwrap();
    let ops: Vec<&str> = logs.iter().map(|l| l["op"].as_str().unwrap()).collect();
    assert_eq!(
        ops,
        [
            "PUSH1", "PUSH1", "SSTORE", "PUSH1", "SLOAD", "PUSH1", "MSTORE", "PUSH1", "PUSH1",
            "LOG0", "STOP"
        ]
    );
    let costs: Vec<u64> = logs
        .iter()
        .map(|l| l["gasCost"].as_u64().unwrap())
        .collect();
    // SSTORE of a fresh slot, cold: 20,000 + 2,100; a warm SLOAD: 100; MSTORE with one
    // word of memory: 3 + 3; LOG0 of 32 bytes: 375 + 8 × 32.
    assert_eq!(costs, [3, 3, 22_100, 3, 100, 3, 6, 3, 3, 631, 0]);
    // The first step starts with the limit less the intrinsic gas; each step pays its cost.
    assert_eq!(logs[0]["gas"], 1_000_000 - 21_000);
    for w in logs.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert_eq!(
            a["gas"].as_u64().unwrap() - a["gasCost"].as_u64().unwrap(),
            b["gas"]
        );
        assert_eq!(a["depth"], 1);
    }
    assert_eq!(logs[2]["stack"], json!(["0x2a", "0x1"]));
    let slot1 = format!("{:064x}", 1);
    let v42 = format!("{:064x}", 42);
    assert_eq!(logs[2]["storage"], json!({slot1.clone(): v42.clone()}));
    assert_eq!(logs[4]["storage"], json!({slot1.clone(): v42.clone()}));
    assert!(logs[3].get("storage").is_none());
    assert_eq!(logs[9]["memory"], json!([v42.clone()]));
    let bare = c.call(
        "debug_traceTransaction",
        json!([hash, {"disableStack": true, "disableStorage": true}]),
    );
    let first = &bare["structLogs"][2];
    assert!(
        first.get("stack").is_none() && first.get("storage").is_none(),
        "{first}"
    );
    assert!(first.get("memory").is_none());

    // callTracer with logs: the LOG0 at position 0.
    let tree = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"withLog": true}}]),
    );
    assert_eq!(
        tree["logs"],
        json!([{"address": s.logger.to_lowercase(), "topics": [], "data": format!("0x{v42}"), "position": "0x0"}])
    );

    // prestate: the contract's slot before, then the diff.
    let pre = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "prestateTracer"}]),
    );
    let logger = s.logger.to_lowercase();
    let zero = format!("0x{:064x}", 0);
    let slot_key = format!("0x{slot1}");
    assert_eq!(
        pre[&logger]["storage"],
        json!({slot_key.clone(): zero}),
        "{pre:#}"
    );
    assert_eq!(pre[&logger]["nonce"], 1);
    assert!(pre[DEV]["balance"].is_string());
    let diff = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}]),
    );
    assert_eq!(
        diff["post"][&logger],
        json!({"storage": {slot_key.clone(): format!("0x{v42}")}}),
        "{diff:#}"
    );
    assert_eq!(diff["pre"][&logger]["storage"], json!({slot_key: zero}));
    let nonce_before = diff["pre"][DEV]["nonce"].as_u64().unwrap();
    assert_eq!(diff["post"][DEV]["nonce"], nonce_before + 1);

    // debug_traceCall runs the same code at latest (the slot now holds 42: a warm
    // rewrite to the same value costs 100 after the cold access charge of 2,100).
    let call = c.call(
        "debug_traceCall",
        json!([{"from": DEV, "to": s.logger, "gas": "0x186a0"}, "latest", {}]),
    );
    let costs: Vec<u64> = call["structLogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["gasCost"].as_u64().unwrap())
        .collect();
    assert_eq!(costs[2], 2_200);
    let parity = c.call(
        "trace_call",
        json!([{"from": DEV, "to": s.logger}, ["trace"], "latest"]),
    );
    assert_eq!(parity["trace"][0]["action"]["to"], json!(logger));
    assert_eq!(parity["trace"][0]["result"]["output"], "0x");
}

#[test]
fn a_native_message_traced_by_cid() {
    let s = setup();
    let c = s.node.client();
    // CallEvm([f410 of the logger, empty calldata]): the actor calls the EVM contract.
    let params = format!("0x8256040a{}40", &s.logger[2..].to_lowercase());
    let sent = c.call(
        "tandem_sendMessage",
        json!([{"from": DEV, "to": s.actor_id, "method": "CallEvm", "params": params}]),
    );
    assert_eq!(sent["exitCode"], 0, "{sent}");
    let tree = c.call("tandem_traceMessage", json!([sent["cid"]]));
    assert_eq!(tree["tandem"]["methodName"], "CallEvm", "{tree:#}");
    assert_eq!(tree["tandem"]["runtime"], "wasm");
    assert_eq!(tree["exitCode"], 0);
    assert_eq!(
        tree["tandem"]["paramsDecoded"],
        json!([format!("0x040a{}", &s.logger[2..].to_lowercase()), "0x"])
    );
    let evm = &tree["calls"][0];
    assert_eq!(evm["to"], json!(s.logger.to_lowercase()));
    assert!(evm.get("tandem").is_none(), "EVM frames are plain: {evm}");
    assert_eq!(evm["logs"][0]["address"], json!(s.logger.to_lowercase()));
    let missing = c.request("tandem_traceMessage", json!(["bafy2bzacenotthere"]));
    assert!(missing["error"].is_object(), "{missing}");

    // Gas by price-list operation: the message's own (outside frames), then each frame's.
    let names = |charges: &Value| -> Vec<String> {
        charges
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&tree["messageGas"]), ["message"], "{tree:#}");
    let native = names(&tree["gasCharges"]);
    for name in ["invoke", "instantiate", "wasm_exec", "syscall"] {
        assert!(native.contains(&name.to_string()), "{name} in {native:?}");
    }
    assert!(
        names(&evm["gasCharges"]).contains(&"evm".to_string()),
        "{evm}"
    );
    // Everything charged adds up to the receipt's gas used.
    let used = u64::from_str_radix(
        sent["gasUsed"].as_str().unwrap().trim_start_matches("0x"),
        16,
    );
    assert_eq!(
        charged_milligas(&tree).div_ceil(1000),
        used.unwrap(),
        "{tree:#}"
    );

    // An Ethereum transaction: its intrinsic gas outside the frame, the EVM's in it.
    let (hash, receipt) = send(&c, Some(&s.logger), "0x");
    let eth = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"withGasCharges": true}}]),
    );
    assert_eq!(names(&eth["messageGas"]), ["transaction"], "{eth:#}");
    assert_eq!(names(&eth["gasCharges"]), ["evm"], "{eth:#}");
    let used = u64::from_str_radix(
        receipt["gasUsed"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    );
    assert_eq!(
        charged_milligas(&eth).div_ceil(1000),
        used.unwrap(),
        "{eth:#}"
    );
}

/// The milligas of every `messageGas` and `gasCharges` entry in a call tree.
fn charged_milligas(frame: &Value) -> u64 {
    let sum = |v: &Value| -> u64 {
        v.as_array().map_or(0, |list| {
            list.iter()
                .map(|c| {
                    let gas = c["gas"].as_str().unwrap();
                    let (whole, milli) = gas.split_once('.').unwrap_or((gas, "0"));
                    let milli = format!("{milli:0<3}");
                    whole.parse::<u64>().unwrap() * 1000 + milli.parse::<u64>().unwrap()
                })
                .sum()
        })
    };
    let children = frame["calls"]
        .as_array()
        .map_or(0, |calls| calls.iter().map(charged_milligas).sum());
    sum(&frame["messageGas"]) + sum(&frame["gasCharges"]) + children
}

/// A DELEGATECALL frame runs the target's code on the caller's state: `from` is the
/// delegating contract, `to` the code's address, and the log is the delegator's.
#[test]
fn delegatecall_frames_name_the_code() {
    let s = setup();
    let c = s.node.client();
    // PUSH1 0 ×4, PUSH20 logger, GAS, DELEGATECALL, STOP.
    let proxy_code = hex::decode(format!(
        "600060006000600073{}5af400",
        &s.logger[2..].to_lowercase()
    ))
    .unwrap();
    let proxy = deploy(&c, &proxy_code).to_lowercase();
    let (hash, receipt) = send(&c, Some(&proxy), "0x");
    assert_eq!(receipt["status"], "0x1");
    let tree = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer", "tracerConfig": {"withLog": true}}]),
    );
    let inner = &tree["calls"][0];
    assert_eq!(inner["type"], "DELEGATECALL", "{tree:#}");
    assert_eq!(inner["from"], json!(proxy));
    assert_eq!(inner["to"], json!(s.logger.to_lowercase()));
    assert!(inner.get("value").is_none());
    assert_eq!(inner["logs"][0]["address"], json!(proxy));
    let flat = c.call("trace_transaction", json!([hash]));
    assert_eq!(flat[1]["action"]["callType"], "delegatecall");
    assert_eq!(flat[1]["action"]["to"], json!(s.logger.to_lowercase()));
}

#[test]
fn unknown_tracers_and_transactions_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let (hash, _) = send(&c, Some("0x70997970c51812dc3a010c7d01b50e0d17dc79c8"), "0x");
    let bad = c.request(
        "debug_traceTransaction",
        json!([hash, {"tracer": "jsTracer"}]),
    );
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let none = c.request(
        "debug_traceTransaction",
        json!([format!("0x{}", "11".repeat(32))]),
    );
    assert!(
        none["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{none}"
    );
    // A plain transfer is one CALL frame with the value.
    let t = c.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "callTracer"}]),
    );
    assert_eq!(t["type"], "CALL");
    assert_eq!(t["gasUsed"], "0x5208");
    assert!(t.get("calls").is_none());
}

fn run_cast(cast: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(cast)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// cast against the node: `cast run` and `cast call --trace` re-execute in Foundry's own EVM
/// over the node's state reads (so they can only show EVM frames: docs/node.md, "Traces"),
/// and `cast rpc debug_traceTransaction` gets the node's tree, native frame included.
#[test]
fn cast_reads_the_traces() {
    let Some(cast) = tandem_testkit::cast() else {
        return;
    };
    let s = setup();
    let c = s.node.client();
    let url = s.node.url();
    let word = format!("{:064x}", 42);
    let (logged, _) = send(&c, Some(&s.logger), "0x");
    let (ok, out) = run_cast(&cast, &["run", &logged, "--rpc-url", &url]);
    assert!(ok, "cast run: {out}");
    assert!(
        out.to_lowercase().contains(&s.logger.to_lowercase()[2..]),
        "{out}"
    );
    assert!(out.contains(&word), "cast run shows the log: {out}");
    let (ok, out) = run_cast(
        &cast,
        &[
            "call",
            "--trace",
            &s.logger,
            "--rpc-url",
            &url,
            "--from",
            DEV,
        ],
    );
    assert!(ok && out.contains(&word), "cast call --trace: {out}");

    let (hash, _) = send(&c, Some(&s.forwarder), &cross_calldata(&s));
    let opts = r#"{"tracer":"callTracer"}"#;
    let (ok, out) = run_cast(
        &cast,
        &[
            "rpc",
            "debug_traceTransaction",
            &hash,
            opts,
            "--rpc-url",
            &url,
        ],
    );
    assert!(ok, "cast rpc: {out}");
    let tree: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(tree["calls"][0]["tandem"]["runtime"], "wasm", "{tree}");
    assert_eq!(tree["calls"][0]["calls"][0]["revertReason"], "bottom");
}
