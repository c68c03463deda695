//! Expression generation, by type: literals, leaves, operators, conditionals, `match`, and
//! expressions of the other types (addresses, bytes, strings, structs, enums).

use alloy_primitives::U256;
use rand::Rng;

use super::body::{Gen, Var};
use super::ty::{Ty, int_ty, short_or_long, text, word_ty};

impl Gen<'_> {
    pub(super) fn lit(&mut self, ty: Ty) -> String {
        match ty {
            Ty::Str => {
                self.raw_ok = false;
                return quote(&text(self.rng));
            }
            Ty::Byt => {
                let n = short_or_long(self.rng);
                // Half ASCII (a string literal with escapes), half any bytes (`from_hex`).
                let mask = if self.rng.random_bool(0.5) {
                    0x7f
                } else {
                    0xff
                };
                let b: Vec<u8> = (0..n).map(|_| self.rng.random::<u8>() & mask).collect();
                let q = quote_bytes(&b);
                return if std::mem::take(&mut self.raw_ok) {
                    q
                } else {
                    format!("{{ let bl: Bytes = {q}; bl }}")
                };
            }
            Ty::Enum(i) => {
                self.raw_ok = false;
                let k = self.rng.random_range(0..self.defs.enums[i as usize]);
                return format!("En{i}::V{k}");
            }
            Ty::Struct(i) => {
                self.raw_ok = false;
                let fs = self.defs.structs[i as usize].clone();
                let parts: Vec<String> = fs
                    .iter()
                    .enumerate()
                    .map(|(k, t)| format!("f{k}: {}", self.texpr(*t, 0)))
                    .collect();
                return format!("St{i} {{ {} }}", parts.join(", "));
            }
            _ => {}
        }
        // small constants half the time, so fewer bodies overflow on every input
        let v = if self.rng.random_bool(0.5) {
            ty.norm(U256::from(self.rng.random_range(0..17u8)))
        } else {
            ty.value(self.rng)
        };
        if std::mem::take(&mut self.raw_ok) && self.rng.random_bool(0.6) {
            ty.literal(v)
        } else {
            ty.typed_literal(v)
        }
    }

    /// An expression where the context gives the type (a bare literal is allowed).
    pub(super) fn texpr(&mut self, ty: Ty, depth: usize) -> String {
        self.raw_ok = true;
        let e = self.expr(ty, depth);
        self.raw_ok = false;
        e
    }

    pub(super) fn leaf(&mut self, ty: Ty) -> String {
        if ty == Ty::Bool && self.rng.random_bool(0.6) {
            // a comparison of a local, so conditions depend on the arguments
            let ints: Vec<(String, Ty)> = self
                .scopes
                .iter()
                .flatten()
                .filter(|v| v.len == 0 && v.ty.is_int())
                .map(|v| (v.name.clone(), v.ty))
                .collect();
            if !ints.is_empty() {
                let (v, t) = ints[self.rng.random_range(0..ints.len())].clone();
                let op = ["<", "<=", ">", ">=", "==", "!="][self.rng.random_range(0..6)];
                self.raw_ok = true;
                let r = self.leaf(t);
                return format!("({v} {op} {r})");
            }
        }
        let raw_ok = std::mem::take(&mut self.raw_ok);
        let vars = self.vars(ty, false);
        let pure = self.pure;
        let mut fields: Vec<String> = self
            .fields
            .iter()
            .filter(|(_, t)| *t == ty && !pure)
            .map(|(n, _)| format!("storage.{n}"))
            .collect();
        // fields of structs in locals and storage
        fields.extend(self.struct_fields(ty, false));
        match self.rng.random_range(0..10) {
            0..=3 if !vars.is_empty() => vars[self.rng.random_range(0..vars.len())].clone(),
            4..=5 if !fields.is_empty() => fields[self.rng.random_range(0..fields.len())].clone(),
            6 if self.map.1 == ty && !pure => {
                let k = self.texpr(self.map.0, 0);
                format!("storage.m[{k}]")
            }
            9 if !self.arrays(ty).is_empty() => {
                let a = self.arrays(ty);
                let (name, n) = a[self.rng.random_range(0..a.len())].clone();
                let i = self.index_of(Ty::U(256), n, false);
                format!("{name}[{i}]")
            }
            8 if !pure && self.arr.is_some_and(|(t, _)| t == ty) => {
                let i = self.index(false);
                format!("storage.a[{i}]")
            }
            7 if ty.is_int() && !pure && self.rng.random_bool(0.3) => {
                let c = [
                    "(ctx.caller() as u160)",
                    "ctx.block_number()",
                    "ctx.timestamp()",
                    "ctx.chain_id()",
                    "ctx.value()",
                    "ctx.balance_of(ctx.self_address())",
                ][self.rng.random_range(0..6)];
                format!("({c} as {})", ty.name())
            }
            7 if ty == Ty::Addr && !pure => {
                ["ctx.caller()", "ctx.origin()"][self.rng.random_range(0..2)].into()
            }
            _ => {
                self.raw_ok = raw_ok;
                self.lit(ty)
            }
        }
    }

    /// An expression of type `ty`, at most `depth` operators deep.
    pub(super) fn expr(&mut self, ty: Ty, depth: usize) -> String {
        if depth == 0 || self.rng.random_bool(0.25) {
            return self.leaf(ty);
        }
        self.raw_ok = false;
        let d = depth - 1;
        if self.rng.random_bool(0.08) {
            return self.match_expr(ty, d);
        }
        if ty.is_int() && !self.pure && !self.unions.is_empty() && self.rng.random_bool(0.06) {
            return self.union_match(ty, d);
        }
        if !ty.is_int() && ty != Ty::Bool {
            return self.expr_other(ty, d);
        }
        if ty == Ty::Bool {
            if self.rng.random_bool(0.25) {
                return self.compare_other(d);
            }
            return match self.rng.random_range(0..6) {
                0..=2 => {
                    let t = int_ty(self.rng);
                    let op = ["<", "<=", ">", ">=", "==", "!="][self.rng.random_range(0..6)];
                    let l = self.expr(t, d);
                    let r = self.rhs(&l, t, d);
                    format!("({l} {op} {r})")
                }
                3 => {
                    let op = ["&&", "||", "==", "!="][self.rng.random_range(0..4)];
                    format!("({} {op} {})", self.expr(ty, d), self.expr(ty, d))
                }
                4 => format!("!{}", self.expr(ty, d)),
                _ => self.if_expr(ty, d),
            };
        }
        match self.rng.random_range(0..16) {
            0..=2 => {
                let ops: &[&str] = &["+", "-", "*", "/", "%"];
                let op = ops[self.rng.random_range(0..ops.len())];
                let l = self.expr(ty, d);
                let r = self.rhs(&l, ty, d);
                format!("({l} {op} {r})")
            }
            4 => {
                let ms: &[&str] = match ty {
                    Ty::I(_) => &["wrapping_add", "wrapping_sub", "wrapping_mul", "min", "max"],
                    _ => &[
                        "wrapping_add",
                        "wrapping_sub",
                        "wrapping_mul",
                        "saturating_add",
                        "saturating_sub",
                        "min",
                        "max",
                    ],
                };
                let m = ms[self.rng.random_range(0..ms.len())];
                format!("{}.{m}({})", self.paren(ty, d), self.expr(ty, d))
            }
            5 | 6 => {
                let op = ["&", "|", "^"][self.rng.random_range(0..3)];
                let l = self.expr(ty, d);
                let r = self.rhs(&l, ty, d);
                format!("({l} {op} {r})")
            }
            7 => {
                let op = ["<<", ">>"][self.rng.random_range(0..2)];
                let s = if self.rng.random_bool(0.5) {
                    self.rng
                        .random_range(0..=(ty.bits() as u64 + 1).min(255))
                        .to_string()
                } else {
                    self.expr(Ty::U(8), d)
                };
                format!("({} {op} {s})", self.expr(ty, d))
            }
            8 | 9 => {
                let from = if self.rng.random_bool(0.3) {
                    word_ty(self.rng, &self.defs)
                } else {
                    int_ty(self.rng)
                };
                if from == Ty::Bool {
                    return self.leaf(ty);
                }
                format!("({} as {})", self.paren(from, d), ty.name())
            }
            14 if self.rng.random_bool(0.5) => self.int_of_other(ty, d),
            10 => {
                let from = int_ty(self.rng);
                format!("{}::try_from({})", ty.name(), self.expr(from, d))
            }
            11 if matches!(ty, Ty::I(_)) => format!("(-{})", self.paren(ty, d)),
            11 => {
                let k = self.rng.random_range(0..6);
                format!("({} ** ({k} as {}))", self.expr(ty, d), ty.name())
            }
            13 => {
                let hs: Vec<_> = self.helpers.iter().filter(|h| h.2 == ty).cloned().collect();
                if hs.is_empty() {
                    return self.leaf(ty);
                }
                let (name, params, _) = hs[self.rng.random_range(0..hs.len())].clone();
                let args: Vec<String> = params.iter().map(|t| self.texpr(*t, d)).collect();
                format!("{name}({})", args.join(", "))
            }
            12 => self.if_expr(ty, d),
            _ => self.leaf(ty),
        }
    }

    /// The right operand of a binary operator: a bare literal only when the left operand
    /// names the type.
    pub(super) fn rhs(&mut self, l: &str, ty: Ty, d: usize) -> String {
        if l.starts_with(|c: char| c.is_ascii_lowercase()) && !l.contains("::") {
            self.texpr(ty, d)
        } else {
            self.expr(ty, d)
        }
    }

    /// An operand that may take a method call or a cast: a leaf or a parenthesised expression.
    pub(super) fn paren(&mut self, ty: Ty, depth: usize) -> String {
        let e = self.expr(ty, depth);
        if e.starts_with('(')
            || e.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            e
        } else {
            format!("({e})")
        }
    }

    pub(super) fn if_expr(&mut self, ty: Ty, d: usize) -> String {
        let c = self.expr(Ty::Bool, d);
        format!(
            "(if {c} {{ {} }} else {{ {} }})",
            self.expr(ty, d),
            self.expr(ty, d)
        )
    }

    /// An expression of a type that is neither an integer nor `bool`.
    pub(super) fn expr_other(&mut self, ty: Ty, d: usize) -> String {
        match (ty, self.rng.random_range(0..8)) {
            (_, 0) => self.if_expr(ty, d),
            (_, 1) => {
                let hs: Vec<_> = self.helpers.iter().filter(|h| h.2 == ty).cloned().collect();
                if hs.is_empty() {
                    return self.leaf(ty);
                }
                let (name, params, _) = hs[self.rng.random_range(0..hs.len())].clone();
                let args: Vec<String> = params.iter().map(|t| self.texpr(*t, d)).collect();
                format!("{name}({})", args.join(", "))
            }
            (Ty::Fb(_), 2 | 3) => {
                let op = ["&", "|", "^"][self.rng.random_range(0..3)];
                let l = self.expr(ty, d);
                let r = self.rhs(&l, ty, d);
                format!("({l} {op} {r})")
            }
            (Ty::Fb(n), 4 | 5) => {
                let from = match self.rng.random_range(0..4) {
                    0 => Ty::Addr,
                    1 => Ty::Fb([1, 4, 20, 32, 2][self.rng.random_range(0..5)]),
                    _ => int_ty(self.rng),
                };
                if n == 32 && self.rng.random_bool(0.3) {
                    let b = self.texpr(Ty::Byt, d);
                    return format!("(keccak256({b}) as bytes32)");
                }
                format!("({} as {})", self.paren(from, d), ty.name())
            }
            (Ty::Addr, 2..=4) => {
                let from = if self.rng.random_bool(0.3) {
                    Ty::Fb(20)
                } else {
                    int_ty(self.rng)
                };
                format!("({} as Address)", self.paren(from, d))
            }
            (Ty::Byt, 2) if !self.variants.is_empty() => self.encode_call(d),
            (Ty::Struct(i), 2..=4) => {
                let fs = self.defs.structs[i as usize].clone();
                let parts: Vec<String> = fs
                    .iter()
                    .enumerate()
                    .map(|(k, t)| format!("f{k}: {}", self.texpr(*t, d)))
                    .collect();
                format!("St{i} {{ {} }}", parts.join(", "))
            }
            _ => self.leaf(ty),
        }
    }

    /// `encode_call` of one of the message's variants: its fields written in a random order
    /// (the calldata has them in declared order whatever the literal's order).
    fn encode_call(&mut self, d: usize) -> String {
        let (name, params) = self.variants[self.rng.random_range(0..self.variants.len())].clone();
        if params.is_empty() {
            return format!("encode_call(FzMsg::{name})");
        }
        let mut fields: Vec<String> = params
            .iter()
            .enumerate()
            .map(|(k, t)| format!("p{k}: {}", self.texpr(*t, d)))
            .collect();
        for i in (1..fields.len()).rev() {
            fields.swap(i, self.rng.random_range(0..=i));
        }
        format!("encode_call(FzMsg::{name} {{ {} }})", fields.join(", "))
    }

    /// A comparison of two values of a type other than the integers.
    pub(super) fn compare_other(&mut self, d: usize) -> String {
        let t = match self.rng.random_range(0..5) {
            0 => Ty::Addr,
            1 => Ty::Str,
            2 => Ty::Byt,
            3 if !self.defs.enums.is_empty() => {
                Ty::Enum(self.rng.random_range(0..self.defs.enums.len()) as u8)
            }
            _ => Ty::Fb([1, 4, 20, 32, 3][self.rng.random_range(0..5)]),
        };
        let ops: &[&str] = if matches!(t, Ty::Fb(_)) {
            &["<", "<=", ">", ">=", "==", "!="]
        } else {
            &["==", "!="]
        };
        let op = ops[self.rng.random_range(0..ops.len())];
        let l = self.expr(t, d);
        let r = self.rhs(&l, t, d);
        format!("({l} {op} {r})")
    }

    /// An integer from another type: a length, a byte of `Bytes` or a `bytesN`, a hash.
    pub(super) fn int_of_other(&mut self, ty: Ty, d: usize) -> String {
        match self.rng.random_range(0..4) {
            0 => {
                let t = [Ty::Str, Ty::Byt][self.rng.random_range(0..2)];
                let e = self.paren(t, d);
                format!("({e}.len() as {})", ty.name())
            }
            1 => {
                let b = self.paren(Ty::Byt, d);
                let i = self.index_of(Ty::U(256), 4, false);
                format!("({b}[{i}] as {})", ty.name())
            }
            2 => {
                let n = [1u8, 4, 20, 32, 7][self.rng.random_range(0..5)];
                let b = self.paren(Ty::Fb(n), d);
                let i = self.index_of(Ty::U(256), n as usize, false);
                format!("({b}[{i}] as {})", ty.name())
            }
            _ => {
                let b = self.texpr(Ty::Byt, d);
                format!("(keccak256({b}) as {})", ty.name())
            }
        }
    }

    /// A `match` of a value of type `ty`: on a unit enum (some arms and `_`, or every
    /// variant) or on an `Option` of an integer. Arms are typed: a `match` on the left of an
    /// operator gives its arms no expected type.
    pub(super) fn match_expr(&mut self, ty: Ty, d: usize) -> String {
        if self.defs.enums.is_empty() || self.rng.random_bool(0.3) {
            let t = int_ty(self.rng);
            let c = self.expr(Ty::Bool, d);
            let x = self.expr(t, d);
            let o = self.fresh("o");
            let none = self.expr(ty, d);
            self.scopes.push(vec![Var {
                name: o.clone(),
                ty: t,
                mutable: false,
                len: 0,
            }]);
            let some = self.expr(ty, d);
            self.scopes.pop();
            return format!(
                "(match (if {c} {{ Some({x}) }} else {{ None }}) {{ Some({o}) => {some}, None => {none} }})"
            );
        }
        let i = self.rng.random_range(0..self.defs.enums.len());
        let n = self.defs.enums[i];
        let s = self.expr(Ty::Enum(i as u8), d);
        let all = self.rng.random_bool(0.5);
        let arms = if all { n } else { self.rng.random_range(0..n) };
        let mut parts: Vec<String> = (0..arms)
            .map(|k| format!("En{i}::V{k} => {}", self.expr(ty, d)))
            .collect();
        if !all {
            parts.push(format!("_ => {}", self.expr(ty, d)));
        }
        format!("(match {s} {{ {} }})", parts.join(", "))
    }
}

/// A string literal of printable ASCII.
pub(super) fn quote(t: &str) -> String {
    let mut out = String::from("\"");
    for c in t.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `Bytes` literal of any bytes: a string literal while they are ASCII (`\x..` escapes
/// outside printable ASCII), else `Bytes::from_hex` (a string literal is UTF-8 text).
pub(super) fn quote_bytes(b: &[u8]) -> String {
    if !b.is_ascii() {
        let hex: String = b.iter().map(|c| format!("{c:02x}")).collect();
        return format!("Bytes::from_hex(\"{hex}\")");
    }
    let mut out = String::from("\"");
    for &c in b {
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            0x20..0x7f => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}
