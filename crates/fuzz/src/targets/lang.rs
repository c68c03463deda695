//! The language front end (lexer, parser, sema, IR optimiser, EVM codegen, through
//! `tandem_lang_driver::compile_sources`): mutated fixtures and random token streams must
//! compile or fail with diagnostics, never panic.
//!
//! Beyond the byte-level test in crates/lang/harness/tests/should_fail.rs, mutations work on
//! tokens (delete, duplicate, swap, replace, insert, move ranges), change literals to extremes
//! (2^256, long hex, unicode strings), nest expressions deeply, and cover every fixture and
//! multi-file package.

use std::path::{Path, PathBuf};

use rand::Rng;
use rand::rngs::StdRng;
use tandem_lang_syntax::lexer::{Tok, lex};

use crate::{Stats, Target, pick};

/// A package: its files (name, text).
type Package = Vec<(String, String)>;

pub struct LangTarget {
    packages: Vec<Package>,
    /// Every token text seen in the fixtures, plus every punctuation and some keywords.
    pool: Vec<String>,
}

fn tdm_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            tdm_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "tdm") {
            out.push(p);
        }
    }
}

/// The fixtures: each file of features/ and tests/ alone, each corpus package whole.
pub fn fixtures() -> Vec<Package> {
    let lang = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lang");
    let mut packages = Vec::new();
    let mut singles = Vec::new();
    tdm_files(&lang.join("harness/fixtures/features"), &mut singles);
    tdm_files(&lang.join("tests"), &mut singles);
    for p in singles {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        packages.push(vec![(name, text)]);
    }
    let corpus = lang.join("harness/fixtures/corpus");
    if let Ok(dirs) = std::fs::read_dir(&corpus) {
        let mut dirs: Vec<_> = dirs.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        dirs.sort();
        for d in dirs {
            let mut files = Vec::new();
            tdm_files(&d, &mut files);
            packages.push(
                files
                    .iter()
                    .map(|p| {
                        (
                            p.file_name().unwrap().to_string_lossy().to_string(),
                            std::fs::read_to_string(p).unwrap_or_default(),
                        )
                    })
                    .collect(),
            );
        }
    }
    packages
}

/// A token as source text.
fn render(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) => s.clone(),
        Tok::Int(d, 16) => format!("0x{d}"),
        Tok::Int(d, _) => d.clone(),
        Tok::Str(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        Tok::Punct(p) => p.to_string(),
        Tok::Eof => String::new(),
    }
}

/// Source text as (token text, newline before) pairs.
fn tokens(text: &str) -> Vec<(String, bool)> {
    let (toks, _) = lex(0, text);
    toks.iter()
        .filter(|t| t.tok != Tok::Eof)
        .map(|t| (render(&t.tok), t.newline_before))
        .collect()
}

fn join(toks: &[(String, bool)]) -> String {
    let mut s = String::new();
    for (t, nl) in toks {
        s.push(if *nl { '\n' } else { ' ' });
        s.push_str(t);
    }
    s
}

/// Links that chain (see the chain mutation), as space-separated tokens.
const CHAIN_LINKS: &[&str] = &[
    "+ x",
    "&& true",
    ". f ( )",
    ". x",
    "as u8",
    "[ 0 ]",
    "?",
    "else if c { 1 }",
];

const EXTREME_INTS: &[&str] = &[
    "0",
    "1",
    "255",
    "256",
    "18446744073709551616",
    "115792089237316195423570985008687907853269984665640564039457584007913129639935",
    "115792089237316195423570985008687907853269984665640564039457584007913129639936",
    "57896044618658097711785492504343953926634992332820282019728792003956564819968",
    "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0x",
    "0_0",
    "1e18",
];

const EXTREME_STRS: &[&str] = &[
    "\"\"",
    "\"é😀\"",
    "\"\\\"",
    "\"\\u{0}\"",
    "\"a\\",
    "\"\u{0}\"",
    "\"0x1234\"",
];

const KEYWORDS: &[&str] = &[
    "contract", "fn", "let", "mut", "if", "else", "match", "for", "while", "loop", "return",
    "recv", "message", "event", "error", "struct", "enum", "impl", "const", "type", "use",
    "storage", "self", "ctx", "emit", "revert", "true", "false", "u256", "u8", "i256", "bool",
    "address", "bytes", "String", "Map", "Vec", "Option", "Result", "as", "in", "break",
    "continue", "pub", "view", "payable", "init",
];

const ODD: &[&str] = &[
    "é", "😀", "\u{0}", "\\", "`", "$", "'", "\u{feff}", "/*", "*/", "//",
];

impl LangTarget {
    pub fn new() -> Self {
        let packages = fixtures();
        assert!(
            packages.len() >= 20,
            "expected the language fixtures under crates/lang"
        );
        let mut pool: Vec<String> = Vec::new();
        for p in &packages {
            for (_, text) in p {
                for (t, _) in tokens(text) {
                    pool.push(t);
                }
            }
        }
        pool.sort();
        pool.dedup();
        pool.extend(KEYWORDS.iter().map(|s| s.to_string()));
        for p in [
            "<<=", ">>=", "..=", "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=",
            "*=", "/=", "%=", "&=", "|=", "^=", "<<", ">>", "..", "**", "{", "}", "(", ")", "[",
            "]", "<", ">", ",", ";", ":", ".", "=", "+", "-", "*", "/", "%", "!", "&", "|", "^",
            "#", "~", "?", "@",
        ] {
            pool.push(p.to_string());
        }
        Self { packages, pool }
    }

    fn random_token(&self, rng: &mut StdRng) -> String {
        match rng.random_range(0..20) {
            0 => pick(rng, EXTREME_INTS).to_string(),
            1 => pick(rng, EXTREME_STRS).to_string(),
            2 => pick(rng, ODD).to_string(),
            _ => pick(rng, &self.pool).clone(),
        }
    }

    fn mutate_tokens(&self, rng: &mut StdRng, text: &str) -> String {
        let mut toks = tokens(text);
        if toks.is_empty() {
            toks.push(("x".into(), false));
        }
        // Mostly one mutation, so many cases get past the parser into sema and codegen.
        let mutations = if rng.random_bool(0.6) {
            1
        } else {
            rng.random_range(2..=6)
        };
        for _ in 0..mutations {
            let n = toks.len();
            let i = rng.random_range(0..n);
            match rng.random_range(0..10) {
                9 => {
                    // Repeat a link after token i into a long chain (`+ x`, `.f()`, `as u8`,
                    // `else if c { 1 }`, `[0]`): a tree as deep as the chain is long, which
                    // every pass after the parser walks recursively.
                    let link = pick(rng, CHAIN_LINKS);
                    let len = rng.random_range(1..4000);
                    let chain: Vec<(String, bool)> = (0..len)
                        .flat_map(|_| link.split(' ').map(|t| (t.to_string(), false)))
                        .collect();
                    toks.splice(i + 1..i + 1, chain);
                }
                0 if n > 1 => {
                    toks.remove(i);
                }
                1 => {
                    let t = toks[i].clone();
                    toks.insert(i, t);
                }
                2 => {
                    let j = rng.random_range(0..n);
                    toks.swap(i, j);
                }
                3 => toks[i].0 = self.random_token(rng),
                4 => toks.insert(i, (self.random_token(rng), rng.random_bool(0.1))),
                5 => {
                    // Change a literal to an extreme one.
                    if let Some(k) = (0..n).map(|k| (i + k) % n).find(|k| {
                        toks[*k]
                            .0
                            .starts_with(|c: char| c.is_ascii_digit() || c == '"')
                    }) {
                        toks[k].0 = if toks[k].0.starts_with('"') {
                            pick(rng, EXTREME_STRS).to_string()
                        } else {
                            pick(rng, EXTREME_INTS).to_string()
                        };
                    }
                }
                6 => {
                    // Delete a range.
                    let j = (i + rng.random_range(1..20)).min(n);
                    if j - i < n {
                        toks.drain(i..j);
                    }
                }
                7 => {
                    // Copy a range elsewhere.
                    let j = (i + rng.random_range(1..30)).min(n);
                    let range: Vec<_> = toks[i..j].to_vec();
                    let at = rng.random_range(0..=n);
                    toks.splice(at..at, range);
                }
                _ => {
                    // Nest the tokens from i deeply in brackets.
                    let (open, close) =
                        *pick(rng, &[("(", ")"), ("[", "]"), ("{", "}"), ("-", "")]);
                    let depth = rng.random_range(1..200);
                    let j = (i + rng.random_range(1..5)).min(n);
                    for _ in 0..depth {
                        if !close.is_empty() {
                            toks.insert(j, (close.into(), false));
                        }
                        toks.insert(i, (open.into(), false));
                    }
                }
            }
        }
        join(&toks)
    }

    fn mutate_bytes(rng: &mut StdRng, text: &str) -> String {
        let mut s = text.as_bytes().to_vec();
        for _ in 0..rng.random_range(1..=8) {
            if s.is_empty() {
                s.push(b'x');
            }
            let i = rng.random_range(0..s.len());
            match rng.random_range(0..4) {
                0 => {
                    s.remove(i);
                }
                1 => s.insert(i, rng.random()),
                2 => {
                    let odd = pick(rng, ODD).as_bytes().to_vec();
                    s.splice(i..i, odd);
                }
                _ => s.truncate(i),
            }
        }
        String::from_utf8_lossy(&s).to_string()
    }

    /// One case: a package whose files may be mutated, or a random token stream.
    pub fn generate(&self, rng: &mut StdRng) -> Package {
        match rng.random_range(0..10) {
            0 => {
                let n = rng.random_range(1..200);
                let toks: Vec<(String, bool)> = (0..n)
                    .map(|_| (self.random_token(rng), rng.random_bool(0.1)))
                    .collect();
                vec![("Fuzz.tdm".into(), join(&toks))]
            }
            k => {
                let mut package = pick(rng, &self.packages).clone();
                let f = rng.random_range(0..package.len());
                let text = &package[f].1;
                package[f].1 = if k <= 7 {
                    self.mutate_tokens(rng, text)
                } else {
                    Self::mutate_bytes(rng, text)
                };
                package
            }
        }
    }
}

impl Default for LangTarget {
    fn default() -> Self {
        Self::new()
    }
}

/// Compiles a package; panics only if the compiler does.
pub fn compile(package: &Package) -> bool {
    tandem_lang_driver::compile_sources(package).is_ok()
}

impl Target for LangTarget {
    const NAME: &'static str = "lang";

    fn iteration(&mut self, rng: &mut StdRng, stats: &mut Stats) {
        let package = self.generate(rng);
        let ok = std::panic::catch_unwind(|| compile(&package)).unwrap_or_else(|e| {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("the compiler panicked ({msg}) on:\n{package:#?}")
        });
        stats.count(if ok { "compiled" } else { "diagnostics" });
    }
}
