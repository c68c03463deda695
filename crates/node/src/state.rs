//! Reads of past states, and `eth_call` / `eth_estimateGas` on throwaway forks.
//!
//! A view opens the committed state root of a block straight from redb. A fork puts a fresh
//! write buffer over it, runs the call, and is dropped: nothing reaches the store.

use std::sync::Arc;

use alloy_consensus::TxEnvelope;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::TransactionRequest;
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::econ::TokenAmount;
use tandem_evm::address::tokens_to_u256;
use tandem_evm::exit::REVERTED;
use tandem_evm::tx::{EthReceipt, EthTx, TxError};
use tandem_state::blockstore::{BufferedStore, RedbStore};
use tandem_state::{ActorRecord, StateTree};
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::machine::Machine;
use tandem_vm::store::VmStore;

use crate::blocks::BlockRecord;
use crate::error::{RpcError, RpcResult};
use crate::node::{BLOCK_GAS_LIMIT, Node};

/// A read-only view of one committed state.
pub struct StateView {
    pub tree: StateTree<VmStore>,
}

pub fn f4(addr: &Address) -> fvm_shared::address::Address {
    EthAddress(addr.into_array()).to_filecoin()
}

impl StateView {
    pub fn at(store: &Arc<RedbStore>, root: &Cid) -> anyhow::Result<Self> {
        let store: Arc<dyn Blockstore + Send + Sync> = store.clone();
        Ok(Self {
            tree: StateTree::load(VmStore::new(store), root)?,
        })
    }

    pub fn actor(&mut self, addr: &Address) -> anyhow::Result<Option<(u64, ActorRecord)>> {
        let Some(id) = self.tree.lookup_id(&f4(addr))? else {
            return Ok(None);
        };
        Ok(self.tree.get_actor(id)?.map(|r| (id, r)))
    }

    pub fn balance(&mut self, addr: &Address) -> anyhow::Result<U256> {
        Ok(self
            .actor(addr)?
            .map(|(_, r)| tokens_to_u256(&r.balance))
            .unwrap_or_default())
    }

    pub fn nonce(&mut self, addr: &Address) -> anyhow::Result<u64> {
        Ok(self.actor(addr)?.map(|(_, r)| r.sequence).unwrap_or(0))
    }

    pub fn code(&mut self, addr: &Address) -> anyhow::Result<Bytes> {
        let Some((_, record)) = self.actor(addr)? else {
            return Ok(Bytes::new());
        };
        evm_code(self.tree.store(), &record)
    }

    pub fn storage(&mut self, addr: &Address, slot: &B256) -> anyhow::Result<B256> {
        let Some((id, _)) = self.actor(addr)? else {
            return Ok(B256::ZERO);
        };
        let (value, _) = self.tree.slot_get(id, &slot.0)?;
        Ok(B256::from(value))
    }
}

/// The deployed code of an EVM actor (empty for every other actor).
pub fn evm_code(store: &VmStore, record: &ActorRecord) -> anyhow::Result<Bytes> {
    if BuiltinCode::from_cid(&record.code) != Some(BuiltinCode::Evm) {
        return Ok(Bytes::new());
    }
    match tandem_evm::state::read_state(store, &record.state)? {
        None => Ok(Bytes::new()),
        Some(evm) => Ok(store
            .get(&evm.bytecode)?
            .map(Bytes::from)
            .unwrap_or_default()),
    }
}

/// The network context a call at `block` sees.
fn network_at(node: &Node, block: &BlockRecord) -> NetworkContext {
    NetworkContext {
        chain_id: node.chain_id(),
        epoch: block.number() as i64,
        timestamp: block.header.timestamp,
        base_fee: TokenAmount::from_atto(block.header.base_fee_per_gas.unwrap_or(0)),
        block_gas_limit: BLOCK_GAS_LIMIT,
        prev_randao: block.header.mix_hash.0,
        ..NetworkContext::default()
    }
}

/// An executor over a throwaway buffer on top of `block`'s state.
pub fn fork(node: &Node, block: &BlockRecord) -> anyhow::Result<Executor> {
    let buffer: Arc<dyn Blockstore + Send + Sync> =
        Arc::new(BufferedStore::new(node.store.clone()));
    let tree = StateTree::load(VmStore::new(buffer), &block.state_cid()?)?;
    let machine = Machine::new(tree, network_at(node, block), node.runtimes.clone())?;
    Ok(Executor::new(machine))
}

/// The transaction a call request describes, from `from` at `nonce`.
pub fn tx_from_request(req: &TransactionRequest, from: Address, nonce: u64, gas: u64) -> EthTx {
    let max_fee = req.max_fee_per_gas.or(req.gas_price).unwrap_or(0);
    EthTx {
        tx_type: if req.max_fee_per_gas.is_some() { 2 } else { 0 },
        chain_id: None,
        nonce,
        gas_limit: gas,
        to: req.to.and_then(|k| k.to().copied()).map(|a| a.into_array()),
        value: req.value.unwrap_or_default(),
        input: req.input.input().cloned().unwrap_or_default(),
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: req.max_priority_fee_per_gas.unwrap_or(0).min(max_fee),
        access_list: req
            .access_list
            .as_ref()
            .map(|l| {
                l.iter()
                    .map(|i| {
                        (
                            i.address.into_array(),
                            i.storage_keys.iter().map(|k| k.0).collect(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        sender: from.into_array(),
        ..EthTx::default()
    }
}

/// The transaction an envelope carries, with a known sender (signed by the node, or an
/// impersonated account's).
pub fn tx_from_envelope(env: &TxEnvelope, sender: Address) -> EthTx {
    tandem_evm::tx::from_envelope(env, sender.into_array())
}

/// Runs a call request on a fork of `block` with the given gas limit. Without a fee in the
/// request the fork's base fee is zero, as in geth, so any account can call.
pub fn run_call(
    node: &Node,
    req: &TransactionRequest,
    block: &BlockRecord,
    gas: u64,
) -> Result<EthReceipt, TxError> {
    let from = req.from.unwrap_or_default();
    let mut exec = fork(node, block)?;
    if req.gas_price.is_none() && req.max_fee_per_gas.is_none() {
        exec.machine.network.base_fee = TokenAmount::default();
    }
    let nonce = {
        let state = &mut exec.machine.state;
        match state.lookup_id(&f4(&from))? {
            Some(id) => state.get_actor(id)?.map(|r| r.sequence).unwrap_or(0),
            None => 0,
        }
    };
    let tx = tx_from_request(req, from, nonce, gas);
    tandem_evm::tx::apply_tx(&mut exec, &tx)
}

/// The error a failed call reports.
pub fn call_failure(receipt: &EthReceipt) -> RpcError {
    if receipt.exit_code == REVERTED {
        return RpcError::reverted(&receipt.output);
    }
    if receipt.exit_code == fvm_shared::error::ExitCode::SYS_OUT_OF_GAS {
        return RpcError::server("out of gas");
    }
    RpcError::server(format!(
        "execution failed: {}",
        receipt.failure.as_deref().unwrap_or("unknown error")
    ))
}

/// `eth_call`: the return data, or the revert as code 3 with its data.
pub fn call(node: &Node, req: &TransactionRequest, block: &BlockRecord) -> RpcResult<Bytes> {
    let from = req.from.unwrap_or_default();
    let gas = req.gas.unwrap_or(BLOCK_GAS_LIMIT).min(BLOCK_GAS_LIMIT);
    let receipt = run_call(node, req, block, gas).map_err(|e| RpcError::from_tx(&e, &from))?;
    if receipt.success {
        Ok(receipt.output)
    } else {
        Err(call_failure(&receipt))
    }
}

/// `eth_estimateGas`: the smallest gas limit that succeeds, by binary search (stopping
/// within 1.5%, as geth does), after an optimistic first guess.
pub fn estimate_gas(node: &Node, req: &TransactionRequest, block: &BlockRecord) -> RpcResult<u64> {
    let from = req.from.unwrap_or_default();
    let cap = req.gas.unwrap_or(BLOCK_GAS_LIMIT).min(BLOCK_GAS_LIMIT);
    let first = run_call(node, req, block, cap).map_err(|e| RpcError::from_tx(&e, &from))?;
    if !first.success {
        if first.exit_code == fvm_shared::error::ExitCode::SYS_OUT_OF_GAS {
            return Err(RpcError::server(format!(
                "gas required exceeds allowance ({cap})"
            )));
        }
        return Err(call_failure(&first));
    }
    let succeeds = |gas: u64| -> RpcResult<bool> {
        match run_call(node, req, block, gas) {
            Ok(r) => Ok(r.success),
            Err(TxError::IntrinsicGasTooLow { .. }) => Ok(false),
            Err(TxError::Fatal(e)) => Err(RpcError::internal(format!("{e:#}"))),
            Err(_) => Ok(false),
        }
    };
    // Gas used before refunds is what the limit must cover.
    let used = first.gas_used + first.apply.gas.gas_refunded;
    let mut lo = used.saturating_sub(1);
    let mut hi = cap;
    let optimistic = ((used + 2_300) * 64 / 63).min(cap);
    if optimistic < hi && succeeds(optimistic)? {
        hi = optimistic;
    } else if optimistic < hi {
        lo = optimistic;
    }
    while lo + 1 < hi {
        if (hi - lo) * 1000 / hi < 15 {
            break;
        }
        let mid = lo + (hi - lo) / 2;
        if succeeds(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}
