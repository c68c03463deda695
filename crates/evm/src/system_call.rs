//! System calls: the protocol's own calls into system contracts at the start of a block
//! (EIP-2935's block-hash history from Prague on).
//!
//! On Ethereum a system call is a call from `SYSTEM_ADDRESS` (`0xff…fe`) with 30M gas of its
//! own: no nonce, no fee, not counted in the block's gas. Here it is the same call through the
//! call manager: the caller is an Ethereum account actor at `SYSTEM_ADDRESS` (created on the
//! first call; it stays empty, so Ethereum's view leaves it out by EIP-161), and the call runs
//! as an unpaid top-level message (`Executor::apply_unpaid`), so a contract sees exactly
//! `CALLER == ORIGIN == SYSTEM_ADDRESS` and `NUMBER` is the block being built.
//!
//! EIP-2935: at the start of every block but the genesis, the parent's hash is written by a
//! system call to the history contract at `HISTORY_STORAGE_ADDRESS`, whose code stores it in
//! slot `(number − 1) mod 8191`; anyone may then call the contract with a 32-byte block number
//! to read one of the last 8191 hashes. If the address has no code, the call does nothing
//! (the EIP: it fails silently). `BLOCKHASH` is unchanged by the EIP and does not read the
//! contract.

use alloy_eips::eip2935::{HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CODE};
use alloy_primitives::{Address, B256, address};
use fvm_ipld_encoding::IPLD_RAW;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::econ::TokenAmount;
use tandem_state::{ActorRecord, StateTree};
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::call_manager::MessageOrigin;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::gas::Gas;
use tandem_vm::kernel::{Hardfork, SendRequest};
use tandem_vm::message::ApplyRet;
use tandem_vm::store::VmStore;

use crate::state::{has_code, store_code};

/// The caller of system calls.
pub const SYSTEM_ADDRESS: Address = address!("0xfffffffffffffffffffffffffffffffffffffffe");
/// Gas a system call runs with (not counted in the block).
pub const SYSTEM_CALL_GAS: u64 = 30_000_000;

/// Whether a fork has EIP-2935's history contract.
pub fn has_history_contract(fork: Hardfork) -> bool {
    fork >= Hardfork::Prague
}

/// Puts the EIP-2935 history contract's code at its address, as a dev chain's genesis does
/// (anvil and Hardhat pre-deploy it too). Returns whether anything changed: an address that
/// already holds code (the contract, or whatever a user put there) is left alone.
pub fn install_history_contract(state: &mut StateTree<VmStore>) -> anyhow::Result<bool> {
    let f4 = EthAddress(HISTORY_STORAGE_ADDRESS.into_array()).to_filecoin();
    let existing = match state.lookup_id(&f4)? {
        Some(id) => state.get_actor(id)?.map(|r| (id, r)),
        None => None,
    };
    let (head, _) = store_code(state.store(), &HISTORY_STORAGE_CODE)?;
    let (id, mut record) = match existing {
        Some((_, r)) if runs_code(state, &r)? => return Ok(false),
        Some((id, r)) => (id, r),
        None => {
            let id = state.register_new_address(&f4)?;
            (id, ActorRecord::new(BuiltinCode::Evm.cid(), head, Some(f4)))
        }
    };
    record.code = BuiltinCode::Evm.cid();
    record.state = head;
    // EIP-161: a contract account starts at nonce 1.
    record.sequence = record.sequence.max(1);
    state.set_actor(id, record);
    Ok(true)
}

/// Calls `contract` from [`SYSTEM_ADDRESS`] with `data` and [`SYSTEM_CALL_GAS`]. `None` when
/// the address has no code (nothing runs, nothing changes).
pub fn system_call(
    ex: &mut Executor,
    contract: Address,
    data: Vec<u8>,
) -> anyhow::Result<Option<ApplyRet>> {
    let to = EthAddress(contract.into_array()).to_filecoin();
    let state = &mut ex.machine.state;
    let Some(target) = state.lookup_id(&to)? else {
        return Ok(None);
    };
    let runs = match state.get_actor(target)? {
        Some(r) => runs_code(state, &r)?,
        None => false,
    };
    if !runs {
        return Ok(None);
    }
    let from = system_actor(ex)?;
    let origin = MessageOrigin {
        origin: from,
        nonce: 0,
        gas_price: TokenAmount::default(),
    };
    let request = SendRequest {
        to,
        method: INVOKE_EVM,
        params: Some(IpldBlock {
            codec: IPLD_RAW,
            data,
        }),
        value: TokenAmount::default(),
        gas_limit: None,
        read_only: false,
    };
    let ret = ex.apply_unpaid(from, origin, request, Gas::new(SYSTEM_CALL_GAS))?;
    ex.machine.state.end_message()?;
    Ok(Some(ret))
}

/// EIP-2935's start-of-block call: writes `parent_hash` into the history contract for the
/// block being built (`ex.machine.network.epoch`). Does nothing before Prague, at the
/// genesis, or when the contract has no code. A call that fails is reported, never fatal:
/// the block goes on without the write, as the EIP's "fails silently" asks.
pub fn record_parent_hash(ex: &mut Executor, parent_hash: B256) -> anyhow::Result<Option<String>> {
    let network = &ex.machine.network;
    if !has_history_contract(network.hardfork) || network.epoch <= 0 {
        return Ok(None);
    }
    let ret = system_call(ex, HISTORY_STORAGE_ADDRESS, parent_hash.to_vec())?;
    Ok(ret.and_then(|r| {
        (!r.receipt.exit_code.is_success()).then(|| {
            r.failure
                .unwrap_or_else(|| format!("exit code {}", r.receipt.exit_code))
        })
    }))
}

/// Whether an actor is an EVM contract with code.
fn runs_code(state: &StateTree<VmStore>, record: &ActorRecord) -> anyhow::Result<bool> {
    Ok(
        BuiltinCode::from_cid(&record.code) == Some(BuiltinCode::Evm)
            && has_code(state.store(), &record.state)?,
    )
}

/// The actor that system calls come from: an Ethereum account at [`SYSTEM_ADDRESS`],
/// created on first use.
fn system_actor(ex: &mut Executor) -> anyhow::Result<u64> {
    let f4 = EthAddress(SYSTEM_ADDRESS.into_array()).to_filecoin();
    let empty = ex.machine.empty_object;
    let state = &mut ex.machine.state;
    if let Some(id) = state.lookup_id(&f4)?
        && state.get_actor(id)?.is_some()
    {
        return Ok(id);
    }
    let id = state.register_new_address(&f4)?;
    state.set_actor(
        id,
        ActorRecord::new(BuiltinCode::EthAccount.cid(), empty, Some(f4)),
    );
    Ok(id)
}
