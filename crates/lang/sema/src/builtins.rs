//! `ctx.*` and `std::*` built-ins.

use crate::cx::{Cx, Typed};
use crate::items::ItemRef;
use crate::types::Ty;
use tandem_lang_ir::{
    self as ir, CallKind, Env, EventField, Expr as IrExpr, HashAlg, Intrinsic, Payload,
    Stmt as IrStmt, UnOp as IU, ValTy,
};
use tandem_lang_syntax::ast::{self, Arg, Cap, ExprKind};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

/// The methods of `ctx`, as sema accepts them (the language server completes them).
pub const CTX_METHODS: &[&str] = &[
    "caller",
    "origin",
    "value",
    "self_address",
    "balance_of",
    "code_size",
    "block_number",
    "timestamp",
    "chain_id",
    "gas_left",
    "emit",
    "call",
    "try_call",
    "call_with",
    "try_call_with",
    "call_raw",
    "try_call_raw",
    "send_value",
    "send",
    "create",
    "create2",
];

impl Cx<'_, '_> {
    pub fn ctx_call(&mut self, method: &ast::Ident, args: &[Arg], span: Span) -> Typed {
        let name = method.name.as_str();
        let env = |e: Env, ty: Ty| Typed::value(IrExpr::Env(e), ty);
        let getter = match name {
            "caller" => Some(env(Env::Caller, Ty::Address)),
            "origin" => Some(env(Env::Origin, Ty::Address)),
            "value" => Some(env(Env::CallValue, Ty::U256)),
            "self_address" => Some(env(Env::Address, Ty::Address)),
            "block_number" => Some(env(Env::Number, Ty::Uint(64))),
            "timestamp" => Some(env(Env::Timestamp, Ty::Uint(64))),
            "chain_id" => Some(env(Env::ChainId, Ty::U256)),
            "gas_left" => Some(env(Env::GasLeft, Ty::U256)),
            _ => None,
        };
        if let Some(t) = getter {
            self.require(Cap::Ctx, method.span, &format!("`ctx.{name}()`"));
            return t;
        }
        match name {
            "balance_of" => {
                self.require(Cap::Ctx, method.span, "`ctx.balance_of()`");
                if args.len() != 1 {
                    return self.arity(span, 1);
                }
                let a = self.value_of_pub(&args[0].value, &Ty::Address);
                Typed::value(IrExpr::Balance(Box::new(a)), Ty::U256)
            }
            "code_size" => {
                self.require(Cap::Ctx, method.span, "`ctx.code_size()`");
                if args.len() != 1 {
                    return self.arity(span, 1);
                }
                let a = self.value_of_pub(&args[0].value, &Ty::Address);
                Typed::value(IrExpr::Intrinsic(Intrinsic::CodeSize, vec![a]), Ty::U256)
            }
            "emit" => {
                self.require(Cap::MutCtx, method.span, "`ctx.emit()`");
                if args.len() != 1 {
                    return self.arity(span, 1);
                }
                self.emit_event(&args[0].value);
                Typed::unit()
            }
            "send_value" => {
                self.require(Cap::MutCtx, method.span, "`ctx.send_value()`");
                if args.len() != 2 {
                    return self.arity(span, 2);
                }
                let to = self.value_of_pub(&args[0].value, &Ty::Address);
                let amount = self.value_of_pub(&args[1].value, &Ty::U256);
                let ok = IrExpr::Send {
                    kind: CallKind::Call,
                    gas: None,
                    target: Box::new(to),
                    value: Box::new(amount),
                    payload: Payload::None,
                };
                self.emit(IrStmt::If(
                    IrExpr::un(IU::IsZero, ok),
                    vec![IrStmt::Revert(ir::Revert::Bubble)],
                    vec![],
                ));
                Typed::unit()
            }
            "call" | "try_call" | "call_with" | "try_call_with" => {
                self.ctx_message_call(name, method, args, span)
            }
            "call_raw" | "try_call_raw" => self.ctx_raw_call(name, method, args, span),
            "send" => self.ctx_send(method, args, span),
            "create" | "create2" => {
                self.require(Cap::MutCtx, method.span, &format!("`ctx.{name}()`"));
                let salted = name == "create2";
                let min = if salted { 2 } else { 1 };
                if args.len() < min {
                    return self.arity(span, min);
                }
                let ExprKind::Path(p) = &args[0].value.kind else {
                    self.err(Diagnostic::error(
                        "E0610",
                        "the first argument must name a contract",
                        args[0].value.span,
                        "expected a contract name",
                    ));
                    return Typed::error();
                };
                let Some(ci) = self.created_contract(p) else {
                    return Typed::error();
                };
                let salt = if salted {
                    Some(Box::new(self.value_of_pub(&args[1].value, &Ty::U256)))
                } else {
                    None
                };
                let init = self.p.contracts[ci].def.init.as_ref();
                let params: Vec<Ty> = init
                    .map(|i| {
                        i.params
                            .iter()
                            .map(|p| {
                                self.p.resolve_ty(
                                    self.p.contracts[ci].file,
                                    &p.ty,
                                    &Default::default(),
                                    self.diags,
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let rest = &args[min..];
                if rest.len() != params.len() {
                    return self.arity(span, min + params.len());
                }
                let mut enc = Vec::new();
                for (a, t) in rest.iter().zip(&params) {
                    let v = self.value_of_pub(&a.value, t);
                    let abi = self.val_ty(t, a.value.span).unwrap_or(ValTy::Tuple(vec![]));
                    enc.push((self.spill(v), abi));
                }
                self.uses_heap = true;
                if !self.children.contains(&ci) {
                    self.children.push(ci);
                }
                let child = self.children.iter().position(|c| *c == ci).unwrap_or(0) as u32;
                let addr = self.spill(IrExpr::Create {
                    child,
                    value: Box::new(IrExpr::c(0)),
                    args: enc,
                    salt,
                });
                self.emit(IrStmt::If(
                    IrExpr::un(IU::IsZero, addr.clone()),
                    vec![IrStmt::Revert(ir::Revert::Bubble)],
                    vec![],
                ));
                Typed::value(addr, Ty::Address)
            }
            _ => {
                let mut d = Diagnostic::error(
                    "E0600",
                    format!("`ctx` has no method `{name}`"),
                    method.span,
                    "unknown method",
                );
                if let Some(s) = did_you_mean(name, CTX_METHODS.iter().copied()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.err(d);
                Typed::error()
            }
        }
    }

    /// The contract `ctx.create`/`create2` deploys: a contract by name, or a type parameter of
    /// the contract being compiled, which deploys the contract it was instantiated with
    /// (`contract Mint<T: Coin>` as `Mint<Gold>` deploys a `Gold`). `None` after an error.
    fn created_contract(&mut self, p: &ast::Path) -> Option<usize> {
        let name = &p.last().name;
        let is_param = p.segments.len() == 1 && self.frame.subst.contains_key(name);
        if !is_param {
            if let Some(ItemRef::Contract(ci)) = self.p.lookup(self.frame.file, name) {
                return Some(ci);
            }
            self.err(self.p.unknown(self.frame.file, name, p.span, "contract"));
            return None;
        }
        let arg = match self.frame.contract_scope {
            true => self.contract_args.get(name).copied(),
            false => None,
        };
        match arg {
            Some(ci) if self.p.contracts[ci].def.generics.is_empty() => Some(ci),
            Some(ci) => {
                let shown = self.p.contracts[ci].def.name.name.clone();
                self.err(Diagnostic::error(
                    "E0610",
                    format!("`{name}` is the generic contract `{shown}`, which `ctx.create` cannot deploy"),
                    p.span,
                    "a generic contract",
                ).with_help(format!("instantiate `{shown}` with a `type` alias and pass that")));
                None
            }
            None => {
                self.err(Diagnostic::error(
                    "E0610",
                    format!("the first argument must name a contract; `{name}` is a type parameter that does not stand for one here"),
                    p.span,
                    "expected a contract",
                ).with_help("a contract's own type parameter, instantiated with a contract (`type M = Mint<Gold>`), can be created"));
                None
            }
        }
    }

    pub(crate) fn arity(&mut self, span: Span, n: usize) -> Typed {
        self.err(Diagnostic::error(
            "E0370",
            format!("expected {n} argument(s)"),
            span,
            "wrong number of arguments",
        ));
        Typed::error()
    }

    pub fn value_of_pub(&mut self, e: &ast::Expr, ty: &Ty) -> IrExpr {
        let t = self.expr(e, Some(ty));
        self.mismatch(ty, &t.ty, e.span);
        let (v, _) = self.rvalue(t);
        v.unwrap_or(IrExpr::c(0))
    }

    fn ctx_message_call(
        &mut self,
        name: &str,
        method: &ast::Ident,
        args: &[Arg],
        span: Span,
    ) -> Typed {
        if args.len() < 2 {
            return self.arity(span, 2);
        }
        let (addr, handle) = self.call_target(&args[0].value);
        let addr = self.spill(addr);
        let m = self.expr(&args[1].value, None);
        if let Ty::Message(mi, _) = m.ty {
            self.speaks(handle, mi, args[0].value.span, args[1].value.span);
        }
        let Ty::Message(mi, vi) = m.ty else {
            if m.ty != Ty::Error {
                let shown = self.show(&m.ty);
                self.err(Diagnostic::error(
                    "E0601",
                    format!("expected a message, found `{shown}`"),
                    args[1].value.span,
                    "e.g. `CoinMsg::BalanceOf { owner }`",
                ));
            }
            return Typed::error();
        };
        let var = &self.p.messages[mi].def.variants[vi];
        self.refuse_reply_variant(var, args[1].value.span);
        let is_view = var.attrs.iter().any(|a| a.name.name == "view");
        self.require(
            if is_view { Cap::Ctx } else { Cap::MutCtx },
            method.span,
            &format!("`ctx.{name}()`"),
        );
        let ret_ty = match &var.ret {
            Some(t) => {
                self.p
                    .resolve_ty(self.p.messages[mi].file, t, &Default::default(), self.diags)
            }
            None => Ty::Unit,
        };
        // `call_with`/`try_call_with` take `value:` and `gas:`; `try_*` gives a Result.
        let with = name.ends_with("_with");
        let tries = name.starts_with("try_");
        let (value, gas) = self.call_options(name, if with { &args[2..] } else { &[] });
        if !with && let Some(a) = args.get(2) {
            self.err(Diagnostic::error(
                "E0602",
                "unexpected argument",
                a.value.span,
                format!("`{name}` takes an address and a message; `call_with` also takes `value:` and `gas:`"),
            ));
        }
        let (buf, _) = self.rvalue(m);
        let buf = self.spill(buf.unwrap_or(IrExpr::c(0)));
        let kind = if is_view && !with {
            CallKind::StaticCall
        } else {
            CallKind::Call
        };
        let ok = self.spill(IrExpr::Send {
            kind,
            gas,
            target: Box::new(addr),
            value: Box::new(value),
            payload: Payload::Message(Box::new(buf)),
        });
        // `Reply(Tuple(ts))` is the callee's list of return values (a handler's `-> (A, B)`),
        // side by side; any other shape is one value. A struct whose fields are dynamic is one
        // value behind its offset, so it is read as a list of one.
        let reply = if ret_ty == Ty::Unit {
            None
        } else {
            Some(self.val_ty(&ret_ty, span).unwrap_or(ValTy::Tuple(vec![])))
        };
        let one_of_list = !matches!(ret_ty, Ty::Tuple(_))
            && matches!(&reply, Some(t @ ValTy::Tuple(_)) if t.is_dynamic());
        let reply = reply.map(|t| {
            if one_of_list {
                ValTy::Tuple(vec![t])
            } else {
                t
            }
        });
        let decode = |cx: &mut Self| -> IrExpr {
            match &reply {
                None => IrExpr::c(0),
                Some(t) => {
                    cx.uses_heap = true;
                    let l = cx.local();
                    cx.emit(IrStmt::Let(l, IrExpr::Reply(t.clone())));
                    let v = if one_of_list {
                        cx.spill(IrExpr::MLoad(Box::new(IrExpr::Local(l))))
                    } else {
                        IrExpr::Local(l)
                    };
                    cx.check_enums(&ret_ty, v.clone());
                    v
                }
            }
        };
        if tries {
            let r = self.alloc(IrExpr::c(64));
            let saved = std::mem::take(&mut self.out);
            let v = decode(self);
            self.emit(IrStmt::MStore(r.clone(), IrExpr::c(1)));
            self.emit(IrStmt::MStore(IrExpr::plus(r.clone(), IrExpr::c(32)), v));
            let ok_branch = std::mem::take(&mut self.out);
            let b = self.return_data_bytes();
            // The tag is written on both paths: fresh memory need not be zero.
            self.emit(IrStmt::MStore(r.clone(), IrExpr::c(0)));
            self.emit(IrStmt::MStore(IrExpr::plus(r.clone(), IrExpr::c(32)), b));
            let err_branch = std::mem::replace(&mut self.out, saved);
            self.emit(IrStmt::If(
                ok,
                ok_branch,
                vec![IrStmt::Expr(IrExpr::Seq(
                    err_branch,
                    Box::new(IrExpr::c(0)),
                ))],
            ));
            return Typed::value(r, Ty::Result(Box::new(ret_ty), Box::new(Ty::Bytes)));
        }
        self.emit(IrStmt::If(
            IrExpr::un(IU::IsZero, ok),
            vec![IrStmt::Revert(ir::Revert::Bubble)],
            vec![],
        ));
        let v = decode(self);
        if ret_ty == Ty::Unit {
            Typed::unit()
        } else {
            Typed::value(v, ret_ty)
        }
    }

    fn emit_event(&mut self, e: &ast::Expr) {
        let ExprKind::StructLit { path, fields } = &e.kind else {
            self.err(Diagnostic::error(
                "E0604",
                "`ctx.emit` takes an event literal",
                e.span,
                "expected `Event { .. }`",
            ));
            return;
        };
        let Some(ItemRef::Event(ei)) = self.p.lookup(self.frame.file, &path.last().name) else {
            let mut d = self
                .p
                .unknown(self.frame.file, &path.last().name, path.span, "event");
            d.message = format!("cannot find event `{}` in this scope", path.text());
            self.err(d);
            return;
        };
        self.used_events.insert(ei);
        let def = self.p.events[ei].def;
        let file = self.p.events[ei].file;
        let anonymous = self.p.events[ei]
            .attrs
            .iter()
            .any(|a| a.name.name == "anonymous");
        let vals = self.named_fields(&def.fields, file, fields, e.span, &def.name.name);
        let mut out = Vec::new();
        for (f, (v, t)) in def.fields.iter().zip(vals) {
            let ty = self.val_ty(&t, f.name.span).unwrap_or(ValTy::Tuple(vec![]));
            let indexed = f.attrs.iter().any(|a| a.name.name == "indexed");
            if indexed && !matches!(t, Ty::Bytes | Ty::String) && !self.is_word(&t) {
                self.err(Diagnostic::error(
                    "E0605",
                    "only value types, Bytes and String can be indexed",
                    f.name.span,
                    "cannot index this field",
                ));
            }
            // An indexed `Bytes` value is evaluated where the field is.
            let value = if indexed && matches!(t, Ty::Bytes | Ty::String) {
                self.spill(v)
            } else {
                v
            };
            out.push(EventField { value, ty, indexed });
        }
        let topics = out.iter().filter(|f| f.indexed).count();
        if topics > if anonymous { 4 } else { 3 } {
            self.err(Diagnostic::error(
                "E0606",
                "an event can have at most 3 indexed fields",
                def.name.span,
                "too many indexed fields",
            ));
            return;
        }
        self.emit(IrStmt::Emit {
            name: def.name.name.clone(),
            anonymous,
            fields: out,
        });
    }

    pub fn std_call(&mut self, f: &str, args: &[Arg], span: Span) -> Typed {
        let want = match f {
            "ecrecover" => 4,
            "encode" => args.len(),
            _ => 1,
        };
        if args.len() != want {
            return self.arity(span, want);
        }
        match f {
            "keccak256" | "sha256" | "blake2b256" => {
                let t = self.expr(&args[0].value, None);
                let (v, ty) = self.rvalue(t);
                let v = v.unwrap_or(IrExpr::c(0));
                let (ptr, len) = match &ty {
                    Ty::Bytes | Ty::String => {
                        let p = self.spill(v);
                        (
                            IrExpr::plus(p.clone(), IrExpr::c(32)),
                            IrExpr::MLoad(Box::new(p)),
                        )
                    }
                    t if self.is_word(t) && f == "keccak256" => {
                        return Typed::value(
                            IrExpr::HashWords(HashAlg::Keccak256, vec![v]),
                            Ty::U256,
                        );
                    }
                    Ty::Error => return Typed::error(),
                    other => {
                        let shown = self.show(other);
                        self.err(Diagnostic::error(
                            "E0620",
                            format!("`{f}` hashes Bytes or String, found `{shown}`"),
                            args[0].value.span,
                            "use `std::abi::encode(..)` first",
                        ));
                        return Typed::error();
                    }
                };
                let alg = match f {
                    "keccak256" => HashAlg::Keccak256,
                    "sha256" => HashAlg::Sha256,
                    _ => HashAlg::Blake2b256,
                };
                let e = IrExpr::Hash(alg, Box::new(ptr), Box::new(len));
                self.uses_heap = true;
                Typed::value(e, Ty::U256)
            }
            "ecrecover" => {
                let tys = [Ty::U256, Ty::Uint(8), Ty::U256, Ty::U256];
                let vals: Vec<IrExpr> = args
                    .iter()
                    .zip(&tys)
                    .map(|(a, t)| self.value_of_pub(&a.value, t))
                    .collect();
                let vals: Vec<IrExpr> = vals.into_iter().map(|v| self.spill(v)).collect();
                self.uses_heap = true;
                Typed::value(IrExpr::Intrinsic(Intrinsic::Ecrecover, vals), Ty::Address)
            }
            "encode" => {
                let mut enc = Vec::new();
                for a in args {
                    let t = self.expr(&a.value, None);
                    let (v, ty) = self.rvalue(t);
                    let abi = self
                        .val_ty(&ty, a.value.span)
                        .unwrap_or(ValTy::Tuple(vec![]));
                    let v = self.spill(v.unwrap_or(IrExpr::c(0)));
                    enc.push((v, abi, ty));
                }
                Typed::value(self.abi_encode_values(enc), Ty::Bytes)
            }
            _ => {
                self.err(Diagnostic::error(
                    "E0621",
                    format!("`std::abi::{f}` is not supported yet"),
                    span,
                    "not available",
                ));
                Typed::error()
            }
        }
    }
}
