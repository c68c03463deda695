//! Conventions the whole workspace keeps, checked rather than hoped for: files stay small
//! (or say why not), every crate opts into the workspace lints, ARCHITECTURE.md names every
//! crate, a crate's integration tests link into one binary, and documented `cargo test --test`
//! commands name real targets. Reads the source tree only.

use std::path::{Path, PathBuf};

/// Files allowed over `MAX_LINES`, each with its reason.
const LONG_FILES: &[(&str, &str)] = &[
    (
        "crates/fuzz/src/targets/evm.rs",
        "one generator of EVM programs; splitting it would scatter the opcode table",
    ),
    (
        "crates/lang/sema/src/cx.rs",
        "the checker's context: its methods are the API every sema module uses",
    ),
];
const MAX_LINES: usize = 800;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name();
        if name == "target" || name == "node_modules" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn no_rust_file_is_over_800_lines_without_a_reason() {
    let mut files = Vec::new();
    for dir in ["crates", "examples"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 100, "found only {} Rust files", files.len());
    let mut long = Vec::new();
    for f in &files {
        let lines = std::fs::read_to_string(f).map_or(0, |t| t.lines().count());
        let rel = relative(f);
        if lines > MAX_LINES && !LONG_FILES.iter().any(|(p, _)| *p == rel) {
            long.push(format!("{rel}: {lines} lines"));
        }
    }
    assert!(
        long.is_empty(),
        "split these files, or add them to LONG_FILES with a reason:\n{}",
        long.join("\n")
    );
    for (path, _) in LONG_FILES {
        assert!(
            root().join(path).exists(),
            "LONG_FILES names {path}, which is gone"
        );
    }
}

/// Every package manifest of the workspace (crates/*, crates/lang/*, examples/actors/*).
fn manifests() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["crates", "crates/lang", "examples/actors"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let m = e.path().join("Cargo.toml");
            if std::fs::read_to_string(&m).is_ok_and(|t| t.contains("[package]")) {
                out.push(m);
            }
        }
    }
    out
}

#[test]
fn every_crate_uses_the_workspace_lints() {
    let manifests = manifests();
    assert!(
        manifests.len() > 20,
        "found only {} crates",
        manifests.len()
    );
    let missing: Vec<String> = manifests
        .iter()
        .filter(|m| {
            let t = std::fs::read_to_string(m).unwrap_or_default();
            !t.contains("[lints]\nworkspace = true")
        })
        .map(|m| relative(m))
        .collect();
    assert!(
        missing.is_empty(),
        "add `[lints] workspace = true` to: {missing:?}"
    );
}

#[test]
fn architecture_md_names_every_crate() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let missing: Vec<String> = manifests()
        .iter()
        .filter_map(|m| m.parent().map(relative))
        .filter(|dir| dir.starts_with("crates/"))
        .filter(|dir| !arch.contains(dir.as_str()))
        // The language's stages are named in its section as `syntax`, `sema`, `ir`, ….
        .filter(|dir| match dir.strip_prefix("crates/lang/") {
            Some(stage) => !arch.contains(&format!("`{stage}`")),
            None => true,
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not mention: {missing:?}"
    );
}

/// Each integration-test binary links wasmtime, revm and the IPLD crates again; one per file
/// filled a CI disk (~190 binaries). So a crate with more than one file in `tests/` turns off
/// `autotests` and declares them all as modules of `tests/integration.rs`, and a file left
/// out of that list would never be compiled, let alone run: this test catches both.
#[test]
fn integration_tests_link_into_one_binary_per_crate() {
    let mut problems = Vec::new();
    for manifest in manifests() {
        let dir = manifest.parent().expect("manifest has a folder");
        let Ok(entries) = std::fs::read_dir(dir.join("tests")) else {
            continue;
        };
        let mut files: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let module = name.strip_suffix(".rs")?.to_string();
                e.path().is_file().then_some(module)
            })
            .filter(|m| m != "integration")
            .collect();
        files.sort();
        let toml = std::fs::read_to_string(&manifest).unwrap_or_default();
        let crate_dir = relative(dir);
        if !toml.contains("autotests = false") {
            if files.len() > 1 {
                problems.push(format!(
                    "{crate_dir}: {} test files, each its own binary; declare them in \
                     tests/integration.rs with `autotests = false`",
                    files.len()
                ));
            }
            continue;
        }
        // A `tests/NAME/main.rs` is a test binary of its own only when auto-discovered; with
        // `autotests = false` it must be a `[[test]]` of the manifest.
        if let Ok(entries) = std::fs::read_dir(dir.join("tests")) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let main = format!("path = \"tests/{name}/main.rs\"");
                if e.path().join("main.rs").is_file() && !toml.contains(&main) {
                    problems.push(format!(
                        "{crate_dir}/tests/{name}/main.rs is not a [[test]] target, so it never runs"
                    ));
                }
            }
        }
        let root = std::fs::read_to_string(dir.join("tests/integration.rs")).unwrap_or_default();
        for module in files {
            if !root.lines().any(|l| l.trim() == format!("mod {module};")) {
                problems.push(format!(
                    "{crate_dir}/tests/{module}.rs is not declared in tests/integration.rs, \
                     so it never runs"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The test targets of each package, by package name: `[[test]]` names, plus with
/// auto-discovery `tests/NAME.rs` and `tests/NAME/main.rs`.
fn test_targets() -> std::collections::HashMap<String, Vec<String>> {
    let mut out = std::collections::HashMap::new();
    for manifest in manifests() {
        let dir = manifest.parent().expect("manifest has a folder");
        let toml = std::fs::read_to_string(&manifest).unwrap_or_default();
        let value = |line: &str| line.split('"').nth(1).map(str::to_string);
        let Some(package) = toml
            .lines()
            .find(|l| l.trim_start().starts_with("name ="))
            .and_then(value)
        else {
            continue;
        };
        let mut targets = Vec::new();
        let mut in_test = false;
        for line in toml.lines() {
            if line.starts_with('[') {
                in_test = line.trim() == "[[test]]";
            } else if in_test && line.trim_start().starts_with("name =") {
                targets.extend(value(line));
            }
        }
        if !toml.contains("autotests = false") {
            for e in std::fs::read_dir(dir.join("tests"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = e.file_name().to_string_lossy().into_owned();
                match name.strip_suffix(".rs") {
                    Some(stem) => targets.push(stem.to_string()),
                    None if e.path().join("main.rs").is_file() => targets.push(name),
                    None => {}
                }
            }
        }
        out.insert(package, targets);
    }
    out
}

/// A script or a doc that says `cargo test -p PKG --test NAME` must name a test target PKG
/// has: merging test files into one binary per crate left such a command behind, failing.
#[test]
fn documented_test_commands_name_real_test_targets() {
    let targets = test_targets();
    let mut files = vec![root().join(".ci/run"), root().join("README.md")];
    for dir in ["docs", "bench", "crates", "examples"] {
        let mut stack = vec![root().join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                if name == "target" || name == "node_modules" || name.starts_with('.') {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else if [".md", ".sh", ".rs"].iter().any(|x| name.ends_with(x)) {
                    files.push(path);
                }
            }
        }
    }
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for line in text.lines().filter(|l| l.contains("cargo test")) {
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || c == '`')
                .collect();
            let after = |flag: &str| {
                words
                    .iter()
                    .position(|w| *w == flag)
                    .and_then(|i| words.get(i + 1))
                    .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '_'))
            };
            let (Some(package), Some(test)) = (after("-p"), after("--test")) else {
                continue;
            };
            // Placeholders such as `CRATE` or `<crate>` name no package.
            let Some(known) = targets.get(package) else {
                continue;
            };
            if !known.iter().any(|t| t == test) {
                problems.push(format!(
                    "{}: `--test {test}` is not a test target of {package} (it has {known:?})",
                    relative(&file)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
