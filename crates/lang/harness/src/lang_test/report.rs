//! What the test runner prints: revert data decoded (the package's errors, `assert_eq!`'s
//! `AssertEq(T,T)`, `Error(string)`, `Panic(uint256)`), the call trace of a test, and the gas
//! of each handler the tests called.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use alloy_dyn_abi::{DynSolType, DynSolValue};
use alloy_primitives::Address;
use tandem_lang_ir::ValTy;
use tandem_lang_ir::meta::{AbiItem, selector, signature};
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::trace::{FrameKind, TraceFrame, Tracer};

use super::{GasRow, Names, Program, cheats, native};
use crate::fixture::{dyn_type, show};
use crate::hex;

fn decode_values(tys: &[ValTy], data: &[u8]) -> Option<Vec<DynSolValue>> {
    let ty = DynSolType::Tuple(tys.iter().map(dyn_type).collect());
    match ty.abi_decode_params(data).ok()? {
        DynSolValue::Tuple(v) => Some(v),
        _ => None,
    }
}

fn joined(vs: &[DynSolValue]) -> String {
    vs.iter().map(show).collect::<Vec<_>>().join(", ")
}

fn panic_reason(code: u64) -> &'static str {
    match code {
        0x01 => "assertion failed",
        0x11 => "arithmetic overflow",
        0x12 => "division by zero",
        0x21 => "invalid enum value",
        0x32 => "index out of bounds",
        _ => "panic",
    }
}

/// The word types `assert_eq!` may compare, as Solidity names them.
fn assert_types() -> Vec<String> {
    let mut t: Vec<String> = (1..=32)
        .flat_map(|b| [format!("uint{}", b * 8), format!("int{}", b * 8)])
        .collect();
    t.extend((1..=32).map(|n| format!("bytes{n}")));
    t.extend(["address", "bool", "bytes", "string"].map(String::from));
    t
}

/// Revert data as a person reads it.
pub fn decode_revert(data: &[u8], module: &tandem_lang_ir::Module) -> String {
    if data.is_empty() {
        return "reverted with no data".into();
    }
    if data.len() >= 4 {
        let (sel, args) = (&data[..4], &data[4..]);
        if sel == selector("Error(string)")
            && let Some(v) = decode_values(&[ValTy::String], args)
        {
            return format!("reverted: {}", show(&v[0]));
        }
        if sel == selector("Panic(uint256)")
            && let Some(v) = decode_values(&[ValTy::Word(tandem_lang_ir::WordTy::Uint(256))], args)
        {
            let code = match &v[0] {
                DynSolValue::Uint(u, _) => u.saturating_to::<u64>(),
                _ => 0,
            };
            return format!("panicked: 0x{code:02x} ({})", panic_reason(code));
        }
        for ty in assert_types() {
            for (name, op) in [("AssertEq", "!="), ("AssertNe", "==")] {
                let sig = format!("{name}({ty},{ty})");
                if sel != selector(&sig) {
                    continue;
                }
                let parsed = DynSolType::parse(&format!("({ty},{ty})")).ok();
                if let Some(DynSolValue::Tuple(v)) =
                    parsed.and_then(|t| t.abi_decode_params(args).ok())
                    && v.len() == 2
                {
                    let macro_name = if name == "AssertEq" {
                        "assert_eq!"
                    } else {
                        "assert_ne!"
                    };
                    return format!(
                        "{macro_name} failed: left {op} right\n  left:  {}\n  right: {}",
                        show(&v[0]),
                        show(&v[1])
                    );
                }
            }
        }
        for c in &module.contracts {
            for item in &c.meta.abi {
                let AbiItem::Error { name, inputs } = item else {
                    continue;
                };
                let tys: Vec<ValTy> = inputs.iter().map(|p| p.ty.clone()).collect();
                if sel == selector(&signature(name, &tys))
                    && let Some(v) = decode_values(&tys, args)
                {
                    return format!("reverted with {name}({})", joined(&v));
                }
            }
        }
    }
    format!("reverted with 0x{}", hex(data))
}

/// The Ethereum address a frame was sent to, when it has one.
fn eth_of(f: &TraceFrame) -> Option<Address> {
    EthAddress::from_delegated(&f.to).map(|e| Address::from(e.0))
}

/// A contract's name by the init code a create frame ran.
fn created_name(f: &TraceFrame, names: &Names) -> Option<String> {
    let init = &f.params.as_ref()?.data;
    names
        .codes
        .iter()
        .find(|c| !c.init_code.is_empty() && init.starts_with(&c.init_code))
        .map(|c| c.name.clone())
}

/// Addresses named by the frames that created them (native actors: by their code), the
/// test contract and the cheats.
fn address_names(tracer: &Tracer, names: &Names) -> BTreeMap<Address, String> {
    let mut out = BTreeMap::new();
    out.insert(cheats::ADDRESS, "cheats".to_string());
    for f in &tracer.frames {
        if f.kind == FrameKind::Create
            && let (Some(a), Some(n)) = (eth_of(f), created_name(f, names))
        {
            out.insert(a, n);
        }
    }
    native::actor_names(tracer, names, &mut out);
    out
}

/// The calldata of a frame to the cheat actor (a native caller's cheat as the EVM's).
pub(super) fn cheat_calldata(f: &TraceFrame, data: &[u8]) -> Option<Vec<u8>> {
    if f.method == INVOKE_EVM {
        return Some(data.to_vec());
    }
    cheats::native_calldata(f.method, data)?.ok()
}

/// Why a frame failed: its refusal, its revert data decoded, or (no revert data) its exit.
fn failure_text(f: &TraceFrame, ret: &[u8], names: &Names) -> String {
    if let Some(e) = &f.error {
        return e.clone();
    }
    let decoded = decode_revert(ret, names.module);
    let code = f.exit_code.value();
    if code != super::native::EXIT_REVERTED_CODE && decoded.starts_with("reverted with 0x") {
        return native::exit_text(code, ret);
    }
    if code != super::native::EXIT_REVERTED_CODE && ret.is_empty() {
        return native::exit_text(code, ret);
    }
    decoded
}

/// `Contract.handler` and the handler's index for a call to `to` with calldata `data`.
fn handler_of<'m>(
    module: &'m tandem_lang_ir::Module,
    contract: Option<&str>,
    data: &[u8],
) -> Option<(&'m tandem_lang_ir::Contract, usize)> {
    let sel = data.get(..4)?;
    module
        .contracts
        .iter()
        .filter(|c| contract.is_none_or(|n| c.name == n))
        .find_map(|c| {
            let i = c.meta.handlers.iter().position(|h| h.selector == sel)?;
            Some((c, i))
        })
}

fn frame_line(f: &TraceFrame, known: &BTreeMap<Address, String>, names: &Names) -> String {
    let to = native::word_of(f);
    let who = to.and_then(|a| known.get(&a).cloned());
    let data = f
        .params
        .as_ref()
        .map(|p| p.data.as_slice())
        .unwrap_or_default();
    let mut s = format!("[{}] ", f.gas_used);
    // The reply's types, and whether it is DAG-CBOR (a native handler's) rather than ABI.
    let mut returns: Option<(Vec<ValTy>, bool)> = None;
    let native_head = native::frame_head(f, who.as_deref(), names);
    if f.kind == FrameKind::Create {
        let name = created_name(f, names).unwrap_or_else(|| "contract".into());
        let at = to.map(|a| format!(" at {a}")).unwrap_or_default();
        let _ = write!(s, "create {name}{at}");
    } else if to == Some(cheats::ADDRESS)
        && let Some(cheat) = cheat_calldata(f, data).and_then(|d| cheats::describe(&d))
    {
        let _ = write!(s, "cheats::{cheat}");
    } else if let Some((head, tys)) = native_head {
        s.push_str(&head);
        returns = tys.map(|t| (t, true));
    } else if f.method == INVOKE_EVM
        && let Some((c, i)) = handler_of(names.module, who.as_deref(), data)
    {
        let h = &c.handlers[i];
        let tys: Vec<ValTy> = h.params.iter().map(|p| p.ty.clone()).collect();
        let args = decode_values(&tys, &data[4..]).map(|v| joined(&v));
        let _ = write!(
            s,
            "{}::{}({})",
            who.clone().unwrap_or_else(|| c.name.clone()),
            h.variant,
            args.unwrap_or_else(|| format!("0x{}", hex(&data[4..])))
        );
        if f.runtime == Some("wasm") {
            s.insert_str(s.find(']').map_or(0, |i| i + 2), "native ");
        }
        returns = Some((h.returns.clone(), false));
    } else {
        let target = who
            .or_else(|| to.map(|a| a.to_string()))
            .unwrap_or_else(|| f.to.to_string());
        let _ = write!(s, "{target} method {} 0x{}", f.method, hex(data));
    }
    if f.value.is_positive() {
        let _ = write!(s, " value {}", f.value.atto());
    }
    let ret = tandem_vm::cheats::revert_bytes(f.return_data.as_ref());
    if f.failed() {
        let why = failure_text(f, &ret, names);
        let _ = write!(s, " -> FAILED ({why})");
    } else if f.kind == FrameKind::Create || native::init_call(f).is_some() {
        s.push_str(" -> ok");
    } else {
        // A native reply is the block's DAG-CBOR itself.
        let block = f
            .return_data
            .as_ref()
            .map(|b| b.data.as_slice())
            .unwrap_or_default();
        let shown = returns
            .and_then(|(t, cbor)| {
                if cbor {
                    native::show_reply(block, &t)
                } else {
                    decode_values(&t, &ret).map(|v| joined(&v))
                }
            })
            .unwrap_or_else(|| {
                if ret.is_empty() {
                    String::new()
                } else {
                    format!("0x{}", hex(&ret))
                }
            });
        let _ = write!(s, " -> ok {shown}");
    }
    s.trim_end().to_string()
}

/// The call trace, one frame a line, indented by depth.
pub fn format_trace(tracer: &Tracer, names: &Names) -> String {
    let mut known = address_names(tracer, names);
    if names.test != Address::ZERO {
        known.insert(names.test, names.test_name.clone());
    }
    let mut out = String::new();
    for f in &tracer.frames {
        let _ = writeln!(
            out,
            "{}{}",
            "  ".repeat(f.depth as usize),
            frame_line(f, &known, names)
        );
        for (_, e) in &f.events {
            if let Some((topics, _)) = tandem_evm::host::event_to_log(&e.event) {
                let name = topics
                    .first()
                    .and_then(|t| event_name(names.module, t.as_slice()));
                let _ = writeln!(
                    out,
                    "{}  emit {}",
                    "  ".repeat(f.depth as usize),
                    name.unwrap_or_else(|| "(anonymous event)".into())
                );
            }
        }
    }
    out
}

fn event_name(module: &tandem_lang_ir::Module, topic: &[u8]) -> Option<String> {
    module
        .contracts
        .iter()
        .flat_map(|c| &c.meta.abi)
        .find_map(|i| match i {
            AbiItem::Event { name, inputs } => {
                let sig = signature(name, inputs.iter().map(|p| &p.ty));
                (alloy_primitives::keccak256(sig.as_bytes()).as_slice() == topic)
                    .then(|| name.clone())
            }
            _ => None,
        })
}

/// Adds the gas of every frame the test made to a package contract (`Contract.handler`, or
/// `Contract.(deploy)` for a creation) to the rows.
pub(super) fn gas_rows(
    tracer: &Tracer,
    program: &Program,
    test: Address,
    rows: &mut BTreeMap<String, GasRow>,
) {
    let names = super::names(program, test, "");
    let known = address_names(tracer, &names);
    for f in tracer.frames.iter().filter(|f| f.parent.is_some()) {
        let to = native::word_of(f);
        if to == Some(cheats::ADDRESS) || to == Some(test) {
            continue;
        }
        let key = if f.kind == FrameKind::Create {
            created_name(f, &names).map(|n| format!("{n}.(deploy)"))
        } else if let Some(key) = native::gas_key(f, &names) {
            Some(key)
        } else if f.method == INVOKE_EVM {
            let who = to.and_then(|a| known.get(&a).cloned());
            let data = f
                .params
                .as_ref()
                .map(|p| p.data.as_slice())
                .unwrap_or_default();
            handler_of(&program.module, who.as_deref(), data)
                .map(|(c, i)| format!("{}.{}", c.name, c.handlers[i].variant))
        } else {
            None
        };
        let Some(key) = key else {
            continue;
        };
        rows.entry(key).or_default().record(f.gas_used);
    }
}

/// Frames in the subtree of `i`, `i` first.
fn subtree(tracer: &Tracer, i: usize, out: &mut Vec<usize>) {
    out.push(i);
    for &c in &tracer.frames[i].children {
        subtree(tracer, c, out);
    }
}

/// `ExpectEmit` expectations of the test's call (the trace's first root): after each, the
/// next event the test emits itself must also be emitted in the next call it makes.
pub(super) fn check_emits(tracer: &Tracer) -> Vec<String> {
    let Some(root) = tracer.roots().next() else {
        return Vec::new();
    };
    let frame = &tracer.frames[root];
    let is_cheats = |i: usize| eth_of(&tracer.frames[i]) == Some(cheats::ADDRESS);
    let mut failures = Vec::new();
    for (k, &child) in frame.children.iter().enumerate() {
        let f = &tracer.frames[child];
        let data = f
            .params
            .as_ref()
            .map(|p| p.data.as_slice())
            .unwrap_or_default();
        // The EVM's calldata, or a native caller's cheat read as it.
        let armed = is_cheats(child)
            && cheat_calldata(f, data).is_some_and(|d| d.starts_with(&selector("expectEmit()")));
        if !armed {
            continue;
        }
        let Some((pos, want)) = frame.events.iter().find(|(pos, _)| *pos > k) else {
            failures.push("expect_emit: the test emitted no event after it".to_string());
            continue;
        };
        let want = tandem_evm::host::event_to_log(&want.event);
        let next = frame.children[*pos..]
            .iter()
            .copied()
            .find(|&c| !is_cheats(c));
        let Some(next) = next else {
            failures.push("expect_emit: the test made no call after the expected event".into());
            continue;
        };
        let mut frames = Vec::new();
        subtree(tracer, next, &mut frames);
        let found = frames.iter().any(|&i| {
            tracer.frames[i]
                .events
                .iter()
                .any(|(_, e)| tandem_evm::host::event_to_log(&e.event) == want)
        });
        if !found {
            failures.push(format!(
                "expect_emit: the next call did not emit the expected event (topics {})",
                want.map(|(t, _)| t
                    .iter()
                    .map(|w| format!("0x{}", hex(w.as_slice())))
                    .collect::<Vec<_>>()
                    .join(", "))
                    .unwrap_or_default()
            ));
        }
    }
    failures
}
