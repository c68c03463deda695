//! `ctx.call_raw(a, data)` and `ctx.try_call_raw(a, data)`, with optional `value:` and
//! `gas:`: a CALL whose calldata is a `Bytes` value (built with `std::abi::encode`, or kept in
//! storage, as a multisig keeps the calls it will execute). The reply is the whole return
//! data as `Bytes`; `call_raw` bubbles the callee's revert, `try_call_raw` gives a `Result`.

use crate::cx::{Cx, Typed};
use crate::types::Ty;
use tandem_lang_ir::{self as ir, CallKind, Expr as IrExpr, Stmt as IrStmt, UnOp as IU};
use tandem_lang_syntax::ast::{self, Arg, Cap};
use tandem_lang_syntax::diag::{Diagnostic, Span};

impl Cx<'_, '_> {
    pub(crate) fn ctx_raw_call(
        &mut self,
        name: &str,
        method: &ast::Ident,
        args: &[Arg],
        span: Span,
    ) -> Typed {
        self.require(Cap::MutCtx, method.span, &format!("`ctx.{name}()`"));
        if args.len() < 2 {
            return self.arity(span, 2);
        }
        let addr = self.value_of_pub(&args[0].value, &Ty::Address);
        let addr = self.spill(addr);
        let data = self.value_of_pub(&args[1].value, &Ty::Bytes);
        let data = self.spill(data);
        let (value, gas) = self.call_options(name, &args[2..]);
        let ok = self.spill(IrExpr::Send {
            kind: CallKind::Call,
            gas,
            target: Box::new(addr),
            value: Box::new(value),
            payload: ir::Payload::Bytes(Box::new(data)),
        });
        if name == "call_raw" {
            self.emit(IrStmt::If(
                IrExpr::un(IU::IsZero, ok.clone()),
                vec![IrStmt::Revert(ir::Revert::Bubble)],
                vec![],
            ));
        }
        let reply = self.return_data_bytes();
        if name == "call_raw" {
            return Typed::value(reply, Ty::Bytes);
        }
        // Result: the tag (1 = Ok) and the data, on both paths.
        let r = self.alloc(IrExpr::c(64));
        self.emit(IrStmt::MStore(r.clone(), ok));
        self.emit(IrStmt::MStore(
            IrExpr::plus(r.clone(), IrExpr::c(32)),
            reply,
        ));
        Typed::value(r, Ty::Result(Box::new(Ty::Bytes), Box::new(Ty::Bytes)))
    }

    /// The reply (or failure data) of the last send, in fresh memory as `Bytes`.
    pub(crate) fn return_data_bytes(&mut self) -> IrExpr {
        self.uses_heap = true;
        let b = self.local();
        self.emit(IrStmt::Let(b, IrExpr::ReplyBytes));
        IrExpr::Local(b)
    }

    /// The `value:` and `gas:` options of a call (value 0 and all gas when absent).
    pub(crate) fn call_options(
        &mut self,
        name: &str,
        options: &[Arg],
    ) -> (IrExpr, Option<Box<IrExpr>>) {
        let (mut value, mut gas) = (IrExpr::c(0), None);
        for a in options {
            match a.name.as_ref().map(|n| n.name.as_str()) {
                Some("value") => value = self.value_of_pub(&a.value, &Ty::U256),
                Some("gas") => gas = Some(Box::new(self.value_of_pub(&a.value, &Ty::U256))),
                _ => self.err(Diagnostic::error(
                    "E0602",
                    "unexpected argument",
                    a.value.span,
                    format!("`{name}` takes `value:` and `gas:` after its arguments"),
                )),
            }
        }
        (value, gas)
    }
}
