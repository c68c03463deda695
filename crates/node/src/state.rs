//! Reads of past states, and `eth_call` / `eth_estimateGas` on throwaway forks.
//!
//! A view opens the committed state root of a block through the node's read path
//! (`reads.rs`: a shared block cache over redb; at the head, answers shared by every query at
//! that root). A fork puts a fresh write buffer over the block cache, runs the call, and is
//! dropped: nothing reaches the store.

use std::sync::Arc;

use alloy_consensus::TxEnvelope;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::TransactionRequest;
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::econ::TokenAmount;
use tandem_evm::address::tokens_to_u256;
use tandem_evm::exit::REVERTED;
use tandem_evm::tx::{EthReceipt, EthTx, TxError};
use tandem_state::blockstore::BufferedStore;
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
use crate::overrides::{self, BlockOverrides, StateOverrides};
use crate::reads::Snapshot;

/// A read-only view of one committed state.
pub struct StateView {
    pub tree: StateTree<VmStore>,
    /// The head's shared answers, when this view is of the head's state root.
    head: Option<Arc<Snapshot>>,
}

pub fn f4(addr: &Address) -> fvm_shared::address::Address {
    EthAddress(addr.into_array()).to_filecoin()
}

impl StateView {
    /// A view straight from redb, without the node's caches. In fork mode the tree reads
    /// missing accounts from the remote (as [`StateView::of`] does), materializing them in a
    /// throwaway write buffer, so a past state shows the remote's accounts too.
    pub fn at(node: &Node, root: &Cid) -> anyhow::Result<Self> {
        let fork = node.runtimes.fork().cloned();
        let store: Arc<dyn Blockstore + Send + Sync> = match fork {
            Some(_) => Arc::new(BufferedStore::new(node.store.clone())),
            None => node.store.clone(),
        };
        let mut tree = StateTree::load(VmStore::new(store), root)?;
        tree.set_fork(fork);
        Ok(Self { tree, head: None })
    }

    /// A view of `block`'s state through the node's read path: the block cache, and the
    /// head's snapshot when `block`'s state is the head's.
    pub fn of(node: &Node, block: &BlockRecord) -> anyhow::Result<Self> {
        let root = block.state_cid()?;
        // Fork mode keeps no shared answers: an account read from the remote gets its actor
        // ID in this view's throwaway buffer, which another view would not share.
        let head = (node.runtimes.fork().is_none() && node.latest().state_cid()? == root)
            .then(|| node.reads.snapshot(&root));
        let mut store: Arc<dyn Blockstore + Send + Sync> = node.reads.blocks.clone();
        if node.runtimes.fork().is_some() {
            // Fork mode writes the accounts it reads from the remote: into a throwaway buffer.
            store = Arc::new(BufferedStore::new(node.reads.blocks.clone()));
        }
        let mut tree = StateTree::load(VmStore::new(store), &root)?;
        tree.set_fork(node.runtimes.fork().cloned());
        Ok(Self { tree, head })
    }

    pub fn actor(&mut self, addr: &Address) -> anyhow::Result<Option<(u64, ActorRecord)>> {
        if let Some(hit) = self.head.as_ref().and_then(|h| h.account(addr)) {
            return Ok(hit);
        }
        let account = match self.tree.lookup_id(&f4(addr))? {
            Some(id) => self.tree.get_actor(id)?.map(|r| (id, r)),
            None => None,
        };
        if let Some(h) = &self.head {
            h.put_account(*addr, account.clone());
        }
        Ok(account)
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
        if let Some(hit) = self.head.as_ref().and_then(|h| h.code(addr)) {
            return Ok(hit);
        }
        let code = match self.actor(addr)? {
            Some((_, record)) => evm_code(self.tree.store(), &record)?,
            None => Bytes::new(),
        };
        if let Some(h) = &self.head {
            h.put_code(*addr, code.clone());
        }
        Ok(code)
    }

    pub fn storage(&mut self, addr: &Address, slot: &B256) -> anyhow::Result<B256> {
        if let Some(hit) = self.head.as_ref().and_then(|h| h.slot(addr, slot)) {
            return Ok(hit);
        }
        let value = match self.actor(addr)? {
            Some((id, _)) => B256::from(self.tree.slot_get(id, &slot.0)?.0),
            None => B256::ZERO,
        };
        if let Some(h) = &self.head {
            h.put_slot(*addr, *slot, value);
        }
        Ok(value)
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
fn network_at(node: &Node, block: &BlockRecord) -> anyhow::Result<NetworkContext> {
    Ok(NetworkContext {
        chain_id: node.chain_id(),
        epoch: block.number() as i64,
        timestamp: block.header.timestamp,
        base_fee: TokenAmount::from_atto(block.header.base_fee_per_gas.unwrap_or(0)),
        block_gas_limit: BLOCK_GAS_LIMIT,
        prev_randao: block.header.mix_hash.0,
        hardfork: node.hardfork(),
        unlimited_code_size: node.unlimited_code_size(),
        block_hashes: Some(node.reads.hashes.up_to(node, block)?),
        ..NetworkContext::default()
    })
}

/// An executor over a throwaway buffer on top of `block`'s state.
pub fn fork(node: &Node, block: &BlockRecord) -> anyhow::Result<Executor> {
    let buffer: Arc<dyn Blockstore + Send + Sync> =
        Arc::new(BufferedStore::new(node.reads.blocks.clone()));
    let tree = StateTree::load(VmStore::new(buffer), &block.state_cid()?)?;
    let machine = Machine::new(tree, network_at(node, block)?, node.runtimes.clone())?;
    Ok(Executor::new(machine))
}

/// The transaction a call request describes, from `from` at `nonce`.
pub fn tx_from_request(req: &TransactionRequest, from: Address, nonce: u64, gas: u64) -> EthTx {
    let max_fee = req.max_fee_per_gas.or(req.gas_price).unwrap_or(0);
    // A request with an authorization list is a set-code transaction (as cast and viem
    // estimate `--auth` sends): its authorizations cost gas and delegate for the call.
    let authorizations = req.authorization_list.clone().unwrap_or_default();
    EthTx {
        tx_type: if !authorizations.is_empty() {
            4
        } else if req.max_fee_per_gas.is_some() {
            2
        } else {
            0
        },
        authorization_list: authorizations,
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

/// Where a call runs: a state root (over a throwaway buffer, where overrides go) and the
/// block environment the call sees.
pub struct CallSite {
    store: Arc<dyn Blockstore + Send + Sync>,
    root: Cid,
    pub network: NetworkContext,
    /// The head's snapshot and block hash, when this site is the mined head block as it is
    /// (no overrides, not `pending`): `eth_call` answers are then a function of the request
    /// and are shared through the snapshot.
    memo: Option<(Arc<Snapshot>, B256)>,
}

impl CallSite {
    /// A mined block's state and environment.
    pub fn at(node: &Node, block: &BlockRecord) -> anyhow::Result<Self> {
        let root = block.state_cid()?;
        let memo =
            (node.latest().state_cid()? == root).then(|| (node.reads.snapshot(&root), block.hash));
        Ok(Self {
            store: Arc::new(BufferedStore::new(node.reads.blocks.clone())),
            root,
            network: network_at(node, block)?,
            memo,
        })
    }

    /// The pending block: the latest state, run as the next block would be (its number,
    /// its timestamp, honouring `evm_setNextBlockTimestamp`, its base fee, blob base fee and
    /// PREVRANDAO), after the block's opening EIP-2935 write of the latest block's hash, as
    /// mining will run it. (The system lane's async deliveries are not replayed here.)
    pub fn pending(node: &Node) -> anyhow::Result<Self> {
        let latest = node.latest();
        let (number, timestamp) = node.pending_env();
        let base_fee = node.base_fee();
        let mut site = Self::at(node, &latest)?;
        site.memo = None;
        site.network.epoch = number.min(i64::MAX as u64) as i64;
        site.network.timestamp = timestamp;
        site.network.base_fee = TokenAmount::from_atto(base_fee);
        site.network.blob_base_fee = TokenAmount::from_atto(node.next_blob_base_fee(&latest));
        site.network.prev_randao = alloy_primitives::keccak256(number.to_be_bytes()).0;
        if tandem_evm::system_call::has_history_contract(site.network.hardfork) {
            let mut exec = site.executor(node)?;
            crate::history::write_parent_hash(&mut exec, latest.hash);
            site.root = exec.flush()?;
        }
        Ok(site)
    }

    /// The site a selector names: `pending` (or nothing, when `default_pending`) is the next
    /// block; anything else a mined block, where an unknown one is `header not found`.
    pub fn resolve(node: &Node, id: Option<BlockId>, default_pending: bool) -> RpcResult<Self> {
        let pending = match id {
            None => default_pending,
            Some(id) => id == BlockId::Number(BlockNumberOrTag::Pending),
        };
        if pending {
            return Ok(Self::pending(node)?);
        }
        let block = crate::rpc::state_block(node, id)?;
        Ok(Self::at(node, &block)?)
    }

    /// Applies state overrides to this site's throwaway state and block overrides to its
    /// environment. The chain's state is never touched: the new root lives in the buffer.
    pub fn with_overrides(
        mut self,
        node: &Node,
        state: Option<&StateOverrides>,
        block: Option<&BlockOverrides>,
    ) -> RpcResult<Self> {
        if let Some(o) = block {
            self.memo = None;
            overrides::apply_block(&mut self.network, o)?;
        }
        if let Some(o) = state.filter(|o| !o.is_empty()) {
            self.memo = None;
            overrides::check(o)?;
            let mut exec = self.executor(node)?;
            overrides::apply(&mut exec, o)?;
            self.root = exec.flush()?;
        }
        Ok(self)
    }

    /// A fresh executor over this site's state; what it writes stays in the buffer.
    pub fn executor(&self, node: &Node) -> anyhow::Result<Executor> {
        let tree = StateTree::load(VmStore::new(self.store.clone()), &self.root)?;
        let machine = Machine::new(tree, self.network.clone(), node.runtimes.clone())?;
        Ok(Executor::new(machine))
    }
}

/// Runs a call request at `site` with the given gas limit; returns the receipt and the
/// executor after it (for a creation's code). Without a fee in the request the base fee is
/// zero, as in geth, so any account can call; a sender with code may call too.
pub fn run_call(
    node: &Node,
    req: &TransactionRequest,
    site: &CallSite,
    gas: u64,
) -> Result<(EthReceipt, Executor), TxError> {
    let from = req.from.unwrap_or_default();
    let mut exec = site.executor(node)?;
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
    let receipt = tandem_evm::tx::apply_tx_any_sender(&mut exec, &tx)?;
    Ok((receipt, exec))
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

/// The gas limit a call or estimate runs with: the request's, at most the block's.
fn gas_cap(req: &TransactionRequest, site: &CallSite) -> u64 {
    let block = tandem_evm::spec::max_tx_gas(
        site.network.hardfork,
        site.network.block_gas_limit.min(BLOCK_GAS_LIMIT),
    );
    req.gas.unwrap_or(block).min(block)
}

/// `eth_call`: the return data, or the revert as code 3 with its data. A creation (no `to`)
/// answers with the runtime code it would deploy, as Hardhat does.
pub fn call(node: &Node, req: &TransactionRequest, site: &CallSite) -> RpcResult<Bytes> {
    let Some((snapshot, hash)) = &site.memo else {
        return call_uncached(node, req, site);
    };
    let key = serde_json::to_string(req).map_err(|e| RpcError::internal(format!("{e}")))?;
    let key = (*hash, key);
    if let Some(hit) = snapshot.call(&key) {
        return Ok(hit);
    }
    let answer = call_uncached(node, req, site)?;
    snapshot.put_call(key, answer.clone());
    Ok(answer)
}

fn call_uncached(node: &Node, req: &TransactionRequest, site: &CallSite) -> RpcResult<Bytes> {
    let from = req.from.unwrap_or_default();
    let (receipt, mut exec) =
        run_call(node, req, site, gas_cap(req, site)).map_err(|e| RpcError::from_tx(&e, &from))?;
    if !receipt.success {
        return Err(call_failure(&receipt));
    }
    match receipt.contract_address {
        Some(created) if req.to.and_then(|k| k.to().copied()).is_none() => {
            let state = &mut exec.machine.state;
            let Some(id) = state.lookup_id(&f4(&Address::from(created)))? else {
                return Ok(Bytes::new());
            };
            match state.get_actor(id)? {
                Some(record) => Ok(evm_code(state.store(), &record)?),
                None => Ok(Bytes::new()),
            }
        }
        _ => Ok(receipt.output),
    }
}

/// `eth_estimateGas`: the smallest gas limit that succeeds, by binary search (stopping
/// within 1.5%, as geth does), after an optimistic first guess. The answer is always a limit
/// that was run and succeeded at `site`; at `pending` (the default) that is the block the
/// transaction would be mined in, so what depends on the block number or a moving
/// timestamp is estimated as it will run.
pub fn estimate_gas(node: &Node, req: &TransactionRequest, site: &CallSite) -> RpcResult<u64> {
    let from = req.from.unwrap_or_default();
    let cap = gas_cap(req, site);
    let (first, _) = run_call(node, req, site, cap).map_err(|e| RpcError::from_tx(&e, &from))?;
    if !first.success {
        if first.exit_code == fvm_shared::error::ExitCode::SYS_OUT_OF_GAS {
            return Err(RpcError::server(format!(
                "gas required exceeds allowance ({cap})"
            )));
        }
        return Err(call_failure(&first));
    }
    let succeeds = |gas: u64| -> RpcResult<bool> {
        match run_call(node, req, site, gas) {
            Ok((r, _)) => Ok(r.success),
            Err(TxError::Fatal(e)) => Err(RpcError::internal(format!("{e:#}"))),
            Err(_) => Ok(false),
        }
    };
    // Gas used before refunds is what the limit must cover, so nothing below it can succeed;
    // often it is the answer (a plain transfer's 21,000).
    let used = (first.gas_used + first.apply.gas.gas_refunded).min(cap);
    if succeeds(used)? {
        return Ok(used);
    }
    let mut lo = used;
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
