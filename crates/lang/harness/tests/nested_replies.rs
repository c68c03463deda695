//! Nested dynamic `ctx.call` replies on the EVM build against solc, with hostile return data.
//! A raw contract (`MIRROR`) answers any call with the contents of its one `bytes` argument as
//! the return data, so the reply can be anything. A Tandem caller and a Solidity twin compiled
//! by solc-js (via-IR) read that reply as `bytes[]`, a struct with dynamic fields, a list of
//! return values `(uint8, Doc[], string)`, `uint256[][]` and a `Vec` of structs holding an enum,
//! and return it again. For alloy's encoding of a value, and for that encoding with each word
//! replaced by hostile values (offsets and lengths past the end, of 2^64, 2^255 and 2^256 - 1,
//! pointing into the head), cut short or with bytes appended, both must agree: the same reply
//! re-encoded, or a revert (with no data; solc panics with 0x41 on a length of 2^64 or more,
//! its allocation limit). So the decoder takes exactly what Solidity's takes.
//!
//! solc is solc-js from npm, installed on first use into `target/tmp/solc-<version>`; without
//! node and npm the test skips with a message, and fails under `CI=true` (tandem-testkit).

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256, hex, keccak256};
use std::path::PathBuf;
use tandem_lang_harness::{Backend, Chain, addr, compile, panic_data};

const SOLC: &str = "0.8.30";

/// Runtime: return(calldata[68 .. 68 + calldataload(36)]), the contents of a `bytes` argument.
/// Init code: copies the 12 runtime bytes after it and returns them.
const MIRROR: &str = "600c600c600039600c6000f3\
                      6024358060446000376000f3";

const TANDEM: &str = r#"
struct Doc { id: u64, body: Bytes, tags: Vec<String> }
enum Grade { Pass, Fail }
struct Mark { g: Grade, note: String }

message Mirror {
    Blobs { data: Bytes } -> Vec<Bytes>,
    Letter { data: Bytes } -> Doc,
    Letters { data: Bytes } -> (u8, Vec<Doc>, String),
    Grid { data: Bytes } -> Vec<Vec<u256>>,
    Marks { data: Bytes } -> Vec<Mark>,
}

message Ask {
    Blobs { to: Address, data: Bytes } -> Vec<Bytes>,
    Letter { to: Address, data: Bytes } -> Doc,
    Letters { to: Address, data: Bytes } -> (u8, Vec<Doc>, String),
    Grid { to: Address, data: Bytes } -> Vec<Vec<u256>>,
    Marks { to: Address, data: Bytes } -> Vec<Mark>,
}

struct Nothing { }

contract Asker {
    storage: Nothing
    recv Ask {
        Blobs { to, data } => with mut ctx { ctx.call(to, Mirror::Blobs { data }) }
        Letter { to, data } => with mut ctx { ctx.call(to, Mirror::Letter { data }) }
        Letters { to, data } => with mut ctx { ctx.call(to, Mirror::Letters { data }) }
        Grid { to, data } => with mut ctx { ctx.call(to, Mirror::Grid { data }) }
        Marks { to, data } => with mut ctx { ctx.call(to, Mirror::Marks { data }) }
    }
}
"#;

const TWIN: &str = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

struct Doc { uint64 id; bytes body; string[] tags; }
enum Grade { Pass, Fail }
struct Mark { Grade g; string note; }

interface Mirror {
    function blobs(bytes calldata data) external returns (bytes[] memory);
    function letter(bytes calldata data) external returns (Doc memory);
    function letters(bytes calldata data) external returns (uint8, Doc[] memory, string memory);
    function grid(bytes calldata data) external returns (uint256[][] memory);
    function marks(bytes calldata data) external returns (Mark[] memory);
}

contract Asker {
    function blobs(Mirror to, bytes calldata data) external returns (bytes[] memory) {
        return to.blobs(data);
    }
    function letter(Mirror to, bytes calldata data) external returns (Doc memory) {
        return to.letter(data);
    }
    function letters(Mirror to, bytes calldata data)
        external returns (uint8, Doc[] memory, string memory) {
        return to.letters(data);
    }
    function grid(Mirror to, bytes calldata data) external returns (uint256[][] memory) {
        return to.grid(data);
    }
    function marks(Mirror to, bytes calldata data) external returns (Mark[] memory) {
        return to.marks(data);
    }
}
"#;

/// The twin's init code; `None` when node/npm are missing outside CI.
fn solc_twin() -> Option<Vec<u8>> {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("solc-{SOLC}"));
    let twins = tandem_testkit::solc_js(&cache, SOLC, TWIN, true)?;
    Some(tandem_testkit::solc_contract(&twins, "Asker").to_vec())
}

fn uint(n: u64, bits: usize) -> DynSolValue {
    DynSolValue::Uint(U256::from(n), bits)
}

fn bytes(b: &[u8]) -> DynSolValue {
    DynSolValue::Bytes(b.to_vec())
}

fn string(s: &str) -> DynSolValue {
    DynSolValue::String(s.into())
}

fn doc(id: u64, body: &[u8], tags: &[&str]) -> DynSolValue {
    DynSolValue::Tuple(vec![
        uint(id, 64),
        bytes(body),
        DynSolValue::Array(tags.iter().map(|t| string(t)).collect()),
    ])
}

/// (function, the reply's encoding as the callee's return data).
fn replies() -> Vec<(&'static str, Vec<u8>)> {
    let one = |v: DynSolValue| DynSolValue::Tuple(vec![v]).abi_encode_params();
    let docs = DynSolValue::Array(vec![doc(1, b"", &[]), doc(40, &[1], &["x", "yz"])]);
    vec![
        (
            "blobs",
            one(DynSolValue::Array(vec![
                bytes(&[1]),
                bytes(b""),
                bytes(&[7; 33]),
            ])),
        ),
        ("letter", one(doc(7, &[0xbe, 0xef], &["a", "bc"]))),
        (
            "letters",
            DynSolValue::Tuple(vec![uint(9, 8), docs, string("end")]).abi_encode_params(),
        ),
        (
            "grid",
            one(DynSolValue::Array(vec![
                DynSolValue::Array(vec![uint(1, 256), uint(2, 256)]),
                DynSolValue::Array(vec![]),
                DynSolValue::Array(vec![uint(3, 256)]),
            ])),
        ),
        (
            "marks",
            one(DynSolValue::Array(vec![
                DynSolValue::Tuple(vec![uint(1, 8), string("ok")]),
                DynSolValue::Tuple(vec![uint(0, 8), string("")]),
            ])),
        ),
    ]
}

/// The reply and hostile variants of it: each word replaced by each of a few values, the data
/// cut at each word and one byte short, and bytes appended.
fn variants(good: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![good.to_vec()];
    let n = good.len();
    for at in (0..n).step_by(32) {
        let w = U256::from_be_slice(&good[at..at + 32]);
        let len = U256::from(n);
        let values = [
            U256::ZERO,
            U256::from(1),
            U256::from(0x20),
            w + U256::from(32),
            w.saturating_sub(U256::from(32)),
            w + U256::from(1),
            len,
            len - U256::from(31),
            U256::from(1) << 64,
            (U256::from(1) << 64) - U256::from(1),
            U256::from(1) << 255,
            U256::MAX,
            U256::MAX - U256::from(31),
        ];
        for v in values {
            if v == w {
                continue;
            }
            let mut d = good.to_vec();
            d[at..at + 32].copy_from_slice(&v.to_be_bytes::<32>());
            out.push(d);
        }
        out.push(good[..at].to_vec());
    }
    out.push(good[..n - 1].to_vec());
    let mut longer = good.to_vec();
    longer.extend([0xff; 40]);
    out.push(longer);
    out
}

fn calldata(f: &str, to: Address, data: &[u8]) -> Vec<u8> {
    let sig = format!("{f}(address,bytes)");
    let mut out = keccak256(sig.as_bytes())[..4].to_vec();
    out.extend(DynSolValue::Tuple(vec![DynSolValue::Address(to), bytes(data)]).abi_encode_params());
    out
}

fn deploy(chain: &mut Chain, me: Address, init: &[u8]) -> Address {
    let r = chain.deploy(me, init, &[]);
    assert!(r.success, "{r:?}");
    r.created.expect("created")
}

#[test]
fn hostile_nested_replies_are_decoded_as_solidity_decodes_them() {
    let Some(twin) = solc_twin() else {
        return;
    };
    let (ours, _) = compile(&[("asker.tdm", TANDEM)]).unwrap_or_else(|e| panic!("{e}"));
    let asker = ours.iter().find(|o| o.name == "Asker").expect("Asker");
    let mut chain = Chain::new();
    let me = addr(1);
    let mirror = deploy(&mut chain, me, &hex::decode(MIRROR).expect("hex"));
    let (a, b) = (
        deploy(&mut chain, me, &asker.init_code),
        deploy(&mut chain, me, &twin),
    );
    let (mut ok, mut refused, mut panics) = (0, 0, 0);
    for (f, good) in replies() {
        for (i, data) in variants(&good).into_iter().enumerate() {
            let call = calldata(f, mirror, &data);
            let x = chain.call(me, a, call.clone());
            let y = chain.call(me, b, call);
            let what = format!("{f} variant {i}: reply 0x{}", hex::encode(&data));
            // solc answers a length of 2^64 or more with Panic(0x41) (its allocation limit)
            // where Tandem reverts with no data, as for every other malformed reply.
            let theirs = if !y.success && y.output.as_ref() == panic_data(0x41).as_slice() {
                panics += 1;
                String::new()
            } else {
                hex::encode(&y.output)
            };
            assert_eq!(
                (x.success, hex::encode(&x.output)),
                (y.success, theirs),
                "{what}: Tandem (left) and solc (right) disagree"
            );
            if i == 0 {
                assert!(x.success, "{what}: the good reply");
                assert_eq!(x.output.to_vec(), good, "{what}: re-encoded");
            }
            if x.success {
                ok += 1;
            } else {
                assert!(x.output.is_empty(), "{what}: revert data");
                refused += 1;
            }
        }
    }
    eprintln!("{ok} replies taken, {refused} refused as by solc ({panics} with its Panic(0x41))");
    assert!(ok >= 5 && refused >= 200, "{ok} taken, {refused} refused");
}
