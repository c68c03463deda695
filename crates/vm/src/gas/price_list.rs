//! The price list: what the VM and the native runtimes charge for each operation.
//!
//! EVM frames do not use this table: they run on Ethereum's schedule inside revm. Everything
//! else (messages, built-in actors, native WASM actors and their syscalls) does. Prices are in
//! gas (see docs/gas.md): compute is calibrated to about 1 gas per nanosecond of work on the
//! reference machine; persisted bytes are priced like Ethereum's code deposit, because they
//! cost every node forever rather than once.

use super::Gas;

#[derive(Debug, Clone)]
pub struct PriceList {
    /// Every top-level message: signature check, nonce and balance update, receipt.
    pub message_base: Gas,
    /// Per byte of top-level message parameters.
    pub message_param_byte: Gas,
    /// Moving value between two actors inside a send.
    pub value_transfer: Gas,
    /// Invoking an actor's code in a send (the frame set-up).
    pub method_invocation: Gas,
    /// First load of an actor record in a message, and each later one.
    pub actor_lookup_cold: Gas,
    pub actor_lookup_warm: Gas,
    /// Writing an actor record (balance, nonce, state root).
    pub actor_update: Gas,
    /// Creating a new actor (a new entry in the state tree and the address map).
    pub actor_create: Gas,
    /// Opening a block from the store: a lookup plus a copy per byte.
    pub block_open_base: Gas,
    pub block_open_byte: Gas,
    /// Creating a block in memory (not yet persisted).
    pub block_create_base: Gas,
    pub block_create_byte: Gas,
    /// Persisting a block: hashing plus storage per byte.
    pub block_link_base: Gas,
    pub block_link_byte: Gas,
    /// Reading from an open block, per byte: a copy from the host into the instance's
    /// memory, the same work as WASM's `memory.copy`, and priced like it (docs/gas.md).
    pub block_read_byte: Gas,
    /// Reading and setting an actor's state root.
    pub root_get: Gas,
    pub root_set: Gas,
    /// Slot storage (32-byte words), with Ethereum's cold/warm distinction.
    pub slot_read_cold: Gas,
    pub slot_read_warm: Gas,
    pub slot_write_new: Gas,
    pub slot_write_update: Gas,
    pub transient_access: Gas,
    /// Hashing, per call and per byte.
    pub hash_base: Gas,
    pub blake2b_byte: Gas,
    pub sha256_byte: Gas,
    pub keccak256_byte: Gas,
    pub ripemd160_byte: Gas,
    pub secp256k1_recover: Gas,
    /// Events: per event, per entry, per byte of keys and values.
    pub event_base: Gas,
    pub event_entry: Gas,
    pub event_byte: Gas,
    /// Every call from native code into the host.
    pub syscall: Gas,
    /// Randomness derivation.
    pub randomness: Gas,
}

impl PriceList {
    pub fn block_open(&self, len: usize) -> Gas {
        self.block_open_base + self.block_open_byte.saturating_mul(len as u64)
    }

    pub fn block_create(&self, len: usize) -> Gas {
        self.block_create_base + self.block_create_byte.saturating_mul(len as u64)
    }

    pub fn block_link(&self, len: usize) -> Gas {
        self.block_link_base + self.block_link_byte.saturating_mul(len as u64)
    }

    pub fn block_read(&self, len: usize) -> Gas {
        self.block_read_byte.saturating_mul(len as u64)
    }

    pub fn message_inclusion(&self, params_len: usize) -> Gas {
        self.message_base + self.message_param_byte.saturating_mul(params_len as u64)
    }

    pub fn event(&self, entries: usize, bytes: usize) -> Gas {
        self.event_base
            + self.event_entry.saturating_mul(entries as u64)
            + self.event_byte.saturating_mul(bytes as u64)
    }

    pub fn hash(&self, per_byte: Gas, len: usize) -> Gas {
        self.hash_base + per_byte.saturating_mul(len as u64)
    }
}

const fn milli(m: i64) -> Gas {
    Gas::from_milligas(m)
}

/// The price list in force.
pub const PRICE_LIST: PriceList = PriceList {
    message_base: Gas::new(21_000),
    message_param_byte: Gas::new(16),
    value_transfer: Gas::new(6_000),
    method_invocation: Gas::new(700),
    actor_lookup_cold: Gas::new(2_600),
    actor_lookup_warm: Gas::new(100),
    actor_update: Gas::new(5_000),
    actor_create: Gas::new(25_000),
    block_open_base: Gas::new(2_100),
    block_open_byte: milli(500),
    block_create_base: Gas::new(50),
    block_create_byte: milli(100),
    block_link_base: Gas::new(2_500),
    block_link_byte: Gas::new(200),
    block_read_byte: milli(40),
    root_get: Gas::new(100),
    root_set: Gas::new(100),
    slot_read_cold: Gas::new(2_100),
    slot_read_warm: Gas::new(100),
    slot_write_new: Gas::new(20_000),
    slot_write_update: Gas::new(2_900),
    transient_access: Gas::new(100),
    hash_base: Gas::new(450),
    blake2b_byte: milli(1_800),
    sha256_byte: milli(800),
    keccak256_byte: Gas::new(3),
    ripemd160_byte: milli(400),
    secp256k1_recover: Gas::new(200_000),
    // Calibrated (docs/gas.md): parsing, keeping and hashing into the receipt's events root
    // measure ~370 ns for a 4-entry event. Bytes keep Ethereum's LOG data price: the node
    // stores every event in its receipts and log index.
    event_base: Gas::new(250),
    event_entry: Gas::new(50),
    event_byte: Gas::new(8),
    // The host transition (wasmtime's trampoline, fuel synced both ways) and a small read:
    // 35-68 ns on the AMD reference machine in its slow mode (common rate ~0.7 ns per gas),
    // 18-25 ns on the Xeon; at 30 gas the round trips came out 2.1-2.9x the rate there.
    syscall: Gas::new(40),
    randomness: Gas::new(200),
};
