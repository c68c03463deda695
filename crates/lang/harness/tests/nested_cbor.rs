//! Nested dynamic shapes on the WASM build (issue 17): `features/nested_abi.tdm` and
//! `features/nested_ctor.tdm` on every target (revm, the Tandem VM, the WASM build, the
//! interpreter); hostile DAG-CBOR params to a handler and to the constructor of the native
//! build, each refused with USR_ILLEGAL_ARGUMENT (16) and no data — never a trap, an
//! out-of-gas or a panic; and the native build's replies byte for byte against
//! fvm_ipld_encoding (serde's DAG-CBOR, not our encoder) encoding the same values in the
//! shape the IPLD schema gives them.

use alloy_primitives::U256;
use fvm_ipld_encoding::BytesSer;
use fvm_shared::bigint::{BigInt, bigint_ser::BigIntSer};
use std::path::Path;
use tandem_lang_harness::fixture::{self, Targets};
use tandem_lang_harness::native::{NativeChain, NativeOut};
use tandem_lang_harness::{addr, compile_neutral};

const BAD_PARAMS: u32 = 16;

fn feature(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/features/{name}.tdm"))
}

#[test]
fn nested_fixtures_agree_on_every_target() {
    for (name, min) in [("nested_abi", 40), ("nested_ctor", 6)] {
        let f = fixture::load(&feature(name)).unwrap_or_else(|e| panic!("{e}"));
        let targets = Targets {
            interp: true,
            ..Targets::all()
        };
        let r = fixture::run_with(&f, &targets).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.wasm.refused.is_none(), "{name}: {:?}", r.wasm.refused);
        assert!(r.wasm.skipped.is_empty(), "{name}: {:?}", r.wasm.skipped);
        assert!(
            r.wasm.compared >= min,
            "{name}: {} lines on the WASM build",
            r.wasm.compared
        );
        assert!(
            r.interp.skipped.is_empty(),
            "{name}: {:?}",
            r.interp.skipped
        );
    }
}

/// The native builds of a fixture's contracts on a fresh chain: (chain, contract name ->
/// (module, method number by Solidity name)).
struct Native {
    chain: NativeChain,
    builds: Vec<tandem_lang_wasm::Output>,
}

impl Native {
    fn new(name: &str) -> Native {
        let src = std::fs::read_to_string(feature(name)).expect("fixture");
        let file = format!("{name}.tdm");
        let (_, _, neutral) = compile_neutral(&[(&file, &src)]).unwrap_or_else(|e| panic!("{e}"));
        let builds = tandem_lang_wasm::generate(&neutral).unwrap_or_else(|e| panic!("{e}"));
        Native {
            chain: NativeChain::new().expect("chain"),
            builds,
        }
    }

    fn build(&self, contract: &str) -> &tandem_lang_wasm::Output {
        self.builds
            .iter()
            .find(|b| b.name == contract)
            .unwrap_or_else(|| panic!("no {contract}"))
    }

    fn deploy(&mut self, contract: &str, ctor: Vec<u8>) -> Result<u64, NativeOut> {
        let wasm = self.build(contract).wasm.clone();
        self.chain
            .deploy(addr(0xA11CE), &wasm, ctor, U256::ZERO)
            .expect("deploy")
            .map(|(id, _)| id)
    }

    fn call(&mut self, id: u64, contract: &str, sol_name: &str, params: Vec<u8>) -> NativeOut {
        let method = self
            .build(contract)
            .methods
            .iter()
            .find(|m| m.sol_name == sol_name)
            .unwrap_or_else(|| panic!("no {sol_name}"))
            .number;
        let to = fvm_shared::address::Address::new_id(id);
        self.chain
            .send(addr(0xA11CE), to, method, params, U256::ZERO)
            .expect("applied")
    }
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Params a handler must refuse, by handler: (why, handler, params in hex). Each aborts
/// with USR_ILLEGAL_ARGUMENT (16) before the body runs.
const HOSTILE: &[(&str, &str, &str)] = &[
    ("a text string where bytes belong", "blobs", "81 81 61 61"),
    (
        "a byte string longer than the params",
        "blobs",
        "81 81 45 01 02",
    ),
    ("an indefinite-length array", "blobs", "81 9f 41 01 ff"),
    (
        "an indefinite-length byte string",
        "blobs",
        "81 81 5f 41 01 ff",
    ),
    ("a vector count past the end", "blobs", "81 9a ff ff ff ff"),
    (
        "a 64-bit vector count",
        "blobs",
        "81 9b 00 00 00 01 00 00 00 00",
    ),
    ("trailing bytes after the params", "blobs", "81 81 41 01 00"),
    ("two params for one", "blobs", "82 80 80"),
    ("no params at all", "blobs", ""),
    ("a map instead of the params array", "blobs", "a0"),
    (
        "an inner row that is not an array",
        "grid",
        "81 82 80 41 01",
    ),
    (
        "a BigInt with a sign byte of 2",
        "grid",
        "81 81 81 42 02 05",
    ),
    ("an inner row cut short", "grid", "81 81 83 40 40"),
    (
        "a struct with a field missing",
        "letter",
        "81 82 07 42 be ef",
    ),
    (
        "a struct with a field too many",
        "letter",
        "81 84 07 42 be ef 80 80",
    ),
    (
        "a u64 field as a negative integer",
        "letter",
        "81 83 20 40 80",
    ),
    (
        "a u64 field as a byte string",
        "letter",
        "81 83 41 07 40 80",
    ),
    (
        "a tag that is bytes, not text",
        "letter",
        "81 83 07 40 81 41 61",
    ),
    (
        "a fixed array of three for [Bytes; 2]",
        "pair",
        "81 83 40 40 40",
    ),
    ("a fixed array of one for [Bytes; 2]", "pair", "81 81 40"),
    ("an i16 below its range", "points", "81 81 82 01 39 80 00"),
    ("a u8 above its range", "points", "81 81 82 19 01 00 01"),
    ("a simple value where a string belongs", "names", "81 81 f6"),
    (
        "a tag (major 6) where an array belongs",
        "names",
        "81 d8 2a 80",
    ),
    ("a reserved additional info (28)", "names", "81 9c"),
];

#[test]
fn hostile_params_are_refused_cleanly() {
    let mut n = Native::new("nested_abi");
    let sink = n.deploy("Sink", vec![]).expect("Sink deploys");
    for (why, handler, params) in HOSTILE {
        // the receipt's return of an abort is empty (the VM's `0x60`, an empty string)
        let out = n.call(sink, "Sink", handler, hex(params));
        assert_eq!(
            (out.exit, out.ret.as_slice()),
            (BAD_PARAMS, &[0x60][..]),
            "{why} ({handler}: {params}): exit {}",
            out.exit
        );
    }
    // an enum past its last variant decodes as its u8 and the handler's range check
    // reverts with no data (exit 33), as the EVM build does (features/enum_range.tdm)
    let out = n.call(sink, "Sink", "marks", hex("81 81 82 02 60"));
    assert_eq!((out.exit, out.ret), (33, vec![]), "enum out of range");
    // the good forms of the same handlers still answer
    let ok = n.call(sink, "Sink", "blobs", hex("81 82 41 01 40"));
    assert_eq!((ok.exit, ok.ret), (0, hex("82 41 01 40")));
    // a non-minimal head (0x98 0x01 for the count 1) is read as the SDK reads it: DAG-CBOR
    // asks for the shortest form, but the SDK's decoder and this one accept the longer one
    let long = n.call(sink, "Sink", "blobs", hex("81 98 01 41 07"));
    assert_eq!((long.exit, long.ret), (0, hex("81 41 07")));
}

#[test]
fn hostile_constructor_params_are_refused_cleanly() {
    let mut n = Native::new("nested_ctor");
    // Keeper(names: Vec<String>, doc: Doc, grid: Vec<Vec<u256>>, pair: [Bytes; 2])
    let good = hex("84 81 61 78 83 01 40 80 81 81 42 00 05 82 40 41 01");
    let id = n.deploy("Keeper", good).expect("a good constructor call");
    let seen = n.call(id, "Keeper", "seen", vec![]);
    // (names 1, letters 1, cells 1, total 1 + 5, "x", "")
    assert_eq!(
        (seen.exit, seen.ret),
        (0, hex("86 42 00 01 42 00 01 42 00 01 42 00 06 61 78 60"))
    );
    for (why, params) in [
        ("three params for four", "83 80 83 01 40 80 80"),
        (
            "a name that is bytes",
            "84 81 41 78 83 01 40 80 80 82 40 40",
        ),
        (
            "a row count past the end",
            "84 80 83 01 40 80 9a 00 01 00 00 82 40 40",
        ),
        ("trailing bytes", "84 80 83 01 40 80 80 82 40 40 00"),
        ("an indefinite doc", "84 80 9f 01 40 80 ff 80 82 40 40"),
    ] {
        // the constructor's exit is Init's (its return is Init's, not the constructor's)
        let out = n.deploy("Keeper", hex(params)).expect_err(why);
        assert_eq!(out.exit, BAD_PARAMS, "{why}");
    }
}

#[test]
fn replies_match_an_independent_dag_cbor_encoder() {
    let mut n = Native::new("nested_abi");
    let sink = n.deploy("Sink", vec![]).expect("Sink deploys");
    let enc = |v: &dyn erased::Ser| v.to_vec();

    // letter(Doc) -> Doc: a tuple struct (id: Int, body: Bytes, tags: [String])
    let doc = || {
        (
            7u64,
            BytesSer(&[0xbe, 0xef]),
            vec!["a".to_string(), "bc".into()],
        )
    };
    let out = n.call(sink, "Sink", "letter", enc(&(doc(),)));
    assert_eq!((out.exit, out.ret), (0, enc(&doc())), "letter");

    // blobs(Vec<Bytes>) -> Vec<Bytes>, one blob longer than 23 bytes (a one-byte length)
    let long: Vec<u8> = (0..34).collect();
    let blobs = || {
        vec![
            BytesSer(&[1]),
            BytesSer(b"ab"),
            BytesSer(&[]),
            BytesSer(&long),
        ]
    };
    let out = n.call(sink, "Sink", "blobs", enc(&(blobs(),)));
    assert_eq!((out.exit, out.ret), (0, enc(&blobs())), "blobs");

    // build(3) -> (Vec<String>, Vec<Vec<u256>>): several values are an array; a u256 is a
    // BigInt (Filecoin's bytes)
    let out = n.call(sink, "Sink", "build", enc(&(3u64,)));
    let big = |v: u64| BigInt::from(v);
    let (zero, one) = (big(0), big(1));
    let rows: Vec<Vec<BigIntSer>> = vec![
        vec![],
        vec![BigIntSer(&zero)],
        vec![BigIntSer(&zero), BigIntSer(&one)],
    ];
    let tags = vec![
        "x".to_string(),
        "a string longer than thirty-two bytes, to need two words".into(),
    ];
    assert_eq!((out.exit, out.ret), (0, enc(&(tags, rows))), "build");

    // letters(u8, Vec<Doc>, String) -> (u8, Vec<Doc>, String)
    let docs = vec![
        (1u64, BytesSer(&[]), Vec::<String>::new()),
        (
            40u64,
            BytesSer(&[1]),
            vec!["x".into(), "y".into(), "z".into()],
        ),
    ];
    let value = (9u8, docs, "end".to_string());
    let out = n.call(sink, "Sink", "letters", enc(&value));
    assert_eq!((out.exit, out.ret), (0, enc(&value)), "letters");
}

/// fvm_ipld_encoding's DAG-CBOR of any serde value, behind one object-safe trait.
mod erased {
    pub trait Ser {
        fn to_vec(&self) -> Vec<u8>;
    }
    impl<T: fvm_ipld_encoding::ser::Serialize> Ser for T {
        fn to_vec(&self) -> Vec<u8> {
            fvm_ipld_encoding::to_vec(self).expect("encodes")
        }
    }
}
