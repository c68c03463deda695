//! Calls and creates that leave an EVM frame. Each goes through the kernel (so through
//! Tandem's call manager), except Ethereum precompiles, which run in place.
//!
//! Gas bookkeeping, per outgoing call with limit `L` (the stipend included): revm has already
//! taken `L` minus the stipend from this frame. Before the call the frame charges the kernel
//! for everything it spent except what it handed to the child, net of the stipend, so the
//! kernel's sub-limit for the child is exactly `L`. The child charges what it uses (`U`) to
//! the kernel itself; revm gets `L - U` back, which keeps the two ledgers equal.

use alloy_primitives::{Address, Bytes, U256};
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{DAG_CBOR, IPLD_RAW};
use fvm_shared::error::ErrorNumber;
use revm::context_interface::CreateScheme;
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_types::{MemoryTr, ReturnData};
use revm::interpreter::{CallInput, CallInputs, CallScheme, CallValue, CreateInputs, Interpreter};
use revm::precompile::PrecompileStatus;
use tandem_vm::builtin::{BuiltinCode, METHOD_SEND};
use tandem_vm::call_manager::MAX_CALL_DEPTH;
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::gas::Gas;
use tandem_vm::kernel::{
    CallOutcome, CreateRequest, DelegateRequest, ExecutionError, KResult, Kernel, SendRequest,
};

use crate::actor_precompile::PrecompileCall;
use crate::address::{
    create_address, create2_address, from_eth, to_eth, tokens_to_u256, u256_to_tokens,
};
use crate::exit::REVERTED;
use crate::host::{TandemHost, Target};
use crate::runtime::{DelegateParams, METHOD_INVOKE_DELEGATE, gas_units};

type Interp = Interpreter<EthInterpreter>;

/// Charges (or, if negative, gives back) milligas.
pub(crate) fn charge_milligas(kernel: &mut dyn Kernel, milligas: i64) -> KResult<()> {
    if milligas == 0 {
        return Ok(());
    }
    kernel.charge_gas("evm", gas_units(milligas))
}

/// What a child did, as the parent interpreter needs it.
struct Child {
    ok: bool,
    reverted: bool,
    output: Bytes,
    /// Milligas the child used (already charged to the kernel).
    used: i64,
}

impl Child {
    fn failed(used: i64) -> Self {
        Self {
            ok: false,
            reverted: false,
            output: Bytes::new(),
            used,
        }
    }

    fn from_outcome(out: CallOutcome, used: i64) -> Self {
        let output = out
            .return_data
            .map(|b| Bytes::from(b.data))
            .unwrap_or_default();
        let ok = out.exit_code.is_success();
        let reverted = out.exit_code == REVERTED;
        Self {
            ok,
            reverted,
            // A halted EVM child returns nothing; other failures may carry data.
            output: if ok || reverted || out.exit_code.value() < 33 || out.exit_code.value() > 40 {
                output
            } else {
                Bytes::new()
            },
            used,
        }
    }
}

/// Syncs the kernel with the interpreter before a child with limit `limit` runs.
fn sync_before_child(
    kernel: &mut dyn Kernel,
    interp: &Interp,
    limit: u64,
    synced: &mut i64,
) -> KResult<()> {
    let target = (interp.gas.total_gas_spent() as i64 - limit as i64).saturating_mul(1000);
    charge_milligas(kernel, target - *synced)?;
    *synced = target;
    Ok(())
}

/// Runs a kernel op and measures the milligas it used.
fn measured<T>(
    kernel: &mut dyn Kernel,
    f: impl FnOnce(&mut dyn Kernel) -> KResult<T>,
) -> (KResult<T>, i64) {
    let before = kernel.gas_used().as_milligas();
    let result = f(kernel);
    let used = kernel.gas_used().as_milligas() - before;
    (result, used)
}

/// Turns a kernel result into a child; fatal errors stop the parent.
fn settle(result: KResult<CallOutcome>, used: i64) -> KResult<Child> {
    match result {
        Ok(out) => Ok(Child::from_outcome(out, used)),
        Err(ExecutionError::Fatal(e)) => Err(ExecutionError::Fatal(e)),
        // Out of gas, depth, funds, a refused op: the call fails and the caller goes on.
        Err(_) => Ok(Child::failed(used)),
    }
}

pub(crate) fn call(
    host: &mut TandemHost<'_>,
    interp: &mut Interp,
    inputs: CallInputs,
    synced: &mut i64,
) -> KResult<()> {
    let limit = inputs.gas_limit;
    // The calldata's one copy: it moves into the child's parameters from here.
    let input = match &inputs.input {
        CallInput::Bytes(b) => b.to_vec(),
        CallInput::SharedBuffer(range) if range.is_empty() => Vec::new(),
        CallInput::SharedBuffer(range) => interp.memory.global_slice(range.clone()).to_vec(),
    };
    sync_before_child(host.kernel, interp, limit, synced)?;
    let child = dispatch_call(host, &inputs, input)?;
    host.forget();
    *synced += child.used;
    insert_call_result(interp, &inputs, limit, child);
    Ok(())
}

fn dispatch_call(host: &mut TandemHost<'_>, inputs: &CallInputs, input: Vec<u8>) -> KResult<Child> {
    let kernel = &mut *host.kernel;
    if kernel.context().depth + 1 > MAX_CALL_DEPTH {
        return Ok(Child::failed(0));
    }
    let transfer = match inputs.value {
        CallValue::Transfer(v) if !v.is_zero() => Some(v),
        _ => None,
    };
    if let Some(v) = transfer
        && tokens_to_u256(&kernel.current_balance()?) < v
    {
        return Ok(Child::failed(0));
    }
    // Tandem's own precompiles run on the kernel; value goes in their `value` argument (a
    // CALL's own value would be stranded in them).
    type TandemPrecompile = fn(&mut dyn Kernel, &[u8], u64, bool) -> KResult<PrecompileCall>;
    let tandem: Option<(TandemPrecompile, &'static [u8])> =
        match inputs.bytecode_address.into_array() {
            crate::actor_precompile::CALL_ACTOR => Some((
                crate::actor_precompile::call_actor,
                b"callActor: send value in the value argument",
            )),
            crate::async_precompile::ASYNC_SEND => Some((
                crate::async_precompile::send_async,
                b"sendAsync: send value in the value argument",
            )),
            _ => None,
        };
    if let Some((run, refusal)) = tandem {
        if transfer.is_some() {
            return Ok(Child {
                ok: false,
                reverted: true,
                output: Bytes::from_static(refusal),
                used: 0,
            });
        }
        let out = run(kernel, &input, inputs.gas_limit, inputs.is_static)?;
        return Ok(Child {
            ok: out.ok,
            reverted: !out.ok,
            output: out.output,
            used: out.used,
        });
    }
    if let Some(precompile) = crate::spec::precompiles(host.fork).get(&inputs.bytecode_address) {
        return run_precompile(host, inputs, precompile, &input, transfer);
    }
    let target = host.target(inputs.bytecode_address)?;
    let plain = target.is_plain_account();
    // The state whose code a DELEGATECALL or CALLCODE runs, if it has any.
    let delegated_code = match target {
        Target::Contract(info, code) if !code.code.is_empty() => Some(info.state),
        _ => None,
    };
    let kernel = &mut *host.kernel;
    match inputs.scheme {
        CallScheme::Call | CallScheme::StaticCall => {
            if plain && transfer.is_none() {
                // Nothing to run and nothing to move: as on Ethereum, an empty success.
                return Ok(Child {
                    ok: true,
                    reverted: false,
                    output: Bytes::new(),
                    used: 0,
                });
            }
            let req = SendRequest {
                to: to_eth(inputs.target_address).to_filecoin(),
                method: if plain { METHOD_SEND } else { INVOKE_EVM },
                params: (!plain).then_some(IpldBlock {
                    codec: IPLD_RAW,
                    data: input,
                }),
                value: transfer.map(u256_to_tokens).unwrap_or_default(),
                gas_limit: Some(Gas::new(inputs.gas_limit)),
                read_only: inputs.is_static,
            };
            let (result, used) = measured(kernel, |k| k.send(req));
            settle(result, used)
        }
        CallScheme::CallCode | CallScheme::DelegateCall => {
            let Some(code) = delegated_code else {
                return Ok(Child::failed(0).succeed());
            };
            let params = DelegateParams {
                code,
                caller: inputs.caller.into_array(),
                value: inputs.value.get().to_be_bytes(),
                input: &input,
            };
            let data = params.encode().map_err(|e| {
                ExecutionError::Fatal(anyhow::anyhow!("encoding delegate params: {e}"))
            })?;
            let caller = kernel.context().caller;
            let req = DelegateRequest {
                code: BuiltinCode::Evm.cid(),
                caller,
                apparent_value: u256_to_tokens(inputs.value.get()),
                method: METHOD_INVOKE_DELEGATE,
                params: Some(IpldBlock {
                    codec: DAG_CBOR,
                    data,
                }),
                gas_limit: Some(Gas::new(inputs.gas_limit)),
                read_only: inputs.is_static,
            };
            if let Some(t) = kernel.tracer() {
                t.delegate_target(to_eth(inputs.bytecode_address).to_filecoin());
            }
            let (result, used) = measured(kernel, |k| k.delegate_call(req));
            settle(result, used)
        }
    }
}

impl Child {
    fn succeed(mut self) -> Self {
        self.ok = true;
        self
    }
}

fn run_precompile(
    host: &mut TandemHost<'_>,
    inputs: &CallInputs,
    precompile: &revm::precompile::Precompile,
    input: &[u8],
    transfer: Option<U256>,
) -> KResult<Child> {
    let limit = inputs.gas_limit;
    let out = precompile
        .execute(input, limit, 0)
        .map_err(|e| ExecutionError::Fatal(anyhow::anyhow!("precompile failed: {e}")))?;
    let kernel = &mut *host.kernel;
    let child = match out.status {
        PrecompileStatus::Success => Child {
            ok: true,
            reverted: false,
            output: out.bytes,
            used: out.gas_used as i64 * 1000,
        },
        PrecompileStatus::Revert => Child {
            ok: false,
            reverted: true,
            output: out.bytes,
            used: out.gas_used as i64 * 1000,
        },
        PrecompileStatus::Halt(_) => Child::failed(limit as i64 * 1000),
    };
    charge_milligas(kernel, child.used)?;
    if child.ok
        && let (Some(v), CallScheme::Call) = (transfer, inputs.scheme)
    {
        let req = SendRequest {
            to: to_eth(inputs.target_address).to_filecoin(),
            method: METHOD_SEND,
            params: None,
            value: u256_to_tokens(v),
            gas_limit: None,
            read_only: false,
        };
        let out = kernel.send(req)?;
        if !out.is_success() {
            return Ok(Child::failed(child.used));
        }
    }
    Ok(child)
}

fn insert_call_result(interp: &mut Interp, inputs: &CallInputs, limit: u64, child: Child) {
    let mem = inputs.return_memory_offset.clone();
    let copy = mem.len().min(child.output.len());
    if (child.ok || child.reverted) && copy > 0 {
        interp.memory.set(mem.start, &child.output[..copy]);
    }
    interp.return_data.set_buffer(child.output);
    let _ = interp
        .stack
        .push(if child.ok { U256::from(1) } else { U256::ZERO });
    let used = (child.used.max(0) as u64).div_ceil(1000);
    interp.gas.erase_cost(limit.saturating_sub(used));
}

pub(crate) fn create(
    host: &mut TandemHost<'_>,
    interp: &mut Interp,
    inputs: CreateInputs,
    synced: &mut i64,
) -> KResult<()> {
    let limit = inputs.gas_limit();
    sync_before_child(host.kernel, interp, limit, synced)?;
    let (address, child) = dispatch_create(host, &inputs, limit)?;
    host.forget();
    *synced += child.used;
    if child.reverted {
        interp.return_data.set_buffer(child.output);
    } else {
        interp.return_data.clear();
    }
    let used = (child.used.max(0) as u64).div_ceil(1000);
    interp.gas.erase_cost(limit.saturating_sub(used));
    let pushed = match (child.ok, address) {
        (true, Some(a)) => a.into_word().into(),
        _ => U256::ZERO,
    };
    let _ = interp.stack.push(pushed);
    Ok(())
}

fn dispatch_create(
    host: &mut TandemHost<'_>,
    inputs: &CreateInputs,
    limit: u64,
) -> KResult<(Option<Address>, Child)> {
    let kernel = &mut *host.kernel;
    if kernel.context().depth + 1 > MAX_CALL_DEPTH {
        return Ok((None, Child::failed(0)));
    }
    if tokens_to_u256(&kernel.current_balance()?) < inputs.value() {
        return Ok((None, Child::failed(0)));
    }
    let nonce = kernel.nonce()?;
    if nonce == u64::MAX {
        return Ok((None, Child::failed(0)));
    }
    kernel.bump_nonce()?;
    let me = inputs.caller().into_array();
    let address = match inputs.scheme() {
        CreateScheme::Create2 { salt } => {
            create2_address(&me, &salt.to_be_bytes(), inputs.init_code())
        }
        _ => create_address(&me, nonce),
    };
    kernel.warm_address(address);
    let req = CreateRequest {
        delegated_address: to_eth(Address::from(address)).to_filecoin(),
        code: BuiltinCode::Evm.cid(),
        params: Some(IpldBlock {
            codec: IPLD_RAW,
            data: inputs.init_code().to_vec(),
        }),
        value: u256_to_tokens(inputs.value()),
        gas_limit: Some(Gas::new(limit)),
        on_behalf_of: None,
    };
    let (result, used) = measured(kernel, |k| k.create(req));
    let child = match result {
        // An account with code or a nonce is already there: the create consumes all its gas.
        Err(ExecutionError::Syscall(ErrorNumber::Forbidden, _)) => {
            let rest = limit as i64 * 1000 - used;
            charge_milligas(kernel, rest)?;
            Child::failed(limit as i64 * 1000)
        }
        other => settle(other, used)?,
    };
    Ok((Some(from_eth(to_eth(Address::from(address)))), child))
}
