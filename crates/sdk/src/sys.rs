//! Raw imports of the `tandem_v1` syscalls. Each returns an error number (0 = ok).
#![allow(clippy::missing_safety_doc)]

#[link(wasm_import_module = "tandem_v1")]
unsafe extern "C" {
    pub fn ipld_block_open(cid: *const u8, cid_len: u32, out: *mut u8) -> u32;
    pub fn ipld_block_create(codec: u64, data: *const u8, len: u32, out: *mut u32) -> u32;
    pub fn ipld_block_read(id: u32, offset: u32, buf: *mut u8, cap: u32, out: *mut u32) -> u32;
    pub fn ipld_block_stat(id: u32, out: *mut u8) -> u32;
    pub fn ipld_block_link(id: u32, buf: *mut u8, cap: u32, out: *mut u32) -> u32;
    pub fn self_root(buf: *mut u8, cap: u32, out: *mut u32) -> u32;
    pub fn self_set_root(cid: *const u8, len: u32) -> u32;
    pub fn self_balance(out: *mut u8) -> u32;
    pub fn slot_get(key: *const u8, out: *mut u8) -> u32;
    pub fn slot_set(key: *const u8, value: *const u8) -> u32;
    pub fn transient_get(key: *const u8, out: *mut u8) -> u32;
    pub fn transient_set(key: *const u8, value: *const u8) -> u32;
    pub fn msg_context(out: *mut u8) -> u32;
    pub fn gas_available(out: *mut u64) -> u32;
    /// The creating actor's ID in a constructor Init runs; 0 elsewhere.
    pub fn msg_creator(out: *mut u64) -> u32;
    pub fn network_context(out: *mut u8) -> u32;
    pub fn actor_resolve(addr: *const u8, len: u32, out: *mut u64) -> u32;
    pub fn actor_lookup_delegated(id: u64, buf: *mut u8, cap: u32, out: *mut u32) -> u32;
    pub fn actor_code(id: u64, buf: *mut u8, cap: u32, out: *mut u32) -> u32;
    pub fn actor_balance(id: u64, out: *mut u8) -> u32;
    /// The byte size of an actor's code (EVM bytecode, a native module; 0 for others).
    pub fn actor_code_size(id: u64, out: *mut u64) -> u32;
    pub fn actor_create(
        cid: *const u8,
        cid_len: u32,
        params: u32,
        value_lo: u64,
        value_hi: u64,
        out: *mut u8,
    ) -> u32;
    pub fn send(
        to: *const u8,
        to_len: u32,
        method: u64,
        params: u32,
        value_lo: u64,
        value_hi: u64,
        gas_limit: u64,
        flags: u64,
        out: *mut u8,
    ) -> u32;
    pub fn send_async(
        to: *const u8,
        to_len: u32,
        method: u64,
        params: u32,
        value_lo: u64,
        value_hi: u64,
        gas_limit: u64,
        reply_method: u64,
        reply_gas_limit: u64,
        out: *mut u8,
    ) -> u32;
    pub fn crypto_hash(kind: u32, data: *const u8, len: u32, out: *mut u8) -> u32;
    pub fn crypto_recover_secp256k1(hash: *const u8, sig: *const u8, out: *mut u8) -> u32;
    pub fn event_emit(id: u32) -> u32;
    pub fn event_emit_data(data: *const u8, len: u32) -> u32;
    pub fn rand_get(tag: i64, epoch: i64, entropy: *const u8, len: u32, out: *mut u8) -> u32;
    pub fn debug_enabled() -> u32;
    pub fn debug_log(msg: *const u8, len: u32) -> u32;
    pub fn vm_abort(code: u32, data: u32, msg: *const u8, len: u32) -> u32;
}
