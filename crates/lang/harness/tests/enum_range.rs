//! Enum values entering from outside, against solc (issue 17: "replies are decoded as strictly
//! as Solidity decodes them"). features/enum_range.tdm's contracts and a Solidity twin with the
//! same enum and signatures, compiled by solc-js, answer the same calldata on revm: in range
//! both succeed with the same reply, past the last variant both revert with no data. It covers
//! handler parameters (alone, in a struct, an array, a `Vec`, a `Vec` of structs), a
//! constructor parameter, and `ctx.call` replies read as enums (alone, in a tuple, in a `Vec`,
//! through `try_call`/`try`), the callers calling the same Tandem callee.
//!
//! solc is solc-js from npm, installed on first use into `target/tmp/solc-<version>`; without
//! node and npm the test skips with a message, and fails under `CI=true` (tandem-testkit).

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256, keccak256};
use std::path::{Path, PathBuf};
use tandem_lang_harness::{Backend, Chain, Outcome, addr, compile, hex};

const SOLC: &str = "0.8.30";

const TWIN: &str = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

enum Kind { Low, Mid, High }
struct Tagged { Kind k; uint256 n; }

function rank(Kind k) pure returns (uint256) { return uint256(k) + 1; }

contract Enums {
    function one(Kind k) external pure returns (Kind) { return k; }
    function two(uint8 a, Kind k) external pure returns (uint8) { return a + uint8(rank(k)); }
    function many(Kind[] memory ks) external pure returns (uint256 s) {
        for (uint256 i = 0; i < ks.length; i++) s = s * 10 + rank(ks[i]);
    }
    function duo(Kind[2] memory ks) external pure returns (Kind) { return ks[1]; }
    function tag(Tagged memory t) external pure returns (uint256) { return rank(t.k) * 1000 + t.n; }
    function tags(Tagged[] memory ts) external pure returns (uint256 s) {
        for (uint256 i = 0; i < ts.length; i++) s = s + rank(ts[i].k) * ts[i].n;
    }
}

contract Made {
    Kind k;
    constructor(Kind k_) { k = k_; }
}

interface Narrow {
    function word(uint8 v) external view returns (Kind);
    function pair(uint8 v) external view returns (uint256, Kind);
    function list(uint8 v) external view returns (Kind[] memory);
}

contract Caller {
    function word(Narrow c, uint8 v) external view returns (uint256) { return rank(c.word(v)); }
    function pair(Narrow c, uint8 v) external view returns (uint256) {
        (uint256 a, Kind k) = c.pair(v);
        return a * 10 + rank(k);
    }
    function list(Narrow c, uint8 v) external view returns (uint256) {
        Kind[] memory ks = c.list(v);
        return rank(ks[0]) * 10 + rank(ks[1]);
    }
    function tryWord(Narrow c, uint8 v) external returns (uint256) {
        try c.word(v) returns (Kind k) { return rank(k); } catch { return 99; }
    }
}
"#;

/// The twin's init code per contract; `None` when node/npm are missing outside CI.
fn solc_twins() -> Option<Vec<(String, Vec<u8>)>> {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("solc-{SOLC}"));
    let twins = tandem_testkit::solc_js(&cache, SOLC, TWIN, false)?;
    assert!(twins.len() >= 3, "solc built {} contracts", twins.len());
    Some(twins)
}

fn word(n: u64) -> DynSolValue {
    DynSolValue::Uint(U256::from(n), 256)
}

fn calldata(sig: &str, args: Vec<DynSolValue>) -> Vec<u8> {
    let mut data = keccak256(sig.as_bytes())[..4].to_vec();
    data.extend(DynSolValue::Tuple(args).abi_encode_params());
    data
}

/// Tagged values as `(k, n)` words.
fn tagged(ts: &[(u64, u64)]) -> DynSolValue {
    DynSolValue::Array(
        ts.iter()
            .map(|&(k, n)| DynSolValue::Tuple(vec![word(k), word(n)]))
            .collect(),
    )
}

fn words(ks: &[u64]) -> Vec<DynSolValue> {
    ks.iter().map(|&k| word(k)).collect()
}

/// The parameter cases: (calldata, whether it is in range).
fn parameter_cases() -> Vec<(Vec<u8>, bool)> {
    let arr = |ks: &[u64]| DynSolValue::Array(words(ks));
    let fixed = |ks: &[u64]| DynSolValue::FixedArray(words(ks));
    let mut cases = Vec::new();
    for k in [0, 1, 2, 3, 4, 255, 256, 1 << 40] {
        cases.push((calldata("one(uint8)", vec![word(k)]), k < 3));
        cases.push((calldata("two(uint8,uint8)", vec![word(5), word(k)]), k < 3));
        cases.push((calldata("many(uint8[])", vec![arr(&[0, 1, k])]), k < 3));
        cases.push((calldata("duo(uint8[2])", vec![fixed(&[k, 0])]), k < 3));
        cases.push((calldata("duo(uint8[2])", vec![fixed(&[2, k])]), k < 3));
        let t = DynSolValue::Tuple(vec![word(k), word(5)]);
        cases.push((calldata("tag((uint8,uint256))", vec![t]), k < 3));
        let ts = tagged(&[(0, 1), (k, 10)]);
        cases.push((calldata("tags((uint8,uint256)[])", vec![ts]), k < 3));
    }
    cases.push((calldata("many(uint8[])", vec![arr(&[])]), true));
    cases
}

/// Compares the two outcomes: the same success and the same reply, no revert data.
fn agree(what: &str, ours: &Outcome, theirs: &Outcome, in_range: bool) {
    assert_eq!(
        (ours.success, hex(&ours.output)),
        (theirs.success, hex(&theirs.output)),
        "{what}: Tandem and solc disagree"
    );
    assert_eq!(ours.success, in_range, "{what}: in range is {in_range}");
    if !in_range {
        assert!(ours.output.is_empty(), "{what}: revert data");
    }
}

fn deploy(chain: &mut Chain, me: Address, init: &[u8], args: &[u8]) -> Address {
    let r = chain.deploy(me, init, args);
    assert!(r.success, "{r:?}");
    r.created.expect("created")
}

#[test]
fn enums_out_of_range_revert_as_in_solidity() {
    let Some(twins) = solc_twins() else {
        return;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features/enum_range.tdm");
    let src = std::fs::read_to_string(path).expect("fixture");
    let (ours, _) = compile(&[("enum_range.tdm", &src)]).unwrap_or_else(|e| panic!("{e}"));
    let tandem = |name: &str| {
        ours.iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .init_code
            .clone()
    };
    let mut chain = Chain::new();
    let me = addr(1);

    let (a, b) = (
        deploy(&mut chain, me, &tandem("Enums"), &[]),
        deploy(
            &mut chain,
            me,
            tandem_testkit::solc_contract(&twins, "Enums"),
            &[],
        ),
    );
    let cases = parameter_cases();
    for (data, in_range) in &cases {
        let x = chain.call(me, a, data.clone());
        let y = chain.call(me, b, data.clone());
        agree(&format!("0x{}", hex(data)), &x, &y, *in_range);
    }

    for k in [0u64, 2, 3, 200] {
        let args = DynSolValue::Tuple(vec![word(k)]).abi_encode_params();
        let x = chain.deploy(me, &tandem("Made"), &args);
        let y = chain.deploy(me, tandem_testkit::solc_contract(&twins, "Made"), &args);
        // (a deployment's output is its runtime code, which differs)
        let what = format!("constructor({k})");
        assert_eq!(x.success, y.success, "{what}: Tandem and solc disagree");
        assert_eq!(x.success, k < 3, "{what}");
        if !x.success {
            assert!(
                x.output.is_empty() && y.output.is_empty(),
                "{what}: revert data"
            );
        }
    }

    // Both callers call the Tandem callee, which answers u8 words.
    let echo = deploy(&mut chain, me, &tandem("Echo"), &[]);
    let (a, b) = (
        deploy(&mut chain, me, &tandem("Caller"), &[]),
        deploy(
            &mut chain,
            me,
            tandem_testkit::solc_contract(&twins, "Caller"),
            &[],
        ),
    );
    let mut replies = 0;
    for f in ["word", "pair", "list", "tryWord"] {
        for v in [0u64, 1, 2, 3, 7, 255] {
            let data = calldata(
                &format!("{f}(address,uint8)"),
                vec![DynSolValue::Address(echo), word(v)],
            );
            let x = chain.call(me, a, data.clone());
            let y = chain.call(me, b, data);
            agree(&format!("{f}(Echo, {v})"), &x, &y, v < 3);
            replies += 1;
        }
    }
    assert!(cases.len() >= 57 && replies == 24);
}
