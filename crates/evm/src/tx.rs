//! Ethereum transactions applied through Tandem's executor.
//!
//! A signed transaction (legacy, EIP-2930, EIP-1559, EIP-4844 or EIP-7702, RLP per EIP-2718)
//! is decoded with alloy-consensus and its sender recovered. Validation follows Ethereum under
//! the block's hardfork (chain id, fee caps, blob rules, intrinsic gas and the EIP-7623 floor,
//! the EIP-7825 gas cap, nonce, funds, EIP-3607); a rejected transaction changes nothing. An applied one bumps the nonce, prepays `gas_limit × price`, runs through the call
//! manager (a create when `to` is null), and settles fees: base fee burnt, priority fee to the
//! coinbase, the rest refunded, with refunds capped at a fifth of the gas used (EIP-3529).

use std::cell::RefCell;
use std::collections::HashSet;

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::eip7702::SignedAuthorization;
use alloy_primitives::{Address as EthAddr, B256, Bytes, U256};
use fvm_ipld_encoding::IPLD_RAW;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::{ErrorNumber, ExitCode};
use tandem_state::ActorRecord;
use tandem_vm::ActorID;
use tandem_vm::builtin::{BURNT_FUNDS_ACTOR_ID, BuiltinCode, METHOD_SEND};
use tandem_vm::call_manager::{CallManager, MessageOrigin};
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::{CallRun, Executor};
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::gas::Gas;
use tandem_vm::kernel::{CallOutcome, CreateRequest, ExecutionError, SendRequest};
use tandem_vm::message::ApplyRet;

use crate::address::{create_address, tokens_to_u256, u256_to_tokens};
use crate::host::event_to_log;
use crate::spec::{Hardfork, precompile_addresses, precompiles};
use crate::state::has_code;

thread_local! {
    /// Access-list slots of addresses that had no actor when the transaction started (so the
    /// state tree, which keys warm slots by actor ID, could not pre-warm them). A contract
    /// created at such an address during the transaction finds them warm (EIP-2930).
    static PENDING_WARM_SLOTS: RefCell<HashSet<([u8; 20], [u8; 32])>> = RefCell::new(HashSet::new());
}

/// Whether an access-list slot of a contract created during this transaction is warm.
pub(crate) fn pre_warmed(addr: [u8; 20], key: &[u8; 32]) -> bool {
    PENDING_WARM_SLOTS.with(|s| {
        let s = s.borrow();
        !s.is_empty() && s.contains(&(addr, *key))
    })
}

/// Clears the pending set when the transaction ends, however it ends.
struct PendingWarmGuard;

impl Drop for PendingWarmGuard {
    fn drop(&mut self) {
        PENDING_WARM_SLOTS.with(|s| s.borrow_mut().clear());
    }
}

/// EIP-4844's blob gas (the per-block limits are in [`crate::spec::blob_schedule`]).
pub const GAS_PER_BLOB: u64 = 1 << 17;

/// A decoded transaction with its sender.
#[derive(Debug, Clone, Default)]
pub struct EthTx {
    pub tx_type: u8,
    pub chain_id: Option<u64>,
    pub nonce: u64,
    pub gas_limit: u64,
    pub to: Option<[u8; 20]>,
    pub value: U256,
    pub input: Bytes,
    /// The gas price of legacy and EIP-2930 transactions.
    pub max_fee_per_gas: u128,
    pub max_priority_fee_per_gas: u128,
    pub access_list: Vec<([u8; 20], Vec<[u8; 32]>)>,
    pub blob_hashes: Vec<[u8; 32]>,
    pub max_fee_per_blob_gas: u128,
    /// EIP-7702's authorization list (type 4).
    pub authorization_list: Vec<SignedAuthorization>,
    pub sender: [u8; 20],
}

/// Why a transaction was not applied (nothing changed).
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    #[error("malformed transaction: {0}")]
    Malformed(String),
    #[error("bad signature: {0}")]
    BadSignature(String),
    #[error("unsupported transaction type {0}")]
    UnsupportedType(u8),
    #[error("wrong chain id {got} (this chain is {expected})")]
    WrongChainId { expected: u64, got: u64 },
    #[error("nonce {got} does not match the account nonce {expected}")]
    NonceMismatch { expected: u64, got: u64 },
    #[error("the sender's nonce is at its maximum")]
    NonceMax,
    #[error("gas limit {limit} is below the intrinsic gas {intrinsic}")]
    IntrinsicGasTooLow { limit: u64, intrinsic: u64 },
    #[error("gas limit {limit} is above the block gas limit {block}")]
    GasLimitAboveBlock { limit: u64, block: u64 },
    #[error("insufficient funds: balance {balance}, cost {cost}")]
    InsufficientFunds { balance: U256, cost: U256 },
    #[error("max fee per gas {max_fee} is below the base fee {base_fee}")]
    FeeCapTooLow { max_fee: u128, base_fee: U256 },
    #[error("priority fee {priority} is above the max fee {max_fee}")]
    PriorityAboveMax { priority: u128, max_fee: u128 },
    #[error("init code of {0} bytes is over the limit (EIP-3860)")]
    InitCodeTooLarge(usize),
    #[error("the sender has code (EIP-3607)")]
    SenderNotEoa,
    #[error("blob transaction: {0}")]
    Blob(String),
    #[error("set-code transaction: {0}")]
    SetCode(String),
    #[error("gas limit {limit} is above the transaction gas cap {cap} (EIP-7825)")]
    GasLimitAboveCap { limit: u64, cap: u64 },
    #[error("internal error: {0:#}")]
    Fatal(#[from] anyhow::Error),
}

/// One Ethereum log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthLog {
    pub address: [u8; 20],
    pub topics: Vec<B256>,
    pub data: Bytes,
}

/// The Ethereum logs among `events` (EVM-shaped events: topics `t1`..`t4`, data `d`), each
/// from its emitter's Ethereum address (f410 if it has one, else the masked ID). Native
/// messages use this too, so an EVM contract's logs look the same however it was reached.
pub fn eth_logs(
    state: &mut tandem_state::StateTree<impl fvm_ipld_blockstore::Blockstore>,
    events: &[fvm_shared::event::StampedEvent],
) -> anyhow::Result<Vec<EthLog>> {
    let mut logs = Vec::new();
    for ev in events {
        let Some((topics, data)) = event_to_log(&ev.event) else {
            continue;
        };
        let address = state
            .delegated_address(ev.emitter)?
            .as_ref()
            .and_then(EthAddress::from_delegated)
            .unwrap_or_else(|| EthAddress::from_id(ev.emitter));
        logs.push(EthLog {
            address: address.0,
            topics,
            data,
        });
    }
    Ok(logs)
}

/// What an applied transaction did.
#[derive(Debug, Clone)]
pub struct EthReceipt {
    /// Ethereum status: 1 success, 0 failure.
    pub success: bool,
    pub exit_code: ExitCode,
    /// Ethereum gas used, after refunds.
    pub gas_used: u64,
    pub effective_gas_price: U256,
    pub logs: Vec<EthLog>,
    pub contract_address: Option<[u8; 20]>,
    /// Return data, or revert data.
    pub output: Bytes,
    pub failure: Option<String>,
    /// The Filecoin-shaped result (receipt, events, fee split). Its receipt has no events
    /// root (`None` even when there are events): an Ethereum receipt carries its logs, and
    /// nothing reads the root of a transaction's events, so it is computed only on demand,
    /// by [`EthReceipt::events_root`]. Nor has it return data (empty): the return or revert
    /// data is [`EthReceipt::output`], moved there rather than held twice.
    pub apply: ApplyRet,
}

impl EthReceipt {
    /// The root of the transaction's events as a native message's receipt would carry it
    /// (the AMT [`tandem_vm::executor::events_root`] commits to), `None` without events.
    pub fn events_root(&self) -> anyhow::Result<Option<cid::Cid>> {
        tandem_vm::executor::events_root_of(&self.apply.events)
    }
}

/// Decodes a signed transaction and recovers its sender.
pub fn decode_signed(raw: &[u8]) -> Result<EthTx, TxError> {
    let mut buf = raw;
    let env = TxEnvelope::decode_2718(&mut buf).map_err(|e| TxError::Malformed(e.to_string()))?;
    if !buf.is_empty() {
        return Err(TxError::Malformed(format!("{} trailing bytes", buf.len())));
    }
    let tx_type = env.tx_type() as u8;
    if tx_type > 4 {
        return Err(TxError::UnsupportedType(tx_type));
    }
    let sender = env
        .recover_signer()
        .map_err(|e| TxError::BadSignature(e.to_string()))?;
    Ok(from_envelope(&env, sender.into_array()))
}

/// The transaction an envelope carries, with a known sender (recovered from the signature,
/// or given by a dev node for its own or impersonated accounts).
pub fn from_envelope(env: &TxEnvelope, sender: [u8; 20]) -> EthTx {
    let max_fee = env.max_fee_per_gas();
    EthTx {
        tx_type: env.tx_type() as u8,
        chain_id: env.chain_id(),
        nonce: env.nonce(),
        gas_limit: env.gas_limit(),
        to: env.to().map(|a| a.into_array()),
        value: env.value(),
        input: env.input().clone(),
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: env.max_priority_fee_per_gas().unwrap_or(max_fee),
        access_list: env
            .access_list()
            .map(|list| {
                list.iter()
                    .map(|item| {
                        (
                            item.address.into_array(),
                            item.storage_keys.iter().map(|k| k.0).collect(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        blob_hashes: env
            .blob_versioned_hashes()
            .map(|h| h.iter().map(|x| x.0).collect())
            .unwrap_or_default(),
        max_fee_per_blob_gas: env.max_fee_per_blob_gas().unwrap_or(0),
        authorization_list: env
            .authorization_list()
            .map(|l| l.to_vec())
            .unwrap_or_default(),
        sender,
    }
}

/// Intrinsic gas: base, calldata, create, access list, init-code words, EIP-7702
/// authorizations (the EIP-7623 floor is separate: [`crate::spec::calldata_floor`]).
pub fn intrinsic_gas(tx: &EthTx) -> u64 {
    let zeros = tx.input.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = tx.input.len() as u64 - zeros;
    let mut gas = 21_000u64 + zeros * 4 + nonzeros * 16;
    if tx.to.is_none() {
        gas += 32_000 + 2 * (tx.input.len() as u64).div_ceil(32);
    }
    for (_, keys) in &tx.access_list {
        gas += 2_400 + 1_900 * keys.len() as u64;
    }
    gas + crate::spec::PER_EMPTY_ACCOUNT_COST * tx.authorization_list.len() as u64
}

/// The blob base fee for an excess blob gas (EIP-4844's fake exponential, with the fork's
/// update fraction: EIP-7691 changed it in Prague).
pub fn blob_base_fee(fork: Hardfork, excess_blob_gas: u64) -> u128 {
    let fraction = crate::spec::blob_schedule(fork).update_fraction;
    fake_exponential(1, excess_blob_gas as u128, fraction)
}

fn fake_exponential(factor: u128, numerator: u128, denominator: u128) -> u128 {
    let mut i = 1u128;
    let mut output = 0u128;
    let mut acc = factor * denominator;
    while acc > 0 {
        output = output.saturating_add(acc);
        acc = acc.saturating_mul(numerator) / (denominator * i);
        i += 1;
    }
    output / denominator
}

/// Decodes and applies a signed transaction.
pub fn apply_raw(executor: &mut Executor, raw: &[u8]) -> Result<EthReceipt, TxError> {
    let tx = decode_signed(raw)?;
    apply_tx(executor, &tx)
}

fn f410(addr: &[u8; 20]) -> fvm_shared::address::Address {
    EthAddress(*addr).to_filecoin()
}

/// Validates and applies a transaction whose sender is known.
pub fn apply_tx(executor: &mut Executor, tx: &EthTx) -> Result<EthReceipt, TxError> {
    apply_tx_checking(executor, tx, true)
}

/// As [`apply_tx`], without EIP-3607's refusal of a sender that has code: for calls (geth
/// skips the check in `eth_call` and `eth_estimateGas`) and a dev node's impersonated senders
/// (anvil and Hardhat let them send).
pub fn apply_tx_any_sender(executor: &mut Executor, tx: &EthTx) -> Result<EthReceipt, TxError> {
    apply_tx_checking(executor, tx, false)
}

fn apply_tx_checking(
    executor: &mut Executor,
    tx: &EthTx,
    eoa_check: bool,
) -> Result<EthReceipt, TxError> {
    let network = &executor.machine.network;
    let fork = network.hardfork;
    let base_fee = tokens_to_u256(&network.base_fee);
    if tx.tx_type == 4 {
        if !crate::spec::has_set_code(fork) {
            return Err(TxError::UnsupportedType(4));
        }
        if tx.authorization_list.is_empty() {
            return Err(TxError::SetCode("empty authorization list".into()));
        }
        if tx.to.is_none() {
            return Err(TxError::SetCode(
                "a set-code transaction cannot create".into(),
            ));
        }
    }
    if let Some(id) = tx.chain_id
        && id != network.chain_id
    {
        return Err(TxError::WrongChainId {
            expected: network.chain_id,
            got: id,
        });
    }
    if tx.tx_type >= 2 && tx.max_priority_fee_per_gas > tx.max_fee_per_gas {
        return Err(TxError::PriorityAboveMax {
            priority: tx.max_priority_fee_per_gas,
            max_fee: tx.max_fee_per_gas,
        });
    }
    if U256::from(tx.max_fee_per_gas) < base_fee {
        return Err(TxError::FeeCapTooLow {
            max_fee: tx.max_fee_per_gas,
            base_fee,
        });
    }
    let blob_price = tokens_to_u256(&network.blob_base_fee);
    if tx.tx_type == 3 {
        if tx.to.is_none() {
            return Err(TxError::Blob("a blob transaction cannot create".into()));
        }
        if tx.blob_hashes.is_empty() {
            return Err(TxError::Blob("no blobs".into()));
        }
        if tx.blob_hashes.len() as u64 > crate::spec::blob_schedule(fork).max_per_tx {
            return Err(TxError::Blob("too many blobs".into()));
        }
        if tx.blob_hashes.iter().any(|h| h[0] != 0x01) {
            return Err(TxError::Blob("a versioned hash is not version 1".into()));
        }
        if U256::from(tx.max_fee_per_blob_gas) < blob_price {
            return Err(TxError::Blob(
                "max fee per blob gas below the blob base fee".into(),
            ));
        }
    }
    if tx.gas_limit > network.block_gas_limit {
        return Err(TxError::GasLimitAboveBlock {
            limit: tx.gas_limit,
            block: network.block_gas_limit,
        });
    }
    if let Some(cap) = crate::spec::tx_gas_cap(fork)
        && tx.gas_limit > cap
    {
        return Err(TxError::GasLimitAboveCap {
            limit: tx.gas_limit,
            cap,
        });
    }
    if tx.to.is_none()
        && tx.input.len() > crate::host::code_size_limits(&executor.machine.network).1
    {
        return Err(TxError::InitCodeTooLarge(tx.input.len()));
    }
    let intrinsic = intrinsic_gas(tx);
    // EIP-7623: the limit must also cover the calldata floor.
    let floor = crate::spec::calldata_floor(fork, &tx.input);
    if tx.gas_limit < intrinsic.max(floor) {
        return Err(TxError::IntrinsicGasTooLow {
            limit: tx.gas_limit,
            intrinsic: intrinsic.max(floor),
        });
    }

    // The sender: an Ethereum account or a placeholder keyed by its f410 address.
    let state = &mut executor.machine.state;
    let sender_addr = f410(&tx.sender);
    let sender_id = state.lookup_id(&sender_addr)?;
    // Borrowed from the state's cache, not copied: the record is changed in place once the
    // transaction is applied.
    let record = match sender_id {
        Some(id) if state.actor_ref(id)?.is_some() => state.cached_actor(id),
        _ => None,
    };
    let exists = record.is_some();
    if let Some(r) = record.filter(|_| eoa_check) {
        match BuiltinCode::from_cid(&r.code) {
            Some(BuiltinCode::EthAccount | BuiltinCode::Placeholder) => {}
            Some(BuiltinCode::Evm) => {
                // A delegated EOA (EIP-7702) still sends.
                if has_code(state.store(), &r.state)? && !crate::setcode::is_delegated(state, r)? {
                    return Err(TxError::SenderNotEoa);
                }
            }
            _ => return Err(TxError::SenderNotEoa),
        }
    }
    let (nonce, balance) = record
        .map(|r| (r.sequence, tokens_to_u256(&r.balance)))
        .unwrap_or((0, U256::ZERO));
    if nonce == u64::MAX {
        return Err(TxError::NonceMax);
    }
    if tx.nonce != nonce {
        return Err(TxError::NonceMismatch {
            expected: nonce,
            got: tx.nonce,
        });
    }
    let blob_gas = GAS_PER_BLOB * tx.blob_hashes.len() as u64;
    let max_cost = U256::from(tx.gas_limit)
        .checked_mul(U256::from(tx.max_fee_per_gas))
        .and_then(|c| c.checked_add(tx.value))
        .and_then(|c| c.checked_add(U256::from(blob_gas) * U256::from(tx.max_fee_per_blob_gas)));
    match max_cost {
        Some(cost) if cost <= balance => {}
        cost => {
            return Err(TxError::InsufficientFunds {
                balance,
                cost: cost.unwrap_or(U256::MAX),
            });
        }
    }

    // Applied from here on, as one unit: a fatal error undoes all of it.
    let checked = Checked {
        sender_id: sender_id.filter(|_| exists),
        intrinsic,
        floor,
        base_fee,
    };
    let applied = executor.atomically(|executor| apply_checked(executor, tx, checked));
    applied.map_err(|e| {
        tracing::error!(
            target: "tandem::fatal",
            sender = %EthAddr::from(tx.sender),
            nonce = tx.nonce,
            input = %hex::encode(&tx.input[..tx.input.len().min(64 * 1024)]),
            "fatal VM error; the transaction was rolled back and not included: {e:#}"
        );
        TxError::Fatal(e)
    })
}

/// What validation found, for [`apply_checked`].
struct Checked {
    /// The sender's actor, when it exists.
    sender_id: Option<ActorID>,
    intrinsic: u64,
    /// EIP-7623's calldata floor (0 before Prague).
    floor: u64,
    base_fee: U256,
}

/// Applies a transaction that passed every check (inside [`Executor::atomically`]).
fn apply_checked(
    executor: &mut Executor,
    tx: &EthTx,
    checked: Checked,
) -> anyhow::Result<EthReceipt> {
    let Checked {
        sender_id,
        intrinsic,
        floor,
        base_fee,
    } = checked;
    let network = &executor.machine.network;
    let fork = network.hardfork;
    let chain_id = network.chain_id;
    let network_base_fee = network.base_fee.clone();
    let coinbase = network.coinbase;
    let blob_gas = GAS_PER_BLOB * tx.blob_hashes.len() as u64;
    let blob_price = tokens_to_u256(&network.blob_base_fee);
    let price = if tx.tx_type >= 2 {
        U256::from(tx.max_fee_per_gas).min(base_fee + U256::from(tx.max_priority_fee_per_gas))
    } else {
        U256::from(tx.max_fee_per_gas)
    };
    let prepaid = U256::from(tx.gas_limit) * price;
    let prepaid_tokens = u256_to_tokens(prepaid);
    let blob_fee = U256::from(blob_gas) * blob_price;
    let empty_object = executor.machine.empty_object;
    let state = &mut executor.machine.state;
    let sender_id = match sender_id {
        Some(id) => {
            state.mutate_actor(id, |r| {
                if BuiltinCode::from_cid(&r.code) == Some(BuiltinCode::Placeholder) {
                    r.code = BuiltinCode::EthAccount.cid();
                }
                r.sequence += 1;
                if blob_fee.is_zero() {
                    r.balance -= &prepaid_tokens;
                } else {
                    r.balance -= &u256_to_tokens(prepaid + blob_fee);
                }
                Ok(())
            })?;
            id
        }
        None => {
            // Only reachable when the transaction costs nothing.
            let sender_addr = f410(&tx.sender);
            let id = state.register_new_address(&sender_addr)?;
            let mut r = ActorRecord::new(
                BuiltinCode::EthAccount.cid(),
                empty_object,
                Some(sender_addr),
            );
            r.sequence = 1;
            state.set_actor(id, r);
            id
        }
    };
    if !blob_fee.is_zero() {
        state.mutate_actor(BURNT_FUNDS_ACTOR_ID, |a| {
            a.balance += u256_to_tokens(blob_fee);
            Ok(())
        })?;
    }
    executor.machine.network.blob_hashes = tx.blob_hashes.clone();

    // Warm addresses and slots (EIP-2929, EIP-2930, EIP-3651).
    let state = &mut executor.machine.state;
    state.warm_address(tx.sender);
    if let Some(to) = tx.to {
        state.warm_address(to);
    }
    if let Some(coinbase) = EthAddress::from_delegated(&coinbase) {
        state.warm_address(coinbase.0);
    }
    state.warm_addresses_for_message(precompile_addresses(fork));
    for (addr, keys) in &tx.access_list {
        state.warm_address(*addr);
        if keys.is_empty() {
            continue;
        }
        match state.lookup_id(&f410(addr))? {
            Some(id) => {
                for key in keys {
                    state.slot_get(id, key)?;
                }
            }
            None => PENDING_WARM_SLOTS.with(|s| {
                s.borrow_mut().extend(keys.iter().map(|k| (*addr, *k)));
            }),
        }
    }
    let _pending = PendingWarmGuard;
    // EIP-7702: authorizations apply after the nonce bump and before the call, and stay
    // whatever the call does.
    let existing = crate::setcode::apply_authorizations(
        state,
        chain_id,
        &tx.authorization_list,
        empty_object,
    )?;

    let origin = MessageOrigin {
        origin: sender_id,
        nonce: tx.nonce,
        gas_price: u256_to_tokens(price),
    };
    let mut run = run_top_level(executor, tx, sender_id, origin, intrinsic)?;
    run.run.refund_counter +=
        (existing * (crate::spec::PER_EMPTY_ACCOUNT_COST - crate::spec::PER_AUTH_BASE_COST)) as i64;
    apply_floor(&mut run.run, tx.gas_limit, floor);
    let contract_address = run.created;
    let logs = run.logs;
    // Moved to the Ethereum receipt's output, not copied: the Filecoin-shaped receipt in
    // `apply` keeps no return data (see `EthReceipt::apply`).
    let output = run
        .run
        .outcome
        .return_data
        .take()
        .map(|b| Bytes::from(b.data))
        .unwrap_or_default();
    let premium = u256_to_tokens(price.saturating_sub(base_fee));
    let apply = executor.settle_fees(
        sender_id,
        prepaid_tokens,
        &network_base_fee,
        &premium,
        tx.gas_limit,
        run.run,
    )?;
    let success = apply.receipt.exit_code.is_success();
    Ok(EthReceipt {
        success,
        exit_code: apply.receipt.exit_code,
        gas_used: apply.receipt.gas_used,
        effective_gas_price: price,
        logs: if success { logs } else { Vec::new() },
        contract_address: if success { contract_address } else { None },
        output,
        failure: apply.failure.clone(),
        apply,
    })
}

/// EIP-7623: a transaction pays at least its calldata floor. `settle_fees` charges the gas
/// used less the capped refund; when that would fall below the floor, the run is charged the
/// floor with no refund.
fn apply_floor(run: &mut CallRun, gas_limit: u64, floor: u64) {
    let used = run.gas_used.round_up().min(gas_limit);
    let refunded = (run.refund_counter.max(0) as u64).min(used / 5);
    if used - refunded < floor {
        run.gas_used = Gas::new(floor);
        run.refund_counter = 0;
    }
}

struct TopLevel {
    run: CallRun,
    logs: Vec<EthLog>,
    created: Option<[u8; 20]>,
}

fn run_top_level(
    executor: &mut Executor,
    tx: &EthTx,
    sender_id: ActorID,
    origin: MessageOrigin,
    intrinsic: u64,
) -> anyhow::Result<TopLevel> {
    let machine = &mut executor.machine;
    let mut cm = CallManager::new(machine, Gas::new(tx.gas_limit), origin);
    cm.charge_gas("transaction", Gas::new(intrinsic))
        .map_err(|_| anyhow::anyhow!("intrinsic gas was checked"))?;
    let mut created = None;
    let value = u256_to_tokens(tx.value);
    let result: Result<CallOutcome, ExecutionError> = match tx.to {
        None => {
            let addr = create_address(&tx.sender, tx.nonce);
            created = Some(addr);
            cm.machine.state.warm_address(addr);
            let req = CreateRequest {
                delegated_address: f410(&addr),
                code: BuiltinCode::Evm.cid(),
                params: Some(IpldBlock {
                    codec: IPLD_RAW,
                    data: tx.input.to_vec(),
                }),
                value,
                gas_limit: None,
                on_behalf_of: None,
            };
            match cm.create(sender_id, req, false) {
                // Collision: all gas is consumed, as on Ethereum.
                Err(ExecutionError::Syscall(ErrorNumber::Forbidden, msg)) => {
                    let rest = cm.gas.available();
                    let _ = cm.charge_gas("failed_create", rest);
                    tracing::debug!(target: "tandem::evm", "create failed: {msg}");
                    Ok(failed(ExitCode::USR_FORBIDDEN))
                }
                other => other,
            }
        }
        Some(to) => {
            let fork = cm.machine.network.hardfork;
            // Precompiles sit at the lowest addresses: past the highest (sorted) one, no
            // lookup.
            let below = precompile_addresses(fork)
                .last()
                .is_some_and(|max| to <= *max);
            let precompile = below.then(|| precompiles(fork).get(&EthAddr::from(to)));
            if let Some(p) = precompile.flatten() {
                top_level_precompile(&mut cm, sender_id, p, tx, value)
            } else {
                let fil = EthAddress(to).to_filecoin();
                let plain = match cm.machine.state.lookup_id(&fil)? {
                    None => true,
                    Some(id) => match cm.machine.state.actor_ref(id)? {
                        None => true,
                        Some(r) => match BuiltinCode::from_cid(&r.code) {
                            Some(BuiltinCode::Evm) => {
                                let state = r.state;
                                !has_code(cm.machine.store(), &state)?
                            }
                            Some(BuiltinCode::Init | BuiltinCode::Eam) => false,
                            Some(_) => true,
                            None => false,
                        },
                    },
                };
                let req = SendRequest {
                    to: fil,
                    method: if plain { METHOD_SEND } else { INVOKE_EVM },
                    params: (!plain).then(|| IpldBlock {
                        codec: IPLD_RAW,
                        data: tx.input.to_vec(),
                    }),
                    value,
                    gas_limit: None,
                    read_only: false,
                };
                cm.send(sender_id, req, false)
            }
        }
    };
    let gas_used = cm.gas.used();
    let events = std::mem::take(&mut cm.events);
    let (outcome, failure) = match result {
        Ok(o) => {
            let failure = (!o.is_success()).then(|| format!("exit code {}", o.exit_code));
            (o, failure)
        }
        Err(ExecutionError::Fatal(e)) => return Err(e),
        Err(ExecutionError::OutOfGas) => {
            (failed(ExitCode::SYS_OUT_OF_GAS), Some("out of gas".into()))
        }
        Err(ExecutionError::Syscall(n, msg)) => (
            failed(tandem_vm::call_manager::syscall_exit_code(n)),
            Some(msg),
        ),
    };
    let success = outcome.is_success();
    let logs = if success {
        eth_logs(&mut cm.machine.state, &events)?
    } else {
        Vec::new()
    };
    drop(cm);
    let refund_counter = executor.machine.state.refund();
    executor.machine.state.delete_destructed();
    Ok(TopLevel {
        run: CallRun {
            outcome,
            events: if success { events } else { Vec::new() },
            gas_used,
            refund_counter,
            failure,
        },
        logs,
        created,
    })
}

/// A top-level failure that is not a revert: like Ethereum, it returns no data (the reason
/// goes to the receipt's `failure`, not to its output).
fn failed(exit_code: ExitCode) -> CallOutcome {
    CallOutcome::exit(exit_code)
}

fn top_level_precompile(
    cm: &mut CallManager<'_>,
    sender_id: ActorID,
    precompile: &revm::precompile::Precompile,
    tx: &EthTx,
    value: TokenAmount,
) -> Result<CallOutcome, ExecutionError> {
    let available = cm.gas.available().round_down();
    let out = precompile
        .execute(&tx.input, available, 0)
        .map_err(|e| ExecutionError::Fatal(anyhow::anyhow!("precompile failed: {e}")))?;
    if !out.status.is_success() {
        let rest = if out.status.is_halt() {
            cm.gas.available()
        } else {
            Gas::new(out.gas_used)
        };
        let _ = cm.charge_gas("precompile", rest);
        return Ok(failed(ExitCode::SYS_OUT_OF_GAS));
    }
    cm.charge_gas("precompile", Gas::new(out.gas_used))?;
    let to = EthAddress(tx.to.unwrap_or_default()).to_filecoin();
    let req = SendRequest {
        to,
        method: METHOD_SEND,
        params: None,
        value,
        gas_limit: None,
        read_only: false,
    };
    let mut outcome = cm.send(sender_id, req, false)?;
    outcome.return_data = (!out.bytes.is_empty()).then(|| IpldBlock {
        codec: IPLD_RAW,
        data: out.bytes.to_vec(),
    });
    Ok(outcome)
}
