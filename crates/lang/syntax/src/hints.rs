//! Hints for syntax the language does not have (yet): the parser recognises the start of a
//! construct people bring from Rust or Solidity and reports `E0102` naming it, with what to
//! write instead, rather than a bare "expected `;`".
//!
//! Kept apart from the grammar on purpose: when a feature lands, delete its row here and the
//! one `self.unsupported(..)` call that names it. `tests` below checks that every row is
//! reachable from source text.

use crate::diag::{Diagnostic, Span};
use crate::parser::{PResult, Parser};

/// One unsupported construct: the key the parser names it by, the message and the advice.
pub struct Hint {
    pub key: &'static str,
    /// A line that triggers the hint (inside a handler body unless it starts with an item).
    pub sample: &'static str,
    pub message: &'static str,
    pub help: &'static str,
}

pub const HINTS: &[Hint] = &[
    Hint {
        key: "closure",
        sample: "let f = |a| a + 1;",
        message: "closures are not supported yet",
        help: "write a named `fn` and call it",
    },
    Hint {
        key: "reference",
        sample: "let r = &x;",
        message: "references (`&x`) are not supported",
        help: "values are copied; pass or bind the value itself",
    },
    Hint {
        key: "macro",
        sample: "println!(a, b);",
        message: "macros (`name!(..)`) are not supported",
        help: "call a function instead; only the test assertions `assert!`, `assert_eq!` and \
               `assert_ne!` are written with `!`",
    },
    Hint {
        key: "loop",
        sample: "loop { break }",
        message: "`loop` is not supported",
        help: "use `while true { .. }`",
    },
    Hint {
        key: "match guard",
        sample: "match x { v if v > 1 => { } _ => { } }",
        message: "match guards (`pattern if cond =>`) are not supported yet",
        help: "test the condition inside the arm: `v => if v > 1 { .. } else { .. }`",
    },
    Hint {
        key: "pattern ||",
        sample: "match x { 1 || 2 => { } _ => { } }",
        message: "`||` between patterns",
        help: "alternatives of a pattern are separated by one `|`: `A | B`",
    },
    Hint {
        key: "impl Trait",
        sample: "fn f(x: impl Foo) { }",
        message: "`impl Trait` and `dyn Trait` types are not supported yet",
        help: "use a concrete type or a generic parameter",
    },
];

impl Parser {
    /// Reports the unsupported construct `key` (a row of [`HINTS`]) at `span`.
    pub(crate) fn unsupported<T>(&mut self, key: &str, span: Span) -> PResult<T> {
        let (message, help) = HINTS
            .iter()
            .find(|h| h.key == key)
            .map(|h| (h.message, h.help))
            .unwrap_or(("this syntax is not supported", "see docs/language.md"));
        self.diags
            .push(Diagnostic::error("E0102", message, span, "not supported").with_help(help));
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::HINTS;

    /// Every row fires on its sample, once, with its own message.
    #[test]
    fn every_hint_is_reachable() {
        for h in HINTS {
            let src = if h.sample.starts_with("impl") {
                format!("struct S {{ }}\n{}\n", h.sample)
            } else if h.sample.starts_with("fn") {
                format!("{}\n", h.sample)
            } else {
                format!("fn t(x: u256, xs: u256) {{\n    {}\n}}\n", h.sample)
            };
            let (_, diags) = crate::parse_file(0, &src);
            let hits: Vec<_> = diags.iter().filter(|d| d.code == "E0102").collect();
            assert!(
                hits.iter().any(|d| d.message == h.message),
                "`{}`: no hint in {diags:?}",
                h.key
            );
        }
    }
}
