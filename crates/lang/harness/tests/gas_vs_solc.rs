//! The language's gas table: the Tandem Coin and ERC-20 against their Solidity twins
//! (`bench/lang/Coin.sol`, `bench/lang/Token.sol`) compiled by solc 0.8.30 with via-IR and the
//! optimizer, both run on revm. Every row (deploy, transfer to a new and to an existing holder,
//! approve, transferFrom, runtime size) must be at most 1.0× solc's; the table is printed.
//!
//! solc is solc-js from npm (the compiler ships inside the package), installed on first use
//! into `target/tmp/solc-0.8.30`; `bench/lang/compile_sol.js` compiles the twins. Without node
//! and npm the test skips with a message, and fails under `CI=true` (tandem-testkit).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolValue, sol};
use tandem_lang_harness::{Backend, Chain, addr, compile};

const SOLC: &str = "0.8.30";
const SUPPLY: u64 = 1_000_000;

sol! {
    function transfer(address to, uint256 value) returns (bool);
    function approve(address spender, uint256 value) returns (bool);
    function transferFrom(address from, address to, uint256 value) returns (bool);
    function balanceOf(address owner) returns (uint256);
    function allowance(address owner, address spender) returns (uint256);
}

/// The Tandem Coin (the brief's `coin.tdm`) and the corpus ERC-20, compiled:
/// (init code, runtime size) each.
fn tandem_contracts() -> [(Vec<u8>, usize); 2] {
    let coin_src = include_str!("../../tests/fixtures/coin.tdm");
    let (coin, _) = compile(&[("Coin.tdm", coin_src)]).unwrap_or_else(|e| panic!("{e}"));
    let coin = coin.iter().find(|o| o.name == "Coin").expect("Coin");

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/erc20/src");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tdm"))
        .collect();
    files.sort();
    let srcs: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("x.tdm");
            (
                name.to_string(),
                std::fs::read_to_string(p).expect("source"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = srcs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (token, _) = compile(&refs).unwrap_or_else(|e| panic!("erc20: {e}"));
    let token = token.iter().find(|o| o.name == "Token").expect("Token");
    [
        (coin.init_code.clone(), coin.runtime_code.len()),
        (token.init_code.clone(), token.runtime_code.len()),
    ]
}

/// The Solidity twins compiled by solc-js (via-IR, optimizer, 200 runs): (init code, runtime
/// size) for the Coin and the Token; `None` when node/npm are missing outside CI.
fn solc_contracts() -> Option<[(Vec<u8>, usize); 2]> {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("solc-{SOLC}"));
    let modules = tandem_testkit::npm_packages(&cache, &[&format!("solc@{SOLC}")])?;
    let script = tandem_testkit::workspace_dir().join("bench/lang/compile_sol.js");
    let (ok, out) = tandem_testkit::run_for(
        Command::new("node").arg(&script).env("NODE_PATH", &modules),
        Duration::from_secs(300),
    );
    assert!(ok, "compiling the Solidity twins failed:\n{out}");
    let version = json_string(&out, "solc");
    assert!(version.starts_with(SOLC), "solc {version}, expected {SOLC}");
    let code = |k: &str| hex_decode(&json_string(&out, k));
    Some([
        (code("init"), code("runtime").len()),
        (code("token_init"), code("token_runtime").len()),
    ])
}

/// A string field of compile_sol.js's one-line JSON object (`"key":"value"`).
fn json_string(text: &str, key: &str) -> String {
    let pat = format!("\"{key}\":\"");
    let start = text
        .find(&pat)
        .map(|i| i + pat.len())
        .unwrap_or_else(|| panic!("no {key} in compile_sol.js output:\n{text}"));
    let end = text[start..]
        .find('"')
        .map(|e| start + e)
        .unwrap_or_else(|| panic!("unterminated {key} in compile_sol.js output"));
    text[start..end].to_string()
}

fn hex_decode(s: &str) -> Vec<u8> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    assert!(s.len().is_multiple_of(2), "odd-length hex from solc");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex from solc"))
        .collect()
}

fn read<C: SolCall<Return = U256>>(chain: &mut Chain, at: Address, call: C) -> U256 {
    let r = chain.typed(addr(1), at, call);
    r.decode::<C>()
}

/// The rows of one token on a fresh revm chain: deploy, transfer to a new holder, to an
/// existing holder, and for the ERC-20 approve and transferFrom (a finite allowance, to an
/// existing holder); then the runtime size. The balances are checked, so both contracts are
/// known to do the same work.
fn measure(init: &[u8], runtime_len: usize, erc20: bool) -> Vec<(&'static str, u64)> {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let d = chain.deploy(alice, init, &U256::from(SUPPLY).abi_encode());
    assert!(d.success, "{d:?}");
    let at = d.created.expect("address");
    let mut rows = vec![("deploy", d.gas)];
    for row in ["transfer (new holder)", "transfer (existing holder)"] {
        let r = chain.typed(
            alice,
            at,
            transferCall {
                to: bob,
                value: U256::from(10),
            },
        );
        assert!(r.success, "{r:?}");
        rows.push((row, r.gas));
    }
    if erc20 {
        let r = chain.typed(
            alice,
            at,
            approveCall {
                spender: carol,
                value: U256::from(1_000),
            },
        );
        assert!(r.success, "{r:?}");
        rows.push(("approve", r.gas));
        let r = chain.typed(
            carol,
            at,
            transferFromCall {
                from: alice,
                to: bob,
                value: U256::from(10),
            },
        );
        assert!(r.success, "{r:?}");
        rows.push(("transferFrom", r.gas));
        let left = read(
            &mut chain,
            at,
            allowanceCall {
                owner: alice,
                spender: carol,
            },
        );
        assert_eq!(left, U256::from(990));
    }
    let bob_has = read(&mut chain, at, balanceOfCall { owner: bob });
    assert_eq!(bob_has, U256::from(if erc20 { 30 } else { 20 }));
    rows.push(("runtime size (bytes)", runtime_len as u64));
    rows
}

#[test]
fn tandem_gas_is_at_most_solc_via_ir() {
    let Some(theirs) = solc_contracts() else {
        return;
    };
    let ours = tandem_contracts();
    let mut over = Vec::new();
    println!("| contract | row | Tandem | solc {SOLC} via-IR | Tandem/solc |");
    println!("|---|---|---:|---:|---:|");
    for (k, name) in ["Coin", "ERC-20"].into_iter().enumerate() {
        let erc20 = k == 1;
        let t = measure(&ours[k].0, ours[k].1, erc20);
        let s = measure(&theirs[k].0, theirs[k].1, erc20);
        for ((row, gas), (_, sol)) in t.iter().zip(&s) {
            let ratio = *gas as f64 / *sol as f64;
            println!("| {name} | {row} | {gas} | {sol} | {ratio:.3}x |");
            if gas > sol {
                over.push(format!("{name} {row}: {gas} > {sol} ({ratio:.3}x)"));
            }
        }
    }
    assert!(
        over.is_empty(),
        "rows above 1.0x solc via-IR:\n{}",
        over.join("\n")
    );
}
