//! Inline assembly (`asm evm`, [`Expr::EvmAsm`]): the checked instructions pasted between the
//! inputs and the outputs. `sema` has proved the block balanced (it never reaches below its
//! inputs and leaves exactly its outputs), free of jumps, and confined to the scratch words
//! at memory 0..64, which the generator only uses within one expression; so the generator's
//! stack bookkeeping holds across it, as for any expression.

use crate::asm::op;
use crate::emit::Gen;
use tandem_lang_ir::{AsmOp, Expr, U256};

impl Gen<'_> {
    /// Pushes the inputs (the last ends on top), runs the code and leaves one word: nothing
    /// meaningful (0) for no outputs, the output for one, and for more a pointer to fresh
    /// memory holding them in order (the first output, on top of the stack, first).
    pub fn evm_asm(&mut self, inputs: &[Expr], code: &[AsmOp], outputs: u32) {
        let h = self.height;
        for e in inputs {
            self.expr(e);
        }
        for i in code {
            match i {
                AsmOp::Op(o) => self.asm.op(*o),
                AsmOp::Push(v) => self.asm.push(*v),
            }
        }
        self.height = h + outputs as usize;
        match outputs {
            0 => self.push_u(0),
            1 => {}
            k => {
                // [o_k-1 .. o_0] -> [o_k-1 .. o_0, p]; then per output:
                // swap1 [.., p, o_i]; dup2 [.., p, o_i, p]; add 32i; mstore -> [.., p]
                self.expr(&Expr::Alloc(Box::new(Expr::c(32 * k as u64))));
                for i in 0..k {
                    self.op(op::SWAP1, 0, 0);
                    self.op(op::DUP1 + 1, 0, 1);
                    if i > 0 {
                        self.push(U256::from(32 * i as u64));
                        self.op(op::ADD, 2, 1);
                    }
                    self.op(op::MSTORE, 2, 0);
                }
            }
        }
    }
}
