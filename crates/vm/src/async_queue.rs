//! The queue of asynchronous messages (docs/async.md), kept in the state as the state of the
//! queue actor (ID 11), so it is journaled, flushed, exported and collected like any state.
//!
//! Layout: the actor's state is a [`QueueState`] whose `entries` is an AMT of [`AsyncEntry`]
//! by `id`. Ids are dense: the queue is the range `head..next_id`. The actor is created the
//! first time something is queued, so a chain that never uses async messages keeps the root
//! it had before they existed.

use cid::Cid;
use fvm_ipld_amt::Amt;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{CborStore, RawBytes};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use multihash_codetable::Code;
use tandem_state::{ActorRecord, StateTree};

use crate::ActorID;
use crate::builtin::{ASYNC_QUEUE_ACTOR_ID, BuiltinCode};
use crate::gas::Gas;
use crate::store::VmStore;

/// At most this many messages wait in the queue.
pub const MAX_PENDING: u64 = 1024;
/// Params of an async message are at most this large.
pub const MAX_PARAMS: usize = 64 * 1024;
/// The delivery's gas limit plus the reply's are at most this (less than the lane's async
/// share, so the head of the queue always fits a fresh lane).
pub const MAX_GAS: u64 = 5_000_000;
/// The price of a queue entry beyond the gas it reserves: about a new storage slot, since
/// it is written to the state and deleted again.
pub const ENTRY_PRICE: u64 = 20_000;
/// Per byte of params held in the queue.
pub const PARAMS_BYTE_PRICE: u64 = 16;

const AMT_BIT_WIDTH: u32 = 5;

/// Where a reply goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct ReplyTo {
    /// The sender's method that receives the reply (`InvokeEVM` for EVM senders).
    pub method: u64,
    /// For EVM senders, the 4-byte selector the reply's calldata starts with; empty for
    /// native senders, whose reply params are DAG-CBOR.
    pub evm_selector: RawBytes,
    pub gas_limit: u64,
}

/// One queued message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct AsyncEntry {
    pub id: u64,
    /// The actor that sent it (the callee's caller at delivery).
    pub from: ActorID,
    /// The origin of the message that sent it.
    pub origin: ActorID,
    pub to: Address,
    pub method: u64,
    /// 0 when there are no params.
    pub params_codec: u64,
    pub params: RawBytes,
    pub value: TokenAmount,
    pub gas_limit: u64,
    pub reply: Option<ReplyTo>,
    /// The epoch of the block that sent it.
    pub sent_epoch: i64,
}

/// The queue actor's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct QueueState {
    /// The id the next message gets.
    pub next_id: u64,
    /// The id of the message delivered next (== `next_id` when the queue is empty).
    pub head: u64,
    pub entries: Cid,
}

impl QueueState {
    pub fn len(&self) -> u64 {
        self.next_id - self.head
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a message reserves at the send: the entry, its params and both gas limits.
pub fn reservation(params_len: usize, gas_limit: u64, reply_gas_limit: u64) -> Gas {
    Gas::new(
        ENTRY_PRICE
            .saturating_add(PARAMS_BYTE_PRICE.saturating_mul(params_len as u64))
            .saturating_add(gas_limit)
            .saturating_add(reply_gas_limit),
    )
}

/// The queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull;

/// The queue's state, or `None` while the queue actor does not exist yet.
pub fn load(state: &mut StateTree<VmStore>) -> anyhow::Result<Option<QueueState>> {
    let Some(actor) = state.get_actor(ASYNC_QUEUE_ACTOR_ID)? else {
        return Ok(None);
    };
    let queue = state
        .store()
        .get_cbor::<QueueState>(&actor.state)?
        .ok_or_else(|| anyhow::anyhow!("async queue state {} missing", actor.state))?;
    Ok(Some(queue))
}

fn save(state: &mut StateTree<VmStore>, queue: &QueueState) -> anyhow::Result<()> {
    let head = state.store().put_cbor(queue, Code::Blake2b256)?;
    let record = match state.get_actor(ASYNC_QUEUE_ACTOR_ID)? {
        Some(actor) => ActorRecord {
            state: head,
            ..actor
        },
        None => ActorRecord::new(BuiltinCode::AsyncQueue.cid(), head, None),
    };
    state.set_actor(ASYNC_QUEUE_ACTOR_ID, record);
    Ok(())
}

fn empty_queue(state: &StateTree<VmStore>) -> anyhow::Result<QueueState> {
    let entries = Amt::<AsyncEntry, _>::new_with_bit_width(state.store(), AMT_BIT_WIDTH).flush()?;
    Ok(QueueState {
        next_id: 0,
        head: 0,
        entries,
    })
}

/// Appends a message (its `id` is assigned here) and returns the id. Creates the queue actor
/// on first use. The caller moves the value and checks the limits on params and gas.
pub fn enqueue(
    state: &mut StateTree<VmStore>,
    mut entry: AsyncEntry,
) -> anyhow::Result<Result<u64, QueueFull>> {
    let mut queue = match load(state)? {
        Some(q) => q,
        None => empty_queue(state)?,
    };
    if queue.len() >= MAX_PENDING {
        return Ok(Err(QueueFull));
    }
    let id = queue.next_id;
    entry.id = id;
    let mut amt = Amt::<AsyncEntry, _>::load(&queue.entries, state.store())?;
    amt.set(id, entry)?;
    queue.entries = amt.flush()?;
    queue.next_id += 1;
    save(state, &queue)?;
    Ok(Ok(id))
}

/// The message delivered next, without removing it.
pub fn peek(state: &mut StateTree<VmStore>) -> anyhow::Result<Option<AsyncEntry>> {
    let Some(queue) = load(state)? else {
        return Ok(None);
    };
    if queue.is_empty() {
        return Ok(None);
    }
    let amt = Amt::<AsyncEntry, _>::load(&queue.entries, state.store())?;
    let entry = amt
        .get(queue.head)?
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("async queue entry {} missing", queue.head))?;
    Ok(Some(entry))
}

/// Removes the head of the queue (`id` must be it).
pub fn pop(state: &mut StateTree<VmStore>, id: u64) -> anyhow::Result<()> {
    let mut queue = load(state)?.ok_or_else(|| anyhow::anyhow!("no async queue"))?;
    anyhow::ensure!(
        !queue.is_empty() && queue.head == id,
        "popping async message {id}, but the head is {}",
        queue.head
    );
    let mut amt = Amt::<AsyncEntry, _>::load(&queue.entries, state.store())?;
    amt.delete(id)?;
    queue.entries = amt.flush()?;
    queue.head += 1;
    save(state, &queue)
}

/// Up to `limit` waiting messages, head first.
pub fn pending(state: &mut StateTree<VmStore>, limit: usize) -> anyhow::Result<Vec<AsyncEntry>> {
    let Some(queue) = load(state)? else {
        return Ok(Vec::new());
    };
    let amt = Amt::<AsyncEntry, _>::load(&queue.entries, state.store())?;
    let mut out = Vec::new();
    for id in queue.head..queue.next_id {
        if out.len() >= limit {
            break;
        }
        if let Some(e) = amt.get(id)? {
            out.push(e.clone());
        }
    }
    Ok(out)
}

/// The reply's params for a native sender: DAG-CBOR `[id, exit_code, return]`.
pub fn native_reply_params(id: u64, exit_code: u32, ret: &[u8]) -> anyhow::Result<Vec<u8>> {
    Ok(fvm_ipld_encoding::to_vec(&(
        id,
        exit_code,
        RawBytes::new(ret.to_vec()),
    ))?)
}

/// The reply's calldata for an EVM sender:
/// `selector ‖ abi.encode(uint64 id, uint32 exitCode, bytes ret)`.
pub fn evm_reply_calldata(selector: &[u8], id: u64, exit_code: u32, ret: &[u8]) -> Vec<u8> {
    let word = |n: u64| {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&n.to_be_bytes());
        w
    };
    let padded = ret.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(4 + 32 * 4 + padded);
    out.extend_from_slice(selector);
    out.extend_from_slice(&word(id));
    out.extend_from_slice(&word(exit_code as u64));
    out.extend_from_slice(&word(0x60));
    out.extend_from_slice(&word(ret.len() as u64));
    out.extend_from_slice(ret);
    out.resize(4 + 32 * 4 + padded, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evm_reply_calldata_is_abi_encoded() {
        let data = evm_reply_calldata(&[1, 2, 3, 4], 7, 33, b"hello");
        assert_eq!(&data[..4], &[1, 2, 3, 4]);
        assert_eq!(data.len(), 4 + 5 * 32);
        assert_eq!(data[4 + 31], 7);
        assert_eq!(data[4 + 63], 33);
        assert_eq!(data[4 + 95], 0x60);
        assert_eq!(data[4 + 127], 5);
        assert_eq!(&data[4 + 128..4 + 133], b"hello");
    }
}
