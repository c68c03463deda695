//! What a struct-logger trace may cost, checked before it is taken.
//!
//! The EVM's struct logger copies the stack, the memory and the storage seen so far at every
//! opcode step (`tandem_evm::trace`), kept or not. A transaction that grows its memory to a
//! few MB and then loops on cheap opcodes would make a full trace copy terabytes, and one that
//! fills its stack and loops would keep gigabytes; so would `prestateTracer`, whose storage
//! copy grows with every slot touched. The node therefore plans a trace before taking it:
//!
//! 1. a bare pass (no stack, memory or storage) counts the steps, at most
//!    [`MAX_STRUCT_LOG_STEPS`] per request, and gives every step's opcode and depth, from
//!    which each step's stack height follows exactly (each opcode's stack effect);
//! 2. when memory or storage is asked for, a pass with the stack only (whose cost step 1
//!    bounded) gives every memory-touching opcode's operands and every slot's key, so each
//!    step's memory size and the number of slots seen so far follow;
//! 3. the trace is taken only if the kept steps' JSON stays within [`MAX_STRUCT_LOG_BYTES`]
//!    and what every step copies stays within [`MAX_STRUCT_LOG_COPY_BYTES`]; otherwise the
//!    request fails with both figures and what to turn off.
//!
//! The passes replay the same deterministic execution, so their figures are the trace's.

use std::collections::HashSet;

use tandem_vm::trace::{StepOptions, StructLog, Tracer};

use crate::error::{RpcError, RpcResult};

/// At most this many opcode steps per struct-logger request (all its transactions together).
pub const MAX_STRUCT_LOG_STEPS: usize = 500_000;
/// At most this many bytes of struct logs (their JSON, estimated from above) per request.
pub const MAX_STRUCT_LOG_BYTES: u64 = 64 << 20;
/// At most this many bytes of stack, memory and storage copied by the struct logger per
/// request, over every step, kept or past `limit` (the EVM copies them at each step).
pub const MAX_STRUCT_LOG_COPY_BYTES: u64 = 1 << 30;

/// JSON bytes of one step without stack, memory or storage (`pc`, `op`, gas, depth, error).
const STEP_JSON: u64 = 128;
/// JSON bytes per stack word (`"0x…",`), memory word (`"…64 hex…",`) and storage entry.
const STACK_WORD_JSON: u64 = 70;
const MEMORY_WORD_JSON: u64 = 68;
const STORAGE_ENTRY_JSON: u64 = 136;

/// Replays what the request traces with the given step options, calling the visitor with
/// each traced item's tracer.
pub type Runner<'a> =
    dyn FnMut(Option<StepOptions>, &mut dyn FnMut(&Tracer) -> RpcResult<()>) -> RpcResult<()> + 'a;

/// Checks what tracing with `wanted` would cost (see the module docs); returns the options
/// to trace with. Tracers without steps (`None`) cost nothing to plan.
pub fn plan(wanted: Option<StepOptions>, run: &mut Runner<'_>) -> RpcResult<Option<StepOptions>> {
    let Some(want) = wanted else {
        return Ok(None);
    };
    let bare = StepOptions {
        stack: false,
        memory: false,
        storage: false,
        limit: MAX_STRUCT_LOG_STEPS + 1,
    };
    let mut steps = 0usize;
    let mut cost = Cost::default();
    let mut stack_copy = 0u64;
    run(Some(bare), &mut |t| {
        steps += t.struct_logs.len() + t.dropped_steps as usize;
        if steps > MAX_STRUCT_LOG_STEPS {
            return Err(too_many_steps());
        }
        let heights = stack_heights(&t.struct_logs);
        stack_copy += heights.iter().map(|h| u64::from(*h) * 32).sum::<u64>();
        if !want.memory && !want.storage {
            cost.add(&want, &t.struct_logs, &heights, None);
        }
        Ok(())
    })?;
    if want.memory || want.storage {
        // The probe copies each step's stack: bounded by the bare pass's heights.
        if stack_copy > MAX_STRUCT_LOG_COPY_BYTES {
            return Err(too_costly("copied", stack_copy, MAX_STRUCT_LOG_COPY_BYTES));
        }
        let probe = StepOptions {
            stack: true,
            ..bare
        };
        run(Some(probe), &mut |t| {
            let heights: Vec<u16> = t
                .struct_logs
                .iter()
                .map(|l| l.stack.as_ref().map_or(0, |s| s.len().min(1024) as u16))
                .collect();
            let extra = memory_and_storage(&t.struct_logs);
            cost.add(&want, &t.struct_logs, &heights, Some(&extra));
            Ok(())
        })?;
    }
    if cost.copied > MAX_STRUCT_LOG_COPY_BYTES {
        return Err(too_costly("copied", cost.copied, MAX_STRUCT_LOG_COPY_BYTES));
    }
    if cost.kept > MAX_STRUCT_LOG_BYTES {
        return Err(too_costly("kept", cost.kept, MAX_STRUCT_LOG_BYTES));
    }
    Ok(Some(want))
}

fn too_many_steps() -> RpcError {
    RpcError::server(format!(
        "trace too large: more than {MAX_STRUCT_LOG_STEPS} opcode steps (the node's limit \
         MAX_STRUCT_LOG_STEPS); use callTracer, or trace a smaller call"
    ))
}

fn too_costly(what: &str, bytes: u64, max: u64) -> RpcError {
    let name = if what == "kept" {
        "MAX_STRUCT_LOG_BYTES"
    } else {
        "MAX_STRUCT_LOG_COPY_BYTES"
    };
    RpcError::server(format!(
        "trace too large: its struct logs would have {bytes} bytes {what}, more than the \
         node's limit of {max} ({name}); set enableMemory false, disableStack or \
         disableStorage true, or a smaller `limit`"
    ))
}

/// Running totals of what the real trace keeps and copies.
#[derive(Default)]
struct Cost {
    kept: u64,
    copied: u64,
}

impl Cost {
    /// Adds one traced item's steps: `heights` per step, and per step the memory size and
    /// the slots seen (when computed).
    fn add(
        &mut self,
        want: &StepOptions,
        logs: &[StructLog],
        heights: &[u16],
        extra: Option<&[(u64, u64)]>,
    ) {
        let keep = if want.limit == 0 {
            usize::MAX
        } else {
            want.limit
        };
        for (i, log) in logs.iter().enumerate() {
            let h = u64::from(heights.get(i).copied().unwrap_or(0));
            let (mem, slots) = extra.and_then(|e| e.get(i).copied()).unwrap_or((0, 0));
            let slots = if is_storage_op(log.op) { slots } else { 0 };
            let mut copied = 0;
            let mut json = STEP_JSON;
            if want.stack {
                copied += h * 32;
                json += h * STACK_WORD_JSON;
            }
            if want.memory {
                copied += mem;
                json += mem.div_ceil(32) * MEMORY_WORD_JSON;
            }
            if want.storage {
                copied += slots * 64;
                json += slots * STORAGE_ENTRY_JSON;
            }
            self.copied = self.copied.saturating_add(copied);
            if i < keep {
                self.kept = self.kept.saturating_add(json);
            }
        }
    }
}

fn is_storage_op(op: u8) -> bool {
    op == 0x54 || op == 0x55
}

/// Whether a step ends its frame (so the next step at the same depth is a new frame's).
fn ends_frame(log: &StructLog) -> bool {
    log.error.is_some() || matches!(log.op, 0x00 | 0xf3 | 0xfd | 0xfe | 0xff)
}

/// Tracks which frame each step belongs to from the depths: a deeper step starts a frame, a
/// shallower one returns to its caller, a step at the same depth after a frame's last step
/// starts a sibling (frames reached through a native actor have no step in between).
struct Frames<T: Default + Copy> {
    open: Vec<T>,
    last_ended: bool,
}

impl<T: Default + Copy> Frames<T> {
    fn new() -> Self {
        Self {
            open: Vec::new(),
            last_ended: false,
        }
    }

    /// The state of the frame `log` runs in, before it runs.
    fn enter(&mut self, log: &StructLog) -> &mut T {
        let depth = (log.depth.max(1) as usize).min(2048);
        if depth > self.open.len() {
            self.open.resize(depth, T::default());
        } else if depth < self.open.len() {
            self.open.truncate(depth);
        } else if self.last_ended {
            self.open[depth - 1] = T::default();
        }
        self.last_ended = ends_frame(log);
        &mut self.open[depth - 1]
    }
}

/// Each step's stack height before it runs, from the opcodes' stack effects.
pub fn stack_heights(logs: &[StructLog]) -> Vec<u16> {
    let mut frames = Frames::<u16>::new();
    logs.iter()
        .map(|log| {
            let h = frames.enter(log);
            let before = *h;
            if let Some(op) = revm::bytecode::opcode::OpCode::new(log.op) {
                let after = i32::from(before) - i32::from(op.inputs()) + i32::from(op.outputs());
                *h = after.clamp(0, 1024) as u16;
            }
            before
        })
        .collect()
}

/// Each step's memory size before it runs and (storage steps) how many slots the trace has
/// seen, counting this step's; from steps recorded with their stacks. Slots are counted
/// across contracts, which bounds any one contract's.
fn memory_and_storage(logs: &[StructLog]) -> Vec<(u64, u64)> {
    let mut frames = Frames::<u64>::new();
    let mut slots: HashSet<[u8; 32]> = HashSet::new();
    logs.iter()
        .map(|log| {
            let size = frames.enter(log);
            let before = *size;
            let stack = log.stack.as_deref().unwrap_or(&[]);
            let arg = |i: usize| stack.len().checked_sub(i + 1).map(|k| word(&stack[k]));
            for (offset, len) in memory_touched(log.op, &arg) {
                if len > 0 {
                    let end = offset.saturating_add(len).saturating_add(31) / 32 * 32;
                    *size = (*size).max(end);
                }
            }
            if is_storage_op(log.op)
                && let Some(k) = stack.last()
            {
                slots.insert(*k);
            }
            (before, slots.len() as u64)
        })
        .collect()
}

/// A stack word as a length or offset (saturating).
fn word(w: &[u8; 32]) -> u64 {
    if w[..24].iter().any(|b| *b != 0) {
        u64::MAX
    } else {
        u64::from_be_bytes(w[24..].try_into().unwrap_or_default())
    }
}

/// The memory ranges (offset, length) an opcode reads or writes, from its operands.
fn memory_touched(op: u8, arg: &dyn Fn(usize) -> Option<u64>) -> Vec<(u64, u64)> {
    let r = |o: usize, l: usize| (arg(o).unwrap_or(0), arg(l).unwrap_or(0));
    match op {
        0x51 | 0x52 => vec![(arg(0).unwrap_or(0), 32)],
        0x53 => vec![(arg(0).unwrap_or(0), 1)],
        0x20 | 0xa0..=0xa4 | 0xf3 | 0xfd => vec![r(0, 1)],
        0x37 | 0x39 | 0x3e => vec![r(0, 2)],
        0x3c => vec![r(1, 3)],
        0x5e => vec![r(0, 2), r(1, 2)],
        0xf0 | 0xf5 => vec![r(1, 2)],
        0xf1 | 0xf2 => vec![r(3, 4), r(5, 6)],
        0xf4 | 0xfa => vec![r(2, 3), r(4, 5)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(op: u8, depth: u32, stack: Option<Vec<u64>>) -> StructLog {
        StructLog {
            pc: 0,
            op,
            gas: 0,
            gas_cost: 0,
            depth,
            stack: stack.map(|s| {
                s.into_iter()
                    .map(|v| {
                        let mut w = [0u8; 32];
                        w[24..].copy_from_slice(&v.to_be_bytes());
                        w
                    })
                    .collect()
            }),
            memory: None,
            storage: None,
            error: None,
        }
    }

    #[test]
    fn heights_follow_stack_effects_and_frames() {
        // PUSH1 PUSH1 CALL-ish: depth 1 pushes two, a child frame at depth 2 starts empty,
        // the parent resumes where it was, a sibling at depth 2 after a STOP starts empty.
        let logs = vec![
            step(0x60, 1, None),
            step(0x60, 1, None),
            step(0x60, 2, None),
            step(0x00, 2, None),
            step(0x60, 2, None),
            step(0x01, 1, None),
            step(0x50, 1, None),
        ];
        assert_eq!(stack_heights(&logs), vec![0, 1, 0, 1, 0, 2, 1]);
    }

    #[test]
    fn memory_grows_with_operands_and_slots_are_counted_once() {
        let logs = vec![
            step(0x52, 1, Some(vec![7, 100])), // MSTORE at 100: 132 -> 160 bytes
            step(0x54, 1, Some(vec![5])),      // SLOAD slot 5
            step(0x54, 1, Some(vec![5])),      // again: still one slot
            step(0x55, 1, Some(vec![1, 6])),   // SSTORE slot 6
            step(0x00, 1, Some(vec![])),
        ];
        let got = memory_and_storage(&logs);
        assert_eq!(got, vec![(0, 0), (160, 1), (160, 1), (160, 2), (160, 2)]);
    }
}
