//! `assert!`, `assert_eq!` and `assert_ne!` (written with the `!`, as in tests). `assert!` is
//! `assert`; `assert_eq!(a, b)` and `assert_ne!(a, b)` compare two values of one comparable
//! type (integers, `bool`, `Address`, `bytesN`, word enums, `Bytes`, `String`) and otherwise
//! revert with the custom error `AssertEq(T,T)` / `AssertNe(T,T)` carrying both values, which
//! the test runner decodes into "left != right". Each operand is evaluated once, left first.

use crate::cx::{Cx, Typed, Val};
use crate::types::Ty;
use tandem_lang_ir::{self as ir, Expr as IrExpr, Stmt as IrStmt, UnOp as IU};
use tandem_lang_syntax::ast::{Arg, BinOp, ExprKind};
use tandem_lang_syntax::diag::Span;

impl Cx<'_, '_> {
    pub(crate) fn assert_eq_call(&mut self, args: &[Arg], span: Span, equal: bool) -> Typed {
        if args.len() != 2 {
            return self.arity(span, 2);
        }
        let (a, b) = (&args[0].value, &args[1].value);
        // A literal operand takes the other operand's type (as `==` does).
        let (l, r) = if matches!(a.kind, ExprKind::Int(..)) && !matches!(b.kind, ExprKind::Int(..))
        {
            let r = self.expr(b, None);
            let (rv, rt) = self.rvalue(r);
            let rv = self.spill(rv.unwrap_or(IrExpr::c(0)));
            let l = self.expr(a, Some(&rt));
            let (lv, lt) = self.rvalue(l);
            ((lv, lt), (Some(rv), rt))
        } else {
            let l = self.expr(a, None);
            let (lv, lt) = self.rvalue(l);
            let lv = self.spill(lv.unwrap_or(IrExpr::c(0)));
            let r = self.expr(b, Some(&lt));
            ((Some(lv), lt), self.rvalue(r))
        };
        let ((lv, lt), (rv, rt)) = (l, r);
        let lv = self.spill(lv.unwrap_or(IrExpr::c(0)));
        let rv = self.spill(rv.unwrap_or(IrExpr::c(0)));
        let op = if equal { BinOp::Eq } else { BinOp::Ne };
        let holds = self.compare(op, lv.clone(), &lt, rv.clone(), &rt, span);
        let Val::Value(cond) = holds.val else {
            return Typed::unit();
        };
        if holds.ty == Ty::Error || lt == Ty::Error {
            return Typed::unit();
        }
        let Some(vt) = self.val_ty(&lt, span) else {
            return Typed::unit();
        };
        let name = if equal { "AssertEq" } else { "AssertNe" };
        self.emit(IrStmt::If(
            IrExpr::un(IU::IsZero, cond),
            vec![IrStmt::Revert(ir::Revert::Error {
                name: name.to_string(),
                args: vec![(lv, vt.clone()), (rv, vt)],
            })],
            vec![],
        ));
        Typed::unit()
    }
}
