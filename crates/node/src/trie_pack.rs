//! One meta entry for all the Ethereum trie nodes a block wrote.
//!
//! A block of one ERC-20 transfer writes about a dozen trie nodes; stored one meta entry each
//! (`eth.n.<seq>.<hash>`) they were 60 % of the block's entries in redb, each its own B-tree
//! insert, pending-index entry and key string. The nodes a commit writes at `seq` now go into
//! one value under `eth.p.<seq>` (a pack) when that key is still free and the pack is small;
//! otherwise (a second write at the same `seq`: a dev edit after a block, a block number
//! reused after `evm_revert`; a full build; a huge block) they keep their own keys. A pack is
//! never rewritten while the node runs, so nothing written under a `seq` is ever lost, as
//! before; a lookup tries the pack first, then the node's own key.
//!
//! Format: a version byte (1), then each node as its hash (32 bytes), its length (4 bytes,
//! big-endian) and its stored form (`tandem_evm::mpt::stored`), in the order written.

use alloy_primitives::B256;
use anyhow::{Context, bail};
use tandem_evm::mpt::Loc;

const VERSION: u8 = 1;

/// Packs hold at most this many bytes of nodes; a larger commit keeps one key per node, so a
/// lookup never scans a large value.
pub const MAX_PACK_BYTES: usize = 256 << 10;

pub fn pack_key(seq: Loc) -> String {
    format!("eth.p.{seq:016x}")
}

/// The `seq` of a pack key.
pub fn pack_seq(key: &str) -> anyhow::Result<Loc> {
    let hex = key
        .strip_prefix(PACK_PREFIX)
        .with_context(|| format!("{key:?} is not a trie pack key"))?;
    Loc::from_str_radix(hex, 16).with_context(|| format!("bad trie pack key {key:?}"))
}

/// Prefix of every pack key.
pub const PACK_PREFIX: &str = "eth.p.";

/// Whether nodes of this total size go into a pack.
pub fn fits(nodes: &[(B256, Vec<u8>)]) -> bool {
    nodes.iter().map(|(_, n)| 36 + n.len()).sum::<usize>() <= MAX_PACK_BYTES
}

/// The pack of `nodes`.
pub fn encode<'a>(nodes: impl IntoIterator<Item = (&'a B256, &'a [u8])>) -> Vec<u8> {
    let mut out = vec![VERSION];
    for (hash, node) in nodes {
        out.extend_from_slice(hash.as_slice());
        out.extend_from_slice(&(node.len() as u32).to_be_bytes());
        out.extend_from_slice(node);
    }
    out
}

/// Every node of a pack, in order.
pub fn decode(pack: &[u8]) -> anyhow::Result<Vec<(B256, &[u8])>> {
    let mut nodes = Vec::new();
    let mut rest = body(pack)?;
    while !rest.is_empty() {
        let (hash, node, tail) = next(rest)?;
        nodes.push((hash, node));
        rest = tail;
    }
    Ok(nodes)
}

/// The stored node with this hash, if the pack holds it.
pub fn find<'p>(pack: &'p [u8], hash: &B256) -> anyhow::Result<Option<&'p [u8]>> {
    let mut rest = body(pack)?;
    while !rest.is_empty() {
        let (h, node, tail) = next(rest)?;
        if h == *hash {
            return Ok(Some(node));
        }
        rest = tail;
    }
    Ok(None)
}

fn body(pack: &[u8]) -> anyhow::Result<&[u8]> {
    match pack.split_first() {
        Some((&VERSION, rest)) => Ok(rest),
        Some((v, _)) => bail!("trie pack of unknown version {v}"),
        None => bail!("empty trie pack"),
    }
}

fn next(rest: &[u8]) -> anyhow::Result<(B256, &[u8], &[u8])> {
    let (head, rest) = rest
        .split_at_checked(36)
        .context("truncated trie pack entry")?;
    let len = u32::from_be_bytes(head[32..].try_into()?) as usize;
    let (node, rest) = rest
        .split_at_checked(len)
        .context("truncated trie pack node")?;
    Ok((B256::from_slice(&head[..32]), node, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips_and_finds_each_node() {
        let nodes: Vec<(B256, Vec<u8>)> = (0u8..40)
            .map(|i| (B256::repeat_byte(i), vec![i; i as usize * 3]))
            .collect();
        let pack = encode(nodes.iter().map(|(h, n)| (h, n.as_slice())));
        let decoded = decode(&pack).unwrap();
        assert_eq!(decoded.len(), nodes.len());
        for ((h, n), (dh, dn)) in nodes.iter().zip(&decoded) {
            assert_eq!((h, n.as_slice()), (dh, *dn));
            assert_eq!(find(&pack, h).unwrap(), Some(n.as_slice()));
        }
        assert_eq!(find(&pack, &B256::repeat_byte(0xee)).unwrap(), None);
        assert_eq!(pack_seq(&pack_key(0x1234)).unwrap(), 0x1234);
    }

    #[test]
    fn damaged_packs_are_errors() {
        let pack = encode([(&B256::ZERO, &[1u8, 2, 3][..])]);
        assert!(find(&pack[..pack.len() - 1], &B256::repeat_byte(1)).is_err());
        assert!(decode(&[]).is_err());
        assert!(decode(&[9]).is_err());
        assert!(pack_seq("eth.n.00").is_err());
    }
}
