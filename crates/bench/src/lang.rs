//! One source, two builds: the Tandem language's ERC-20 (the corpus contract) compiled by
//! this workspace to EVM bytecode (`evm-erc20-transfer`, in `evm.rs`) and to a native actor
//! (`wasm-erc20-transfer`, here), transferring to the same rotating holders. The ratio of the
//! two rows is issue 13's benchmark: the native build's transfer against the EVM build's.

use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;

use crate::Workload;
use crate::chain::BenchChain;
use crate::evm::{HOLDERS, TOKEN_SOURCE};

/// The holder `i` transfers go to: the f410 form of the 20-byte address the EVM row uses.
fn holder(i: u64) -> Address {
    let mut eth = [0x22u8; 20];
    eth[12..].copy_from_slice(&(i % HOLDERS + 1).to_be_bytes());
    Address::new_delegated(tandem_vm::builtin::EAM_ACTOR_ID, &eth).expect("20 bytes fit")
}

pub(crate) fn workloads() -> anyhow::Result<Vec<Workload>> {
    let built =
        tandem_lang_driver::compile_wasm(&[("Token.tdm".to_string(), TOKEN_SOURCE.to_string())])
            .map_err(|e| anyhow::anyhow!("compiling the ERC-20 to WASM: {e}"))?;
    let token = built
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no contract"))?;
    let send = token
        .methods
        .iter()
        .find(|m| m.variant == "Send")
        .ok_or_else(|| anyhow::anyhow!("the ERC-20 has no Send"))?
        .number;
    let mut chain = BenchChain::new()?;
    // init(supply: u256): DAG-CBOR `[supply]`, a u256 in Filecoin's BigInt form.
    let supply = TokenAmount::from_atto(u128::MAX >> 8);
    let ctor = fvm_ipld_encoding::to_vec(&(supply,))?;
    let actor = chain.deploy_native(&token.wasm, ctor)?;
    let mut i = 0u64;
    Ok(vec![Workload {
        name: "wasm-erc20-transfer",
        op: Box::new(move || {
            i += 1;
            let params = fvm_ipld_encoding::to_vec(&(
                fvm_ipld_encoding::RawBytes::new(holder(i).to_bytes()),
                TokenAmount::from_atto(1),
            ))?;
            let ret = chain.send(actor, send, params, TokenAmount::default())?;
            anyhow::ensure!(
                ret.receipt.exit_code.is_success(),
                "wasm-erc20-transfer failed: {:?}",
                ret.failure
            );
            Ok(ret.receipt.gas_used)
        }),
    }])
}
