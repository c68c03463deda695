//! The Init actor (f01): assigns IDs and creates actors.
//!
//! - Exec (2): creates an actor of installed code with a new f2 address and runs its
//!   constructor.
//! - Exec4 (3): the same with an f4 address in the caller's namespace (the EAM's is 10).
//! - InstallCode (FRC-42 "InstallCode"): validates, prices and stores user code through the
//!   runtime that installs code (native WASM) and records it in `installed_code`, so Exec
//!   may create actors of it.
//!
//! The address map and the next ID live in [`InitState`], which the state tree also reads
//! to resolve addresses.

use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{IPLD_RAW, RawBytes};
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::Address;
use fvm_shared::error::ExitCode;
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::InitState;
use tandem_vm::builtin::{BuiltinCode, METHOD_CONSTRUCTOR, init_methods};
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
            exec(kernel, p.code_cid, p.constructor_params, None)
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
            exec(kernel, p.code_cid, p.constructor_params, Some(delegated))
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

fn exec(
    kernel: &mut dyn Kernel,
    code: Cid,
    ctor_params: RawBytes,
    delegated: Option<Address>,
) -> KResult<InvokeReturn> {
    if !may_exec(kernel, &code)? {
        return Ok(exit(
            ExitCode::USR_FORBIDDEN,
            &format!("code {code} cannot be created with Exec"),
        ));
    }
    let state: InitState = load_state(kernel)?;
    // A robust address that no other actor can have: derived from the ID it is about to get.
    let mut seed = b"tandem/exec/".to_vec();
    seed.extend_from_slice(&state.next_id.to_be_bytes());
    let robust = Address::new_actor(&seed);
    kernel.charge_gas("create_actor", PRICE_LIST.actor_create)?;
    let id = kernel.create_actor(code, Some(robust), delegated)?;
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
    let candidate = Cid::new_v1(IPLD_RAW, Code::Blake2b256.digest(code));
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
