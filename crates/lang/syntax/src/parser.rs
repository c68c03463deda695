//! Recursive-descent parser: the entry points, the token cursor and item-level recovery. On an
//! error it records a diagnostic and skips to the next item (or statement, see `parse_expr`)
//! so that later errors are reported too. The rules live beside it: items in `parser_items`,
//! functions and contracts in `parser_contract`, then `parse_expr`, `parse_pattern` and
//! `parse_type`.

use crate::ast::*;
use crate::cst::{
    Event,
    SyntaxKind::{self, *},
    SyntaxNode,
};
use crate::diag::{Diagnostic, Span};
use crate::lexer::{Tok, Token, lex};

pub(crate) struct Parser {
    pub toks: Vec<Token>,
    pub pos: usize,
    pub diags: Vec<Diagnostic>,
    /// Inside `if`/`while`/`match` heads, `Name {` is not a struct literal.
    pub no_struct: bool,
    /// Nesting depth, bounded so hostile input cannot overflow the stack.
    pub depth: u32,
    /// Inside `(..)` or `[..]`, line breaks do not end expressions.
    pub parens: u32,
    /// The concrete syntax tree being recorded (see `cst`).
    pub(crate) events: Vec<Event>,
    /// Nodes started and not yet finished.
    pub(crate) open: u32,
}

pub(crate) type PResult<T> = Result<T, ()>;

const ITEM_KEYWORDS: &[&str] = &[
    "use", "message", "event", "error", "struct", "enum", "impl", "fn", "const", "type",
    "contract", "pub", "trait",
];

/// Parses one source file. The AST holds every item that parsed; the diagnostics list every
/// syntax error found (the parser recovers at item and statement boundaries).
pub fn parse_file(file: u32, src: &str) -> (File, Vec<Diagnostic>) {
    let parsed = parse_lossless(file, src);
    (parsed.file, parsed.diags)
}

/// One parse: the AST, the lossless syntax tree of the same text, and the diagnostics.
pub struct Parsed {
    pub file: File,
    pub green: rowan::GreenNode,
    pub diags: Vec<Diagnostic>,
}

impl Parsed {
    /// The root (`FILE`) of the concrete syntax tree; its text is the source.
    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }
}

/// Parses one file into both trees. The AST is what `parse_file` returns; the CST keeps every
/// token, space and comment, built by the same rules (see `cst`).
pub fn parse_lossless(file: u32, src: &str) -> Parsed {
    let (toks, lex_diags) = lex(file, src);
    let mut p = Parser {
        toks,
        pos: 0,
        diags: lex_diags,
        no_struct: false,
        depth: 0,
        parens: 0,
        events: Vec::new(),
        open: 0,
    };
    p.start(FILE);
    let mut items = Vec::new();
    while !p.at_eof() {
        let start = p.pos;
        let open = p.open;
        match p.item() {
            Ok(item) => items.push(item),
            Err(()) => {
                p.close_to(open);
                p.start(ERROR);
                p.recover_item();
                p.finish();
            }
        }
        if p.pos == start {
            p.bump();
        }
    }
    p.close_to(0);
    let green = crate::cst::build(src, &p.events);
    Parsed {
        file: File { items },
        green,
        diags: p.diags,
    }
}

fn token_kind(tok: &Tok) -> SyntaxKind {
    match tok {
        Tok::Ident(_) => IDENT,
        Tok::Int(..) => INT,
        Tok::Str(_) => STR,
        Tok::Punct(_) | Tok::Eof => PUNCT,
    }
}

impl Parser {
    pub fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }
    pub fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }
    pub fn span(&self) -> Span {
        self.toks[self.pos.min(self.toks.len() - 1)].span
    }
    pub fn prev_span(&self) -> Span {
        self.toks[self.pos.saturating_sub(1).min(self.toks.len() - 1)].span
    }
    pub fn newline_before(&self) -> bool {
        self.toks[self.pos.min(self.toks.len() - 1)].newline_before
    }
    pub fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }
    pub fn bump(&mut self) {
        if self.pos < self.toks.len() - 1 {
            let t = &self.toks[self.pos];
            let (kind, lo, hi) = (token_kind(&t.tok), t.span.lo, t.span.hi);
            self.token_event(kind, lo, hi);
            self.pos += 1;
        }
    }
    pub fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == kw)
    }
    pub fn eat(&mut self, p: &str) -> bool {
        if self.is(p) {
            self.bump();
            true
        } else {
            false
        }
    }
    pub fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }
    pub fn describe(&self) -> String {
        match self.peek() {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(s, _) => format!("number `{s}`"),
            Tok::Str(_) => "a string".into(),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Eof => "end of file".into(),
        }
    }
    pub fn error<T>(&mut self, expected: &str) -> PResult<T> {
        let found = self.describe();
        let span = self.span();
        self.diags.push(Diagnostic::error(
            "E0100",
            format!("expected {expected}, found {found}"),
            span,
            format!("expected {expected}"),
        ));
        Err(())
    }
    pub fn expect(&mut self, p: &str) -> PResult<()> {
        if self.eat(p) {
            Ok(())
        } else {
            self.error(&format!("`{p}`"))
        }
    }
    pub fn ident(&mut self) -> PResult<Ident> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let span = self.span();
                self.bump();
                Ok(Ident { name, span })
            }
            _ => self.error("an identifier"),
        }
    }

    /// Skips to the start of the next item at brace depth zero.
    fn recover_item(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => {
                    depth -= 1;
                    if depth <= 0 {
                        self.bump();
                        if depth == 0 {
                            return;
                        }
                        depth = 0;
                        continue;
                    }
                }
                Tok::Ident(s)
                    if depth == 0
                        && self.newline_before()
                        && ITEM_KEYWORDS.contains(&s.as_str()) =>
                {
                    return;
                }
                Tok::Punct("#") if depth == 0 && self.newline_before() => return,
                _ => {}
            }
            self.bump();
        }
    }

    pub fn attrs(&mut self) -> PResult<Vec<Attr>> {
        let mut attrs = Vec::new();
        while self.is("#") {
            let start = self.span();
            self.start(ATTR);
            self.bump();
            self.expect("[")?;
            let name = self.ident()?;
            let value = if self.eat("=") {
                Some(self.expr()?)
            } else {
                None
            };
            self.expect("]")?;
            self.finish();
            attrs.push(Attr {
                name,
                value,
                span: start.to(self.prev_span()),
            });
        }
        Ok(attrs)
    }
}
