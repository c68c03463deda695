//! The Init actor's state. The state tree reads it to resolve non-ID addresses and writes it
//! to assign IDs, so its shape lives here rather than in the actors crate.

use cid::Cid;
use fvm_ipld_encoding::tuple::*;

use crate::ActorID;

/// The first ID handed to a non-singleton actor (IDs below are reserved for built-ins).
pub const FIRST_NON_SINGLETON_ID: ActorID = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct InitState {
    /// HAMT: address bytes → actor ID, for every robust (f1, f2, f3) and f4 address.
    pub address_map: Cid,
    /// The ID the next new actor receives.
    pub next_id: ActorID,
    /// Human name of the network, e.g. "tandem-dev".
    pub network_name: String,
    /// HAMT: code CID bytes → installed code metadata (user WASM modules).
    pub installed_code: Cid,
}
