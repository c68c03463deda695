//! The CLI speaks an actor's schema, through the real binary and the token example (built
//! to WASM here): `tandem abi encode` then `decode` round-trip; `tandem send`/`call` take
//! named JSON params and print the return and the event with their field names; and the
//! token's typed `Transfer` event is, byte for byte, the Ethereum log alloy-sol-types
//! encodes for ERC-20's `Transfer` (the node serves logs through the same `eth_logs`).

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use alloy_sol_types::{SolEvent, sol};
use common::{json, tandem};
use serde_json::json;

sol! {
    event Transfer(address indexed from, address indexed to, uint256 value);
}

/// The token example's module, built once per run into a target dir of its own (with the
/// actor profile every actor builder uses).
fn token_wasm() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = root.join("target/abi-actors");
    std::fs::create_dir_all(&target).unwrap();
    let lock = std::fs::File::create(target.join(".build-lock")).unwrap();
    lock.lock().unwrap();
    let status = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .arg("--target-dir")
        .arg(&target)
        .args(["-p", "token-actor"])
        .envs(tandem_actor_test::profile::actor_profile_env())
        .env_remove("RUSTFLAGS")
        .status()
        .expect("running cargo");
    assert!(status.success(), "building the token example failed");
    target.join("wasm32-unknown-unknown/release/token_actor.wasm")
}

#[test]
fn abi_encode_then_decode_round_trips() {
    let wasm = token_wasm();
    let wasm = wasm.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");

    let schema = json(&dir, &["abi", "show", wasm]);
    let transfer = schema["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Transfer")
        .expect("Transfer in the schema")
        .clone();
    assert_eq!(
        transfer["number"],
        tandem_sdk::method_hash!("Transfer"),
        "{transfer}"
    );
    assert_eq!(
        schema["events"][0]["signature"],
        "Transfer(address,address,uint256)"
    );

    let params = r#"{"to": "f0101", "amount": "250"}"#;
    let encoded = json(&dir, &["abi", "encode", wasm, "Transfer", params]);
    let hex_params = encoded["params"].as_str().unwrap().to_string();
    // the bytes the SDK's derive gives the same struct
    let expected =
        tandem_sdk::cbor::to_vec(&(tandem_sdk::Address::id(101), tandem_sdk::TokenAmount(250)));
    assert_eq!(hex_params, hex::encode(&expected));

    let decoded = json(
        &dir,
        &["abi", "decode", wasm, "Transfer", "--params", &hex_params],
    );
    assert_eq!(decoded, json!({"to": "f0101", "amount": "250"}));
    let ret = hex::encode(tandem_sdk::cbor::to_vec(&999_750u128));
    let decoded = json(&dir, &["abi", "decode", wasm, "Transfer", "--return", &ret]);
    assert_eq!(decoded, json!("999750"));

    // by number, and the text form is the hex
    let number = transfer["number"].to_string();
    let out = tandem(&dir, &["abi", "encode", wasm, &number, params]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("0x{hex_params}")
    );

    // mistakes are named, nothing panics
    for (args, want) in [
        (
            vec!["encode", wasm, "Transfer", r#"{"to": "f0101"}"#],
            "missing field",
        ),
        (
            vec![
                "encode",
                wasm,
                "Transfer",
                r#"{"to": "f0101", "amount": "1", "x": 1}"#,
            ],
            "unknown field",
        ),
        (vec!["encode", wasm, "Nope", "{}"], "no method"),
        (
            vec!["decode", wasm, "Transfer", "--params", "ffff"],
            "decoding",
        ),
    ] {
        let mut full = vec!["abi"];
        full.extend(args);
        let out = tandem(&dir, &full);
        assert!(!out.status.success(), "{full:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want) && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn send_takes_named_params_and_the_typed_event_is_the_ethereum_log() {
    let wasm = token_wasm();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    let genesis = json(&dir, &["chain", "init", "--accounts", "2"]);
    let account = |i: usize| {
        genesis["accounts"][i]["address"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (alice, bob) = (account(0), account(1));
    let installed = json(&dir, &["actor", "install", wasm.to_str().unwrap()]);
    let code = installed["code_cid"].as_str().unwrap().to_string();
    let created = json(
        &dir,
        &[
            "actor",
            "create",
            &code,
            "--params-json",
            r#"["Tandem Token", "TDM", {"bigint": "1000000"}]"#,
        ],
    );
    let token = created["id_address"].as_str().unwrap().to_string();
    // the schema of an installed actor and of its code, read from the state
    for target in [&token, &code] {
        let schema = json(&dir, &["abi", "show", target]);
        assert_eq!(schema["methods"][0]["name"], "Constructor");
    }

    let params = json!({"to": bob, "amount": "250"}).to_string();
    let sent = json(
        &dir,
        &[
            "send",
            "--from",
            &alice,
            "--to",
            &token,
            "--method-name",
            "Transfer",
            "--params-json",
            &params,
        ],
    );
    assert_eq!(sent["exit_code"], 0, "{sent}");
    assert_eq!(sent["return_named"], "999750");

    // The event by the token's schema, and as the Ethereum log the node serves.
    let eth = |a: &str| json(&dir, &["state", "actor", a])["eth_address"].clone();
    let (from, to) = (eth(&alice), eth(&bob));
    assert_eq!(
        sent["events"][0]["named"],
        json!({"event": "Transfer", "from": from, "to": to, "value": "250"}),
        "{sent}"
    );
    let expected = Transfer {
        from: from.as_str().unwrap().parse().unwrap(),
        to: to.as_str().unwrap().parse().unwrap(),
        value: alloy_sol_types::private::U256::from(250u64),
    }
    .encode_log_data();
    let log = &sent["logs"][0];
    let topics: Vec<String> = expected.topics().iter().map(|t| t.to_string()).collect();
    assert_eq!(log["topics"], json!(topics), "{sent}");
    assert_eq!(log["data"], format!("0x{}", hex::encode(&expected.data)));
    assert_eq!(
        log["address"],
        json(&dir, &["state", "actor", &token])["eth_address"]
    );

    // a read-only call with named params, and the text form with names
    let called = json(
        &dir,
        &[
            "call",
            "--to",
            &token,
            "--method-name",
            "BalanceOf",
            "--params-json",
            &json!({"owner": bob}).to_string(),
        ],
    );
    assert_eq!(called["return_named"], "250");
    let out = tandem(
        &dir,
        &[
            "send",
            "--from",
            &alice,
            "--to",
            &token,
            "--method-name",
            "Transfer",
            "--params-json",
            &params,
            "--gas",
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("named      \"999500\""), "{text}");
    assert!(text.contains(r#"{"event":"Transfer""#), "{text}");
    // `--gas`: where the gas went, by price-list operation.
    assert!(text.contains("gas charged: "), "{text}");
    assert!(
        text.contains("wasm_exec") && text.contains("slot_set"),
        "{text}"
    );

    // The same with --json, on a read-only call: the charges add up to its gas used.
    let called = json(
        &dir,
        &[
            "call",
            "--to",
            &token,
            "--method-name",
            "BalanceOf",
            "--params-json",
            &json!({"owner": bob}).to_string(),
            "--gas",
        ],
    );
    let charges = &called["gas_charges"];
    let total: f64 = charges["total"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        total.ceil() as u64,
        called["gas_used"].as_u64().unwrap(),
        "{called}"
    );
    assert_eq!(charges["message"][0]["name"], "message", "{called}");
    let frame = &charges["frames"][0];
    assert_eq!(frame["runtime"], "wasm", "{called}");
    let slot_gets: Vec<_> = frame["charges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "slot_get")
        .collect();
    assert_eq!(slot_gets.len(), 1, "one entry per name: {called}");
    assert_eq!(slot_gets[0]["count"], 1, "one balance read: {called}");
}
