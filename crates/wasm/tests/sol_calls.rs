//! The SDK's typed Solidity-ABI helper (`tandem_sdk::sol`, feature `sol`) end to end: the
//! evm-caller actor's `Add` calls an EVM contract's `add(uint256,uint256)` with `sol!`
//! types, and reverts come back decoded — `Error(string)` as the abort message with the
//! EVM's exit code, the interface's custom error `Overflow(uint256,uint256)` as a typed
//! value the actor matches on.

use crate::common;

use std::sync::Arc;

use alloy_sol_types::{Revert, SolError, sol};
use common::*;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use tandem_actors::eam::CreateReturn;
use tandem_evm::EvmRuntime;
use tandem_vm::builtin::EAM_ACTOR_ID;
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::method_number;
use tandem_vm::message::ApplyRet;
use tandem_wasm::WasmRuntime;

sol! {
    error Overflow(uint256 a, uint256 b);
}

/// EAM CreateExternal.
const CREATE_EXTERNAL: u64 = 4;

/// Init code that deploys `runtime` (at most 255 bytes).
fn initcode(runtime: &[u8]) -> Vec<u8> {
    let n = u8::try_from(runtime.len()).unwrap();
    // PUSH1 n DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN
    let mut code = vec![0x60, n, 0x80, 0x60, 11, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    code.extend_from_slice(runtime);
    code
}

/// Returns `calldata[4..36] + calldata[36..68]`, as `add(uint256,uint256)` would.
fn adder() -> Vec<u8> {
    // PUSH1 0x24 CALLDATALOAD PUSH1 4 CALLDATALOAD ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    vec![
        0x60, 0x24, 0x35, 0x60, 0x04, 0x35, 0x01, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3,
    ]
}

/// Reverts with `data` whatever the calldata.
fn reverter(data: &[u8]) -> Vec<u8> {
    let n = u8::try_from(data.len()).unwrap();
    // PUSH1 n PUSH1 12 PUSH1 0 CODECOPY PUSH1 n PUSH1 0 REVERT, then the data
    let mut code = vec![
        0x60, n, 0x60, 12, 0x60, 0x00, 0x39, 0x60, n, 0x60, 0x00, 0xfd,
    ];
    code.extend_from_slice(data);
    code
}

fn deploy_evm(c: &mut TestChain, runtime: &[u8]) -> Address {
    let params = fvm_ipld_encoding::to_vec(&RawBytes::new(initcode(runtime))).unwrap();
    let ret = c.call(Address::new_id(EAM_ACTOR_ID), CREATE_EXTERNAL, params);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let r: CreateReturn = ret.receipt.return_data.deserialize().unwrap();
    EthAddress(r.eth_address).to_filecoin()
}

fn add(c: &mut TestChain, caller: Address, contract: &Address, a: u64, b: u64) -> ApplyRet {
    let params =
        fvm_ipld_encoding::to_vec(&(fvm_ipld_encoding::BytesSer(&contract.to_bytes()), a, b))
            .unwrap();
    c.call(caller, method_number("Add").unwrap(), params)
}

#[test]
fn typed_calls_and_typed_reverts() {
    let mut c = chain_with(
        Arc::new(WasmRuntime::new(None).unwrap()),
        vec![Arc::new(EvmRuntime::new())],
    );
    let caller = c.deploy(&actors::wasm("evm-caller"), vec![]);

    let adder = deploy_evm(&mut c, &adder());
    let ret = add(&mut c, caller, &adder, 2, 40);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{}", message(&ret));
    let sum: TokenAmount = ret.receipt.return_data.deserialize().unwrap();
    assert_eq!(sum, TokenAmount::from_atto(42u64));

    // Error(string): the EVM's exit code and the decoded reason.
    let nope = deploy_evm(&mut c, &reverter(&Revert::from("nope").abi_encode()));
    let ret = add(&mut c, caller, &nope, 1, 1);
    assert_eq!(ret.receipt.exit_code, ExitCode::new(33));
    assert_eq!(message(&ret), "EVM call reverted: Error(\"nope\")");

    // The interface's custom error, matched by the actor as a typed value.
    let overflow = Overflow {
        a: alloy_sol_types::private::U256::from(7u64),
        b: alloy_sol_types::private::U256::from(9u64),
    };
    let typed = deploy_evm(&mut c, &reverter(&overflow.abi_encode()));
    let ret = add(&mut c, caller, &typed, 7, 9);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_ILLEGAL_ARGUMENT);
    assert_eq!(message(&ret), "overflow: 7 + 9");

    // An empty revert, and a call to an address with no contract (an empty success that
    // does not decode as a uint256).
    let empty = deploy_evm(&mut c, &[0x60, 0x00, 0x60, 0x00, 0xfd]);
    let ret = add(&mut c, caller, &empty, 1, 1);
    assert_eq!(ret.receipt.exit_code, ExitCode::new(33));
    assert_eq!(message(&ret), "EVM call reverted");
    let nobody = EthAddress([0x42; 20]).to_filecoin();
    let ret = add(&mut c, caller, &nobody, 1, 1);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_SERIALIZATION);
    assert_eq!(
        message(&ret),
        "EVM call returned 0 bytes that do not decode"
    );
}
