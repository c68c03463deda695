//! Compiles a contract: storage layout, constructor, handlers, selectors and method numbers,
//! the exhaustiveness of `recv`, collisions, and the ABI.

use crate::calls::{lower_camel, selector_of};
use crate::cx::{Binding, CapSet, Cx, Ret};
use crate::items::{AdtKind, Program};
use crate::types::Ty;
use std::collections::HashMap;
use tandem_lang_ir::meta::{AbiItem, AbiParam, HandlerMeta, StorageEntry};
use tandem_lang_ir::{self as ir, Expr as IrExpr, Mutability, Stmt as IrStmt, U256, ValTy};
use tandem_lang_syntax::ast::{Attr, Cap, ExprKind, MessageVariant, RecvArm};
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics, Span, did_you_mean};

struct Blake2b;

impl frc42_dispatch::hash::Hasher for Blake2b {
    fn hash(&self, bytes: &[u8]) -> Vec<u8> {
        blake2b_simd::Params::new()
            .hash_length(64)
            .hash(bytes)
            .as_bytes()
            .to_vec()
    }
}

/// The FRC-0042 method number of a name, computed by the reference resolver.
pub fn frc42_method_number(name: &str) -> Option<u64> {
    frc42_dispatch::hash::MethodResolver::new(Blake2b)
        .method_number(name)
        .ok()
}

/// A `#[view]` variant is called with STATICCALL, so its handler may only read: declaring
/// `mut storage` or `mut ctx`, or taking value, is E0402 (every such call would revert).
fn check_view(cx: &mut Cx, var: &MessageVariant, arm: &RecvArm) {
    let Some(view) = attr(&var.attrs, "view") else {
        return;
    };
    let writes = arm
        .caps
        .caps
        .iter()
        .find(|(c, _)| matches!(c, Cap::MutStorage | Cap::MutCtx));
    let payable = attr(&arm.attrs, "payable").or_else(|| attr(&var.attrs, "payable"));
    let (span, what) = match (writes, payable) {
        (Some((c, span)), _) => (*span, format!("declares `{}`", c.text())),
        (None, Some(p)) => (p.span, "is `#[payable]`".to_string()),
        (None, None) => return,
    };
    cx.err(
        Diagnostic::error(
            "E0402",
            format!(
                "the handler of `#[view]` variant `{}` {what}, but a view may only read",
                var.name.name
            ),
            span,
            "not allowed in a view",
        )
        .with_label(view.span, "`#[view]` here: callers use STATICCALL")
        .with_help("declare `storage`/`ctx` only, or remove `#[view]` from the variant"),
    );
}

fn attr<'a>(attrs: &'a [Attr], name: &str) -> Option<&'a Attr> {
    attrs.iter().find(|a| a.name.name == name)
}

/// `#[abi = sol("name(types)")]` → the signature string.
fn sol_override(attrs: &[Attr]) -> Option<String> {
    let a = attr(attrs, "abi")?;
    match &a.value.as_ref()?.kind {
        ExprKind::Call(f, args) if matches!(&f.kind, ExprKind::Path(p) if p.last().name == "sol") => {
            match args.first().map(|a| &a.value.kind) {
                Some(ExprKind::Str(s)) => Some(s.replace(' ', "")),
                _ => None,
            }
        }
        ExprKind::Str(s) => Some(s.replace(' ', "")),
        _ => None,
    }
}

/// The selector, canonical signature and Solidity name of a message variant.
pub fn variant_signature(cx: &mut Cx, mi: usize, vi: usize) -> ([u8; 4], String, String) {
    let m = &cx.p.messages[mi];
    let var = &m.def.variants[vi];
    let file = m.file;
    if crate::async_send::is_reply(var) {
        let sig = reply_signature(var);
        return (selector_of(&sig), sig, lower_camel(&var.name.name));
    }
    if let Some(sig) = sol_override(&var.attrs) {
        let name = sig.split('(').next().unwrap_or("").to_string();
        return (selector_of(&sig), sig, name);
    }
    let name = lower_camel(&var.name.name);
    let mut types = Vec::new();
    for f in &var.fields {
        let t = cx.p.resolve_ty(file, &f.ty, &Default::default(), cx.diags);
        types.push(
            cx.val_ty(&t, f.name.span)
                .map(|a| a.sol_name())
                .unwrap_or_default(),
        );
    }
    let sig = format!("{name}({})", types.join(","));
    (selector_of(&sig), sig, name)
}

/// The wire signature of a `#[reply]` variant: what the VM calls it with.
pub fn reply_signature(var: &tandem_lang_syntax::ast::MessageVariant) -> String {
    format!("{}(uint64,uint32,bytes)", lower_camel(&var.name.name))
}

/// The FRC-0042 method number of a message variant (or its `#[method = N]`).
pub fn variant_method_number(p: &Program, mi: usize, vi: usize) -> u64 {
    let m = &p.messages[mi];
    let var = &m.def.variants[vi];
    match attr(&var.attrs, "method")
        .and_then(|a| a.value.as_ref())
        .and_then(|v| crate::consts::const_value(p, m.file, v, 0))
    {
        Some(n) => n.saturating_to::<u64>(),
        None => frc42_method_number(&var.name.name).unwrap_or(0),
    }
}

fn mutability(caps: &CapSet, payable: bool) -> Mutability {
    if payable {
        Mutability::Payable
    } else if caps.mut_storage || caps.mut_ctx {
        Mutability::NonPayable
    } else if caps.storage || caps.ctx {
        Mutability::View
    } else {
        Mutability::Pure
    }
}

fn abi_params(cx: &mut Cx, fields: &[(String, Ty)], indexed: &[bool]) -> Vec<AbiParam> {
    fields
        .iter()
        .enumerate()
        .map(|(i, (n, t))| AbiParam {
            name: n.clone(),
            ty: cx
                .val_ty(t, Span::default())
                .unwrap_or(ValTy::Tuple(vec![])),
            indexed: indexed.get(i).copied().unwrap_or(false),
        })
        .collect()
}

/// Compiles one concrete contract (`subst` instantiates a generic contract). Returns the IR
/// and the indices of the contracts it creates.
pub fn compile_contract(
    p: &Program,
    diags: &mut Diagnostics,
    ci: usize,
    name: &str,
    subst: HashMap<String, Ty>,
    contract_args: HashMap<String, usize>,
) -> (ir::Contract, Vec<usize>) {
    let c = &p.contracts[ci];
    let def = c.def;
    let file = c.file;
    let storage_ty = def
        .storage
        .as_ref()
        .map(|t| p.resolve_ty(file, t, &subst, diags));
    let mut cx = Cx::new(p, diags, file, storage_ty.clone());
    cx.frame.subst = subst.clone();
    cx.contract_args = contract_args;
    cx.contract = Some(ci);
    cx.frame.contract_scope = true;
    if let Some(a) = attr(c.attrs, "slot") {
        match a
            .value
            .as_ref()
            .and_then(|v| crate::consts::const_value(p, file, v, 0))
        {
            Some(v) => cx.storage_root = IrExpr::Const(v),
            None => match a.value.as_ref().map(|v| &v.kind) {
                // `#[slot = "namespace"]`: the root is keccak256 of the name (ERC-7201 style).
                Some(ExprKind::Str(s)) => {
                    cx.storage_root =
                        IrExpr::Const(alloy_primitives::keccak256(s.as_bytes()).into())
                }
                _ => cx.err(Diagnostic::error(
                    "E0710",
                    "`#[slot = ..]` needs an integer or a string",
                    a.span,
                    "invalid slot",
                )),
            },
        }
    }
    let storage = storage_layout(
        &mut cx,
        storage_ty.as_ref(),
        def.storage.as_ref().map(|t| t.span()).unwrap_or_default(),
    );
    cx.check_immutables();
    cx.check_contract_fns();
    let mut abi = Vec::new();

    // Constructor.
    let mut names = ir::meta::WireNames::default();
    let init = match &def.init {
        Some(init) => {
            cx.frame.caps = CapSet::from_caps(&init.caps);
            cx.owner = "init".into();
            cx.caps_span = init.caps.caps.first().map(|c| c.1).unwrap_or(init.span);
            let payable = attr(&init.attrs, "payable").is_some();
            let mut params = Vec::new();
            let mut fields = Vec::new();
            for prm in &init.params {
                let t = cx.resolve_ty(&prm.ty);
                let local = cx.local();
                let abi_t = cx.val_ty(&t, prm.name.span).unwrap_or(ValTy::Tuple(vec![]));
                params.push(ir::Param {
                    name: prm.name.name.clone(),
                    ty: abi_t,
                    local,
                });
                cx.bind(
                    &prm.name.name,
                    Binding::Local {
                        id: local,
                        ty: t.clone(),
                        mutable: prm.mutable,
                    },
                );
                fields.push((prm.name.name.clone(), t));
            }
            for (prm, (_, t)) in params.iter().zip(&fields) {
                cx.check_enums(t, IrExpr::Local(prm.local));
            }
            cx.guards(&[&init.attrs]);
            let label = cx.label();
            cx.frame.ret = Ret::Inline {
                label,
                local: None,
                ty: Ty::Unit,
            };
            let t = cx.block(&init.body, Some(&Ty::Unit));
            if let (Some(e), _) = cx.rvalue(t) {
                cx.discard(e);
            }
            let body = std::mem::take(&mut cx.out);
            abi.push(AbiItem::Constructor {
                inputs: abi_params(&mut cx, &fields, &[]),
                payable,
            });
            names.init = fields.iter().map(|(_, t)| cx.type_name(t)).collect();
            ir::Init {
                params,
                payable,
                body: vec![IrStmt::Block(label, body)],
            }
        }
        None => ir::Init {
            params: vec![],
            payable: false,
            body: vec![],
        },
    };

    let mut handlers: Vec<ir::Handler> = Vec::new();
    let mut handler_meta: Vec<HandlerMeta> = Vec::new();
    let mut seen_selectors: HashMap<[u8; 4], (String, Span)> = HashMap::new();
    let mut seen_numbers: HashMap<u64, (String, Span)> = HashMap::new();
    for recv in &def.recvs {
        let Some(crate::items::ItemRef::Message(mi)) = p.lookup(file, &recv.msg.last().name) else {
            let d = p.unknown(file, &recv.msg.last().name, recv.msg.span, "message");
            cx.err(d);
            continue;
        };
        let mdef = p.messages[mi].def;
        let mfile = p.messages[mi].file;
        let mut handled: HashMap<usize, Span> = HashMap::new();
        for arm in &recv.arms {
            let vname = &arm.variant.last().name;
            let Some(vi) = mdef.variants.iter().position(|v| &v.name.name == vname) else {
                let mut d = Diagnostic::error(
                    "E0383",
                    format!("no variant `{vname}` in message `{}`", mdef.name.name),
                    arm.variant.span,
                    "unknown variant",
                );
                if let Some(s) =
                    did_you_mean(vname, mdef.variants.iter().map(|v| v.name.name.as_str()))
                {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                cx.err(d);
                continue;
            };
            if let Some(prev) = handled.insert(vi, arm.span) {
                cx.err(
                    Diagnostic::error(
                        "E0703",
                        format!("`{vname}` is handled twice"),
                        arm.span,
                        "second handler",
                    )
                    .with_label(prev, "first handled here"),
                );
                continue;
            }
            let var = &mdef.variants[vi];
            let (selector, signature, sol_name) = variant_signature(&mut cx, mi, vi);
            let method_number = variant_method_number(p, mi, vi);
            if let Some((other, span)) =
                seen_selectors.insert(selector, (var.name.name.clone(), var.name.span))
            {
                cx.err(
                    Diagnostic::error("E0701", format!("selector collision: `{}` and `{other}` both have selector 0x{}", var.name.name, hex4(selector)), var.name.span, format!("`{signature}`"))
                        .with_label(span, format!("`{other}` declared here"))
                        .with_help("rename one of the variants or set its signature with `#[abi = sol(\"..\")]`"),
                );
            }
            if let Some((other, span)) =
                seen_numbers.insert(method_number, (var.name.name.clone(), var.name.span))
            {
                cx.err(
                    Diagnostic::error("E0702", format!("FRC-0042 method number collision: `{}` and `{other}` both map to {method_number}", var.name.name), var.name.span, "same method number")
                        .with_label(span, format!("`{other}` declared here"))
                        .with_help("rename one of the variants or set its number with `#[method = N]`"),
                );
            }
            // Fields become parameters, bound by the arm's names.
            let field_tys: Vec<(String, Ty)> = var
                .fields
                .iter()
                .map(|f| {
                    (
                        f.name.name.clone(),
                        p.resolve_ty(mfile, &f.ty, &Default::default(), cx.diags),
                    )
                })
                .collect();
            cx.frame.scopes = vec![HashMap::new()];
            cx.frame.caps = CapSet::from_caps(&arm.caps);
            cx.owner = format!("{}::{}", mdef.name.name, vname);
            cx.caps_span = arm
                .caps
                .caps
                .first()
                .map(|c| c.1)
                .unwrap_or(arm.variant.span);
            cx.frame.file = file;
            check_view(&mut cx, var, arm);
            let mut params = Vec::new();
            // A `#[reply]` handler takes the VM's wire fields and computes its own.
            let reply = if crate::async_send::is_reply(var) {
                let tys: Vec<Ty> = field_tys.iter().map(|(_, t)| t.clone()).collect();
                Some(cx.reply_shape(var, &tys).unwrap_or(Ty::Unit))
            } else {
                None
            };
            let wire = match reply {
                Some(_) => crate::async_send::reply_wire(),
                None => field_tys.clone(),
            };
            for (n, t) in &wire {
                let local = cx.local();
                let abi_t = cx.val_ty(t, var.name.span).unwrap_or(ValTy::Tuple(vec![]));
                params.push(ir::Param {
                    name: n.clone(),
                    ty: abi_t,
                    local,
                });
            }
            let mut locals: Vec<ir::LocalId> = params.iter().map(|p| p.local).collect();
            if reply.is_none() {
                for ((_, t), l) in wire.iter().zip(&locals) {
                    cx.check_enums(t, IrExpr::Local(*l));
                }
            }
            if let Some(v) = &reply {
                if field_tys.len() < 2 {
                    locals.clear();
                } else {
                    locals = cx.reply_prologue(&locals, v);
                }
            }
            for ((n, t), local) in field_tys.iter().zip(locals) {
                if let Some(binds) = &arm.bindings
                    && let Some((field, rename)) = binds.iter().find(|(f, _)| &f.name == n)
                {
                    let bound = rename.as_ref().unwrap_or(field);
                    cx.bind(
                        &bound.name,
                        Binding::Local {
                            id: local,
                            ty: t.clone(),
                            mutable: false,
                        },
                    );
                }
            }
            if let Some(binds) = &arm.bindings {
                for (f, _) in binds {
                    if !field_tys.iter().any(|(n, _)| *n == f.name) {
                        let mut d = Diagnostic::error(
                            "E0310",
                            format!("`{vname}` has no field `{}`", f.name),
                            f.span,
                            "unknown field",
                        );
                        if let Some(s) =
                            did_you_mean(&f.name, field_tys.iter().map(|(n, _)| n.as_str()))
                        {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        cx.err(d);
                    }
                }
            }
            let ret_ty = match &var.ret {
                Some(t) => p.resolve_ty(mfile, t, &Default::default(), cx.diags),
                None => Ty::Unit,
            };
            let ret_abi = cx
                .val_ty(&ret_ty, var.name.span)
                .unwrap_or(ValTy::Tuple(vec![]));
            cx.frame.ret = Ret::Handler(ret_ty.clone());
            cx.guards(&[&recv.attrs, &arm.attrs]);
            let t = cx.block(&arm.body, Some(&ret_ty));
            if t.ty != Ty::Never {
                cx.mismatch(
                    &ret_ty,
                    &t.ty,
                    arm.body
                        .tail
                        .as_ref()
                        .map(|e| e.span)
                        .unwrap_or(arm.body.span),
                );
                let (v, _) = cx.rvalue(t);
                let vals = match v {
                    Some(e) if ret_ty != Ty::Unit => cx.return_values(e, &ret_ty, ret_abi.clone()),
                    Some(e) => {
                        cx.discard(e);
                        vec![]
                    }
                    None => vec![],
                };
                cx.emit(IrStmt::Return(vals));
            }
            let body = std::mem::take(&mut cx.out);
            // `#[payable]` on the handler, or on the variant (the interface says it takes value).
            let payable =
                attr(&arm.attrs, "payable").is_some() || attr(&var.attrs, "payable").is_some();
            let caps = cx.frame.caps;
            let returns = match (&ret_ty, &ret_abi) {
                (Ty::Unit, _) => vec![],
                (Ty::Tuple(_), ValTy::Tuple(ts)) => ts.clone(),
                (_, a) => vec![a.clone()],
            };
            let outs: Vec<AbiParam> = returns
                .iter()
                .map(|t| AbiParam {
                    name: String::new(),
                    ty: t.clone(),
                    indexed: false,
                })
                .collect();
            let ins = abi_params(&mut cx, &wire, &[]);
            abi.push(AbiItem::Function {
                name: sol_name.clone(),
                inputs: ins,
                outputs: outs,
                mutability: mutability(&caps, payable),
            });
            let returned = match (&ret_ty, &ret_abi) {
                (Ty::Unit, _) => vec![],
                (Ty::Tuple(ts), ValTy::Tuple(_)) => ts.iter().map(|t| cx.type_name(t)).collect(),
                (t, _) => vec![cx.type_name(t)],
            };
            names.handlers.push(ir::meta::HandlerNames {
                params: wire.iter().map(|(_, t)| cx.type_name(t)).collect(),
                returns: returned,
            });
            handler_meta.push(HandlerMeta {
                sol_name,
                signature,
                selector,
                method_number,
            });
            handlers.push(ir::Handler {
                variant: var.name.name.clone(),
                params,
                returns,
                mutability: mutability(&caps, payable),
                body,
            });
        }
        let missing: Vec<&str> = mdef
            .variants
            .iter()
            .enumerate()
            .filter(|(i, _)| !handled.contains_key(i))
            .map(|(_, v)| v.name.name.as_str())
            .collect();
        if !missing.is_empty() {
            let list = crate::code_list(&missing);
            cx.err(
                Diagnostic::error(
                    "E0700",
                    format!(
                        "non-exhaustive `recv`: {list} of `{}` not handled",
                        mdef.name.name
                    ),
                    recv.msg.span,
                    format!("{list} not handled"),
                )
                .with_help(format!(
                    "add an arm for each missing variant, e.g. `{} => {{ .. }}`",
                    missing[0]
                )),
            );
        }
    }
    // The events a contract emits and the errors it reverts with appear in its ABI, as solc
    // lists the ones a contract uses.
    let (used_events, used_errors) = (cx.used_events.clone(), cx.used_errors.clone());
    for (_, e) in p
        .events
        .iter()
        .enumerate()
        .filter(|(i, _)| used_events.contains(i))
    {
        let fields: Vec<(String, Ty)> = e
            .def
            .fields
            .iter()
            .map(|f| {
                (
                    f.name.name.clone(),
                    p.resolve_ty(e.file, &f.ty, &Default::default(), cx.diags),
                )
            })
            .collect();
        let indexed: Vec<bool> = e
            .def
            .fields
            .iter()
            .map(|f| attr(&f.attrs, "indexed").is_some())
            .collect();
        abi.push(AbiItem::Event {
            name: e.def.name.name.clone(),
            inputs: abi_params(&mut cx, &fields, &indexed),
        });
    }
    for (_, e) in p
        .errors
        .iter()
        .enumerate()
        .filter(|(i, _)| used_errors.contains(i))
    {
        let fields: Vec<(String, Ty)> = e
            .def
            .fields
            .iter()
            .map(|f| {
                (
                    f.name.name.clone(),
                    p.resolve_ty(e.file, &f.ty, &Default::default(), cx.diags),
                )
            })
            .collect();
        abi.push(AbiItem::Error {
            name: e.def.name.name.clone(),
            inputs: abi_params(&mut cx, &fields, &[]),
        });
    }
    let receive = def
        .receive
        .as_ref()
        .map(|d| lower_special(&mut cx, d, file, true, &mut abi));
    let fallback = def
        .fallback
        .as_ref()
        .map(|d| lower_special(&mut cx, d, file, false, &mut abi));
    // Parameters other than words are decoded into fresh memory.
    let in_memory = |ps: &[ir::Param]| ps.iter().any(|p| !matches!(p.ty, ir::ValTy::Word(_)));
    let uses_heap =
        cx.uses_heap || in_memory(&init.params) || handlers.iter().any(|h| in_memory(&h.params));
    let children = cx.children.clone();
    let contract = ir::Contract {
        name: name.to_string(),
        file: p.files[file].name.clone(),
        init,
        handlers,
        receive,
        fallback,
        functions: std::mem::take(&mut cx.fns.functions),
        uses_heap,
        meta: ir::meta::ContractMeta {
            handlers: handler_meta,
            abi,
            storage,
            names,
        },
    };
    (contract, children)
}

/// `receive` (always payable) or `fallback` (payable with `#[payable]`): no parameters, no
/// reply; lowered like a handler returning `()`.
fn lower_special(
    cx: &mut Cx,
    d: &tandem_lang_syntax::ast::InitDef,
    file: usize,
    receive: bool,
    abi: &mut Vec<AbiItem>,
) -> ir::Init {
    let what = if receive { "receive" } else { "fallback" };
    let payable = receive || attr(&d.attrs, "payable").is_some();
    cx.frame.scopes = vec![HashMap::new()];
    cx.frame.caps = CapSet::from_caps(&d.caps);
    cx.frame.file = file;
    cx.owner = what.into();
    cx.caps_span = d.caps.caps.first().map(|c| c.1).unwrap_or(d.span);
    cx.frame.ret = Ret::Handler(Ty::Unit);
    cx.guards(&[&d.attrs]);
    let t = cx.block(&d.body, Some(&Ty::Unit));
    if t.ty != Ty::Never {
        cx.mismatch(&Ty::Unit, &t.ty, d.body.span);
        if let (Some(e), _) = cx.rvalue(t) {
            cx.discard(e);
        }
        cx.emit(IrStmt::Return(vec![]));
    }
    abi.push(if receive {
        AbiItem::Receive
    } else {
        AbiItem::Fallback { payable }
    });
    ir::Init {
        params: vec![],
        payable,
        body: std::mem::take(&mut cx.out),
    }
}

fn hex4(b: [u8; 4]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn type_label(cx: &Cx, t: &Ty) -> String {
    match t {
        Ty::Uint(b) => format!("t_uint{b}"),
        Ty::Int(b) => format!("t_int{b}"),
        Ty::Bool => "t_bool".into(),
        Ty::Address | Ty::Handle(_) => "t_address".into(),
        Ty::FixedBytes(n) => format!("t_bytes{n}"),
        Ty::Map(k, v) => format!("t_mapping({},{})", type_label(cx, k), type_label(cx, v)),
        Ty::StorageVec(e) => format!("t_array({})dyn_storage", type_label(cx, e)),
        Ty::Array(e, n) => format!("t_array({}){n}_storage", type_label(cx, e)),
        Ty::Bytes => "t_bytes_storage".into(),
        Ty::String => "t_string_storage".into(),
        other => format!("t_struct({})_storage", cx.show(other)),
    }
}

fn storage_layout(cx: &mut Cx, ty: Option<&Ty>, span: Span) -> Vec<StorageEntry> {
    let Some(ty) = ty else { return Vec::new() };
    let root = match &cx.storage_root {
        IrExpr::Const(c) => *c,
        _ => U256::ZERO,
    };
    let entry = |cx: &mut Cx, label: String, t: &Ty, slot: u32, offset: u32| {
        let size = cx.storage_size(t, span);
        let encoding = match t {
            Ty::Map(..) => "mapping",
            Ty::StorageVec(_) | Ty::Vec(_) => "dynamic_array",
            Ty::Bytes | Ty::String => "bytes",
            _ => "inplace",
        };
        StorageEntry {
            label,
            slot: root + U256::from(slot),
            offset,
            type_label: type_label(cx, t),
            number_of_bytes: size.bytes,
            encoding,
        }
    };
    match ty {
        Ty::Adt(id, args) if matches!(cx.p.adts[*id].kind, AdtKind::Struct(_)) => {
            let fields = cx.struct_fields(*id, args);
            let pos = cx.storage_positions(ty, span);
            let imm: Vec<bool> = (0..fields.len())
                .map(|i| cx.field_is_immutable(*id, i))
                .collect();
            fields
                .iter()
                .zip(pos)
                .zip(imm)
                .filter(|(_, imm)| !imm)
                .map(|(((n, t), (s, o)), _)| entry(cx, n.clone(), t, s, o))
                .collect()
        }
        t => vec![entry(cx, "storage".into(), t, 0, 0)],
    }
}
