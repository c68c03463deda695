//! The ABI lowering: turns the typed, target-neutral operations `sema` produces into the
//! EVM-shaped forms of `tandem_lang_ir::lowered`, which the emitter turns into bytecode.
//!
//! - a message value becomes its Solidity ABI encoding behind its selector; a send becomes a
//!   CALL/STATICCALL over that buffer (or a `Bytes` payload, or no calldata);
//! - a reply becomes RETURNDATACOPY into fresh memory with Solidity's decoding checks (the
//!   data is long enough; a dynamic value's offset and length stay inside it; narrow words
//!   are clean); the whole reply becomes `Bytes` built from the return data;
//! - `Create` encodes its constructor arguments after the child's init code;
//! - an event becomes a LOG: topic 0 is the keccak256 of its signature (unless anonymous),
//!   indexed `Bytes`/`String` fields are hashed, the other fields are ABI-encoded data;
//! - a custom error becomes REVERT with its selector and ABI-encoded fields;
//! - storage places take Solidity's layout: a mapping entry at keccak256(key ‖ slot) (the
//!   key's bytes for a `Bytes`/`String` key), dynamic data at keccak256(slot).
//!
//! The output is what the optimiser and the emitter run on. Handler dispatch, parameter
//! decoding and calldata guards are the emitter's (`abi.rs`), as are the encodings of
//! returns.

#[path = "lower_async.rs"]
mod lower_async;

use std::collections::HashMap;
use tandem_lang_ir::meta::{selector, signature};
use tandem_lang_ir::opt::util::{children_mut, max_ids, stmt_exprs_mut, visit_stmts};
use tandem_lang_ir::{
    BinOp, Contract, EventField, Expr, HashAlg, LExpr, LStmt, LabelId, LocalId, Module, Param,
    Payload, Revert, Stmt, U256, UnOp, ValTy, WordTy,
};

/// Lowers every contract of the module.
pub fn lower(m: &Module) -> Module {
    Module {
        contracts: m.contracts.iter().map(lower_contract).collect(),
        children: m.children.clone(),
    }
}

fn lower_contract(c: &Contract) -> Contract {
    let mut out = c.clone();
    out.init.body = Lower::run(&c.init.body, &c.init.params);
    for s in out.specials_mut() {
        s.body = Lower::run(&s.body, &s.params);
    }
    for h in &mut out.handlers {
        h.body = Lower::run(&h.body, &h.params);
    }
    for f in &mut out.functions {
        // Parameters and the result are declared at entry: fresh ids stay above them.
        let declared: Vec<Param> = f
            .params
            .iter()
            .chain(&f.result)
            .map(|l| Param {
                name: String::new(),
                ty: ValTy::Word(WordTy::Uint(256)),
                local: *l,
            })
            .collect();
        f.body = Lower::run(&f.body, &declared);
    }
    out
}

struct Lower {
    next_local: LocalId,
    next_label: LabelId,
    /// How often each local is read (replies read once are substituted in place).
    uses: HashMap<LocalId, u32>,
    /// Reply locals replaced by the expression that reads them.
    subst: HashMap<LocalId, Expr>,
}

fn c(v: u64) -> Expr {
    Expr::c(v)
}

fn bin(o: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::bin(o, a, b)
}

fn mload(e: Expr) -> Expr {
    Expr::MLoad(Box::new(e))
}

fn rds() -> Expr {
    Expr::Lowered(LExpr::ReturnDataSize)
}

fn revert_if(cond: Expr) -> Stmt {
    Stmt::If(cond, vec![Stmt::Revert(Revert::Empty)], vec![])
}

/// The value of a word cleaned for its type (as Solidity's decoder reads it).
fn clean(e: Expr, w: WordTy) -> Expr {
    let mask = |bits: usize| Expr::Const((U256::from(1) << bits) - U256::from(1));
    match w {
        WordTy::Uint(b) if b < 256 => bin(BinOp::And, e, mask(b as usize)),
        WordTy::Int(b) if b < 256 => bin(BinOp::SignExtend, e, c(b as u64 / 8 - 1)),
        WordTy::Address => bin(BinOp::And, e, mask(160)),
        WordTy::Bool => Expr::un(UnOp::IsZero, Expr::un(UnOp::IsZero, e)),
        WordTy::FixedBytes(n) if n < 32 => {
            bin(BinOp::And, e, Expr::Const(!(U256::MAX >> (n as usize * 8))))
        }
        _ => e,
    }
}

/// Whether a word of this type can be dirty (has bits its values never set).
fn needs_check(w: WordTy) -> bool {
    !matches!(
        w,
        WordTy::Uint(256) | WordTy::Int(256) | WordTy::FixedBytes(32)
    )
}

/// True when the word `x` is not a clean `w`.
fn dirty(x: Expr, w: WordTy) -> Expr {
    Expr::un(UnOp::IsZero, bin(BinOp::Eq, clean(x.clone(), w), x))
}

/// The byte offset and type of every word of a static ABI value's head, in order.
fn static_words(t: &ValTy, at: u64, out: &mut Vec<(u64, WordTy)>) -> u64 {
    match t {
        ValTy::Word(w) => {
            out.push((at, *w));
            at + 32
        }
        ValTy::Tuple(ts) => ts.iter().fold(at, |a, t| static_words(t, a, out)),
        ValTy::Array(e, n) => (0..*n).fold(at, |a, _| static_words(e, a, out)),
        // Dynamic values are not in a static head (sema refuses them here).
        _ => at + t.head_size() as u64,
    }
}

impl Lower {
    fn run(body: &[Stmt], params: &[Param]) -> Vec<Stmt> {
        let (l, b) = max_ids(body, params);
        let mut uses: HashMap<LocalId, u32> = HashMap::new();
        visit_stmts(body, &mut |_| {}, &mut |e| {
            if let Expr::Local(x) = e {
                *uses.entry(*x).or_default() += 1;
            }
        });
        let mut cx = Lower {
            next_local: l.saturating_add(1),
            next_label: b.saturating_add(1),
            uses,
            subst: HashMap::new(),
        };
        cx.list(body.to_vec())
    }

    fn local(&mut self) -> LocalId {
        self.next_local = self.next_local.saturating_add(1);
        self.next_local - 1
    }

    fn label(&mut self) -> LabelId {
        self.next_label = self.next_label.saturating_add(1);
        self.next_label - 1
    }

    /// `Let(l, e)` into `out`; the local.
    fn spill(&mut self, e: Expr, out: &mut Vec<Stmt>) -> Expr {
        let l = self.local();
        out.push(Stmt::Let(l, e));
        Expr::Local(l)
    }

    fn list(&mut self, ss: Vec<Stmt>) -> Vec<Stmt> {
        let mut out = Vec::with_capacity(ss.len());
        for s in ss {
            self.stmt(s, &mut out);
        }
        out
    }

    fn stmt(&mut self, s: Stmt, out: &mut Vec<Stmt>) {
        match s {
            Stmt::Let(l, Expr::Reply(t)) => self.reply(l, &t, out),
            Stmt::Let(l, Expr::ReplyBytes) => self.reply_bytes(l, out),
            Stmt::Let(
                l,
                Expr::MapSlot {
                    base,
                    key,
                    bytes_key: true,
                },
            ) => {
                let (base, key) = (self.expr(*base, out), self.expr(*key, out));
                self.bytes_map_slot(l, base, key, out);
            }
            Stmt::If(cond, a, b) => {
                let cond = self.expr(cond, out);
                let (a, b) = (self.list(a), self.list(b));
                out.push(Stmt::If(cond, a, b));
            }
            Stmt::Block(l, body) => {
                let body = self.list(body);
                out.push(Stmt::Block(l, body));
            }
            Stmt::Loop { label, body, step } => {
                let (body, step) = (self.list(body), self.list(step));
                out.push(Stmt::Loop { label, body, step });
            }
            Stmt::Emit {
                name,
                anonymous,
                fields,
            } => {
                let s = self.event(&name, anonymous, fields, out);
                out.push(s);
            }
            Stmt::Revert(Revert::Error { name, args }) => {
                let sig = signature(&name, args.iter().map(|(_, t)| t));
                let args = self.typed(args, out);
                out.push(Stmt::Lowered(LStmt::RevertError {
                    selector: selector(&sig),
                    args,
                }));
            }
            mut s => {
                for e in stmt_exprs_mut(&mut s) {
                    let x = std::mem::replace(e, c(0));
                    *e = self.expr(x, out);
                }
                out.push(s);
            }
        }
    }

    fn typed(&mut self, vals: Vec<(Expr, ValTy)>, out: &mut Vec<Stmt>) -> Vec<(Expr, ValTy)> {
        vals.into_iter()
            .map(|(e, t)| (self.expr(e, out), t))
            .collect()
    }

    /// An expression with its typed operations lowered; statements it needs first (an
    /// encoding buffer) go to `out`.
    fn expr(&mut self, e: Expr, out: &mut Vec<Stmt>) -> Expr {
        match e {
            Expr::Local(l) => self.subst.get(&l).cloned().unwrap_or(e),
            Expr::Seq(ss, v) => {
                let mut inner = self.list(ss);
                let v = self.expr(*v, &mut inner);
                Expr::Seq(inner, Box::new(v))
            }
            Expr::MapSlot {
                base,
                key,
                bytes_key: false,
            } => {
                let (base, key) = (self.expr(*base, out), self.expr(*key, out));
                Expr::HashWords(HashAlg::Keccak256, vec![key, base])
            }
            Expr::DataSlot(base) => {
                Expr::HashWords(HashAlg::Keccak256, vec![self.expr(*base, out)])
            }
            Expr::Message { msg, args } => Expr::Lowered(LExpr::AbiEncode {
                selector: Some(selector(&msg.signature)),
                args: self.typed(args, out),
            }),
            Expr::AbiEncode(args) => Expr::Lowered(LExpr::AbiEncode {
                selector: None,
                args: self.typed(args, out),
            }),
            Expr::Send {
                kind,
                gas,
                target,
                value,
                payload,
            } => {
                let gas = gas.map(|g| Box::new(self.expr(*g, out)));
                let addr = Box::new(self.expr(*target, out));
                let value = Box::new(self.expr(*value, out));
                let (args, args_len) = match payload {
                    Payload::None => (c(0), c(0)),
                    Payload::Message(b) | Payload::Bytes(b) => self.buffer(*b, out),
                };
                Expr::Lowered(LExpr::Call {
                    kind,
                    gas,
                    addr,
                    value,
                    args: Box::new(args),
                    args_len: Box::new(args_len),
                })
            }
            Expr::SendAsync {
                target,
                value,
                gas,
                message,
                reply,
            } => self.send_async([*target, *value, *gas, *message], reply, out),
            Expr::AsyncReturn(t, ret) => self.async_return(&t, *ret, out),
            Expr::Create {
                child,
                value,
                args,
                salt,
            } => {
                let value = Box::new(self.expr(*value, out));
                let args = self.typed(args, out);
                let salt = salt.map(|s| Box::new(self.expr(*s, out)));
                let enc = Expr::Lowered(LExpr::AbiEncode {
                    selector: None,
                    args,
                });
                let (args, args_len) = self.buffer(enc, out);
                Expr::Lowered(LExpr::Create {
                    child,
                    value,
                    args: Box::new(args),
                    args_len: Box::new(args_len),
                    salt,
                })
            }
            mut e => {
                for ch in children_mut(&mut e) {
                    let x = std::mem::replace(ch, c(0));
                    *ch = self.expr(x, out);
                }
                e
            }
        }
    }

    /// The data and length of a buffer laid out like `Bytes` (a length word, then the data).
    fn buffer(&mut self, b: Expr, out: &mut Vec<Stmt>) -> (Expr, Expr) {
        let b = self.expr(b, out);
        let b = match b {
            Expr::Local(_) | Expr::Const(_) => b,
            b => self.spill(b, out),
        };
        (Expr::plus(b.clone(), c(32)), mload(b))
    }

    fn event(
        &mut self,
        name: &str,
        anonymous: bool,
        fields: Vec<EventField>,
        out: &mut Vec<Stmt>,
    ) -> Stmt {
        let mut topics = Vec::new();
        if !anonymous {
            let sig = signature(name, fields.iter().map(|f| &f.ty));
            topics.push(Expr::Const(
                alloy_primitives::keccak256(sig.as_bytes()).into(),
            ));
        }
        let mut data = Vec::new();
        for f in fields {
            let v = self.expr(f.value, out);
            match (f.indexed, &f.ty) {
                (true, ValTy::Bytes | ValTy::String) => topics.push(Expr::Hash(
                    HashAlg::Keccak256,
                    Box::new(Expr::plus(v.clone(), c(32))),
                    Box::new(mload(v)),
                )),
                (true, _) => topics.push(v),
                (false, t) => data.push((v, t.clone())),
            }
        }
        Stmt::Lowered(LStmt::Log { topics, data })
    }

    /// keccak256(key bytes ‖ slot), computed in place: the word after the key is saved, the
    /// slot written there, the whole hashed, the word restored.
    fn bytes_map_slot(&mut self, h: LocalId, base: Expr, key: Expr, out: &mut Vec<Stmt>) {
        let len = self.spill(mload(key.clone()), out);
        let end = Expr::plus(Expr::plus(key.clone(), c(32)), len.clone());
        let saved = self.spill(mload(end.clone()), out);
        out.push(Stmt::MStore(end.clone(), base));
        out.push(Stmt::Let(
            h,
            Expr::Hash(
                HashAlg::Keccak256,
                Box::new(Expr::plus(key, c(32))),
                Box::new(Expr::plus(len, c(32))),
            ),
        ));
        out.push(Stmt::MStore(end, saved));
    }

    /// The reply of the last call as `Bytes` in fresh memory, bound to `b`.
    fn reply_bytes(&mut self, b: LocalId, out: &mut Vec<Stmt>) {
        let size = self.spill(rds(), out);
        out.push(Stmt::Let(
            b,
            Expr::Alloc(Box::new(Expr::plus(size.clone(), c(32)))),
        ));
        out.push(Stmt::MStore(Expr::Local(b), size.clone()));
        out.push(Stmt::Lowered(LStmt::ReturnDataCopy(
            Expr::plus(Expr::Local(b), c(32)),
            c(0),
            size,
        )));
    }

    /// The reply of the last call decoded as `t`, bound to `l` (or, for a word read once,
    /// substituted where it is read).
    fn reply(&mut self, l: LocalId, t: &ValTy, out: &mut Vec<Stmt>) {
        match t {
            ValTy::Bytes | ValTy::String => self.dynamic_reply(l, 1, out),
            ValTy::DynArray(e) if matches!(**e, ValTy::Word(_)) => {
                self.dynamic_reply(l, 32, out);
                if let ValTy::Word(w) = **e {
                    self.check_clean_elements(Expr::Local(l), w, out);
                }
            }
            t if !t.is_dynamic() => {
                let head = t.head_size() as u64;
                let word = match t {
                    ValTy::Word(w) => Some(*w),
                    _ => None,
                };
                let p = if word.is_some() { self.local() } else { l };
                out.push(Stmt::Let(p, Expr::Alloc(Box::new(c(head)))));
                out.push(revert_if(bin(BinOp::Lt, rds(), c(head))));
                out.push(Stmt::Lowered(LStmt::ReturnDataCopy(
                    Expr::Local(p),
                    c(0),
                    c(head),
                )));
                // Solidity's decoder refuses a word that is not clean for its type (a bool of
                // 2, a u8 of 300): the call reverts rather than taking or truncating it.
                if let Some(w) = word {
                    let mut v = mload(Expr::Local(p));
                    if needs_check(w) {
                        v = self.spill(v, out);
                        out.push(revert_if(dirty(v.clone(), w)));
                    }
                    if self.uses.get(&l).copied().unwrap_or(0) <= 1 {
                        self.subst.insert(l, v);
                    } else {
                        out.push(Stmt::Let(l, v));
                    }
                } else {
                    let mut words = Vec::new();
                    static_words(t, 0, &mut words);
                    for (off, w) in words {
                        if needs_check(w) {
                            let at = Expr::plus(Expr::Local(l), c(off));
                            out.push(revert_if(dirty(mload(at), w)));
                        }
                    }
                }
            }
            // Nested dynamic shapes (and a `Tuple`, the callee's list of return values):
            // abi_nested.rs's strict decoder over a copy of the return data.
            _ => {
                let size = self.local();
                out.push(Stmt::Let(size, rds()));
                let buf = self.local();
                out.push(Stmt::Let(buf, Expr::Alloc(Box::new(Expr::Local(size)))));
                out.push(Stmt::Lowered(LStmt::ReturnDataCopy(
                    Expr::Local(buf),
                    c(0),
                    Expr::Local(size),
                )));
                let (stmts, v) = crate::abi_nested::decode_reply(self, t, buf, size);
                out.extend(stmts);
                out.push(Stmt::Let(l, v));
            }
        }
    }

    /// Copies the return data to fresh memory and binds `v` to its one dynamic value (a
    /// length word, then `len × unit` bytes), reverting if the offset or the length points
    /// past the data.
    fn dynamic_reply(&mut self, v: LocalId, unit: u64, out: &mut Vec<Stmt>) {
        let size = self.spill(rds(), out);
        out.push(revert_if(bin(BinOp::Lt, size.clone(), c(64))));
        let p = self.spill(Expr::Alloc(Box::new(size.clone())), out);
        out.push(Stmt::Lowered(LStmt::ReturnDataCopy(
            p.clone(),
            c(0),
            size.clone(),
        )));
        let off = self.spill(mload(p.clone()), out);
        // off + 32 <= size, written so that nothing wraps (size >= 64).
        out.push(revert_if(bin(
            BinOp::Lt,
            bin(BinOp::Sub, size.clone(), c(32)),
            off.clone(),
        )));
        out.push(Stmt::Let(v, Expr::plus(p, off.clone())));
        let len = self.spill(mload(Expr::Local(v)), out);
        out.push(revert_if(bin(BinOp::Lt, size.clone(), len.clone())));
        let bytes = bin(BinOp::Mul, len, c(unit));
        let end = Expr::plus(Expr::plus(off, c(32)), bytes);
        out.push(revert_if(bin(BinOp::Lt, size, end)));
    }

    /// Reverts unless every element of the vector at `v` is a clean `w`.
    fn check_clean_elements(&mut self, v: Expr, w: WordTy, out: &mut Vec<Stmt>) {
        if !needs_check(w) {
            return;
        }
        let n = self.spill(mload(v.clone()), out);
        let i = self.local();
        let label = self.label();
        out.push(Stmt::Let(i, c(0)));
        let at = Expr::plus(Expr::plus(v, c(32)), bin(BinOp::Shl, Expr::Local(i), c(5)));
        let dirty = dirty(mload(at), w);
        out.push(Stmt::Loop {
            label,
            body: vec![
                Stmt::If(
                    Expr::un(UnOp::IsZero, bin(BinOp::Lt, Expr::Local(i), n)),
                    vec![Stmt::Break(label)],
                    vec![],
                ),
                revert_if(dirty),
            ],
            step: vec![Stmt::Set(i, Expr::plus(Expr::Local(i), c(1)))],
        });
    }
}

/// The nested reply decoder's fresh locals and labels are the lowering's.
impl crate::abi_nested::Fresh for Lower {
    fn new_local(&mut self) -> LocalId {
        self.local()
    }
    fn new_label(&mut self) -> LabelId {
        self.label()
    }
}
