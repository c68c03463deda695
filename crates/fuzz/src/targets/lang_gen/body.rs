//! Statement generation for one body (a handler, the constructor or a helper function): the
//! generator's state, scopes, statements, storage writes and helpers. Expressions, by type,
//! are in `expr`.

use rand::Rng;
use rand::rngs::StdRng;

use super::ty::{Defs, Ty, any_ty, int_ty, value_ty};

pub(super) struct Var {
    pub(super) name: String,
    pub(super) ty: Ty,
    pub(super) mutable: bool,
    /// 0 for a scalar, else a local `[ty; len]`.
    pub(super) len: usize,
}

pub(super) struct Event {
    pub(super) name: String,
    pub(super) fields: Vec<(Ty, bool)>,
}

pub(super) struct Gen<'r> {
    pub(super) rng: &'r mut StdRng,
    pub(super) out: String,
    pub(super) indent: usize,
    pub(super) scopes: Vec<Vec<Var>>,
    pub(super) fields: Vec<(String, Ty)>,
    pub(super) defs: Defs,
    pub(super) map: (Ty, Ty),
    /// A fixed array in storage: its element type and length.
    pub(super) arr: Option<(Ty, usize)>,
    pub(super) events: Vec<Event>,
    pub(super) error: Vec<Ty>,
    pub(super) fresh: usize,
    /// Statements left in this body (keeps programs and their run time small).
    pub(super) budget: usize,
    /// Loop nesting (loops are bounded by constants; at most two deep).
    pub(super) loops: usize,
    /// The next literal may be bare (its context gives the type).
    pub(super) raw_ok: bool,
    /// Generating a free function: no storage, no `ctx`.
    pub(super) pure: bool,
    /// The helper functions so far: (name, parameter types, result type).
    pub(super) helpers: Vec<(String, Vec<Ty>, Ty)>,
    /// The reply type of the body being generated (for `return`).
    pub(super) reply: Option<Vec<Ty>>,
    /// Inside a `for` loop (where `break` and `continue` are safe).
    pub(super) in_for: bool,
    /// The message's variants (name, parameter types), for `encode_call` expressions.
    pub(super) variants: Vec<(String, Vec<Ty>)>,
    /// The storage fields `u{j}` of payload enums: each one's enum (`Defs::unions`).
    pub(super) unions: Vec<u8>,
}

impl Gen<'_> {
    pub(super) fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    pub(super) fn fresh(&mut self, p: &str) -> String {
        self.fresh += 1;
        format!("{p}{}", self.fresh)
    }

    pub(super) fn vars(&self, ty: Ty, mutable: bool) -> Vec<String> {
        self.scopes
            .iter()
            .flatten()
            .filter(|v| v.len == 0 && v.ty == ty && (!mutable || v.mutable))
            .map(|v| v.name.clone())
            .collect()
    }

    /// Every local array: (name, element type, length).
    pub(super) fn arrays_any(&self) -> Vec<(String, Ty, usize)> {
        self.scopes
            .iter()
            .flatten()
            .filter(|v| v.len > 0)
            .map(|v| (v.name.clone(), v.ty, v.len))
            .collect()
    }

    /// Local arrays of element type `ty`: (name, length).
    pub(super) fn arrays(&self, ty: Ty) -> Vec<(String, usize)> {
        self.scopes
            .iter()
            .flatten()
            .filter(|v| v.len > 0 && v.ty == ty)
            .map(|v| (v.name.clone(), v.len))
            .collect()
    }

    pub(super) fn block(&mut self, n: usize) {
        self.indent += 1;
        self.scopes.push(Vec::new());
        for _ in 0..n {
            self.stmt();
        }
        self.scopes.pop();
        self.indent -= 1;
    }

    pub(super) fn stmt(&mut self) {
        if self.budget == 0 {
            return;
        }
        self.budget -= 1;
        let depth = self.rng.random_range(0..4);
        match self.rng.random_range(0..20) {
            0..=3 => {
                let ty = value_ty(self.rng, &self.defs);
                let name = self.fresh("v");
                let mutable = self.rng.random_bool(0.6);
                let e = self.texpr(ty, depth);
                let m = if mutable { "mut " } else { "" };
                self.line(&format!("let {m}{name}: {} = {e}", ty.name()));
                if let Some(s) = self.scopes.last_mut() {
                    s.push(Var {
                        name,
                        ty,
                        mutable,
                        len: 0,
                    })
                }
            }
            18 => {
                let ty = int_ty(self.rng);
                let n = self.rng.random_range(1..4);
                let name = self.fresh("arr");
                let items: Vec<String> = (0..n).map(|_| self.texpr(ty, 1)).collect();
                self.line(&format!(
                    "let mut {name}: [{}; {n}] = [{}]",
                    ty.name(),
                    items.join(", ")
                ));
                if let Some(s) = self.scopes.last_mut() {
                    s.push(Var {
                        name,
                        ty,
                        mutable: true,
                        len: n,
                    })
                }
            }
            6 if !self.arrays_any().is_empty() => {
                let a = self.arrays_any();
                let (name, ty, n) = a[self.rng.random_range(0..a.len())].clone();
                let i = self.index_of(Ty::U(256), n, false);
                let op = self.assign_op(ty);
                let e = self.assign_rhs(op, ty, depth);
                self.line(&format!("{name}[{i}] {op} {e}"));
            }
            4..=6 => {
                // assignment or compound assignment to a mutable local
                let ty = if self.rng.random_bool(0.3) {
                    value_ty(self.rng, &self.defs)
                } else {
                    any_ty(self.rng)
                };
                if matches!(ty, Ty::Struct(_)) && self.rng.random_bool(0.5) {
                    let fs = self.struct_fields_any(true);
                    if !fs.is_empty() {
                        let (place, t) = fs[self.rng.random_range(0..fs.len())].clone();
                        let op = self.assign_op(t);
                        let e = self.assign_rhs(op, t, depth);
                        self.line(&format!("{place} {op} {e}"));
                        return;
                    }
                }
                let vars = self.vars(ty, true);
                if vars.is_empty() {
                    if !self.pure {
                        self.stmt_store(depth);
                    }
                    return;
                }
                let v = vars[self.rng.random_range(0..vars.len())].clone();
                let op = self.assign_op(ty);
                let e = self.assign_rhs(op, ty, depth);
                self.line(&format!("{v} {op} {e}"));
            }
            7..=9 if !self.pure => self.stmt_store(depth),
            7 => {
                if let Some(r) = self.reply.clone() {
                    let c = self.expr(Ty::Bool, depth);
                    let e = self.reply_expr(&r, 1);
                    let e = if e.is_empty() { e } else { format!(" {e}") };
                    self.line(&format!("if {c} {{ return{e} }}"));
                }
            }
            8 if self.in_for => {
                let c = self.expr(Ty::Bool, depth);
                let k = ["break", "continue"][self.rng.random_range(0..2)];
                self.line(&format!("if {c} {{ {k} }}"));
            }
            10 | 11 => {
                let c = self.expr(Ty::Bool, depth);
                self.line(&format!("if {c} {{"));
                let n = self.rng.random_range(1..4);
                self.block(n);
                if self.rng.random_bool(0.5) {
                    self.line("} else {");
                    let n = self.rng.random_range(1..4);
                    self.block(n);
                }
                self.line("}");
            }
            12 if self.loops < 2 => {
                let i = self.fresh("i");
                let k = self.rng.random_range(0..4);
                self.line(&format!("for {i} in 0..{k} {{"));
                self.loops += 1;
                self.scopes.push(vec![Var {
                    name: i,
                    ty: Ty::U(256),
                    mutable: false,
                    len: 0,
                }]);
                let n = self.rng.random_range(1..4);
                let outer = std::mem::replace(&mut self.in_for, true);
                self.block(n);
                self.in_for = outer;
                self.scopes.pop();
                self.loops -= 1;
                self.line("}");
            }
            13 if self.loops < 2 => {
                // a while loop with a counter the body cannot touch
                let w = self.fresh("w");
                let k = self.rng.random_range(0..4);
                self.line(&format!("let mut {w}: u8 = 0"));
                self.line(&format!("while {w} < {k} {{"));
                self.loops += 1;
                self.scopes.push(vec![Var {
                    name: w.clone(),
                    ty: Ty::U(8),
                    mutable: false,
                    len: 0,
                }]);
                let n = self.rng.random_range(1..4);
                let outer = std::mem::replace(&mut self.in_for, false);
                self.block(n);
                self.in_for = outer;
                self.indent += 1;
                if self.rng.random_bool(0.3) {
                    let c = self.expr(Ty::Bool, 1);
                    self.line(&format!("if {c} {{ break }}"));
                }
                self.line(&format!("{w} += 1"));
                self.indent -= 1;
                self.scopes.pop();
                self.loops -= 1;
                self.line("}");
            }
            14 | 15 if !self.events.is_empty() && !self.pure => {
                let i = self.rng.random_range(0..self.events.len());
                let fields = self.events[i].fields.clone();
                let name = self.events[i].name.clone();
                let parts: Vec<String> = fields
                    .iter()
                    .enumerate()
                    .map(|(k, (t, _))| format!("f{k}: {}", self.texpr(*t, 1)))
                    .collect();
                self.line(&format!("ctx.emit({name} {{ {} }})", parts.join(", ")));
            }
            16 => {
                let c = self.expr(Ty::Bool, depth);
                let parts: Vec<String> = self
                    .error
                    .clone()
                    .iter()
                    .enumerate()
                    .map(|(k, t)| format!("f{k}: {}", self.texpr(*t, 1)))
                    .collect();
                self.line(&format!(
                    "if {c} {{ revert Oops {{ {} }} }}",
                    parts.join(", ")
                ));
            }
            17 => {
                let c = self.expr(Ty::Bool, depth);
                self.line(&format!("assert({c})"));
            }
            _ if !self.pure => self.stmt_store(depth),
            _ => {}
        }
    }

    pub(super) fn assign_op(&mut self, ty: Ty) -> &'static str {
        if !ty.is_int() || self.rng.random_bool(0.5) {
            return "=";
        }
        if self.rng.random_bool(0.1) {
            return ["<<=", ">>="][self.rng.random_range(0..2)];
        }
        let ops: &[&str] = &["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^="];
        ops[self.rng.random_range(0..ops.len())]
    }

    pub(super) fn assign_rhs(&mut self, op: &str, ty: Ty, depth: usize) -> String {
        if op == "<<=" || op == ">>=" {
            self.expr(Ty::U(8), depth)
        } else {
            self.texpr(ty, depth)
        }
    }

    /// The value of a reply: nothing, one value or a tuple.
    pub(super) fn reply_expr(&mut self, tys: &[Ty], depth: usize) -> String {
        let es: Vec<String> = tys.iter().map(|t| self.texpr(*t, depth)).collect();
        match es.len() {
            0 | 1 => es.join(""),
            _ => format!("({})", es.join(", ")),
        }
    }

    /// A free function of random parameter and result types: a pure body.
    pub(super) fn helper(&mut self) {
        let name = format!("g{}", self.helpers.len());
        let params: Vec<Ty> = (0..self.rng.random_range(1..4))
            .map(|_| value_ty(self.rng, &self.defs))
            .collect();
        let ret = value_ty(self.rng, &self.defs);
        let ps: Vec<String> = params
            .iter()
            .enumerate()
            .map(|(k, t)| format!("a{k}: {}", t.name()))
            .collect();
        self.line(&format!(
            "fn {name}({}) -> {} {{",
            ps.join(", "),
            ret.name()
        ));
        self.scopes = vec![
            params
                .iter()
                .enumerate()
                .map(|(k, t)| Var {
                    name: format!("a{k}"),
                    ty: *t,
                    mutable: false,
                    len: 0,
                })
                .collect(),
        ];
        self.pure = true;
        self.reply = Some(vec![ret]);
        self.budget = self.rng.random_range(0..5);
        self.indent += 1;
        for _ in 0..self.budget {
            self.stmt();
        }
        let d = self.rng.random_range(0..4);
        let e = self.texpr(ret, d);
        self.line(&e);
        self.indent -= 1;
        self.line("}");
        self.pure = false;
        self.helpers.push((name, params, ret));
    }

    /// An index into the storage array: a constant in bounds, or (for reads, and writes of
    /// elements a slot each) any `u256`, which may be out of bounds.
    pub(super) fn index(&mut self, write: bool) -> String {
        let (t, n) = self.arr.unwrap_or((Ty::U(256), 1));
        self.index_of(t, n, write)
    }

    pub(super) fn index_of(&mut self, t: Ty, n: usize, write: bool) -> String {
        let vars: Vec<String> = self
            .scopes
            .iter()
            .flatten()
            .filter(|v| v.len == 0 && matches!(v.ty, Ty::U(_)))
            .map(|v| v.name.clone())
            .collect();
        // (a constant out of bounds is a compile error, so only locals may be)
        if (!write || t.bits() > 128) && !vars.is_empty() && self.rng.random_bool(0.4) {
            let v = &vars[self.rng.random_range(0..vars.len())];
            if self.rng.random_bool(0.5) {
                format!("({v} as u256)")
            } else {
                format!("(({v} as u256) % {n})")
            }
        } else {
            self.rng.random_range(0..n).to_string()
        }
    }

    /// A write of a storage field, an array element or a map entry.
    pub(super) fn stmt_store(&mut self, depth: usize) {
        if !self.unions.is_empty() && self.rng.random_bool(0.15) {
            return self.union_store(depth);
        }
        if let Some((t, _)) = self.arr
            && self.rng.random_bool(0.2)
        {
            let i = self.index(true);
            let op = self.assign_op(t);
            let e = self.assign_rhs(op, t, depth);
            self.line(&format!("storage.a[{i}] {op} {e}"));
            return;
        }
        if self.rng.random_bool(0.15) {
            let fs = self.struct_fields_any(true);
            if !fs.is_empty() {
                let (place, t) = fs[self.rng.random_range(0..fs.len())].clone();
                let op = self.assign_op(t);
                let e = self.assign_rhs(op, t, depth);
                self.line(&format!("{place} {op} {e}"));
                return;
            }
        }
        if self.rng.random_bool(0.3) {
            let k = self.texpr(self.map.0, 1);
            let e = self.texpr(self.map.1, depth);
            self.line(&format!("storage.m[{k}] = {e}"));
            return;
        }
        let (name, ty) = self.fields[self.rng.random_range(0..self.fields.len())].clone();
        let op = self.assign_op(ty);
        let e = self.assign_rhs(op, ty, depth);
        self.line(&format!("storage.{name} {op} {e}"));
    }

    /// Field places of type `ty` in struct locals (mutable ones only if `mutable`) and
    /// struct storage fields.
    pub(super) fn struct_fields(&self, ty: Ty, mutable: bool) -> Vec<String> {
        self.struct_fields_any(mutable)
            .into_iter()
            .filter(|(_, t)| *t == ty)
            .map(|(p, _)| p)
            .collect()
    }

    /// Every field place of a struct local or storage field: (place, type).
    pub(super) fn struct_fields_any(&self, mutable: bool) -> Vec<(String, Ty)> {
        let mut bases: Vec<(String, u8)> = self
            .scopes
            .iter()
            .flatten()
            .filter(|v| v.len == 0 && (!mutable || v.mutable))
            .filter_map(|v| match v.ty {
                Ty::Struct(i) => Some((v.name.clone(), i)),
                _ => None,
            })
            .collect();
        if !self.pure {
            bases.extend(self.fields.iter().filter_map(|(n, t)| match t {
                Ty::Struct(i) => Some((format!("storage.{n}"), *i)),
                _ => None,
            }));
        }
        let mut out = Vec::new();
        for (b, i) in bases {
            for (k, t) in self.defs.structs[i as usize].iter().enumerate() {
                out.push((format!("{b}.f{k}"), *t));
            }
        }
        out
    }
}
