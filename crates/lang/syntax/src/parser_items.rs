//! The parser's items: `use`, generic parameters, fields, messages, enums, constants, and the
//! dispatch from an item's keyword to its rule (functions and contracts: `parser_contract`).

use crate::ast::*;
use crate::cst::SyntaxKind::*;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

impl Parser {
    pub(crate) fn item(&mut self) -> PResult<Item> {
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
            "trait" => TRAIT,
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
                let (generics, bounds) = self.generic_params()?;
                let fields = self.fields()?;
                ItemKind::Struct(StructDef {
                    name,
                    generics,
                    bounds,
                    fields,
                })
            }
            "enum" => {
                self.bump();
                ItemKind::Enum(self.enum_def()?)
            }
            "impl" => {
                self.bump();
                let (generics, bounds) = self.generic_params()?;
                let ty = self.type_expr()?;
                let (trait_, ty) = if self.eat_kw("for") {
                    let TypeExpr::Path(t) = ty else {
                        return self.error("a trait name before `for`");
                    };
                    (Some(t), self.type_expr()?)
                } else {
                    (None, ty)
                };
                let fns = self.impl_body()?;
                ItemKind::Impl(ImplDef {
                    generics,
                    bounds,
                    trait_,
                    ty,
                    fns,
                })
            }
            "trait" => {
                self.bump();
                ItemKind::Trait(self.trait_def()?)
            }
            "fn" => ItemKind::Fn(self.fn_def(Vec::new())?),
            "const" => ItemKind::Const(self.const_def()?),
            "type" => {
                self.bump();
                let name = self.ident()?;
                let (generics, _) = self.generic_params()?;
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

    pub(crate) fn use_decl(&mut self) -> PResult<UseDecl> {
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

    /// `<T, U: A + B>`: the parameters and the bounds written on them.
    pub fn generic_params(&mut self) -> PResult<(Vec<Ident>, Vec<Bound>)> {
        let mut out = Vec::new();
        let mut bounds = Vec::new();
        if self.is("<") {
            self.start(GENERIC_PARAMS);
            self.bump();
            while !self.is(">") {
                self.start(GENERIC_PARAM);
                let param = self.ident()?;
                out.push(param.clone());
                if self.eat(":") {
                    let mut traits = vec![self.bound_path()?];
                    while self.eat("+") {
                        traits.push(self.bound_path()?);
                    }
                    bounds.push(Bound { param, traits });
                }
                self.finish();
                if !self.eat(",") {
                    break;
                }
            }
            self.expect(">")?;
            self.finish();
        }
        Ok((out, bounds))
    }

    /// `: Erc20 + Erc165` after a contract's name: the interfaces it implements.
    pub(crate) fn interface_list(&mut self) -> PResult<Vec<Path>> {
        let mut out = Vec::new();
        if self.eat(":") {
            out.push(self.bound_path()?);
            while self.eat("+") {
                out.push(self.bound_path()?);
            }
        }
        Ok(out)
    }

    /// A trait named in a bound or an `impl .. for`: `Name` or `module::Name`.
    fn bound_path(&mut self) -> PResult<Path> {
        self.start(PATH);
        let mut segments = vec![self.ident()?];
        while self.eat("::") {
            segments.push(self.ident()?);
        }
        self.finish();
        let span = segments[0].span.to(self.prev_span());
        Ok(Path {
            segments,
            generics: Vec::new(),
            span,
        })
    }

    /// `trait Name { fn m(self) -> T  fn d(self) -> T { .. } }` (after the keyword).
    fn trait_def(&mut self) -> PResult<TraitDef> {
        let name = self.ident()?;
        self.start(IMPL_BODY);
        self.expect("{")?;
        let mut fns = Vec::new();
        while !self.is("}") && !self.at_eof() {
            let cp = self.checkpoint();
            let attrs = self.attrs()?;
            self.start_at(cp, FN);
            let (def, has_default) = self.fn_sig_or_def(attrs)?;
            self.finish();
            fns.push(TraitFn { def, has_default });
        }
        self.expect("}")?;
        self.finish();
        Ok(TraitDef { name, fns })
    }

    /// The methods of an `impl` block (after `impl<..> [Trait for] Type`).
    fn impl_body(&mut self) -> PResult<Vec<FnDef>> {
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
        Ok(fns)
    }

    /// `{ name: Type, ... }` with commas or newlines between fields.
    pub(crate) fn fields(&mut self) -> PResult<Vec<Field>> {
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

    pub(crate) fn message(&mut self) -> PResult<MessageDef> {
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

    pub(crate) fn enum_def(&mut self) -> PResult<EnumDef> {
        let name = self.ident()?;
        let (generics, bounds) = self.generic_params()?;
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
            bounds,
            variants,
        })
    }

    pub(crate) fn const_def(&mut self) -> PResult<ConstDef> {
        self.expect_kw("const")?;
        let name = self.ident()?;
        self.expect(":")?;
        let ty = self.type_expr()?;
        self.expect("=")?;
        let value = self.expr()?;
        self.eat(";");
        Ok(ConstDef { name, ty, value })
    }

    pub(crate) fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            self.error(&format!("`{kw}`"))
        }
    }
}
