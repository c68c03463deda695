//! The WASM target of language tests: the test contract and the package's contracts are
//! their WASM builds, run as native actors on a fresh Tandem VM with every runtime (the
//! built-ins, the WASM runtime, the EVM) and the cheat actor. The test contract is installed
//! and created through Init from `alice`, then its test handler is sent by its FRC-0042
//! method number; `ctx.create` in a test makes native children, `ctx.call` to `CHEATS` reaches
//! the cheat actor by the cheat's method number with DAG-CBOR params, and the VM's test hooks
//! (prank, expected reverts) apply to the native sends as they do to the EVM's.
//!
//! Also here: how the trace and the gas report read native frames (by code CID, method number
//! and DAG-CBOR params and replies).

use std::collections::BTreeMap;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256};
use tandem_lang_ir::ValTy;
use tandem_vm::builtin::INIT_ACTOR_ID;
use tandem_vm::trace::{TraceFrame, Tracer};

use super::cheats::SameWords;
use super::{GasRow, Names, Program, TestOutcome, decode_revert};
use crate::fixture::{ALICE, BOB, CAROL};
use crate::native::{EXIT_REVERTED, NativeChain, NativeOut, cbor, masked};

/// A fresh VM for one test: funded accounts, the cheat actor and its hooks.
fn fresh_chain(program: &Program) -> Result<NativeChain, String> {
    let rt: std::sync::Arc<dyn tandem_vm::runtime::Runtime> = program.cheats.clone();
    let mut chain = NativeChain::with_runtimes(&[rt])?;
    let rich = U256::from(1_000u64) * U256::from(super::THOUSAND_ETHER);
    for who in [ALICE, BOB, CAROL] {
        chain.fund(crate::addr(who), rich)?;
    }
    super::install_cheats(&mut chain.exec.machine)?;
    // Installing a module is priced per byte, and a test contract embeds the modules of the
    // contracts it creates: the runner's messages get a limit well above a test's needs.
    chain.exec.machine.network.block_gas_limit = GAS_LIMIT;
    chain.gas_limit = GAS_LIMIT;
    Ok(chain)
}

/// The gas limit of the set-up and of each test's message on the WASM target.
pub const GAS_LIMIT: u64 = 200_000_000;

/// Why a native message failed, as a person reads it.
fn failure(out: &NativeOut, module: &tandem_lang_ir::Module) -> String {
    if out.exit == EXIT_REVERTED {
        return decode_revert(&out.ret, module);
    }
    exit_text(out.exit, &out.ret)
}

/// A failure that carries no revert data (exit code other than 33).
pub(super) fn exit_text(exit: u32, ret: &[u8]) -> String {
    let mut s = format!("aborted with exit code {exit}");
    // A built-in's message is a DAG-CBOR string; other data is shown as far as it is text.
    let shown = fvm_ipld_encoding::from_slice::<String>(ret)
        .unwrap_or_else(|_| String::from_utf8_lossy(ret).into_owned());
    let shown = shown.trim_matches(|c: char| c.is_control() || c == '\u{fffd}');
    if !shown.is_empty() && shown.len() <= 200 {
        s.push_str(&format!(": {shown}"));
    }
    s
}

/// Runs test `hi` of contract `ci` on the WASM build.
pub(super) fn run_one(
    program: &Program,
    ci: usize,
    hi: usize,
    gas: &mut BTreeMap<String, GasRow>,
) -> Result<TestOutcome, String> {
    let contract = &program.module.contracts[ci];
    let meta = &contract.meta.handlers[hi];
    let mut out = TestOutcome::not_run(contract, hi);
    let build = program
        .natives
        .iter()
        .find(|b| b.name == contract.name)
        .ok_or_else(|| format!("no WASM build for {}", contract.name))?;
    let mut chain = fresh_chain(program)?;
    chain.exec.machine.tracer = Some(Box::new(Tracer::new(None)));
    let alice = crate::addr(ALICE);
    let id = match chain.deploy(alice, &build.wasm, Vec::new(), U256::ZERO) {
        Ok(Ok((id, _))) => id,
        Ok(Err(failed)) => {
            out.reason = Some(format!(
                "set-up (`init` of {}) failed: {}",
                contract.name,
                failure(&failed, &program.module)
            ));
            out.trace = super::trace_of(&mut chain.exec.machine, program);
            return Ok(out);
        }
        Err(e) => {
            out.reason = Some(format!("set-up: {e}"));
            out.trace = super::trace_of(&mut chain.exec.machine, program);
            return Ok(out);
        }
    };
    chain.exec.machine.tracer = Some(Box::new(Tracer::new(None)));
    let to = fvm_shared::address::Address::new_id(id);
    let call = chain.send(alice, to, meta.method_number, Vec::new(), U256::ZERO)?;
    out.gas = call.gas;
    let failed = (call.exit != 0).then(|| failure(&call, &program.module));
    if let Some(stale) = stale_block_context(&contract.handlers[hi], &chain.exec.machine)
        && let Some(c) = chain.exec.machine.cheats.as_deref_mut()
    {
        c.failures.push(stale);
    }
    super::conclude(
        &mut chain.exec.machine,
        program,
        masked(id),
        failed,
        &mut out,
        gas,
    );
    Ok(out)
}

/// A WASM build reads the block context once, when its message starts (a chain never
/// changes it within a message), so a test's own `ctx.timestamp()`/`ctx.block_number()` do
/// not see its `Warp`/`Roll` (the calls it makes after do). A test that both reads them and
/// warps or rolls fails with this reason instead of judging a stale value.
fn stale_block_context(
    handler: &tandem_lang_ir::Handler,
    machine: &tandem_vm::machine::Machine,
) -> Option<String> {
    use tandem_lang_ir::{Env, Expr};
    let mut reads = false;
    tandem_lang_ir::opt::util::visit_stmts(&handler.body, &mut |_| {}, &mut |e| {
        reads |= matches!(e, Expr::Env(Env::Number | Env::Timestamp));
    });
    let tracer = machine.tracer.as_deref()?;
    let root = tracer.roots().next()?;
    let moved = tracer.frames[root].children.iter().any(|&c| {
        let f = &tracer.frames[c];
        let data = f
            .params
            .as_ref()
            .map(|p| p.data.as_slice())
            .unwrap_or_default();
        let is_cheats = word_of(f) == Some(super::cheats::ADDRESS);
        let calldata = super::report::cheat_calldata(f, data);
        is_cheats
            && calldata
                .and_then(|d| super::cheats::describe(&d))
                .is_some_and(|d| d.starts_with("warp(") || d.starts_with("roll("))
    });
    (reads && moved).then(|| {
        "the test reads ctx.timestamp()/ctx.block_number() and warps or rolls: the WASM build \
         reads the block context once, when the test's message starts, so its own reads do not \
         see Warp/Roll (the contracts it calls after them do); read them in a contract the \
         test calls, or run this test with --target evm"
            .to_string()
    })
}

/// The name of the WASM build a frame ran, if it ran one of the program's.
pub(super) fn build_name(f: &TraceFrame, names: &Names) -> Option<String> {
    let code = f.code.as_ref()?;
    names
        .natives
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, n)| n.clone())
}

/// The word a native frame's actor is seen as: its f410 address, else its masked ID.
pub(super) fn word_of(f: &TraceFrame) -> Option<Address> {
    if let Some(e) = tandem_vm::eth::EthAddress::from_delegated(&f.to) {
        return Some(Address::from(e.0));
    }
    f.to.id().ok().or(f.callee).map(masked)
}

/// A sent handler of a WASM build: the contract and the handler's index, by method number.
pub(super) fn handler_by_method<'m>(
    module: &'m tandem_lang_ir::Module,
    contract: &str,
    method: u64,
) -> Option<(&'m tandem_lang_ir::Contract, usize)> {
    let c = module.contracts.iter().find(|c| c.name == contract)?;
    let i = c
        .meta
        .handlers
        .iter()
        .position(|h| h.method_number == method)?;
    Some((c, i))
}

/// A frame's DAG-CBOR params as values of `tys`, shown.
pub(super) fn show_params(f: &TraceFrame, tys: &[ValTy]) -> String {
    let data = f
        .params
        .as_ref()
        .map(|p| p.data.as_slice())
        .unwrap_or_default();
    match cbor::params_values(&SameWords, data, tys) {
        Ok(v) => joined(&v),
        Err(_) => format!("0x{}", crate::hex(data)),
    }
}

/// A native reply (DAG-CBOR) of types `tys`, shown.
pub(super) fn show_reply(ret: &[u8], tys: &[ValTy]) -> Option<String> {
    let abi = cbor::reply_to_abi(&SameWords, ret, tys).ok()?;
    let ty = alloy_dyn_abi::DynSolType::Tuple(tys.iter().map(crate::fixture::dyn_type).collect());
    match ty.abi_decode_params(&abi).ok()? {
        DynSolValue::Tuple(v) => Some(joined(&v)),
        _ => None,
    }
}

fn joined(vs: &[DynSolValue]) -> String {
    vs.iter()
        .map(crate::fixture::show)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a frame to Init does: `exec`, `create2` or `install_code` (or its method number).
pub(super) fn init_call(f: &TraceFrame) -> Option<String> {
    if f.to.id().ok() != Some(INIT_ACTOR_ID) {
        return None;
    }
    let install = tandem_actors::init::install_code_method();
    let create2 = tandem_vm::frc42::method_number("Create2").ok();
    Some(match f.method {
        2 => "init::exec".into(),
        3 => "init::exec4".into(),
        m if m == install => {
            let n = f.params.as_ref().map(|p| p.data.len()).unwrap_or(0);
            format!("init::install_code({n} bytes of params)")
        }
        m if Some(m) == create2 => "init::create2".into(),
        m => format!("init method {m}"),
    })
}

/// The contract whose code an Init frame installed (from its reply's code CID).
pub(super) fn installed_name(f: &TraceFrame, names: &Names) -> Option<String> {
    if f.to.id().ok() != Some(INIT_ACTOR_ID)
        || f.method != tandem_actors::init::install_code_method()
        || f.failed()
    {
        return None;
    }
    let ret = f.return_data.as_ref()?;
    let r: tandem_actors::init::InstallCodeReturn =
        fvm_ipld_encoding::from_slice(&ret.data).ok()?;
    names
        .natives
        .iter()
        .find(|(c, _)| *c == r.code_cid)
        .map(|(_, n)| n.clone())
}

/// The gas-report key of a native frame: `Contract.handler`, `Contract.(deploy)` for a
/// constructor, `Contract.(install)` for installing a build's code.
pub(super) fn gas_key(f: &TraceFrame, names: &Names) -> Option<String> {
    if let Some(n) = installed_name(f, names) {
        return Some(format!("{n}.(install)"));
    }
    let name = build_name(f, names)?;
    if f.method == 1 && f.caller == INIT_ACTOR_ID {
        return Some(format!("{name}.(deploy)"));
    }
    let (c, i) = handler_by_method(names.module, &name, f.method)?;
    Some(format!("{}.{}", c.name, c.handlers[i].variant))
}

/// Every native actor of the program's builds in the trace, by the word it is seen as.
pub(super) fn actor_names(tracer: &Tracer, names: &Names, out: &mut BTreeMap<Address, String>) {
    for f in &tracer.frames {
        if let (Some(n), Some(w)) = (build_name(f, names), word_of(f)) {
            out.entry(w).or_insert(n);
        }
    }
}

/// The head of a native frame's trace line (what was called, with its arguments), and the
/// reply types to show its reply with; `None` when the frame is not a native one.
pub(super) fn frame_head(
    f: &TraceFrame,
    who: Option<&str>,
    names: &Names,
) -> Option<(String, Option<Vec<ValTy>>)> {
    if let Some(call) = init_call(f) {
        return Some((call, None));
    }
    if f.runtime != Some("wasm") {
        return None;
    }
    let name = build_name(f, names)?;
    let shown = who.unwrap_or(&name);
    if f.method == 1 && f.caller == INIT_ACTOR_ID {
        let c = names.module.contracts.iter().find(|c| c.name == name)?;
        let tys: Vec<ValTy> = c.init.params.iter().map(|p| p.ty.clone()).collect();
        let at = word_of(f).map(|a| format!(" at {a}")).unwrap_or_default();
        return Some((
            format!("native {name}::init({}){at}", show_params(f, &tys)),
            None,
        ));
    }
    if f.method == tandem_vm::frc42::INVOKE_EVM {
        return None;
    }
    let Some((c, i)) = handler_by_method(names.module, &name, f.method) else {
        return Some((format!("native {shown} method {}", f.method), None));
    };
    let h = &c.handlers[i];
    let tys: Vec<ValTy> = h.params.iter().map(|p| p.ty.clone()).collect();
    Some((
        format!("native {shown}::{}({})", h.variant, show_params(f, &tys)),
        Some(h.returns.clone()),
    ))
}

/// The exit code of a revert with Solidity revert data, on either runtime.
pub(super) const EXIT_REVERTED_CODE: u32 = EXIT_REVERTED;
