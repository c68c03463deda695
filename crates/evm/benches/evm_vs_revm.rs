//! The same contract and calls through plain revm (in-memory `CacheDB`) and through Tandem
//! (EVM runtime, call manager, state tree over the in-memory blockstore):
//! - `erc20_transfer`: OpenZeppelin's ERC20PresetFixedSupply `transfer` to rotating
//!   recipients (needs ../shared/fixtures; skipped without it);
//! - `storage_loop`: one call that increments 50 storage slots.
//!
//! Run: `cargo bench -p tandem-evm --bench evm_vs_revm`. The ratio of the two medians is the
//! overhead of running EVM frames inside Tandem.

use std::path::PathBuf;
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, TxKind, U256};
use criterion::{Criterion, criterion_group, criterion_main};
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
use tandem_evm::EvmRuntime;
use tandem_evm::tx::{EthTx, apply_tx};
use tandem_evm::world;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::store::VmStore;

const SENDER: [u8; 20] = [0x11; 20];
const GAS: u64 = 5_000_000;

/// 50 × (slot[i] += 1).
const STORAGE_LOOP: &[u8] = &[
    0x60, 0x00, 0x5b, 0x80, 0x54, 0x60, 0x01, 0x01, 0x81, 0x55, 0x60, 0x01, 0x01, 0x80, 0x60, 0x32,
    0x11, 0x60, 0x02, 0x57, 0x00,
];

fn erc20_init_code() -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/evm-artifacts/openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let mut code = hex::decode(json["bytecode"].as_str()?.trim_start_matches("0x")).ok()?;
    // constructor(string name, string symbol, uint256 initialSupply, address owner)
    let mut args = Vec::new();
    let word = |v: U256| v.to_be_bytes::<32>().to_vec();
    args.extend(word(U256::from(128)));
    args.extend(word(U256::from(192)));
    args.extend(word(U256::MAX >> 1));
    args.extend(word(U256::from_be_slice(&SENDER)));
    for s in ["Bench", "BNC"] {
        args.extend(word(U256::from(s.len())));
        let mut padded = s.as_bytes().to_vec();
        padded.resize(32, 0);
        args.extend(padded);
    }
    code.extend(args);
    Some(code)
}

fn transfer_data(i: u64) -> Bytes {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    let mut to = [0u8; 32];
    to[12..].copy_from_slice(&[0x22; 20]);
    to[31] = (i % 100) as u8;
    data.extend_from_slice(&to);
    data.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
    Bytes::from(data)
}

// ---- Tandem ------------------------------------------------------------------------------

struct TandemBench {
    exec: Executor,
    nonce: u64,
}

impl TandemBench {
    fn new() -> Self {
        let mut state = world::singleton_state(VmStore::memory()).unwrap();
        world::add_eth_account(&mut state, SENDER, U256::MAX >> 8, 0).unwrap();
        let network = NetworkContext {
            base_fee: Default::default(),
            ..NetworkContext::default()
        };
        let exec = world::executor(state, network, Arc::new(EvmRuntime::new()), &[]).unwrap();
        Self { exec, nonce: 0 }
    }

    fn tx(&mut self, to: Option<[u8; 20]>, input: Bytes) -> tandem_evm::tx::EthReceipt {
        let tx = EthTx {
            tx_type: 0,
            nonce: self.nonce,
            gas_limit: if to.is_none() { 5_000_000 } else { GAS },
            to,
            input,
            sender: SENDER,
            ..EthTx::default()
        };
        self.nonce += 1;
        let r = apply_tx(&mut self.exec, &tx).unwrap();
        assert!(r.success, "{:?}", r.failure);
        r
    }

    fn deploy(&mut self, init: Vec<u8>) -> [u8; 20] {
        let r = self.tx(None, Bytes::from(init));
        let addr = r.contract_address.unwrap();
        self.exec.flush().unwrap();
        addr
    }
}

// ---- revm --------------------------------------------------------------------------------

type RevmEvm = revm::MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>;

struct RevmBench {
    evm: RevmEvm,
    nonce: u64,
}

impl RevmBench {
    fn new() -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        db.insert_account_info(
            Address::from(SENDER),
            AccountInfo::from_balance(U256::MAX >> 8),
        );
        let evm = Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|c| c.disable_nonce_check = false)
            .build_mainnet();
        Self { evm, nonce: 0 }
    }

    fn tx(&mut self, kind: TxKind, input: Bytes) -> revm::context::result::ExecutionResult {
        let tx = TxEnv::builder()
            .caller(Address::from(SENDER))
            .kind(kind)
            .data(input)
            .gas_limit(if matches!(kind, TxKind::Create) {
                5_000_000
            } else {
                GAS
            })
            .gas_price(0)
            .nonce(self.nonce)
            .build()
            .unwrap();
        self.nonce += 1;
        let r = self.evm.transact_commit(tx).unwrap();
        assert!(r.is_success(), "{r:?}");
        r
    }

    fn deploy(&mut self, init: Vec<u8>) -> Address {
        match self.tx(TxKind::Create, Bytes::from(init)) {
            revm::context::result::ExecutionResult::Success { output, .. } => {
                output.address().copied().unwrap()
            }
            other => panic!("{other:?}"),
        }
    }
}

fn deployer(runtime: &[u8]) -> Vec<u8> {
    let n = runtime.len();
    let mut code = vec![
        0x61,
        (n >> 8) as u8,
        n as u8,
        0x80,
        0x60,
        12,
        0x60,
        0x00,
        0x39,
        0x60,
        0x00,
        0xf3,
    ];
    code.extend_from_slice(runtime);
    code
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("storage_loop");
    {
        let mut t = TandemBench::new();
        let addr = t.deploy(deployer(STORAGE_LOOP));
        group.bench_function("tandem", |b| b.iter(|| t.tx(Some(addr), Bytes::new())));
        let mut r = RevmBench::new();
        let addr = r.deploy(deployer(STORAGE_LOOP));
        group.bench_function("revm", |b| {
            b.iter(|| r.tx(TxKind::Call(addr), Bytes::new()))
        });
    }
    group.finish();

    let Some(init) = erc20_init_code() else {
        eprintln!("erc20_transfer skipped: ../shared/fixtures is not present");
        return;
    };
    let mut group = c.benchmark_group("erc20_transfer");
    {
        let mut t = TandemBench::new();
        let addr = t.deploy(init.clone());
        let mut i = 0u64;
        group.bench_function("tandem", |b| {
            b.iter(|| {
                i += 1;
                t.tx(Some(addr), transfer_data(i))
            })
        });
        let mut r = RevmBench::new();
        let addr = r.deploy(init);
        let mut i = 0u64;
        group.bench_function("revm", |b| {
            b.iter(|| {
                i += 1;
                r.tx(TxKind::Call(addr), transfer_data(i))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
