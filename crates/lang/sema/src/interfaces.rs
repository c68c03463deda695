//! Interfaces: a `message` type used as a contract's interface. `contract Token: Erc20`
//! promises that the contract handles every variant of `Erc20` with the same fields, reply,
//! `#[view]`/`#[payable]`-ness and wire names (selector and FRC-0042 number), whichever of
//! its own message types declares them (E0704–E0706). `Address<Erc20>` is a typed handle: an
//! address known to speak `Erc20`, made by `Erc20::at(a)`, turned back by `h.address()` (or
//! `h as Address`); `ctx.call` through it refuses any other message type (E0603). A handle is
//! a plain address on the wire and in IR, so no backend knows about it. A generic contract's
//! parameter may be bounded by interfaces (`contract Keeper<T: Erc20>`): its argument must be
//! a contract that speaks them (E0224), and in the body the parameter is the handle type of
//! exactly its bounds.

use crate::contract::{variant_method_number, variant_signature};
use crate::cx::{Cx, Typed};
use crate::items::{ItemRef, Program};
use crate::types::Ty;
use std::collections::HashMap;
use tandem_lang_ir::Expr as IrExpr;
use tandem_lang_syntax::ast::{self, Arg, MessageVariant, TypeExpr};
use tandem_lang_syntax::diag::{Diagnostic, Diagnostics, Span};

impl Program<'_> {
    /// `Address<M>`: the handle type of message `M`; `None` for any other path.
    pub(crate) fn handle_ty(
        &self,
        file: usize,
        path: &ast::Path,
        subst: &HashMap<String, Ty>,
        diags: &mut Diagnostics,
    ) -> Option<Ty> {
        if path.segments.len() != 1
            || path.segments[0].name != "Address"
            || path.generics.is_empty()
            || subst.contains_key("Address")
        {
            return None;
        }
        if path.generics.len() != 1 {
            diags.push(Diagnostic::error(
                "E0213",
                format!(
                    "`Address` takes 1 type argument (a message type), {} given",
                    path.generics.len()
                ),
                path.span,
                "wrong number of type arguments",
            ));
            return Some(Ty::Error);
        }
        let arg = &path.generics[0];
        let named = match arg {
            TypeExpr::Path(p) if p.generics.is_empty() => Some(p.last()),
            _ => None,
        };
        if let Some(name) = named {
            if let Some(t @ Ty::Handle(_)) = subst.get(&name.name) {
                return Some(t.clone());
            }
            if let Some(ItemRef::Message(mi)) = self.lookup(file, &name.name) {
                return Some(Ty::Handle(vec![mi]));
            }
            if self.lookup(file, &name.name).is_none() && !subst.contains_key(&name.name) {
                diags.push(self.unknown(file, &name.name, name.span, "message"));
                return Some(Ty::Error);
            }
        }
        diags.push(
            Diagnostic::error(
                "E0216",
                "`Address<..>` takes a message type",
                arg.span(),
                "not a message type",
            )
            .with_help("write `Address<M>` for an address that receives `message M`"),
        );
        Some(Ty::Error)
    }
}

/// E0704–E0706 for every contract that names interfaces: run once per contract definition
/// (a generic contract too, even if never instantiated), before any contract is compiled.
pub(crate) fn check_all(p: &Program, diags: &mut Diagnostics) {
    for ci in 0..p.contracts.len() {
        if !p.contracts[ci].def.interfaces.is_empty() {
            check_contract(p, diags, ci);
        }
    }
}

/// A variant some `recv` block of the contract receives: message and variant index.
type Received = (usize, usize);

fn check_contract(p: &Program, diags: &mut Diagnostics, ci: usize) {
    let c = &p.contracts[ci];
    let (def, file) = (c.def, c.file);
    // Every variant of every message the contract receives (a `recv` block is exhaustive,
    // E0700, so each is handled or already refused).
    let mut received: Vec<usize> = Vec::new();
    for recv in &def.recvs {
        if let Some(ItemRef::Message(mi)) = p.lookup(file, &recv.msg.last().name)
            && !received.contains(&mi)
        {
            received.push(mi);
        }
    }
    let mut cx = Cx::new(p, diags, file, None);
    let mut seen = Vec::new();
    for iface in &def.interfaces {
        let ii = match p.lookup(file, &iface.last().name) {
            Some(ItemRef::Message(ii)) => ii,
            None => {
                let d = p.unknown(file, &iface.last().name, iface.span, "message");
                cx.err(d);
                continue;
            }
            Some(_) => {
                cx.err(
                    Diagnostic::error(
                        "E0704",
                        format!("`{}` is not a message type", iface.text()),
                        iface.span,
                        "not an interface",
                    )
                    .with_help("an interface is a `message`; list message types after `:`"),
                );
                continue;
            }
        };
        // Receiving the interface itself implements it exactly; listed twice, checked once.
        if received.contains(&ii) || seen.contains(&ii) {
            continue;
        }
        seen.push(ii);
        let ivars = &p.messages[ii].def.variants;
        for (iv, ivar) in ivars.iter().enumerate() {
            let name = &ivar.name.name;
            let found = received.iter().find_map(|&mi| {
                let vars = &p.messages[mi].def.variants;
                vars.iter()
                    .position(|v| &v.name.name == name)
                    .map(|vi| (mi, vi))
            });
            match found {
                Some(got) => check_variant(&mut cx, (ii, iv), got, iface.span),
                None => missing(&mut cx, def, (ii, iv), iface.span),
            }
        }
    }
}

fn missing(cx: &mut Cx, def: &ast::ContractDef, (ii, iv): Received, at: Span) {
    let m = &cx.p.messages[ii].def;
    let var = &m.variants[iv];
    cx.err(
        Diagnostic::error(
            "E0705",
            format!(
                "contract `{}` does not handle `{}::{}` of its interface `{}`",
                def.name.name, m.name.name, var.name.name, m.name.name
            ),
            at,
            format!("`{}` missing", var.name.name),
        )
        .with_label(var.name.span, "declared by the interface here")
        .with_help(format!(
            "add `{}` with the same fields and reply to a message the contract receives, or \
             write `recv {} {{ .. }}`",
            var.name.name, m.name.name
        )),
    );
}

fn flag(var: &MessageVariant, name: &str) -> bool {
    var.attrs.iter().any(|a| a.name.name == name)
}

/// The fields' types and the reply type of a variant, resolved in its message's file.
fn shape(cx: &mut Cx, mi: usize, vi: usize) -> (Vec<Ty>, Ty) {
    let p = cx.p;
    let (var, file) = (&p.messages[mi].def.variants[vi], p.messages[mi].file);
    let fields = var
        .fields
        .iter()
        .map(|f| p.resolve_ty(file, &f.ty, &HashMap::new(), cx.diags))
        .collect();
    let reply = match &var.ret {
        Some(t) => p.resolve_ty(file, t, &HashMap::new(), cx.diags),
        None => Ty::Unit,
    };
    (fields, reply)
}

/// E0706 when the contract's variant differs from the interface's, naming every difference.
fn check_variant(cx: &mut Cx, want: Received, got: Received, iface_span: Span) {
    let p = cx.p;
    let (wvar, gvar) = (
        &p.messages[want.0].def.variants[want.1],
        &p.messages[got.0].def.variants[got.1],
    );
    let (wf, wr) = shape(cx, want.0, want.1);
    let (gf, gr) = shape(cx, got.0, got.1);
    let list = |cx: &Cx, ts: &[Ty]| ts.iter().map(|t| cx.show(t)).collect::<Vec<_>>().join(", ");
    let mut why = Vec::new();
    if wf != gf {
        why.push(format!(
            "fields ({}) where the interface has ({})",
            list(cx, &gf),
            list(cx, &wf)
        ));
    }
    if wr != gr {
        why.push(format!(
            "reply `{}` where the interface has `{}`",
            cx.show(&gr),
            cx.show(&wr)
        ));
    }
    for attr in ["view", "payable"] {
        match (flag(wvar, attr), flag(gvar, attr)) {
            (true, false) => why.push(format!("no `#[{attr}]` where the interface has one")),
            (false, true) => why.push(format!("`#[{attr}]` where the interface has none")),
            _ => {}
        }
    }
    // Same types but another wire name: an `#[abi = sol(..)]` or `#[method = N]` differs.
    if why.is_empty() {
        let (wsel, wsig, _) = variant_signature(cx, want.0, want.1);
        let (gsel, gsig, _) = variant_signature(cx, got.0, got.1);
        if wsel != gsel {
            why.push(format!(
                "signature `{gsig}` where the interface has `{wsig}`"
            ));
        }
        let (wn, gn) = (
            variant_method_number(p, want.0, want.1),
            variant_method_number(p, got.0, got.1),
        );
        if wn != gn {
            why.push(format!(
                "FRC-0042 method number {gn} where the interface has {wn}"
            ));
        }
    }
    if why.is_empty() {
        return;
    }
    let (iname, gname) = (
        &p.messages[want.0].def.name.name,
        &p.messages[got.0].def.name.name,
    );
    cx.err(
        Diagnostic::error(
            "E0706",
            format!(
                "`{gname}::{}` does not match `{iname}::{}`: {}",
                gvar.name.name,
                wvar.name.name,
                why.join("; ")
            ),
            gvar.name.span,
            "differs from the interface",
        )
        .with_label(wvar.name.span, "the interface's variant")
        .with_label(iface_span, format!("`{iname}` implemented here")),
    );
}

impl Cx<'_, '_> {
    /// The address argument of `ctx.call`-like built-ins: an `Address`, or a handle (whose
    /// message type the caller checks with [`Self::speaks`]).
    pub(crate) fn call_target(&mut self, e: &ast::Expr) -> (IrExpr, Option<Vec<usize>>) {
        let t = self.expr(e, Some(&Ty::Address));
        let handle = match t.ty {
            Ty::Handle(ref ms) => Some(ms.clone()),
            ref other => {
                self.mismatch(&Ty::Address, &other.clone(), e.span);
                None
            }
        };
        let (v, _) = self.rvalue(t);
        (v.unwrap_or(IrExpr::c(0)), handle)
    }

    /// E0603 when a message of type `mi` is sent through a handle of another message type.
    pub(crate) fn speaks(
        &mut self,
        handle: Option<Vec<usize>>,
        mi: usize,
        target: Span,
        msg: Span,
    ) {
        let Some(h) = handle else { return };
        if h.contains(&mi) {
            return;
        }
        let shown = self.show(&Ty::Handle(h.clone()));
        let hn = shown
            .strip_prefix("Address<")
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or("")
            .to_string();
        let mn = &self.p.messages[mi].def.name.name;
        let d = Diagnostic::error(
            "E0603",
            format!("a message of type `{mn}` sent to an `{shown}`"),
            msg,
            format!("a `{mn}` message"),
        )
        .with_label(target, format!("this address speaks `{hn}`"))
        .with_help(format!(
            "send a `{hn}` message, or, if the contract also receives `{mn}`, convert the \
             handle: `{mn}::at(h.address())`"
        ));
        self.err(d);
    }

    /// `M::at(a)`: the handle of message type `M` at address `a`; `None` if `M` is not a
    /// message (or has a variant named `at`).
    pub(crate) fn handle_at(
        &mut self,
        path: &ast::Path,
        args: &[Arg],
        span: Span,
    ) -> Option<Typed> {
        let [m, f] = &path.segments[..] else {
            return None;
        };
        // `T::at(a)` for a contract parameter bounded by interfaces: a handle speaking all of
        // its bounds (the only way to make one of several interfaces).
        if let Some(Ty::Handle(ms)) = self.frame.subst.get(&m.name).cloned()
            && f.name == "at"
        {
            if !self.want_args(args, 1, span, &format!("`{}::at`", m.name)) {
                return Some(Typed::error());
            }
            let a = self.value_of(&args[0].value, &Ty::Address);
            return Some(Typed::value(a, Ty::Handle(ms)));
        }
        let Some(ItemRef::Message(mi)) = self.p.lookup(self.frame.file, &m.name) else {
            return None;
        };
        if f.name != "at"
            || self.p.messages[mi]
                .def
                .variants
                .iter()
                .any(|v| v.name.name == "at")
        {
            return None;
        }
        if !self.want_args(args, 1, span, &format!("`{}::at`", m.name)) {
            return Some(Typed::error());
        }
        let a = self.value_of(&args[0].value, &Ty::Address);
        Some(Typed::value(a, Ty::Handle(vec![mi])))
    }

    /// `h.address()`: a handle's plain address.
    pub(crate) fn handle_method(&mut self, r: Typed, method: &ast::Ident, args: &[Arg]) -> Typed {
        if method.name != "address" {
            let shown = self.show(&r.ty);
            self.err(
                Diagnostic::error(
                    "E0375",
                    format!("no method `{}` on type `{shown}`", method.name),
                    method.span,
                    "method not found",
                )
                .with_help("a handle has `address()`; send it messages with `ctx.call(h, ..)`"),
            );
            return Typed::error();
        }
        if !self.want_args(args, 0, method.span, "`address`") {
            return Typed::error();
        }
        let (v, _) = self.rvalue(r);
        Typed::value(v.unwrap_or(IrExpr::c(0)), Ty::Address)
    }
}

impl Program<'_> {
    /// Whether contract `ci` speaks message type `mi`: it receives it, or names it as an
    /// interface (which E0705/E0706 hold it to).
    pub(crate) fn contract_speaks(&self, ci: usize, mi: usize) -> bool {
        let c = &self.contracts[ci];
        let named =
            |p: &ast::Path| self.lookup(c.file, &p.last().name) == Some(ItemRef::Message(mi));
        c.def.recvs.iter().any(|r| named(&r.msg)) || c.def.interfaces.iter().any(named)
    }

    /// The message types among a parameter's bounds (a contract's `T: Erc20`).
    pub(crate) fn bound_messages(
        &self,
        file: usize,
        bounds: &[ast::Bound],
        param: &str,
    ) -> Vec<usize> {
        let mut out: Vec<usize> = bounds
            .iter()
            .filter(|b| b.param.name == param)
            .flat_map(|b| &b.traits)
            .filter_map(|p| match self.lookup(file, &p.last().name) {
                Some(ItemRef::Message(m)) => Some(m),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A generic contract's parameters bounded by interfaces (`contract Vault<T: Erc20>`): the
    /// type argument must be a contract that speaks each (E0224 otherwise); then the parameter
    /// stands for a handle speaking exactly its bounds, whatever the argument receives beyond
    /// them, so `Address<T>` (and `T`) is `Address<Erc20>` in the body. False if one failed.
    ///
    /// Each parameter whose argument is a contract is also recorded in `contract_args`, so
    /// `ctx.create(T, ..)` can deploy it whatever the parameter stands for as a type.
    pub(crate) fn bind_interface_params(
        &self,
        ci: usize,
        subst: &mut HashMap<String, Ty>,
        contract_args: &mut HashMap<String, usize>,
        span: Span,
        diags: &mut Diagnostics,
    ) -> bool {
        let c = &self.contracts[ci];
        let mut ok = true;
        for g in &c.def.generics {
            if let Some(Ty::ContractRef(a)) = subst.get(&g.name) {
                contract_args.insert(g.name.clone(), *a);
            }
            let msgs = self.bound_messages(c.file, &c.def.bounds, &g.name);
            if msgs.is_empty() {
                continue;
            }
            let arg = subst.get(&g.name).cloned().unwrap_or(Ty::Error);
            for &mi in &msgs {
                let fine = match arg {
                    Ty::ContractRef(a) => self.contract_speaks(a, mi),
                    Ty::Error => true,
                    _ => false,
                };
                if fine {
                    continue;
                }
                ok = false;
                let iname = &self.messages[mi].def.name.name;
                let shown = match arg {
                    Ty::ContractRef(a) => self.contracts[a].def.name.name.clone(),
                    ref t => self.show_ty(t),
                };
                let help = match arg {
                    Ty::ContractRef(_) => format!("declare `contract {shown}: {iname}`"),
                    _ => format!("an interface bound takes a contract that speaks `{iname}`"),
                };
                diags.push(
                    Diagnostic::error(
                        "E0224",
                        format!(
                            "`{shown}` does not implement interface `{iname}`, which contract `{}` requires of `{}`",
                            c.def.name.name, g.name
                        ),
                        span,
                        format!("`{shown}` does not speak `{iname}`"),
                    )
                    .with_label(g.span, format!("bound `{}: {iname}` here", g.name))
                    .with_help(help),
                );
            }
            subst.insert(g.name.clone(), Ty::Handle(msgs));
        }
        ok
    }
}
