//! Transactions for the node's tests: the first dev accounts, small EVM runtimes and their
//! init code, node-signed sends (`eth_sendTransaction`, mined at once) and signed EIP-1559
//! raw transactions, and cast runs.

use std::path::Path;
use std::process::Command;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Bytes, TxKind, U256};
use serde_json::{Value, json};
use tandem_node::accounts::DevAccount;

use super::Client;

/// The first dev account (anvil's).
pub const DEV: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
/// The second dev account.
pub const OTHER: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

/// Returns `(block.number, block.timestamp)`.
pub const ENV: &str = "436000524260205260406000f3";
/// `sstore(number, sload(number) + 1)`: the slot it writes is new in every block.
pub const BY_NUMBER: &str = "4354600101435500";
/// Returns slots 0 and 1.
pub const SLOTS: &str = "60005460005260015460205260406000f3";

/// Init code deploying `runtime` (hex, under 256 bytes), as `0x…` hex: the usual
/// copy-and-return constructor.
pub fn init(runtime: &str) -> String {
    let len = runtime.len() / 2;
    assert!(len < 256);
    format!("0x60{len:02x}600c60003960{len:02x}6000f3{runtime}")
}

/// [`init`] as bytes.
pub fn init_code(runtime: &str) -> Vec<u8> {
    hex::decode(&init(runtime)[2..]).unwrap()
}

/// Sends `tx` with `eth_sendTransaction` (the node signs and mines it); returns its receipt.
pub fn send(c: &Client, tx: Value) -> Value {
    let hash = c.call("eth_sendTransaction", json!([tx]));
    c.call("eth_getTransactionReceipt", json!([hash]))
}

/// Deploys `runtime` from [`DEV`]; returns the contract's address.
pub fn deploy(c: &Client, runtime: &str) -> String {
    let receipt = send(c, json!({"from": DEV, "data": init(runtime)}));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    receipt["contractAddress"].as_str().unwrap().to_string()
}

/// An EIP-1559 transaction on the dev chain (31337): 200,000 gas, a 3 gwei fee cap and a
/// 1 gwei tip, no value, no access list; change the rest with struct update syntax.
pub fn tx_1559(nonce: u64, to: TxKind, input: Vec<u8>) -> TxEip1559 {
    TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 3_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(input),
    }
}

/// `tx` signed by `acct`.
pub fn envelope_1559(acct: &DevAccount, tx: TxEip1559) -> TxEnvelope {
    let sig = acct.sign_hash(&tx.signature_hash()).unwrap();
    tx.into_signed(sig).into()
}

/// `tx` signed by `acct`, as the `0x…` hex `eth_sendRawTransaction` takes.
pub fn sign_1559(acct: &DevAccount, tx: TxEip1559) -> String {
    format!("0x{}", hex::encode(envelope_1559(acct, tx).encoded_2718()))
}

/// Runs cast, which must succeed; returns its trimmed stdout.
pub fn run_cast(cast: &Path, args: &[&str]) -> String {
    let out = Command::new(cast).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "cast {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
