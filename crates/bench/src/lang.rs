//! One source, two builds: contracts of the Tandem language compiled by this workspace to EVM
//! bytecode and to a native actor (the WASM target), on the same Tandem VM.
//!
//! - `wasm-erc20-transfer`: the corpus ERC-20's native build transferring to the rotating
//!   holders `evm-erc20-transfer` (in `evm.rs`) uses; the ratio of the two rows is issue 13's
//!   benchmark.
//! - `lang-<coin|erc20>-<evm|wasm>-<new|existing>`: issue 13's table, the Coin example
//!   (`tandem init`'s contract) and the ERC-20, each build transferring 1 unit to a holder that
//!   has never held any (a fresh storage slot every time) or to one of [`HOLDERS`] holders
//!   funded during set-up. With `LANG_BASELINE=<dir>`, `lang-<coin|erc20>-wasm0-*` rows run
//!   the modules `<dir>/<coin|erc20>.wasm` (an earlier compiler's) on the same runtime.
//! - [`issue13_table`] adds what is not a timed row (deploy gas and code size) and prints the
//!   whole table: `cargo test --release -p tandem-bench --lib issue13_table -- --ignored
//!   --nocapture`.

use alloy_primitives::Bytes;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;

use crate::Workload;
use crate::chain::BenchChain;
use crate::evm::{HOLDERS, TOKEN_SOURCE};

/// The contracts of the table: (row name, source, contract variant of the transfer).
const CONTRACTS: &[(&str, &str, &str)] = &[
    ("coin", tandem_lang_driver::COIN_EXAMPLE, "Transfer"),
    ("erc20", TOKEN_SOURCE, "Send"),
];

/// The 20-byte Ethereum address of holder `i` (both builds use the same holders).
fn eth_holder(i: u64) -> [u8; 20] {
    let mut eth = [0x22u8; 20];
    eth[12..].copy_from_slice(&i.to_be_bytes());
    eth
}

/// The holder `i` transfers go to: the f410 form of the 20-byte address the EVM row uses.
fn holder(i: u64) -> Address {
    Address::new_delegated(
        tandem_vm::builtin::EAM_ACTOR_ID,
        &eth_holder(i % HOLDERS + 1),
    )
    .expect("20 bytes fit")
}

/// `transfer(address,uint256)` of 1 unit to `to`.
fn transfer_calldata(to: [u8; 20]) -> Bytes {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend_from_slice(&[0; 12]);
    data.extend_from_slice(&to);
    data.extend_from_slice(&[0; 31]);
    data.push(1);
    Bytes::from(data)
}

/// Installs a module and creates an actor of it (Init `InstallCode`, then `Exec`, as
/// `BenchChain::deploy_native`): the actor and the gas of both messages.
fn deploy_native_metered(
    chain: &mut BenchChain,
    wasm: &[u8],
    ctor: Vec<u8>,
) -> anyhow::Result<(Address, u64)> {
    use tandem_actors::init::{ExecParams, ExecReturn, InstallCodeParams, install_code_method};
    let init = Address::new_id(1);
    let params = fvm_ipld_encoding::to_vec(&InstallCodeParams {
        code: fvm_ipld_encoding::RawBytes::new(wasm.to_vec()),
    })?;
    let ret = chain.send(init, install_code_method(), params, TokenAmount::default())?;
    let mut gas = ret.receipt.gas_used;
    let installed: tandem_actors::init::InstallCodeReturn =
        ret.receipt.return_data.deserialize()?;
    let params = fvm_ipld_encoding::to_vec(&ExecParams {
        code_cid: installed.code_cid,
        constructor_params: fvm_ipld_encoding::RawBytes::new(ctor),
    })?;
    let ret = chain.send(init, 2, params, TokenAmount::default())?;
    gas += ret.receipt.gas_used;
    let out: ExecReturn = ret.receipt.return_data.deserialize()?;
    chain.exec.flush()?;
    Ok((out.id_address, gas))
}

/// One build of one contract, deployed, with what the table reports about it.
struct Deployed {
    chain: BenchChain,
    target: Target,
    deploy_gas: u64,
    code_size: usize,
}

enum Target {
    Evm([u8; 20]),
    Wasm { actor: Address, method: u64 },
}

impl Deployed {
    fn evm(source: &str) -> anyhow::Result<Self> {
        let built = tandem_lang_driver::compile_sources(&[("C.tdm".into(), source.into())])
            .map_err(|e| anyhow::anyhow!("compiling to EVM: {e}"))?;
        let c = built
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no contract"))?;
        let mut init = c.init_code;
        // init(supply: u256)
        init.extend_from_slice(&[0; 8]);
        init.extend_from_slice(&[0xff; 24]);
        let mut chain = BenchChain::new()?;
        let r = chain.eth_tx(None, Bytes::from(init))?;
        chain.exec.flush()?;
        let addr = r
            .contract_address
            .ok_or_else(|| anyhow::anyhow!("no contract address"))?;
        Ok(Self {
            chain,
            target: Target::Evm(addr),
            deploy_gas: r.gas_used,
            code_size: c.runtime_code.len(),
        })
    }

    fn wasm(source: &str, variant: &str) -> anyhow::Result<Self> {
        let built = tandem_lang_driver::compile_wasm(&[("C.tdm".into(), source.into())])
            .map_err(|e| anyhow::anyhow!("compiling to WASM: {e}"))?;
        let c = built
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no contract"))?;
        let method = c
            .methods
            .iter()
            .find(|m| m.variant == variant)
            .ok_or_else(|| anyhow::anyhow!("no {variant}"))?
            .number;
        Self::wasm_module(&c.wasm, method)
    }

    /// A module built elsewhere (a baseline, [`baseline`]), answering the transfer at `method`.
    fn wasm_module(wasm: &[u8], method: u64) -> anyhow::Result<Self> {
        let mut chain = BenchChain::new()?;
        // init(supply: u256): DAG-CBOR `[supply]`, a u256 in Filecoin's BigInt form.
        let ctor = fvm_ipld_encoding::to_vec(&(TokenAmount::from_atto(u128::MAX >> 8),))?;
        let (actor, deploy_gas) = deploy_native_metered(&mut chain, wasm, ctor)?;
        Ok(Self {
            chain,
            target: Target::Wasm { actor, method },
            deploy_gas,
            code_size: wasm.len(),
        })
    }

    fn method(&self) -> u64 {
        match self.target {
            Target::Wasm { method, .. } => method,
            Target::Evm(_) => 0,
        }
    }

    /// Transfers 1 unit to the Ethereum address `to`; the gas used.
    fn transfer(&mut self, to: [u8; 20]) -> anyhow::Result<u64> {
        match &self.target {
            Target::Evm(addr) => Ok(self
                .chain
                .eth_tx(Some(*addr), transfer_calldata(to))?
                .gas_used),
            Target::Wasm { actor, method } => {
                let to = Address::new_delegated(tandem_vm::builtin::EAM_ACTOR_ID, &to)?;
                let params = fvm_ipld_encoding::to_vec(&(
                    fvm_ipld_encoding::RawBytes::new(to.to_bytes()),
                    TokenAmount::from_atto(1),
                ))?;
                let ret = self
                    .chain
                    .send(*actor, *method, params, TokenAmount::default())?;
                Ok(ret.receipt.gas_used)
            }
        }
    }
}

/// A transfer workload: `fresh` sends to a never-seen holder each time, otherwise to the
/// [`HOLDERS`] holders funded here first.
fn transfer_row(
    name: &'static str,
    mut d: Deployed,
    fresh: bool,
) -> anyhow::Result<(Workload, u64, usize)> {
    let (deploy_gas, code_size) = (d.deploy_gas, d.code_size);
    if !fresh {
        for i in 1..=HOLDERS {
            d.transfer(eth_holder(i))?;
        }
    }
    // fresh holders start far above the funded ones
    let mut i = if fresh { 1 << 32 } else { 0 };
    let op = Box::new(move || {
        i += 1;
        let to = if fresh {
            eth_holder(i)
        } else {
            eth_holder(i % HOLDERS + 1)
        };
        d.transfer(to)
    });
    Ok((Workload { name, op }, deploy_gas, code_size))
}

/// The name of a table row (leaked once per row: names are `&'static str`).
fn row_name(contract: &str, target: &str, to: &str) -> &'static str {
    Box::leak(format!("lang-{contract}-{target}-{to}").into_boxed_str())
}

/// A module of `contract` built by an earlier compiler, to compare code generators on one
/// runtime in one run: `<LANG_BASELINE>/<contract>.wasm` when the variable names a
/// directory (rows `lang-<contract>-wasm0-*`).
fn baseline(contract: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(dir) = std::env::var_os("LANG_BASELINE") else {
        return Ok(None);
    };
    let path = std::path::Path::new(&dir).join(format!("{contract}.wasm"));
    let wasm = std::fs::read(&path)
        .map_err(|e| anyhow::anyhow!("LANG_BASELINE: {}: {e}", path.display()))?;
    Ok(Some(wasm))
}

/// Every row of issue 13's table: (workload, deploy gas, code size).
fn table_rows() -> anyhow::Result<Vec<(Workload, u64, usize)>> {
    let mut out = Vec::new();
    for (contract, source, variant) in CONTRACTS {
        for to in ["new", "existing"] {
            let fresh = to == "new";
            out.push(transfer_row(
                row_name(contract, "evm", to),
                Deployed::evm(source)?,
                fresh,
            )?);
            let wasm = Deployed::wasm(source, variant)?;
            if let Some(before) = baseline(contract)? {
                out.push(transfer_row(
                    row_name(contract, "wasm0", to),
                    Deployed::wasm_module(&before, wasm.method())?,
                    fresh,
                )?);
            }
            out.push(transfer_row(row_name(contract, "wasm", to), wasm, fresh)?);
        }
    }
    Ok(out)
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
    let mut out = vec![Workload {
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
    }];
    out.extend(table_rows()?.into_iter().map(|(w, _, _)| w));
    Ok(out)
}

/// Issue 13's table as Markdown: per contract and build, the gas and median wall time of a
/// transfer to a new and to an existing holder, the deploy gas (EVM: the creating
/// transaction; WASM: installing the module and creating the actor) and the code size (EVM:
/// runtime bytecode; WASM: the module), measured for `ms` milliseconds per row.
#[cfg(test)]
fn issue13_table(ms: u64) -> anyhow::Result<String> {
    let budget = std::time::Duration::from_millis(ms);
    let mut measured = Vec::new();
    for (mut w, deploy, size) in table_rows()? {
        let (ns, gas, _) = crate::measure(&mut w.op, budget)?;
        measured.push((w.name, ns, gas, deploy, size));
    }
    let mut out = String::from(
        "| contract | build | transfer, new holder: gas | ns | transfer, existing holder: gas | ns | deploy gas | code bytes |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (contract, _, _) in CONTRACTS {
        for target in ["evm", "wasm0", "wasm"] {
            let get = |to: &str| {
                let name = format!("lang-{contract}-{target}-{to}");
                measured.iter().find(|m| m.0 == name).copied()
            };
            let (Some(new), Some(old)) = (get("new"), get("existing")) else {
                continue;
            };
            out.push_str(&format!(
                "| {contract} | {target} | {} | {:.0} | {} | {:.0} | {} | {} |\n",
                new.2, new.1, old.2, old.1, new.3, new.4
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// Prints issue 13's table (run in release: the times mean nothing in a debug build).
    #[test]
    #[ignore]
    fn issue13_table() {
        let ms = std::env::var("LANG_TABLE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_500);
        println!("{}", super::issue13_table(ms).expect("the table"));
    }
}
