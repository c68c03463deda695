//! Methods on `Option<T>` and `Result<T, E>`: `is_some`/`is_none`/`unwrap`/`unwrap_or`/
//! `ok_or`, and `is_ok`/`is_err`/`unwrap`/`unwrap_or`/`ok`/`err`.
//!
//! Both are `[tag][payload]` in memory (tag 1 for `Some`/`Ok`), so every method is a tag test,
//! a `Cond` or a fresh `[tag][payload]` built with `If` — IR every backend already has.
//! Arguments are evaluated before the method runs, as Rust does (`unwrap_or(f())` calls `f`).

use crate::cx::{Cx, Typed};
use crate::types::Ty;
use tandem_lang_ir::{Expr as IrExpr, Stmt as IrStmt, UnOp as IU};
use tandem_lang_syntax::ast::{self, Arg};
use tandem_lang_syntax::diag::{Diagnostic, Span};

const OPTION_METHODS: &[&str] = &["is_some", "is_none", "unwrap", "unwrap_or", "ok_or"];
const RESULT_METHODS: &[&str] = &["is_ok", "is_err", "unwrap", "unwrap_or", "ok", "err"];

impl Cx<'_, '_> {
    /// A method on an `Option` or a `Result` (`r.ty` is one of them). Unknown names are
    /// E0375 with the list of the ones there are.
    pub(crate) fn wrap_method(
        &mut self,
        r: Typed,
        method: &ast::Ident,
        args: &[Arg],
        span: Span,
        expected: Option<&Ty>,
    ) -> Typed {
        let name = method.name.as_str();
        let (ok_ty, err_ty) = match &r.ty {
            Ty::Option(t) => ((**t).clone(), None),
            Ty::Result(t, e) => ((**t).clone(), Some((**e).clone())),
            _ => return Typed::error(),
        };
        let known = if err_ty.is_some() {
            RESULT_METHODS
        } else {
            OPTION_METHODS
        };
        if !known.contains(&name) {
            let shown = self.show(&r.ty);
            self.err(
                Diagnostic::error(
                    "E0375",
                    format!("no method `{name}` on type `{shown}`"),
                    method.span,
                    "method not found",
                )
                .with_help(format!("it has {}; or `match` it", crate::code_list(known))),
            );
            return Typed::error();
        }
        let n_args = usize::from(matches!(name, "unwrap_or" | "ok_or"));
        if !self.want_args(args, n_args, span, &format!("`{name}`")) {
            return Typed::error();
        }
        let (p, _) = self.rvalue(r);
        let p = self.spill(p.unwrap_or(IrExpr::c(0)));
        let tag = self.spill(IrExpr::MLoad(Box::new(p.clone())));
        let not = |t: &IrExpr| IrExpr::un(IU::IsZero, t.clone());
        match name {
            "is_some" | "is_ok" => Typed::value(tag, Ty::Bool),
            "is_none" | "is_err" => Typed::value(not(&tag), Ty::Bool),
            "unwrap" => {
                // Panic code 0x01, as a failed `assert`.
                self.emit(IrStmt::Assert(tag, 0x01));
                let v = self.read_mem_field(p, 1, &ok_ty);
                Typed::value(v, ok_ty)
            }
            "unwrap_or" => {
                let d = self.value_of(&args[0].value, &ok_ty);
                let d = self.spill(d);
                let v = self.read_mem_field(p, 1, &ok_ty);
                Typed::value(IrExpr::Cond(Box::new(tag), Box::new(v), Box::new(d)), ok_ty)
            }
            "ok" => {
                let o = self.rewrap(&p, tag.clone(), tag, &ok_ty, None);
                Typed::value(o, Ty::Option(Box::new(ok_ty)))
            }
            "err" => {
                let e = err_ty.unwrap_or(Ty::Error);
                let o = self.rewrap(&p, not(&tag), not(&tag), &e, None);
                Typed::value(o, Ty::Option(Box::new(e)))
            }
            _ => {
                // `ok_or(e)`: `Some(v)` becomes `Ok(v)`, `None` becomes `Err(e)`. The error
                // type is the one the context expects, else `e`'s own.
                if let Some(Ty::Result(_, want)) = expected {
                    let want = (**want).clone();
                    let v = self.value_of(&args[0].value, &want);
                    let v = self.spill(v);
                    return self.ok_or_with(&p, tag, ok_ty, v, want);
                }
                let t = self.expr(&args[0].value, None);
                let (v, ty) = self.rvalue(t);
                let v = self.spill(v.unwrap_or(IrExpr::c(0)));
                self.ok_or_with(&p, tag, ok_ty, v, ty)
            }
        }
    }

    fn ok_or_with(&mut self, p: &IrExpr, tag: IrExpr, ok_ty: Ty, e: IrExpr, e_ty: Ty) -> Typed {
        let o = self.rewrap(p, tag.clone(), tag, &ok_ty, Some((e, &e_ty)));
        Typed::value(o, Ty::Result(Box::new(ok_ty), Box::new(e_ty)))
    }

    /// A fresh `[new_tag][payload]`: the payload is `p`'s (of type `keep_ty`) where `keep`
    /// holds, otherwise `other` (a value of its type) or a zero word. A fresh value, so the
    /// result never shares memory with `p`.
    fn rewrap(
        &mut self,
        p: &IrExpr,
        keep: IrExpr,
        new_tag: IrExpr,
        keep_ty: &Ty,
        other: Option<(IrExpr, &Ty)>,
    ) -> IrExpr {
        let kw = self.mem_words(keep_ty);
        let ow = match &other {
            Some((_, t)) => self.mem_words(t),
            None => 1,
        };
        let words = 1 + kw.max(ow) as u64;
        let base = self.alloc(IrExpr::c(words * 32));
        self.emit(IrStmt::MStore(base.clone(), new_tag));
        let at = IrExpr::plus(base.clone(), IrExpr::c(32));
        let from = IrExpr::plus(p.clone(), IrExpr::c(32));
        let copy = |cx: &mut Self, ty: &Ty, src: IrExpr, src_is_addr: bool| -> IrStmt {
            if cx.is_inline(ty) {
                let n = cx.mem_words(ty) as u64 * 32;
                IrStmt::MCopy(at.clone(), src, IrExpr::c(n))
            } else if src_is_addr {
                IrStmt::MStore(at.clone(), IrExpr::MLoad(Box::new(src)))
            } else {
                IrStmt::MStore(at.clone(), src)
            }
        };
        let then = vec![copy(self, keep_ty, from, true)];
        let els = match other {
            // An inline value is its address, as `read_mem_field` gives it.
            Some((v, t)) => vec![copy(self, t, v, false)],
            None => vec![IrStmt::MStore(at.clone(), IrExpr::c(0))],
        };
        self.emit(IrStmt::If(keep, then, els));
        base
    }
}
