//! Small helpers shared by the built-in actors.

use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{CBOR, CborStore, DAG_CBOR};
use fvm_shared::error::ExitCode;
use multihash_codetable::Code;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tandem_vm::gas::PRICE_LIST;
use tandem_vm::kernel::{ExecutionError, KResult, Kernel};
use tandem_vm::runtime::InvokeReturn;

/// An exit with a human message as CBOR string return data.
pub fn exit(code: ExitCode, msg: &str) -> InvokeReturn {
    InvokeReturn::exit(code, IpldBlock::serialize_cbor(&msg).ok().flatten())
}

/// The invocation's parameters decoded as `T`, or the exit to return.
pub fn params<T: DeserializeOwned>(kernel: &dyn Kernel) -> Result<T, InvokeReturn> {
    let Some(block) = kernel.params() else {
        return Err(exit(ExitCode::USR_ILLEGAL_ARGUMENT, "missing parameters"));
    };
    if block.codec != CBOR && block.codec != DAG_CBOR {
        return Err(exit(ExitCode::USR_SERIALIZATION, "parameters must be CBOR"));
    }
    block.deserialize().map_err(|e| {
        exit(
            ExitCode::USR_SERIALIZATION,
            &format!("malformed parameters: {e}"),
        )
    })
}

/// A successful return carrying `value` as DAG-CBOR.
pub fn ok<T: Serialize>(value: &T) -> KResult<InvokeReturn> {
    let block =
        IpldBlock::serialize_dag_cbor(value).map_err(|e| ExecutionError::Fatal(e.into()))?;
    Ok(InvokeReturn::ok(block))
}

/// Reads the receiver's state. Built-ins are trusted and read the store directly.
pub fn load_state<T: DeserializeOwned>(kernel: &mut dyn Kernel) -> KResult<T> {
    let root = kernel.root()?;
    kernel.charge_gas("state_read", PRICE_LIST.block_open_base)?;
    kernel
        .store()
        .get_cbor(&root)?
        .ok_or_else(|| ExecutionError::Fatal(anyhow::anyhow!("state {root} missing")))
}

/// Writes the receiver's state.
pub fn save_state<T: Serialize>(kernel: &mut dyn Kernel, state: &T) -> KResult<()> {
    let bytes = fvm_ipld_encoding::to_vec(state).map_err(|e| ExecutionError::Fatal(e.into()))?;
    kernel.charge_gas("state_write", PRICE_LIST.block_link(bytes.len()))?;
    let cid = kernel.store().put_cbor(state, Code::Blake2b256)?;
    kernel.set_root(cid)
}
