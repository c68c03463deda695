//! Exhaustiveness of `match`, nested patterns included: `Some(Some(x))`, `Some(None)` and
//! `None` cover an `Option<Option<T>>`; `(true, _)` and `(false, _)` cover `(bool, u8)`.
//!
//! The usefulness check over a pattern matrix: a match is exhaustive when a row of
//! wildcards is not useful after its arms. When it is, the search yields a witness, a value
//! no arm matches, which the error names (`Some(None)` not covered).

use crate::cx::Cx;
use crate::items::AdtKind;
use crate::lints::warning;
use crate::types::Ty;
use tandem_lang_syntax::ast::{ExprKind, MatchArm, Pattern, PatternFields};
use tandem_lang_syntax::diag::{Diagnostic, Span};

/// A pattern reduced to what coverage needs.
#[derive(Clone, Debug)]
enum Pat {
    Wild,
    /// Constructor `i` of the column's type with its sub-patterns.
    Ctor(usize, Vec<Pat>),
    /// A literal of a type with unboundedly many values: covers only itself (the key says
    /// which value, so `1 | 1` is seen to repeat).
    Lit(String),
    /// `A | B`: covers what any alternative covers.
    Or(Vec<Pat>),
}

/// Rows whose first pattern is an `Or`, as one row per alternative.
fn expand_or(rows: &[Vec<Pat>]) -> Vec<Vec<Pat>> {
    let mut out = Vec::new();
    for r in rows {
        match r.first() {
            Some(Pat::Or(alts)) => {
                let split: Vec<Vec<Pat>> = alts
                    .iter()
                    .map(|a| {
                        std::iter::once(a.clone())
                            .chain(r[1..].iter().cloned())
                            .collect()
                    })
                    .collect();
                out.extend(expand_or(&split));
            }
            _ => out.push(r.clone()),
        }
    }
    out
}

/// The rows for constructor `i` with `n` fields: its fields then the other columns (a
/// wildcard row stands for `n` wildcards; other constructors and literals drop out).
fn specialize(rows: &[Vec<Pat>], i: usize, n: usize) -> Vec<Vec<Pat>> {
    rows.iter()
        .filter_map(|r| {
            let subs = match &r[0] {
                Pat::Ctor(j, subs) if *j == i => subs.clone(),
                Pat::Wild => vec![Pat::Wild; n],
                _ => return None,
            };
            Some(subs.into_iter().chain(r[1..].iter().cloned()).collect())
        })
        .collect()
}

/// A literal's value as a key: `0x10` and `16` are one value.
fn literal_key(e: &tandem_lang_syntax::ast::Expr) -> String {
    match &e.kind {
        ExprKind::Int(d, r) => {
            let digits = d.replace('_', "");
            match tandem_lang_ir::U256::from_str_radix(&digits, u64::from(*r)) {
                Ok(v) => format!("int {v}"),
                Err(_) => format!("int {r}:{d}"),
            }
        }
        ExprKind::Str(s) => format!("str {s:?}"),
        other => format!("{other:?}"),
    }
}

/// One constructor of a type: how it is written and its fields' types.
struct Ctor {
    name: String,
    fields: Vec<(String, Ty)>,
    named: bool,
}

impl Cx<'_, '_> {
    /// E0393 when some value of `ty` matches no arm.
    pub(crate) fn check_exhaustive(&mut self, arms: &[MatchArm], ty: &Ty, span: Span) {
        if *ty == Ty::Error {
            return;
        }
        let rows: Vec<Vec<Pat>> = arms
            .iter()
            .map(|a| vec![self.reduce(&a.pattern, ty)])
            .collect();
        self.unreachable_alternatives(arms, &rows, ty);
        let Some(w) = self.useful(&rows, std::slice::from_ref(ty), 0) else {
            return;
        };
        let missing = w.into_iter().next().unwrap_or_else(|| "_".into());
        let help = if missing == "_" {
            "add a `_ =>` arm".to_string()
        } else {
            format!("add an arm for `{missing}`, or a `_ =>` arm")
        };
        self.err(
            Diagnostic::error(
                "E0393",
                format!("non-exhaustive patterns: `{missing}` not covered"),
                span,
                format!("`{missing}` not covered"),
            )
            .with_help(help),
        );
    }

    /// A value of `ty` that `p` does not match, rendered as a pattern; `None` when `p` is
    /// irrefutable over `ty` (so `let p = ..` needs no `else`).
    pub(crate) fn refutable_witness(&mut self, p: &Pattern, ty: &Ty) -> Option<String> {
        if *ty == Ty::Error {
            return None;
        }
        let rows = vec![vec![self.reduce(p, ty)]];
        let w = self.useful(&rows, std::slice::from_ref(ty), 0)?;
        Some(w.into_iter().next().unwrap_or_else(|| "_".into()))
    }

    /// W0004 for each alternative of an arm's `A | B` that no value reaches (the earlier
    /// arms and alternatives match all it could); W0002 when that is every alternative.
    fn unreachable_alternatives(&mut self, arms: &[MatchArm], rows: &[Vec<Pat>], ty: &Ty) {
        let tys = std::slice::from_ref(ty);
        for (k, (arm, row)) in arms.iter().zip(rows).enumerate() {
            let (Pattern::Or(alts, _), Pat::Or(pats)) = (&arm.pattern, &row[0]) else {
                continue;
            };
            let mut seen: Vec<Vec<Pat>> = rows[..k].to_vec();
            let mut dead = Vec::new();
            for (a, p) in alts.iter().zip(pats) {
                if !self.is_useful(&seen, std::slice::from_ref(p), tys, 0) {
                    dead.push(a.span());
                }
                seen.push(vec![p.clone()]);
            }
            if dead.len() == alts.len() {
                self.err(
                    warning(
                        "W0002",
                        "unreachable match arm".into(),
                        arm.pattern.span(),
                        "no value reaches this arm",
                    )
                    .with_help("earlier arms match every value it could"),
                );
                continue;
            }
            for span in dead {
                self.err(
                    warning(
                        "W0004",
                        "unreachable pattern alternative".into(),
                        span,
                        "no value reaches this alternative",
                    )
                    .with_help(
                        "an earlier arm or alternative matches every value it could; remove it",
                    ),
                );
            }
        }
    }

    /// Whether some value matches the row `q` (of types `tys`) and no row of `rows`: the
    /// usefulness check, for a row that need not be all wildcards.
    fn is_useful(&mut self, rows: &[Vec<Pat>], q: &[Pat], tys: &[Ty], depth: u32) -> bool {
        let (Some((ty, rest)), Some((head, q_rest))) = (tys.split_first(), q.split_first()) else {
            return rows.is_empty();
        };
        if depth > 64 {
            // Too deep to tell: call it reachable (no warning) rather than loop.
            return true;
        }
        let rows = &expand_or(rows);
        let with = |first: Vec<Pat>| -> Vec<Pat> {
            first.into_iter().chain(q_rest.iter().cloned()).collect()
        };
        let ctors = self.ctors(ty);
        match head {
            Pat::Or(alts) => alts
                .iter()
                .any(|a| self.is_useful(rows, &with(vec![a.clone()]), tys, depth + 1)),
            Pat::Ctor(i, subs) if ctors.as_ref().is_some_and(|cs| *i < cs.len()) => {
                let fields = ctors.map(|cs| cs[*i].fields.clone()).unwrap_or_default();
                let spec = specialize(rows, *i, subs.len());
                let sub_tys: Vec<Ty> = fields
                    .into_iter()
                    .map(|(_, t)| t)
                    .chain(rest.iter().cloned())
                    .collect();
                self.is_useful(&spec, &with(subs.clone()), &sub_tys, depth + 1)
            }
            Pat::Lit(key) => {
                let spec: Vec<Vec<Pat>> = rows
                    .iter()
                    .filter(|r| {
                        matches!(&r[0], Pat::Wild) || matches!(&r[0], Pat::Lit(k) if k == key)
                    })
                    .map(|r| r[1..].to_vec())
                    .collect();
                self.is_useful(&spec, q_rest, rest, depth + 1)
            }
            _ => {
                let heads: Vec<usize> = rows
                    .iter()
                    .filter_map(|r| match &r[0] {
                        Pat::Ctor(i, _) => Some(*i),
                        _ => None,
                    })
                    .collect();
                match ctors {
                    Some(cs) if (0..cs.len()).all(|i| heads.contains(&i)) => {
                        cs.iter().enumerate().any(|(i, c)| {
                            let n = c.fields.len();
                            let sub_tys: Vec<Ty> = c
                                .fields
                                .iter()
                                .map(|(_, t)| t.clone())
                                .chain(rest.iter().cloned())
                                .collect();
                            let spec = specialize(rows, i, n);
                            self.is_useful(&spec, &with(vec![Pat::Wild; n]), &sub_tys, depth + 1)
                        })
                    }
                    _ => {
                        let default: Vec<Vec<Pat>> = rows
                            .iter()
                            .filter(|r| matches!(r[0], Pat::Wild))
                            .map(|r| r[1..].to_vec())
                            .collect();
                        self.is_useful(&default, q_rest, rest, depth + 1)
                    }
                }
            }
        }
    }

    /// The constructors of a type with finitely many shapes, None for the others.
    fn ctors(&mut self, ty: &Ty) -> Option<Vec<Ctor>> {
        let c = |name: &str, fields: Vec<(String, Ty)>| Ctor {
            name: name.into(),
            fields,
            named: false,
        };
        Some(match ty {
            Ty::Bool => vec![c("false", vec![]), c("true", vec![])],
            Ty::Option(t) => vec![
                c("None", vec![]),
                c("Some", vec![("0".into(), (**t).clone())]),
            ],
            Ty::Result(t, e) => vec![
                c("Err", vec![("0".into(), (**e).clone())]),
                c("Ok", vec![("0".into(), (**t).clone())]),
            ],
            Ty::Tuple(ts) => vec![c(
                "",
                ts.iter()
                    .enumerate()
                    .map(|(i, t)| (i.to_string(), t.clone()))
                    .collect(),
            )],
            Ty::Adt(id, args) if matches!(self.p.adts[*id].kind, AdtKind::Enum(_)) => {
                let owner = self.p.adts[*id].name.clone();
                self.enum_variants(*id, args)
                    .into_iter()
                    .map(|(n, fields)| Ctor {
                        name: format!("{owner}::{n}"),
                        named: fields
                            .first()
                            .is_some_and(|(f, _)| f.parse::<usize>().is_err()),
                        fields,
                    })
                    .collect()
            }
            _ => return None,
        })
    }

    fn reduce(&mut self, p: &Pattern, ty: &Ty) -> Pat {
        match p {
            Pattern::Wildcard(_) | Pattern::Bind { .. } => Pat::Wild,
            Pattern::Literal(e) => match (&e.kind, ty) {
                (ExprKind::Bool(b), Ty::Bool) => Pat::Ctor(*b as usize, vec![]),
                _ => Pat::Lit(literal_key(e)),
            },
            Pattern::Or(alts, _) => Pat::Or(alts.iter().map(|a| self.reduce(a, ty)).collect()),
            Pattern::Tuple(ps, _) => match ty {
                Ty::Tuple(ts) if ts.len() == ps.len() => Pat::Ctor(
                    0,
                    ps.iter().zip(ts).map(|(p, t)| self.reduce(p, t)).collect(),
                ),
                // Reported by the pattern's own check.
                _ => Pat::Wild,
            },
            Pattern::Variant { path, fields, .. } => {
                let Some(ctors) = self.ctors(ty) else {
                    return Pat::Wild;
                };
                let last = &path.last().name;
                let Some(i) = ctors
                    .iter()
                    .position(|c| c.name.rsplit("::").next() == Some(last.as_str()))
                else {
                    return Pat::Wild;
                };
                let decl = &ctors[i].fields;
                let mut subs = vec![Pat::Wild; decl.len()];
                match fields {
                    PatternFields::Unit => {}
                    PatternFields::Tuple(ps) => {
                        for (k, p) in ps.iter().enumerate().take(decl.len()) {
                            subs[k] = self.reduce(p, &decl[k].1);
                        }
                    }
                    PatternFields::Named(fs) => {
                        for (n, p) in fs {
                            if let Some(k) = decl.iter().position(|(f, _)| *f == n.name) {
                                subs[k] = self.reduce(p, &decl[k].1);
                            }
                        }
                    }
                }
                Pat::Ctor(i, subs)
            }
        }
    }

    /// Whether a row of wildcards of types `tys` matches a value no row of `rows` matches;
    /// if so, such a value, one rendered pattern per column.
    fn useful(&mut self, rows: &[Vec<Pat>], tys: &[Ty], depth: u32) -> Option<Vec<String>> {
        let Some((ty, rest)) = tys.split_first() else {
            return rows.is_empty().then(Vec::new);
        };
        if depth > 64 {
            // Deeper than any type the checker accepts: call it covered rather than loop.
            return None;
        }
        let rows = &expand_or(rows);
        let ctors = self.ctors(ty);
        let heads: Vec<usize> = rows
            .iter()
            .filter_map(|r| match &r[0] {
                Pat::Ctor(i, _) => Some(*i),
                _ => None,
            })
            .collect();
        if let Some(cs) = &ctors
            && (0..cs.len()).all(|i| heads.contains(&i))
        {
            for (i, c) in cs.iter().enumerate() {
                let n = c.fields.len();
                let spec = specialize(rows, i, n);
                let sub_tys: Vec<Ty> = c
                    .fields
                    .iter()
                    .map(|(_, t)| t.clone())
                    .chain(rest.iter().cloned())
                    .collect();
                if let Some(w) = self.useful(&spec, &sub_tys, depth + 1) {
                    let (mine, others) = w.split_at(n.min(w.len()));
                    let mut out = vec![Self::render(c, mine)];
                    out.extend(others.iter().cloned());
                    return Some(out);
                }
            }
            return None;
        }
        let default: Vec<Vec<Pat>> = rows
            .iter()
            .filter(|r| matches!(r[0], Pat::Wild))
            .map(|r| r[1..].to_vec())
            .collect();
        let w = self.useful(&default, rest, depth + 1)?;
        let head = match &ctors {
            Some(cs) => match (0..cs.len()).find(|i| !heads.contains(i)) {
                Some(i) => {
                    let wild = vec!["_".to_string(); cs[i].fields.len()];
                    Self::render(&cs[i], &wild)
                }
                None => "_".into(),
            },
            None => "_".into(),
        };
        let mut out = vec![head];
        out.extend(w);
        Some(out)
    }

    fn render(c: &Ctor, subs: &[String]) -> String {
        if c.name.is_empty() {
            return format!("({})", subs.join(", "));
        }
        if c.fields.is_empty() {
            return c.name.clone();
        }
        if c.named {
            let fs: Vec<String> = c
                .fields
                .iter()
                .zip(subs)
                .map(|((n, _), s)| format!("{n}: {s}"))
                .collect();
            return format!("{} {{ {} }}", c.name, fs.join(", "));
        }
        format!("{}({})", c.name, subs.join(", "))
    }
}
