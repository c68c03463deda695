//! Hostile requests against a real node: each must get a clear JSON-RPC error (or HTTP
//! status), and afterwards the node must still answer `eth_blockNumber` and mine. The limits
//! they hit are the named constants of docs/node.md, "Limits".

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cid::Cid;
use common::{Client, TestNode, hex_u64};
use multihash_codetable::{Code, MultihashDigest};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const DEV: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

/// Init code that deploys `runtime`.
fn deploy_code(runtime: &[u8]) -> String {
    let n = u16::try_from(runtime.len()).unwrap().to_be_bytes();
    // PUSH2 n DUP1 PUSH1 12 PUSH1 0 CODECOPY PUSH1 0 RETURN, then the runtime.
    let mut code = vec![
        0x61, n[0], n[1], 0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(runtime);
    format!("0x{}", hex::encode(code))
}

fn deploy(c: &Client, runtime: &[u8]) -> String {
    let tx = json!({"from": DEV, "data": deploy_code(runtime), "gas": "0x2dc6c0"});
    let hash = c.call("eth_sendTransaction", json!([tx]));
    let r = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(r["status"], "0x1", "deploy failed: {r}");
    r["contractAddress"].as_str().unwrap().to_string()
}

/// Sends a call to `to` with `gas`; returns the transaction hash (it may fail).
fn send(c: &Client, to: &str, gas: u64) -> String {
    let tx = json!({"from": DEV, "to": to, "gas": format!("{gas:#x}")});
    let hash = c.call("eth_sendTransaction", json!([tx]));
    hash.as_str().unwrap().to_string()
}

/// Grows memory to 1 MiB (MLOAD at 0x0fffe0), then loops on JUMPDEST PUSH1 6 JUMP.
fn memory_bomb() -> Vec<u8> {
    hex::decode("620fffe051505b600656").unwrap()
}

/// Pushes 1000 zeros, then loops on JUMPDEST PUSH2 1000 JUMP with a 1000-deep stack.
fn stack_bomb() -> Vec<u8> {
    let mut code = vec![0x5f; 1000];
    code.extend_from_slice(&[0x5b, 0x61, 0x03, 0xe8, 0x56]);
    code
}

/// Stores the word 42 at memory 0, then stops.
fn small() -> Vec<u8> {
    hex::decode("602a60005200").unwrap()
}

/// Twenty times `SLOAD(GAS)`: the slots depend on the gas left, which depends on the access
/// list, so `eth_createAccessList` never sees the same list twice in its 16 runs.
fn access_list_wanderer() -> Vec<u8> {
    let mut code = Vec::new();
    for _ in 0..20 {
        code.extend_from_slice(&[0x5a, 0x54, 0x50]);
    }
    code.push(0x00);
    code
}

/// An error response whose message contains `needle`.
fn assert_error(resp: &Value, needle: &str) {
    let msg = resp["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with {needle:?}, got {resp}"));
    assert!(msg.contains(needle), "expected {needle:?} in {msg:?}");
}

/// The node still answers and still mines.
fn assert_alive(c: &Client) {
    let before = hex_u64(&c.call("eth_blockNumber", json!([])));
    c.call("evm_mine", json!([]));
    let after = hex_u64(&c.call("eth_blockNumber", json!([])));
    assert_eq!(
        after,
        before + 1,
        "the node did not mine after a hostile request"
    );
}

#[test]
fn struct_logger_traces_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let mem = deploy(&c, &memory_bomb());
    let stack = deploy(&c, &stack_bomb());
    let small = deploy(&c, &small());
    let mem_tx = send(&c, &mem, 3_000_000);
    let mem_block = c.call("eth_getTransactionReceipt", json!([mem_tx]))["blockNumber"].clone();
    let stack_tx = send(&c, &stack, 1_000_000);

    // ~200k steps with 1 MiB of memory each: the tracer stops copying at its budget.
    let memory = json!({"enableMemory": true});
    let resp = c.request("debug_traceTransaction", json!([mem_tx, memory]));
    assert_error(&resp, "MAX_TRACE_BYTES");
    let call = json!({"from": DEV, "to": mem, "gas": "0x2dc6c0"});
    let resp = c.request("debug_traceCall", json!([call, "latest", memory]));
    assert_error(&resp, "MAX_TRACE_BYTES");
    let resp = c.request("debug_traceBlockByNumber", json!([mem_block, memory]));
    assert_error(&resp, "MAX_TRACE_BYTES");
    // Past `limit` nothing is copied: the first ten steps come back, with their memory.
    let limited = json!({"enableMemory": true, "limit": 10});
    let t = c.call("debug_traceTransaction", json!([mem_tx, limited]));
    let logs = t["structLogs"].as_array().unwrap();
    assert_eq!(logs.len(), 10, "{t}");
    assert_eq!(logs[9]["memory"].as_array().unwrap().len(), 1 << 15);
    // The call tree of the same transaction is small and fine.
    let tree = c.call(
        "debug_traceTransaction",
        json!([mem_tx, {"tracer": "callTracer"}]),
    );
    assert_eq!(tree["error"], "out of gas", "{tree}");

    // ~250k steps with a 1000-word stack: the default options (stack on) are refused...
    let resp = c.request("debug_traceTransaction", json!([stack_tx]));
    assert_error(&resp, "trace too large");
    // ...without the stack and with a limit, the first steps come back.
    let lean = json!({"disableStack": true, "disableStorage": true, "limit": 5});
    let lean = c.call("debug_traceTransaction", json!([stack_tx, lean]));
    assert_eq!(lean["structLogs"].as_array().unwrap().len(), 5, "{lean}");

    // An ordinary trace with memory is unaffected: MSTORE 42 at 0 shows at the STOP.
    let call = json!({"from": DEV, "to": small});
    let t = c.call("debug_traceCall", json!([call, "latest", memory]));
    let logs = t["structLogs"].as_array().unwrap();
    assert_eq!(logs.len(), 4, "{t}");
    assert_eq!(
        logs[3]["memory"],
        json!([format!("{:064x}", 42)]),
        "{}",
        logs[3]
    );
    assert_eq!(logs[3]["op"], "STOP");
    assert_alive(&c);
}

/// Without calldata: calls itself `n` times with `args` bytes of calldata; with calldata:
/// logs 32 bytes and returns `ret` bytes (zeros).
fn call_bomb(n: u16, args: u32, ret: u32) -> Vec<u8> {
    let (n, a, r) = (n.to_be_bytes(), args.to_be_bytes(), ret.to_be_bytes());
    #[rustfmt::skip]
    let code = vec![
        0x36, 0x60, 33, 0x57,                     // CALLDATASIZE PUSH1 33 JUMPI
        0x61, n[0], n[1],                         // counter
        0x5b,                                     // 7: JUMPDEST
        0x60, 0, 0x60, 0,                         // retLen retOffset
        0x62, a[1], a[2], a[3], 0x60, 0,          // argsLen argsOffset
        0x60, 0, 0x30, 0x5a, 0xf1, 0x50,          // value ADDRESS GAS CALL POP
        0x60, 1, 0x90, 0x03, 0x80, 0x60, 7, 0x57, // counter - 1, loop while nonzero
        0x00,                                     // 32: STOP
        0x5b, 0x60, 0x20, 0x60, 0, 0xa0,          // 33: JUMPDEST LOG0(0, 32)
        0x62, r[1], r[2], r[3], 0x60, 0, 0xf3,    // RETURN(0, ret)
    ];
    code
}

/// Every call-tree trace of `tx` (and its block) is refused with the byte limit.
fn assert_call_traces_refused(c: &Client, tx: &str, block: &Value) {
    let call_tracer = json!({"tracer": "callTracer"});
    let resp = c.request("debug_traceTransaction", json!([tx, call_tracer]));
    assert_error(&resp, "MAX_TRACE_BYTES");
    let prestate = json!({"tracer": "prestateTracer"});
    let resp = c.request("debug_traceTransaction", json!([tx, prestate]));
    assert_error(&resp, "MAX_TRACE_BYTES");
    let resp = c.request("debug_traceBlockByNumber", json!([block, call_tracer]));
    assert_error(&resp, "MAX_TRACE_BYTES");
    for method in [
        "trace_transaction",
        "ots_traceTransaction",
        "trace_replayTransaction",
    ] {
        let params = if method == "trace_replayTransaction" {
            json!([tx, ["trace"]])
        } else {
            json!([tx])
        };
        let resp = c.request(method, params);
        assert_error(&resp, "MAX_TRACE_BYTES");
    }
    let resp = c.request("trace_block", json!([block]));
    assert_error(&resp, "MAX_TRACE_BYTES");
}

#[test]
fn call_traces_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    // 500 calls with 150 KB of calldata each (75 MB), cheap in gas.
    let args = deploy(&c, &call_bomb(500, 150_000, 0));
    // 2,100 calls each returning 32 KiB (69 MB).
    let rets = deploy(&c, &call_bomb(2_100, 1, 32_768));
    for bomb in [&args, &rets] {
        let tx = send(&c, bomb, 16_000_000);
        let r = c.call("eth_getTransactionReceipt", json!([tx]));
        assert_eq!(r["status"], "0x1", "{r}");
        assert_call_traces_refused(&c, &tx, &r["blockNumber"]);
        let n = c.call("eth_blockNumber", json!([]));
        assert_eq!(n, r["blockNumber"], "the node answers between bombs");
    }
    let call = json!({"from": DEV, "to": args, "gas": "0xf42400"});
    let resp = c.request(
        "debug_traceCall",
        json!([call, "latest", {"tracer": "callTracer"}]),
    );
    assert_error(&resp, "MAX_TRACE_BYTES");
    let resp = c.request("trace_call", json!([call, ["trace"], "latest"]));
    assert_error(&resp, "MAX_TRACE_BYTES");
    let sim = json!({"blockStateCalls": [{"calls": [call]}], "traceTransfers": true});
    let resp = c.request("eth_simulateV1", json!([sim, "latest"]));
    assert_error(&resp, "MAX_TRACE_BYTES");

    // The same contract with three calls traces in full.
    let few = deploy(&c, &call_bomb(3, 150_000, 65_536));
    let tx = send(&c, &few, 5_000_000);
    let tree = c.call(
        "debug_traceTransaction",
        json!([tx, {"tracer": "callTracer", "tracerConfig": {"withLog": true}}]),
    );
    let calls = tree["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3, "{}", tree["calls"]);
    assert_eq!(calls[2]["input"].as_str().unwrap().len(), 2 + 300_000);
    assert_eq!(calls[2]["output"].as_str().unwrap().len(), 2 + 131_072);
    assert_eq!(calls[2]["logs"].as_array().unwrap().len(), 1);
    let flat = c.call("trace_transaction", json!([tx]));
    assert_eq!(flat.as_array().unwrap().len(), 4);
    assert_alive(&c);
}

/// Input for the BLAKE2F precompile (EIP-152) asking for `rounds` rounds: one gas and a few
/// tens of nanoseconds each, the slowest work per gas an `eth_call` can ask for.
fn blake2f_input(rounds: u32) -> String {
    let mut input = rounds.to_be_bytes().to_vec();
    input.extend([0u8; 64 + 128 + 16]);
    input.push(1);
    format!("0x{}", hex::encode(input))
}

#[test]
fn heavy_reads_do_not_stall_other_requests() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    // Four calls of 16M BLAKE2F rounds each (tenths of a second apiece) against two async
    // workers: run on the async workers, they would hold both until they finish.
    let addr = node.addr;
    let started = Instant::now();
    let heavy: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let c = Client { addr };
                let call = json!({
                    "from": DEV,
                    "to": "0x0000000000000000000000000000000000000009",
                    // EIP-7825's cap on a transaction's gas (Osaka).
                    "gas": "0x1000000",
                    "input": blake2f_input(16_000_000),
                });
                let resp = c.request("eth_call", json!([call, "latest"]));
                assert!(resp["result"].is_string(), "{resp}");
                Instant::now()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    let n = c.call("eth_blockNumber", json!([]));
    let answered = Instant::now();
    let finished: Vec<Instant> = heavy.into_iter().map(|h| h.join().unwrap()).collect();
    let first_heavy = *finished.iter().min().unwrap();
    // The workload must outlast the wait, or the check below would say nothing.
    assert!(
        first_heavy - started > Duration::from_millis(100),
        "the heavy calls took only {:?}: make them heavier",
        first_heavy - started
    );
    assert!(
        answered < first_heavy,
        "eth_blockNumber ({n}) waited for the heavy eth_calls"
    );
    assert_alive(&c);
}

#[derive(Serialize, Deserialize, Clone)]
struct Manifest {
    format: String,
    chain_id: u64,
    state: Cid,
    history: Vec<Cid>,
    blocks: Vec<String>,
    txs: Vec<String>,
    messages: Vec<(String, String)>,
}

/// The dump's blocks (the manifest left out), and its manifest.
fn open_dump(hex_dump: &str) -> (Vec<(Cid, Vec<u8>)>, Manifest) {
    let bytes = hex::decode(hex_dump.trim_start_matches("0x")).unwrap();
    let car = tandem_state::car::read_car(bytes.as_slice()).unwrap();
    let root = car.roots()[0];
    let empty = tandem_state::blockstore::MemoryBlockstore::default();
    let mut blocks = car.into_batch(&empty).unwrap().blocks;
    let i = blocks.iter().position(|(c, _)| *c == root).unwrap();
    let manifest = fvm_ipld_encoding::from_slice(&blocks.swap_remove(i).1).unwrap();
    (blocks, manifest)
}

/// A DAG-CBOR block's CID.
fn cid_of(data: &[u8]) -> Cid {
    Cid::new_v1(0x71, Code::Blake2b256.digest(data))
}

/// A CAR v1 file, as hex, with `root` and `blocks` (written by hand, so it
/// may name blocks it does not carry).
fn car_of(root: Cid, blocks: &[(Cid, Vec<u8>)], extra: &[u8]) -> String {
    #[derive(Serialize)]
    struct Header {
        roots: Vec<Cid>,
        version: u64,
    }
    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    let header = fvm_ipld_encoding::to_vec(&Header {
        roots: vec![root],
        version: 1,
    })
    .unwrap();
    let mut out = Vec::new();
    varint(header.len(), &mut out);
    out.extend_from_slice(&header);
    for (cid, data) in blocks {
        let cid = cid.to_bytes();
        varint(cid.len() + data.len(), &mut out);
        out.extend_from_slice(&cid);
        out.extend_from_slice(data);
    }
    out.extend_from_slice(extra);
    format!("0x{}", hex::encode(out))
}

/// A CAR of `blocks` under the root `m`, as hex.
fn car_hex(blocks: &[(Cid, Vec<u8>)], m: &Manifest) -> String {
    let data = fvm_ipld_encoding::to_vec(m).unwrap();
    let mut all = vec![(cid_of(&data), data)];
    all.extend_from_slice(blocks);
    car_of(all[0].0, &all, &[])
}

#[test]
fn malformed_and_lying_state_dumps_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    c.call("evm_mine", json!([]));
    let dump = c.call("anvil_dumpState", json!([]));
    let dump = dump.as_str().unwrap().to_string();
    let head = c.call("eth_getBlockByNumber", json!(["latest", false]))["hash"].clone();

    let mut bad: Vec<(String, &str)> = vec![
        ("0xdeadbeef".into(), "invalid state dump"),
        // Half a file.
        (dump[..dump.len() / 2].to_string(), "invalid state dump"),
        // 8 MiB of zeros.
        (format!("0x{}", "00".repeat(8 << 20)), "invalid state dump"),
    ];
    // A byte flipped inside a block: its hash no longer matches.
    let mut flipped = dump.clone().into_bytes();
    let i = flipped.len() - 40;
    flipped[i] = if flipped[i] == b'0' { b'1' } else { b'0' };
    bad.push((String::from_utf8(flipped).unwrap(), "invalid state dump"));

    let (store, m) = open_dump(&dump);
    // Lies the manifest could tell: another chain, a block record missing, a history link
    // to a block the file does not carry.
    let mut other_chain = m.clone();
    other_chain.chain_id += 1;
    bad.push((car_hex(&store, &other_chain), "chain id"));
    let mut short = m.clone();
    short.blocks.pop();
    bad.push((car_hex(&store, &short), "state"));
    let mut dangling = m.clone();
    let absent = cid_of(b"not in the file");
    dangling.history.push(absent);
    bad.push((car_hex(&store, &dangling), "incomplete"));
    // A root nested 100,000 arrays deep.
    let mut nested = vec![0x81u8; 100_000];
    nested.push(0x00);
    let nested = [(cid_of(&nested), nested)];
    bad.push((car_of(nested[0].0, &nested, &[]), "invalid state dump"));
    // A block whose length prefix claims an exabyte.
    let lying_length = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
    bad.push((
        car_of(nested[0].0, &nested, &lying_length),
        "invalid state dump",
    ));

    for (car, needle) in &bad {
        let resp = c.request("anvil_loadState", json!([car]));
        assert_error(&resp, needle);
        let now = c.call("eth_getBlockByNumber", json!(["latest", false]))["hash"].clone();
        assert_eq!(now, head, "a refused dump changed the chain");
    }
    // The honest dump still loads.
    assert_eq!(c.call("anvil_loadState", json!([dump])), json!(true));
    assert_alive(&c);
}

#[test]
fn oversized_requests_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let wander = deploy(&c, &access_list_wanderer());

    // eth_simulateV1: too many blocks, too many calls, too much gas.
    let blocks: Vec<Value> = (0..300).map(|_| json!({"calls": []})).collect();
    let resp = c.request("eth_simulateV1", json!([{"blockStateCalls": blocks}]));
    assert_error(&resp, "too many blocks");
    let calls: Vec<Value> = (0..1001).map(|_| json!({"from": DEV, "to": DEV})).collect();
    let resp = c.request(
        "eth_simulateV1",
        json!([{"blockStateCalls": [{"calls": calls}]}]),
    );
    assert_error(&resp, "too many calls");
    let mem = deploy(&c, &memory_bomb());
    let looping: Vec<Value> = (0..24)
        .map(|_| json!({"calls": [{"from": DEV, "to": mem}]}))
        .collect();
    let resp = c.request("eth_simulateV1", json!([{"blockStateCalls": looping}]));
    assert_error(&resp, "MAX_SIMULATE_GAS");

    // eth_getProof with 5,000 keys.
    let keys: Vec<String> = (0..5000).map(|i| format!("{i:#x}")).collect();
    let resp = c.request("eth_getProof", json!([DEV, keys, "latest"]));
    assert_error(&resp, "storage keys");

    // Otterscan pages of a billion transactions.
    let resp = c.request("ots_getBlockTransactions", json!([1, 0, 1_000_000_000u64]));
    assert_error(&resp, "MAX_OTS_PAGE_SIZE");
    let resp = c.request(
        "ots_searchTransactionsBefore",
        json!([DEV, 0, 1_000_000_000u64]),
    );
    assert_error(&resp, "MAX_OTS_PAGE_SIZE");

    // An access list that never settles.
    let resp = c.request(
        "eth_createAccessList",
        json!([{"from": DEV, "to": wander, "gas": "0x100000"}]),
    );
    assert_error(&resp, "did not settle");

    // Two million values in one call's parameters.
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_getProof","params":["{DEV}",[{}],"latest"]}}"#,
        vec!["0"; 2_000_000].join(",")
    );
    assert_error(&c.post(&body), "MAX_PARAM_VALUES");

    // JSON nested 100,000 deep.
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let resp = c.post(&body);
    assert!(resp["error"]["code"].is_i64(), "{resp}");

    // A batch one longer than allowed is one error; the longest allowed one is answered.
    let entry = |i: usize| json!({"jsonrpc": "2.0", "id": i, "method": "eth_chainId"});
    let batch: Vec<Value> = (0..1001).map(entry).collect();
    let resp = c.post(&Value::Array(batch).to_string());
    assert!(resp["error"]["code"].is_i64(), "{resp}");
    let batch: Vec<Value> = (0..1000).map(entry).collect();
    let resp = c.post(&Value::Array(batch).to_string());
    assert_eq!(resp.as_array().map(Vec::len), Some(1000));

    // A body over MAX_REQUEST_BYTES: HTTP 413, the body is not read.
    assert!(post_oversized(&c).contains("413"));
    assert_alive(&c);
}

/// Posts a 65 MiB body; returns the response's status line.
fn post_oversized(c: &Client) -> String {
    let mut stream = TcpStream::connect(c.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let len = 65 << 20;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
        c.addr
    );
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..65 {
        // The server may answer and close before the body is all sent.
        if stream.write_all(&chunk).is_err() {
            break;
        }
    }
    let mut resp = Vec::new();
    let _ = stream.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp);
    text.lines().next().unwrap_or_default().to_string()
}

/// Idle waits cannot take the blocking pool that writes run on: of 600 `tandem_waitMessage`
/// calls for a message that never comes, MAX_WAITERS wait and the rest are refused at once,
/// and a transaction sent meanwhile is mined at once (it waited for them to time out before).
/// Lets requests already sent settle for a second, then times one value transfer; returns
/// its hash, when it was sent and how long it took to answer.
fn write_after_a_second(c: &Client) -> (Value, Instant, Duration) {
    std::thread::sleep(Duration::from_secs(1));
    let start = Instant::now();
    let hash = c.call(
        "eth_sendTransaction",
        json!([{"from": DEV, "to": DEV, "value": "0x1"}]),
    );
    (hash, start, start.elapsed())
}

#[test]
fn waiting_requests_cannot_stall_writes() {
    use tandem_node::rpc::waiters::MAX_WAITERS;
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tandem_waitMessage",
        "params": ["bafy-never", 8_000]})
    .to_string();
    let mut streams: Vec<TcpStream> = (0..600).map(|_| c.post_and_leave(&body, 60)).collect();
    let (hash, _, took) = write_after_a_second(&c);
    assert!(
        took < Duration::from_secs(5),
        "a write waited {took:?} behind idle waits"
    );
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"));
    let (mut refused, mut waited) = (0, 0);
    for s in &mut streams {
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        if text.contains("MAX_WAITERS") {
            refused += 1;
        } else if text.contains("\"result\":null") {
            waited += 1;
        } else {
            panic!("neither a wait nor a refusal: {text}");
        }
    }
    assert_eq!((waited, refused), (MAX_WAITERS, 600 - MAX_WAITERS));
    assert_alive(&c);
}

/// A flood of heavy reads, more than the blocking pool has threads: they take turns
/// (`rpc::server::max_heavy_reads` at once) without holding threads while they wait, so a
/// transaction sent behind them is answered at once. Without the gate the write queued
/// behind hundreds of them for the pool's threads (seconds).
#[test]
fn a_flood_of_heavy_reads_cannot_stall_writes() {
    const FLOOD: usize = 700;
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let input = blake2f_input(2_000_000);
    let mut streams: Vec<TcpStream> = (0..FLOOD)
        .map(|i| {
            // Each call differs (its gas), so none is answered from the head's call cache.
            let call = json!({
                "from": DEV,
                "to": "0x0000000000000000000000000000000000000009",
                "gas": format!("0x{:x}", 0x1000000 - i),
                "input": input,
            });
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
                "params": [call, "latest"]})
            .to_string();
            c.post_and_leave(&body, 120)
        })
        .collect();
    let (hash, start, took) = write_after_a_second(&c);
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"));
    let mut answered = 0;
    for s in &mut streams {
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        assert!(text.contains("\"result\":\"0x"), "{text}");
        answered += 1;
    }
    // The flood must outlast the write, or the check below would say nothing.
    let flood_took = start.elapsed();
    assert_eq!(answered, FLOOD);
    assert!(
        took < Duration::from_secs(3),
        "a write waited {took:?} behind {FLOOD} heavy reads"
    );
    assert!(
        flood_took > took * 2,
        "the flood ({flood_took:?}) did not outlast the write ({took:?}): make it heavier"
    );
    assert_alive(&c);
}

/// Impersonated accounts are kept until stopped, so their number is bounded: past
/// `MAX_IMPERSONATED` a new one is refused (one already impersonated is still accepted), and
/// stopping one makes room.
#[test]
fn impersonated_accounts_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let address =
        |i: usize| alloy_primitives::Address::left_padding_from(&(i as u64).to_be_bytes());
    for i in 0..tandem_node::node::MAX_IMPERSONATED {
        node.node.set_impersonated(address(i + 1), true).unwrap();
    }
    let over = format!("{:#x}", address(0));
    let refused = c.request("anvil_impersonateAccount", json!([over]));
    assert_error(&refused, "at most 100000 accounts are impersonated at once");
    let again = format!("{:#x}", address(7));
    assert_eq!(
        c.call("anvil_impersonateAccount", json!([again])),
        json!(true)
    );
    assert_eq!(
        c.call("anvil_stopImpersonatingAccount", json!([again])),
        json!(true)
    );
    assert_eq!(
        c.call("hardhat_impersonateAccount", json!([over])),
        json!(true)
    );
    assert_alive(&c);
}
