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

/// A typed async send: `params` go as DAG-CBOR to `method` of `to` (any address form, also
/// one not on chain yet), with `value`; the reply, if any, to `reply`'s method of this actor.
/// Returns the message's id. A refusal (full queue, too much gas, funds) aborts with its
/// reason through `?`.
#[cfg(target_arch = "wasm32")]
pub fn send_async_to<P: crate::Cbor>(
    to: &crate::Address,
    method: u64,
    params: &P,
    value: crate::TokenAmount,
    gas_limit: u64,
    reply: Option<crate::ReplyTo>,
) -> Result<u64, crate::ActorError> {
    let data = crate::cbor::to_vec(params);
    let params = Some((crate::DAG_CBOR, data.as_slice()));
    Ok(crate::send_async(
        to.as_bytes(),
        method,
        params,
        value.0,
        gas_limit,
        reply,
    )?)
}
