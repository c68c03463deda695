//! The system lane (docs/async.md, G10): what every block runs before its user messages, on
//! gas of its own — the cron entries, then the async queue's deliveries and replies.
//!
//! Every message here is a top-level call applied atomically on its own, and a fatal error in
//! one is logged and recorded as that message's failure: the lane never stops a block, and a
//! message taken off the queue is never retried, so a bug cannot wedge the queue.

use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{CborStore, DAG_CBOR, IPLD_RAW, RawBytes};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use multihash_codetable::Code;
use tandem_state::ActorRecord;

use crate::ActorID;
use crate::async_queue::{self, AsyncEntry};
use crate::builtin::{ASYNC_QUEUE_ACTOR_ID, BURNT_FUNDS_ACTOR_ID, BuiltinCode, CRON_ACTOR_ID};
use crate::call_manager::MessageOrigin;
use crate::executor::{Executor, rejected};
use crate::frc42::INVOKE_EVM;
use crate::gas::Gas;
use crate::kernel::SendRequest;
use crate::message::ApplyRet;

/// Gas for all cron entries of a block.
pub const CRON_LANE_GAS: u64 = 4_000_000;
/// Gas for one cron entry.
pub const CRON_ENTRY_GAS: u64 = 500_000;
/// At most this many cron entries, so every one runs every block.
pub const MAX_CRON_ENTRIES: usize = (CRON_LANE_GAS / CRON_ENTRY_GAS) as usize;
/// Gas for the async deliveries and replies of a block (at least twice the most one message
/// may reserve, so the head of the queue always fits).
pub const ASYNC_LANE_GAS: u64 = 10_000_000;

/// One cron entry: `method` of `actor`, called from the cron actor every block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct CronEntry {
    pub actor: ActorID,
    pub method: u64,
}

/// What kind of system message ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemKind {
    Cron(CronEntry),
    /// The delivery of async message `id`.
    AsyncDelivery {
        id: u64,
    },
    /// The reply to async message `id`, with the delivery's exit code it carried.
    AsyncReply {
        id: u64,
        delivery_exit: ExitCode,
    },
}

/// A system message that ran in the lane, with its receipt.
#[derive(Debug, Clone)]
pub struct SystemMessage {
    pub kind: SystemKind,
    pub from: ActorID,
    pub to: Address,
    pub method: u64,
    pub ret: ApplyRet,
}

/// The cron actor's entries (none while it does not exist).
pub fn cron_entries(ex: &mut Executor) -> anyhow::Result<Vec<CronEntry>> {
    let state = &mut ex.machine.state;
    let Some(actor) = state.get_actor(CRON_ACTOR_ID)? else {
        return Ok(Vec::new());
    };
    Ok(state
        .store()
        .get_cbor::<Vec<CronEntry>>(&actor.state)?
        .unwrap_or_default())
}

/// Registers a cron entry (a system operation: genesis, the node's operator; no message can
/// do it). Refuses more than [`MAX_CRON_ENTRIES`]; registering an entry twice is a no-op.
pub fn register_cron(ex: &mut Executor, entry: CronEntry) -> anyhow::Result<()> {
    let mut entries = cron_entries(ex)?;
    if entries.contains(&entry) {
        return Ok(());
    }
    anyhow::ensure!(
        entries.len() < MAX_CRON_ENTRIES,
        "at most {MAX_CRON_ENTRIES} cron entries fit the system lane"
    );
    entries.push(entry);
    let state = &mut ex.machine.state;
    let head = state.store().put_cbor(&entries, Code::Blake2b256)?;
    let record = match state.get_actor(CRON_ACTOR_ID)? {
        Some(a) => ActorRecord { state: head, ..a },
        None => ActorRecord::new(BuiltinCode::Cron.cid(), head, None),
    };
    state.set_actor(CRON_ACTOR_ID, record);
    state.end_message()?;
    Ok(())
}

impl Executor {
    /// Runs the block's system lane: every cron entry, then async messages in queue order
    /// while the lane's async gas holds the next one's reservation. Call it once per block,
    /// before any user message.
    pub fn run_system_lane(&mut self) -> anyhow::Result<Vec<SystemMessage>> {
        let mut ran = Vec::new();
        for entry in cron_entries(self)? {
            let origin = system_origin(CRON_ACTOR_ID, self.machine.network.epoch as u64);
            let request = plain_request(Address::new_id(entry.actor), entry.method, None);
            let ret =
                self.apply_guarded(CRON_ACTOR_ID, origin, request, Gas::new(CRON_ENTRY_GAS))?;
            ran.push(SystemMessage {
                kind: SystemKind::Cron(entry),
                from: CRON_ACTOR_ID,
                to: Address::new_id(entry.actor),
                method: entry.method,
                ret,
            });
        }
        let mut left = ASYNC_LANE_GAS;
        while let Some(entry) = async_queue::peek(&mut self.machine.state)? {
            let reserved = entry
                .gas_limit
                .saturating_add(entry.reply.as_ref().map_or(0, |r| r.gas_limit));
            if reserved > left {
                break;
            }
            let (delivery, reply) = self.deliver(entry)?;
            left = left.saturating_sub(delivery.ret.receipt.gas_used);
            ran.push(delivery);
            if let Some(reply) = reply {
                left = left.saturating_sub(reply.ret.receipt.gas_used);
                ran.push(reply);
            }
        }
        Ok(ran)
    }

    /// Takes `entry` off the queue, delivers it and sends its reply.
    fn deliver(
        &mut self,
        entry: AsyncEntry,
    ) -> anyhow::Result<(SystemMessage, Option<SystemMessage>)> {
        // Off the queue first, with the value back with the sender, in a step of its own:
        // whatever happens below, the message is never delivered twice.
        let sender_exists = self.machine.state.get_actor(entry.from)?.is_some();
        let refund_to = if sender_exists {
            entry.from
        } else {
            BURNT_FUNDS_ACTOR_ID
        };
        async_queue::pop(&mut self.machine.state, entry.id)?;
        move_value(self, ASYNC_QUEUE_ACTOR_ID, refund_to, &entry.value)?;
        self.machine.state.end_message()?;

        let params = (entry.params_codec != 0).then(|| IpldBlock {
            codec: entry.params_codec,
            data: entry.params.to_vec(),
        });
        let origin = system_origin(entry.origin, entry.id);
        let delivery_ret = if sender_exists {
            let request = SendRequest {
                value: entry.value.clone(),
                ..plain_request(entry.to, entry.method, params)
            };
            self.apply_guarded(entry.from, origin, request, Gas::new(entry.gas_limit))?
        } else {
            rejected(
                ExitCode::SYS_SENDER_INVALID,
                format!("the sender f0{} no longer exists", entry.from),
            )
        };
        let delivery_exit = delivery_ret.receipt.exit_code;
        let delivery = SystemMessage {
            kind: SystemKind::AsyncDelivery { id: entry.id },
            from: entry.from,
            to: entry.to,
            method: entry.method,
            ret: delivery_ret,
        };
        let Some(reply_to) = entry.reply.filter(|_| sender_exists) else {
            return Ok((delivery, None));
        };
        let ret_bytes = delivery.ret.receipt.return_data.to_vec();
        let (method, params) = if reply_to.evm_selector.is_empty() {
            let data =
                async_queue::native_reply_params(entry.id, delivery_exit.value(), &ret_bytes)?;
            (
                reply_to.method,
                IpldBlock {
                    codec: DAG_CBOR,
                    data,
                },
            )
        } else {
            let data = async_queue::evm_reply_calldata(
                &reply_to.evm_selector,
                entry.id,
                delivery_exit.value(),
                &ret_bytes,
            );
            (
                INVOKE_EVM,
                IpldBlock {
                    codec: IPLD_RAW,
                    data,
                },
            )
        };
        let sender = Address::new_id(entry.from);
        let request = plain_request(sender, method, Some(params));
        let origin = system_origin(ASYNC_QUEUE_ACTOR_ID, entry.id);
        let ret = self.apply_guarded(
            ASYNC_QUEUE_ACTOR_ID,
            origin,
            request,
            Gas::new(reply_to.gas_limit),
        )?;
        let reply = SystemMessage {
            kind: SystemKind::AsyncReply {
                id: entry.id,
                delivery_exit,
            },
            from: ASYNC_QUEUE_ACTOR_ID,
            to: sender,
            method,
            ret,
        };
        Ok((delivery, Some(reply)))
    }

    /// [`Executor::apply_unpaid`], with a fatal error (a bug) turned into this message's
    /// failure: it is undone, logged, and the lane goes on.
    fn apply_guarded(
        &mut self,
        from: ActorID,
        origin: MessageOrigin,
        request: SendRequest,
        gas_limit: Gas,
    ) -> anyhow::Result<ApplyRet> {
        let to = request.to;
        match self.apply_unpaid(from, origin, request, gas_limit) {
            Ok(ret) => Ok(ret),
            Err(e) => {
                tracing::error!(
                    target: "tandem::fatal",
                    "system message from f0{from} to {to} hit a fatal error and was undone: {e:#}"
                );
                let mut ret = rejected(
                    ExitCode::SYS_ASSERTION_FAILED,
                    format!("fatal VM error, undone: {e:#}"),
                );
                ret.applied = true;
                Ok(ret)
            }
        }
    }
}

fn system_origin(origin: ActorID, nonce: u64) -> MessageOrigin {
    MessageOrigin {
        origin,
        nonce,
        gas_price: TokenAmount::default(),
    }
}

fn plain_request(to: Address, method: u64, params: Option<IpldBlock>) -> SendRequest {
    SendRequest {
        to,
        method,
        params,
        value: TokenAmount::default(),
        gas_limit: None,
        read_only: false,
    }
}

fn move_value(
    ex: &mut Executor,
    from: ActorID,
    to: ActorID,
    value: &TokenAmount,
) -> anyhow::Result<()> {
    if value.is_zero() {
        return Ok(());
    }
    let state = &mut ex.machine.state;
    state.mutate_actor(from, |a| {
        anyhow::ensure!(
            &a.balance >= value,
            "the async queue holds less than it owes"
        );
        a.balance -= value;
        Ok(())
    })?;
    state.mutate_actor(to, |a| {
        a.balance += value;
        Ok(())
    })
}

/// The return of a reply's params for native senders, decoded (for tests and tools).
pub fn decode_native_reply(data: &[u8]) -> anyhow::Result<(u64, u32, Vec<u8>)> {
    let (id, exit, ret): (u64, u32, RawBytes) = fvm_ipld_encoding::from_slice(data)?;
    Ok((id, exit, ret.to_vec()))
}
