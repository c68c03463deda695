//! The EVM workloads, each on Tandem and on plain revm: same bytecode, same spec (Cancun, the
//! spec Tandem's EVM runs), same transactions. Setup checks that both charge the same gas.

use alloy_primitives::{Address, Bytes, TxKind, U256};
use anyhow::{Context as _, bail, ensure};
use revm::context::TxEnv;
use revm::context::result::ExecutionResult;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

use tandem_evm::initcode::deploying;

use crate::Workload;
use crate::chain::{BenchChain, ETH_SENDER};

/// The Tandem language's ERC-20 (the corpus contract), compiled by this workspace.
pub(crate) const TOKEN_SOURCE: &str =
    include_str!("../../lang/harness/fixtures/corpus/erc20/src/Token.tdm");

/// 50 × (slot[i] += 1).
const STORAGE_LOOP: &[u8] = &[
    0x60, 0x00, 0x5b, 0x80, 0x54, 0x60, 0x01, 0x01, 0x81, 0x55, 0x60, 0x01, 0x01, 0x80, 0x60, 0x32,
    0x11, 0x60, 0x02, 0x57, 0x00,
];

/// STOP.
const EMPTY: &[u8] = &[0x00];

/// Holders the transfers rotate over.
pub(crate) const HOLDERS: u64 = 100;

fn erc20_init_code() -> anyhow::Result<Vec<u8>> {
    let built =
        tandem_lang_driver::compile_sources(&[("Token.tdm".to_string(), TOKEN_SOURCE.to_string())])
            .map_err(|e| anyhow::anyhow!("compiling the ERC-20: {e}"))?;
    let token = built.into_iter().next().context("no contract")?;
    let mut code = token.init_code;
    // init(supply: u256)
    let supply: U256 = U256::MAX >> 56;
    code.extend(supply.to_be_bytes::<32>());
    Ok(code)
}

fn transfer_data(i: u64) -> Bytes {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    let mut to = [0u8; 32];
    to[12..].copy_from_slice(&[0x22; 20]);
    to[24..].copy_from_slice(&(i % HOLDERS + 1).to_be_bytes());
    data.extend_from_slice(&to);
    data.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
    Bytes::from(data)
}

type RevmEvm = revm::MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>;

/// Plain revm over an in-memory database, configured as Tandem's EVM is.
pub(crate) struct RevmTwin {
    evm: RevmEvm,
    nonce: u64,
}

impl RevmTwin {
    pub(crate) fn new() -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        db.insert_account_info(
            Address::from(ETH_SENDER),
            AccountInfo::from_balance(U256::MAX >> 8),
        );
        let evm = Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|c| {
                c.spec = SpecId::CANCUN;
                c.disable_nonce_check = false;
            })
            .modify_block_chained(|b| b.basefee = 0)
            .build_mainnet();
        Self { evm, nonce: 0 }
    }

    pub(crate) fn tx(&mut self, kind: TxKind, input: Bytes) -> anyhow::Result<ExecutionResult> {
        let tx = TxEnv::builder()
            .caller(Address::from(ETH_SENDER))
            .kind(kind)
            .data(input)
            .gas_limit(5_000_000)
            .gas_price(0)
            .nonce(self.nonce)
            .build()
            .map_err(|e| anyhow::anyhow!("building a transaction: {e:?}"))?;
        self.nonce += 1;
        let r = self
            .evm
            .transact_commit(tx)
            .map_err(|e| anyhow::anyhow!("revm: {e:?}"))?;
        ensure!(r.is_success(), "revm transaction failed: {r:?}");
        Ok(r)
    }

    pub(crate) fn deploy(&mut self, init: Vec<u8>) -> anyhow::Result<Address> {
        match self.tx(TxKind::Create, Bytes::from(init))? {
            ExecutionResult::Success { output, .. } => {
                output.address().copied().context("no contract address")
            }
            other => bail!("revm deploy: {other:?}"),
        }
    }
}

/// The two twins of one workload: `(tandem, revm)`. The first `prime` calls run on both
/// before the clock starts (the ERC-20's first transfer to each holder creates its balance
/// slot): how many calls a short run measures depends on each side's speed, so both must
/// start in the steady state for their median gas to agree.
fn twins(
    tandem_name: &'static str,
    revm_name: &'static str,
    init: Vec<u8>,
    input: fn(u64) -> Bytes,
    prime: u64,
) -> anyhow::Result<Vec<Workload>> {
    let mut tandem = BenchChain::new()?;
    let tandem_addr = tandem.eth_deploy(init.clone())?;
    let mut revm = RevmTwin::new();
    let revm_addr = revm.deploy(init)?;
    // One call each: the gas must agree to the unit, or the comparison means nothing.
    let t = tandem.eth_tx(Some(tandem_addr), input(0))?.gas_used;
    let r = revm.tx(TxKind::Call(revm_addr), input(0))?.tx_gas_used();
    ensure!(
        t == r,
        "{tandem_name}: Tandem used {t} gas where revm used {r}"
    );
    for k in 1..=prime {
        tandem.eth_tx(Some(tandem_addr), input(k))?;
        revm.tx(TxKind::Call(revm_addr), input(k))?;
    }
    let mut i = prime;
    let mut j = prime;
    Ok(vec![
        Workload {
            name: tandem_name,
            op: Box::new(move || {
                i += 1;
                Ok(tandem.eth_tx(Some(tandem_addr), input(i))?.gas_used)
            }),
        },
        Workload {
            name: revm_name,
            op: Box::new(move || {
                j += 1;
                Ok(revm.tx(TxKind::Call(revm_addr), input(j))?.tx_gas_used())
            }),
        },
    ])
}

pub(crate) fn workloads() -> anyhow::Result<Vec<Workload>> {
    let mut out = Vec::new();
    out.extend(twins(
        "evm-erc20-transfer",
        "revm-erc20-transfer",
        erc20_init_code()?,
        transfer_data,
        HOLDERS,
    )?);
    out.extend(twins(
        "evm-storage-loop",
        "revm-storage-loop",
        deploying(STORAGE_LOOP),
        |_| Bytes::new(),
        0,
    )?);
    let mut empty = twins(
        "evm-empty-call",
        "revm-empty-call",
        deploying(EMPTY),
        |_| Bytes::new(),
        0,
    )?;
    empty.truncate(1);
    out.extend(empty);
    Ok(out)
}
