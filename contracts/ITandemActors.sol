// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.0;

/// @title Calling any Tandem actor from Solidity.
/// @notice The call-actor precompile lives at `TANDEM_ACTORS`. It sends a message to any actor
/// (built-in, native WASM or EVM) with an explicit FRC-42 method number, value, flags and CBOR
/// parameters, through Tandem's call manager, in the same transaction and call stack.
/// @dev Call it with CALL or STATICCALL (a STATICCALL makes the callee read-only). Value moves
/// from the calling contract's balance through the `value` argument; a CALL carrying its own
/// value is refused. The precompile reverts only on malformed input; every outcome of the
/// callee comes back as `exitCode`:
///  - 0: success; `data` is the callee's return block (`codec` 0 when it returned none);
///  - > 0: the callee's exit code (33 = an EVM callee reverted, `data` = revert data);
///  - < 0: the send was refused before the callee ran (minus the VM's error number, e.g.
///    insufficient funds, no such actor, read-only frame).
interface ITandemActors {
    /// Calls actor `actorId` (the f0 number; an EVM address `0xff00…00<id>` masks the same ID).
    /// @param method FRC-42 method number (0 = plain value transfer, 1 = constructor).
    /// @param value attoFIL (= wei) moved from this contract to the callee.
    /// @param flags bit 0: read-only.
    /// @param codec 0 (no params) or 0x51 (CBOR) / 0x71 (DAG-CBOR).
    /// @param params the parameter block.
    function callActor(uint64 actorId, uint64 method, uint256 value, uint64 flags, uint64 codec, bytes calldata params)
        external
        returns (int256 exitCode, uint64 returnCodec, bytes memory data);

    /// Same, addressing the callee by a Filecoin address in its byte form (f0/f1/f2/f3/f4).
    function callActorByAddress(bytes calldata filAddress, uint64 method, uint256 value, uint64 flags, uint64 codec, bytes calldata params)
        external
        returns (int256 exitCode, uint64 returnCodec, bytes memory data);
}

/// The precompile's address.
address constant TANDEM_ACTORS = 0xfe00000000000000000000000000000000000003;

/// FRC-42 number of "InvokeEVM": the method under which every actor receives Solidity-ABI
/// calldata. A plain Solidity call to an actor's address uses it.
uint64 constant INVOKE_EVM_METHOD = 3844450837;
