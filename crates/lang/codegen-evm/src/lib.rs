//! The EVM backend: turns the middle IR into init code and runtime code directly (no solc,
//! no Yul). Locals live on the stack; dispatch is a linear scan over sorted selectors.
//!
//! The pipeline: [`prepare`] verifies `sema`'s target-neutral IR (debug builds), lowers its
//! typed operations to the Solidity ABI and EVM-shaped forms ([`lower`]), runs the shared
//! optimiser and verifies the result; [`emit`] generates the bytecode.

mod abi;
pub mod abi_nested;
mod arith;
mod asm;
mod blake2b;
mod emit;
mod emit_fn;
mod immutables;
mod inline_asm;
pub mod lower;
mod revert_stub;
mod spill;
mod validate;

use tandem_lang_ir::{Module, Stage};

/// Target-neutral IR to bytecode, with or without the IR optimiser.
pub fn generate(m: &Module, optimize: bool) -> Result<Vec<Output>, String> {
    emit(&prepare(m, optimize)?)
}

/// The module as the emitter sees it: verified, ABI-lowered, optimised (when asked) and
/// verified again. The checks run in debug builds (and so in every test).
pub fn prepare(m: &Module, optimize: bool) -> Result<Module, String> {
    if cfg!(debug_assertions) {
        tandem_lang_ir::verify(m, Stage::Neutral).map_err(|e| e.to_string())?;
    }
    let mut lowered = lower::lower(m);
    if optimize {
        tandem_lang_ir::opt::optimize(&mut lowered);
    }
    if cfg!(debug_assertions) {
        tandem_lang_ir::verify(&lowered, Stage::Lowered)
            .map_err(|e| format!("after the ABI lowering: {e}"))?;
    }
    Ok(lowered)
}

/// Bytecode of one contract.
#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub init_code: Vec<u8>,
    pub runtime_code: Vec<u8>,
}

/// Generates code for every contract of a lowered module (see [`prepare`]). Contracts that
/// create others embed the children's init code, so children are generated first.
pub fn emit(m: &Module) -> Result<Vec<Output>, String> {
    let n = m.contracts.len();
    let mut done: Vec<Option<Output>> = vec![None; n];
    for _round in 0..=n {
        let mut progress = false;
        for i in 0..n {
            if done[i].is_some() {
                continue;
            }
            let kids = m.children.get(i).cloned().unwrap_or_default();
            if kids
                .iter()
                .any(|k| done.get(*k).is_none_or(|d| d.is_none()))
            {
                continue;
            }
            let child_code: Vec<Vec<u8>> = kids
                .iter()
                .map(|k| {
                    done[*k]
                        .as_ref()
                        .map(|o| o.init_code.clone())
                        .unwrap_or_default()
                })
                .collect();
            let (c, runtime) = runtime_spilling(&m.contracts[i], &child_code)?;
            let c = &c;
            let init = init_spilling(c, &runtime, &child_code)?;
            done[i] = Some(Output {
                name: c.name.clone(),
                init_code: init,
                runtime_code: runtime,
            });
            progress = true;
        }
        if !progress {
            break;
        }
    }
    done.into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.ok_or_else(|| {
                format!(
                    "{}: contracts create each other in a cycle",
                    m.contracts[i].name
                )
            })
        })
        .collect()
}

/// The runtime code, moving locals to memory while a handler needs more than the stack can
/// reach (see [`spill`]). Returns the contract as generated (with its spills).
fn runtime_spilling(
    contract: &tandem_lang_ir::Contract,
    children: &[Vec<u8>],
) -> Result<(tandem_lang_ir::Contract, Vec<u8>), String> {
    let mut c = contract.clone();
    let mut spilled: Vec<(usize, tandem_lang_ir::LocalId)> = Vec::new();
    loop {
        let heap_start = spill::SPILL_BASE + 32 * spilled.len() as u64;
        match abi::runtime(&c, children, heap_start) {
            Ok(code) => {
                let code = immutables::name_sites(code, &c.name);
                return Ok((c, code));
            }
            Err((_, Some(victim)))
                if spilled.len() < spill::MAX_SPILLS && !spilled.contains(&victim) =>
            {
                let (h, l) = victim;
                if h >= emit_fn::FN_BODY {
                    spill_function(&mut c, h - emit_fn::FN_BODY, l, heap_start)?;
                } else {
                    let Some(handler) = c.handlers.get_mut(h) else {
                        return Err(format!("{}: internal: no handler {h}", c.name));
                    };
                    spill::spill(handler, l, heap_start);
                }
                // Spill words sit below the heap, so encodings must use the heap too.
                c.uses_heap = true;
                spilled.push(victim);
            }
            Err((e, _)) => return Err(format!("{}: {e}", c.name)),
        }
    }
}

/// The init code, moving constructor locals to memory words below its arguments while the
/// constructor needs more than the stack can reach (as [`runtime_spilling`] does for handlers).
fn init_spilling(
    contract: &tandem_lang_ir::Contract,
    runtime: &[u8],
    children: &[Vec<u8>],
) -> Result<Vec<u8>, String> {
    let mut c = contract.clone();
    let params: Vec<tandem_lang_ir::LocalId> = c.init.params.iter().map(|p| p.local).collect();
    let mut spilled: Vec<tandem_lang_ir::LocalId> = Vec::new();
    loop {
        match abi::init_code(&c, runtime, children, spilled.len()) {
            Ok(code) => return Ok(code),
            Err((_, Some((emit::INIT_BODY, victim))))
                if spilled.len() < spill::MAX_SPILLS && !spilled.contains(&victim) =>
            {
                let at = spill::SPILL_BASE + 32 * spilled.len() as u64;
                spill::spill_body(&mut c.init.body, &params, victim, at);
                spilled.push(victim);
            }
            Err((e, _)) => return Err(format!("{}: {e}", c.name)),
        }
    }
}

/// Moves a local of internal function `f` to a fixed memory word: only when the function is
/// not recursive (a fixed word holds one activation's value) and the constructor does not
/// reach it (the constructor's arguments sit where spill words are).
fn spill_function(
    c: &mut tandem_lang_ir::Contract,
    f: usize,
    l: tandem_lang_ir::LocalId,
    at: u64,
) -> Result<(), String> {
    let name = c
        .functions
        .get(f)
        .map(|x| x.name.clone())
        .unwrap_or_default();
    let too_deep = |why: &str| {
        format!(
            "{}: stack too deep: function `{name}` needs more than the 16 reachable stack slots \
             for its locals, and {why}; split it into smaller functions (in `fn {name}`)",
            c.name
        )
    };
    if tandem_lang_ir::opt::inline::recursive(c).get(f) == Some(&true) {
        return Err(too_deep(
            "it is recursive, so they cannot move to fixed memory words",
        ));
    }
    if reaches(c, &c.init.body, f) {
        return Err(too_deep(
            "the constructor calls it, where the memory they would move to holds its arguments",
        ));
    }
    let Some(func) = c.functions.get_mut(f) else {
        return Err(format!("{}: internal: no function {f}", c.name));
    };
    spill::spill_body(&mut func.body, &func.params, l, at);
    c.uses_heap = true;
    Ok(())
}

/// Whether a body calls function `f`, directly or through other functions.
fn reaches(c: &tandem_lang_ir::Contract, body: &[tandem_lang_ir::Stmt], f: usize) -> bool {
    let mut seen = vec![false; c.functions.len()];
    let mut stack = called(body);
    while let Some(g) = stack.pop() {
        if g == f {
            return true;
        }
        if g < seen.len() && !std::mem::replace(&mut seen[g], true) {
            stack.extend(called(&c.functions[g].body));
        }
    }
    false
}

fn called(body: &[tandem_lang_ir::Stmt]) -> Vec<usize> {
    let mut out = Vec::new();
    tandem_lang_ir::opt::util::visit_stmts(body, &mut |_| {}, &mut |e| {
        if let tandem_lang_ir::Expr::Call(g, _) = e {
            out.push(*g as usize);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use tandem_lang_ir::meta::{ContractMeta, HandlerMeta};
    use tandem_lang_ir::{Contract, Expr, Handler, Init, Module, Mutability, Stmt};

    /// The backend refuses malformed IR before generating anything (in debug builds).
    #[test]
    fn malformed_ir_is_refused_before_code_generation() {
        let handler = Handler {
            variant: "Get".into(),
            params: vec![],
            returns: vec![],
            mutability: Mutability::View,
            body: vec![Stmt::Expr(Expr::Local(3))],
        };
        let meta = HandlerMeta {
            sol_name: "get".into(),
            signature: "get()".into(),
            selector: [0x6d, 0x4c, 0xe6, 0x3c],
            method_number: 1,
        };
        let m = Module {
            contracts: vec![Contract {
                name: "C".into(),
                file: "C.tdm".into(),
                init: Init {
                    params: vec![],
                    payable: false,
                    body: vec![],
                },
                handlers: vec![handler],
                receive: None,
                fallback: None,
                functions: vec![],
                uses_heap: false,
                meta: ContractMeta {
                    handlers: vec![meta],
                    ..Default::default()
                },
            }],
            children: vec![vec![]],
        };
        let e = super::generate(&m, true).unwrap_err();
        assert!(
            e.contains("reads local %3, which is not declared here"),
            "{e}"
        );
    }
}
