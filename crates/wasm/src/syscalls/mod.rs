//! The syscalls, version 1 (import module `tandem_v1`). Documented in docs/syscalls.md.
//!
//! Conventions: pointers and lengths are `u32` offsets into the instance's exported memory;
//! every syscall returns an error number (0 = ok, else fvm_shared's `ErrorNumber`) and writes
//! its results through out-pointers (little-endian). Running out of gas or a fatal error
//! traps instead. Every call first charges the instructions run so far, then the syscall's
//! price, and refuels the instance with the gas left afterwards.

mod chain;
mod event_cbor;
mod ipld;
mod send;

use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ErrorNumber;
use tandem_vm::gas::PRICE_LIST;
use tandem_vm::kernel::ExecutionError;
use wasmtime::{Caller, Engine, Linker};

use crate::host::{Host, Stop, charge_fuel, refuel};

/// Every syscall name in `tandem_v1` (the ABI crate's list); install refuses imports of
/// anything else, and a test checks the linker defines exactly these.
pub use tandem_abi::SYSCALL_NAMES;

/// How a syscall body fails: an error number for the actor, or a stop of the frame.
pub enum SysErr {
    Number(ErrorNumber),
    Stop(Stop),
}

impl From<ErrorNumber> for SysErr {
    fn from(n: ErrorNumber) -> Self {
        SysErr::Number(n)
    }
}

impl From<ExecutionError> for SysErr {
    fn from(e: ExecutionError) -> Self {
        match e {
            ExecutionError::Syscall(n, msg) => {
                tracing::debug!(?n, msg, "syscall refused");
                SysErr::Number(n)
            }
            e => SysErr::Stop(Stop::Kernel(e)),
        }
    }
}

pub type SysResult<T = ()> = Result<T, SysErr>;

/// Runs one syscall body between the gas syncs.
pub(crate) fn syscall(
    caller: &mut Caller<'_, Host>,
    body: impl FnOnce(&mut Caller<'_, Host>) -> SysResult,
) -> wasmtime::Result<u32> {
    charge_fuel(caller)?;
    let code = match charge(caller, "syscall", PRICE_LIST.syscall).and_then(|_| body(caller)) {
        Ok(()) => 0,
        Err(SysErr::Number(n)) => n as u32,
        Err(SysErr::Stop(stop)) => return Err(wasmtime::Error::new(stop)),
    };
    refuel(caller)?;
    Ok(code)
}

pub(crate) fn charge(
    caller: &mut Caller<'_, Host>,
    name: &'static str,
    gas: tandem_vm::gas::Gas,
) -> SysResult {
    Ok(caller.data_mut().kernel().charge_gas(name, gas)?)
}

fn memory(caller: &Caller<'_, Host>) -> SysResult<wasmtime::Memory> {
    caller
        .data()
        .memory
        .ok_or(SysErr::Number(ErrorNumber::IllegalOperation))
}

/// The longest address (an f4 address with the longest subaddress fits well within it).
pub(crate) const MAX_ADDRESS_BYTES: u32 = 128;
/// The longest CID accepted from an actor (a v1 CID with a 64-byte digest fits).
pub(crate) const MAX_CID_BYTES: u32 = 128;

/// Reads a short input whose size is known to be bounded, refusing longer ones before
/// copying anything (so no syscall copies more than it has charged for).
pub(crate) fn read_short(
    caller: &Caller<'_, Host>,
    off: u32,
    len: u32,
    max: u32,
) -> SysResult<Vec<u8>> {
    if len > max {
        return Err(ErrorNumber::IllegalArgument.into());
    }
    read(caller, off, len)
}

/// The `len` bytes at `off` in the instance's memory (`IllegalArgument` past its end).
fn memory_slice<'a>(caller: &'a Caller<'_, Host>, off: u32, len: usize) -> SysResult<&'a [u8]> {
    let start = off as usize;
    let end = start.checked_add(len).ok_or(ErrorNumber::IllegalArgument)?;
    Ok(memory(caller)?
        .data(caller)
        .get(start..end)
        .ok_or(ErrorNumber::IllegalArgument)?)
}

/// [`memory_slice`], writable.
fn memory_slice_mut<'a>(
    caller: &'a mut Caller<'_, Host>,
    off: u32,
    len: usize,
) -> SysResult<&'a mut [u8]> {
    let start = off as usize;
    let end = start.checked_add(len).ok_or(ErrorNumber::IllegalArgument)?;
    Ok(memory(caller)?
        .data_mut(caller)
        .get_mut(start..end)
        .ok_or(ErrorNumber::IllegalArgument)?)
}

/// Copies `len` bytes out of the instance's memory. Callers charge for `len` first, or
/// bound it with [`read_short`].
pub(crate) fn read(caller: &Caller<'_, Host>, off: u32, len: u32) -> SysResult<Vec<u8>> {
    Ok(memory_slice(caller, off, len as usize)?.to_vec())
}

/// Copies `N` bytes out of the instance's memory into an array (no heap copy: the slot
/// syscalls read two 32-byte words per call).
pub(crate) fn read_array<const N: usize>(
    caller: &Caller<'_, Host>,
    off: u32,
) -> SysResult<[u8; N]> {
    let mut out = [0u8; N];
    out.copy_from_slice(memory_slice(caller, off, N)?);
    Ok(out)
}

pub(crate) fn write(caller: &mut Caller<'_, Host>, off: u32, bytes: &[u8]) -> SysResult {
    memory_slice_mut(caller, off, bytes.len())?.copy_from_slice(bytes);
    Ok(())
}

/// Writes a fixed-size out-struct straight into the instance's memory at `off`: `encode`
/// gets the destination itself, so no intermediate buffer is written in one width and read
/// in another (a store-forwarding stall that was ~40% of a `msg_context` call).
pub(crate) fn write_struct<const N: usize>(
    caller: &mut Caller<'_, Host>,
    off: u32,
    encode: impl FnOnce(&mut [u8; N]),
) -> SysResult {
    let out: &mut [u8; N] = memory_slice_mut(caller, off, N)?
        .try_into()
        .map_err(|_| ErrorNumber::IllegalArgument)?;
    encode(out);
    Ok(())
}

/// Writes a variable-length result into a caller buffer, and its length to `out_len`.
pub(crate) fn write_buf(
    caller: &mut Caller<'_, Host>,
    buf: u32,
    cap: u32,
    out_len: u32,
    bytes: &[u8],
) -> SysResult {
    write(caller, out_len, &(bytes.len() as u32).to_le_bytes())?;
    if bytes.len() > cap as usize {
        return Err(ErrorNumber::BufferTooSmall.into());
    }
    write(caller, buf, bytes)
}

pub(crate) fn token_to_bytes(amount: &TokenAmount) -> SysResult<[u8; 16]> {
    let v = u128::try_from(amount.atto()).map_err(|_| ErrorNumber::LimitExceeded)?;
    Ok(v.to_le_bytes())
}

pub(crate) fn token_from_parts(lo: u64, hi: u64) -> TokenAmount {
    TokenAmount::from_atto(((hi as u128) << 64) | lo as u128)
}

/// The one table of syscalls: each is defined once, by name, into the linker; the names it
/// defined are kept so a test can hold them to [`SYSCALL_NAMES`].
pub struct SyscallTable<'a> {
    linker: &'a mut Linker<Host>,
    defined: Vec<&'static str>,
}

impl SyscallTable<'_> {
    pub(crate) fn def<Params, Args>(
        &mut self,
        name: &'static str,
        f: impl wasmtime::IntoFunc<Host, Params, Args>,
    ) -> wasmtime::Result<()> {
        self.linker
            .func_wrap(crate::config::SYSCALL_MODULE, name, f)?;
        self.defined.push(name);
        Ok(())
    }
}

/// The linker with every syscall of `tandem_v1`, and the names it defines.
pub fn linker_with_names(engine: &Engine) -> anyhow::Result<(Linker<Host>, Vec<&'static str>)> {
    let mut linker = Linker::new(engine);
    let mut table = SyscallTable {
        linker: &mut linker,
        defined: Vec::new(),
    };
    ipld::link(&mut table).map_err(|e| anyhow::anyhow!("{e}"))?;
    chain::link(&mut table).map_err(|e| anyhow::anyhow!("{e}"))?;
    send::link(&mut table).map_err(|e| anyhow::anyhow!("{e}"))?;
    let names = table.defined;
    Ok((linker, names))
}

/// The linker with every syscall of `tandem_v1`.
pub fn linker(engine: &Engine) -> anyhow::Result<Linker<Host>> {
    linker_with_names(engine).map(|(linker, _)| linker)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_linker_defines_exactly_the_abi_s_syscalls() {
        let engine = crate::config::engine().unwrap();
        let (_, mut defined) = super::linker_with_names(&engine).unwrap();
        let mut names = super::SYSCALL_NAMES.to_vec();
        defined.sort_unstable();
        names.sort_unstable();
        assert_eq!(defined, names);
    }
}
