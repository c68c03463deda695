//! Nested dynamic ABI shapes at the handler interface (features/nested_abi.tdm): the fixture
//! on the EVM build (revm and the Tandem VM) and the reference interpreter; the contract's
//! replies, revert data and logs against alloy's `SolValue::abi_encode` of the same values;
//! and hostile calldata (offsets past the end or into the head, a length of 2^255, a
//! truncated tail, a dirty word inside an element) that must revert with no data.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use std::path::Path;
use tandem_lang_harness::fixture::{self, Targets};
use tandem_lang_harness::{Backend, Chain, addr, compile};

fn fixture_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features/nested_abi.tdm")
}

#[test]
fn nested_fixture_on_the_evm_build_and_the_interpreter() {
    let fx = fixture::load(&fixture_path()).unwrap_or_else(|e| panic!("{e}"));
    let targets = Targets {
        interp: true,
        ..Targets::evm()
    };
    let report = fixture::run_with(&fx, &targets).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.interp.skipped.is_empty(),
        "{:?}",
        report.interp.skipped
    );
    assert!(
        report.transactions >= 18,
        "{} transactions",
        report.transactions
    );
}

alloy_sol_types::sol! {
    struct Doc { uint64 id; bytes body; string[] tags; }
    struct Pt { uint8 x; int16 y; }
    event Filed(address indexed who, string[] tags, Doc doc);
    error Rejected(bytes[] why, uint256 at);
    function blobs(bytes[] xs) returns (bytes[]);
    function names(string[] xs) returns (string[]);
    function grid(uint256[][] g) returns (uint256[][]);
    function letter(Doc d) returns (Doc);
    function pair(bytes[2] xs) returns (bytes[2]);
    function points(Pt[] ps) returns (Pt[]);
    function letters(uint8 n, Doc[] ds, string tail) returns (uint8, Doc[], string);
    function file(Doc d) returns (uint256);
    function reject(bytes[] why) returns (uint256);
    struct Inner { uint8 k; string s; }
    struct Leaf { bytes b; uint8[] v; }
    struct Deep { bytes[] xs; Inner inner; Leaf[] leaves; }
    function deep(uint256 a, Deep x) returns (uint256, Deep);
}

fn deep_value() -> Deep {
    Deep {
        xs: vec![Bytes::from(vec![1u8]), Bytes::new()],
        inner: Inner {
            k: 7,
            s: "s".into(),
        },
        leaves: vec![
            Leaf {
                b: Bytes::from(vec![0xabu8]),
                v: vec![1, 255],
            },
            Leaf {
                b: Bytes::new(),
                v: vec![],
            },
        ],
    }
}

fn sink() -> (Chain, Address, Address) {
    let src = std::fs::read_to_string(fixture_path()).expect("fixture");
    let (out, _) = compile(&[("nested_abi.tdm", &src)]).unwrap_or_else(|e| panic!("{e}"));
    let sink = out.iter().find(|o| o.name == "Sink").expect("Sink");
    let mut chain = Chain::new();
    let me = addr(1);
    let r = chain.deploy(me, &sink.init_code, &[]);
    assert!(r.success, "{r:?}");
    (chain, me, r.created.expect("created"))
}

fn docs() -> Vec<Doc> {
    vec![
        Doc {
            id: 1,
            body: Bytes::new(),
            tags: vec![],
        },
        Doc {
            id: u64::MAX,
            body: Bytes::from(vec![7u8; 33]),
            tags: vec!["t".into(), "u".repeat(40), String::new()],
        },
    ]
}

/// Sends raw calldata; the outcome's success and output.
fn raw(chain: &mut Chain, me: Address, to: Address, data: Vec<u8>) -> (bool, Vec<u8>) {
    let r = chain.call(me, to, data);
    (r.success, r.output.to_vec())
}

/// Each reply is alloy's encoding of the value sent, byte for byte (the reply of an echo
/// handler is the ABI encoding of its arguments).
#[test]
fn replies_are_alloys_encoding() {
    let (mut chain, me, c) = sink();
    let xs = vec![
        Bytes::from(vec![1u8]),
        Bytes::new(),
        Bytes::from((0u8..70).collect::<Vec<_>>()),
    ];
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (
            blobsCall { xs: xs.clone() }.abi_encode(),
            (xs.clone(),).abi_encode_params(),
        ),
        (
            namesCall {
                xs: vec!["héllo".into(), String::new(), "z".repeat(65)],
            }
            .abi_encode(),
            (vec!["héllo".to_string(), String::new(), "z".repeat(65)],).abi_encode_params(),
        ),
        (
            gridCall {
                g: vec![vec![U256::from(1), U256::MAX], vec![], vec![U256::from(3)]],
            }
            .abi_encode(),
            (vec![
                vec![U256::from(1), U256::MAX],
                vec![],
                vec![U256::from(3)],
            ],)
                .abi_encode_params(),
        ),
        (
            letterCall {
                d: docs()[1].clone(),
            }
            .abi_encode(),
            (docs()[1].clone(),).abi_encode_params(),
        ),
        (
            pairCall {
                xs: [xs[2].clone(), xs[0].clone()],
            }
            .abi_encode(),
            ([xs[2].clone(), xs[0].clone()],).abi_encode_params(),
        ),
        (
            pointsCall {
                ps: vec![Pt { x: 255, y: -32768 }, Pt { x: 0, y: 32767 }],
            }
            .abi_encode(),
            (vec![Pt { x: 255, y: -32768 }, Pt { x: 0, y: 32767 }],).abi_encode_params(),
        ),
        (
            lettersCall {
                n: 3,
                ds: docs(),
                tail: "end".into(),
            }
            .abi_encode(),
            (U256::from(3), docs(), "end".to_string()).abi_encode_params(),
        ),
    ];
    // Deep enough that the decoder keeps its variables in memory (the fixture's `deep`).
    let deep = deepCall {
        a: U256::from(5),
        x: deep_value(),
    }
    .abi_encode();
    let deep_want = (U256::from(5), deep_value()).abi_encode_params();
    let mut cases = cases;
    cases.push((deep, deep_want));
    for (calldata, want) in cases {
        let (ok, out) = raw(&mut chain, me, c, calldata.clone());
        assert!(ok, "0x{} reverted", tandem_lang_harness::hex(&calldata));
        assert_eq!(out, want, "0x{}", tandem_lang_harness::hex(&calldata));
    }
    // The event's data and the error's revert data are alloy's too.
    let r = chain.call(
        me,
        c,
        fileCall {
            d: docs()[1].clone(),
        }
        .abi_encode(),
    );
    assert!(r.success);
    let log = &r.logs[0];
    assert_eq!(log.topics()[0], Filed::SIGNATURE_HASH);
    assert_eq!(
        log.data.data.to_vec(),
        (docs()[1].tags.clone(), docs()[1].clone()).abi_encode_params()
    );
    let (ok, out) = raw(
        &mut chain,
        me,
        c,
        rejectCall { why: xs.clone() }.abi_encode(),
    );
    assert!(!ok);
    let want = Rejected {
        why: xs.clone(),
        at: U256::from(3),
    }
    .abi_encode();
    assert_eq!(out, want);
}

/// Word `k` of the arguments (after the selector) set to `v`.
fn with_word(mut data: Vec<u8>, k: usize, v: U256) -> Vec<u8> {
    let at = 4 + 32 * k;
    data[at..at + 32].copy_from_slice(&v.to_be_bytes::<32>());
    data
}

/// Hostile calldata reverts with no data (and alloy's strict decoder refuses each too).
#[test]
fn hostile_calldata_reverts() {
    let (mut chain, me, c) = sink();
    let xs = vec![Bytes::from(vec![0xaau8; 3]), Bytes::from(vec![0xbbu8; 40])];
    let good = blobsCall { xs: xs.clone() }.abi_encode();
    // words: 0 offset(32) | 1 len 2 | 2 off0 | 3 off1 | 4 len 3 | 5 data | 6 len 40 | 7,8 data
    assert_eq!(good.len(), 4 + 32 * 9);
    let two = U256::from(1) << 255;
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "outer offset past the end",
            with_word(good.clone(), 0, U256::from(32 * 9)),
        ),
        (
            "outer offset of 2^64",
            with_word(good.clone(), 0, U256::from(1) << 64),
        ),
        ("vector length of 2^255", with_word(good.clone(), 1, two)),
        ("element length of 2^255", with_word(good.clone(), 4, two)),
        (
            "element offset past the end",
            with_word(good.clone(), 3, U256::from(32 * 9)),
        ),
        (
            "element offset into the head, at a huge word",
            with_word(with_word(good.clone(), 3, U256::from(0)), 2, two),
        ),
        (
            "element offset of 2^256 - 32 (wraps to the head)",
            with_word(good.clone(), 3, U256::MAX - U256::from(31)),
        ),
        (
            "truncated tail (into the last element's data)",
            good[..good.len() - 25].to_vec(),
        ),
        ("truncated to the head", good[..4 + 32].to_vec()),
    ];
    // A dirty int16 inside a Vec of structs, and a head too short for a parameter.
    let pts = pointsCall {
        ps: vec![Pt { x: 1, y: 2 }],
    }
    .abi_encode();
    cases.push((
        "a dirty i16 element field",
        with_word(pts.clone(), 3, U256::from(0x8000)),
    ));
    cases.push((
        "a dirty u8 element field",
        with_word(pts, 2, U256::from(256)),
    ));
    cases.push(("no arguments", good[..4].to_vec()));
    // The decoder of a deeper value (its variables in memory) is as strict: the length of
    // the leaf's bytes 0xab set to 2^255, then to one past the data.
    let deep = deepCall {
        a: U256::from(5),
        x: deep_value(),
    }
    .abi_encode();
    let k = (0..(deep.len() - 4) / 32 - 1)
        .find(|k| {
            let w = &deep[4 + 32 * k..4 + 32 * k + 64];
            w[31] == 1 && w[..31].iter().all(|b| *b == 0) && w[32] == 0xab
        })
        .expect("the leaf's length word");
    cases.push((
        "deep: a leaf length of 2^255",
        with_word(deep.clone(), k, two),
    ));
    let past = U256::from(deep.len() - 4 - 32 * k);
    cases.push((
        "deep: a leaf length past the data",
        with_word(deep, k, past),
    ));
    for (what, data) in cases {
        let (ok, out) = raw(&mut chain, me, c, data.clone());
        assert!(
            !ok && out.is_empty(),
            "{what}: {ok} 0x{}",
            tandem_lang_harness::hex(&out)
        );
        let refused = if what.contains("i16") || what.contains("u8") {
            pointsCall::abi_decode_validate(&data).is_err()
        } else if what.starts_with("deep") {
            deepCall::abi_decode_validate(&data).is_err()
        } else {
            blobsCall::abi_decode_validate(&data).is_err()
        };
        assert!(refused, "{what}: alloy accepts it");
    }
    // The untouched calldata still decodes (so the cases above fail for their one change).
    let (ok, out) = raw(&mut chain, me, c, good);
    assert!(ok);
    assert_eq!(out, (xs,).abi_encode_params());
}
