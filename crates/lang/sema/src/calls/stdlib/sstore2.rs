//! `std::sstore2::{write, read, read_range}`: large values stored as the runtime code of a
//! data contract (the SSTORE2 pattern). `write` creates, with CREATE, a contract whose code is
//! a 0x00 byte (STOP: calling it does nothing) followed by the data, and returns its address;
//! `read` copies the code after that byte back with EXTCODECOPY. Writing costs the code
//! deposit (200 gas a byte) instead of 22,100 gas a storage word; reading costs an
//! EXTCODECOPY. EVM-only: `Intrinsic::CreateCode` and `CodeCopy` have no native syscall.

use crate::cx::{Cx, Typed};
use crate::types::Ty;
use tandem_lang_ir::{
    BinOp as IB, Expr as IrExpr, Intrinsic, Revert, Stmt as IrStmt, UnOp as IU, ValTy, WordTy,
};
use tandem_lang_syntax::ast::{Arg, Cap};
use tandem_lang_syntax::diag::Span;

/// The most data one pointer holds: EIP-170's 24,576-byte code limit less the 0x00 byte.
pub(crate) const MAX_DATA: u64 = 24_575;

impl Cx<'_, '_> {
    /// A call of `std::sstore2::{write, read, read_range}` (`f`).
    pub(super) fn sstore2_call(&mut self, f: &str, args: &[Arg], span: Span) -> Typed {
        match f {
            "write" => {
                self.require(Cap::MutCtx, span, "`std::sstore2::write`");
                if args.len() != 1 {
                    return self.arity(span, 1);
                }
                let data = self.value_of_pub(&args[0].value, &Ty::Bytes);
                let data = self.spill(data);
                self.sstore2_write(data)
            }
            _ => {
                self.require(Cap::Ctx, span, &format!("`std::sstore2::{f}`"));
                let want = if f == "read" { 1 } else { 3 };
                if args.len() != want {
                    return self.arity(span, want);
                }
                let ptr = self.value_of_pub(&args[0].value, &Ty::Address);
                let ptr = self.spill(ptr);
                let mut range = Vec::new();
                for a in &args[1..] {
                    let v = self.value_of_pub(&a.value, &Ty::U256);
                    range.push(self.spill(v));
                }
                self.sstore2_read(ptr, range.first().cloned(), range.get(1).cloned())
            }
        }
    }

    /// Deploys `0x00 ‖ data` (the `Bytes` at `data`) and yields the new contract's address.
    fn sstore2_write(&mut self, data: IrExpr) -> Typed {
        let n = self.spill(IrExpr::MLoad(Box::new(data.clone())));
        self.emit(IrStmt::If(
            IrExpr::bin(IB::Gt, n.clone(), IrExpr::c(MAX_DATA)),
            vec![IrStmt::Revert(Revert::Error {
                name: "SStore2TooLarge".into(),
                args: vec![(n.clone(), ValTy::Word(WordTy::Uint(256)))],
            })],
            vec![],
        ));
        let code = self.packed_buffer(IrExpr::plus(n.clone(), IrExpr::c(1)));
        // The first word holds the 0x00 byte; the data follows it, then zeros to the word.
        self.emit(IrStmt::MStore(
            IrExpr::plus(code.clone(), IrExpr::c(32)),
            IrExpr::c(0),
        ));
        let at = IrExpr::plus(code.clone(), IrExpr::c(33));
        let src = IrExpr::plus(data, IrExpr::c(32));
        self.emit(IrStmt::MCopy(at.clone(), src, n.clone()));
        self.emit(IrStmt::MStore(IrExpr::plus(at, n), IrExpr::c(0)));
        let ptr = IrExpr::Intrinsic(Intrinsic::CreateCode, vec![IrExpr::c(0), code]);
        let ptr = self.spill(ptr);
        self.emit(IrStmt::If(
            IrExpr::un(IU::IsZero, ptr.clone()),
            vec![IrStmt::Revert(Revert::Error {
                name: "SStore2WriteFailed".into(),
                args: vec![],
            })],
            vec![],
        ));
        Typed::value(ptr, Ty::Address)
    }

    /// The data at `ptr` (the code after its first byte), or bytes `start..end` of it.
    fn sstore2_read(&mut self, ptr: IrExpr, start: Option<IrExpr>, end: Option<IrExpr>) -> Typed {
        let size = self.spill(IrExpr::Intrinsic(Intrinsic::CodeSize, vec![ptr.clone()]));
        self.emit(IrStmt::If(
            IrExpr::un(IU::IsZero, size.clone()),
            vec![IrStmt::Revert(Revert::Error {
                name: "SStore2NoData".into(),
                args: vec![(ptr.clone(), ValTy::Word(WordTy::Address))],
            })],
            vec![],
        ));
        let data_len = IrExpr::bin(IB::Sub, size, IrExpr::c(1));
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => {
                let bad = IrExpr::bin(
                    IB::Or,
                    IrExpr::bin(IB::Gt, s.clone(), e.clone()),
                    IrExpr::bin(IB::Gt, e.clone(), data_len),
                );
                self.emit(IrStmt::If(
                    bad,
                    vec![IrStmt::Revert(Revert::Error {
                        name: "SStore2OutOfBounds".into(),
                        args: vec![],
                    })],
                    vec![],
                ));
                (s, e)
            }
            _ => (IrExpr::c(0), self.spill(data_len)),
        };
        let len = self.spill(IrExpr::bin(IB::Sub, end.clone(), start.clone()));
        // Room for `start` bytes before the result (whole words, so it stays aligned): the
        // copy of the code's first `end + 1` bytes lands with byte `start + 1` at the data,
        // and what lands before it (inside the pad and the length word) is overwritten.
        let pad = self.spill(super::round_up(start.clone()));
        let base = self.alloc(IrExpr::plus(
            IrExpr::plus(pad.clone(), super::round_up(len.clone())),
            IrExpr::c(64),
        ));
        let out = self.spill(IrExpr::plus(base, pad));
        let dst = IrExpr::bin(IB::Sub, IrExpr::plus(out.clone(), IrExpr::c(31)), start);
        let copied = IrExpr::plus(end, IrExpr::c(1));
        self.emit(IrStmt::Expr(IrExpr::Intrinsic(
            Intrinsic::CodeCopy,
            vec![ptr, dst, copied],
        )));
        self.emit(IrStmt::MStore(out.clone(), len.clone()));
        self.emit(IrStmt::MStore(
            IrExpr::plus(IrExpr::plus(out.clone(), IrExpr::c(32)), len),
            IrExpr::c(0),
        ));
        Typed::value(out, Ty::Bytes)
    }
}
