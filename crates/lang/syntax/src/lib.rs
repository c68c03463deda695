//! The Tandem language front end: source files, spans, diagnostics, the lexer, the AST and a
//! recursive-descent parser that recovers from errors so one run reports several of them.

pub mod ast;
pub mod codes;
pub mod cst;
pub mod diag;
pub mod hints;
pub mod lexer;
mod parse_asm;
mod parse_expr;
mod parse_pattern;
mod parse_type;
pub mod parser;
mod parser_contract;
mod parser_items;

pub use cst::{SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};
pub use diag::{Diagnostic, Diagnostics, Label, Severity, SourceMap, Span};
pub use parse_asm::find_asm;
pub use parser::{Parsed, parse_file, parse_lossless};
