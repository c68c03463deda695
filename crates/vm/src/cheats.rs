//! Test-only hooks ("cheats") for the language's test runner (`tandem test`,
//! `tandem_lang_harness::lang_test`). A machine has none unless a harness installs them
//! (`Machine::cheats`); a chain or node never does, and with none every hook below is a
//! no-op. The harness's cheat actor arms them through [`DebugOps::cheats`]; the kernel applies
//! them to the sends of the actor that armed them.
//!
//! [`DebugOps::cheats`]: crate::kernel::DebugOps::cheats

use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use tandem_state::{ActorID, StateTree};

use crate::kernel::{CallOutcome, NetworkContext};
use crate::store::VmStore;

/// Hooks armed by the test runner's cheat actor.
#[derive(Debug, Default, Clone)]
pub struct Cheats {
    /// Sends from `by` are made as `sender` (the callee sees `sender` as its caller, and value
    /// comes from `sender`'s balance).
    pub prank: Option<Prank>,
    /// The next send from `by` must fail, with revert data starting with `prefix`.
    pub expect_revert: Option<ExpectRevert>,
    /// Expectations that did not hold; the runner fails the test with them.
    pub failures: Vec<String>,
    /// The cheat actor's address: sends to it are never pranked and do not count as "the
    /// next send" of an expectation.
    pub actor: Option<Address>,
}

#[derive(Debug, Clone)]
pub struct Prank {
    pub by: ActorID,
    pub sender: ActorID,
    /// `false`: only the next send (then the prank ends).
    pub persistent: bool,
}

#[derive(Debug, Clone)]
pub struct ExpectRevert {
    pub by: ActorID,
    /// Revert data must start with these bytes (empty: any failure).
    pub prefix: Vec<u8>,
    /// How the expectation reads in a failure message.
    pub shown: String,
}

/// What the cheat actor may change while a message runs.
pub struct CheatAccess<'a> {
    pub network: &'a mut NetworkContext,
    pub state: &'a mut StateTree<VmStore>,
    pub cheats: &'a mut Cheats,
}

impl Cheats {
    /// The caller a send from `from` is made as (ends a one-shot prank).
    pub fn sender_for(&mut self, from: ActorID, to: &Address) -> ActorID {
        if self.actor.as_ref() == Some(to) {
            return from;
        }
        match &self.prank {
            Some(p) if p.by == from => {
                let sender = p.sender;
                if !p.persistent {
                    self.prank = None;
                }
                sender
            }
            _ => from,
        }
    }

    /// Checks an armed revert expectation of `from` against the send's outcome.
    pub fn after_send(&mut self, from: ActorID, to: &Address, out: &CallOutcome) {
        if self.actor.as_ref() == Some(to) {
            return;
        }
        let Some(e) = self.expect_revert.take_if(|e| e.by == from) else {
            return;
        };
        if out.is_success() {
            self.failures.push(format!(
                "expected a revert ({}), but the call succeeded",
                e.shown
            ));
            return;
        }
        let data = revert_bytes(out.return_data.as_ref());
        if !data.starts_with(&e.prefix) {
            self.failures.push(format!(
                "expected a revert ({}), but it reverted with 0x{}",
                e.shown,
                data.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ));
        }
    }
}

/// Revert data as bytes: raw, or a DAG-CBOR byte string (other blocks as their encoding).
pub fn revert_bytes(block: Option<&IpldBlock>) -> Vec<u8> {
    let Some(b) = block else {
        return Vec::new();
    };
    if b.codec == fvm_ipld_encoding::DAG_CBOR
        && let Ok(bytes) = fvm_ipld_encoding::from_slice::<fvm_ipld_encoding::BytesDe>(&b.data)
    {
        return bytes.0;
    }
    b.data.clone()
}
