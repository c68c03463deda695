//! `b.push(byte)` and `b.extend(other)` on a `Bytes` in memory, and `s.push_str(t)` on a
//! `String` (the same append: both are a length word then the bytes). Like `Vec::push`, each builds
//! a fresh buffer (the old bytes, then the new ones) and rebinds the receiver to it, so a value
//! that shares the old buffer (a `String` it came from, a copy in another variable) does not
//! change. The bytes past the new length up to the next word are zeroed, as every `Bytes`
//! value's are (the ABI encoders copy whole words).

use crate::cx::{Cx, Typed};
use crate::types::Ty;
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, Stmt as IrStmt};
use tandem_lang_syntax::ast::{Arg, Expr};
use tandem_lang_syntax::diag::Span;

impl Cx<'_, '_> {
    /// `receiver.push(byte)` (`added` `u8`), `receiver.extend(bytes)` (`Bytes`) or
    /// `receiver.push_str(s)` (`String`); `r` is the checked receiver, of the same kind.
    pub(crate) fn bytes_append(
        &mut self,
        r: Typed,
        receiver: &Expr,
        args: &[Arg],
        span: Span,
        added: &Ty,
    ) -> Typed {
        let extend = *added != Ty::Uint(8);
        let what = match added {
            Ty::String => "`push_str`",
            Ty::Bytes => "`extend`",
            _ => "`push`",
        };
        if !self.want_args(args, 1, span, what) {
            return Typed::error();
        }
        let target = r.clone();
        let (p, _) = self.rvalue(r);
        let old = self.spill(p.unwrap_or(IrExpr::c(0)));
        let old_len = self.spill(IrExpr::MLoad(Box::new(old.clone())));
        // What goes after the old bytes: a source pointer and length, or one byte.
        let (added, add_len) = if extend {
            let v = self.value_of(&args[0].value, added);
            let v = self.spill(v);
            let n = self.spill(IrExpr::MLoad(Box::new(v.clone())));
            (v, n)
        } else {
            let v = self.value_of(&args[0].value, &Ty::Uint(8));
            // Left-aligned: the one word stored writes the byte and clears what follows it.
            (
                self.spill(IrExpr::bin(IB::Shl, v, IrExpr::c(248))),
                IrExpr::c(1),
            )
        };
        let len = self.spill(IrExpr::plus(old_len.clone(), add_len.clone()));
        let out = self.packed_buffer(len.clone());
        let data = IrExpr::plus(out.clone(), IrExpr::c(32));
        let old_data = IrExpr::plus(old, IrExpr::c(32));
        self.emit(IrStmt::MCopy(data.clone(), old_data, old_len.clone()));
        let tail = IrExpr::plus(data.clone(), old_len);
        if extend {
            let src = IrExpr::plus(added, IrExpr::c(32));
            self.emit(IrStmt::MCopy(tail, src, add_len));
            self.emit(IrStmt::MStore(IrExpr::plus(data, len), IrExpr::c(0)));
        } else {
            self.emit(IrStmt::MStore(tail, added));
        }
        self.assign_to(target, out, receiver.span);
        Typed::unit()
    }
}
