//! The contract corpus (fixtures/corpus): ERC-20, ERC-721, a multisig and seed 003's generic
//! `Wallet<S>`, deployed on revm and driven through alloy `sol!` typed calls.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue, sol};
use std::collections::BTreeSet;
use tandem_lang_harness::{Backend, Chain, Compiled, Outcome, addr, compile};
use tandem_lang_ir::Module;
use tandem_lang_ir::meta::{AbiItem, AbiParam};

/// The sources of a corpus package (`fixtures/corpus/<name>/src/*.tdm`), sorted by path.
fn package(name: &str) -> Vec<(String, String)> {
    let dir = format!("{}/fixtures/corpus/{name}/src", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tdm"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("source");
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("x.tdm");
            (name.to_string(), text)
        })
        .collect()
}

/// Compiles a corpus package; returns every contract and the IR module.
fn build(name: &str) -> (Vec<Compiled>, tandem_lang_ir::Module) {
    let srcs = package(name);
    let refs: Vec<(&str, &str)> = srcs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    compile(&refs).unwrap_or_else(|e| panic!("{name} does not compile:\n{e}"))
}

/// Deploys the contract `name` of a build with ABI-encoded constructor arguments.
fn deploy(chain: &mut Chain, from: Address, out: &[Compiled], name: &str, args: &[u8]) -> Address {
    let c = out
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no contract {name}"));
    let r = chain.deploy(from, &c.init_code, args);
    assert!(r.success, "deploying {name} failed: {r:?}");
    r.created.expect("address")
}

/// A call that must succeed; its decoded return.
fn ok<C: SolCall>(chain: &mut Chain, from: Address, to: Address, call: C) -> C::Return {
    let r = chain.typed(from, to, call);
    r.decode::<C>()
}

/// A call that must revert with the custom error `E`; the decoded error.
fn fails<E: SolError>(r: &Outcome) -> E {
    assert!(
        !r.success,
        "expected a revert with {}, the call succeeded",
        E::SIGNATURE
    );
    E::abi_decode(&r.output).unwrap_or_else(|e| {
        panic!(
            "revert data 0x{} is not {}: {e}",
            tandem_lang_harness::hex(&r.output),
            E::SIGNATURE
        )
    })
}

/// The single log of an outcome emitted by `at`, decoded as `E`.
fn event<E: SolEvent>(r: &Outcome, at: Address) -> E {
    let logs: Vec<_> = r
        .logs
        .iter()
        .filter(|l| l.address == at && l.topics().first() == Some(&E::SIGNATURE_HASH))
        .collect();
    assert_eq!(
        logs.len(),
        1,
        "expected one {} log: {:?}",
        E::SIGNATURE,
        r.logs
    );
    E::decode_log_data(&logs[0].data).expect("event decodes")
}

fn sol_sig(name: &str, inputs: &[AbiParam]) -> String {
    let tys: Vec<String> = inputs.iter().map(|p| p.ty.sol_name()).collect();
    format!("{name}({})", tys.join(","))
}

/// The ABI of one compiled contract, as selectors and topic hashes.
struct Abi {
    functions: BTreeSet<[u8; 4]>,
    events: BTreeSet<B256>,
    errors: BTreeSet<[u8; 4]>,
}

fn abi_of(m: &Module, name: &str) -> Abi {
    let c = m
        .contracts
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no contract {name}"));
    let mut abi = Abi {
        functions: c.meta.handlers.iter().map(|h| h.selector).collect(),
        events: BTreeSet::new(),
        errors: BTreeSet::new(),
    };
    for item in &c.meta.abi {
        match item {
            AbiItem::Event { name, inputs } => {
                abi.events.insert(keccak256(sol_sig(name, inputs)));
            }
            AbiItem::Error { name, inputs } => {
                abi.errors
                    .insert(keccak256(sol_sig(name, inputs))[..4].try_into().unwrap());
            }
            _ => {}
        }
    }
    abi
}

/// The selectors of the functions of one contract whose JSON ABI signature (name and input
/// types) hashes to the selector the contract dispatches on.
fn json_abi_selectors(m: &Module, name: &str) -> BTreeSet<[u8; 4]> {
    let c = m
        .contracts
        .iter()
        .find(|c| c.name == name)
        .expect("contract");
    c.meta
        .abi
        .iter()
        .filter_map(|item| match item {
            AbiItem::Function { name, inputs, .. } => {
                Some(keccak256(sol_sig(name, inputs))[..4].try_into().unwrap())
            }
            _ => None,
        })
        .collect()
}

fn sels(xs: &[[u8; 4]]) -> BTreeSet<[u8; 4]> {
    xs.iter().copied().collect()
}

fn topics(xs: &[[u8; 32]]) -> BTreeSet<B256> {
    xs.iter().map(|t| B256::from(*t)).collect()
}

// ---------------------------------------------------------------------------------------
// ERC-20

mod erc20;
mod erc721;
mod multisig;
mod wallet;
