//! Element checks for decoded vectors: a `Vec` of narrow words (`u8`, `bool`, `Address`,
//! `i64`, `bytes4`, …) copied from calldata or constructor arguments is valid only if every
//! element is clean for its type, as Solidity's decoder requires; a dirty one reverts.

use crate::emit::Gen;
use tandem_lang_ir::{BinOp, Expr, Revert, Stmt, UnOp, WordTy};

/// Whether `v` is not a clean value of `w` (nonzero means dirty); None if every word is.
pub(crate) fn dirty(v: Expr, w: WordTy) -> Option<Expr> {
    Some(match w {
        WordTy::Uint(256) | WordTy::Int(256) | WordTy::FixedBytes(32) => return None,
        WordTy::Uint(b) => Expr::bin(BinOp::Shr, v, Expr::c(b as u64)),
        WordTy::Int(b) => Expr::un(
            UnOp::IsZero,
            Expr::bin(
                BinOp::Eq,
                Expr::bin(BinOp::SignExtend, v.clone(), Expr::c(b as u64 / 8 - 1)),
                v,
            ),
        ),
        WordTy::Address => Expr::bin(BinOp::Shr, v, Expr::c(160)),
        WordTy::Bool => Expr::bin(BinOp::Gt, v, Expr::c(1)),
        WordTy::FixedBytes(n) => Expr::bin(BinOp::Shl, v, Expr::c(n as u64 * 8)),
    })
}

impl Gen<'_> {
    /// With a vector's pointer on top of the stack (left there), reverts unless each of its
    /// elements is a clean `w`.
    pub(crate) fn validate_elements(&mut self, w: WordTy) {
        if dirty(Expr::c(0), w).is_none() {
            return;
        }
        let p = self.temp();
        let (i, v) = (self.fresh_local(), self.fresh_local());
        let (block, lp) = (self.fresh_label(), self.fresh_label());
        let l = Expr::Local;
        let element = Expr::bin(
            BinOp::Add,
            Expr::bin(BinOp::Add, l(p), Expr::c(32)),
            Expr::bin(BinOp::Shl, l(i), Expr::c(5)),
        );
        let Some(bad) = dirty(l(v), w) else { return };
        let body = vec![
            Stmt::If(
                Expr::un(
                    UnOp::IsZero,
                    Expr::bin(BinOp::Lt, l(i), Expr::MLoad(Box::new(l(p)))),
                ),
                vec![Stmt::Break(lp)],
                vec![],
            ),
            Stmt::Let(v, Expr::MLoad(Box::new(element))),
            Stmt::If(bad, vec![Stmt::Revert(Revert::Empty)], vec![]),
        ];
        self.stmt(&Stmt::Block(
            block,
            vec![
                Stmt::Let(i, Expr::c(0)),
                Stmt::Loop {
                    label: lp,
                    body,
                    step: vec![Stmt::Set(i, Expr::bin(BinOp::Add, l(i), Expr::c(1)))],
                },
            ],
        ));
        self.locals.remove(&p);
    }
}
