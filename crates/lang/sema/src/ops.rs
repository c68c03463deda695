//! Operators: arithmetic (checked, wrapping, saturating), comparisons and bit operations.

use crate::cx::{Cx, Typed};
use crate::expr::int_range;
use crate::layout::clean;
use crate::types::Ty;
use tandem_lang_ir::opt::util::children;
use tandem_lang_ir::{BinOp as IB, CheckedOp, Expr as IrExpr, Stmt as IrStmt, UnOp as IU};
use tandem_lang_syntax::ast::{BinOp, Expr, ExprKind};
use tandem_lang_syntax::diag::{Diagnostic, Span};

/// Operations a right operand of `&&`/`||` may have and still be evaluated unconditionally.
const CHEAP_NODES: u32 = 8;

/// Whether the right side of `&&`/`||` is cheap enough to evaluate even when the left side
/// decides (the branch-free `and`/`or`): pure, at most [`CHEAP_NODES`] operations, and no
/// storage or balance read, hash or exponentiation. Anything dearer short-circuits: a cold
/// storage read costs far more than the branch, and is what the left side usually guards.
fn cheap(e: &IrExpr) -> bool {
    fn walk(e: &IrExpr, budget: &mut u32) -> bool {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        let dear = matches!(
            e,
            IrExpr::SLoad(_)
                | IrExpr::Balance(_)
                | IrExpr::Hash(..)
                | IrExpr::HashWords(..)
                | IrExpr::MapSlot { .. }
                | IrExpr::DataSlot(_)
                | IrExpr::Bin(IB::Exp, ..)
        );
        !dear && children(e).into_iter().all(|c| walk(c, budget))
    }
    let mut budget = CHEAP_NODES;
    e.is_pure() && walk(e, &mut budget)
}

impl Cx<'_, '_> {
    /// One operand of `&&`/`||`: its statements (run only when it is reached) and its value.
    fn logic_operand(&mut self, e: &Expr) -> (Vec<IrStmt>, IrExpr) {
        let saved = std::mem::take(&mut self.out);
        let t = self.expr(e, Some(&Ty::Bool));
        self.mismatch(&Ty::Bool, &t.ty, e.span);
        let (v, _) = self.rvalue(t);
        let stmts = std::mem::replace(&mut self.out, saved);
        (stmts, v.unwrap_or(IrExpr::c(0)))
    }

    /// `a && b` / `a || b`, with a left-nested chain of the same operator (`a || b || c`) as
    /// one: the first operand, and each later one that has no statements and is [`cheap`],
    /// are combined branch-free with `and`/`or` into one temporary; an operand that is not
    /// runs (with the rest of the chain nested inside) only when the temporary has not
    /// decided yet, so `x == owner || operators[owner][x]` reads storage only when needed.
    fn logic(&mut self, op: BinOp, a: &Expr, b: &Expr) -> Typed {
        let mut operands = vec![b];
        let mut left = a;
        while let ExprKind::Binary(o, x, y) = &left.kind
            && *o == op
        {
            operands.push(y);
            left = x;
        }
        operands.push(left);
        operands.reverse();
        let (first, rest) = (operands[0], &operands[1..]);
        let l = self.expr(first, Some(&Ty::Bool));
        self.mismatch(&Ty::Bool, &l.ty, first.span);
        let (lv, _) = self.rvalue(l);
        let lv = lv.unwrap_or(IrExpr::c(0));
        let parts: Vec<_> = rest.iter().map(|e| self.logic_operand(e)).collect();
        let ib = if op == BinOp::And { IB::And } else { IB::Or };
        let mut parts = parts.into_iter().peekable();
        let mut value = lv;
        while let Some((_, v)) = parts.next_if(|(ss, v)| ss.is_empty() && cheap(v)) {
            value = IrExpr::bin(ib, value, v);
        }
        if parts.peek().is_none() {
            return Typed::value(value, Ty::Bool);
        }
        let t = self.local();
        self.emit(IrStmt::Let(t, value));
        let undecided = if op == BinOp::And {
            IrExpr::Local(t)
        } else {
            IrExpr::un(IU::IsZero, IrExpr::Local(t))
        };
        // Built from the right: each dear operand's body nests the rest of the chain.
        let mut groups: Vec<(Vec<IrStmt>, IrExpr)> = vec![];
        while let Some((ss, mut v)) = parts.next() {
            while let Some((_, c)) = parts.next_if(|(ss, v)| ss.is_empty() && cheap(v)) {
                v = IrExpr::bin(ib, v, c);
            }
            groups.push((ss, v));
        }
        let mut inner: Vec<IrStmt> = vec![];
        for (mut ss, v) in groups.into_iter().rev() {
            ss.push(IrStmt::Set(t, v));
            if !inner.is_empty() {
                ss.push(IrStmt::If(undecided.clone(), inner, vec![]));
            }
            inner = ss;
        }
        self.emit(IrStmt::If(undecided, inner, vec![]));
        Typed::value(IrExpr::Local(t), Ty::Bool)
    }

    pub(crate) fn binary(
        &mut self,
        op: BinOp,
        a: &Expr,
        b: &Expr,
        span: Span,
        expected: Option<&Ty>,
    ) -> Typed {
        if matches!(op, BinOp::And | BinOp::Or) {
            return self.logic(op, a, b);
        }
        let cmp = matches!(
            op,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        );
        let hint = if cmp || matches!(op, BinOp::Shl | BinOp::Shr | BinOp::Pow) {
            None
        } else {
            expected
        };
        // A literal operand takes the other operand's type.
        let (l, r) = if matches!(a.kind, ExprKind::Int(..)) && !matches!(b.kind, ExprKind::Int(..))
        {
            let r = self.expr(b, hint);
            let r = self.stabilize_value(r);
            let l = self.expr(a, Some(&r.ty));
            (l, r)
        } else {
            let l = self.expr(a, hint);
            let l = self.stabilize_value(l);
            let rhint = if matches!(op, BinOp::Shl | BinOp::Shr | BinOp::Pow) {
                None
            } else {
                Some(l.ty.clone())
            };
            let r = self.expr(b, rhint.as_ref());
            (l, r)
        };
        let (lv, lt) = self.rvalue(l);
        let (rv, rt) = self.rvalue(r);
        let (lv, rv) = (lv.unwrap_or(IrExpr::c(0)), rv.unwrap_or(IrExpr::c(0)));
        if cmp {
            return self.compare(op, lv, &lt, rv, &rt, span);
        }
        let (v, t) = self.arith(op, lv, &lt, rv, &rt, span);
        Typed::value(v, t)
    }

    /// Evaluates a value now if later operands could change what it reads.
    pub(crate) fn stabilize_value(&mut self, t: Typed) -> Typed {
        t
    }

    pub(crate) fn compare(
        &mut self,
        op: BinOp,
        l: IrExpr,
        lt: &Ty,
        r: IrExpr,
        rt: &Ty,
        span: Span,
    ) -> Typed {
        if !lt.compatible(rt) {
            self.mismatch(lt, rt, span);
            return Typed::error();
        }
        let ty = if *lt == Ty::Error { rt } else { lt };
        let eq_only = matches!(ty, Ty::Bool | Ty::Address | Ty::Handle(_))
            || matches!(ty, Ty::Adt(id, _) if self.p.adt_is_word(*id));
        if matches!(ty, Ty::Bytes | Ty::String) && matches!(op, BinOp::Eq | BinOp::Ne) {
            let (l, r) = (self.spill(l), self.spill(r));
            let h = |p: IrExpr| {
                IrExpr::Hash(
                    tandem_lang_ir::HashAlg::Keccak256,
                    Box::new(IrExpr::plus(p.clone(), IrExpr::c(32))),
                    Box::new(IrExpr::MLoad(Box::new(p))),
                )
            };
            let eq = IrExpr::bin(IB::Eq, h(l), h(r));
            return Typed::value(
                if op == BinOp::Eq {
                    eq
                } else {
                    IrExpr::un(IU::IsZero, eq)
                },
                Ty::Bool,
            );
        }
        if !(ty.is_int() || matches!(ty, Ty::FixedBytes(_)) || eq_only || *ty == Ty::Error)
            || (eq_only && !matches!(op, BinOp::Eq | BinOp::Ne))
        {
            let shown = self.show(ty);
            self.err(Diagnostic::error(
                "E0350",
                format!("cannot compare `{shown}` with `{}`", op.text()),
                span,
                "unsupported comparison",
            ));
            return Typed::error();
        }
        let signed = matches!(ty, Ty::Int(_));
        let (lt_op, gt_op) = if signed {
            (IB::SLt, IB::SGt)
        } else {
            (IB::Lt, IB::Gt)
        };
        let v = match op {
            BinOp::Eq => IrExpr::bin(IB::Eq, l, r),
            BinOp::Ne => IrExpr::un(IU::IsZero, IrExpr::bin(IB::Eq, l, r)),
            BinOp::Lt => IrExpr::bin(lt_op, l, r),
            BinOp::Gt => IrExpr::bin(gt_op, l, r),
            BinOp::Le => IrExpr::un(IU::IsZero, IrExpr::bin(gt_op, l, r)),
            _ => IrExpr::un(IU::IsZero, IrExpr::bin(lt_op, l, r)),
        };
        Typed::value(v, Ty::Bool)
    }

    /// Arithmetic and bitwise operators; arithmetic is checked.
    pub fn arith(
        &mut self,
        op: BinOp,
        l: IrExpr,
        lt: &Ty,
        r: IrExpr,
        rt: &Ty,
        span: Span,
    ) -> (IrExpr, Ty) {
        let ty = if *lt == Ty::Error {
            rt.clone()
        } else {
            lt.clone()
        };
        let Some((signed, bits)) = int_range(&ty) else {
            if matches!(ty, Ty::Bool | Ty::FixedBytes(_))
                && matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor)
                && rt.compatible(&ty)
            {
                let o = match op {
                    BinOp::BitAnd => IB::And,
                    BinOp::BitOr => IB::Or,
                    _ => IB::Xor,
                };
                return (IrExpr::bin(o, l, r), ty);
            }
            if ty != Ty::Error {
                let shown = self.show(&ty);
                self.err(Diagnostic::error(
                    "E0351",
                    format!("cannot apply `{}` to `{shown}`", op.text()),
                    span,
                    "expects integers",
                ));
            }
            return (IrExpr::c(0), Ty::Error);
        };
        if matches!(op, BinOp::Shl | BinOp::Shr) {
            if !matches!(rt, Ty::Uint(_) | Ty::Error) {
                let shown = self.show(rt);
                self.err(Diagnostic::error(
                    "E0352",
                    format!("shift amount must be unsigned, found `{shown}`"),
                    span,
                    "signed shift amount",
                ));
            }
            let v = match op {
                BinOp::Shl => clean(IrExpr::bin(IB::Shl, l, r), &ty),
                _ if signed => IrExpr::bin(IB::Sar, l, r),
                _ => IrExpr::bin(IB::Shr, l, r),
            };
            return (v, ty);
        }
        if op == BinOp::Pow {
            if !matches!(rt, Ty::Uint(_) | Ty::Error) {
                self.err(Diagnostic::error(
                    "E0353",
                    "exponent must be unsigned",
                    span,
                    "signed exponent",
                ));
            }
            return (self.checked_pow(signed, bits, l, r), ty);
        } else {
            self.mismatch(&ty, rt, span);
        }
        let checked = |op| IrExpr::Checked {
            op,
            signed,
            bits,
            a: Box::new(l.clone()),
            b: Box::new(r.clone()),
        };
        let v = match op {
            BinOp::Add => checked(CheckedOp::Add),
            BinOp::Sub => checked(CheckedOp::Sub),
            BinOp::Mul => checked(CheckedOp::Mul),
            BinOp::Div => checked(CheckedOp::Div),
            BinOp::Rem => checked(CheckedOp::Rem),
            BinOp::BitAnd => IrExpr::bin(IB::And, l, r),
            BinOp::BitOr => IrExpr::bin(IB::Or, l, r),
            BinOp::BitXor => IrExpr::bin(IB::Xor, l, r),
            _ => IrExpr::c(0),
        };
        (v, ty)
    }
}
