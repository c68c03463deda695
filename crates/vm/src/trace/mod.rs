//! Call traces across runtimes: an optional collector the call manager feeds with every frame
//! (send, delegate call, create), whatever runtime runs it, and the EVM runtime with opcode
//! steps when asked.
//!
//! The tracer lives in [`Machine::tracer`](crate::machine::Machine::tracer). When it is
//! `None` (always, except while a trace is being taken) each hook is one `Option` check per
//! frame. Frames are kept in the order they started, each knowing its parent and children,
//! so the tree and its flat pre-order listing (parity's `traceAddress`) are both at hand.
//! A frame's events are the ones it emitted itself (children keep theirs); a frame that
//! failed keeps what it recorded, and the consumer decides (geth drops failed frames' logs).
//!
//! A tracer keeps at most [`TraceLimit`]: bytes of calldata, return data, event data and
//! opcode-step copies (each frame, event and step also counts a fixed size), and a number of
//! opcode steps. What would go over is not copied: the tracer stops recording and marks
//! itself overflowed ([`Tracer::overflow`]), one comparison per frame, event or step. The
//! traced execution is the same either way (the tracer is only ever written to); a consumer
//! must refuse an overflowed trace, which is incomplete.

use std::collections::BTreeMap;

use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::event::StampedEvent;

mod gas;

pub use gas::{FrameGas, GasBreakdown, GasCharge};

use crate::ActorID;
use crate::gas::Gas;
use crate::kernel::{CallOutcome, ExecutionError, KResult};

/// How a frame was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A send (EVM CALL and STATICCALL, native sends, built-ins' sends, top-level messages).
    Call,
    /// Other code on the receiver's state (EVM DELEGATECALL, CALLCODE).
    DelegateCall,
    /// An actor created at an f410 address with its constructor (EVM CREATE, CREATE2).
    Create,
}

/// What the EVM runtime records per opcode when the tracer asks for steps (geth's struct
/// logger options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepOptions {
    pub stack: bool,
    pub memory: bool,
    pub storage: bool,
    /// At most this many steps are kept (0: no limit); later ones are counted, not stored.
    pub limit: usize,
}

impl Default for StepOptions {
    fn default() -> Self {
        Self {
            stack: true,
            memory: false,
            storage: true,
            limit: 0,
        }
    }
}

/// One EVM opcode step (geth's struct log, in raw form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructLog {
    pub pc: u64,
    pub op: u8,
    /// Gas left before the opcode.
    pub gas: u64,
    /// What the opcode cost (for calls and creates, including the gas passed on).
    pub gas_cost: u64,
    /// 1 for the top-level frame, as geth counts.
    pub depth: u32,
    /// Bottom first, as geth lists it.
    pub stack: Option<Vec<[u8; 32]>>,
    pub memory: Option<Vec<u8>>,
    /// The storage of the running contract seen so far, at SLOAD and SSTORE only.
    pub storage: Option<Vec<([u8; 32], [u8; 32])>>,
    pub error: Option<String>,
}

/// One frame of a trace.
#[derive(Debug, Clone)]
pub struct TraceFrame {
    pub kind: FrameKind,
    /// The sender (for delegate calls, the caller the code sees).
    pub caller: ActorID,
    /// The address the frame was sent to (for creates, the new actor's f410 address).
    pub to: Address,
    /// Delegate calls: the address whose code runs (EVM DELEGATECALL's target), when the
    /// runtime told ([`Tracer::delegate_target`]).
    pub code_address: Option<Address>,
    /// The actor that ran, once known (none when nothing ran: a value transfer to an
    /// account, a send to an empty address).
    pub callee: Option<ActorID>,
    pub code: Option<Cid>,
    /// The runtime that ran the frame: `evm`, `wasm`, `builtin`.
    pub runtime: Option<&'static str>,
    pub method: u64,
    pub value: TokenAmount,
    pub params: Option<IpldBlock>,
    pub read_only: bool,
    /// Gas the frame could spend when it started (Ethereum gas units).
    pub gas_limit: u64,
    pub depth: u32,
    pub exit_code: ExitCode,
    pub return_data: Option<IpldBlock>,
    pub gas_used: u64,
    /// Why the frame could not run at all (a refused send), when it did not.
    pub error: Option<String>,
    pub created: Option<ActorID>,
    /// Events the frame emitted, each with the number of child frames started before it
    /// (geth's log `position`).
    pub events: Vec<(usize, StampedEvent)>,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Index of this frame's first struct log (steps recorded while it ran, children's too).
    pub first_step: usize,
    /// The gas this frame was charged itself, by name, in the order each name was first
    /// charged (its children's charges are theirs). A charge belongs to the frame running
    /// when it is made: a send's value transfer and lookups to the sender, the callee's
    /// invocation and instance to the callee.
    pub gas_charges: Vec<GasCharge>,
    /// Top-level frames only: what the message was charged outside any frame (its base price
    /// and params bytes, Ethereum's intrinsic gas, the rest of the limit a failed create or
    /// precompile consumes). With the frames' charges it sums to the message's gas used.
    pub message_gas: Vec<GasCharge>,
}

impl TraceFrame {
    pub fn failed(&self) -> bool {
        !self.exit_code.is_success() || self.error.is_some()
    }
}

/// The facts a frame starts with.
#[derive(Debug, Clone)]
pub struct FrameStart {
    pub kind: FrameKind,
    pub caller: ActorID,
    pub to: Address,
    pub method: u64,
    pub value: TokenAmount,
    pub read_only: bool,
    pub gas_limit: u64,
    pub depth: u32,
}

/// What one tracer may keep (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceLimit {
    /// Bytes of params, return data, events and step copies, with each record's fixed size.
    pub bytes: u64,
    /// Opcode steps kept (steps past [`StepOptions::limit`] are not kept and do not count).
    pub steps: u64,
}

impl TraceLimit {
    pub const UNLIMITED: Self = Self {
        bytes: u64::MAX,
        steps: u64::MAX,
    };
}

impl Default for TraceLimit {
    fn default() -> Self {
        Self::UNLIMITED
    }
}

/// Which part of the [`TraceLimit`] a trace went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    Bytes,
    Steps,
}

/// What a frame record costs besides its params and return data.
const FRAME_BYTES: u64 = std::mem::size_of::<TraceFrame>() as u64;
/// What a step record costs besides its stack, memory and storage.
const STEP_BYTES: u64 = std::mem::size_of::<StructLog>() as u64;
/// What an event record costs besides its keys and values, and each entry's fixed size.
const EVENT_BYTES: u64 = std::mem::size_of::<(usize, StampedEvent)>() as u64;
const ENTRY_BYTES: u64 = 64;
/// What a gas-charge record costs (one per name per frame).
const CHARGE_BYTES: u64 = std::mem::size_of::<GasCharge>() as u64;

/// The collector.
#[derive(Debug, Clone, Default)]
pub struct Tracer {
    /// Opcode steps of EVM frames, when wanted.
    pub steps: Option<StepOptions>,
    pub frames: Vec<TraceFrame>,
    pub struct_logs: Vec<StructLog>,
    /// Steps past [`StepOptions::limit`], counted but not kept.
    pub dropped_steps: u64,
    /// Slots each contract read or wrote so far (the struct logger's `storage`).
    pub seen_storage: BTreeMap<ActorID, BTreeMap<[u8; 32], [u8; 32]>>,
    /// What this tracer may keep (unlimited unless set).
    pub limit: TraceLimit,
    used_bytes: u64,
    overflow: Option<Overflow>,
    open: Vec<usize>,
    /// Frames entered after the overflow, open now and not recorded.
    skipped_open: usize,
    pending_code_address: Option<Address>,
    /// Charges made outside any frame before the message's top-level frame opened.
    pending_gas: Vec<GasCharge>,
    /// The top-level frame of the message running now, once it has opened: charges made
    /// outside any frame after it closed are the message's too.
    message_root: Option<usize>,
}

impl Tracer {
    pub fn new(steps: Option<StepOptions>) -> Self {
        Self {
            steps,
            ..Self::default()
        }
    }

    /// A tracer that keeps at most `limit`.
    pub fn with_limit(steps: Option<StepOptions>, limit: TraceLimit) -> Self {
        Self {
            steps,
            limit,
            ..Self::default()
        }
    }

    /// The limit this trace went over, if it did (it is then incomplete).
    pub fn overflow(&self) -> Option<Overflow> {
        self.overflow
    }

    /// Bytes kept so far, as [`TraceLimit::bytes`] counts them.
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    /// Counts `bytes` against the limit; false (and overflowed) when they do not fit.
    fn charge(&mut self, bytes: u64) -> bool {
        if self.overflow.is_some() {
            return false;
        }
        match self.used_bytes.checked_add(bytes) {
            Some(total) if total <= self.limit.bytes => {
                self.used_bytes = total;
                true
            }
            _ => {
                self.overflow = Some(Overflow::Bytes);
                false
            }
        }
    }

    /// The frame the runtime's hooks apply to: none while an unrecorded frame runs.
    fn recording(&self) -> Option<usize> {
        if self.skipped_open > 0 {
            return None;
        }
        self.open.last().copied()
    }

    /// The top-level frames in order (one per message; the system lane may run several).
    pub fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.frames.len()).filter(|&i| self.frames[i].parent.is_none())
    }

    /// The frame running now.
    pub fn current(&self) -> Option<&TraceFrame> {
        self.recording().map(|i| &self.frames[i])
    }

    /// Opens a frame; its params are copied only when they fit the limit.
    pub fn enter(&mut self, start: FrameStart, params: &Option<IpldBlock>) {
        let size = params.as_ref().map_or(0, |p| p.data.len() as u64);
        if self.skipped_open > 0 || !self.charge(FRAME_BYTES + size) {
            self.skipped_open += 1;
            self.pending_code_address = None;
            return;
        }
        let index = self.frames.len();
        let parent = self.open.last().copied();
        if let Some(p) = parent {
            self.frames[p].children.push(index);
        }
        let message_gas = if parent.is_none() {
            self.message_root = Some(index);
            std::mem::take(&mut self.pending_gas)
        } else {
            Vec::new()
        };
        self.frames.push(TraceFrame {
            kind: start.kind,
            caller: start.caller,
            to: start.to,
            code_address: match start.kind {
                FrameKind::DelegateCall => self.pending_code_address.take(),
                _ => None,
            },
            callee: None,
            code: None,
            runtime: None,
            method: start.method,
            value: start.value,
            params: params.clone(),
            read_only: start.read_only,
            gas_limit: start.gas_limit,
            depth: start.depth,
            exit_code: ExitCode::OK,
            return_data: None,
            gas_used: 0,
            error: None,
            created: None,
            events: Vec::new(),
            parent,
            children: Vec::new(),
            first_step: self.struct_logs.len(),
            gas_charges: Vec::new(),
            message_gas,
        });
        self.open.push(index);
    }

    /// The top-level frame of the last message begun, once it opened.
    pub fn message_root(&self) -> Option<usize> {
        self.message_root
    }

    /// What the last message begun was charged while it had no frame (all it was charged,
    /// when it never opened one: a message refused before its first frame).
    pub fn unframed_gas(&self) -> &[GasCharge] {
        &self.pending_gas
    }

    /// A new message starts: charges outside any frame wait for its top-level frame.
    pub fn begin_message(&mut self) {
        self.pending_gas.clear();
        self.message_root = None;
    }

    /// Records gas charged (or, negative, given back) where it was charged: to the open
    /// frame, or outside frames to the message's top-level frame.
    pub fn gas_charge(&mut self, name: &'static str, gas: Gas) {
        if gas == Gas::ZERO || self.skipped_open > 0 || self.overflow.is_some() {
            return;
        }
        let list = match (self.open.last(), self.message_root) {
            (Some(&i), _) => &mut self.frames[i].gas_charges,
            (None, Some(root)) => &mut self.frames[root].message_gas,
            (None, None) => &mut self.pending_gas,
        };
        if gas::add_charge(list, name, gas) {
            self.charge(CHARGE_BYTES);
        }
    }

    /// The address whose code the next delegate call runs (told by the runtime before it
    /// asks the call manager, which only sees the code CID).
    pub fn delegate_target(&mut self, addr: Address) {
        self.pending_code_address = Some(addr);
    }

    /// The actor and code that run in the open frame.
    pub fn callee(&mut self, id: ActorID, code: Cid, runtime: &'static str) {
        if let Some(i) = self.recording() {
            let f = &mut self.frames[i];
            f.callee = Some(id);
            f.code = Some(code);
            f.runtime = Some(runtime);
        }
    }

    pub fn event(&mut self, event: &StampedEvent) {
        let Some(i) = self.recording() else {
            return;
        };
        let entries = &event.event.entries;
        let size = entries.iter().fold(EVENT_BYTES, |n, e| {
            n.saturating_add(ENTRY_BYTES + e.key.len() as u64 + e.value.len() as u64)
        });
        if self.charge(size) {
            let f = &mut self.frames[i];
            f.events.push((f.children.len(), event.clone()));
        }
    }

    /// Closes the open frame with what the call manager returns for it.
    pub fn exit(&mut self, result: &KResult<CallOutcome>) {
        if self.skipped_open > 0 {
            self.skipped_open -= 1;
            return;
        }
        let Some(i) = self.open.pop() else {
            return;
        };
        let kept = match result {
            Ok(CallOutcome {
                return_data: Some(r),
                ..
            }) => self.charge(r.data.len() as u64).then(|| r.clone()),
            _ => None,
        };
        let f = &mut self.frames[i];
        match result {
            Ok(outcome) => {
                f.exit_code = outcome.exit_code;
                f.return_data = kept;
                f.gas_used = outcome.gas_used.round_up();
                f.created = outcome.created;
            }
            Err(ExecutionError::OutOfGas) => {
                f.exit_code = ExitCode::SYS_OUT_OF_GAS;
                f.gas_used = f.gas_limit;
            }
            Err(ExecutionError::Syscall(number, msg)) => {
                f.exit_code = crate::call_manager::syscall_exit_code(*number);
                f.error = Some(msg.clone());
            }
            Err(ExecutionError::Fatal(e)) => {
                f.exit_code = ExitCode::SYS_ASSERTION_FAILED;
                f.error = Some(format!("fatal: {e:#}"));
            }
        }
    }

    /// Whether the next opcode step is to be kept, given the bytes of stack, memory and
    /// storage its record would copy; charges it when so. Called before anything is
    /// copied. A step past [`StepOptions::limit`] is counted in `dropped_steps`; one over
    /// the [`TraceLimit`] overflows the tracer. Only a kept step is [`record_step`]ed.
    ///
    /// [`record_step`]: Tracer::record_step
    pub fn admit_step(&mut self, copy_bytes: u64) -> bool {
        if self.overflow.is_some() {
            return false;
        }
        let limit = self.steps.map_or(0, |s| s.limit);
        if limit != 0 && self.struct_logs.len() >= limit {
            self.dropped_steps += 1;
            return false;
        }
        if self.struct_logs.len() as u64 >= self.limit.steps {
            self.overflow = Some(Overflow::Steps);
            return false;
        }
        self.charge(STEP_BYTES.saturating_add(copy_bytes))
    }

    /// Keeps a step [`admit_step`](Tracer::admit_step) admitted.
    pub fn record_step(&mut self, log: StructLog) {
        self.struct_logs.push(log);
    }

    /// The last step kept, for the runtime to complete after the opcode ran.
    pub fn last_step_mut(&mut self) -> Option<&mut StructLog> {
        self.struct_logs.last_mut()
    }

    /// Everything the message whose top-level frame is `root` was charged: its charges
    /// outside frames and every charge of the frames it ran. Rounded up to whole gas, it is
    /// the message's gas used (before the EVM's end-of-transaction refund).
    pub fn message_gas_total(&self, root: usize) -> Gas {
        let sum = |list: &[GasCharge]| list.iter().fold(Gas::ZERO, |acc, c| acc + c.gas);
        let mut total = sum(&self.frames[root].message_gas);
        for (i, _) in self.flatten(root) {
            total += sum(&self.frames[i].gas_charges);
        }
        total
    }

    /// Indices of every frame in pre-order with its trace address (child positions from the
    /// root), for parity-style listings.
    pub fn flatten(&self, root: usize) -> Vec<(usize, Vec<usize>)> {
        let mut out = Vec::new();
        let mut stack = vec![(root, Vec::new())];
        while let Some((i, addr)) = stack.pop() {
            for (k, &c) in self.frames[i].children.iter().enumerate().rev() {
                let mut a = addr.clone();
                a.push(k);
                stack.push((c, a));
            }
            out.push((i, addr));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fvm_ipld_encoding::RawBytes;
    use fvm_shared::event::{ActorEvent, Entry, Flags};

    use crate::kernel::CallOutcome;

    fn start(depth: u32) -> FrameStart {
        FrameStart {
            kind: FrameKind::Call,
            caller: 1,
            to: Address::new_id(2),
            method: 0,
            value: TokenAmount::default(),
            read_only: false,
            gas_limit: 0,
            depth,
        }
    }

    fn params(n: usize) -> Option<IpldBlock> {
        Some(IpldBlock {
            codec: fvm_ipld_encoding::IPLD_RAW,
            data: vec![7; n],
        })
    }

    fn ok(ret: usize) -> KResult<CallOutcome> {
        Ok(CallOutcome {
            exit_code: ExitCode::OK,
            return_data: params(ret),
            return_links: Vec::new(),
            gas_used: crate::gas::Gas::ZERO,
            created: None,
        })
    }

    fn event(n: usize) -> StampedEvent {
        let entry = Entry {
            flags: Flags::empty(),
            key: "d".into(),
            codec: fvm_ipld_encoding::IPLD_RAW,
            value: RawBytes::new(vec![1; n]).to_vec(),
        };
        StampedEvent::new(2, ActorEvent::from(vec![entry]))
    }

    #[test]
    fn an_overflowed_tracer_keeps_a_consistent_prefix() {
        let limit = TraceLimit {
            bytes: 3 * FRAME_BYTES + 2_500,
            steps: 10,
        };
        let mut t = Tracer::with_limit(None, limit);
        t.enter(start(0), &params(1_000));
        t.enter(start(1), &params(1_000));
        t.exit(&ok(100));
        // Over: this frame and everything under it is not recorded...
        t.enter(start(1), &params(1_000));
        assert_eq!(t.overflow(), Some(Overflow::Bytes));
        t.enter(start(2), &None);
        t.callee(9, Cid::default(), "evm");
        t.event(&event(10));
        t.exit(&ok(10));
        t.exit(&ok(10));
        // ...and what its parent does afterwards is not attributed to the wrong frame.
        assert_eq!(t.current().map(|f| f.depth), Some(0));
        t.event(&event(10));
        t.exit(&ok(1_000));
        assert_eq!(t.frames.len(), 2);
        assert_eq!(t.frames[0].children, vec![1]);
        assert!(
            t.frames
                .iter()
                .all(|f| f.callee.is_none() && f.events.is_empty())
        );
        assert_eq!(t.frames[0].return_data, None, "no room left for it");
        assert_eq!(
            t.frames[1].return_data.as_ref().map(|r| r.data.len()),
            Some(100)
        );
        assert!(t.used_bytes() <= limit.bytes);
        assert!(t.current().is_none());
    }

    fn log() -> StructLog {
        StructLog {
            pc: 0,
            op: 0,
            gas: 0,
            gas_cost: 0,
            depth: 1,
            stack: None,
            memory: None,
            storage: None,
            error: None,
        }
    }

    #[test]
    fn steps_are_admitted_within_the_limit_and_the_count() {
        let limit = TraceLimit {
            bytes: u64::MAX,
            steps: 2,
        };
        let mut t = Tracer::with_limit(Some(StepOptions::default()), limit);
        for _ in 0..2 {
            assert!(t.admit_step(64));
            t.record_step(log());
        }
        assert!(!t.admit_step(0));
        assert_eq!(t.overflow(), Some(Overflow::Steps));
        let bytes = TraceLimit {
            bytes: STEP_BYTES + 100,
            steps: u64::MAX,
        };
        let mut t = Tracer::with_limit(Some(StepOptions::default()), bytes);
        assert!(
            !t.admit_step(101),
            "a copy over the budget is refused first"
        );
        assert_eq!(t.overflow(), Some(Overflow::Bytes));
        // Past the request's own `limit`, steps are counted, not kept, and do not overflow.
        let few = StepOptions {
            limit: 1,
            ..StepOptions::default()
        };
        let mut t = Tracer::with_limit(Some(few), limit);
        assert!(t.admit_step(0));
        t.record_step(log());
        assert!(!t.admit_step(0) && !t.admit_step(0));
        assert_eq!((t.dropped_steps, t.overflow()), (2, None));
    }
}
