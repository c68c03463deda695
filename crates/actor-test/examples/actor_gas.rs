//! What a user pays for the example actors' modules in a directory (`*_actor.wasm`, e.g. as
//! built by `tandem actor build` with one profile): each module's size, the gas of
//! installing it, and the gas of one typical call of the actors that need no other contract.
//! Used to choose the actor build profile (docs/gas.md, "The actor build profile").
//!
//! `cargo run -p tandem-actor-test --example actor_gas -- DIR`

use std::path::PathBuf;

use anyhow::{Context, bail};
use escrow_actor::Deal;
use fvm_ipld_encoding::RawBytes;
use tandem_actor_test::{Address, Cbor, TestVm, TokenAmount};
use tandem_actors::init::{InstallCodeParams, install_code_method};

fn main() -> anyhow::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        bail!("usage: actor_gas DIR (a directory of <name>_actor.wasm modules)");
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix("_actor.wasm").map(str::to_string))
        .collect();
    names.sort();
    println!("actor\tbytes\tinstall_gas\tcall\tcall_gas");
    for name in names {
        let wasm = std::fs::read(dir.join(format!("{name}_actor.wasm")))?;
        let mut vm = TestVm::new()?;
        let params = fvm_ipld_encoding::to_vec(&InstallCodeParams {
            code: RawBytes::new(wasm.clone()),
        })?;
        let out = vm
            .call(&Address::id(1), install_code_method())
            .raw_params(params)
            .send()?;
        let install_gas = out.ok()?.gas_used;
        let code = vm.install(&wasm)?; // already installed: just its CID
        let (call, gas) = match typical_call(&mut vm, &name, &code)? {
            Some((call, gas)) => (call, gas.to_string()),
            None => ("-", "-".to_string()),
        };
        println!("{name}\t{}\t{install_gas}\t{call}\t{gas}", wasm.len());
    }
    Ok(())
}

/// Deploys `name` and makes one call typical of it; (its label, its gas).
fn typical_call(
    vm: &mut TestVm,
    name: &str,
    code: &cid::Cid,
) -> anyhow::Result<Option<(&'static str, u64)>> {
    let to = vm.account(1);
    let whole = TokenAmount::from_whole;
    let (actor, call, method, params): (Address, &'static str, &str, Vec<u8>) = match name {
        "counter" => (
            vm.deploy(code, &(5u64,))?,
            "Increment(3)",
            "Increment",
            block(&(3u64,)),
        ),
        "token" => (
            vm.deploy(
                code,
                &("Tandem Token".to_string(), "TDM".to_string(), whole(1_000)),
            )?,
            "Transfer(250)",
            "Transfer",
            block(&(to, whole(250))),
        ),
        "ledger" => (
            vm.deploy(code, &())?,
            "Put(1, 100)",
            "Put",
            block(&(1u64, 100u128)),
        ),
        "guard" => (vm.deploy(code, &())?, "Mark(7)", "Mark", block(&(7u64,))),
        "async_pinger" => (vm.deploy(code, &())?, "Tick", "Tick", block(&())),
        "escrow" => {
            let deal = Deal {
                buyer: vm.account(0),
                seller: vm.account(1),
                arbiter: vm.account(2),
                deadline: 1_000,
            };
            let actor = vm.deploy(code, &deal)?;
            let out = vm.call(&actor, "Deposit").value(whole(5)).send()?.ok()?;
            return Ok(Some(("Deposit(5)", out.gas_used)));
        }
        _ => return Ok(None),
    };
    let out = vm.call(&actor, method).raw_params(params).send()?.ok()?;
    Ok(Some((call, out.gas_used)))
}

fn block(v: &impl Cbor) -> Vec<u8> {
    v.to_block().map(|(_, b)| b).unwrap_or_default()
}
