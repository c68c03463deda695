//! The system lane on the node (docs/async.md, G10): every block runs the executor's lane
//! when it opens, before any user message, and records each system message like a native
//! message of the block (receipt, Ethereum logs), plus a status per async message.
//!
//! Records: `node.async.<id>` → [`AsyncStatus`] (JSON), written with the block.

use cid::Cid;
use multihash_codetable::{Code, MultihashDigest};
use serde::{Deserialize, Serialize};
use tandem_vm::executor::Executor;
use tandem_vm::system_lane::{SystemKind, SystemMessage};

use crate::blocks::{BlockStore, MsgRecord};

pub fn async_key(id: u64) -> String {
    format!("node.async.{id}")
}

/// What became of an async message that was delivered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AsyncStatus {
    pub block: u64,
    /// The delivery's record (a native message CID of the block).
    pub delivery: String,
    pub exit_code: u32,
    pub failure: Option<String>,
    /// The reply's record, if one was sent.
    pub reply: Option<String>,
    pub reply_exit_code: Option<u32>,
}

/// What the lane of one block did.
#[derive(Default)]
pub(crate) struct LaneRun {
    /// System messages as native message records, in the order they ran.
    pub messages: Vec<(String, MsgRecord)>,
    pub statuses: Vec<(u64, AsyncStatus)>,
}

/// Runs the lane of block `number`. A lane that fails (a bug: each system message is
/// already isolated) is logged and leaves the block without system messages, so the node
/// keeps mining.
pub(crate) fn run(exec: &mut Executor, number: u64) -> LaneRun {
    let ran = match exec.run_system_lane() {
        Ok(ran) => ran,
        Err(e) => {
            tracing::error!(target: "tandem::fatal", "the system lane of block {number} failed: {e:#}");
            return LaneRun::default();
        }
    };
    let mut out = LaneRun::default();
    for (i, m) in ran.into_iter().enumerate() {
        let cid = system_cid(number, i, &m);
        let record = record(exec, &m);
        match m.kind {
            SystemKind::AsyncDelivery { id } => out.statuses.push((
                id,
                AsyncStatus {
                    block: number,
                    delivery: cid.clone(),
                    exit_code: record.exit_code,
                    failure: record.failure.clone(),
                    reply: None,
                    reply_exit_code: None,
                },
            )),
            SystemKind::AsyncReply { id, .. } => {
                if let Some((_, s)) = out.statuses.iter_mut().rev().find(|(i, _)| *i == id) {
                    s.reply = Some(cid.clone());
                    s.reply_exit_code = Some(record.exit_code);
                }
            }
            SystemKind::Cron(_) => {}
        }
        tracing::info!(
            target: "tandem::node",
            "system message {cid} ({:?}) from f0{} to {} exit {} gas {}",
            m.kind,
            m.from,
            m.to,
            record.exit_code,
            record.gas_used
        );
        out.messages.push((cid, record));
    }
    out
}

/// A CID naming the `index`th system message of block `number`: unique on the chain, and
/// its digest is the transaction hash its logs are served under.
fn system_cid(number: u64, index: usize, m: &SystemMessage) -> String {
    let (kind, key) = match &m.kind {
        SystemKind::Cron(e) => ("cron", e.actor),
        SystemKind::AsyncDelivery { id } => ("async-delivery", *id),
        SystemKind::AsyncReply { id, .. } => ("async-reply", *id),
    };
    let encoded = fvm_ipld_encoding::to_vec(&("tandem/system", number, index as u64, kind, key))
        .unwrap_or_default();
    Cid::new_v1(
        fvm_ipld_encoding::DAG_CBOR,
        Code::Blake2b256.digest(&encoded),
    )
    .to_string()
}

/// The record of a system message (without logs if they cannot be read: a bug, which must
/// not stop the block).
fn record(exec: &mut Executor, m: &SystemMessage) -> MsgRecord {
    let logs =
        crate::blocks::eth_logs(&mut exec.machine.state, &m.ret.events).unwrap_or_else(|e| {
            tracing::error!(target: "tandem::fatal", "the logs of a system message: {e:#}");
            Vec::new()
        });
    MsgRecord::unmined(&m.ret, logs)
}

/// The status of a delivered async message whose block is still on the chain.
pub fn delivered(blocks: &BlockStore, id: u64, latest: u64) -> anyhow::Result<Option<AsyncStatus>> {
    let Some(status) = blocks.record::<AsyncStatus>(&async_key(id))? else {
        return Ok(None);
    };
    Ok(blocks
        .message(&status.delivery, latest)?
        .is_some()
        .then_some(status))
}
