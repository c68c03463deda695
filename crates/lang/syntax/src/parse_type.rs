//! Paths and types.

use crate::ast::*;
use crate::cst::SyntaxKind::*;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

impl Parser {
    pub fn path(&mut self, in_type: bool) -> PResult<Path> {
        self.start(PATH);
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
        self.finish();
        Ok(Path {
            segments,
            generics,
            span: start.to(self.prev_span()),
        })
    }

    pub(crate) fn generic_args(&mut self) -> PResult<Vec<TypeExpr>> {
        self.start(GENERIC_ARGS);
        self.expect("<")?;
        let mut args = Vec::new();
        while !self.is(">") && !self.is(">>") && !self.at_eof() {
            args.push(self.type_expr()?);
            if !self.eat(",") {
                break;
            }
        }
        self.close_angle()?;
        self.finish();
        Ok(args)
    }

    /// Closes a generic list, splitting `>>` into two `>` for nested generics.
    pub(crate) fn close_angle(&mut self) -> PResult<()> {
        if self.is(">>") {
            let lo = self.toks[self.pos].span.lo;
            self.token_event(crate::cst::SyntaxKind::PUNCT, lo, lo + 1);
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
        if self.is("[") {
            self.start(TYPE_ARRAY);
            self.bump();
            let elem = self.type_expr()?;
            self.expect(";")?;
            let len = self.expr()?;
            self.expect("]")?;
            self.finish();
            return Ok(TypeExpr::Array(
                Box::new(elem),
                Box::new(len),
                start.to(self.prev_span()),
            ));
        }
        if self.is("(") {
            self.start(TYPE_TUPLE);
            self.bump();
            let mut tys = Vec::new();
            while !self.is(")") && !self.at_eof() {
                tys.push(self.type_expr()?);
                if !self.eat(",") {
                    break;
                }
            }
            self.expect(")")?;
            self.finish();
            return Ok(TypeExpr::Tuple(tys, start.to(self.prev_span())));
        }
        if (self.is_kw("impl") || self.is_kw("dyn")) && matches!(self.peek_at(1), Tok::Ident(_)) {
            return self.unsupported("impl Trait", start);
        }
        if self.is("&") {
            return self.unsupported("reference", start);
        }
        if !matches!(self.peek(), Tok::Ident(_)) {
            return self.error("a type");
        }
        self.start(TYPE_PATH);
        let path = self.path(true)?;
        self.finish();
        Ok(TypeExpr::Path(path))
    }
}
