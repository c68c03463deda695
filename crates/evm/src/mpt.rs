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

/// Where stored nodes are read from.
pub trait NodeSource {
    /// The RLP of the node with this hash, if stored.
    fn node(&self, hash: &B256) -> anyhow::Result<Option<Vec<u8>>>;
}

/// New nodes a commit produced: `(keccak256(rlp), rlp)`.
pub type NewNodes = Vec<(B256, Vec<u8>)>;

enum Node {
    Empty,
    /// A stored node not loaded yet.
    Hash(B256),
    Leaf {
        key: Nibbles,
        value: Vec<u8>,
        rlp: Option<RlpNode>,
    },
    Ext {
        key: Nibbles,
        child: Box<Node>,
        rlp: Option<RlpNode>,
    },
    Branch {
        children: Box<[Node; 16]>,
        rlp: Option<RlpNode>,
    },
}

fn empty_children() -> Box<[Node; 16]> {
    Box::new(std::array::from_fn(|_| Node::Empty))
}

fn take(node: &mut Node) -> Node {
    std::mem::replace(node, Node::Empty)
}

/// A node from its RLP; `rlp` is how its parent refers to it (kept as the clean cache).
fn decode(bytes: &[u8], rlp: RlpNode) -> anyhow::Result<Node> {
    let node = TrieNode::decode(&mut &bytes[..]).map_err(|e| anyhow!("bad trie node: {e}"))?;
    Ok(match node {
        TrieNode::EmptyRoot => Node::Empty,
        TrieNode::Leaf(l) => Node::Leaf {
            key: l.key,
            value: l.value,
            rlp: Some(rlp),
        },
        TrieNode::Extension(e) => Node::Ext {
            key: e.key,
            child: Box::new(child_of(&e.child)?),
            rlp: Some(rlp),
        },
        TrieNode::Branch(b) => {
            let mut children = empty_children();
            for (i, c) in b.as_ref().children() {
                if let Some(c) = c {
                    children[i as usize] = child_of(c)?;
                }
            }
            Node::Branch {
                children,
                rlp: Some(rlp),
            }
        }
    })
}

/// A child reference: a hash to load later, or a small node embedded in its parent.
fn child_of(r: &RlpNode) -> anyhow::Result<Node> {
    match r.as_hash() {
        Some(h) => Ok(Node::Hash(h)),
        None => decode(r.as_slice(), r.clone()),
    }
}

/// A trie rooted at a stored root hash, with the nodes it touched in memory.
pub struct Trie {
    root: Node,
    /// The root hash of the last commit (or of the stored root it was opened at).
    hash: B256,
    /// Nodes loaded from the store since the last trim.
    loaded: usize,
}

/// Above this many loaded nodes a commit drops the in-memory nodes (they are all stored).
const MAX_LOADED: usize = 1 << 18;

impl Trie {
    /// The trie whose root hash is `root` (its nodes must be in the store, or it is empty).
    pub fn at(root: B256) -> Self {
        Self {
            root: if root == EMPTY_ROOT_HASH {
                Node::Empty
            } else {
                Node::Hash(root)
            },
            hash: root,
            loaded: 0,
        }
    }

    pub fn empty() -> Self {
        Self::at(EMPTY_ROOT_HASH)
    }

    /// The root hash as of the last commit.
    pub fn root(&self) -> B256 {
        self.hash
    }

    fn resolve(node: &mut Node, src: &dyn NodeSource, loaded: &mut usize) -> anyhow::Result<()> {
        if let Node::Hash(h) = node {
            let h = *h;
            let bytes = src
                .node(&h)?
                .with_context(|| format!("trie node {h} is missing from the store"))?;
            *node = decode(&bytes, RlpNode::word_rlp(&h))?;
            *loaded += 1;
        }
        Ok(())
    }

    /// The value under `key`.
    pub fn get(&mut self, key: &[u8], src: &dyn NodeSource) -> anyhow::Result<Option<Vec<u8>>> {
        let mut path = Nibbles::unpack(key);
        let mut node = &mut self.root;
        loop {
            Self::resolve(node, src, &mut self.loaded)?;
            match node {
                Node::Empty | Node::Hash(_) => return Ok(None),
                Node::Leaf { key, value, .. } => {
                    return Ok((*key == path).then(|| value.clone()));
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
        src: &dyn NodeSource,
    ) -> anyhow::Result<()> {
        if value.is_empty() {
            bail!("an empty value cannot be stored in the trie");
        }
        insert(
            &mut self.root,
            Nibbles::unpack(key),
            value,
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
    pub fn commit(&mut self) -> (B256, NewNodes) {
        let mut out = Vec::new();
        let hash = match &self.root {
            Node::Empty => EMPTY_ROOT_HASH,
            Node::Hash(h) => *h,
            _ => {
                let r = commit(&mut self.root, &mut out);
                match r.as_hash() {
                    Some(h) => h,
                    None => {
                        let h = keccak256(r.as_slice());
                        out.push((h, r.as_slice().to_vec()));
                        h
                    }
                }
            }
        };
        self.hash = hash;
        if self.loaded > MAX_LOADED {
            *self = Self::at(hash);
        }
        (hash, out)
    }
}

fn leaf(key: Nibbles, value: Vec<u8>) -> Node {
    Node::Leaf {
        key,
        value,
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
    value: Vec<u8>,
    src: &dyn NodeSource,
    loaded: &mut usize,
) -> anyhow::Result<()> {
    Trie::resolve(node, src, loaded)?;
    match node {
        Node::Empty => *node = leaf(path, value),
        Node::Hash(_) => unreachable!("resolved above"),
        Node::Leaf {
            key,
            value: old,
            rlp,
        } => {
            if *key == path {
                *old = value;
                *rlp = None;
                return Ok(());
            }
            let common = key.common_prefix_length(&path);
            if common >= key.len() || common >= path.len() {
                bail!("trie keys of different lengths");
            }
            let mut children = empty_children();
            children[key.get_unchecked(common) as usize] =
                leaf(key.slice(common + 1..), std::mem::take(old));
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
        Node::Leaf { key, value, .. } => leaf(prefix.join(&key), value),
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
        Node::Empty | Node::Hash(_) => Ok(false),
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

/// The reference to `node` after hashing whatever in it changed; nodes of 32 bytes or more
/// go to `out`.
fn commit(node: &mut Node, out: &mut NewNodes) -> RlpNode {
    let mut buf = Vec::new();
    let cache = match node {
        Node::Empty => return RlpNode::from_rlp(&[EMPTY_STRING_CODE]),
        Node::Hash(h) => return RlpNode::word_rlp(h),
        Node::Leaf { key, value, rlp } => {
            if let Some(r) = rlp {
                return r.clone();
            }
            LeafNodeRef::new(key, value).encode(&mut buf);
            rlp
        }
        Node::Ext { key, child, rlp } => {
            if let Some(r) = rlp {
                return r.clone();
            }
            let c = commit(child, out);
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
                    stack.push(commit(c, out));
                    mask.set_bit(i as u8);
                }
            }
            BranchNodeRef::new(&stack, mask).encode(&mut buf);
            rlp
        }
    };
    let r = if buf.len() >= 32 {
        let h = keccak256(&buf);
        out.push((h, buf));
        RlpNode::word_rlp(&h)
    } else {
        RlpNode::from_rlp(&buf)
    };
    *cache = Some(r.clone());
    r
}

/// The proof of `key` in the stored trie with root `root`: the stored nodes from the root
/// along the key's path (embedded nodes stay inside their parents, as Ethereum clients give
/// them), and the value if the key is present.
pub fn proof(
    src: &dyn NodeSource,
    root: B256,
    key: &[u8],
) -> anyhow::Result<(Vec<Bytes>, Option<Vec<u8>>)> {
    let mut nodes = Vec::new();
    if root == EMPTY_ROOT_HASH {
        return Ok((nodes, None));
    }
    let fetch = |h: &B256| -> anyhow::Result<Vec<u8>> {
        src.node(h)?
            .with_context(|| format!("trie node {h} is missing from the store"))
    };
    let mut path = Nibbles::unpack(key);
    let mut bytes = fetch(&root)?;
    nodes.push(Bytes::from(bytes.clone()));
    loop {
        let node = TrieNode::decode(&mut &bytes[..]).map_err(|e| anyhow!("bad trie node: {e}"))?;
        let next = match node {
            TrieNode::EmptyRoot => return Ok((nodes, None)),
            TrieNode::Leaf(l) => return Ok((nodes, (l.key == path).then_some(l.value))),
            TrieNode::Extension(e) => {
                if !path.starts_with(&e.key) {
                    return Ok((nodes, None));
                }
                path = path.slice(e.key.len()..);
                e.child
            }
            TrieNode::Branch(b) => {
                let Some(n) = path.first() else {
                    return Ok((nodes, None));
                };
                path = path.slice(1..);
                let child = b
                    .as_ref()
                    .children()
                    .find(|(i, _)| *i == n)
                    .and_then(|(_, c)| c.cloned());
                match child {
                    Some(c) => c,
                    None => return Ok((nodes, None)),
                }
            }
        };
        match next.as_hash() {
            Some(h) => {
                bytes = fetch(&h)?;
                nodes.push(Bytes::from(bytes.clone()));
            }
            None => bytes = next.as_slice().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    #[derive(Default)]
    struct Mem(std::cell::RefCell<HashMap<B256, Vec<u8>>>);

    impl NodeSource for Mem {
        fn node(&self, hash: &B256) -> anyhow::Result<Option<Vec<u8>>> {
            Ok(self.0.borrow().get(hash).cloned())
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
                if rng(&mut seed) % 3 == 0 {
                    let had = model.remove(&k).is_some();
                    assert_eq!(trie.remove(k.as_slice(), &store).unwrap(), had);
                } else {
                    let len = 1 + (rng(&mut seed) % 40) as usize;
                    let v = vec![(rng(&mut seed) % 255) as u8 + 1; len];
                    model.insert(k, v.clone());
                    trie.insert(k.as_slice(), v, &store).unwrap();
                }
            }
            let (root, nodes) = trie.commit();
            store.0.borrow_mut().extend(nodes);
            assert_eq!(root, full_root(&model), "round {round}");
            // Every few rounds start over from the stored root, as after a restart.
            if round % 7 == 0 {
                trie = Trie::at(root);
            }
            for k in keys.iter().take(20) {
                let (p, v) = proof(&store, root, k.as_slice()).unwrap();
                assert_eq!(v.as_ref(), model.get(k));
                alloy_trie::proof::verify_proof(root, Nibbles::unpack(k), v, &p).unwrap();
                assert_eq!(
                    trie.get(k.as_slice(), &store).unwrap().as_ref(),
                    model.get(k)
                );
            }
        }
        // Delete everything: back to the empty root.
        for k in model.keys() {
            assert!(trie.remove(k.as_slice(), &store).unwrap());
        }
        assert_eq!(trie.commit().0, EMPTY_ROOT_HASH);
    }
}
