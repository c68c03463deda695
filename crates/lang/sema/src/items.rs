//! The program's items, the scopes of its files, and resolution of type expressions.

use crate::types::{AdtId, Ty};
use std::collections::HashMap;
use tandem_lang_syntax::ast::*;
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics, Span, did_you_mean};

/// One parsed source file and the module name `use` refers to it by.
pub struct SourceFile {
    pub module: String,
    /// Name used in artifacts and messages (e.g. `Coin.tdm`).
    pub name: String,
    pub file_id: u32,
    pub ast: File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemRef {
    Adt(AdtId),
    Message(usize),
    Event(usize),
    Error(usize),
    Const(usize),
    Fn(usize),
    Alias(usize),
    Contract(usize),
    Trait(usize),
    /// A function of the standard library, e.g. `std::crypto::keccak256`.
    Std(&'static str),
}

pub enum AdtKind<'a> {
    Struct(&'a StructDef),
    Enum(&'a EnumDef),
}

pub struct Adt<'a> {
    pub name: String,
    pub file: usize,
    pub kind: AdtKind<'a>,
    pub generics: Vec<String>,
    pub methods: HashMap<String, Method<'a>>,
}

#[derive(Clone, Copy)]
pub struct Method<'a> {
    pub def: &'a FnDef,
    pub impl_generics: &'a [Ident],
    /// Bounds on the impl's generics (`impl<T: Tr> Foo<T>`), checked at each call.
    pub impl_bounds: &'a [Bound],
    pub file: usize,
}

pub struct Named<'a, T> {
    pub def: &'a T,
    pub file: usize,
    pub attrs: &'a [Attr],
}

pub struct Program<'a> {
    pub files: &'a [SourceFile],
    pub adts: Vec<Adt<'a>>,
    pub messages: Vec<Named<'a, MessageDef>>,
    pub events: Vec<Named<'a, EventDef>>,
    pub errors: Vec<Named<'a, ErrorDef>>,
    pub consts: Vec<Named<'a, ConstDef>>,
    pub fns: Vec<Named<'a, FnDef>>,
    pub aliases: Vec<Named<'a, TypeAliasDef>>,
    pub contracts: Vec<Named<'a, ContractDef>>,
    pub traits: Vec<crate::traits::Trait<'a>>,
    /// Per file: the names visible in it (its own items and its imports).
    pub scopes: Vec<HashMap<String, ItemRef>>,
    /// Each type's expanded size, memoized (`type_size.rs`).
    pub(crate) type_sizes: std::cell::RefCell<HashMap<Ty, u64>>,
}

const STD_FNS: &[(&str, &str)] = &[
    ("crypto", "keccak256"),
    ("crypto", "sha256"),
    ("crypto", "blake2b256"),
    ("crypto", "ecrecover"),
    ("abi", "encode"),
    ("abi", "decode"),
];

pub fn std_fn(module: &str, name: &str) -> Option<&'static str> {
    STD_FNS
        .iter()
        .find(|(m, n)| *m == module && *n == name)
        .map(|(_, n)| *n)
        .or_else(|| crate::calls::stdlib::std_fn(module, name))
}

/// The standard library as an unknown import's help lists it: `std::m::{a, b}` per module.
fn std_listing() -> String {
    let all: Vec<(&str, &str)> = STD_FNS
        .iter()
        .chain(crate::calls::stdlib::STD_FNS)
        .copied()
        .collect();
    let mut modules: Vec<&str> = all.iter().map(|(m, _)| *m).collect();
    modules.dedup();
    modules
        .iter()
        .map(|m| {
            let names: Vec<&str> = all
                .iter()
                .filter(|(n, _)| n == m)
                .map(|(_, f)| *f)
                .collect();
            format!("`std::{m}::{{{}}}`", names.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a> Program<'a> {
    pub fn collect(files: &'a [SourceFile], diags: &mut Diagnostics) -> Program<'a> {
        let mut p = Program {
            files,
            adts: Vec::new(),
            messages: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
            consts: Vec::new(),
            fns: Vec::new(),
            aliases: Vec::new(),
            contracts: Vec::new(),
            traits: Vec::new(),
            scopes: vec![HashMap::new(); files.len()],
            type_sizes: Default::default(),
        };
        let mut defined: Vec<HashMap<String, Span>> = vec![HashMap::new(); files.len()];
        for (fi, f) in files.iter().enumerate() {
            for item in &f.ast.items {
                let (name, r) = match &item.kind {
                    ItemKind::Struct(s) => {
                        p.adts.push(Adt {
                            name: s.name.name.clone(),
                            file: fi,
                            kind: AdtKind::Struct(s),
                            generics: s.generics.iter().map(|g| g.name.clone()).collect(),
                            methods: HashMap::new(),
                        });
                        (&s.name, ItemRef::Adt(p.adts.len() - 1))
                    }
                    ItemKind::Enum(e) => {
                        p.adts.push(Adt {
                            name: e.name.name.clone(),
                            file: fi,
                            kind: AdtKind::Enum(e),
                            generics: e.generics.iter().map(|g| g.name.clone()).collect(),
                            methods: HashMap::new(),
                        });
                        (&e.name, ItemRef::Adt(p.adts.len() - 1))
                    }
                    ItemKind::Message(m) => {
                        p.messages.push(Named {
                            def: m,
                            file: fi,
                            attrs: &item.attrs,
                        });
                        (&m.name, ItemRef::Message(p.messages.len() - 1))
                    }
                    ItemKind::Event(e) => {
                        p.events.push(Named {
                            def: e,
                            file: fi,
                            attrs: &item.attrs,
                        });
                        (&e.name, ItemRef::Event(p.events.len() - 1))
                    }
                    ItemKind::Error(e) => {
                        p.errors.push(Named {
                            def: e,
                            file: fi,
                            attrs: &item.attrs,
                        });
                        (&e.name, ItemRef::Error(p.errors.len() - 1))
                    }
                    ItemKind::Const(c) => {
                        p.consts.push(Named {
                            def: c,
                            file: fi,
                            attrs: &item.attrs,
                        });
                        (&c.name, ItemRef::Const(p.consts.len() - 1))
                    }
                    ItemKind::Fn(f) => {
                        p.fns.push(Named {
                            def: f,
                            file: fi,
                            attrs: &item.attrs,
                        });
                        (&f.name, ItemRef::Fn(p.fns.len() - 1))
                    }
                    ItemKind::TypeAlias(a) => {
                        p.aliases.push(Named {
                            def: a,
                            file: fi,
                            attrs: &item.attrs,
                        });
                        (&a.name, ItemRef::Alias(p.aliases.len() - 1))
                    }
                    ItemKind::Contract(c) => {
                        p.contracts.push(Named {
                            def: c,
                            file: fi,
                            attrs: &item.attrs,
                        });
                        (&c.name, ItemRef::Contract(p.contracts.len() - 1))
                    }
                    ItemKind::Trait(t) => {
                        p.traits.push(crate::traits::Trait {
                            def: t,
                            file: fi,
                            impls: Vec::new(),
                        });
                        (&t.name, ItemRef::Trait(p.traits.len() - 1))
                    }
                    ItemKind::Use(_) | ItemKind::Impl(_) => continue,
                };
                if let Some(prev) = defined[fi].insert(name.name.clone(), name.span) {
                    diags.push(
                        Diagnostic::error(
                            "E0200",
                            format!("`{}` is defined twice", name.name),
                            name.span,
                            "redefined here",
                        )
                        .with_label(prev, "first defined here"),
                    );
                }
                p.scopes[fi].insert(name.name.clone(), r);
            }
        }
        // Imports, resolved against the other files' own items.
        let own: Vec<HashMap<String, ItemRef>> = p.scopes.clone();
        for (fi, f) in files.iter().enumerate() {
            for item in &f.ast.items {
                let ItemKind::Use(u) = &item.kind else {
                    continue;
                };
                for path in &u.paths {
                    p.resolve_use(fi, path, &own, diags);
                }
            }
        }
        // Methods from `impl` blocks.
        for (fi, f) in files.iter().enumerate() {
            for item in &f.ast.items {
                let ItemKind::Impl(imp) = &item.kind else {
                    continue;
                };
                if imp.trait_.is_some() {
                    continue;
                }
                let TypeExpr::Path(path) = &imp.ty else {
                    diags.push(Diagnostic::error(
                        "E0201",
                        "`impl` needs a struct or enum name",
                        imp.ty.span(),
                        "not a named type",
                    ));
                    continue;
                };
                match p.lookup(fi, &path.last().name) {
                    Some(ItemRef::Adt(id)) => {
                        for m in &imp.fns {
                            let method = Method {
                                def: m,
                                impl_generics: &imp.generics,
                                impl_bounds: &imp.bounds,
                                file: fi,
                            };
                            if p.adts[id]
                                .methods
                                .insert(m.name.name.clone(), method)
                                .is_some()
                            {
                                diags.push(Diagnostic::error(
                                    "E0202",
                                    format!("method `{}` is defined twice", m.name.name),
                                    m.name.span,
                                    "redefined here",
                                ));
                            }
                        }
                    }
                    _ => diags.push(p.unknown(fi, &path.last().name, path.span, "type")),
                }
            }
        }
        p.collect_trait_impls(diags);
        crate::bound_calls::check_program(&p, diags);
        p
    }

    fn resolve_use(
        &mut self,
        fi: usize,
        path: &Path,
        own: &[HashMap<String, ItemRef>],
        diags: &mut Diagnostics,
    ) {
        let segs: Vec<&str> = path.segments.iter().map(|s| s.name.as_str()).collect();
        let last = path.last();
        if segs.first() == Some(&"std") {
            if segs.len() == 3
                && let Some(n) = std_fn(segs[1], segs[2])
            {
                self.scopes[fi].insert(last.name.clone(), ItemRef::Std(n));
                return;
            }
            diags.push(
                Diagnostic::error(
                    "E0203",
                    format!("`{}` is not in the standard library", path.text()),
                    path.span,
                    "unknown import",
                )
                .with_help(format!("the standard library has {}", std_listing())),
            );
            return;
        }
        // `use module::Item` (a file of this package or of a dependency) or `use dep::module::Item`.
        let found = self.files.iter().enumerate().find_map(|(ti, f)| {
            let module_path: Vec<&str> = f.module.split("::").collect();
            let n = segs.len() - 1;
            let matches = segs[..n] == module_path[..]
                || (n >= 1 && module_path.first() == Some(&segs[0]) && n == 1);
            if matches {
                own[ti].get(&last.name).copied()
            } else {
                None
            }
        });
        match found {
            Some(r) => {
                self.scopes[fi].insert(last.name.clone(), r);
            }
            None => {
                let modules: Vec<&str> = self.files.iter().map(|f| f.module.as_str()).collect();
                diags.push(
                    Diagnostic::error(
                        "E0204",
                        format!("cannot find `{}` to import", path.text()),
                        path.span,
                        "not found",
                    )
                    .with_help(format!("modules in this package: {}", modules.join(", "))),
                );
            }
        }
    }

    pub fn lookup(&self, file: usize, name: &str) -> Option<ItemRef> {
        self.scopes.get(file).and_then(|s| s.get(name)).copied()
    }

    /// "cannot find type `Foo`" with a did-you-mean over the file's names and builtins.
    pub fn unknown(&self, file: usize, name: &str, span: Span, what: &str) -> Diagnostic {
        let mut cands: Vec<&str> = self
            .scopes
            .get(file)
            .map(|s| s.keys().map(String::as_str).collect())
            .unwrap_or_default();
        cands.extend(BUILTIN_TYPES);
        let d = Diagnostic::error(
            "E0210",
            format!("cannot find {what} `{name}` in this scope"),
            span,
            "not found in this scope",
        );
        match did_you_mean(name, cands) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d,
        }
    }

    pub fn adt_is_word(&self, id: AdtId) -> bool {
        match &self.adts[id].kind {
            AdtKind::Enum(e) => e
                .variants
                .iter()
                .all(|v| matches!(v.fields, VariantFields::Unit)),
            AdtKind::Struct(_) => false,
        }
    }

    /// Resolves a written type in a file, with generic parameters substituted; a type too
    /// large to write out is an error (`type_size.rs`).
    pub fn resolve_ty(
        &self,
        file: usize,
        te: &TypeExpr,
        subst: &HashMap<String, Ty>,
        diags: &mut Diagnostics,
    ) -> Ty {
        let ty = self.resolve_unchecked(file, te, subst, diags);
        if self.check_type_size(&ty, te, diags) {
            ty
        } else {
            Ty::Error
        }
    }

    /// [`Self::resolve_ty`] without the size check.
    pub(crate) fn resolve_unchecked(
        &self,
        file: usize,
        te: &TypeExpr,
        subst: &HashMap<String, Ty>,
        diags: &mut Diagnostics,
    ) -> Ty {
        self.resolve_ty_depth(file, te, subst, diags, 0)
    }

    fn resolve_ty_depth(
        &self,
        file: usize,
        te: &TypeExpr,
        subst: &HashMap<String, Ty>,
        diags: &mut Diagnostics,
        depth: u32,
    ) -> Ty {
        if depth > 32 {
            diags.push(Diagnostic::error(
                "E0211",
                "type is nested too deeply (recursive alias?)",
                te.span(),
                "here",
            ));
            return Ty::Error;
        }
        let rec =
            |t: &TypeExpr, d: &mut Diagnostics| self.resolve_ty_depth(file, t, subst, d, depth + 1);
        match te {
            TypeExpr::Tuple(ts, _) if ts.is_empty() => Ty::Unit,
            TypeExpr::Tuple(ts, _) => Ty::Tuple(ts.iter().map(|t| rec(t, diags)).collect()),
            TypeExpr::Array(elem, len, span) => {
                let e = rec(elem, diags);
                match crate::consts::const_u32(self, file, len) {
                    Some(n) => Ty::Array(Box::new(e), n),
                    None => {
                        diags.push(Diagnostic::error(
                            "E0212",
                            "array length must be a constant integer",
                            *span,
                            "not a constant",
                        ));
                        Ty::Error
                    }
                }
            }
            TypeExpr::Path(path) => {
                if let Some(t) = self.handle_ty(file, path, subst, diags) {
                    return t;
                }
                let name = path.last().name.as_str();
                let args: Vec<Ty> = path.generics.iter().map(|t| rec(t, diags)).collect();
                let want = |n: usize, d: &mut Diagnostics| -> bool {
                    if args.len() != n {
                        d.push(Diagnostic::error(
                            "E0213",
                            format!("`{name}` takes {n} type argument(s), {} given", args.len()),
                            path.span,
                            "wrong number of type arguments",
                        ));
                        false
                    } else {
                        true
                    }
                };
                if path.segments.len() == 1 {
                    if let Some(t) = subst.get(name) {
                        return t.clone();
                    }
                    if let Some(t) = builtin_scalar(name) {
                        return t;
                    }
                    match name {
                        "Map" => {
                            return if want(2, diags) {
                                Ty::Map(Box::new(args[0].clone()), Box::new(args[1].clone()))
                            } else {
                                Ty::Error
                            };
                        }
                        "StorageVec" => {
                            return if want(1, diags) {
                                Ty::StorageVec(Box::new(args[0].clone()))
                            } else {
                                Ty::Error
                            };
                        }
                        "Vec" => {
                            return if want(1, diags) {
                                Ty::Vec(Box::new(args[0].clone()))
                            } else {
                                Ty::Error
                            };
                        }
                        // Transparent: only the storage layout of a struct field reads
                        // it (`padded.rs`).
                        crate::padded::PADDED => {
                            return if want(1, diags) {
                                args[0].clone()
                            } else {
                                Ty::Error
                            };
                        }
                        "Option" => {
                            return if want(1, diags) {
                                Ty::Option(Box::new(args[0].clone()))
                            } else {
                                Ty::Error
                            };
                        }
                        "Result" => {
                            return if want(2, diags) {
                                Ty::Result(Box::new(args[0].clone()), Box::new(args[1].clone()))
                            } else {
                                Ty::Error
                            };
                        }
                        _ => {}
                    }
                }
                match self.lookup(file, name) {
                    Some(ItemRef::Adt(id)) => {
                        if want(self.adts[id].generics.len(), diags) {
                            self.check_adt_bounds(id, &args, path.span, diags);
                            Ty::Adt(id, args)
                        } else {
                            Ty::Error
                        }
                    }
                    Some(ItemRef::Alias(ai)) => {
                        let a = &self.aliases[ai];
                        if !want(a.def.generics.len(), diags) {
                            return Ty::Error;
                        }
                        let sub: HashMap<String, Ty> = a
                            .def
                            .generics
                            .iter()
                            .map(|g| g.name.clone())
                            .zip(args)
                            .collect();
                        self.resolve_ty_depth(a.file, &a.def.ty, &sub, diags, depth + 1)
                    }
                    Some(ItemRef::Contract(c)) => Ty::ContractRef(c),
                    Some(_) => {
                        diags.push(Diagnostic::error(
                            "E0214",
                            format!("`{name}` is not a type"),
                            path.span,
                            "expected a type",
                        ));
                        Ty::Error
                    }
                    // `ctx.try_call`'s error: the callee's revert data.
                    None if name == "CallError" && path.segments.len() == 1 && args.is_empty() => {
                        Ty::Bytes
                    }
                    None => {
                        diags.push(self.unknown(file, name, path.span, "type"));
                        Ty::Error
                    }
                }
            }
        }
    }
}

pub const BUILTIN_TYPES: &[&str] = &[
    "bool",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "u256",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "i256",
    "Address",
    "Bytes",
    "String",
    "Map",
    "StorageVec",
    "Vec",
    "Option",
    "Result",
    "CallError",
    "Padded",
];

pub fn builtin_scalar(name: &str) -> Option<Ty> {
    Some(match name {
        "bool" => Ty::Bool,
        "Address" => Ty::Address,
        "Bytes" => Ty::Bytes,
        "String" => Ty::String,
        _ if name.starts_with("bytes") => {
            let n: u8 = name["bytes".len()..].parse().ok()?;
            if !(1..=32).contains(&n) || name["bytes".len()..].starts_with('0') {
                return None;
            }
            Ty::FixedBytes(n)
        }
        _ => {
            let (signed, digits) = if let Some(d) = name.strip_prefix('u') {
                (false, d)
            } else if let Some(d) = name.strip_prefix('i') {
                (true, d)
            } else {
                return None;
            };
            let bits: u16 = digits.parse().ok()?;
            if bits == 0 || bits > 256 || !bits.is_multiple_of(8) || digits.starts_with('0') {
                return None;
            }
            if signed {
                Ty::Int(bits)
            } else {
                Ty::Uint(bits)
            }
        }
    })
}
