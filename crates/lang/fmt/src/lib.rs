//! `tandem fmt`: the one canonical layout of Tandem source (see `docs/fmt.md`).
//!
//! The formatter works on the lossless syntax tree (`tandem_lang_syntax::cst`), builds a
//! document (`doc`) by the rules in `rules` and prints it at 100 columns. Before it returns,
//! it checks its own output: the output must parse without errors, to the same AST (spans
//! aside), with the same comments in the same order. Anything else is refused as an internal
//! error, so a formatter bug can never change a program or drop a comment.

mod doc;
mod rules;

use tandem_lang_syntax::{Diagnostic, SyntaxKind, SyntaxNode, parse_lossless};

/// The line width of the canonical style.
pub const WIDTH: usize = 100;

#[derive(Debug)]
pub enum FmtError {
    /// The source does not parse; nothing is formatted.
    Syntax(Vec<Diagnostic>),
    /// The formatter would have changed the program or its comments (a formatter bug); the
    /// message says what differed.
    Internal(String),
}

impl std::fmt::Display for FmtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FmtError::Syntax(d) => write!(
                f,
                "the source has {} syntax error(s); first: {}",
                d.len(),
                d.first().map(|d| d.message.as_str()).unwrap_or("")
            ),
            FmtError::Internal(m) => write!(f, "internal formatter error: {m}"),
        }
    }
}

impl std::error::Error for FmtError {}

/// Formats one file's source.
pub fn format_source(src: &str) -> Result<String, FmtError> {
    let parsed = parse_lossless(0, src);
    let errors: Vec<Diagnostic> = parsed
        .diags
        .iter()
        .filter(|d| d.severity == tandem_lang_syntax::Severity::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        return Err(FmtError::Syntax(errors));
    }
    let root = parsed.syntax();
    let out = format_tree(&root);
    check(src, &parsed.file, &root, &out)?;
    Ok(out)
}

/// Formats a tree without checking the result (tests use it to see raw output).
pub fn format_tree(root: &SyntaxNode) -> String {
    let f = rules::Fmt::new(root);
    let d = f.file(root);
    let out = doc::print(&d, WIDTH);
    if out.trim().is_empty() {
        String::new()
    } else {
        out
    }
}

fn comments(root: &SyntaxNode) -> Vec<String> {
    root.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::COMMENT)
        .map(|t| t.text().trim_end().to_string())
        .collect()
}

/// The AST's debug text without spans: equal for two sources exactly when they mean the same.
fn ast_shape(file: &tandem_lang_syntax::ast::File) -> String {
    let s = format!("{file:?}");
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(k) = rest.find("Span {") {
        out.push_str(&rest[..k]);
        rest = &rest[k..];
        match rest.find('}') {
            Some(e) => rest = &rest[e + 1..],
            None => break,
        }
    }
    out.push_str(rest);
    out
}

fn check(
    src: &str,
    before: &tandem_lang_syntax::ast::File,
    root: &SyntaxNode,
    out: &str,
) -> Result<(), FmtError> {
    let _ = src;
    let again = parse_lossless(0, out);
    if let Some(d) = again.diags.first() {
        return Err(FmtError::Internal(format!(
            "the formatted text does not parse ({})",
            d.message
        )));
    }
    if ast_shape(before) != ast_shape(&again.file) {
        return Err(FmtError::Internal(
            "the formatted text parses to a different program".into(),
        ));
    }
    if comments(root) != comments(&again.syntax()) {
        return Err(FmtError::Internal(
            "the formatted text lost or reordered a comment".into(),
        ));
    }
    Ok(())
}
