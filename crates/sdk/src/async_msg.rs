//! Asynchronous messages (docs/async.md): what a reply method receives. Sending is
//! `send_async` (wasm32 only).

use crate::Cbor;
use crate::cbor::Bytes;

/// The actor replies come from: a reply method should check `caller == ASYNC_QUEUE_ACTOR_ID`.
pub const ASYNC_QUEUE_ACTOR_ID: u64 = 11;

/// The params of a reply: which message, how its delivery ended, and what it returned (the
/// callee's return block; raw ABI bytes when the callee is an EVM contract).
#[derive(Debug, Clone, PartialEq, Eq, Cbor)]
pub struct AsyncReply {
    pub id: u64,
    pub exit_code: u32,
    pub ret: Bytes,
}

impl AsyncReply {
    pub fn is_success(&self) -> bool {
        self.exit_code == 0
    }
}
