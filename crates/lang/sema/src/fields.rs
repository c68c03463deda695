//! Named fields: literals of structs, events and errors, and the values of custom errors.

use crate::cx::Cx;
use crate::items::ItemRef;
use crate::types::Ty;
use tandem_lang_ir::{self as ir, Expr as IrExpr, ValTy};
use tandem_lang_syntax::ast::{self, Expr, ExprKind};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

impl Cx<'_, '_> {
    /// `revert E { .. }` / `assert(c, E { .. })`: the error's name and typed values.
    pub fn error_value(
        &mut self,
        path: &ast::Path,
        fields: &[(ast::Ident, Option<Expr>)],
        span: Span,
    ) -> (Option<String>, Vec<(IrExpr, ValTy)>) {
        let Some(ItemRef::Error(ei)) = self.p.lookup(self.frame.file, &path.last().name) else {
            let mut d = self
                .p
                .unknown(self.frame.file, &path.last().name, path.span, "error");
            d.message = format!("cannot find error `{}` in this scope", path.text());
            self.err(d);
            return (None, vec![]);
        };
        self.used_errors.insert(ei);
        let def = self.p.errors[ei].def;
        let file = self.p.errors[ei].file;
        let vals = self.named_fields(&def.fields, file, fields, span, &def.name.name);
        let mut out = Vec::new();
        for (v, t) in vals {
            let a = self
                .val_ty(&t, span)
                .unwrap_or(ValTy::Word(ir::WordTy::Uint(256)));
            out.push((v, a));
        }
        (Some(def.name.name.clone()), out)
    }

    /// Checks `{ a, b: x }` against declared fields; values in declaration order.
    pub fn named_fields(
        &mut self,
        decl: &[ast::Field],
        file: usize,
        given: &[(ast::Ident, Option<Expr>)],
        span: Span,
        what: &str,
    ) -> Vec<(IrExpr, Ty)> {
        let tys: Vec<Ty> = decl
            .iter()
            .map(|f| {
                self.p
                    .resolve_ty(file, &f.ty, &self.frame.subst, self.diags)
            })
            .collect();
        self.check_field_values(
            &decl.iter().map(|f| f.name.name.clone()).collect::<Vec<_>>(),
            &tys,
            given,
            span,
            what,
        )
    }

    pub fn check_field_values(
        &mut self,
        names: &[String],
        tys: &[Ty],
        given: &[(ast::Ident, Option<Expr>)],
        span: Span,
        what: &str,
    ) -> Vec<(IrExpr, Ty)> {
        let mut vals: Vec<Option<IrExpr>> = vec![None; names.len()];
        for (name, value) in given {
            let Some(i) = names.iter().position(|n| *n == name.name) else {
                let mut d = Diagnostic::error(
                    "E0310",
                    format!("`{what}` has no field named `{}`", name.name),
                    name.span,
                    "unknown field",
                );
                if let Some(s) = did_you_mean(&name.name, names.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.err(d);
                continue;
            };
            let t = match value {
                Some(e) => {
                    let t = self.expr(e, Some(&tys[i]));
                    self.mismatch(&tys[i], &t.ty, e.span);
                    t
                }
                None => {
                    let path = ast::Path {
                        segments: vec![name.clone()],
                        generics: vec![],
                        span: name.span,
                    };
                    let t = self.expr(
                        &Expr {
                            kind: ExprKind::Path(path),
                            span: name.span,
                        },
                        Some(&tys[i]),
                    );
                    self.mismatch(&tys[i], &t.ty, name.span);
                    t
                }
            };
            let (v, _) = self.rvalue(t);
            let v = v.unwrap_or(IrExpr::c(0));
            // Fields are evaluated in the order written; keep each in a local.
            vals[i] = Some(if v.is_pure() { v } else { self.spill(v) });
        }
        let missing: Vec<&str> = names
            .iter()
            .zip(&vals)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| n.as_str())
            .collect();
        if !missing.is_empty() {
            self.err(Diagnostic::error(
                "E0378",
                format!(
                    "missing field(s) {} in `{what}`",
                    crate::code_list(&missing)
                ),
                span,
                "missing fields",
            ));
        }
        vals.into_iter()
            .zip(tys)
            .map(|(v, t)| (v.unwrap_or(IrExpr::c(0)), t.clone()))
            .collect()
    }
}
