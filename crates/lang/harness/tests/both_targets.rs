//! Every feature fixture and every corpus package's `test/*.calls` on both targets: the EVM
//! build (plain revm and the Tandem VM) and the WASM build (the Tandem VM) must agree on
//! every line and with the expectations. What does not run on the WASM target is listed
//! here exactly (a build the backend refuses, lines left off with their reason), so coverage
//! cannot shrink silently; docs/wasm-target.md "Not yet" gives the reasons.

use std::path::Path;
use tandem_lang_harness::fixture::{self, Report, Targets};

/// Lines known to differ, by fixture and the start of the line, with the reason; they are
/// not sent to the WASM build.
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "call_dynamic_reply",
        "addresses(address,bool): Source, false",
        "a type pun: the callee replies Vec<u256>, the caller reads Vec<Address>. In the ABI \
         both are words; in DAG-CBOR 11 is BigInt bytes 00 0b, which read as an address is \
         f0 ID 11, a masked ID, not the word 11",
    ),
    (
        "call_strict_reply",
        "flag(address,uint256): Echo, 1",
        "a type pun: the callee replies u256 words, the caller's interface reads narrower types. \
         In the ABI both are words (the EVM build checks them clean); in DAG-CBOR they are \
         different kinds (a u256 is a BigInt, not a bool, an integer, an address or a negative \
         i8), so the WASM build refuses even the clean ones",
    ),
    (
        "call_strict_reply",
        "flag(address,uint256): Echo, 0",
        "a type pun: the callee replies u256 words, the caller's interface reads narrower types. \
         In the ABI both are words (the EVM build checks them clean); in DAG-CBOR they are \
         different kinds (a u256 is a BigInt, not a bool, an integer, an address or a negative \
         i8), so the WASM build refuses even the clean ones",
    ),
    (
        "call_strict_reply",
        "signed(address,uint256): Echo, 0xff",
        "a type pun: the callee replies u256 words, the caller's interface reads narrower types. \
         In the ABI both are words (the EVM build checks them clean); in DAG-CBOR they are \
         different kinds (a u256 is a BigInt, not a bool, an integer, an address or a negative \
         i8), so the WASM build refuses even the clean ones",
    ),
    (
        "call_strict_reply",
        "who(address,uint256): Echo, 0xffff",
        "a type pun: the callee replies u256 words, the caller's interface reads narrower types. \
         In the ABI both are words (the EVM build checks them clean); in DAG-CBOR they are \
         different kinds (a u256 is a BigInt, not a bool, an integer, an address or a negative \
         i8), so the WASM build refuses even the clean ones",
    ),
    (
        "call_strict_reply",
        "pair(address,uint256,uint256): Echo, 5, 1",
        "a type pun: the callee replies u256 words, the caller's interface reads narrower types. \
         In the ABI both are words (the EVM build checks them clean); in DAG-CBOR they are \
         different kinds (a u256 is a BigInt, not a bool, an integer, an address or a negative \
         i8), so the WASM build refuses even the clean ones",
    ),
    (
        "call_strict_reply",
        "small(address,uint256): Echo, 255",
        "a type pun, as above (a u256 is a CBOR BigInt, a u8 or u16 a CBOR integer)",
    ),
    (
        "call_strict_reply",
        "three(address,uint256): Echo, 100",
        "a type pun, as above (a u256 is a CBOR BigInt, a u8 or u16 a CBOR integer)",
    ),
    (
        "call_strict_reply",
        "tryFlag(",
        "a type pun: the callee replies u256 words, the caller's interface reads narrower types. \
         In the ABI both are words (the EVM build checks them clean); in DAG-CBOR they are \
         different kinds (a u256 is a BigInt, not a bool, an integer, an address or a negative \
         i8), so the WASM build refuses even the clean ones",
    ),
];

/// The lines each feature fixture does not send to the WASM build: (fixture, how many, the
/// reason they share). Raw calldata and selectors that are no handler go as `InvokeEVM`.
const EVM_ONLY: &[(&str, usize, &str)] = &[
    ("call_dynamic_reply", 1, "known difference"),
    ("call_strict_reply", 8, "type pun"),
];

/// The feature fixtures whose WASM build the backend refuses, and the construct it names
/// (docs/wasm-target.md "Not yet").
const REFUSED: &[(&str, &str)] = &[
    ("code_reads", "`std::code::code_at`/`code_hash` (EVM-only"),
    ("inline_asm", "inline EVM assembly (`asm evm`) is EVM-only"),
    ("sstore2", "`std::sstore2::write` (EVM-only"),
];

/// Checks a run's WASM part against the lists above.
fn check(
    name: &str,
    r: &Report,
    refused: Option<&str>,
    evm_only: Option<(usize, &str)>,
) -> Option<String> {
    match (&r.wasm.refused, refused) {
        (None, None) => {}
        (Some(e), Some(want)) if e.contains(want) => return None,
        (got, want) => {
            return Some(format!(
                "{name}: the WASM build refused {got:?}, expected {want:?}"
            ));
        }
    }
    let skipped = &r.wasm.skipped;
    let ok = match evm_only {
        None => skipped.is_empty(),
        Some((n, why)) => skipped.len() == n && skipped.iter().all(|(_, w)| w.contains(why)),
    };
    if !ok || r.wasm.compared == 0 {
        return Some(format!(
            "{name}: {} line(s) on both targets, not on WASM: {skipped:?}; expected {evm_only:?}",
            r.wasm.compared
        ));
    }
    None
}

fn targets(name: &str) -> Targets {
    let mut t = Targets::all();
    t.wasm_skips = KNOWN
        .iter()
        .filter(|(f, ..)| *f == name)
        .map(|(_, l, why)| (l.to_string(), why.to_string()))
        .collect();
    t
}

/// One row of the table: the fixture, what happened on the WASM target.
fn row(name: &str, r: &Report) -> String {
    match &r.wasm.refused {
        Some(e) => format!("{name}: refused ({})", e.lines().next().unwrap_or("")),
        None => format!(
            "{name}: agree ({} lines on both, {} EVM-only: {})",
            r.wasm.compared,
            r.wasm.skipped.len(),
            r.wasm
                .skipped
                .iter()
                .map(|(l, why)| format!("line {l}: {why}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

#[test]
fn feature_fixtures_on_both_targets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features");
    let paths = fixture::discover(&dir).expect("fixtures/features");
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for path in &paths {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let run = fixture::load(path).and_then(|f| fixture::run_with(&f, &targets(&name)));
        match run {
            Ok(r) => {
                table.push(row(&name, &r));
                let refused = REFUSED.iter().find(|(f, _)| *f == name).map(|(_, c)| *c);
                let only = EVM_ONLY
                    .iter()
                    .find(|(f, ..)| *f == name)
                    .map(|(_, n, why)| (*n, *why));
                failures.extend(check(&name, &r, refused, only));
            }
            Err(e) => {
                table.push(format!("{name}: disagree"));
                failures.push(e.to_string());
            }
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The corpus packages and what their WASM build refuses (`None`: it builds).
const CORPUS: &[(&str, Option<&str>)] = &[
    ("auction", None),
    ("erc20", None),
    ("erc721", None),
    ("multisig", None),
    ("vault", None),
    ("wallet", None),
];

#[test]
fn corpus_on_both_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus");
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for (pkg, refused) in CORPUS {
        let dir = root.join(pkg);
        let (_, sources) = read_package(&dir);
        let tests = fixture::package::calls_files(&dir.join("test")).expect("test folder");
        assert!(!tests.is_empty(), "{pkg}: no test/*.calls");
        for test in tests {
            let name = format!(
                "{pkg}/{}",
                test.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
            match fixture::package::run_calls(&test, &sources, &Targets::all()) {
                Ok(r) => {
                    table.push(row(&name, &r));
                    failures.extend(check(&name, &r, *refused, None));
                }
                Err(e) => {
                    table.push(format!("{name}: disagree"));
                    failures.push(e.to_string());
                }
            }
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The sources of a package folder (`src/*.tdm`), as `tandem test` reads them.
fn read_package(dir: &Path) -> ((), Vec<(String, String)>) {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("src"))
        .expect("src")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tdm"))
        .collect();
    files.sort();
    let sources = files
        .iter()
        .map(|p| {
            let name = format!(
                "src/{}",
                p.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
            (name, std::fs::read_to_string(p).expect("source"))
        })
        .collect();
    ((), sources)
}

/// A difference between the builds fails the run and says which target and how: the
/// `call_dynamic_reply` lines above, sent to the WASM build.
#[test]
fn a_difference_names_the_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features");
    let f = fixture::load(&dir.join("call_dynamic_reply.tdm")).expect("fixture");
    let e = fixture::run_with(&f, &Targets::all()).expect_err("the builds differ");
    assert!(e.line > 0, "{e}");
    assert!(e.message.contains("the WASM target"), "{e}");
    // the EVM target alone passes, and the WASM target alone fails on its own expectations
    assert!(fixture::run_with(&f, &Targets::evm()).is_ok());
    assert!(fixture::run_with(&f, &Targets::wasm()).is_err());
    // alone, the WASM target is held to the expectations: a native `create` gives no
    // CREATE address (docs/wasm-target.md "Creating contracts")
    let f = fixture::load(&dir.join("create.tdm")).expect("fixture");
    let e = fixture::run_with(&f, &Targets::wasm()).expect_err("other addresses");
    assert!(e.message.contains("expected"), "{e}");
}
