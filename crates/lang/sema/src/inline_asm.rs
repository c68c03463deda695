//! `asm evm (inputs) -> T { OPS }`: inline EVM assembly, checked here and lowered to
//! [`IrExpr::EvmAsm`] (docs/language.md "Inline assembly").
//!
//! The rules, each a compile error with the instruction's span:
//! - instructions by mnemonic (evm_opcodes.rs); `PUSHn lit`, `PUSH lit` (any width), `PUSH0`;
//! - no control flow (JUMP, JUMPI, JUMPDEST, PC, EOF's jumps): E0641;
//! - nothing that ends the message, writes state or calls out (STOP, RETURN, REVERT,
//!   INVALID, SELFDESTRUCT, SSTORE, TSTORE, LOGn, CALL…, CREATE…): E0642 — the language
//!   does those, with its capability, `#[view]` and optimiser guarantees;
//! - the stack: the block starts with exactly its inputs, may never reach below them (an
//!   underflow, a DUPn or SWAPn past them) and must end with exactly its outputs: E0643;
//! - memory only in the scratch words 0..64, at addresses and lengths the block pushes as
//!   constants (the compiler keeps nothing there between expressions); no MSIZE: E0644;
//! - inputs and outputs are words: integers, `bool`, `Address`, `bytesN`: E0645.
//!
//! Reading storage (SLOAD, TLOAD) needs the `storage` capability, reading the message or the
//! chain (CALLER, SELFBALANCE, GAS, …) needs `ctx`, as the same reads in the language do.
//! Outputs narrower than a word are checked, not masked: a word that is not a value of its
//! declared type (a `u8` above 255, a `bool` other than 0 or 1, an `i8` that is not
//! sign-extended, an `Address` with high bits, a `bytes4` with low bytes) reverts with
//! `Panic(0x11)`.

use crate::cx::{Cx, Typed};
use crate::evm_opcodes::{Kind, Len, MemUse, OpInfo, Refusal, lookup, names};
use crate::layout::clean;
use crate::types::Ty;
use tandem_lang_ir::{AsmOp, BinOp, Expr as IrExpr, Stmt as IrStmt, U256};
use tandem_lang_syntax::ast::{AsmBlock, AsmInstr, Cap};
use tandem_lang_syntax::diag::{Diagnostic, Span, did_you_mean};

/// The scratch words: the only memory inline assembly may touch.
const SCRATCH: u64 = 64;

/// The most words a block may hold on the stack at once (the EVM's 1024 are shared with the
/// compiler's locals).
const MAX_HEIGHT: usize = 256;

/// The panic an output that is not a value of its type reverts with.
const DIRTY_OUTPUT: u8 = 0x11;

fn is_word(t: &Ty) -> bool {
    matches!(
        t,
        Ty::Bool | Ty::Uint(_) | Ty::Int(_) | Ty::Address | Ty::FixedBytes(_)
    )
}

impl Cx<'_, '_> {
    pub fn inline_asm(&mut self, b: &AsmBlock, span: Span) -> Typed {
        let Some((outs, result)) = self.asm_outputs(b) else {
            return Typed::error();
        };
        let mut inputs = Vec::new();
        let mut ok = true;
        for e in &b.inputs {
            let t = self.expr(e, None);
            let (v, ty) = self.rvalue(t);
            if ty == Ty::Error {
                ok = false;
                continue;
            }
            if !is_word(&ty) {
                let shown = self.show(&ty);
                self.err(
                    Diagnostic::error(
                        "E0645",
                        format!("an `asm evm` input must be a word, not `{shown}`"),
                        e.span,
                        "not a word",
                    )
                    .with_help(
                        "inputs are integers, `bool`, `Address` or `bytesN`; pass a pointer-free value",
                    ),
                );
                ok = false;
                continue;
            }
            // In source order, so that pushing them in reverse keeps side effects in order.
            inputs.push(self.spill(v.unwrap_or(IrExpr::c(0))));
        }
        // A bad input would make the stack check's count a guess: one error per root cause.
        if !ok {
            return Typed::error();
        }
        let Some(code) = self.asm_code(&b.ops, b.inputs.len(), outs.len(), span) else {
            return Typed::error();
        };
        inputs.reverse();
        let asm = IrExpr::EvmAsm {
            inputs,
            code,
            outputs: outs.len() as u32,
        };
        match outs.len() {
            0 => {
                self.emit(IrStmt::Expr(asm));
                Typed::unit()
            }
            1 => {
                let l = self.local();
                self.emit(IrStmt::Let(l, asm));
                self.check_clean(IrExpr::Local(l), &outs[0]);
                Typed::value(IrExpr::Local(l), result)
            }
            _ => {
                self.uses_heap = true;
                let p = self.local();
                self.emit(IrStmt::Let(p, asm));
                for (i, t) in outs.iter().enumerate() {
                    let at = IrExpr::plus(IrExpr::Local(p), IrExpr::c(32 * i as u64));
                    self.check_clean(IrExpr::MLoad(Box::new(at)), t);
                }
                Typed::value(IrExpr::Local(p), result)
            }
        }
    }

    /// The output types (first on top) and the block's type, or `None` after an error.
    fn asm_outputs(&mut self, b: &AsmBlock) -> Option<(Vec<Ty>, Ty)> {
        let Some(te) = &b.output else {
            return Some((vec![], Ty::Unit));
        };
        let ty = self.resolve_ty(te);
        let outs = match &ty {
            Ty::Error => return None,
            Ty::Unit => vec![],
            Ty::Tuple(ts) => ts.clone(),
            t => vec![t.clone()],
        };
        if let Some(bad) = outs.iter().find(|t| !is_word(t)) {
            let shown = self.show(bad);
            self.err(
                Diagnostic::error(
                    "E0645",
                    format!("an `asm evm` output must be a word, not `{shown}`"),
                    te.span(),
                    "not a word type",
                )
                .with_help("declare integers, `bool`, `Address` or `bytesN`, or a tuple of them"),
            );
            return None;
        }
        Some((outs, ty))
    }

    /// Reverts with `Panic(0x11)` unless `v` is a clean value of `t`.
    fn check_clean(&mut self, v: IrExpr, t: &Ty) {
        let cleaned = clean(v.clone(), t);
        if cleaned != v {
            self.emit(IrStmt::Assert(
                IrExpr::bin(BinOp::Eq, cleaned, v),
                DIRTY_OUTPUT,
            ));
        }
    }

    /// Checks the instructions against the rules and assembles them. Stops at the first
    /// error (one per block: a later one is usually the same mistake seen again).
    fn asm_code(
        &mut self,
        ops: &[AsmInstr],
        inputs: usize,
        outputs: usize,
        span: Span,
    ) -> Option<Vec<AsmOp>> {
        // The simulated stack, top last: the value of each word when the block pushed a
        // constant there, for the memory rule.
        let mut stack: Vec<Option<U256>> = vec![None; inputs];
        let mut code = Vec::new();
        let (mut ctx_done, mut storage_done) = (false, false);
        for i in ops {
            let name = i.mnemonic.name.as_str();
            let Some(info) = lookup(name) else {
                let mut d = Diagnostic::error(
                    "E0640",
                    format!("unknown EVM instruction `{name}`"),
                    i.mnemonic.span,
                    "not an instruction",
                );
                if let Some(s) = did_you_mean(name, names()) {
                    d = d.with_help(format!("did you mean `{s}`? (mnemonics are upper case)"));
                }
                self.err(d);
                return None;
            };
            let err = self.asm_instr(i, info, &mut stack, &mut code);
            if let Err(d) = err {
                self.err(*d);
                return None;
            }
            if stack.len() > MAX_HEIGHT {
                self.err(Diagnostic::error(
                    "E0643",
                    format!("this `asm evm` block holds more than {MAX_HEIGHT} words on the stack"),
                    i.span,
                    "too deep here",
                ));
                return None;
            }
            match needs(info.byte) {
                Some(Cap::Storage) if !storage_done => {
                    storage_done = true;
                    self.require(Cap::Storage, i.span, &format!("`{name}`"));
                }
                Some(Cap::Ctx) if !ctx_done => {
                    ctx_done = true;
                    self.require(Cap::Ctx, i.span, &format!("`{name}`"));
                }
                _ => {}
            }
        }
        if stack.len() != outputs {
            let words = |n: usize| if n == 1 { "word" } else { "words" };
            self.err(
                Diagnostic::error(
                    "E0643",
                    format!(
                        "this `asm evm` block leaves {} {} on the stack but declares {} {}",
                        stack.len(),
                        words(stack.len()),
                        outputs,
                        if outputs == 1 { "output" } else { "outputs" }
                    ),
                    span,
                    format!("must end with exactly {outputs} {}", words(outputs)),
                )
                .with_help("POP what is left over, or declare the outputs: `-> (u256, u256)`"),
            );
            return None;
        }
        Some(code)
    }

    /// One instruction: its checks, its effect on the simulated stack, its code.
    fn asm_instr(
        &mut self,
        i: &AsmInstr,
        info: OpInfo,
        stack: &mut Vec<Option<U256>>,
        code: &mut Vec<AsmOp>,
    ) -> Result<(), Box<Diagnostic>> {
        let name = i.mnemonic.name.as_str();
        let bad = |code: &'static str, msg: String, label: &str| {
            Box::new(Diagnostic::error(code, msg, i.span, label.to_string()))
        };
        if let Kind::Refused(why) = info.kind {
            let (code, msg, help) = refusal(why, name);
            return Err(Box::new(
                Diagnostic::error(code, msg, i.span, "not allowed in `asm evm`").with_help(help),
            ));
        }
        let push = match (info.kind, &i.literal) {
            (Kind::Push(0), None) => Some(U256::ZERO),
            (Kind::Push(n), Some((digits, radix, lspan))) if n > 0 || name == "PUSH" => {
                let v = crate::consts::parse_int(digits, *radix);
                let fits = v.is_some_and(|v| n >= 32 || v < (U256::from(1) << (8 * n as usize)));
                if !fits {
                    let lit = if *radix == 16 {
                        format!("0x{digits}")
                    } else {
                        digits.clone()
                    };
                    let bytes = if n == 1 { "byte" } else { "bytes" };
                    return Err(Box::new(Diagnostic::error(
                        "E0645",
                        format!("`{lit}` does not fit the {n} {bytes} of `{name}`"),
                        *lspan,
                        "too large",
                    )));
                }
                v
            }
            (Kind::Push(_), None) => {
                return Err(bad(
                    "E0645",
                    format!("`{name}` needs a literal: `{name} 0x20`"),
                    "no value to push",
                ));
            }
            (_, Some((.., lspan))) => {
                return Err(Box::new(Diagnostic::error(
                    "E0645",
                    format!("`{name}` takes no literal; only a push does"),
                    *lspan,
                    "unexpected literal",
                )));
            }
            _ => None,
        };
        if let Some(v) = push {
            stack.push(Some(v));
            code.push(AsmOp::Push(v));
            return Ok(());
        }
        if stack.len() < info.pops {
            return Err(Box::new(
                Diagnostic::error(
                    "E0643",
                    format!(
                        "`{name}` needs {} words but the block holds {} here",
                        info.pops,
                        stack.len()
                    ),
                    i.span,
                    "reaches below the block's inputs",
                )
                .with_help(
                    "an `asm evm` block sees only its inputs and what it pushed; pass more inputs",
                ),
            ));
        }
        let arg = |k: usize| stack[stack.len() - 1 - k];
        match info.kind {
            Kind::Dup(n) => stack.push(arg(n as usize - 1)),
            Kind::Swap(n) => {
                let top = stack.len() - 1;
                stack.swap(top, top - n as usize);
            }
            Kind::Memory(a, b) => {
                for m in std::iter::once(a).chain(b) {
                    if let Err(msg) = scratch_only(m, &arg) {
                        return Err(Box::new(
                            Diagnostic::error("E0644", format!("`{name}` {msg}"), i.span, "memory")
                                .with_help(
                                    "asm may use only memory 0..64 (the scratch words), at \
                                     addresses it pushes as constants: `PUSH 0 MSTORE`",
                                ),
                        ));
                    }
                }
                stack.truncate(stack.len() - info.pops);
                stack.extend(std::iter::repeat_n(None, info.pushes));
            }
            _ => {
                stack.truncate(stack.len() - info.pops);
                stack.extend(std::iter::repeat_n(None, info.pushes));
            }
        }
        code.push(AsmOp::Op(info.byte));
        Ok(())
    }
}

/// Whether a memory use stays inside the scratch words, with its address and length known.
fn scratch_only(m: MemUse, arg: &dyn Fn(usize) -> Option<U256>) -> Result<(), String> {
    let Some(addr) = arg(m.addr) else {
        return Err("needs a memory address pushed as a constant in this block".into());
    };
    let len = match m.len {
        Len::Fixed(n) => U256::from(n),
        Len::Arg(k) => arg(k).ok_or("needs a length pushed as a constant in this block")?,
    };
    let end = addr.checked_add(len);
    if end.is_none_or(|e| e > U256::from(SCRATCH)) {
        return Err(format!(
            "touches memory {addr:#x}..{} outside the scratch words 0x00..0x40",
            end.map_or("…".into(), |e| format!("{e:#x}"))
        ));
    }
    Ok(())
}

/// The capability an instruction's read needs, as the same read in the language does.
fn needs(byte: u8) -> Option<Cap> {
    match byte {
        0x54 | 0x5c => Some(Cap::Storage),
        0x30..=0x4a | 0x5a => Some(Cap::Ctx),
        _ => None,
    }
}

fn refusal(why: Refusal, name: &str) -> (&'static str, String, &'static str) {
    match why {
        Refusal::ControlFlow => (
            "E0641",
            format!("`{name}` is control flow, which `asm evm` does not allow"),
            "the compiler owns jumps and labels; branch and loop in the language around the block",
        ),
        Refusal::Terminates => (
            "E0642",
            format!("`{name}` ends the message, which `asm evm` does not allow"),
            "end the message in the language: `return`, `revert E { .. }`, `assert(..)`",
        ),
        Refusal::Effect => (
            "E0642",
            format!("`{name}` writes state or calls out, which `asm evm` does not allow"),
            "write storage, emit events and call through the language, where capabilities, \
             `#[view]` and the optimiser see them",
        ),
        Refusal::Layout => (
            "E0644",
            format!("`{name}` depends on the compiler's memory layout"),
            "asm may use only the scratch words 0..64",
        ),
    }
}
