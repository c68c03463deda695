//! The `tandem_v1` syscall ABI, shared by the VM (`tandem-wasm`, which writes these structs)
//! and the SDK (`tandem-sdk`, which reads them), so the two cannot drift apart. `no_std` and
//! free of dependencies: it builds for wasm32 actors and for the host.
//!
//! Out-structs are little-endian, at fixed offsets, as documented in docs/syscalls.md.

#![no_std]

/// The import module of version 1.
pub const SYSCALL_MODULE: &str = "tandem_v1";

/// Every syscall of `tandem_v1`. Install refuses imports of anything else; the VM's linker
/// defines exactly these (checked by a test in `tandem-wasm`).
pub const SYSCALL_NAMES: &[&str] = &[
    "ipld_block_open",
    "ipld_block_create",
    "ipld_block_read",
    "ipld_block_stat",
    "ipld_block_link",
    "self_root",
    "self_set_root",
    "self_balance",
    "slot_get",
    "slot_set",
    "transient_get",
    "transient_set",
    "msg_context",
    "gas_available",
    "network_context",
    "actor_resolve",
    "actor_lookup_delegated",
    "actor_code",
    "actor_balance",
    "actor_code_size",
    "actor_create",
    "send",
    "send_async",
    "crypto_hash",
    "crypto_recover_secp256k1",
    "event_emit",
    "event_emit_data",
    "rand_get",
    "debug_enabled",
    "debug_log",
    "vm_abort",
    "msg_creator",
];

/// `crypto_hash` kinds.
pub const HASH_BLAKE2B_256: u32 = 0;
pub const HASH_SHA2_256: u32 = 1;
pub const HASH_KECCAK_256: u32 = 2;

/// `send` flag: the callee may not change state.
pub const SEND_READ_ONLY: u64 = 1;

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

fn u128_at(b: &[u8], at: usize) -> u128 {
    let mut w = [0u8; 16];
    w.copy_from_slice(&b[at..at + 16]);
    u128::from_le_bytes(w)
}

/// `msg_context`'s out-struct: the invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageContext {
    pub caller: u64,
    pub origin: u64,
    pub receiver: u64,
    pub method: u64,
    pub nonce: u64,
    pub gas_left: u64,
    pub value: u128,
    pub read_only: bool,
    pub depth: u32,
}

impl MessageContext {
    pub const SIZE: usize = 72;

    #[inline]
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut o = [0u8; Self::SIZE];
        self.encode_into(&mut o);
        o
    }

    /// Writes the struct straight into `o` (the VM: into the instance's memory, with no
    /// copy of a buffer written in other widths, which stalls store forwarding).
    #[inline]
    pub fn encode_into(&self, o: &mut [u8; Self::SIZE]) {
        o[0..8].copy_from_slice(&self.caller.to_le_bytes());
        o[8..16].copy_from_slice(&self.origin.to_le_bytes());
        o[16..24].copy_from_slice(&self.receiver.to_le_bytes());
        o[24..32].copy_from_slice(&self.method.to_le_bytes());
        o[32..40].copy_from_slice(&self.nonce.to_le_bytes());
        o[40..48].copy_from_slice(&self.gas_left.to_le_bytes());
        o[48..64].copy_from_slice(&self.value.to_le_bytes());
        o[64..68].copy_from_slice(&(self.read_only as u32).to_le_bytes());
        o[68..72].copy_from_slice(&self.depth.to_le_bytes());
    }

    pub fn decode(o: &[u8; Self::SIZE]) -> Self {
        Self {
            caller: u64_at(o, 0),
            origin: u64_at(o, 8),
            receiver: u64_at(o, 16),
            method: u64_at(o, 24),
            nonce: u64_at(o, 32),
            gas_left: u64_at(o, 40),
            value: u128_at(o, 48),
            read_only: u32_at(o, 64) != 0,
            depth: u32_at(o, 68),
        }
    }
}

/// `network_context`'s out-struct: the chain and the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkContext {
    pub chain_id: u64,
    pub epoch: i64,
    pub timestamp: u64,
    pub base_fee: u128,
}

impl NetworkContext {
    pub const SIZE: usize = 40;

    #[inline]
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut o = [0u8; Self::SIZE];
        self.encode_into(&mut o);
        o
    }

    /// Writes the struct straight into `o` (the VM: into the instance's memory, with no
    /// copy of a buffer written in other widths, which stalls store forwarding).
    #[inline]
    pub fn encode_into(&self, o: &mut [u8; Self::SIZE]) {
        o[0..8].copy_from_slice(&self.chain_id.to_le_bytes());
        o[8..16].copy_from_slice(&self.epoch.to_le_bytes());
        o[16..24].copy_from_slice(&self.timestamp.to_le_bytes());
        o[24..40].copy_from_slice(&self.base_fee.to_le_bytes());
    }

    pub fn decode(o: &[u8; Self::SIZE]) -> Self {
        Self {
            chain_id: u64_at(o, 0),
            epoch: u64_at(o, 8) as i64,
            timestamp: u64_at(o, 16),
            base_fee: u128_at(o, 24),
        }
    }
}

/// `ipld_block_open`'s and `ipld_block_stat`'s out-struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockStat {
    /// The block's handle (0 from `ipld_block_stat`, which takes the handle).
    pub id: u32,
    pub size: u32,
    pub codec: u64,
}

impl BlockStat {
    pub const SIZE: usize = 16;

    #[inline]
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut o = [0u8; Self::SIZE];
        self.encode_into(&mut o);
        o
    }

    /// Writes the struct straight into `o` (the VM: into the instance's memory, with no
    /// copy of a buffer written in other widths, which stalls store forwarding).
    #[inline]
    pub fn encode_into(&self, o: &mut [u8; Self::SIZE]) {
        o[0..4].copy_from_slice(&self.id.to_le_bytes());
        o[4..8].copy_from_slice(&self.size.to_le_bytes());
        o[8..16].copy_from_slice(&self.codec.to_le_bytes());
    }

    pub fn decode(o: &[u8; Self::SIZE]) -> Self {
        Self {
            id: u32_at(o, 0),
            size: u32_at(o, 4),
            codec: u64_at(o, 8),
        }
    }
}

/// `send`'s out-struct (and the first 8 bytes of `actor_create`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendOut {
    pub exit_code: u32,
    /// The return block's handle, 0 for none.
    pub ret_id: u32,
}

impl SendOut {
    pub const SIZE: usize = 8;

    #[inline]
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut o = [0u8; Self::SIZE];
        self.encode_into(&mut o);
        o
    }

    /// Writes the struct straight into `o` (the VM: into the instance's memory, with no
    /// copy of a buffer written in other widths, which stalls store forwarding).
    #[inline]
    pub fn encode_into(&self, o: &mut [u8; Self::SIZE]) {
        o[0..4].copy_from_slice(&self.exit_code.to_le_bytes());
        o[4..8].copy_from_slice(&self.ret_id.to_le_bytes());
    }

    pub fn decode(o: &[u8; Self::SIZE]) -> Self {
        Self {
            exit_code: u32_at(o, 0),
            ret_id: u32_at(o, 4),
        }
    }
}

/// `actor_create`'s out-struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CreateOut {
    pub exit_code: u32,
    pub ret_id: u32,
    /// The new actor's ID (0 when the creation failed).
    pub actor_id: u64,
}

impl CreateOut {
    pub const SIZE: usize = 16;

    #[inline]
    pub fn encode(&self) -> [u8; Self::SIZE] {
        let mut o = [0u8; Self::SIZE];
        self.encode_into(&mut o);
        o
    }

    /// Writes the struct straight into `o` (the VM: into the instance's memory, with no
    /// copy of a buffer written in other widths, which stalls store forwarding).
    #[inline]
    pub fn encode_into(&self, o: &mut [u8; Self::SIZE]) {
        o[0..4].copy_from_slice(&self.exit_code.to_le_bytes());
        o[4..8].copy_from_slice(&self.ret_id.to_le_bytes());
        o[8..16].copy_from_slice(&self.actor_id.to_le_bytes());
    }

    pub fn decode(o: &[u8; Self::SIZE]) -> Self {
        Self {
            exit_code: u32_at(o, 0),
            ret_id: u32_at(o, 4),
            actor_id: u64_at(o, 8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_structs_round_trip_at_their_documented_offsets() {
        let m = MessageContext {
            caller: 1,
            origin: 2,
            receiver: 3,
            method: 4,
            nonce: 5,
            gas_left: 6,
            value: u128::MAX - 7,
            read_only: true,
            depth: 9,
        };
        let o = m.encode();
        assert_eq!(MessageContext::decode(&o), m);
        assert_eq!(u64_at(&o, 24), 4, "method at offset 24");
        assert_eq!(u32_at(&o, 68), 9, "depth at offset 68");
        let n = NetworkContext {
            chain_id: 31337,
            epoch: -1,
            timestamp: 7,
            base_fee: 1 << 100,
        };
        assert_eq!(NetworkContext::decode(&n.encode()), n);
        let b = BlockStat {
            id: 1,
            size: 2,
            codec: 0x71,
        };
        assert_eq!(BlockStat::decode(&b.encode()), b);
        let s = SendOut {
            exit_code: 33,
            ret_id: 4,
        };
        assert_eq!(SendOut::decode(&s.encode()), s);
        let c = CreateOut {
            exit_code: 0,
            ret_id: 1,
            actor_id: 1001,
        };
        assert_eq!(CreateOut::decode(&c.encode()), c);
    }
}
