//! The EVM's struct logger: when the VM's tracer asks for opcode steps
//! ([`tandem_vm::trace::Tracer::steps`]), a frame runs its interpreter one instruction at a
//! time and records geth's struct log for each (pc, opcode, gas left, gas cost, depth, and on
//! request the stack, the memory and the storage seen so far). Without a tracer the frame
//! runs `run_plain` as always; this loop is never on the untraced path. Each step's copies
//! are sized first and made only if the tracer admits the step (its `limit` and its byte
//! budget, `tandem_vm::trace::TraceLimit`), so a step past either copies nothing.

use revm::bytecode::opcode;
use revm::interpreter::instructions::{GasTable, InstructionTable};
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_types::{Jumps, LoopControl};
use revm::interpreter::{InstructionResult, Interpreter, InterpreterAction};
use tandem_vm::ActorID;
use tandem_vm::trace::{StepOptions, StructLog};

use crate::host::TandemHost;

/// The step options of the tracer, if it wants steps.
pub(crate) fn step_options(host: &mut TandemHost<'_>) -> Option<StepOptions> {
    host.kernel.tracer().and_then(|t| t.steps)
}

/// `Interpreter::run_plain`, recording a struct log before every instruction the tracer
/// admits (within its `limit` and its byte budget: nothing is copied for a step it does not
/// keep, and nothing at all once it overflowed).
pub(crate) fn run_traced<'k>(
    interp: &mut Interpreter<EthInterpreter>,
    table: &InstructionTable<EthInterpreter, TandemHost<'k>>,
    gas_table: &GasTable,
    host: &mut TandemHost<'k>,
    opts: StepOptions,
) -> InterpreterAction {
    let receiver = host.kernel.context().receiver;
    // geth counts the top-level frame as depth 1.
    let depth = host.kernel.context().depth + 1;
    let e = loop {
        let gas_before = interp.gas.remaining();
        let seen = match host.kernel.tracer() {
            Some(t) if t.overflow().is_none() => before(interp, t, opts, receiver, depth),
            _ => Seen::default(),
        };
        let result = interp.step(table, gas_table, host);
        let gas_after = interp.gas.remaining();
        let loaded = match seen.sload_key {
            Some(key) if result.is_ok() => interp
                .stack
                .data()
                .last()
                .map(|v| (key, v.to_be_bytes::<32>())),
            _ => None,
        };
        if let Some(t) = host.kernel.tracer()
            && (seen.kept || loaded.is_some())
        {
            let cost = gas_before.saturating_sub(gas_after);
            after(t, receiver, seen.kept, cost, loaded, &result);
        }
        if let Err(e) = result {
            break e;
        }
    };
    if interp.bytecode.action().is_none() {
        interp.halt(e);
    }
    interp.take_next_action()
}

/// What `before` left for `after`: whether the step was kept, and an SLOAD's key.
#[derive(Default)]
struct Seen {
    kept: bool,
    sload_key: Option<[u8; 32]>,
}

/// Records the step as it stands before the instruction runs, if the tracer admits it; the
/// slots seen are tracked either way (`prestateTracer` reads them).
fn before(
    interp: &mut Interpreter<EthInterpreter>,
    t: &mut tandem_vm::trace::Tracer,
    opts: StepOptions,
    receiver: ActorID,
    depth: u32,
) -> Seen {
    let op = interp.bytecode.opcode();
    let data = interp.stack.data();
    let mut sload_key = None;
    let storage_op = opts.storage && (op == opcode::SLOAD || op == opcode::SSTORE);
    let mut slots = 0;
    if storage_op {
        let top = |i: usize| {
            data.len()
                .checked_sub(i + 1)
                .map(|k| data[k].to_be_bytes::<32>())
        };
        let seen = t.seen_storage.entry(receiver).or_default();
        if op == opcode::SSTORE
            && let (Some(k), Some(v)) = (top(0), top(1))
        {
            seen.insert(k, v);
        }
        if op == opcode::SLOAD {
            sload_key = top(0);
        }
        // An SLOAD's slot may be added after it runs.
        slots = seen.len() as u64 + u64::from(sload_key.is_some());
    }
    let mut copy = 0u64;
    if opts.stack {
        copy += data.len() as u64 * 32;
    }
    if opts.memory {
        copy += interp.memory.context_memory().len() as u64;
    }
    copy += slots * 64;
    if !t.admit_step(copy) {
        return Seen {
            kept: false,
            sload_key,
        };
    }
    let stack = opts
        .stack
        .then(|| data.iter().map(|w| w.to_be_bytes::<32>()).collect());
    let memory = opts.memory.then(|| interp.memory.context_memory().to_vec());
    let storage = storage_op.then(|| {
        let seen = t.seen_storage.get(&receiver);
        seen.map(|m| m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    t.record_step(StructLog {
        pc: interp.bytecode.pc() as u64,
        op,
        gas: interp.gas.remaining(),
        gas_cost: 0,
        depth,
        stack,
        memory,
        storage,
        error: None,
    });
    Seen {
        kept: true,
        sload_key,
    }
}

/// Completes a kept step (its cost, an SLOAD's value, its error) and notes an SLOAD's slot.
fn after(
    t: &mut tandem_vm::trace::Tracer,
    receiver: ActorID,
    kept: bool,
    cost: u64,
    loaded: Option<([u8; 32], [u8; 32])>,
    result: &Result<(), InstructionResult>,
) {
    if kept && let Some(log) = t.last_step_mut() {
        log.gas_cost = cost;
        if let Err(e) = result
            && e.is_halt()
        {
            log.error = Some(error_text(*e));
        }
        if let (Some((key, value)), Some(storage)) = (loaded, log.storage.as_mut()) {
            match storage.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => {
                    storage.push((key, value));
                    storage.sort();
                }
            }
        }
    }
    if let Some((key, value)) = loaded {
        t.seen_storage
            .entry(receiver)
            .or_default()
            .insert(key, value);
    }
}

/// geth's words for the errors a struct log carries.
fn error_text(e: InstructionResult) -> String {
    match e {
        InstructionResult::OutOfGas
        | InstructionResult::MemoryOOG
        | InstructionResult::MemoryLimitOOG
        | InstructionResult::PrecompileOOG
        | InstructionResult::InvalidOperandOOG => "out of gas".into(),
        InstructionResult::StackUnderflow => "stack underflow".into(),
        InstructionResult::StackOverflow => "stack limit reached 1024 (1023)".into(),
        InstructionResult::InvalidJump => "invalid jump destination".into(),
        InstructionResult::OpcodeNotFound | InstructionResult::InvalidFEOpcode => {
            "invalid opcode".into()
        }
        InstructionResult::StateChangeDuringStaticCall
        | InstructionResult::CallNotAllowedInsideStatic => "write protection".into(),
        InstructionResult::Revert => "execution reverted".into(),
        other => format!("{other:?}"),
    }
}

/// An opcode's name as geth prints it (`opcode 0xef not defined` for an unassigned byte).
pub fn op_name(op: u8) -> String {
    match revm::bytecode::opcode::OpCode::new(op) {
        Some(o) => o.as_str().to_string(),
        None => format!("opcode {op:#04x} not defined"),
    }
}
