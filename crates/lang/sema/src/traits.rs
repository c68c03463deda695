//! Traits: `trait` declarations, `impl Trait for Type`, bounds on generic parameters, and the
//! calls resolved through them.
//!
//! Generics stay monomorphised: a trait adds no dynamic dispatch. `impl Trait for Type` puts
//! the impl's methods (and the trait's default methods it does not override) among `Type`'s
//! methods, so `x.method()` on a concrete type, and `Trait::method(x)`, inline the impl's body
//! exactly as an inherent method's. What a trait adds is checking:
//! - at the impl: every required method is provided with the trait's signature (E0221,
//!   E0222), and nothing else is (E0223);
//! - at each instantiation: a type argument implements every bound of its parameter (E0224),
//!   for generic structs, enums, functions, methods and contracts (`type W = Wallet<S>`);
//! - in a generic body, at definition time: a method called on a value whose type is a bounded
//!   parameter must come from one of its bounds (E0225, `bound_calls.rs`). Unbounded
//!   parameters keep the template behaviour (each instantiation is checked on its own).
//!
//! Errors about a trait's name are E0220; an impl for something other than a struct or enum,
//! or a second impl of one trait for one type, is E0226.

use crate::items::{ItemRef, Method, Program};
use crate::types::{AdtId, Ty, TyDisplay};
use std::collections::HashMap;
use tandem_lang_syntax::ast::{Bound, FnDef, ImplDef, Path, SelfParam, TraitDef, TypeExpr};
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics, Span};

/// A declared trait and the structs and enums that implement it.
pub struct Trait<'a> {
    pub def: &'a TraitDef,
    pub file: usize,
    pub impls: Vec<AdtId>,
}

impl Trait<'_> {
    /// The names of the methods the trait provides to a bounded parameter.
    pub fn has_method(&self, name: &str) -> bool {
        self.def.fns.iter().any(|f| f.def.name.name == name)
    }
}

impl<'a> Program<'a> {
    /// The trait a bound or an `impl .. for` names, or E0220.
    pub fn trait_named(&self, file: usize, path: &Path, diags: &mut Diagnostics) -> Option<usize> {
        match self.lookup(file, &path.last().name) {
            Some(ItemRef::Trait(t)) => Some(t),
            Some(_) => {
                diags.push(
                    Diagnostic::error(
                        "E0220",
                        format!("`{}` is not a trait", path.text()),
                        path.span,
                        "expected a trait",
                    )
                    .with_help("bounds and `impl .. for` name a `trait`"),
                );
                None
            }
            None => {
                let mut d = self.unknown(file, &path.last().name, path.span, "trait");
                d.code = "E0220";
                diags.push(d);
                None
            }
        }
    }

    /// The trait ids of a parameter's bounds (unknown names are reported by `check_bounds_named`).
    pub fn bound_traits(&self, file: usize, bounds: &[Bound], param: &str) -> Vec<usize> {
        bounds
            .iter()
            .filter(|b| b.param.name == param)
            .flat_map(|b| &b.traits)
            .filter_map(|p| match self.lookup(file, &p.last().name) {
                Some(ItemRef::Trait(t)) => Some(t),
                _ => None,
            })
            .collect()
    }

    /// Whether a type implements a trait (an error type does, so one error is not two).
    pub fn implements(&self, ty: &Ty, t: usize) -> bool {
        match ty {
            Ty::Adt(id, _) => self.traits[t].impls.contains(id),
            Ty::Error | Ty::Never => true,
            _ => false,
        }
    }

    pub fn show_ty(&self, ty: &Ty) -> String {
        let adt = |id: usize| {
            self.adts
                .get(id)
                .map(|a| a.name.clone())
                .unwrap_or_else(|| "?".into())
        };
        let msg = |m: usize, _v: usize| {
            self.messages
                .get(m)
                .map(|d| d.def.name.name.clone())
                .unwrap_or_default()
        };
        TyDisplay {
            ty,
            adt_name: &adt,
            msg_name: &msg,
        }
        .to_string()
    }

    /// E0224 for every bound whose parameter's type argument (in `subst`) does not implement
    /// it. `what` names the generic item, `span` is the instantiation. False if one failed.
    pub fn check_bounds(
        &self,
        file: usize,
        bounds: &[Bound],
        subst: &HashMap<String, Ty>,
        what: &str,
        span: Span,
        diags: &mut Diagnostics,
    ) -> bool {
        let mut ok = true;
        for b in bounds {
            let Some(ty) = subst.get(&b.param.name) else {
                continue;
            };
            for t in self.bound_traits(file, std::slice::from_ref(b), &b.param.name) {
                if self.implements(ty, t) {
                    continue;
                }
                ok = false;
                let (shown, tname) = (self.show_ty(ty), &self.traits[t].def.name.name);
                diags.push(
                    Diagnostic::error(
                        "E0224",
                        format!(
                            "`{shown}` does not implement `{tname}`, which {what} requires of `{}`",
                            b.param.name
                        ),
                        span,
                        format!("`{shown}` is not `{tname}`"),
                    )
                    .with_label(
                        b.param.span,
                        format!("bound `{}: {tname}` here", b.param.name),
                    )
                    .with_help(format!("add `impl {tname} for {shown} {{ .. }}`")),
                );
            }
        }
        ok
    }

    /// The bounds of a generic struct or enum, checked for one instantiation.
    pub fn check_adt_bounds(&self, id: AdtId, args: &[Ty], span: Span, diags: &mut Diagnostics) {
        let adt = &self.adts[id];
        let bounds = match &adt.kind {
            crate::items::AdtKind::Struct(s) => &s.bounds,
            crate::items::AdtKind::Enum(e) => &e.bounds,
        };
        if bounds.is_empty() {
            return;
        }
        let subst: HashMap<String, Ty> = adt.generics.iter().cloned().zip(args.to_vec()).collect();
        let what = format!("`{}`", adt.name);
        self.check_bounds(adt.file, bounds, &subst, &what, span, diags);
    }

    /// Registers `impl Trait for Type` blocks (after inherent ones) and checks each against its
    /// trait: the methods join the type's, with the trait's defaults for those not written.
    pub fn collect_trait_impls(&mut self, diags: &mut Diagnostics) {
        let files = self.files;
        for (fi, f) in files.iter().enumerate() {
            for item in &f.ast.items {
                let tandem_lang_syntax::ast::ItemKind::Impl(imp) = &item.kind else {
                    continue;
                };
                let Some(tpath) = &imp.trait_ else {
                    continue;
                };
                let Some(t) = self.trait_named(fi, tpath, diags) else {
                    continue;
                };
                self.trait_impl(fi, t, imp, tpath, diags);
            }
        }
    }

    fn trait_impl(
        &mut self,
        fi: usize,
        t: usize,
        imp: &'a ImplDef,
        tpath: &Path,
        diags: &mut Diagnostics,
    ) {
        let tname = self.traits[t].def.name.name.clone();
        let target = match &imp.ty {
            TypeExpr::Path(p) => match self.lookup(fi, &p.last().name) {
                Some(ItemRef::Adt(id)) => Some(id),
                _ => None,
            },
            _ => None,
        };
        let Some(id) = target else {
            diags.push(
                Diagnostic::error(
                    "E0226",
                    format!("`{tname}` can only be implemented for a struct or an enum"),
                    imp.ty.span(),
                    "not a struct or enum of this package",
                )
                .with_help("wrap the value in a struct and implement the trait for it"),
            );
            return;
        };
        if self.traits[t].impls.contains(&id) {
            diags.push(Diagnostic::error(
                "E0226",
                format!(
                    "`{tname}` is implemented twice for `{}`",
                    self.adts[id].name
                ),
                tpath.span,
                "second implementation",
            ));
            return;
        }
        self.traits[t].impls.push(id);
        let (tdef, tfile) = (self.traits[t].def, self.traits[t].file);
        for m in &imp.fns {
            match tdef.fns.iter().find(|f| f.def.name.name == m.name.name) {
                Some(tf) => self.compare_sig(fi, imp, m, tfile, &tf.def, &tname, diags),
                None => diags.push(
                    Diagnostic::error(
                        "E0223",
                        format!(
                            "method `{}` is not a member of trait `{tname}`",
                            m.name.name
                        ),
                        m.name.span,
                        "not in the trait",
                    )
                    .with_help(format!(
                        "move it to an inherent `impl {} {{ .. }}` block",
                        self.adts[id].name
                    )),
                ),
            }
            self.add_method(id, m, imp, fi, diags);
        }
        let missing: Vec<&str> = tdef
            .fns
            .iter()
            .filter(|tf| {
                !tf.has_default && !imp.fns.iter().any(|m| m.name.name == tf.def.name.name)
            })
            .map(|tf| tf.def.name.name.as_str())
            .collect();
        if !missing.is_empty() {
            let list = crate::code_list(&missing);
            diags.push(
                Diagnostic::error(
                    "E0221",
                    format!(
                        "`impl {tname} for {}` is missing {list}",
                        self.adts[id].name
                    ),
                    tpath.span,
                    format!("missing {list}"),
                )
                .with_label(tdef.name.span, format!("`{tname}` declared here")),
            );
        }
        for tf in tdef.fns.iter().filter(|tf| tf.has_default) {
            if !imp.fns.iter().any(|m| m.name.name == tf.def.name.name) {
                // The default body is checked where it is written (the trait's file), with
                // the impl's generics.
                self.add_method_from(id, &tf.def, imp, tfile, tpath.span, diags);
            }
        }
    }

    fn add_method(
        &mut self,
        id: AdtId,
        m: &'a FnDef,
        imp: &'a ImplDef,
        fi: usize,
        diags: &mut Diagnostics,
    ) {
        self.add_method_from(id, m, imp, fi, m.name.span, diags);
    }

    fn add_method_from(
        &mut self,
        id: AdtId,
        m: &'a FnDef,
        imp: &'a ImplDef,
        file: usize,
        span: Span,
        diags: &mut Diagnostics,
    ) {
        let method = Method {
            def: m,
            impl_generics: &imp.generics,
            impl_bounds: &imp.bounds,
            file,
        };
        if self.adts[id]
            .methods
            .insert(m.name.name.clone(), method)
            .is_some()
        {
            diags.push(
                Diagnostic::error(
                    "E0202",
                    format!(
                        "method `{}` is defined twice for `{}`",
                        m.name.name, self.adts[id].name
                    ),
                    span,
                    "redefined here",
                )
                .with_help("an inherent method and a trait's method (or two traits' methods) share this name; rename one"),
            );
        }
    }

    /// E0222 when an impl's method differs from the trait's declaration: `self` or `mut self`,
    /// the number and types of the parameters, the reply type, the number of generics.
    #[allow(clippy::too_many_arguments)]
    fn compare_sig(
        &self,
        fi: usize,
        imp: &ImplDef,
        m: &FnDef,
        tfile: usize,
        tf: &FnDef,
        tname: &str,
        diags: &mut Diagnostics,
    ) {
        let mut scratch = Diagnostics::default();
        // The impl's generics stand for themselves: a sentinel type no written type equals.
        let mut isub: HashMap<String, Ty> = imp
            .generics
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.clone(), Ty::Adt(usize::MAX - i, Vec::new())))
            .collect();
        let self_ty = self.resolve_ty(fi, &imp.ty, &isub, &mut scratch);
        isub.insert("Self".into(), self_ty.clone());
        let tsub: HashMap<String, Ty> = [("Self".to_string(), self_ty)].into_iter().collect();
        let same = |a: Option<&TypeExpr>, b: Option<&TypeExpr>| -> bool {
            let mut s = Diagnostics::default();
            let ta = a.map_or(Ty::Unit, |t| self.resolve_ty(fi, t, &isub, &mut s));
            let tb = b.map_or(Ty::Unit, |t| self.resolve_ty(tfile, t, &tsub, &mut s));
            if s.has_errors() {
                return a.map(te_text) == b.map(te_text);
            }
            ta == tb
        };
        let self_text = |s: SelfParam| match s {
            SelfParam::None => "no `self`",
            SelfParam::Value => "`self`",
            SelfParam::Mut => "`mut self`",
        };
        let mut why = Vec::new();
        if m.self_param != tf.self_param {
            why.push(format!(
                "it takes {}, the trait's takes {}",
                self_text(m.self_param),
                self_text(tf.self_param)
            ));
        }
        if m.params.len() != tf.params.len() {
            why.push(format!(
                "it has {} parameter(s), the trait's has {}",
                m.params.len(),
                tf.params.len()
            ));
        } else {
            for (i, (a, b)) in m.params.iter().zip(&tf.params).enumerate() {
                if !same(Some(&a.ty), Some(&b.ty)) {
                    why.push(format!(
                        "parameter {} is `{}`, the trait's is `{}`",
                        i + 1,
                        te_text(&a.ty),
                        te_text(&b.ty)
                    ));
                }
            }
        }
        if !same(m.ret.as_ref(), tf.ret.as_ref()) {
            let show = |t: Option<&TypeExpr>| t.map_or("()".to_string(), te_text);
            why.push(format!(
                "it returns `{}`, the trait's returns `{}`",
                show(m.ret.as_ref()),
                show(tf.ret.as_ref())
            ));
        }
        if m.generics.len() != tf.generics.len() {
            why.push(format!(
                "it has {} type parameter(s), the trait's has {}",
                m.generics.len(),
                tf.generics.len()
            ));
        }
        if why.is_empty() {
            return;
        }
        diags.push(
            Diagnostic::error(
                "E0222",
                format!(
                    "method `{}` does not match its declaration in trait `{tname}`: {}",
                    m.name.name,
                    why.join("; ")
                ),
                m.name.span,
                "signature differs from the trait's",
            )
            .with_label(tf.name.span, "declared here"),
        );
    }
}

/// A written type as text, for messages.
pub fn te_text(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Path(p) if p.generics.is_empty() => p.text(),
        TypeExpr::Path(p) => format!(
            "{}<{}>",
            p.text(),
            p.generics
                .iter()
                .map(te_text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeExpr::Tuple(ts, _) => format!(
            "({})",
            ts.iter().map(te_text).collect::<Vec<_>>().join(", ")
        ),
        TypeExpr::Array(e, _, _) => format!("[{}; _]", te_text(e)),
    }
}

impl crate::cx::Cx<'_, '_> {
    /// `Trait::method(x, ..)`: the method of `x`'s impl of `Trait`, `x` as its receiver; or
    /// `T::function(..)` where `T` is a type parameter bound to a struct or enum (an
    /// associated function of the type argument). `None` when `head` is neither.
    pub(crate) fn trait_path_call(
        &mut self,
        head: &str,
        path: &Path,
        args: &[tandem_lang_syntax::ast::Arg],
        span: Span,
    ) -> Option<crate::cx::Typed> {
        use crate::cx::Typed;
        let name = &path.last().name;
        if let Some(Ty::Adt(id, targs)) = self.frame.subst.get(head).cloned() {
            let Some(m) = self.p.adts[id].methods.get(name).copied() else {
                let shown = self.show(&Ty::Adt(id, targs));
                self.err(Diagnostic::error(
                    "E0372",
                    format!("no function `{name}` on `{head}` (`{shown}`)"),
                    path.span,
                    "not found",
                ));
                return Some(Typed::error());
            };
            let mut subst = self.method_subst(&m, &targs, &Ty::Adt(id, targs.clone()), span);
            if m.def.self_param != SelfParam::None {
                return Some(self.call_with_receiver(m, &mut subst, args, span));
            }
            return Some(self.inline_fn(m.def, m.file, &mut subst, None, args, span));
        }
        let Some(ItemRef::Trait(t)) = self.p.lookup(self.frame.file, head) else {
            return None;
        };
        let tname = self.p.traits[t].def.name.name.clone();
        let Some(tf) = self.p.traits[t]
            .def
            .fns
            .iter()
            .find(|f| &f.def.name.name == name)
        else {
            self.err(Diagnostic::error(
                "E0372",
                format!("no method `{name}` in trait `{tname}`"),
                path.span,
                "not found",
            ));
            return Some(Typed::error());
        };
        if tf.def.self_param == SelfParam::None || args.is_empty() {
            self.err(
                Diagnostic::error(
                    "E0372",
                    format!("`{tname}::{name}` needs a receiver to choose the impl"),
                    path.span,
                    "no receiver",
                )
                .with_help(format!(
                    "call it on a type: `MyType::{name}(..)`, or `T::{name}(..)` for a type parameter"
                )),
            );
            return Some(Typed::error());
        }
        let r = self.expr(&args[0].value, None);
        let ty = r.ty.clone();
        let Ty::Adt(id, targs) = ty.clone() else {
            if ty != Ty::Error {
                let shown = self.show(&ty);
                self.err(Diagnostic::error(
                    "E0224",
                    format!("`{shown}` does not implement `{tname}`"),
                    args[0].value.span,
                    format!("`{shown}` is not `{tname}`"),
                ));
            }
            return Some(Typed::error());
        };
        let m = match self.p.adts[id].methods.get(name).copied() {
            Some(m) if self.p.implements(&ty, t) => m,
            _ => {
                let shown = self.show(&ty);
                self.err(
                    Diagnostic::error(
                        "E0224",
                        format!("`{shown}` does not implement `{tname}`"),
                        args[0].value.span,
                        format!("`{shown}` is not `{tname}`"),
                    )
                    .with_help(format!("add `impl {tname} for {shown} {{ .. }}`")),
                );
                return Some(Typed::error());
            }
        };
        let mut subst = self.method_subst(&m, &targs, &ty, span);
        let r = self.receiver(r);
        Some(self.inline_fn(m.def, m.file, &mut subst, Some(r), &args[1..], span))
    }

    /// `T::method(x, ..)` with `x` the receiver.
    fn call_with_receiver(
        &mut self,
        m: Method,
        subst: &mut HashMap<String, Ty>,
        args: &[tandem_lang_syntax::ast::Arg],
        span: Span,
    ) -> crate::cx::Typed {
        if !self.want_args(
            args,
            m.def.params.len() + 1,
            span,
            &format!("`{}`", m.def.name.name),
        ) {
            return crate::cx::Typed::error();
        }
        let self_ty = subst.get("Self").cloned();
        let r = self.expr(&args[0].value, self_ty.as_ref());
        if let Some(want) = &self_ty {
            self.mismatch(want, &r.ty, args[0].value.span);
        }
        let r = self.receiver(r);
        self.inline_fn(m.def, m.file, subst, Some(r), &args[1..], span)
    }

    /// A method's generics from its type's arguments, with `Self`; checks the impl's bounds.
    pub(crate) fn method_subst(
        &mut self,
        m: &Method,
        targs: &[Ty],
        self_ty: &Ty,
        span: Span,
    ) -> HashMap<String, Ty> {
        let mut subst: HashMap<String, Ty> = m
            .impl_generics
            .iter()
            .map(|g| g.name.clone())
            .zip(targs.iter().cloned())
            .collect();
        if !m.impl_bounds.is_empty() {
            let what = format!("`{}`", m.def.name.name);
            self.p
                .check_bounds(m.file, m.impl_bounds, &subst, &what, span, self.diags);
        }
        subst.insert("Self".into(), self_ty.clone());
        subst
    }

    /// A receiver made stable for an inlined method (a place keeps its address).
    pub(crate) fn receiver(&mut self, r: crate::cx::Typed) -> crate::cx::Typed {
        use crate::cx::{Assign, Typed, Val};
        if matches!(r.val, Val::Place(_)) {
            self.stabilize(r)
        } else {
            let (v, ty) = self.rvalue(r);
            let v = self.spill(v.unwrap_or(tandem_lang_ir::Expr::c(0)));
            Typed {
                val: Val::Value(v),
                ty,
                assign: Assign::NotPlace,
            }
        }
    }

    /// A generic function's bounds, once its type arguments are known (E0224 at the call).
    pub(crate) fn check_fn_bounds(
        &mut self,
        def: &FnDef,
        file: usize,
        subst: &HashMap<String, Ty>,
        span: Span,
    ) {
        if def.bounds.is_empty() {
            return;
        }
        let what = format!("`{}`", def.name.name);
        self.p
            .check_bounds(file, &def.bounds, subst, &what, span, self.diags);
    }
}
