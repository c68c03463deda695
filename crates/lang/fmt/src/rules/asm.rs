//! The body of an `asm evm` block: instructions keep the lines the author grouped them in
//! (`DUP2 DUP2 MOD` on one line, the next step on the next), one space apart. A body written
//! on one line stays flat while it fits. With comments inside, the body takes the general
//! rule for bodies (one member a line), which prints every comment.

use super::{Fmt, Shape, has_comment, source_flat};
use crate::doc::{Doc, concat, group, indent, text};
use tandem_lang_syntax::cst::{SyntaxKind, SyntaxNode};

/// Whether a line break separates the node from the token before it.
fn starts_line(n: &SyntaxNode) -> bool {
    n.first_token()
        .and_then(|t| t.prev_token())
        .is_some_and(|p| p.kind() == SyntaxKind::WHITESPACE && p.text().contains('\n'))
}

impl Fmt {
    pub(super) fn asm_body(&self, n: &SyntaxNode) -> Doc {
        let ops: Vec<SyntaxNode> = n
            .children()
            .filter(|c| c.kind() == SyntaxKind::ASM_OP)
            .collect();
        let braces = n
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| matches!(t.text(), "{" | "}"))
            .collect::<Vec<_>>();
        let (Some(open), Some(close), 2) = (braces.first(), braces.last(), braces.len()) else {
            return self.list(n, Shape::Body);
        };
        if ops.is_empty() || has_comment(n) {
            return self.list(n, Shape::Body);
        }
        let mut lines: Vec<Vec<Doc>> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            if i == 0 || starts_line(op) {
                lines.push(Vec::new());
            }
            if let Some(line) = lines.last_mut() {
                line.push(self.node(op));
            }
        }
        let join = |line: Vec<Doc>| {
            let mut v = Vec::new();
            for (i, d) in line.into_iter().enumerate() {
                if i > 0 {
                    v.push(text(" "));
                }
                v.push(d);
            }
            concat(v)
        };
        if lines.len() == 1 && source_flat(n) {
            let line = lines.pop().unwrap_or_default();
            return group(concat(vec![
                self.tok(open),
                indent(concat(vec![Doc::Line, join(line)])),
                Doc::Line,
                self.tok(close),
            ]));
        }
        let mut body = Vec::new();
        for line in lines {
            body.push(Doc::HardLine);
            body.push(join(line));
        }
        concat(vec![
            self.tok(open),
            indent(concat(body)),
            Doc::HardLine,
            self.tok(close),
        ])
    }
}
