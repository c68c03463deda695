//! Paths and types.

use crate::ast::*;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

impl Parser {
    pub fn path(&mut self, in_type: bool) -> PResult<Path> {
        let first = self.ident()?;
        let start = first.span;
        let mut segments = vec![first];
        let mut generics = Vec::new();
        loop {
            if in_type && self.is("<") {
                generics = self.generic_args()?;
                break;
            }
            if self.is("::") && matches!(self.peek_at(1), Tok::Punct("<")) {
                self.bump();
                generics = self.generic_args()?;
                if self.is("::") && matches!(self.peek_at(1), Tok::Ident(_)) {
                    self.bump();
                    segments.push(self.ident()?);
                }
                continue;
            }
            if self.is("::") && matches!(self.peek_at(1), Tok::Ident(_)) {
                self.bump();
                segments.push(self.ident()?);
                continue;
            }
            break;
        }
        Ok(Path {
            segments,
            generics,
            span: start.to(self.prev_span()),
        })
    }

    pub(crate) fn generic_args(&mut self) -> PResult<Vec<TypeExpr>> {
        self.expect("<")?;
        let mut args = Vec::new();
        while !self.is(">") && !self.is(">>") && !self.at_eof() {
            args.push(self.type_expr()?);
            if !self.eat(",") {
                break;
            }
        }
        self.close_angle()?;
        Ok(args)
    }

    /// Closes a generic list, splitting `>>` into two `>` for nested generics.
    pub(crate) fn close_angle(&mut self) -> PResult<()> {
        if self.is(">>") {
            let tok = &mut self.toks[self.pos];
            tok.tok = Tok::Punct(">");
            tok.span.lo += 1;
            return Ok(());
        }
        self.expect(">")
    }

    pub fn type_expr(&mut self) -> PResult<TypeExpr> {
        self.enter()?;
        let r = self.type_expr_inner();
        self.depth -= 1;
        r
    }

    pub(crate) fn type_expr_inner(&mut self) -> PResult<TypeExpr> {
        let start = self.span();
        if self.eat("[") {
            let elem = self.type_expr()?;
            self.expect(";")?;
            let len = self.expr()?;
            self.expect("]")?;
            return Ok(TypeExpr::Array(
                Box::new(elem),
                Box::new(len),
                start.to(self.prev_span()),
            ));
        }
        if self.eat("(") {
            let mut tys = Vec::new();
            while !self.is(")") && !self.at_eof() {
                tys.push(self.type_expr()?);
                if !self.eat(",") {
                    break;
                }
            }
            self.expect(")")?;
            return Ok(TypeExpr::Tuple(tys, start.to(self.prev_span())));
        }
        if !matches!(self.peek(), Tok::Ident(_)) {
            return self.error("a type");
        }
        Ok(TypeExpr::Path(self.path(true)?))
    }
}
