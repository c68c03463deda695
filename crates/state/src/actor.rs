//! The actor record kept in the state tree, one per actor ID.

use cid::Cid;
use fvm_ipld_encoding::tuple::*;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;

/// Actor IDs are the `f0` numbers; every other address class resolves to one.
pub type ActorID = u64;

/// One actor in the state tree.
///
/// This is Filecoin's `ActorState` plus one field, `kv_root`: the root of the actor's
/// host-managed slot storage (a KAMT of 32-byte keys to 32-byte values). It sits beside
/// `state` rather than inside it so that the VM can keep a write cache of slots and flush it
/// without knowing how any runtime lays out its own state (see ARCHITECTURE.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct ActorRecord {
    /// The code CID: a built-in actor, the EVM runtime, or a user WASM module.
    pub code: Cid,
    /// The root of the actor's own state.
    pub state: Cid,
    /// The root of the actor's slot storage, `None` while it is empty.
    pub kv_root: Option<Cid>,
    /// Messages sent by this actor (accounts), or the Ethereum nonce (contracts).
    pub sequence: u64,
    /// Balance in attoFIL (1:1 with wei for Ethereum tools).
    pub balance: TokenAmount,
    /// The f4 address this actor was created with, if any.
    pub delegated_address: Option<Address>,
}

impl ActorRecord {
    pub fn new(code: Cid, state: Cid, delegated_address: Option<Address>) -> Self {
        Self {
            code,
            state,
            kv_root: None,
            sequence: 0,
            balance: TokenAmount::default(),
            delegated_address,
        }
    }
}
