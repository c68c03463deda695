//! Turns source text into tokens. Newlines are not tokens; each token records whether a line
//! break precedes it, which the parser uses to end statements without semicolons.

use crate::diag::{Diagnostic, Span};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    /// An integer literal: its digits without underscores, and its radix (10 or 16).
    Int(String, u32),
    Str(String),
    /// Punctuation and operators, e.g. `::`, `=>`, `+=`.
    Punct(&'static str),
    Eof,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
    pub newline_before: bool,
}

const PUNCTS: &[&str] = &[
    "<<=", ">>=", "..=", "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=",
    "/=", "%=", "&=", "|=", "^=", "<<", ">>", "..", "**", "{", "}", "(", ")", "[", "]", "<", ">",
    ",", ";", ":", ".", "=", "+", "-", "*", "/", "%", "!", "&", "|", "^", "#", "~", "?", "@",
];

/// Lexes a whole file. Unknown characters and unterminated strings become diagnostics; lexing
/// continues after them.
pub fn lex(file: u32, src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let bytes = src.as_bytes();
    let mut toks = Vec::new();
    let mut diags = Vec::new();
    let mut i = 0;
    let mut newline = true;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\n' {
            newline = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if src[i..].starts_with("//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if src[i..].starts_with("/*") {
            let start = i;
            i += 2;
            while i < bytes.len() && !bytes[i..].starts_with(b"*/") {
                i += 1;
            }
            if i >= bytes.len() {
                diags.push(Diagnostic::error(
                    "E0001",
                    "unterminated block comment",
                    Span::new(file, start, start + 2),
                    "comment starts here",
                ));
            }
            i = (i + 2).min(bytes.len());
            continue;
        }
        let start = i;
        let tok = if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            // `assert_eq!(..)`: the test assertions, called with `!`, are one identifier (sema
            // knows them). Any other `name!(` stays a name and a `!`, which the parser
            // reports as an unsupported macro.
            if bytes[i..].starts_with(b"!(")
                && matches!(&src[start..i], "assert" | "assert_eq" | "assert_ne")
            {
                i += 1;
            }
            Tok::Ident(src[start..i].to_string())
        } else if c.is_ascii_digit() {
            let (radix, from) = if src[i..].starts_with("0x") || src[i..].starts_with("0X") {
                (16, i + 2)
            } else {
                (10, i)
            };
            i = from;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let digits: String = src[from..i].chars().filter(|c| *c != '_').collect();
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                diags.push(Diagnostic::error(
                    "E0002",
                    "invalid integer literal",
                    Span::new(file, start, i),
                    "not a number",
                ));
            }
            Tok::Int(digits, radix)
        } else if c == b'"' {
            i += 1;
            let mut s = String::new();
            let mut closed = false;
            while i < bytes.len() {
                let ch = src[i..].chars().next().unwrap_or('\0');
                if ch == '"' {
                    i += 1;
                    closed = true;
                    break;
                }
                if ch == '\\' && i + 1 < bytes.len() {
                    let esc = src[i + 1..].chars().next().unwrap_or('\0');
                    let mut len = 1 + esc.len_utf8();
                    let decoded = match esc {
                        'n' => Some('\n'),
                        'r' => Some('\r'),
                        't' => Some('\t'),
                        '0' => Some('\0'),
                        '\\' | '"' | '\'' => Some(esc),
                        // `\x` and two hex digits, at most 7F: a string is UTF-8 text.
                        'x' => {
                            let byte = src
                                .get(i + 2..i + 4)
                                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                                .and_then(|h| u8::from_str_radix(h, 16).ok());
                            // Two hex digits are ASCII, so the next char starts after them.
                            if byte.is_some() {
                                len += 2;
                            }
                            byte.filter(|b| b.is_ascii()).map(char::from)
                        }
                        _ => None,
                    };
                    match decoded {
                        Some(c) => s.push(c),
                        None => diags.push(
                            Diagnostic::error(
                                "E0005",
                                "invalid escape in a string literal",
                                Span::new(file, i, (i + len).min(bytes.len())),
                                "not an escape",
                            )
                            .with_help(
                                "escapes are `\\n`, `\\r`, `\\t`, `\\0`, `\\\\`, `\\\"`, `\\'` and \
                                 `\\x00`–`\\x7f`; for other bytes use `Bytes::from_hex`",
                            ),
                        ),
                    }
                    i = (i + len).min(bytes.len());
                    continue;
                }
                s.push(ch);
                i += ch.len_utf8();
            }
            if !closed {
                diags.push(Diagnostic::error(
                    "E0003",
                    "unterminated string literal",
                    Span::new(file, start, start + 1),
                    "string starts here",
                ));
            }
            Tok::Str(s)
        } else if let Some(p) = PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            i += p.len();
            Tok::Punct(p)
        } else {
            let ch = src[i..].chars().next().unwrap_or('\0');
            i += ch.len_utf8().max(1);
            diags.push(Diagnostic::error(
                "E0004",
                format!("unexpected character `{ch}`"),
                Span::new(file, start, i),
                "not valid here",
            ));
            continue;
        };
        toks.push(Token {
            tok,
            span: Span::new(file, start, i),
            newline_before: newline,
        });
        newline = false;
    }
    toks.push(Token {
        tok: Tok::Eof,
        span: Span::new(file, src.len(), src.len()),
        newline_before: true,
    });
    (toks, diags)
}
