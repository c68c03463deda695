// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.0;

/// @title Asynchronous messages from Solidity (docs/async.md).
/// @notice The async-send precompile lives at `TANDEM_ASYNC`. It queues a message from the
/// calling contract to any actor (built-in, native WASM or EVM); the VM delivers it in a later
/// block's system lane, in queue order, and, if a reply selector is given, then calls this
/// contract back with `replySelector ‖ abi.encode(uint64 id, uint32 exitCode, bytes ret)`
/// from `TANDEM_ASYNC_QUEUE`. Check `msg.sender == TANDEM_ASYNC_QUEUE` in the reply function:
/// nothing else can send from that address.
/// @dev Call it with CALL (a STATICCALL is refused). The gas limits of the delivery and of the
/// reply (at most 5,000,000 together) and the queue entry are paid by this call's gas:
/// forward enough. Value moves from this contract's balance through the `value` argument; a
/// CALL carrying its own value is refused. A refused send reverts with the reason (queue
/// full, too much gas, insufficient funds, malformed input).
interface ITandemAsync {
    /// @param target the callee's Filecoin address in byte form (an EVM contract's f410 form
    /// is `0x040a ‖ its 20-byte address`; an f0 ID address is `0x00 ‖ leb128(id)`; the f410
    /// form of a masked-ID address `0xff00…<id>` names that ID actor, as a CALL to it does).
    /// @param method FRC-42 method number; `INVOKE_EVM_METHOD` with codec 0x55 (raw) and the
    /// calldata as `params` to call an EVM contract.
    /// @param codec 0 (no params), 0x51 (CBOR), 0x71 (DAG-CBOR) or 0x55 (raw).
    /// @param gasLimit gas for the delivery.
    /// @param replySelector the function of this contract that receives the reply (0: none).
    /// @param replyGasLimit gas for the reply.
    /// @return id the message's place in the queue, also passed to the reply.
    function sendAsync(
        bytes calldata target,
        uint64 method,
        uint256 value,
        uint64 codec,
        bytes calldata params,
        uint64 gasLimit,
        bytes4 replySelector,
        uint64 replyGasLimit
    ) external returns (uint64 id);
}

/// The precompile's address.
address constant TANDEM_ASYNC = 0xfe00000000000000000000000000000000000010;

/// The queue actor (ID 11): every reply comes from it.
address constant TANDEM_ASYNC_QUEUE = 0xff0000000000000000000000000000000000000b;
