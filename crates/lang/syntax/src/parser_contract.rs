//! The parser's functions and contracts: capabilities (`with ..`), parameters, `fn`
//! definitions, contract members (`storage`, `init`, `recv`, helpers) and `recv` arms.

use crate::ast::*;
use crate::cst::SyntaxKind::*;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

impl Parser {
    /// `with storage` or `with (mut storage, ctx)`.
    pub(crate) fn caps(&mut self) -> PResult<Caps> {
        let mut caps = Caps::default();
        if !self.is_kw("with") {
            return Ok(caps);
        }
        self.start(CAPS);
        self.bump();
        let paren = self.is("(");
        if paren {
            self.start(CAP_LIST);
            self.bump();
        }
        loop {
            let start = self.span();
            self.start(CAP);
            let is_mut = self.eat_kw("mut");
            let cap = match (self.peek(), is_mut) {
                (Tok::Ident(s), false) if s == "storage" => Cap::Storage,
                (Tok::Ident(s), true) if s == "storage" => Cap::MutStorage,
                (Tok::Ident(s), false) if s == "ctx" => Cap::Ctx,
                (Tok::Ident(s), true) if s == "ctx" => Cap::MutCtx,
                _ => {
                    return self
                        .error("a capability (`storage`, `mut storage`, `ctx` or `mut ctx`)");
                }
            };
            self.bump();
            self.finish();
            caps.caps.push((cap, start.to(self.prev_span())));
            if !paren || !self.eat(",") || self.is(")") {
                break;
            }
        }
        if paren {
            self.expect(")")?;
            self.finish();
        }
        self.finish();
        Ok(caps)
    }

    pub(crate) fn params(&mut self, allow_self: bool) -> PResult<(SelfParam, Vec<Param>)> {
        self.start(PARAM_LIST);
        self.expect("(")?;
        let mut self_param = SelfParam::None;
        let mut params = Vec::new();
        while !self.is(")") && !self.at_eof() {
            let cp = self.checkpoint();
            let mutable = self.eat_kw("mut");
            if allow_self
                && params.is_empty()
                && self_param == SelfParam::None
                && self.is_kw("self")
            {
                self.start_at(cp, SELF_PARAM);
                self.bump();
                self.finish();
                self_param = if mutable {
                    SelfParam::Mut
                } else {
                    SelfParam::Value
                };
            } else {
                self.start_at(cp, PARAM);
                let name = self.ident()?;
                self.expect(":")?;
                let ty = self.type_expr()?;
                self.finish();
                params.push(Param { mutable, name, ty });
            }
            if !self.eat(",") {
                break;
            }
        }
        self.expect(")")?;
        self.finish();
        Ok((self_param, params))
    }

    pub(crate) fn fn_def(&mut self, attrs: Vec<Attr>) -> PResult<FnDef> {
        self.fn_with_body(attrs, true).map(|(f, _)| f)
    }

    /// A trait's method: a signature alone (required; an optional `;` ends it) or with a
    /// default body. Returns whether it has a body.
    pub(crate) fn fn_sig_or_def(&mut self, attrs: Vec<Attr>) -> PResult<(FnDef, bool)> {
        self.fn_with_body(attrs, false)
    }

    fn fn_with_body(&mut self, attrs: Vec<Attr>, need_body: bool) -> PResult<(FnDef, bool)> {
        let start = self.span();
        self.expect_kw("fn")?;
        let name = self.ident()?;
        let (generics, bounds) = self.generic_params()?;
        let (self_param, params) = self.params(true)?;
        let ret = if self.eat("->") {
            Some(self.type_expr()?)
        } else {
            None
        };
        let caps = self.caps()?;
        let has_body = need_body || self.is("{");
        let body = if has_body {
            self.block()?
        } else {
            self.eat(";");
            Block {
                stmts: Vec::new(),
                tail: None,
                span: self.prev_span(),
            }
        };
        let f = FnDef {
            attrs,
            name,
            generics,
            bounds,
            self_param,
            params,
            ret,
            caps,
            body,
            span: start.to(self.prev_span()),
        };
        Ok((f, has_body))
    }

    pub(crate) fn contract(&mut self) -> PResult<ContractDef> {
        let name = self.ident()?;
        let (generics, bounds) = self.generic_params()?;
        let interfaces = self.interface_list()?;
        self.start(CONTRACT_BODY);
        self.expect("{")?;
        let mut c = ContractDef {
            name,
            generics,
            bounds,
            interfaces,
            storage: None,
            init: None,
            receive: None,
            fallback: None,
            recvs: Vec::new(),
            consts: Vec::new(),
            fns: Vec::new(),
        };
        while !self.is("}") && !self.at_eof() {
            let start_pos = self.pos;
            let open = self.open;
            if self.contract_member(&mut c).is_err() {
                self.close_to(open);
                self.start(ERROR);
                self.recover_member();
                self.finish();
            }
            if self.pos == start_pos {
                self.bump();
            }
        }
        self.expect("}")?;
        self.finish();
        Ok(c)
    }

    pub(crate) fn recover_member(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                Tok::Ident(s)
                    if depth == 0
                        && self.newline_before()
                        && [
                            "init", "recv", "receive", "fallback", "fn", "const", "storage",
                        ]
                        .contains(&s.as_str()) =>
                {
                    return;
                }
                _ => {}
            }
            self.bump();
        }
    }

    pub(crate) fn contract_member(&mut self, c: &mut ContractDef) -> PResult<()> {
        let cp = self.checkpoint();
        let attrs = self.attrs()?;
        let start = self.span();
        self.eat_kw("pub");
        let node = match self.peek() {
            Tok::Ident(s) if s == "storage" => STORAGE,
            Tok::Ident(s) if s == "init" || s == "receive" || s == "fallback" => INIT,
            Tok::Ident(s) if s == "recv" => RECV,
            Tok::Ident(s) if s == "const" => CONST,
            Tok::Ident(s) if s == "fn" => FN,
            _ => {
                return self
                    .error("`storage`, `init`, `recv`, `receive`, `fallback`, `const` or `fn`");
            }
        };
        self.start_at(cp, node);
        if self.is_kw("storage") {
            self.bump();
            self.expect(":")?;
            c.storage = Some(self.type_expr()?);
            self.eat(",");
            self.eat(";");
        } else if self.eat_kw("init") {
            let (_, params) = self.params(false)?;
            let caps = self.caps()?;
            let body = self.block()?;
            c.init = Some(InitDef {
                attrs,
                params,
                caps,
                body,
                span: start.to(self.prev_span()),
            });
        } else if self.is_kw("receive") || self.is_kw("fallback") {
            let is_receive = self.is_kw("receive");
            let kw = self.span();
            self.bump();
            let caps = self.caps()?;
            let body = self.block()?;
            let def = InitDef {
                attrs,
                params: Vec::new(),
                caps,
                body,
                span: start.to(self.prev_span()),
            };
            let slot = if is_receive {
                &mut c.receive
            } else {
                &mut c.fallback
            };
            if slot.is_some() {
                let what = if is_receive { "receive" } else { "fallback" };
                self.diags.push(crate::diag::Diagnostic::error(
                    "E0703",
                    format!("`{what}` is declared twice"),
                    kw,
                    "second one",
                ));
            }
            *slot = Some(Box::new(def));
        } else if self.eat_kw("recv") {
            let msg = self.path(false)?;
            self.start(RECV_BODY);
            self.expect("{")?;
            let mut arms = Vec::new();
            while !self.is("}") && !self.at_eof() {
                arms.push(self.recv_arm()?);
                self.eat(",");
            }
            self.expect("}")?;
            self.finish();
            c.recvs.push(RecvBlock {
                attrs,
                msg,
                arms,
                span: start.to(self.prev_span()),
            });
        } else if self.is_kw("const") {
            c.consts.push(self.const_def()?);
        } else if self.is_kw("fn") {
            c.fns.push(self.fn_def(attrs)?);
        } else {
            return self.error("`storage`, `init`, `recv`, `const` or `fn`");
        }
        self.finish();
        Ok(())
    }

    pub(crate) fn recv_arm(&mut self) -> PResult<RecvArm> {
        self.start(RECV_ARM);
        let attrs = self.attrs()?;
        let start = self.span();
        let variant = self.path(false)?;
        let bindings = if self.is("{") {
            self.start(BINDINGS);
            self.bump();
            let mut b = Vec::new();
            while !self.is("}") && !self.at_eof() {
                self.start(BINDING);
                let field = self.ident()?;
                let rename = if self.eat(":") {
                    Some(self.ident()?)
                } else {
                    None
                };
                self.finish();
                b.push((field, rename));
                if !self.eat(",") {
                    break;
                }
            }
            self.expect("}")?;
            self.finish();
            Some(b)
        } else {
            None
        };
        self.expect("=>")?;
        let caps = self.caps()?;
        let body = if self.is("{") {
            self.block()?
        } else {
            let e = self.expr()?;
            let span = e.span;
            Block {
                stmts: Vec::new(),
                tail: Some(Box::new(e)),
                span,
            }
        };
        self.finish();
        Ok(RecvArm {
            attrs,
            variant,
            bindings,
            caps,
            body,
            span: start.to(self.prev_span()),
        })
    }
}
