//! The native workloads: value transfers, an empty native call and the example token.

use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use tandem_vm::frc42::method_number;

use crate::Workload;
use crate::chain::{BenchChain, RECEIVERS};

/// The example FRC-46-style token actor, built to WASM by build.rs.
const TOKEN_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/token.wasm"));

/// A native actor that does nothing: `invoke` returns no block.
const EMPTY_ACTOR: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#;

pub(crate) fn workloads() -> anyhow::Result<Vec<Workload>> {
    let mut out = Vec::new();

    let mut chain = BenchChain::new()?;
    let mut i = 0usize;
    out.push(Workload {
        name: "value-transfer",
        op: Box::new(move || {
            i += 1;
            let to = chain.receivers[i % RECEIVERS];
            let ret = chain.send(to, 0, Vec::new(), TokenAmount::from_atto(1))?;
            Ok(ret.receipt.gas_used)
        }),
    });

    let mut chain = BenchChain::new()?;
    let empty = chain.deploy_native(&wat::parse_str(EMPTY_ACTOR)?, Vec::new())?;
    out.push(Workload {
        name: "native-empty-call",
        op: Box::new(move || {
            let ret = chain.send(empty, 2, Vec::new(), TokenAmount::default())?;
            Ok(ret.receipt.gas_used)
        }),
    });

    // The floor: the same module on plain wasmtime with Tandem's engine configuration (pooled
    // slots, fuel, no signals), instantiated and called once per operation in a fresh store.
    let engine = tandem_wasm::config::engine()?;
    let module = wasmtime::Module::new(&engine, wat::parse_str(EMPTY_ACTOR)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let pre = wasmtime::Linker::<()>::new(&engine)
        .instantiate_pre(&module)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    out.push(Workload {
        name: "wasmtime-empty-call",
        op: Box::new(move || {
            let mut store = wasmtime::Store::new(&engine, ());
            store
                .set_fuel(1_000_000)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let instance = pre
                .instantiate(&mut store)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let invoke = instance
                .get_typed_func::<u32, u32>(&mut store, "invoke")
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            invoke
                .call(&mut store, 0)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(0)
        }),
    });

    let mut chain = BenchChain::new()?;
    let supply = TokenAmount::from_whole(1_000_000_000);
    let ctor = fvm_ipld_encoding::to_vec(&("Bench", "BNC", supply))?;
    let token = chain.deploy_native(TOKEN_WASM, ctor)?;
    let transfer = method_number("Transfer")?;
    // The params are built per call the way the EVM twin builds its calldata, byte by byte
    // (serde's general encoder was ~6% of a transfer); checked against serde here.
    let receivers: Vec<Vec<u8>> = chain.receivers.iter().map(|a| a.to_bytes()).collect();
    for to in &receivers {
        let by_serde =
            fvm_ipld_encoding::to_vec(&(RawBytes::new(to.clone()), TokenAmount::from_atto(1)))?;
        anyhow::ensure!(
            transfer_params(to) == by_serde,
            "params encoding differs from serde's"
        );
    }
    let mut i = 0usize;
    out.push(Workload {
        name: "native-token-transfer",
        op: Box::new(move || {
            i += 1;
            let params = transfer_params(&receivers[i % RECEIVERS]);
            let ret = chain.send(token, transfer, params, TokenAmount::default())?;
            Ok(ret.receipt.gas_used)
        }),
    });
    Ok(out)
}

/// `Transfer`'s DAG-CBOR params `[to, 1 atto]`: a 2-array of the address's bytes and the
/// amount's big-integer bytes (sign byte 0, then the magnitude).
fn transfer_params(to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(to.len() + 8);
    out.push(0x82);
    // An address is at most 65 bytes, so its length fits one byte after 0x58.
    if to.len() < 24 {
        out.push(0x40 | to.len() as u8);
    } else {
        out.extend_from_slice(&[0x58, to.len() as u8]);
    }
    out.extend_from_slice(to);
    out.extend_from_slice(&[0x42, 0x00, 0x01]);
    out
}
