//! Asynchronous sends (`ctx.send`, docs/async.md) and `#[reply]` handlers.
//!
//! `ctx.send(target, Msg::V { .. }, on_reply: Own::R, gas: N, reply_gas: M, value: V)`
//! queues the message and yields its id (`u64`). `Own::R` is a `#[reply]` variant of a
//! message this contract receives, with fields `id: u64, ok: bool` and, when `Msg::V` has a
//! reply type `T`, a third field of type `T`. On the wire a reply handler takes the VM's
//! `(id: u64, exit_code: u32, ret: Bytes)`; the handler refuses any caller but the VM's
//! queue actor (ID 11), sets `ok = exit_code == 0` and decodes `ret` as `T` when `ok`.

use crate::cx::{Cx, Typed};
use crate::items::ItemRef;
use crate::types::Ty;
use tandem_lang_ir::{
    self as ir, AsyncReplyTo, BinOp as IB, Env, Expr as IrExpr, LocalId, Stmt as IrStmt, U256,
    UnOp as IU, ValTy, WordTy,
};
use tandem_lang_syntax::ast::{self, Arg, Cap, ExprKind};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

/// Delivery and reply gas limits when none is given (their sum stays under the VM's 5M).
pub const DEFAULT_GAS: u64 = 2_000_000;
pub const DEFAULT_REPLY_GAS: u64 = 1_000_000;
/// The VM's limit on a message's delivery plus reply gas.
pub const MAX_ASYNC_GAS: u64 = 5_000_000;

/// Whether a message variant is a `#[reply]` handler.
pub fn is_reply(var: &ast::MessageVariant) -> bool {
    var.attrs.iter().any(|a| a.name.name == "reply")
}

/// The wire parameters of a reply handler: `(id: u64, exit_code: u32, ret: Bytes)`.
pub fn reply_wire() -> Vec<(String, Ty)> {
    vec![
        ("id".into(), Ty::Uint(64)),
        ("exitCode".into(), Ty::Uint(32)),
        ("ret".into(), Ty::Bytes),
    ]
}

/// The masked-ID address of the async queue actor.
fn queue_address() -> IrExpr {
    IrExpr::Const((U256::from(0xffu64) << 152) | U256::from(ir::ASYNC_QUEUE_ADDRESS))
}

impl Cx<'_, '_> {
    /// Checks a `#[reply]` variant's declared fields (`id: u64, ok: bool[, value: T]`, no
    /// reply type); the type of its value field (`Unit` without one).
    pub(crate) fn reply_shape(&mut self, var: &ast::MessageVariant, tys: &[Ty]) -> Option<Ty> {
        let ok = tys.len() >= 2
            && tys.len() <= 3
            && tys[0] == Ty::Uint(64)
            && tys[1] == Ty::Bool
            && var.ret.is_none();
        if !ok {
            self.err(
                Diagnostic::error(
                    "E0631",
                    format!(
                        "reply handler `{}` must have fields `id: u64, ok: bool` and optionally the reply's value, and no reply type",
                        var.name.name
                    ),
                    var.name.span,
                    "not a reply handler's shape",
                )
                .with_help("e.g. `#[reply] Pong { id: u64, ok: bool, value: u256 }`"),
            );
            return None;
        }
        let v = tys.get(2).cloned().unwrap_or(Ty::Unit);
        // what `ctx.call` decodes: static values, `Bytes`, `String` and a `Vec` of words
        let decodable = v == Ty::Unit
            || self.val_ty(&v, var.name.span).is_some_and(|t| {
                !t.is_dynamic()
                    || matches!(t, ValTy::Bytes | ValTy::String)
                    || matches!(t, ValTy::DynArray(e) if matches!(*e, ValTy::Word(_)))
            });
        if !decodable {
            let shown = self.show(&v);
            self.err(Diagnostic::error(
                "E0632",
                format!("an async reply of type `{shown}` is not supported yet"),
                var.fields[2].name.span,
                "async replies may be static types, Bytes, String or a Vec of words",
            ));
            return None;
        }
        Some(v)
    }

    /// The prologue of a reply handler: refuse any caller but the VM, then compute the
    /// declared fields from the wire parameters. Returns the locals of the declared fields.
    pub(crate) fn reply_prologue(&mut self, wire: &[LocalId], value: &Ty) -> Vec<LocalId> {
        let (id, exit, ret) = (wire[0], wire[1], wire[2]);
        self.emit(IrStmt::If(
            IrExpr::un(
                IU::IsZero,
                IrExpr::bin(IB::Eq, IrExpr::Env(Env::Caller), queue_address()),
            ),
            vec![IrStmt::Revert(ir::Revert::Empty)],
            vec![],
        ));
        let ok = self.local();
        self.emit(IrStmt::Let(ok, IrExpr::un(IU::IsZero, IrExpr::Local(exit))));
        let mut out = vec![id, ok];
        if *value != Ty::Unit {
            let t = self
                .val_ty(value, Span::default())
                .unwrap_or(ValTy::Word(WordTy::Uint(256)));
            let v = self.local();
            self.emit(IrStmt::Let(v, IrExpr::c(0)));
            // without a value (`ok` false): zero, an empty `Bytes`/`Vec`, a zeroed aggregate
            let saved = std::mem::take(&mut self.out);
            if !matches!(t, ValTy::Word(_)) {
                let size = if t.is_dynamic() { 32 } else { t.head_size() };
                let p = self.alloc(IrExpr::c(u64::from(size)));
                let (i, label) = (self.local(), self.label());
                self.emit(IrStmt::Let(i, IrExpr::c(0)));
                self.emit(IrStmt::Loop {
                    label,
                    body: vec![
                        IrStmt::If(
                            IrExpr::bin(IB::Lt, IrExpr::Local(i), IrExpr::c(u64::from(size))),
                            vec![],
                            vec![IrStmt::Break(label)],
                        ),
                        IrStmt::MStore(IrExpr::plus(p.clone(), IrExpr::Local(i)), IrExpr::c(0)),
                    ],
                    step: vec![IrStmt::Set(
                        i,
                        IrExpr::plus(IrExpr::Local(i), IrExpr::c(32)),
                    )],
                });
                self.emit(IrStmt::Set(v, p));
            }
            let zero = std::mem::replace(&mut self.out, saved);
            let saved = std::mem::take(&mut self.out);
            self.emit(IrStmt::Set(
                v,
                IrExpr::AsyncReturn(t, Box::new(IrExpr::Local(ret))),
            ));
            self.check_enums(value, IrExpr::Local(v));
            let got = std::mem::replace(&mut self.out, saved);
            self.emit(IrStmt::If(IrExpr::Local(ok), got, zero));
            self.uses_heap = true;
            out.push(v);
        }
        out
    }

    /// E0633 for a message value of a `#[reply]` variant given to a send: only the VM
    /// calls a reply handler.
    pub(crate) fn refuse_reply_variant(&mut self, var: &ast::MessageVariant, span: Span) {
        if is_reply(var) {
            self.err(Diagnostic::error(
                "E0633",
                format!(
                    "`{}` is a reply handler: only the VM sends it",
                    var.name.name
                ),
                span,
                "cannot send a `#[reply]` variant",
            ));
        }
    }

    /// `ctx.send(target, message, on_reply: .., gas: .., reply_gas: .., value: ..)`.
    pub(crate) fn ctx_send(&mut self, method: &ast::Ident, args: &[Arg], span: Span) -> Typed {
        self.require(Cap::MutCtx, method.span, "`ctx.send()`");
        if args.len() < 2 || args[0].name.is_some() || args[1].name.is_some() {
            return self.arity(span, 2);
        }
        let (target, handle) = self.call_target(&args[0].value);
        let target = self.spill(target);
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
                    "e.g. `PingMsg::Ping { n }`",
                ));
            }
            return Typed::error();
        };
        let var = &self.p.messages[mi].def.variants[vi];
        self.refuse_reply_variant(var, args[1].value.span);
        let sent_ret = match &var.ret {
            Some(t) => {
                self.p
                    .resolve_ty(self.p.messages[mi].file, t, &Default::default(), self.diags)
            }
            None => Ty::Unit,
        };
        let sent_name = format!("{}::{}", self.p.messages[mi].def.name.name, var.name.name);
        let (buf, _) = self.rvalue(m);
        let buf = self.spill(buf.unwrap_or(IrExpr::c(0)));
        let (mut value, mut gas, mut reply_gas, mut on_reply) = (IrExpr::c(0), None, None, None);
        for a in &args[2..] {
            match a.name.as_ref().map(|n| n.name.as_str()) {
                Some("value") => value = self.value_of_pub(&a.value, &Ty::U256),
                Some("gas") => gas = Some(self.value_of_pub(&a.value, &Ty::Uint(64))),
                Some("reply_gas") => {
                    reply_gas = Some((self.value_of_pub(&a.value, &Ty::Uint(64)), a.value.span))
                }
                Some("on_reply") => on_reply = Some(&a.value),
                _ => self.err(Diagnostic::error(
                    "E0602",
                    "unexpected argument",
                    a.value.span,
                    "`ctx.send` takes `on_reply:`, `gas:`, `reply_gas:` and `value:` after the message",
                )),
            }
        }
        let reply = match on_reply {
            Some(e) => self.reply_target(e, &sent_ret, &sent_name),
            None => {
                if let Some((_, s)) = &reply_gas {
                    self.err(Diagnostic::error(
                        "E0634",
                        "`reply_gas:` without `on_reply:`",
                        *s,
                        "no reply is asked for",
                    ));
                }
                None
            }
        };
        let gas = gas.unwrap_or(IrExpr::c(DEFAULT_GAS));
        let reply_gas = reply_gas
            .map(|g| g.0)
            .unwrap_or(IrExpr::c(DEFAULT_REPLY_GAS));
        if let (IrExpr::Const(g), IrExpr::Const(r)) = (&gas, &reply_gas) {
            let total = g.saturating_add(if reply.is_some() { *r } else { U256::ZERO });
            if total > U256::from(MAX_ASYNC_GAS) {
                self.err(Diagnostic::error(
                    "E0635",
                    format!("async gas {total} is more than the VM's limit of {MAX_ASYNC_GAS}"),
                    span,
                    "`gas:` plus `reply_gas:` must be at most 5,000,000",
                ));
            }
        }
        let (value, gas) = (self.spill(value), self.spill(gas));
        let reply = reply.map(|handler| AsyncReplyTo {
            handler,
            gas: Box::new(self.spill(reply_gas)),
        });
        self.uses_heap = true;
        let id = self.spill(IrExpr::SendAsync {
            target: Box::new(target),
            value: Box::new(value),
            gas: Box::new(gas),
            message: Box::new(buf),
            reply,
        });
        Typed::value(id, Ty::Uint(64))
    }

    /// Resolves `on_reply: Own::R` and checks it against the sent variant's reply type.
    fn reply_target(&mut self, e: &ast::Expr, sent_ret: &Ty, sent: &str) -> Option<ir::MsgRef> {
        let ExprKind::Path(path) = &e.kind else {
            self.err(Diagnostic::error(
                "E0630",
                "`on_reply:` names a reply handler, e.g. `MyMsg::Pong`",
                e.span,
                "expected `Message::Variant`",
            ));
            return None;
        };
        if path.segments.len() != 2 {
            self.err(Diagnostic::error(
                "E0630",
                "`on_reply:` names a reply handler, e.g. `MyMsg::Pong`",
                e.span,
                "expected `Message::Variant`",
            ));
            return None;
        }
        let (mname, vname) = (&path.segments[0], &path.segments[1]);
        let Some(ItemRef::Message(mi)) = self.p.lookup(self.frame.file, &mname.name) else {
            let d = self
                .p
                .unknown(self.frame.file, &mname.name, mname.span, "message");
            self.err(d);
            return None;
        };
        let mdef = self.p.messages[mi].def;
        let Some(vi) = mdef.variants.iter().position(|v| v.name.name == vname.name) else {
            let mut d = Diagnostic::error(
                "E0383",
                format!(
                    "no variant `{}` in message `{}`",
                    vname.name, mdef.name.name
                ),
                vname.span,
                "unknown variant",
            );
            if let Some(s) = did_you_mean(
                &vname.name,
                mdef.variants.iter().map(|v| v.name.name.as_str()),
            ) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.err(d);
            return None;
        };
        let var = &mdef.variants[vi];
        if !is_reply(var) {
            self.err(
                Diagnostic::error(
                    "E0630",
                    format!("`{}::{}` is not a reply handler", mdef.name.name, var.name.name),
                    e.span,
                    "not marked `#[reply]`",
                )
                .with_help("mark the variant `#[reply]`, with fields `id: u64, ok: bool` and the reply's value"),
            );
            return None;
        }
        let receives = self.contract.is_some_and(|ci| {
            let c = &self.p.contracts[ci];
            c.def.recvs.iter().any(|r| {
                matches!(self.p.lookup(c.file, &r.msg.last().name), Some(ItemRef::Message(x)) if x == mi)
            })
        });
        if !receives {
            self.err(Diagnostic::error(
                "E0636",
                format!("this contract does not receive `{}`", mdef.name.name),
                e.span,
                "the reply handler must be one of this contract's own messages",
            ));
            return None;
        }
        let mfile = self.p.messages[mi].file;
        let tys: Vec<Ty> = var
            .fields
            .iter()
            .map(|f| {
                self.p
                    .resolve_ty(mfile, &f.ty, &Default::default(), self.diags)
            })
            .collect();
        let got = tys.get(2).cloned().unwrap_or(Ty::Unit);
        if tys.len() >= 2 && got != *sent_ret {
            let (want, have) = (self.show(sent_ret), self.show(&got));
            let mut d = Diagnostic::error(
                "E0637",
                format!(
                    "reply type mismatch: `{sent}` replies `{want}` but `{}::{}` takes `{have}`",
                    mdef.name.name, var.name.name
                ),
                e.span,
                format!("expects a reply of type `{have}`"),
            );
            d = d.with_label(var.name.span, "reply handler declared here");
            d = d.with_help(if *sent_ret == Ty::Unit {
                "the message has no reply value: declare only `id: u64, ok: bool`".to_string()
            } else {
                format!("declare the handler's third field as `{want}`")
            });
            self.err(d);
            return None;
        }
        Some(ir::MsgRef {
            name: format!("{}::{}", mdef.name.name, var.name.name),
            signature: crate::contract::reply_signature(var),
            method_number: crate::contract::variant_method_number(self.p, mi, vi),
        })
    }
}
