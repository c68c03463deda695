//! Tandem's async-send precompile (docs/async.md): queues an asynchronous message from the
//! calling contract, with an optional reply to one of its functions.
//!
//! Address [`ASYNC_SEND`] = `0xfe00…0010`. ABI, see `contracts/ITandemAsync.sol`:
//! `sendAsync(bytes target, uint64 method, uint256 value, uint64 codec, bytes params,
//! uint64 gasLimit, bytes4 replySelector, uint64 replyGasLimit) returns (uint64 id)`.
//!
//! The reservation (`tandem_vm::async_queue::reservation`: the entry, its params and both gas
//! limits) is charged as the precompile's gas, so the transaction pays for the delivery and
//! the reply when it sends. A refused send (full queue, too much gas, no funds, a static
//! call) reverts with the reason and costs nothing beyond the call.

use alloy_primitives::{Bytes, FixedBytes};
use alloy_sol_types::{SolCall, SolValue, sol};
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{CBOR, DAG_CBOR, IPLD_RAW, RawBytes};
use fvm_shared::address::Address;
use tandem_vm::async_queue::{ReplyTo, reservation};
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::kernel::{AsyncRequest, ExecutionError, KResult, Kernel};

use crate::actor_precompile::{PrecompileCall, revert};
use crate::address::u256_to_tokens;

/// The async-send precompile's address.
pub const ASYNC_SEND: [u8; 20] = [
    0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

sol! {
    function sendAsync(bytes target, uint64 method, uint256 value, uint64 codec, bytes params, uint64 gasLimit, bytes4 replySelector, uint64 replyGasLimit) external returns (uint64 id);
}

/// Runs the precompile with at most `gas_limit` gas.
pub fn send_async(
    kernel: &mut dyn Kernel,
    input: &[u8],
    gas_limit: u64,
    is_static: bool,
) -> KResult<PrecompileCall> {
    let Ok(call) = sendAsyncCall::abi_decode(input) else {
        return Ok(revert("sendAsync: malformed input"));
    };
    if is_static {
        return Ok(revert("sendAsync: not allowed in a static call"));
    }
    let Ok(to) = Address::from_bytes(&call.target) else {
        return Ok(revert("sendAsync: target is not a Filecoin address"));
    };
    // The f410 form of a masked-ID address (0xff00…<id>) names that ID actor, as a CALL to
    // the masked address does: Solidity code knows actors by their Ethereum addresses.
    let to = EthAddress::from_delegated(&to).map_or(to, |eth| eth.to_filecoin());
    let params = match call.codec {
        0 if call.params.is_empty() => None,
        CBOR | DAG_CBOR | IPLD_RAW => Some(IpldBlock {
            codec: call.codec,
            data: call.params.to_vec(),
        }),
        _ => return Ok(revert("sendAsync: codec must be 0, CBOR, DAG-CBOR or raw")),
    };
    let reply = (call.replySelector != FixedBytes::<4>::ZERO).then(|| ReplyTo {
        method: INVOKE_EVM,
        evm_selector: RawBytes::new(call.replySelector.to_vec()),
        gas_limit: call.replyGasLimit,
    });
    let reply_gas = reply.as_ref().map_or(0, |r| r.gas_limit);
    let params_len = params.as_ref().map_or(0, |p| p.data.len());
    let price = reservation(params_len, call.gasLimit, reply_gas);
    if price.round_up() > gas_limit {
        return Ok(revert(
            "sendAsync: the call's gas does not cover the reservation",
        ));
    }
    let req = AsyncRequest {
        to,
        method: call.method,
        params,
        value: u256_to_tokens(call.value),
        gas_limit: call.gasLimit,
        reply,
    };
    let id = match kernel.send_async(req) {
        Ok(id) => id,
        Err(ExecutionError::Syscall(_, msg)) => return Ok(revert(&format!("sendAsync: {msg}"))),
        Err(e) => return Err(e),
    };
    // Checked against the call's gas above, which the frame holds: this cannot run out.
    kernel.charge_gas("send_async", price)?;
    Ok(PrecompileCall {
        ok: true,
        output: Bytes::from(id.abi_encode()),
        used: price.as_milligas(),
    })
}
