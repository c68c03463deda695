//! Methods on a storage receiver and functions taking a storage reference are real functions
//! (issue 17): `features/storage_methods.tdm` runs them on every target (fixtures.rs,
//! both_targets.rs, interp_agrees.rs); this holds the shape of the IR, so a regression to
//! copying them into every caller fails here and not only in the gas table.

use std::path::Path;
use tandem_lang_harness::compile_with;
use tandem_lang_ir::{Contract, Module};

fn fixture() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features/storage_methods.tdm");
    std::fs::read_to_string(p).expect("fixture")
}

fn arity(c: &Contract, name: &str) -> Option<usize> {
    c.functions
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.params.len())
}

fn module(srcs: &[(&str, &str)], optimize: bool) -> Module {
    compile_with(srcs, optimize)
        .unwrap_or_else(|e| panic!("{e}"))
        .1
}

#[test]
fn storage_methods_are_functions_taking_the_slot() {
    let src = fixture();
    // Before the optimiser: one function per storage method and storage-reference function,
    // a method taking its receiver's slot first.
    let m = module(&[("storage_methods.tdm", &src)], false);
    let c = &m.contracts[0];
    for (name, n) in [
        ("add", 2),
        ("read", 1),
        ("add_ones", 2),
        ("bump", 2),
        ("total", 1),
        ("mark_down", 2),
        ("marked", 2),
    ] {
        assert_eq!(arity(c, name), Some(n), "`{name}` in {m}");
    }
    // After it: the recursive ones and the shared large ones stay.
    let m = module(&[("storage_methods.tdm", &src)], true);
    let c = &m.contracts[0];
    for name in ["add", "add_ones", "bump", "mark_down"] {
        assert!(arity(c, name).is_some(), "`{name}` was inlined: {m}");
    }
}

#[test]
fn a_slot_every_caller_passes_is_folded_into_the_method() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/erc721/src");
    let mut srcs = Vec::new();
    for e in std::fs::read_dir(&dir).expect("erc721 sources") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name").to_string_lossy().to_string();
        srcs.push((name, std::fs::read_to_string(&p).expect("read")));
    }
    srcs.sort();
    let refs: Vec<(&str, &str)> = srcs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let m = module(&refs, false);
    let nft = m.contracts.iter().find(|c| c.name == "Nft").expect("Nft");
    assert_eq!(arity(nft, "move_token"), Some(5), "{m}");
    let m = module(&refs, true);
    let nft = m.contracts.iter().find(|c| c.name == "Nft").expect("Nft");
    // Kept once for its three callers, the registry's slot (0) folded into the body.
    assert_eq!(arity(nft, "move_token"), Some(4), "{m}");
    assert_eq!(arity(nft, "owner_of"), Some(1), "{m}");
}
