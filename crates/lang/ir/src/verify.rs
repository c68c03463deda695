//! The IR verifier: well-formedness, def-use and the types the IR carries, checked between
//! `sema` and every backend (in debug builds and tests; backends call [`verify`] first).
//!
//! It checks that every local is declared before it is read or assigned and only read while
//! in scope (a `Let` is visible to the rest of its statement list and the lists nested in it;
//! a `Seq`'s statements to its value), that no local is declared twice while visible, that
//! `Exit` leaves an enclosing `Block` and `Break`/`Continue` an enclosing `Loop`, that a
//! handler's `Return` matches its declared reply types (the constructor returns nothing),
//! that value types are well-formed (integer widths 8..=256 in steps of 8, `bytes1..32`),
//! that replies are read only into a `Let`, that events index at most three (four when
//! anonymous) words, `Bytes` or `String`, that `Create` names one of the contract's children,
//! that the metadata has one entry per handler, that every `Call` names one of the contract's
//! internal functions with its number of arguments and that no internal function holds a
//! handler's `Return` (a function's parameters and result local are declared at its entry),
//! and which [`Stage`] the operations belong to:
//! `sema`'s output is [`Stage::Neutral`] (no [`crate::lowered`] forms); after a backend's ABI
//! lowering it is [`Stage::Lowered`] (no typed sends, replies, events or errors left).

use crate::{
    Contract, EventField, Expr, LabelId, LocalId, Module, Param, Payload, Revert, Stmt, ValTy,
    WordTy,
};
use std::fmt;

/// Which operations may appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// What `sema` produces: typed, target-neutral operations only.
    Neutral,
    /// After a backend's ABI lowering: lowered forms instead of the typed operations.
    Lowered,
}

/// Where the IR is malformed and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    pub contract: String,
    /// `init`, or the handler's variant.
    pub body: String,
    pub message: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed IR in contract `{}`, {}: {}",
            self.contract, self.body, self.message
        )
    }
}

impl std::error::Error for VerifyError {}

/// Verifies every contract of the module.
pub fn verify(m: &Module, stage: Stage) -> Result<(), VerifyError> {
    for (i, c) in m.contracts.iter().enumerate() {
        let children = m.children.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let err = |body: &str, message: String| VerifyError {
            contract: c.name.clone(),
            body: body.into(),
            message,
        };
        if let Some(bad) = children.iter().find(|k| **k >= m.contracts.len()) {
            return Err(err(
                "children",
                format!("creates contract #{bad}, which is not in the module"),
            ));
        }
        verify_contract(c, children.len(), stage)?;
    }
    Ok(())
}

/// Verifies one contract whose `Create`s may name `children` children.
pub fn verify_contract(c: &Contract, children: usize, stage: Stage) -> Result<(), VerifyError> {
    let err = |body: &str, message: String| VerifyError {
        contract: c.name.clone(),
        body: body.into(),
        message,
    };
    if c.meta.handlers.len() != c.handlers.len() {
        return Err(err(
            "metadata",
            format!(
                "{} handler(s) but {} metadata entries",
                c.handlers.len(),
                c.meta.handlers.len()
            ),
        ));
    }
    let arity: Vec<usize> = c.functions.iter().map(|f| f.params.len()).collect();
    let checker = |returns| Checker::new(stage, children, returns, &arity);
    let mut init = checker(&[]);
    init.in_init = true;
    init.body(&c.init.params, &c.init.body)
        .map_err(|m| err("init", m))?;
    for (what, s) in [("receive", &c.receive), ("fallback", &c.fallback)] {
        if let Some(s) = s {
            if !s.params.is_empty() {
                return Err(err(what, "takes no parameters".into()));
            }
            checker(&[])
                .body(&s.params, &s.body)
                .map_err(|m| err(what, m))?;
        }
    }
    for h in &c.handlers {
        let what = format!("handler `{}`", h.variant);
        for t in &h.returns {
            ty(t).map_err(|m| err(&what, m))?;
        }
        checker(&h.returns)
            .body(&h.params, &h.body)
            .map_err(|m| err(&what, m))?;
    }
    for (i, f) in c.functions.iter().enumerate() {
        let what = format!("function #{i} `{}`", f.name);
        let mut ch = checker(&[]);
        ch.in_function = true;
        ch.function(f).map_err(|m| err(&what, m))?;
    }
    Ok(())
}

struct Checker<'a> {
    stage: Stage,
    children: usize,
    returns: &'a [ValTy],
    scopes: Vec<Vec<LocalId>>,
    /// Enclosing labels, innermost last, with whether each is a loop.
    labels: Vec<(LabelId, bool)>,
    /// The parameter count of each internal function (`Expr::Call` arity).
    arity: &'a [usize],
    /// Whether the body is an internal function's (no handler `Return` in it).
    in_function: bool,
    /// Whether the body is `init`'s (the only one that may write an immutable).
    in_init: bool,
}

type Res = Result<(), String>;

fn ty(t: &ValTy) -> Res {
    match t {
        ValTy::Word(WordTy::Uint(b) | WordTy::Int(b)) if *b == 0 || *b > 256 || b % 8 != 0 => {
            Err(format!("integer width {b} is not 8..=256 in steps of 8"))
        }
        ValTy::Word(WordTy::FixedBytes(n)) if *n == 0 || *n > 32 => {
            Err(format!("bytes{n} is not bytes1..bytes32"))
        }
        ValTy::Array(t, _) | ValTy::DynArray(t) => ty(t),
        ValTy::Tuple(ts) => ts.iter().try_for_each(ty),
        _ => Ok(()),
    }
}

impl<'a> Checker<'a> {
    fn new(stage: Stage, children: usize, returns: &'a [ValTy], arity: &'a [usize]) -> Checker<'a> {
        Checker {
            stage,
            children,
            returns,
            scopes: vec![],
            labels: vec![],
            arity,
            in_function: false,
            in_init: false,
        }
    }

    /// An internal function: parameters, then the result local (0 at entry), then the body.
    fn function(mut self, f: &crate::Function) -> Res {
        self.scopes.push(vec![]);
        for p in &f.params {
            self.declare(*p).map_err(|m| format!("parameter: {m}"))?;
        }
        if let Some(r) = f.result {
            self.declare(r).map_err(|m| format!("result: {m}"))?;
        }
        self.list(&f.body)
    }

    fn body(mut self, params: &[Param], body: &[Stmt]) -> Res {
        self.scopes.push(vec![]);
        for p in params {
            ty(&p.ty).map_err(|m| format!("parameter `{}`: {m}", p.name))?;
            self.declare(p.local)
                .map_err(|m| format!("parameter `{}`: {m}", p.name))?;
        }
        self.list(body)
    }

    fn visible(&self, l: LocalId) -> bool {
        self.scopes.iter().any(|s| s.contains(&l))
    }

    fn declare(&mut self, l: LocalId) -> Res {
        if self.visible(l) {
            return Err(format!("local %{l} is declared twice while in scope"));
        }
        if let Some(s) = self.scopes.last_mut() {
            s.push(l);
        }
        Ok(())
    }

    fn list(&mut self, ss: &[Stmt]) -> Res {
        self.scopes.push(vec![]);
        let r = ss.iter().try_for_each(|s| {
            self.stmt(s).map_err(|m| {
                let shown = s.to_string();
                let first = shown.lines().next().unwrap_or("");
                if m.starts_with("in `") {
                    m
                } else {
                    format!("in `{first}`: {m}")
                }
            })
        });
        self.scopes.pop();
        r
    }

    fn neutral_only(&self, what: &str) -> Res {
        match self.stage {
            Stage::Neutral => Ok(()),
            Stage::Lowered => Err(format!("{what} should have been lowered by the backend")),
        }
    }

    fn label(&self, l: LabelId, want_loop: bool, what: &str) -> Res {
        match self.labels.iter().rev().find(|(x, _)| *x == l) {
            Some((_, is_loop)) if *is_loop == want_loop => Ok(()),
            Some(_) => Err(format!(
                "`{what} @{l}` names a {} label",
                if want_loop { "block" } else { "loop" }
            )),
            None => Err(format!(
                "`{what} @{l}` is not inside the label's block or loop"
            )),
        }
    }

    fn nested(&mut self, l: LabelId, is_loop: bool, lists: &[&[Stmt]]) -> Res {
        if self.labels.iter().any(|(x, _)| *x == l) {
            return Err(format!("label @{l} is reused inside itself"));
        }
        self.labels.push((l, is_loop));
        let r = lists.iter().try_for_each(|ss| self.list(ss));
        self.labels.pop();
        r
    }

    fn typed(&mut self, vals: &[(Expr, ValTy)]) -> Res {
        vals.iter().try_for_each(|(e, t)| {
            ty(t)?;
            self.expr(e)
        })
    }

    fn stmt(&mut self, s: &Stmt) -> Res {
        match s {
            Stmt::Let(l, e) => {
                match e {
                    Expr::Reply(t) => {
                        self.neutral_only("a reply")?;
                        ty(t)?;
                    }
                    Expr::ReplyBytes => self.neutral_only("a reply")?,
                    e => self.expr(e)?,
                }
                self.declare(*l)
            }
            Stmt::Set(l, e) => {
                self.expr(e)?;
                if !self.visible(*l) {
                    return Err(format!("assigns local %{l}, which is not declared here"));
                }
                Ok(())
            }
            Stmt::SStore(a, b) | Stmt::MStore(a, b) => {
                self.expr(a)?;
                self.expr(b)
            }
            Stmt::MCopy(a, b, c) => [a, b, c].into_iter().try_for_each(|e| self.expr(e)),
            Stmt::Expr(e) | Stmt::Assert(e, _) => self.expr(e),
            Stmt::If(c, a, b) => {
                self.expr(c)?;
                self.list(a)?;
                self.list(b)
            }
            Stmt::Block(l, body) => self.nested(*l, false, &[body]),
            Stmt::Loop { label, body, step } => self.nested(*label, true, &[body, step]),
            Stmt::Exit(l) => self.label(*l, false, "exit"),
            Stmt::Break(l) => self.label(*l, true, "break"),
            Stmt::Continue(l) => self.label(*l, true, "continue"),
            Stmt::Return(_) if self.in_function => {
                Err("a handler's `Return` (the message's reply) inside an internal function".into())
            }
            Stmt::Return(vals) => {
                let tys: Vec<&ValTy> = vals.iter().map(|(_, t)| t).collect();
                tys.iter().try_for_each(|t| ty(t))?;
                if tys.len() != self.returns.len()
                    || tys.iter().zip(self.returns).any(|(a, b)| *a != b)
                {
                    let want: Vec<String> = self.returns.iter().map(ToString::to_string).collect();
                    let got: Vec<String> = tys.iter().map(ToString::to_string).collect();
                    return Err(format!(
                        "returns ({}) but the reply is ({})",
                        got.join(", "),
                        want.join(", ")
                    ));
                }
                self.typed(vals)
            }
            Stmt::Revert(Revert::Error { name, args }) => {
                self.neutral_only("a typed error")?;
                if name.is_empty() {
                    return Err("an error without a name".into());
                }
                self.typed(args)
            }
            Stmt::Revert(_) => Ok(()),
            Stmt::Emit {
                name,
                anonymous,
                fields,
            } => {
                self.neutral_only("a typed event")?;
                self.event(name, *anonymous, fields)
            }
            Stmt::Lowered(l) => {
                if self.stage == Stage::Neutral {
                    return Err("a backend-lowered statement in target-neutral IR".into());
                }
                l.exprs().into_iter().try_for_each(|e| self.expr(e))
            }
        }
    }

    fn event(&mut self, name: &str, anonymous: bool, fields: &[EventField]) -> Res {
        let indexed = fields.iter().filter(|f| f.indexed).count();
        if indexed > if anonymous { 4 } else { 3 } {
            return Err(format!("event `{name}` indexes {indexed} fields"));
        }
        for f in fields {
            ty(&f.ty)?;
            if f.indexed && !matches!(f.ty, ValTy::Word(_) | ValTy::Bytes | ValTy::String) {
                return Err(format!("event `{name}` indexes a `{}`", f.ty));
            }
            self.expr(&f.value)?;
        }
        Ok(())
    }

    fn expr(&mut self, e: &Expr) -> Res {
        match e {
            Expr::Local(l) if !self.visible(*l) => {
                return Err(format!("reads local %{l}, which is not declared here"));
            }
            Expr::Checked { bits, .. } if *bits == 0 || *bits > 256 || bits % 8 != 0 => {
                return Err(format!("checked arithmetic on {bits} bits"));
            }
            Expr::Seq(ss, v) => {
                self.scopes.push(vec![]);
                let r = ss
                    .iter()
                    .try_for_each(|s| self.stmt(s))
                    .and_then(|_| self.expr(v));
                self.scopes.pop();
                return r;
            }
            Expr::Reply(_) | Expr::ReplyBytes => {
                self.neutral_only("a reply")?;
                return Err("a reply must be read into a `Let` right after its send".into());
            }
            Expr::Message { msg, args } => {
                self.neutral_only("a message")?;
                if msg.name.is_empty() {
                    return Err("a message without a name".into());
                }
                return self.typed(args);
            }
            Expr::Send { payload, .. } => {
                self.neutral_only("a send")?;
                if let Payload::Message(m) = payload
                    && matches!(**m, Expr::Const(_))
                {
                    return Err("sends a constant as a message".into());
                }
            }
            Expr::Create { child, args, .. } => {
                self.neutral_only("a create")?;
                if *child as usize >= self.children {
                    return Err(format!(
                        "creates child #{child} but the contract has {} children",
                        self.children
                    ));
                }
                args.iter().try_for_each(|(_, t)| ty(t))?;
            }
            Expr::SendAsync { message, .. } => {
                self.neutral_only("an async send")?;
                if matches!(**message, Expr::Const(_)) {
                    return Err("sends a constant as an async message".into());
                }
            }
            Expr::AsyncReturn(t, _) => {
                self.neutral_only("an async reply's value")?;
                ty(t)?;
            }
            Expr::MapSlot { .. } | Expr::DataSlot(_) => self.neutral_only("a storage place")?,
            Expr::AbiEncode(args) => {
                self.neutral_only("`std::abi::encode`")?;
                args.iter().try_for_each(|(_, t)| ty(t))?;
            }
            Expr::Call(func, args) => match self.arity.get(*func as usize) {
                None => {
                    return Err(format!(
                        "calls function #{func} but the contract has {}",
                        self.arity.len()
                    ));
                }
                Some(n) if *n != args.len() => {
                    return Err(format!(
                        "calls function #{func} with {} argument(s); it takes {n}",
                        args.len()
                    ));
                }
                Some(_) => {}
            },
            Expr::Intrinsic(i, args) if intrinsic_arity(*i).is_some_and(|n| n != args.len()) => {
                return Err(format!("{i:?} with {} argument(s)", args.len()));
            }
            Expr::Intrinsic(crate::Intrinsic::Immutable(k), args) if !args.is_empty() => {
                return Err(format!("reads immutable #{k} with arguments"));
            }
            Expr::Intrinsic(crate::Intrinsic::SetImmutable(k), args) => {
                if !self.in_init {
                    return Err(format!("writes immutable #{k} outside `init`"));
                }
                if args.len() != 1 {
                    return Err(format!("writes immutable #{k} with {} values", args.len()));
                }
            }
            Expr::Lowered(_) if self.stage == Stage::Neutral => {
                return Err("a backend-lowered expression in target-neutral IR".into());
            }
            _ => {}
        }
        crate::opt::util::children(e)
            .into_iter()
            .try_for_each(|c| self.expr(c))
    }
}

/// How many arguments an intrinsic takes (`None`: checked by its own rule).
fn intrinsic_arity(i: crate::Intrinsic) -> Option<usize> {
    use crate::Intrinsic as I;
    match i {
        I::Ecrecover => Some(4),
        I::CodeSize | I::CodeHash | I::TLoad => Some(1),
        I::CodeCopy => Some(3),
        I::CreateCode | I::TStore => Some(2),
        I::Immutable(_) | I::SetImmutable(_) => None,
    }
}
