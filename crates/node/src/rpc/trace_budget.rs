//! What one trace request may keep: every tracer the node installs (`debug_trace*`,
//! `trace_*`, `ots_*`, `tandem_traceMessage`, `eth_simulateV1`'s `traceTransfers`) carries a
//! [`TraceLimit`] from here, and the VM's tracer and the EVM's struct logger enforce it as
//! they record (`tandem_vm::trace`, `tandem_evm::trace`): a frame's calldata and return
//! data, an event, or a step's stack, memory and storage is sized before it is copied, and
//! what would go over is not copied; the tracer marks itself overflowed and the request
//! fails with [`overflow_error`]. Tracing never changes the execution, so the traced
//! transaction runs to its end as it did when mined.
//!
//! A request that traces several transactions (a block) shares one budget: each tracer gets
//! what the earlier ones left ([`Budget`]).

use tandem_vm::trace::{Overflow, TraceLimit, Tracer};

use crate::error::{RpcError, RpcResult};

/// At most this many bytes kept per trace request: calldata, return data, event data and
/// struct-log copies (stack words, memory, storage entries), plus each frame's, event's and
/// step's fixed record size. Rendered as JSON a trace is at most about twice this (hex), so
/// it stays within `MAX_RESPONSE_BYTES`.
pub const MAX_TRACE_BYTES: u64 = 64 << 20;
/// At most this many struct-log steps kept per trace request (steps past the request's
/// `limit` are not kept and do not count).
pub const MAX_TRACE_STEPS: u64 = 500_000;

/// The whole budget of one request.
pub const REQUEST_LIMIT: TraceLimit = TraceLimit {
    bytes: MAX_TRACE_BYTES,
    steps: MAX_TRACE_STEPS,
};

/// What is left of a request's budget, handed to its tracers one after another.
#[derive(Debug, Clone, Copy)]
pub struct Budget(TraceLimit);

impl Default for Budget {
    fn default() -> Self {
        Self(REQUEST_LIMIT)
    }
}

impl Budget {
    /// The limit for the next tracer.
    pub fn limit(&self) -> TraceLimit {
        self.0
    }

    /// Checks a finished tracer and takes what it kept from the budget; an overflowed
    /// tracer is the request's error.
    pub fn spend(&mut self, t: &Tracer) -> RpcResult<()> {
        check(t)?;
        self.0.bytes = self.0.bytes.saturating_sub(t.used_bytes());
        self.0.steps = self.0.steps.saturating_sub(t.struct_logs.len() as u64);
        Ok(())
    }
}

/// An overflowed tracer as the request's error.
pub fn check(t: &Tracer) -> RpcResult<()> {
    match t.overflow() {
        None => Ok(()),
        Some(o) => Err(overflow_error(o)),
    }
}

/// The error of a trace that went over [`REQUEST_LIMIT`]: which limit, and what to change.
pub fn overflow_error(o: Overflow) -> RpcError {
    RpcError::server(match o {
        Overflow::Bytes => format!(
            "trace too large: it would keep more than {MAX_TRACE_BYTES} bytes (the node's \
             limit MAX_TRACE_BYTES per trace request); trace a single transaction or a \
             smaller call, and for the struct logger set enableMemory false, disableStack or \
             disableStorage true, or a smaller `limit`"
        ),
        Overflow::Steps => format!(
            "trace too large: more than {MAX_TRACE_STEPS} opcode steps (the node's limit \
             MAX_TRACE_STEPS per trace request); set a smaller `limit`, or use callTracer"
        ),
    })
}
