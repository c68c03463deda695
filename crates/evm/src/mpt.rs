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
use alloy_trie::nodes::{ExtensionNodeRef, LeafNodeRef, RlpNode, TrieNode};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles};
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

    /// Hashes what changed since the last commit; new nodes are stored at `seq`. Returns the
    /// new root, where it is stored, and the new nodes (every node of 32 bytes or more, plus
    /// the root whatever its size).
    pub fn commit(&mut self, seq: Loc) -> (B256, Loc, NewNodes) {
        let mut out = Vec::with_capacity(64);
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
///
/// Each node is encoded once, straight into the buffer that becomes its stored form (RLP,
/// then the child locations): no scratch vectors per node, and the branch's children are
/// kept on the stack.
fn commit(node: &mut Node, seq: Loc, out: &mut NewNodes, force: bool) -> (RlpNode, Loc) {
    let (bytes, locs, count, cache) = match node {
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
            let leaf = LeafNodeRef::new(key, value);
            let mut bytes = Vec::with_capacity(leaf.length() + LOCS_TAIL);
            leaf.encode(&mut bytes);
            (bytes, [*aux; 16], 1, rlp)
        }
        Node::Ext { key, child, rlp } => {
            if let Some(r) = rlp {
                return r.clone();
            }
            let (c, l) = commit(child, seq, out, false);
            let ext = ExtensionNodeRef::new(key, c.as_slice());
            let mut bytes = Vec::with_capacity(ext.length() + LOCS_TAIL);
            ext.encode(&mut bytes);
            (bytes, [l; 16], usize::from(c.is_hash()), rlp)
        }
        Node::Branch { children, rlp } => {
            if let Some(r) = rlp {
                return r.clone();
            }
            let mut refs: [RlpNode; 16] = Default::default();
            let mut locs = [0; 16];
            let mut count = 0;
            for (c, r) in children.iter_mut().zip(refs.iter_mut()) {
                if !matches!(c, Node::Empty) {
                    let (child, l) = commit(c, seq, out, false);
                    if child.is_hash() {
                        locs[count] = l;
                        count += 1;
                    }
                    *r = child;
                }
            }
            (encode_branch(&refs), locs, count, rlp)
        }
    };
    let r = finish_node(bytes, &locs[..count], out, force);
    *cache = Some((r.clone(), seq));
    (r, seq)
}

/// Room for a stored form's tail past the RLP: up to 16 child locations and their count.
const LOCS_TAIL: usize = 16 * 8 + 1;

/// The RLP of a branch node (no value: keys are fixed-length) whose children are `refs`
/// (an empty reference for an absent child), with room for [`LOCS_TAIL`] after it.
fn encode_branch(refs: &[RlpNode; 16]) -> Vec<u8> {
    // Each absent child is one byte (the empty string), and so is the absent value.
    let payload = 1 + refs.iter().map(|r| r.len().max(1)).sum::<usize>();
    let header = alloy_rlp::Header {
        list: true,
        payload_length: payload,
    };
    let mut bytes = Vec::with_capacity(header.length() + payload + LOCS_TAIL);
    header.encode(&mut bytes);
    for r in refs {
        if r.is_empty() {
            bytes.push(EMPTY_STRING_CODE);
        } else {
            bytes.extend_from_slice(r);
        }
    }
    bytes.push(EMPTY_STRING_CODE);
    bytes
}

/// How a parent refers to the node whose RLP is `bytes`: by hash when it is 32 bytes or more
/// (or `force`), the RLP itself otherwise. A hashed node's stored form ([`stored`], built in
/// place from `bytes`) goes to `out`.
fn finish_node(mut bytes: Vec<u8>, locs: &[Loc], out: &mut NewNodes, force: bool) -> RlpNode {
    if bytes.len() < 32 && !force {
        return RlpNode::from_rlp(&bytes);
    }
    let h = keccak256(&bytes);
    for l in locs {
        bytes.extend_from_slice(&l.to_be_bytes());
    }
    bytes.push(locs.len() as u8);
    out.push((h, bytes));
    RlpNode::word_rlp(&h)
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

    /// Every new node is stored as its RLP (whose keccak is its key) followed by the locations
    /// of its hashed children, each naming a commit that stored that child (a leaf: its
    /// auxiliary location), and the store's nodes decode back to the same trie.
    #[test]
    fn new_nodes_are_stored_as_rlp_then_child_locations() {
        let mut store: HashMap<(Loc, B256), Vec<u8>> = HashMap::new();
        let mut trie = Trie::empty();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for seq in 1..=12u64 {
            for i in 0..(5 + seq * 7) {
                let k = keccak256((rng(&mut seed) % 400).to_be_bytes());
                // Short values keep some leaves under 32 bytes, embedded in their parents.
                let v = vec![1 + (i % 200) as u8; 1 + (rng(&mut seed) % 3) as usize];
                trie.insert(k.as_slice(), v, seq * 1000 + i, &Mem::default())
                    .unwrap();
            }
            let (root, loc, nodes) = trie.commit(seq);
            assert_eq!(loc, seq);
            for (hash, bytes) in &nodes {
                let (rlp, locs) = unstored(bytes).unwrap();
                assert_eq!(keccak256(rlp), *hash);
                let node = TrieNode::decode(&mut &rlp[..]).unwrap();
                let children: Vec<B256> = match &node {
                    TrieNode::Branch(b) => b
                        .as_ref()
                        .children()
                        .filter_map(|(_, c)| c.and_then(RlpNode::as_hash))
                        .collect(),
                    TrieNode::Extension(e) => e.child.as_hash().into_iter().collect(),
                    TrieNode::Leaf(_) => {
                        assert_eq!(locs.len(), 1, "a leaf keeps its auxiliary location");
                        assert!(locs[0] >= 1000, "the leaf's own aux, not a child's");
                        continue;
                    }
                    TrieNode::EmptyRoot => panic!("an empty node stored"),
                };
                assert_eq!(locs.len(), children.len());
                for (child, l) in children.iter().zip(&locs) {
                    let found = store.contains_key(&(*l, *child))
                        || (*l == seq && nodes.iter().any(|(h, _)| h == child));
                    assert!(found, "child {child} not stored at {l}");
                }
            }
            store.extend(nodes.into_iter().map(|(h, b)| ((seq, h), b)));
            // Reopened from the store, the trie has the same root.
            let mem = Mem(std::cell::RefCell::new(store.clone()));
            let mut reopened = Trie::at(root, loc);
            reopened
                .insert(keccak256(b"x").as_slice(), vec![9; 40], 0, &mem)
                .unwrap();
            reopened.remove(keccak256(b"x").as_slice(), &mem).unwrap();
            assert_eq!(reopened.commit(seq + 100).0, root);
        }
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
