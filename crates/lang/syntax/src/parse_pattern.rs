//! Patterns (`match` arms and `let`), and `if` and `if let`, which `else if` chains.

use crate::ast::*;
use crate::cst::SyntaxKind::*;
use crate::diag::Span;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

impl Parser {
    /// An `if`; one level deeper per `else if`, which recurses here.
    pub(crate) fn if_expr(&mut self) -> PResult<Expr> {
        let depth = self.depth;
        let r = self.enter().and_then(|()| self.if_chain());
        self.depth = depth;
        r
    }

    fn if_chain(&mut self) -> PResult<Expr> {
        let start = self.span();
        self.start(IF);
        self.bump();
        if self.eat_kw("let") {
            return self.if_let(start);
        }
        let c = self.cond()?;
        let then = self.block()?;
        let els = if self.eat_kw("else") {
            if self.is_kw("if") {
                Some(Box::new(self.if_expr()?))
            } else {
                let b = self.block()?;
                let span = b.span;
                Some(Box::new(Expr {
                    kind: ExprKind::Block(b),
                    span,
                }))
            }
        } else {
            None
        };
        self.finish();
        Ok(Expr {
            kind: ExprKind::If(Box::new(c), then, els),
            span: start.to(self.prev_span()),
        })
    }

    /// `if let PAT = e { A } else { B }`, read as `match e { PAT => { A } _ => { B } }` (no
    /// `else`: `_ => { }`); sema, the lints and the language server see the `match`.
    pub(crate) fn if_let(&mut self, start: Span) -> PResult<Expr> {
        let pstart = self.span();
        let pattern = self.pattern()?;
        self.expect("=")?;
        let scrut = self.cond()?;
        let then = self.block()?;
        let then_span = then.span;
        let arm = MatchArm {
            pattern,
            body: Expr {
                kind: ExprKind::Block(then),
                span: then_span,
            },
            span: pstart.to(then_span),
        };
        let els = if self.eat_kw("else") {
            if self.is_kw("if") {
                self.if_expr()?
            } else {
                let b = self.block()?;
                let span = b.span;
                Expr {
                    kind: ExprKind::Block(b),
                    span,
                }
            }
        } else {
            // No `else`: an empty block where the `if let` ends.
            let end = Span {
                lo: then_span.hi,
                ..then_span
            };
            Expr {
                kind: ExprKind::Block(Block {
                    stmts: vec![],
                    tail: None,
                    span: end,
                }),
                span: end,
            }
        };
        let rest = MatchArm {
            pattern: Pattern::Wildcard(els.span),
            span: els.span,
            body: els,
        };
        self.finish();
        Ok(Expr {
            kind: ExprKind::Match(Box::new(scrut), vec![arm, rest]),
            span: start.to(self.prev_span()),
        })
    }

    /// `while let PAT = e { A }`, read as `while true { match e { PAT => { A } _ => break } }`
    /// (after `while`, at `let`): `e` is evaluated before each iteration, `continue` goes back
    /// to it and `break` leaves. The caller has started the `WHILE` node and finishes it.
    pub(crate) fn while_let(&mut self, start: Span) -> PResult<ExprKind> {
        self.bump();
        let pstart = self.span();
        let pattern = self.pattern()?;
        self.expect("=")?;
        let scrut = self.cond()?;
        let body = self.block()?;
        let body_span = body.span;
        let whole = start.to(body_span);
        let arm = MatchArm {
            pattern,
            body: Expr {
                kind: ExprKind::Block(body),
                span: body_span,
            },
            span: pstart.to(body_span),
        };
        // The `_ => break` arm has no text of its own: it stands at the `while`.
        let at_while = start;
        let stop = MatchArm {
            pattern: Pattern::Wildcard(at_while),
            body: Expr {
                kind: ExprKind::Break,
                span: at_while,
            },
            span: at_while,
        };
        let m = Expr {
            kind: ExprKind::Match(Box::new(scrut), vec![arm, stop]),
            span: whole,
        };
        let yes = Expr {
            kind: ExprKind::Bool(true),
            span: at_while,
        };
        let loop_body = Block {
            stmts: vec![],
            tail: Some(Box::new(m)),
            span: body_span,
        };
        Ok(ExprKind::While(Box::new(yes), loop_body))
    }

    /// A pattern, with `|` between alternatives (`A | B`, also nested: `Some(1 | 2)`).
    pub fn pattern(&mut self) -> PResult<Pattern> {
        self.enter()?;
        let cp = self.checkpoint();
        let start = self.span();
        let r = self.pattern_inner().and_then(|first| {
            if !self.is("|") && !self.is("||") {
                return Ok(first);
            }
            self.start_at(cp, PAT_OR);
            let mut alts = vec![first];
            loop {
                if self.is("||") {
                    // Reported, then read as `|`, so the rest of the arm parses.
                    let _: PResult<()> = self.unsupported("pattern ||", self.span());
                    self.bump();
                } else if !self.eat("|") {
                    break;
                }
                alts.push(self.pattern_inner()?);
            }
            self.finish();
            Ok(Pattern::Or(alts, start.to(self.prev_span())))
        });
        self.depth -= 1;
        r
    }

    pub(crate) fn pattern_inner(&mut self) -> PResult<Pattern> {
        let start = self.span();
        match self.peek().clone() {
            Tok::Ident(s) if s == "_" => {
                self.start(PAT_WILD);
                self.bump();
                self.finish();
                Ok(Pattern::Wildcard(start))
            }
            Tok::Ident(s) if s == "mut" => {
                self.start(PAT_BIND);
                self.bump();
                let name = self.ident()?;
                self.finish();
                Ok(Pattern::Bind {
                    name,
                    mutable: true,
                })
            }
            Tok::Ident(s) if s == "true" || s == "false" => {
                self.start(PAT_LIT);
                self.bump();
                self.finish();
                Ok(Pattern::Literal(Expr {
                    kind: ExprKind::Bool(s == "true"),
                    span: start,
                }))
            }
            Tok::Int(d, r) => {
                self.start(PAT_LIT);
                self.bump();
                self.finish();
                Ok(Pattern::Literal(Expr {
                    kind: ExprKind::Int(d, r),
                    span: start,
                }))
            }
            Tok::Str(s) => {
                self.start(PAT_LIT);
                self.bump();
                self.finish();
                Ok(Pattern::Literal(Expr {
                    kind: ExprKind::Str(s),
                    span: start,
                }))
            }
            Tok::Punct("(") => {
                // `(P)` is `P` in parentheses (as in Rust, so `let (A(x) | B(x)) = v` reads
                // as one or-pattern); `(P,)` and `(P, Q)` are tuples.
                let cp = self.checkpoint();
                self.bump();
                let mut ps = Vec::new();
                let mut trailing = false;
                while !self.is(")") && !self.at_eof() {
                    ps.push(self.pattern()?);
                    trailing = self.eat(",");
                    if !trailing {
                        break;
                    }
                }
                self.expect(")")?;
                if ps.len() == 1 && !trailing {
                    self.start_at(cp, PAREN);
                    self.finish();
                    return Ok(ps.pop().unwrap_or(Pattern::Wildcard(start)));
                }
                self.start_at(cp, PAT_TUPLE);
                self.finish();
                Ok(Pattern::Tuple(ps, start.to(self.prev_span())))
            }
            Tok::Ident(s) => {
                let is_path = s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    || matches!(self.peek_at(1), Tok::Punct("::"));
                if !is_path {
                    self.start(PAT_BIND);
                    let name = self.ident()?;
                    self.finish();
                    return Ok(Pattern::Bind {
                        name,
                        mutable: false,
                    });
                }
                self.start(PAT_VARIANT);
                let path = self.path(false)?;
                let fields = if self.is("(") {
                    self.start(PAT_TUPLE_FIELDS);
                    self.bump();
                    let mut ps = Vec::new();
                    while !self.is(")") && !self.at_eof() {
                        ps.push(self.pattern()?);
                        if !self.eat(",") {
                            break;
                        }
                    }
                    self.expect(")")?;
                    self.finish();
                    PatternFields::Tuple(ps)
                } else if self.is("{") {
                    self.start(PAT_FIELDS);
                    self.bump();
                    let mut fs = Vec::new();
                    while !self.is("}") && !self.at_eof() {
                        self.start(PAT_FIELD);
                        let name = self.ident()?;
                        let p = if self.eat(":") {
                            self.pattern()?
                        } else {
                            Pattern::Bind {
                                name: name.clone(),
                                mutable: false,
                            }
                        };
                        self.finish();
                        fs.push((name, p));
                        if !self.eat(",") {
                            break;
                        }
                    }
                    self.expect("}")?;
                    self.finish();
                    PatternFields::Named(fs)
                } else {
                    PatternFields::Unit
                };
                self.finish();
                Ok(Pattern::Variant {
                    path,
                    fields,
                    span: start.to(self.prev_span()),
                })
            }
            _ => self.error("a pattern"),
        }
    }
}
