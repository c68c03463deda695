//! Gas of the Coin and the ERC-20 against their Solidity twins.

use super::erc20::*;
use super::*;

/// Gas of the same calls on a deployed token: deploy, transfer to a new holder, to an
/// existing holder, and for the ERC-20 approve and transferFrom (a finite allowance, to an
/// existing holder); then the runtime size.
pub(super) fn measure(init: &[u8], runtime_len: usize, erc20: bool) -> Vec<(&'static str, u64)> {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let d = chain.deploy(alice, init, &U256::from(SUPPLY).abi_encode());
    assert!(d.success, "{d:?}");
    let at = d.created.unwrap();
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
        assert_eq!(allowance(&mut chain, at, alice, carol), U256::from(990));
        rows.push(("transferFrom", r.gas));
    }
    assert_eq!(
        balance(&mut chain, at, bob),
        U256::from(if erc20 { 30 } else { 20 })
    );
    rows.push(("runtime size (bytes)", runtime_len as u64));
    rows
}

/// A hex field of solc's JSON output (`"key":"hex"`).
pub(super) fn sol_field(text: &str, key: &str) -> Vec<u8> {
    let pat = format!("\"{key}\":\"");
    let Some(start) = text.find(&pat).map(|i| i + pat.len()) else {
        panic!("no {key} in solc output");
    };
    let end = text[start..].find('"').map(|e| start + e).unwrap_or(start);
    (start..end)
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[test]
fn gas_table() {
    let coin_src = include_str!("../../../tests/fixtures/coin.tdm");
    let (coin, _) = compile(&[("Coin.tdm", coin_src)]).unwrap_or_else(|e| panic!("{e}"));
    let coin = coin.iter().find(|o| o.name == "Coin").expect("Coin");
    let (token, _) = build("erc20");
    let token = token.iter().find(|o| o.name == "Token").expect("Token");
    let ours = [
        (
            "Coin",
            measure(&coin.init_code, coin.runtime_code.len(), false),
        ),
        (
            "ERC-20",
            measure(&token.init_code, token.runtime_code.len(), true),
        ),
    ];
    let theirs = std::env::var("SOL_OUT").ok().map(|path| {
        let text = std::fs::read_to_string(path).expect("solc output");
        let (ci, cr) = (sol_field(&text, "init"), sol_field(&text, "runtime"));
        let (ti, tr) = (
            sol_field(&text, "token_init"),
            sol_field(&text, "token_runtime"),
        );
        [measure(&ci, cr.len(), false), measure(&ti, tr.len(), true)]
    });
    println!("| contract | row | Tandem | solc via-IR | Tandem/solc |");
    println!("|---|---|---:|---:|---:|");
    for (k, (name, rows)) in ours.iter().enumerate() {
        for (i, (row, gas)) in rows.iter().enumerate() {
            match &theirs {
                Some(t) => {
                    let sol = t[k][i].1;
                    println!(
                        "| {name} | {row} | {gas} | {sol} | {:.3}x |",
                        *gas as f64 / sol as f64
                    );
                }
                None => println!("| {name} | {row} | {gas} | - | - |"),
            }
        }
    }
}
