//! Host-side tests for native actors, on Tandem's real VM in-process: the executor with the
//! built-in actors, the WASM runtime and the EVM, over an in-memory store. Like Arbitrum's
//! `stylus-test`, but nothing is mocked: an actor built by [`build_actor`] runs exactly as on
//! `tandem node`, with the same gas, limits, exit codes and events.
//!
//! ```ignore
//! use tandem_actor_test::{TestVm, TokenAmount, build_actor};
//!
//! let wasm = build_actor(env!("CARGO_MANIFEST_DIR"))?; // cargo build … wasm32, once per process
//! let mut vm = TestVm::new()?;                           // 10 funded accounts
//! let code = vm.install(&wasm)?;
//! let actor = vm.deploy(&code, &InitParams { … })?;
//! let out = vm.call(&actor, "Deposit").from(&vm.account(1)).value(TokenAmount::from_whole(5)).send()?;
//! assert!(out.is_ok(), "{out}");
//! let n: u64 = vm.call(&actor, "Count").returns()?;
//! ```
//!
//! Addresses are the SDK's [`Address`] and amounts its [`TokenAmount`], so an actor crate's
//! own param and state types (built as an `rlib` on the host) are used as they are. Gas is
//! measured but free (base fee 0, fee cap 0): balances move by value only.

pub mod build;
mod outcome;
/// The release profile native actors are built with (one definition for every builder and
/// the `tandem new --actor` manifest).
pub mod profile;

use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount as FvmTokenAmount;
use tandem_actors::BuiltinRuntime;
use tandem_actors::genesis::{GenesisAccount, add_account, singleton_state};
use tandem_actors::init::{
    ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn, install_code_method,
};
use tandem_evm::EvmRuntime;
use tandem_state::StateTree;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::machine::Machine;
use tandem_vm::message::{ApplyRet, Message};
use tandem_vm::runtime::Runtimes;
use tandem_vm::store::VmStore;
use tandem_vm::trace::{GasBreakdown, Tracer};
use tandem_wasm::WasmRuntime;

/// Tests can return `tandem_actor_test::Result<()>` and use `?` on everything here.
pub use anyhow::{Error, Result};
pub use build::{Module, build, build_actor};
pub use outcome::{Event, EventEntry, Outcome, exit_name};
pub use tandem_sdk::{ActorId, Address, Cbor, TokenAmount};

/// The Init actor (installs code, creates actors).
const INIT: u64 = 1;
/// Init's `Exec`.
const EXEC: u64 = 2;

/// A chain in memory with funded accounts; one message per block.
pub struct TestVm {
    exec: Executor,
    accounts: Vec<Address>,
    keys: Vec<Address>,
}

impl TestVm {
    /// Ten accounts with 1,000,000 whole tokens each.
    pub fn new() -> anyhow::Result<Self> {
        Self::with_accounts(10, TokenAmount::from_whole(1_000_000))
    }

    /// `n` secp256k1 accounts with `balance` each (see [`Self::account`]).
    pub fn with_accounts(n: usize, balance: TokenAmount) -> anyhow::Result<Self> {
        let mut state = singleton_state(VmStore::memory(), "tandem-actor-test")?;
        let mut ids = Vec::with_capacity(n);
        let mut keys = Vec::with_capacity(n);
        for i in 0..n {
            // A fixed, distinct (not a real) public key per account: the harness signs nothing.
            let mut key = [4u8; 65];
            key[1..9].copy_from_slice(&(i as u64).to_le_bytes());
            let address = fvm_shared::address::Address::new_secp256k1(&key)?;
            let id = add_account(
                &mut state,
                &GenesisAccount {
                    address,
                    balance: to_fvm(balance),
                },
            )?;
            ids.push(Address::id(id));
            keys.push(
                Address::from_bytes(&address.to_bytes())
                    .map_err(|e| anyhow!("account address: {e:?}"))?,
            );
        }
        state.flush()?;
        state.end_message()?;
        let runtimes = Runtimes::new()
            .with(Arc::new(BuiltinRuntime))
            .with(Arc::new(EvmRuntime::new()))
            .with(Arc::new(WasmRuntime::new(None)?));
        let network = NetworkContext {
            base_fee: FvmTokenAmount::default(),
            ..NetworkContext::default()
        };
        let machine = Machine::new(state, network, runtimes)?;
        Ok(Self {
            exec: Executor::new(machine),
            accounts: ids,
            keys,
        })
    }

    /// The ID address of funded account `i` (what an actor sees as its caller).
    ///
    /// # Panics
    /// If there is no account `i` (see [`Self::accounts`]), as indexing would.
    pub fn account(&self, i: usize) -> Address {
        match self.accounts.get(i) {
            Some(a) => a.clone(),
            None => panic!(
                "TestVm has {} accounts, not {} (TestVm::with_accounts makes more)",
                self.accounts.len(),
                i + 1
            ),
        }
    }

    /// The key (`f1`) address of account `i`, as users and wallets name it; actors resolve
    /// it to the same ID as [`Self::account`].
    ///
    /// # Panics
    /// If there is no account `i`, as [`Self::account`].
    pub fn key_address(&self, i: usize) -> Address {
        self.account(i);
        self.keys[i].clone()
    }

    /// Every funded account, in order.
    pub fn accounts(&self) -> &[Address] {
        &self.accounts
    }

    /// Installs a WASM module through Init (from account 0); its code CID.
    pub fn install(&mut self, wasm: &[u8]) -> anyhow::Result<Cid> {
        let params = fvm_ipld_encoding::to_vec(&InstallCodeParams {
            code: RawBytes::new(wasm.to_vec()),
        })?;
        let out = self
            .call(&Address::id(INIT), install_code_method())
            .raw_params(params)
            .send()?
            .ok()
            .context("installing the module")?;
        let ret: InstallCodeReturn = fvm_ipld_encoding::from_slice(&out.return_data)?;
        Ok(ret.code_cid)
    }

    /// Creates an actor of installed code from account 0, running its constructor with
    /// `params` (`&()` for none); the new actor's ID address.
    pub fn deploy(&mut self, code: &Cid, params: &impl Cbor) -> anyhow::Result<Address> {
        let from = self.account(0);
        self.deploy_from(&from, code, params, TokenAmount::ZERO)
    }

    /// [`Self::deploy`] from `from` (the constructor's origin), sending `value`.
    pub fn deploy_from(
        &mut self,
        from: &Address,
        code: &Cid,
        params: &impl Cbor,
        value: TokenAmount,
    ) -> anyhow::Result<Address> {
        let ctor = params.to_block().map(|(_, b)| b).unwrap_or_default();
        let exec = fvm_ipld_encoding::to_vec(&ExecParams {
            code_cid: *code,
            constructor_params: RawBytes::new(ctor),
        })?;
        let out = self
            .call(&Address::id(INIT), EXEC)
            .from(from)
            .value(value)
            .raw_params(exec)
            .send()?
            .ok()
            .context("creating the actor")?;
        let ret: ExecReturn = fvm_ipld_encoding::from_slice(&out.return_data)?;
        ret.id_address
            .id()
            .map(Address::id)
            .map_err(|e| anyhow!("Init returned {}: {e}", ret.id_address))
    }

    /// Installs and deploys in one step.
    pub fn install_and_deploy(
        &mut self,
        wasm: &[u8],
        params: &impl Cbor,
    ) -> anyhow::Result<Address> {
        let code = self.install(wasm)?;
        self.deploy(&code, params)
    }

    /// A message to `to`: a method name (FRC-0042, as `dispatch!` numbers it) or number.
    /// Set the sender (default account 0), value and params, then [`Call::send`].
    pub fn call(&mut self, to: &Address, method: impl Into<Method>) -> Call<'_> {
        Call {
            vm: self,
            to: to.clone(),
            method: method.into(),
            from: None,
            value: TokenAmount::ZERO,
            params: Ok(Vec::new()),
            gas_limit: None,
            record_gas: false,
        }
    }

    /// Moves `amount` from `from` to `to` (method 0: no code runs). An address with no actor
    /// gets an account or placeholder, as on chain.
    pub fn transfer(
        &mut self,
        from: &Address,
        to: &Address,
        amount: TokenAmount,
    ) -> anyhow::Result<Outcome> {
        self.call(to, 0).from(from).value(amount).send()
    }

    /// The balance of the actor at `addr` (zero if there is none).
    pub fn balance(&mut self, addr: &Address) -> anyhow::Result<TokenAmount> {
        let Some(id) = self.id_of(addr)? else {
            return Ok(TokenAmount::ZERO);
        };
        let Some(actor) = self.exec.machine.state.get_actor(id)? else {
            return Ok(TokenAmount::ZERO);
        };
        let atto: u128 = actor
            .balance
            .atto()
            .try_into()
            .map_err(|_| anyhow!("the balance of {addr:?} does not fit a u128"))?;
        Ok(TokenAmount(atto))
    }

    /// The actor ID behind an address, if an actor lives there.
    pub fn id_of(&mut self, addr: &Address) -> anyhow::Result<Option<ActorId>> {
        let fvm = to_fvm_address(addr)?;
        let state = &mut self.exec.machine.state;
        // An ID address resolves to itself: check that an actor is there.
        match state.lookup_id(&fvm)? {
            Some(id) if state.get_actor(id)?.is_some() => Ok(Some(id)),
            _ => Ok(None),
        }
    }

    /// The actor's state block (its state root), decoded as `T`.
    pub fn state<T: Cbor>(&mut self, actor: &Address) -> anyhow::Result<T> {
        let id = self
            .id_of(actor)?
            .ok_or_else(|| anyhow!("no actor at {actor:?}"))?;
        let record = self
            .exec
            .machine
            .state
            .get_actor(id)?
            .ok_or_else(|| anyhow!("no actor at {actor:?}"))?;
        let block = self
            .exec
            .machine
            .store()
            .get(&record.state)?
            .ok_or_else(|| anyhow!("the state block {} is missing", record.state))?;
        tandem_sdk::cbor::from_slice(&block).map_err(|e| {
            anyhow!(
                "the state of {actor:?} does not decode as {}: {}",
                std::any::type_name::<T>(),
                e.reason()
            )
        })
    }

    /// The block timestamp actors see (`network().timestamp`), seconds.
    pub fn timestamp(&self) -> u64 {
        self.exec.machine.network.timestamp
    }

    pub fn set_timestamp(&mut self, seconds: u64) {
        self.exec.machine.network.timestamp = seconds;
    }

    /// Moves the clock forward (saturating).
    pub fn advance_time(&mut self, seconds: u64) {
        let t = &mut self.exec.machine.network.timestamp;
        *t = t.saturating_add(seconds);
    }

    /// The epoch (block height) actors see.
    pub fn epoch(&self) -> i64 {
        self.exec.machine.network.epoch
    }

    pub fn set_epoch(&mut self, epoch: i64) {
        self.exec.machine.network.epoch = epoch;
    }

    /// Turns the actors' `debug_log` on (lines go to `tracing`, target `tandem::actor`).
    pub fn set_debug(&mut self, on: bool) {
        self.exec.machine.debug = on;
    }

    /// The executor underneath, for what the harness does not wrap (EVM transactions, …).
    pub fn executor(&mut self) -> &mut Executor {
        &mut self.exec
    }

    fn nonce(&mut self, from: &fvm_shared::address::Address) -> anyhow::Result<u64> {
        let state = &mut self.exec.machine.state;
        let Some(id) = state.lookup_id(from)? else {
            return Ok(0);
        };
        Ok(state.get_actor(id)?.map(|a| a.sequence).unwrap_or(0))
    }
}

/// A method: an FRC-0042 name (`"Release"`) or a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Number(u64),
    Name(String),
}

impl From<u64> for Method {
    fn from(n: u64) -> Self {
        Method::Number(n)
    }
}

impl From<&str> for Method {
    fn from(name: &str) -> Self {
        Method::Name(name.to_string())
    }
}

impl Method {
    /// The method number (names through FRC-0042, as the SDK's `dispatch!`).
    pub fn number(&self) -> anyhow::Result<u64> {
        match self {
            Method::Number(n) => Ok(*n),
            Method::Name(name) => tandem_vm::frc42::method_number(name),
        }
    }
}

/// A message being built by [`TestVm::call`].
#[must_use = "a call does nothing until it is sent"]
pub struct Call<'a> {
    vm: &'a mut TestVm,
    to: Address,
    method: Method,
    from: Option<Address>,
    value: TokenAmount,
    params: anyhow::Result<Vec<u8>>,
    gas_limit: Option<u64>,
    record_gas: bool,
}

impl Call<'_> {
    /// The sender: an account (default: account 0).
    pub fn from(mut self, from: &Address) -> Self {
        self.from = Some(from.clone());
        self
    }

    /// Value sent with the message.
    pub fn value(mut self, value: TokenAmount) -> Self {
        self.value = value;
        self
    }

    /// Typed params, DAG-CBOR encoded with the SDK's codec (`()` sends none).
    pub fn params(mut self, params: &impl Cbor) -> Self {
        self.params = Ok(params.to_block().map(|(_, b)| b).unwrap_or_default());
        self
    }

    /// Params as bytes, as they are.
    pub fn raw_params(mut self, params: Vec<u8>) -> Self {
        self.params = Ok(params);
        self
    }

    /// The message's gas limit (default: the block gas limit).
    pub fn gas_limit(mut self, gas: u64) -> Self {
        self.gas_limit = Some(gas);
        self
    }

    /// Records where the message's gas goes: [`Outcome::gas`] is then each frame's charges
    /// by price-list operation (`wasm_exec` for the actor's instructions, `slot_get`,
    /// `event`, …). Recording changes no gas.
    pub fn record_gas(mut self) -> Self {
        self.record_gas = true;
        self
    }

    /// Applies the message, with the gas recorded when asked.
    fn apply(&mut self, msg: &Message) -> anyhow::Result<(ApplyRet, Option<GasBreakdown>)> {
        let exec = &mut self.vm.exec;
        if !self.record_gas {
            return Ok((exec.apply_message(msg)?, None));
        }
        let before = exec.machine.tracer.replace(Box::new(Tracer::new(None)));
        let ret = exec.apply_message(msg);
        let recorded = std::mem::replace(&mut exec.machine.tracer, before);
        let gas = recorded.map(|t| GasBreakdown::of_last_message(&t));
        Ok((ret?, gas))
    }

    fn message(&mut self) -> anyhow::Result<Message> {
        let from = match &self.from {
            Some(f) => f.clone(),
            None => self.vm.account(0),
        };
        let from = to_fvm_address(&from)?;
        let params = std::mem::replace(&mut self.params, Ok(Vec::new()))?;
        Ok(Message {
            version: 0,
            from,
            to: to_fvm_address(&self.to)?,
            sequence: self.vm.nonce(&from)?,
            value: to_fvm(self.value),
            method_num: self.method.number()?,
            params: RawBytes::new(params),
            gas_limit: self
                .gas_limit
                .unwrap_or(self.vm.exec.machine.network.block_gas_limit),
            gas_fee_cap: FvmTokenAmount::default(),
            gas_premium: FvmTokenAmount::default(),
        })
    }

    /// Applies the message and commits its effects (one block). A failed message is an
    /// `Ok` outcome with its exit code; `Err` is for a message that could not be built
    /// (unknown method name, address) or a fault of the VM.
    pub fn send(mut self) -> anyhow::Result<Outcome> {
        let msg = self.message()?;
        let (ret, gas) = self.apply(&msg)?;
        self.vm.exec.flush()?;
        Ok(Outcome::from_apply(ret, gas))
    }

    /// Runs the message and undoes everything it did, the nonce included (a read-only
    /// query, like `tandem call`).
    pub fn query(mut self) -> anyhow::Result<Outcome> {
        let msg = self.message()?;
        let root = self.vm.exec.flush()?;
        let ret = self.apply(&msg);
        // Back to the state before it (the blocks it wrote stay in the store, unreachable).
        let exec = &mut self.vm.exec;
        exec.machine.state = StateTree::load(exec.machine.store().clone(), &root)?;
        let (ret, gas) = ret?;
        Ok(Outcome::from_apply(ret, gas))
    }

    /// Sends and decodes the return; a failed message is an error with its decoded reason.
    pub fn returns<T: Cbor>(self) -> anyhow::Result<T> {
        self.send()?.decode()
    }
}

fn to_fvm(amount: TokenAmount) -> FvmTokenAmount {
    FvmTokenAmount::from_atto(amount.0)
}

fn to_fvm_address(addr: &Address) -> anyhow::Result<fvm_shared::address::Address> {
    fvm_shared::address::Address::from_bytes(addr.as_bytes())
        .map_err(|e| anyhow!("bad address {addr:?}: {e}"))
}

/// Fails unless `outcome` failed with `code`; returns its decoded reason.
pub fn expect_exit(outcome: &Outcome, code: u32) -> anyhow::Result<String> {
    if outcome.exit_code != code {
        bail!("expected {}, got {outcome}", exit_name(code));
    }
    Ok(outcome.reason.clone().unwrap_or_default())
}
