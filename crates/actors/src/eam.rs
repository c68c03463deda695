//! The Ethereum address manager (f010): deploys EVM contracts at the addresses Ethereum would
//! give them.
//!
//! - Create (2): CREATE from an EVM contract: `keccak(rlp([sender, nonce]))[12..]`.
//! - Create2 (3): CREATE2: `keccak(0xff ‖ sender ‖ salt ‖ keccak(init code))[12..]`.
//! - CreateExternal (4): CREATE from the account that signed the message. An f1 account's
//!   Ethereum address is `keccak(f1 address bytes)[12..]`.
//!
//! Each creates through the call manager in one frame whose constructor sees the requesting
//! account as its caller. (EVM CREATE opcodes and Ethereum transactions reach the call manager
//! directly with the same formulas, so that an Ethereum CREATE costs one frame of depth.)

use alloy_primitives::{Address as EthAddr, B256, keccak256};
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{IPLD_RAW, RawBytes, strict_bytes};
use fvm_shared::address::Address;
use fvm_shared::error::ExitCode;
use tandem_vm::ActorID;
use tandem_vm::builtin::{BuiltinCode, eam_methods};
use tandem_vm::eth::EthAddress;
use tandem_vm::gas::PRICE_LIST;
use tandem_vm::kernel::{CreateRequest, KResult, Kernel};
use tandem_vm::runtime::InvokeReturn;

use crate::util::{exit, ok, params};

#[derive(Debug, Clone, Serialize_tuple, Deserialize_tuple)]
pub struct CreateParams {
    #[serde(with = "strict_bytes")]
    pub initcode: Vec<u8>,
    pub nonce: u64,
}

#[derive(Debug, Clone, Serialize_tuple, Deserialize_tuple)]
pub struct Create2Params {
    #[serde(with = "strict_bytes")]
    pub initcode: Vec<u8>,
    #[serde(with = "strict_bytes")]
    pub salt: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Serialize_tuple, Deserialize_tuple)]
pub struct CreateReturn {
    pub actor_id: ActorID,
    pub robust_address: Option<Address>,
    #[serde(with = "strict_bytes")]
    pub eth_address: [u8; 20],
}

/// The CREATE address.
pub fn create_address(sender: &EthAddress, nonce: u64) -> EthAddress {
    EthAddress(EthAddr::from(sender.0).create(nonce).into_array())
}

/// The CREATE2 address.
pub fn create2_address(sender: &EthAddress, salt: &[u8; 32], initcode: &[u8]) -> EthAddress {
    EthAddress(
        EthAddr::from(sender.0)
            .create2(B256::from(*salt), keccak256(initcode))
            .into_array(),
    )
}

/// The Ethereum address an f1/f3 account deploys from.
pub fn key_address_to_eth(addr: &Address) -> EthAddress {
    let hash = keccak256(addr.to_bytes());
    EthAddress(hash[12..].try_into().expect("20 bytes"))
}

pub fn invoke(kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
    kernel.charge_gas("invoke", PRICE_LIST.method_invocation)?;
    let caller = kernel.context().caller;
    let Some(caller_info) = kernel.actor_info(caller)? else {
        return Ok(exit(ExitCode::USR_FORBIDDEN, "unknown caller"));
    };
    let caller_code = BuiltinCode::from_cid(&caller_info.code);
    let caller_eth = caller_info
        .delegated_address
        .as_ref()
        .and_then(EthAddress::from_delegated);
    match kernel.context().method {
        eam_methods::CREATE => {
            let p: CreateParams = match params(kernel) {
                Ok(p) => p,
                Err(ret) => return Ok(ret),
            };
            let (Some(BuiltinCode::Evm), Some(sender)) = (caller_code, caller_eth) else {
                return Ok(exit(ExitCode::USR_FORBIDDEN, "Create is for EVM contracts"));
            };
            deploy(kernel, caller, create_address(&sender, p.nonce), p.initcode)
        }
        eam_methods::CREATE2 => {
            let p: Create2Params = match params(kernel) {
                Ok(p) => p,
                Err(ret) => return Ok(ret),
            };
            let (Some(BuiltinCode::Evm), Some(sender)) = (caller_code, caller_eth) else {
                return Ok(exit(
                    ExitCode::USR_FORBIDDEN,
                    "Create2 is for EVM contracts",
                ));
            };
            let addr = create2_address(&sender, &p.salt, &p.initcode);
            deploy(kernel, caller, addr, p.initcode)
        }
        eam_methods::CREATE_EXTERNAL => {
            let initcode: RawBytes = match params(kernel) {
                Ok(p) => p,
                Err(ret) => return Ok(ret),
            };
            if caller != kernel.context().origin
                || !caller_code.is_some_and(BuiltinCode::is_account)
            {
                return Ok(exit(
                    ExitCode::USR_FORBIDDEN,
                    "CreateExternal is for the signing account",
                ));
            }
            let sender = match (caller_code, caller_eth) {
                (Some(BuiltinCode::EthAccount), Some(eth)) => eth,
                _ => {
                    let key = kernel
                        .actor_info(caller)?
                        .and_then(|_| robust_of(kernel, caller))
                        .unwrap_or_else(|| Address::new_id(caller));
                    key_address_to_eth(&key)
                }
            };
            // The message already bumped the sender's nonce.
            let nonce = caller_info.sequence.saturating_sub(1);
            deploy(
                kernel,
                caller,
                create_address(&sender, nonce),
                initcode.to_vec(),
            )
        }
        m => Ok(exit(
            ExitCode::USR_UNHANDLED_MESSAGE,
            &format!("EAM has no method {m}"),
        )),
    }
}

/// The key address recorded in an account's state.
fn robust_of(kernel: &mut dyn Kernel, id: ActorID) -> Option<Address> {
    use fvm_ipld_encoding::CborStore;
    let info = kernel.actor_info(id).ok()??;
    let state: tandem_vm::call_manager::AccountStateRef =
        kernel.store().get_cbor(&info.state).ok()??;
    Some(state.address)
}

fn deploy(
    kernel: &mut dyn Kernel,
    creator: ActorID,
    addr: EthAddress,
    initcode: Vec<u8>,
) -> KResult<InvokeReturn> {
    if addr.as_id().is_some() || addr.is_precompile_range() || addr == EthAddress::ZERO {
        return Ok(exit(
            ExitCode::USR_FORBIDDEN,
            "cannot deploy to a reserved address",
        ));
    }
    let value = kernel.context().value_received.clone();
    let out = kernel.create(CreateRequest {
        delegated_address: addr.to_filecoin(),
        code: BuiltinCode::Evm.cid(),
        params: Some(IpldBlock {
            codec: IPLD_RAW,
            data: initcode,
        }),
        value,
        gas_limit: None,
        on_behalf_of: Some(creator),
    })?;
    match out.created {
        Some(actor_id) if out.is_success() => ok(&CreateReturn {
            actor_id,
            robust_address: None,
            eth_address: addr.0,
        }),
        _ => Ok(InvokeReturn::exit(
            if out.is_success() {
                ExitCode::USR_ILLEGAL_STATE
            } else {
                out.exit_code
            },
            out.return_data,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_address_matches_ethereum() {
        // A well-known vector: the first contract of 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0.
        let sender = EthAddress(hex_literal("6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0"));
        assert_eq!(
            create_address(&sender, 0).0,
            hex_literal("cd234a471b72ba2f1ccf0a70fcaba648a5eecd8d")
        );
        assert_eq!(
            create_address(&sender, 1).0,
            hex_literal("343c43a37d37dff08ae8c4a11544c718abb4fcf8")
        );
    }

    fn hex_literal(s: &str) -> [u8; 20] {
        let mut out = [0u8; 20];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
