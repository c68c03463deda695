//! The VS Code extension's TextMate grammar (`editors/vscode/syntaxes/tandem.tmLanguage.json`)
//! tokenises every Tandem source in the repository — fixtures, corpus, examples, `fmt`'s
//! layout snapshots and the `tandem` code blocks of the docs — with vscode-textmate and
//! vscode-oniguruma (VS Code's tokenizer, pinned in `editors/vscode/test/package.json`), and
//! agrees with the compiler: `editors/vscode/test/tokenize.js` checks each character the
//! language server's semantic tokens (from the lexer and parser) call a comment, string,
//! number, keyword or attribute against the grammar's scopes, and the reverse for comments
//! and strings; no undeclared scope, no line stopped early, no file ending inside a rule.
//!
//! Needs node and npm; the packages are installed into `target/tmp/vscode-grammar` on first
//! use. Without them the test skips saying so, and fails under `CI=true` (tandem-testkit).
//! Also checks that the extension's manifest and entry point agree with each other.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn vscode() -> PathBuf {
    workspace().join("editors/vscode")
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !matches!(name, "target" | "node_modules" | ".git" | "out") {
                collect(&p, ext, out);
            }
        } else if name.ends_with(ext) {
            out.push(p);
        }
    }
}

/// The ```tandem blocks of a Markdown file, with their first line numbers.
fn code_blocks(md: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, line) in md.lines().enumerate() {
        match &mut cur {
            None if line.trim_start().starts_with("```tandem") => {
                cur = Some((i + 2, String::new()))
            }
            Some(_) if line.trim_start().starts_with("```") => out.extend(cur.take()),
            Some((_, s)) => {
                s.push_str(line);
                s.push('\n');
            }
            None => {}
        }
    }
    out
}

/// Every source as (name, text).
fn sources() -> Vec<(String, String)> {
    let root = workspace();
    let mut files = Vec::new();
    for d in ["crates", "examples", "tests"] {
        collect(&root.join(d), ".tdm", &mut files);
    }
    let mut out: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(p).display().to_string();
            std::fs::read_to_string(p).ok().map(|t| (name, t))
        })
        .collect();
    let mut docs = Vec::new();
    collect(&root.join("docs"), ".md", &mut docs);
    docs.push(root.join("README.md"));
    for d in docs {
        let Ok(md) = std::fs::read_to_string(&d) else {
            continue;
        };
        let name = d.strip_prefix(&root).unwrap_or(&d).display().to_string();
        for (line, block) in code_blocks(&md) {
            out.push((format!("{name} (block at line {line})"), block));
        }
    }
    out
}

/// The semantic tokens of a text as absolute `[line, col, len, type]`.
fn tokens(text: &str) -> Vec<Value> {
    let (mut line, mut col) = (0u32, 0u32);
    tandem_lang_lsp::tokens::semantic_tokens(text)
        .into_iter()
        .map(|t| {
            if t.delta_line > 0 {
                line += t.delta_line;
                col = t.delta_start;
            } else {
                col += t.delta_start;
            }
            json!([
                line,
                col,
                t.length,
                tandem_lang_lsp::tokens::type_name(t.token_type)
            ])
        })
        .collect()
}

/// The test folder copied into a cache under target/, with the pinned packages installed;
/// `None` (skip) without node and npm.
fn installed() -> Option<PathBuf> {
    if !tandem_testkit::tool(&["node", "npm"]) {
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vscode-grammar");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let src = vscode().join("test");
    let pkg = std::fs::read_to_string(src.join("package.json")).expect("package.json");
    let pinned: Value = serde_json::from_str(&pkg).expect("package.json is JSON");
    let up_to_date = pinned["dependencies"]
        .as_object()
        .expect("dependencies")
        .iter()
        .all(|(name, want)| {
            std::fs::read_to_string(dir.join("node_modules").join(name).join("package.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|v| v["version"] == *want)
        });
    for f in ["package.json", "tokenize.js"] {
        std::fs::copy(src.join(f), dir.join(f)).expect("copy");
    }
    if !up_to_date {
        let (ok, out) = tandem_testkit::run_for(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund"])
                .current_dir(&dir),
            Duration::from_secs(600),
        );
        assert!(ok, "npm install in {} failed:\n{out}", dir.display());
    }
    Some(dir)
}

#[test]
fn the_textmate_grammar_tokenises_every_source_as_the_compiler_does() {
    let sources = sources();
    assert!(sources.len() >= 90, "only {} sources found", sources.len());
    let Some(dir) = installed() else {
        return;
    };
    let cases: Vec<Value> = sources
        .iter()
        .map(|(name, text)| json!({ "name": name, "text": text, "tokens": tokens(text) }))
        .collect();
    let cases_path = dir.join("cases.json");
    std::fs::write(&cases_path, serde_json::to_string(&cases).expect("json")).expect("write");
    let grammar = vscode().join("syntaxes/tandem.tmLanguage.json");
    let (ok, out) = tandem_testkit::run_for(
        Command::new("node")
            .arg("tokenize.js")
            .arg(&grammar)
            .arg(&cases_path)
            .current_dir(&dir),
        Duration::from_secs(300),
    );
    assert!(ok, "the grammar disagrees with the compiler:\n{out}");
    assert!(out.contains(" characters checked"), "{out}");
}

#[test]
fn the_extension_manifest_is_coherent() {
    let read = |f: &str| std::fs::read_to_string(vscode().join(f)).expect(f);
    let pkg: Value = serde_json::from_str(&read("package.json")).expect("package.json is JSON");
    let lang = &pkg["contributes"]["languages"][0];
    assert_eq!(lang["id"], json!("tandem"));
    assert_eq!(lang["extensions"], json!([".tdm"]));
    let grammar = &pkg["contributes"]["grammars"][0];
    assert_eq!(grammar["language"], json!("tandem"));
    let tm: Value = serde_json::from_str(&read(grammar["path"].as_str().expect("grammar path")))
        .expect("the grammar is JSON");
    assert_eq!(tm["scopeName"], grammar["scopeName"]);
    let conf = lang["configuration"].as_str().expect("configuration");
    let _: Value = serde_json::from_str(&read(conf)).expect("language configuration is JSON");
    // Activated by the language; the entry point exists and starts `tandem lsp` with the
    // configured binary, for documents of that language.
    let events = pkg["activationEvents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(events.contains(&json!("onLanguage:tandem")), "{events:?}");
    let main = read(pkg["main"].as_str().expect("main"));
    assert!(main.contains(r#"args: ["lsp"]"#), "{main}");
    assert!(main.contains(r#"language: "tandem""#), "{main}");
    let setting = "tandem.server.path";
    assert!(pkg["contributes"]["configuration"]["properties"][setting].is_object());
    assert!(main.contains(r#"getConfiguration("tandem").get("server.path")"#));
    assert!(pkg["dependencies"]["vscode-languageclient"].is_string());
}
