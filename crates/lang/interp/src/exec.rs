//! One message's execution: statements and expressions of the neutral IR over locals, a
//! linear memory and the world's storage, in the evaluation order docs/ir.md fixes.

use crate::Error;
use crate::abi::{self, Val};
use crate::arith;
use crate::mem::{Memory, OutOfMemory};
use crate::world::{Log, World};
use alloy_primitives::{Address, B256, U256, keccak256};
use std::collections::HashMap;
use std::rc::Rc;
use tandem_lang_ir::{
    EventField, Expr, LabelId, LocalId, Module, Param, Revert, Stmt, ValTy, meta,
};

/// The running message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Msg {
    pub caller: Address,
    pub origin: Address,
    pub to: Address,
    pub value: U256,
    /// Read-only (a `StaticCall`): writing storage, emitting, sending value or creating fails.
    pub is_static: bool,
}

/// How a message ended: its reply (ABI-encoded) or its failure data.
#[derive(Debug)]
pub(crate) enum End {
    Return(Vec<u8>),
    Revert(Vec<u8>),
}

/// Why evaluation stopped early.
pub(crate) enum Halt {
    End(End),
    Err(Error),
    /// Control leaving a value-producing `Seq` for an enclosing `Block` or `Loop` (a
    /// `return` or `break` inside an expression); the nearest statement list takes it.
    Flow(Flow),
}

impl From<OutOfMemory> for Halt {
    fn from(_: OutOfMemory) -> Halt {
        // Out of gas on any chain: failure without data.
        Halt::End(End::Revert(vec![]))
    }
}

impl From<Error> for Halt {
    fn from(e: Error) -> Halt {
        Halt::Err(e)
    }
}

pub(crate) type R<T> = Result<T, Halt>;

/// Where control goes after a statement.
pub(crate) enum Flow {
    Next,
    Exit(LabelId),
    Break(LabelId),
    Continue(LabelId),
}

pub(crate) fn revert<T>(data: Vec<u8>) -> R<T> {
    Err(Halt::End(End::Revert(data)))
}

pub(crate) fn unsupported<T>(what: &str) -> R<T> {
    Err(Halt::Err(Error::Unsupported(what.to_string())))
}

/// `Panic(uint256)` revert data.
pub(crate) fn panic_data(code: u8) -> Vec<u8> {
    let mut d = meta::selector("Panic(uint256)").to_vec();
    d.extend_from_slice(&U256::from(code).to_be_bytes::<32>());
    d
}

pub(crate) fn to_address(w: U256) -> Address {
    Address::from_word(B256::from(w))
}

pub(crate) fn from_address(a: Address) -> U256 {
    U256::from_be_slice(a.as_slice())
}

pub(crate) struct Frame<'w> {
    pub w: &'w mut World,
    pub module: Rc<Module>,
    pub msg: Msg,
    /// The module index of the running contract.
    pub contract: usize,
    pub mem: Memory,
    pub locals: HashMap<LocalId, U256>,
    /// The last send's reply or failure data.
    pub ret: Vec<u8>,
    /// Internal function calls in progress (see [`MAX_CALL_DEPTH`]).
    pub calls: usize,
}

/// Nested internal function calls before the message fails without data, as a backend's
/// does when recursion runs out of room (the EVM's 1024-word stack, the WASM VM's stack
/// limit). The builds' exact limits depend on each frame's size; the interpreter's is below
/// what both reach for small frames, so a recursion that fails here fails there too
/// unless it is between the limits.
pub(crate) const MAX_CALL_DEPTH: usize = 200;

impl<'w> Frame<'w> {
    pub fn new(w: &'w mut World, module: Rc<Module>, msg: Msg, contract: usize) -> Frame<'w> {
        Frame {
            w,
            module,
            msg,
            contract,
            mem: Memory::new(),
            locals: HashMap::new(),
            ret: Vec::new(),
            calls: 0,
        }
    }

    /// Binds the decoded parameters and runs a body to its end.
    pub fn run(
        mut self,
        params: &[Param],
        vals: &[Val],
        body: &[Stmt],
        is_init: bool,
    ) -> Result<End, Error> {
        let result = (|| -> R<Flow> {
            for (p, v) in params.iter().zip(vals) {
                let word = self.mem.put(v, &p.ty)?;
                self.locals.insert(p.local, word);
            }
            self.stmts(body)
        })();
        match result {
            Ok(_) | Err(Halt::Flow(_)) => Ok(End::Return(vec![])),
            Err(Halt::End(End::Return(d))) => Ok(End::Return(if is_init { vec![] } else { d })),
            Err(Halt::End(e)) => Ok(e),
            Err(Halt::Err(e)) => Err(e),
        }
    }

    fn tick(&mut self) -> R<()> {
        if self.w.fuel == 0 {
            return unsupported(
                "the step limit (an endless loop, or gas the EVM would run out of)",
            );
        }
        self.w.fuel -= 1;
        Ok(())
    }

    pub fn stmts(&mut self, body: &[Stmt]) -> R<Flow> {
        for s in body {
            match self.stmt(s) {
                Ok(Flow::Next) => {}
                Ok(other) | Err(Halt::Flow(other)) => return Ok(other),
                Err(e) => return Err(e),
            }
        }
        Ok(Flow::Next)
    }

    fn local(&self, l: LocalId) -> R<U256> {
        match self.locals.get(&l) {
            Some(v) => Ok(*v),
            None => Err(Halt::Err(Error::Invalid(format!(
                "local {l} read before it is set"
            )))),
        }
    }

    fn stmt(&mut self, s: &Stmt) -> R<Flow> {
        self.tick()?;
        match s {
            Stmt::Let(l, e) | Stmt::Set(l, e) => {
                let v = self.expr(e)?;
                self.locals.insert(*l, v);
            }
            Stmt::SStore(slot, v) => {
                let v = self.expr(v)?;
                let slot = self.expr(slot)?;
                if self.msg.is_static {
                    return revert(vec![]);
                }
                let a = self.w.accounts.entry(self.msg.to).or_default();
                if v.is_zero() {
                    a.storage.remove(&slot);
                } else {
                    a.storage.insert(slot, v);
                }
            }
            Stmt::MStore(p, v) => {
                let v = self.expr(v)?;
                let p = self.expr(p)?;
                self.mem.store(p, v)?;
            }
            Stmt::MCopy(d, s, l) => {
                let l = self.expr(l)?;
                let s = self.expr(s)?;
                let d = self.expr(d)?;
                self.mem.copy(d, s, l)?;
            }
            Stmt::Expr(e) => {
                self.expr(e)?;
            }
            Stmt::If(c, a, b) => {
                let c = self.expr(c)?;
                return self.stmts(if c.is_zero() { b } else { a });
            }
            Stmt::Block(label, body) => {
                return Ok(match self.stmts(body)? {
                    Flow::Exit(l) if l == *label => Flow::Next,
                    other => other,
                });
            }
            Stmt::Exit(l) => return Ok(Flow::Exit(*l)),
            Stmt::Break(l) => return Ok(Flow::Break(*l)),
            Stmt::Continue(l) => return Ok(Flow::Continue(*l)),
            Stmt::Loop { label, body, step } => loop {
                self.tick()?;
                match self.stmts(body)? {
                    Flow::Next => {}
                    Flow::Continue(l) if l == *label => {}
                    Flow::Break(l) if l == *label => return Ok(Flow::Next),
                    other => return Ok(other),
                }
                match self.stmts(step)? {
                    Flow::Next => {}
                    Flow::Break(l) if l == *label => return Ok(Flow::Next),
                    other => return Ok(other),
                }
            },
            Stmt::Return(vals) => {
                let vals = self.typed(vals)?;
                return Err(Halt::End(End::Return(abi::encode(&vals))));
            }
            Stmt::Revert(r) => return self.revert_with(r),
            Stmt::Emit {
                name,
                anonymous,
                fields,
            } => self.emit(name, *anonymous, fields)?,
            Stmt::Assert(c, code) => {
                if self.expr(c)?.is_zero() {
                    return revert(panic_data(*code));
                }
            }
            Stmt::Lowered(_) => return unsupported("a backend-lowered statement in neutral IR"),
        }
        Ok(Flow::Next)
    }

    /// Evaluates typed values in order and reads them out of memory.
    pub fn typed(&mut self, vals: &[(Expr, ValTy)]) -> R<Vec<(Val, ValTy)>> {
        let mut out = Vec::with_capacity(vals.len());
        for (e, t) in vals {
            let w = self.expr(e)?;
            out.push((self.mem.get(w, t)?, t.clone()));
        }
        Ok(out)
    }

    fn revert_with<T>(&mut self, r: &Revert) -> R<T> {
        match r {
            Revert::Error { name, args } => {
                let vals = self.typed(args)?;
                let sig = meta::signature(name, vals.iter().map(|(_, t)| t));
                let mut d = meta::selector(&sig).to_vec();
                d.extend(abi::encode(&vals));
                revert(d)
            }
            Revert::Panic(code) => revert(panic_data(*code)),
            Revert::Empty => revert(vec![]),
            Revert::Bubble => revert(self.ret.clone()),
        }
    }

    fn emit(&mut self, name: &str, anonymous: bool, fields: &[EventField]) -> R<()> {
        let mut topics = Vec::new();
        if !anonymous {
            let sig = meta::signature(name, fields.iter().map(|f| &f.ty));
            topics.push(keccak256(sig.as_bytes()));
        }
        let mut data = Vec::new();
        for f in fields {
            let w = self.expr(&f.value)?;
            let v = self.mem.get(w, &f.ty)?;
            if f.indexed {
                topics.push(match v {
                    Val::Word(w) => B256::from(w),
                    Val::Bytes(b) => keccak256(&b),
                    Val::List(_) => return unsupported("an indexed aggregate event field"),
                });
            } else {
                data.push((v, f.ty.clone()));
            }
        }
        if self.msg.is_static {
            return revert(vec![]);
        }
        self.w.logs.push(Log {
            address: self.msg.to,
            topics,
            data: abi::encode(&data),
        });
        Ok(())
    }

    /// Runs a value-producing statement list (`Seq`); control leaving it abandons the
    /// expression.
    pub fn seq(&mut self, body: &[Stmt]) -> R<()> {
        match self.stmts(body)? {
            Flow::Next => Ok(()),
            f => Err(Halt::Flow(f)),
        }
    }

    pub fn expr(&mut self, e: &Expr) -> R<U256> {
        self.tick()?;
        Ok(match e {
            Expr::Const(v) => *v,
            Expr::Local(l) => self.local(*l)?,
            Expr::Bin(op, a, b) => {
                use tandem_lang_ir::BinOp::*;
                let (a, b) = if matches!(op, Shl | Shr | Sar | SignExtend | Byte) {
                    let a = self.expr(a)?;
                    (a, self.expr(b)?)
                } else {
                    let b = self.expr(b)?;
                    (self.expr(a)?, b)
                };
                arith::bin(*op, a, b)
            }
            Expr::Un(op, a) => arith::un(*op, self.expr(a)?),
            Expr::Checked {
                op,
                signed,
                bits,
                a,
                b,
            } => {
                let (a, b) = if *op == tandem_lang_ir::CheckedOp::Neg {
                    (self.expr(a)?, U256::ZERO)
                } else {
                    let b = self.expr(b)?;
                    (self.expr(a)?, b)
                };
                match arith::checked(*op, *signed, *bits, a, b) {
                    Ok(v) => v,
                    Err(code) => return revert(panic_data(code)),
                }
            }
            Expr::Env(env) => self.env(*env)?,
            Expr::Balance(a) => {
                let a = self.expr(a)?;
                self.w.balance(to_address(a))
            }
            Expr::SLoad(slot) => {
                let slot = self.expr(slot)?;
                self.w.storage(self.msg.to, slot)
            }
            Expr::MLoad(p) => {
                let p = self.expr(p)?;
                self.mem.load(p)?
            }
            Expr::HashWords(alg, ws) => {
                let mut words = vec![U256::ZERO; ws.len()];
                for (i, w) in ws.iter().enumerate().rev() {
                    words[i] = self.expr(w)?;
                }
                let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes::<32>()).collect();
                crate::exec_ext::hash(*alg, &bytes)
            }
            Expr::Hash(alg, p, len) => {
                let len = self.expr(len)?;
                let p = self.expr(p)?;
                let bytes = self.mem.read(p, len)?;
                crate::exec_ext::hash(*alg, &bytes)
            }
            Expr::MapSlot {
                base,
                key,
                bytes_key,
            } => {
                let k = self.expr(key)?;
                let base = self.expr(base)?;
                let mut bytes = if *bytes_key {
                    self.mem.bytes_at(k)?
                } else {
                    k.to_be_bytes::<32>().to_vec()
                };
                bytes.extend_from_slice(&base.to_be_bytes::<32>());
                U256::from_be_bytes(keccak256(&bytes).0)
            }
            Expr::DataSlot(base) => {
                let base = self.expr(base)?;
                U256::from_be_bytes(keccak256(base.to_be_bytes::<32>()).0)
            }
            Expr::Alloc(size) => {
                let size = self.expr(size)?;
                self.mem.alloc(size)?
            }
            Expr::Seq(body, e) => {
                self.seq(body)?;
                self.expr(e)?
            }
            Expr::Cond(c, a, b) => {
                let c = self.expr(c)?;
                self.expr(if c.is_zero() { b } else { a })?
            }
            Expr::AbiEncode(args) => {
                let vals = self.typed(args)?;
                self.mem.new_bytes(&abi::encode(&vals))?
            }
            Expr::Call(f, args) => self.call(*f, args)?,
            Expr::Lowered(_) => return unsupported("a backend-lowered expression in neutral IR"),
            _ => return self.expr_ext(e),
        })
    }
}

impl Frame<'_> {
    /// An internal function call: the arguments left to right, then the body with its own
    /// locals (parameters, the result at 0); yields the result.
    fn call(&mut self, f: tandem_lang_ir::FuncId, args: &[Expr]) -> R<U256> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.expr(a)?);
        }
        if self.calls >= MAX_CALL_DEPTH {
            return revert(vec![]);
        }
        let module = self.module.clone();
        let Some(func) = module.contracts[self.contract].functions.get(f as usize) else {
            return Err(Halt::Err(Error::Invalid(format!("no function #{f}"))));
        };
        let mut locals: HashMap<LocalId, U256> = func.params.iter().copied().zip(vals).collect();
        if let Some(r) = func.result {
            locals.insert(r, U256::ZERO);
        }
        let saved = std::mem::replace(&mut self.locals, locals);
        self.calls += 1;
        let r = self.stmts(&func.body);
        self.calls -= 1;
        let locals = std::mem::replace(&mut self.locals, saved);
        r?;
        Ok(func
            .result
            .and_then(|l| locals.get(&l).copied())
            .unwrap_or(U256::ZERO))
    }
}
