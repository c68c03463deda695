//! Well-known actors: singleton IDs, code CIDs and method numbers.
//!
//! IDs and method numbers match Filecoin's where Filecoin has one (builtin-actors'
//! singletons; Init Exec = 2, Exec4 = 3; EAM Create = 2, Create2 = 3, CreateExternal = 4).
//! Code CIDs are identity-hashed raw blocks of a readable name, so they cost no storage and
//! read as what they are.

use cid::Cid;
use multihash_codetable::Multihash;

use crate::ActorID;

pub const SYSTEM_ACTOR_ID: ActorID = 0;
pub const INIT_ACTOR_ID: ActorID = 1;
pub const REWARD_ACTOR_ID: ActorID = 2;
/// Runs registered entries in every block's system lane (Filecoin's `f03`).
pub const CRON_ACTOR_ID: ActorID = 3;
pub const EAM_ACTOR_ID: ActorID = 10;
/// Holds the queue of asynchronous messages and sends their replies (docs/async.md).
pub const ASYNC_QUEUE_ACTOR_ID: ActorID = 11;
pub const BURNT_FUNDS_ACTOR_ID: ActorID = 99;
/// The first ID of an actor that is not a singleton.
pub const FIRST_NON_SINGLETON_ID: ActorID = tandem_state::init_state::FIRST_NON_SINGLETON_ID;

/// Method 0 moves value and runs no code.
pub const METHOD_SEND: u64 = 0;
/// Method 1 is every actor's constructor.
pub const METHOD_CONSTRUCTOR: u64 = 1;
/// Methods below this are for built-in callers only (FRC-0042).
pub const FIRST_EXPORTED_METHOD: u64 = 1 << 24;

pub mod init_methods {
    pub const EXEC: u64 = 2;
    pub const EXEC4: u64 = 3;
    /// Installs user WASM code (Tandem's own; FRC-0042 "InstallCode").
    pub const INSTALL_CODE: u64 = 1_000; // replaced by the FRC-42 number in tandem-actors
}

pub mod eam_methods {
    pub const CREATE: u64 = 2;
    pub const CREATE2: u64 = 3;
    pub const CREATE_EXTERNAL: u64 = 4;
}

/// The kinds of code the VM knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinCode {
    System,
    Init,
    Reward,
    BurntFunds,
    Account,
    Placeholder,
    Eam,
    EthAccount,
    Cron,
    AsyncQueue,
    /// Not a built-in actor but a runtime: every EVM contract has this code.
    Evm,
}

impl BuiltinCode {
    pub const ALL: [BuiltinCode; 11] = [
        BuiltinCode::System,
        BuiltinCode::Init,
        BuiltinCode::Reward,
        BuiltinCode::BurntFunds,
        BuiltinCode::Account,
        BuiltinCode::Placeholder,
        BuiltinCode::Eam,
        BuiltinCode::EthAccount,
        BuiltinCode::Cron,
        BuiltinCode::AsyncQueue,
        BuiltinCode::Evm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinCode::System => "tandem/system",
            BuiltinCode::Init => "tandem/init",
            BuiltinCode::Reward => "tandem/reward",
            BuiltinCode::BurntFunds => "tandem/burnt-funds",
            BuiltinCode::Account => "tandem/account",
            BuiltinCode::Placeholder => "tandem/placeholder",
            BuiltinCode::Eam => "tandem/eam",
            BuiltinCode::EthAccount => "tandem/ethaccount",
            BuiltinCode::Cron => "tandem/cron",
            BuiltinCode::AsyncQueue => "tandem/async",
            BuiltinCode::Evm => "tandem/evm",
        }
    }

    pub fn cid(self) -> Cid {
        let mh = Multihash::wrap(IDENTITY, self.name().as_bytes()).expect("names are short");
        Cid::new_v1(fvm_ipld_encoding::IPLD_RAW, mh)
    }

    pub fn from_cid(cid: &Cid) -> Option<BuiltinCode> {
        if cid.hash().code() != IDENTITY {
            return None;
        }
        let digest = cid.hash().digest();
        BuiltinCode::ALL
            .into_iter()
            .find(|c| c.name().as_bytes() == digest)
    }

    /// Accounts that may sign messages.
    pub fn is_account(self) -> bool {
        matches!(self, BuiltinCode::Account | BuiltinCode::EthAccount)
    }
}

const IDENTITY: u64 = 0x00;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_cids_round_trip() {
        for code in BuiltinCode::ALL {
            assert_eq!(BuiltinCode::from_cid(&code.cid()), Some(code));
        }
    }
}
