//! Synchronous calls across runtimes, end to end through the executor: a native WASM actor
//! (`evm-caller`) and EVM contracts (hand-assembled bytecode, deployed through the EAM) call
//! each other on one call stack, re-enter, and roll back together.

use crate::common;

use std::sync::Arc;

use common::evm_asm::{Asm, adder, assemble};
use common::*;
use fvm_ipld_encoding::{BytesDe, BytesSer};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use tandem_evm::EvmRuntime;
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::{INVOKE_EVM, method_number};
use tandem_vm::message::ApplyRet;
use tandem_wasm::WasmRuntime;

/// The EVM's REVERT exit code.
const EVM_REVERT: u32 = 33;

fn m(name: &str) -> u64 {
    method_number(name).unwrap()
}

fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    fvm_ipld_encoding::to_vec(v).unwrap()
}

fn word(n: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&n.to_be_bytes());
    w
}

/// A proxy with storage. Calldata: `target (word) ‖ mode (word) ‖ value (word) ‖ inner`.
/// slot0 += 1; CALL target with `inner` and `value`; slot2 = success.
/// On success: slot1 = first word of the return data, then mode 1 reverts with the return
/// data, any other mode returns it. On failure: mode 2 swallows it (STOP), any other mode
/// reverts with the callee's revert data.
fn proxy_code() -> Vec<u8> {
    use Asm::*;
    assemble(&[
        // slot0 += 1
        Push(0),
        Op(0x54), // SLOAD
        Push(1),
        Op(0x01), // ADD
        Push(0),
        Op(0x55), // SSTORE
        // mem[0..] = calldata[96..]
        Push(96),
        Op(0x36), // CALLDATASIZE
        Op(0x03), // SUB -> size
        Op(0x80), // DUP1
        Push(96),
        Push(0),
        Op(0x37), // CALLDATACOPY
        // CALL(gas, target, value, 0, size, 0, 0)
        Push(0),
        Push(0),
        Op(0x82), // DUP3 size
        Push(0),
        Push(64),
        Op(0x35), // value
        Push(0),
        Op(0x35), // target
        Op(0x5a), // GAS
        Op(0xf1), // CALL
        Op(0x80), // DUP1
        Push(2),
        Op(0x55), // slot2 = success
        PushLabel("ok"),
        Op(0x57), // JUMPI
        // failure
        Push(32),
        Op(0x35), // mode
        Push(2),
        Op(0x14), // EQ
        PushLabel("swallow"),
        Op(0x57),
        Op(0x3d), // RETURNDATASIZE
        Push(0),
        Push(0),
        Op(0x3e), // RETURNDATACOPY
        Op(0x3d),
        Push(0),
        Op(0xfd), // REVERT
        Label("swallow"),
        Op(0x00), // STOP
        Label("ok"),
        Op(0x3d),
        Push(0),
        Push(0),
        Op(0x3e), // RETURNDATACOPY
        Push(0),
        Op(0x51), // MLOAD
        Push(1),
        Op(0x55), // slot1 = first word
        Push(32),
        Op(0x35), // mode
        Push(1),
        Op(0x14), // EQ
        PushLabel("revert"),
        Op(0x57),
        Op(0x3d),
        Push(0),
        Op(0xf3), // RETURN
        Label("revert"),
        Op(0x3d),
        Push(0),
        Op(0xfd), // REVERT
    ])
}

/// Calldata for [`proxy`].
fn proxy_call(target: [u8; 20], mode: u64, value: u64, inner: &[u8]) -> Vec<u8> {
    let mut t = [0u8; 32];
    t[12..].copy_from_slice(&target);
    let mut data = t.to_vec();
    data.extend(word(mode));
    data.extend(word(value));
    data.extend_from_slice(inner);
    data
}

/// `0xdeadbeef ‖ to ‖ calldata`: the evm-caller calls `to` with `calldata` first.
fn callback(to: [u8; 20], calldata: &[u8]) -> Vec<u8> {
    let mut data = vec![0xde, 0xad, 0xbe, 0xef];
    data.extend_from_slice(&to);
    data.extend_from_slice(calldata);
    data
}

struct World {
    c: TestChain,
    caller: Address,
    caller_eth: [u8; 20],
}

/// A chain with the EVM runtime (the WASM runtime is registered last by `chain_with`) and
/// the evm-caller actor.
fn world() -> World {
    let mut c = chain_with(
        Arc::new(WasmRuntime::new(None).unwrap()),
        vec![Arc::new(EvmRuntime::new())],
    );
    let caller = c.deploy(&actors::wasm("evm-caller"), vec![]);
    let caller_eth = EthAddress::from_id(caller.id().unwrap()).0;
    World {
        c,
        caller,
        caller_eth,
    }
}

impl World {
    fn deploy_evm(&mut self, runtime: &[u8]) -> (Address, [u8; 20]) {
        self.c.deploy_evm(runtime)
    }

    fn send_value(&mut self, to: Address, method: u64, params: Vec<u8>, value: u128) -> ApplyRet {
        self.c.send_value(to, method, params, value)
    }

    /// Calls an EVM contract from account 0 (calldata as a CBOR byte string).
    fn call_evm(&mut self, contract: Address, calldata: &[u8], value: u128) -> ApplyRet {
        self.send_value(contract, INVOKE_EVM, cbor(&BytesSer(calldata)), value)
    }

    fn count(&mut self) -> u128 {
        let ret = self.c.call(self.caller, m("Count"), vec![]);
        assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
        let n: TokenAmount = ret.receipt.return_data.deserialize().unwrap();
        u128::try_from(n.atto()).unwrap()
    }

    fn slot(&mut self, contract: Address, slot: u64) -> [u8; 32] {
        let state = &mut self.c.exec.machine.state;
        let (v, _) = state.slot_get(contract.id().unwrap(), &word(slot)).unwrap();
        state.end_message().unwrap();
        v
    }

    fn balance(&mut self, who: Address) -> TokenAmount {
        let id = self.c.id_of(&who);
        self.c
            .exec
            .machine
            .state
            .get_actor(id)
            .unwrap()
            .unwrap()
            .balance
    }
}

fn add_calldata(a: u64, b: u64) -> Vec<u8> {
    let mut data = vec![0x77, 0x16, 0x02, 0xf7]; // add(uint256,uint256)
    data.extend(word(a));
    data.extend(word(b));
    data
}

#[test]
fn native_calls_evm_with_solidity_calldata() {
    let mut w = world();
    let (_, adder_eth) = w.deploy_evm(&adder());
    let adder_f410 = EthAddress(adder_eth).to_filecoin();
    let params = cbor(&(
        BytesSer(&adder_f410.to_bytes()),
        BytesSer(&add_calldata(2, 40)),
    ));
    let ret = w.c.call(w.caller, m("CallEvm"), params);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let out: BytesDe = ret.receipt.return_data.deserialize().unwrap();
    assert_eq!(out.0, word(42));

    // A reverting contract: the native caller aborts with the EVM's exit code.
    let (_, reverter_eth) = w.deploy_evm(&[0x60, 0x00, 0x60, 0x00, 0xfd]);
    let params = cbor(&(
        BytesSer(&EthAddress(reverter_eth).to_filecoin().to_bytes()),
        BytesSer(&add_calldata(1, 1)),
    ));
    let ret = w.c.call(w.caller, m("CallEvm"), params);
    assert_eq!(ret.receipt.exit_code, ExitCode::new(EVM_REVERT));
}

#[test]
fn evm_calls_native_through_its_masked_id_address() {
    let mut w = world();
    let (proxy, _) = w.deploy_evm(&proxy_code());
    let inner = add_calldata(1, 2); // any Solidity calldata
    let ret = w.call_evm(proxy, &proxy_call(w.caller_eth, 0, 0, &inner), 0);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    // The native actor's ABI answer (its count, 1) came back to the contract...
    assert_eq!(ret.receipt.return_data.bytes(), word(1));
    assert_eq!(w.slot(proxy, 1), word(1));
    assert_eq!(w.slot(proxy, 2), word(1)); // success
    // ...and the native actor's own state changed.
    assert_eq!(w.count(), 1);

    // The call can carry value: it reaches the native actor's balance.
    let before = w.balance(w.caller);
    let ret = w.call_evm(proxy, &proxy_call(w.caller_eth, 0, 5, &inner), 5);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert_eq!(ret.receipt.return_data.bytes(), word(2));
    assert_eq!(w.balance(w.caller), before + TokenAmount::from_atto(5u8));
}

#[test]
fn native_evm_native_reentrancy() {
    let mut w = world();
    let (proxy, proxy_eth) = w.deploy_evm(&proxy_code());

    // CallEvm: evm-caller -> proxy -> evm-caller (InvokeEVM) on one stack.
    let params = cbor(&(
        BytesSer(&EthAddress(proxy_eth).to_filecoin().to_bytes()),
        BytesSer(&proxy_call(w.caller_eth, 0, 0, b"\x12\x34\x56\x78")),
    ));
    let ret = w.c.call(w.caller, m("CallEvm"), params);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let out: BytesDe = ret.receipt.return_data.deserialize().unwrap();
    assert_eq!(out.0, word(1));
    assert_eq!(w.count(), 1);

    // InvokeEVM with a callback: the actor writes (count 2), calls the proxy, which calls
    // back into the same actor (count 3, seen by the proxy), and the outer frame returns.
    let ret = w.send_value(
        w.caller,
        INVOKE_EVM,
        callback(proxy_eth, &proxy_call(w.caller_eth, 0, 0, b"")),
        0,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert_eq!(ret.receipt.return_data.bytes(), word(2));
    assert_eq!(w.slot(proxy, 1), word(3));
    assert_eq!(w.slot(proxy, 0), word(2));
    assert_eq!(w.count(), 3);
}

#[test]
fn a_revert_at_depth_rolls_back_every_runtime() {
    let mut w = world();
    let (proxy, proxy_eth) = w.deploy_evm(&proxy_code());
    // Fund the proxy so that it can pay value to the native actor.
    let ret = w.call_evm(proxy, &proxy_call(w.caller_eth, 0, 0, b""), 1_000);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert_eq!(w.count(), 1);
    w.c.exec.flush().unwrap();

    let snapshot = |w: &mut World| {
        (
            w.count(),
            w.slot(proxy, 0),
            w.slot(proxy, 1),
            w.slot(proxy, 2),
            w.balance(proxy),
            w.balance(w.caller),
        )
    };
    let before = snapshot(&mut w);
    let sender_before = w.balance(w.c.addr(0));

    // native (count += 1, receives 100) -> EVM (slot0 += 1, pays 7) -> the same native
    // actor (count += 1, receives 7) -> back in the EVM (slot1 = 3) -> REVERT. The native
    // caller fails with the revert; the whole message is rolled back.
    let ret = w.send_value(
        w.caller,
        INVOKE_EVM,
        callback(proxy_eth, &proxy_call(w.caller_eth, 1, 7, b"")),
        100,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::new(EVM_REVERT));
    // The sender paid the gas only: the 100 came back.
    let fees = &ret.gas.base_fee_burn + &ret.gas.miner_tip;
    assert_eq!(w.balance(w.c.addr(0)), sender_before - fees);
    assert_eq!(snapshot(&mut w), before);

    // A caught revert rolls back only the subtree beneath it: outer proxy (slot0 += 1) ->
    // native (count += 1) -> inner proxy (slot0 += 1) -> native (count += 1) -> inner
    // reverts -> native aborts -> the outer proxy swallows the failure and succeeds.
    let (inner, inner_eth) = w.deploy_evm(&proxy_code());
    let before = snapshot(&mut w);
    let inner_slot0 = w.slot(inner, 0);
    let ret = w.call_evm(
        proxy,
        &proxy_call(
            w.caller_eth,
            2,
            7,
            &callback(inner_eth, &proxy_call(w.caller_eth, 1, 0, b"")),
        ),
        0,
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let after = snapshot(&mut w);
    assert_eq!(after.0, before.0, "native count rolled back");
    assert_eq!(after.1, word(2), "the outer proxy's own write survives");
    assert_eq!(after.2, before.2);
    assert_eq!(after.3, word(0), "the outer proxy saw the failure");
    assert_eq!(after.4, before.4, "the 7 atto came back");
    assert_eq!(after.5, before.5);
    assert_eq!(w.slot(inner, 0), inner_slot0, "the inner proxy rolled back");
}

/// `STATICCALL(target = calldata[0..32], input = calldata[32..])`; returns the success flag.
fn static_probe() -> Vec<u8> {
    use Asm::*;
    assemble(&[
        Push(32),
        Op(0x36), // CALLDATASIZE
        Op(0x03), // SUB -> size
        Op(0x80), // DUP1
        Push(32),
        Push(0),
        Op(0x37), // CALLDATACOPY
        Push(0),
        Push(0),
        Op(0x82), // DUP3 size
        Push(0),
        Push(0),
        Op(0x35), // target
        Op(0x5a), // GAS
        Op(0xfa), // STATICCALL
        Push(0),
        Op(0x52), // MSTORE
        Push(32),
        Push(0),
        Op(0xf3), // RETURN
    ])
}

#[test]
fn a_staticcall_keeps_the_native_actor_read_only() {
    let mut w = world();
    let (probe, _) = w.deploy_evm(&static_probe());
    let mut data = [0u8; 12].to_vec();
    data.extend_from_slice(&w.caller_eth);
    data.extend(word(7));
    // The evm-caller writes its count on InvokeEVM: refused in a static frame.
    let ret = w.call_evm(probe, &data, 0);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert_eq!(ret.receipt.return_data.bytes(), word(0));
    assert_eq!(w.count(), 0);
    // The same probe succeeds against a pure EVM contract (the address form is not the issue).
    let (_, adder_eth) = w.deploy_evm(&adder());
    let mut data = [0u8; 12].to_vec();
    data.extend_from_slice(&adder_eth);
    data.extend(add_calldata(1, 2));
    let ret = w.call_evm(probe, &data, 0);
    assert_eq!(ret.receipt.return_data.bytes(), word(1));
}
