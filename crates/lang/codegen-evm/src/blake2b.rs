//! `blake2b256` on the EVM: BLAKE2b with a 32-byte digest, driven through the BLAKE2F
//! precompile (EIP-152, address 0x09), which runs the compression function F on one 128-byte
//! block. The message is fed block by block from a scratch buffer at the free pointer laid
//! out as the precompile's input: `rounds (4, big-endian) ‖ h (64) ‖ m (128) ‖ t (16,
//! little-endian) ‖ f (1)`; each call writes the new `h` back in place, and the digest is
//! the first 32 bytes of the final `h`.
//!
//! The expansion is IR (a loop, stores, a static call) emitted with the generator's own
//! locals and labels, so it follows the same stack discipline as user code.

use crate::emit::Gen;
use tandem_lang_ir::{BinOp, CallKind, Expr, LExpr, LStmt, Revert, Stmt, U256, UnOp};

/// BLAKE2b's initialisation vector (the SHA-512 IV), RFC 7693 §2.6.
const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// The initial state for an unkeyed 32-byte digest: h0 ^= 0x0101_0000 | keylen << 8 | 32,
/// serialised as the precompile takes it (eight little-endian words), in two 32-byte halves.
fn initial_state() -> (U256, U256) {
    let mut bytes = [0u8; 64];
    for (k, w) in IV.iter().enumerate() {
        let w = if k == 0 { w ^ 0x0101_0020 } else { *w };
        bytes[k * 8..k * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    (
        U256::from_be_slice(&bytes[..32]),
        U256::from_be_slice(&bytes[32..]),
    )
}

fn c(v: u64) -> Expr {
    Expr::c(v)
}

fn add(a: Expr, b: Expr) -> Expr {
    Expr::bin(BinOp::Add, a, b)
}

/// The low 8 bytes of `v` in little-endian order, at the top of a word.
fn le64(v: Expr) -> Expr {
    (0..8u64)
        .map(|k| {
            let byte = Expr::bin(
                BinOp::And,
                Expr::bin(BinOp::Shr, v.clone(), c(8 * k)),
                c(0xff),
            );
            Expr::bin(BinOp::Shl, byte, c(248 - 8 * k))
        })
        .reduce(|a, b| Expr::bin(BinOp::Or, a, b))
        .unwrap_or(c(0))
}

impl Gen<'_> {
    /// Pushes `blake2b256(memory[ptr .. ptr + len])`.
    pub(crate) fn blake2b256(&mut self, ptr: &Expr, len: &Expr) {
        let (p, n, b, off, rem, take) = (
            self.fresh_local(),
            self.fresh_local(),
            self.fresh_local(),
            self.fresh_local(),
            self.fresh_local(),
            self.fresh_local(),
        );
        let label = self.fresh_label();
        let l = Expr::Local;
        let at = |k: u64| add(l(b), c(k));
        // Without a heap, memory from 0x80 is free (word inputs sit in the scratch words).
        let buffer = if self.uses_heap {
            Expr::MLoad(Box::new(c(0x40)))
        } else {
            c(0x80)
        };
        let (h_a, h_b) = initial_state();
        let last = Expr::bin(BinOp::Lt, l(rem), c(129));
        let call = Expr::Lowered(LExpr::Call {
            kind: CallKind::StaticCall,
            gas: None,
            addr: Box::new(c(9)),
            value: Box::new(c(0)),
            args: Box::new(l(b)),
            args_len: Box::new(c(213)),
        });
        let block = vec![
            Stmt::Let(rem, Expr::bin(BinOp::Sub, l(n), l(off))),
            // This block's bytes: the rest, at most 128.
            Stmt::Let(
                take,
                Expr::Cond(Box::new(last.clone()), Box::new(l(rem)), Box::new(c(128))),
            ),
            // m: the next (at most) 128 bytes, zero-padded.
            Stmt::MStore(at(68), c(0)),
            Stmt::MStore(at(100), c(0)),
            Stmt::MStore(at(132), c(0)),
            Stmt::MStore(at(164), c(0)),
            Stmt::MCopy(at(68), add(l(p), l(off)), l(take)),
            Stmt::Set(off, add(l(off), l(take))),
            // t: the bytes fed so far; f: whether this is the last block.
            Stmt::MStore(at(196), le64(l(off))),
            Stmt::Lowered(LStmt::MStore8(at(212), last.clone())),
            Stmt::If(
                Expr::un(UnOp::IsZero, call),
                vec![Stmt::Revert(Revert::Empty)],
                vec![],
            ),
            Stmt::Lowered(LStmt::ReturnDataCopy(at(4), c(0), c(64))),
            Stmt::If(last, vec![Stmt::Break(label)], vec![]),
        ];
        let stmts = vec![
            Stmt::Let(p, ptr.clone()),
            Stmt::Let(n, len.clone()),
            Stmt::Let(b, buffer),
            // rounds = 12, as four big-endian bytes at the start.
            Stmt::MStore(l(b), Expr::Const(U256::from(12u8) << 224)),
            Stmt::MStore(at(4), Expr::Const(h_a)),
            Stmt::MStore(at(36), Expr::Const(h_b)),
            Stmt::Let(off, c(0)),
            Stmt::Loop {
                label,
                body: block,
                step: vec![],
            },
        ];
        self.expr(&Expr::Seq(stmts, Box::new(Expr::MLoad(Box::new(at(4))))));
    }
}
