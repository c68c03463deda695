//! `Bytes` and `String` in storage, in Solidity's layout (so existing tools read them):
//! up to 31 bytes share the slot with `2·len` in its lowest byte; longer ones keep `2·len + 1`
//! in the slot and the data from `keccak256(slot)`, a word per slot. Reads copy into fresh
//! memory; writes clean the tail of the last word and delete data words the new value no
//! longer uses, as solc does.

use crate::cx::Cx;
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, Stmt as IrStmt, U256, UnOp as IU};

fn bin(op: IB, a: IrExpr, b: IrExpr) -> IrExpr {
    IrExpr::bin(op, a, b)
}

fn c(v: u64) -> IrExpr {
    IrExpr::c(v)
}

/// Words of data for `len` bytes: `(len + 31) / 32`.
fn words(len: IrExpr) -> IrExpr {
    bin(IB::Shr, bin(IB::Add, len, c(31)), c(5))
}

/// Keeps the first `n` bytes of a word (all of it when n ≥ 32): `w & ~(MAX >> 8n)`.
fn first_bytes(w: IrExpr, n: IrExpr) -> IrExpr {
    let tail = bin(IB::Shr, IrExpr::Const(U256::MAX), bin(IB::Mul, n, c(8)));
    bin(IB::And, w, IrExpr::un(IU::Not, tail))
}

impl Cx<'_, '_> {
    /// `for i in from..to { body(i) }` over IR words, with a fresh counter.
    pub(crate) fn word_loop(
        &mut self,
        from: IrExpr,
        to: IrExpr,
        body: impl FnOnce(IrExpr) -> Vec<IrStmt>,
    ) {
        let i = self.local();
        let label = self.label();
        self.emit(IrStmt::Let(i, from));
        let done = IrStmt::If(
            IrExpr::un(IU::IsZero, bin(IB::Lt, IrExpr::Local(i), to)),
            vec![IrStmt::Break(label)],
            vec![],
        );
        let mut stmts = vec![done];
        stmts.extend(body(IrExpr::Local(i)));
        self.emit(IrStmt::Loop {
            label,
            body: stmts,
            step: vec![IrStmt::Set(i, bin(IB::Add, IrExpr::Local(i), c(1)))],
        });
    }

    /// Reads the value at `slot` into fresh memory (a length word, then the data).
    pub(crate) fn read_storage_bytes(&mut self, slot: IrExpr) -> IrExpr {
        let slot = self.spill(slot);
        let w = self.spill(IrExpr::SLoad(Box::new(slot.clone())));
        let long = bin(IB::And, w.clone(), c(1));
        // Long: (w - 1) / 2 = w >> 1; short: (w & 0xff) >> 1.
        let len = self.spill(IrExpr::Cond(
            Box::new(long.clone()),
            Box::new(bin(IB::Shr, w.clone(), c(1))),
            Box::new(bin(IB::Shr, bin(IB::And, w.clone(), c(0xff)), c(1))),
        ));
        let n = self.spill(words(len.clone()));
        let size = bin(IB::Add, c(32), bin(IB::Shl, n.clone(), c(5)));
        let p = self.alloc(size);
        self.emit(IrStmt::MStore(p.clone(), len));
        let saved = std::mem::take(&mut self.out);
        let base = self.spill(IrExpr::DataSlot(Box::new(slot)));
        let pp = p.clone();
        self.word_loop(c(0), n, |i| {
            vec![IrStmt::MStore(
                bin(
                    IB::Add,
                    bin(IB::Add, pp, c(32)),
                    bin(IB::Shl, i.clone(), c(5)),
                ),
                IrExpr::SLoad(Box::new(bin(IB::Add, base, i))),
            )]
        });
        let long_arm = std::mem::replace(&mut self.out, saved);
        let short_arm = vec![IrStmt::MStore(
            bin(IB::Add, p.clone(), c(32)),
            bin(IB::And, w, IrExpr::un(IU::Not, c(0xff))),
        )];
        self.emit(IrStmt::If(long, long_arm, short_arm));
        p
    }

    /// Writes the value at memory `v` (a length word, then the data) to `slot`.
    pub(crate) fn write_storage_bytes(&mut self, slot: IrExpr, v: IrExpr) {
        let slot = self.spill(slot);
        let p = self.spill(v);
        let len = self.spill(IrExpr::MLoad(Box::new(p.clone())));
        let old = self.spill(IrExpr::SLoad(Box::new(slot.clone())));
        let short = bin(IB::Lt, len.clone(), c(32));
        let base = self.spill(IrExpr::DataSlot(Box::new(slot.clone())));

        // Delete the old data words past the new data (all of them if the new one is short).
        let saved = std::mem::take(&mut self.out);
        let kept = IrExpr::Cond(
            Box::new(short.clone()),
            Box::new(c(0)),
            Box::new(words(len.clone())),
        );
        let old_words = words(bin(IB::Shr, old.clone(), c(1)));
        let b = base.clone();
        self.word_loop(kept, old_words, |i| {
            vec![IrStmt::SStore(bin(IB::Add, b, i), c(0))]
        });
        let clear = std::mem::replace(&mut self.out, saved);
        self.emit(IrStmt::If(bin(IB::And, old, c(1)), clear, vec![]));

        // Short: data and 2·len in the slot.
        let data = first_bytes(
            IrExpr::MLoad(Box::new(bin(IB::Add, p.clone(), c(32)))),
            len.clone(),
        );
        let short_arm = vec![IrStmt::SStore(
            slot.clone(),
            bin(IB::Or, data, bin(IB::Shl, len.clone(), c(1))),
        )];
        // Long: 2·len + 1 in the slot, the words from keccak256(slot), the last one cleaned.
        let saved = std::mem::take(&mut self.out);
        self.emit(IrStmt::SStore(
            slot,
            bin(IB::Add, bin(IB::Shl, len.clone(), c(1)), c(1)),
        ));
        let (pp, l2) = (p.clone(), len.clone());
        self.word_loop(c(0), words(len), |i| {
            let at = bin(
                IB::Add,
                bin(IB::Add, pp, c(32)),
                bin(IB::Shl, i.clone(), c(5)),
            );
            let left = bin(IB::Sub, l2, bin(IB::Shl, i.clone(), c(5)));
            vec![IrStmt::SStore(
                bin(IB::Add, base, i),
                first_bytes(IrExpr::MLoad(Box::new(at)), left),
            )]
        });
        let long_arm = std::mem::replace(&mut self.out, saved);
        self.emit(IrStmt::If(short, short_arm, long_arm));
    }
}
