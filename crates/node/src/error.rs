//! JSON-RPC errors with the codes and wording Ethereum clients match on.

use alloy_primitives::Bytes;
use alloy_sol_types::{Revert, SolError};
use jsonrpsee::types::ErrorObjectOwned;
use tandem_evm::tx::TxError;

pub const PARSE_ERROR: i32 = -32700;
pub const INVALID_PARAMS: i32 = -32602;
pub const METHOD_NOT_FOUND: i32 = -32601;
pub const INTERNAL_ERROR: i32 = -32603;
/// geth's code for rejected transactions and failed executions.
pub const SERVER_ERROR: i32 = -32000;
/// geth's code for a revert in `eth_call` / `eth_estimateGas`.
pub const EXECUTION_REVERTED: i32 = 3;

#[derive(Debug, Clone)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
    pub data: Option<serde_json::Value>,
}

pub type RpcResult<T> = Result<T, RpcError>;

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn invalid_params(message: impl std::fmt::Display) -> Self {
        Self::new(INVALID_PARAMS, format!("invalid params: {message}"))
    }

    pub fn server(message: impl Into<String>) -> Self {
        Self::new(SERVER_ERROR, message)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(INTERNAL_ERROR, format!("internal error: {e}"))
    }

    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            METHOD_NOT_FOUND,
            format!("the method {method} does not exist/is not available"),
        )
    }

    /// A revert: "execution reverted" plus the decoded `Error(string)` reason, if any, and
    /// the raw revert data for clients to decode custom errors.
    pub fn reverted(output: &Bytes) -> Self {
        let message = match Revert::abi_decode(output) {
            Ok(r) => format!("execution reverted: {}", r.reason),
            Err(_) => "execution reverted".to_string(),
        };
        Self {
            code: EXECUTION_REVERTED,
            message,
            data: Some(serde_json::Value::String(output.to_string())),
        }
    }

    /// A rejected transaction, worded as geth words it.
    pub fn from_tx(e: &TxError, sender: &alloy_primitives::Address) -> Self {
        let msg = match e {
            TxError::NonceMismatch { expected, got } if got < expected => {
                format!("nonce too low: next nonce {expected}, tx nonce {got}")
            }
            TxError::NonceMismatch { expected, got } => {
                format!("nonce too high: next nonce {expected}, tx nonce {got}")
            }
            TxError::NonceMax => "nonce has max value".into(),
            TxError::InsufficientFunds { balance, cost } => format!(
                "insufficient funds for gas * price + value: address {sender} have {balance} want {cost}"
            ),
            TxError::IntrinsicGasTooLow { limit, intrinsic } => {
                format!("intrinsic gas too low: gas {limit}, minimum needed {intrinsic}")
            }
            TxError::FeeCapTooLow { max_fee, base_fee } => format!(
                "max fee per gas less than block base fee: address {sender}, maxFeePerGas: {max_fee}, baseFee: {base_fee}"
            ),
            TxError::PriorityAboveMax { priority, max_fee } => format!(
                "max priority fee per gas higher than max fee per gas: address {sender}, maxPriorityFeePerGas: {priority}, maxFeePerGas: {max_fee}"
            ),
            TxError::WrongChainId { expected, got } => {
                format!("invalid chain id for signer: have {got} want {expected}")
            }
            TxError::GasLimitAboveBlock { limit, block } => {
                format!("exceeds block gas limit: gas {limit}, block gas limit {block}")
            }
            TxError::Malformed(m) => format!("invalid transaction: {m}"),
            TxError::BadSignature(m) => format!("invalid sender: {m}"),
            TxError::UnsupportedType(t) => format!("transaction type not supported: {t}"),
            TxError::InitCodeTooLarge(n) => {
                format!("max initcode size exceeded: code size {n}, limit 49152")
            }
            TxError::SenderNotEoa => format!("sender not an eoa: address {sender}"),
            TxError::Blob(m) => format!("invalid blob transaction: {m}"),
            TxError::SetCode(m) => format!("invalid set-code transaction: {m}"),
            TxError::GasLimitAboveCap { limit, cap } => {
                format!("transaction gas limit too high (cap: {cap}, tx: {limit})")
            }
            TxError::Fatal(e) => return Self::internal(format!("{e:#}")),
        };
        Self::server(msg)
    }
}

impl From<anyhow::Error> for RpcError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(format!("{e:#}"))
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(e: RpcError) -> Self {
        ErrorObjectOwned::owned(e.code, e.message, e.data)
    }
}
