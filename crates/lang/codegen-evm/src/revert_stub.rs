//! Shared encoders for custom-error reverts. An inline `revert E { a, b }` of word fields
//! stores the selector and each field and reverts where it stands (`3n + 12` bytes for `n`
//! fields). Here the fields are left on the stack and the code jumps to one encoder per
//! field count (`PUSH4 selector` then the jump: 9 bytes a site), or, for an error reverted
//! from three sites or more, to an entry that pushes its selector first (4 bytes a site).
//! A contract's sites are counted before its code is generated ([`plan`]) and each field
//! count uses the stubs only where they make the code smaller. Only the failing path pays
//! the jumps (about 20 gas).

use crate::asm::{Label, op};
use crate::emit::Gen;
use std::collections::HashMap;
use tandem_lang_ir::{Expr, LStmt, Stmt, ValTy};

/// How one error's reverts are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// `PUSH4 selector`, then a jump to the encoder for its field count.
    Shared,
    /// A jump to the error's own entry (which pushes the selector).
    Entry,
}

/// The most fields a shared encoder takes (as the scratch encoding of a revert).
const MAX_FIELDS: usize = 8;

/// Key: the error's selector and its number of (word) fields.
pub type ErrorKey = ([u8; 4], usize);

/// Counts the custom-error reverts of the given bodies and decides, per field count,
/// whether sharing encoders makes the code smaller; returns the errors that share.
pub fn plan<'a>(bodies: impl Iterator<Item = &'a [Stmt]>) -> HashMap<ErrorKey, Site> {
    let mut count: HashMap<ErrorKey, usize> = HashMap::new();
    for body in bodies {
        tandem_lang_ir::opt::util::visit_stmts(
            body,
            &mut |s| {
                if let Some(k) = key(s) {
                    *count.entry(k).or_default() += 1;
                }
            },
            &mut |_| {},
        );
    }
    let mut by_fields: HashMap<usize, Vec<(ErrorKey, usize)>> = HashMap::new();
    for (k, c) in count {
        by_fields.entry(k.1).or_default().push((k, c));
    }
    let mut out = HashMap::new();
    for (n, errors) in by_fields {
        let n3 = 3 * n;
        let inline: usize = errors.iter().map(|(_, c)| c * (n3 + 12)).sum();
        let site = |c: usize| if c >= 3 { Site::Entry } else { Site::Shared };
        let shared: usize = n3
            + 8
            + errors
                .iter()
                .map(|(_, c)| match site(*c) {
                    Site::Entry => 10 + 4 * c,
                    Site::Shared => 9 * c,
                })
                .sum::<usize>();
        if shared < inline {
            out.extend(errors.iter().map(|(k, c)| (*k, site(*c))));
        }
    }
    out
}

/// The error a statement reverts with, when it is one a shared encoder can take.
fn key(s: &Stmt) -> Option<ErrorKey> {
    match s {
        Stmt::Lowered(LStmt::RevertError { selector, args })
            if args.len() <= MAX_FIELDS
                && args.iter().all(|(_, t)| matches!(t, ValTy::Word(_))) =>
        {
            Some((*selector, args.len()))
        }
        _ => None,
    }
}

/// The labels of the shared encoders this code jumped to (emitted by [`Gen::error_stubs`]).
#[derive(Default)]
pub struct Stubs {
    pub plan: HashMap<ErrorKey, Site>,
    shared: HashMap<usize, Label>,
    entries: HashMap<ErrorKey, Label>,
}

impl Gen<'_> {
    /// `revert E { .. }`: through a shared encoder when the plan says so and the fields fit
    /// the reachable stack, else encoded where it stands.
    pub(crate) fn revert_error(&mut self, selector: [u8; 4], args: &[(Expr, ValTy)]) {
        let h = self.height;
        let site = key(&Stmt::Lowered(LStmt::RevertError {
            selector,
            args: args.to_vec(),
        }))
        .and_then(|k| self.errors.plan.get(&k).copied());
        if let Some(site) = site {
            let saved = (
                self.asm.items.len(),
                self.height,
                self.locals.clone(),
                self.error.clone(),
            );
            for (v, _) in args.iter().rev() {
                self.expr(v);
            }
            if self.error.is_none() || saved.3.is_some() {
                let n = args.len();
                let target = match site {
                    Site::Entry => self.entry_label(selector, n),
                    Site::Shared => {
                        self.push_u(u32::from_be_bytes(selector) as u64);
                        self.shared_label(n)
                    }
                };
                self.asm.jump(target);
                self.height = h;
                return;
            }
            // Too deep with every field on the stack: encode in place, one at a time.
            self.asm.items.truncate(saved.0);
            self.height = saved.1;
            self.locals = saved.2;
            self.error = saved.3;
        }
        self.encode_scratch(Some(selector), args, None);
        self.op(op::REVERT, 2, 0);
        self.height = h;
    }

    fn shared_label(&mut self, n: usize) -> Label {
        if let Some(l) = self.errors.shared.get(&n) {
            return *l;
        }
        let l = self.asm.label();
        self.errors.shared.insert(n, l);
        l
    }

    fn entry_label(&mut self, selector: [u8; 4], n: usize) -> Label {
        if let Some(l) = self.errors.entries.get(&(selector, n)) {
            return *l;
        }
        self.shared_label(n);
        let l = self.asm.label();
        self.errors.entries.insert((selector, n), l);
        l
    }

    /// The entries and shared encoders jumped to (once, with the other stubs). A shared
    /// encoder takes `[field n, …, field 1, selector]` (selector on top) and reverts with
    /// `selector ‖ field 1 ‖ … ‖ field n` from the scratch space at 0.
    pub(crate) fn error_stubs(&mut self) {
        let mut shared: Vec<(usize, Label)> =
            self.errors.shared.iter().map(|(n, l)| (*n, *l)).collect();
        shared.sort();
        for (n, l) in shared {
            // The entries of errors with `n` fields; the last falls through to the encoder.
            let mut entries: Vec<([u8; 4], Label)> = self
                .errors
                .entries
                .iter()
                .filter(|((_, m), _)| *m == n)
                .map(|((s, _), l)| (*s, *l))
                .collect();
            entries.sort();
            let last = entries.len().saturating_sub(1);
            for (i, (selector, entry)) in entries.into_iter().enumerate() {
                self.asm.place(entry);
                self.asm.push_u(u32::from_be_bytes(selector) as u64);
                if i < last {
                    self.asm.jump(l);
                }
            }
            self.asm.place(l);
            for k in 0..=n as u64 {
                self.asm.push_u(32 * k);
                self.asm.op(op::MSTORE);
            }
            self.asm.push_u(4 + 32 * n as u64);
            self.asm.push_u(28);
            self.asm.op(op::REVERT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_lang_ir::{Env, WordTy};

    const SEL: [u8; 4] = [0x64, 0xa0, 0xae, 0x92];

    fn revert(selector: [u8; 4], n: usize) -> Stmt {
        let word = ValTy::Word(WordTy::Address);
        Stmt::Lowered(LStmt::RevertError {
            selector,
            args: vec![(Expr::Env(Env::Caller), word); n],
        })
    }

    fn count(code: &[u8], pat: &[u8]) -> usize {
        code.windows(pat.len()).filter(|w| *w == pat).count()
    }

    /// Generates `body` under the plan its reverts give, with the stubs.
    fn generate(body: &[Stmt]) -> Vec<u8> {
        let mut g = Gen::new(false, &[]);
        g.errors.plan = plan(std::iter::once(body));
        for s in body {
            // Each revert on its own path, as after an `if`.
            let skip = g.asm.label();
            g.asm.op(op::CALLVALUE);
            g.asm.jumpi(skip);
            g.stmt(s);
            g.asm.place(skip);
        }
        g.asm.op(op::STOP);
        g.stubs();
        assert!(g.error.is_none(), "{:?}", g.error);
        g.asm.assemble()
    }

    /// An error reverted from four places is encoded once (its selector appears once) and
    /// the code is smaller than with the four encodings inline; one revert alone stays inline.
    #[test]
    fn repeated_errors_share_one_encoder() {
        let four: Vec<Stmt> = (0..4).map(|_| revert(SEL, 1)).collect();
        assert_eq!(
            plan(std::iter::once(&four[..])).get(&(SEL, 1)),
            Some(&Site::Entry)
        );
        let shared = generate(&four);
        assert_eq!(count(&shared, &SEL), 1, "{shared:02x?}");
        // Inline, each site would be its guard (6 bytes), the field (1) and the encoding
        // (15): 88 bytes in all.
        assert!(
            shared.len() < 4 * (6 + 1 + 15) - 16,
            "{} bytes",
            shared.len()
        );
        // One revert: inline, no stub.
        let one = [revert(SEL, 1)];
        assert!(plan(std::iter::once(&one[..])).is_empty());
        let code = generate(&one);
        assert_eq!(count(&code, &SEL), 1);
        assert_eq!(count(&code, &[op::REVERT]), 1);
    }

    /// Different errors with the same field count share the encoder through their
    /// selectors; each still reverts with its own selector and fields in order.
    #[test]
    fn errors_of_one_shape_share_the_encoder() {
        let other = [0x89, 0xc6, 0x2b, 0x64];
        let third = [0x5b, 0x08, 0xba, 0x18];
        let body = [revert(SEL, 2), revert(other, 2), revert(third, 2)];
        let p = plan(std::iter::once(&body[..]));
        assert_eq!(p.get(&(other, 2)), Some(&Site::Shared));
        let code = generate(&body);
        // One REVERT for the three: the encoder's.
        assert_eq!(count(&code, &[op::REVERT]), 1, "{code:02x?}");
        for s in [SEL, other, third] {
            assert_eq!(count(&code, &s), 1);
        }
        // The encoder stores the selector at 0 and the fields at 32 and 64, then reverts
        // with 68 bytes from 28.
        let encoder = [
            op::PUSH0,
            op::MSTORE,
            0x60,
            32,
            op::MSTORE,
            0x60,
            64,
            op::MSTORE,
            0x60,
            68,
            0x60,
            28,
            op::REVERT,
        ];
        assert_eq!(count(&code, &encoder), 1, "{code:02x?}");
    }
}
