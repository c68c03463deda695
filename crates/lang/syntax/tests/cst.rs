//! The concrete syntax tree is lossless: its text is the source, for every `.tdm` file in the
//! repository, and for broken input too.

use std::path::{Path, PathBuf};
use tandem_lang_syntax::{SyntaxKind, parse_lossless};

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

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

#[test]
fn every_repo_file_round_trips() {
    let mut files = Vec::new();
    for dir in ["crates/lang", "examples"] {
        tdm_files(&repo_root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} files", files.len());
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let parsed = parse_lossless(0, &src);
        let root = parsed.syntax();
        assert_eq!(root.kind(), SyntaxKind::FILE);
        assert_eq!(root.text().to_string(), src, "{}", f.display());
        if parsed.diags.is_empty() {
            let errors = root
                .descendants()
                .filter(|n| n.kind() == SyntaxKind::ERROR)
                .count();
            assert_eq!(errors, 0, "{}", f.display());
        }
    }
}

#[test]
fn comments_and_broken_input_are_kept() {
    for src in [
        "// head\nfn f() { let x = 1 /* mid */ + 2 } // tail\n",
        "fn f( { let = }\ncontract C { storage: \n recv }\n",
        "struct S { a: Map<u256, Map<Address, bool>> }",
        "/* unterminated",
        "fn f() { \"unterminated }",
        "fn f() { x = $ 1 }",
        "",
        "#[",
        "fn f() -> u8 { ((((((1)))))) }",
        // Multi-byte characters where the lexer does not expect them (found by the `lang`
        // fuzz target: a byte-order mark inside a token panicked on a char boundary).
        "fn f\u{feff}() { let x\u{feff}y = 1 }",
        "\u{feff}contract C { storage: é }",
        "fn f() { x = ü1 /* ж */ }",
        "fn f() { \"é\u{feff}\" } é// tail ж",
        "é/*ж*/é",
    ] {
        let parsed = parse_lossless(0, src);
        assert_eq!(parsed.syntax().text().to_string(), src);
    }
}

#[test]
fn nodes_follow_the_grammar() {
    let src = "fn f() { a.b(1).c + -x as u8 }";
    let root = parse_lossless(0, src).syntax();
    let kinds: Vec<SyntaxKind> = root.descendants().map(|n| n.kind()).collect();
    for k in [
        SyntaxKind::FN,
        SyntaxKind::BLOCK,
        SyntaxKind::EXPR_STMT,
        SyntaxKind::BINARY,
        SyntaxKind::FIELD_EXPR,
        SyntaxKind::METHOD_CALL,
        SyntaxKind::CAST,
        SyntaxKind::UNARY,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
    }
    let bin = root
        .descendants()
        .find(|n| n.kind() == SyntaxKind::BINARY)
        .unwrap();
    assert_eq!(bin.text().to_string(), "a.b(1).c + -x as u8");
}

#[test]
fn string_escapes_decode_or_report_e0005() {
    use tandem_lang_syntax::lexer::{Tok, lex};
    let strings = |src: &str| {
        let (toks, diags) = lex(0, src);
        let s: Vec<String> = toks
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Str(s) => Some(s),
                _ => None,
            })
            .collect();
        let codes: Vec<&'static str> = diags.iter().map(|d| d.code).collect();
        (s, codes)
    };
    assert_eq!(
        strings(r#""a\x41\x7f\n\r\t\0\\\"\'z""#),
        (vec!["aA\u{7f}\n\r\t\0\\\"'z".to_string()], vec![])
    );
    // Non-ASCII bytes, unknown escapes and short or signed hex are errors, and lexing goes on
    // (never slicing inside a multi-byte character).
    for bad in [
        r#""\xe9""#,
        r#""\q""#,
        r#""\x4""#,
        r#""\x+f""#,
        "\"\\x\u{e9}\u{e9}\"",
        "\"\\\u{e9}\"",
    ] {
        let (s, codes) = strings(bad);
        assert_eq!(codes, vec!["E0005"], "{bad}");
        assert_eq!(s.len(), 1, "{bad}");
    }
}
