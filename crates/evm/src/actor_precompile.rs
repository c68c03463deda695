//! Tandem's call-actor precompile: lets Solidity call any actor (built-ins and native actors
//! included) with an explicit method number, value, flags and CBOR parameters.
//!
//! Address [`CALL_ACTOR`] = `0xfe00…0003` (FEVM's reserved `0xfe` range). ABI, see
//! `contracts/ITandemActors.sol`:
//! - `callActor(uint64 actorId, uint64 method, uint256 value, uint64 flags, uint64 codec,
//!   bytes params) returns (int256 exitCode, uint64 codec, bytes data)`
//! - `callActorByAddress(bytes filAddress, …same…)`
//!
//! `flags` bit 0 = read-only. `codec` is 0 (no params) or CBOR (0x51) / DAG-CBOR (0x71).
//! `exitCode` ≥ 0 is the callee's exit code; a negative one is a refused send (minus the
//! kernel's error number). The call itself reverts only on malformed input.

use alloy_primitives::{Bytes, U256};
use alloy_sol_types::{SolCall, SolValue, sol};
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{CBOR, DAG_CBOR};
use fvm_shared::address::Address;
use tandem_vm::gas::Gas;
use tandem_vm::kernel::{ExecutionError, KResult, Kernel, SendRequest};

use crate::address::u256_to_tokens;

/// The call-actor precompile's address.
pub const CALL_ACTOR: [u8; 20] = [
    0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03,
];

/// Flag bit: the callee runs read-only.
pub const FLAG_READ_ONLY: u64 = 1;

sol! {
    function callActor(uint64 actorId, uint64 method, uint256 value, uint64 flags, uint64 codec, bytes params) external returns (int256 exitCode, uint64 codec, bytes data);
    function callActorByAddress(bytes filAddress, uint64 method, uint256 value, uint64 flags, uint64 codec, bytes params) external returns (int256 exitCode, uint64 codec, bytes data);
}

/// The outcome of the precompile as the EVM sees it.
pub struct PrecompileCall {
    /// `false`: the input was malformed and the call reverts with `output` as reason.
    pub ok: bool,
    pub output: Bytes,
    /// Milligas used by the callee (already charged to the kernel).
    pub used: i64,
}

/// A Tandem precompile's refusal: the call reverts with `msg`.
pub(crate) fn revert(msg: &str) -> PrecompileCall {
    PrecompileCall {
        ok: false,
        output: Bytes::copy_from_slice(msg.as_bytes()),
        used: 0,
    }
}

struct Decoded {
    to: Address,
    method: u64,
    value: U256,
    flags: u64,
    codec: u64,
    params: Bytes,
}

fn decode(input: &[u8]) -> Option<Decoded> {
    if let Ok(c) = callActorCall::abi_decode(input) {
        return Some(Decoded {
            to: Address::new_id(c.actorId),
            method: c.method,
            value: c.value,
            flags: c.flags,
            codec: c.codec,
            params: c.params,
        });
    }
    let c = callActorByAddressCall::abi_decode(input).ok()?;
    Some(Decoded {
        to: Address::from_bytes(&c.filAddress).ok()?,
        method: c.method,
        value: c.value,
        flags: c.flags,
        codec: c.codec,
        params: c.params,
    })
}

/// Runs the precompile: one send through the call manager, with at most `gas_limit`.
pub fn call_actor(
    kernel: &mut dyn Kernel,
    input: &[u8],
    gas_limit: u64,
    is_static: bool,
) -> KResult<PrecompileCall> {
    let Some(d) = decode(input) else {
        return Ok(revert("callActor: malformed input"));
    };
    let params = match d.codec {
        0 if d.params.is_empty() => None,
        CBOR | DAG_CBOR => Some(IpldBlock {
            codec: d.codec,
            data: d.params.to_vec(),
        }),
        _ => return Ok(revert("callActor: codec must be 0, CBOR or DAG-CBOR")),
    };
    let read_only = is_static || d.flags & FLAG_READ_ONLY != 0;
    let req = SendRequest {
        to: d.to,
        method: d.method,
        params,
        value: u256_to_tokens(d.value),
        gas_limit: Some(Gas::new(gas_limit)),
        read_only,
    };
    let before = kernel.gas_used().as_milligas();
    let result = kernel.send(req);
    let used = kernel.gas_used().as_milligas() - before;
    let (exit, codec, data) = match result {
        Ok(out) => {
            let (codec, data) = out
                .return_data
                .map(|b| (b.codec, b.data))
                .unwrap_or((0, Vec::new()));
            (i64::from(out.exit_code.value()), codec, data)
        }
        Err(ExecutionError::Syscall(n, _)) => (-(n as i64), 0, Vec::new()),
        Err(ExecutionError::OutOfGas) => (
            i64::from(fvm_shared::error::ExitCode::SYS_OUT_OF_GAS.value()),
            0,
            Vec::new(),
        ),
        Err(e @ ExecutionError::Fatal(_)) => return Err(e),
    };
    let output = (
        alloy_primitives::I256::try_from(exit).unwrap_or_default(),
        codec,
        Bytes::from(data),
    )
        .abi_encode_params();
    Ok(PrecompileCall {
        ok: true,
        output: Bytes::from(output),
        used,
    })
}
