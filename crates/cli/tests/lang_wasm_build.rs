//! `tandem build --target all` through the real binary: a new package builds to the EVM
//! artifact and a native actor (`<Contract>.wasm` beside the JSON, whose `wasm` section holds
//! the FRC-0042 method table). The module is then validated the only way that counts: the
//! same binary installs it on a chain (the WASM runtime's install-time validation), creates
//! the actor with DAG-CBOR constructor params and sends it the methods the table names.

use crate::common;

use common::{BIN, json};
use fvm_shared::address::Address;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::str::FromStr;

fn in_dir(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running tandem")
}

fn ok(o: Output, what: &str) -> Output {
    assert!(
        o.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A CBOR byte-string head and the bytes.
fn cbor_bytes(b: &[u8]) -> String {
    assert!(b.len() < 256);
    let head = if b.len() < 24 {
        format!("{:02x}", 0x40 + b.len())
    } else {
        format!("58{:02x}", b.len())
    };
    format!("{head}{}", hex::encode(b))
}

fn method(table: &Value, variant: &str) -> u64 {
    table["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["variant"] == variant)
        .unwrap_or_else(|| panic!("no {variant} in {table}"))["method"]
        .as_u64()
        .unwrap()
}

#[test]
fn build_target_all_writes_an_installable_actor_and_its_method_table() {
    let tmp = tempfile::tempdir().unwrap();
    ok(in_dir(tmp.path(), &["init", "coin"]), "tandem init");
    let pkg = tmp.path().join("coin");
    let build = ok(in_dir(&pkg, &["build", "--target", "all"]), "tandem build");
    let log = String::from_utf8_lossy(&build.stderr);
    assert!(log.contains("Coin.wasm"), "{log}");

    let out = pkg.join("out/Coin.tdm");
    let artifact: Value =
        serde_json::from_slice(&std::fs::read(out.join("Coin.json")).unwrap()).unwrap();
    let wasm = std::fs::read(out.join("Coin.wasm")).expect("Coin.wasm beside the JSON");
    // both targets in one artifact
    assert!(artifact["bytecode"]["object"].as_str().unwrap().len() > 2);
    assert_eq!(
        artifact["methodIdentifiers"]["transfer(address,uint256)"],
        "a9059cbb"
    );
    let table = &artifact["wasm"];
    assert_eq!(table["file"], "Coin.wasm");
    assert_eq!(table["size"].as_u64(), Some(wasm.len() as u64));
    assert_eq!(table["constructor"], 1);
    assert_eq!(&wasm[..8], b"\0asm\x01\0\0\0", "a WASM binary, version 1");
    let variants: Vec<&str> = table["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["variant"].as_str().unwrap())
        .collect();
    assert_eq!(variants, ["BalanceOf", "Transfer", "TotalSupply"]);

    // --target wasm alone writes the module and a JSON without EVM bytecode
    let wasm_only = tmp.path().join("wasm-only");
    ok(in_dir(tmp.path(), &["init", "wasm-only"]), "tandem init");
    ok(
        in_dir(&wasm_only, &["build", "--target", "wasm"]),
        "tandem build",
    );
    let only: Value =
        serde_json::from_slice(&std::fs::read(wasm_only.join("out/Coin.tdm/Coin.json")).unwrap())
            .unwrap();
    assert!(only.get("bytecode").is_none() && only["wasm"]["methods"].is_array());
    assert_eq!(
        std::fs::read(wasm_only.join("out/Coin.tdm/Coin.wasm")).unwrap(),
        wasm,
        "the same module from the same source"
    );

    // install, create and call it with the real binary
    let data = tmp.path().join("chain");
    let genesis = json(&data, &["chain", "init", "--accounts", "2"]);
    let alice = genesis["accounts"][0]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = genesis["accounts"][1]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let module = out.join("Coin.wasm");
    // (install's default gas limit, 100M, is above the block gas limit of 30M)
    let installed = json(
        &data,
        &[
            "actor",
            "install",
            module.to_str().unwrap(),
            "--gas-limit",
            "30000000",
        ],
    );
    let cid = installed["code_cid"].as_str().unwrap().to_string();
    // constructor params [1000] (a u256 is BigInt bytes: sign 0, then 0x03e8)
    let created = json(
        &data,
        &["actor", "create", &cid, "--params-hex", "81430003e8"],
    );
    let actor = created["id_address"].as_str().unwrap().to_string();
    let send = |method: u64, params: &str| {
        let mut args = vec!["send", "--from", &alice, "--to", &actor];
        let m = method.to_string();
        args.extend(["--method", &m]);
        if !params.is_empty() {
            args.extend(["--params-hex", params]);
        }
        let r = json(&data, &args);
        assert_eq!(r["exit_code"], 0, "method {method}: {r}");
        r["return"].as_str().unwrap().to_string()
    };
    // a u256 reply is a BigInt byte string: sign byte 0, then 0x03e8
    assert_eq!(send(method(table, "TotalSupply"), ""), "430003e8");
    let bob_bytes = Address::from_str(&bob).unwrap().to_bytes();
    let transfer = format!("82{}420064", cbor_bytes(&bob_bytes));
    assert_eq!(send(method(table, "Transfer"), &transfer), "f5");
    let balance_of = format!("81{}", cbor_bytes(&bob_bytes));
    assert_eq!(send(method(table, "BalanceOf"), &balance_of), "420064");
    // the table's numbers are FRC-0042's: the same call by name
    let by_name = json(
        &data,
        &[
            "send",
            "--from",
            &alice,
            "--to",
            &actor,
            "--method-name",
            "TotalSupply",
        ],
    );
    assert_eq!(by_name["exit_code"], 0);
    assert_eq!(by_name["return"], "430003e8");
}
