//! Deep call stacks through a live node: an EVM contract and a native actor calling each other
//! in turn, and a native actor calling itself, as deep as the VM lets them go (MAX_WASM_FRAMES
//! native frames, the 63/64 rule for EVM frames), each native frame first spending nearly all
//! of its 512 KiB WASM stack in recursion. Mined transactions, `eth_call`, `eth_estimateGas`,
//! `debug_traceTransaction` (callTracer) and `eth_simulateV1` of them must end cleanly, and
//! the node must keep answering and mining. A process crash (stack overflow, abort) kills the
//! test binary itself, so passing is the proof.

use crate::common;

use common::txs::{DEV, OTHER, init, send};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_chain::keys::KeyFile;

/// Flags in calldata bytes 0..4 (little-endian): the native actor's behaviour.
const SELF_CALL: u32 = 1; // send to itself instead of back to its caller
const PROPAGATE: u32 = 2; // abort if the send failed
const NO_SEND: u32 = 4; // recurse in WASM, then return without sending

/// The native actor. `invoke` reads `[flags u32, wasm_depth u32]` from its params, recurses
/// `wasm_depth` times in WASM with 24 i64 values live across each call (so each WASM frame
/// spills them to the native stack), and at the bottom sends the same params with all its gas,
/// method InvokeEVM, to its caller (an EVM contract, which calls back) or to itself.
const NATIVE: &str = r#"(module
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (import "tandem_v1" "ipld_block_read" (func $read (param i32 i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "send" (func $send (param i32 i32 i64 i32 i64 i64 i64 i64 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $flags (mut i32) (i32.const 0))
  ;; The ID address of actor $id at offset 100 (protocol 0, LEB128); returns its length.
  (func $id_address (param $id i64) (result i32)
    (local $len i32)
    (i32.store8 (i32.const 100) (i32.const 0))
    (local.set $len (i32.const 1))
    (block $done (loop $next
      (if (i64.lt_u (local.get $id) (i64.const 128)) (then
        (i32.store8 (i32.add (i32.const 100) (local.get $len)) (i32.wrap_i64 (local.get $id)))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $done)))
      (i32.store8 (i32.add (i32.const 100) (local.get $len))
        (i32.or (i32.wrap_i64 (i64.and (local.get $id) (i64.const 0x7f))) (i32.const 0x80)))
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (local.set $id (i64.shr_u (local.get $id) (i64.const 7)))
      (br $next)))
    (local.get $len))
  ;; 0 if the send and the callee succeeded.
  (func $forward (param $p i32) (result i32)
    (local $to i64) (local $e i32)
    (if (i32.and (global.get $flags) (i32.const 4)) (then (return (i32.const 0))))
    (local.set $to (if (result i64) (i32.and (global.get $flags) (i32.const 1))
      (then (i64.load (i32.const 1016))) (else (i64.load (i32.const 1000)))))
    (local.set $e (call $send (i32.const 100) (call $id_address (local.get $to))
      (i64.const 3844450837) (local.get $p) (i64.const 0) (i64.const 0) (i64.const 0)
      (i64.const 0) (i32.const 200)))
    (if (local.get $e) (then (return (local.get $e))))
    (i32.load (i32.const 200)))
  (func $deep (param $n i32) (param $p i32) (result i32)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $f i64)
    (local $g i64) (local $h i64) (local $i i64) (local $j i64) (local $k i64) (local $l i64)
    (local $m i64) (local $o i64) (local $q i64) (local $r i64) (local $s i64) (local $t i64)
    (local $u i64) (local $v i64) (local $w i64) (local $x i64) (local $y i64) (local $z i64)
    (local $ret i32)
    (if (i32.eqz (local.get $n)) (then (return (call $forward (local.get $p)))))
    (local.set $a (i64.extend_i32_u (local.get $n)))
    (local.set $b (i64.mul (local.get $a) (i64.const 3)))
    (local.set $c (i64.xor (local.get $b) (i64.const 5)))
    (local.set $d (i64.rotl (local.get $c) (local.get $a)))
    (local.set $e (i64.add (local.get $d) (local.get $b)))
    (local.set $f (i64.mul (local.get $e) (local.get $c)))
    (local.set $g (i64.sub (local.get $f) (local.get $a)))
    (local.set $h (i64.rotr (local.get $g) (local.get $b)))
    (local.set $i (i64.xor (local.get $h) (local.get $d)))
    (local.set $j (i64.mul (local.get $i) (i64.const 7)))
    (local.set $k (i64.add (local.get $j) (local.get $e)))
    (local.set $l (i64.rotl (local.get $k) (local.get $c)))
    (local.set $m (i64.xor (local.get $l) (local.get $f)))
    (local.set $o (i64.mul (local.get $m) (local.get $g)))
    (local.set $q (i64.add (local.get $o) (local.get $h)))
    (local.set $r (i64.rotr (local.get $q) (local.get $i)))
    (local.set $s (i64.xor (local.get $r) (local.get $j)))
    (local.set $t (i64.mul (local.get $s) (local.get $k)))
    (local.set $u (i64.add (local.get $t) (local.get $l)))
    (local.set $v (i64.rotl (local.get $u) (local.get $m)))
    (local.set $w (i64.xor (local.get $v) (local.get $o)))
    (local.set $x (i64.mul (local.get $w) (local.get $q)))
    (local.set $y (i64.add (local.get $x) (local.get $r)))
    (local.set $z (i64.rotr (local.get $y) (local.get $s)))
    (local.set $ret (call $deep (i32.sub (local.get $n) (i32.const 1)) (local.get $p)))
    ;; Every value is live across the call above.
    (if (i64.eq (i64.add (i64.add (i64.add (i64.add (local.get $a) (local.get $b))
          (i64.add (local.get $c) (local.get $d))) (i64.add (i64.add (local.get $e) (local.get $f))
          (i64.add (local.get $g) (local.get $h)))) (i64.add (i64.add (i64.add (local.get $i)
          (local.get $j)) (i64.add (local.get $k) (local.get $l))) (i64.add (i64.add (local.get $m)
          (local.get $o)) (i64.add (local.get $q) (local.get $r))))) (i64.add (i64.add (i64.add
          (local.get $s) (local.get $t)) (i64.add (local.get $u) (local.get $v))) (i64.add
          (i64.add (local.get $w) (local.get $x)) (i64.add (local.get $y) (local.get $z)))))
      (then (local.set $ret (i32.add (local.get $ret) (i32.const 1000)))))
    (local.get $ret))
  (func (export "invoke") (param $p i32) (result i32)
    (local $r i32)
    (drop (call $ctx (i32.const 1000)))
    (if (i64.eq (i64.load (i32.const 1024)) (i64.const 1)) (then (return (i32.const 0))))
    (if (i32.eqz (local.get $p)) (then (return (i32.const 0))))
    (drop (call $read (local.get $p) (i32.const 0) (i32.const 2048) (i32.const 8) (i32.const 2040)))
    (global.set $flags (i32.load (i32.const 2048)))
    (local.set $r (call $deep (i32.load (i32.const 2052)) (local.get $p)))
    (if (i32.and (i32.ne (local.get $r) (i32.const 0))
          (i32.ne (i32.and (global.get $flags) (i32.const 2)) (i32.const 0)))
      (then (drop (call $abort (i32.const 77) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (i32.const 0)))"#;

/// EVM runtime: CALL `native` (masked ID) with all gas and the calldata; returns the CALL's
/// success word (`swallow`), or reverts when the CALL failed (`!swallow`).
fn caller_runtime(native: u64, swallow: bool) -> String {
    let call = format!("365f5f375f5f365f5f73ff0000000000000000000000{native:016x}5af1");
    if swallow {
        format!("{call}5f5260205ff3")
    } else {
        // JUMPI to the JUMPDEST at offset 38 when the CALL succeeded.
        format!("{call}6026575f5ffd5b5f5ff3")
    }
}

fn calldata(flags: u32, wasm_depth: u32) -> String {
    let mut data = flags.to_le_bytes().to_vec();
    data.extend(wasm_depth.to_le_bytes());
    format!("0x{}", hex::encode(data))
}

/// The frames on the deepest path of a raw callTracer response: one more than the most
/// `"calls"` arrays open at once. Read without parsing: a deep call trace is beyond
/// serde_json's recursion limit.
fn frames_on_deepest_path(text: &str) -> usize {
    let (mut open, mut max, mut in_str, mut escaped) = (Vec::new(), 0usize, false, false);
    for (i, ch) in text.char_indices() {
        if in_str {
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '[' | '{' => {
                open.push(ch == '[' && text[..i].trim_end().ends_with("\"calls\":"));
                max = max.max(open.iter().filter(|c| **c).count());
            }
            ']' | '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    max + 1
}

/// The frames on the deepest path of `hash`'s callTracer trace.
fn traced_depth(c: &Client, hash: &Value) -> usize {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "debug_traceTransaction",
        "params": [hash, {"tracer": "callTracer"}]})
    .to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        c.addr,
        body.len()
    );
    let (head, text) = c.raw(&request);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(text.contains("\"result\""), "the trace failed: {text:.400}");
    if std::env::var_os("DEEP_CALLS_DUMP").is_some() {
        let at = text.rfind("\"calls\":[").unwrap_or(0);
        eprintln!(
            "{}",
            &text[at.saturating_sub(2000)..(at + 3000).min(text.len())]
        );
    }
    frames_on_deepest_path(&text)
}

/// The node still answers and mines: a transfer goes into a new block.
fn assert_alive(c: &Client) {
    let before = hex_u64(&c.call("eth_blockNumber", json!([])));
    let receipt = send(c, json!({"from": DEV, "to": OTHER, "value": "0x1"}));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(hex_u64(&receipt["blockNumber"]), before + 1);
}

/// The largest WASM recursion depth one native frame survives (binary search by eth_call).
fn deepest_wasm_recursion(c: &Client, contract: &str) -> u32 {
    let ok = |n: u32| {
        let word = c.call(
            "eth_call",
            json!([{"from": DEV, "to": contract, "data": calldata(NO_SEND, n)}, "latest"]),
        );
        word.as_str().unwrap().ends_with('1')
    };
    let (mut lo, mut hi) = (1u32, 1u32 << 16);
    assert!(ok(lo), "a shallow recursion must succeed");
    assert!(
        !ok(hi),
        "a 65,536-deep recursion must overflow the WASM stack"
    );
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) { lo = mid } else { hi = mid }
    }
    // Leave room for the frames of the send at the bottom.
    lo - lo / 16
}

struct Case {
    name: &'static str,
    contract: String,
    flags: u32,
    mined_ok: bool,
}

#[test]
fn deep_cross_runtime_recursion_ends_cleanly_and_the_node_keeps_mining() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let keys = KeyFile::load(&dir.path().join("keys.json")).unwrap();
    let f1 = keys.keys[0].address.clone();

    let wasm = wat::parse_str(NATIVE).unwrap();
    let installed = c.call(
        "tandem_installCode",
        json!([f1, format!("0x{}", hex::encode(&wasm))]),
    );
    assert_eq!(installed["exitCode"], json!(0), "{installed}");
    let created = c.call("tandem_createActor", json!([f1, installed["codeCid"]]));
    assert_eq!(created["exitCode"], json!(0), "{created}");
    let id: u64 = created["idAddress"].as_str().unwrap()[2..].parse().unwrap();

    let deploy = |swallow: bool| {
        let r = send(
            &c,
            json!({"from": DEV, "data": init(&caller_runtime(id, swallow))}),
        );
        assert_eq!(r["status"], json!("0x1"), "{r}");
        r["contractAddress"].as_str().unwrap().to_string()
    };
    let swallow = deploy(true);
    let propagate = deploy(false);

    // Each native frame below first recurses to just short of its WASM stack's end.
    let wasm_depth = deepest_wasm_recursion(&c, &swallow);
    eprintln!("deepest WASM recursion in one native frame: {wasm_depth}");
    assert!(wasm_depth > 500, "{wasm_depth}");
    assert_alive(&c);

    let cases = [
        Case {
            name: "EVM <-> native, failures swallowed",
            contract: swallow.clone(),
            flags: 0,
            mined_ok: true,
        },
        Case {
            name: "EVM <-> native, failures propagated",
            contract: propagate.clone(),
            flags: PROPAGATE,
            mined_ok: false,
        },
        Case {
            name: "native -> itself, failures swallowed",
            contract: swallow.clone(),
            flags: SELF_CALL,
            mined_ok: true,
        },
        Case {
            name: "native -> itself, failures propagated",
            contract: propagate.clone(),
            flags: SELF_CALL | PROPAGATE,
            mined_ok: false,
        },
    ];
    // With each native frame near its WASM stack's end, gas bounds the depth (about 135k gas
    // per native frame); with a light recursion, MAX_WASM_FRAMES (256) does for a native actor
    // calling itself, and EIP-150's 63/64 rule for EVM and native frames taking turns. (The
    // VM's 1024 frames are beyond reach: ≥768 EVM frames would keep back all but 6·10⁻⁶ of
    // the gas.)
    for (case, wasm_depth) in cases
        .iter()
        .flat_map(|case| [(case, wasm_depth), (case, 64)])
    {
        let tx = json!({"from": DEV, "to": case.contract, "gas": "0x1000000",
            "data": calldata(case.flags, wasm_depth)});
        let hash = c.call("eth_sendTransaction", json!([tx.clone()]));
        let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
        let status = if case.mined_ok { "0x1" } else { "0x0" };
        assert_eq!(receipt["status"], json!(status), "{}: {receipt}", case.name);
        let depth = traced_depth(&c, &hash);
        let gas = hex_u64(&receipt["gasUsed"]);
        eprintln!(
            "{}, WASM depth {wasm_depth}: {depth} frames deep, {gas} gas",
            case.name
        );
        let native_frames = if case.flags & SELF_CALL != 0 {
            depth - 1
        } else {
            depth / 2
        };
        if wasm_depth == 64 && case.flags & SELF_CALL != 0 {
            assert!(
                (256..=257).contains(&native_frames),
                "{}: {depth} frames",
                case.name
            );
        } else if wasm_depth == 64 {
            // Every EVM frame keeps 1/64 of the gas back: out of gas at 234 native frames.
            assert!(native_frames >= 200, "{}: {depth} frames", case.name);
        } else {
            assert!(native_frames >= 32, "{}: {depth} frames", case.name);
        }
        assert_alive(&c);

        let call = c.request("eth_call", json!([tx.clone(), "latest"]));
        let estimate = c.request("eth_estimateGas", json!([tx.clone(), "latest"]));
        if case.mined_ok {
            assert!(call["result"].is_string(), "{}: {call}", case.name);
            assert!(
                hex_u64(&estimate["result"]) > 21_000,
                "{}: {estimate}",
                case.name
            );
        } else {
            assert!(call["error"].is_object(), "{}: {call}", case.name);
            assert!(estimate["error"].is_object(), "{}: {estimate}", case.name);
        }
        let mut sim_call = tx.clone();
        sim_call["gas"] = json!("0x1000000");
        let simulated = c.call(
            "eth_simulateV1",
            json!([{"blockStateCalls": [{"calls": [sim_call]}], "traceTransfers": true}, "latest"]),
        );
        let sim_status = &simulated[0]["calls"][0]["status"];
        let want = if case.mined_ok { "0x1" } else { "0x0" };
        assert_eq!(sim_status, &json!(want), "{}: {simulated}", case.name);
        assert_alive(&c);
    }
}

/// Init code that CREATEs a copy of itself: EVM constructor → EAM → Init → EVM constructor …,
/// three frames per level, two of them built-in actors, until the gas runs out.
#[test]
fn self_replicating_init_code_ends_cleanly_and_the_node_keeps_mining() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    // CODECOPY(0, 0, CODESIZE); CREATE(0, 0, CODESIZE); STOP
    let tx = json!({"from": DEV, "gas": "0x1000000", "data": "0x385f5f39385f5ff000"});
    let hash = c.call("eth_sendTransaction", json!([tx.clone()]));
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let depth = traced_depth(&c, &hash);
    eprintln!(
        "self-replicating init code: {depth} contracts deep, {} gas",
        hex_u64(&receipt["gasUsed"])
    );
    assert!(depth > 50, "{depth}");
    assert_alive(&c);
    let call = c.request("eth_call", json!([tx.clone(), "latest"]));
    assert!(call["result"].is_string(), "{call}");
    let estimate = c.request("eth_estimateGas", json!([tx.clone(), "latest"]));
    assert!(hex_u64(&estimate["result"]) > 1_000_000, "{estimate}");
    let simulated = c.call(
        "eth_simulateV1",
        json!([{"blockStateCalls": [{"calls": [tx]}], "traceTransfers": true}, "latest"]),
    );
    assert_eq!(
        simulated[0]["calls"][0]["status"],
        json!("0x1"),
        "{simulated}"
    );
    assert_alive(&c);
}
