//! What a traced frame looks like to Ethereum tools: its addresses, input, output, error and,
//! for native and built-in actors, the `tandem` fields (actor, method number and name,
//! runtime, exit code, params and return decoded from DAG-CBOR to JSON).

use std::collections::HashMap;
use std::sync::OnceLock;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolError;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{CBOR, DAG_CBOR, IPLD_RAW};
use fvm_shared::address::Payload;
use fvm_shared::error::ExitCode;
use serde_json::{Map, Value, json};
use tandem_evm::address::tokens_to_u256;
use tandem_evm::exit::REVERTED;
use tandem_state::StateTree;
use tandem_vm::ActorID;
use tandem_vm::builtin::{EAM_ACTOR_ID, INIT_ACTOR_ID};
use tandem_vm::eth::EthAddress;
use tandem_vm::store::VmStore;
use tandem_vm::trace::{FrameKind, TraceFrame, Tracer};

use crate::state::evm_code;

pub mod cbor_json;

/// The Ethereum address of an actor: its f410 address, else its masked ID (`0xff00…`).
pub fn eth_of(state: &mut StateTree<VmStore>, id: ActorID) -> Address {
    if let Ok(Some(r)) = state.get_actor(id)
        && let Some(e) = r
            .delegated_address
            .as_ref()
            .and_then(EthAddress::from_delegated)
    {
        return Address::from(e.0);
    }
    Address::from(EthAddress::from_id(id).0)
}

/// The Ethereum address a Filecoin address stands for.
pub fn eth_of_address(
    state: &mut StateTree<VmStore>,
    addr: &fvm_shared::address::Address,
) -> Address {
    if let Some(e) = EthAddress::from_delegated(addr) {
        return Address::from(e.0);
    }
    if let Payload::ID(id) = addr.payload() {
        return eth_of(state, *id);
    }
    match state.lookup_id(addr) {
        Ok(Some(id)) => eth_of(state, id),
        _ => Address::ZERO,
    }
}

/// Whether the frame ran EVM code.
pub fn is_evm(f: &TraceFrame) -> bool {
    f.runtime == Some("evm")
}

/// The frame's callee as an Ethereum address.
pub fn to_address(state: &mut StateTree<VmStore>, f: &TraceFrame) -> Address {
    if let Some(code) = &f.code_address {
        return eth_of_address(state, code);
    }
    match (f.kind, f.callee) {
        (FrameKind::Create, _) | (_, None) => eth_of_address(state, &f.to),
        (_, Some(id)) => eth_of(state, id),
    }
}

/// The actor whose state the frame ran on (for a delegate call, the delegating contract).
pub fn receiver_address(state: &mut StateTree<VmStore>, f: &TraceFrame) -> Address {
    match f.callee {
        Some(id) => eth_of(state, id),
        None => eth_of_address(state, &f.to),
    }
}

/// The bytes a frame got: calldata (a CBOR byte string from a native caller is unwrapped) or
/// init code for EVM frames, the params block's bytes for everything else.
pub fn input(f: &TraceFrame) -> Bytes {
    let Some(p) = &f.params else {
        return Bytes::new();
    };
    if is_evm(f)
        && (p.codec == CBOR || p.codec == DAG_CBOR)
        && let Ok(b) = fvm_ipld_encoding::from_slice::<fvm_ipld_encoding::RawBytes>(&p.data)
    {
        return Bytes::from(b.to_vec());
    }
    Bytes::from(p.data.clone())
}

/// What a frame returned: for a successful create, the code it deployed.
pub fn output(state: &mut StateTree<VmStore>, f: &TraceFrame) -> Bytes {
    if f.kind == FrameKind::Create && !f.failed() {
        if let Some(id) = f.created.or(f.callee)
            && let Ok(Some(r)) = state.get_actor(id)
        {
            return evm_code(state.store(), &r).unwrap_or_default();
        }
        return Bytes::new();
    }
    f.return_data
        .as_ref()
        .map(|b| Bytes::from(b.data.clone()))
        .unwrap_or_default()
}

/// Whether the frame reverted (its output is revert data): exit 33, which is how EVM frames
/// and native actors built by the Tandem language revert.
pub fn reverted(f: &TraceFrame) -> bool {
    f.error.is_none() && f.exit_code == REVERTED
}

/// geth's error text for a failed frame.
pub fn error(f: &TraceFrame) -> Option<String> {
    if !f.failed() {
        return None;
    }
    if let Some(e) = &f.error {
        return Some(e.clone());
    }
    Some(match f.exit_code {
        REVERTED => "execution reverted".into(),
        ExitCode::SYS_OUT_OF_GAS => "out of gas".into(),
        c if is_evm(f) => match c.value() {
            34 | 35 => "invalid opcode".into(),
            36 => "stack underflow".into(),
            37 => "stack limit reached 1024 (1023)".into(),
            38 => "return data out of bounds".into(),
            39 => "invalid jump destination".into(),
            _ if c == ExitCode::USR_READ_ONLY => "write protection".into(),
            v => format!("exit code {v}"),
        },
        c => format!("exit code {}", c.value()),
    })
}

/// The reason in revert data: the `Error(string)` message, or `panic: <meaning> (0x..)` for
/// a `Panic(uint256)` (`panic: 0x..` for a code with no known meaning); `None` for any other
/// data. Traces show it as `revertReason`; receipts too, with a hex fallback
/// ([`crate::shapes::revert_reason`]).
pub fn revert_reason(data: &[u8]) -> Option<String> {
    if let Ok(e) = alloy_sol_types::Revert::abi_decode(data) {
        return Some(e.reason);
    }
    let p = alloy_sol_types::Panic::abi_decode(data).ok()?;
    Some(match p.kind() {
        Some(kind) => format!("panic: {kind} ({:#x})", p.code),
        None => format!("panic: {:#x}", p.code),
    })
}

pub fn hex_u64(n: u64) -> Value {
    Value::String(format!("{n:#x}"))
}

pub fn hex_u256(n: U256) -> Value {
    Value::String(format!("{n:#x}"))
}

pub fn value_of(f: &TraceFrame) -> U256 {
    tokens_to_u256(&f.value)
}

/// The `tandem` fields of a frame that did not run EVM code (none for EVM frames and for
/// plain transfers that ran nothing).
pub fn tandem_fields(f: &TraceFrame) -> Option<Value> {
    let runtime = f.runtime?;
    if runtime == "evm" {
        return None;
    }
    let id = f.callee?;
    let mut m = Map::new();
    m.insert("actorId".into(), json!(format!("f0{id}")));
    m.insert("method".into(), json!(f.method));
    if let Some(name) = method_name(id, f.method) {
        m.insert("methodName".into(), json!(name));
    }
    m.insert("runtime".into(), json!(runtime));
    m.insert("exitCode".into(), json!(f.exit_code.value()));
    m.insert("paramsDecoded".into(), block_json(f.params.as_ref()));
    m.insert("returnDecoded".into(), block_json(f.return_data.as_ref()));
    Some(Value::Object(m))
}

/// A params or return block as JSON: DAG-CBOR decoded (see [`cbor_json`]), raw bytes as hex,
/// nothing as null.
pub fn block_json(b: Option<&IpldBlock>) -> Value {
    match b {
        None => Value::Null,
        Some(b) if b.codec == CBOR || b.codec == DAG_CBOR => cbor_json(&b.data).unwrap_or_else(
            |e| json!({"undecodable": e, "hex": format!("0x{}", hex::encode(&b.data))}),
        ),
        Some(b) if b.codec == IPLD_RAW => json!(format!("0x{}", hex::encode(&b.data))),
        Some(b) => json!({"codec": b.codec, "hex": format!("0x{}", hex::encode(&b.data))}),
    }
}

/// DAG-CBOR to JSON as traces show it ([`cbor_json::Style::Trace`]).
pub fn cbor_json(data: &[u8]) -> Result<Value, String> {
    cbor_json::to_json(data, cbor_json::Style::Trace)
}

/// A method's name, when known: built-ins' numbered methods, and FRC-0042 names of the
/// SDK's and examples' conventions (a number is the hash of its name, so the table maps
/// hashes of known names back).
pub fn method_name(actor: ActorID, method: u64) -> Option<&'static str> {
    match (actor, method) {
        (_, 0) => return Some("Send"),
        (_, 1) => return Some("Constructor"),
        (INIT_ACTOR_ID, 2) => return Some("Exec"),
        (INIT_ACTOR_ID, 3) => return Some("Exec4"),
        (EAM_ACTOR_ID, 2) => return Some("Create"),
        (EAM_ACTOR_ID, 3) => return Some("Create2"),
        (EAM_ACTOR_ID, 4) => return Some("CreateExternal"),
        _ => {}
    }
    static TABLE: OnceLock<HashMap<u64, &'static str>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            KNOWN_NAMES
                .iter()
                .filter_map(|n| Some((tandem_vm::frc42::method_number(n).ok()?, *n)))
                .collect()
        })
        .get(&method)
        .copied()
}

const KNOWN_NAMES: &[&str] = &[
    "InvokeEVM",
    "InstallCode",
    "Create2",
    "Receive",
    "Transfer",
    "TransferFrom",
    "BalanceOf",
    "Balance",
    "Supply",
    "TotalSupply",
    "Mint",
    "Burn",
    "Approve",
    "Allowance",
    "Name",
    "Symbol",
    "Decimals",
    "CallEvm",
    "Count",
    "Add",
    "Get",
    "Set",
    "Increment",
    "Reset",
    "Deposit",
    "Withdraw",
    "Release",
    "Refund",
    "Ping",
    "Pong",
    "Reply",
    "Send",
    "Call",
    "Owner",
    "Register",
    "Tick",
    "Cron",
    "Value",
    "Open",
    "Close",
    "Claim",
];

/// Frames of a tracer below `root` in pre-order.
pub fn subtree(t: &Tracer, root: usize) -> Vec<(usize, Vec<usize>)> {
    t.flatten(root)
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::{Panic, Revert, SolError};

    use super::revert_reason;
    use crate::shapes;

    #[test]
    fn revert_reasons_in_traces_and_receipts() {
        let error = Revert::from("no").abi_encode();
        let overflow = Panic::from(0x11).abi_encode();
        let unknown = Panic::from(0x99).abi_encode();
        for (data, want) in [
            (&error, "no"),
            (&overflow, "panic: arithmetic underflow or overflow (0x11)"),
            (&unknown, "panic: 0x99"),
        ] {
            assert_eq!(revert_reason(data).as_deref(), Some(want));
            assert_eq!(shapes::revert_reason(data).as_deref(), Some(want));
        }
        // Other data: no reason in a trace, its hex in a receipt; nothing for no data.
        assert_eq!(revert_reason(&[1, 2]), None);
        assert_eq!(shapes::revert_reason(&[1, 2]).as_deref(), Some("0x0102"));
        assert_eq!(revert_reason(&[]), None);
        assert_eq!(shapes::revert_reason(&[]), None);
    }
}
