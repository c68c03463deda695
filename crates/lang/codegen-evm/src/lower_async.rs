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

    /// `ret` (ABI return data in `Bytes`) decoded as a word of type `t`, checked clean.
    pub(super) fn async_return(&mut self, t: &ValTy, ret: Expr, out: &mut Vec<Stmt>) -> Expr {
        let ValTy::Word(w) = t else {
            // refused by sema (E0632)
            return c(0);
        };
        let b = self.expr(ret, out);
        let b = self.spill(b, out);
        out.push(revert_if(bin(BinOp::Lt, mload(b.clone()), c(32))));
        let x = self.spill(mload(Expr::plus(b, c(32))), out);
        out.push(revert_if(Expr::un(
            UnOp::IsZero,
            bin(BinOp::Eq, clean(x.clone(), *w), x.clone()),
        )));
        x
    }
}
