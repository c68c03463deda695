//! The harness on Tandem's own VM: contracts are deployed and called by Ethereum transactions
//! applied through Tandem's executor (`tandem_evm::tx::apply_tx`), in a world built by
//! `tandem_evm::world` (the singleton built-ins plus funded Ethereum accounts). Gas is free
//! (base fee 0, gas price 0) so balances only move by value, as on the revm [`crate::Chain`].

use std::collections::HashMap;
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, Log, U256};
use fvm_shared::econ::TokenAmount;
use tandem_evm::EvmRuntime;
use tandem_evm::address::{tokens_to_u256, u256_to_tokens};
use tandem_evm::tx::{EthTx, apply_tx};
use tandem_evm::world;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::store::VmStore;

use crate::{Backend, Outcome};

/// Block context shared by both backends so `ctx` reads agree.
pub const CHAIN_ID: u64 = 31337;
pub const BLOCK_NUMBER: u64 = 7;
pub const TIMESTAMP: u64 = 1_700_000_000;
/// The gas limit of every transaction the harnesses send.
pub const TX_GAS_LIMIT: u64 = 16_000_000;

/// An in-memory Tandem chain running the EVM runtime.
pub struct TandemChain {
    exec: Executor,
    nonces: HashMap<Address, u64>,
}

impl TandemChain {
    pub fn new() -> Result<TandemChain, String> {
        TandemChain::with_runtimes(&[])
    }

    /// A chain whose VM also runs `extra` runtimes (the test runner's cheat actor).
    pub fn with_runtimes(
        extra: &[Arc<dyn tandem_vm::runtime::Runtime>],
    ) -> Result<TandemChain, String> {
        let state = world::singleton_state(VmStore::memory()).map_err(|e| format!("{e:#}"))?;
        let network = NetworkContext {
            chain_id: CHAIN_ID,
            epoch: BLOCK_NUMBER as i64,
            timestamp: TIMESTAMP,
            base_fee: TokenAmount::from_atto(0u64),
            ..NetworkContext::default()
        };
        let exec = world::executor(state, network, Arc::new(EvmRuntime::new()), extra)
            .map_err(|e| format!("{e:#}"))?;
        Ok(TandemChain {
            exec,
            nonces: HashMap::new(),
        })
    }

    /// The executor, for what the harness sets up beside transactions (the block context,
    /// a tracer, the test runner's cheats).
    pub fn executor_mut(&mut self) -> &mut Executor {
        &mut self.exec
    }

    /// Sets the block number and timestamp the next transactions see.
    pub fn set_block(&mut self, number: u64, timestamp: u64) {
        self.exec.machine.network.epoch = number as i64;
        self.exec.machine.network.timestamp = timestamp;
    }

    /// The actor ID at an Ethereum address, if any.
    pub fn actor_id(&mut self, who: Address) -> Option<u64> {
        self.actor(who)
    }

    fn actor(&mut self, who: Address) -> Option<u64> {
        let f4 = EthAddress(who.into_array()).to_filecoin();
        self.exec.machine.state.lookup_id(&f4).ok().flatten()
    }

    /// Sets the balance of `who`, creating an Ethereum account when there is none.
    pub fn fund(&mut self, who: Address, amount: U256) -> Result<(), String> {
        match self.actor(who) {
            Some(id) => self
                .exec
                .machine
                .state
                .mutate_actor(id, |a| {
                    a.balance = u256_to_tokens(amount);
                    Ok(())
                })
                .map_err(|e| format!("{e:#}")),
            None => {
                world::add_eth_account(&mut self.exec.machine.state, who.into_array(), amount, 0)
                    .map_err(|e| format!("{e:#}"))?;
                self.exec
                    .machine
                    .state
                    .end_message()
                    .map_err(|e| format!("{e:#}"))?;
                Ok(())
            }
        }
    }

    pub fn balance(&mut self, who: Address) -> U256 {
        let Some(id) = self.actor(who) else {
            return U256::ZERO;
        };
        match self.exec.machine.state.get_actor(id) {
            Ok(Some(r)) => tokens_to_u256(&r.balance),
            _ => U256::ZERO,
        }
    }

    /// A storage slot of the contract at `who` (zero when there is no such contract).
    pub fn storage(&mut self, who: Address, slot: U256) -> U256 {
        let Some(id) = self.actor(who) else {
            return U256::ZERO;
        };
        let state = &mut self.exec.machine.state;
        let value = state
            .slot_get(id, &slot.to_be_bytes::<32>())
            .map(|(v, _)| U256::from_be_bytes(v))
            .unwrap_or_default();
        // Reading warmed the slot; start the next transaction cold again.
        let _ = state.end_message();
        value
    }

    /// Runs the block's system lane (cron, then the async messages queued so far and their
    /// replies, docs/async.md); how many system messages ran.
    pub fn run_system_lane(&mut self) -> Result<usize, String> {
        self.exec
            .run_system_lane()
            .map(|ran| ran.len())
            .map_err(|e| format!("{e:#}"))
    }

    fn send(&mut self, from: Address, to: Option<Address>, data: Vec<u8>, value: U256) -> Outcome {
        let nonce = *self.nonces.get(&from).unwrap_or(&0);
        let tx = EthTx {
            tx_type: 2,
            chain_id: Some(CHAIN_ID),
            nonce,
            gas_limit: TX_GAS_LIMIT,
            to: to.map(Address::into_array),
            value,
            input: Bytes::from(data),
            sender: from.into_array(),
            ..EthTx::default()
        };
        match apply_tx(&mut self.exec, &tx) {
            Err(e) => Outcome {
                success: false,
                output: Bytes::from(format!("transaction not applied: {e}").into_bytes()),
                logs: vec![],
                gas: 0,
                created: None,
            },
            Ok(r) => {
                self.nonces.insert(from, nonce + 1);
                Outcome {
                    success: r.success,
                    output: if r.success && to.is_none() {
                        Bytes::new()
                    } else {
                        r.output
                    },
                    logs: r
                        .logs
                        .into_iter()
                        .map(|l| Log::new_unchecked(Address::from(l.address), l.topics, l.data))
                        .collect(),
                    gas: r.gas_used,
                    created: r.contract_address.map(Address::from),
                }
            }
        }
    }
}

impl Backend for TandemChain {
    fn transact(
        &mut self,
        from: Address,
        to: Option<Address>,
        data: Vec<u8>,
        value: U256,
    ) -> Outcome {
        self.send(from, to, data, value)
    }
}
