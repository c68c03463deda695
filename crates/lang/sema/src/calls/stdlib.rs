//! The standard library beyond hashing and `std::abi::encode` (issue 17, seed 001):
//! `std::abi::{encode_packed, encode_with_selector, encode_with_signature, encode_call}`,
//! `std::math::{mul_div, mul_div_up, mul_mod, add_mod}` and `std::abi::decode`
//! (`decode.rs`). These lower to target-neutral IR that sema already produces elsewhere (memory stores and copies, word
//! arithmetic, loops), so the EVM build, the native build and the reference interpreter all
//! run the same operations.
//! `std::code::{code_at, code_hash}` lower to `Intrinsic::CodeCopy`/`CodeHash` (EXTCODECOPY,
//! EXTCODEHASH); the native build refuses them (the VM has no syscall for code bytes).
//! `std::reentrancy::{enter, exit}` hold a lock in transient storage (`Intrinsic::TLoad`/
//! `TStore`, EIP-1153): TLOAD/TSTORE on the EVM, the `transient_get`/`transient_set`
//! syscalls on the native target.
//! `std::sstore2::{write, read, read_range}` (`sstore2.rs`) keep large values as the code of
//! a data contract (`Intrinsic::CreateCode`, CREATE; EVM-only like `std::code`).

mod decode;
mod encode;
mod math;
mod sstore2;

use crate::cx::{Cx, Typed};
use crate::types::Ty;
use tandem_lang_ir::{BinOp as IB, Expr as IrExpr, Intrinsic, Revert, Stmt as IrStmt, U256, ValTy};
use tandem_lang_syntax::ast::{Arg, Cap, ExprKind, TypeExpr};
use tandem_lang_syntax::diag::{Diagnostic, Span};

/// `(module, function)` pairs this file implements; `items::std_fn` consults it too, so they
/// can be imported with `use std::module::function`.
pub(crate) const STD_FNS: &[(&str, &str)] = &[
    ("abi", "encode_packed"),
    ("abi", "encode_with_selector"),
    ("abi", "encode_with_signature"),
    ("abi", "encode_call"),
    ("abi", "decode"),
    ("math", "mul_div"),
    ("math", "mul_div_up"),
    ("math", "mul_mod"),
    ("math", "add_mod"),
    ("code", "code_at"),
    ("code", "code_hash"),
    ("reentrancy", "enter"),
    ("reentrancy", "exit"),
    ("sstore2", "write"),
    ("sstore2", "read"),
    ("sstore2", "read_range"),
];

/// The transient storage slot of `std::reentrancy`'s lock: keccak256("tandem.std.reentrancy").
fn lock_slot() -> U256 {
    alloy_primitives::keccak256(b"tandem.std.reentrancy").into()
}

pub(crate) fn std_fn(module: &str, name: &str) -> Option<&'static str> {
    STD_FNS
        .iter()
        .find(|(m, n)| *m == module && *n == name)
        .map(|(_, n)| *n)
}

/// Whether a standard-library function name (as `ItemRef::Std` holds it) is one of these.
pub(crate) fn owns(name: &str) -> bool {
    STD_FNS.iter().any(|(_, n)| *n == name)
}

/// One argument of `encode_packed`, evaluated.
enum Part {
    /// A value type: its word, already shifted to the top, and its packed width in bytes.
    Word(IrExpr, u64),
    /// `Bytes`/`String`: a pointer to a length word and the data.
    Dyn(IrExpr),
    /// A `Vec` of value types: a pointer to a length word and one word per element.
    VecWords(IrExpr),
    /// A fixed array of value types: a pointer to `n` words.
    ArrayWords(IrExpr, u64),
}

/// `len` rounded up to whole words.
fn round_up(len: IrExpr) -> IrExpr {
    IrExpr::bin(
        IB::Shl,
        IrExpr::bin(IB::Shr, IrExpr::plus(len, IrExpr::c(31)), IrExpr::c(5)),
        IrExpr::c(5),
    )
}

impl Cx<'_, '_> {
    /// A call of one of [`STD_FNS`] (`f` is its name), with the type arguments written on
    /// its path and the type the context expects (`std::abi::decode` takes its type from
    /// either).
    pub(crate) fn stdlib_call(
        &mut self,
        f: &str,
        args: &[Arg],
        span: Span,
        (generics, expected): (&[TypeExpr], Option<&Ty>),
    ) -> Typed {
        match f {
            "encode_packed" => self.encode_packed(args),
            "decode" => self.decode_call(args, span, generics, expected),
            "encode_with_selector" => {
                if args.is_empty() {
                    return self.arity(span, 1);
                }
                let sel = self.value_of_pub(&args[0].value, &Ty::FixedBytes(4));
                let sel = self.spill(sel);
                self.with_selector(sel, &args[1..])
            }
            "encode_call" => self.encode_call(args, span),
            "encode_with_signature" => {
                let sig = match args.first().map(|a| &a.value.kind) {
                    Some(ExprKind::Str(s)) => s.clone(),
                    _ => {
                        self.err(Diagnostic::error(
                            "E0622",
                            "`encode_with_signature` takes the signature as a string literal",
                            args.first().map(|a| a.value.span).unwrap_or(span),
                            "expected e.g. \"transfer(address,uint256)\"",
                        ));
                        return Typed::error();
                    }
                };
                let h = super::selector_of(&sig);
                let mut w = [0u8; 32];
                w[..4].copy_from_slice(&h);
                self.with_selector(IrExpr::Const(U256::from_be_bytes(w)), &args[1..])
            }
            "code_at" | "code_hash" => {
                self.require(Cap::Ctx, span, &format!("`{f}`"));
                if args.len() != 1 {
                    return self.arity(span, 1);
                }
                let a = self.value_of_pub(&args[0].value, &Ty::Address);
                let a = self.spill(a);
                if f == "code_hash" {
                    let h = IrExpr::Intrinsic(Intrinsic::CodeHash, vec![a]);
                    return Typed::value(h, Ty::FixedBytes(32));
                }
                let n = self.spill(IrExpr::Intrinsic(Intrinsic::CodeSize, vec![a.clone()]));
                let out = self.packed_buffer(n.clone());
                let data = IrExpr::plus(out.clone(), IrExpr::c(32));
                self.emit(IrStmt::Expr(IrExpr::Intrinsic(
                    Intrinsic::CodeCopy,
                    vec![a, data.clone(), n.clone()],
                )));
                self.emit(IrStmt::MStore(IrExpr::plus(data, n), IrExpr::c(0)));
                Typed::value(out, Ty::Bytes)
            }
            "write" | "read" | "read_range" => self.sstore2_call(f, args, span),
            "enter" | "exit" => {
                self.require(Cap::MutStorage, span, &format!("`std::reentrancy::{f}`"));
                if !args.is_empty() {
                    return self.arity(span, 0);
                }
                let slot = IrExpr::Const(lock_slot());
                if f == "enter" {
                    let held = IrExpr::Intrinsic(Intrinsic::TLoad, vec![slot.clone()]);
                    self.emit(IrStmt::If(
                        held,
                        vec![IrStmt::Revert(Revert::Error {
                            name: "ReentrancyGuardReentrantCall".into(),
                            args: vec![],
                        })],
                        vec![],
                    ));
                }
                let v = IrExpr::c(u64::from(f == "enter"));
                let store = IrExpr::Intrinsic(Intrinsic::TStore, vec![slot, v]);
                self.emit(IrStmt::Expr(store));
                Typed::unit()
            }
            "mul_div" | "mul_div_up" => {
                if args.len() != 3 {
                    return self.arity(span, 3);
                }
                let a = self.value_of_pub(&args[0].value, &Ty::U256);
                let a = self.spill(a);
                let b = self.value_of_pub(&args[1].value, &Ty::U256);
                let b = self.spill(b);
                let d = self.value_of_pub(&args[2].value, &Ty::U256);
                let d = self.spill(d);
                let q = if f == "mul_div_up" {
                    self.helper_call("math::mul_div_up", vec![a, b, d], |cx, v| {
                        cx.mul_div(v[0].clone(), v[1].clone(), v[2].clone(), true)
                    })
                } else {
                    self.helper_call("math::mul_div", vec![a, b, d], |cx, v| {
                        cx.mul_div(v[0].clone(), v[1].clone(), v[2].clone(), false)
                    })
                };
                Typed::value(q, Ty::U256)
            }
            "mul_mod" | "add_mod" => {
                if args.len() != 3 {
                    return self.arity(span, 3);
                }
                let mut vals = Vec::new();
                for a in args {
                    let v = self.value_of_pub(&a.value, &Ty::U256);
                    vals.push(self.spill(v));
                }
                let r = if f == "mul_mod" {
                    self.helper_call("math::mul_mod", vals, |cx, v| {
                        cx.mul_mod(v[0].clone(), v[1].clone(), v[2].clone())
                    })
                } else {
                    self.helper_call("math::add_mod", vals, |cx, v| {
                        cx.add_mod(v[0].clone(), v[1].clone(), v[2].clone())
                    })
                };
                Typed::value(r, Ty::U256)
            }
            _ => {
                self.err(Diagnostic::error(
                    "E0621",
                    format!("`{f}` is not supported yet"),
                    span,
                    "not available",
                ));
                Typed::error()
            }
        }
    }

    /// `std::abi::decode::<T>(data)`: checks the call, then [`Self::abi_decode`].
    fn decode_call(
        &mut self,
        args: &[Arg],
        span: Span,
        generics: &[TypeExpr],
        expected: Option<&Ty>,
    ) -> Typed {
        if args.len() != 1 {
            return self.arity(span, 1);
        }
        let ty = match (generics, expected) {
            ([g], _) => self.resolve_ty(g),
            ([], Some(t)) if !matches!(t, Ty::Error) => t.clone(),
            _ => {
                self.err(Diagnostic::error(
                    "E0622",
                    "`decode` needs the type to decode, as `decode::<T>(data)`",
                    span,
                    "one type argument expected",
                ));
                return Typed::error();
            }
        };
        if ty == Ty::Error {
            return Typed::error();
        }
        let data = self.value_of_pub(&args[0].value, &Ty::Bytes);
        let data = self.spill(data);
        let at = generics.first().map(|g| g.span()).unwrap_or(span);
        if self.val_ty(&ty, at).is_none() {
            return Typed::error();
        }
        self.abi_decode(&ty, data)
    }

    /// The packed width in bytes of a value type, or `None` for anything else.
    fn packed_width(&self, ty: &Ty) -> Option<u64> {
        match ty {
            Ty::Bool => Some(1),
            Ty::Uint(b) | Ty::Int(b) => Some(*b as u64 / 8),
            Ty::Address | Ty::Handle(_) => Some(20),
            Ty::FixedBytes(n) => Some(*n as u64),
            _ => None,
        }
    }

    /// `std::abi::encode_packed(..)`: Solidity's `abi.encodePacked`. Value types take their
    /// width (big-endian, `bytesN` as is), `Bytes`/`String` their bytes with no length, and
    /// arrays and `Vec`s of value types one 32-byte word per element.
    fn encode_packed(&mut self, args: &[Arg]) -> Typed {
        let mut parts = Vec::new();
        let mut fixed: u64 = 0;
        for a in args {
            let t = self.expr(&a.value, None);
            let (v, ty) = self.rvalue(t);
            let v = v.unwrap_or(IrExpr::c(0));
            let elem_word = |cx: &Self, t: &Ty| cx.packed_width(t).is_some();
            let part = match &ty {
                Ty::Error => return Typed::error(),
                Ty::Bytes | Ty::String => Part::Dyn(self.spill(v)),
                Ty::Vec(t) if elem_word(self, t) => Part::VecWords(self.spill(v)),
                Ty::Array(t, n) if elem_word(self, t) => {
                    fixed += 32 * *n as u64;
                    Part::ArrayWords(self.spill(v), *n as u64)
                }
                t => match self.packed_width(t) {
                    Some(w) => {
                        fixed += w;
                        let top = match t {
                            Ty::FixedBytes(_) => v,
                            _ if w == 32 => v,
                            _ => IrExpr::bin(IB::Shl, v, IrExpr::c(256 - 8 * w)),
                        };
                        Part::Word(self.spill(top), w)
                    }
                    None => {
                        let shown = self.show(t);
                        self.err(Diagnostic::error(
                            "E0622",
                            format!("`encode_packed` cannot pack a `{shown}`"),
                            a.value.span,
                            "not a value type, Bytes, String or an array of value types",
                        ));
                        return Typed::error();
                    }
                },
            };
            parts.push(part);
        }
        // The length: the fixed widths plus every dynamic part's.
        let mut len = IrExpr::c(fixed);
        for p in &parts {
            match p {
                Part::Dyn(ptr) => len = IrExpr::plus(len, IrExpr::MLoad(Box::new(ptr.clone()))),
                Part::VecWords(ptr) => {
                    let n = IrExpr::MLoad(Box::new(ptr.clone()));
                    len = IrExpr::plus(len, IrExpr::bin(IB::Shl, n, IrExpr::c(5)));
                }
                _ => {}
            }
        }
        let len = self.spill(len);
        let out = self.packed_buffer(len.clone());
        let cur = self.local();
        self.emit(IrStmt::Let(cur, IrExpr::plus(out.clone(), IrExpr::c(32))));
        let at = IrExpr::Local(cur);
        let advance = |n: IrExpr| IrStmt::Set(cur, IrExpr::plus(IrExpr::Local(cur), n));
        for p in parts {
            match p {
                // A whole word is written; the next part (or the final clearing) overwrites
                // what lies past this one's width.
                Part::Word(v, w) => {
                    self.emit(IrStmt::MStore(at.clone(), v));
                    self.emit(advance(IrExpr::c(w)));
                }
                Part::Dyn(ptr) => {
                    let n = self.spill(IrExpr::MLoad(Box::new(ptr.clone())));
                    let src = IrExpr::plus(ptr, IrExpr::c(32));
                    self.emit(IrStmt::MCopy(at.clone(), src, n.clone()));
                    self.emit(advance(n));
                }
                Part::VecWords(ptr) => {
                    let n =
                        IrExpr::bin(IB::Shl, IrExpr::MLoad(Box::new(ptr.clone())), IrExpr::c(5));
                    let n = self.spill(n);
                    let src = IrExpr::plus(ptr, IrExpr::c(32));
                    self.emit(IrStmt::MCopy(at.clone(), src, n.clone()));
                    self.emit(advance(n));
                }
                Part::ArrayWords(ptr, n) => {
                    self.emit(IrStmt::MCopy(at.clone(), ptr, IrExpr::c(32 * n)));
                    self.emit(advance(IrExpr::c(32 * n)));
                }
            }
        }
        // Bytes past the length up to the next word are zero, as every `Bytes` value's are.
        self.emit(IrStmt::MStore(at, IrExpr::c(0)));
        Typed::value(out, Ty::Bytes)
    }

    /// Fresh `Bytes` of `len` bytes (a local), with room for one more word past the data so
    /// the last part and the clearing store stay inside the allocation.
    pub(crate) fn packed_buffer(&mut self, len: IrExpr) -> IrExpr {
        let out = self.alloc(IrExpr::plus(round_up(len.clone()), IrExpr::c(64)));
        self.emit(IrStmt::MStore(out.clone(), len));
        out
    }

    /// `sel` (a left-aligned `bytes4` word) followed by `std::abi::encode(args..)`: Solidity's
    /// `abi.encodeWithSelector`.
    fn with_selector(&mut self, sel: IrExpr, args: &[Arg]) -> Typed {
        let mut enc = Vec::new();
        for a in args {
            let t = self.expr(&a.value, None);
            let (v, ty) = self.rvalue(t);
            if ty == Ty::Error {
                return Typed::error();
            }
            let abi = self
                .val_ty(&ty, a.value.span)
                .unwrap_or(ValTy::Tuple(vec![]));
            let v = self.spill(v.unwrap_or(IrExpr::c(0)));
            enc.push((v, abi, ty));
        }
        self.selector_then(sel, enc)
    }

    /// `std::abi::encode_call(Msg::Variant { .. })`: the calldata a Solidity caller sends for
    /// that message (the variant's selector, then its fields ABI-encoded in declared order),
    /// as `Bytes` (for stored calls, `ctx.call_raw`, or comparing with what a contract
    /// received). The fields are checked against the variant's declared types, as when the
    /// message is sent.
    fn encode_call(&mut self, args: &[Arg], span: Span) -> Typed {
        let [arg] = args else {
            return self.arity(span, 1);
        };
        let (path, fields) = match &arg.value.kind {
            ExprKind::StructLit { path, fields } => (path, fields.as_slice()),
            ExprKind::Path(path) => (path, &[][..]),
            _ => return self.not_a_message_literal(arg.value.span),
        };
        let message = match path.segments.as_slice() {
            [m, _] => match self.p.lookup(self.frame.file, &m.name) {
                Some(crate::items::ItemRef::Message(mi)) => Some(mi),
                _ => None,
            },
            _ => None,
        };
        let Some(mi) = message else {
            return self.not_a_message_literal(arg.value.span);
        };
        let Some(vi) = self.message_variant(mi, &path.segments[1]) else {
            return Typed::error();
        };
        let file = self.p.messages[mi].file;
        let var = &self.p.messages[mi].def.variants[vi];
        let vals = self.named_fields(&var.fields, file, fields, path.span, &path.text());
        let mut enc = Vec::new();
        for (v, ty) in vals {
            if ty == Ty::Error {
                return Typed::error();
            }
            let abi = self.val_ty(&ty, path.span).unwrap_or(ValTy::Tuple(vec![]));
            let v = self.spill(v);
            enc.push((v, abi, ty));
        }
        let (selector, _, _) = crate::contract::variant_signature(self, mi, vi);
        let mut w = [0u8; 32];
        w[..4].copy_from_slice(&selector);
        self.selector_then(IrExpr::Const(U256::from_be_bytes(w)), enc)
    }

    fn not_a_message_literal(&mut self, span: Span) -> Typed {
        self.err(Diagnostic::error(
            "E0623",
            "`encode_call` takes a message written out: `Msg::Variant { .. }`",
            span,
            "expected e.g. `Erc20::Transfer { to, amount }`",
        ));
        Typed::error()
    }

    /// `sel` followed by the ABI encoding of `enc`, as fresh `Bytes`.
    fn selector_then(&mut self, sel: IrExpr, enc: Vec<(IrExpr, ValTy, Ty)>) -> Typed {
        let body = self.abi_encode_values(enc);
        let body = self.spill(body);
        let body_len = self.spill(IrExpr::MLoad(Box::new(body.clone())));
        let len = self.spill(IrExpr::plus(body_len.clone(), IrExpr::c(4)));
        let out = self.packed_buffer(len.clone());
        self.emit(IrStmt::MStore(
            IrExpr::plus(out.clone(), IrExpr::c(32)),
            sel,
        ));
        self.emit(IrStmt::MCopy(
            IrExpr::plus(out.clone(), IrExpr::c(36)),
            IrExpr::plus(body, IrExpr::c(32)),
            body_len,
        ));
        self.emit(IrStmt::MStore(
            IrExpr::plus(IrExpr::plus(out.clone(), IrExpr::c(32)), len),
            IrExpr::c(0),
        ));
        Typed::value(out, Ty::Bytes)
    }
}
