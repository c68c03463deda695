//! Fixed indices and addresses of the generated module: the `tandem_v1` imports, the types,
//! the runtime helpers and the reserved memory below the heap.

use wasm_encoder::ValType;

pub const I32: ValType = ValType::I32;
pub const I64: ValType = ValType::I64;

/// The syscalls the module imports, in import order (function index = position).
pub const IMPORTS: &[(&str, &[ValType], &[ValType])] = &[
    ("ipld_block_create", &[I64, I32, I32, I32], &[I32]),
    ("ipld_block_read", &[I32, I32, I32, I32, I32], &[I32]),
    ("ipld_block_stat", &[I32, I32], &[I32]),
    ("self_balance", &[I32], &[I32]),
    ("slot_get", &[I32, I32], &[I32]),
    ("slot_set", &[I32, I32], &[I32]),
    ("msg_context", &[I32], &[I32]),
    ("gas_available", &[I32], &[I32]),
    ("network_context", &[I32], &[I32]),
    ("actor_resolve", &[I32, I32, I32], &[I32]),
    ("actor_lookup_delegated", &[I64, I32, I32, I32], &[I32]),
    ("actor_balance", &[I64, I32], &[I32]),
    ("crypto_hash", &[I32, I32, I32, I32], &[I32]),
    ("event_emit_data", &[I32, I32], &[I32]),
    ("vm_abort", &[I32, I32, I32, I32], &[I32]),
    ("actor_code", &[I64, I32, I32, I32], &[I32]),
    (
        "send",
        &[I32, I32, I64, I32, I64, I64, I64, I64, I32],
        &[I32],
    ),
    ("crypto_recover_secp256k1", &[I32, I32, I32], &[I32]),
    ("actor_create", &[I32, I32, I32, I64, I64, I32], &[I32]),
    (
        "send_async",
        &[I32, I32, I64, I32, I64, I64, I64, I64, I64, I32],
        &[I32],
    ),
    ("actor_code_size", &[I64, I32], &[I32]),
    ("transient_get", &[I32, I32], &[I32]),
    ("transient_set", &[I32, I32], &[I32]),
    ("msg_creator", &[I32], &[I32]),
];

pub mod sys {
    pub const BLOCK_CREATE: u32 = 0;
    pub const BLOCK_READ: u32 = 1;
    pub const BLOCK_STAT: u32 = 2;
    pub const SELF_BALANCE: u32 = 3;
    pub const SLOT_GET: u32 = 4;
    pub const SLOT_SET: u32 = 5;
    pub const MSG_CONTEXT: u32 = 6;
    pub const GAS_AVAILABLE: u32 = 7;
    pub const NETWORK_CONTEXT: u32 = 8;
    pub const ACTOR_RESOLVE: u32 = 9;
    pub const LOOKUP_DELEGATED: u32 = 10;
    pub const ACTOR_BALANCE: u32 = 11;
    pub const CRYPTO_HASH: u32 = 12;
    pub const EVENT_EMIT_DATA: u32 = 13;
    pub const VM_ABORT: u32 = 14;
    pub const ACTOR_CODE: u32 = 15;
    pub const SEND: u32 = 16;
    pub const RECOVER: u32 = 17;
    pub const ACTOR_CREATE: u32 = 18;
    pub const SEND_ASYNC: u32 = 19;
    pub const ACTOR_CODE_SIZE: u32 = 20;
    pub const TRANSIENT_GET: u32 = 21;
    pub const TRANSIENT_SET: u32 = 22;
    pub const MSG_CREATOR: u32 = 23;
}

pub const N_IMPORTS: u32 = IMPORTS.len() as u32;

/// Reserved memory (below the heap). Words are 32 bytes, big-endian, as the IR sees memory.
pub mod mem {
    /// `msg_context` output (72 bytes), read once per invocation.
    pub const MSGCTX: u64 = 0x400;
    /// `network_context` output (40 bytes).
    pub const NETCTX: u64 = 0x460;
    /// Slot key and value for `slot_get`/`slot_set` (and `transient_get`/`transient_set`).
    pub const KEY: u64 = 0x500;
    pub const VAL: u64 = 0x520;
    /// Small syscall outputs (ids, lengths, u128 balances, hashes).
    pub const OUT: u64 = 0x540;
    /// A word staged for byte access (addresses, fixed bytes, big integers).
    pub const WBUF: u64 = 0x580;
    /// Address bytes (Filecoin form) for `actor_resolve`/`actor_lookup_delegated`.
    pub const ABUF: u64 = 0x5c0;
    /// Hash input of two words (mapping slots).
    pub const HBUF: u64 = 0x600;
    /// Eight little-endian limbs for the variable shifts.
    pub const SHIFT: u64 = 0x680;
    /// The Filecoin address a send goes to (after a one-byte CBOR head).
    pub const TO: u64 = 0x700;
    /// A code CID (`actor_code`).
    pub const CODE: u64 = 0x740;
    /// A recovered public key (65 bytes, uncompressed).
    pub const PUBKEY: u64 = 0x780;
    /// The last mapping slot hashed (`Rt::MapMemo`), as big-endian bytes; the one hashed
    /// before it at `MS_HASH2`, and 32 bytes the memo swaps them through.
    pub const MS_HASH: u64 = 0x800;
    pub const MS_HASH2: u64 = 0x820;
    pub const MS_SWAP: u64 = 0x840;
    /// Where the heap (the IR's `Alloc`) starts.
    pub const HEAP_START: u64 = 0x1000;
}

/// Mutable globals.
pub mod global {
    /// The heap's free pointer (i32).
    pub const HEAP: u32 = 0;
    /// The CBOR reader's position and end (i32).
    pub const RD: u32 = 1;
    pub const RD_END: u32 = 2;
    /// The CBOR writer's position (i32).
    pub const WR: u32 = 3;
    /// Whether the caller's address word is cached (i32), and the cached limbs (i64 × 4).
    pub const CALLER_SET: u32 = 4;
    pub const CALLER: u32 = 5;
    /// The last send: its exit code (or a syscall error), its return block (0 for none),
    /// whether it went to an EVM contract (i32 each).
    pub const LAST_EXIT: u32 = 9;
    pub const LAST_RET: u32 = 10;
    pub const LAST_EVM: u32 = 11;
    /// Set while a reply is decoded: what does not decode reverts with no data instead of
    /// exiting with `BAD_PARAMS`.
    pub const REPLY_MODE: u32 = 12;
    /// Set when a reply handler runs for a reply from an EVM callee (i32): its `ret` is ABI
    /// return data (`async_send.rs`).
    pub const ASYNC_EVM: u32 = 13;
    /// Set when the message is `InvokeEVM` (i32): the handler decodes Solidity ABI calldata
    /// and answers ABI return data (`abi_dispatch.rs`).
    pub const ABI: u32 = 14;
    /// The last mapping slot hashed (`Rt::MapMemo`): whether set (i32) and its key and base
    /// (i64 × 8), its hash being at `mem::MS_HASH`, so a slot hashed again in the same
    /// message costs no `crypto_hash`; the hash as limbs (i64 × 4) and whether they are
    /// filled in (i32, `Rt::MapSlot` loads them once).
    pub const MS_SET: u32 = 15;
    pub const MS_IN: u32 = 16;
    pub const MS_OUT: u32 = 24;
    pub const MS_LIMBS: u32 = 28;
    /// The memo's second entry, the slot hashed before the last one (`MS_HASH2`): whether
    /// set (i32) and its key and base (i64 × 8). A nested mapping entry read then written
    /// (`allowances[o][s]`) hashes its two slots once each.
    pub const MS2_SET: u32 = 29;
    pub const MS2_IN: u32 = 30;
}

/// Exit codes.
pub mod exit {
    /// Parameters that do not decode as the handler's types (FRC-0042 USR_ILLEGAL_ARGUMENT).
    pub const BAD_PARAMS: i32 = 16;
    /// A method number the actor does not handle (USR_UNHANDLED_MESSAGE).
    pub const UNHANDLED: i32 = 22;
    /// A revert (errors, panics, value refused), the EVM runtime's REVERTED: the data is the
    /// Solidity ABI revert data, as an IPLD_RAW block (none when empty).
    pub const REVERTED: i32 = 33;
}

pub const DAG_CBOR: i64 = 0x71;
/// FRC-0042 "InvokeEVM": how a native actor calls an EVM contract (docs/syscalls.md).
pub const INVOKE_EVM: u64 = 3_844_450_837;
/// FRC-0042 "InstallCode" of the Init actor (tests hold it to `install_code_method`).
pub const INSTALL_CODE: u64 = 1_596_813_081;
/// The EVM runtime's code CID: v1, IPLD_RAW, identity multihash of `tandem/evm`.
pub const EVM_CODE_CID: &[u8] = b"\x01\x55\x00\x0atandem/evm";
pub const IPLD_RAW: i64 = 0x55;
