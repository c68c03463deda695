//! The EVM backend: turns the middle IR into init code and runtime code directly (no solc,
//! no Yul). Locals live on the stack; dispatch is a linear scan over sorted selectors.

mod abi;
mod arith;
mod asm;
mod emit;

use tandem_lang_ir::Module;

/// Bytecode of one contract.
#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub init_code: Vec<u8>,
    pub runtime_code: Vec<u8>,
}

/// Generates code for every contract of the module. Contracts that create others embed the
/// children's init code, so children are generated first.
pub fn generate(m: &Module) -> Result<Vec<Output>, String> {
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
            let c = &m.contracts[i];
            let runtime = abi::runtime(c, &child_code).map_err(|e| format!("{}: {e}", c.name))?;
            let init =
                abi::init_code(c, &runtime, &child_code).map_err(|e| format!("{}: {e}", c.name))?;
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
