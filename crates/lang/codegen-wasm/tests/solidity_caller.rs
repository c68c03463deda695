//! A contract written in Solidity and compiled by solc calls the native build of a Tandem
//! contract through an ordinary Solidity interface (issue 13: "a Solidity contract … calls
//! the native one"). The corpus ERC-20's WASM build runs as a native actor; `Relay` holds an
//! `IERC20` and calls `transfer` and `balanceOf` on the actor's masked-ID address, which reach
//! it as `InvokeEVM`. The actor's events land in the relay's transaction, and its custom
//! error comes back through Solidity's revert bubbling.
//!
//! solc is solc-js from npm, installed on first use into `target/tmp/solc-<version>` (the
//! gas table's cache). Without node and npm the test skips with a message, and fails under
//! `CI=true` (tandem-testkit).

use crate::common;

use std::path::PathBuf;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{U256, hex, keccak256};
use common::{ALICE, BOB, Dual, addr, cbor, masked};
use tandem_lang_ir::{ValTy, WordTy};

const SOLC: &str = "0.8.30";

const RELAY: &str = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IERC20 {
    function transfer(address to, uint256 value) external returns (bool);
    function balanceOf(address owner) external view returns (uint256);
}

contract Relay {
    error TransferRefused();

    function pay(IERC20 token, address to, uint256 value) external returns (uint256) {
        if (!token.transfer(to, value)) revert TransferRefused();
        return token.balanceOf(to);
    }

    function held(IERC20 token) external view returns (uint256) {
        return token.balanceOf(address(this));
    }
}
"#;

/// Compiles `Relay` with solc-js; `None` when node/npm are missing outside CI.
fn relay_init_code() -> Option<Vec<u8>> {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("solc-{SOLC}"));
    let built = tandem_testkit::solc_js(&cache, SOLC, RELAY, false)?;
    Some(tandem_testkit::solc_contract(&built, "Relay").to_vec())
}

fn u(n: u64) -> DynSolValue {
    DynSolValue::Uint(U256::from(n), 256)
}

fn abi(vs: Vec<DynSolValue>) -> Vec<u8> {
    DynSolValue::Tuple(vs).abi_encode_params()
}

fn calldata(sig: &str, args: Vec<DynSolValue>) -> Vec<u8> {
    let mut data = keccak256(sig.as_bytes())[..4].to_vec();
    data.extend(abi(args));
    data
}

#[test]
fn a_solidity_contract_calls_the_native_build() {
    let Some(relay_init) = relay_init_code() else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../harness/fixtures/corpus/erc20/src");
    let src = std::fs::read_to_string(dir.join("Token.tdm")).unwrap();
    let wasm = tandem_lang_driver::compile_wasm(&[("Token.tdm".into(), src)]).unwrap();
    let mut d = Dual::new();
    let alice = addr(ALICE);
    let ctor = cbor::params(&d, &[u(1000)], &[ValTy::Word(WordTy::Uint(256))]).unwrap();
    let (id, _) = d
        .deploy_native(alice, &wasm[0].wasm, ctor, U256::ZERO)
        .unwrap();
    let token = DynSolValue::Address(masked(id));

    let (seen, relay) = d.eth(alice, None, relay_init, U256::ZERO);
    assert!(seen.success, "deploying the solc-built relay failed");
    let relay = relay.expect("a created address");
    // Alice gives the relay 300 tokens (an Ethereum transaction to the native actor).
    let give = calldata(
        "transfer(address,uint256)",
        vec![DynSolValue::Address(relay), u(300)],
    );
    let (seen, _) = d.eth(alice, Some(masked(id)), give, U256::ZERO);
    assert!(seen.success);

    // The relay pays Bob 120 through IERC20.transfer and reads his balance back.
    let bob = DynSolValue::Address(addr(BOB));
    let pay = |v: u64| {
        calldata(
            "pay(address,address,uint256)",
            vec![token.clone(), bob.clone(), u(v)],
        )
    };
    let (seen, _) = d.eth(alice, Some(relay), pay(120), U256::ZERO);
    assert!(seen.success, "pay: {:?}", seen.output.map(hex::encode));
    assert_eq!(seen.output, Some(abi(vec![u(120)])));
    // The native actor's ERC-20 Transfer event is in the relay's transaction.
    let transfer_topic = keccak256("Transfer(address,address,uint256)");
    assert_eq!(seen.logs.len(), 1, "one Transfer from the actor");
    assert_eq!(seen.logs[0].0[0], transfer_topic);
    assert_eq!(seen.logs[0].1, abi(vec![u(120)]));

    // A view through the interface (STATICCALL into the native actor).
    let (seen, _) = d.eth(
        alice,
        Some(relay),
        calldata("held(address)", vec![token.clone()]),
        U256::ZERO,
    );
    assert_eq!(seen.output, Some(abi(vec![u(180)])));

    // Too much: the actor's ERC20InsufficientBalance(relay, 180, 500) bubbles up through
    // Solidity's call unchanged, and nothing moves.
    let (seen, _) = d.eth(alice, Some(relay), pay(500), U256::ZERO);
    let mut want = keccak256("ERC20InsufficientBalance(address,uint256,uint256)")[..4].to_vec();
    want.extend(abi(vec![DynSolValue::Address(relay), u(180), u(500)]));
    assert_eq!((seen.success, seen.output), (false, Some(want)));
    let (seen, _) = d.eth(
        alice,
        Some(masked(id)),
        calldata("balanceOf(address)", vec![bob.clone()]),
        U256::ZERO,
    );
    assert_eq!(seen.output, Some(abi(vec![u(120)])));
}
