//! EVM differential: random bytecode and transactions on Tandem (`tandem_evm::tx::apply_tx`
//! over the call manager and the state tree) and on plain revm (`CacheDB<EmptyDB>`), both
//! with Cancun rules and the same block. Per transaction: accepted or rejected alike, success,
//! revert-or-halt, output, gas used and logs; after the transactions: the Ethereum state root
//! (Tandem's from `tandem_evm::root`, revm's from its cache DB with alloy-trie).
//!
//! Known divergences are explicit in [`known_divergence`]: a case that reaches one is counted
//! and not compared further (never silently passed).

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_trie::TrieAccount;
use alloy_trie::root::{state_root_unhashed, storage_root_unhashed};
use fvm_shared::econ::TokenAmount;
use rand::Rng;
use rand::rngs::StdRng;
use revm::bytecode::Bytecode;
use revm::context::result::{ExecutionResult, Output};
use revm::context::{CfgEnv, TxEnv};
use revm::database::{AccountState, CacheDB, EmptyDB};
use revm::primitives::KECCAK_EMPTY;
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};
use tandem_evm::EvmRuntime;
use tandem_evm::address::create_address;
use tandem_evm::initcode::deploying;
use tandem_evm::tx::{EthTx, TxError, apply_tx};
use tandem_evm::world;
use tandem_vm::eth::EthAddress;
use tandem_vm::kernel::{BlockHashes, NetworkContext};
use tandem_vm::store::VmStore;

use crate::{Stats, Target, pick};

const CHAIN_ID: u64 = 31337;
const NUMBER: u64 = 300;
const TIMESTAMP: u64 = 1_700_000_000;
const BLOCK_GAS_LIMIT: u64 = 30_000_000;
const RANDAO: [u8; 32] = [0x5a; 32];
pub(crate) const SENDERS: [[u8; 20]; 2] = [[0x11; 20], [0x12; 20]];
const COINBASE: [u8; 20] = [0xc0; 20];
pub(crate) const CONTRACTS: [[u8; 20]; 3] = [[0xa1; 20], [0xa2; 20], [0xa3; 20]];
/// The call-actor precompile (Tandem only).
const ACTOR_PRECOMPILE: [u8; 20] = {
    let mut a = [0u8; 20];
    a[0] = 0xfe;
    a[19] = 3;
    a
};

fn u256(v: u64) -> U256 {
    U256::from(v)
}

/// The documented divergences between Tandem and Ethereum (docs/evm.md):
/// - an address of the masked-ID form `0xff ‖ 0×11 ‖ id` is an actor ID on Tandem, an
///   ordinary address on Ethereum;
/// - `0xfe00…0003` is Tandem's call-actor precompile, an empty account on Ethereum.
///
/// Both are avoided by the generator; a case whose revm run still touched one (its cache DB
/// loaded the account) is counted and not compared. Gas above i64 milligas (~9.2e15) is the
/// third documented one and cannot happen here (transaction gas ≤ the block gas limit). The
/// specs are the same (Cancun on both sides), so EIP-7623's Prague calldata floor, which the
/// language harness's revm charges, does not arise.
pub fn known_divergence(addr: &Address) -> Option<&'static str> {
    let a = addr.0.0;
    if a[0] == 0xff && a[1..12].iter().all(|b| *b == 0) {
        return Some("known divergence: masked-ID address");
    }
    if a == ACTOR_PRECOMPILE {
        return Some("known divergence: call-actor precompile");
    }
    None
}

/// Addresses generated code refers to.
fn address_pool() -> Vec<[u8; 20]> {
    let mut pool = vec![SENDERS[0], SENDERS[1], COINBASE, [0xde; 20], [0x77; 20]];
    pool.extend(CONTRACTS);
    for p in 1..=10u8 {
        let mut a = [0u8; 20];
        a[19] = p;
        pool.push(a);
    }
    for n in 0..3 {
        pool.push(create_address(&SENDERS[0], n));
    }
    for c in CONTRACTS {
        pool.push(create_address(&c, 1));
        pool.push(create_address(&c, 2));
    }
    pool
}

/// Opcodes defined by Cancun (everything else is an undefined-instruction halt).
fn valid_opcode(rng: &mut StdRng) -> u8 {
    const RANGES: &[(u8, u8)] = &[
        (0x00, 0x0b),
        (0x10, 0x1d),
        (0x20, 0x20),
        (0x30, 0x3f),
        (0x40, 0x4a),
        (0x50, 0x5f),
        (0x80, 0x9f),
        (0xa0, 0xa4),
        (0xf0, 0xf5),
        (0xfa, 0xfa),
        (0xfd, 0xff),
    ];
    let (lo, hi) = *pick(rng, RANGES);
    rng.random_range(lo..=hi)
}

/// Pushes `bytes` as a number: the shortest PUSH (PUSH0 for zero).
pub(crate) fn push_bytes(code: &mut Vec<u8>, bytes: &[u8]) {
    let bytes = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => &[][..],
    };
    code.push(0x5f + bytes.len() as u8); // PUSH0 for no bytes
    code.extend_from_slice(bytes);
}

/// Writes `bytes` into memory from offset `at` with PUSH32/MSTORE.
pub(crate) fn store_in_memory(code: &mut Vec<u8>, bytes: &[u8], at: u64) {
    for (i, chunk) in bytes.chunks(32).enumerate() {
        let mut w = [0u8; 32];
        w[..chunk.len()].copy_from_slice(chunk);
        code.push(0x7f);
        code.extend_from_slice(&w);
        push_bytes(code, &(at + 32 * i as u64).to_be_bytes());
        code.push(0x52);
    }
}

struct Gen<'a> {
    rng: &'a mut StdRng,
    pool: &'a [[u8; 20]],
}

impl Gen<'_> {
    fn push(&mut self, code: &mut Vec<u8>, v: u64) {
        push_bytes(code, &v.to_be_bytes());
    }

    /// An interesting word: small numbers, offsets, keys, addresses, extremes.
    fn push_value(&mut self, code: &mut Vec<u8>) {
        match self.rng.random_range(0..10) {
            0..=2 => {
                let v = self.rng.random_range(0..4);
                self.push(code, v)
            }
            3 => {
                let v = *pick(self.rng, &[31u64, 32, 64, 0xff, 0x100, 0x1000]);
                self.push(code, v)
            }
            4 => {
                let v = self.rng.random_range(0..=u16::MAX as u64);
                self.push(code, v)
            }
            5 | 6 => {
                let a = *pick(self.rng, self.pool);
                push_bytes(code, &a)
            }
            7 => {
                let mut w = [0u8; 32];
                self.rng.fill(&mut w);
                code.push(0x7f);
                code.extend_from_slice(&w);
            }
            8 => {
                code.push(0x7f);
                code.extend_from_slice(&[0xff; 32]);
            }
            _ => {
                let v: u64 = self.rng.random();
                self.push(code, v)
            }
        }
    }

    fn small(&mut self, code: &mut Vec<u8>, max: u64) {
        let v = self.rng.random_range(0..=max);
        self.push(code, v);
    }

    fn address(&mut self, code: &mut Vec<u8>) {
        let a = *pick(self.rng, self.pool);
        push_bytes(code, &a);
    }

    fn code(&mut self, depth: u32) -> Vec<u8> {
        let mut code = Vec::new();
        let mut jumpdests: Vec<usize> = Vec::new();
        let n = self.rng.random_range(1..40);
        for _ in 0..n {
            match self.rng.random_range(0..24) {
                0..=3 => self.push_value(&mut code),
                4..=6 => code.push(valid_opcode(self.rng)),
                7 => {
                    // SSTORE(key, value)
                    self.push_value(&mut code);
                    self.small(&mut code, 4);
                    code.push(0x55);
                }
                8 => {
                    self.small(&mut code, 4);
                    code.push(0x54);
                }
                9 => {
                    self.push_value(&mut code);
                    self.small(&mut code, 96);
                    code.push(0x52);
                }
                10 => {
                    let topics = self.rng.random_range(0..=4u8);
                    for _ in 0..topics {
                        self.push_value(&mut code);
                    }
                    self.small(&mut code, 64);
                    self.small(&mut code, 64);
                    code.push(0xa0 + topics);
                }
                11 | 12 => {
                    let op = *pick(self.rng, &[0xf1u8, 0xf1, 0xf2, 0xf4, 0xfa]);
                    self.small(&mut code, 64); // retLen
                    self.small(&mut code, 64); // retOff
                    self.small(&mut code, 64); // argsLen
                    self.small(&mut code, 64); // argsOff
                    if matches!(op, 0xf1 | 0xf2) {
                        if self.rng.random_bool(0.7) {
                            code.push(0x5f);
                        } else {
                            self.small(&mut code, 1000);
                        }
                    }
                    self.address(&mut code);
                    if self.rng.random_bool(0.5) {
                        code.push(0x5a); // GAS
                    } else {
                        self.small(&mut code, 200_000);
                    }
                    code.push(op);
                }
                13 if depth < 2 => {
                    let child = self.code(depth + 1);
                    let init = if self.rng.random_bool(0.8) {
                        deploying(&child)
                    } else {
                        child
                    };
                    store_in_memory(&mut code, &init, 0);
                    let create2 = self.rng.random_bool(0.4);
                    if create2 {
                        self.small(&mut code, 3); // salt
                    }
                    self.push(&mut code, init.len() as u64);
                    code.push(0x5f);
                    if self.rng.random_bool(0.7) {
                        code.push(0x5f);
                    } else {
                        self.small(&mut code, 100);
                    }
                    code.push(if create2 { 0xf5 } else { 0xf0 });
                }
                14 => {
                    self.small(&mut code, 64);
                    self.small(&mut code, 64);
                    code.push(*pick(self.rng, &[0xf3u8, 0xfd]));
                }
                15 => {
                    jumpdests.push(code.len());
                    code.push(0x5b);
                }
                16 if !jumpdests.is_empty() => {
                    // A conditional jump back (a loop that ends when gas does, or not at all).
                    let to = *pick(self.rng, &jumpdests);
                    self.push_value(&mut code);
                    self.push(&mut code, to as u64);
                    code.push(0x57);
                }
                17 => {
                    self.address(&mut code);
                    code.push(0xff);
                }
                18 => {
                    self.push_value(&mut code);
                    self.small(&mut code, 4);
                    code.push(0x5d); // TSTORE
                    self.small(&mut code, 4);
                    code.push(0x5c); // TLOAD
                }
                19 => {
                    self.address(&mut code);
                    code.push(*pick(self.rng, &[0x31u8, 0x3b, 0x3f]));
                }
                20 => {
                    let back = self.rng.random_range(0..300);
                    self.push(&mut code, NUMBER.saturating_sub(back));
                    code.push(0x40);
                }
                21 => {
                    self.small(&mut code, 64);
                    self.small(&mut code, 64);
                    self.small(&mut code, 64);
                    code.push(*pick(self.rng, &[0x37u8, 0x3e, 0x39, 0x5e]));
                }
                22 => code.push(self.rng.random()),
                _ => {
                    self.small(&mut code, 64);
                    code.push(0x35); // CALLDATALOAD
                }
            }
        }
        if self.rng.random_bool(0.5) {
            // Return something from memory.
            self.small(&mut code, 64);
            self.small(&mut code, 32);
            code.push(*pick(self.rng, &[0xf3u8, 0xf3, 0xfd, 0x00]));
        }
        code
    }
}

/// One generated transaction.
#[derive(Debug, Clone)]
pub struct Tx {
    pub tx_type: u8,
    pub from: [u8; 20],
    pub nonce: u64,
    pub to: Option<[u8; 20]>,
    pub value: U256,
    pub input: Vec<u8>,
    pub gas_limit: u64,
    pub max_fee: u128,
    pub priority: u128,
}

/// A pre-deployed contract: address, code, balance, storage.
pub type Contract = ([u8; 20], Vec<u8>, U256, Vec<([u8; 32], [u8; 32])>);

/// The pre-state: the senders and three contracts with code and storage.
#[derive(Debug, Clone)]
pub struct Case {
    pub base_fee: u64,
    pub contracts: Vec<Contract>,
    pub txs: Vec<Tx>,
}

const SENDER_BALANCE: u128 = 1_000_000_000_000_000_000_000;

pub fn generate(rng: &mut StdRng) -> Case {
    let pool = address_pool();
    let mut g = Gen { rng, pool: &pool };
    let contracts = CONTRACTS
        .iter()
        .map(|a| {
            let code = g.code(0);
            let balance = u256(g.rng.random_range(0..3) * 1000);
            let storage = (0..g.rng.random_range(0..3))
                .map(|_| {
                    let mut k = [0u8; 32];
                    k[31] = g.rng.random_range(0..5);
                    let mut v = [0u8; 32];
                    v[31] = g.rng.random_range(1..=255);
                    (k, v)
                })
                .collect();
            (*a, code, balance, storage)
        })
        .collect();
    let base_fee = *pick(g.rng, &[0u64, 0, 7, 1_000]);
    let mut nonces = [0u64; 2];
    let mut txs = Vec::new();
    for _ in 0..g.rng.random_range(1..=4) {
        let s = g.rng.random_range(0..2);
        let from = SENDERS[s];
        let (to, input) = match g.rng.random_range(0..10) {
            0..=5 => {
                let to = *pick(g.rng, &CONTRACTS);
                let n = g.rng.random_range(0..70);
                (Some(to), crate::bytes(g.rng, n))
            }
            6 | 7 => {
                let child = g.code(0);
                let init = if g.rng.random_bool(0.8) {
                    deploying(&child)
                } else {
                    child
                };
                (None, init)
            }
            _ => (Some(*pick(g.rng, &pool)), Vec::new()),
        };
        let value = if g.rng.random_bool(0.7) {
            U256::ZERO
        } else {
            u256(g.rng.random_range(1..10_000))
        };
        let gas_limit = match g.rng.random_range(0..10) {
            0 => g.rng.random_range(0..60_000),
            1 => g.rng.random_range(21_000..100_000),
            _ => g.rng.random_range(100_000..1_500_000),
        };
        let tx_type = *pick(g.rng, &[0u8, 2]);
        let max_fee = base_fee as u128 + g.rng.random_range(0..3) as u128;
        let priority = if tx_type == 2 {
            g.rng.random_range(0..=max_fee.min(2))
        } else {
            max_fee
        };
        let nonce = if g.rng.random_range(0..20) == 0 {
            nonces[s] + 1
        } else {
            nonces[s]
        };
        txs.push(Tx {
            tx_type,
            from,
            nonce,
            to,
            value,
            input,
            gas_limit,
            max_fee,
            priority,
        });
        // Both sides track the real nonce; a wrong one is rejected by both.
        if nonce == nonces[s] {
            nonces[s] += 1;
        }
    }
    Case {
        base_fee,
        contracts,
        txs,
    }
}

/// What a transaction did, in the terms both sides share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Rejected,
    Applied {
        success: bool,
        /// Revert (true) or halt (false) when not successful.
        reverted: bool,
        /// Return or revert data (empty for a successful create and for halts).
        output: Bytes,
        gas_used: u64,
        logs: Vec<(Address, Vec<B256>, Bytes)>,
        created: Option<Address>,
    },
}

pub struct EvmTarget {
    pub evm: Arc<EvmRuntime>,
}

impl Default for EvmTarget {
    fn default() -> Self {
        Self {
            evm: Arc::new(EvmRuntime::new()),
        }
    }
}

/// Tandem's outcomes, its Ethereum state root, notes for a failure's report, and each
/// transaction's time (of `apply_tx` alone: the pre-state and the final flush are not in it).
fn run_tandem(
    evm: &Arc<EvmRuntime>,
    case: &Case,
) -> (Vec<Outcome>, B256, Vec<String>, Vec<Duration>) {
    let mut state = world::singleton_state(VmStore::memory()).unwrap();
    for s in SENDERS {
        world::add_eth_account(&mut state, s, U256::from(SENDER_BALANCE), 0).unwrap();
    }
    for (a, code, balance, storage) in &case.contracts {
        world::add_contract(&mut state, *a, code, *balance, 1, storage).unwrap();
    }
    let network = NetworkContext {
        chain_id: CHAIN_ID,
        epoch: NUMBER as i64,
        timestamp: TIMESTAMP,
        base_fee: TokenAmount::from_atto(case.base_fee),
        block_gas_limit: BLOCK_GAS_LIMIT,
        coinbase: EthAddress(COINBASE).to_filecoin(),
        prev_randao: RANDAO,
        blob_base_fee: TokenAmount::from_atto(1u64),
        blob_hashes: Vec::new(),
        // The same rules as plain revm's side (`CfgEnv::new_with_spec(SpecId::CANCUN)`).
        hardfork: tandem_vm::kernel::Hardfork::Cancun,
        unlimited_code_size: false,
        block_hashes: Some(state_test_hashes()),
    };
    let mut exec = world::executor(state, network, evm.clone(), &[]).unwrap();
    let mut outcomes = Vec::new();
    let mut notes = Vec::new();
    let mut times = Vec::new();
    for tx in &case.txs {
        let etx = EthTx {
            tx_type: tx.tx_type,
            chain_id: Some(CHAIN_ID),
            nonce: tx.nonce,
            gas_limit: tx.gas_limit,
            to: tx.to,
            value: tx.value,
            input: Bytes::from(tx.input.clone()),
            max_fee_per_gas: tx.max_fee,
            max_priority_fee_per_gas: tx.priority,
            sender: tx.from,
            ..EthTx::default()
        };
        let began = Instant::now();
        let applied = apply_tx(&mut exec, &etx);
        times.push(began.elapsed());
        outcomes.push(match applied {
            Err(TxError::Fatal(e)) => panic!("Tandem: fatal error applying {tx:?}: {e:#}"),
            Err(e) => {
                notes.push(format!("rejected: {e}"));
                Outcome::Rejected
            }
            Ok(r) => Outcome::Applied {
                success: {
                    notes.push(format!("exit {} {:?}", r.exit_code.value(), r.failure));
                    r.success
                },
                reverted: !r.success && r.exit_code == tandem_evm::exit::REVERTED,
                output: if r.success && tx.to.is_none()
                    || !r.success && !r.exit_code.eq(&tandem_evm::exit::REVERTED)
                {
                    Bytes::new()
                } else {
                    r.output
                },
                gas_used: r.gas_used,
                logs: r
                    .logs
                    .into_iter()
                    .map(|l| (Address::from(l.address), l.topics, l.data))
                    .collect(),
                created: if r.success {
                    r.contract_address.map(Address::from)
                } else {
                    None
                },
            },
        });
    }
    exec.flush().unwrap();
    let root = tandem_evm::root::eth_state_root(&exec.machine.state).unwrap();
    (outcomes, root, notes, times)
}

/// The 256 hashes before block [`NUMBER`] as the node holds them, with the values of the
/// state tests' convention (`keccak256(decimal n)`) that revm's empty database answers: so
/// Tandem's BLOCKHASH takes the node's path (a window) and still agrees with revm.
/// Computed once per process: a clone shares them.
fn state_test_hashes() -> BlockHashes {
    static HASHES: std::sync::LazyLock<BlockHashes> = std::sync::LazyLock::new(|| {
        let first = NUMBER - tandem_vm::kernel::BLOCK_HASH_HISTORY;
        let hashes: Vec<[u8; 32]> = (first..NUMBER)
            .map(|n| alloy_primitives::keccak256(n.to_string().as_bytes()).0)
            .collect();
        BlockHashes::new(first, hashes)
    });
    HASHES.clone()
}

type RevmEvm = revm::MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>;

/// revm's outcomes, its state root, the first known divergence it touched, and each
/// transaction's time (of `transact_commit` alone).
fn run_revm(case: &Case) -> (Vec<Outcome>, B256, Option<&'static str>, Vec<Duration>) {
    let mut db = CacheDB::new(EmptyDB::default());
    // Pre-state code is placed as legacy bytecode on both sides, whatever its first bytes
    // (`new_raw` would read a leading 0xef01 as an EIP-7702 designator and panic).
    for s in SENDERS {
        let info = AccountInfo {
            balance: U256::from(SENDER_BALANCE),
            ..Default::default()
        };
        db.insert_account_info(Address::from(s), info);
    }
    for (a, code, balance, storage) in &case.contracts {
        let mut info =
            AccountInfo::default().with_code(Bytecode::new_legacy(Bytes::from(code.clone())));
        info.balance = *balance;
        info.nonce = 1;
        db.insert_account_info(Address::from(*a), info);
        for (k, v) in storage {
            db.insert_account_storage(
                Address::from(*a),
                U256::from_be_bytes(*k),
                U256::from_be_bytes(*v),
            )
            .unwrap();
        }
    }
    let mut evm: RevmEvm = Context::mainnet()
        .with_db(db)
        .modify_cfg_chained(|c| {
            *c = CfgEnv::new_with_spec(SpecId::CANCUN);
            c.chain_id = CHAIN_ID;
        })
        .modify_block_chained(|b| {
            b.number = u256(NUMBER);
            b.timestamp = u256(TIMESTAMP);
            b.beneficiary = Address::from(COINBASE);
            b.basefee = case.base_fee;
            b.gas_limit = BLOCK_GAS_LIMIT;
            b.prevrandao = Some(B256::from(RANDAO));
            b.difficulty = U256::ZERO;
        })
        .build_mainnet();
    let mut outcomes = Vec::new();
    let mut times = Vec::new();
    for tx in &case.txs {
        let env = TxEnv::builder()
            .tx_type(Some(tx.tx_type))
            .caller(Address::from(tx.from))
            .kind(match tx.to {
                Some(a) => TxKind::Call(Address::from(a)),
                None => TxKind::Create,
            })
            .data(Bytes::from(tx.input.clone()))
            .value(tx.value)
            .gas_limit(tx.gas_limit)
            .gas_price(tx.max_fee)
            .gas_priority_fee((tx.tx_type == 2).then_some(tx.priority))
            .nonce(tx.nonce)
            .chain_id(Some(CHAIN_ID))
            .build()
            .expect("a well-formed revm transaction");
        let began = Instant::now();
        let committed = evm.transact_commit(env);
        times.push(began.elapsed());
        outcomes.push(match committed {
            Err(_) => Outcome::Rejected,
            Ok(r) => {
                let gas_used = r.tx_gas_used();
                match r {
                    ExecutionResult::Success { logs, output, .. } => {
                        let (output, created) = match output {
                            Output::Call(b) => (b, None),
                            Output::Create(_, a) => (Bytes::new(), a),
                        };
                        Outcome::Applied {
                            success: true,
                            reverted: false,
                            output,
                            gas_used,
                            logs: logs
                                .into_iter()
                                .map(|l| (l.address, l.data.topics().to_vec(), l.data.data))
                                .collect(),
                            created,
                        }
                    }
                    ExecutionResult::Revert { output, .. } => Outcome::Applied {
                        success: false,
                        reverted: true,
                        output,
                        gas_used,
                        logs: vec![],
                        created: None,
                    },
                    ExecutionResult::Halt { .. } => Outcome::Applied {
                        success: false,
                        reverted: false,
                        output: Bytes::new(),
                        gas_used,
                        logs: vec![],
                        created: None,
                    },
                }
            }
        });
    }
    let db = &evm.ctx.journaled_state.database;
    let divergence = db.cache.accounts.keys().find_map(known_divergence);
    let mut accounts = std::collections::BTreeMap::new();
    for (addr, acc) in &db.cache.accounts {
        if matches!(acc.account_state, AccountState::NotExisting) {
            continue;
        }
        let slots: Vec<(B256, U256)> = acc
            .storage
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(k, v)| (B256::from(k.to_be_bytes::<32>()), *v))
            .collect();
        let code_hash = if acc.info.code_hash == B256::ZERO {
            KECCAK_EMPTY
        } else {
            acc.info.code_hash
        };
        if acc.info.nonce == 0
            && acc.info.balance.is_zero()
            && code_hash == KECCAK_EMPTY
            && slots.is_empty()
        {
            continue;
        }
        accounts.insert(
            *addr,
            TrieAccount {
                nonce: acc.info.nonce,
                balance: acc.info.balance,
                storage_root: storage_root_unhashed(slots),
                code_hash,
            },
        );
    }
    (outcomes, state_root_unhashed(accounts), divergence, times)
}

/// A case in readable form (hex code and data).
pub fn describe(case: &Case) -> String {
    let mut s = format!("base fee {}\n", case.base_fee);
    for (a, code, balance, storage) in &case.contracts {
        s += &format!(
            "contract 0x{} balance {balance} storage {:?}\n  code {}\n",
            hex::encode(a),
            storage
                .iter()
                .map(|(k, v)| (
                    k[31],
                    hex::encode(
                        v.iter()
                            .skip_while(|b| **b == 0)
                            .copied()
                            .collect::<Vec<_>>()
                    )
                ))
                .collect::<Vec<_>>(),
            hex::encode(code)
        );
    }
    for tx in &case.txs {
        s += &format!(
            "tx type {} from 0x{} nonce {} to {} value {} gas {} fee {}/{}\n  input {}\n",
            tx.tx_type,
            hex::encode(tx.from),
            tx.nonce,
            tx.to
                .map(|a| format!("0x{}", hex::encode(a)))
                .unwrap_or("create".into()),
            tx.value,
            tx.gas_limit,
            tx.max_fee,
            tx.priority,
            hex::encode(&tx.input)
        );
    }
    s
}

/// Runs a case on both and compares; panics on a difference outside the known ones.
pub fn check(evm: &Arc<EvmRuntime>, case: &Case, stats: &mut Stats) {
    check_with(evm, case, stats)
}

/// [`check`] (kept under this name for the regression tests).
pub fn check_with(evm: &Arc<EvmRuntime>, case: &Case, stats: &mut Stats) {
    check_timed(evm, case, stats);
}

/// Each transaction's gas and its time on Tandem and on plain revm.
#[derive(Debug, Clone, Copy)]
pub struct TxTiming {
    /// The transaction's place in the case.
    pub tx: usize,
    pub gas_used: u64,
    pub tandem: Duration,
    pub revm: Duration,
}

/// [`check`], returning each applied transaction's timing (none when the case reached a
/// known divergence, whose outcomes are not compared).
pub fn check_timed(evm: &Arc<EvmRuntime>, case: &Case, stats: &mut Stats) -> Vec<TxTiming> {
    let (revm_out, revm_root, divergence, revm_times) = run_revm(case);
    let (tandem_out, tandem_root, notes, tandem_times) = run_tandem(evm, case);
    if let Some(d) = divergence {
        stats.count(d);
        return Vec::new();
    }
    for (i, (t, r)) in tandem_out.iter().zip(&revm_out).enumerate() {
        assert_eq!(
            t,
            r,
            "transaction {i} differs (left Tandem, right revm)\nTandem: {notes:#?}\ncase:\n{}",
            describe(case)
        );
        match r {
            Outcome::Rejected => stats.count("transactions rejected"),
            Outcome::Applied { success: true, .. } => stats.count("transactions succeeded"),
            Outcome::Applied { reverted: true, .. } => stats.count("transactions reverted"),
            Outcome::Applied { .. } => stats.count("transactions halted"),
        }
    }
    assert_eq!(
        tandem_root,
        revm_root,
        "Ethereum state roots differ (left Tandem, right revm)\nTandem: {notes:#?}\ncase:\n{}",
        describe(case)
    );
    revm_out
        .iter()
        .zip(tandem_times.iter().zip(&revm_times))
        .enumerate()
        .filter_map(|(tx, (outcome, (tandem, revm)))| match outcome {
            Outcome::Applied { gas_used, .. } => Some(TxTiming {
                tx,
                gas_used: *gas_used,
                tandem: *tandem,
                revm: *revm,
            }),
            Outcome::Rejected => None,
        })
        .collect()
}

impl Target for EvmTarget {
    const NAME: &'static str = "evm";

    fn iteration(&mut self, rng: &mut StdRng, stats: &mut Stats) {
        let case = generate(rng);
        check(&self.evm, &case, stats);
    }
}

/// Whether a case shows a difference (the comparator panics).
pub fn differs(evm: &Arc<EvmRuntime>, case: &Case) -> bool {
    let mut stats = Stats::default();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check(evm, case, &mut stats)
    }));
    std::panic::set_hook(hook);
    r.is_err()
}

/// Instruction boundaries of EVM code (PUSH data skipped).
fn instructions(code: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let n = if (0x60..=0x7f).contains(&code[i]) {
            (code[i] - 0x5f) as usize
        } else {
            0
        };
        let end = (i + 1 + n).min(code.len());
        out.push(i..end);
        i = end;
    }
    out
}

/// Shrinks a differing case: drops transactions, empties code, removes instructions from
/// code and init code while the difference remains (the regression tests' inputs).
pub fn minimize(evm: &Arc<EvmRuntime>, mut case: Case) -> Case {
    assert!(differs(evm, &case));
    loop {
        let mut progress = false;
        for i in (0..case.txs.len()).rev() {
            let mut c = case.clone();
            c.txs.remove(i);
            if !c.txs.is_empty() && differs(evm, &c) {
                case = c;
                progress = true;
            }
        }
        // Code of contracts, then init code / calldata of transactions.
        let slots = case.contracts.len() + case.txs.len();
        for s in 0..slots {
            let get = |c: &Case| -> Vec<u8> {
                if s < c.contracts.len() {
                    c.contracts[s].1.clone()
                } else {
                    c.txs[s - c.contracts.len()].input.clone()
                }
            };
            let set = |c: &mut Case, v: Vec<u8>| {
                if s < c.contracts.len() {
                    c.contracts[s].1 = v;
                } else {
                    let n = c.contracts.len();
                    c.txs[s - n].input = v;
                }
            };
            let mut k = 0;
            loop {
                let code = get(&case);
                let ins = instructions(&code);
                if k >= ins.len() {
                    break;
                }
                let mut v = code.clone();
                v.drain(ins[k].clone());
                let mut c = case.clone();
                set(&mut c, v);
                if differs(evm, &c) {
                    case = c;
                    progress = true;
                } else {
                    k += 1;
                }
            }
        }
        if !progress {
            return case;
        }
    }
}
