//! A harness for Tandem programs: compile sources, deploy the bytecode on plain revm, send
//! calls (raw calldata or typed through alloy's `sol!` call types), and inspect returns,
//! reverts, events and gas (gas includes the 21,000 intrinsic cost and calldata, as on chain).

use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_sol_types::SolCall;
use revm::context::TxEnv;
use revm::context_interface::result::{ExecutionResult, Output};
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::TxKind;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext, MainnetEvm};
use std::collections::HashMap;
use tandem_lang_sema::SourceFile;
use tandem_lang_syntax::{SourceMap, parse_file};

pub use tandem_lang_evm::Output as Compiled;

pub mod fixture;
pub mod lang_test;
pub mod native;
pub mod tandem;

/// Compiles sources (name, text) to bytecode; on failure returns the rendered diagnostics.
pub fn compile(
    sources: &[(&str, &str)],
) -> Result<(Vec<Compiled>, tandem_lang_ir::Module), String> {
    compile_with(sources, true)
}

/// `compile`, and the target-neutral module sema produced (what the WASM backend takes).
pub fn compile_neutral(
    sources: &[(&str, &str)],
) -> Result<
    (
        Vec<Compiled>,
        tandem_lang_ir::Module,
        tandem_lang_ir::Module,
    ),
    String,
> {
    let neutral = sema_module(sources)?;
    let lowered = tandem_lang_evm::prepare(&neutral, true)?;
    let out = tandem_lang_evm::emit(&lowered)?;
    Ok((out, lowered, neutral))
}

/// `compile`, with the IR optimiser on or off (the returned module is what the EVM emitter
/// saw: ABI-lowered, then optimised).
pub fn compile_with(
    sources: &[(&str, &str)],
    optimize: bool,
) -> Result<(Vec<Compiled>, tandem_lang_ir::Module), String> {
    let module = sema_module(sources)?;
    let lowered = tandem_lang_evm::prepare(&module, optimize)?;
    let out = tandem_lang_evm::emit(&lowered)?;
    Ok((out, lowered))
}

/// Parses and checks sources: sema's target-neutral module, or the rendered diagnostics.
fn sema_module(sources: &[(&str, &str)]) -> Result<tandem_lang_ir::Module, String> {
    let mut map = SourceMap::new();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in sources {
        let id = map.add(*name, *text);
        let (ast, diags) = parse_file(id, text);
        errors.extend(diags);
        let module = name
            .trim_end_matches(".tdm")
            .rsplit('/')
            .next()
            .unwrap_or(name)
            .to_string();
        files.push(SourceFile {
            module,
            name: name.to_string(),
            file_id: id,
            ast,
        });
    }
    if !errors.is_empty() {
        return Err(map.render_all(&errors));
    }
    tandem_lang_sema::compile(&files).map_err(|d| map.render_all(&d.list))
}

/// Diagnostics of a program that should not compile (rendered), or None if it compiles.
pub fn compile_errors(sources: &[(&str, &str)]) -> Option<String> {
    compile(sources).err()
}

/// The outcome of a transaction.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub success: bool,
    /// Return data, or revert data.
    pub output: Bytes,
    pub logs: Vec<Log>,
    /// Gas used by the transaction, intrinsic cost included, refunds applied.
    pub gas: u64,
    pub created: Option<Address>,
}

impl Outcome {
    pub fn word(&self) -> U256 {
        if self.output.len() >= 32 {
            U256::from_be_slice(&self.output[..32])
        } else {
            U256::ZERO
        }
    }
    pub fn decode<C: SolCall>(&self) -> C::Return {
        assert!(self.success, "call reverted with 0x{}", hex(&self.output));
        C::abi_decode_returns(&self.output).expect("return data decodes")
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An in-memory chain on revm (Prague rules).
pub struct Chain {
    evm: MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>,
    nonces: HashMap<Address, u64>,
}

impl Default for Chain {
    fn default() -> Self {
        Chain::new()
    }
}

impl Chain {
    pub fn new() -> Chain {
        let ctx = Context::mainnet()
            .with_db(CacheDB::<EmptyDB>::default())
            .modify_cfg_chained(|c| {
                c.disable_nonce_check = false;
            });
        Chain {
            evm: ctx.build_mainnet(),
            nonces: HashMap::new(),
        }
    }

    /// Sets the block number, timestamp and chain id the next transactions see.
    pub fn set_block(&mut self, number: u64, timestamp: u64, chain_id: u64) {
        self.evm.ctx.block.number = U256::from(number);
        self.evm.ctx.block.timestamp = U256::from(timestamp);
        self.evm.ctx.cfg.chain_id = chain_id;
    }

    pub fn fund(&mut self, who: Address, amount: U256) {
        let db = &mut self.evm.ctx.journaled_state.database;
        let mut info = revm::Database::basic(db, who)
            .ok()
            .flatten()
            .unwrap_or_default();
        info.balance = amount;
        db.insert_account_info(who, info);
    }

    pub fn balance(&mut self, who: Address) -> U256 {
        revm::Database::basic(&mut self.evm.ctx.journaled_state.database, who)
            .ok()
            .flatten()
            .map(|a| a.balance)
            .unwrap_or_default()
    }

    pub fn storage(&mut self, who: Address, slot: U256) -> U256 {
        revm::Database::storage(&mut self.evm.ctx.journaled_state.database, who, slot)
            .unwrap_or_default()
    }

    /// An account's code, as `eth_getCode` gives it (empty for an account without code).
    pub fn code(&mut self, who: Address) -> Vec<u8> {
        let db = &mut self.evm.ctx.journaled_state.database;
        let Some(info) = revm::Database::basic(db, who).ok().flatten() else {
            return Vec::new();
        };
        match info.code {
            Some(c) => c.original_bytes().to_vec(),
            None => revm::Database::code_by_hash(db, info.code_hash)
                .map(|c| c.original_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    /// Every non-zero storage word of every account, by address and slot.
    pub fn storage_words(&self) -> Vec<(Address, U256, U256)> {
        let db = &self.evm.ctx.journaled_state.database;
        let mut out: Vec<_> = db
            .cache
            .accounts
            .iter()
            .flat_map(|(a, acct)| {
                acct.storage
                    .iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(s, v)| (*a, *s, *v))
            })
            .collect();
        out.sort();
        out
    }

    fn send_kind(&mut self, from: Address, kind: TxKind, data: Vec<u8>, value: U256) -> Outcome {
        let nonce = *self.nonces.get(&from).unwrap_or(&0);
        let tx = TxEnv::builder()
            .caller(from)
            .kind(kind)
            .data(Bytes::from(data))
            .value(value)
            .gas_limit(16_000_000)
            .gas_price(0)
            .nonce(nonce)
            .chain_id(Some(self.evm.ctx.cfg.chain_id))
            .build_fill();
        let r = match self.evm.transact_commit(tx) {
            Ok(r) => r,
            Err(e) => {
                return Outcome {
                    success: false,
                    output: Bytes::from(format!("{e:?}").into_bytes()),
                    logs: vec![],
                    gas: 0,
                    created: None,
                };
            }
        };
        self.nonces.insert(from, nonce + 1);
        let gas = r.tx_gas_used();
        match r {
            ExecutionResult::Success { logs, output, .. } => {
                let (out, created) = match output {
                    Output::Call(b) => (b, None),
                    Output::Create(b, a) => (b, a),
                };
                Outcome {
                    success: true,
                    output: out,
                    logs,
                    gas,
                    created,
                }
            }
            ExecutionResult::Revert { output, logs, .. } => Outcome {
                success: false,
                output,
                logs,
                gas,
                created: None,
            },
            ExecutionResult::Halt { logs, .. } => Outcome {
                success: false,
                output: Bytes::new(),
                logs,
                gas,
                created: None,
            },
        }
    }
}

/// A chain the harness runs transactions on: plain revm ([`Chain`]) or Tandem's own VM
/// ([`tandem::TandemChain`]). Each provides `transact`; deploying and calling come with it.
pub trait Backend {
    /// Sends a transaction from `from`: to `to` with calldata, or (no `to`) deploying `data`
    /// as init code. Nonces are tracked per sender; gas is free.
    fn transact(
        &mut self,
        from: Address,
        to: Option<Address>,
        data: Vec<u8>,
        value: U256,
    ) -> Outcome;

    /// Deploys init code with ABI-encoded constructor arguments appended.
    fn deploy(&mut self, from: Address, init_code: &[u8], ctor_args: &[u8]) -> Outcome {
        self.deploy_value(from, init_code, ctor_args, U256::ZERO)
    }

    /// Deploys with value sent to the constructor.
    fn deploy_value(
        &mut self,
        from: Address,
        init_code: &[u8],
        ctor_args: &[u8],
        value: U256,
    ) -> Outcome {
        let mut data = init_code.to_vec();
        data.extend_from_slice(ctor_args);
        self.transact(from, None, data, value)
    }

    fn call(&mut self, from: Address, to: Address, calldata: Vec<u8>) -> Outcome {
        self.call_value(from, to, calldata, U256::ZERO)
    }

    fn call_value(
        &mut self,
        from: Address,
        to: Address,
        calldata: Vec<u8>,
        value: U256,
    ) -> Outcome {
        self.transact(from, Some(to), calldata, value)
    }

    /// A typed call: `chain.typed(from, to, balanceOfCall { owner })`.
    fn typed<C: SolCall>(&mut self, from: Address, to: Address, call: C) -> Outcome
    where
        Self: Sized,
    {
        self.call(from, to, call.abi_encode())
    }
}

impl Backend for Chain {
    fn transact(
        &mut self,
        from: Address,
        to: Option<Address>,
        data: Vec<u8>,
        value: U256,
    ) -> Outcome {
        let kind = to.map_or(TxKind::Create, TxKind::Call);
        self.send_kind(from, kind, data, value)
    }
}

/// Panic(uint256) revert data for a code.
pub fn panic_data(code: u8) -> Vec<u8> {
    let mut v = vec![0x4e, 0x48, 0x7b, 0x71];
    v.extend_from_slice(&U256::from(code).to_be_bytes::<32>());
    v
}

pub fn addr(n: u64) -> Address {
    Address::from_word(U256::from(n).into())
}
