//! Types, paths, blocks, statements, expressions and patterns.

use crate::ast::*;
use crate::cst::SyntaxKind::*;
use crate::diag::Diagnostic;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

const MAX_DEPTH: u32 = 200;

fn bin_op(p: &str) -> Option<(BinOp, u8)> {
    use BinOp::*;
    Some(match p {
        "||" => (Or, 1),
        "&&" => (And, 2),
        "==" => (Eq, 3),
        "!=" => (Ne, 3),
        "<" => (Lt, 3),
        "<=" => (Le, 3),
        ">" => (Gt, 3),
        ">=" => (Ge, 3),
        "|" => (BitOr, 4),
        "^" => (BitXor, 5),
        "&" => (BitAnd, 6),
        "<<" => (Shl, 7),
        ">>" => (Shr, 7),
        "+" => (Add, 8),
        "-" => (Sub, 8),
        "*" => (Mul, 9),
        "/" => (Div, 9),
        "%" => (Rem, 9),
        "**" => (Pow, 11),
        _ => return None,
    })
}

fn compound_op(p: &str) -> Option<BinOp> {
    use BinOp::*;
    Some(match p {
        "+=" => Add,
        "-=" => Sub,
        "*=" => Mul,
        "/=" => Div,
        "%=" => Rem,
        "&=" => BitAnd,
        "|=" => BitOr,
        "^=" => BitXor,
        "<<=" => Shl,
        ">>=" => Shr,
        _ => return None,
    })
}

impl Parser {
    fn ends_line(&self) -> bool {
        self.parens == 0 && self.newline_before()
    }

    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.span();
            self.diags.push(Diagnostic::error(
                "E0101",
                "expression nested too deeply",
                span,
                "nesting limit reached here",
            ));
            return Err(());
        }
        Ok(())
    }

    /// A path; in type position `<` opens generic arguments, in expressions only `::<` does.
    pub fn block(&mut self) -> PResult<Block> {
        self.enter()?;
        let r = self.block_inner();
        self.depth -= 1;
        r
    }

    fn block_inner(&mut self) -> PResult<Block> {
        let start = self.span();
        self.start(BLOCK);
        self.expect("{")?;
        let saved = (self.no_struct, self.parens);
        self.no_struct = false;
        self.parens = 0;
        let mut stmts: Vec<(Stmt, bool)> = Vec::new();
        while !self.is("}") && !self.at_eof() {
            let before = self.pos;
            let open = self.open;
            match self.stmt() {
                Ok(s) => stmts.push(s),
                Err(()) => {
                    self.close_to(open);
                    self.start(ERROR);
                    self.recover_stmt();
                    self.finish();
                }
            }
            if self.pos == before {
                self.bump();
            }
        }
        (self.no_struct, self.parens) = saved;
        self.expect("}")?;
        self.finish();
        let mut tail = None;
        if let Some((Stmt::Expr(_), false)) = stmts.last()
            && let Some((Stmt::Expr(e), _)) = stmts.pop()
        {
            tail = Some(Box::new(e));
        }
        Ok(Block {
            stmts: stmts.into_iter().map(|(s, _)| s).collect(),
            tail,
            span: start.to(self.prev_span()),
        })
    }

    /// Skips to the next statement: past a `;`, or to a token starting a new line, or to `}`.
    fn recover_stmt(&mut self) {
        let mut depth = 0i32;
        let mut first = true;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Punct("{") | Tok::Punct("(") | Tok::Punct("[") => depth += 1,
                Tok::Punct("}") | Tok::Punct(")") | Tok::Punct("]") => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                Tok::Punct(";") if depth == 0 => {
                    self.bump();
                    return;
                }
                _ if depth == 0 && !first && self.newline_before() => return,
                _ => {}
            }
            first = false;
            self.bump();
        }
    }

    /// A statement and whether a `;` ended it.
    fn stmt(&mut self) -> PResult<(Stmt, bool)> {
        let start = self.span();
        let cp = self.checkpoint();
        if self.is_kw("let") {
            self.start(LET);
            self.bump();
            let pattern = self.pattern()?;
            let ty = if self.eat(":") {
                Some(self.type_expr()?)
            } else {
                None
            };
            let init = if self.eat("=") {
                Some(self.expr()?)
            } else {
                None
            };
            let els = if self.eat_kw("else") {
                Some(Box::new(self.block()?))
            } else {
                None
            };
            let span = start.to(self.prev_span());
            let semi = self.end_stmt(els.is_some())?;
            self.finish();
            return Ok((
                Stmt::Let {
                    pattern,
                    ty,
                    init,
                    els,
                    span,
                },
                semi,
            ));
        }
        let e = self.expr_stmt()?;
        let block_like = matches!(
            e.kind,
            ExprKind::If(..)
                | ExprKind::Match(..)
                | ExprKind::While(..)
                | ExprKind::For { .. }
                | ExprKind::ForIn { .. }
                | ExprKind::Block(_)
        );
        let semi = self.end_stmt(block_like)?;
        self.start_at(cp, EXPR_STMT);
        self.finish();
        Ok((Stmt::Expr(e), semi))
    }

    fn end_stmt(&mut self, block_like: bool) -> PResult<bool> {
        if self.eat(";") {
            return Ok(true);
        }
        if self.is("}") || self.newline_before() || block_like || self.at_eof() {
            return Ok(false);
        }
        self.error("`;` or a new line")
    }

    /// An expression that may be an assignment.
    fn expr_stmt(&mut self) -> PResult<Expr> {
        let cp = self.checkpoint();
        let lhs = self.expr()?;
        if self.is("=") && !self.ends_line() {
            self.start_at(cp, ASSIGN);
            self.bump();
            let rhs = self.expr()?;
            self.finish();
            let span = lhs.span.to(rhs.span);
            return Ok(Expr {
                kind: ExprKind::Assign(Box::new(lhs), Box::new(rhs)),
                span,
            });
        }
        if let Tok::Punct(p) = self.peek()
            && let Some(op) = compound_op(p)
        {
            self.start_at(cp, ASSIGN);
            self.bump();
            let rhs = self.expr()?;
            self.finish();
            let span = lhs.span.to(rhs.span);
            return Ok(Expr {
                kind: ExprKind::CompoundAssign(op, Box::new(lhs), Box::new(rhs)),
                span,
            });
        }
        Ok(lhs)
    }

    pub fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.binary(0);
        self.depth -= 1;
        r
    }

    /// A left-associative chain is built by a loop but every later pass recurses once per
    /// link, so each link counts against the nesting limit until the chain ends.
    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let depth = self.depth;
        let r = self.binary_chain(min_prec);
        self.depth = depth;
        r
    }

    fn binary_chain(&mut self, min_prec: u8) -> PResult<Expr> {
        let cp = self.checkpoint();
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = match self.peek() {
            Tok::Punct(p) => bin_op(p),
            _ => None,
        } {
            if prec < min_prec || self.ends_line() {
                break;
            }
            self.enter()?;
            self.start_at(cp, BINARY);
            self.bump();
            // `**` is right-associative; the rest associate to the left.
            let next = if op == BinOp::Pow { prec } else { prec + 1 };
            self.enter()?;
            let rhs = self.binary(next);
            self.depth -= 1;
            let rhs = rhs?;
            self.finish();
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let op = if self.is("-") {
            Some(UnOp::Neg)
        } else if self.is("!") {
            Some(UnOp::Not)
        } else {
            None
        };
        if let Some(op) = op {
            self.start(UNARY);
            self.bump();
            self.enter()?;
            let e = self.unary();
            self.depth -= 1;
            let e = e?;
            self.finish();
            let span = start.to(e.span);
            return Ok(Expr {
                kind: ExprKind::Unary(op, Box::new(e)),
                span,
            });
        }
        let depth = self.depth;
        let r = self.casts();
        self.depth = depth;
        r
    }

    /// An operand and its `as` chain, each cast one more level (see [`Self::binary`]).
    fn casts(&mut self) -> PResult<Expr> {
        let cp = self.checkpoint();
        let mut e = self.postfix()?;
        while self.is_kw("as") && !self.ends_line() {
            self.enter()?;
            self.start_at(cp, CAST);
            self.bump();
            let ty = self.type_expr()?;
            self.finish();
            let span = e.span.to(ty.span());
            e = Expr {
                kind: ExprKind::Cast(Box::new(e), ty),
                span,
            };
        }
        Ok(e)
    }

    fn args(&mut self) -> PResult<Vec<Arg>> {
        self.start(ARG_LIST);
        self.expect("(")?;
        self.parens += 1;
        let saved = self.no_struct;
        self.no_struct = false;
        let mut args = Vec::new();
        let r = (|| {
            while !self.is(")") && !self.at_eof() {
                self.start(ARG);
                let name = if matches!(self.peek(), Tok::Ident(_))
                    && matches!(self.peek_at(1), Tok::Punct(":"))
                {
                    let n = self.ident()?;
                    self.bump();
                    Some(n)
                } else {
                    None
                };
                let value = self.expr()?;
                self.finish();
                args.push(Arg { name, value });
                if !self.eat(",") {
                    break;
                }
            }
            self.expect(")")
        })();
        self.no_struct = saved;
        self.parens -= 1;
        r?;
        self.finish();
        Ok(args)
    }

    /// A primary and its field, call, index and `?` chain, each link one more level (see
    /// [`Self::binary`]).
    fn postfix(&mut self) -> PResult<Expr> {
        let depth = self.depth;
        let r = self.postfix_chain();
        self.depth = depth;
        r
    }

    fn postfix_chain(&mut self) -> PResult<Expr> {
        let cp = self.checkpoint();
        let mut e = self.primary()?;
        loop {
            if self.is(".") || self.is("(") || self.is("[") || self.is("?") {
                self.enter()?;
            }
            if self.is(".") {
                self.bump();
                if let Tok::Int(n, 10) = self.peek().clone() {
                    let span = self.span();
                    self.start_at(cp, TUPLE_FIELD);
                    self.bump();
                    self.finish();
                    let idx = n.parse::<u32>().unwrap_or(u32::MAX);
                    let whole = e.span.to(span);
                    e = Expr {
                        kind: ExprKind::TupleField(Box::new(e), idx, span),
                        span: whole,
                    };
                    continue;
                }
                let name = self.ident()?;
                let generics = if self.is("::") && matches!(self.peek_at(1), Tok::Punct("<")) {
                    self.bump();
                    self.generic_args()?
                } else {
                    Vec::new()
                };
                if self.is("(") && !self.ends_line() {
                    self.start_at(cp, METHOD_CALL);
                    let args = self.args()?;
                    self.finish();
                    let span = e.span.to(self.prev_span());
                    e = Expr {
                        kind: ExprKind::MethodCall {
                            receiver: Box::new(e),
                            method: name,
                            generics,
                            args,
                        },
                        span,
                    };
                } else {
                    self.start_at(cp, FIELD_EXPR);
                    self.finish();
                    let span = e.span.to(name.span);
                    e = Expr {
                        kind: ExprKind::Field(Box::new(e), name),
                        span,
                    };
                }
            } else if self.is("(") && !self.ends_line() {
                self.start_at(cp, CALL);
                let args = self.args()?;
                self.finish();
                let span = e.span.to(self.prev_span());
                e = Expr {
                    kind: ExprKind::Call(Box::new(e), args),
                    span,
                };
            } else if self.is("[") && !self.ends_line() {
                self.start_at(cp, INDEX);
                self.bump();
                self.parens += 1;
                let saved = self.no_struct;
                self.no_struct = false;
                let idx = self.expr();
                self.no_struct = saved;
                self.parens -= 1;
                let idx = idx?;
                self.expect("]")?;
                self.finish();
                let span = e.span.to(self.prev_span());
                e = Expr {
                    kind: ExprKind::Index(Box::new(e), Box::new(idx)),
                    span,
                };
            } else if self.is("?") && !self.ends_line() {
                self.start_at(cp, TRY);
                self.bump();
                self.finish();
                let span = e.span.to(self.prev_span());
                e = Expr {
                    kind: ExprKind::Try(Box::new(e)),
                    span,
                };
            } else if self.is("!")
                && matches!(e.kind, ExprKind::Path(_))
                && matches!(self.peek_at(1), Tok::Punct("(" | "[" | "{"))
                && !self.ends_line()
            {
                return self.unsupported("macro", e.span.to(self.span()));
            } else {
                return Ok(e);
            }
        }
    }

    fn struct_fields(&mut self) -> PResult<Vec<(Ident, Option<Expr>)>> {
        self.start(FIELD_INITS);
        self.expect("{")?;
        let saved = (self.no_struct, self.parens);
        self.no_struct = false;
        self.parens += 1;
        let mut fields = Vec::new();
        let r = (|| {
            while !self.is("}") && !self.at_eof() {
                self.start(FIELD_INIT);
                let name = self.ident()?;
                let value = if self.eat(":") {
                    Some(self.expr()?)
                } else {
                    None
                };
                self.finish();
                fields.push((name, value));
                if !self.eat(",") {
                    break;
                }
            }
            self.expect("}")
        })();
        (self.no_struct, self.parens) = saved;
        r?;
        self.finish();
        Ok(fields)
    }

    pub(crate) fn cond(&mut self) -> PResult<Expr> {
        let saved = self.no_struct;
        self.no_struct = true;
        let e = self.expr();
        self.no_struct = saved;
        e
    }

    fn primary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let cp = self.checkpoint();
        let tok = self.peek().clone();
        let kind = match tok {
            Tok::Int(digits, radix) => {
                self.start(LITERAL);
                self.bump();
                self.finish();
                ExprKind::Int(digits, radix)
            }
            Tok::Str(s) => {
                self.start(LITERAL);
                self.bump();
                self.finish();
                ExprKind::Str(s)
            }
            Tok::Punct("(") => {
                self.bump();
                self.parens += 1;
                let saved = self.no_struct;
                self.no_struct = false;
                let r = (|| {
                    let mut items = Vec::new();
                    let mut trailing = false;
                    while !self.is(")") && !self.at_eof() {
                        items.push(self.expr()?);
                        trailing = self.eat(",");
                        if !trailing {
                            break;
                        }
                    }
                    self.expect(")")?;
                    Ok(if items.len() == 1 && !trailing {
                        (
                            items.pop().map(|e| e.kind).unwrap_or(ExprKind::Error),
                            PAREN,
                        )
                    } else {
                        (ExprKind::Tuple(items), TUPLE)
                    })
                })();
                self.no_struct = saved;
                self.parens -= 1;
                let (kind, node) = r?;
                self.start_at(cp, node);
                self.finish();
                kind
            }
            Tok::Punct("[") => {
                self.bump();
                self.parens += 1;
                // Brackets end the ambiguity a condition has: `for p in [P { .. }] { }`.
                let saved = self.no_struct;
                self.no_struct = false;
                let r = (|| {
                    let mut items = Vec::new();
                    if !self.is("]") {
                        let first = self.expr()?;
                        if self.eat(";") {
                            let n = self.expr()?;
                            self.expect("]")?;
                            return Ok(ExprKind::ArrayRepeat(Box::new(first), Box::new(n)));
                        }
                        items.push(first);
                        while self.eat(",") && !self.is("]") {
                            items.push(self.expr()?);
                        }
                    }
                    self.expect("]")?;
                    Ok(ExprKind::Array(items))
                })();
                self.no_struct = saved;
                self.parens -= 1;
                let kind = r?;
                let node = if matches!(kind, ExprKind::ArrayRepeat(..)) {
                    ARRAY_REPEAT
                } else {
                    ARRAY
                };
                self.start_at(cp, node);
                self.finish();
                kind
            }
            Tok::Punct("{") => ExprKind::Block(self.block()?),
            Tok::Ident(ref kw) => match kw.as_str() {
                "true" | "false" => {
                    self.start(LITERAL);
                    self.bump();
                    self.finish();
                    ExprKind::Bool(kw == "true")
                }
                "if" => return self.if_expr(),
                "match" => {
                    self.start(MATCH);
                    self.bump();
                    let scrut = self.cond()?;
                    self.start(MATCH_BODY);
                    self.expect("{")?;
                    let mut arms = Vec::new();
                    while !self.is("}") && !self.at_eof() {
                        let pstart = self.span();
                        self.start(MATCH_ARM);
                        let pattern = self.pattern()?;
                        if self.is_kw("if") {
                            // Reported, then skipped, so the rest of the `match` parses.
                            let _: PResult<()> = self.unsupported("match guard", self.span());
                            self.bump();
                            self.expr()?;
                        }
                        self.expect("=>")?;
                        let body = self.expr_stmt()?;
                        self.finish();
                        arms.push(MatchArm {
                            pattern,
                            body,
                            span: pstart.to(self.prev_span()),
                        });
                        self.eat(",");
                    }
                    self.expect("}")?;
                    self.finish();
                    self.finish();
                    ExprKind::Match(Box::new(scrut), arms)
                }
                "while" => {
                    self.start(WHILE);
                    self.bump();
                    if self.is_kw("let") {
                        let kind = self.while_let(start)?;
                        self.finish();
                        return Ok(Expr {
                            kind,
                            span: start.to(self.prev_span()),
                        });
                    }
                    let c = self.cond()?;
                    let body = self.block()?;
                    self.finish();
                    ExprKind::While(Box::new(c), body)
                }
                "for" => {
                    self.start(FOR);
                    self.bump();
                    let pat = self.pattern()?;
                    if !self.eat_kw("in") {
                        return self.error("`in`");
                    }
                    let saved = self.no_struct;
                    self.no_struct = true;
                    let r = (|| {
                        let a = self.binary(8)?;
                        if !self.is("..") && !self.is("..=") {
                            return Ok((a, None));
                        }
                        self.expect("..")?;
                        let b = self.binary(8)?;
                        Ok((a, Some(b)))
                    })();
                    self.no_struct = saved;
                    let (a, b) = r?;
                    let body = self.block()?;
                    self.finish();
                    match (b, pat) {
                        (
                            Some(b),
                            Pattern::Bind {
                                name,
                                mutable: false,
                            },
                        ) => ExprKind::For {
                            var: name,
                            start: Box::new(a),
                            end: Box::new(b),
                            body,
                        },
                        // `for _ in a..b`: the counter exists but has no name the body can
                        // use (sema binds nothing for `_`).
                        (Some(b), Pattern::Wildcard(span)) => ExprKind::For {
                            var: Ident {
                                name: "_".into(),
                                span,
                            },
                            start: Box::new(a),
                            end: Box::new(b),
                            body,
                        },
                        (Some(_), p) => {
                            let span = p.span();
                            self.diags.push(
                                Diagnostic::error(
                                    "E0103",
                                    "a range loop binds one name",
                                    span,
                                    "not a plain name",
                                )
                                .with_help("write `for i in a..b` or `for _ in a..b`; patterns are for collections"),
                            );
                            return Err(());
                        }
                        (None, pat) => ExprKind::ForIn {
                            pat: Box::new(pat),
                            iter: Box::new(a),
                            body,
                        },
                    }
                }
                "asm" if matches!(self.peek_at(1), Tok::Ident(d) if d == "evm") => {
                    return self.asm_block(start);
                }
                "loop" if matches!(self.peek_at(1), Tok::Punct("{")) => {
                    return self.unsupported("loop", start);
                }
                "break" => {
                    self.start(BREAK);
                    self.bump();
                    self.finish();
                    ExprKind::Break
                }
                "continue" => {
                    self.start(CONTINUE);
                    self.bump();
                    self.finish();
                    ExprKind::Continue
                }
                "return" => {
                    self.start(RETURN);
                    self.bump();
                    let kind = if self.is("}") || self.is(";") || self.ends_line() || self.is(",") {
                        ExprKind::Return(None)
                    } else {
                        ExprKind::Return(Some(Box::new(self.expr()?)))
                    };
                    self.finish();
                    kind
                }
                "revert" => {
                    self.start(REVERT);
                    self.bump();
                    let path = self.path(false)?;
                    let fields = if self.is("{") {
                        self.struct_fields()?
                    } else {
                        Vec::new()
                    };
                    self.finish();
                    ExprKind::Revert(path, fields)
                }
                _ => {
                    let path = self.path(false)?;
                    if self.is("{") && !self.no_struct && !self.ends_line() {
                        self.start_at(cp, STRUCT_LIT);
                        let fields = self.struct_fields()?;
                        self.finish();
                        ExprKind::StructLit { path, fields }
                    } else {
                        self.start_at(cp, PATH_EXPR);
                        self.finish();
                        ExprKind::Path(path)
                    }
                }
            },
            Tok::Punct("|" | "||") => return self.unsupported("closure", start),
            Tok::Punct("&" | "&&") => return self.unsupported("reference", start),
            _ => return self.error("an expression"),
        };
        Ok(Expr {
            kind,
            span: start.to(self.prev_span()),
        })
    }
}
