//! The EVM runtime: runs one EVM frame per invocation with revm's interpreter.
//!
//! Methods an EVM actor answers:
//! - 1 (constructor): params are the init code; runs it and deploys what it returns.
//! - InvokeEVM (FRC-42 3844450837): params are the calldata (IPLD_RAW, or a CBOR byte string).
//! - 6 (InvokeContractDelegate, Tandem-internal): runs another contract's code on this
//!   contract's state, for DELEGATECALL and CALLCODE.
//!
//! Gas: the frame's budget is the kernel's available gas at the start. What the interpreter
//! spends is charged to the kernel before each outgoing call and at the end; a child charges
//! its own use, so the parent counts it as already charged (see `calls`).

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::tuple::*;
use fvm_ipld_encoding::{CBOR, DAG_CBOR, IPLD_RAW, RawBytes, strict_bytes};
use fvm_shared::error::ExitCode;
use revm::bytecode::Bytecode;
use revm::interpreter::instructions::{GasTable, InstructionTable, gas_table_spec};
use revm::interpreter::interpreter::{EthInterpreter, ExtBytecode};
use revm::interpreter::{
    CallInput, FrameInput, InputsImpl, InstructionResult, Interpreter, InterpreterAction,
    InterpreterResult, SharedMemory, instruction_table,
};
use revm::primitives::hardfork::SpecId;
use tandem_vm::builtin::{BuiltinCode, METHOD_CONSTRUCTOR};
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::gas::Gas;
use tandem_vm::kernel::{ExecutionError, KResult, Kernel};
use tandem_vm::runtime::{InvokeReturn, Runtime};

use crate::address::{from_eth, tokens_to_u256};
use crate::host::{TandemHost, Target, eth_address_of, lookup_target};
use crate::state::{CodeCache, EvmState, LoadedCode};
use crate::{calls, exit};

/// Tandem-internal: run delegated code on the receiver's state.
pub const METHOD_INVOKE_DELEGATE: u64 = 6;

/// Parameters of [`METHOD_INVOKE_DELEGATE`]. The input is borrowed and comes last: the
/// caller encodes it from its copy of the calldata (the one copy besides it), and the frame
/// keeps the block's buffer and takes the input as a slice of it, not a copy.
#[derive(Debug, Clone, Serialize_tuple, Deserialize_tuple)]
pub struct DelegateParams<'a> {
    /// The state CID of the contract whose code runs.
    pub code: Cid,
    /// CALLER as the code sees it.
    #[serde(with = "strict_bytes")]
    pub caller: [u8; 20],
    /// CALLVALUE as the code sees it (big-endian).
    #[serde(with = "strict_bytes")]
    pub value: [u8; 32],
    #[serde(borrow, with = "serde_bytes")]
    pub input: &'a [u8],
}

impl DelegateParams<'_> {
    /// DAG-CBOR, into a buffer sized for it (no regrowth copying the input again).
    pub fn encode(&self) -> Result<Vec<u8>, fvm_ipld_encoding::Error> {
        let mut out = Vec::with_capacity(self.input.len() + 128);
        fvm_ipld_encoding::to_writer(&mut out, self)?;
        Ok(out)
    }
}

/// Runs every EVM contract (code CID [`BuiltinCode::Evm`]).
pub struct EvmRuntime {
    evm_code: Cid,
    code: CodeCache,
}

impl Default for EvmRuntime {
    fn default() -> Self {
        Self::new()
    }
}

impl EvmRuntime {
    pub fn new() -> Self {
        Self {
            evm_code: BuiltinCode::Evm.cid(),
            code: CodeCache::default(),
        }
    }

    pub fn evm_code(&self) -> Cid {
        self.evm_code
    }

    pub fn code_cache(&self) -> &CodeCache {
        &self.code
    }

    /// EIP-7702: the code an account runs. A delegation designator runs its delegate's code
    /// (one hop: a designator found there runs as code, and halts on its 0xEF); a delegate
    /// without EVM code (a precompile, an account, a native actor) runs nothing.
    fn follow_delegation(
        &self,
        kernel: &mut dyn Kernel,
        loaded: LoadedCode,
    ) -> KResult<LoadedCode> {
        let Some(delegate) = loaded.code.eip7702_address() else {
            return Ok(loaded);
        };
        // A transaction to a delegated account warms the delegate, as loading its code does
        // in Ethereum. Deeper frames were warmed (and charged) by the CALL that reached them.
        if kernel.context().depth == 0 {
            kernel.warm_address(delegate.into_array());
        }
        Ok(match lookup_target(kernel, self, delegate)? {
            Target::Contract(_, code) if code.code.is_eip7702() => LoadedCode {
                code: Bytecode::new_legacy(code.code.original_bytes()),
                ..code
            },
            Target::Contract(_, code) => code,
            _ => LoadedCode {
                code: Bytecode::default(),
                hash: revm::primitives::KECCAK_EMPTY,
                cid: loaded.cid,
            },
        })
    }
}

/// One frame to run.
struct FrameSpec {
    code: Bytecode,
    hash: Option<B256>,
    input: Bytes,
    caller: Address,
    target: Address,
    value: U256,
    is_create: bool,
}

impl Runtime for EvmRuntime {
    fn trusted(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "evm"
    }

    fn runs(&self, code: &Cid) -> bool {
        *code == self.evm_code
    }

    fn invoke(&self, kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
        // 1025 nested frames need more stack than a test or worker thread has: grow it on
        // demand instead of requiring callers to run on a huge thread.
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || self.invoke_frame(kernel))
    }
}

/// Stack left below which a frame gets a fresh segment, and that segment's size.
const STACK_RED_ZONE: usize = 256 * 1024;
const STACK_SEGMENT: usize = 8 * 1024 * 1024;

impl EvmRuntime {
    fn invoke_frame(&self, kernel: &mut dyn Kernel) -> KResult<InvokeReturn> {
        // The few context fields a frame needs, read without cloning the context (its
        // amounts are big integers).
        let ctx = kernel.context();
        let (receiver, caller_id, origin_id, method) =
            (ctx.receiver, ctx.caller, ctx.origin, ctx.method);
        // Delegated code runs only in a frame a delegate call entered, and such a frame runs
        // nothing else: method 6 names the code to run, so a message sent with it would let
        // anyone run any code on this contract's storage.
        if ctx.delegated != (method == METHOD_INVOKE_DELEGATE) {
            return Ok(InvokeReturn::exit(
                ExitCode::USR_FORBIDDEN,
                Some(IpldBlock {
                    codec: IPLD_RAW,
                    data:
                        b"method 6 runs delegated code: only a DELEGATECALL or CALLCODE enters it"
                            .to_vec(),
                }),
            ));
        }
        let value = tokens_to_u256(&ctx.value_received);
        let target = from_eth(eth_address_of(kernel, receiver)?);
        let spec = match method {
            METHOD_CONSTRUCTOR => {
                let Some(init) = raw_params(kernel) else {
                    return Ok(exit::bad_params("constructor params must be init code"));
                };
                // EIP-161: a new contract starts at nonce 1.
                kernel.bump_nonce()?;
                FrameSpec {
                    code: Bytecode::new_legacy(init),
                    hash: None,
                    input: Bytes::new(),
                    caller: from_eth(eth_address_of(kernel, caller_id)?),
                    target,
                    value,
                    is_create: true,
                }
            }
            INVOKE_EVM => {
                let Some(input) = raw_params(kernel) else {
                    return Ok(exit::bad_params("InvokeEVM params must be calldata bytes"));
                };
                let state = kernel.root()?;
                let loaded = self.code.load(kernel.store(), &state)?;
                let loaded = self.follow_delegation(kernel, loaded)?;
                FrameSpec {
                    code: loaded.code,
                    hash: Some(loaded.hash),
                    input,
                    caller: from_eth(eth_address_of(kernel, caller_id)?),
                    target,
                    value,
                    is_create: false,
                }
            }
            METHOD_INVOKE_DELEGATE => {
                // Moved, not copied: nothing reads the params after this.
                let Some(block) = kernel.take_params() else {
                    return Ok(exit::bad_params("bad delegate params"));
                };
                let Ok(params) = fvm_ipld_encoding::from_slice::<DelegateParams>(&block.data)
                else {
                    return Ok(exit::bad_params("bad delegate params"));
                };
                // The input borrows from the block: its place there, as a range (a decoder
                // may hand an empty input from elsewhere: then it is copied, not sliced).
                let len = params.input.len();
                let start = (params.input.as_ptr() as usize)
                    .checked_sub(block.data.as_ptr() as usize)
                    .filter(|start| start.saturating_add(len) <= block.data.len());
                let copied = match start {
                    Some(_) => Vec::new(),
                    None => params.input.to_vec(),
                };
                let (code, caller, value) = (params.code, params.caller, params.value);
                let input = match start {
                    Some(start) => Bytes::from(block.data).slice(start..start + len),
                    None => Bytes::from(copied),
                };
                let loaded = self.code.load(kernel.store(), &code)?;
                let loaded = self.follow_delegation(kernel, loaded)?;
                FrameSpec {
                    code: loaded.code,
                    hash: Some(loaded.hash),
                    input,
                    caller: Address::from(caller),
                    target,
                    value: U256::from_be_bytes(value),
                    is_create: false,
                }
            }
            m => {
                return Ok(InvokeReturn::exit(
                    ExitCode::USR_UNHANDLED_MESSAGE,
                    Some(IpldBlock {
                        codec: IPLD_RAW,
                        data: format!("EVM contracts do not handle method {m}").into_bytes(),
                    }),
                ));
            }
        };
        // ORIGIN: the caller's address when the caller is the origin (every top-level frame),
        // without a second lookup.
        let origin = if origin_id == caller_id && method != METHOD_INVOKE_DELEGATE {
            spec.caller
        } else {
            from_eth(eth_address_of(kernel, origin_id)?)
        };
        self.run_frame(kernel, spec, origin)
    }
}

/// The calldata or init code in the parameters: IPLD_RAW bytes, or a CBOR byte string (how
/// native actors send it); none is empty.
fn raw_params(kernel: &mut dyn Kernel) -> Option<Bytes> {
    match kernel.params() {
        None => Some(Bytes::new()),
        // Moved, not copied: nothing reads the params after this.
        Some(p) if p.codec == IPLD_RAW => kernel.take_params().map(|p| Bytes::from(p.data)),
        Some(p) if p.codec == CBOR || p.codec == DAG_CBOR => {
            let bytes: RawBytes = fvm_ipld_encoding::from_slice(&p.data).ok()?;
            Some(Bytes::from(bytes.to_vec()))
        }
        Some(_) => None,
    }
}

impl EvmRuntime {
    fn run_frame(
        &self,
        kernel: &mut dyn Kernel,
        spec: FrameSpec,
        origin: Address,
    ) -> KResult<InvokeReturn> {
        let budget = kernel.gas_available().round_down();
        let depth = kernel.context().depth as usize;
        let is_static = kernel.context().read_only;
        let bytecode = match spec.hash {
            Some(h) => ExtBytecode::new_with_hash(spec.code, h),
            None => ExtBytecode::new(spec.code),
        };
        let inputs = InputsImpl {
            target_address: spec.target,
            bytecode_address: None,
            caller_address: spec.caller,
            input: CallInput::Bytes(spec.input),
            call_value: spec.value,
            depth,
        };
        let fork = kernel.network().hardfork;
        let mut interp = PooledInterpreter::take(
            bytecode,
            inputs,
            is_static,
            crate::spec::spec_id(fork),
            budget,
        );
        let mut host = TandemHost::new(kernel, self, origin);
        // Both tables are constants: referenced in place, not built (4 KiB) per frame.
        let table = &Tables::INSTRUCTIONS;
        let gas_table = &GAS_TABLE;
        // Milligas of this frame's spending already charged to the kernel.
        let mut synced: i64 = 0;
        let steps = crate::trace::step_options(&mut host);
        let mut result = loop {
            let action = match steps {
                None => interp.run_plain(table, gas_table, &mut host),
                Some(o) => crate::trace::run_traced(&mut interp, table, gas_table, &mut host, o),
            };
            if let Some(e) = host.error.take() {
                return Err(e);
            }
            match action {
                InterpreterAction::NewFrame(FrameInput::Call(inputs)) => {
                    calls::call(&mut host, &mut interp, *inputs, &mut synced)?
                }
                InterpreterAction::NewFrame(FrameInput::Create(inputs)) => {
                    calls::create(&mut host, &mut interp, *inputs, &mut synced)?
                }
                InterpreterAction::NewFrame(FrameInput::Empty) => {
                    return Err(ExecutionError::Fatal(anyhow::anyhow!(
                        "interpreter asked for an empty frame"
                    )));
                }
                InterpreterAction::Return(result) => break result,
            }
        };
        let kernel = host.kernel;
        if spec.is_create && result.result.is_ok() {
            let max_code = crate::host::code_size_limits(kernel.network()).0;
            check_deposit(&mut result, fork, max_code);
        }
        if result.result.is_halt() {
            result.gas.spend_all();
        }
        let spent = (result.gas.total_gas_spent() as i64).saturating_mul(1000);
        calls::charge_milligas(kernel, spent - synced)?;
        if result.result.is_ok() {
            kernel.add_refund(result.gas.refunded());
            if spec.is_create {
                deploy(kernel, &result.output)?;
                return Ok(InvokeReturn::ok(None));
            }
            return Ok(InvokeReturn::ok(raw_block(result.output)));
        }
        if result.result.is_revert() {
            return Ok(InvokeReturn::exit(exit::REVERTED, raw_block(result.output)));
        }
        Ok(InvokeReturn::exit(exit::for_halt(result.result), None))
    }
}

/// Interpreters kept by this thread between frames, each with its memory buffer: a frame
/// would otherwise allocate a 32 KiB operand stack and a 4 KiB memory (revm reuses its
/// frames' the same way). Nested frames take their own; at most `POOLED_INTERPRETERS` are
/// kept, and a memory buffer only while it is at most `POOLED_MEMORY_BYTES`.
const POOLED_INTERPRETERS: usize = 16;
const POOLED_MEMORY_BYTES: usize = 64 * 1024;

type MemoryBuffer = std::rc::Rc<std::cell::RefCell<Vec<u8>>>;

/// Boxed, so that taking one from the pool and giving it back moves a pointer, not the
/// interpreter's few hundred bytes.
type Pooled = (Box<Interpreter<EthInterpreter>>, MemoryBuffer);

thread_local! {
    static INTERPRETERS: std::cell::RefCell<Vec<Pooled>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// An interpreter from the thread's pool, given back when the frame ends (however it ends).
/// Its memory buffer is shared with `interp.memory` while the frame runs.
struct PooledInterpreter {
    /// `None` only while being given back (taken whole, so giving back allocates nothing).
    pooled: Option<Pooled>,
}

impl PooledInterpreter {
    fn take(
        bytecode: ExtBytecode,
        inputs: InputsImpl,
        is_static: bool,
        spec: SpecId,
        gas: u64,
    ) -> Self {
        let (mut interp, buffer) = INTERPRETERS
            .with(|pool| pool.borrow_mut().pop())
            .unwrap_or_else(|| (Box::new(Interpreter::invalid()), MemoryBuffer::default()));
        // Emptied here; the interpreter zero-fills whatever it grows into.
        buffer.borrow_mut().clear();
        let memory = SharedMemory::new_with_buffer(buffer.clone());
        // `clear` keeps the stack's allocation (and makes one if it has none).
        interp.clear(memory, bytecode, inputs, is_static, spec, gas, 0);
        Self {
            pooled: Some((interp, buffer)),
        }
    }
}

impl std::ops::Deref for PooledInterpreter {
    type Target = Interpreter<EthInterpreter>;
    fn deref(&self) -> &Self::Target {
        // Set from `take` until `drop`.
        match &self.pooled {
            Some((interp, _)) => interp,
            None => unreachable_pooled(),
        }
    }
}

impl std::ops::DerefMut for PooledInterpreter {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match &mut self.pooled {
            Some((interp, _)) => interp,
            None => unreachable_pooled(),
        }
    }
}

#[cold]
fn unreachable_pooled() -> ! {
    unreachable!("a pooled interpreter is only given back when it is dropped")
}

impl Drop for PooledInterpreter {
    fn drop(&mut self) {
        let Some((mut interp, buffer)) = self.pooled.take() else {
            return;
        };
        // Let go of the interpreter's handle on the buffer before deciding to keep it, and of
        // the frame's calldata and last return data (either may be large). Its code stays
        // until the next frame replaces it: at most `POOLED_INTERPRETERS` codes of at most
        // 48 KiB, like the memory buffers.
        interp.memory = SharedMemory::invalid();
        interp.input.input = CallInput::Bytes(Bytes::new());
        interp.return_data.0 = Bytes::new();
        let reusable = std::rc::Rc::strong_count(&buffer) == 1
            && buffer.borrow().capacity() <= POOLED_MEMORY_BYTES;
        INTERPRETERS.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOLED_INTERPRETERS {
                let buffer = if reusable {
                    buffer
                } else {
                    MemoryBuffer::default()
                };
                pool.push((interp, buffer));
            }
        });
    }
}

/// The interpreter's instruction table for a host borrowing a kernel for `'k`.
struct Tables<'k>(std::marker::PhantomData<&'k ()>);

impl<'k> Tables<'k> {
    const INSTRUCTIONS: InstructionTable<EthInterpreter, TandemHost<'k>> = instruction_table();
}

/// The static gas table: the same for Cancun, Prague and Osaka (revm changes it only at
/// Berlin and Amsterdam; a test checks), so one constant serves every fork Tandem runs.
const GAS_TABLE: GasTable = gas_table_spec(SpecId::OSAKA);

/// EIP-170, EIP-3541 and the code-deposit charge (EIP-2: failing it fails the create).
fn check_deposit(
    result: &mut InterpreterResult,
    fork: tandem_vm::kernel::Hardfork,
    max_code: usize,
) {
    let code = &result.output;
    if code.len() > max_code {
        result.result = InstructionResult::CreateContractSizeLimit;
    } else if code.first() == Some(&0xEF) {
        result.result = InstructionResult::CreateContractStartingWithEF;
    } else if !result
        .gas
        .record_regular_cost(crate::spec::gas_params(fork).code_deposit_cost(code.len()))
    {
        result.result = InstructionResult::OutOfGas;
    }
}

/// Stores the deployed code and points the contract's state at it.
fn deploy(kernel: &mut dyn Kernel, code: &[u8]) -> KResult<()> {
    let bytecode = kernel.block_put(IPLD_RAW, code)?;
    let state = EvmState {
        bytecode,
        bytecode_hash: keccak256(code).0,
    };
    let bytes = fvm_ipld_encoding::to_vec(&state)
        .map_err(|e| ExecutionError::Fatal(anyhow::anyhow!("encoding EVM state: {e}")))?;
    let root = kernel.block_put(DAG_CBOR, &bytes)?;
    kernel.set_root(root)
}

/// The frame's output as its return block: moved, not copied, when the interpreter holds the
/// only handle on it (as it does on RETURN and REVERT).
fn raw_block(data: Bytes) -> Option<IpldBlock> {
    (!data.is_empty()).then(|| IpldBlock {
        codec: IPLD_RAW,
        data: Vec::from(data.0),
    })
}

/// Gas helper shared with `calls`.
pub(crate) fn gas_units(milligas: i64) -> Gas {
    Gas::from_milligas(milligas)
}
