//! Enums with payloads in storage (the language's tagged unions): storage fields of such
//! enums, written with a variant (or copied from another field of the same enum), and read by
//! a `match` whose arms bind the payload and may use it. They cross no ABI, so they show up in
//! the comparison only through what the matches compute and through the raw storage slots,
//! which the two builds must lay out alike (a tag word, then the variant's fields).

use rand::Rng;
use rand::rngs::StdRng;

use super::body::{Gen, Var};
use super::ty::{Defs, Ty, word_ty};

/// A payload enum: the payload types of each variant (empty: a unit variant).
pub type Union = Vec<Vec<Ty>>;

/// One to three variants, each with up to three fields: words, sometimes a `String`.
pub(super) fn union(rng: &mut StdRng, defs: &Defs) -> Union {
    (0..rng.random_range(1..4))
        .map(|_| {
            (0..rng.random_range(0..4))
                .map(|_| {
                    if rng.random_bool(0.1) {
                        Ty::Str
                    } else {
                        word_ty(rng, defs)
                    }
                })
                .collect()
        })
        .collect()
}

/// `enum Dn{i} { W0(..), W1, .. }`.
pub(super) fn declare(i: usize, u: &Union) -> String {
    let vs: Vec<String> = u
        .iter()
        .enumerate()
        .map(|(k, fs)| {
            if fs.is_empty() {
                format!("W{k}")
            } else {
                let ts: Vec<String> = fs.iter().map(|t| t.name()).collect();
                format!("W{k}({})", ts.join(", "))
            }
        })
        .collect();
    format!("enum Dn{i} {{ {} }}\n", vs.join(", "))
}

impl Gen<'_> {
    /// `storage.u{j} = ..`: a variant built from expressions, or another union field of the
    /// same enum.
    pub(super) fn union_store(&mut self, depth: usize) {
        let j = self.rng.random_range(0..self.unions.len());
        let e = self.unions[j];
        let same: Vec<usize> = (0..self.unions.len())
            .filter(|k| *k != j && self.unions[*k] == e)
            .collect();
        let value = if !same.is_empty() && self.rng.random_bool(0.3) {
            format!("storage.u{}", same[self.rng.random_range(0..same.len())])
        } else {
            self.union_value(e, depth)
        };
        self.line(&format!("storage.u{j} = {value}"));
    }

    fn union_value(&mut self, e: u8, depth: usize) -> String {
        let variants = self.defs.unions[e as usize].clone();
        let k = self.rng.random_range(0..variants.len());
        if variants[k].is_empty() {
            return format!("Dn{e}::W{k}");
        }
        let args: Vec<String> = variants[k].iter().map(|t| self.texpr(*t, depth)).collect();
        format!("Dn{e}::W{k}({})", args.join(", "))
    }

    /// A `match` on a union field with a result of type `ty`: each arm binds its payload, and
    /// an arm's value is one of its bindings when one has the type.
    pub(super) fn union_match(&mut self, ty: Ty, depth: usize) -> String {
        let j = self.rng.random_range(0..self.unions.len());
        let e = self.unions[j];
        let variants = self.defs.unions[e as usize].clone();
        let mut arms = Vec::new();
        for (k, fs) in variants.iter().enumerate() {
            let names: Vec<String> = fs.iter().map(|_| self.fresh("b")).collect();
            self.scopes.push(
                names
                    .iter()
                    .zip(fs)
                    .map(|(name, t)| Var {
                        name: name.clone(),
                        ty: *t,
                        mutable: false,
                        len: 0,
                    })
                    .collect(),
            );
            let own: Vec<&String> = names
                .iter()
                .zip(fs)
                .filter(|(_, t)| **t == ty)
                .map(|(n, _)| n)
                .collect();
            let value = if !own.is_empty() && self.rng.random_bool(0.7) {
                own[self.rng.random_range(0..own.len())].clone()
            } else {
                // typed (no bare literal): the first arm gives the match its type
                self.raw_ok = false;
                self.expr(ty, depth)
            };
            self.scopes.pop();
            let pattern = if fs.is_empty() {
                format!("Dn{e}::W{k}")
            } else {
                let bound: Vec<String> = names
                    .iter()
                    .map(|n| {
                        if value.contains(n.as_str()) {
                            n.clone()
                        } else {
                            "_".into()
                        }
                    })
                    .collect();
                format!("Dn{e}::W{k}({})", bound.join(", "))
            };
            arms.push(format!("{pattern} => {value}"));
        }
        format!("(match storage.u{j} {{ {} }})", arms.join(", "))
    }
}

/// The union fields of a program: 0 to 3, each of one of the program's unions.
pub(super) fn fields(rng: &mut StdRng, defs: &Defs) -> Vec<u8> {
    if defs.unions.is_empty() {
        return Vec::new();
    }
    (0..rng.random_range(0..4))
        .map(|_| rng.random_range(0..defs.unions.len()) as u8)
        .collect()
}
