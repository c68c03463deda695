//! The EVM's struct logger: when the VM's tracer asks for opcode steps
//! ([`tandem_vm::trace::Tracer::steps`]), a frame runs its interpreter one instruction at a
//! time and records geth's struct log for each (pc, opcode, gas left, gas cost, depth, and on
//! request the stack, the memory and the storage seen so far). Without a tracer the frame
//! runs `run_plain` as always; this loop is never on the untraced path.

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

/// `Interpreter::run_plain`, recording a struct log before every instruction.
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
        let (log, sload_key) = before(interp, host, opts, receiver, depth);
        let gas_before = interp.gas.remaining();
        if let Some(t) = host.kernel.tracer() {
            t.step(log);
        }
        let result = interp.step(table, gas_table, host);
        let gas_after = interp.gas.remaining();
        let loaded = match sload_key {
            Some(key) if result.is_ok() => interp
                .stack
                .data()
                .last()
                .map(|v| (key, v.to_be_bytes::<32>())),
            _ => None,
        };
        if let Some(t) = host.kernel.tracer() {
            after(
                t,
                receiver,
                gas_before.saturating_sub(gas_after),
                loaded,
                &result,
            );
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

/// The step as it stands before the instruction runs.
fn before(
    interp: &mut Interpreter<EthInterpreter>,
    host: &mut TandemHost<'_>,
    opts: StepOptions,
    receiver: ActorID,
    depth: u32,
) -> (StructLog, Option<[u8; 32]>) {
    let op = interp.bytecode.opcode();
    let data = interp.stack.data();
    let stack = opts
        .stack
        .then(|| data.iter().map(|w| w.to_be_bytes::<32>()).collect());
    let memory = opts.memory.then(|| interp.memory.context_memory().to_vec());
    let mut storage = None;
    let mut sload_key = None;
    if opts.storage && (op == opcode::SLOAD || op == opcode::SSTORE) {
        let top = |i: usize| {
            data.len()
                .checked_sub(i + 1)
                .map(|k| data[k].to_be_bytes::<32>())
        };
        if let Some(t) = host.kernel.tracer() {
            let seen = t.seen_storage.entry(receiver).or_default();
            if op == opcode::SSTORE
                && let (Some(k), Some(v)) = (top(0), top(1))
            {
                seen.insert(k, v);
            }
            if op == opcode::SLOAD {
                sload_key = top(0);
            }
            storage = Some(seen.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
        }
    }
    let log = StructLog {
        pc: interp.bytecode.pc() as u64,
        op,
        gas: interp.gas.remaining(),
        gas_cost: 0,
        depth,
        stack,
        memory,
        storage,
        error: None,
    };
    (log, sload_key)
}

/// Completes the last step: its cost, an SLOAD's value, its error.
fn after(
    t: &mut tandem_vm::trace::Tracer,
    receiver: ActorID,
    cost: u64,
    loaded: Option<([u8; 32], [u8; 32])>,
    result: &Result<(), InstructionResult>,
) {
    let Some(log) = t.last_step_mut() else {
        return;
    };
    log.gas_cost = cost;
    if let Err(e) = result
        && e.is_halt()
    {
        log.error = Some(error_text(*e));
    }
    if let Some((key, value)) = loaded {
        if let Some(storage) = log.storage.as_mut() {
            match storage.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => {
                    storage.push((key, value));
                    storage.sort();
                }
            }
        }
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
