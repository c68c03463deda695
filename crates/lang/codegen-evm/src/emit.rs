//! Statements and expressions to stack code. Locals live on the stack at fixed depths; each
//! structured block pops the locals it declared. Panics and reverts share stubs at the end.

use crate::asm::{Asm, Label, op};
use std::collections::HashMap;
use tandem_lang_ir::{
    BinOp, CallKind, Env, Expr, HashAlg, LExpr, LStmt, LabelId, LocalId, Revert, Stmt, U256, UnOp,
};

/// Temps of the generator are numbered from here, above every IR local.
const TEMP_BASE: LocalId = u32::MAX / 2;

pub struct Gen<'a> {
    pub asm: Asm,
    pub height: usize,
    pub locals: HashMap<LocalId, usize>,
    pub labels: HashMap<LabelId, (Label, Option<Label>, usize)>,
    pub panics: HashMap<u8, Label>,
    pub revert_empty: Option<Label>,
    pub uses_heap: bool,
    /// Init code of contracts this code creates (embedded at its end).
    pub children: &'a [Vec<u8>],
    pub child_labels: HashMap<u32, Label>,
    pub error: Option<String>,
    next_temp: LocalId,
    /// Labels of generator-built IR, above every IR label.
    next_label: LabelId,
    /// Temps that hold `AbiEncode` buffers (data starts after their length word).
    pub buffers: Vec<LocalId>,
    /// The handler being generated (an index into `Contract::handlers`), if any.
    pub handler: Option<usize>,
    /// The handlers' variant names (errors name the handler they arose in).
    pub handler_names: Vec<String>,
    /// On "stack too deep": the handler and the IR local to move to memory (see `spill`);
    /// an internal function's body is named `FN_BODY + index`.
    pub too_deep: Option<(usize, LocalId)>,
    /// The contract's internal functions (`Expr::Call`), emitted after the entry points.
    pub funcs: &'a [tandem_lang_ir::Function],
    /// Entry labels of the functions called so far, and those still to emit.
    pub func_labels: HashMap<tandem_lang_ir::FuncId, Label>,
    pub func_queue: Vec<tandem_lang_ir::FuncId>,
    /// The internal function being generated, if any.
    pub function: Option<usize>,
    /// Whether this is the constructor's code (immutables are read from transient storage).
    pub in_init: bool,
    /// Where the constructor's arguments are copied (0x80, or after its spill words).
    pub args_base: u64,
    /// Which custom-error reverts jump to shared encoders, and those encoders' labels.
    pub errors: crate::revert_stub::Stubs,
}

/// `Gen::too_deep` names the constructor's body so (handlers are below it, functions'
/// bodies at `FN_BODY` and above).
pub const INIT_BODY: usize = crate::emit_fn::FN_BODY - 1;

impl<'a> Gen<'a> {
    pub fn new(uses_heap: bool, children: &'a [Vec<u8>]) -> Gen<'a> {
        Gen {
            asm: Asm::default(),
            height: 0,
            locals: HashMap::new(),
            labels: HashMap::new(),
            panics: HashMap::new(),
            revert_empty: None,
            uses_heap,
            children,
            child_labels: HashMap::new(),
            error: None,
            next_temp: TEMP_BASE,
            next_label: u32::MAX / 2,
            buffers: Vec::new(),
            handler: None,
            handler_names: Vec::new(),
            too_deep: None,
            funcs: &[],
            func_labels: HashMap::new(),
            func_queue: Vec::new(),
            function: None,
            in_init: false,
            args_base: crate::spill::SPILL_BASE,
            errors: Default::default(),
        }
    }

    pub fn op(&mut self, o: u8, pops: usize, pushes: usize) {
        self.asm.op(o);
        self.height = self.height + pushes - pops.min(self.height);
    }
    pub fn push(&mut self, v: U256) {
        self.asm.push(v);
        self.height += 1;
    }
    pub fn push_u(&mut self, v: u64) {
        self.push(U256::from(v));
    }
    pub fn pop(&mut self) {
        self.op(op::POP, 1, 0);
    }

    /// A temporary that can be read with `dup_local` like a local.
    /// Whether `l` is a temp of the generator (not a local of the IR).
    pub fn is_temp(&self, l: LocalId) -> bool {
        l >= TEMP_BASE && self.locals.contains_key(&l)
    }

    /// A local id for IR the generator builds itself (not registered until a `Let`).
    pub fn fresh_local(&mut self) -> LocalId {
        self.next_temp += 1;
        self.next_temp
    }

    /// A label id for IR the generator builds itself.
    pub fn fresh_label(&mut self) -> LabelId {
        self.next_label += 1;
        self.next_label
    }

    pub fn temp(&mut self) -> LocalId {
        self.next_temp += 1;
        self.locals.insert(self.next_temp, self.height - 1);
        self.next_temp
    }

    pub fn dup_local(&mut self, l: LocalId) {
        let Some(&pos) = self.locals.get(&l) else {
            self.fail("internal: unknown local");
            self.push_u(0);
            return;
        };
        let depth = self.height - pos;
        if !(1..=16).contains(&depth) {
            self.stack_too_deep(l);
            self.push_u(0);
            return;
        }
        self.op(op::DUP1 + depth as u8 - 1, 0, 1);
    }

    /// Records which local to spill (the unreachable one, or else the deepest IR local),
    /// and fails.
    pub(crate) fn stack_too_deep(&mut self, l: LocalId) {
        let body = match self.function {
            Some(f) => Some(crate::emit_fn::FN_BODY + f),
            None if self.in_init => Some(INIT_BODY),
            None => self.handler,
        };
        if self.error.is_none()
            && let Some(h) = body
        {
            // A function's result is read from the stack when its body ends: never spilled.
            // Its parameters keep their stack slots when spilled (the caller pushed them), so
            // they are spilled only when they are the local out of reach.
            let func = self.function.and_then(|f| self.funcs.get(f));
            let result = func.and_then(|f| f.result);
            let params: &[LocalId] = func.map(|f| f.params.as_slice()).unwrap_or(&[]);
            let victim = if l < TEMP_BASE && Some(l) != result {
                Some(l)
            } else {
                self.locals
                    .iter()
                    .filter(|(x, _)| **x < TEMP_BASE && Some(**x) != result && !params.contains(x))
                    .min_by_key(|(x, pos)| (**pos, **x))
                    .map(|(x, _)| *x)
            };
            self.too_deep = victim.map(|v| (h, v));
        }
        self.fail("stack too deep: too many live variables (at most 16 can be reached)");
    }

    /// Records the first error, naming the handler it arose in (`… (in `Variant`)`, the
    /// form the driver turns into a span).
    pub fn fail(&mut self, msg: &str) {
        if self.error.is_none() {
            if let Some(f) = self.function.and_then(|f| self.funcs.get(f)) {
                self.error = Some(format!("{msg} (in `fn {}`)", f.name));
                return;
            }
            let name = self.handler.and_then(|h| self.handler_names.get(h));
            self.error = Some(match name {
                Some(v) => format!("{msg} (in `{v}`)"),
                None => msg.to_string(),
            });
        }
    }

    pub fn panic_label(&mut self, code: u8) -> Label {
        if let Some(l) = self.panics.get(&code) {
            return *l;
        }
        let l = self.asm.label();
        self.panics.insert(code, l);
        l
    }

    pub fn revert_label(&mut self) -> Label {
        if let Some(l) = self.revert_empty {
            return l;
        }
        let l = self.asm.label();
        self.revert_empty = Some(l);
        l
    }

    /// Emits the internal functions the code called, then the shared revert stubs (call
    /// once, at the end of the code).
    pub fn stubs(&mut self) {
        self.emit_functions();
        self.error_stubs();
        let mut panics: Vec<(u8, Label)> = self.panics.iter().map(|(c, l)| (*c, *l)).collect();
        panics.sort();
        for (code, l) in panics {
            self.asm.place(l);
            // mstore(0, 0x4e487b71); mstore(32, code); revert(28, 36)
            self.asm.push_u(0x4e487b71);
            self.asm.push_u(0);
            self.asm.op(op::MSTORE);
            self.asm.push_u(code as u64);
            self.asm.push_u(32);
            self.asm.op(op::MSTORE);
            self.asm.push_u(36);
            self.asm.push_u(28);
            self.asm.op(op::REVERT);
        }
        if let Some(l) = self.revert_empty {
            self.asm.place(l);
            self.asm.push_u(0);
            self.asm.op(op::DUP1);
            self.asm.op(op::REVERT);
        }
        let mut kids: Vec<(u32, Label)> = self.child_labels.iter().map(|(c, l)| (*c, *l)).collect();
        kids.sort();
        for (c, l) in kids {
            self.asm.items.push(crate::asm::Item::Mark(l));
            let code = self.children.get(c as usize).cloned().unwrap_or_default();
            self.asm.items.push(crate::asm::Item::Data(code));
        }
    }

    /// Pops locals above `h` (emitting POPs) and forgets them.
    pub fn end_scope(&mut self, h: usize) {
        while self.height > h {
            self.pop();
        }
        self.locals.retain(|_, p| *p < h);
    }

    /// POPs down to `h` before a jump, without changing the tracked height (the code that
    /// follows the jump is reached from elsewhere with the current height).
    fn unwind_to(&mut self, h: usize) {
        for _ in h..self.height {
            self.asm.op(op::POP);
        }
    }

    pub fn stmts(&mut self, ss: &[Stmt]) {
        for s in ss {
            self.stmt(s);
        }
    }

    pub fn scoped(&mut self, ss: &[Stmt]) {
        let h = self.height;
        self.stmts(ss);
        self.end_scope(h);
    }

    pub fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let(l, e) => {
                self.expr(e);
                self.locals.insert(*l, self.height - 1);
            }
            Stmt::Set(l, e) => {
                self.expr(e);
                let Some(&pos) = self.locals.get(l) else {
                    return self.fail("internal: unknown local");
                };
                let depth = self.height - 1 - pos;
                if !(1..=16).contains(&depth) {
                    return self.stack_too_deep(*l);
                }
                self.op(op::SWAP1 + depth as u8 - 1, 0, 0);
                self.pop();
            }
            Stmt::SStore(slot, v) => {
                self.expr(v);
                self.expr(slot);
                self.op(op::SSTORE, 2, 0);
            }
            Stmt::MStore(p, v) => {
                self.expr(v);
                self.expr(p);
                self.op(op::MSTORE, 2, 0);
            }
            Stmt::Lowered(LStmt::MStore8(p, v)) => {
                self.expr(v);
                self.expr(p);
                self.op(op::MSTORE8, 2, 0);
            }
            Stmt::Lowered(LStmt::ReturnDataCopy(d, src, l)) | Stmt::MCopy(d, src, l) => {
                let code = match s {
                    Stmt::MCopy(..) => op::MCOPY,
                    _ => op::RETURNDATACOPY,
                };
                self.expr(l);
                self.expr(src);
                self.expr(d);
                self.op(code, 3, 0);
            }
            Stmt::Expr(e) => {
                let h = self.height;
                self.expr(e);
                self.end_scope(h);
            }
            Stmt::If(c, a, b) => {
                self.expr(c);
                if b.is_empty() {
                    self.op(op::ISZERO, 1, 1);
                    let end = self.asm.label();
                    self.asm.jumpi(end);
                    self.height -= 1;
                    self.scoped(a);
                    self.asm.place(end);
                } else {
                    let then = self.asm.label();
                    let end = self.asm.label();
                    self.asm.jumpi(then);
                    self.height -= 1;
                    let h = self.height;
                    self.scoped(b);
                    self.asm.jump(end);
                    self.height = h;
                    self.asm.place(then);
                    self.scoped(a);
                    self.asm.place(end);
                }
            }
            Stmt::Block(label, body) => {
                let end = self.asm.label();
                self.labels.insert(*label, (end, None, self.height));
                self.scoped(body);
                self.asm.place(end);
            }
            Stmt::Exit(label) | Stmt::Break(label) => {
                let Some(&(end, _, h)) = self.labels.get(label) else {
                    return self.fail("internal: unknown label");
                };
                self.unwind_to(h);
                self.asm.jump(end);
            }
            Stmt::Continue(label) => {
                let Some(&(_, Some(cont), h)) = self.labels.get(label) else {
                    return self.fail("internal: unknown loop");
                };
                self.unwind_to(h);
                self.asm.jump(cont);
            }
            Stmt::Loop { label, body, step } => {
                let start = self.asm.label();
                let cont = self.asm.label();
                let end = self.asm.label();
                self.labels.insert(*label, (end, Some(cont), self.height));
                self.asm.place(start);
                self.scoped(body);
                self.asm.place(cont);
                self.scoped(step);
                self.asm.jump(start);
                self.asm.place(end);
            }
            // Nothing to return: STOP ends the call with empty output, as RETURN(0, 0)
            // does, in one byte and no gas.
            Stmt::Return(vals) if vals.is_empty() => self.asm.op(op::STOP),
            Stmt::Return(vals) => {
                let h = self.height;
                self.encode_scratch(None, vals, None);
                // [size, dst]
                self.op(op::RETURN, 2, 0);
                self.height = h;
            }
            Stmt::Revert(r) => {
                let h = self.height;
                match r {
                    Revert::Error { .. } => self.fail("internal: a typed error was not lowered"),
                    Revert::Panic(code) => {
                        let l = self.panic_label(*code);
                        self.asm.jump(l);
                    }
                    Revert::Empty => {
                        let l = self.revert_label();
                        self.asm.jump(l);
                    }
                    Revert::Bubble => {
                        self.op(op::RETURNDATASIZE, 0, 1);
                        self.push_u(0);
                        self.op(op::DUP1, 0, 1);
                        self.op(op::RETURNDATACOPY, 3, 0);
                        self.op(op::RETURNDATASIZE, 0, 1);
                        self.push_u(0);
                        self.op(op::REVERT, 2, 0);
                    }
                }
                self.height = h;
            }
            Stmt::Lowered(LStmt::RevertError { selector, args }) => {
                self.revert_error(*selector, args)
            }
            Stmt::Emit { .. } => self.fail("internal: an event was not lowered"),
            Stmt::Lowered(LStmt::Log { topics, data }) => {
                let h = self.height;
                for t in topics.iter().rev() {
                    self.expr(t);
                }
                self.encode_scratch(None, data, Some(2));
                self.op(op::LOG0 + topics.len().min(4) as u8, 2 + topics.len(), 0);
                self.end_scope(h);
            }
            Stmt::Assert(c, code) => {
                if matches!(c, Expr::Const(v) if v.is_zero()) {
                    let l = self.panic_label(*code);
                    self.asm.jump(l);
                    return;
                }
                self.expr(c);
                self.op(op::ISZERO, 1, 1);
                let l = self.panic_label(*code);
                self.asm.jumpi(l);
                self.height -= 1;
            }
        }
    }
}

impl Gen<'_> {
    pub fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Const(v) => self.push(*v),
            Expr::Local(l) => self.dup_local(*l),
            Expr::Bin(o, a, b) => {
                let (code, source_order) = match o {
                    BinOp::Add => (op::ADD, false),
                    BinOp::Sub => (op::SUB, false),
                    BinOp::Mul => (op::MUL, false),
                    BinOp::Div => (op::DIV, false),
                    BinOp::SDiv => (op::SDIV, false),
                    BinOp::Mod => (op::MOD, false),
                    BinOp::SMod => (op::SMOD, false),
                    BinOp::Exp => (op::EXP, false),
                    BinOp::And => (op::AND, false),
                    BinOp::Or => (op::OR, false),
                    BinOp::Xor => (op::XOR, false),
                    BinOp::Lt => (op::LT, false),
                    BinOp::Gt => (op::GT, false),
                    BinOp::SLt => (op::SLT, false),
                    BinOp::SGt => (op::SGT, false),
                    BinOp::Eq => (op::EQ, false),
                    BinOp::Shl => (op::SHL, true),
                    BinOp::Shr => (op::SHR, true),
                    BinOp::Sar => (op::SAR, true),
                    BinOp::SignExtend => (op::SIGNEXTEND, true),
                    BinOp::Byte => (op::BYTE, true),
                };
                if source_order {
                    self.expr(a);
                    self.expr(b);
                } else {
                    self.expr(b);
                    self.expr(a);
                }
                self.op(code, 2, 1);
            }
            Expr::Un(o, a) => {
                self.expr(a);
                self.op(
                    if *o == UnOp::IsZero {
                        op::ISZERO
                    } else {
                        op::NOT
                    },
                    1,
                    1,
                );
            }
            Expr::Checked {
                op: o,
                signed,
                bits,
                a,
                b,
            } => self.checked(*o, *signed, *bits, a, b),
            Expr::Env(v) => {
                let (code, _) = match v {
                    Env::Caller => (op::CALLER, 0),
                    Env::Origin => (op::ORIGIN, 0),
                    Env::CallValue => (op::CALLVALUE, 0),
                    Env::Address => (op::ADDRESS, 0),
                    Env::Number => (op::NUMBER, 0),
                    Env::Timestamp => (op::TIMESTAMP, 0),
                    Env::ChainId => (op::CHAINID, 0),
                    Env::GasLeft => (op::GAS, 0),
                    Env::SelfBalance => (op::SELFBALANCE, 0),
                };
                self.op(code, 0, 1);
            }
            Expr::Balance(a) => {
                self.expr(a);
                self.op(op::BALANCE, 1, 1);
            }
            Expr::SLoad(a) => {
                self.expr(a);
                self.op(op::SLOAD, 1, 1);
            }
            Expr::MLoad(a) => {
                self.expr(a);
                self.op(op::MLOAD, 1, 1);
            }
            Expr::Lowered(LExpr::ReturnDataSize) => self.op(op::RETURNDATASIZE, 0, 1),
            Expr::HashWords(alg, _) if *alg != HashAlg::Keccak256 => {
                self.fail("internal: only keccak256 hashes words");
                self.push_u(0);
            }
            Expr::HashWords(_, ws) => {
                // Scratch space: memory 0..64 (free memory when more words are hashed).
                // Every word is computed before any is stored: a word may itself hash
                // (a nested mapping's slot) and would overwrite the scratch space.
                for w in ws.iter().rev() {
                    self.expr(w);
                }
                if ws.len() <= 2 || !self.uses_heap {
                    for i in 0..ws.len() {
                        self.push_u(i as u64 * 32);
                        self.op(op::MSTORE, 2, 0);
                    }
                    self.push_u(ws.len() as u64 * 32);
                    self.push_u(0);
                } else {
                    for i in 0..ws.len() {
                        self.push_u(0x40);
                        self.op(op::MLOAD, 1, 1);
                        self.push_u(i as u64 * 32);
                        self.op(op::ADD, 2, 1);
                        self.op(op::MSTORE, 2, 0);
                    }
                    self.push_u(ws.len() as u64 * 32);
                    self.push_u(0x40);
                    self.op(op::MLOAD, 1, 1);
                }
                self.op(op::KECCAK256, 2, 1);
            }
            Expr::Hash(alg, p, len) => self.hash(*alg, p, len),
            Expr::Message { .. }
            | Expr::Send { .. }
            | Expr::Reply(_)
            | Expr::ReplyBytes
            | Expr::Create { .. }
            | Expr::SendAsync { .. }
            | Expr::AsyncReturn(..)
            | Expr::MapSlot { .. }
            | Expr::DataSlot(_)
            | Expr::AbiEncode(_) => {
                self.fail("internal: a typed operation was not lowered");
                self.push_u(0);
            }
            Expr::Alloc(size) if matches!(**size, Expr::Const(n) if n < U256::from(1u64 << 32)) => {
                let Expr::Const(n) = **size else { return };
                self.alloc_const(n.to::<u64>());
            }
            Expr::Alloc(size) => {
                self.expr(size);
                self.push_u(0x40);
                self.op(op::MLOAD, 1, 1);
                // [size, p] -> [p, p+size] -> store -> [p]
                self.op(op::SWAP1, 0, 0);
                self.op(op::DUP1 + 1, 0, 1);
                self.op(op::ADD, 2, 1);
                self.push_u(31);
                self.op(op::ADD, 2, 1);
                self.push(!U256::from(31));
                self.op(op::AND, 2, 1);
                self.push_u(0x40);
                self.op(op::MSTORE, 2, 0);
            }
            Expr::Seq(ss, v) => {
                let h = self.height;
                self.stmts(ss);
                self.expr(v);
                while self.height > h + 1 {
                    self.op(op::SWAP1, 0, 0);
                    self.pop();
                }
                self.locals.retain(|_, p| *p < h);
            }
            Expr::Cond(c, a, b) => {
                self.expr(c);
                let then = self.asm.label();
                let end = self.asm.label();
                self.asm.jumpi(then);
                self.height -= 1;
                let h = self.height;
                self.expr(b);
                self.asm.jump(end);
                self.height = h;
                self.asm.place(then);
                self.expr(a);
                self.asm.place(end);
            }
            Expr::Lowered(LExpr::Call {
                kind,
                gas,
                addr,
                value,
                args,
                args_len,
            }) => {
                self.push_u(0);
                self.push_u(0);
                self.expr(args_len);
                self.expr(args);
                if *kind == CallKind::Call {
                    self.expr(value);
                }
                self.expr(addr);
                match gas {
                    Some(g) => self.expr(g),
                    None => self.op(op::GAS, 0, 1),
                }
                if *kind == CallKind::Call {
                    self.op(op::CALL, 7, 1);
                } else {
                    self.op(op::STATICCALL, 6, 1);
                }
            }
            Expr::Lowered(LExpr::Create {
                child,
                value,
                args,
                args_len,
                salt,
            }) => {
                let code_len = self
                    .children
                    .get(*child as usize)
                    .map(|c| c.len())
                    .unwrap_or(0) as u64;
                let label = match self.child_labels.get(child) {
                    Some(l) => *l,
                    None => {
                        let l = self.asm.label();
                        self.child_labels.insert(*child, l);
                        l
                    }
                };
                // p = free memory; codecopy(p, child, len); mcopy(p + len, args, args_len)
                self.push_u(0x40);
                self.op(op::MLOAD, 1, 1);
                let p = self.temp();
                self.push_u(code_len);
                self.asm.push_label(label);
                self.height += 1;
                self.dup_local(p);
                self.op(op::CODECOPY, 3, 0);
                self.expr(args_len);
                let n = self.temp();
                self.dup_local(n);
                self.expr(args);
                self.dup_local(p);
                self.push_u(code_len);
                self.op(op::ADD, 2, 1);
                self.op(op::MCOPY, 3, 0);
                // [p, n]; CREATE2 takes (value, offset, size, salt) from the top.
                if let Some(sv) = salt {
                    self.expr(sv);
                }
                self.dup_local(n);
                self.push_u(code_len);
                self.op(op::ADD, 2, 1);
                self.dup_local(p);
                self.expr(value);
                if salt.is_some() {
                    self.op(op::CREATE2, 4, 1);
                } else {
                    self.op(op::CREATE, 3, 1);
                }
                // [p, n, addr] -> [addr]
                self.op(op::SWAP1 + 1, 0, 0);
                self.pop();
                self.pop();
                self.locals.remove(&p);
                self.locals.remove(&n);
            }
            Expr::Intrinsic(i, args) => self.intrinsic(*i, args),
            Expr::Call(f, args) => self.call_fn(*f, args),
            Expr::EvmAsm {
                inputs,
                code,
                outputs,
            } => self.evm_asm(inputs, code, *outputs),
            Expr::Lowered(LExpr::AbiEncode { selector, args }) => {
                // Encode at the free pointer behind a length word, then bump the pointer.
                let (args, _) = self.pre_evaluate(args);
                self.push_u(0x40);
                self.op(op::MLOAD, 1, 1);
                let base = self.temp();
                self.buffers.push(base);
                self.encode_at(*selector, &args, Some(base));
                // [base, size, dst]
                self.pop();
                // [base, size]: mstore(base, size); mstore(0x40, base + 32 + roundup(size))
                self.op(op::DUP1, 0, 1);
                self.dup_local(base);
                self.op(op::MSTORE, 2, 0);
                self.push_u(31);
                self.op(op::ADD, 2, 1);
                self.push(!U256::from(31));
                self.op(op::AND, 2, 1);
                self.dup_local(base);
                self.op(op::ADD, 2, 1);
                self.push_u(32);
                self.op(op::ADD, 2, 1);
                self.push_u(0x40);
                self.op(op::MSTORE, 2, 0);
                self.locals.remove(&base);
                self.drop_beneath(&args, 1);
            }
        }
    }
}

impl Gen<'_> {
    /// `Alloc` of a size known here: the free pointer moves by the size rounded up to a
    /// word, one folded constant (the general form rounds `p + size` at run time: the same
    /// pointer whenever `p` is a multiple of 32, as the heap's start and every runtime
    /// allocation keep it, and a sound one otherwise); nothing moves for size 0. Leaves
    /// the pointer.
    fn alloc_const(&mut self, n: u64) {
        self.push_u(0x40);
        self.op(op::MLOAD, 1, 1);
        if n == 0 {
            return;
        }
        self.op(op::DUP1, 0, 1);
        self.push_u(n.div_ceil(32) * 32);
        self.op(op::ADD, 2, 1);
        self.push_u(0x40);
        self.op(op::MSTORE, 2, 0);
    }
}
