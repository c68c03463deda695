//! The Init actor (f01): assigns IDs and creates actors.
//!
//! - Exec (2): creates an actor of installed code with a new f2 address and runs its
//!   constructor.
//! - Exec4 (3): the same with an f4 address in the caller's namespace (the EAM's is 10).
//! - Create2 (FRC-42 "Create2"): Exec at a deterministic f410 address, CREATE2's formula
//!   over the native "init code" (code CID bytes ‖ constructor params):
//!   `keccak(0xff ‖ creator ‖ salt ‖ keccak(cid ‖ params))[12..]`, where the creator is the
//!   caller's Ethereum address (its f410 address, else its masked ID). The f410 address is
//!   the new actor's only (and robust) address; an address where an actor already lives is
//!   refused (USR_ILLEGAL_STATE), as CREATE2 fails on a collision.
//! - InstallCode (FRC-42 "InstallCode"): validates, prices and stores user code through the
//!   runtime that installs code (native WASM) and records it in `installed_code`, so Exec
//!   may create actors of it.
//!
//! The address map and the next ID live in [`InitState`], which the state tree also reads
//! to resolve addresses.

use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{IPLD_RAW, RawBytes, strict_bytes};
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::Address;
use fvm_shared::error::ExitCode;
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::InitState;
use tandem_vm::builtin::{BuiltinCode, METHOD_CONSTRUCTOR, init_methods};
use tandem_vm::eth::EthAddress;
use tandem_vm::gas::PRICE_LIST;
use tandem_vm::kernel::{KResult, Kernel, SendRequest};
use tandem_vm::runtime::InvokeReturn;

use crate::util::{exit, load_state, ok, params, save_state};

#[derive(Debug, Clone, Serialize_tuple, Deserialize_tuple)]
pub struct ExecParams {
    pub code_cid: Cid,
    pub constructor_params: RawBytes,
}

#[derive(Debug, Clone, Serialize_tuple, Deserialize_tuple)]
pub struct Exec4Params {
    pub code_cid: Cid,
    pub constructor_params: RawBytes,
    pub subaddress: RawBytes,
}

/// The params of Init's Create2. The code CID travels as the bytes of a CID, not as an
/// IPLD link: the module is not a block the creating actor can reach (a link would be
/// refused when the params block is made).
#[derive(Debug, Clone, Serialize_tuple, Deserialize_tuple)]
pub struct Create2Params {
    #[serde(with = "strict_bytes")]
    pub code_cid: Vec<u8>,
    pub constructor_params: RawBytes,
    #[serde(with = "strict_bytes")]
    pub salt: [u8; 32],
}

/// The FRC-42 number of Init's "Create2".
pub fn create2_method() -> u64 {
    tandem_vm::frc42::method_number("Create2").unwrap_or(0)
}

/// The address Init's Create2 gives: CREATE2's formula with the native init code
/// `cid ‖ constructor params` in place of EVM init code.
pub fn create2_address(
    creator: &tandem_vm::eth::EthAddress,
    salt: &[u8; 32],
    code: &Cid,
    ctor_params: &[u8],
) -> tandem_vm::eth::EthAddress {
    let mut init = code.to_bytes();
    init.extend_from_slice(ctor_params);
    let hash = alloy_primitives::keccak256(&init);
    tandem_vm::eth::EthAddress(
        alloy_primitives::Address::from(creator.0)
            .create2(alloy_primitives::B256::from(*salt), hash)
            .into_array(),
    )
}

#[derive(Debug, Clone, PartialEq, Serialize_tuple, Deserialize_tuple)]
pub struct ExecReturn {
    pub id_address: Address,
    pub robust_address: Address,
}

pub fn invoke(kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
    kernel.charge_gas("invoke", PRICE_LIST.method_invocation)?;
    match kernel.context().method {
        init_methods::EXEC => {
            let p: ExecParams = match params(kernel) {
                Ok(p) => p,
                Err(ret) => return Ok(ret),
            };
            exec(kernel, p.code_cid, p.constructor_params, None, false)
        }
        m if m == create2_method() => {
            let p: Create2Params = match params(kernel) {
                Ok(p) => p,
                Err(ret) => return Ok(ret),
            };
            create2(kernel, p)
        }
        init_methods::EXEC4 => {
            let p: Exec4Params = match params(kernel) {
                Ok(p) => p,
                Err(ret) => return Ok(ret),
            };
            let namespace = kernel.context().caller;
            let Ok(delegated) = Address::new_delegated(namespace, &p.subaddress) else {
                return Ok(exit(ExitCode::USR_ILLEGAL_ARGUMENT, "invalid subaddress"));
            };
            exec(
                kernel,
                p.code_cid,
                p.constructor_params,
                Some(delegated),
                false,
            )
        }
        m if m == install_code_method() => {
            let p: InstallCodeParams = match params(kernel) {
                Ok(p) => p,
                Err(ret) => return Ok(ret),
            };
            install_code(kernel, p.code.bytes())
        }
        m => Ok(exit(
            ExitCode::USR_UNHANDLED_MESSAGE,
            &format!("Init has no method {m}"),
        )),
    }
}

fn create2(kernel: &mut dyn Kernel, p: Create2Params) -> KResult<InvokeReturn> {
    let Ok(code) = Cid::try_from(p.code_cid.as_slice()) else {
        return Ok(exit(ExitCode::USR_ILLEGAL_ARGUMENT, "invalid code CID"));
    };
    if !may_exec(kernel, &code)? {
        return Ok(exit(
            ExitCode::USR_FORBIDDEN,
            &format!("code {code} cannot be created with Exec"),
        ));
    }
    let caller = kernel.context().caller;
    let creator = kernel
        .delegated_address(caller)?
        .as_ref()
        .and_then(EthAddress::from_delegated)
        .unwrap_or_else(|| EthAddress::from_id(caller));
    let preimage = p.code_cid.len() + p.constructor_params.len();
    kernel.charge_gas(
        "create2_address",
        PRICE_LIST.hash(PRICE_LIST.keccak256_byte, preimage)
            + PRICE_LIST.hash(PRICE_LIST.keccak256_byte, 85),
    )?;
    let addr = create2_address(&creator, &p.salt, &code, &p.constructor_params);
    if addr.as_id().is_some() || addr.is_precompile_range() || addr == EthAddress::ZERO {
        return Ok(exit(
            ExitCode::USR_ILLEGAL_STATE,
            "cannot create at a reserved address",
        ));
    }
    let f4 = addr.to_filecoin();
    if kernel.resolve_address(&f4)?.is_some() {
        return Ok(exit(
            ExitCode::USR_ILLEGAL_STATE,
            &format!("an actor already exists at {f4}"),
        ));
    }
    exec(kernel, code, p.constructor_params, Some(f4), true)
}

fn exec(
    kernel: &mut dyn Kernel,
    code: Cid,
    ctor_params: RawBytes,
    delegated: Option<Address>,
    delegated_only: bool,
) -> KResult<InvokeReturn> {
    if !may_exec(kernel, &code)? {
        return Ok(exit(
            ExitCode::USR_FORBIDDEN,
            &format!("code {code} cannot be created with Exec"),
        ));
    }
    kernel.charge_gas("create_actor", PRICE_LIST.actor_create)?;
    // A robust address that no other actor can have: derived from the ID it is about to get;
    // an f410 address (Create2) is robust itself, and the actor's only address.
    let (id, robust) = match delegated {
        Some(d) if delegated_only => (kernel.create_actor(code, None, Some(d))?, d),
        _ => {
            let state: InitState = load_state(kernel)?;
            let mut seed = b"tandem/exec/".to_vec();
            seed.extend_from_slice(&state.next_id.to_be_bytes());
            let robust = Address::new_actor(&seed);
            (kernel.create_actor(code, Some(robust), delegated)?, robust)
        }
    };
    let params = (!ctor_params.is_empty()).then(|| IpldBlock {
        codec: fvm_ipld_encoding::CBOR,
        data: ctor_params.to_vec(),
    });
    let value = kernel.context().value_received.clone();
    let out = kernel.send(SendRequest {
        to: Address::new_id(id),
        method: METHOD_CONSTRUCTOR,
        params,
        value,
        gas_limit: None,
        read_only: false,
    })?;
    if !out.is_success() {
        return Ok(InvokeReturn::exit(out.exit_code, out.return_data));
    }
    ok(&ExecReturn {
        id_address: Address::new_id(id),
        robust_address: robust,
    })
}

/// Exec creates actors of installed user code only; built-ins and EVM contracts have their
/// own paths.
fn may_exec(kernel: &mut dyn Kernel, code: &Cid) -> KResult<bool> {
    if BuiltinCode::from_cid(code).is_some() {
        return Ok(false);
    }
    let state: InitState = load_state(kernel)?;
    let installed: Hamt<_, InstalledCode, BytesKey> = Hamt::load_with_bit_width(
        &state.installed_code,
        kernel.store().clone(),
        tandem_state::state_tree::HAMT_BIT_WIDTH,
    )
    .map_err(|e| tandem_vm::kernel::ExecutionError::Fatal(e.into()))?;
    installed
        .contains_key(&BytesKey(code.to_bytes()))
        .map_err(|e| tandem_vm::kernel::ExecutionError::Fatal(e.into()))
}

/// What the Init actor records about installed code.
#[derive(Debug, Clone, PartialEq, Serialize_tuple, Deserialize_tuple)]
pub struct InstalledCode {
    /// Size of the module in bytes.
    pub size: u64,
    /// The code itself, linked so that it stays reachable from the state (and survives GC).
    pub code: Cid,
}

/// The CID a native module is installed under: v1, raw, blake2b-256 of its bytes.
pub fn native_code_cid(code: &[u8]) -> Cid {
    Cid::new_v1(IPLD_RAW, Code::Blake2b256.digest(code))
}

/// The FRC-42 number of "InstallCode".
pub fn install_code_method() -> u64 {
    tandem_vm::frc42::method_number("InstallCode").unwrap_or(0)
}

#[derive(Debug, Clone, Serialize_tuple, Deserialize_tuple)]
pub struct InstallCodeParams {
    /// The module bytes (a CBOR byte string).
    pub code: RawBytes,
}

#[derive(Debug, Clone, PartialEq, Serialize_tuple, Deserialize_tuple)]
pub struct InstallCodeReturn {
    pub code_cid: Cid,
    /// False when the code was already installed (installing again is a no-op).
    pub installed: bool,
}

fn install_code(kernel: &mut dyn Kernel, code: &[u8]) -> KResult<InvokeReturn> {
    let fatal = |e: fvm_ipld_hamt::Error| tandem_vm::kernel::ExecutionError::Fatal(e.into());
    let mut state: InitState = load_state(kernel)?;
    let mut installed: Hamt<_, InstalledCode, BytesKey> = Hamt::load_with_bit_width(
        &state.installed_code,
        kernel.store().clone(),
        tandem_state::state_tree::HAMT_BIT_WIDTH,
    )
    .map_err(fatal)?;
    // Code already installed costs its hash and a lookup, not a second validation and
    // compile price: the registry only holds code a runtime accepted. (Native code is keyed
    // by the raw blake2b-256 CID of its bytes, the only scheme a runtime installs with.)
    kernel.charge_gas(
        "install_lookup",
        PRICE_LIST.hash(PRICE_LIST.blake2b_byte, code.len()),
    )?;
    let candidate = native_code_cid(code);
    if installed
        .contains_key(&BytesKey(candidate.to_bytes()))
        .map_err(fatal)?
    {
        return ok(&InstallCodeReturn {
            code_cid: candidate,
            installed: false,
        });
    }
    let cid = match kernel.install_code(code) {
        Ok(cid) => cid,
        Err(tandem_vm::kernel::ExecutionError::Syscall(_, msg)) => {
            return Ok(exit(ExitCode::USR_ILLEGAL_ARGUMENT, &msg));
        }
        Err(e) => return Err(e),
    };
    let key = BytesKey(cid.to_bytes());
    if installed.contains_key(&key).map_err(fatal)? {
        return ok(&InstallCodeReturn {
            code_cid: cid,
            installed: false,
        });
    }
    kernel.charge_gas("install_record", PRICE_LIST.block_link(256))?;
    installed
        .set(
            key,
            InstalledCode {
                size: code.len() as u64,
                code: cid,
            },
        )
        .map_err(fatal)?;
    state.installed_code = installed.flush().map_err(fatal)?;
    save_state(kernel, &state)?;
    ok(&InstallCodeReturn {
        code_cid: cid,
        installed: true,
    })
}
