//! Bad input never panics: each case gets a clear error (nothing changes) or a failed receipt
//! (only the nonce and the gas payment change).

use crate::common;

use alloy_consensus::{TxEip1559, TxLegacy};
use alloy_primitives::{Bytes, TxKind, U256};
use common::{CHAIN_ID, Chain, sign_tx};
use tandem_evm::tx::TxError;

use tandem_evm::initcode::deploying as deployer;

fn tx(
    nonce: u64,
    gas: u64,
    to: Option<alloy_primitives::Address>,
    data: Vec<u8>,
    chain_id: u64,
) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: to.map(TxKind::Call).unwrap_or(TxKind::Create),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(data),
    }
}

#[test]
fn rejected_transactions_change_nothing() {
    let mut chain = Chain::new(2);
    let bob = chain.address(1);
    let before = chain.root();
    let key = chain.accounts[0].key.clone();

    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0xc0, 0x01, 0x02], "malformed"),
        (vec![0x02, 0xff], "malformed"),
        (vec![], "malformed"),
        (
            sign_tx(&key, tx(0, 21_000, Some(bob), vec![], 999)),
            "chain",
        ),
        (
            sign_tx(&key, tx(5, 21_000, Some(bob), vec![], CHAIN_ID)),
            "nonce",
        ),
        (
            sign_tx(&key, tx(0, 20_000, Some(bob), vec![], CHAIN_ID)),
            "intrinsic",
        ),
        (
            sign_tx(&key, tx(0, 1_000_000, None, vec![0; 49_153], CHAIN_ID)),
            "initcode",
        ),
        (
            sign_tx(&key, tx(0, 60_000_000, Some(bob), vec![], CHAIN_ID)),
            "block gas",
        ),
    ];
    for (raw, what) in cases {
        let err = chain.send_raw(&raw).expect_err(what);
        let ok = match what {
            "malformed" => matches!(err, TxError::Malformed(_)),
            "chain" => matches!(err, TxError::WrongChainId { .. }),
            "nonce" => matches!(err, TxError::NonceMismatch { .. }),
            "intrinsic" => matches!(err, TxError::IntrinsicGasTooLow { .. }),
            "initcode" => matches!(err, TxError::InitCodeTooLarge(_)),
            _ => matches!(err, TxError::GasLimitAboveBlock { .. }),
        };
        assert!(ok, "{what}: unexpected error {err}");
        assert!(!err.to_string().is_empty());
    }

    // A signature that recovers nothing: r = s = 0 on a legacy transaction.
    let mut raw = sign_tx(
        &key,
        TxLegacy {
            chain_id: Some(CHAIN_ID),
            nonce: 0,
            gas_price: 2_000_000_000,
            gas_limit: 21_000,
            to: TxKind::Call(bob),
            value: U256::from(1),
            input: Bytes::new(),
        },
    );
    let len = raw.len();
    // The last 66 bytes are [0xa0 r(32) 0xa0 s(32)]: zero both.
    for b in &mut raw[len - 65..len - 33] {
        *b = 0;
    }
    for b in &mut raw[len - 32..] {
        *b = 0;
    }
    let err = chain.send_raw(&raw).expect_err("bad signature");
    assert!(
        matches!(err, TxError::BadSignature(_) | TxError::Malformed(_)),
        "{err}"
    );

    // Too poor: value above the balance.
    let mut big = tx(0, 21_000, Some(bob), vec![], CHAIN_ID);
    big.value = U256::MAX / U256::from(2);
    let err = chain.send_raw(&sign_tx(&key, big)).expect_err("funds");
    assert!(matches!(err, TxError::InsufficientFunds { .. }), "{err}");

    assert_eq!(chain.root(), before, "rejections left the state unchanged");
}

/// Deploys `runtime` and calls it with `gas`; returns the receipt.
fn run_code(chain: &mut Chain, runtime: &[u8], gas: u64) -> tandem_evm::tx::EthReceipt {
    let addr = chain.deploy(0, &deployer(runtime), &[]);
    let raw = chain.sign(0, Some(addr), vec![], U256::ZERO, gas);
    chain.send_raw(&raw).expect("applied")
}

#[test]
fn halting_code_fails_and_consumes_all_gas() {
    let mut chain = Chain::new(1);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("invalid opcode", vec![0xfe]),
        ("undefined opcode", vec![0x0c]),
        ("bad jump", vec![0x60, 0x03, 0x56, 0x00]),
        // JUMPDEST; PUSH1 0; PUSH1 0; JUMP — pushes forever.
        ("stack overflow", vec![0x5b, 0x60, 0x00, 0x60, 0x00, 0x56]),
        ("stack underflow", vec![0x01]),
        ("out of gas", vec![0x5b, 0x60, 0x00, 0x56]),
    ];
    for (what, code) in cases {
        let r = run_code(&mut chain, &code, 100_000);
        assert!(!r.success, "{what} succeeded");
        assert_eq!(r.gas_used, 100_000, "{what}: a halt consumes all gas");
        assert!(r.logs.is_empty());
    }
    // REVERT returns data and keeps the unused gas.
    let r = run_code(
        &mut chain,
        &[0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xfd],
        100_000,
    );
    assert!(!r.success);
    assert!(r.gas_used < 30_000);
    assert_eq!(U256::from_be_slice(&r.output), U256::from(42));
}

#[test]
fn oversized_code_fails_the_create() {
    let mut chain = Chain::new(1);
    // Init code that returns 24,577 bytes of memory (EIP-170).
    let init = vec![0x61, 0x60, 0x01, 0x60, 0x00, 0xf3];
    let raw = chain.sign(0, None, init, U256::ZERO, 10_000_000);
    let r = chain.send_raw(&raw).expect("applied");
    assert!(!r.success);
    assert!(r.contract_address.is_none());
    assert_eq!(r.gas_used, 10_000_000);
    // Exactly the limit works.
    let init = vec![0x61, 0x60, 0x00, 0x60, 0x00, 0xf3];
    let raw = chain.sign(0, None, init, U256::ZERO, 10_000_000);
    let r = chain.send_raw(&raw).expect("applied");
    assert!(r.success, "{:?}", r.failure);
}

#[test]
fn call_depth_stops_at_1024() {
    let mut chain = Chain::new(1);
    chain.exec.machine.network.block_gas_limit = 1 << 42;
    // 1,025 frames need far more gas than Osaka's per-transaction cap (EIP-7825) allows.
    chain.exec.machine.network.hardfork = tandem_vm::kernel::Hardfork::Prague;
    // counter += 1; CALL(gas, self, 0, 0, 0, 0, 0); STOP
    let code = [
        0x60, 0x00, 0x54, 0x60, 0x01, 0x01, 0x60, 0x00, 0x55, // sload/add/sstore
        0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x30, 0x5a, 0xf1, 0x50, 0x00,
    ];
    let addr = chain.deploy(0, &deployer(&code), &[]);
    let raw = chain.sign(0, Some(addr), vec![], U256::ZERO, 1 << 41);
    let r = chain.send_raw(&raw).expect("applied");
    assert!(r.success, "{:?}", r.failure);
    // Frames at depths 0..=1024 each counted once; the call from depth 1024 failed.
    assert_eq!(chain.storage(addr, U256::ZERO), U256::from(1025));
}

#[test]
fn a_self_destructed_address_can_be_funded_and_created_again() {
    // Used to be a fatal error: the dead contract's address stayed in Init's map.
    let mut chain = Chain::new(1);
    // Init code CALLER SELFDESTRUCT: created and destroyed in one transaction (EIP-6780).
    let raw = chain.sign(0, None, vec![0x33, 0xff], U256::ZERO, 200_000);
    let r = chain.send_raw(&raw).expect("applied");
    assert!(r.success, "{:?}", r.failure);
    let dead = alloy_primitives::Address::from(r.contract_address.expect("created"));
    let r = chain.send(0, dead, vec![], U256::from(7));
    assert!(r.success, "funding the dead address: {:?}", r.failure);

    // A factory that CREATE2s the same self-destructing child (salt 0) and returns its address.
    let factory = [
        0x61, 0x33, 0xff, 0x60, 0x00, 0x52, // memory[30..32] = CALLER SELFDESTRUCT
        0x60, 0x00, 0x60, 0x02, 0x60, 0x1e, 0x60, 0x00, 0xf5, // CREATE2(0, 30, 2, salt 0)
        0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3, // return the address
    ];
    let factory = chain.deploy(0, &deployer(&factory), &[]);
    let first = chain.call_ok(0, factory, vec![]);
    let second = chain.call_ok(0, factory, vec![]);
    assert_ne!(
        U256::from_be_slice(&first),
        U256::ZERO,
        "the first CREATE2 failed"
    );
    assert_eq!(first, second, "the second CREATE2 failed");
}
