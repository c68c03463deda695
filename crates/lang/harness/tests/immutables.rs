//! `#[immutable]` storage fields (`fixtures/features/immutable.tdm`): the fixture on every
//! target (revm, the Tandem VM, the WASM build, the interpreter), and what makes the EVM
//! build's immutables worth having: no storage slot in the layout, and a read that costs a
//! push where the same field in storage costs a cold SLOAD.

use std::path::Path;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolValue, sol};
use tandem_lang_harness::fixture::{self, Targets};
use tandem_lang_harness::{Backend, Chain, addr, compile};

sol! {
    function asset() returns (address);
}

#[test]
fn the_fixture_agrees_on_every_target() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features/immutable.tdm");
    let f = fixture::load(&path).expect("fixture");
    let targets = Targets {
        interp: true,
        ..Targets::all()
    };
    let report = fixture::run_with(&f, &targets).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.transactions >= 15,
        "{} transactions",
        report.transactions
    );
}

fn vault(attr: &str) -> String {
    format!(
        "message M {{\n    #[view]\n    Asset -> Address,\n}}\n\
         struct S {{\n    {attr}\n    asset: Address,\n    n: u256,\n}}\n\
         contract V {{\n    storage: S\n\
         \x20   init(asset: Address) with mut storage {{\n        storage.asset = asset\n    }}\n\
         \x20   recv M {{\n        Asset => with storage {{ storage.asset }}\n    }}\n}}\n"
    )
}

/// Deploys the contract with `asset` and returns the gas of one `asset()` call.
fn asset_call_gas(src: &str, asset: Address) -> u64 {
    let (out, _) = compile(&[("v.tdm", src)]).unwrap_or_else(|e| panic!("{e}"));
    let mut chain = Chain::new();
    let alice = addr(0xA11CE);
    let d = chain.deploy(alice, &out[0].init_code, &asset.abi_encode());
    assert!(d.success, "deploy failed: {:?}", d.output);
    let at = d.created.expect("created");
    let r = chain.call(alice, at, assetCall {}.abi_encode());
    assert!(r.success);
    assert_eq!(
        assetCall::abi_decode_returns(&r.output).expect("address"),
        asset
    );
    r.gas
}

#[test]
fn an_immutable_takes_no_slot_and_reads_as_a_push() {
    let asset = addr(0xA55E7);
    let immutable = vault("#[immutable]");
    let (_, module) = compile(&[("v.tdm", &immutable)]).unwrap_or_else(|e| panic!("{e}"));
    let layout = &module.contracts[0].meta.storage;
    let labels: Vec<&str> = layout.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["n"], "the immutable is not a storage entry");
    assert_eq!(layout[0].slot, U256::ZERO, "`n` takes the first slot");

    let pushed = asset_call_gas(&immutable, asset);
    let loaded = asset_call_gas(&vault(""), asset);
    // A cold SLOAD is 2,100 gas; a PUSH32 is 3.
    assert!(
        loaded >= pushed + 2_000,
        "immutable read {pushed} gas, storage read {loaded}"
    );
}
