//! Immutables (`Intrinsic::Immutable`/`SetImmutable`), as solc builds them: a read in the
//! runtime code is a `PUSH32` whose 32 bytes the constructor overwrites in its in-memory copy
//! of the runtime before returning it, so a read costs 3 gas.
//!
//! The runtime is generated with a generic placeholder per immutable (`GENERIC` prefix + `k`);
//! [`name_sites`] renames them to a placeholder of the contract's own (prefix from its name),
//! before its code is embedded anywhere, so a parent's scan never finds a child's sites (the
//! child's runtime sits inside the parent's as data): the child's init code a parent deploys
//! stays the bytes it was compiled to, so its hash (a CREATE2 address) does not depend on the
//! parent's immutables. [`patch`] finds the sites by that 33-byte pattern: a chance match
//! elsewhere would need 224 bits to line up.
//!
//! While `init` runs, immutable #k lives in transient storage at `ir::immutable_slot(k)`
//! (written by `SetImmutable`, read by a read after the write, the same in a function the
//! constructor calls); [`patch`] copies it into every site and clears the transient word.

use crate::asm::op;
use crate::emit::Gen;
use tandem_lang_ir::{Contract, Expr, U256, immutable_slot};

const PREFIX: usize = 28;

fn prefix(tag: &[u8]) -> [u8; PREFIX] {
    let h = alloy_primitives::keccak256(tag);
    let mut p = [0u8; PREFIX];
    p.copy_from_slice(&h[..PREFIX]);
    // A nonzero first byte keeps the push at 32 bytes.
    p[0] |= 0x80;
    p
}

fn placeholder(prefix: &[u8; PREFIX], k: u32) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[0] = op::PUSH0 + 32;
    out[1..1 + PREFIX].copy_from_slice(prefix);
    out[1 + PREFIX..].copy_from_slice(&k.to_be_bytes());
    out
}

fn generic() -> [u8; PREFIX] {
    prefix(b"tandem.immutable.site")
}

fn own(name: &str) -> [u8; PREFIX] {
    prefix(format!("tandem.immutable.site:{name}").as_bytes())
}

/// Offsets of `PUSH32` placeholders with this prefix in `code`, with their immutable.
fn sites(code: &[u8], prefix: &[u8; PREFIX]) -> Vec<(u32, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 33 <= code.len() {
        if code[i] == op::PUSH0 + 32 && code[i + 1..i + 1 + PREFIX] == prefix[..] {
            let mut k = [0u8; 4];
            k.copy_from_slice(&code[i + 1 + PREFIX..i + 33]);
            out.push((u32::from_be_bytes(k), i));
            i += 33;
        } else {
            i += 1;
        }
    }
    out
}

/// Renames the generic placeholders in a freshly generated runtime to the contract's own.
pub(crate) fn name_sites(mut code: Vec<u8>, name: &str) -> Vec<u8> {
    let own = own(name);
    for (k, at) in sites(&code, &generic()) {
        code[at..at + 33].copy_from_slice(&placeholder(&own, k));
    }
    code
}

/// In the constructor, with the runtime copied to memory 0 and its length on the stack:
/// writes each immutable over its sites, then clears its transient word.
pub(crate) fn patch(g: &mut Gen, c: &Contract, runtime: &[u8]) {
    let found = sites(runtime, &own(&c.name));
    let mut ks: Vec<u32> = found.iter().map(|(k, _)| *k).collect();
    ks.extend(written(&c.init.body));
    ks.sort_unstable();
    ks.dedup();
    for k in ks {
        let at: Vec<usize> = found
            .iter()
            .filter(|(j, _)| *j == k)
            .map(|(_, a)| *a)
            .collect();
        if !at.is_empty() {
            g.asm.push(immutable_slot(k));
            g.asm.op(op::TLOAD);
            for a in at {
                g.asm.op(op::DUP1);
                g.asm.push_u(a as u64 + 1);
                g.asm.op(op::MSTORE);
            }
            g.asm.op(op::POP);
        }
        g.asm.push_u(0);
        g.asm.push(immutable_slot(k));
        g.asm.op(op::TSTORE);
    }
}

/// The immutables `init`'s body writes.
fn written(body: &[tandem_lang_ir::Stmt]) -> Vec<u32> {
    let mut out = Vec::new();
    tandem_lang_ir::opt::util::visit_stmts(body, &mut |_| {}, &mut |e| {
        if let Expr::Intrinsic(tandem_lang_ir::Intrinsic::SetImmutable(k), _) = e {
            out.push(*k);
        }
    });
    out
}

impl Gen<'_> {
    /// A read: in the constructor, the transient word; elsewhere, a placeholder.
    pub(crate) fn immutable(&mut self, k: u32) {
        if self.in_init {
            self.push(immutable_slot(k));
            self.op(op::TLOAD, 1, 1);
        } else {
            let p = placeholder(&generic(), k);
            self.asm
                .items
                .push(crate::asm::Item::Literal(U256::from_be_slice(&p[1..])));
            self.height += 1;
        }
    }

    /// The constructor's write; the expression's value is 0.
    pub(crate) fn set_immutable(&mut self, k: u32, v: &Expr) {
        self.expr(v);
        self.push(immutable_slot(k));
        self.op(op::TSTORE, 2, 0);
        self.push_u(0);
    }
}
