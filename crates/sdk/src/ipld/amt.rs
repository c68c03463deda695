//! The AMT behind [`super::StateArray`], in the block format of `fvm_ipld_amt` 0.7 (v3):
//!
//! - the root block is `[bit_width, height, count, node]`;
//! - a node is `[bitmap, links, values]`: the bitmap a byte string with bit `i % 8` of byte
//!   `i / 8` set for each used slot `i` of the node's 2^bit_width (at least one byte), then
//!   the links (tag 42) of a node above the leaves or the values of a leaf, in slot order;
//! - a node at height `h` covers 2^(bit_width*h) indexes per slot; the tree grows by putting
//!   the root under slot 0 of a new root while an index does not fit, and after a delete
//!   drops empty children and shrinks while the root has only slot 0 in use. So a given
//!   content has one shape and one root CID.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::OnceCell;
use core::mem;

use super::{Blockstore, Cid, Error, cbor_err, done, read_block, value_err};
use crate::cbor::{self, Cbor, Reader};

/// The largest index (`fvm_ipld_amt::MAX_INDEX`).
const MAX_INDEX: u64 = u64::MAX - 1;
/// The largest height a root may claim.
const MAX_HEIGHT: u64 = 64;

/// What a walk calls on each entry.
pub(super) type Visit<'a, V> = dyn FnMut(u64, &V) -> Result<(), Error> + 'a;

enum Link<V> {
    /// A stored child, loaded on first use.
    Stored(Cid, OnceCell<Box<Node<V>>>),
    /// A child changed since it was loaded (or new): written on flush.
    Dirty(Box<Node<V>>),
}

enum Node<V> {
    Links(Vec<Option<Link<V>>>),
    Leaf(Vec<Option<V>>),
}

/// Indexes under one slot of a node at `height`.
fn span(bit_width: u32, height: u32) -> u64 {
    match bit_width * height {
        bits @ 0..64 => 1 << bits,
        _ => u64::MAX,
    }
}

fn none<T>(bit_width: u32) -> Vec<Option<T>> {
    (0..1usize << bit_width).map(|_| None).collect()
}

impl<V: Cbor> Node<V> {
    /// An empty node for `height`.
    fn empty(bit_width: u32, height: u32) -> Self {
        match height {
            0 => Node::Leaf(none(bit_width)),
            _ => Node::Links(none(bit_width)),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Node::Links(links) => links.iter().all(Option::is_none),
            Node::Leaf(vals) => vals.iter().all(Option::is_none),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let (width, mut bitmap) = (self.width(), [0u8; 32]);
        let used = |i: usize| match self {
            Node::Links(links) => links[i].is_some(),
            Node::Leaf(vals) => vals[i].is_some(),
        };
        for i in (0..width).filter(|i| used(*i)) {
            bitmap[i / 8] |= 1 << (i % 8);
        }
        cbor::head(out, 4, 3);
        let bitmap = &bitmap[..width.div_ceil(8)];
        cbor::head(out, 2, bitmap.len() as u64);
        out.extend_from_slice(bitmap);
        let n = bitmap.iter().map(|b| b.count_ones() as u64).sum();
        match self {
            Node::Links(links) => {
                cbor::head(out, 4, n);
                for link in links.iter().flatten() {
                    match link {
                        Link::Stored(cid, _) => cid.encode(out),
                        Link::Dirty(_) => unreachable!("children are flushed before their parent"),
                    }
                }
                cbor::head(out, 4, 0);
            }
            Node::Leaf(vals) => {
                cbor::head(out, 4, 0);
                cbor::head(out, 4, n);
                vals.iter().flatten().for_each(|v| v.encode(out));
            }
        }
    }

    fn width(&self) -> usize {
        match self {
            Node::Links(links) => links.len(),
            Node::Leaf(vals) => vals.len(),
        }
    }

    /// Decodes a node at `height` (links above the leaves, values in them).
    fn decode(r: &mut Reader<'_>, bit_width: u32, height: u32) -> Result<Self, Error> {
        let width = 1usize << bit_width;
        if r.array().map_err(cbor_err)? != 3 {
            return Err("an AMT node is [bitmap, links, values]".into());
        }
        let bitmap = r.bytes().map_err(cbor_err)?;
        if bitmap.len() != width.div_ceil(8) {
            return Err("a bitmap of the wrong length".into());
        }
        let used = |i: &usize| bitmap[i / 8] >> (i % 8) & 1 != 0;
        let bits = (0..width).filter(used).count();
        let mut node = Node::empty(bit_width, height);
        let links = r.array().map_err(cbor_err)?;
        let values = match &mut node {
            Node::Links(slots) if links == bits => {
                for i in (0..width).filter(used) {
                    let cid = Cid::decode(r).map_err(cbor_err)?;
                    slots[i] = Some(Link::Stored(cid, OnceCell::new()));
                }
                r.array().map_err(cbor_err)?
            }
            Node::Leaf(slots) if links == 0 && r.array().map_err(cbor_err)? == bits => {
                for i in (0..width).filter(used) {
                    slots[i] = Some(V::decode(r).map_err(value_err)?);
                }
                0
            }
            _ => return Err("links or values not matching the bitmap or the height".into()),
        };
        match values {
            0 => Ok(node),
            _ => Err("a node with links and values".into()),
        }
    }
}

/// An AMT of `V`: the root node in memory, others loaded when reached.
pub(super) struct Amt<V> {
    bit_width: u32,
    height: u32,
    count: u64,
    root: Node<V>,
    /// The root block's CID while it is as loaded or last flushed.
    clean: Option<Cid>,
}

/// What the walks below carry along.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    store: &'a dyn Blockstore,
    bit_width: u32,
}

impl Ctx<'_> {
    fn load<V: Cbor>(&self, cid: &Cid, height: u32) -> Result<Node<V>, Error> {
        let data = read_block(self.store, cid)?;
        let mut r = Reader::new(&data);
        let node = Node::decode(&mut r, self.bit_width, height)?;
        done(&r)?;
        Ok(node)
    }

    /// Loads a stored link's node into its cache (a no-op for a dirty or cached one).
    fn fill<V: Cbor>(&self, link: &Link<V>, height: u32) -> Result<(), Error> {
        if let Link::Stored(cid, cache) = link
            && cache.get().is_none()
        {
            _ = cache.set(Box::new(self.load(cid, height)?));
        }
        Ok(())
    }
}

/// The node of a link (after [`Ctx::fill`]).
fn into_node<V>(link: Link<V>) -> Option<Box<Node<V>>> {
    match link {
        Link::Stored(_, cache) => cache.into_inner(),
        Link::Dirty(node) => Some(node),
    }
}

fn node_mut<V>(link: &mut Link<V>) -> Option<&mut Node<V>> {
    match link {
        Link::Stored(_, cache) => cache.get_mut().map(|n| &mut **n),
        Link::Dirty(node) => Some(node),
    }
}

impl<V: Cbor> Amt<V> {
    pub fn new(bit_width: u32) -> Self {
        Amt {
            bit_width,
            height: 0,
            count: 0,
            root: Node::empty(bit_width, 0),
            clean: None,
        }
    }

    pub fn load(root: &Cid, store: &dyn Blockstore) -> Result<Self, Error> {
        let data = read_block(store, root)?;
        let r = &mut Reader::new(&data);
        if r.array().map_err(cbor_err)? != 4 {
            return Err("an AMT root is [bit_width, height, count, node]".into());
        }
        let bit_width = r.expect(0).map_err(cbor_err)?;
        let height = r.expect(0).map_err(cbor_err)?;
        if !(1..=8).contains(&bit_width) || height > MAX_HEIGHT {
            return Err("a bit width not in 1..=8 or a height over 64".into());
        }
        let (bit_width, height) = (bit_width as u32, height as u32);
        let count = r.expect(0).map_err(cbor_err)?;
        let root_node = Node::decode(r, bit_width, height)?;
        done(r)?;
        Ok(Amt {
            bit_width,
            height,
            count,
            root: root_node,
            clean: Some(root.clone()),
        })
    }

    fn ctx<'a>(&self, store: &'a dyn Blockstore) -> Ctx<'a> {
        Ctx {
            store,
            bit_width: self.bit_width,
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether `i` is past what the tree covers (an error past [`MAX_INDEX`]).
    fn beyond(&self, i: u64) -> Result<bool, Error> {
        match i > MAX_INDEX {
            true => Err("an index past the largest (2^64 - 2)".into()),
            false => Ok(i >= span(self.bit_width, self.height + 1)),
        }
    }

    pub fn get(&self, i: u64, store: &dyn Blockstore) -> Result<Option<&V>, Error> {
        if self.beyond(i)? {
            return Ok(None);
        }
        let ctx = self.ctx(store);
        let (mut node, mut height, mut i) = (&self.root, self.height, i);
        loop {
            let links = match node {
                Node::Leaf(vals) => return Ok(vals.get(i as usize).and_then(Option::as_ref)),
                Node::Links(links) => links,
            };
            let span = span(self.bit_width, height);
            let Some(link) = &links[(i / span) as usize] else {
                return Ok(None);
            };
            (height, i) = (height - 1, i % span);
            ctx.fill(link, height)?;
            node = match link {
                Link::Stored(_, cache) => cache.get().ok_or("not loaded")?,
                Link::Dirty(child) => child,
            };
        }
    }

    /// Sets index `i`; the value it replaced.
    pub fn set(&mut self, i: u64, value: V, store: &dyn Blockstore) -> Result<Option<V>, Error> {
        while self.beyond(i)? {
            let old = mem::replace(&mut self.root, Node::Leaf(Vec::new()));
            let mut links = none(self.bit_width);
            if !old.is_empty() {
                links[0] = Some(Link::Dirty(Box::new(old)));
            }
            self.root = Node::Links(links);
            self.height += 1;
        }
        let ctx = self.ctx(store);
        let old = set_in(&mut self.root, self.height, i, value, ctx)?;
        if old.is_none() {
            self.count += 1;
        }
        self.clean = None;
        Ok(old)
    }

    pub fn delete(&mut self, i: u64, store: &dyn Blockstore) -> Result<Option<V>, Error> {
        if self.beyond(i)? {
            return Ok(None);
        }
        let ctx = self.ctx(store);
        let Some(old) = delete_in(&mut self.root, self.height, i, ctx)? else {
            return Ok(None);
        };
        self.count = self.count.saturating_sub(1);
        self.clean = None;
        if self.root.is_empty() {
            (self.root, self.height) = (Node::empty(self.bit_width, 0), 0);
        }
        // While only slot 0 of the root is used, its child becomes the root.
        while let Node::Links(links) = &mut self.root
            && links[1..].iter().all(Option::is_none)
            && let Some(first) = &links[0]
        {
            ctx.fill(first, self.height - 1)?;
            let child = links[0].take().and_then(into_node).ok_or("not loaded")?;
            (self.root, self.height) = (*child, self.height - 1);
        }
        Ok(Some(old))
    }

    /// Writes every changed node, children first, then the root block; its CID.
    pub fn flush(&mut self, store: &dyn Blockstore) -> Result<Cid, Error> {
        if let Some(cid) = &self.clean {
            return Ok(cid.clone());
        }
        let mut buf = Vec::new();
        flush_in(&mut self.root, store, &mut buf)?;
        buf.clear();
        cbor::head(&mut buf, 4, 4);
        cbor::head(&mut buf, 0, self.bit_width.into());
        cbor::head(&mut buf, 0, self.height.into());
        cbor::head(&mut buf, 0, self.count);
        self.root.encode(&mut buf);
        let cid = store.put(&buf)?;
        self.clean = Some(cid.clone());
        Ok(cid)
    }

    pub fn for_each(&self, store: &dyn Blockstore, f: &mut Visit<'_, V>) -> Result<(), Error> {
        walk(&self.root, self.height, 0, self.ctx(store), f)
    }
}

fn set_in<V: Cbor>(
    node: &mut Node<V>,
    height: u32,
    i: u64,
    value: V,
    ctx: Ctx<'_>,
) -> Result<Option<V>, Error> {
    let links = match node {
        Node::Leaf(vals) => return Ok(vals[i as usize].replace(value)),
        Node::Links(links) => links,
    };
    let span = span(ctx.bit_width, height);
    let slot = &mut links[(i / span) as usize];
    match slot {
        Some(link) => ctx.fill(link, height - 1)?,
        None => {
            *slot = Some(Link::Dirty(Box::new(Node::empty(
                ctx.bit_width,
                height - 1,
            ))))
        }
    }
    let child = slot.take().and_then(into_node).ok_or("not loaded")?;
    let child = node_mut(slot.insert(Link::Dirty(child))).ok_or("not loaded")?;
    set_in(child, height - 1, i % span, value, ctx)
}

fn delete_in<V: Cbor>(
    node: &mut Node<V>,
    height: u32,
    i: u64,
    ctx: Ctx<'_>,
) -> Result<Option<V>, Error> {
    let links = match node {
        Node::Leaf(vals) => return Ok(vals.get_mut(i as usize).and_then(Option::take)),
        Node::Links(links) => links,
    };
    let span = span(ctx.bit_width, height);
    let slot = &mut links[(i / span) as usize];
    let Some(link) = slot else {
        return Ok(None);
    };
    ctx.fill(link, height - 1)?;
    let child = node_mut(link).ok_or("not loaded")?;
    let Some(old) = delete_in(child, height - 1, i % span, ctx)? else {
        return Ok(None);
    };
    *slot = match child.is_empty() {
        true => None,
        false => slot.take().and_then(into_node).map(Link::Dirty),
    };
    Ok(Some(old))
}

/// Writes the changed children of `node` (theirs first) and links them by CID.
fn flush_in<V: Cbor>(
    node: &mut Node<V>,
    store: &dyn Blockstore,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    let Node::Links(links) = node else {
        return Ok(());
    };
    for slot in links.iter_mut() {
        let Some(Link::Dirty(child)) = slot else {
            continue;
        };
        flush_in(child, store, buf)?;
        buf.clear();
        child.encode(buf);
        let cid = store.put(buf)?;
        if let Some(Link::Dirty(child)) = slot.take() {
            *slot = Some(Link::Stored(cid, OnceCell::from(child)));
        }
    }
    Ok(())
}

/// Every value under `node` in index order (`base` is the node's first index); nodes not
/// loaded yet are read and dropped again.
fn walk<V: Cbor>(
    node: &Node<V>,
    height: u32,
    base: u64,
    ctx: Ctx<'_>,
    f: &mut Visit<'_, V>,
) -> Result<(), Error> {
    let links = match node {
        Node::Leaf(vals) => {
            for (j, v) in vals.iter().enumerate() {
                if let Some(v) = v {
                    f(base + j as u64, v)?;
                }
            }
            return Ok(());
        }
        Node::Links(links) => links,
    };
    let span = span(ctx.bit_width, height);
    for (j, link) in links.iter().enumerate() {
        let base = base.saturating_add((j as u64).saturating_mul(span));
        match link {
            None => {}
            Some(Link::Dirty(child)) => walk(child, height - 1, base, ctx, f)?,
            Some(Link::Stored(cid, cache)) => match cache.get() {
                Some(child) => walk(child, height - 1, base, ctx, f)?,
                None => walk(&ctx.load::<V>(cid, height - 1)?, height - 1, base, ctx, f)?,
            },
        }
    }
    Ok(())
}
