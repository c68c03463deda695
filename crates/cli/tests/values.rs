//! A CLI that speaks values, through the real binary: `--params-json` encodes to DAG-CBOR,
//! returns come back decoded, a failed message exits non-zero with its exit code by name and
//! its decoded abort message, `tandem call` changes nothing, and `--debug` shows the actor's
//! `debug_log` lines without changing what `tandem send` commits.

use crate::common;

use std::path::Path;

use common::{json, tandem};
use serde_json::json;

/// Method 1: constructor. Method 2: logs "echo called" and returns its params. Any other
/// method aborts with USR_FORBIDDEN (18) and "only the arbiter".
const ECHO: &str = r#"(module
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (import "tandem_v1" "debug_log" (func $log (param i32 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_create" (func $block (param i64 i32 i32 i32) (result i32)))
  (import "tandem_v1" "event_emit" (func $emit (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "echo called")
  ;; one event, one entry: [[3, "who", 0x71, bytes(cbor 7)]]
  (data (i32.const 300) "\81\84\03\63who\18\71\41\07")
  (data (i32.const 200) "only the arbiter")
  (func (export "invoke") (param $p i32) (result i32)
    (local $m i64)
    (drop (call $ctx (i32.const 1000)))
    (local.set $m (i64.load (i32.const 1024)))
    (if (i64.eq (local.get $m) (i64.const 1)) (then (return (i32.const 0))))
    (if (i64.eq (local.get $m) (i64.const 2))
      (then
        (drop (call $log (i32.const 100) (i32.const 11)))
        (drop (call $block (i64.const 0x71) (i32.const 300) (i32.const 11) (i32.const 400)))
        (drop (call $emit (i32.load (i32.const 400))))
        (return (local.get $p))))
    (drop (call $abort (i32.const 18) (i32.const 0) (i32.const 200) (i32.const 16)))
    (i32.const 0)))"#;

struct Chain {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    alice: String,
    echo: String,
}

fn setup() -> Chain {
    setup_with(ECHO)
}

/// A chain with two dev accounts and an actor of `module` (WAT), created.
fn setup_with(module_wat: &str) -> Chain {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    let genesis = json(&dir, &["chain", "init", "--accounts", "2"]);
    let alice = genesis["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let module = tmp.path().join("echo.wasm");
    std::fs::write(&module, wat::parse_str(module_wat).unwrap()).unwrap();
    let installed = json(
        &dir,
        &[
            "actor",
            "install",
            // The default gas limit must fit the block gas limit.
            module.to_str().unwrap(),
        ],
    );
    let cid = installed["code_cid"].as_str().unwrap();
    let created = json(&dir, &["actor", "create", cid]);
    let echo = created["id_address"].as_str().unwrap().to_string();
    Chain {
        _tmp: tmp,
        dir,
        alice,
        echo,
    }
}

fn nonce(dir: &Path, addr: &str) -> serde_json::Value {
    json(dir, &["state", "actor", addr])["nonce"].clone()
}

const PARAMS: &str = r#"[7, -1, "hi", {"bytes":"0xcafe"}, {"address":"t01234"},
    {"bigint":"1000000000000000000000"}, null, true, {"b": [], "aa": 1}]"#;

fn expected_return() -> serde_json::Value {
    json!([7, -1, "hi", {"bytes": "0xcafe"}, {"bytes": "0x00d209"},
        {"bytes": "0x003635c9adc5dea00000"}, null, true, {"b": [], "aa": 1}])
}

#[test]
fn send_encodes_json_params_and_decodes_the_return() {
    let c = setup();
    let sent = json(
        &c.dir,
        &[
            "send",
            "--from",
            &c.alice,
            "--to",
            &c.echo,
            "--method",
            "2",
            "--params-json",
            PARAMS,
        ],
    );
    assert_eq!(sent["exit_code"], 0);
    assert_eq!(sent["exit"], "OK (0)");
    assert_eq!(sent["return_decoded"], expected_return());
    // the event comes back entry by entry, its CBOR value decoded
    let entry = &sent["events"][0]["entries"][0];
    assert_eq!(entry["key"], "who", "{sent}");
    assert_eq!(entry["value"], "07");
    assert_eq!(entry["decoded"], 7);
    // text output shows the decoded value and the event too
    let out = tandem(
        &c.dir,
        &[
            "send",
            "--from",
            &c.alice,
            "--to",
            &c.echo,
            "--method",
            "2",
            "--params-json",
            "[1]",
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("decoded    [1]"), "{text}");
    assert!(text.contains(": who=7"), "{text}");
    // bad JSON is refused before anything is sent
    let bad = tandem(
        &c.dir,
        &[
            "send",
            "--from",
            &c.alice,
            "--to",
            &c.echo,
            "--method",
            "2",
            "--params-json",
            "[1.5]",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bigint"));
}

#[test]
fn a_failed_send_exits_non_zero_with_its_decoded_reason() {
    let c = setup();
    let before = nonce(&c.dir, &c.alice);
    let out = tandem(
        &c.dir,
        &["send", "--from", &c.alice, "--to", &c.echo, "--method", "3"],
    );
    assert!(!out.status.success(), "a failed message exits non-zero");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failed: USR_FORBIDDEN (18): only the arbiter"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("reason     only the arbiter"), "{text}");
    // The message was applied and committed all the same (the nonce moved).
    assert_eq!(nonce(&c.dir, &c.alice), before.as_u64().unwrap() + 1);
    // --json: the receipt on stdout, still a non-zero exit
    let out = tandem(
        &c.dir,
        &[
            "--json", "send", "--from", &c.alice, "--to", &c.echo, "--method", "3",
        ],
    );
    assert!(!out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["exit_code"], 18);
    assert_eq!(r["exit"], "USR_FORBIDDEN (18)");
    assert_eq!(r["reason"], "only the arbiter");
    assert_eq!(r["return_decoded"], serde_json::Value::Null);
}

#[test]
fn call_is_read_only_and_debug_shows_the_actors_log() {
    let c = setup();
    let root = json(&c.dir, &["state", "root"])["state_root"].clone();
    let before = nonce(&c.dir, &c.alice);
    let called = json(
        &c.dir,
        &[
            "call",
            "--to",
            &c.echo,
            "--method",
            "2",
            "--params-json",
            PARAMS,
        ],
    );
    assert_eq!(called["return_decoded"], expected_return());
    assert!(called.get("message").is_none() && called.get("state_root").is_none());
    assert_eq!(json(&c.dir, &["state", "root"])["state_root"], root);
    assert_eq!(nonce(&c.dir, &c.alice), before, "a call moves no nonce");

    // --debug turns debug_log on for this message only
    let quiet = tandem(&c.dir, &["call", "--to", &c.echo, "--method", "2"]);
    assert!(quiet.status.success());
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("echo called"));
    let loud = tandem(
        &c.dir,
        &["call", "--to", &c.echo, "--method", "2", "--debug"],
    );
    assert!(loud.status.success());
    let err = String::from_utf8_lossy(&loud.stderr);
    assert!(err.contains("echo called"), "{err}");
    let sent = tandem(
        &c.dir,
        &[
            "send", "--from", &c.alice, "--to", &c.echo, "--method", "2", "--debug",
        ],
    );
    assert!(String::from_utf8_lossy(&sent.stderr).contains("echo called"));

    // a failing call exits non-zero with the reason, and still changes nothing
    let out = tandem(&c.dir, &["call", "--to", &c.echo, "--method", "3"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("call failed: USR_FORBIDDEN (18): only the arbiter"),
        "{err}"
    );
}

/// Method 2 writes slot 0 only when debugging is on, and logs "debugging".
const DEBUG_SENSITIVE: &str = r#"(module
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (import "tandem_v1" "debug_enabled" (func $debugging (result i32)))
  (import "tandem_v1" "debug_log" (func $log (param i32 i32) (result i32)))
  (import "tandem_v1" "slot_set" (func $set (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "debugging")
  (func (export "invoke") (param i32) (result i32)
    (drop (call $ctx (i32.const 1000)))
    (if (i64.ne (i64.load (i32.const 1024)) (i64.const 2)) (then (return (i32.const 0))))
    (if (i32.eqz (call $debugging)) (then (return (i32.const 0))))
    (drop (call $log (i32.const 100) (i32.const 9)))
    (i32.store8 (i32.const 95) (i32.const 1))
    (drop (call $set (i32.const 0) (i32.const 64)))
    (i32.const 0)))"#;

/// An actor can see whether debugging is on, so a `send --debug` that kept its debugging
/// run would commit a state that depends on a flag of one command. It shows the run's logs
/// and commits the run without it.
#[test]
fn send_with_debug_commits_what_a_send_without_it_commits() {
    let root = |c: &Chain| json(&c.dir, &["state", "root"])["state_root"].clone();
    let (plain, debugged) = (setup_with(DEBUG_SENSITIVE), setup_with(DEBUG_SENSITIVE));
    assert_eq!(root(&plain), root(&debugged), "the two set-ups agree");
    let send = |c: &Chain, extra: &[&str]| {
        let mut args = vec!["send", "--from", &c.alice, "--to", &c.echo, "--method", "2"];
        args.extend_from_slice(extra);
        let out = tandem(&c.dir, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let quiet = send(&plain, &[]);
    assert!(!quiet.contains("debugging"), "{quiet}");
    let loud = send(&debugged, &["--debug"]);
    assert!(
        loud.contains("debugging"),
        "the debugging run's log is shown: {loud}"
    );
    assert_eq!(
        root(&plain),
        root(&debugged),
        "--debug changed the committed state"
    );
}
