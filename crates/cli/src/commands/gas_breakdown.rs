//! `--gas` for `tandem send` and `tandem call`: where a message's gas went, frame by frame,
//! by price-list operation (`invoke`, `instantiate`, `wasm_exec`, `slot_get`, `evm`, …), from
//! the trace the VM records while the message runs (`tandem_vm::trace::GasBreakdown`).

use serde_json::{Value, json};
use tandem_chain::Chain;
use tandem_vm::trace::{GasBreakdown, Tracer};

/// Turns on the recording for the next message applied on `chain`.
pub fn start(chain: &mut Chain) {
    chain.exec.machine.tracer = Some(Box::new(Tracer::new(None)));
}

/// The breakdown of the message applied last since [`start`] (a batch's system lane runs
/// before it), and the recording off again.
pub fn take(chain: &mut Chain) -> Option<GasBreakdown> {
    let tracer = chain.exec.machine.tracer.take()?;
    Some(GasBreakdown::of_last_message(&tracer))
}

pub fn to_json(g: &GasBreakdown) -> Value {
    json!({
        "total": g.total.to_string(),
        "message": g.message,
        "frames": g.frames.iter().map(|f| json!({
            "depth": f.depth,
            "to": f.to.to_string(),
            "method": f.method,
            "runtime": f.runtime,
            "gas_used": f.gas_used,
            "charges": f.charges,
        })).collect::<Vec<_>>(),
    })
}
