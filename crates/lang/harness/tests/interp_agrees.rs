//! The reference interpreter (`tandem-lang-interp`, docs/interp.md) against the EVM build:
//! every feature fixture and every corpus package's `test/*.calls` runs on the EVM build
//! (plain revm and the Tandem VM) and on the interpreter, which runs sema's neutral IR with
//! none of the backend's code. They must agree on success, return and revert data, logs,
//! created addresses, every storage word the interpreter holds (after each line) and every
//! `storage:`/`balance:` line. What the interpreter does not run is listed here exactly,
//! with the reason, so coverage cannot shrink silently.

use std::path::Path;
use tandem_lang_harness::fixture::{self, Report, Targets};

/// Fixtures whose run the interpreter stops at a construct it does not run: (fixture, what
/// its error names). Lines before it are compared.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("async_send", "asynchronous"),
    ("enum_async_reply", "asynchronous"),
    ("inline_asm", "inline EVM assembly"),
];

/// Calls not sent to the interpreter: (fixture, start of the line, reason).
const SKIPS: &[(&str, &str, &str)] = &[
    (
        "calls",
        "starved(address,uint256): Counter, 100 ",
        "a send given too little gas: the interpreter has no gas model",
    ),
    (
        "call_dynamic_reply",
        "tryWithGas(address,uint256): Source, 3000 ",
        "a send given too little gas: the interpreter has no gas model",
    ),
];

fn targets(name: &str) -> Targets {
    Targets {
        interp: true,
        interp_skips: SKIPS
            .iter()
            .filter(|(f, ..)| *f == name)
            .map(|(_, l, why)| (l.to_string(), why.to_string()))
            .collect(),
        ..Targets::evm()
    }
}

/// Checks a run's interpreter part against the lists above.
fn check(name: &str, r: &Report) -> Option<String> {
    let want = UNSUPPORTED
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, w)| *w);
    match (&r.interp.unsupported, want) {
        (None, None) => {}
        (Some((_, got)), Some(w)) if got.contains(w) => {}
        (got, w) => {
            return Some(format!(
                "{name}: the interpreter stopped at {got:?}, expected {w:?}"
            ));
        }
    }
    let skips = SKIPS.iter().filter(|(f, ..)| *f == name).count();
    if r.interp.skipped.len() != skips {
        return Some(format!(
            "{name}: lines left off the interpreter {:?}, expected {skips}",
            r.interp.skipped
        ));
    }
    if r.interp.compared == 0 && want.is_none() {
        return Some(format!("{name}: nothing ran on the interpreter"));
    }
    None
}

fn row(name: &str, r: &Report) -> String {
    match &r.interp.unsupported {
        Some((line, why)) => format!(
            "{name}: {} lines agree, stopped at line {line}: {why}",
            r.interp.compared
        ),
        None => format!(
            "{name}: {} lines agree, {} skipped",
            r.interp.compared,
            r.interp.skipped.len()
        ),
    }
}

#[test]
fn feature_fixtures_on_the_interpreter() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features");
    let paths = fixture::discover(&dir).expect("fixtures/features");
    assert!(paths.len() > 40, "the feature fixtures are missing");
    let mut failures = Vec::new();
    let mut table = Vec::new();
    let mut names = Vec::new();
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
                failures.extend(check(&name, &r));
            }
            Err(e) => {
                table.push(format!("{name}: disagree"));
                failures.push(e.to_string());
            }
        }
        names.push(name);
    }
    // Every listed fixture exists: the lists cannot keep stale entries.
    for (f, _) in UNSUPPORTED {
        assert!(names.iter().any(|n| n == f), "no fixture {f}");
    }
    eprintln!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn corpus_on_the_interpreter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus");
    let mut failures = Vec::new();
    let mut table = Vec::new();
    for pkg in ["auction", "erc20", "erc721", "multisig", "vault", "wallet"] {
        let dir = root.join(pkg);
        let sources = read_package(&dir);
        let tests = fixture::package::calls_files(&dir.join("test")).expect("test folder");
        assert!(!tests.is_empty(), "{pkg}: no test/*.calls");
        for test in tests {
            let name = format!(
                "{pkg}/{}",
                test.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
            match fixture::package::run_calls(&test, &sources, &targets(&name)) {
                Ok(r) => {
                    table.push(row(&name, &r));
                    failures.extend(check(&name, &r));
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

/// The interpreter is a real third party: sent the line it cannot model (a starved send,
/// which it runs to success), the run fails and says the interpreter differs; it runs
/// beside the EVM target only.
#[test]
fn the_interpreter_part_can_fail() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features");
    let f = fixture::load(&dir.join("calls.tdm")).expect("fixture");
    let all = Targets {
        interp: true,
        ..Targets::evm()
    };
    let e = fixture::run_with(&f, &all).expect_err("the starved send differs");
    assert!(e.message.contains("the interpreter differs"), "{e}");
    assert!(fixture::run_with(&f, &Targets::evm()).is_ok());
    let alone = Targets {
        interp: true,
        ..Targets::default()
    };
    let e = fixture::run_with(&f, &alone).expect_err("needs the EVM target");
    assert!(e.message.contains("beside the EVM target"), "{e}");
}

/// The sources of a package folder (`src/*.tdm`), as `tandem test` reads them.
fn read_package(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("src"))
        .expect("src")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tdm"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = format!(
                "src/{}",
                p.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
            (name, std::fs::read_to_string(p).expect("source"))
        })
        .collect()
}
