//! The diagnostics registry held to the compiler (`tandem_lang_syntax::codes`): every code
//! the compiler's source can emit has a page, every page's example really produces its code
//! through the real pipeline (parse, sema, then the EVM and WASM backends), backend errors
//! carry a span, and the repository's own programs compile without warnings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tandem_lang_driver::check::{Backend, check_sources};
use tandem_lang_syntax::codes;

fn lang_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `"E0123"` / `"W0001"` string literals in the compiler's sources.
fn emitted_codes() -> BTreeSet<String> {
    let mut files = Vec::new();
    for krate in [
        "syntax",
        "sema",
        "driver",
        "codegen-evm",
        "codegen-wasm",
        "lsp",
    ] {
        rust_files(&lang_dir().join(krate).join("src"), &mut files);
    }
    let mut found = BTreeSet::new();
    for f in files {
        // The registry's own tests name codes that do not exist.
        if f.components().any(|c| c.as_os_str() == "codes") {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        let b = text.as_bytes();
        for i in 0..b.len().saturating_sub(6) {
            let code = &b[i + 1..i + 6];
            if b[i] == b'"'
                && (code[0] == b'E' || code[0] == b'W')
                && code[1..].iter().all(u8::is_ascii_digit)
                && b[i + 6] == b'"'
            {
                found.insert(String::from_utf8_lossy(code).to_string());
            }
        }
    }
    found
}

#[test]
fn every_emitted_code_has_a_page() {
    let emitted = emitted_codes();
    assert!(emitted.len() >= 90, "found only {} codes", emitted.len());
    let registered: BTreeSet<String> = codes::all().iter().map(|c| c.code.to_string()).collect();
    let missing: Vec<_> = emitted.difference(&registered).collect();
    assert!(missing.is_empty(), "codes without a page: {missing:?}");
    let stale: Vec<_> = registered.difference(&emitted).collect();
    assert!(stale.is_empty(), "pages of codes nothing emits: {stale:?}");
}

/// Everything the pipeline says about a program: errors, or warnings and the EVM backend's
/// error (the WASM backend's with `wasm`, as `tandem build --target wasm` would).
fn diagnose(src: &str, wasm: bool) -> String {
    let sources = vec![("example.tdm".to_string(), src.to_string())];
    match check_sources(&sources) {
        Err(rendered) => rendered,
        Ok(c) => {
            let mut out = c.render_warnings();
            if wasm {
                if let Err(e) = tandem_lang_wasm::generate(&c.module) {
                    out += &c.backend_error(Backend::Wasm, &e);
                }
            } else if let Err(e) = tandem_lang_evm::generate(&c.module, true) {
                out += &c.backend_error(Backend::Evm, &e);
            }
            out
        }
    }
}

#[test]
fn every_example_produces_its_code() {
    let mut failures = Vec::new();
    let mut n = 0;
    for c in codes::all() {
        let Some(example) = c.example() else { continue };
        n += 1;
        let out = diagnose(example, c.example_needs_wasm());
        let head = if c.is_warning() { "warning" } else { "error" };
        if !out.contains(&format!("{head}[{}]", c.code)) {
            failures.push(format!("{} ({}):\n{example}\n-> {out}", c.code, c.title));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} examples:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n >= 85, "only {n} examples");
}

#[test]
fn backend_errors_point_at_their_item() {
    let page = codes::lookup("E0800").expect("E0800");
    let out = diagnose(page.example().expect("example"), false);
    assert!(out.contains("error[E0800]"), "{out}");
    assert!(
        out.contains("example.tdm:1:4"),
        "no span at the function: {out}"
    );
    assert!(out.contains("in this function"), "{out}");
    let page = codes::lookup("E0801").expect("E0801");
    let src = page.example().expect("example");
    let c = check_sources(&[("example.tdm".into(), src.into())]).expect("checks");
    let e = tandem_lang_wasm::generate(&c.module).expect_err("refused");
    let d = c.backend_diagnostic(Backend::Wasm, &e);
    let span = d.primary_span().expect("span");
    assert_eq!(&src[span.lo as usize..span.hi as usize], "Code");
    assert!(
        !d.message.contains("not supported yet is not supported"),
        "{}",
        d.message
    );
}

fn tdm_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            tdm_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "tdm") {
            out.push(p);
        }
    }
}

/// The sources of each program: a fixture file, or a fixture or package folder's files.
fn programs(dir: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let mut files = Vec::new();
        tdm_files(&p, &mut files);
        if p.extension().is_some_and(|x| x == "tdm") {
            files.push(p.clone());
        }
        files.sort();
        let sources = files
            .iter()
            .map(|f| {
                let name = f.file_name().and_then(|s| s.to_str()).unwrap_or("x.tdm");
                (name.to_string(), std::fs::read_to_string(f).expect("read"))
            })
            .collect::<Vec<_>>();
        if !sources.is_empty() {
            out.push((p.display().to_string(), sources));
        }
    }
    out
}

#[test]
fn repository_programs_compile_without_warnings() {
    let mut programs_seen = 0;
    let mut warned = Vec::new();
    let fixtures = lang_dir().join("harness/fixtures");
    let mut all = programs(&fixtures.join("features"));
    all.extend(programs(&fixtures.join("corpus")));
    let doc = std::fs::read_to_string(lang_dir().join("../../docs/language.md")).expect("doc");
    for (i, block) in doc.split("```tandem\n").skip(1).enumerate() {
        let text = block.split("```").next().unwrap_or("");
        all.push((
            format!("docs/language.md block {}", i + 1),
            vec![("Doc.tdm".into(), text.into())],
        ));
    }
    all.push((
        "the init example".into(),
        vec![("Coin.tdm".into(), tandem_lang_driver::COIN_EXAMPLE.into())],
    ));
    for (name, sources) in all {
        let Ok(c) = check_sources(&sources) else {
            continue;
        };
        programs_seen += 1;
        if !c.warnings.is_empty() {
            warned.push(format!("{name}:\n{}", c.render_warnings()));
        }
    }
    assert!(
        programs_seen >= 60,
        "only {programs_seen} programs compiled"
    );
    assert!(
        warned.is_empty(),
        "{} program(s) warn:\n{}",
        warned.len(),
        warned.join("\n")
    );
}

/// `crates/lang/tests/should_warn`: programs that build (warnings do not fail a build) and
/// whose rendered warnings hold every `// expect:` line; `// expect-exactly: N` counts them.
#[test]
fn should_warn_fixtures() {
    let dir = lang_dir().join("tests/should_warn");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("should_warn")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "only {} fixtures", paths.len());
    for p in paths {
        let name = p
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("x.tdm")
            .to_string();
        let text = std::fs::read_to_string(&p).expect("read");
        let c = check_sources(&[(name.clone(), text.clone())])
            .unwrap_or_else(|e| panic!("{name} should build:\n{e}"));
        tandem_lang_evm::generate(&c.module, true).expect("EVM build");
        let out = c.render_warnings();
        for line in text.lines() {
            if let Some(want) = line.trim().strip_prefix("// expect:") {
                assert!(
                    out.contains(want.trim()),
                    "{name}: expected `{}` in:\n{out}",
                    want.trim()
                );
            }
            if let Some(k) = line.trim().strip_prefix("// expect-exactly:") {
                let k: usize = k.trim().parse().expect("count");
                assert_eq!(out.matches("warning[").count(), k, "{name}:\n{out}");
            }
        }
    }
}
