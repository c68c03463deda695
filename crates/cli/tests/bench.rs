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
    // A filter runs only what it names.
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["bench", "--ms", "10", "--json", "--filter", "value"])
        .output()
        .unwrap();
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1);
}
