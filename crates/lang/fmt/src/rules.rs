//! From the concrete syntax tree to a document: one rule per node shape (lists, bodies,
//! operator chains, call chains) and a spacing table for everything else. Every token of the
//! tree passes through `tok` or `skip`, which also emit the comments around it, so no comment
//! can be lost by a rule.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use rowan::TextSize;
use tandem_lang_syntax::cst::{SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};

use crate::doc::{Doc, concat, group, indent, text};
use SyntaxKind::*;

mod asm;

#[derive(Clone, Debug)]
struct Comment {
    text: String,
    /// A line break separates it from the token before it (or it starts the file).
    own_line: bool,
    /// An empty line separates it from what comes before.
    blank_before: bool,
    /// A line break follows it.
    newline_after: bool,
}

impl Comment {
    fn is_line(&self) -> bool {
        self.text.starts_with("//")
    }
}

#[derive(Clone, Debug, Default)]
struct Around {
    /// Comments on the lines before the token (and between them and the previous token).
    lead: Vec<Comment>,
    /// An empty line right before the token (after its leading comments).
    blank: bool,
    /// Comments after the token on its own line.
    trail: Vec<Comment>,
}

pub struct Fmt {
    around: HashMap<TextSize, Around>,
    /// Comments after the last token of the file.
    end: Vec<Comment>,
    /// Tokens whose trailing comments an enclosing group prints after itself (so that a
    /// comment at the end of a line does not break the group it ends).
    deferred: RefCell<HashSet<TextSize>>,
}

fn sig_tokens(n: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    n.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
}

fn first_token(n: &SyntaxNode) -> Option<SyntaxToken> {
    sig_tokens(n).next()
}

/// The children that are not trivia.
fn elems(n: &SyntaxNode) -> Vec<SyntaxElement> {
    n.children_with_tokens()
        .filter(|e| !e.kind().is_trivia())
        .collect()
}

fn is_tok(e: &SyntaxElement, s: &str) -> bool {
    e.as_token().is_some_and(|t| t.text() == s)
}

/// No line break between the node's first and last token in the source.
fn source_flat(n: &SyntaxNode) -> bool {
    !n.text().to_string().trim().contains('\n')
}

fn has_comment(n: &SyntaxNode) -> bool {
    n.descendants_with_tokens().any(|e| e.kind() == COMMENT)
}

impl Fmt {
    pub fn new(root: &SyntaxNode) -> Fmt {
        let mut around: HashMap<TextSize, Around> = HashMap::new();
        let mut prev: Option<TextSize> = None;
        let mut pending: Vec<SyntaxToken> = Vec::new();
        let mut end = Vec::new();
        let tokens = root
            .descendants_with_tokens()
            .filter_map(|e| e.into_token());
        for t in tokens {
            if t.kind().is_trivia() {
                pending.push(t);
                continue;
            }
            let (trail, lead, blank) = split_trivia(&pending, prev.is_some());
            pending.clear();
            if let Some(p) = prev {
                around.entry(p).or_default().trail = trail;
            }
            let a = around.entry(t.text_range().start()).or_default();
            a.lead = lead;
            a.blank = blank;
            prev = Some(t.text_range().start());
        }
        let (trail, lead, _) = split_trivia(&pending, prev.is_some());
        if let Some(p) = prev {
            around.entry(p).or_default().trail = trail;
        }
        end.extend(lead);
        Fmt {
            around,
            end,
            deferred: RefCell::new(HashSet::new()),
        }
    }

    fn around(&self, t: &SyntaxToken) -> Around {
        self.around
            .get(&t.text_range().start())
            .cloned()
            .unwrap_or_default()
    }

    /// Leading comments of a token, each ending its line when it ended one in the source.
    fn lead(&self, t: &SyntaxToken) -> Doc {
        self.lead_parts(t, true)
    }

    /// Leading comments of a closing delimiter: the line break after the last one is left to
    /// the list.
    fn lead_inside(&self, t: &SyntaxToken) -> Doc {
        self.lead_parts(t, false)
    }

    fn lead_parts(&self, t: &SyntaxToken, end_break: bool) -> Doc {
        let a = self.around(t);
        let mut v = Vec::new();
        for (i, c) in a.lead.iter().enumerate() {
            if c.own_line {
                v.push(Doc::FreshLine);
                if i > 0 && c.blank_before {
                    v.push(Doc::HardLine);
                }
            }
            v.push(text(c.text.clone()));
            let is_last = i + 1 == a.lead.len();
            if c.is_line() || c.newline_after {
                if end_break || !is_last {
                    v.push(Doc::HardLine);
                }
            } else {
                v.push(text(" "));
            }
        }
        if end_break
            && a.blank
            && a.lead
                .last()
                .is_some_and(|c| c.is_line() || c.newline_after)
        {
            v.push(Doc::HardLine);
        }
        concat(v)
    }

    /// Comments after a token on its line.
    fn trail(&self, t: &SyntaxToken) -> Doc {
        if self.deferred.borrow().contains(&t.text_range().start()) {
            return concat(Vec::new());
        }
        self.trail_now(t)
    }

    fn trail_now(&self, t: &SyntaxToken) -> Doc {
        let a = self.around(t);
        let mut v = Vec::new();
        for c in &a.trail {
            if c.is_line() || c.newline_after {
                v.push(Doc::LineSuffix(format!(" {}", c.text)));
                v.push(Doc::BreakParent);
            } else {
                v.push(text(format!(" {}", c.text)));
            }
        }
        concat(v)
    }

    fn tok(&self, t: &SyntaxToken) -> Doc {
        concat(vec![self.lead(t), text(t.text()), self.trail(t)])
    }

    /// A token left out of the output (an optional `;` or `,`): only its comments stay.
    fn skip(&self, t: &SyntaxToken) -> Doc {
        concat(vec![self.lead(t), self.trail(t)])
    }

    fn blank_before(&self, n: &SyntaxNode) -> bool {
        match first_token(n) {
            Some(t) => {
                let a = self.around(&t);
                a.lead.first().map_or(a.blank, |c| c.blank_before)
            }
            None => false,
        }
    }

    fn elem(&self, e: &SyntaxElement) -> Doc {
        match e {
            rowan::NodeOrToken::Node(n) => self.node(n),
            rowan::NodeOrToken::Token(t) => self.tok(t),
        }
    }

    pub fn file(&self, root: &SyntaxNode) -> Doc {
        let mut v = Vec::new();
        let mut first = true;
        for e in elems(root) {
            if !first {
                v.push(Doc::HardLine);
                if let Some(n) = e.as_node()
                    && self.blank_before(n)
                {
                    v.push(Doc::HardLine);
                }
            }
            first = false;
            v.push(self.elem(&e));
        }
        for (i, c) in self.end.iter().enumerate() {
            if !first || i > 0 {
                v.push(Doc::HardLine);
                if c.blank_before {
                    v.push(Doc::HardLine);
                }
            }
            v.push(text(c.text.clone()));
        }
        concat(v)
    }

    /// Builds a group for `n`, printing the trailing comments of its last token after it.
    fn hoisting(&self, n: &SyntaxNode, build: impl FnOnce() -> Doc) -> Doc {
        let last = sig_tokens(n).last();
        let owned = last
            .as_ref()
            .is_some_and(|t| self.deferred.borrow_mut().insert(t.text_range().start()));
        let d = build();
        match last {
            Some(t) if owned => {
                self.deferred.borrow_mut().remove(&t.text_range().start());
                concat(vec![d, self.trail_now(&t)])
            }
            _ => d,
        }
    }

    pub fn node(&self, n: &SyntaxNode) -> Doc {
        match n.kind() {
            FIELD_LIST | MSG_VARIANTS | ENUM_VARIANTS | FIELD_INITS | BINDINGS | PAT_FIELDS => {
                self.list(n, Shape::Brace)
            }
            USE_GROUP | ARG_LIST | PARAM_LIST | TUPLE | TYPE_TUPLE | PAT_TUPLE | TUPLE_FIELDS
            | PAT_TUPLE_FIELDS | GENERIC_ARGS | GENERIC_PARAMS | ARRAY | CAP_LIST | ASM_INPUTS => {
                self.list(n, Shape::Paren)
            }
            BLOCK | IMPL_BODY | CONTRACT_BODY | RECV_BODY => self.list(n, Shape::Body),
            ASM_BODY => self.asm_body(n),
            MATCH_BODY => self.list(n, Shape::Match),
            BINARY => self.hoisting(n, || self.binary(n)),
            METHOD_CALL | FIELD_EXPR | CALL | INDEX | TUPLE_FIELD => {
                self.hoisting(n, || self.chain(n))
            }
            _ => self.seq(n, true),
        }
    }

    /// Children one after the other, spaced by `space`; optional punctuation left out.
    fn seq(&self, n: &SyntaxNode, keep_semi: bool) -> Doc {
        let mut v = Vec::new();
        let mut prev: Option<SyntaxElement> = None;
        for e in elems(n) {
            if let Some(t) = e.as_token()
                && dropped(n.kind(), t.text(), keep_semi)
            {
                v.push(self.skip(t));
                continue;
            }
            if let Some(p) = &prev {
                v.push(space(n.kind(), p, &e));
            }
            v.push(self.elem(&e));
            prev = Some(e);
        }
        concat(v)
    }

    /// `a + b - c`: operators of one precedence in one group, broken after operators.
    fn binary(&self, n: &SyntaxNode) -> Doc {
        let mut rest = Vec::new();
        let mut cur = n.clone();
        let mut level = None;
        loop {
            let es = elems(&cur);
            match es.as_slice() {
                [
                    rowan::NodeOrToken::Node(l),
                    rowan::NodeOrToken::Token(op),
                    r,
                ] if cur.kind() == BINARY && level.is_none_or(|lv| lv == precedence(op.text())) => {
                    level = Some(precedence(op.text()));
                    rest.push((op.clone(), r.clone()));
                    cur = l.clone();
                }
                _ => break,
            }
        }
        if rest.is_empty() {
            return self.seq(n, true);
        }
        rest.reverse();
        let mut tail = Vec::new();
        for (op, r) in rest {
            tail.push(text(" "));
            tail.push(self.tok(&op));
            tail.push(Doc::Line);
            tail.push(self.elem(&r));
        }
        group(concat(vec![self.node(&cur), indent(concat(tail))]))
    }

    /// `a.b(x).c(y).d`: with two or more method calls, a group broken before each call's `.`.
    fn chain(&self, n: &SyntaxNode) -> Doc {
        let mut segs: Vec<(SyntaxKind, Vec<SyntaxElement>)> = Vec::new();
        let mut cur = n.clone();
        while matches!(
            cur.kind(),
            METHOD_CALL | FIELD_EXPR | CALL | INDEX | TUPLE_FIELD
        ) {
            let es = elems(&cur);
            let Some(rowan::NodeOrToken::Node(recv)) = es.first().cloned() else {
                break;
            };
            segs.push((cur.kind(), es[1..].to_vec()));
            cur = recv;
        }
        let calls = segs.iter().filter(|(k, _)| *k == METHOD_CALL).count();
        if calls < 2 || cur == *n {
            return self.seq(n, true);
        }
        segs.reverse();
        let mut tail = Vec::new();
        for (kind, es) in segs {
            if kind == METHOD_CALL {
                tail.push(Doc::SoftLine);
            }
            let mut prev: Option<&SyntaxElement> = None;
            for e in &es {
                if let Some(p) = prev {
                    tail.push(space(kind, p, e));
                }
                tail.push(self.elem(e));
                prev = Some(e);
            }
        }
        group(concat(vec![self.node(&cur), indent(concat(tail))]))
    }

    /// A member of a body: a statement keeps its `;` only where it means something.
    fn member(&self, n: &SyntaxNode, last: bool) -> Doc {
        match n.kind() {
            EXPR_STMT => self.seq(n, last),
            LET => self.seq(n, false),
            _ => self.node(n),
        }
    }

    /// Delimited lists and bodies.
    fn list(&self, n: &SyntaxNode, shape: Shape) -> Doc {
        let es = elems(n);
        let (Some(open), Some(close)) = (
            es.first().and_then(|e| e.as_token().cloned()),
            es.last().and_then(|e| e.as_token().cloned()),
        ) else {
            return self.seq(n, true);
        };
        if es.len() < 2 || !matches!(close.text(), ")" | "]" | "}" | ">") {
            return self.seq(n, true);
        }
        // Items, each with the separators written after it.
        let mut items: Vec<(SyntaxNode, Vec<SyntaxToken>)> = Vec::new();
        let mut stray = Vec::new();
        for e in &es[1..es.len() - 1] {
            match e {
                rowan::NodeOrToken::Node(c) => items.push((c.clone(), Vec::new())),
                rowan::NodeOrToken::Token(t) => match items.last_mut() {
                    Some((_, seps)) if matches!(t.text(), "," | ";") => seps.push(t.clone()),
                    // Not a list after all (a token between items): keep the text as is.
                    _ => stray.push(t.clone()),
                },
            }
        }
        if !stray.is_empty() {
            return self.seq(n, true);
        }
        let close_lead = self.lead_inside(&close);
        let close_has_lead = !self.around(&close).lead.is_empty();
        if items.is_empty() {
            if close_has_lead {
                return concat(vec![
                    self.tok(&open),
                    indent(concat(vec![Doc::HardLine, close_lead])),
                    Doc::HardLine,
                    text(close.text()),
                    self.trail(&close),
                ]);
            }
            return concat(vec![
                self.tok(&open),
                text(close.text()),
                self.trail(&close),
            ]);
        }
        // `f(S { .. })`: a lone struct literal argument hugs the parentheses.
        if n.kind() == ARG_LIST
            && items.len() == 1
            && !close_has_lead
            && items[0].1.is_empty()
            && self.around(&open).trail.is_empty()
            && elems(&items[0].0).len() == 1
            && items[0]
                .0
                .first_child()
                .is_some_and(|c| c.kind() == STRUCT_LIT)
        {
            return concat(vec![
                self.tok(&open),
                self.node(&items[0].0),
                text(close.text()),
                self.trail(&close),
            ]);
        }
        let one_tuple = matches!(n.kind(), TUPLE | TYPE_TUPLE | PAT_TUPLE) && items.len() == 1;
        let flat_ok = match shape {
            Shape::Paren => true,
            Shape::Brace => source_flat(n),
            Shape::Match => source_flat(n) && !has_comment(n),
            Shape::Body => source_flat(n) && !has_comment(n) && items.len() == 1,
        };
        let mut inner = Vec::new();
        let count = items.len();
        for (i, (item, seps)) in items.iter().enumerate() {
            let last = i + 1 == count;
            if i > 0 {
                inner.push(Doc::Line);
                if !matches!(shape, Shape::Paren) && self.blank_before(item) {
                    inner.push(Doc::HardLine);
                }
            }
            inner.push(self.member(item, last));
            match shape {
                Shape::Paren | Shape::Brace => {
                    if !last || one_tuple {
                        inner.push(text(","));
                    } else {
                        inner.push(Doc::IfBreak(",", ""));
                    }
                }
                Shape::Match => {
                    // No comma after a block arm, unless the next arm's `(` could be read
                    // as a call of the block.
                    let block = item.last_child().is_some_and(|c| {
                        c.kind() == BLOCK
                            || (c.kind() == EXPR_STMT
                                && c.first_child().is_some_and(|b| b.kind() == BLOCK))
                    });
                    let next_paren = items
                        .get(i + 1)
                        .and_then(|(n, _)| first_token(n))
                        .is_some_and(|t| t.text() == "(");
                    inner.push(if last {
                        Doc::IfBreak(if block { "" } else { "," }, "")
                    } else if block && !next_paren {
                        Doc::IfBreak("", ",")
                    } else {
                        text(",")
                    })
                }
                Shape::Body => {}
            }
            for s in seps {
                inner.push(self.skip(s));
            }
        }
        inner.push(close_lead);
        let (first_line, last_line) = match shape {
            Shape::Paren => (Doc::SoftLine, Doc::SoftLine),
            _ => (Doc::Line, Doc::Line),
        };
        let mut g = vec![
            self.tok(&open),
            indent(concat(vec![first_line, concat(inner)])),
            last_line,
            text(close.text()),
        ];
        if !flat_ok || close_has_lead {
            g.push(Doc::BreakParent);
        }
        concat(vec![group(concat(g)), self.trail(&close)])
    }
}

#[derive(Clone, Copy)]
enum Shape {
    /// `(a, b)`, `<T, U>`, `[x, y]`: flat when it fits, else one item a line.
    Paren,
    /// `{ a, b }`: as `Paren`, but kept broken when written broken.
    Brace,
    /// Blocks and item bodies: flat only with one member, written flat and fitting.
    Body,
    /// `match` arms: flat when written flat, fitting and without comments.
    Match,
}

/// Binding strength of a binary operator (as in the parser).
fn precedence(op: &str) -> u8 {
    match op {
        "||" => 1,
        "&&" => 2,
        "==" | "!=" | "<" | "<=" | ">" | ">=" => 3,
        "|" => 4,
        "^" => 5,
        "&" => 6,
        "<<" | ">>" => 7,
        "+" | "-" => 8,
        "*" | "/" | "%" => 9,
        _ => 11,
    }
}

/// Punctuation the canonical style leaves out (it changes nothing).
fn dropped(parent: SyntaxKind, tok: &str, keep_semi: bool) -> bool {
    match (parent, tok) {
        (USE | CONST | TYPE_ALIAS | STORAGE | LET, ";") => true,
        (STORAGE, ",") => true,
        (EXPR_STMT, ";") => !keep_semi,
        _ => false,
    }
}

/// What goes between two neighbours in a sequence.
fn space(parent: SyntaxKind, prev: &SyntaxElement, next: &SyntaxElement) -> Doc {
    if prev.kind() == ATTR && parent != ATTR {
        let gap_has_newline = prev
            .as_node()
            .and_then(|n| n.last_token())
            .and_then(|t| t.next_token())
            .is_some_and(|t| t.kind().is_trivia() && t.text().contains('\n'));
        return if gap_has_newline {
            Doc::HardLine
        } else {
            text(" ")
        };
    }
    let none = text("");
    if [".", "::", "#", "(", "[", ".."]
        .iter()
        .any(|s| is_tok(prev, s))
    {
        return none;
    }
    if [".", "::", ",", ";", ")", "]", ":", ".."]
        .iter()
        .any(|s| is_tok(next, s))
        || parent == TRY && is_tok(next, "?")
    {
        return none;
    }
    if matches!(
        next.kind(),
        ARG_LIST | GENERIC_ARGS | GENERIC_PARAMS | PARAM_LIST | TUPLE_FIELDS | PAT_TUPLE_FIELDS
    ) {
        return none;
    }
    if parent == UNARY && prev.as_token().is_some() {
        return none;
    }
    if parent == INDEX && is_tok(next, "[") {
        return none;
    }
    text(" ")
}

/// Splits the trivia between two tokens: comments on the first token's line (its trailing
/// comments), the others (the next token's leading comments), and whether an empty line
/// comes right before the next token.
fn split_trivia(trivia: &[SyntaxToken], has_prev: bool) -> (Vec<Comment>, Vec<Comment>, bool) {
    let mut trail = Vec::new();
    let mut lead: Vec<Comment> = Vec::new();
    let mut newlines = 0usize;
    let mut seen_newline = !has_prev;
    for t in trivia {
        match t.kind() {
            COMMENT => {
                let c = Comment {
                    text: t.text().trim_end().to_string(),
                    own_line: seen_newline,
                    blank_before: newlines >= 2,
                    newline_after: false,
                };
                if seen_newline {
                    lead.push(c);
                } else {
                    trail.push(c);
                }
                newlines = 0;
            }
            _ => {
                let n = t.text().matches('\n').count();
                if n > 0 {
                    seen_newline = true;
                    if let Some(c) = lead.last_mut().or(trail.last_mut())
                        && newlines == 0
                    {
                        c.newline_after = true;
                    }
                }
                newlines += n;
            }
        }
    }
    // A line comment always ends its line.
    for c in trail.iter_mut().chain(lead.iter_mut()) {
        if c.is_line() {
            c.newline_after = true;
        }
    }
    (trail, lead, newlines >= 2)
}
