//! The call-actor precompile: Solidity reaching any actor by ID or address.

use crate::common;

use alloy_primitives::{Bytes, I256, U256};
use alloy_sol_types::SolCall;
use alloy_sol_types::SolValue;
use common::Chain;
use tandem_evm::actor_precompile::{CALL_ACTOR, callActorCall};

/// Forwards its calldata to the precompile and returns what it returned.
fn forwarder() -> Vec<u8> {
    let mut runtime = vec![
        0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, 0x60, 0x00,
        0x73,
    ];
    runtime.extend_from_slice(&CALL_ACTOR);
    runtime.extend_from_slice(&[
        0x5a, 0xf1, 0x50, 0x3d, 0x60, 0x00, 0x60, 0x00, 0x3e, 0x3d, 0x60, 0x00, 0xf3,
    ]);
    let n = runtime.len();
    let mut code = vec![
        0x60, n as u8, 0x80, 0x60, 11, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    code.extend(runtime);
    code
}

fn decode(out: &[u8]) -> (I256, u64, Bytes) {
    <(I256, u64, Bytes)>::abi_decode_params(out).expect("precompile output")
}

#[test]
fn call_actor_moves_value_and_reports_exit_codes() {
    let mut chain = Chain::new(2);
    let fwd = chain.deploy(0, &forwarder(), &[]);
    let bob = chain.address(1);
    let bob_id = chain
        .exec
        .machine
        .state
        .lookup_id(&tandem_vm::eth::EthAddress(bob.into_array()).to_filecoin())
        .unwrap()
        .unwrap();

    // Method 0 to bob's actor ID moves 5 wei out of the forwarder's balance.
    let call = callActorCall {
        actorId: bob_id,
        method: 0,
        value: U256::from(5),
        flags: 0,
        codec: 0,
        params: Bytes::new(),
    };
    let before = chain.root();
    let r = chain.send(0, fwd, call.abi_encode(), U256::from(10));
    assert!(r.success, "{:?}", r.failure);
    let (exit, _, _) = decode(&r.output);
    assert_eq!(exit, I256::ZERO);
    assert_ne!(chain.root(), before);

    // An actor ID that does not exist: a negative exit code (a refused send), not a revert.
    let call = callActorCall {
        actorId: 999_999,
        method: 0,
        value: U256::from(1),
        flags: 0,
        codec: 0,
        params: Bytes::new(),
    };
    let r = chain.send(0, fwd, call.abi_encode(), U256::ZERO);
    assert!(r.success);
    let (exit, _, _) = decode(&r.output);
    assert!(exit < I256::ZERO, "got {exit}");

    // Read-only flag: moving value is refused.
    let call = callActorCall {
        actorId: bob_id,
        method: 0,
        value: U256::from(1),
        flags: 1,
        codec: 0,
        params: Bytes::new(),
    };
    let r = chain.send(0, fwd, call.abi_encode(), U256::ZERO);
    let (exit, _, _) = decode(&r.output);
    assert!(exit != I256::ZERO);

    // Malformed input reverts.
    let r = chain.send(0, fwd, vec![1, 2, 3], U256::ZERO);
    assert!(r.output.starts_with(b"callActor"));
}

/// The ID of the actor at an Ethereum address.
fn id_of(chain: &mut Chain, addr: alloy_primitives::Address) -> u64 {
    chain
        .exec
        .machine
        .state
        .lookup_id(&tandem_vm::eth::EthAddress(addr.into_array()).to_filecoin())
        .unwrap()
        .unwrap()
}

/// Method 6 runs delegated code on the receiver's storage: only a DELEGATECALL may enter a
/// frame that way. Sent from outside (here through the call-actor precompile, with code
/// that writes slot 0), it would let anyone run any code against any contract's storage.
#[test]
fn delegated_code_runs_only_through_a_delegate_call() {
    let mut chain = Chain::new(2);
    let fwd = chain.deploy(0, &forwarder(), &[]);
    // The victim's runtime code: STOP; its slot 0 stays 0 unless someone else's code runs.
    let victim = chain.deploy(0, &tandem_evm::initcode::deploying(&[0x00]), &[]);
    // SSTORE(0, 0x66)
    let evil = chain.deploy(
        0,
        &tandem_evm::initcode::deploying(&[0x60, 0x66, 0x5f, 0x55, 0x00]),
        &[],
    );
    let (victim_id, evil_id) = (id_of(&mut chain, victim), id_of(&mut chain, evil));
    let evil_code = chain
        .exec
        .machine
        .state
        .get_actor(evil_id)
        .unwrap()
        .unwrap()
        .state;
    let params = tandem_evm::runtime::DelegateParams {
        code: evil_code,
        caller: [0x11; 20],
        value: [0; 32],
        input: &[],
    }
    .encode()
    .unwrap();
    let call = callActorCall {
        actorId: victim_id,
        method: tandem_evm::runtime::METHOD_INVOKE_DELEGATE,
        value: U256::ZERO,
        flags: 0,
        codec: 0x71,
        params: Bytes::from(params),
    };
    let r = chain.send(0, fwd, call.abi_encode(), U256::ZERO);
    assert!(r.success, "{:?}", r.failure);
    let (exit, _, _) = decode(&r.output);
    assert_ne!(exit, I256::ZERO, "a sent method 6 must be refused");
    assert_eq!(chain.storage(victim, U256::ZERO), U256::ZERO);
}
