//! `std::abi::decode` (features/abi_decode.tdm) on every target: the EVM build on revm and on
//! the Tandem VM, the native (WASM) build, and the reference interpreter, all agreeing with
//! the fixture's expectations.

use std::path::Path;
use tandem_lang_harness::fixture::{self, Targets};

fn fixture_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features/abi_decode.tdm")
}

#[test]
fn decode_fixture_on_every_target() {
    let fx = fixture::load(&fixture_path()).unwrap_or_else(|e| panic!("{e}"));
    let targets = Targets {
        interp: true,
        ..Targets::all()
    };
    let report = fixture::run_with(&fx, &targets).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.transactions >= 30,
        "{} transactions",
        report.transactions
    );
}

alloy_sol_types::sol! {
    struct Doc { uint64 id; bytes body; string[] tags; }
    function store(bytes[] xs, uint8 k);
    function call(bytes xs) returns (bytes);
    function docs(bytes data) returns (bytes);
}

const CALLER: &str = r#"
use std::abi::{decode, encode, encode_with_signature}
struct Doc { id: u64, body: Bytes, tags: Vec<String> }
message M {
    Call { xs: Bytes } -> Bytes,
    Docs { data: Bytes } -> Bytes,
}
struct Nothing { }
contract Caller {
    storage: Nothing
    recv M {
        Call { xs } => {
            encode_with_signature("store(bytes[],uint8)", decode::<Vec<Bytes>>(xs), 7 as u8)
        }
        Docs { data } => {
            let mut ds = decode::<Vec<Doc>>(data)
            ds.push(Doc { id: 99, body: "new", tags: Vec::new() })
            encode(ds)
        }
    }
}
"#;

/// The nested encoder against alloy's: calldata for a Solidity function taking `bytes[]`
/// (`encode_with_signature`), and a `Vec` of structs with dynamic fields decoded, grown and
/// re-encoded, read back with `SolValue::abi_decode` and compared byte for byte.
#[test]
fn nested_encoding_matches_alloy() {
    use alloy_primitives::Bytes;
    use alloy_sol_types::{SolCall, SolValue};
    use tandem_lang_harness::{Backend, Chain, addr, compile};
    let (out, _) = compile(&[("Caller.tdm", CALLER)]).unwrap_or_else(|e| panic!("{e}"));
    let mut chain = Chain::new();
    let me = addr(1);
    let r = chain.deploy(me, &out[0].init_code, &[]);
    assert!(r.success, "{r:?}");
    let c = r.created.expect("created");

    let xs: Vec<Bytes> = vec![
        Bytes::from(vec![0xaa]),
        Bytes::from(b"bbb".to_vec()),
        Bytes::new(),
    ];
    let got = chain
        .typed(
            me,
            c,
            callCall {
                xs: Bytes::from(xs.abi_encode()),
            },
        )
        .decode::<callCall>();
    assert_eq!(got.to_vec(), storeCall { xs, k: 7 }.abi_encode());

    let docs = vec![
        Doc {
            id: 1,
            body: Bytes::new(),
            tags: vec![],
        },
        Doc {
            id: 2,
            body: Bytes::from(vec![1, 2, 3]),
            tags: vec!["t".into(), "u".repeat(40)],
        },
    ];
    let got = chain
        .typed(
            me,
            c,
            docsCall {
                data: Bytes::from(docs.abi_encode()),
            },
        )
        .decode::<docsCall>();
    let back = <Vec<Doc>>::abi_decode(&got).expect("alloy decodes the encoding");
    assert_eq!(back.len(), 3);
    assert_eq!(
        (back[1].id, &back[1].body, &back[1].tags),
        (2, &docs[1].body, &docs[1].tags)
    );
    assert_eq!((back[2].id, back[2].body.to_vec()), (99, b"new".to_vec()));
    assert!(back[2].tags.is_empty());
    // The bytes are alloy's own encoding of that value.
    assert_eq!(got.to_vec(), back.abi_encode());
}
