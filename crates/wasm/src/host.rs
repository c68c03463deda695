//! The per-invocation host state a WASM instance sees through its syscalls: the kernel, the
//! block registry, the gas/fuel bridge and the memory limiter.

use fvm_shared::error::{ErrorNumber, ExitCode};
use tandem_vm::gas::Gas;
use tandem_vm::kernel::{ExecutionError, Kernel};
use wasmtime::{Caller, Memory, ResourceLimiter};

use crate::config::{self, prices};

/// A block an instance has opened or created.
#[derive(Debug, Clone)]
pub struct Block {
    pub codec: u64,
    pub data: Vec<u8>,
}

/// How an instance stopped other than by returning.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// `vm_abort`: a user exit code with optional return data and a message.
    #[error("actor aborted with {code}: {message}")]
    Abort {
        code: ExitCode,
        data: Option<Block>,
        message: String,
    },
    /// Out of gas or a fatal error from the kernel.
    #[error("{0}")]
    Kernel(ExecutionError),
}

/// The kernel of the running frame. The pointer is valid while the host is attached: a host
/// is attached inside `WasmRuntime::invoke`, which holds the `&mut`, and detached before it
/// returns (a reused instance's host waits detached between calls).
struct KernelPtr(*mut (dyn Kernel + 'static));

// SAFETY: a store is used by one thread at a time, and its host is attached only on the
// thread that holds the kernel; wasmtime requires `Send` of the store's data.
unsafe impl Send for KernelPtr {}

pub struct Host {
    kernel: Option<KernelPtr>,
    pub blocks: Vec<Block>,
    pub memory: Option<Memory>,
    /// Fuel in the store after the last sync with the kernel's gas.
    pub fuel_at_sync: u64,
    /// Bytes of linear memory and registered blocks this instance holds.
    memory_bytes: u64,
    /// Set when a memory/table charge ran out of gas inside the limiter.
    pub out_of_gas: bool,
}

impl Host {
    /// A host attached to `kernel` for one frame.
    ///
    /// # Safety
    /// `kernel` must outlive the host's attachment (see [`Host::attach`]).
    pub unsafe fn new(kernel: &mut dyn Kernel) -> Result<Self, ExecutionError> {
        let mut host = Self {
            kernel: None,
            blocks: Vec::new(),
            memory: None,
            fuel_at_sync: 0,
            memory_bytes: 0,
            out_of_gas: false,
        };
        // SAFETY: forwarded to the caller.
        unsafe { host.attach(kernel)? };
        Ok(host)
    }

    /// Starts a frame on this host: enters the message's frame limiter and clears what the
    /// previous frame left (blocks, memory held, the out-of-gas flag).
    ///
    /// # Safety
    /// `kernel` must stay valid until [`Host::detach`] (or the host's drop).
    pub unsafe fn attach(&mut self, kernel: &mut dyn Kernel) -> Result<(), ExecutionError> {
        self.detach();
        // The message's limiter (kept by the call manager) bounds WASM frames and what they
        // hold across the whole stack.
        if !kernel.limiter().enter_frame(config::MAX_WASM_FRAMES) {
            return Err(ExecutionError::Syscall(
                ErrorNumber::LimitExceeded,
                "too many WASM frames on the stack".into(),
            ));
        }
        let ptr: *mut (dyn Kernel + '_) = kernel;
        // SAFETY: erases the lifetime only; see the type's comment.
        let ptr: *mut (dyn Kernel + 'static) = unsafe { std::mem::transmute(ptr) };
        self.kernel = Some(KernelPtr(ptr));
        self.blocks.clear();
        self.fuel_at_sync = 0;
        self.memory_bytes = 0;
        self.out_of_gas = false;
        Ok(())
    }

    /// Ends the frame: gives back what it held to the message's limiter and forgets the
    /// kernel. Idempotent.
    pub fn detach(&mut self) {
        if self.kernel.is_some() {
            let held = std::mem::take(&mut self.memory_bytes);
            let limiter = self.kernel().limiter();
            limiter.release(held);
            limiter.exit_frame();
            self.kernel = None;
        }
        self.blocks.clear();
    }

    pub fn kernel(&mut self) -> &mut dyn Kernel {
        match &self.kernel {
            // SAFETY: see `KernelPtr`; `&mut self` makes the borrow unique.
            Some(k) => unsafe { &mut *k.0 },
            // Syscalls and the limiter run only inside a call, and a call only on an attached
            // host (`WasmRuntime::invoke_frame`); reaching here is a bug of the runtime.
            None => unreachable!("a detached WASM host was asked for its kernel"),
        }
    }

    /// Registers a block and returns its handle (handles start at 1; 0 means none). Its
    /// bytes count toward the memory all WASM frames on the stack may hold.
    pub fn add_block(&mut self, block: Block) -> Result<u32, ErrorNumber> {
        if self.blocks.len() >= u32::MAX as usize - 1 {
            return Err(ErrorNumber::LimitExceeded);
        }
        let size = block.data.len() as u64;
        if !self
            .kernel()
            .limiter()
            .reserve(size, config::MAX_STACK_MEMORY)
        {
            return Err(ErrorNumber::LimitExceeded);
        }
        self.memory_bytes += size;
        self.blocks.push(block);
        Ok(self.blocks.len() as u32)
    }

    pub fn block(&self, id: u32) -> Result<&Block, ErrorNumber> {
        id.checked_sub(1)
            .and_then(|i| self.blocks.get(i as usize))
            .ok_or(ErrorNumber::InvalidHandle)
    }

    /// Moves a block's bytes out of the registry (the handle stays valid and empty), so
    /// handing a block back to the VM never copies it.
    pub fn take_block(&mut self, id: u32) -> Result<Block, ErrorNumber> {
        let block = id
            .checked_sub(1)
            .and_then(|i| self.blocks.get_mut(i as usize))
            .ok_or(ErrorNumber::InvalidHandle)?;
        Ok(Block {
            codec: block.codec,
            data: std::mem::take(&mut block.data),
        })
    }

    fn charge(&mut self, name: &'static str, gas: Gas) -> bool {
        if self.kernel().charge_gas(name, gas).is_err() {
            self.out_of_gas = true;
            return false;
        }
        true
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.detach();
    }
}

impl ResourceLimiter for Host {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let grow = desired.saturating_sub(current) as u64;
        if desired as u64 > config::MAX_INSTANCE_MEMORY
            || !self.kernel().limiter().fits(grow, config::MAX_STACK_MEMORY)
        {
            return Ok(false);
        }
        if !self.charge(
            "wasm_memory_grow",
            config::memory_growth_price(current as u64, desired as u64),
        ) {
            // Trap: the frame is out of gas.
            return Err(wasmtime::Error::new(Stop::Kernel(ExecutionError::OutOfGas)));
        }
        self.memory_bytes += grow;
        let reserved = self
            .kernel()
            .limiter()
            .reserve(grow, config::MAX_STACK_MEMORY);
        debug_assert!(
            reserved,
            "checked with `fits` above; charging gas does not change it"
        );
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > config::MAX_TABLE_ELEMENTS {
            return Ok(false);
        }
        let grow = desired.saturating_sub(current) as u64;
        if !self.charge(
            "wasm_table_grow",
            prices::TABLE_ELEMENT.saturating_mul(grow),
        ) {
            return Err(wasmtime::Error::new(Stop::Kernel(ExecutionError::OutOfGas)));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        config::MAX_TABLES as usize
    }

    fn memories(&self) -> usize {
        1
    }
}

/// Charges the kernel for the instructions run since the last sync.
pub fn charge_fuel(caller: &mut Caller<'_, Host>) -> wasmtime::Result<()> {
    let fuel = caller.get_fuel()?;
    let host = caller.data_mut();
    let used = host.fuel_at_sync.saturating_sub(fuel);
    host.fuel_at_sync = fuel;
    let gas = Gas::from_milligas((used as i64).saturating_mul(prices::MILLIGAS_PER_FUEL));
    host.kernel()
        .charge_gas("wasm_exec", gas)
        .map_err(|e| wasmtime::Error::new(Stop::Kernel(e)))
}

/// Gives the instance fuel for all the gas the kernel has left.
pub fn refuel(caller: &mut Caller<'_, Host>) -> wasmtime::Result<()> {
    let fuel = fuel_for(caller.data_mut().kernel().gas_available());
    caller.data_mut().fuel_at_sync = fuel;
    caller.set_fuel(fuel)
}

pub fn fuel_for(gas: Gas) -> u64 {
    (gas.as_milligas().max(0) / prices::MILLIGAS_PER_FUEL) as u64
}
