//! The EVM lowering of async sends (docs/async.md): a CALL to the async precompile
//! `0xfe00…0010` with `sendAsync(bytes target, uint64 method, uint256 value, uint64 codec,
//! bytes params, uint64 gasLimit, bytes4 replySelector, uint64 replyGasLimit)`; the target
//! is its f410 byte form (`0x040a ‖ 20 bytes`), the method `InvokeEVM` and the params the
//! variant's Solidity calldata. A refusal (the precompile reverts) bubbles its reason. The
//! reply's `ret` is the callee's ABI return data.

use super::{Lower, bin, c, clean, mload, revert_if};
use tandem_lang_ir::meta::selector;
use tandem_lang_ir::{
    AsyncReplyTo, BinOp, CallKind, Expr, LExpr, Revert, Stmt, U256, UnOp, ValTy, WordTy,
};

/// `InvokeEVM`'s FRC-0042 method number.
pub const INVOKE_EVM: u64 = 3_844_450_837;
/// The raw codec (IPLD_RAW) of the params block.
const CODEC_RAW: u64 = 0x55;
const SEND_ASYNC: &str = "sendAsync(bytes,uint64,uint256,uint64,bytes,uint64,bytes4,uint64)";

fn precompile() -> Expr {
    Expr::Const((U256::from(0xfeu64) << 152) | U256::from(0x10u64))
}

fn u64t() -> ValTy {
    ValTy::Word(WordTy::Uint(64))
}

impl Lower {
    pub(super) fn send_async(
        &mut self,
        parts: [Expr; 4],
        reply: Option<AsyncReplyTo>,
        out: &mut Vec<Stmt>,
    ) -> Expr {
        let [target, value, gas, message] = parts;
        let target = self.expr(target, out);
        let value = self.expr(value, out);
        let gas = self.expr(gas, out);
        let message = self.expr(message, out);
        let (reply_sel, reply_gas) = match reply {
            Some(r) => {
                let sel = selector(&r.handler.signature);
                let word = U256::from_be_slice(&sel) << 224;
                (Expr::Const(word), self.expr(*r.gas, out))
            }
            None => (c(0), c(0)),
        };
        // the f410 address: 0x040a ‖ the 20 bytes, as `Bytes`
        let to = self.spill(Expr::Alloc(Box::new(c(64))), out);
        out.push(Stmt::MStore(to.clone(), c(22)));
        let prefix = Expr::Const(U256::from(0x040au64) << 240);
        let addr = bin(
            BinOp::Shl,
            bin(
                BinOp::And,
                target,
                Expr::Const((U256::from(1u64) << 160) - U256::from(1u64)),
            ),
            c(80),
        );
        out.push(Stmt::MStore(
            Expr::plus(to.clone(), c(32)),
            bin(BinOp::Or, prefix, addr),
        ));
        let args = vec![
            (to, ValTy::Bytes),
            (c(INVOKE_EVM), u64t()),
            (value, ValTy::Word(WordTy::Uint(256))),
            (c(CODEC_RAW), u64t()),
            (message, ValTy::Bytes),
            (gas, u64t()),
            (reply_sel, ValTy::Word(WordTy::FixedBytes(4))),
            (reply_gas, u64t()),
        ];
        let cd = self.spill(
            Expr::Lowered(LExpr::AbiEncode {
                selector: Some(selector(SEND_ASYNC)),
                args,
            }),
            out,
        );
        let ok = Expr::Lowered(LExpr::Call {
            kind: CallKind::Call,
            gas: None,
            addr: Box::new(precompile()),
            value: Box::new(c(0)),
            args: Box::new(Expr::plus(cd.clone(), c(32))),
            args_len: Box::new(mload(cd)),
        });
        out.push(Stmt::If(
            Expr::un(UnOp::IsZero, ok),
            vec![Stmt::Revert(Revert::Bubble)],
            vec![],
        ));
        let id = self.local();
        self.reply(id, &u64t(), out);
        self.subst.get(&id).cloned().unwrap_or(Expr::Local(id))
    }

    /// `ret` (ABI return data in `Bytes`) decoded as `t` with the checks of a call's reply:
    /// long enough, a word clean for its type, a dynamic value's offset and length inside
    /// the data (a `Vec`'s elements clean); else a revert with no data.
    pub(super) fn async_return(&mut self, t: &ValTy, ret: Expr, out: &mut Vec<Stmt>) -> Expr {
        let b = self.expr(ret, out);
        let b = self.spill(b, out);
        let size = self.spill(mload(b.clone()), out);
        let data = Expr::plus(b, c(32));
        match t {
            ValTy::Word(w) => {
                out.push(revert_if(bin(BinOp::Lt, size, c(32))));
                let x = self.spill(mload(data), out);
                out.push(revert_if(Expr::un(
                    UnOp::IsZero,
                    bin(BinOp::Eq, clean(x.clone(), *w), x.clone()),
                )));
                x
            }
            t if !t.is_dynamic() => {
                let head = u64::from(t.head_size());
                out.push(revert_if(bin(BinOp::Lt, size, c(head))));
                let p = self.spill(Expr::Alloc(Box::new(c(head))), out);
                out.push(Stmt::MCopy(p.clone(), data, c(head)));
                p
            }
            ValTy::Bytes | ValTy::String | ValTy::DynArray(_) => {
                let unit = if matches!(t, ValTy::DynArray(_)) {
                    32
                } else {
                    1
                };
                out.push(revert_if(bin(BinOp::Lt, size.clone(), c(64))));
                let data = self.spill(data, out);
                let off = self.spill(mload(data.clone()), out);
                // off + 32 <= size, written so that nothing wraps (size >= 64)
                out.push(revert_if(bin(
                    BinOp::Lt,
                    bin(BinOp::Sub, size.clone(), c(32)),
                    off.clone(),
                )));
                let v = self.spill(Expr::plus(data, off.clone()), out);
                let len = self.spill(mload(v.clone()), out);
                out.push(revert_if(bin(BinOp::Lt, size.clone(), len.clone())));
                let end = Expr::plus(Expr::plus(off, c(32)), bin(BinOp::Mul, len, c(unit)));
                out.push(revert_if(bin(BinOp::Lt, size, end)));
                if let ValTy::DynArray(e) = t
                    && let ValTy::Word(w) = **e
                {
                    self.check_clean_elements(v.clone(), w, out);
                }
                v
            }
            // refused by sema (E0632)
            _ => c(0),
        }
    }
}
