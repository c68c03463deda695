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

use std::collections::BTreeMap;

use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::event::StampedEvent;

use crate::ActorID;
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
    pub params: Option<IpldBlock>,
    pub read_only: bool,
    pub gas_limit: u64,
    pub depth: u32,
}

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
    open: Vec<usize>,
    pending_code_address: Option<Address>,
}

impl Tracer {
    pub fn new(steps: Option<StepOptions>) -> Self {
        Self {
            steps,
            ..Self::default()
        }
    }

    /// The top-level frames in order (one per message; the system lane may run several).
    pub fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.frames.len()).filter(|&i| self.frames[i].parent.is_none())
    }

    /// The frame running now.
    pub fn current(&self) -> Option<&TraceFrame> {
        self.open.last().map(|&i| &self.frames[i])
    }

    pub fn enter(&mut self, start: FrameStart) {
        let index = self.frames.len();
        let parent = self.open.last().copied();
        if let Some(p) = parent {
            self.frames[p].children.push(index);
        }
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
            params: start.params,
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
        });
        self.open.push(index);
    }

    /// The address whose code the next delegate call runs (told by the runtime before it
    /// asks the call manager, which only sees the code CID).
    pub fn delegate_target(&mut self, addr: Address) {
        self.pending_code_address = Some(addr);
    }

    /// The actor and code that run in the open frame.
    pub fn callee(&mut self, id: ActorID, code: Cid, runtime: &'static str) {
        if let Some(&i) = self.open.last() {
            let f = &mut self.frames[i];
            f.callee = Some(id);
            f.code = Some(code);
            f.runtime = Some(runtime);
        }
    }

    pub fn event(&mut self, event: &StampedEvent) {
        if let Some(&i) = self.open.last() {
            let f = &mut self.frames[i];
            f.events.push((f.children.len(), event.clone()));
        }
    }

    /// Closes the open frame with what the call manager returns for it.
    pub fn exit(&mut self, result: &KResult<CallOutcome>) {
        let Some(i) = self.open.pop() else {
            return;
        };
        let f = &mut self.frames[i];
        match result {
            Ok(outcome) => {
                f.exit_code = outcome.exit_code;
                f.return_data = outcome.return_data.clone();
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

    /// Keeps a step (or counts it past the limit).
    pub fn step(&mut self, log: StructLog) {
        let limit = self.steps.map_or(0, |s| s.limit);
        if limit != 0 && self.struct_logs.len() >= limit {
            self.dropped_steps += 1;
            return;
        }
        self.struct_logs.push(log);
    }

    /// The last step kept, for the runtime to complete after the opcode ran.
    pub fn last_step_mut(&mut self) -> Option<&mut StructLog> {
        self.struct_logs.last_mut()
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
