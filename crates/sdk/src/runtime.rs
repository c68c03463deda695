//! Typed wrappers for the syscalls, the allocator, the panic handler and method dispatch.

use alloc::vec;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
#[cfg(not(feature = "system-alloc"))]
use core::cell::UnsafeCell;

use crate::cbor::{self, Cbor};
use crate::{ActorError, sys};
use tandem_abi::{
    BlockStat, CreateOut, HASH_BLAKE2B_256, HASH_KECCAK_256, HASH_SHA2_256, SEND_READ_ONLY, SendOut,
};

/// A refused syscall: fvm_shared's `ErrorNumber` (e.g. 6 = not found, 13 = read only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyscallError(pub u32);

pub type SysResult<T> = Result<T, SyscallError>;

fn check(code: u32) -> SysResult<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(SyscallError(code))
    }
}

fn le_u128(b: &[u8]) -> u128 {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    u128::from_le_bytes(a)
}

// ---- allocator and panics ----------------------------------------------------------------

/// Bump allocator: an instance serves one invocation, so memory is never reused. Cheapest per
/// allocation and smallest in code, but everything a call ever allocated stays until it
/// returns (the `system-alloc` feature frees instead). It starts at the linker's
/// `__heap_base`, inside the initial memory after the stack and data, so a call that allocates
/// little never grows memory (each page grown is paid per call).
#[cfg(not(feature = "system-alloc"))]
struct Bump(UnsafeCell<usize>);

#[cfg(not(feature = "system-alloc"))]
unsafe extern "C" {
    /// First byte after the stack and the data segments (set by wasm-ld).
    static __heap_base: u8;
}

// SAFETY: WASM actors are single-threaded.
#[cfg(not(feature = "system-alloc"))]
unsafe impl Sync for Bump {}

#[cfg(not(feature = "system-alloc"))]
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let next = unsafe { &mut *self.0.get() };
        if *next == 0 {
            *next = (&raw const __heap_base) as usize;
        }
        let start = (*next + layout.align() - 1) & !(layout.align() - 1);
        let end = match start.checked_add(layout.size()) {
            Some(e) => e,
            None => out_of_memory(),
        };
        let have = core::arch::wasm32::memory_size(0) * 65536;
        if end > have {
            let pages = (end - have).div_ceil(65536);
            if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
                out_of_memory()
            }
        }
        *next = end;
        start as *mut u8
    }
    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}

#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOC: Bump = Bump(UnsafeCell::new(0));

/// std's allocator (dlmalloc on wasm32), which reuses freed memory. A failed allocation
/// aborts with a user exit code instead of std's trap.
#[cfg(feature = "system-alloc")]
struct Freeing;

#[cfg(feature = "system-alloc")]
unsafe impl GlobalAlloc for Freeing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { std::alloc::System.alloc(layout) };
        if p.is_null() {
            out_of_memory()
        }
        p
    }
    /// dlmalloc knows memory fresh from `memory.grow` is zero and skips the fill.
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { std::alloc::System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory()
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory()
        }
        p
    }
}

#[cfg(feature = "system-alloc")]
#[global_allocator]
static ALLOC: Freeing = Freeing;

/// The instance's memory is at its cap (docs/syscalls.md, Limits): abort with a message
/// rather than trap. Allocates nothing.
fn out_of_memory() -> ! {
    abort(
        crate::USR_ASSERTION_FAILED,
        "out of memory (linear memory is capped per instance)",
    )
}

#[cfg(not(feature = "std"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let msg = alloc::format!("panic: {}", info.message());
    abort(crate::USR_ASSERTION_FAILED, &msg)
}

/// With std linked, std owns the panic handler; this hook makes a panic end the way the
/// no_std handler does (an abort with the message) instead of in a trap. `run_method`
/// installs it at the start of every invocation.
#[cfg(feature = "std")]
fn install_panic_hook() {
    std::panic::set_hook(alloc::boxed::Box::new(|info| {
        let msg = alloc::format!("panic: {}", info.payload_as_str().unwrap_or("(no message)"));
        abort(crate::USR_ASSERTION_FAILED, &msg)
    }));
}

// ---- blocks ------------------------------------------------------------------------------

/// Opens a block by CID bytes (it must be reachable); returns its codec and data.
pub fn block_get(cid: &[u8]) -> SysResult<(u64, Vec<u8>)> {
    let mut out = [0u8; BlockStat::SIZE];
    check(unsafe { sys::ipld_block_open(cid.as_ptr(), cid.len() as u32, out.as_mut_ptr()) })?;
    let stat = BlockStat::decode(&out);
    Ok((stat.codec, block_read(stat.id, stat.size)?))
}

fn block_read(id: u32, size: u32) -> SysResult<Vec<u8>> {
    let mut data = vec![0u8; size as usize];
    let mut n = 0u32;
    check(unsafe { sys::ipld_block_read(id, 0, data.as_mut_ptr(), size, &mut n) })?;
    data.truncate(n as usize);
    Ok(data)
}

/// Creates a block in memory; returns its handle.
pub fn block_create(codec: u64, data: &[u8]) -> SysResult<u32> {
    let mut id = 0u32;
    check(unsafe { sys::ipld_block_create(codec, data.as_ptr(), data.len() as u32, &mut id) })?;
    Ok(id)
}

/// Creates and persists a block; returns its CID bytes.
pub fn block_put(codec: u64, data: &[u8]) -> SysResult<Vec<u8>> {
    let id = block_create(codec, data)?;
    let mut buf = [0u8; 128];
    let mut n = 0u32;
    check(unsafe { sys::ipld_block_link(id, buf.as_mut_ptr(), buf.len() as u32, &mut n) })?;
    Ok(buf[..n as usize].to_vec())
}

// ---- state -------------------------------------------------------------------------------

pub fn root() -> SysResult<Vec<u8>> {
    let mut buf = [0u8; 128];
    let mut n = 0u32;
    check(unsafe { sys::self_root(buf.as_mut_ptr(), buf.len() as u32, &mut n) })?;
    Ok(buf[..n as usize].to_vec())
}

pub fn set_root(cid: &[u8]) -> SysResult<()> {
    check(unsafe { sys::self_set_root(cid.as_ptr(), cid.len() as u32) })
}

/// Reads the state object (a DAG-CBOR block under the state root).
pub fn load_state<T: Cbor>() -> Result<T, ActorError> {
    let (_, data) = block_get(&root().map_err(sys_err)?).map_err(sys_err)?;
    cbor::from_slice(&data).map_err(|_| ActorError::new(crate::USR_SERIALIZATION, "bad state"))
}

/// Writes the state object and makes it the state root.
pub fn save_state<T: Cbor>(state: &T) -> Result<(), ActorError> {
    let cid = block_put(crate::DAG_CBOR, &cbor::to_vec(state)).map_err(sys_err)?;
    set_root(&cid).map_err(sys_err)
}

/// Slot storage: 32-byte keys and values managed by the host.
pub fn slot_get(key: &[u8; 32]) -> SysResult<[u8; 32]> {
    let mut out = [0u8; 32];
    check(unsafe { sys::slot_get(key.as_ptr(), out.as_mut_ptr()) })?;
    Ok(out)
}

pub fn slot_set(key: &[u8; 32], value: &[u8; 32]) -> SysResult<()> {
    check(unsafe { sys::slot_set(key.as_ptr(), value.as_ptr()) })
}

/// Transient storage (EIP-1153): 32-byte words of this actor that live for one message.
/// A word set in one call frame is seen by every later frame of this actor in the same
/// message (re-entrant calls included); a frame that fails takes its writes with it; the next
/// message starts with every word zero. 100 gas each, like Ethereum's TLOAD/TSTORE.
pub fn transient_get(key: &[u8; 32]) -> SysResult<[u8; 32]> {
    let mut out = [0u8; 32];
    check(unsafe { sys::transient_get(key.as_ptr(), out.as_mut_ptr()) })?;
    Ok(out)
}

/// Sets a transient word (see [`transient_get`]). Refused (`ReadOnly`) in a read-only frame.
pub fn transient_set(key: &[u8; 32], value: &[u8; 32]) -> SysResult<()> {
    check(unsafe { sys::transient_set(key.as_ptr(), value.as_ptr()) })
}

/// A map from byte keys to u128 on slot storage.
///
/// The slot of `key` is `prefix ‖ key` laid out directly when both fit (at most 30 bytes
/// together): `[prefix.len(), prefix…, key…, 0…, key.len()]`, which is injective and costs no
/// hash syscall. Longer keys use `blake2b(prefix ‖ key)`; a hash output equals a direct
/// layout with negligible probability.
pub struct SlotMap<'a>(pub &'a [u8]);

impl SlotMap<'_> {
    fn slot(&self, key: &[u8]) -> [u8; 32] {
        let (prefix, total) = (self.0, self.0.len() + key.len());
        if total <= 30 {
            let mut slot = [0u8; 32];
            slot[0] = prefix.len() as u8;
            slot[1..1 + prefix.len()].copy_from_slice(prefix);
            slot[1 + prefix.len()..1 + total].copy_from_slice(key);
            slot[31] = key.len() as u8;
            return slot;
        }
        let mut input = Vec::with_capacity(total);
        input.extend_from_slice(prefix);
        input.extend_from_slice(key);
        blake2b256(&input)
    }

    pub fn get(&self, key: &[u8]) -> SysResult<u128> {
        let v = slot_get(&self.slot(key))?;
        Ok(u128::from_be_bytes(v[16..].try_into().unwrap_or_default()))
    }

    pub fn set(&self, key: &[u8], value: u128) -> SysResult<()> {
        let mut v = [0u8; 32];
        v[16..].copy_from_slice(&value.to_be_bytes());
        slot_set(&self.slot(key), &v)
    }
}

pub fn balance() -> u128 {
    let mut out = [0u8; 16];
    let _ = unsafe { sys::self_balance(out.as_mut_ptr()) };
    le_u128(&out)
}

// ---- context -----------------------------------------------------------------------------

pub use tandem_abi::MessageContext;

pub fn message() -> MessageContext {
    let mut o = [0u8; MessageContext::SIZE];
    let _ = unsafe { sys::msg_context(o.as_mut_ptr()) };
    MessageContext::decode(&o)
}

/// In the constructor, the actor creating this one: the actor that sent Init's Exec (or
/// Exec4, Create2), as Ethereum's `msg.sender` in a constructor. `message().caller` there
/// is Init. `None` outside a constructor. Set by the VM from Init's own frame, never from
/// params, so a message cannot claim it.
pub fn creator() -> Option<crate::address::ActorId> {
    let mut id = 0u64;
    let _ = unsafe { sys::msg_creator(&mut id) };
    (id != 0).then_some(id)
}

pub fn gas_available() -> u64 {
    let mut g = 0u64;
    let _ = unsafe { sys::gas_available(&mut g) };
    g
}

pub use tandem_abi::NetworkContext;

pub fn network() -> NetworkContext {
    let mut o = [0u8; NetworkContext::SIZE];
    let _ = unsafe { sys::network_context(o.as_mut_ptr()) };
    NetworkContext::decode(&o)
}

// ---- actors ------------------------------------------------------------------------------

/// The ID of an address (bytes), if an actor lives there.
pub fn resolve(addr: &[u8]) -> Option<u64> {
    let mut id = 0u64;
    check(unsafe { sys::actor_resolve(addr.as_ptr(), addr.len() as u32, &mut id) }).ok()?;
    Some(id)
}

fn id_buf(f: impl FnOnce(*mut u8, u32, *mut u32) -> u32) -> Option<Vec<u8>> {
    let mut buf = [0u8; 128];
    let mut n = 0u32;
    check(f(buf.as_mut_ptr(), buf.len() as u32, &mut n)).ok()?;
    Some(buf[..n as usize].to_vec())
}

pub fn lookup_delegated(id: u64) -> Option<Vec<u8>> {
    id_buf(|b, c, o| unsafe { sys::actor_lookup_delegated(id, b, c, o) })
}

pub fn code_of(id: u64) -> Option<Vec<u8>> {
    id_buf(|b, c, o| unsafe { sys::actor_code(id, b, c, o) })
}

pub fn balance_of(id: u64) -> Option<u128> {
    let mut out = [0u8; 16];
    check(unsafe { sys::actor_balance(id, out.as_mut_ptr()) }).ok()?;
    Some(le_u128(&out))
}

/// The outcome of a send or create: exit code and return block (codec, data).
#[derive(Debug, Clone)]
pub struct CallResult {
    pub exit_code: u32,
    pub ret: Option<(u64, Vec<u8>)>,
    /// The created actor's ID (creates only).
    pub actor_id: u64,
}

fn ret_block(id: u32) -> SysResult<Option<(u64, Vec<u8>)>> {
    if id == 0 {
        return Ok(None);
    }
    let mut o = [0u8; BlockStat::SIZE];
    check(unsafe { sys::ipld_block_stat(id, o.as_mut_ptr()) })?;
    let stat = BlockStat::decode(&o);
    Ok(Some((stat.codec, block_read(id, stat.size)?)))
}

fn params_id(params: Option<(u64, &[u8])>) -> SysResult<u32> {
    match params {
        Some((codec, data)) => block_create(codec, data),
        None => Ok(0),
    }
}

/// Creates an actor of installed code through the Init actor, running its constructor.
pub fn create_actor(code: &[u8], params: Option<&[u8]>, value: u128) -> SysResult<CallResult> {
    let pid = params_id(params.map(|p| (crate::CBOR, p)))?;
    let mut o = [0u8; CreateOut::SIZE];
    check(unsafe {
        sys::actor_create(
            code.as_ptr(),
            code.len() as u32,
            pid,
            value as u64,
            (value >> 64) as u64,
            o.as_mut_ptr(),
        )
    })?;
    let out = CreateOut::decode(&o);
    Ok(CallResult {
        exit_code: out.exit_code,
        ret: ret_block(out.ret_id)?,
        actor_id: out.actor_id,
    })
}

/// Sends to any actor (native, EVM or built-in). `gas_limit` 0 means all that is left.
pub fn send(
    to: &[u8],
    method: u64,
    params: Option<(u64, &[u8])>,
    value: u128,
    gas_limit: u64,
    read_only: bool,
) -> SysResult<CallResult> {
    let pid = params_id(params)?;
    let mut o = [0u8; SendOut::SIZE];
    check(unsafe {
        sys::send(
            to.as_ptr(),
            to.len() as u32,
            method,
            pid,
            value as u64,
            (value >> 64) as u64,
            gas_limit,
            if read_only { SEND_READ_ONLY } else { 0 },
            o.as_mut_ptr(),
        )
    })?;
    let out = SendOut::decode(&o);
    Ok(CallResult {
        exit_code: out.exit_code,
        ret: ret_block(out.ret_id)?,
        actor_id: 0,
    })
}

/// Where the reply to an async message goes: a method of this actor, and the gas it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyTo {
    pub method: u64,
    pub gas_limit: u64,
}

/// Queues an asynchronous message (docs/async.md) and returns its id. It is delivered in a
/// later block's system lane, from this actor, with `gas_limit` gas; if `reply` is given,
/// that method of this actor then receives an [`AsyncReply`] from the queue actor (ID 11,
/// [`ASYNC_QUEUE_ACTOR_ID`]). Both gas limits (at most 5,000,000 together) are paid now.
pub fn send_async(
    to: &[u8],
    method: u64,
    params: Option<(u64, &[u8])>,
    value: u128,
    gas_limit: u64,
    reply: Option<ReplyTo>,
) -> SysResult<u64> {
    let pid = params_id(params)?;
    let (reply_method, reply_gas) = reply.map_or((0, 0), |r| (r.method, r.gas_limit));
    let mut o = [0u8; 8];
    check(unsafe {
        sys::send_async(
            to.as_ptr(),
            to.len() as u32,
            method,
            pid,
            value as u64,
            (value >> 64) as u64,
            gas_limit,
            reply_method,
            reply_gas,
            o.as_mut_ptr(),
        )
    })?;
    Ok(u64::from_le_bytes(o))
}

/// Calls an EVM contract with Solidity-ABI calldata; returns the ABI return data.
pub fn call_evm(to: &[u8], calldata: &[u8], value: u128) -> SysResult<CallResult> {
    send(
        to,
        crate::INVOKE_EVM,
        Some((crate::IPLD_RAW, calldata)),
        value,
        0,
        false,
    )
}

// ---- crypto, events, randomness, debug -----------------------------------------------------

fn hash(kind: u32, data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let _ = unsafe { sys::crypto_hash(kind, data.as_ptr(), data.len() as u32, out.as_mut_ptr()) };
    out
}

pub fn blake2b256(data: &[u8]) -> [u8; 32] {
    hash(HASH_BLAKE2B_256, data)
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    hash(HASH_SHA2_256, data)
}

pub fn keccak256(data: &[u8]) -> [u8; 32] {
    hash(HASH_KECCAK_256, data)
}

/// Recovers the 65-byte uncompressed public key from a hash and a 65-byte signature.
pub fn recover_secp256k1(hash: &[u8; 32], sig: &[u8; 65]) -> SysResult<[u8; 65]> {
    let mut out = [0u8; 65];
    check(unsafe { sys::crypto_recover_secp256k1(hash.as_ptr(), sig.as_ptr(), out.as_mut_ptr()) })?;
    Ok(out)
}

/// Event entry flags (fvm_shared): index the key, the value, or both.
pub const FLAG_INDEXED_KEY: u64 = 1;
pub const FLAG_INDEXED_VALUE: u64 = 2;

/// Emits an event: entries of (flags, key, codec, value).
pub fn emit_event(entries: &[(u64, &str, u64, &[u8])]) -> SysResult<()> {
    // fvm_shared's ActorEvent: a (transparent) array of [flags, key, codec, value].
    let mut out = Vec::new();
    cbor::head(&mut out, 4, entries.len() as u64);
    for (flags, key, codec, value) in entries {
        cbor::head(&mut out, 4, 4);
        cbor::head(&mut out, 0, *flags);
        cbor::head(&mut out, 3, key.len() as u64);
        out.extend_from_slice(key.as_bytes());
        cbor::head(&mut out, 0, *codec);
        cbor::head(&mut out, 2, value.len() as u64);
        out.extend_from_slice(value);
    }
    event_emit_data(&out)
}

/// Emits an event from its DAG-CBOR bytes (fvm_shared's `ActorEvent`), with no block made.
pub(crate) fn event_emit_data(event: &[u8]) -> SysResult<()> {
    check(unsafe { sys::event_emit_data(event.as_ptr(), event.len() as u32) })
}

pub fn randomness(tag: i64, epoch: i64, entropy: &[u8]) -> SysResult<[u8; 32]> {
    let mut out = [0u8; 32];
    check(unsafe {
        sys::rand_get(
            tag,
            epoch,
            entropy.as_ptr(),
            entropy.len() as u32,
            out.as_mut_ptr(),
        )
    })?;
    Ok(out)
}

pub fn debug_enabled() -> bool {
    unsafe { sys::debug_enabled() != 0 }
}

pub fn debug_log(msg: &str) {
    let _ = unsafe { sys::debug_log(msg.as_ptr(), msg.len() as u32) };
}

/// Stops with a user exit code (>= 16) and a message; state changes are rolled back.
pub fn abort(code: u32, msg: &str) -> ! {
    unsafe { sys::vm_abort(code, 0, msg.as_ptr(), msg.len() as u32) };
    core::arch::wasm32::unreachable()
}

fn sys_err(e: SyscallError) -> ActorError {
    ActorError::new(
        crate::USR_ILLEGAL_STATE,
        &alloc::format!("syscall error {}", e.0),
    )
}

impl From<SyscallError> for ActorError {
    fn from(e: SyscallError) -> Self {
        sys_err(e)
    }
}

/// Runs a handler for the `dispatch!` macro: decodes params, encodes the return.
///
/// Only decoding, the call and encoding are generic (one copy per handler type); reading
/// the params and returning are shared by every method, as install gas is priced per byte.
pub fn run_method<P: Cbor, R: Cbor>(params: u32, f: fn(P) -> Result<R, ActorError>) -> u32 {
    let data = read_params(params);
    let p = match P::from_params(data.as_deref()) {
        Ok(p) => p,
        Err(e) => abort(
            crate::USR_SERIALIZATION,
            &alloc::format!("malformed params: {}", e.reason()),
        ),
    };
    finish_method(f(p).map(|r| r.to_block()))
}

#[inline(never)]
fn read_params(params: u32) -> Option<Vec<u8>> {
    #[cfg(feature = "std")]
    install_panic_hook();
    if params == 0 {
        return None;
    }
    match read_whole(params) {
        Ok(d) => Some(d),
        Err(_) => abort(crate::USR_SERIALIZATION, "unreadable params"),
    }
}

/// A block's bytes by handle in one syscall when it is small: a read into a buffer of
/// `FIRST` bytes, and only when that fills it a stat for the size and a read of the rest.
/// (Params are usually small; a stat first was a second syscall on every call.)
fn read_whole(id: u32) -> SysResult<Vec<u8>> {
    const FIRST: u32 = 256;
    let mut data: Vec<u8> = Vec::with_capacity(FIRST as usize);
    let mut n = 0u32;
    check(unsafe { sys::ipld_block_read(id, 0, data.as_mut_ptr(), FIRST, &mut n) })?;
    // SAFETY: the host wrote `n` bytes (at most the `FIRST` asked for) at the start.
    unsafe { data.set_len(n.min(FIRST) as usize) };
    if n < FIRST {
        return Ok(data);
    }
    let mut o = [0u8; BlockStat::SIZE];
    check(unsafe { sys::ipld_block_stat(id, o.as_mut_ptr()) })?;
    let size = BlockStat::decode(&o).size;
    let rest = size.saturating_sub(FIRST);
    data.reserve(rest as usize);
    let mut m = 0u32;
    // SAFETY: `rest` bytes of spare capacity were reserved just above.
    check(unsafe {
        sys::ipld_block_read(id, FIRST, data.as_mut_ptr().add(data.len()), rest, &mut m)
    })?;
    unsafe { data.set_len(data.len() + m.min(rest) as usize) };
    Ok(data)
}

#[inline(never)]
fn finish_method(ret: Result<Option<(u64, Vec<u8>)>, ActorError>) -> u32 {
    match ret {
        Ok(Some((codec, bytes))) => block_create(codec, &bytes)
            .unwrap_or_else(|_| abort(crate::USR_ILLEGAL_STATE, "cannot return")),
        Ok(None) => 0,
        Err(e) => abort(e.code, &e.message),
    }
}
