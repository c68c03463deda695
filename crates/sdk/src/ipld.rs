//! HAMT and AMT state for native actors (feature `ipld`), `no_std`, in the SDK's own CBOR.
//!
//! - [`StateMap`]: a typed HAMT, byte-for-byte the format of `fvm_ipld_hamt` 0.10 (the
//!   builtin actors' maps): bit width 5 unless chosen, SHA-256 of the key bytes (computed by
//!   the host's `crypto_hash` on wasm32), buckets of up to 3 pairs sorted by key, the same
//!   split and collapse rules, so the same content has the same root CID.
//! - [`StateArray`]: a typed AMT, byte-for-byte `fvm_ipld_amt` 0.7 (v3 root
//!   `[bit_width, height, count, node]`, node `[bitmap, links, values]`), bit width 3 unless
//!   chosen; height grows and shrinks like the library's.
//! - [`Blockstore`]: where nodes live. [`Syscalls`] is the actor's store (the IPLD syscalls;
//!   the host hashes with blake2b-256); host tests give the structures an in-memory store.
//! - [`Cid`]: a CID as its bytes (no multibase, no multihash tables), [`Cbor`] as tag 42, so a
//!   root sits in the state object like any field.
//!
//! The pattern: the state object holds the roots; a method loads the structure from its
//! root, changes it, flushes it (writes the changed nodes, returns the new root) and saves
//! the state with the new root. Nodes load lazily and stay cached for the structure's life;
//! a flush writes only the nodes that changed.
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
//! back. Corrupt data is never a panic.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use crate::cbor::{self, Bytes, Cbor, CborError, Reader};
use crate::{ActorError, USR_ILLEGAL_STATE};

mod amt;
mod hamt;

/// The default HAMT bit width of [`StateMap`] (the builtin actors' `HAMT_BIT_WIDTH`).
pub const HAMT_BIT_WIDTH: u32 = 5;
/// The default AMT bit width of [`StateArray`] (fvm_ipld_amt's default).
pub const AMT_BIT_WIDTH: u32 = 3;

/// What the structures' internals fail with (the message; the API adds the structure's name).
pub type Error = String;

// ---- CIDs ----------------------------------------------------------------------------------

/// A CID, kept as its binary form (a CIDv1, or a 34-byte CIDv0), checked to be well formed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cid(Vec<u8>);

impl Cid {
    /// The CID these bytes encode, if they are exactly one well-formed CID.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let v0 = bytes.len() == 34 && bytes[..2] == [0x12, 0x20];
        let mut r = bytes;
        // Version, codec, hash function, digest length, then exactly that digest.
        let head = [(); 4].map(|_| varint(&mut r));
        let v1 = head[0] == Some(1) && head[3] == Some(r.len() as u64) && head[2].is_some();
        (v0 || v1).then(|| Self(bytes.to_vec()))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.clone()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The multicodec of the block (DAG-PB for a CIDv0).
    pub fn codec(&self) -> u64 {
        let mut r = &self.0[..];
        match self.0.len() == 34 && self.0[0] == 0x12 {
            true => 0x70,
            false => varint(&mut r).and_then(|_| varint(&mut r)).unwrap_or(0),
        }
    }
}

/// Hex, enough to tell CIDs apart in a message (no base32 code in the module).
impl fmt::Debug for Cid {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("cid:")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// An unsigned LEB128 varint of at most 9 bytes (multiformats' limit).
fn varint(r: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..9 {
        let (b, rest) = r.split_first()?;
        *r = rest;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// A link: DAG-CBOR tag 42 around a byte string of 0x00 and the CID's bytes.
impl Cbor for Cid {
    fn encode(&self, out: &mut Vec<u8>) {
        cbor::head(out, 6, 42);
        cbor::head(out, 2, self.0.len() as u64 + 1);
        out.push(0);
        out.extend_from_slice(&self.0);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, CborError> {
        if r.expect(6)? != 42 {
            return Err(CborError::Type);
        }
        match r.bytes()?.split_first() {
            Some((0, cid)) => Cid::from_bytes(cid).ok_or(CborError::Type),
            _ => Err(CborError::Type),
        }
    }
}

// ---- the blockstore ------------------------------------------------------------------------

/// Where the structures' nodes live: DAG-CBOR blocks by CID.
pub trait Blockstore {
    /// The block's bytes; `None` if it is absent (or not reachable from the actor).
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Error>;
    /// Stores a DAG-CBOR block; its CID (blake2b-256).
    fn put(&self, block: &[u8]) -> Result<Cid, Error>;
}

impl<T: Blockstore + ?Sized> Blockstore for &T {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Error> {
        (**self).get(cid)
    }
    fn put(&self, block: &[u8]) -> Result<Cid, Error> {
        (**self).put(block)
    }
}

/// The actor's view of the block store through the IPLD syscalls: `get` is
/// `ipld_block_open` + `ipld_block_read` (a block the actor cannot reach reads as absent),
/// `put` is `ipld_block_create` + `ipld_block_link`. Off wasm32 it refuses everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Syscalls;

#[cfg(target_arch = "wasm32")]
impl Blockstore for Syscalls {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Error> {
        /// ErrorNumber of a block that is absent or not reachable from the actor.
        const NOT_FOUND: u32 = 6;
        match crate::block_get(cid.as_bytes()) {
            Ok((_, data)) => Ok(Some(data)),
            Err(crate::SyscallError(NOT_FOUND)) => Ok(None),
            Err(_) => Err("a syscall error opening a block".into()),
        }
    }

    fn put(&self, block: &[u8]) -> Result<Cid, Error> {
        let cid = crate::block_put(crate::DAG_CBOR, block)
            .map_err(|_| "a syscall error writing a block")?;
        Ok(Cid::from_bytes(&cid).ok_or("the host returned a malformed CID")?)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Blockstore for Syscalls {
    fn get(&self, _: &Cid) -> Result<Option<Vec<u8>>, Error> {
        Err("the IPLD syscalls exist only inside a wasm32 actor".into())
    }
    fn put(&self, _: &[u8]) -> Result<Cid, Error> {
        Err("the IPLD syscalls exist only inside a wasm32 actor".into())
    }
}

/// SHA-256 of a HAMT key (`fvm_ipld_hamt::Sha256` of a `BytesKey`): the host's `crypto_hash`
/// on wasm32, so the module carries no SHA-256; the `sha2` crate elsewhere (host tests).
fn key_hash(key: &[u8]) -> [u8; 32] {
    #[cfg(target_arch = "wasm32")]
    return crate::sha256(key);
    #[cfg(not(target_arch = "wasm32"))]
    {
        use sha2::Digest;
        sha2::Sha256::digest(key).into()
    }
}

/// The bytes of the block under `cid` (a missing block is an error).
fn read_block(store: &dyn Blockstore, cid: &Cid) -> Result<Vec<u8>, Error> {
    Ok(store.get(cid)?.ok_or("a block not found")?)
}

/// The end of a decoded block: nothing may follow.
fn done(r: &Reader<'_>) -> Result<(), Error> {
    Ok(r.is_done()
        .then_some(())
        .ok_or("trailing bytes after a node")?)
}

fn cbor_err(_: CborError) -> Error {
    "a node of another shape".into()
}

fn value_err(_: CborError) -> Error {
    "a value that is not of the expected type".into()
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
        let mut out = Vec::with_capacity(10);
        crate::address::varint(&mut out, *self);
        out
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

fn state_error(what: &str, e: &str) -> ActorError {
    let mut message = String::from(what);
    message.push_str(": ");
    message.push_str(e);
    ActorError {
        code: USR_ILLEGAL_STATE,
        message,
    }
}

/// The end of a walk whose visitor may have stopped it: the visitor's error as it was,
/// else the structure's.
fn finish(
    what: &str,
    res: Result<(), Error>,
    failed: Option<ActorError>,
) -> Result<(), ActorError> {
    match (failed, res) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(state_error(what, &e)),
        (None, Ok(())) => Ok(()),
    }
}

/// A bit width both structures accept (1 to 8 bits a level).
fn check_width(what: &str, bit_width: u32) -> Result<(), ActorError> {
    match (1..=8).contains(&bit_width) {
        true => Ok(()),
        false => Err(state_error(what, "a bit width not in 1..=8")),
    }
}

// ---- StateMap ------------------------------------------------------------------------------

/// A map in actor state: a HAMT of `K` to `V` (see the module docs for the pattern).
pub struct StateMap<K, V, BS = Syscalls> {
    hamt: hamt::Hamt<V>,
    store: BS,
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

    /// An empty map of bit width [`HAMT_BIT_WIDTH`] in `store`.
    pub fn new_in(store: BS) -> Self {
        Self::wrap(hamt::Hamt::new(HAMT_BIT_WIDTH), store)
    }

    pub fn load_in(root: &Cid, store: BS) -> Result<Self, ActorError> {
        Self::load_with(root, store, HAMT_BIT_WIDTH)
    }

    /// An empty map of another bit width (1..=8; it is not stored, so load with the same).
    pub fn new_with(store: BS, bit_width: u32) -> Result<Self, ActorError> {
        check_width(Self::WHAT, bit_width)?;
        Ok(Self::wrap(hamt::Hamt::new(bit_width), store))
    }

    pub fn load_with(root: &Cid, store: BS, bit_width: u32) -> Result<Self, ActorError> {
        check_width(Self::WHAT, bit_width)?;
        let hamt = hamt::Hamt::load(root, &store, bit_width);
        Ok(Self::wrap(
            hamt.map_err(|e| state_error(Self::WHAT, &e))?,
            store,
        ))
    }

    fn wrap(hamt: hamt::Hamt<V>, store: BS) -> Self {
        Self {
            hamt,
            store,
            key: PhantomData,
        }
    }

    pub fn get(&self, key: &K) -> Result<Option<&V>, ActorError> {
        let v = self.hamt.get(&key.to_key(), &self.store);
        v.map_err(|e| state_error(Self::WHAT, &e))
    }

    pub fn contains_key(&self, key: &K) -> Result<bool, ActorError> {
        Ok(self.get(key)?.is_some())
    }

    /// Sets `key`; the value it replaced, if any. (Setting an equal value changes nothing.)
    pub fn set(&mut self, key: &K, value: V) -> Result<Option<V>, ActorError>
    where
        V: PartialEq,
    {
        let old = self.hamt.set(key.to_key(), value, true, &self.store);
        Ok(old.map_err(|e| state_error(Self::WHAT, &e))?.0)
    }

    /// Sets `key` only if it is absent; whether it was set.
    pub fn set_if_absent(&mut self, key: &K, value: V) -> Result<bool, ActorError>
    where
        V: PartialEq,
    {
        let set = self.hamt.set(key.to_key(), value, false, &self.store);
        Ok(set.map_err(|e| state_error(Self::WHAT, &e))?.1)
    }

    /// Removes `key`; its value, if it was present.
    pub fn delete(&mut self, key: &K) -> Result<Option<V>, ActorError> {
        let old = self.hamt.delete(&key.to_key(), &self.store);
        old.map_err(|e| state_error(Self::WHAT, &e))
    }

    pub fn is_empty(&self) -> bool {
        self.hamt.is_empty()
    }

    /// Writes the changed nodes; the root (to store in the state object).
    pub fn flush(&mut self) -> Result<Cid, ActorError> {
        let root = self.hamt.flush(&self.store);
        root.map_err(|e| state_error(Self::WHAT, &e))
    }

    /// Calls `f` on every entry, in the HAMT's (hash) order, until it fails. Nodes that were
    /// not loaded yet are read for the walk and not kept.
    pub fn for_each(
        &self,
        mut f: impl FnMut(K, &V) -> Result<(), ActorError>,
    ) -> Result<(), ActorError> {
        let mut failed = None;
        let res = self.hamt.for_each(&self.store, &mut |k, v| {
            let res = match K::from_key(k) {
                Some(k) => f(k, v),
                None => Err(state_error(Self::WHAT, "a key of another type")),
            };
            res.map_err(|e| {
                failed = Some(e);
                String::new()
            })
        });
        finish(Self::WHAT, res, failed)
    }
}

// ---- StateArray ----------------------------------------------------------------------------

/// An array in actor state: an AMT of `V` by `u64` index (sparse; a log appends at the
/// next index).
pub struct StateArray<V, BS = Syscalls> {
    amt: amt::Amt<V>,
    store: BS,
}

impl<V: Cbor> StateArray<V, Syscalls> {
    /// An empty array of bit width [`AMT_BIT_WIDTH`]; nothing is written until flushed.
    pub fn new() -> Self {
        Self {
            amt: amt::Amt::new(AMT_BIT_WIDTH),
            store: Syscalls,
        }
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

    /// An empty array of `bit_width` (1..=8; stored in its root, so loading needs no width).
    pub fn new_in(store: BS, bit_width: u32) -> Result<Self, ActorError> {
        check_width(Self::WHAT, bit_width)?;
        Ok(Self {
            amt: amt::Amt::new(bit_width),
            store,
        })
    }

    pub fn load_in(root: &Cid, store: BS) -> Result<Self, ActorError> {
        let amt = amt::Amt::load(root, &store).map_err(|e| state_error(Self::WHAT, &e))?;
        Ok(Self { amt, store })
    }

    /// How many entries are set (not the highest index plus one, once any was deleted).
    pub fn count(&self) -> u64 {
        self.amt.count()
    }

    pub fn get(&self, i: u64) -> Result<Option<&V>, ActorError> {
        let v = self.amt.get(i, &self.store);
        v.map_err(|e| state_error(Self::WHAT, &e))
    }

    /// Sets index `i`; the value it replaced, if any.
    pub fn set(&mut self, i: u64, value: V) -> Result<Option<V>, ActorError> {
        let old = self.amt.set(i, value, &self.store);
        old.map_err(|e| state_error(Self::WHAT, &e))
    }

    pub fn delete(&mut self, i: u64) -> Result<Option<V>, ActorError> {
        let old = self.amt.delete(i, &self.store);
        old.map_err(|e| state_error(Self::WHAT, &e))
    }

    /// Writes the changed nodes; the root (to store in the state object).
    pub fn flush(&mut self) -> Result<Cid, ActorError> {
        let root = self.amt.flush(&self.store);
        root.map_err(|e| state_error(Self::WHAT, &e))
    }

    /// Calls `f` on every entry in index order, until it fails.
    pub fn for_each(
        &self,
        mut f: impl FnMut(u64, &V) -> Result<(), ActorError>,
    ) -> Result<(), ActorError> {
        let mut failed = None;
        let res = self.amt.for_each(&self.store, &mut |i, v| {
            f(i, v).map_err(|e| {
                failed = Some(e);
                String::new()
            })
        });
        finish(Self::WHAT, res, failed)
    }
}

#[cfg(test)]
mod tests;
