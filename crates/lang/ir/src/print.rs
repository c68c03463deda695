//! A readable text form of the IR, for snapshots of the optimiser's input and output.
//!
//! Locals print as `%N`, labels as `@N`; expressions print as calls (`add(a, b)`,
//! `checked.sub.u256(a, b)`), statements one per line with nested blocks indented.

use crate::{
    BinOp, CallKind, CheckedOp, Contract, Env, Expr, HashAlg, Init, Intrinsic, LExpr, LStmt,
    Module, Payload, Revert, Stmt, UnOp, ValTy, WordTy,
};
use std::fmt::{self, Display, Formatter, Write};

fn word_ty(t: WordTy) -> String {
    match t {
        WordTy::Uint(b) => format!("u{b}"),
        WordTy::Int(b) => format!("i{b}"),
        WordTy::Bool => "bool".into(),
        WordTy::Address => "address".into(),
        WordTy::FixedBytes(n) => format!("bytes{n}"),
    }
}

impl Display for ValTy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ValTy::Word(w) => f.write_str(&word_ty(*w)),
            ValTy::Bytes => f.write_str("bytes"),
            ValTy::String => f.write_str("string"),
            ValTy::Array(t, n) => write!(f, "[{t}; {n}]"),
            ValTy::DynArray(t) => write!(f, "vec<{t}>"),
            ValTy::Tuple(ts) => {
                f.write_str("(")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(")")
            }
        }
    }
}

fn bin_name(o: BinOp) -> &'static str {
    match o {
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "div",
        BinOp::SDiv => "sdiv",
        BinOp::Mod => "mod",
        BinOp::SMod => "smod",
        BinOp::Exp => "exp",
        BinOp::And => "and",
        BinOp::Or => "or",
        BinOp::Xor => "xor",
        BinOp::Shl => "shl",
        BinOp::Shr => "shr",
        BinOp::Sar => "sar",
        BinOp::Lt => "lt",
        BinOp::Gt => "gt",
        BinOp::SLt => "slt",
        BinOp::SGt => "sgt",
        BinOp::Eq => "eq",
        BinOp::SignExtend => "signextend",
        BinOp::Byte => "byte",
    }
}

fn checked_name(o: CheckedOp) -> &'static str {
    match o {
        CheckedOp::Add => "add",
        CheckedOp::Sub => "sub",
        CheckedOp::Mul => "mul",
        CheckedOp::Div => "div",
        CheckedOp::Rem => "rem",
        CheckedOp::Pow => "pow",
        CheckedOp::Neg => "neg",
    }
}

fn env_name(e: Env) -> &'static str {
    match e {
        Env::Caller => "caller",
        Env::Origin => "origin",
        Env::CallValue => "callvalue",
        Env::Address => "address",
        Env::Number => "number",
        Env::Timestamp => "timestamp",
        Env::ChainId => "chainid",
        Env::GasLeft => "gas",
        Env::SelfBalance => "selfbalance",
    }
}

fn list<T: Display>(f: &mut Formatter<'_>, xs: &[T]) -> fmt::Result {
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

struct Typed<'a>(&'a [(Expr, ValTy)]);

impl Display for Typed<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, (e, t)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{e}: {t}")?;
        }
        Ok(())
    }
}

fn hex4(s: &[u8; 4]) -> String {
    s.iter().map(|b| format!("{b:02x}")).collect()
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Const(v) => {
                if *v < crate::U256::from(1u64 << 32) {
                    write!(f, "{v}")
                } else {
                    write!(f, "{v:#x}")
                }
            }
            Expr::Local(l) => write!(f, "%{l}"),
            Expr::Bin(o, a, b) => write!(f, "{}({a}, {b})", bin_name(*o)),
            Expr::Un(UnOp::IsZero, a) => write!(f, "iszero({a})"),
            Expr::Un(UnOp::Not, a) => write!(f, "not({a})"),
            Expr::Checked {
                op,
                signed,
                bits,
                a,
                b,
            } => {
                let s = if *signed { 'i' } else { 'u' };
                if *op == CheckedOp::Neg {
                    write!(f, "checked.neg.{s}{bits}({a})")
                } else {
                    write!(f, "checked.{}.{s}{bits}({a}, {b})", checked_name(*op))
                }
            }
            Expr::Env(e) => write!(f, "{}()", env_name(*e)),
            Expr::Balance(a) => write!(f, "balance({a})"),
            Expr::SLoad(a) => write!(f, "sload({a})"),
            Expr::MLoad(a) => write!(f, "mload({a})"),
            Expr::HashWords(alg, ws) => {
                match alg {
                    HashAlg::Keccak256 => f.write_str("hash(")?,
                    a => write!(f, "{}_words(", hash_name(*a))?,
                }
                list(f, ws)?;
                f.write_str(")")
            }
            Expr::Hash(alg, p, l) => write!(f, "{}({p}, {l})", hash_name(*alg)),
            Expr::MapSlot {
                base,
                key,
                bytes_key,
            } => {
                let k = if *bytes_key { "bytes " } else { "" };
                write!(f, "map_slot({base}, {k}{key})")
            }
            Expr::DataSlot(a) => write!(f, "data_slot({a})"),
            Expr::Alloc(n) => write!(f, "alloc({n})"),
            Expr::Seq(ss, v) => {
                f.write_str("seq {")?;
                for s in ss {
                    let mut line = String::new();
                    write_stmt(&mut line, s, 0)?;
                    write!(f, " {};", line.trim_end().replace('\n', " "))?;
                }
                write!(f, " {v} }}")
            }
            Expr::Cond(c, a, b) => write!(f, "cond({c}, {a}, {b})"),
            Expr::Message { msg, args } => write!(f, "message {}({})", msg.name, Typed(args)),
            Expr::Send {
                kind,
                gas,
                target,
                value,
                payload,
            } => {
                write!(f, "{}(", kind_name(*kind))?;
                if let Some(g) = gas {
                    write!(f, "gas: {g}, ")?;
                }
                write!(f, "{target}, value: {value}")?;
                match payload {
                    Payload::None => f.write_str(")"),
                    Payload::Message(m) => write!(f, ", {m})"),
                    Payload::Bytes(b) => write!(f, ", bytes {b})"),
                }
            }
            Expr::SendAsync {
                target,
                value,
                gas,
                message,
                reply,
            } => {
                write!(
                    f,
                    "send_async({target}, value: {value}, gas: {gas}, {message}"
                )?;
                if let Some(r) = reply {
                    write!(f, ", on_reply: {}, reply_gas: {}", r.handler.name, r.gas)?;
                }
                f.write_str(")")
            }
            Expr::AsyncReturn(t, b) => write!(f, "async_return({b}): {t}"),
            Expr::Reply(t) => write!(f, "reply: {t}"),
            Expr::ReplyBytes => f.write_str("reply_bytes"),
            Expr::Create {
                child,
                value,
                args,
                salt,
            } => {
                write!(f, "create(#{child}, value: {value}, {}", Typed(args))?;
                if let Some(s) = salt {
                    write!(f, ", salt: {s}")?;
                }
                f.write_str(")")
            }
            Expr::Intrinsic(i, args) => {
                let n = match i {
                    Intrinsic::Ecrecover => "ecrecover",
                    Intrinsic::CodeSize => "code_size",
                    Intrinsic::CodeHash => "code_hash",
                    Intrinsic::CodeCopy => "code_copy",
                    Intrinsic::CreateCode => "create_code",
                    Intrinsic::TLoad => "tload",
                    Intrinsic::TStore => "tstore",
                    Intrinsic::Immutable(k) => return write!(f, "immutable#{k}"),
                    Intrinsic::SetImmutable(k) => {
                        write!(f, "set_immutable#{k}(")?;
                        list(f, args)?;
                        return f.write_str(")");
                    }
                };
                write!(f, "{n}(")?;
                list(f, args)?;
                f.write_str(")")
            }
            Expr::AbiEncode(args) => write!(f, "abi_encode({})", Typed(args)),
            Expr::Call(func, args) => {
                write!(f, "call fn#{func}(")?;
                list(f, args)?;
                f.write_str(")")
            }
            Expr::EvmAsm {
                inputs,
                code,
                outputs,
            } => {
                f.write_str("asm_evm(")?;
                list(f, inputs)?;
                write!(f, ") -> {outputs} {{")?;
                for op in code {
                    match op {
                        crate::AsmOp::Op(b) => write!(f, " {b:#04x}")?,
                        crate::AsmOp::Push(v) => write!(f, " push({v:#x})")?,
                    }
                }
                f.write_str(" }")
            }
            Expr::Lowered(l) => write!(f, "{l}"),
        }
    }
}

fn kind_name(k: CallKind) -> &'static str {
    match k {
        CallKind::Call => "call",
        CallKind::StaticCall => "staticcall",
    }
}

fn hash_name(a: HashAlg) -> &'static str {
    match a {
        HashAlg::Keccak256 => "keccak256",
        HashAlg::Sha256 => "sha256",
        HashAlg::Blake2b256 => "blake2b256",
    }
}

impl Display for LExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LExpr::Call {
                kind,
                gas,
                addr,
                value,
                args,
                args_len,
            } => {
                write!(f, "evm.{}(", kind_name(*kind))?;
                if let Some(g) = gas {
                    write!(f, "gas: {g}, ")?;
                }
                write!(f, "{addr}, value: {value}, {args}, {args_len})")
            }
            LExpr::Create {
                child,
                value,
                args,
                args_len,
                salt,
            } => {
                write!(f, "evm.create(#{child}, value: {value}, {args}, {args_len}")?;
                if let Some(s) = salt {
                    write!(f, ", salt: {s}")?;
                }
                f.write_str(")")
            }
            LExpr::AbiEncode { selector, args } => {
                f.write_str("evm.abi_encode(")?;
                if let Some(s) = selector {
                    write!(f, "0x{}; ", hex4(s))?;
                }
                write!(f, "{})", Typed(args))
            }
            LExpr::ReturnDataSize => f.write_str("evm.returndatasize()"),
        }
    }
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push_str("  ");
    }
}

fn write_block(out: &mut String, ss: &[Stmt], depth: usize) -> fmt::Result {
    for s in ss {
        write_stmt(out, s, depth)?;
    }
    Ok(())
}

/// Writes one statement (and its nested blocks), each line ending with a newline.
fn write_stmt(out: &mut String, s: &Stmt, d: usize) -> fmt::Result {
    indent(out, d);
    match s {
        Stmt::Let(l, e) => writeln!(out, "let %{l} = {e}"),
        Stmt::Set(l, e) => writeln!(out, "%{l} = {e}"),
        Stmt::SStore(p, v) => writeln!(out, "sstore({p}, {v})"),
        Stmt::MStore(p, v) => writeln!(out, "mstore({p}, {v})"),
        Stmt::MCopy(a, b, c) => writeln!(out, "mcopy({a}, {b}, {c})"),
        Stmt::Expr(e) => writeln!(out, "{e}"),
        Stmt::If(c, a, b) => {
            writeln!(out, "if {c} {{")?;
            write_block(out, a, d + 1)?;
            if !b.is_empty() {
                indent(out, d);
                writeln!(out, "}} else {{")?;
                write_block(out, b, d + 1)?;
            }
            indent(out, d);
            writeln!(out, "}}")
        }
        Stmt::Block(l, body) => {
            writeln!(out, "block @{l} {{")?;
            write_block(out, body, d + 1)?;
            indent(out, d);
            writeln!(out, "}}")
        }
        Stmt::Exit(l) => writeln!(out, "exit @{l}"),
        Stmt::Loop { label, body, step } => {
            writeln!(out, "loop @{label} {{")?;
            write_block(out, body, d + 1)?;
            if !step.is_empty() {
                indent(out, d);
                writeln!(out, "}} step {{")?;
                write_block(out, step, d + 1)?;
            }
            indent(out, d);
            writeln!(out, "}}")
        }
        Stmt::Break(l) => writeln!(out, "break @{l}"),
        Stmt::Continue(l) => writeln!(out, "continue @{l}"),
        Stmt::Return(vals) => writeln!(out, "return({})", Typed(vals)),
        Stmt::Revert(Revert::Error { name, args }) => {
            writeln!(out, "revert error {name}({})", Typed(args))
        }
        Stmt::Revert(Revert::Panic(c)) => writeln!(out, "revert panic({c:#04x})"),
        Stmt::Revert(Revert::Empty) => writeln!(out, "revert"),
        Stmt::Revert(Revert::Bubble) => writeln!(out, "revert bubble"),
        Stmt::Emit {
            name,
            anonymous,
            fields,
        } => {
            let anon = if *anonymous { "anonymous " } else { "" };
            write!(out, "emit {anon}{name}(")?;
            for (i, fl) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let ix = if fl.indexed { "indexed " } else { "" };
                write!(out, "{ix}{}: {}", fl.value, fl.ty)?;
            }
            writeln!(out, ")")
        }
        Stmt::Lowered(LStmt::ReturnDataCopy(a, b, c)) => {
            writeln!(out, "evm.returndatacopy({a}, {b}, {c})")
        }
        Stmt::Lowered(LStmt::MStore8(p, v)) => writeln!(out, "evm.mstore8({p}, {v})"),
        Stmt::Lowered(LStmt::RevertError { selector, args }) => {
            writeln!(out, "evm.revert 0x{}({})", hex4(selector), Typed(args))
        }
        Stmt::Lowered(LStmt::Log { topics, data }) => {
            out.push_str("evm.log [");
            for (i, t) in topics.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write!(out, "{t}")?;
            }
            writeln!(out, "] ({})", Typed(data))
        }
        Stmt::Assert(c, code) => writeln!(out, "assert {c} else panic({code:#04x})"),
    }
}

/// A statement list printed as indented lines.
pub struct Body<'a>(pub &'a [Stmt]);

impl Display for Body<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_block(&mut out, self.0, 0)?;
        f.write_str(&out)
    }
}

impl Display for Stmt {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_stmt(&mut out, self, 0)?;
        f.write_str(out.trim_end())
    }
}

fn params(f: &mut Formatter<'_>, ps: &[crate::Param]) -> fmt::Result {
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{} %{}: {}", p.name, p.local, p.ty)?;
    }
    Ok(())
}

fn body_indented(f: &mut Formatter<'_>, ss: &[Stmt]) -> fmt::Result {
    let mut out = String::new();
    write_block(&mut out, ss, 1)?;
    f.write_str(&out)
}

fn handler(f: &mut Formatter<'_>, c: &Contract, i: usize) -> fmt::Result {
    let h = &c.handlers[i];
    match c.meta.handlers.get(i) {
        Some(m) => write!(f, "handler {} 0x{} (", m.signature, hex4(&m.selector))?,
        None => write!(f, "handler {} (", h.variant)?,
    }
    params(f, &h.params)?;
    f.write_str(")")?;
    if !h.returns.is_empty() {
        f.write_str(" -> (")?;
        list(f, &h.returns)?;
        f.write_str(")")?;
    }
    writeln!(f, " {} {{", h.mutability.as_str())?;
    body_indented(f, &h.body)?;
    writeln!(f, "}}")
}

impl Display for Init {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("init(")?;
        params(f, &self.params)?;
        writeln!(f, "){} {{", if self.payable { " payable" } else { "" })?;
        body_indented(f, &self.body)?;
        writeln!(f, "}}")
    }
}

impl Display for Contract {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "contract {} ({})", self.name, self.file)?;
        write!(f, "{}", self.init)?;
        for (name, s) in [("receive", &self.receive), ("fallback", &self.fallback)] {
            if let Some(s) = s {
                writeln!(f, "{name}{} {{", if s.payable { " payable" } else { "" })?;
                body_indented(f, &s.body)?;
                writeln!(f, "}}")?;
            }
        }
        for i in 0..self.handlers.len() {
            handler(f, self, i)?;
        }
        for (i, func) in self.functions.iter().enumerate() {
            write!(f, "fn#{i} {}(", func.name)?;
            let ps: Vec<String> = func.params.iter().map(|l| format!("%{l}")).collect();
            f.write_str(&ps.join(", "))?;
            match func.result {
                Some(r) => writeln!(f, ") -> %{r} {{")?,
                None => writeln!(f, ") {{")?,
            }
            body_indented(f, &func.body)?;
            writeln!(f, "}}")?;
        }
        Ok(())
    }
}

impl Display for Module {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, c) in self.contracts.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}
