//! Every `.tdm` in the repository (fixtures, corpus, should-fail cases, examples, the layout
//! snapshots): formatting reaches a fixpoint in one pass, keeps every comment, and the
//! formatted package compiles to the same EVM bytecode as the original (or fails as well).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tandem_lang_fmt::{FmtError, format_source};

fn tdm_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target" && n != ".git") {
                tdm_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "tdm") {
            out.push(p);
        }
    }
}

fn comments(src: &str) -> Vec<String> {
    tandem_lang_syntax::parse_lossless(0, src)
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == tandem_lang_syntax::SyntaxKind::COMMENT)
        .map(|t| t.text().trim_end().to_string())
        .collect()
}

/// A contract's name, init code and runtime code.
type Compiled = (String, Vec<u8>, Vec<u8>);

fn bytecode(sources: &[(String, String)]) -> Result<Vec<Compiled>, ()> {
    tandem_lang_driver::compile_sources(sources)
        .map(|b| {
            b.into_iter()
                .map(|b| (b.name, b.init_code, b.runtime_code))
                .collect()
        })
        .map_err(|_| ())
}

#[test]
fn repo_sources_format_to_a_fixpoint_with_the_same_bytecode() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let mut files = Vec::new();
    for dir in ["crates/lang", "examples/lang"] {
        tdm_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 60, "found only {} files", files.len());
    // Packages: the files of one folder compile together.
    let mut packages: BTreeMap<PathBuf, Vec<(String, String, String)>> = BTreeMap::new();
    let mut refused = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let name = f.display().to_string();
        let out = match format_source(&src) {
            Ok(out) => out,
            Err(FmtError::Syntax(_)) => {
                refused.push(name);
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let again = format_source(&out).unwrap_or_else(|e| panic!("{name}: again: {e}"));
        assert_eq!(again, out, "{name}: not a fixpoint");
        assert_eq!(comments(&src), comments(&out), "{name}: comments differ");
        packages
            .entry(f.parent().unwrap().to_path_buf())
            .or_default()
            .push((
                f.file_name().unwrap().to_string_lossy().into_owned(),
                src,
                out,
            ));
    }
    // Only should-fail fixtures of syntax errors are refused: parser recovery and the hints
    // for unsupported syntax.
    assert!(
        refused.len() >= 2 && refused.iter().all(|n| n.contains("tests/should_fail/")),
        "refused: {refused:?}"
    );
    let mut compiled = 0;
    for (dir, files) in packages {
        let before: Vec<_> = files
            .iter()
            .map(|(n, s, _)| (n.clone(), s.clone()))
            .collect();
        let after: Vec<_> = files
            .iter()
            .map(|(n, _, o)| (n.clone(), o.clone()))
            .collect();
        let (b, a) = (bytecode(&before), bytecode(&after));
        assert_eq!(
            b.is_ok(),
            a.is_ok(),
            "{}: compiles before xor after",
            dir.display()
        );
        if let (Ok(b), Ok(a)) = (b, a) {
            assert!(
                b == a,
                "{}: bytecode differs after formatting",
                dir.display()
            );
            compiled += 1;
        }
    }
    assert!(compiled > 5, "only {compiled} packages compiled");
}

#[test]
fn malformed_source_is_refused() {
    for src in [
        "fn f( {",
        "contract C { storage: }",
        "fn f() { \"open }",
        "/* open",
    ] {
        assert!(
            matches!(format_source(src), Err(FmtError::Syntax(_))),
            "{src}"
        );
    }
}
