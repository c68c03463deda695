//! The WASM backend: compiles the target-neutral IR to a native Tandem actor, a WASM module
//! that imports the `tandem_v1` syscalls and exports `memory` and
//! `invoke(params_block_id) -> return_block_id` (docs/syscalls.md).
//!
//! - Values are 256-bit words with the EVM's semantics, kept as four i64 limbs; the
//!   arithmetic is a set of runtime helpers in every module ([`rt`]).
//! - Dispatch is by FRC-0042 method number (`ContractMeta::handlers[i].method_number`),
//!   method 1 being the constructor, with DAG-CBOR params and replies; and `InvokeEVM` with
//!   Solidity ABI calldata dispatches by selector to the same handlers (`abi_dispatch.rs`,
//!   the EVM build's decoder and guards, ABI return data). Events have the EVM
//!   runtime's shape (`t1`..`t4`, `d`) and reverts carry the Solidity ABI revert data with
//!   the EVM runtime's exit code 33, so both builds of a contract report the same events and
//!   errors. Storage uses the same slots as the EVM build (keccak256 mapping slots).
//! - Sends encode by the target's runtime (`send.rs`): Solidity ABI through InvokeEVM to an
//!   EVM contract, FRC-0042 + DAG-CBOR to any other actor.
//! - `create` embeds the child's module and creates it through Init `Exec` (`create.rs`).
//! - What the target cannot express yet (`create2`, `std::abi::encode`,
//!   aggregates holding dynamic values) is a compile error naming the construct.
//!
//! `docs/wasm-target.md` documents the mapping.

mod abi;
mod abi_dispatch;
mod abi_nested;
mod agg;
mod async_send;
mod checked;
mod codecs;
mod create;
mod event;
mod func;
mod layout;
mod module;
mod prune;
mod rt;
mod send;
mod slot_reuse;
mod storage;

use tandem_lang_ir::{Module, Stage};

pub use layout::exit;

/// One contract as a native actor.
#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub wasm: Vec<u8>,
    /// (variant, Solidity name, FRC-0042 method number) of every handler, in order; the
    /// constructor is method 1.
    pub methods: Vec<Method>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    pub variant: String,
    pub sol_name: String,
    pub number: u64,
}

/// Target-neutral IR to one WASM module per contract. Verifies the IR first.
pub fn generate(m: &Module) -> Result<Vec<Output>, String> {
    tandem_lang_ir::verify(m, Stage::Neutral).map_err(|e| e.to_string())?;
    // The shared optimiser, as the EVM backend runs it: storage reads reused, repeated
    // mapping-slot hashes computed once, checked arithmetic that cannot overflow made plain.
    // Bodies that talk to other actors are left alone: the send and reply lowering
    // (`send.rs`, `async_send.rs`, `create.rs`) relies on the shapes sema gives them (a
    // message bound by a `Let`, its reply read right after the send).
    let mut optimized = m.clone();
    for c in &mut optimized.contracts {
        tandem_lang_ir::opt::inline::run(c);
        // A storage method's base slot, which every call passes as the same constant, folded
        // into its body (the EVM backend's pipeline, `opt::optimize`, does the same).
        tandem_lang_ir::opt::const_args::run(c);
        for f in &mut c.functions {
            if !interacts(&f.body) {
                tandem_lang_ir::opt::optimize_function(f);
            }
        }
        if !interacts(&c.init.body) {
            tandem_lang_ir::opt::optimize_body(&mut c.init.body, &c.init.params);
        }
        for s in c.specials_mut() {
            if !interacts(&s.body) {
                tandem_lang_ir::opt::optimize_body(&mut s.body, &s.params);
            }
        }
        for h in &mut c.handlers {
            if !interacts(&h.body) {
                tandem_lang_ir::opt::optimize_body(&mut h.body, &h.params);
            }
        }
    }
    for c in &mut optimized.contracts {
        for f in &mut c.functions {
            slot_reuse::run(&mut f.body);
        }
        slot_reuse::run(&mut c.init.body);
        for s in c.specials_mut() {
            slot_reuse::run(&mut s.body);
        }
        for h in &mut c.handlers {
            slot_reuse::run(&mut h.body);
        }
    }
    tandem_lang_ir::verify(&optimized, Stage::Neutral)
        .map_err(|e| format!("after the optimiser: {e}"))?;
    let m = &optimized;
    let mut built: Vec<Option<Vec<u8>>> = vec![None; m.contracts.len()];
    (0..m.contracts.len())
        .map(|i| {
            let c = &m.contracts[i];
            let wasm = build(m, i, &mut built, 0)?;
            let methods = c
                .handlers
                .iter()
                .zip(&c.meta.handlers)
                .map(|(h, meta)| Method {
                    variant: h.variant.clone(),
                    sol_name: meta.sol_name.clone(),
                    number: meta.method_number,
                })
                .collect();
            Ok(Output {
                name: c.name.clone(),
                wasm,
                methods,
            })
        })
        .collect()
}

/// Whether a body sends, creates or reads a reply.
fn interacts(body: &[tandem_lang_ir::Stmt]) -> bool {
    use tandem_lang_ir::Expr;
    let mut found = false;
    tandem_lang_ir::opt::util::visit_stmts(body, &mut |_| {}, &mut |e| {
        found |= matches!(
            e,
            Expr::Message { .. }
                | Expr::Send { .. }
                | Expr::Reply(_)
                | Expr::ReplyBytes
                | Expr::SendAsync { .. }
                | Expr::AsyncReturn(..)
                | Expr::Create { .. }
        );
    });
    found
}

/// The module of contract `i`, its children's modules (which it embeds) built first.
fn build(
    m: &Module,
    i: usize,
    built: &mut [Option<Vec<u8>>],
    depth: usize,
) -> Result<Vec<u8>, String> {
    if let Some(w) = &built[i] {
        return Ok(w.clone());
    }
    if depth > m.contracts.len() {
        return Err(format!(
            "{}: contracts that create each other",
            m.contracts[i].name
        ));
    }
    let children = m.children.get(i).cloned().unwrap_or_default();
    let kids = children
        .iter()
        .map(|k| build(m, *k, built, depth + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let wasm = prune::prune(&module::contract(&m.contracts[i], &kids)?)?;
    built[i] = Some(wasm.clone());
    Ok(wasm)
}
