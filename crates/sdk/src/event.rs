//! Typed events that are Ethereum logs: `#[derive(Event)]` and [`emit`].
//!
//! An event is emitted as the entries the EVM runtime writes for a `LOG` (and FEVM before
//! it): `t1` = keccak-256 of the Solidity-style signature `Name(type,…)`, `t2`…`t4` = the
//! `#[indexed]` fields as 32-byte words, `d` = the other fields ABI-encoded as a tuple
//! (omitted when empty); every entry with flags 3 (key and value indexed) and codec
//! IPLD_RAW. So the node serves it as an Ethereum log, and `eth_getLogs` filters by its
//! topics. The signature hash is computed at compile time (`EventSchema::topic0`).
//!
//! | Rust | Solidity | word |
//! |---|---|---|
//! | `u8`…`u64`, `u128` | `uint8`…`uint128` | big-endian, left-padded |
//! | `TokenAmount` | `uint256` | same |
//! | `i8`…`i64` | `int8`…`int64` | two's complement, sign-extended |
//! | `bool` | `bool` | 0 or 1 |
//! | `Address` | `address` | `f410` → its 20 bytes; `f0` → the masked ID `0xff00…<id>`; others cannot be logged (emit fails) |
//! | `[u8; N]`, N ≤ 32 | `bytesN` | right-padded |
//! | `String`, `Bytes`, `[u8; N]` N > 32 | `string`, `bytes` | dynamic: in `d`, or keccak of the bytes as a topic |

use alloc::string::String;
use alloc::vec::Vec;

use crate::address::{Address, TokenAmount};
use crate::cbor::Bytes;
use crate::schema::{Json, Schema, Type};

/// A field of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventField {
    pub name: &'static str,
    pub ty: Type,
    /// The Solidity type in the signature.
    pub sol: &'static str,
    pub indexed: bool,
}

/// What an event is, for the schema and the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSchema {
    pub name: &'static str,
    pub fields: &'static [EventField],
}

impl EventSchema {
    /// keccak-256 of the signature, at compile time.
    pub const fn topic0(&self) -> [u8; 32] {
        let mut k = Keccak::new();
        k.absorb(self.name.as_bytes());
        k.absorb(b"(");
        let mut i = 0;
        while i < self.fields.len() {
            if i > 0 {
                k.absorb(b",");
            }
            k.absorb(self.fields[i].sol.as_bytes());
            i += 1;
        }
        k.absorb(b")");
        k.finish()
    }
}

/// Writes `Name(type,…)`.
pub(crate) const fn signature(e: &EventSchema, w: &mut Json<'_>) {
    w.push_str(e.name);
    w.push_str("(");
    let mut i = 0;
    while i < e.fields.len() {
        if i > 0 {
            w.push_str(",");
        }
        w.push_str(e.fields[i].sol);
        i += 1;
    }
    w.push_str(")");
}

/// The signature `Name(type,…)` as a string (host tools and tests).
pub fn signature_string(e: &EventSchema) -> String {
    let mut empty = [0u8; 0];
    let mut w = Json::new(&mut empty);
    signature(e, &mut w);
    let mut buf = alloc::vec![0u8; w.len];
    let mut w = Json::new(&mut buf);
    signature(e, &mut w);
    String::from_utf8(buf).unwrap_or_default()
}

/// Why an event cannot be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// An address with no Ethereum form (`f1`, `f2`, `f3`, an `f4` outside the EAM): resolve
    /// it to its ID (`Address::id`) first.
    NoEthAddress,
    /// The fields written are not the event's schema: more than three indexed (a log has
    /// at most four topics; `#[derive(Event)]` refuses them at compile time), or a
    /// hand-written [`Event::write_log`] that writes other fields than its schema lists.
    Shape,
}

/// A value with a Solidity ABI type, for event fields.
pub trait SolType: Schema {
    /// The Solidity type, as written in signatures.
    const SOL: &'static str;
    /// `string`, `bytes`: encoded after the heads (and hashed when indexed).
    const DYNAMIC: bool = false;
    /// The 32-byte word of a static value; for a dynamic one, its bytes (unpadded).
    fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError>;
    /// Writes a static value's word into `w` (32 zero bytes): what
    /// [`sol_encode`](Self::sol_encode) appends, without a buffer. The static types of this
    /// module override it; the default goes through `sol_encode`.
    fn write_word(&self, w: &mut [u8]) -> Result<(), EventError> {
        let mut v = Vec::new();
        self.sol_encode(&mut v)?;
        let n = v.len().min(w.len());
        w[..n].copy_from_slice(&v[..n]);
        Ok(())
    }
}

fn word_of(v: u128, negative: bool) -> [u8; 32] {
    let mut w = [0u8; 32];
    put_word(&mut w, v, negative);
    w
}

/// Writes `v` as a big-endian word into `w` (32 zero bytes), sign-extended when negative.
fn put_word(w: &mut [u8], v: u128, negative: bool) {
    if let Some((high, low)) = w.split_at_mut_checked(16) {
        if negative {
            high.fill(0xff);
        }
        if let Some(low) = low.get_mut(..16) {
            low.copy_from_slice(&v.to_be_bytes());
        }
    }
}

macro_rules! sol_uint {
    ($($t:ty => $sol:literal),*) => {$(
        impl SolType for $t {
            const SOL: &'static str = $sol;
            fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
                out.extend_from_slice(&word_of(*self as u128, false));
                Ok(())
            }
            fn write_word(&self, w: &mut [u8]) -> Result<(), EventError> {
                put_word(w, *self as u128, false);
                Ok(())
            }
        }
    )*};
}
sol_uint!(u8 => "uint8", u16 => "uint16", u32 => "uint32", u64 => "uint64", u128 => "uint128");

macro_rules! sol_int {
    ($($t:ty => $sol:literal),*) => {$(
        impl SolType for $t {
            const SOL: &'static str = $sol;
            fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
                out.extend_from_slice(&word_of(*self as i128 as u128, *self < 0));
                Ok(())
            }
            fn write_word(&self, w: &mut [u8]) -> Result<(), EventError> {
                put_word(w, *self as i128 as u128, *self < 0);
                Ok(())
            }
        }
    )*};
}
sol_int!(i8 => "int8", i16 => "int16", i32 => "int32", i64 => "int64");

impl SolType for TokenAmount {
    const SOL: &'static str = "uint256";
    fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
        out.extend_from_slice(&word_of(self.0, false));
        Ok(())
    }
    fn write_word(&self, w: &mut [u8]) -> Result<(), EventError> {
        put_word(w, self.0, false);
        Ok(())
    }
}

impl SolType for bool {
    const SOL: &'static str = "bool";
    fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
        out.extend_from_slice(&word_of(*self as u128, false));
        Ok(())
    }
    fn write_word(&self, w: &mut [u8]) -> Result<(), EventError> {
        put_word(w, *self as u128, false);
        Ok(())
    }
}

impl SolType for Address {
    const SOL: &'static str = "address";
    fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
        let mut w = [0u8; 32];
        self.write_word(&mut w)?;
        out.extend_from_slice(&w);
        Ok(())
    }
    fn write_word(&self, w: &mut [u8]) -> Result<(), EventError> {
        let Some(w) = w.get_mut(12..32) else {
            return Err(EventError::Shape);
        };
        let bytes = self.as_bytes();
        match bytes.first() {
            // f410 (the EAM's namespace 10 is a one-byte varint): the 20 bytes.
            Some(&Address::PROTOCOL_DELEGATED) if bytes.len() == 22 && bytes[1] == 10 => {
                w.copy_from_slice(&bytes[2..]);
                Ok(())
            }
            Some(&Address::PROTOCOL_ID) => {
                // The masked ID form (0xff, zeros, the ID big-endian), as the EVM names
                // actors without an Ethereum address.
                let id = self.as_id().ok_or(EventError::NoEthAddress)?;
                w[0] = 0xff;
                w[12..].copy_from_slice(&id.to_be_bytes());
                Ok(())
            }
            _ => Err(EventError::NoEthAddress),
        }
    }
}

const BYTES_N: [&str; 33] = [
    "bytes", "bytes1", "bytes2", "bytes3", "bytes4", "bytes5", "bytes6", "bytes7", "bytes8",
    "bytes9", "bytes10", "bytes11", "bytes12", "bytes13", "bytes14", "bytes15", "bytes16",
    "bytes17", "bytes18", "bytes19", "bytes20", "bytes21", "bytes22", "bytes23", "bytes24",
    "bytes25", "bytes26", "bytes27", "bytes28", "bytes29", "bytes30", "bytes31", "bytes32",
];

/// `bytesN` for N ≤ 32 (right-padded), else dynamic `bytes`.
impl<const N: usize> SolType for [u8; N] {
    const SOL: &'static str = if N <= 32 { BYTES_N[N] } else { "bytes" };
    const DYNAMIC: bool = N == 0 || N > 32;
    fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
        out.extend_from_slice(self);
        if !Self::DYNAMIC {
            out.resize(out.len() + 32 - N, 0);
        }
        Ok(())
    }
    fn write_word(&self, w: &mut [u8]) -> Result<(), EventError> {
        let n = N.min(w.len());
        w[..n].copy_from_slice(&self[..n]);
        Ok(())
    }
}

impl SolType for String {
    const SOL: &'static str = "string";
    const DYNAMIC: bool = true;
    fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
        out.extend_from_slice(self.as_bytes());
        Ok(())
    }
}

impl SolType for Bytes {
    const SOL: &'static str = "bytes";
    const DYNAMIC: bool = true;
    fn sol_encode(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
        out.extend_from_slice(&self.0);
        Ok(())
    }
}

/// A typed event. `#[derive(Event)]` implements it; mark topics with `#[indexed]` (at most
/// three).
pub trait Event {
    const SCHEMA: EventSchema;
    /// keccak-256 of the signature (the log's first topic).
    const TOPIC0: [u8; 32] = Self::SCHEMA.topic0();
    /// Appends each field's ABI encoding (see [`SolType::sol_encode`]) in declaration order.
    fn fields(&self, out: &mut Vec<Vec<u8>>) -> Result<(), EventError>;
    /// Writes the fields into a log, in declaration order ([`LogWriter::field`] each).
    /// `#[derive(Event)]` implements it without the per-field buffers of
    /// [`fields`](Self::fields); the default goes through them.
    fn write_log(&self, log: &mut LogWriter) -> Result<(), EventError> {
        let mut values = Vec::new();
        self.fields(&mut values)?;
        for (f, v) in Self::SCHEMA.fields.iter().zip(values) {
            log.encoded(f.indexed, is_dynamic(f), &v)?;
        }
        Ok(())
    }
}

/// The entry flags of a log's entries: FLAG_INDEXED_KEY | FLAG_INDEXED_VALUE (a one-byte
/// CBOR head).
const FLAGS: u8 = 0x03;
/// IPLD_RAW (0x55) as a CBOR unsigned: two bytes.
const RAW: [u8; 2] = [0x18, crate::IPLD_RAW as u8];
/// A topic entry: array(4), flags, text(2) "tN", RAW, bytes(32)'s head, then the word.
const TOPIC_ENTRY: usize = 9 + 32;

/// An event's block being written: `[[flags, "t1", IPLD_RAW, topic0], …, [flags, "d",
/// IPLD_RAW, data]]` (`d` only when there is data), as the VM's `emit_event` encodes an
/// event's entries. The topic entries are laid out when the writer is made (their number
/// is the schema's) and each word is written in place; the data's heads likewise, the
/// tails of dynamic fields appended. (A `Vec` push per byte or a word moved through a
/// return value costs loads, which native code pays 8 gas each.)
pub struct LogWriter {
    /// The entries' array head and the topic entries.
    block: Vec<u8>,
    /// Where the next topic's word goes.
    topic_at: usize,
    /// One 32-byte head per non-indexed field, then the tails of the dynamic ones.
    data: Vec<u8>,
    /// Where the next head goes.
    head_at: usize,
    /// The heads' length: where the first tail starts.
    heads: usize,
}

impl LogWriter {
    /// The log of the event `E`, with topic0 written and no field yet.
    pub fn new<E: Event>() -> Result<Self, EventError> {
        let fields = E::SCHEMA.fields;
        let indexed = fields.iter().filter(|f| f.indexed).count();
        let heads = (fields.len() - indexed) * 32;
        let topics = 1 + indexed;
        if topics > 4 {
            return Err(EventError::Shape);
        }
        // At most five entries: the array head is one byte.
        let n = (topics + usize::from(heads > 0)) as u64;
        let start = put_head(&mut [0u8; 1], 0, 4, n);
        let mut block = alloc::vec![0u8; start + topics * TOPIC_ENTRY];
        put_head(&mut block, 0, 4, n);
        for (i, entry) in block[start..].chunks_exact_mut(TOPIC_ENTRY).enumerate() {
            entry[..9].copy_from_slice(&[
                0x84,
                FLAGS,
                0x62,
                b't',
                b'1' + i as u8,
                RAW[0],
                RAW[1],
                0x58,
                32,
            ]);
        }
        if let Some(w) = block.get_mut(start + 9..start + TOPIC_ENTRY) {
            w.copy_from_slice(&E::TOPIC0);
        }
        Ok(Self {
            block,
            topic_at: start + TOPIC_ENTRY + 9,
            data: alloc::vec![0u8; heads],
            head_at: 0,
            heads,
        })
    }

    /// The next field: a topic when `indexed` (a dynamic value's keccak-256), else data.
    pub fn field<T: SolType + ?Sized>(&mut self, v: &T, indexed: bool) -> Result<(), EventError> {
        if T::DYNAMIC {
            let mut bytes = Vec::new();
            v.sol_encode(&mut bytes)?;
            return self.encoded(indexed, true, &bytes);
        }
        let w = if indexed {
            self.next_topic()?
        } else {
            self.next_head()?
        };
        v.write_word(w)
    }

    /// The next field, already encoded (`SolType::sol_encode`'s bytes).
    fn encoded(&mut self, indexed: bool, dynamic: bool, v: &[u8]) -> Result<(), EventError> {
        if indexed {
            let w = self.next_topic()?;
            if dynamic {
                w.copy_from_slice(&keccak256(v));
            } else {
                let n = v.len().min(32);
                w[..n].copy_from_slice(&v[..n]);
            }
        } else if dynamic {
            let offset = self.data.len();
            put_word(self.next_head()?, offset as u128, false);
            self.data
                .extend_from_slice(&word_of(v.len() as u128, false));
            self.data.extend_from_slice(v);
            self.data.resize(self.data.len().div_ceil(32) * 32, 0);
        } else {
            let w = self.next_head()?;
            let n = v.len().min(32);
            w[..n].copy_from_slice(&v[..n]);
        }
        Ok(())
    }

    fn next_topic(&mut self) -> Result<&mut [u8], EventError> {
        let at = self.topic_at;
        self.topic_at += TOPIC_ENTRY;
        self.block.get_mut(at..at + 32).ok_or(EventError::Shape)
    }

    fn next_head(&mut self) -> Result<&mut [u8], EventError> {
        let at = self.head_at;
        if at >= self.heads {
            return Err(EventError::Shape);
        }
        self.head_at += 32;
        self.data.get_mut(at..at + 32).ok_or(EventError::Shape)
    }

    /// The topics and the data; `Shape` unless every field of the schema was written.
    fn finish(self) -> Result<(Vec<u8>, Vec<u8>), EventError> {
        if self.topic_at != self.block.len() + 9 || self.head_at != self.heads {
            return Err(EventError::Shape);
        }
        Ok((self.block, self.data))
    }
}

/// The event block of a written log: the topic entries, then `d` when there is data.
fn block_of(log: LogWriter) -> Result<Vec<u8>, EventError> {
    let (mut block, data) = log.finish()?;
    if !data.is_empty() {
        let mut head = [0u8; 6 + 9];
        head[..6].copy_from_slice(&[0x84, FLAGS, 0x61, b'd', RAW[0], RAW[1]]);
        let end = put_head(&mut head, 6, 2, data.len() as u64);
        block.reserve_exact(end + data.len());
        block.extend_from_slice(&head[..end]);
        block.extend_from_slice(&data);
    }
    Ok(block)
}

/// An event as an Ethereum log: its topics (topic0 first) and its data.
pub fn eth_log<E: Event>(ev: &E) -> Result<(Vec<[u8; 32]>, Vec<u8>), EventError> {
    let mut log = LogWriter::new::<E>()?;
    ev.write_log(&mut log)?;
    let (block, data) = log.finish()?;
    // At most five entries: the array head is one byte.
    let topics = block[1..]
        .chunks_exact(TOPIC_ENTRY)
        .map(|e| e[9..].try_into().unwrap_or([0; 32]))
        .collect();
    Ok((topics, data))
}

/// The event block of an event, as `emit` creates it.
pub fn event_block<E: Event>(ev: &E) -> Result<Vec<u8>, EventError> {
    let mut log = LogWriter::new::<E>()?;
    ev.write_log(&mut log)?;
    block_of(log)
}

fn is_dynamic(f: &EventField) -> bool {
    f.sol == "string" || f.sol == "bytes"
}

/// The event entries (flags, key, codec, value) of an event: `t1`…`t4`, then `d`.
pub fn entries<E: Event>(ev: &E) -> Result<Vec<(&'static str, Vec<u8>)>, EventError> {
    const KEYS: [&str; 4] = ["t1", "t2", "t3", "t4"];
    let (topics, data) = eth_log(ev)?;
    let mut out: Vec<(&'static str, Vec<u8>)> = topics
        .iter()
        .zip(KEYS)
        .map(|(t, k)| (k, t.to_vec()))
        .collect();
    if !data.is_empty() {
        out.push(("d", data));
    }
    Ok(out)
}

/// Emits a typed event as an Ethereum log (see the module docs).
#[cfg(target_arch = "wasm32")]
pub fn emit<E: Event>(ev: &E) -> Result<(), crate::ActorError> {
    let block = event_block(ev).map_err(|e| {
        crate::ActorError::new(
            crate::USR_ILLEGAL_ARGUMENT,
            match e {
                EventError::NoEthAddress => "event: an address with no Ethereum form",
                EventError::Shape => "event: fields written do not match its schema",
            },
        )
    })?;
    crate::runtime::event_emit_data(&block)?;
    Ok(())
}

/// Writes a CBOR head at `out[at..]` and returns where it ends (nothing is written when
/// `out` is too short).
fn put_head(out: &mut [u8], at: usize, major: u8, arg: u64) -> usize {
    let m = major << 5;
    let n = head_len(arg);
    if let Some(dst) = out.get_mut(at..at + n) {
        match n {
            1 => dst[0] = m | arg as u8,
            2 => dst.copy_from_slice(&[m | 24, arg as u8]),
            3 => {
                dst[0] = m | 25;
                dst[1..].copy_from_slice(&(arg as u16).to_be_bytes());
            }
            5 => {
                dst[0] = m | 26;
                dst[1..].copy_from_slice(&(arg as u32).to_be_bytes());
            }
            _ => {
                dst[0] = m | 27;
                dst[1..].copy_from_slice(&arg.to_be_bytes());
            }
        }
    }
    at + n
}

/// The length of a CBOR head with argument `arg`.
fn head_len(arg: u64) -> usize {
    match arg {
        0..=23 => 1,
        24..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

#[cfg(target_arch = "wasm32")]
fn keccak256(data: &[u8]) -> [u8; 32] {
    crate::keccak256(data)
}

#[cfg(not(target_arch = "wasm32"))]
fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut k = Keccak::new();
    k.absorb(data);
    k.finish()
}

// ---- keccak-256, usable at compile time ------------------------------------------------

const RC: [u64; 24] = [
    0x0000000000000001,
    0x0000000000008082,
    0x800000000000808a,
    0x8000000080008000,
    0x000000000000808b,
    0x0000000080000001,
    0x8000000080008081,
    0x8000000000008009,
    0x000000000000008a,
    0x0000000000000088,
    0x0000000080008009,
    0x000000008000000a,
    0x000000008000808b,
    0x800000000000008b,
    0x8000000000008089,
    0x8000000000008003,
    0x8000000000008002,
    0x8000000000000080,
    0x000000000000800a,
    0x800000008000000a,
    0x8000000080008081,
    0x8000000000008080,
    0x0000000080000001,
    0x8000000080008008,
];
const ROT: [u32; 25] = [
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
];
const RATE: usize = 136;

/// Keccak-256 (Ethereum's, padding 0x01), as a `const fn` sponge.
pub struct Keccak {
    state: [u64; 25],
    pos: usize,
}

impl Default for Keccak {
    fn default() -> Self {
        Self::new()
    }
}

impl Keccak {
    pub const fn new() -> Self {
        Self {
            state: [0; 25],
            pos: 0,
        }
    }

    const fn xor_byte(&mut self, i: usize, b: u8) {
        self.state[i / 8] ^= (b as u64) << (8 * (i % 8));
    }

    pub const fn absorb(&mut self, data: &[u8]) {
        let mut i = 0;
        while i < data.len() {
            self.xor_byte(self.pos, data[i]);
            self.pos += 1;
            if self.pos == RATE {
                permute(&mut self.state);
                self.pos = 0;
            }
            i += 1;
        }
    }

    pub const fn finish(mut self) -> [u8; 32] {
        self.xor_byte(self.pos, 0x01);
        self.xor_byte(RATE - 1, 0x80);
        permute(&mut self.state);
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            out[i] = (self.state[i / 8] >> (8 * (i % 8))) as u8;
            i += 1;
        }
        out
    }
}

const fn permute(a: &mut [u64; 25]) {
    let mut round = 0;
    while round < 24 {
        // θ
        let mut c = [0u64; 5];
        let mut x = 0;
        while x < 5 {
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            x += 1;
        }
        let mut x = 0;
        while x < 5 {
            let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
            let mut y = 0;
            while y < 25 {
                a[y + x] ^= d;
                y += 5;
            }
            x += 1;
        }
        // ρ and π
        let mut b = [0u64; 25];
        let mut x = 0;
        while x < 5 {
            let mut y = 0;
            while y < 5 {
                b[y + 5 * ((2 * x + 3 * y) % 5)] = a[x + 5 * y].rotate_left(ROT[x + 5 * y]);
                y += 1;
            }
            x += 1;
        }
        // χ
        let mut y = 0;
        while y < 25 {
            let mut x = 0;
            while x < 5 {
                a[y + x] = b[y + x] ^ (!b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
                x += 1;
            }
            y += 5;
        }
        // ι
        a[0] ^= RC[round];
        round += 1;
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
