//! A contract's interface as an IPLD Schema (<https://ipld.io/docs/schemas/>): one type for
//! every message variant's params and reply, and the unions of them keyed by FRC-0042 method
//! number, exactly as the WASM build reads and writes them (docs/wasm-target.md):
//!
//! - params: a struct of the handler's arguments with `representation tuple` (a DAG-CBOR
//!   array; no params block is also accepted for no arguments);
//! - reply: nothing for no values, the value itself for one (`type XReturn Int`…), a tuple
//!   struct for several;
//! - `u8`..`u64`, `i8`..`i64` and enums without data: `Int`; wider integers: `BigInt`
//!   (`type BigInt Bytes`, Filecoin's form); `Address`: `type Address Bytes`; `bytesN`,
//!   `Bytes`: `Bytes`; `String`: `String`; `bool`: `Bool`; `[T; N]`, `Vec<T>`: `[T]`;
//!   structs and tuples: a struct with `representation tuple`.
//!
//! The AST ([`Schema`]) is what the validator (`ipld_validate`) and the Rust bindings
//! (`bindgen`) read; [`Schema::render`] prints the DSL. A struct of the source keeps its
//! name and field names (from `ir::meta::WireNames`; a generic instance's name is flattened,
//! `Pair<u8>` → `PairU8`), and an enum without data is `type <Enum> enum {..}
//! representation int` of its variants. Tuples, and contracts whose IR carries no names,
//! are named after where they occur (`TransferParam1`, `GetReturnField0`), fields `f0`, `f1`…

use std::fmt::Write;
use tandem_lang_ir::meta::TypeName;
use tandem_lang_ir::{Contract, ValTy, WordTy};

/// A type as a field or element sees it. The annotations the DSL has no syntax for (integer
/// width, byte-string length, list length) are printed as comments and checked by the
/// validator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    /// CBOR integer (major 0/1) of `bits` bits, signed or not.
    Int {
        signed: bool,
        bits: u16,
    },
    /// Filecoin BigInt bytes of a `bits`-bit integer.
    BigInt {
        signed: bool,
        bits: u16,
    },
    Bool,
    Address,
    /// A byte string, of exactly `len` bytes when given (`bytesN`).
    Bytes(Option<u32>),
    String,
    /// A list, of exactly `len` items when given (`[T; N]`).
    List(Box<Ty>, Option<u32>),
    /// A struct defined in the schema.
    Named(String),
    /// An enum defined in the schema (an integer: the variant's index).
    Enum(String),
}

/// An enum without data: `representation int`, the variants' indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enum {
    pub name: String,
    pub variants: Vec<String>,
}

/// A struct with tuple representation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Struct {
    pub name: String,
    /// (field name, type, language type for the comment).
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
    /// The language type (its Solidity name), for comments.
    pub lang: String,
}

/// One message variant (or the constructor, method 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub variant: String,
    pub method: u64,
    /// The params struct (always defined, maybe with no fields).
    pub params: String,
    /// The reply: `None` for no values, else the type (a struct when several).
    pub reply: Option<Ty>,
    /// The name the reply is defined under (`type <name> <ty>` or the struct).
    pub reply_name: String,
    /// The language types of the reply, for comments.
    pub reply_lang: Vec<String>,
}

/// A contract's interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub contract: String,
    pub structs: Vec<Struct>,
    pub enums: Vec<Enum>,
    /// The constructor first (method 1), then the handlers in order.
    pub messages: Vec<Message>,
}

impl Schema {
    /// The struct named `name`.
    pub fn find(&self, name: &str) -> Option<&Struct> {
        self.structs.iter().find(|s| s.name == name)
    }

    /// The enum named `name`.
    pub fn find_enum(&self, name: &str) -> Option<&Enum> {
        self.enums.iter().find(|e| e.name == name)
    }

    /// The message with FRC-0042 number `method`.
    pub fn message(&self, method: u64) -> Option<&Message> {
        self.messages.iter().find(|m| m.method == method)
    }
}

/// Upper camel case of a variant or contract name (`transfer` → `Transfer`).
fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A source type's name as a schema (and Rust) identifier: `Pair<u8>` → `PairU8`.
fn flat_name(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

struct Builder {
    structs: Vec<Struct>,
    enums: Vec<Enum>,
}

impl Builder {
    /// The schema type of `t`; a source struct or enum (`names`) keeps its name, other
    /// aggregates become structs named `name`.
    fn ty(&mut self, t: &ValTy, name: &str, names: &TypeName) -> Ty {
        match (t, names) {
            (ValTy::Word(WordTy::Uint(8)), TypeName::Enum { name, variants }) => {
                return self.def_enum(&flat_name(name), variants);
            }
            (ValTy::Tuple(ts), TypeName::Struct { name, fields }) if fields.len() == ts.len() => {
                let fields = ts
                    .iter()
                    .zip(fields)
                    .enumerate()
                    .map(|(i, (t, (f, n)))| Field {
                        name: f.clone(),
                        ty: self.ty(t, &format!("{}Field{i}", flat_name(name)), n),
                        lang: t.sol_name(),
                    })
                    .collect();
                return self.def_shared(&flat_name(name), fields);
            }
            _ => {}
        }
        match t {
            ValTy::Word(WordTy::Uint(b)) if *b <= 64 => Ty::Int {
                signed: false,
                bits: *b,
            },
            ValTy::Word(WordTy::Int(b)) if *b <= 64 => Ty::Int {
                signed: true,
                bits: *b,
            },
            ValTy::Word(WordTy::Uint(b)) => Ty::BigInt {
                signed: false,
                bits: *b,
            },
            ValTy::Word(WordTy::Int(b)) => Ty::BigInt {
                signed: true,
                bits: *b,
            },
            ValTy::Word(WordTy::Bool) => Ty::Bool,
            ValTy::Word(WordTy::Address) => Ty::Address,
            ValTy::Word(WordTy::FixedBytes(n)) => Ty::Bytes(Some(u32::from(*n))),
            ValTy::Bytes => Ty::Bytes(None),
            ValTy::String => Ty::String,
            ValTy::Array(e, n) => Ty::List(
                Box::new(self.ty(e, &format!("{name}Item"), names.part(0))),
                Some(*n),
            ),
            ValTy::DynArray(e) => Ty::List(
                Box::new(self.ty(e, &format!("{name}Item"), names.part(0))),
                None,
            ),
            ValTy::Tuple(ts) => {
                let fields = ts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Field {
                        name: format!("f{i}"),
                        ty: self.ty(t, &format!("{name}Field{i}"), names.part(i)),
                        lang: t.sol_name(),
                    })
                    .collect();
                self.def(name, fields)
            }
        }
    }

    /// A source struct: defined once however often it occurs (a different struct that
    /// flattens to the same name gets a suffix).
    fn def_shared(&mut self, name: &str, fields: Vec<Field>) -> Ty {
        let mut n = name.to_string();
        let mut i = 2;
        while let Some(s) = self.structs.iter().find(|s| s.name == n) {
            if s.fields == fields {
                return Ty::Named(n);
            }
            n = format!("{name}{i}");
            i += 1;
        }
        self.def(&n, fields)
    }

    fn def_enum(&mut self, name: &str, variants: &[String]) -> Ty {
        let mut n = name.to_string();
        let mut i = 2;
        loop {
            match self.enums.iter().find(|e| e.name == n) {
                Some(e) if e.variants == variants => return Ty::Enum(n),
                Some(_) => {}
                None if self.structs.iter().all(|s| s.name != n) => break,
                None => {}
            }
            n = format!("{name}{i}");
            i += 1;
        }
        self.enums.push(Enum {
            name: n.clone(),
            variants: variants.to_vec(),
        });
        Ty::Enum(n)
    }

    fn def(&mut self, name: &str, fields: Vec<Field>) -> Ty {
        let name = self.fresh(name);
        self.structs.push(Struct {
            name: name.clone(),
            fields,
        });
        Ty::Named(name)
    }

    fn fresh(&self, name: &str) -> String {
        let mut n = name.to_string();
        let mut i = 2;
        while self.structs.iter().any(|s| s.name == n) || self.enums.iter().any(|e| e.name == n) {
            n = format!("{name}{i}");
            i += 1;
        }
        n
    }

    fn params(
        &mut self,
        base: &str,
        params: &[tandem_lang_ir::Param],
        names: &[TypeName],
    ) -> String {
        let fields = params
            .iter()
            .enumerate()
            .map(|(i, p)| Field {
                name: if p.name.is_empty() {
                    format!("f{i}")
                } else {
                    p.name.clone()
                },
                ty: self.ty(&p.ty, &format!("{base}Param{i}"), nth(names, i)),
                lang: p.ty.sol_name(),
            })
            .collect();
        match self.def(&format!("{base}Params"), fields) {
            Ty::Named(n) => n,
            _ => format!("{base}Params"),
        }
    }

    fn reply(&mut self, base: &str, returns: &[ValTy], names: &[TypeName]) -> (Option<Ty>, String) {
        let name = self.fresh(&format!("{base}Return"));
        let ty = match returns {
            [] => None,
            [one] => Some(self.ty(one, &name, nth(names, 0))),
            many => {
                let fields = many
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Field {
                        name: format!("r{i}"),
                        ty: self.ty(t, &format!("{name}Field{i}"), nth(names, i)),
                        lang: t.sol_name(),
                    })
                    .collect();
                Some(self.def(&name, fields))
            }
        };
        (ty, name)
    }
}

/// The schema of a contract's messages. `methods` are the FRC-0042 numbers of its handlers
/// (`ContractMeta::handlers[i].method_number`).
pub fn schema(c: &Contract) -> Schema {
    let mut b = Builder {
        structs: vec![],
        enums: vec![],
    };
    let mut messages = Vec::new();
    let ctor = format!("{}Constructor", camel(&c.name));
    let names = &c.meta.names;
    let params = b.params(&ctor, &c.init.params, &names.init);
    messages.push(Message {
        variant: "Constructor".into(),
        method: 1,
        params,
        reply: None,
        reply_name: format!("{ctor}Return"),
        reply_lang: vec![],
    });
    for (i, (h, m)) in c.handlers.iter().zip(&c.meta.handlers).enumerate() {
        let base = camel(&h.variant);
        let hn = names.handlers.get(i);
        let params = b.params(&base, &h.params, hn.map_or(&[], |n| &n.params));
        let (reply, reply_name) = b.reply(&base, &h.returns, hn.map_or(&[], |n| &n.returns));
        messages.push(Message {
            variant: h.variant.clone(),
            method: m.method_number,
            params,
            reply,
            reply_name,
            reply_lang: h.returns.iter().map(ValTy::sol_name).collect(),
        });
    }
    Schema {
        contract: c.name.clone(),
        structs: b.structs,
        enums: b.enums,
        messages,
    }
}

/// The `i`th name of a list, `Unnamed` past its end.
fn nth(names: &[TypeName], i: usize) -> &TypeName {
    names.get(i).unwrap_or(&TypeName::Unnamed)
}

fn ty_text(t: &Ty) -> String {
    match t {
        Ty::Int { .. } => "Int".into(),
        Ty::BigInt { .. } => "BigInt".into(),
        Ty::Bool => "Bool".into(),
        Ty::Address => "Address".into(),
        Ty::Bytes(_) => "Bytes".into(),
        Ty::String => "String".into(),
        Ty::List(e, _) => format!("[{}]", ty_text(e)),
        Ty::Named(n) | Ty::Enum(n) => n.clone(),
    }
}

/// What the DSL cannot say about `t`, as a comment (empty when nothing).
fn note(t: &Ty) -> String {
    match t {
        Ty::Int { signed, bits } => format!("{}{bits}", if *signed { "i" } else { "u" }),
        Ty::BigInt { signed, bits } => format!("{}{bits}", if *signed { "i" } else { "u" }),
        Ty::Bytes(Some(n)) => format!("exactly {n} bytes"),
        Ty::List(e, n) => {
            let inner = note(e);
            let len = n.map(|n| format!("exactly {n} items")).unwrap_or_default();
            [len, inner]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; items ")
        }
        _ => String::new(),
    }
}

fn uses(s: &Schema, f: &dyn Fn(&Ty) -> bool) -> bool {
    fn walk(t: &Ty, f: &dyn Fn(&Ty) -> bool) -> bool {
        f(t) || matches!(t, Ty::List(e, _) if walk(e, f))
    }
    s.structs
        .iter()
        .flat_map(|x| &x.fields)
        .any(|x| walk(&x.ty, f))
        || s.messages
            .iter()
            .filter_map(|m| m.reply.as_ref())
            .any(|t| walk(t, f))
}

impl Schema {
    /// The schema in the IPLD Schema DSL.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# IPLD Schema of the messages of the Tandem contract {} (DAG-CBOR, as its WASM build\n# reads and writes them; docs/wasm-target.md). Comments give what the DSL cannot: integer\n# widths (the value must fit), exact lengths.\n",
            self.contract
        );
        if uses(self, &|t| matches!(t, Ty::Address)) {
            o.push_str(
                "# A Filecoin address's bytes (protocol byte, payload).\ntype Address Bytes\n\n",
            );
        }
        if uses(self, &|t| matches!(t, Ty::BigInt { .. })) {
            o.push_str("# Filecoin's BigInt: empty for 0, else a sign byte (0x00 positive, 0x01 negative)\n# and the big-endian magnitude without leading zeros.\ntype BigInt Bytes\n\n");
        }
        let mut done = std::collections::BTreeSet::new();
        for m in &self.messages {
            let _ = writeln!(o, "# {} (method {})", m.variant, m.method);
            self.render_struct(&m.params, &mut o, &mut done);
            match &m.reply {
                None => {
                    let _ = writeln!(o, "# {}: no reply (no return block)\n", m.variant);
                }
                Some(Ty::Named(n)) if *n == m.reply_name => {
                    self.render_struct(n, &mut o, &mut done);
                }
                Some(t) => {
                    self.render_nested(t, &mut o, &mut done);
                    let n = note(t);
                    let comment = if n.is_empty() {
                        format!("# {}", m.reply_lang.join(", "))
                    } else {
                        format!("# {}: {n}", m.reply_lang.join(", "))
                    };
                    let _ = writeln!(o, "{comment}\ntype {} {}\n", m.reply_name, ty_text(t));
                }
            }
        }
        let c = camel(&self.contract);
        let _ = writeln!(
            o,
            "# Params by FRC-0042 method number (the key is the message's method, not on the wire).\ntype {c}Params union {{"
        );
        for m in &self.messages {
            let _ = writeln!(o, "  | {} \"{}\"", m.params, m.method);
        }
        o.push_str("} representation keyed\n\n");
        let replies: Vec<_> = self.messages.iter().filter(|m| m.reply.is_some()).collect();
        if !replies.is_empty() {
            let _ = writeln!(
                o,
                "# Replies by FRC-0042 method number (methods with no reply are left out).\ntype {c}Replies union {{"
            );
            for m in replies {
                let _ = writeln!(o, "  | {} \"{}\"", m.reply_name, m.method);
            }
            o.push_str("} representation keyed\n");
        }
        o
    }

    fn render_nested(&self, t: &Ty, o: &mut String, done: &mut std::collections::BTreeSet<String>) {
        match t {
            Ty::Named(n) => self.render_struct(n, o, done),
            Ty::Enum(n) => self.render_enum(n, o, done),
            Ty::List(e, _) => self.render_nested(e, o, done),
            _ => {}
        }
    }

    fn render_enum(
        &self,
        name: &str,
        o: &mut String,
        done: &mut std::collections::BTreeSet<String>,
    ) {
        let Some(e) = self.find_enum(name) else {
            return;
        };
        if !done.insert(name.to_string()) {
            return;
        }
        let _ = writeln!(o, "# enum {name}: the variant's index\ntype {name} enum {{");
        for (i, v) in e.variants.iter().enumerate() {
            let _ = writeln!(o, "  | {v} (\"{i}\")");
        }
        o.push_str("} representation int\n\n");
    }

    fn render_struct(
        &self,
        name: &str,
        o: &mut String,
        done: &mut std::collections::BTreeSet<String>,
    ) {
        let Some(s) = self.find(name) else { return };
        if !done.insert(name.to_string()) {
            return;
        }
        for f in &s.fields {
            self.render_nested(&f.ty, o, done);
        }
        let _ = writeln!(o, "type {name} struct {{");
        for f in &s.fields {
            let n = note(&f.ty);
            if n.is_empty() {
                let _ = writeln!(o, "  # {}", f.lang);
            } else {
                let _ = writeln!(o, "  # {}: {n}", f.lang);
            }
            let _ = writeln!(o, "  {} {}", f.name, ty_text(&f.ty));
        }
        o.push_str("} representation tuple\n\n");
    }
}

/// What `tandem schema` and `tandem bindgen` get from a package: the schemas of the
/// contracts that build for WASM (the schema is of the WASM build's wire format), and the
/// contracts the WASM target refuses, each with the backend's reason.
#[derive(Clone, Debug)]
pub struct PackageSchemas {
    pub schemas: Vec<Schema>,
    /// (contract, why the WASM target refuses it).
    pub refused: Vec<(String, String)>,
}

/// Contract `i` of `m` on its own: a module of it and the contracts it creates (transitively),
/// so the backend's refusal of one contract does not hide the others.
fn alone(m: &tandem_lang_ir::Module, i: usize) -> tandem_lang_ir::Module {
    let mut order = vec![i];
    let mut k = 0;
    while k < order.len() {
        for &c in m.children.get(order[k]).into_iter().flatten() {
            if !order.contains(&c) {
                order.push(c);
            }
        }
        k += 1;
    }
    let at = |c: usize| order.iter().position(|x| *x == c).unwrap_or(0);
    tandem_lang_ir::Module {
        contracts: order.iter().map(|&c| m.contracts[c].clone()).collect(),
        children: order
            .iter()
            .map(|&c| {
                m.children
                    .get(c)
                    .into_iter()
                    .flatten()
                    .map(|&x| at(x))
                    .collect()
            })
            .collect(),
    }
}

/// The schemas of a package's contracts (all, or the one named `contract`), as `tandem
/// schema` and `tandem bindgen` read them. Only a contract that builds for WASM has one; a
/// contract the WASM target refuses is listed in [`PackageSchemas::refused`] and the others
/// are still given. An error when the package does not compile, names no such contract, or
/// no contract asked for builds for WASM.
pub fn package_schemas(
    dir: &std::path::Path,
    contract: Option<&str>,
) -> anyhow::Result<PackageSchemas> {
    let (_, sources) = crate::read_package(dir)?;
    let module = crate::compile_module(&sources).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = PackageSchemas {
        schemas: vec![],
        refused: vec![],
    };
    for (i, c) in module.contracts.iter().enumerate() {
        if contract.is_some_and(|n| c.name != n) {
            continue;
        }
        match tandem_lang_wasm::generate(&alone(&module, i)) {
            Ok(_) => out.schemas.push(schema(c)),
            Err(e) => out.refused.push((c.name.clone(), e)),
        }
    }
    if out.schemas.is_empty() {
        match (contract, out.refused.as_slice()) {
            (_, [(n, e)]) => {
                anyhow::bail!("the WASM target refuses the contract `{n}`: {e}")
            }
            (None, []) => anyhow::bail!("no contracts in the package"),
            (Some(n), []) => anyhow::bail!("no contract `{n}` in the package"),
            (_, many) => anyhow::bail!(
                "the WASM target refuses every contract of the package: {}",
                many.iter()
                    .map(|(n, e)| format!("`{n}`: {e}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
    Ok(out)
}
