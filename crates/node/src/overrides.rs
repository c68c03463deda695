//! State and block overrides of `eth_call` and `eth_estimateGas` (geth's third and fourth
//! parameters), applied to the throwaway fork of a call and never to the chain.
//!
//! Parsing is strict: an unknown field, a malformed value, or an account with both `state`
//! and `stateDiff` is a -32602 error naming it, never silently ignored.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, U64, U256};
use serde::Deserialize;
use tandem_evm::address::u256_to_tokens;
use tandem_state::ActorRecord;
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;

use crate::error::{RpcError, RpcResult};
use crate::state::f4;

/// What a call sees of one account instead of its state (geth's `OverrideAccount`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountOverride {
    pub balance: Option<U256>,
    pub nonce: Option<U64>,
    /// EVM code; empty makes the address a plain account.
    pub code: Option<Bytes>,
    /// The whole storage: every slot not listed reads zero.
    pub state: Option<BTreeMap<B256, B256>>,
    /// Slots to change, the rest kept.
    pub state_diff: Option<BTreeMap<B256, B256>>,
}

/// Overrides by address.
pub type StateOverrides = BTreeMap<Address, AccountOverride>;

/// What a call sees of its block instead of the block's own values (geth's
/// `BlockOverrides` but `difficulty` and `beaconRoot`, which are refused as unknown).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlockOverrides {
    pub number: Option<U64>,
    pub time: Option<U64>,
    #[serde(alias = "random")]
    pub prev_randao: Option<B256>,
    #[serde(alias = "baseFeePerGas")]
    pub base_fee: Option<U256>,
    pub gas_limit: Option<U64>,
    /// COINBASE, and who the priority fees go to.
    #[serde(alias = "coinbase")]
    pub fee_recipient: Option<Address>,
    /// BLOBBASEFEE, and what blob gas costs.
    pub blob_base_fee: Option<U256>,
    /// Withdrawals credited at the end of the block: `eth_simulateV1` only (geth refuses
    /// them for calls too).
    pub withdrawals: Option<Vec<alloy_eips::eip4895::Withdrawal>>,
}

/// The largest block gas limit an override may set (ten blocks' worth; calls still run with
/// at most the fork's per-transaction cap, and `eth_call` with at most a real block's).
pub const MAX_GAS_LIMIT_OVERRIDE: u64 = 10 * crate::node::BLOCK_GAS_LIMIT;
/// At most this many withdrawals in one simulated block (Ethereum's is 16).
pub const MAX_WITHDRAWALS: usize = 1024;

/// Refuses what no fork can take: both `state` and `stateDiff` for one account, or an
/// override of a masked ID address (a built-in or native actor, which is not an EVM account).
pub fn check(overrides: &StateOverrides) -> RpcResult<()> {
    for (addr, o) in overrides {
        if o.state.is_some() && o.state_diff.is_some() {
            return Err(RpcError::invalid_params(format!(
                "account {addr} has both 'state' and 'stateDiff'"
            )));
        }
        if let Some(id) = EthAddress(addr.into_array()).as_id() {
            return Err(RpcError::invalid_params(format!(
                "{addr} names actor ID {id}: only Ethereum addresses can be overridden"
            )));
        }
    }
    Ok(())
}

/// The actor at `addr`, a new Ethereum account if there is none.
pub(crate) fn ensure_actor(
    exec: &mut Executor,
    addr: &Address,
) -> anyhow::Result<(u64, ActorRecord)> {
    let empty = exec.machine.empty_object;
    let state = &mut exec.machine.state;
    let f4 = f4(addr);
    if let Some(id) = state.lookup_id(&f4)?
        && let Some(record) = state.get_actor(id)?
    {
        return Ok((id, record));
    }
    let id = state.register_new_address(&f4)?;
    Ok((
        id,
        ActorRecord::new(BuiltinCode::EthAccount.cid(), empty, Some(f4)),
    ))
}

/// Makes `record` an EVM contract with `code`, or a plain account when `code` is empty.
pub(crate) fn put_code(
    exec: &mut Executor,
    record: &mut ActorRecord,
    code: &[u8],
) -> anyhow::Result<()> {
    if code.is_empty() {
        record.code = BuiltinCode::EthAccount.cid();
        record.state = exec.machine.empty_object;
    } else {
        let (head, _) = tandem_evm::state::store_code(exec.machine.state.store(), code)?;
        record.code = BuiltinCode::Evm.cid();
        record.state = head;
    }
    Ok(())
}

/// Applies checked overrides to a fork's state, then ends the "message" so that the call
/// starts cold, with the overridden slots as its original values.
pub fn apply(exec: &mut Executor, overrides: &StateOverrides) -> anyhow::Result<()> {
    for (addr, o) in overrides {
        let (id, mut record) = ensure_actor(exec, addr)?;
        if let Some(balance) = o.balance {
            record.balance = u256_to_tokens(balance);
        }
        if let Some(nonce) = o.nonce {
            record.sequence = nonce.to();
        }
        if let Some(code) = &o.code {
            put_code(exec, &mut record, code)?;
        }
        if o.state.is_some() {
            record.kv_root = None;
        }
        exec.machine.state.set_actor(id, record);
        for (slot, value) in o.state.iter().chain(&o.state_diff).flatten() {
            exec.machine.state.slot_set(id, &slot.0, &value.0)?;
        }
    }
    exec.machine.state.end_message()?;
    Ok(())
}

/// Applies block overrides to a call's network context. Withdrawals are refused: only a
/// simulated block has an end to credit them at.
pub fn apply_block(network: &mut NetworkContext, o: &BlockOverrides) -> RpcResult<()> {
    if o.withdrawals.is_some() {
        return Err(RpcError::invalid_params(
            "block override 'withdrawals' is only supported by eth_simulateV1",
        ));
    }
    apply_block_env(network, o)
}

/// Applies a simulated block's overrides to its network context (its withdrawals are
/// credited after its calls, [`credit_withdrawals`]).
pub fn apply_block_env(network: &mut NetworkContext, o: &BlockOverrides) -> RpcResult<()> {
    if let Some(limit) = o.gas_limit {
        let limit: u64 = limit.to();
        if limit == 0 || limit > MAX_GAS_LIMIT_OVERRIDE {
            return Err(RpcError::invalid_params(format!(
                "block gas limit {limit} out of range (1 to {MAX_GAS_LIMIT_OVERRIDE})"
            )));
        }
        network.block_gas_limit = limit;
    }
    if let Some(to) = o.fee_recipient {
        network.coinbase = EthAddress(to.into_array()).to_filecoin();
    }
    if let Some(fee) = o.blob_base_fee {
        network.blob_base_fee = u256_to_tokens(fee);
    }
    if o.withdrawals
        .as_ref()
        .is_some_and(|w| w.len() > MAX_WITHDRAWALS)
    {
        return Err(RpcError::invalid_params(format!(
            "too many withdrawals (at most {MAX_WITHDRAWALS} a block)"
        )));
    }
    if let Some(number) = o.number {
        let n: u64 = number.to();
        network.epoch = i64::try_from(n)
            .map_err(|_| RpcError::invalid_params(format!("block number {n} is too large")))?;
    }
    if let Some(time) = o.time {
        network.timestamp = time.to();
    }
    if let Some(randao) = o.prev_randao {
        network.prev_randao = randao.0;
    }
    if let Some(fee) = o.base_fee {
        network.base_fee = u256_to_tokens(fee);
    }
    Ok(())
}

/// Credits withdrawals (amounts in gwei) to their addresses, creating accounts as needed,
/// as a block's end does (EIP-4895): no code runs.
pub fn credit_withdrawals(
    exec: &mut Executor,
    withdrawals: &[alloy_eips::eip4895::Withdrawal],
) -> anyhow::Result<()> {
    for w in withdrawals {
        let (id, mut record) = ensure_actor(exec, &w.address)?;
        record.balance += u256_to_tokens(w.amount_wei());
        exec.machine.state.set_actor(id, record);
    }
    exec.machine.state.end_message()?;
    Ok(())
}
