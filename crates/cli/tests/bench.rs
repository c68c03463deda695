//! `tandem bench` end to end with the real binary: every workload runs, the EVM rows charge
//! exactly the gas of their plain-revm twins, and the ratios name their peers.

use std::process::Command;

use serde_json::Value;

#[test]
fn bench_runs_every_workload_and_compares_with_peers() {
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["bench", "--ms", "30", "--json"])
        .output()
        .expect("running tandem bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON rows");
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .clone()
    };
    for name in [
        "value-transfer",
        "native-empty-call",
        "native-token-transfer",
        "wasm-erc20-transfer",
        "evm-erc20-transfer",
        "revm-erc20-transfer",
        "evm-storage-loop",
        "revm-storage-loop",
        "evm-empty-call",
    ] {
        let r = row(name);
        assert!(r["ns_per_op"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["gas_per_op"].as_u64().unwrap() >= 21_000, "{r}");
    }
    assert_eq!(
        row("evm-erc20-transfer")["gas_per_op"],
        row("revm-erc20-transfer")["gas_per_op"]
    );
    assert_eq!(row("evm-erc20-transfer")["peer"], "revm-erc20-transfer");
    assert_eq!(row("native-empty-call")["peer"], "evm-empty-call");
    assert!(row("native-token-transfer")["ratio"].as_f64().unwrap() > 0.0);
    assert_eq!(row("wasm-erc20-transfer")["peer"], "evm-erc20-transfer");
    // A filter runs only what it names.
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["bench", "--ms", "10", "--json", "--filter", "value"])
        .output()
        .unwrap();
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1);
}

/// `tandem bench --calibrate`: every row measured, priced and classified; the compute rows
/// carry their ratio to the common rate, the storage and state rows do not; the table prints.
#[test]
fn calibrate_measures_every_row_against_the_clock() {
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["bench", "--calibrate", "--ms", "20", "--json"])
        .output()
        .expect("running tandem bench --calibrate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: Value = serde_json::from_slice(&out.stdout).expect("JSON calibration");
    assert!(c["common_ns_per_gas"].as_f64().unwrap() > 0.0, "{c}");
    let rows = c["rows"].as_array().unwrap();
    assert!(rows.len() >= 30, "{} rows", rows.len());
    for r in rows {
        assert!(r["gas_per_unit"].as_f64().unwrap() > 0.0, "{r}");
        match r["kind"].as_str().unwrap() {
            "compute" => assert!(r["ratio"].as_f64().is_some(), "{r}"),
            "storage" | "state" => assert!(r["ratio"].is_null(), "{r}"),
            other => panic!("unknown kind {other}"),
        }
    }
    for name in [
        "i64 mul/add/xor",
        "slot_get, warm",
        "instantiate: data segment",
    ] {
        assert!(rows.iter().any(|r| r["name"] == name), "no row {name}");
    }
    // The Markdown table, filtered.
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["bench", "--calibrate", "--ms", "10", "--filter", "keccak"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("| keccak-256, 64 KiB | compute | byte |"),
        "{table}"
    );
    assert_eq!(
        table.lines().filter(|l| l.starts_with("| keccak")).count(),
        2
    );
}
