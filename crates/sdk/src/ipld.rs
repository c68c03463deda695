//! HAMT and AMT state for native actors: `fvm_ipld_hamt` and `fvm_ipld_amt` over the IPLD
//! syscalls (feature `ipld`).
//!
//! - [`Syscalls`]: a [`Blockstore`] whose `get` is `ipld_block_open` + `ipld_block_read` and
//!   whose `put` is `ipld_block_create` + `ipld_block_link` (the host hashes, blake2b-256), so
//!   any IPLD structure written against `Blockstore` runs inside a wasm32 actor.
//! - [`StateMap`]: a typed HAMT (`fvm_ipld_hamt::Hamt`, bit width 5, SHA-256 key hashing by
//!   the host through [`HostSha256`]; byte-for-byte the builtin actors' maps). Keys are
//!   [`MapKey`]s, values the SDK's [`Cbor`] types (a `u128` is stored as fvm big-integer
//!   bytes, like a `TokenAmount`).
//! - [`StateArray`]: a typed AMT (`fvm_ipld_amt::Amt`, bit width 3 unless chosen).
//! - `Cid` implements [`Cbor`] (tag 42), so a root sits in the state object like any field.
//!
//! The pattern: the state object holds the roots; a method loads the structure from its
//! root, changes it, flushes it (writes the changed nodes, returns the new root) and saves
//! the state with the new root.
//!
//! ```ignore
//! let (root,): (Cid,) = load_state()?;
//! let mut balances = StateMap::<u64, u128>::load(&root)?;
//! balances.set(&7, 100)?;
//! save_state(&(balances.flush()?,))?;
//! ```
//!
//! Errors become [`ActorError`]s with `USR_ILLEGAL_STATE` (20) and a message naming the
//! structure ("state map: …", "state array: …"): a root or link the actor cannot reach, a
//! node that does not decode or breaks the format's rules, a value that is not the type asked
//! for. Nothing is half-written: an actor that returns the error aborts and its state rolls
//! back. Data that makes fvm_ipld_* panic instead ends in `USR_ASSERTION_FAILED` (24) with
//! the panic's message (the SDK's panic hook), never in a trap.
//!
//! Why a feature of the SDK and not a crate of its own: the blockstore is a dozen lines over
//! the SDK's syscall wrappers and the values reuse its [`Cbor`] trait, so a second crate
//! would only re-export one from the other; a feature keeps one dependency for actors and
//! keeps the core SDK `no_std` (the feature pulls in std, which fvm_ipld_* need; wasm32 has
//! it). See docs/sdk.md for the allocator to pair it with (`system-alloc`) and the gas.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;
use core::marker::PhantomData;

use cid::Cid;
use fvm_ipld_blockstore::{Block, Blockstore};
use fvm_ipld_hamt::{BytesKey, Hash, HashAlgorithm};
use multihash_codetable::Code;
use serde::de::{self, DeserializeSeed, Visitor};
use serde::ser::{self, SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cbor::{self, Bytes, Cbor, CborError, Reader};
use crate::{ActorError, USR_ILLEGAL_STATE};

pub use cid;
pub use fvm_ipld_amt::Amt;
pub use fvm_ipld_blockstore;
pub use fvm_ipld_hamt::{Config as HamtConfig, Hamt};

/// The HAMT bit width of [`StateMap`] (the builtin actors' `HAMT_BIT_WIDTH`).
pub const HAMT_BIT_WIDTH: u32 = 5;
/// The default AMT bit width of [`StateArray`] (fvm_ipld_amt's default).
pub const AMT_BIT_WIDTH: u32 = 3;

// ---- the blockstore ------------------------------------------------------------------------

/// The actor's view of the block store through the IPLD syscalls. Reads see only blocks the
/// actor can reach (docs/syscalls.md); anything else reads as absent. Writes are hashed by
/// the host with blake2b-256, the only hash it links with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Syscalls;

impl Blockstore for Syscalls {
    fn get(&self, k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        host::get(k)
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> anyhow::Result<()> {
        let stored = host::put(k.codec(), block)?;
        if stored != *k {
            anyhow::bail!("block {k} was stored as {stored} (the host links with blake2b-256)");
        }
        Ok(())
    }

    fn has(&self, k: &Cid) -> anyhow::Result<bool> {
        host::has(k)
    }

    fn put<D: AsRef<[u8]>>(&self, code: Code, block: &Block<D>) -> anyhow::Result<Cid> {
        if code != Code::Blake2b256 {
            anyhow::bail!("the host links blocks with blake2b-256 only, not {code:?}");
        }
        host::put(block.codec, block.data.as_ref())
    }
}

fn cid_from(bytes: &[u8]) -> Option<Cid> {
    let mut rest = bytes;
    let cid = Cid::read_bytes(&mut rest).ok()?;
    rest.is_empty().then_some(cid)
}

#[cfg(target_arch = "wasm32")]
mod host {
    use super::*;
    use crate::{SyscallError, sys};

    /// ErrorNumber of a block that is absent or not reachable from the actor.
    const NOT_FOUND: u32 = 6;

    pub fn get(k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        match crate::block_get(&k.to_bytes()) {
            Ok((_, data)) => Ok(Some(data)),
            Err(SyscallError(NOT_FOUND)) => Ok(None),
            Err(e) => anyhow::bail!("opening block {k}: syscall error {}", e.0),
        }
    }

    pub fn has(k: &Cid) -> anyhow::Result<bool> {
        let cid = k.to_bytes();
        let mut out = [0u8; tandem_abi::BlockStat::SIZE];
        match unsafe { sys::ipld_block_open(cid.as_ptr(), cid.len() as u32, out.as_mut_ptr()) } {
            0 => Ok(true),
            NOT_FOUND => Ok(false),
            e => anyhow::bail!("opening block {k}: syscall error {e}"),
        }
    }

    pub fn put(codec: u64, data: &[u8]) -> anyhow::Result<Cid> {
        let cid = crate::block_put(codec, data)
            .map_err(|e| anyhow::anyhow!("writing a block: syscall error {}", e.0))?;
        cid_from(&cid).ok_or_else(|| anyhow::anyhow!("the host returned a malformed CID"))
    }
}

/// Off wasm32 there are no syscalls: `Syscalls` refuses everything (host tests give the
/// structures a `MemoryBlockstore` instead).
#[cfg(not(target_arch = "wasm32"))]
mod host {
    use super::*;

    const NO_HOST: &str = "the IPLD syscalls exist only inside a wasm32 actor";

    pub fn get(_: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        anyhow::bail!(NO_HOST)
    }

    pub fn has(_: &Cid) -> anyhow::Result<bool> {
        anyhow::bail!(NO_HOST)
    }

    pub fn put(_: u64, _: &[u8]) -> anyhow::Result<Cid> {
        anyhow::bail!(NO_HOST)
    }
}

// ---- key hashing -----------------------------------------------------------------------------

/// SHA-256 of a key's bytes, like `fvm_ipld_hamt::Sha256` (the same HAMT, bit for bit), but
/// computed by the host's `crypto_hash` on wasm32 (about as much gas as hashing a short key in
/// WASM): the module carries no SHA-256 of its own and is ~10 KB smaller, which matters
/// because install gas is charged per byte. Off wasm32 it is `fvm_ipld_hamt::Sha256`.
#[derive(Debug)]
pub enum HostSha256 {}

impl HashAlgorithm for HostSha256 {
    #[cfg(target_arch = "wasm32")]
    fn hash<X: Hash + ?Sized>(key: &X) -> [u8; 32] {
        /// Collects what the key writes (for a `BytesKey`, its bytes).
        struct Collect(Vec<u8>);
        impl core::hash::Hasher for Collect {
            fn finish(&self) -> u64 {
                0
            }
            fn write(&mut self, bytes: &[u8]) {
                self.0.extend_from_slice(bytes);
            }
        }
        let mut bytes = Collect(Vec::new());
        key.hash(&mut bytes);
        crate::sha256(&bytes.0)
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn hash<X: Hash + ?Sized>(key: &X) -> [u8; 32] {
        fvm_ipld_hamt::Sha256::hash(key)
    }
}

// ---- CIDs in the SDK codec -----------------------------------------------------------------

/// A link: DAG-CBOR tag 42 around a byte string of 0x00 and the CID's bytes.
impl Cbor for Cid {
    fn encode(&self, out: &mut Vec<u8>) {
        let bytes = self.to_bytes();
        cbor::head(out, 6, 42);
        cbor::head(out, 2, bytes.len() as u64 + 1);
        out.push(0);
        out.extend_from_slice(&bytes);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        if r.expect(6)? != 42 {
            return Err(CborError::Type);
        }
        match r.bytes()?.split_first() {
            Some((0, cid)) => cid_from(cid).ok_or(CborError::Type),
            _ => Err(CborError::Type),
        }
    }
}

// ---- SDK values as serde values ------------------------------------------------------------

/// A [`Cbor`] value as a serde value, for fvm_ipld_* structures (whose values are serde).
/// Serializing transcodes the SDK's encoding into serde calls and deserializing the other
/// way, so the bytes in the block are exactly the SDK's encoding of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsSerde<T>(pub T);

impl<T: Cbor> Serialize for AsSerde<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes = cbor::to_vec(&self.0);
        let reader = RefCell::new(Reader::new(&bytes));
        let out = Item(&reader).serialize(s)?;
        if !reader.borrow().is_done() {
            return Err(ser::Error::custom("trailing bytes after a value"));
        }
        Ok(out)
    }
}

/// The next item of a reader, as serde calls. Floats (which the SDK codec has no type for)
/// and tags other than 42 are refused.
struct Item<'r, 'a>(&'r RefCell<Reader<'a>>);

impl Serialize for Item<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn bad<E: ser::Error>(e: CborError) -> E {
            E::custom(format!("value encoding: {e:?}"))
        }
        fn len<E: ser::Error>(n: u64) -> Result<usize, E> {
            usize::try_from(n).map_err(|_| bad(CborError::Overflow))
        }
        let (major, arg) = self.0.borrow_mut().head().map_err(bad)?;
        match (major, arg) {
            (0, v) => s.serialize_u64(v),
            (1, v) => s.serialize_i128(-1 - i128::from(v)),
            (2, n) => s.serialize_bytes(self.0.borrow_mut().take(len(n)?).map_err(bad)?),
            (3, n) => {
                let b = self.0.borrow_mut().take(len(n)?).map_err(bad)?;
                s.serialize_str(core::str::from_utf8(b).map_err(|_| bad(CborError::Utf8))?)
            }
            (4, n) => {
                let n = len(n)?;
                let mut seq = s.serialize_seq(Some(n))?;
                for _ in 0..n {
                    seq.serialize_element(&Item(self.0))?;
                }
                seq.end()
            }
            (5, n) => {
                let n = len(n)?;
                let mut map = s.serialize_map(Some(n))?;
                for _ in 0..n {
                    map.serialize_key(&Item(self.0))?;
                    map.serialize_value(&Item(self.0))?;
                }
                map.end()
            }
            (6, 42) => {
                let b = self.0.borrow_mut().bytes().map_err(bad)?;
                match b.split_first() {
                    Some((0, c)) => cid_from(c)
                        .ok_or_else(|| bad(CborError::Type))?
                        .serialize(s),
                    _ => Err(bad(CborError::Type)),
                }
            }
            (7, 20) => s.serialize_bool(false),
            (7, 21) => s.serialize_bool(true),
            (7, 22) => s.serialize_unit(),
            _ => Err(bad(CborError::Type)),
        }
    }
}

impl<'de, T: Cbor> Deserialize<'de> for AsSerde<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut bytes = Vec::new();
        d.deserialize_any(Transcode(&mut bytes))?;
        cbor::from_slice(&bytes)
            .map(AsSerde)
            .map_err(|e| de::Error::custom(format!("value is not of the expected type: {e:?}")))
    }
}

/// Writes what it visits back as DAG-CBOR.
struct Transcode<'b>(&'b mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for Transcode<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Transcode<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a DAG-CBOR value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.0.push(if v { 0xf5 } else { 0xf4 });
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        cbor::head(self.0, 0, v);
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_i128(v.into())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<(), E> {
        match (u64::try_from(v), u64::try_from(-1 - v)) {
            (Ok(v), _) => cbor::head(self.0, 0, v),
            (_, Ok(n)) => cbor::head(self.0, 1, n),
            _ => return Err(E::custom("integer out of CBOR's range")),
        }
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.push(0xfb);
        self.0.extend_from_slice(&v.to_bits().to_be_bytes());
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        cbor::head(self.0, 3, v.len() as u64);
        self.0.extend_from_slice(v.as_bytes());
        Ok(())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<(), E> {
        cbor::head(self.0, 2, v.len() as u64);
        self.0.extend_from_slice(v);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push(0xf6);
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (mut items, mut n) = (Vec::new(), 0u64);
        while seq.next_element_seed(Transcode(&mut items))?.is_some() {
            n += 1;
        }
        cbor::head(self.0, 4, n);
        self.0.extend_from_slice(&items);
        Ok(())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut items, mut n) = (Vec::new(), 0u64);
        while map.next_key_seed(Transcode(&mut items))?.is_some() {
            map.next_value_seed(Transcode(&mut items))?;
            n += 1;
        }
        cbor::head(self.0, 5, n);
        self.0.extend_from_slice(&items);
        Ok(())
    }
    /// serde_ipld_dagcbor hands a CID (tag 42) over as a newtype of its bytes.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_bytes(CidBytes(self.0))
    }
}

struct CidBytes<'b>(&'b mut Vec<u8>);

impl<'de> Visitor<'de> for CidBytes<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CID")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<(), E> {
        let cid = cid_from(v).ok_or_else(|| E::custom("malformed CID"))?;
        cid.encode(self.0);
        Ok(())
    }
}

// ---- keys ----------------------------------------------------------------------------------

/// A key of a [`StateMap`]: its bytes in the HAMT, and back.
pub trait MapKey: Sized {
    fn to_key(&self) -> Vec<u8>;
    /// `None` for bytes that no key of this type produces.
    fn from_key(key: &[u8]) -> Option<Self>;
}

/// Unsigned LEB128 varint, as the builtin actors key their maps by ID.
impl MapKey for u64 {
    fn to_key(&self) -> Vec<u8> {
        let (mut v, mut out) = (*self, Vec::with_capacity(10));
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }
    fn from_key(key: &[u8]) -> Option<Self> {
        let mut v = 0u64;
        for (i, b) in key.iter().enumerate() {
            let bits = u64::from(b & 0x7f);
            if i >= 10 || (i == 9 && bits > 1) {
                return None;
            }
            v |= bits << (7 * i);
            if b & 0x80 == 0 {
                // Canonical: one byte per key, so no trailing zero groups and nothing after.
                return (i + 1 == key.len() && (i == 0 || *b != 0)).then_some(v);
            }
        }
        None
    }
}

impl MapKey for Vec<u8> {
    fn to_key(&self) -> Vec<u8> {
        self.clone()
    }
    fn from_key(key: &[u8]) -> Option<Self> {
        Some(key.to_vec())
    }
}

impl MapKey for Bytes {
    fn to_key(&self) -> Vec<u8> {
        self.0.clone()
    }
    fn from_key(key: &[u8]) -> Option<Self> {
        Some(Bytes(key.to_vec()))
    }
}

impl MapKey for String {
    fn to_key(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
    fn from_key(key: &[u8]) -> Option<Self> {
        core::str::from_utf8(key).ok().map(ToString::to_string)
    }
}

// ---- errors --------------------------------------------------------------------------------

fn state_error(what: &str, e: impl fmt::Display) -> ActorError {
    ActorError::new(USR_ILLEGAL_STATE, &format!("{what}: {e}"))
}

/// The end of a walk whose visitor may have stopped it: the visitor's error as it was,
/// else the structure's.
fn finish<E: fmt::Display>(
    what: &str,
    res: Result<(), E>,
    failed: Option<ActorError>,
) -> Result<(), ActorError> {
    match (failed, res) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(state_error(what, e)),
        (None, Ok(())) => Ok(()),
    }
}

// ---- StateMap ------------------------------------------------------------------------------

/// A map in actor state: a HAMT of `K` to `V` (see the module docs for the pattern).
pub struct StateMap<K, V, BS = Syscalls> {
    hamt: Hamt<BS, AsSerde<V>, BytesKey, HostSha256>,
    key: PhantomData<K>,
}

impl<K: MapKey, V: Cbor> StateMap<K, V, Syscalls> {
    /// An empty map; nothing is written until [`Self::flush`].
    pub fn new() -> Self {
        Self::new_in(Syscalls)
    }

    /// The map whose root node is `root` (nodes below it load as they are reached).
    pub fn load(root: &Cid) -> Result<Self, ActorError> {
        Self::load_in(root, Syscalls)
    }
}

impl<K: MapKey, V: Cbor> Default for StateMap<K, V, Syscalls> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: MapKey, V: Cbor, BS: Blockstore> StateMap<K, V, BS> {
    const WHAT: &str = "state map";

    pub fn new_in(store: BS) -> Self {
        Self {
            hamt: Hamt::new_with_bit_width(store, HAMT_BIT_WIDTH),
            key: PhantomData,
        }
    }

    pub fn load_in(root: &Cid, store: BS) -> Result<Self, ActorError> {
        let hamt = Hamt::load_with_bit_width(root, store, HAMT_BIT_WIDTH)
            .map_err(|e| state_error(Self::WHAT, e))?;
        Ok(Self {
            hamt,
            key: PhantomData,
        })
    }

    pub fn get(&self, key: &K) -> Result<Option<&V>, ActorError> {
        let v = self.hamt.get(&BytesKey(key.to_key()));
        Ok(v.map_err(|e| state_error(Self::WHAT, e))?.map(|v| &v.0))
    }

    pub fn contains_key(&self, key: &K) -> Result<bool, ActorError> {
        let has = self.hamt.contains_key(&BytesKey(key.to_key()));
        has.map_err(|e| state_error(Self::WHAT, e))
    }

    /// Sets `key`; the value it replaced, if any. (Setting an equal value changes nothing.)
    pub fn set(&mut self, key: &K, value: V) -> Result<Option<V>, ActorError>
    where
        V: PartialEq,
    {
        let old = self.hamt.set(BytesKey(key.to_key()), AsSerde(value));
        Ok(old.map_err(|e| state_error(Self::WHAT, e))?.map(|v| v.0))
    }

    /// Sets `key` only if it is absent; whether it was set.
    pub fn set_if_absent(&mut self, key: &K, value: V) -> Result<bool, ActorError>
    where
        V: PartialEq,
    {
        let set = self
            .hamt
            .set_if_absent(BytesKey(key.to_key()), AsSerde(value));
        set.map_err(|e| state_error(Self::WHAT, e))
    }

    /// Removes `key`; its value, if it was present.
    pub fn delete(&mut self, key: &K) -> Result<Option<V>, ActorError> {
        let old = self.hamt.delete(&BytesKey(key.to_key()));
        Ok(old
            .map_err(|e| state_error(Self::WHAT, e))?
            .map(|(_, v)| v.0))
    }

    pub fn is_empty(&self) -> bool {
        self.hamt.is_empty()
    }

    /// Writes the changed nodes; the new root (to store in the state object).
    pub fn flush(&mut self) -> Result<Cid, ActorError> {
        self.hamt.flush().map_err(|e| state_error(Self::WHAT, e))
    }

    /// Calls `f` on every entry, in the HAMT's (hash) order, until it fails.
    pub fn for_each(
        &self,
        mut f: impl FnMut(K, &V) -> Result<(), ActorError>,
    ) -> Result<(), ActorError> {
        let mut failed = None;
        let res = self.hamt.for_each(|k, v| {
            let res = match K::from_key(k) {
                Some(k) => f(k, &v.0),
                None => Err(state_error(Self::WHAT, "a key of another type")),
            };
            res.map_err(|e| {
                failed = Some(e);
                anyhow::anyhow!("stopped")
            })
        });
        finish(Self::WHAT, res, failed)
    }

    /// The HAMT itself, for what the typed methods do not cover.
    pub fn hamt_mut(&mut self) -> &mut Hamt<BS, AsSerde<V>, BytesKey, HostSha256> {
        &mut self.hamt
    }
}

// ---- StateArray ----------------------------------------------------------------------------

/// An array in actor state: an AMT of `V` by `u64` index (sparse; a log appends at the
/// next index).
pub struct StateArray<V, BS = Syscalls> {
    amt: Amt<AsSerde<V>, BS>,
}

impl<V: Cbor> StateArray<V, Syscalls> {
    /// An empty array of bit width [`AMT_BIT_WIDTH`]; nothing is written until flushed.
    pub fn new() -> Self {
        Self::new_in(Syscalls, AMT_BIT_WIDTH)
    }

    pub fn load(root: &Cid) -> Result<Self, ActorError> {
        Self::load_in(root, Syscalls)
    }
}

impl<V: Cbor> Default for StateArray<V, Syscalls> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Cbor, BS: Blockstore> StateArray<V, BS> {
    const WHAT: &str = "state array";

    /// An empty array of `bit_width` (stored in its root, so loading needs no width).
    pub fn new_in(store: BS, bit_width: u32) -> Self {
        Self {
            amt: Amt::new_with_bit_width(store, bit_width),
        }
    }

    pub fn load_in(root: &Cid, store: BS) -> Result<Self, ActorError> {
        let amt = Amt::load(root, store).map_err(|e| state_error(Self::WHAT, e))?;
        Ok(Self { amt })
    }

    /// How many entries are set (not the highest index plus one, once any was deleted).
    pub fn count(&self) -> u64 {
        self.amt.count()
    }

    pub fn get(&self, i: u64) -> Result<Option<&V>, ActorError> {
        let v = self.amt.get(i).map_err(|e| state_error(Self::WHAT, e))?;
        Ok(v.map(|v| &v.0))
    }

    pub fn set(&mut self, i: u64, value: V) -> Result<(), ActorError> {
        let set = self.amt.set(i, AsSerde(value));
        set.map_err(|e| state_error(Self::WHAT, e))
    }

    pub fn delete(&mut self, i: u64) -> Result<Option<V>, ActorError> {
        let old = self.amt.delete(i).map_err(|e| state_error(Self::WHAT, e))?;
        Ok(old.map(|v| v.0))
    }

    pub fn flush(&mut self) -> Result<Cid, ActorError> {
        self.amt.flush().map_err(|e| state_error(Self::WHAT, e))
    }

    /// Calls `f` on every entry in index order, until it fails.
    pub fn for_each(
        &self,
        mut f: impl FnMut(u64, &V) -> Result<(), ActorError>,
    ) -> Result<(), ActorError> {
        let mut failed = None;
        let res = self.amt.for_each(|i, v| {
            f(i, &v.0).map_err(|e| {
                failed = Some(e);
                anyhow::anyhow!("stopped")
            })
        });
        finish(Self::WHAT, res, failed)
    }

    /// The AMT itself, for what the typed methods do not cover.
    pub fn amt_mut(&mut self) -> &mut Amt<AsSerde<V>, BS> {
        &mut self.amt
    }
}

#[cfg(test)]
mod tests;
