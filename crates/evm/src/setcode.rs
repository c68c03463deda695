//! EIP-7702 set-code transactions: applying an authorization list, and what a delegation
//! designator (`0xef0100 ‖ address`) means for an Ethereum account.
//!
//! In Tandem's actor model a delegated EOA is an actor whose code becomes the designator: the
//! Ethereum account (an `EthAccount` or placeholder actor at the f410 address) turns into an
//! EVM actor whose contract state holds the 23-byte designator as its bytecode. Its balance,
//! nonce (the actor's sequence), f410 address and slot storage stay where they were. When the
//! EVM runtime is asked to run such an actor (an InvokeEVM from a contract, a transaction or a
//! native actor, or a DELEGATECALL naming it) it runs the delegate's code in the account's own
//! frame: ADDRESS is the EOA, storage is the EOA's. Clearing the delegation (an authorization
//! for the zero address) turns the actor back into an `EthAccount`, keeping its storage.

use alloy_eips::eip7702::SignedAuthorization;
use alloy_primitives::{Address, U256};
use fvm_ipld_blockstore::Blockstore;
use revm::bytecode::Bytecode;
use tandem_state::{ActorRecord, StateTree};
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::eth::EthAddress;

use crate::state::{read_state, store_code};

/// The delegation designator for `address`.
pub fn designator(address: [u8; 20]) -> [u8; 23] {
    let mut code = [0u8; 23];
    code[..3].copy_from_slice(&[0xef, 0x01, 0x00]);
    code[3..].copy_from_slice(&address);
    code
}

/// The delegate named by `code`, if it is a designator.
pub fn delegate_of(code: &[u8]) -> Option<[u8; 20]> {
    (code.len() == 23 && code[..3] == [0xef, 0x01, 0x00]).then(|| {
        let mut a = [0u8; 20];
        a.copy_from_slice(&code[3..]);
        a
    })
}

/// An EVM bytecode for raw code: designators as revm's EIP-7702 bytecode (so the
/// interpreter charges and follows delegation), anything else as legacy code.
pub fn bytecode_of(raw: alloy_primitives::Bytes) -> Bytecode {
    if delegate_of(&raw).is_some()
        && let Ok(code) = Bytecode::new_eip7702_raw(raw.clone())
    {
        return code;
    }
    Bytecode::new_legacy(raw)
}

/// What the code of an Ethereum address is, as EIP-7702's authority check needs it.
enum CodeKind {
    Empty,
    Delegated,
    Code,
}

fn code_kind<BS: Blockstore>(
    state: &StateTree<BS>,
    record: Option<&ActorRecord>,
) -> anyhow::Result<CodeKind> {
    let Some(r) = record else {
        return Ok(CodeKind::Empty);
    };
    match BuiltinCode::from_cid(&r.code) {
        Some(BuiltinCode::EthAccount | BuiltinCode::Placeholder) => Ok(CodeKind::Empty),
        Some(BuiltinCode::Evm) => {
            let Some(evm) = read_state(state.store(), &r.state)? else {
                return Ok(CodeKind::Empty);
            };
            let raw = state
                .store()
                .get(&evm.bytecode)?
                .ok_or_else(|| anyhow::anyhow!("EVM bytecode {} is missing", evm.bytecode))?;
            Ok(if raw.is_empty() {
                CodeKind::Empty
            } else if delegate_of(&raw).is_some() {
                CodeKind::Delegated
            } else {
                CodeKind::Code
            })
        }
        _ => Ok(CodeKind::Code),
    }
}

/// Whether an account's code is a delegation designator (EIP-3607 lets such a sender send).
pub fn is_delegated<BS: Blockstore>(
    state: &StateTree<BS>,
    record: &ActorRecord,
) -> anyhow::Result<bool> {
    Ok(matches!(
        code_kind(state, Some(record))?,
        CodeKind::Delegated
    ))
}

/// The authority of an authorization: `None` when its signature is invalid (y parity not
/// 0/1, r or s out of range, s in the upper half, no recovery).
pub fn authority(auth: &SignedAuthorization) -> Option<[u8; 20]> {
    const SECP256K1N: U256 = alloy_primitives::uint!(
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256
    );
    if auth.y_parity() > 1 || auth.r().is_zero() || auth.r() >= SECP256K1N || auth.s().is_zero() {
        return None;
    }
    auth.recover_authority().ok().map(Address::into_array)
}

/// Applies an authorization list (after the sender's nonce is bumped, before the call runs),
/// skipping invalid authorizations as EIP-7702 says. Each valid one warms its authority, sets
/// (or, for the zero address, clears) its code and bumps its nonce. Returns how many
/// authorities already existed (each earns `PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST` of
/// refund).
pub fn apply_authorizations<BS: Blockstore>(
    state: &mut StateTree<BS>,
    chain_id: u64,
    list: &[SignedAuthorization],
    empty_object: cid::Cid,
) -> anyhow::Result<u64> {
    let mut existing = 0;
    for auth in list {
        if !auth.chain_id().is_zero() && *auth.chain_id() != U256::from(chain_id) {
            continue;
        }
        if auth.nonce() == u64::MAX {
            continue;
        }
        let Some(authority) = authority(auth) else {
            continue;
        };
        state.warm_address(authority);
        let addr = EthAddress(authority).to_filecoin();
        let id = state.lookup_id(&addr)?;
        let record = match id {
            Some(id) => state.get_actor(id)?,
            None => None,
        };
        if matches!(code_kind(state, record.as_ref())?, CodeKind::Code) {
            continue;
        }
        let nonce = record.as_ref().map(|r| r.sequence).unwrap_or(0);
        if nonce != auth.nonce() {
            continue;
        }
        if record.is_some() {
            existing += 1;
        }
        let (id, mut record) = match (id, record) {
            (Some(id), Some(r)) => (id, r),
            _ => {
                let id = state.register_new_address(&addr)?;
                let r = ActorRecord::new(BuiltinCode::EthAccount.cid(), empty_object, Some(addr));
                (id, r)
            }
        };
        let delegate = auth.address().into_array();
        if delegate == [0u8; 20] {
            record.code = BuiltinCode::EthAccount.cid();
            record.state = empty_object;
        } else {
            let (root, _) = store_code(state.store(), &designator(delegate))?;
            record.code = BuiltinCode::Evm.cid();
            record.state = root;
        }
        record.sequence += 1;
        state.set_actor(id, record);
    }
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designators_round_trip() {
        let a = [7u8; 20];
        let d = designator(a);
        assert_eq!(delegate_of(&d), Some(a));
        assert!(bytecode_of(d.to_vec().into()).is_eip7702());
        assert_eq!(delegate_of(&d[..22]), None);
        assert!(!bytecode_of(vec![0xef, 0x01, 0x01].into()).is_eip7702());
    }
}
