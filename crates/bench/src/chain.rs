//! An in-memory chain with every runtime (built-ins, EVM, native WASM), a native f1 sender
//! and an Ethereum sender, for the workloads.

use std::sync::Arc;

use alloy_primitives::{Bytes, U256};
use anyhow::{Context, ensure};
use cid::Cid;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use tandem_actors::BuiltinRuntime;
use tandem_actors::genesis::{GenesisAccount, add_account, singleton_state};
use tandem_actors::init::{ExecParams, ExecReturn, InstallCodeParams, install_code_method};
use tandem_evm::EvmRuntime;
use tandem_evm::tx::{EthReceipt, EthTx, apply_tx};
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::machine::Machine;
use tandem_vm::message::{ApplyRet, Message};
use tandem_vm::runtime::Runtimes;
use tandem_vm::store::VmStore;
use tandem_wasm::WasmRuntime;

/// The Ethereum sender of the EVM workloads.
pub const ETH_SENDER: [u8; 20] = [0x11; 20];
/// Accounts that receive value in the native workloads.
pub const RECEIVERS: usize = 100;

pub struct BenchChain {
    pub exec: Executor,
    pub native_sender: Address,
    pub receivers: Vec<Address>,
    native_nonce: u64,
    eth_nonce: u64,
}

impl BenchChain {
    pub fn new() -> anyhow::Result<Self> {
        Self::with_wasm(WasmRuntime::new(None)?)
    }

    /// A chain whose native runtime never reuses instances (the calibration's fresh path).
    pub fn fresh_instances_only() -> anyhow::Result<Self> {
        Self::with_wasm(WasmRuntime::new(None)?.fresh_instances_only())
    }

    fn with_wasm(wasm: WasmRuntime) -> anyhow::Result<Self> {
        let mut state = singleton_state(VmStore::memory(), "tandem-bench")?;
        let rich = TokenAmount::from_whole(1_000_000_000);
        let native_sender = Address::new_secp256k1(&[4; 65])?;
        add_account(
            &mut state,
            &GenesisAccount {
                address: native_sender,
                balance: rich.clone(),
            },
        )?;
        let mut receivers = Vec::with_capacity(RECEIVERS);
        for i in 0..RECEIVERS {
            let mut key = [5u8; 65];
            key[1..9].copy_from_slice(&(i as u64).to_le_bytes());
            let address = Address::new_secp256k1(&key)?;
            add_account(
                &mut state,
                &GenesisAccount {
                    address,
                    balance: TokenAmount::from_whole(1),
                },
            )?;
            receivers.push(address);
        }
        tandem_evm::world::add_eth_account(&mut state, ETH_SENDER, U256::MAX >> 8, 0)?;
        state.flush()?;
        state.end_message()?;
        let runtimes = Runtimes::new()
            .with(Arc::new(BuiltinRuntime))
            .with(Arc::new(EvmRuntime::new()))
            .with(Arc::new(wasm));
        let network = NetworkContext {
            base_fee: TokenAmount::default(),
            // revm's side of the benchmark runs Cancun (`crates/bench/src/evm.rs`).
            hardfork: tandem_vm::kernel::Hardfork::Cancun,
            ..NetworkContext::default()
        };
        let machine = Machine::new(state, network, runtimes)?;
        Ok(Self {
            exec: Executor::new(machine),
            native_sender,
            receivers,
            native_nonce: 0,
            eth_nonce: 0,
        })
    }

    /// Applies a native message from the native sender; fails unless it succeeds.
    pub fn send(
        &mut self,
        to: Address,
        method: u64,
        params: Vec<u8>,
        value: TokenAmount,
    ) -> anyhow::Result<ApplyRet> {
        let msg = Message {
            version: 0,
            from: self.native_sender,
            to,
            sequence: self.native_nonce,
            value,
            method_num: method,
            params: RawBytes::new(params),
            gas_limit: self.exec.machine.network.block_gas_limit,
            gas_fee_cap: TokenAmount::from_atto(1),
            gas_premium: TokenAmount::default(),
        };
        let ret = self.exec.apply_message(&msg)?;
        ensure!(ret.applied, "message not applied: {:?}", ret.failure);
        self.native_nonce += 1;
        ensure!(
            ret.receipt.exit_code.is_success(),
            "message failed with {}: {:?}",
            ret.receipt.exit_code,
            ret.failure
        );
        Ok(ret)
    }

    /// Applies an Ethereum transaction from the Ethereum sender (gas price 0).
    pub fn eth_tx(&mut self, to: Option<[u8; 20]>, input: Bytes) -> anyhow::Result<EthReceipt> {
        let tx = EthTx {
            tx_type: 0,
            nonce: self.eth_nonce,
            gas_limit: 5_000_000,
            to,
            input,
            sender: ETH_SENDER,
            ..EthTx::default()
        };
        let r = apply_tx(&mut self.exec, &tx)?;
        self.eth_nonce += 1;
        ensure!(r.success, "transaction failed: {:?}", r.failure);
        Ok(r)
    }

    /// Deploys EVM init code; the contract's address.
    pub fn eth_deploy(&mut self, init: Vec<u8>) -> anyhow::Result<[u8; 20]> {
        let r = self.eth_tx(None, Bytes::from(init))?;
        self.exec.flush()?;
        r.contract_address.context("no contract address")
    }

    /// Installs a WASM module and creates an actor of it; the actor's ID address.
    pub fn deploy_native(&mut self, wasm: &[u8], ctor: Vec<u8>) -> anyhow::Result<Address> {
        let params = fvm_ipld_encoding::to_vec(&InstallCodeParams {
            code: RawBytes::new(wasm.to_vec()),
        })?;
        let ret = self.send(
            Address::new_id(1),
            install_code_method(),
            params,
            TokenAmount::default(),
        )?;
        let installed: tandem_actors::init::InstallCodeReturn =
            ret.receipt.return_data.deserialize()?;
        self.create_native(installed.code_cid, ctor)
    }

    fn create_native(&mut self, code: Cid, ctor: Vec<u8>) -> anyhow::Result<Address> {
        let params = fvm_ipld_encoding::to_vec(&ExecParams {
            code_cid: code,
            constructor_params: RawBytes::new(ctor),
        })?;
        let ret = self.send(Address::new_id(1), 2, params, TokenAmount::default())?;
        let out: ExecReturn = ret.receipt.return_data.deserialize()?;
        self.exec.flush()?;
        Ok(out.id_address)
    }
}
