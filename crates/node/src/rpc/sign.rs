//! Signing with the dev accounts' keys, as anvil and Hardhat do: `personal_sign` and
//! `eth_sign` (EIP-191 personal messages), `eth_signTypedData_v4` (EIP-712). Impersonated
//! accounts have no key, so they cannot sign.

use alloy_dyn_abi::eip712::TypedData;
use alloy_primitives::{Address, Bytes, eip191_hash_message, hex};
use serde_json::Value;

use super::{Handler, Params};
use crate::error::{RpcError, RpcResult};
use crate::node::Node;

pub const METHODS: &[(&str, Handler)] = &[
    // personal_sign(message, address); eth_sign(address, message).
    ("personal_sign", |node, p| {
        sign_message(node, &p.get(1)?, &p.get::<Value>(0)?)
    }),
    ("eth_sign", |node, p| {
        sign_message(node, &p.get(0)?, &p.get::<Value>(1)?)
    }),
    ("eth_signTypedData_v4", sign_typed_data),
    ("eth_signTypedData", sign_typed_data),
];

/// The signature as clients expect it: 65 bytes, r ‖ s ‖ v with v = 27 or 28.
fn signature_hex(sig: alloy_primitives::Signature) -> Value {
    Value::String(Bytes::from(sig.as_bytes().to_vec()).to_string())
}

fn signer<'a>(node: &'a Node, address: &Address) -> RpcResult<&'a crate::accounts::DevAccount> {
    node.dev_account(address).ok_or_else(|| {
        RpcError::server(format!(
            "no key for {address}: only the dev accounts can sign"
        ))
    })
}

/// A message is hex bytes (`0x…`), or else its UTF-8 text, as wallets accept both.
fn message_bytes(v: &Value) -> RpcResult<Vec<u8>> {
    match v {
        Value::String(s) if s.starts_with("0x") => {
            hex::decode(s).map_err(|e| RpcError::invalid_params(format!("message hex: {e}")))
        }
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        _ => Err(RpcError::invalid_params("the message must be a string")),
    }
}

fn sign_message(node: &Node, address: &Address, message: &Value) -> RpcResult<Value> {
    let account = signer(node, address)?;
    let hash = eip191_hash_message(message_bytes(message)?);
    Ok(signature_hex(account.sign_hash(&hash)?))
}

/// `eth_signTypedData_v4(address, typedData)`: the typed data as an object or a JSON string.
fn sign_typed_data(node: &Node, p: &Params) -> RpcResult<Value> {
    let address: Address = p.get(0)?;
    let raw: Value = p.get(1)?;
    let typed: TypedData = match raw {
        Value::String(text) => serde_json::from_str(&text),
        other => serde_json::from_value(other),
    }
    .map_err(|e| RpcError::invalid_params(format!("typed data: {e}")))?;
    let account = signer(node, &address)?;
    let hash = typed
        .eip712_signing_hash()
        .map_err(|e| RpcError::invalid_params(format!("typed data: {e}")))?;
    Ok(signature_hex(account.sign_hash(&hash)?))
}
