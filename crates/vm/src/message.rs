//! Messages, signatures and receipts, in Filecoin's shapes.

use anyhow::{Context, anyhow};
use cid::Cid;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{DAG_CBOR, to_vec};
use fvm_shared::address::{Address, Protocol};
use fvm_shared::crypto::signature::{SECP_SIG_LEN, Signature, SignatureType};
use fvm_shared::econ::TokenAmount;
use fvm_shared::event::StampedEvent;
pub use fvm_shared::message::Message;
pub use fvm_shared::receipt::Receipt;
use k256::ecdsa::SigningKey;
use multihash_codetable::{Code, MultihashDigest};

/// A message with the sender's signature over its CID.
#[derive(Debug, Clone, PartialEq, Serialize_tuple, Deserialize_tuple)]
pub struct SignedMessage {
    pub message: Message,
    pub signature: Signature,
}

/// The CID of a message (DAG-CBOR, blake2b-256); its bytes are what the sender signs.
pub fn message_cid(message: &Message) -> anyhow::Result<Cid> {
    let bytes = to_vec(message).context("encoding the message")?;
    Ok(Cid::new_v1(DAG_CBOR, Code::Blake2b256.digest(&bytes)))
}

fn blake2b256(data: &[u8]) -> [u8; 32] {
    let mh = Code::Blake2b256.digest(data);
    mh.digest().try_into().expect("blake2b-256 gives 32 bytes")
}

impl SignedMessage {
    /// Signs with a secp256k1 key. The signature is Filecoin's: 65 bytes r‖s‖v over
    /// blake2b-256 of the message CID bytes.
    pub fn sign_secp256k1(message: Message, key: &SigningKey) -> anyhow::Result<Self> {
        let cid = message_cid(&message)?;
        let digest = blake2b256(&cid.to_bytes());
        let (sig, recid) = key
            .sign_prehash_recoverable(&digest)
            .map_err(|e| anyhow!("signing failed: {e}"))?;
        let mut bytes = sig.to_bytes().to_vec();
        bytes.push(recid.to_byte());
        Ok(Self {
            message,
            signature: Signature::new_secp256k1(bytes),
        })
    }

    /// Checks that the signature is the sender's. Only f1 (secp256k1) senders sign this way;
    /// Ethereum accounts send Ethereum transactions.
    pub fn verify(&self) -> Result<(), String> {
        if self.message.from.protocol() != Protocol::Secp256k1 {
            return Err(format!(
                "sender {} cannot sign Filecoin messages",
                self.message.from
            ));
        }
        if self.signature.signature_type() != SignatureType::Secp256k1
            || self.signature.bytes().len() != SECP_SIG_LEN
        {
            return Err("not a secp256k1 signature".into());
        }
        let cid = message_cid(&self.message).map_err(|e| e.to_string())?;
        let digest = blake2b256(&cid.to_bytes());
        let sig: &[u8; SECP_SIG_LEN] = self
            .signature
            .bytes()
            .try_into()
            .map_err(|_| "bad signature length")?;
        let public = crate::crypto::recover_secp256k1(&digest, sig).map_err(|e| e.to_string())?;
        let signer = Address::new_secp256k1(&public).map_err(|e| e.to_string())?;
        if signer != self.message.from {
            return Err(format!(
                "signed by {signer}, not by the sender {}",
                self.message.from
            ));
        }
        Ok(())
    }

    pub fn cid(&self) -> anyhow::Result<Cid> {
        let bytes = to_vec(self)?;
        Ok(Cid::new_v1(DAG_CBOR, Code::Blake2b256.digest(&bytes)))
    }
}

/// The f1 address of a secp256k1 key.
pub fn secp256k1_address(key: &SigningKey) -> Address {
    let public = key.verifying_key().to_encoded_point(false);
    Address::new_secp256k1(public.as_bytes()).expect("65-byte uncompressed key")
}

/// Where the gas payment went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GasOutputs {
    /// Base fee × gas used, sent to the burnt-funds actor.
    pub base_fee_burn: TokenAmount,
    /// Priority fee × gas used, sent to the coinbase.
    pub miner_tip: TokenAmount,
    /// Returned to the sender.
    pub refund: TokenAmount,
    /// Gas given back from the refund counter (storage cleared, EIP-3529 cap).
    pub gas_refunded: u64,
}

/// What applying a message produced.
#[derive(Debug, Clone)]
pub struct ApplyRet {
    /// The receipt. Its `events_root` is left `None` by the executor whatever the events
    /// (nothing committed holds it): [`ApplyRet::events_root`] computes it, and
    /// [`ApplyRet::with_events_root`] fills it in for tools that show the whole receipt.
    pub receipt: Receipt,
    pub events: Vec<StampedEvent>,
    pub gas: GasOutputs,
    /// A human reason for a failure, for logs and the CLI.
    pub failure: Option<String>,
    /// Whether the message was applied at all (false: rejected before execution, nothing
    /// changed, not even the nonce).
    pub applied: bool,
}

impl ApplyRet {
    /// The root of the message's events (the AMT a Filecoin receipt commits to), computed
    /// from [`Self::events`]; `None` without events.
    pub fn events_root(&self) -> anyhow::Result<Option<Cid>> {
        crate::events_root::events_root_of(&self.events)
    }

    /// This result with `receipt.events_root` filled in (see [`Self::events_root`]).
    pub fn with_events_root(mut self) -> anyhow::Result<Self> {
        self.receipt.events_root = self.events_root()?;
        Ok(self)
    }
}

/// An exit code by name, as tools print it: `USR_FORBIDDEN (18)`; codes without a name as
/// `exit code N`. Filecoin's names for the system and user codes, and the FEVM's for 33–40.
pub fn exit_name(code: u32) -> String {
    let name = match code {
        0 => "OK",
        1 => "SYS_SENDER_INVALID",
        2 => "SYS_SENDER_STATE_INVALID",
        4 => "SYS_ILLEGAL_INSTRUCTION",
        5 => "SYS_INVALID_RECEIVER",
        6 => "SYS_INSUFFICIENT_FUNDS",
        7 => "SYS_OUT_OF_GAS",
        9 => "SYS_ILLEGAL_EXIT_CODE",
        10 => "SYS_ASSERTION_FAILED",
        11 => "SYS_MISSING_RETURN",
        16 => "USR_ILLEGAL_ARGUMENT",
        17 => "USR_NOT_FOUND",
        18 => "USR_FORBIDDEN",
        19 => "USR_INSUFFICIENT_FUNDS",
        20 => "USR_ILLEGAL_STATE",
        21 => "USR_SERIALIZATION",
        22 => "USR_UNHANDLED_MESSAGE",
        23 => "USR_UNSPECIFIED",
        24 => "USR_ASSERTION_FAILED",
        25 => "USR_READ_ONLY",
        26 => "USR_NOT_PAYABLE",
        33 => "EVM_CONTRACT_REVERTED",
        34 => "EVM_CONTRACT_INVALID_INSTRUCTION",
        35 => "EVM_CONTRACT_UNDEFINED_INSTRUCTION",
        36 => "EVM_CONTRACT_STACK_UNDERFLOW",
        37 => "EVM_CONTRACT_STACK_OVERFLOW",
        38 => "EVM_CONTRACT_ILLEGAL_MEMORY_ACCESS",
        39 => "EVM_CONTRACT_BAD_JUMPDEST",
        40 => "EVM_CONTRACT_SELFDESTRUCT_FAILED",
        _ => return format!("exit code {code}"),
    };
    format!("{name} ({code})")
}
