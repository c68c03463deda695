//! A generator of random well-typed Tandem programs and call sequences, for the `lang-diff`
//! target (the EVM and WASM builds of each program must agree).
//!
//! Programs are built by types: every expression is generated for the type its position
//! needs, so a program that fails to compile is a generator bug (the target counts them).
//! A program is one contract: storage fields of several integer widths (signed and
//! unsigned), `bool`, a `Map`; one message whose variants take typed parameters and reply
//! a value; bodies of `let`, assignments, compound assignments, `if`, bounded `while` and
//! `for` loops, checked, wrapping and saturating arithmetic, comparisons, shifts, bit
//! operations, casts, `try_from`, `min`/`max`, storage and map reads and writes, events with
//! indexed and plain fields, `revert` with a custom error and `assert`. Only constructs both
//! backends support (docs/wasm-target.md "Not yet": no signed multiplication wider than 128
//! bits, no aggregate event or error fields).

mod body;
mod ty;

use alloy_primitives::U256;
use rand::Rng;
use rand::rngs::StdRng;

use body::{Event, Gen, Var};
pub use ty::Ty;
use ty::{any_ty, int_ty};

/// A message variant: its Solidity signature, parameter and reply types.
#[derive(Clone, Debug)]
pub struct Handler {
    pub variant: String,
    pub signature: String,
    pub params: Vec<Ty>,
    /// Nothing, one value, or a tuple.
    pub reply: Vec<Ty>,
}

impl Handler {
    /// Variant `H{i}` with these parameter and reply types.
    pub fn new(i: usize, params: &[Ty], reply: &[Ty]) -> Handler {
        let sol: Vec<String> = params.iter().map(|t| t.sol()).collect();
        Handler {
            variant: format!("H{i}"),
            signature: format!("h{i}({})", sol.join(",")),
            params: params.to_vec(),
            reply: reply.to_vec(),
        }
    }
}

/// One generated program.
#[derive(Clone, Debug)]
pub struct Program {
    pub source: String,
    pub handlers: Vec<Handler>,
}

/// A call: the handler's index and its arguments (normalised words).
#[derive(Clone, Debug)]
pub struct Call {
    pub handler: usize,
    pub args: Vec<U256>,
}

impl Program {
    /// A call as the fixtures' DSL writes it (for reproducers).
    pub fn show_call(&self, c: &Call) -> String {
        let h = &self.handlers[c.handler];
        let args: Vec<String> = c
            .args
            .iter()
            .zip(&h.params)
            .map(|(v, t)| match t {
                Ty::I(_) if v.bit(255) => format!("-{}", v.wrapping_neg()),
                Ty::Bool => (!v.is_zero()).to_string(),
                _ => v.to_string(),
            })
            .collect();
        format!("{}: {}", h.signature, args.join(", "))
    }
}

/// A random program.
pub fn program(rng: &mut StdRng) -> Program {
    let nfields = rng.random_range(2..7);
    let fields: Vec<(String, Ty)> = (0..nfields)
        .map(|i| (format!("s{i}"), any_ty(rng)))
        .collect();
    let map = (int_ty(rng), any_ty(rng));
    let arr = rng
        .random_bool(0.5)
        .then(|| (int_ty(rng), rng.random_range(2..5usize)));
    let events: Vec<Event> = (0..rng.random_range(0..3))
        .map(|i| Event {
            name: format!("Ev{i}"),
            fields: (0..rng.random_range(1..4))
                .map(|_| (any_ty(rng), rng.random_bool(0.4)))
                .collect(),
        })
        .collect();
    let error: Vec<Ty> = (0..rng.random_range(0..3)).map(|_| any_ty(rng)).collect();
    let handlers: Vec<Handler> = (0..rng.random_range(1..5))
        .map(|i| {
            let params: Vec<Ty> = (0..rng.random_range(0..4)).map(|_| any_ty(rng)).collect();
            let n = match rng.random_range(0..10) {
                0..=1 => 0,
                2..=7 => 1,
                _ => rng.random_range(2..4),
            };
            let reply: Vec<Ty> = (0..n).map(|_| any_ty(rng)).collect();
            Handler::new(i, &params, &reply)
        })
        .collect();

    let mut src = String::new();
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
    };
    g.indent = 0;
    for _ in 0..g.rng.random_range(0..3) {
        g.helper();
        g.line("");
    }
    let helpers = std::mem::take(&mut g.out);
    g.indent = 1;
    // the constructor sets some fields to literals
    g.line("init() with mut storage {");
    for i in 0..g.fields.len() {
        if g.rng.random_bool(0.5) {
            let (n, t) = g.fields[i].clone();
            g.raw_ok = true;
            let v = g.lit(t);
            g.line(&format!("    storage.{n} = {v}"));
        }
    }
    g.line("}");
    g.line("recv FzMsg {");
    for h in &handlers {
        let names: Vec<String> = (0..h.params.len()).map(|k| format!("p{k}")).collect();
        g.indent += 1;
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
    }
}

/// A random call sequence for the program.
pub fn calls(rng: &mut StdRng, p: &Program) -> Vec<Call> {
    (0..rng.random_range(3..12))
        .map(|_| {
            let handler = rng.random_range(0..p.handlers.len());
            let args = p.handlers[handler]
                .params
                .iter()
                .map(|t| {
                    // edge values, or small ones (which overflow less)
                    if rng.random_bool(0.6) {
                        t.value(rng)
                    } else {
                        t.norm(U256::from(rng.random_range(0..100u8)))
                    }
                })
                .collect();
            Call { handler, args }
        })
        .collect()
}
