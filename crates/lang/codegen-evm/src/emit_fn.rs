//! Internal functions as JUMP subroutines.
//!
//! A call pushes its return label, then the arguments left to right (the last on top), and
//! jumps to the function's entry. The body runs with its frame at the bottom of what it can
//! see: the return label at depth 0 of the frame, the parameters above it, the result local
//! (0 at entry) above them, then the body's locals, all at fixed heights relative to the
//! frame, exactly as a handler's locals sit relative to an empty stack. At the end the result
//! is swapped into the first parameter's slot, the parameters are popped, the result and the
//! return label change places, and `JUMP` goes back with the result left on the caller's
//! stack (a function without a result leaves nothing and the call site pushes 0).
//!
//! Functions are emitted after the entry points, once each and only when called. Recursion
//! needs nothing more: every activation has its own stack frame. It ends as the EVM ends it:
//! at 1024 stack words the frame push fails, the call halts exceptionally and consumes its
//! gas. Locals that do not fit the 16 reachable stack slots move to memory words (`spill`)
//! only in a function that is not recursive; a recursive one that would need that is refused.

use crate::asm::op;
use crate::emit::Gen;
use tandem_lang_ir::{Expr, FuncId};

/// `Gen::too_deep` names a function's body as `FN_BODY + index` (below it: handlers).
pub const FN_BODY: usize = 1 << 30;

impl Gen<'_> {
    /// `Call(f, args)`: return label, arguments, jump; the result on the stack after.
    pub fn call_fn(&mut self, f: FuncId, args: &[Expr]) {
        let Some(func) = self.funcs.get(f as usize) else {
            self.fail("internal: a call to a function the contract does not have");
            self.push_u(0);
            return;
        };
        let has_result = func.result.is_some();
        let h = self.height;
        let back = self.asm.label();
        self.asm.push_label(back);
        self.height += 1;
        for a in args {
            self.expr(a);
        }
        let entry = self.func_label(f);
        self.asm.jump(entry);
        self.asm.place(back);
        self.height = h;
        if has_result {
            self.height += 1;
        } else {
            self.push_u(0);
        }
    }

    fn func_label(&mut self, f: FuncId) -> crate::asm::Label {
        if let Some(l) = self.func_labels.get(&f) {
            return *l;
        }
        let l = self.asm.label();
        self.func_labels.insert(f, l);
        self.func_queue.push(f);
        l
    }

    /// Emits every function called so far (and those they call), each once.
    pub fn emit_functions(&mut self) {
        let mut done = 0;
        while done < self.func_queue.len() {
            let f = self.func_queue[done];
            done += 1;
            self.emit_function(f);
        }
    }

    fn emit_function(&mut self, f: FuncId) {
        let funcs = self.funcs;
        let Some(func) = funcs.get(f as usize) else {
            return;
        };
        let Some(&entry) = self.func_labels.get(&f) else {
            return;
        };
        let saved_handler = self.handler.take();
        self.function = Some(f as usize);
        self.asm.place(entry);
        self.locals.clear();
        self.labels.clear();
        // [ret, p1 .. pn]
        self.height = 1 + func.params.len();
        for (i, p) in func.params.iter().enumerate() {
            self.locals.insert(*p, i + 1);
        }
        if let Some(r) = func.result {
            self.push_u(0);
            self.locals.insert(r, self.height - 1);
        }
        let frame = self.height;
        self.stmts(&func.body);
        self.end_scope(frame);
        let n = func.params.len();
        if func.result.is_some() {
            // [ret, p1..pn, r] -> [ret, r, p2..pn, p1] -> [ret, r] -> [r, ret]
            if n > 16 {
                self.fail("stack too deep: a function with more than 16 parameters");
            } else if n > 0 {
                self.op(op::SWAP1 + n as u8 - 1, 0, 0);
                for _ in 0..n {
                    self.pop();
                }
            }
            self.op(op::SWAP1, 0, 0);
        } else {
            // [ret, p1..pn] -> [ret]
            for _ in 0..n {
                self.pop();
            }
        }
        self.asm.op(op::JUMP);
        self.locals.clear();
        self.labels.clear();
        self.height = 0;
        self.function = None;
        self.handler = saved_handler;
    }
}
