//! `--gas` for `tandem send` and `tandem call`: where a message's gas went, frame by frame,
//! by price-list operation (`invoke`, `instantiate`, `wasm_exec`, `slot_get`, `evm`, …), from
//! the trace the VM records while the message runs.

use serde_json::{Value, json};
use tandem_chain::Chain;
use tandem_vm::gas::Gas;
use tandem_vm::trace::{GasCharge, Tracer};

/// One frame's line of the breakdown.
struct FrameRow {
    depth: usize,
    to: String,
    method: u64,
    runtime: &'static str,
    gas_used: u64,
    charges: Vec<GasCharge>,
}

/// What the message was charged outside its frames, and each frame's own charges in call
/// order.
pub struct GasBreakdown {
    message: Vec<GasCharge>,
    frames: Vec<FrameRow>,
    total: Gas,
}

/// Turns on the recording for the next message applied on `chain`.
pub fn start(chain: &mut Chain) {
    chain.exec.machine.tracer = Some(Box::new(Tracer::new(None)));
}

/// The breakdown of the message applied last since [`start`] (a batch's system lane runs
/// before it).
pub fn take(chain: &mut Chain) -> Option<GasBreakdown> {
    let tracer = chain.exec.machine.tracer.take()?;
    let Some(root) = tracer.message_root() else {
        // Refused before its first frame: what it was charged, if anything, has no frame.
        let message = tracer.unframed_gas().to_vec();
        let total = message.iter().fold(Gas::ZERO, |acc, c| acc + c.gas);
        return Some(GasBreakdown {
            message,
            frames: Vec::new(),
            total,
        });
    };
    let frames = tracer
        .flatten(root)
        .into_iter()
        .map(|(i, path)| {
            let f = &tracer.frames[i];
            FrameRow {
                depth: path.len(),
                to: f.to.to_string(),
                method: f.method,
                runtime: f.runtime.unwrap_or("none"),
                gas_used: f.gas_used,
                charges: f.gas_charges.clone(),
            }
        })
        .collect();
    Some(GasBreakdown {
        message: tracer.frames[root].message_gas.clone(),
        frames,
        total: tracer.message_gas_total(root),
    })
}

fn charges_json(list: &[GasCharge]) -> Value {
    Value::Array(
        list.iter()
            .map(|c| json!({"name": c.name, "count": c.count, "gas": c.gas.to_string()}))
            .collect(),
    )
}

impl GasBreakdown {
    pub fn to_json(&self) -> Value {
        json!({
            "total": self.total.to_string(),
            "message": charges_json(&self.message),
            "frames": self.frames.iter().map(|f| json!({
                "depth": f.depth,
                "to": f.to,
                "method": f.method,
                "runtime": f.runtime,
                "gas_used": f.gas_used,
                "charges": charges_json(&f.charges),
            })).collect::<Vec<_>>(),
        })
    }

    /// The breakdown as an indented table: the message's own charges, then each frame with
    /// its charges under it, children indented below their parent.
    pub fn to_text(&self) -> String {
        let mut out = format!("gas charged: {} (to the milligas)\n", self.total);
        let line = |out: &mut String, indent: usize, c: &GasCharge| {
            let name = format!("{:indent$}{}", "", c.name, indent = indent);
            out.push_str(&format!(
                "{name:<32} {:>14}  ×{}\n",
                c.gas.to_string(),
                c.count
            ));
        };
        out.push_str("  message\n");
        for c in &self.message {
            line(&mut out, 4, c);
        }
        for f in &self.frames {
            let indent = 2 + 2 * f.depth;
            out.push_str(&format!(
                "{:indent$}{} method {} ({}): {} gas with its calls\n",
                "",
                f.to,
                f.method,
                f.runtime,
                f.gas_used,
                indent = indent
            ));
            for c in &f.charges {
                line(&mut out, indent + 2, c);
            }
        }
        out
    }
}
