//! Async messages from the command line (docs/async.md): each `tandem send` batch is a block
//! of the embedded chain and runs the system lane first, so a message queued by one send is
//! delivered (and answered) by the next.

use crate::actors;
use crate::common;

use common::json;

#[test]
fn the_next_send_delivers_what_the_last_one_queued() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    let genesis = json(&dir, &["chain", "init", "--accounts", "1"]);
    let alice = genesis["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let module = tmp.path().join("pinger.wasm");
    std::fs::write(&module, actors::wasm("async-pinger")).unwrap();
    let installed = json(&dir, &["actor", "install", module.to_str().unwrap()]);
    let cid = installed["code_cid"].as_str().unwrap().to_string();
    let mut pingers = Vec::new();
    for _ in 0..2 {
        let created = json(&dir, &["actor", "create", &cid, "--params-json", "[]"]);
        pingers.push(created["id_address"].as_str().unwrap().to_string());
    }
    let (a, b) = (&pingers[0], &pingers[1]);
    let b_bytes: fvm_shared::address::Address = b.replacen('t', "f", 1).parse().unwrap();
    let payload =
        fvm_ipld_encoding::to_vec(&fvm_ipld_encoding::RawBytes::new(b"hi".to_vec())).unwrap();
    let echo = tandem_vm::frc42::method_number("Echo").unwrap();
    let params = format!(
        r#"[{{"bytes":"0x{}"}}, {echo}, 113, {{"bytes":"0x{}"}}, {{"bigint":"0"}}, 1000000, 500000]"#,
        hex::encode(b_bytes.to_bytes()),
        hex::encode(&payload)
    );
    let send = |to: &str, method: &str, params: &str| {
        json(
            &dir,
            &[
                "send",
                "--from",
                &alice,
                "--to",
                to,
                "--method-name",
                method,
                "--params-json",
                params,
            ],
        )
    };
    let received = |who: &str| {
        json(&dir, &["call", "--to", who, "--method-name", "Received"])["return_decoded"].clone()
    };
    let sent = send(a, "SendAsync", &params);
    assert_eq!(sent["exit_code"], 0, "{sent}");
    assert_eq!(sent["return_decoded"], 0, "the message's id");
    assert_eq!(received(b), serde_json::json!([]), "queued, not delivered");
    // The next batch's lane delivers it (and the reply), before this message runs.
    let sent = send(b, "Ticks", "[]");
    assert_eq!(sent["exit_code"], 0, "{sent}");
    let got = received(b);
    assert_eq!(got.as_array().map(Vec::len), Some(1), "{got}");
    let replies = json(&dir, &["call", "--to", a, "--method-name", "Replies"]);
    assert_eq!(
        replies["return_decoded"].as_array().map(Vec::len),
        Some(1),
        "{replies}"
    );
}
