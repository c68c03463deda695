//! Patterns (`match` arms and `let`).

use crate::ast::*;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

impl Parser {
    pub fn pattern(&mut self) -> PResult<Pattern> {
        self.enter()?;
        let r = self.pattern_inner();
        self.depth -= 1;
        r
    }

    pub(crate) fn pattern_inner(&mut self) -> PResult<Pattern> {
        let start = self.span();
        match self.peek().clone() {
            Tok::Ident(s) if s == "_" => {
                self.bump();
                Ok(Pattern::Wildcard(start))
            }
            Tok::Ident(s) if s == "mut" => {
                self.bump();
                let name = self.ident()?;
                Ok(Pattern::Bind {
                    name,
                    mutable: true,
                })
            }
            Tok::Ident(s) if s == "true" || s == "false" => {
                self.bump();
                Ok(Pattern::Literal(Expr {
                    kind: ExprKind::Bool(s == "true"),
                    span: start,
                }))
            }
            Tok::Int(d, r) => {
                self.bump();
                Ok(Pattern::Literal(Expr {
                    kind: ExprKind::Int(d, r),
                    span: start,
                }))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(Pattern::Literal(Expr {
                    kind: ExprKind::Str(s),
                    span: start,
                }))
            }
            Tok::Punct("(") => {
                self.bump();
                let mut ps = Vec::new();
                while !self.is(")") && !self.at_eof() {
                    ps.push(self.pattern()?);
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect(")")?;
                Ok(Pattern::Tuple(ps, start.to(self.prev_span())))
            }
            Tok::Ident(s) => {
                let is_path = s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    || matches!(self.peek_at(1), Tok::Punct("::"));
                if !is_path {
                    let name = self.ident()?;
                    return Ok(Pattern::Bind {
                        name,
                        mutable: false,
                    });
                }
                let path = self.path(false)?;
                let fields = if self.eat("(") {
                    let mut ps = Vec::new();
                    while !self.is(")") && !self.at_eof() {
                        ps.push(self.pattern()?);
                        if !self.eat(",") {
                            break;
                        }
                    }
                    self.expect(")")?;
                    PatternFields::Tuple(ps)
                } else if self.is("{") {
                    self.bump();
                    let mut fs = Vec::new();
                    while !self.is("}") && !self.at_eof() {
                        let name = self.ident()?;
                        let p = if self.eat(":") {
                            self.pattern()?
                        } else {
                            Pattern::Bind {
                                name: name.clone(),
                                mutable: false,
                            }
                        };
                        fs.push((name, p));
                        if !self.eat(",") {
                            break;
                        }
                    }
                    self.expect("}")?;
                    PatternFields::Named(fs)
                } else {
                    PatternFields::Unit
                };
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
