//! Built-in methods: `StorageVec` elements, integer methods, `T::try_from` and `assert`.

use crate::cx::{Assign, Cx, Typed};
use crate::layout::clean;
use crate::types::Ty;
use tandem_lang_ir::{self as ir, BinOp as IB, Expr as IrExpr, Stmt as IrStmt, U256, UnOp as IU};
use tandem_lang_syntax::ast::{self, Arg, ExprKind};
use tandem_lang_syntax::diag::{Diagnostic, Span};

impl Cx<'_, '_> {
    /// Element `i` of a `StorageVec` (no bounds check): whole slots from `keccak256(slot)`, or
    /// packed `32 / size` to a slot as Solidity packs `uint8[]` (see `storage_element`).
    pub(crate) fn vec_elem(&mut self, slot: &IrExpr, i: IrExpr, t: &Ty, span: Span) -> Typed {
        let data = IrExpr::DataSlot(Box::new(slot.clone()));
        self.storage_element(data, i, t, Assign::Ok, span)
    }

    pub(crate) fn int_method(
        &mut self,
        r: Typed,
        method: &ast::Ident,
        args: &[Arg],
        span: Span,
    ) -> Typed {
        let ty = r.ty.clone();
        let (signed, bits) = crate::expr::int_range(&ty).unwrap_or((false, 256));
        if !self.want_args(args, 1, span, &format!("`{}`", method.name)) {
            return Typed::error();
        }
        let (a, _) = self.rvalue(r);
        let a = self.spill(a.unwrap_or(IrExpr::c(0)));
        let b = self.value_of(&args[0].value, &ty);
        let b = self.spill(b);
        let raw = |op| IrExpr::bin(op, a.clone(), b.clone());
        let max = if signed {
            (U256::from(1) << (bits as usize - 1)) - U256::from(1)
        } else if bits == 256 {
            U256::MAX
        } else {
            (U256::from(1) << bits as usize) - U256::from(1)
        };
        let v = match method.name.as_str() {
            "wrapping_add" => clean(raw(IB::Add), &ty),
            "wrapping_sub" => clean(raw(IB::Sub), &ty),
            "wrapping_mul" => clean(raw(IB::Mul), &ty),
            "saturating_add" if !signed => {
                let s = self.spill(raw(IB::Add));
                let over = if bits == 256 {
                    IrExpr::bin(IB::Lt, s.clone(), a.clone())
                } else {
                    IrExpr::bin(IB::Gt, s.clone(), IrExpr::Const(max))
                };
                IrExpr::Cond(Box::new(over), Box::new(IrExpr::Const(max)), Box::new(s))
            }
            "saturating_sub" if !signed => IrExpr::Cond(
                Box::new(IrExpr::bin(IB::Lt, a.clone(), b.clone())),
                Box::new(IrExpr::c(0)),
                Box::new(raw(IB::Sub)),
            ),
            "min" | "max" => {
                let lt = if signed { IB::SLt } else { IB::Lt };
                let c = IrExpr::bin(lt, a.clone(), b.clone());
                if method.name == "min" {
                    IrExpr::Cond(Box::new(c), Box::new(a.clone()), Box::new(b.clone()))
                } else {
                    IrExpr::Cond(Box::new(c), Box::new(b.clone()), Box::new(a.clone()))
                }
            }
            other => {
                self.err(Diagnostic::error("E0375", format!("no method `{other}` on integers"), method.span, "method not found")
                    .with_help("integers have `wrapping_add/sub/mul`, `saturating_add/sub` (unsigned), `min`, `max`"));
                return Typed::error();
            }
        };
        Typed::value(v, ty)
    }

    pub(crate) fn try_from(&mut self, target: Ty, args: &[Arg], span: Span) -> Typed {
        if !self.want_args(args, 1, span, "`try_from`") {
            return Typed::error();
        }
        let t = self.expr(&args[0].value, None);
        let (v, from) = self.rvalue(t);
        if !from.is_int() {
            return Typed::error();
        }
        let x = self.spill(v.unwrap_or(IrExpr::c(0)));
        let mut ok = IrExpr::bin(IB::Eq, x.clone(), clean(x.clone(), &target));
        if matches!(from, Ty::Int(_)) && matches!(target, Ty::Uint(_)) {
            ok = IrExpr::bin(
                IB::And,
                ok,
                IrExpr::un(IU::IsZero, IrExpr::bin(IB::SLt, x.clone(), IrExpr::c(0))),
            );
        }
        if matches!(from, Ty::Uint(_)) && matches!(target, Ty::Int(_)) {
            ok = IrExpr::bin(
                IB::And,
                ok,
                IrExpr::un(IU::IsZero, IrExpr::bin(IB::Shr, x.clone(), IrExpr::c(255))),
            );
        }
        self.emit(IrStmt::Assert(ok, 0x11));
        Typed::value(x, target)
    }

    pub(crate) fn assert_call(&mut self, args: &[Arg], span: Span) -> Typed {
        if args.is_empty() || args.len() > 2 {
            self.want_args(args, 1, span, "`assert`");
            return Typed::unit();
        }
        let c = self.value_of(&args[0].value, &Ty::Bool);
        if let Some(err) = args.get(1) {
            let ExprKind::StructLit { path, fields } = &err.value.kind else {
                if let ExprKind::Path(path) = &err.value.kind {
                    let (name, a) = self.error_value(path, &[], err.value.span);
                    if let Some(name) = name {
                        self.emit(IrStmt::If(
                            IrExpr::un(IU::IsZero, c),
                            vec![IrStmt::Revert(ir::Revert::Error { name, args: a })],
                            vec![],
                        ));
                    }
                    return Typed::unit();
                }
                self.err(Diagnostic::error(
                    "E0377",
                    "the second argument of `assert` must be an error value",
                    err.value.span,
                    "expected `MyError { .. }`",
                ));
                return Typed::unit();
            };
            let saved = std::mem::take(&mut self.out);
            let (name, a) = self.error_value(path, fields, err.value.span);
            let mut body = std::mem::replace(&mut self.out, saved);
            if let Some(name) = name {
                body.push(IrStmt::Revert(ir::Revert::Error { name, args: a }));
                self.emit(IrStmt::If(IrExpr::un(IU::IsZero, c), body, vec![]));
            }
        } else {
            self.emit(IrStmt::Assert(c, 0x01));
        }
        Typed::unit()
    }
}
