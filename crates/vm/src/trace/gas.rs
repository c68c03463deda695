//! Gas charges in a trace: what each frame was charged, by price-list name, and the
//! breakdown of one message built from them (what `tandem send --gas`, the node's traces and
//! the actor test harness show).

use std::fmt;

use super::Tracer;
use crate::gas::Gas;

/// The gas charged under one name (the price list's operation: `wasm_exec`, `slot_get`,
/// `invoke`, `evm`, …) in one frame, summed: how many charges and their total, in milligas
/// (negative charges, the EVM's refunds to a frame, count against it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasCharge {
    pub name: &'static str,
    pub count: u64,
    pub gas: Gas,
}

/// As JSON: `{name, count, gas}`, the gas a decimal string to the milligas (the node's
/// traces and the CLI's `--json`).
impl serde::Serialize for GasCharge {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("GasCharge", 3)?;
        out.serialize_field("name", self.name)?;
        out.serialize_field("count", &self.count)?;
        out.serialize_field("gas", &self.gas.to_string())?;
        out.end()
    }
}

/// Adds one charge to a list of sums by name (a frame charges a few dozen names at most).
pub(super) fn add_charge(list: &mut Vec<GasCharge>, name: &'static str, gas: Gas) -> bool {
    if let Some(c) = list.iter_mut().find(|c| c.name == name) {
        c.count += 1;
        c.gas += gas;
        return false;
    }
    list.push(GasCharge {
        name,
        count: 1,
        gas,
    });
    true
}

/// One frame's own charges, in a [`GasBreakdown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameGas {
    /// 0 for the message's top-level frame, 1 for what it called, and so on.
    pub depth: usize,
    pub to: fvm_shared::address::Address,
    pub method: u64,
    /// `wasm`, `evm`, `builtin`; `none` when no code ran (a plain value transfer).
    pub runtime: &'static str,
    /// The frame's gas used with its calls', whole gas.
    pub gas_used: u64,
    pub charges: Vec<GasCharge>,
}

/// Where one message's gas went: what it was charged outside its frames, then each frame's
/// own charges, in call order (pre-order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GasBreakdown {
    pub message: Vec<GasCharge>,
    pub frames: Vec<FrameGas>,
    /// Everything charged, to the milligas (the receipt's gas used rounds it up).
    pub total: Gas,
}

impl GasBreakdown {
    /// The breakdown of the last message the tracer saw begin (see
    /// [`Tracer::begin_message`]).
    pub fn of_last_message(tracer: &Tracer) -> GasBreakdown {
        let Some(root) = tracer.message_root() else {
            // Refused before its first frame: what it was charged, if anything, has none.
            let message = tracer.unframed_gas().to_vec();
            let total = message.iter().fold(Gas::ZERO, |acc, c| acc + c.gas);
            return GasBreakdown {
                message,
                frames: Vec::new(),
                total,
            };
        };
        let frames = tracer
            .flatten(root)
            .into_iter()
            .map(|(i, path)| {
                let f = &tracer.frames[i];
                FrameGas {
                    depth: path.len(),
                    to: f.to,
                    method: f.method,
                    runtime: f.runtime.unwrap_or("none"),
                    gas_used: f.gas_used,
                    charges: f.gas_charges.clone(),
                }
            })
            .collect();
        GasBreakdown {
            message: tracer.frames[root].message_gas.clone(),
            frames,
            total: tracer.message_gas_total(root),
        }
    }

    /// All the gas charged under `name`, in every frame and outside them.
    pub fn total_of(&self, name: &str) -> Gas {
        self.message
            .iter()
            .chain(self.frames.iter().flat_map(|f| &f.charges))
            .filter(|c| c.name == name)
            .fold(Gas::ZERO, |acc, c| acc + c.gas)
    }
}

/// An indented table: the message's own charges, then each frame with its charges under
/// it, calls indented below their caller.
impl fmt::Display for GasBreakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, indent: usize, c: &GasCharge| {
            let name = format!("{:indent$}{}", "", c.name);
            writeln!(f, "{name:<32} {:>14}  ×{}", c.gas.to_string(), c.count)
        };
        writeln!(f, "gas charged: {} (to the milligas)", self.total)?;
        writeln!(f, "  message")?;
        for c in &self.message {
            line(f, 4, c)?;
        }
        for frame in &self.frames {
            let indent = 2 + 2 * frame.depth;
            writeln!(
                f,
                "{:indent$}{} method {} ({}): {} gas with its calls",
                "", frame.to, frame.method, frame.runtime, frame.gas_used
            )?;
            for c in &frame.charges {
                line(f, indent + 2, c)?;
            }
        }
        Ok(())
    }
}
