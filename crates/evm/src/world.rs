//! A small in-memory world for tests, benchmarks and the state-test runner: the singleton
//! built-ins (from `tandem-actors`' genesis), Ethereum accounts and contracts placed directly
//! in the state tree, and an executor with the EVM runtime.

use std::sync::Arc;

use alloy_primitives::U256;
use tandem_state::state_tree::put_cbor;
use tandem_state::{ActorID, ActorRecord, StateTree};
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::machine::Machine;
use tandem_vm::runtime::{Runtime, Runtimes};
use tandem_vm::store::VmStore;

use crate::EvmRuntime;
use crate::address::u256_to_tokens;
use crate::state::store_code;

/// A state holding the singleton built-ins only (the same genesis as every Tandem chain).
pub fn singleton_state(store: VmStore) -> anyhow::Result<StateTree<VmStore>> {
    tandem_actors::genesis::singleton_state(store, "tandem-evm")
}

/// Places an Ethereum account (no code) at `addr`.
pub fn add_eth_account(
    state: &mut StateTree<VmStore>,
    addr: [u8; 20],
    balance: U256,
    nonce: u64,
) -> anyhow::Result<ActorID> {
    let f4 = EthAddress(addr).to_filecoin();
    let id = state.register_new_address(&f4)?;
    let empty = put_cbor(state.store(), &Vec::<u64>::new())?;
    let mut record = ActorRecord::new(BuiltinCode::EthAccount.cid(), empty, Some(f4));
    record.balance = u256_to_tokens(balance);
    record.sequence = nonce;
    state.set_actor(id, record);
    Ok(id)
}

/// Places an EVM contract with code and storage at `addr`.
pub fn add_contract(
    state: &mut StateTree<VmStore>,
    addr: [u8; 20],
    code: &[u8],
    balance: U256,
    nonce: u64,
    storage: &[([u8; 32], [u8; 32])],
) -> anyhow::Result<ActorID> {
    let f4 = EthAddress(addr).to_filecoin();
    let id = state.register_new_address(&f4)?;
    let (head, _) = store_code(state.store(), code)?;
    let mut record = ActorRecord::new(BuiltinCode::Evm.cid(), head, Some(f4));
    record.balance = u256_to_tokens(balance);
    record.sequence = nonce;
    state.set_actor(id, record);
    for (k, v) in storage {
        state.slot_set(id, k, v)?;
    }
    Ok(id)
}

/// An executor over `state` with the EVM runtime (plus `extra` runtimes, e.g. built-ins).
pub fn executor(
    mut state: StateTree<VmStore>,
    network: NetworkContext,
    evm: Arc<EvmRuntime>,
    extra: &[Arc<dyn Runtime>],
) -> anyhow::Result<Executor> {
    // Starts every message with clean per-message sets and originals.
    state.end_message()?;
    let mut runtimes = Runtimes::new().with(evm);
    for r in extra {
        runtimes.push(r.clone());
    }
    Ok(Executor::new(Machine::new(state, network, runtimes)?))
}
