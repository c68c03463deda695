//! Recursive-descent parser for items. On an error it records a diagnostic and skips to the
//! next item (or statement, see `parse_expr`) so that later errors are reported too.

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
    "contract", "pub",
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

    fn item(&mut self) -> PResult<Item> {
        let cp = self.checkpoint();
        let attrs = self.attrs()?;
        let start = self.span();
        self.eat_kw("pub");
        let kw = match self.peek() {
            Tok::Ident(s) => s.clone(),
            _ => return self.error("an item"),
        };
        let node = match kw.as_str() {
            "use" => USE,
            "message" => MESSAGE,
            "event" => EVENT,
            "error" => ERROR_DEF,
            "struct" => STRUCT,
            "enum" => ENUM,
            "impl" => IMPL,
            "fn" => FN,
            "const" => CONST,
            "type" => TYPE_ALIAS,
            "contract" => CONTRACT,
            _ => return self.error("an item (`message`, `contract`, `struct`, `fn`, ...)"),
        };
        self.start_at(cp, node);
        let kind = match kw.as_str() {
            "use" => {
                self.bump();
                ItemKind::Use(self.use_decl()?)
            }
            "message" => {
                self.bump();
                ItemKind::Message(self.message()?)
            }
            "event" => {
                self.bump();
                let name = self.ident()?;
                let fields = self.fields()?;
                ItemKind::Event(EventDef { name, fields })
            }
            "error" => {
                self.bump();
                let name = self.ident()?;
                let fields = if self.is("{") {
                    self.fields()?
                } else {
                    Vec::new()
                };
                ItemKind::Error(ErrorDef { name, fields })
            }
            "struct" => {
                self.bump();
                let name = self.ident()?;
                let generics = self.generic_params()?;
                let fields = self.fields()?;
                ItemKind::Struct(StructDef {
                    name,
                    generics,
                    fields,
                })
            }
            "enum" => {
                self.bump();
                ItemKind::Enum(self.enum_def()?)
            }
            "impl" => {
                self.bump();
                let generics = self.generic_params()?;
                let ty = self.type_expr()?;
                self.start(IMPL_BODY);
                self.expect("{")?;
                let mut fns = Vec::new();
                while !self.is("}") && !self.at_eof() {
                    let cp = self.checkpoint();
                    let attrs = self.attrs()?;
                    self.eat_kw("pub");
                    self.start_at(cp, FN);
                    fns.push(self.fn_def(attrs)?);
                    self.finish();
                }
                self.expect("}")?;
                self.finish();
                ItemKind::Impl(ImplDef { generics, ty, fns })
            }
            "fn" => ItemKind::Fn(self.fn_def(Vec::new())?),
            "const" => ItemKind::Const(self.const_def()?),
            "type" => {
                self.bump();
                let name = self.ident()?;
                let generics = self.generic_params()?;
                self.expect("=")?;
                let ty = self.type_expr()?;
                self.eat(";");
                ItemKind::TypeAlias(TypeAliasDef { name, generics, ty })
            }
            "contract" => {
                self.bump();
                ItemKind::Contract(self.contract()?)
            }
            _ => return self.error("an item (`message`, `contract`, `struct`, `fn`, ...)"),
        };
        self.finish();
        let kind = match kind {
            ItemKind::Fn(mut f) => {
                f.attrs = attrs.clone();
                ItemKind::Fn(f)
            }
            k => k,
        };
        Ok(Item {
            attrs,
            kind,
            span: start.to(self.prev_span()),
        })
    }

    fn use_decl(&mut self) -> PResult<UseDecl> {
        let mut prefix = vec![self.ident()?];
        let mut paths = Vec::new();
        while self.eat("::") {
            if self.is("{") {
                self.start(USE_GROUP);
                self.bump();
                while !self.is("}") {
                    let mut segs = prefix.clone();
                    self.start(USE_PATH);
                    segs.push(self.ident()?);
                    while self.eat("::") {
                        segs.push(self.ident()?);
                    }
                    self.finish();
                    let span = segs[0].span.to(self.prev_span());
                    paths.push(Path {
                        segments: segs,
                        generics: Vec::new(),
                        span,
                    });
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect("}")?;
                self.finish();
                self.eat(";");
                return Ok(UseDecl { paths });
            }
            prefix.push(self.ident()?);
        }
        let span = prefix[0].span.to(self.prev_span());
        paths.push(Path {
            segments: prefix,
            generics: Vec::new(),
            span,
        });
        self.eat(";");
        Ok(UseDecl { paths })
    }

    pub fn generic_params(&mut self) -> PResult<Vec<Ident>> {
        let mut out = Vec::new();
        if self.is("<") {
            self.start(GENERIC_PARAMS);
            self.bump();
            while !self.is(">") {
                self.start(GENERIC_PARAM);
                out.push(self.ident()?);
                if self.eat(":") {
                    // Bounds are accepted and ignored: generics are checked per instantiation.
                    self.ident()?;
                }
                self.finish();
                if !self.eat(",") {
                    break;
                }
            }
            self.expect(">")?;
            self.finish();
        }
        Ok(out)
    }

    /// `{ name: Type, ... }` with commas or newlines between fields.
    fn fields(&mut self) -> PResult<Vec<Field>> {
        self.start(FIELD_LIST);
        self.expect("{")?;
        let mut fields = Vec::new();
        while !self.is("}") && !self.at_eof() {
            self.start(FIELD);
            let attrs = self.attrs()?;
            self.eat_kw("pub");
            let name = self.ident()?;
            self.expect(":")?;
            let ty = self.type_expr()?;
            self.finish();
            fields.push(Field { attrs, name, ty });
            if !self.eat(",") && !self.eat(";") && !self.is("}") && !self.newline_before() {
                return self.error("`,` or `}`");
            }
        }
        self.expect("}")?;
        self.finish();
        Ok(fields)
    }

    fn message(&mut self) -> PResult<MessageDef> {
        let name = self.ident()?;
        self.start(MSG_VARIANTS);
        self.expect("{")?;
        let mut variants = Vec::new();
        while !self.is("}") && !self.at_eof() {
            self.start(MSG_VARIANT);
            let attrs = self.attrs()?;
            let vname = self.ident()?;
            let fields = if self.is("{") {
                self.fields()?
            } else {
                Vec::new()
            };
            let ret = if self.eat("->") {
                Some(self.type_expr()?)
            } else {
                None
            };
            self.finish();
            variants.push(MessageVariant {
                attrs,
                name: vname,
                fields,
                ret,
            });
            if !self.eat(",") && !self.is("}") && !self.newline_before() {
                return self.error("`,` or `}`");
            }
        }
        self.expect("}")?;
        self.finish();
        Ok(MessageDef { name, variants })
    }

    fn enum_def(&mut self) -> PResult<EnumDef> {
        let name = self.ident()?;
        let generics = self.generic_params()?;
        self.start(ENUM_VARIANTS);
        self.expect("{")?;
        let mut variants = Vec::new();
        while !self.is("}") && !self.at_eof() {
            self.start(ENUM_VARIANT);
            let vname = self.ident()?;
            let fields = if self.is("{") {
                VariantFields::Named(self.fields()?)
            } else if self.is("(") {
                self.start(TUPLE_FIELDS);
                self.bump();
                let mut tys = Vec::new();
                while !self.is(")") {
                    tys.push(self.type_expr()?);
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect(")")?;
                self.finish();
                VariantFields::Tuple(tys)
            } else {
                VariantFields::Unit
            };
            self.finish();
            variants.push(EnumVariant {
                name: vname,
                fields,
            });
            if !self.eat(",") && !self.is("}") && !self.newline_before() {
                return self.error("`,` or `}`");
            }
        }
        self.expect("}")?;
        self.finish();
        Ok(EnumDef {
            name,
            generics,
            variants,
        })
    }

    fn const_def(&mut self) -> PResult<ConstDef> {
        self.expect_kw("const")?;
        let name = self.ident()?;
        self.expect(":")?;
        let ty = self.type_expr()?;
        self.expect("=")?;
        let value = self.expr()?;
        self.eat(";");
        Ok(ConstDef { name, ty, value })
    }

    fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            self.error(&format!("`{kw}`"))
        }
    }

    /// `with storage` or `with (mut storage, ctx)`.
    fn caps(&mut self) -> PResult<Caps> {
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

    fn params(&mut self, allow_self: bool) -> PResult<(SelfParam, Vec<Param>)> {
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

    fn fn_def(&mut self, attrs: Vec<Attr>) -> PResult<FnDef> {
        let start = self.span();
        self.expect_kw("fn")?;
        let name = self.ident()?;
        let generics = self.generic_params()?;
        let (self_param, params) = self.params(true)?;
        let ret = if self.eat("->") {
            Some(self.type_expr()?)
        } else {
            None
        };
        let caps = self.caps()?;
        let body = self.block()?;
        Ok(FnDef {
            attrs,
            name,
            generics,
            self_param,
            params,
            ret,
            caps,
            body,
            span: start.to(self.prev_span()),
        })
    }

    fn contract(&mut self) -> PResult<ContractDef> {
        let name = self.ident()?;
        let generics = self.generic_params()?;
        self.start(CONTRACT_BODY);
        self.expect("{")?;
        let mut c = ContractDef {
            name,
            generics,
            storage: None,
            init: None,
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

    fn recover_member(&mut self) {
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
                        && ["init", "recv", "fn", "const", "storage"].contains(&s.as_str()) =>
                {
                    return;
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn contract_member(&mut self, c: &mut ContractDef) -> PResult<()> {
        let cp = self.checkpoint();
        let attrs = self.attrs()?;
        let start = self.span();
        self.eat_kw("pub");
        let node = match self.peek() {
            Tok::Ident(s) if s == "storage" => STORAGE,
            Tok::Ident(s) if s == "init" => INIT,
            Tok::Ident(s) if s == "recv" => RECV,
            Tok::Ident(s) if s == "const" => CONST,
            Tok::Ident(s) if s == "fn" => FN,
            _ => return self.error("`storage`, `init`, `recv`, `const` or `fn`"),
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

    fn recv_arm(&mut self) -> PResult<RecvArm> {
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
