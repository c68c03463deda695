//! Compile time of a ~1,000-line Tandem package through parse → sema → IR (+ optimiser) →
//! EVM bytecode (`tandem_lang_driver::compile_sources`, what `tandem build` runs).
//!
//! The package is generated deterministically from the contract corpus
//! (crates/lang/harness/fixtures/corpus): the ERC-20 (twice, as two modules), the ERC-721 and
//! its receivers, the multisig, seed 003's `Wallet<S>` with two instantiations, and a
//! generated registry contract with many messages, padded to 1,000 lines.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write;

const TARGET_LINES: usize = 1_000;

fn corpus(rel: &str) -> String {
    let path = format!(
        "{}/../harness/fixtures/corpus/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A contract with `n` fields and a getter and a setter message per field, each setter
/// checking its argument, writing, and emitting an event.
fn registry(n: usize) -> String {
    let mut s = String::new();
    s.push_str("/// Generated: a registry of numbered settings.\nmessage Settings {\n");
    for i in 0..n {
        let _ = writeln!(s, "    #[view]\n    Get{i} -> u256,");
        let _ = writeln!(s, "    Set{i} {{ value: u256 }} -> u256,");
    }
    s.push_str("}\n\nevent Changed { #[indexed] key: u256, old: u256, new: u256 }\n");
    s.push_str("error TooLarge { key: u256, value: u256 }\n\nstruct Values {\n");
    s.push_str("    admin: Address,\n");
    for i in 0..n {
        let _ = writeln!(s, "    v{i}: u256,");
    }
    s.push_str("}\n\ncontract Registry {\n    storage: Values\n\n");
    s.push_str("    init() with (mut storage, ctx) { storage.admin = ctx.caller() }\n\n");
    s.push_str("    recv Settings {\n");
    for i in 0..n {
        let _ = writeln!(s, "        Get{i} => with storage {{ storage.v{i} }}");
        let _ = writeln!(
            s,
            "        Set{i} {{ value }} => with (mut storage, mut ctx) {{\n            \
             if value > {lim} {{ revert TooLarge {{ key: {i}, value }} }}\n            \
             let old = storage.v{i}\n            storage.v{i} = value\n            \
             ctx.emit(Changed {{ key: {i}, old, new: value }})\n            old\n        }}",
            lim = 1000 * (i + 1)
        );
    }
    s.push_str("    }\n}\n");
    s
}

/// The package's sources, `TARGET_LINES` lines in all.
fn package() -> Vec<(String, String)> {
    let token = corpus("erc20/src/Token.tdm");
    let mut files = vec![
        ("src/Token.tdm".to_string(), token.clone()),
        (
            "src/Token2.tdm".to_string(),
            token.replace("contract Token", "contract Token2"),
        ),
        ("src/Nft.tdm".to_string(), corpus("erc721/src/Nft.tdm")),
        (
            "src/Receivers.tdm".to_string(),
            corpus("erc721/src/Receivers.tdm"),
        ),
        (
            "src/Multisig.tdm".to_string(),
            corpus("multisig/src/Multisig.tdm"),
        ),
        (
            "src/wallet.tdm".to_string(),
            corpus("wallet/src/wallet.tdm"),
        ),
        ("src/user.tdm".to_string(), corpus("wallet/src/user.tdm")),
    ];
    let lines = |fs: &[(String, String)]| fs.iter().map(|(_, t)| t.lines().count()).sum::<usize>();
    let base = lines(&files);
    // Each registry entry is 10 lines (2 message, 1 field, 7 handler); the frame is ~16.
    let mut n = TARGET_LINES.saturating_sub(base + 16) / 10;
    loop {
        let r = registry(n);
        let total = base + r.lines().count();
        if total <= TARGET_LINES || n == 0 {
            let mut r = r;
            for _ in total..TARGET_LINES {
                r.push_str("//\n");
            }
            files.push(("src/Registry.tdm".to_string(), r));
            break;
        }
        n -= 1;
    }
    files
}

fn bench(c: &mut Criterion) {
    let sources = package();
    let lines: usize = sources.iter().map(|(_, t)| t.lines().count()).sum();
    let built = tandem_lang_driver::compile_sources(&sources).unwrap_or_else(|e| panic!("{e}"));
    let handlers: usize = built.iter().map(|b| b.contract.handlers.len()).sum();
    eprintln!(
        "package: {} files, {lines} lines, {} contracts, {handlers} messages, {} bytes of runtime code",
        sources.len(),
        built.len(),
        built.iter().map(|b| b.runtime_code.len()).sum::<usize>()
    );
    assert_eq!(lines, TARGET_LINES);
    c.bench_function("compile_1000_line_package", |b| {
        b.iter(|| tandem_lang_driver::compile_sources(std::hint::black_box(&sources)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
