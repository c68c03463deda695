//! A persisted Merkle-Patricia trie updated in place: the nodes live in a content-addressed
//! store (keccak256 of a node's RLP → the RLP), the trie keeps the nodes it has loaded or
//! changed in memory, and [`Trie::commit`] re-hashes only the changed paths and returns the
//! new nodes for the caller to store. Old roots stay readable as long as their nodes are kept,
//! so [`proof`] serves any root the store holds.
//!
//! Why not alloy-trie's `HashBuilder`: it builds a root from *all* leaves in key order. An
//! incremental root with it needs the branch nodes of the previous root keyed by path plus a
//! walker that skips unchanged subtries (reth's design); a small sparse trie over hashed nodes
//! does the same job with one data structure, and its stored nodes double as the proof store.
//! Encoding and decoding are alloy-trie's (`TrieNode`), so the nodes are byte for byte what
//! alloy-trie's `verify_proof` and every Ethereum client expect.
//!
//! Keys are fixed-length (Ethereum's secure tries: keccak256 of the address or slot), so no
//! key is a prefix of another and branch nodes carry no value.

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::{Decodable, EMPTY_STRING_CODE, Encodable};
use alloy_trie::nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode, TrieNode};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles, TrieMask};
use anyhow::{Context, anyhow, bail};

/// Where a stored node lives besides its hash: the commit that wrote it (a sequence number
/// the caller chooses per commit, increasing). Stores key nodes by `(loc, hash)`, so one
/// commit's nodes are neighbours (written as an append, not as random inserts), and every
/// stored node records the locations of the hashed children it refers to.
pub type Loc = u64;

/// Where stored nodes are read from.
pub trait NodeSource {
    /// The stored form ([`stored`]) of the node with this hash written by commit `loc`.
    fn node(&self, hash: &B256, loc: Loc) -> anyhow::Result<Option<Vec<u8>>>;
}

/// New nodes a commit produced: `(keccak256(rlp), stored form)`, all at the commit's `loc`.
pub type NewNodes = Vec<(B256, Vec<u8>)>;

/// A node's stored form: its RLP, then the locations of its hashed children in order (for a
/// leaf: its auxiliary location, e.g. an account's storage root's), 8 bytes each, then their
/// count (one byte).
pub fn stored(rlp: &[u8], locs: &[Loc]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rlp.len() + locs.len() * 8 + 1);
    out.extend_from_slice(rlp);
    for l in locs {
        out.extend_from_slice(&l.to_be_bytes());
    }
    out.push(locs.len() as u8);
    out
}

/// The RLP and child locations of a stored node.
pub fn unstored(bytes: &[u8]) -> anyhow::Result<(&[u8], Vec<Loc>)> {
    let (&n, rest) = bytes.split_last().context("empty stored trie node")?;
    let n = n as usize;
    if rest.len() < n * 8 {
        bail!("truncated stored trie node");
    }
    let (rlp, locs) = rest.split_at(rest.len() - n * 8);
    let locs = locs
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().unwrap_or_default()))
        .collect();
    Ok((rlp, locs))
}

/// How a parent refers to a clean node, and where it is stored.
type Cache = Option<(RlpNode, Loc)>;

enum Node {
    Empty,
    /// A stored node not loaded yet.
    Hash(B256, Loc),
    Leaf {
        key: Nibbles,
        value: Vec<u8>,
        /// An auxiliary location kept with the leaf (an account's storage root's).
        aux: Loc,
        rlp: Cache,
    },
    Ext {
        key: Nibbles,
        child: Box<Node>,
        rlp: Cache,
    },
    Branch {
        children: Box<[Node; 16]>,
        rlp: Cache,
    },
}

fn empty_children() -> Box<[Node; 16]> {
    Box::new(std::array::from_fn(|_| Node::Empty))
}

fn take(node: &mut Node) -> Node {
    std::mem::replace(node, Node::Empty)
}

/// A node from its RLP; `rlp` is how its parent refers to it and `loc` where it is stored
/// (kept as the clean cache); `locs` the locations of its hashed children, in order.
fn decode(bytes: &[u8], rlp: RlpNode, loc: Loc, locs: &[Loc]) -> anyhow::Result<Node> {
    let node = TrieNode::decode(&mut &bytes[..]).map_err(|e| anyhow!("bad trie node: {e}"))?;
    let mut locs = locs.iter().copied();
    let cache = Some((rlp, loc));
    Ok(match node {
        TrieNode::EmptyRoot => Node::Empty,
        TrieNode::Leaf(l) => Node::Leaf {
            key: l.key,
            value: l.value,
            aux: locs.next().unwrap_or(0),
            rlp: cache,
        },
        TrieNode::Extension(e) => Node::Ext {
            key: e.key,
            child: Box::new(child_of(&e.child, loc, &mut locs)?),
            rlp: cache,
        },
        TrieNode::Branch(b) => {
            let mut children = empty_children();
            for (i, c) in b.as_ref().children() {
                if let Some(c) = c {
                    children[i as usize] = child_of(c, loc, &mut locs)?;
                }
            }
            Node::Branch {
                children,
                rlp: cache,
            }
        }
    })
}

/// A child reference: a hash to load later (at the next location the parent recorded), or a
/// small node embedded in its parent (too small to refer to a hash itself).
fn child_of(
    r: &RlpNode,
    parent: Loc,
    locs: &mut impl Iterator<Item = Loc>,
) -> anyhow::Result<Node> {
    match r.as_hash() {
        Some(h) => Ok(Node::Hash(
            h,
            locs.next()
                .context("a stored trie node lacks a child's location")?,
        )),
        None => decode(r.as_slice(), r.clone(), parent, &[]),
    }
}

/// A trie rooted at a stored root hash, with the nodes it touched in memory.
pub struct Trie {
    root: Node,
    /// The root hash of the last commit (or of the stored root it was opened at).
    hash: B256,
    /// Where the root node is stored.
    loc: Loc,
    /// Nodes loaded from the store since the last trim.
    loaded: usize,
}

/// Above this many loaded nodes a commit drops the in-memory nodes (they are all stored).
const MAX_LOADED: usize = 1 << 18;

impl Trie {
    /// The trie whose root hash is `root`, stored at `loc` (or empty).
    pub fn at(root: B256, loc: Loc) -> Self {
        Self {
            root: if root == EMPTY_ROOT_HASH {
                Node::Empty
            } else {
                Node::Hash(root, loc)
            },
            hash: root,
            loc,
            loaded: 0,
        }
    }

    pub fn empty() -> Self {
        Self::at(EMPTY_ROOT_HASH, 0)
    }

    /// The root hash as of the last commit.
    pub fn root(&self) -> B256 {
        self.hash
    }

    /// Where the root node is stored, as of the last commit.
    pub fn loc(&self) -> Loc {
        self.loc
    }

    fn resolve(node: &mut Node, src: &dyn NodeSource, loaded: &mut usize) -> anyhow::Result<()> {
        if let Node::Hash(h, loc) = node {
            let (h, loc) = (*h, *loc);
            let bytes = load(src, &h, loc)?;
            let (rlp, locs) = unstored(&bytes)?;
            *node = decode(rlp, RlpNode::word_rlp(&h), loc, &locs)?;
            *loaded += 1;
        }
        Ok(())
    }

    /// The value under `key`, with the leaf's auxiliary location.
    pub fn get(
        &mut self,
        key: &[u8],
        src: &dyn NodeSource,
    ) -> anyhow::Result<Option<(Vec<u8>, Loc)>> {
        let mut path = Nibbles::unpack(key);
        let mut node = &mut self.root;
        loop {
            Self::resolve(node, src, &mut self.loaded)?;
            match node {
                Node::Empty | Node::Hash(..) => return Ok(None),
                Node::Leaf {
                    key, value, aux, ..
                } => {
                    return Ok((*key == path).then(|| (value.clone(), *aux)));
                }
                Node::Ext { key, child, .. } => {
                    if !path.starts_with(key) {
                        return Ok(None);
                    }
                    path = path.slice(key.len()..);
                    node = child;
                }
                Node::Branch { children, .. } => {
                    let Some(n) = path.first() else {
                        return Ok(None);
                    };
                    path = path.slice(1..);
                    node = &mut children[n as usize];
                }
            }
        }
    }

    /// Sets `key` to `value` (a non-empty value; use [`Self::remove`] to delete).
    pub fn insert(
        &mut self,
        key: &[u8],
        value: Vec<u8>,
        aux: Loc,
        src: &dyn NodeSource,
    ) -> anyhow::Result<()> {
        if value.is_empty() {
            bail!("an empty value cannot be stored in the trie");
        }
        insert(
            &mut self.root,
            Nibbles::unpack(key),
            (value, aux),
            src,
            &mut self.loaded,
        )
    }

    /// Deletes `key`; returns whether it was there.
    pub fn remove(&mut self, key: &[u8], src: &dyn NodeSource) -> anyhow::Result<bool> {
        remove(&mut self.root, Nibbles::unpack(key), src, &mut self.loaded)
    }

    /// Hashes what changed since the last commit; returns the new root and the new nodes
    /// (every node of 32 bytes or more, plus the root whatever its size).
    /// Hashes what changed since the last commit; new nodes are stored at `seq`. Returns the
    /// new root, where it is stored, and the new nodes (every node of 32 bytes or more, plus
    /// the root whatever its size).
    pub fn commit(&mut self, seq: Loc) -> (B256, Loc, NewNodes) {
        let mut out = Vec::new();
        let (hash, loc) = match &self.root {
            Node::Empty => (EMPTY_ROOT_HASH, 0),
            Node::Hash(h, l) => (*h, *l),
            _ => {
                let (r, loc) = commit(&mut self.root, seq, &mut out, true);
                (r.as_hash().unwrap_or_else(|| keccak256(r.as_slice())), loc)
            }
        };
        self.hash = hash;
        self.loc = loc;
        if self.loaded > MAX_LOADED {
            *self = Self::at(hash, loc);
        }
        (hash, loc, out)
    }
}

fn leaf(key: Nibbles, (value, aux): (Vec<u8>, Loc)) -> Node {
    Node::Leaf {
        key,
        value,
        aux,
        rlp: None,
    }
}

/// `node` under a path of `prefix` (an extension when the prefix is not empty).
fn under(prefix: Nibbles, node: Node) -> Node {
    if prefix.is_empty() {
        node
    } else {
        Node::Ext {
            key: prefix,
            child: Box::new(node),
            rlp: None,
        }
    }
}

fn insert(
    node: &mut Node,
    path: Nibbles,
    value: (Vec<u8>, Loc),
    src: &dyn NodeSource,
    loaded: &mut usize,
) -> anyhow::Result<()> {
    Trie::resolve(node, src, loaded)?;
    match node {
        Node::Empty => *node = leaf(path, value),
        Node::Hash(..) => unreachable!("resolved above"),
        Node::Leaf {
            key,
            value: old,
            aux,
            rlp,
        } => {
            if *key == path {
                (*old, *aux) = value;
                *rlp = None;
                return Ok(());
            }
            let common = key.common_prefix_length(&path);
            if common >= key.len() || common >= path.len() {
                bail!("trie keys of different lengths");
            }
            let mut children = empty_children();
            children[key.get_unchecked(common) as usize] =
                leaf(key.slice(common + 1..), (std::mem::take(old), *aux));
            children[path.get_unchecked(common) as usize] = leaf(path.slice(common + 1..), value);
            let branch = Node::Branch {
                children,
                rlp: None,
            };
            *node = under(path.slice(..common), branch);
        }
        Node::Ext { key, child, rlp } => {
            let common = key.common_prefix_length(&path);
            if common == key.len() {
                *rlp = None;
                return insert(child, path.slice(common..), value, src, loaded);
            }
            if common >= path.len() {
                bail!("trie keys of different lengths");
            }
            let mut children = empty_children();
            let old_child = std::mem::replace(child.as_mut(), Node::Empty);
            children[key.get_unchecked(common) as usize] =
                under(key.slice(common + 1..), old_child);
            children[path.get_unchecked(common) as usize] = leaf(path.slice(common + 1..), value);
            let branch = Node::Branch {
                children,
                rlp: None,
            };
            *node = under(path.slice(..common), branch);
        }
        Node::Branch { children, rlp } => {
            let n = path.first().context("trie keys of different lengths")?;
            *rlp = None;
            insert(
                &mut children[n as usize],
                path.slice(1..),
                value,
                src,
                loaded,
            )?;
        }
    }
    Ok(())
}

/// `prefix ‖ node`: a leaf or extension gets the prefix in front of its key; anything else
/// goes under an extension.
fn prepend(prefix: Nibbles, node: Node) -> Node {
    match node {
        Node::Leaf {
            key, value, aux, ..
        } => leaf(prefix.join(&key), (value, aux)),
        Node::Ext { key, child, .. } => Node::Ext {
            key: prefix.join(&key),
            child,
            rlp: None,
        },
        Node::Empty => Node::Empty,
        other => under(prefix, other),
    }
}

fn remove(
    node: &mut Node,
    path: Nibbles,
    src: &dyn NodeSource,
    loaded: &mut usize,
) -> anyhow::Result<bool> {
    Trie::resolve(node, src, loaded)?;
    match node {
        Node::Empty | Node::Hash(..) => Ok(false),
        Node::Leaf { key, .. } => {
            if *key == path {
                *node = Node::Empty;
                Ok(true)
            } else {
                Ok(false)
            }
        }
        Node::Ext { key, child, .. } => {
            if !path.starts_with(key) {
                return Ok(false);
            }
            if !remove(child, path.slice(key.len()..), src, loaded)? {
                return Ok(false);
            }
            let key = *key;
            let child = take(child);
            // A branch child stays under the extension; a leaf or extension merges into it.
            *node = prepend(key, child);
            Ok(true)
        }
        Node::Branch { children, rlp } => {
            let Some(n) = path.first() else {
                return Ok(false);
            };
            if !remove(&mut children[n as usize], path.slice(1..), src, loaded)? {
                return Ok(false);
            }
            *rlp = None;
            let mut live = children
                .iter()
                .enumerate()
                .filter(|(_, c)| !matches!(c, Node::Empty))
                .map(|(i, _)| i);
            let (first, second) = (live.next(), live.next());
            match (first, second) {
                (_, Some(_)) => {}
                (None, None) => *node = Node::Empty,
                (Some(i), None) => {
                    // One child left: the branch collapses into it.
                    let mut only = take(&mut children[i]);
                    Trie::resolve(&mut only, src, loaded)?;
                    *node = prepend(Nibbles::from_nibbles([i as u8]), only);
                }
            }
            Ok(true)
        }
    }
}

/// The reference to `node` after hashing whatever in it changed, and where it is stored;
/// new nodes of 32 bytes or more (or any size when `force`, for a root) go to `out` at `seq`.
fn commit(node: &mut Node, seq: Loc, out: &mut NewNodes, force: bool) -> (RlpNode, Loc) {
    let mut buf = Vec::new();
    let mut locs = Vec::new();
    let cache = match node {
        Node::Empty => return (RlpNode::from_rlp(&[EMPTY_STRING_CODE]), 0),
        Node::Hash(h, l) => return (RlpNode::word_rlp(h), *l),
        Node::Leaf {
            key,
            value,
            aux,
            rlp,
        } => {
            if let Some(r) = rlp {
                return r.clone();
            }
            LeafNodeRef::new(key, value).encode(&mut buf);
            locs.push(*aux);
            rlp
        }
        Node::Ext { key, child, rlp } => {
            if let Some(r) = rlp {
                return r.clone();
            }
            let (c, l) = commit(child, seq, out, false);
            if c.is_hash() {
                locs.push(l);
            }
            ExtensionNodeRef::new(key, c.as_slice()).encode(&mut buf);
            rlp
        }
        Node::Branch { children, rlp } => {
            if let Some(r) = rlp {
                return r.clone();
            }
            let mut stack = Vec::with_capacity(16);
            let mut mask = TrieMask::default();
            for (i, c) in children.iter_mut().enumerate() {
                if !matches!(c, Node::Empty) {
                    let (r, l) = commit(c, seq, out, false);
                    if r.is_hash() {
                        locs.push(l);
                    }
                    stack.push(r);
                    mask.set_bit(i as u8);
                }
            }
            BranchNodeRef::new(&stack, mask).encode(&mut buf);
            rlp
        }
    };
    let r = if buf.len() >= 32 || force {
        let h = keccak256(&buf);
        out.push((h, stored(&buf, &locs)));
        RlpNode::word_rlp(&h)
    } else {
        RlpNode::from_rlp(&buf)
    };
    *cache = Some((r.clone(), seq));
    (r, seq)
}

fn load(src: &dyn NodeSource, hash: &B256, loc: Loc) -> anyhow::Result<Vec<u8>> {
    src.node(hash, loc)?
        .with_context(|| format!("trie node {hash} (at {loc}) is missing from the store"))
}

/// A proof: the nodes along the path, and the value with its leaf's auxiliary location.
pub type Proof = (Vec<Bytes>, Option<(Vec<u8>, Loc)>);

/// The proof of `key` in the stored trie with root `root` (stored at `loc`): the stored
/// nodes' RLP from the root along the key's path (embedded nodes stay inside their parents,
/// as Ethereum clients give them), and the value with its leaf's auxiliary location if the
/// key is present.
pub fn proof(src: &dyn NodeSource, root: B256, loc: Loc, key: &[u8]) -> anyhow::Result<Proof> {
    let mut nodes = Vec::new();
    if root == EMPTY_ROOT_HASH {
        return Ok((nodes, None));
    }
    let mut path = Nibbles::unpack(key);
    let mut bytes = load(src, &root, loc)?;
    let (rlp, mut locs) = unstored(&bytes)?;
    let mut rlp = rlp.to_vec();
    nodes.push(Bytes::from(rlp.clone()));
    loop {
        let node = TrieNode::decode(&mut &rlp[..]).map_err(|e| anyhow!("bad trie node: {e}"))?;
        // Which of the node's hashed children the path takes, counted in order.
        let (next, index) = match node {
            TrieNode::EmptyRoot => return Ok((nodes, None)),
            TrieNode::Leaf(l) => {
                let aux = locs.first().copied().unwrap_or(0);
                return Ok((nodes, (l.key == path).then_some((l.value, aux))));
            }
            TrieNode::Extension(e) => {
                if !path.starts_with(&e.key) {
                    return Ok((nodes, None));
                }
                path = path.slice(e.key.len()..);
                (e.child, 0)
            }
            TrieNode::Branch(b) => {
                let Some(n) = path.first() else {
                    return Ok((nodes, None));
                };
                path = path.slice(1..);
                let mut index = 0;
                let mut found = None;
                for (i, c) in b.as_ref().children() {
                    let Some(c) = c else { continue };
                    if i == n {
                        found = Some(c.clone());
                        break;
                    }
                    index += usize::from(c.is_hash());
                }
                match found {
                    Some(c) => (c, index),
                    None => return Ok((nodes, None)),
                }
            }
        };
        match next.as_hash() {
            Some(h) => {
                let l = *locs
                    .get(index)
                    .context("a stored trie node lacks a child's location")?;
                bytes = load(src, &h, l)?;
                let (r, ls) = unstored(&bytes)?;
                rlp = r.to_vec();
                locs = ls;
                nodes.push(Bytes::from(rlp.clone()));
            }
            None => {
                rlp = next.as_slice().to_vec();
                locs = Vec::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    #[derive(Default)]
    struct Mem(std::cell::RefCell<HashMap<(Loc, B256), Vec<u8>>>);

    impl NodeSource for Mem {
        fn node(&self, hash: &B256, loc: Loc) -> anyhow::Result<Option<Vec<u8>>> {
            Ok(self.0.borrow().get(&(loc, *hash)).cloned())
        }
    }

    fn full_root(map: &BTreeMap<B256, Vec<u8>>) -> B256 {
        let mut hb = alloy_trie::HashBuilder::default();
        for (k, v) in map {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        hb.root()
    }

    /// A deterministic xorshift stream.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn incremental_root_matches_hash_builder_and_proofs_verify() {
        let store = Mem::default();
        let mut trie = Trie::empty();
        let mut model = BTreeMap::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        // Few distinct keys so updates and deletions hit existing entries and collapse nodes.
        let keys: Vec<B256> = (0..300u64).map(|i| keccak256(i.to_be_bytes())).collect();
        for round in 0..60 {
            for _ in 0..(1 + rng(&mut seed) % 40) {
                let k = keys[(rng(&mut seed) % keys.len() as u64) as usize];
                if rng(&mut seed).is_multiple_of(3) {
                    let had = model.remove(&k).is_some();
                    assert_eq!(trie.remove(k.as_slice(), &store).unwrap(), had);
                } else {
                    let len = 1 + (rng(&mut seed) % 40) as usize;
                    let v = vec![(rng(&mut seed) % 255) as u8 + 1; len];
                    model.insert(k, v.clone());
                    trie.insert(k.as_slice(), v.clone(), v.len() as Loc, &store)
                        .unwrap();
                }
            }
            let seq = round + 1;
            let (root, loc, nodes) = trie.commit(seq);
            store
                .0
                .borrow_mut()
                .extend(nodes.into_iter().map(|(h, b)| ((seq, h), b)));
            assert_eq!(root, full_root(&model), "round {round}");
            // Every few rounds start over from the stored root, as after a restart.
            if round.is_multiple_of(7) {
                trie = Trie::at(root, loc);
            }
            for k in keys.iter().take(20) {
                let (p, v) = proof(&store, root, loc, k.as_slice()).unwrap();
                let expected = model.get(k).map(|v| (v.clone(), v.len() as Loc));
                assert_eq!(v, expected);
                let v = v.map(|(v, _)| v);
                alloy_trie::proof::verify_proof(root, Nibbles::unpack(k), v, &p).unwrap();
                assert_eq!(trie.get(k.as_slice(), &store).unwrap(), expected);
            }
        }
        // Delete everything: back to the empty root.
        for k in model.keys() {
            assert!(trie.remove(k.as_slice(), &store).unwrap());
        }
        assert_eq!(trie.commit(1000).0, EMPTY_ROOT_HASH);
    }
}
