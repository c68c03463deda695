//! A Rust SDK actor calls the native build of a Tandem contract with typed params: the
//! tandem-caller example uses the bindings `tandem bindgen --rust` generated from the Coin's
//! IPLD schema (`examples/actors/tandem-caller/src/coin.rs`) to send `TotalSupply`,
//! `BalanceOf` and `Transfer` to the Coin compiled by `tandem_lang_driver::compile_wasm`.

use crate::common;

use common::*;
use fvm_shared::error::ExitCode;
fn method_number(name: &str) -> u64 {
    tandem_vm::frc42::method_number(name).expect("an FRC-0042 name")
}

fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    assert!(b.len() < 24);
    let mut v = vec![0x40 | b.len() as u8];
    v.extend_from_slice(b);
    v
}

/// A non-negative BigInt (Filecoin bytes) of `n` < 2^16, as CBOR.
fn bigint(n: u16) -> Vec<u8> {
    match n {
        0 => vec![0x40],
        1..=255 => vec![0x42, 0, n as u8],
        _ => vec![0x43, 0, (n >> 8) as u8, n as u8],
    }
}

/// The CBOR of a u128 reply (the SDK's big-integer form).
fn u128_reply(n: u16) -> Vec<u8> {
    bigint(n)
}

fn array(items: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![0x80 | items.len() as u8];
    for i in items {
        v.extend_from_slice(i);
    }
    v
}

#[test]
fn an_sdk_actor_calls_a_tandem_contract_through_generated_bindings() {
    let coin_wasm = tandem_lang_driver::compile_wasm(&[(
        "Coin.tdm".into(),
        tandem_lang_driver::COIN_EXAMPLE.into(),
    )])
    .expect("the Coin builds for WASM")
    .remove(0)
    .wasm;
    let mut c = chain();
    let coin = c.deploy(&coin_wasm, array(&[bigint(1000)]));
    let caller = c.deploy(&actors::wasm("tandem-caller"), vec![]);
    let coin_b = cbor_bytes(&coin.to_bytes());
    let caller_b = cbor_bytes(&caller.to_bytes());
    let bob = c.addr(1);
    let bob_b = cbor_bytes(&bob.to_bytes());

    let ret = c.call(
        caller,
        method_number("Supply"),
        array(std::slice::from_ref(&coin_b)),
    );
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{}", message(&ret));
    assert_eq!(ret.receipt.return_data.to_vec(), u128_reply(1000));

    // the caller has no coins: the Coin reverts (InsufficientBalance), the caller aborts 33
    let transfer = method_number("Transfer");
    let params = array(&[coin_b.clone(), bob_b.clone(), cbor_bytes(&[0, 40])]);
    let ret = c.call(caller, transfer, params.clone());
    assert_eq!(ret.receipt.exit_code.value(), 33, "{}", message(&ret));

    // the deployer gives it 100 coins, directly on the Coin
    let coin_transfer = method_number("Transfer");
    let ret = c.call(coin, coin_transfer, array(&[caller_b.clone(), bigint(100)]));
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{}", message(&ret));
    assert_eq!(ret.receipt.return_data.to_vec(), vec![0xf5]);

    let ret = c.call(caller, transfer, params);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{}", message(&ret));
    assert_eq!(
        ret.receipt.return_data.to_vec(),
        vec![0xf5],
        "Transfer replies true"
    );

    let balance = method_number("BalanceOf");
    let ret = c.call(caller, balance, array(&[coin_b.clone(), caller_b]));
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{}", message(&ret));
    assert_eq!(ret.receipt.return_data.to_vec(), u128_reply(60));
    let ret = c.call(caller, balance, array(&[coin_b, bob_b]));
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{}", message(&ret));
    assert_eq!(ret.receipt.return_data.to_vec(), u128_reply(40));
}
