//! The HAMT behind [`super::StateMap`], in the block format of `fvm_ipld_hamt` 0.10:
//!
//! - a node is `[bitfield, pointers]`: the bitfield a byte string, the node's 2^bit_width
//!   slot bits as one big-endian 256-bit number with its leading zero bytes dropped; one
//!   pointer per set bit, in slot order;
//! - a pointer is either a link (tag 42) to a child node or a bucket: an array of 1 to 3
//!   `[key bytes, value]` pairs, sorted by key bytes;
//! - a key's slot at depth `d` is bits `d*w .. d*w+w` of SHA-256(key), most significant bit
//!   first (fewer at the end of the 256 bits);
//! - a fourth key in a full bucket turns the bucket into a child node holding all four;
//!   after a delete, a child whose pointers are all buckets holding at most 3 pairs together
//!   becomes one bucket again (sorted). So a given content has one shape and one root CID.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::OnceCell;
use core::mem;

use super::{Blockstore, Cid, Error, cbor_err, done, key_hash, read_block, value_err};
use crate::cbor::{self, Cbor, Reader};

/// Pairs a bucket holds before it becomes a node (`fvm_ipld_hamt`'s `max_array_width`).
const BUCKET: usize = 3;

type Pair<V> = (Vec<u8>, V);

/// What a walk calls on each pair.
pub(super) type Visit<'a, V> = dyn FnMut(&[u8], &V) -> Result<(), Error> + 'a;

enum Pointer<V> {
    Bucket(Vec<Pair<V>>),
    /// A stored child, loaded on first use.
    Link(Cid, OnceCell<Box<Node<V>>>),
    /// A child changed since it was loaded (or new): written on flush.
    Dirty(Box<Node<V>>),
}

struct Node<V> {
    bits: Bits,
    ptrs: Vec<Pointer<V>>,
}

/// A node's slot bits (up to 256: bit width 8), least significant word first.
#[derive(Clone, Copy, Default)]
struct Bits([u64; 4]);

impl Bits {
    fn has(&self, slot: u32) -> bool {
        self.0[(slot / 64) as usize] >> (slot % 64) & 1 != 0
    }

    fn flip(&mut self, slot: u32) {
        self.0[(slot / 64) as usize] ^= 1 << (slot % 64);
    }

    /// The number of set bits below `slot`: the index of its pointer.
    fn rank(&self, slot: u32) -> usize {
        let (word, bit) = ((slot / 64) as usize, slot % 64);
        let below: u32 = self.0[..word].iter().map(|w| w.count_ones()).sum();
        (below + (self.0[word] & ((1u64 << bit) - 1)).count_ones()) as usize
    }

    fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut be = [0u8; 32];
        for (chunk, word) in be.chunks_mut(8).zip(self.0.iter().rev()) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        let skip = be.iter().take_while(|b| **b == 0).count();
        cbor::head(out, 2, (32 - skip) as u64);
        out.extend_from_slice(&be[skip..]);
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > 32 {
            return Err("a bitfield of more than 32 bytes".into());
        }
        let mut be = [0u8; 32];
        be[32 - bytes.len()..].copy_from_slice(bytes);
        let mut bits = Bits::default();
        for (word, chunk) in bits.0.iter_mut().rev().zip(be.chunks(8)) {
            *word = u64::from_be_bytes(chunk.try_into().unwrap_or_default());
        }
        Ok(bits)
    }
}

/// The slot of a key's hash at `depth`.
fn slot(hash: &[u8; 32], depth: u32, bit_width: u32) -> Result<u32, Error> {
    let start = depth.saturating_mul(bit_width);
    if start >= 256 {
        return Err("the HAMT is deeper than its hash".into());
    }
    let mut v = 0;
    for p in start..start + bit_width.min(256 - start) {
        v = v << 1 | u32::from(hash[(p / 8) as usize] >> (7 - p % 8) & 1);
    }
    Ok(v)
}

impl<V: Cbor> Node<V> {
    fn empty() -> Self {
        Node {
            bits: Bits::default(),
            ptrs: Vec::new(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        cbor::head(out, 4, 2);
        self.bits.encode(out);
        cbor::head(out, 4, self.ptrs.len() as u64);
        for p in &self.ptrs {
            match p {
                Pointer::Bucket(pairs) => {
                    cbor::head(out, 4, pairs.len() as u64);
                    for (k, v) in pairs {
                        cbor::head(out, 4, 2);
                        cbor::head(out, 2, k.len() as u64);
                        out.extend_from_slice(k);
                        v.encode(out);
                    }
                }
                Pointer::Link(cid, _) => cid.encode(out),
                Pointer::Dirty(_) => unreachable!("children are flushed before their parent"),
            }
        }
    }

    /// Decodes a node at `depth`, with `fvm_ipld_hamt`'s checks.
    fn decode(r: &mut Reader<'_>, bit_width: u32, depth: u32) -> Result<Self, Error> {
        if r.array().map_err(cbor_err)? != 2 {
            return Err("a HAMT node is [bitfield, pointers]".into());
        }
        let bits = Bits::decode(r.bytes().map_err(cbor_err)?)?;
        let n = r.array().map_err(cbor_err)?;
        if n > 1 << bit_width || n != bits.count() {
            return Err("pointers that do not match the bitfield".into());
        }
        if n == 0 && depth > 0 {
            return Err("a node below the root with no pointers".into());
        }
        let mut ptrs = Vec::with_capacity(n);
        for _ in 0..n {
            ptrs.push(Self::decode_pointer(r)?);
        }
        Ok(Node { bits, ptrs })
    }

    fn decode_pointer(r: &mut Reader<'_>) -> Result<Pointer<V>, Error> {
        if r.peek_major().map_err(cbor_err)? == 6 {
            let cid = Cid::decode(r).map_err(cbor_err)?;
            if cid.codec() != crate::DAG_CBOR {
                return Err("a link to a block that is not DAG-CBOR".into());
            }
            return Ok(Pointer::Link(cid, OnceCell::new()));
        }
        let n = r.array().map_err(cbor_err)?;
        if n == 0 || n > BUCKET {
            return Err("an empty or overfull bucket".into());
        }
        let mut pairs: Vec<Pair<V>> = Vec::with_capacity(n);
        for _ in 0..n {
            if r.array().map_err(cbor_err)? != 2 {
                return Err("a pair is [key, value]".into());
            }
            let key = r.bytes().map_err(cbor_err)?.to_vec();
            if pairs.last().is_some_and(|(last, _)| *last >= key) {
                return Err("duplicate or unsorted keys in a bucket".into());
            }
            let value = V::decode(r).map_err(value_err)?;
            pairs.push((key, value));
        }
        Ok(Pointer::Bucket(pairs))
    }
}

/// A HAMT of `V` by key bytes: the root node in memory, others loaded when reached.
pub(super) struct Hamt<V> {
    root: Node<V>,
    bit_width: u32,
    /// The root's CID while it is as loaded or last flushed.
    clean: Option<Cid>,
}

/// What the walks below carry along.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    store: &'a dyn Blockstore,
    bit_width: u32,
}

impl Ctx<'_> {
    fn load<V: Cbor>(&self, cid: &Cid, depth: u32) -> Result<Node<V>, Error> {
        let data = read_block(self.store, cid)?;
        let mut r = Reader::new(&data);
        let node = Node::decode(&mut r, self.bit_width, depth)?;
        done(&r)?;
        Ok(node)
    }

    /// The child behind a link, loaded into its cache if it was not.
    fn cached<'n, V: Cbor>(
        &self,
        cid: &Cid,
        cache: &'n OnceCell<Box<Node<V>>>,
        depth: u32,
    ) -> Result<&'n Node<V>, Error> {
        if let Some(node) = cache.get() {
            return Ok(node);
        }
        let node = self.load(cid, depth)?;
        Ok(cache.get_or_init(|| Box::new(node)))
    }
}

impl<V: Cbor> Hamt<V> {
    pub fn new(bit_width: u32) -> Self {
        Hamt {
            root: Node::empty(),
            bit_width,
            clean: None,
        }
    }

    pub fn load(root: &Cid, store: &dyn Blockstore, bit_width: u32) -> Result<Self, Error> {
        let ctx = Ctx { store, bit_width };
        Ok(Hamt {
            root: ctx.load(root, 0)?,
            bit_width,
            clean: Some(root.clone()),
        })
    }

    fn ctx<'a>(&self, store: &'a dyn Blockstore) -> Ctx<'a> {
        Ctx {
            store,
            bit_width: self.bit_width,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.root.ptrs.is_empty()
    }

    pub fn get(&self, key: &[u8], store: &dyn Blockstore) -> Result<Option<&V>, Error> {
        let (ctx, hash) = (self.ctx(store), key_hash(key));
        let mut node = &self.root;
        for depth in 0.. {
            let slot = slot(&hash, depth, self.bit_width)?;
            if !node.bits.has(slot) {
                break;
            }
            node = match &node.ptrs[node.bits.rank(slot)] {
                Pointer::Bucket(pairs) => {
                    return Ok(pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v));
                }
                Pointer::Link(cid, cache) => ctx.cached(cid, cache, depth + 1)?,
                Pointer::Dirty(child) => child,
            };
        }
        Ok(None)
    }

    /// Sets `key` (only if absent unless `overwrite`): the value it replaced, and whether
    /// the map changed.
    pub fn set(
        &mut self,
        key: Vec<u8>,
        value: V,
        overwrite: bool,
        store: &dyn Blockstore,
    ) -> Result<(Option<V>, bool), Error>
    where
        V: PartialEq,
    {
        let (ctx, hash) = (self.ctx(store), key_hash(&key));
        let res = set_in(&mut self.root, &hash, 0, (key, value), overwrite, ctx)?;
        if res.1 {
            self.clean = None;
        }
        Ok(res)
    }

    pub fn delete(&mut self, key: &[u8], store: &dyn Blockstore) -> Result<Option<V>, Error> {
        let (ctx, hash) = (self.ctx(store), key_hash(key));
        let old = delete_in(&mut self.root, &hash, 0, key, ctx)?;
        if old.is_some() {
            self.clean = None;
        }
        Ok(old)
    }

    /// Writes every changed node, children first; the root's CID.
    pub fn flush(&mut self, store: &dyn Blockstore) -> Result<Cid, Error> {
        if let Some(cid) = &self.clean {
            return Ok(cid.clone());
        }
        let mut buf = Vec::new();
        flush_in(&mut self.root, store, &mut buf)?;
        buf.clear();
        self.root.encode(&mut buf);
        let cid = store.put(&buf)?;
        self.clean = Some(cid.clone());
        Ok(cid)
    }

    pub fn for_each(&self, store: &dyn Blockstore, f: &mut Visit<'_, V>) -> Result<(), Error> {
        walk(&self.root, 0, self.ctx(store), f)
    }
}

fn set_in<V: Cbor + PartialEq>(
    node: &mut Node<V>,
    hash: &[u8; 32],
    depth: u32,
    (key, value): Pair<V>,
    overwrite: bool,
    ctx: Ctx<'_>,
) -> Result<(Option<V>, bool), Error> {
    let slot = slot(hash, depth, ctx.bit_width)?;
    let i = node.bits.rank(slot);
    if !node.bits.has(slot) {
        node.bits.flip(slot);
        node.ptrs.insert(i, Pointer::Bucket(vec![(key, value)]));
        return Ok((None, true));
    }
    let ptr = &mut node.ptrs[i];
    match ptr {
        Pointer::Dirty(child) => set_in(child, hash, depth + 1, (key, value), overwrite, ctx),
        Pointer::Link(cid, cache) => {
            let mut child = match cache.take() {
                Some(child) => child,
                None => Box::new(ctx.load(cid, depth + 1)?),
            };
            let res = set_in(&mut child, hash, depth + 1, (key, value), overwrite, ctx);
            match res {
                Ok((_, true)) => *ptr = Pointer::Dirty(child),
                _ => _ = cache.set(child),
            }
            res
        }
        Pointer::Bucket(pairs) => {
            if let Some(j) = pairs.iter().position(|(k, _)| *k == key) {
                if !overwrite {
                    return Ok((None, false));
                }
                let changed = pairs[j].1 != value;
                return Ok((Some(mem::replace(&mut pairs[j].1, value)), changed));
            }
            if pairs.len() < BUCKET {
                let j = pairs
                    .iter()
                    .position(|(k, _)| *k > key)
                    .unwrap_or(pairs.len());
                pairs.insert(j, (key, value));
                return Ok((None, true));
            }
            // A full bucket: a child node of its pairs and the new one, one level down.
            let mut child = Node::empty();
            for pair in mem::take(pairs) {
                set_in(&mut child, &key_hash(&pair.0), depth + 1, pair, true, ctx)?;
            }
            set_in(&mut child, hash, depth + 1, (key, value), true, ctx)?;
            *ptr = Pointer::Dirty(Box::new(child));
            Ok((None, true))
        }
    }
}

fn delete_in<V: Cbor>(
    node: &mut Node<V>,
    hash: &[u8; 32],
    depth: u32,
    key: &[u8],
    ctx: Ctx<'_>,
) -> Result<Option<V>, Error> {
    let slot = slot(hash, depth, ctx.bit_width)?;
    if !node.bits.has(slot) {
        return Ok(None);
    }
    let i = node.bits.rank(slot);
    let ptr = &mut node.ptrs[i];
    let old = match ptr {
        Pointer::Bucket(pairs) => {
            let Some(j) = pairs.iter().position(|(k, _)| k == key) else {
                return Ok(None);
            };
            let (_, old) = pairs.remove(j);
            if pairs.is_empty() {
                node.bits.flip(slot);
                node.ptrs.remove(i);
            }
            return Ok(Some(old));
        }
        Pointer::Dirty(child) => match delete_in(child, hash, depth + 1, key, ctx)? {
            Some(old) => old,
            None => return Ok(None),
        },
        Pointer::Link(cid, cache) => {
            let mut child = match cache.take() {
                Some(child) => child,
                None => Box::new(ctx.load(cid, depth + 1)?),
            };
            match delete_in(&mut child, hash, depth + 1, key, ctx) {
                Ok(Some(old)) => {
                    *ptr = Pointer::Dirty(child);
                    old
                }
                res => {
                    _ = cache.set(child);
                    return res;
                }
            }
        }
    };
    collapse(ptr)?;
    Ok(Some(old))
}

/// After a delete below `ptr` (a changed child): a child whose pointers are all buckets with
/// at most [`BUCKET`] pairs in all becomes one sorted bucket.
fn collapse<V>(ptr: &mut Pointer<V>) -> Result<(), Error> {
    let Pointer::Dirty(child) = ptr else {
        return Ok(());
    };
    if child.ptrs.is_empty() {
        return Err("a node below the root with no pointers".into());
    }
    let mut total = 0;
    for p in &child.ptrs {
        match p {
            Pointer::Bucket(pairs) => total += pairs.len(),
            _ => return Ok(()),
        }
    }
    if total > BUCKET {
        return Ok(());
    }
    let mut pairs = Vec::with_capacity(total);
    for p in mem::take(&mut child.ptrs) {
        if let Pointer::Bucket(mut more) = p {
            pairs.append(&mut more);
        }
    }
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    *ptr = Pointer::Bucket(pairs);
    Ok(())
}

/// Writes the changed children of `node` (theirs first) and links them by CID.
fn flush_in<V: Cbor>(
    node: &mut Node<V>,
    store: &dyn Blockstore,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    for ptr in &mut node.ptrs {
        let Pointer::Dirty(child) = ptr else {
            continue;
        };
        flush_in(child, store, buf)?;
        buf.clear();
        child.encode(buf);
        let cid = store.put(buf)?;
        if let Pointer::Dirty(child) = mem::replace(ptr, Pointer::Bucket(Vec::new())) {
            *ptr = Pointer::Link(cid, OnceCell::from(child));
        }
    }
    Ok(())
}

/// Every pair under `node` in order; nodes not loaded yet are read and dropped again.
fn walk<V: Cbor>(
    node: &Node<V>,
    depth: u32,
    ctx: Ctx<'_>,
    f: &mut Visit<'_, V>,
) -> Result<(), Error> {
    for p in &node.ptrs {
        match p {
            Pointer::Bucket(pairs) => {
                for (k, v) in pairs {
                    f(k, v)?;
                }
            }
            Pointer::Dirty(child) => walk(child, depth + 1, ctx, f)?,
            Pointer::Link(cid, cache) => match cache.get() {
                Some(child) => walk(child, depth + 1, ctx, f)?,
                None => walk(&ctx.load::<V>(cid, depth + 1)?, depth + 1, ctx, f)?,
            },
        }
    }
    Ok(())
}
