//! Semantic analysis of Tandem programs: name resolution, types and generics (monomorphised by
//! checking each instantiation), the capability checker, exhaustive `recv` and `match`, selector
//! and FRC-0042 collisions. Checking and lowering to the middle IR happen in one walk.

mod access;
mod adts;
mod async_send;
mod bound_calls;
mod builtins;
mod bytes_append;
mod calls;
mod consts;
mod contract;
mod contract_fns;
mod control;
mod cx;
mod enum_range;
mod evm_opcodes;
mod exhaust;
mod expr;
mod fields;
mod immutables;
mod inline_asm;
mod interfaces;
pub mod items;
mod layout;
pub mod lints;
mod methods;
mod ops;
mod padded;
mod pow;
pub mod probe;
mod raw_call;
mod real_fns;
mod recursion;
mod storable;
mod storage_bytes;
mod storage_union;
mod test_asserts;
mod traits;
mod type_size;
pub mod types;
mod wrap_methods;

pub use builtins::CTX_METHODS;
pub use contract::frc42_method_number;
pub use items::SourceFile;

use items::{ItemRef, Program};
use std::collections::HashMap;
use tandem_lang_ir::Module;
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics};

/// Checks a program and lowers every concrete contract (see [`check`]); warnings are dropped.
pub fn compile(files: &[SourceFile]) -> Result<Module, Diagnostics> {
    match check(files) {
        (Some(m), _) => Ok(m),
        (None, d) => Err(d),
    }
}

/// Checks a program: the module (when there are no errors) and every diagnostic, errors or
/// else the warnings of [`lints`] and the ones sema finds with types (W0002/W0004 for
/// or-patterns); `W…` codes never stop the build.
pub fn check(files: &[SourceFile]) -> (Option<Module>, Diagnostics) {
    match check_errors(files) {
        Ok((m, sema_warnings)) => {
            let mut d = Diagnostics::default();
            // A body checked more than once (a generic, a function inlined at each call)
            // warns once per place in the source.
            let mut seen = std::collections::HashSet::new();
            for w in sema_warnings.into_iter().chain(lints::lint(files)) {
                if seen.insert((w.code, w.primary_span())) {
                    d.push(w);
                }
            }
            (Some(m), d)
        }
        Err(d) => (None, d),
    }
}

/// Checks a program and lowers every concrete contract. Generic contracts are compiled through
/// `type Name = Contract<Args>` aliases. Free functions are checked even when unused.
/// On success the module and sema's own warnings (those that need types, e.g. W0004).
fn check_errors(files: &[SourceFile]) -> Result<(Module, Vec<Diagnostic>), Diagnostics> {
    let mut diags = Diagnostics::default();
    let p = Program::collect(files, &mut diags);
    if recursion::check(&p, &mut diags) {
        // Layout and lowering would recurse into such a type forever.
        return Err(diags);
    }
    interfaces::check_all(&p, &mut diags);
    let mut module = Module::default();
    // (contract index, artifact name, generic arguments, the contracts among them)
    type Root = (
        usize,
        String,
        HashMap<String, types::Ty>,
        HashMap<String, usize>,
    );
    let mut roots: Vec<Root> = Vec::new();
    for (ci, c) in p.contracts.iter().enumerate() {
        if c.def.generics.is_empty() {
            roots.push((ci, c.def.name.name.clone(), HashMap::new(), HashMap::new()));
        }
    }
    for a in &p.aliases {
        let tandem_lang_syntax::ast::TypeExpr::Path(path) = &a.def.ty else {
            continue;
        };
        if let Some(ItemRef::Contract(ci)) = p.lookup(a.file, &path.last().name) {
            let gens = &p.contracts[ci].def.generics;
            if gens.len() != path.generics.len() {
                diags.push(Diagnostic::error(
                    "E0213",
                    format!("`{}` takes {} type argument(s)", path.text(), gens.len()),
                    path.span,
                    "wrong number of type arguments",
                ));
                continue;
            }
            let mut subst: HashMap<String, types::Ty> = gens
                .iter()
                .zip(&path.generics)
                .map(|(g, t)| {
                    (
                        g.name.clone(),
                        p.resolve_ty(a.file, t, &HashMap::new(), &mut diags),
                    )
                })
                .collect();
            let what = format!("contract `{}`", p.contracts[ci].def.name.name);
            let cf = p.contracts[ci].file;
            if !p.check_bounds(
                cf,
                &p.contracts[ci].def.bounds,
                &subst,
                &what,
                path.span,
                &mut diags,
            ) {
                continue; // compiling it would only repeat the bound's error
            }
            let mut contract_args = HashMap::new();
            if !p.bind_interface_params(ci, &mut subst, &mut contract_args, path.span, &mut diags) {
                continue;
            }
            roots.push((ci, a.def.name.name.clone(), subst, contract_args));
        }
    }
    let mut index: HashMap<usize, usize> = HashMap::new();
    let mut pending = roots;
    let mut children_of: Vec<Vec<usize>> = Vec::new();
    let mut done = 0;
    while done < pending.len() && done < 256 {
        let (ci, name, subst, contract_args) = pending[done].clone();
        done += 1;
        let (c, children) =
            contract::compile_contract(&p, &mut diags, ci, &name, subst, contract_args);
        if p.contracts[ci].def.generics.is_empty() {
            index.insert(ci, module.contracts.len());
        }
        module.contracts.push(c);
        children_of.push(children.clone());
        for ch in children {
            if !pending.iter().any(|(c, _, s, _)| *c == ch && s.is_empty()) {
                let name = p.contracts[ch].def.name.name.clone();
                pending.push((ch, name, HashMap::new(), HashMap::new()));
            }
        }
    }
    for (i, ch) in children_of.iter().enumerate() {
        module.children.push(
            ch.iter()
                .map(|c| index.get(c).copied().unwrap_or(usize::MAX))
                .collect(),
        );
        let _ = i;
    }
    // Unused free functions are still checked once (non-generic ones). One that declares
    // `storage` reads the storage of whichever contract calls it, so, like a generic one, it
    // is checked where it is called.
    for f in &p.fns {
        let on_storage = f.def.caps.caps.iter().any(|(c, _)| {
            matches!(
                c,
                tandem_lang_syntax::ast::Cap::Storage | tandem_lang_syntax::ast::Cap::MutStorage
            )
        });
        if f.def.generics.is_empty() && !on_storage {
            let mut cx = cx::Cx::new(&p, &mut diags, f.file, None);
            cx.frame.caps = cx::CapSet {
                storage: true,
                mut_storage: true,
                ctx: true,
                mut_ctx: true,
            };
            let mut subst = HashMap::new();
            let args: Vec<tandem_lang_syntax::ast::Arg> = Vec::new();
            if f.def.params.is_empty() {
                cx.storage_ty = None;
                let _ = cx.inline_fn(f.def, f.file, &mut subst, None, &args, f.def.name.span);
            } else if f.def.self_param == tandem_lang_syntax::ast::SelfParam::None {
                // With parameters: walked once with them as fresh locals, for the diagnostics
                // (an unused function with a type error was accepted silently before).
                cx.storage_ty = None;
                cx.check_fn_alone(f.def, f.file, false, None);
            }
        }
    }
    // Methods and associated functions of non-generic types, likewise (those of generic
    // types and generic methods are checked where they are called, with their arguments).
    // A trait's default methods are checked in the trait, against `Self`'s bounds.
    let trait_defaults: std::collections::HashSet<*const tandem_lang_syntax::ast::FnDef> = p
        .traits
        .iter()
        .flat_map(|t| t.def.fns.iter().map(|f| &f.def as *const _))
        .collect();
    for (id, adt) in p.adts.iter().enumerate() {
        if !adt.generics.is_empty() {
            continue;
        }
        let mut methods: Vec<&items::Method> = adt
            .methods
            .values()
            .filter(|m| m.impl_generics.is_empty() && m.def.generics.is_empty())
            .filter(|m| !trait_defaults.contains(&(m.def as *const _)))
            .collect();
        methods.sort_by_key(|m| (m.file, m.def.name.span.lo));
        for m in methods {
            let mut cx = cx::Cx::new(&p, &mut diags, m.file, None);
            cx.storage_ty = None;
            cx.check_method_alone(id, m);
        }
    }
    if diags.has_errors() {
        // Warnings wait for a clean check, as the lints do.
        diags
            .list
            .retain(|d| d.severity == tandem_lang_syntax::diag::Severity::Error);
        Err(diags)
    } else {
        Ok((module, diags.list))
    }
}

/// Names as a diagnostic lists them: each in backticks, comma-separated.
pub(crate) fn code_list<S: std::fmt::Display>(names: impl IntoIterator<Item = S>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
