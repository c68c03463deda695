//! Gas charges in traces: with a tracer on, every charge is recorded, by price-list name, in
//! the frame that makes it (or the message's, outside frames). The sums must add up to what
//! the receipts and frames report, each named price must be what the price list says, and
//! tracing must not change the gas.

use crate::common;

use std::sync::Arc;

use common::evm_asm::adder;
use common::*;
use fvm_ipld_encoding::{BytesSer, RawBytes};
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use tandem_evm::EvmRuntime;
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::method_number;
use tandem_vm::gas::{Gas, PRICE_LIST};
use tandem_vm::message::ApplyRet;
use tandem_vm::trace::{GasCharge, Tracer};
use tandem_wasm::WasmRuntime;

fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    fvm_ipld_encoding::to_vec(v).unwrap()
}

/// Runs `f` with a tracer on; its receipt and the trace.
fn traced(c: &mut TestChain, f: impl FnOnce(&mut TestChain) -> ApplyRet) -> (ApplyRet, Tracer) {
    c.exec.machine.tracer = Some(Box::new(Tracer::new(None)));
    let ret = f(c);
    let tracer = c
        .exec
        .machine
        .tracer
        .take()
        .expect("the tracer is still there");
    (ret, *tracer)
}

fn charge<'a>(list: &'a [GasCharge], name: &str) -> &'a GasCharge {
    list.iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name:?} charge in {list:?}"))
}

/// Every frame that succeeded used exactly what it and the frames under it were charged.
fn assert_frames_add_up(t: &Tracer) {
    for (i, f) in t.frames.iter().enumerate() {
        if f.failed() {
            continue;
        }
        let subtree = t.flatten(i).iter().fold(Gas::ZERO, |acc, (j, _)| {
            t.frames[*j]
                .gas_charges
                .iter()
                .fold(acc, |acc, c| acc + c.gas)
        });
        assert_eq!(
            subtree.round_up(),
            f.gas_used,
            "frame {i}: {:?}",
            f.gas_charges
        );
    }
}

#[test]
fn a_native_transfer_s_gas_is_accounted_for_by_name() {
    let mut c = chain();
    let supply = TokenAmount::from_atto(1_000_000u64);
    let token = c.deploy(&actors::wasm("token"), cbor(&("Gas", "GAS", supply)));
    let transfer = method_number("Transfer").unwrap();
    let bob = c.addr(1);
    let params = cbor(&(RawBytes::new(bob.to_bytes()), TokenAmount::from_atto(5u8)));
    // Bob holds some already, so the next two transfers do the same work.
    let first = c.call(token, transfer, params.clone());
    assert_eq!(first.receipt.exit_code, ExitCode::OK, "{:?}", first.failure);

    let (ret, t) = traced(&mut c, |c| c.call(token, transfer, params.clone()));
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let untraced = c.call(token, transfer, params.clone());
    assert_eq!(
        untraced.receipt.gas_used, ret.receipt.gas_used,
        "tracing changed the gas"
    );

    let roots: Vec<usize> = t.roots().collect();
    assert_eq!(roots.len(), 1);
    let root = &t.frames[roots[0]];
    assert_eq!(
        t.message_gas_total(roots[0]).round_up(),
        ret.receipt.gas_used,
        "the charges add up to the receipt: message {:?}, frame {:?}",
        root.message_gas,
        root.gas_charges
    );
    assert_frames_add_up(&t);

    // The message's own price, outside the frame.
    let message = charge(&root.message_gas, "message");
    assert_eq!(message.count, 1);
    assert_eq!(
        message.gas,
        PRICE_LIST.message_base
            + PRICE_LIST
                .message_param_byte
                .saturating_mul(params.len() as u64)
    );
    // The frame's, by name and at the price list's prices.
    let own = &root.gas_charges;
    assert_eq!(charge(own, "invoke").gas, PRICE_LIST.method_invocation);
    let syscalls = charge(own, "syscall");
    assert_eq!(
        syscalls.gas,
        PRICE_LIST.syscall.saturating_mul(syscalls.count)
    );
    assert_eq!(charge(own, "slot_get").count, 2, "two balances read");
    assert_eq!(charge(own, "slot_set").count, 2, "two balances written");
    assert_eq!(charge(own, "event").count, 1, "one Transfer event");
    assert_eq!(charge(own, "event_entries").count, 1);
    assert!(charge(own, "instantiate").gas.is_positive());
    let exec = charge(own, "wasm_exec");
    assert!(exec.gas.is_positive() && exec.count >= syscalls.count);
    // No charge is recorded twice under one name.
    let mut names: Vec<&str> = own.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), own.len());
}

#[test]
fn each_runtime_s_frame_keeps_its_own_charges() {
    let mut c = chain_with(
        Arc::new(WasmRuntime::new(None).unwrap()),
        vec![Arc::new(EvmRuntime::new())],
    );
    let caller = c.deploy(&actors::wasm("evm-caller"), vec![]);
    let (_, adder_eth) = c.deploy_evm(&adder());
    let mut calldata = vec![0x77, 0x16, 0x02, 0xf7]; // add(uint256,uint256)
    calldata.extend([0u8; 31].iter().chain(&[2u8]));
    calldata.extend([0u8; 31].iter().chain(&[40u8]));
    let params = cbor(&(
        BytesSer(&EthAddress(adder_eth).to_filecoin().to_bytes()),
        BytesSer(&calldata),
    ));
    let call_evm = method_number("CallEvm").unwrap();
    let (ret, t) = traced(&mut c, |c| c.call(caller, call_evm, params.clone()));
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);

    let root = t.roots().next().expect("a top-level frame");
    assert_eq!(t.message_gas_total(root).round_up(), ret.receipt.gas_used);
    assert_frames_add_up(&t);
    let native = &t.frames[root];
    assert_eq!(native.runtime, Some("wasm"));
    let &[evm_frame] = native.children.as_slice() else {
        panic!("one call into the EVM: {:?}", native.children)
    };
    let evm = &t.frames[evm_frame];
    assert_eq!(evm.runtime, Some("evm"));
    assert!(charge(&evm.gas_charges, "evm").gas.is_positive());
    // The native frame's instructions are its own; the EVM's are the EVM frame's.
    assert!(evm.gas_charges.iter().all(|c| c.name != "wasm_exec"));
    assert!(native.gas_charges.iter().all(|c| c.name != "evm"));

    // A second message on the same tracer starts its own account.
    let (second, t) = traced(&mut c, |c| {
        c.call(caller, call_evm, params.clone());
        c.call(caller, call_evm, params.clone())
    });
    let roots: Vec<usize> = t.roots().collect();
    assert_eq!(roots.len(), 2);
    assert_eq!(
        t.message_gas_total(roots[1]).round_up(),
        second.receipt.gas_used
    );
    assert_eq!(charge(&t.frames[roots[1]].message_gas, "message").count, 1);
}

/// Each syscall's WASM parameters, by name. Checked against the ABI's list, and (by
/// instantiating against the real linker) against the VM's definitions.
const SYSCALL_PARAMS: &[(&str, &str)] = &[
    ("ipld_block_open", "i32 i32 i32"),
    ("ipld_block_create", "i64 i32 i32 i32"),
    ("ipld_block_read", "i32 i32 i32 i32 i32"),
    ("ipld_block_stat", "i32 i32"),
    ("ipld_block_link", "i32 i32 i32 i32"),
    ("self_root", "i32 i32 i32"),
    ("self_set_root", "i32 i32"),
    ("self_balance", "i32"),
    ("slot_get", "i32 i32"),
    ("slot_set", "i32 i32"),
    ("transient_get", "i32 i32"),
    ("transient_set", "i32 i32"),
    ("msg_context", "i32"),
    ("gas_available", "i32"),
    ("network_context", "i32"),
    ("actor_resolve", "i32 i32 i32"),
    ("actor_lookup_delegated", "i64 i32 i32 i32"),
    ("actor_code", "i64 i32 i32 i32"),
    ("actor_balance", "i64 i32"),
    ("actor_code_size", "i64 i32"),
    ("actor_create", "i32 i32 i32 i64 i64 i32"),
    ("send", "i32 i32 i64 i32 i64 i64 i64 i64 i32"),
    ("send_async", "i32 i32 i64 i32 i64 i64 i64 i64 i64 i32"),
    ("crypto_hash", "i32 i32 i32 i32"),
    ("crypto_recover_secp256k1", "i32 i32 i32"),
    ("event_emit", "i32"),
    ("event_emit_data", "i32 i32"),
    ("rand_get", "i64 i64 i32 i32 i32"),
    ("debug_enabled", ""),
    ("debug_log", "i32 i32"),
    ("vm_abort", "i32 i32 i32 i32"),
    ("msg_creator", "i32"),
];

/// A module whose every invocation calls `name` once, with zeros for arguments.
fn calls_once(name: &str, params: &str) -> Vec<u8> {
    let zeros: String = params
        .split_whitespace()
        .map(|t| format!("({t}.const 0) "))
        .collect();
    wat(&format!(
        r#"(module
          (import "tandem_v1" "{name}" (func $sys (param {params}) (result i32)))
          (memory (export "memory") 1)
          (func (export "invoke") (param i32) (result i32)
            (drop (call $sys {zeros}))
            (i32.const 0)))"#
    ))
}

/// A syscall no gas is charged for can be called in a loop for a few instructions' gas each:
/// the host's round trip (~40 ns) would then run ~10× under the calibrated rate. Every
/// syscall but `vm_abort` (which ends the frame) pays the syscall price, once per call.
#[test]
fn every_syscall_pays_the_syscall_price() {
    let mut names: Vec<&str> = SYSCALL_PARAMS.iter().map(|(n, _)| *n).collect();
    let mut abi = tandem_abi::SYSCALL_NAMES.to_vec();
    names.sort_unstable();
    abi.sort_unstable();
    assert_eq!(names, abi, "the table above lists every syscall");

    let mut c = chain();
    for (name, params) in SYSCALL_PARAMS {
        if *name == "vm_abort" {
            continue;
        }
        let actor = c.deploy(&calls_once(name, params), vec![]);
        let (ret, t) = traced(&mut c, |c| c.call(actor, 2, vec![]));
        assert_eq!(
            ret.receipt.exit_code,
            ExitCode::OK,
            "{name}: {:?}",
            ret.failure
        );
        let root = &t.frames[t.roots().next().expect("one message")];
        let paid = root
            .gas_charges
            .iter()
            .find(|c| c.name == "syscall")
            .unwrap_or_else(|| panic!("{name} charged no syscall price: {:?}", root.gas_charges));
        assert_eq!(paid.count, 1, "{name}");
        assert_eq!(paid.gas, PRICE_LIST.syscall, "{name}");
    }
}
