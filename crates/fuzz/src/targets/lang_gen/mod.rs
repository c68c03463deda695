//! A generator of random well-typed Tandem programs and call sequences, for the `lang-diff`
//! target (the EVM and WASM builds of each program must agree).
//!
//! Programs are built by types: every expression is generated for the type its position
//! needs, so a program that fails to compile is a generator bug (the target counts them).
//! A program is one contract: unit enums and structs of words; storage fields of integers
//! of several widths (signed and unsigned), `bool`, `Address`, `bytesN`, `String`, `Bytes`,
//! the enums and structs, a `Map` (keys of integers, `Address`, `bytesN`, `String`,
//! `Bytes`); a constructor with arguments; one message whose variants (some `#[payable]`)
//! take typed parameters and reply nothing, a value or a tuple; bodies of `let`,
//! assignments (to struct fields too), compound assignments, `if`, `match` (on the enums and
//! on an `Option`), bounded `while` and `for` loops, checked, wrapping and saturating
//! arithmetic, comparisons, shifts, bit operations on integers and `bytesN`, casts between
//! integers, `Address` and `bytesN`, `try_from`, `min`/`max`, byte indexing, lengths,
//! `keccak256`, `ctx` reads (the value and the contract's balance included), storage and map
//! reads and writes, events with indexed and plain fields, `revert` with a custom error and
//! `assert`, `encode_call` of the program's own message variants (fields written in any
//! order), enums with payloads in storage (written, copied and matched with bindings). Only constructs both backends support (docs/wasm-target.md "Not yet": no aggregate
//! event or error fields; `ctx.self_address()`
//! only inside `balance_of`, since the two builds live at different addresses).

mod body;
mod expr;
mod ty;
mod unions;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::U256;
use rand::Rng;
use rand::rngs::StdRng;

use body::{Event, Gen, Var};
pub use ty::{Defs, Ty};
use ty::{int_ty, key_ty, value_ty, word_ty};

/// A message variant: its Solidity signature, parameter and reply types.
#[derive(Clone, Debug)]
pub struct Handler {
    pub variant: String,
    pub signature: String,
    pub params: Vec<Ty>,
    /// Nothing, one value, or a tuple.
    pub reply: Vec<Ty>,
    /// `#[payable]`: calls may send value.
    pub payable: bool,
}

impl Handler {
    /// Variant `H{i}` with these parameter and reply types (struct types from `defs`).
    pub fn new(i: usize, params: &[Ty], reply: &[Ty], defs: &Defs) -> Handler {
        let sol: Vec<String> = params.iter().map(|t| t.sol(defs)).collect();
        Handler {
            variant: format!("H{i}"),
            signature: format!("h{i}({})", sol.join(",")),
            params: params.to_vec(),
            reply: reply.to_vec(),
            payable: false,
        }
    }
}

/// One generated program.
#[derive(Clone, Debug)]
pub struct Program {
    pub source: String,
    pub handlers: Vec<Handler>,
    pub defs: Defs,
    /// The constructor's parameter types and the arguments it is deployed with.
    pub ctor: Vec<Ty>,
    pub ctor_args: Vec<DynSolValue>,
}

impl Program {
    /// A program of one contract without constructor arguments or structs (for tests).
    pub fn simple(source: &str, handlers: Vec<Handler>) -> Program {
        Program {
            source: source.into(),
            handlers,
            defs: Defs::default(),
            ctor: vec![],
            ctor_args: vec![],
        }
    }
}

/// A call: the handler's index, its arguments and the value sent with it.
#[derive(Clone, Debug)]
pub struct Call {
    pub handler: usize,
    pub args: Vec<DynSolValue>,
    pub value: U256,
}

impl Call {
    /// A call of integer arguments, no value (for tests).
    pub fn words(handler: usize, tys: &[Ty], args: &[U256]) -> Call {
        let args = tys
            .iter()
            .zip(args)
            .map(|(t, v)| match t {
                Ty::I(b) => DynSolValue::Int(alloy_primitives::I256::from_raw(*v), *b as usize),
                Ty::Bool => DynSolValue::Bool(!v.is_zero()),
                t => DynSolValue::Uint(*v, t.bits() as usize),
            })
            .collect();
        Call {
            handler,
            args,
            value: U256::ZERO,
        }
    }
}

/// A value as the fixtures' DSL writes it.
pub fn show_value(v: &DynSolValue) -> String {
    match v {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::Address(a) => format!("{a:#x}"),
        DynSolValue::FixedBytes(w, n) => format!("0x{}", hex::encode(&w[..*n])),
        DynSolValue::Bytes(b) => format!("0x{}", hex::encode(b)),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Tuple(vs) => {
            let vs: Vec<String> = vs.iter().map(show_value).collect();
            format!("({})", vs.join(", "))
        }
        other => format!("{other:?}"),
    }
}

impl Program {
    /// A call as the fixtures' DSL writes it (for reproducers).
    pub fn show_call(&self, c: &Call) -> String {
        let h = &self.handlers[c.handler];
        let args: Vec<String> = c.args.iter().map(show_value).collect();
        let value = if c.value.is_zero() {
            String::new()
        } else {
            format!(" value: {}", c.value)
        };
        format!("{}: {}{value}", h.signature, args.join(", "))
    }
}

/// A random program.
pub fn program(rng: &mut StdRng) -> Program {
    // structs of words and unit enums first: the other types may name them
    let mut defs = Defs::default();
    for _ in 0..rng.random_range(0..3) {
        defs.enums.push(rng.random_range(1..5));
    }
    for _ in 0..rng.random_range(0..3) {
        let n = rng.random_range(1..4);
        let fs = (0..n).map(|_| word_ty(rng, &defs)).collect();
        defs.structs.push(fs);
    }
    for _ in 0..rng.random_range(0..3) {
        let u = unions::union(rng, &defs);
        defs.unions.push(u);
    }
    let union_fields = unions::fields(rng, &defs);
    let nfields = rng.random_range(2..7);
    let fields: Vec<(String, Ty)> = (0..nfields)
        .map(|i| (format!("s{i}"), value_ty(rng, &defs)))
        .collect();
    let map = (key_ty(rng), value_ty(rng, &defs));
    let arr = rng
        .random_bool(0.5)
        .then(|| (int_ty(rng), rng.random_range(2..5usize)));
    // event and error fields: words, `String` and `Bytes` (no aggregates, docs/wasm-target.md)
    let field_ty = |rng: &mut StdRng, defs: &Defs| loop {
        let t = value_ty(rng, defs);
        if !matches!(t, Ty::Struct(_)) {
            return t;
        }
    };
    let events: Vec<Event> = (0..rng.random_range(0..3))
        .map(|i| Event {
            name: format!("Ev{i}"),
            fields: (0..rng.random_range(1..4))
                .map(|_| (field_ty(rng, &defs), rng.random_bool(0.4)))
                .collect(),
        })
        .collect();
    let error: Vec<Ty> = (0..rng.random_range(0..3))
        .map(|_| field_ty(rng, &defs))
        .collect();
    let handlers: Vec<Handler> = (0..rng.random_range(1..5))
        .map(|i| {
            let params: Vec<Ty> = (0..rng.random_range(0..4))
                .map(|_| value_ty(rng, &defs))
                .collect();
            let n = match rng.random_range(0..10) {
                0..=1 => 0,
                2..=7 => 1,
                _ => rng.random_range(2..4),
            };
            let reply: Vec<Ty> = (0..n).map(|_| value_ty(rng, &defs)).collect();
            let mut h = Handler::new(i, &params, &reply, &defs);
            h.payable = rng.random_bool(0.3);
            h
        })
        .collect();
    let ctor: Vec<Ty> = (0..rng.random_range(0..3))
        .map(|_| value_ty(rng, &defs))
        .collect();
    let ctor_args = ctor.iter().map(|t| t.arg(rng, &defs)).collect();

    let mut src = String::from("use std::crypto::keccak256\nuse std::abi::encode_call\n\n");
    for (i, n) in defs.enums.iter().enumerate() {
        let vs: Vec<String> = (0..*n).map(|k| format!("V{k}")).collect();
        src.push_str(&format!("enum En{i} {{ {} }}\n", vs.join(", ")));
    }
    for (i, u) in defs.unions.iter().enumerate() {
        src.push_str(&unions::declare(i, u));
    }
    for (i, fs) in defs.structs.iter().enumerate() {
        let fs: Vec<String> = fs
            .iter()
            .enumerate()
            .map(|(k, t)| format!("f{k}: {}", t.name()))
            .collect();
        src.push_str(&format!("struct St{i} {{ {} }}\n", fs.join(", ")));
    }
    for e in &events {
        let fs: Vec<String> = e
            .fields
            .iter()
            .enumerate()
            .map(|(k, (t, ix))| {
                let ix = if *ix { "#[indexed] " } else { "" };
                format!("{ix}f{k}: {}", t.name())
            })
            .collect();
        src.push_str(&format!("event {} {{ {} }}\n", e.name, fs.join(", ")));
    }
    let es: Vec<String> = error
        .iter()
        .enumerate()
        .map(|(k, t)| format!("f{k}: {}", t.name()))
        .collect();
    src.push_str(&format!(
        "error Oops {{ {} }}\n\nmessage FzMsg {{\n",
        es.join(", ")
    ));
    for h in &handlers {
        let ps: Vec<String> = h
            .params
            .iter()
            .enumerate()
            .map(|(k, t)| format!("p{k}: {}", t.name()))
            .collect();
        let names: Vec<String> = h.reply.iter().map(|t| t.name()).collect();
        let reply = match names.len() {
            0 => String::new(),
            1 => format!(" -> {}", names[0]),
            _ => format!(" -> ({})", names.join(", ")),
        };
        src.push_str(&format!(
            "    {} {{ {} }}{reply},\n",
            h.variant,
            ps.join(", ")
        ));
    }
    src.push_str("}\n\nstruct FzStore {\n");
    for (n, t) in &fields {
        src.push_str(&format!("    {n}: {},\n", t.name()));
    }
    if let Some((t, n)) = arr {
        src.push_str(&format!("    a: [{}; {n}],\n", t.name()));
    }
    for (j, e) in union_fields.iter().enumerate() {
        src.push_str(&format!("    u{j}: Dn{e},\n"));
    }
    src.push_str(&format!(
        "    m: Map<{}, {}>,\n}}\n\ncontract Fz {{\n    storage: FzStore\n",
        map.0.name(),
        map.1.name()
    ));

    let mut g = Gen {
        rng,
        out: String::new(),
        indent: 1,
        scopes: vec![],
        fields,
        defs: defs.clone(),
        map,
        arr,
        events,
        error,
        fresh: 0,
        budget: 0,
        loops: 0,
        raw_ok: false,
        pure: false,
        helpers: vec![],
        reply: None,
        in_for: false,
        variants: handlers
            .iter()
            .map(|h| (h.variant.clone(), h.params.clone()))
            .collect(),
        unions: union_fields,
    };
    g.indent = 0;
    for _ in 0..g.rng.random_range(0..3) {
        g.helper();
        g.line("");
    }
    let helpers = std::mem::take(&mut g.out);
    g.indent = 1;
    // the constructor sets some fields to literals or its arguments
    let names: Vec<String> = ctor
        .iter()
        .enumerate()
        .map(|(k, t)| format!("c{k}: {}", t.name()))
        .collect();
    g.line(&format!("init({}) with mut storage {{", names.join(", ")));
    g.pure = true; // no `ctx` in the constructor
    g.scopes = vec![
        ctor.iter()
            .enumerate()
            .map(|(k, t)| Var {
                name: format!("c{k}"),
                ty: *t,
                mutable: false,
                len: 0,
            })
            .collect(),
    ];
    for i in 0..g.fields.len() {
        let (n, t) = g.fields[i].clone();
        let from_arg: Vec<String> = g.vars(t, false);
        if !from_arg.is_empty() && g.rng.random_bool(0.7) {
            let v = from_arg[g.rng.random_range(0..from_arg.len())].clone();
            g.line(&format!("    storage.{n} = {v}"));
        } else if g.rng.random_bool(0.5) {
            g.raw_ok = true;
            let v = g.lit(t);
            g.line(&format!("    storage.{n} = {v}"));
        }
    }
    g.pure = false;
    g.line("}");
    g.line("recv FzMsg {");
    for h in &handlers {
        let names: Vec<String> = (0..h.params.len()).map(|k| format!("p{k}")).collect();
        g.indent += 1;
        if h.payable {
            g.line("#[payable]");
        }
        g.line(&format!(
            "{} {{ {} }} => with (mut storage, mut ctx) {{",
            h.variant,
            names.join(", ")
        ));
        g.scopes = vec![
            names
                .iter()
                .zip(&h.params)
                .map(|(n, t)| Var {
                    name: n.clone(),
                    ty: *t,
                    mutable: false,
                    len: 0,
                })
                .collect(),
        ];
        g.reply = Some(h.reply.clone());
        g.budget = g.rng.random_range(1..12);
        let n = g.budget;
        g.indent += 1;
        for _ in 0..n {
            g.stmt();
        }
        if !h.reply.is_empty() {
            let d = g.rng.random_range(0..4);
            let e = g.reply_expr(&h.reply, d);
            g.line(&e);
        }
        g.indent -= 1;
        g.line("}");
        g.indent -= 1;
    }
    g.line("}");
    let body = std::mem::take(&mut g.out);
    src.push_str(&body);
    let at = src.find("contract Fz").unwrap_or(0);
    src.insert_str(at, &helpers);
    src.push_str("}\n");
    Program {
        source: src,
        handlers,
        defs,
        ctor,
        ctor_args,
    }
}

/// A random call sequence for the program: value with some calls of payable handlers, and
/// rarely with a non-payable one (which must revert on both builds).
pub fn calls(rng: &mut StdRng, p: &Program) -> Vec<Call> {
    (0..rng.random_range(3..12))
        .map(|_| {
            let handler = rng.random_range(0..p.handlers.len());
            let h = &p.handlers[handler];
            let args = h.params.iter().map(|t| t.arg(rng, &p.defs)).collect();
            let value = if (h.payable && rng.random_bool(0.6)) || rng.random_bool(0.03) {
                U256::from(rng.random_range(1..1_000_000_000u64))
            } else {
                U256::ZERO
            };
            Call {
                handler,
                args,
                value,
            }
        })
        .collect()
}
