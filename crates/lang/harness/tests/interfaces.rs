//! Interfaces against Solidity: features/interfaces.tdm's `contract Token: Erc20` and its
//! `Payer` (which holds an `Address<Erc20>` handle) meet contracts solc-js builds from a
//! Solidity `IErc20` with the same three functions. A Solidity caller reaches the Tandem token
//! through `IErc20` alone, and the Tandem payer's handle reaches a Solidity token: the
//! selectors on both sides are the ones solc derives from the interface.
//!
//! solc is solc-js from npm, installed on first use into `target/tmp/solc-<version>`; without
//! node and npm the test skips with a message, and fails under `CI=true` (tandem-testkit).

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256, keccak256};
use std::path::{Path, PathBuf};
use tandem_lang_harness::{Backend, Chain, addr, compile};

const SOLC: &str = "0.8.30";

const SOLIDITY: &str = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IErc20 {
    function balanceOf(address owner) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function totalSupply() external view returns (uint256);
}

contract SolToken is IErc20 {
    mapping(address => uint256) public override balanceOf;
    uint256 public override totalSupply;
    constructor(uint256 v) { balanceOf[msg.sender] = v; totalSupply = v; }
    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value);
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        return true;
    }
}

contract SolHolder {
    function pay(IErc20 t, address to, uint256 v) external returns (bool) { return t.transfer(to, v); }
    function held(IErc20 t) external view returns (uint256) { return t.balanceOf(address(this)); }
    function supply(IErc20 t) external view returns (uint256) { return t.totalSupply(); }
}
"#;

fn word(n: u64) -> DynSolValue {
    DynSolValue::Uint(U256::from(n), 256)
}

fn calldata(sig: &str, args: Vec<DynSolValue>) -> Vec<u8> {
    let mut data = keccak256(sig.as_bytes())[..4].to_vec();
    data.extend(DynSolValue::Tuple(args).abi_encode_params());
    data
}

/// Calls and requires success; the reply as one word.
fn call(chain: &mut Chain, to: Address, sig: &str, args: Vec<DynSolValue>) -> U256 {
    let r = chain.call(addr(1), to, calldata(sig, args));
    assert!(r.success, "{sig} failed: {r:?}");
    if r.output.is_empty() {
        return U256::ZERO;
    }
    U256::from_be_slice(&r.output[..32])
}

fn deploy(chain: &mut Chain, init: &[u8], args: Vec<DynSolValue>) -> Address {
    let r = chain.deploy(addr(1), init, &DynSolValue::Tuple(args).abi_encode_params());
    assert!(r.success, "{r:?}");
    r.created.expect("created")
}

#[test]
fn an_interface_has_soliditys_selectors_both_ways() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features/interfaces.tdm");
    let src = std::fs::read_to_string(path).expect("fixture");
    let (ours, module) = compile(&[("interfaces.tdm", &src)]).unwrap_or_else(|e| panic!("{e}"));
    // The token's handlers carry the interface's signatures (besides its own `mint`).
    let token_meta = module
        .contracts
        .iter()
        .find(|c| c.name == "Token")
        .expect("Token");
    let sigs: Vec<&str> = token_meta
        .meta
        .handlers
        .iter()
        .map(|h| h.signature.as_str())
        .collect();
    for sig in [
        "balanceOf(address)",
        "transfer(address,uint256)",
        "totalSupply()",
    ] {
        assert!(sigs.contains(&sig), "{sig} missing from {sigs:?}");
    }
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("solc-{SOLC}"));
    let Some(sol) = tandem_testkit::solc_js(&cache, SOLC, SOLIDITY, false) else {
        return;
    };
    let tandem = |name: &str| {
        ours.iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .init_code
            .clone()
    };
    let mut chain = Chain::new();
    let bob = DynSolValue::Address(addr(0xb0b));

    // A Solidity caller that knows only `IErc20` uses the Tandem token.
    let token = deploy(&mut chain, &tandem("Token"), vec![]);
    let holder = deploy(
        &mut chain,
        tandem_testkit::solc_contract(&sol, "SolHolder"),
        vec![],
    );
    let (t, h) = (DynSolValue::Address(token), DynSolValue::Address(holder));
    call(
        &mut chain,
        token,
        "mint(address,uint256)",
        vec![h, word(100)],
    );
    assert_eq!(
        call(&mut chain, holder, "held(address)", vec![t.clone()]),
        U256::from(100)
    );
    assert_eq!(
        call(&mut chain, holder, "supply(address)", vec![t.clone()]),
        U256::from(100)
    );
    let paid = call(
        &mut chain,
        holder,
        "pay(address,address,uint256)",
        vec![t, bob.clone(), word(30)],
    );
    assert_eq!(paid, U256::from(1));
    let bob_has = call(&mut chain, token, "balanceOf(address)", vec![bob.clone()]);
    assert_eq!(bob_has, U256::from(30));

    // The Tandem payer's `Address<Erc20>` handle uses a Solidity token.
    let sol_token = deploy(
        &mut chain,
        tandem_testkit::solc_contract(&sol, "SolToken"),
        vec![word(1000)],
    );
    let payer = deploy(
        &mut chain,
        &tandem("Payer"),
        vec![DynSolValue::Address(sol_token)],
    );
    let p = DynSolValue::Address(payer);
    call(
        &mut chain,
        sol_token,
        "transfer(address,uint256)",
        vec![p, word(40)],
    );
    assert_eq!(call(&mut chain, payer, "held()", vec![]), U256::from(40));
    assert_eq!(
        call(&mut chain, payer, "supply()", vec![]),
        U256::from(1000)
    );
    assert_eq!(
        call(
            &mut chain,
            payer,
            "pay(address,uint256)",
            vec![bob.clone(), word(15)]
        ),
        U256::from(1)
    );
    assert_eq!(
        call(&mut chain, sol_token, "balanceOf(address)", vec![bob]),
        U256::from(15)
    );
    assert_eq!(call(&mut chain, payer, "held()", vec![]), U256::from(25));
}
