//! EIP-2935 on the node: the history contract is pre-deployed in the genesis of a Prague or
//! Osaka chain (as anvil and Hardhat do; a chain switched to Prague later gets it in its next
//! block), and every block opens with the system call that writes its parent's hash into it
//! (`tandem_evm::system_call`), before the system lane and any transaction. Replays and
//! `eth_simulateV1` blocks make the same call, so what a transaction read is what it reads
//! again.

use std::sync::Arc;

use alloy_primitives::B256;
use cid::Cid;
use tandem_state::StateTree;
use tandem_state::blockstore::{BufferedStore, CommitStore, RedbStore};
use tandem_vm::executor::Executor;
use tandem_vm::kernel::Hardfork;
use tandem_vm::store::VmStore;

use tandem_evm::system_call::{has_history_contract, install_history_contract};

/// Installs the history contract into the state at `root` when `fork` has it and it is
/// missing, committing the new state as the store's head. Returns the head's root.
pub(crate) fn predeploy(store: &Arc<RedbStore>, root: &Cid, fork: Hardfork) -> anyhow::Result<Cid> {
    if !has_history_contract(fork) {
        return Ok(*root);
    }
    let buffer = Arc::new(BufferedStore::new(store.clone()));
    let mut state = StateTree::load(VmStore::new(buffer.clone()), root)?;
    if !install_history_contract(&mut state)? {
        return Ok(*root);
    }
    let new_root = state.flush()?;
    let mut batch = buffer.take_reachable(&new_root)?;
    batch.set_head(&new_root);
    store.commit(&batch)?;
    tracing::info!(target: "tandem::node", "EIP-2935 history contract installed");
    Ok(new_root)
}

/// Installs the history contract into a genesis state being built in `buffer` (a reset
/// chain). Returns the new root.
pub(crate) fn predeploy_in(
    buffer: &Arc<BufferedStore<Arc<RedbStore>>>,
    root: &Cid,
    fork: Hardfork,
) -> anyhow::Result<Cid> {
    if !has_history_contract(fork) {
        return Ok(*root);
    }
    let mut state = StateTree::load(VmStore::new(buffer.clone()), root)?;
    if !install_history_contract(&mut state)? {
        return Ok(*root);
    }
    state.flush()
}

/// The start-of-block write of `parent_hash` (the network context must already be the new
/// block's). A failed call is logged, never fatal: the block goes on without the write
/// (a fatal error has already been undone by the executor).
pub(crate) fn write_parent_hash(exec: &mut Executor, parent_hash: B256) {
    let number = exec.machine.network.epoch;
    match tandem_evm::system_call::record_parent_hash(exec, parent_hash) {
        Ok(None) => {}
        Ok(Some(failure)) => tracing::warn!(
            target: "tandem::node",
            "EIP-2935 history write of block {number} failed: {failure}"
        ),
        Err(e) => tracing::error!(
            target: "tandem::fatal",
            "EIP-2935 history write of block {number} failed: {e:#}"
        ),
    }
}
