//! Osaka cases of our own, written from the EIPs' test vectors (execution-spec-tests ships no
//! Osaka state fixtures in `../shared/fixtures`): CLZ (EIP-7939), P256VERIFY (EIP-7951),
//! MODEXP's bounds and price (EIP-7823, EIP-7883) and the per-transaction gas cap
//! (EIP-7825). Each runs through signed transactions on the executor under Osaka, and under
//! Prague where the rule must not hold.

use crate::common;

use alloy_primitives::{Address, U256};
use common::Chain;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature as P256Signature, SigningKey as P256Key};
use tandem_evm::spec::{self, Hardfork};
use tandem_evm::tx::TxError;

/// A chain under `fork` with two rich accounts.
fn chain(fork: Hardfork) -> Chain {
    let mut c = Chain::new(2);
    c.exec.machine.network.hardfork = fork;
    c
}

/// Init code that deploys `runtime`.
fn init_for(runtime: &[u8]) -> Vec<u8> {
    let n = runtime.len() as u8;
    // PUSH1 n PUSH1 12 PUSH1 0 CODECOPY PUSH1 n PUSH1 0 RETURN
    let mut code = vec![0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xf3];
    code.extend_from_slice(runtime);
    code
}

/// `return clz(calldataload(0))`.
const CLZ_RUNTIME: [u8; 12] = [
    0x60, 0x00, 0x35, 0x1e, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3,
];

fn word(v: U256) -> Vec<u8> {
    v.to_be_bytes::<32>().to_vec()
}

#[test]
fn clz_counts_leading_zeros_on_osaka_only() {
    let mut c = chain(Hardfork::Osaka);
    let clz = c.deploy(0, &init_for(&CLZ_RUNTIME), &[]);
    // EIP-7939's vectors: clz(0) = 256, clz(1) = 255, clz(2^255) = 0, clz(2^256 - 1) = 0,
    // clz(2^254) = 1, clz(2^255 - 1) = 1.
    let vectors = [
        (U256::ZERO, 256u64),
        (U256::from(1), 255),
        (U256::from(1) << 255, 0),
        (U256::MAX, 0),
        (U256::from(1) << 254, 1),
        ((U256::from(1) << 255) - U256::from(1), 1),
    ];
    for (x, expected) in vectors {
        let out = c.call_ok(0, clz, word(x));
        assert_eq!(
            U256::from_be_slice(&out),
            U256::from(expected),
            "clz({x:#x})"
        );
    }
    // The same contract under Prague: 0x1e is an undefined instruction (exit 35).
    c.exec.machine.network.hardfork = Hardfork::Prague;
    let r = c.send(0, clz, word(U256::from(1)), U256::ZERO);
    assert!(!r.success);
    assert_eq!(r.exit_code.value(), 35, "{:?}", r.failure);
}

/// A P256VERIFY input: hash, r, s, x, y.
fn p256_input(tamper: bool) -> Vec<u8> {
    let key = P256Key::from_slice(&[0x42; 32]).expect("key");
    let hash = alloy_primitives::keccak256(b"tandem p256verify");
    let sig: P256Signature = key.sign_prehash(hash.as_slice()).expect("sign");
    let point = key.verifying_key().to_encoded_point(false);
    let mut input = hash.to_vec();
    input.extend_from_slice(&sig.to_bytes());
    input.extend_from_slice(point.x().expect("x"));
    input.extend_from_slice(point.y().expect("y"));
    if tamper {
        input[0] ^= 1;
    }
    input
}

#[test]
fn p256verify_is_a_precompile_from_osaka_on() {
    let p256 = Address::left_padding_from(&[0x01, 0x00]);
    for (fork, is_precompile) in [(Hardfork::Osaka, true), (Hardfork::Prague, false)] {
        let mut c = chain(fork);
        for tamper in [false, true] {
            let input = p256_input(tamper);
            let r = c.send(0, p256, input.clone(), U256::ZERO);
            assert!(r.success, "{fork}: {:?}", r.failure);
            let intrinsic = 21_000
                + input
                    .iter()
                    .map(|b| if *b == 0 { 4u64 } else { 16 })
                    .sum::<u64>();
            let floor = spec::calldata_floor(fork, &input);
            if is_precompile {
                // EIP-7951: 6,900 gas; a valid signature returns 1, an invalid one nothing.
                if tamper {
                    assert!(r.output.is_empty(), "{:?}", r.output);
                } else {
                    assert_eq!(U256::from_be_slice(&r.output), U256::from(1));
                    assert_eq!(r.output.len(), 32);
                }
                assert_eq!(r.gas_used, (intrinsic + 6_900).max(floor));
            } else {
                assert!(r.output.is_empty());
                assert_eq!(r.gas_used, intrinsic.max(floor));
            }
        }
    }
}

/// A MODEXP input with the given lengths and values.
fn modexp_input(base: &[u8], exp: &[u8], modulus: &[u8]) -> Vec<u8> {
    let mut input = Vec::new();
    for part in [base, exp, modulus] {
        input.extend_from_slice(&word(U256::from(part.len())));
    }
    input.extend_from_slice(base);
    input.extend_from_slice(exp);
    input.extend_from_slice(modulus);
    input
}

#[test]
fn modexp_bounds_and_price_follow_the_fork() {
    let modexp = Address::with_last_byte(0x05);
    // 3^5 mod 7 = 5, priced at the minimum: 200 before Osaka, 500 from Osaka (EIP-7883).
    let small = modexp_input(&[3], &[5], &[7]);
    for (fork, price) in [(Hardfork::Prague, 200u64), (Hardfork::Osaka, 500)] {
        let pc = spec::precompiles(fork).get(&modexp).expect("modexp");
        let out = pc.execute(&small, 1_000_000, 0).expect("runs");
        assert_eq!(out.gas_used, price, "{fork}");
        assert_eq!(out.bytes.as_ref(), &[5]);
    }
    // EIP-7823: a base of 1,025 bytes is over the bound from Osaka on; the call fails and
    // takes all its gas. Under Prague it runs.
    let mut base = vec![0u8; 1025];
    base[1024] = 2;
    let big = modexp_input(&base, &[1], &[0x0d]);
    for (fork, ok) in [(Hardfork::Prague, true), (Hardfork::Osaka, false)] {
        let mut c = chain(fork);
        let raw = c.sign(0, Some(modexp), big.clone(), U256::ZERO, 1_000_000);
        let r = c.send_raw(&raw).expect("applied");
        assert_eq!(r.success, ok, "{fork}: {:?}", r.failure);
        if ok {
            assert_eq!(r.output.as_ref(), &[2]);
        } else {
            assert_eq!(
                r.gas_used, 1_000_000,
                "a halted precompile takes all the gas"
            );
        }
    }
}

#[test]
fn osaka_caps_a_transaction_at_2_pow_24_gas() {
    let to = Address::with_last_byte(0xaa);
    let mut c = chain(Hardfork::Osaka);
    let raw = c.sign(0, Some(to), vec![], U256::ZERO, spec::TX_GAS_LIMIT_CAP + 1);
    match c.send_raw(&raw) {
        Err(TxError::GasLimitAboveCap { limit, cap }) => {
            assert_eq!((limit, cap), (16_777_217, 16_777_216));
        }
        other => panic!("expected the EIP-7825 cap, got {other:?}"),
    }
    // Refused, so the nonce was not used: the same nonce at the cap is accepted.
    c.accounts[0].nonce -= 1;
    let raw = c.sign(0, Some(to), vec![], U256::ZERO, spec::TX_GAS_LIMIT_CAP);
    assert!(c.send_raw(&raw).expect("at the cap").success);
    // Prague has no cap below the block's limit.
    let mut c = chain(Hardfork::Prague);
    let raw = c.sign(0, Some(to), vec![], U256::ZERO, spec::TX_GAS_LIMIT_CAP + 1);
    assert!(c.send_raw(&raw).expect("no cap before Osaka").success);
}

#[test]
fn cancun_refuses_set_code_transactions() {
    use alloy_consensus::TxEip7702;
    use alloy_eips::eip7702::Authorization;
    let mut c = chain(Hardfork::Cancun);
    let auth = Authorization {
        chain_id: U256::from(common::CHAIN_ID),
        address: Address::with_last_byte(0x77),
        nonce: 1,
    };
    let hash = auth.signature_hash();
    let (sig, recid) = c.accounts[0]
        .key
        .sign_prehash_recoverable(hash.as_slice())
        .expect("sign");
    let b = sig.to_bytes();
    let signed = auth.into_signed(alloy_primitives::Signature::new(
        U256::from_be_slice(&b[..32]),
        U256::from_be_slice(&b[32..]),
        recid.is_y_odd(),
    ));
    let tx = TxEip7702 {
        chain_id: common::CHAIN_ID,
        nonce: 0,
        gas_limit: 100_000,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1,
        to: c.address(0),
        value: U256::ZERO,
        access_list: Default::default(),
        authorization_list: vec![signed],
        input: Default::default(),
    };
    let raw = common::sign_tx(&c.accounts[0].key, tx.clone());
    assert!(matches!(c.send_raw(&raw), Err(TxError::UnsupportedType(4))));
    // Under Prague the same transaction delegates the sender to 0x…77.
    c.exec.machine.network.hardfork = Hardfork::Prague;
    let r = c.send_raw(&raw).expect("applied under Prague");
    assert!(r.success, "{:?}", r.failure);
    // An existing authority earns 12,500 back, capped at a fifth of the gas used.
    let intrinsic = 21_000 + 25_000;
    assert_eq!(r.gas_used, intrinsic - intrinsic / 5);
}
