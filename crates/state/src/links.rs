//! Finding the links in a block, and walking a DAG through them.
//!
//! [`scan_links`] reads DAG-CBOR item by item without building a value tree, so the VM can run
//! it on every block it opens or creates. It follows the reachability rules of FIP-0071:
//!
//! - DAG-CBOR (0x71) links are CBOR tag 42 over a byte string holding `0x00 ‖ CID bytes`.
//! - CBOR (0x51) and raw (0x55) blocks have no links.
//! - Identity-hash CIDs carry their block inline: their content is scanned (with the CID's
//!   codec) and they are never reported, since there is nothing to fetch.
//! - Filecoin piece/sector commitments (codecs 0xf101, 0xf102) name data outside the store,
//!   so they are not reported either.
//! - Indefinite lengths, tags other than 42, trailing bytes and truncated input are errors;
//!   non-canonical (but definite) encodings are accepted.
//!
//! The walkers ([`walk_dag`], [`reachable_from`], [`dag_size`]) visit blocks depth first, in
//! link order, each block once, so their output is deterministic.

use std::collections::HashSet;
use std::io::Cursor;

use anyhow::{Context, Result, anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::{CBOR, DAG_CBOR, IPLD_RAW};

/// The multihash code of the identity "hash" (the digest is the data itself).
pub const IDENTITY_HASH: u64 = 0x00;
/// Filecoin unsealed-sector/piece commitment codec: names data that is not in the store.
pub const FIL_COMMITMENT_UNSEALED: u64 = 0xf101;
/// Filecoin sealed-sector commitment codec: names data that is not in the store.
pub const FIL_COMMITMENT_SEALED: u64 = 0xf102;

/// The CBOR tag DAG-CBOR uses for CIDs.
const CID_TAG: u64 = 42;

/// Calls `f` with every CID a block links to, in the order they appear.
///
/// `codec` is the codec of the block's CID. Unknown codecs and malformed input are errors;
/// this never panics.
pub fn scan_links(codec: u64, bytes: &[u8], mut f: impl FnMut(Cid)) -> Result<()> {
    scan_with(codec, bytes, &mut f)
}

fn scan_with(codec: u64, bytes: &[u8], f: &mut dyn FnMut(Cid)) -> Result<()> {
    match codec {
        DAG_CBOR => scan_dag_cbor(bytes, f),
        CBOR | IPLD_RAW => Ok(()),
        other => {
            bail!("cannot scan links of codec {other:#x}: only DAG-CBOR, CBOR and raw are allowed")
        }
    }
}

/// Whether a link names a block that could be in a blockstore (not inline, not a commitment).
fn is_storable(cid: &Cid) -> bool {
    cid.hash().code() != IDENTITY_HASH
        && cid.codec() != FIL_COMMITMENT_UNSEALED
        && cid.codec() != FIL_COMMITMENT_SEALED
}

/// Reports one link: inline blocks are scanned in place, commitments are ignored.
fn report_link(cid: Cid, f: &mut dyn FnMut(Cid)) -> Result<()> {
    if cid.hash().code() == IDENTITY_HASH {
        // The digest is at most 64 bytes and each level of nesting consumes some of them,
        // so this recursion is shallow.
        return scan_with(cid.codec(), cid.hash().digest(), f)
            .with_context(|| format!("in the inline block of {cid}"));
    }
    if is_storable(&cid) {
        f(cid);
    }
    Ok(())
}

/// A forward-only reader over one CBOR item stream.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| anyhow!("truncated CBOR at byte {}", self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        let n = usize::try_from(n).map_err(|_| anyhow!("CBOR length {n} is too large"))?;
        if n > self.remaining() {
            bail!(
                "truncated CBOR: {n} bytes wanted at byte {}, {} left",
                self.pos,
                self.remaining()
            );
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Reads the argument that follows an initial byte with the given additional info.
    fn argument(&mut self, info: u8) -> Result<u64> {
        let width = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => bail!(
                "indefinite-length CBOR items are not allowed in DAG-CBOR (byte {})",
                self.pos - 1
            ),
            _ => bail!(
                "reserved CBOR additional info {info} at byte {}",
                self.pos - 1
            ),
        };
        let raw = self.take(width)?;
        Ok(raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
}

/// Scans a DAG-CBOR block without recursion: `pending` counts the items still to be read.
fn scan_dag_cbor(bytes: &[u8], f: &mut dyn FnMut(Cid)) -> Result<()> {
    let mut r = Reader { bytes, pos: 0 };
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let initial = r.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        match major {
            // Integers: the argument is the value.
            0 | 1 => {
                r.argument(info)?;
            }
            // Byte and text strings.
            2 | 3 => {
                let len = r.argument(info)?;
                r.take(len)?;
            }
            4 | 5 => {
                let len = r.argument(info)?;
                let items = if major == 5 {
                    len.checked_mul(2)
                        .ok_or_else(|| anyhow!("CBOR map length {len} overflows"))?
                } else {
                    len
                };
                pending = pending
                    .checked_add(items)
                    .ok_or_else(|| anyhow!("CBOR item count overflows"))?;
            }
            6 => {
                let tag = r.argument(info)?;
                if tag != CID_TAG {
                    bail!("CBOR tag {tag} is not allowed in DAG-CBOR (only 42, CIDs)");
                }
                report_link(read_cid(&mut r)?, f)?;
            }
            // Simple values and floats.
            _ => match info {
                0..=23 => {}
                24 => {
                    r.take(1)?;
                }
                25 => {
                    r.take(2)?;
                }
                26 => {
                    r.take(4)?;
                }
                27 => {
                    r.take(8)?;
                }
                31 => bail!("unexpected CBOR break (indefinite lengths are not allowed)"),
                _ => bail!("reserved CBOR simple value {info}"),
            },
        }
        // Every item needs at least one byte: more pending items than bytes left is malformed,
        // and checking it bounds the work on hostile input.
        if pending > r.remaining() as u64 {
            bail!(
                "CBOR declares {pending} more items but only {} bytes are left",
                r.remaining()
            );
        }
    }
    if r.remaining() != 0 {
        bail!("{} trailing bytes after the CBOR item", r.remaining());
    }
    Ok(())
}

/// Reads the byte string after tag 42 and decodes the CID inside it.
fn read_cid(r: &mut Reader<'_>) -> Result<Cid> {
    let initial = r.byte()?;
    if initial >> 5 != 2 {
        bail!("CBOR tag 42 must wrap a byte string");
    }
    let len = r.argument(initial & 0x1f)?;
    let raw = r.take(len)?;
    let (prefix, cid_bytes) = raw
        .split_first()
        .ok_or_else(|| anyhow!("empty CID in CBOR tag 42"))?;
    if *prefix != 0 {
        bail!("CID in CBOR tag 42 must start with the 0x00 multibase prefix");
    }
    let mut cursor = Cursor::new(cid_bytes);
    let cid = Cid::read_bytes(&mut cursor).context("invalid CID in CBOR tag 42")?;
    if cursor.position() != cid_bytes.len() as u64 {
        bail!("trailing bytes after the CID in CBOR tag 42");
    }
    Ok(cid)
}

/// What a walk does on meeting a link to a block that is not in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnMissing {
    Fail,
    Skip,
}

/// Depth-first walk from `roots` over the blocks in `store`; returns how many linked blocks
/// were missing (always 0 with [`OnMissing::Fail`]).
pub(crate) fn walk<BS: Blockstore + ?Sized>(
    store: &BS,
    roots: &[Cid],
    on_missing: OnMissing,
    visit: &mut dyn FnMut(&Cid, &[u8]) -> Result<()>,
) -> Result<u64> {
    let mut seen: HashSet<Cid> = HashSet::new();
    let mut missing = 0u64;
    let mut stack: Vec<Cid> = Vec::new();
    let mut links: Vec<Cid> = Vec::new();
    for root in roots {
        // An inline root has no block of its own; walk what it links to.
        if root.hash().code() == IDENTITY_HASH {
            report_link(*root, &mut |c| links.push(c))?;
            stack.extend(links.drain(..).rev());
        } else if is_storable(root) {
            stack.push(*root);
        }
        while let Some(cid) = stack.pop() {
            if !seen.insert(cid) {
                continue;
            }
            let Some(block) = store.get(&cid)? else {
                match on_missing {
                    OnMissing::Fail => {
                        bail!("block {cid} (reachable from {root}) is not in the store")
                    }
                    OnMissing::Skip => {
                        missing += 1;
                        continue;
                    }
                }
            };
            visit(&cid, &block)?;
            scan_links(cid.codec(), &block, |c| links.push(c))
                .with_context(|| format!("scanning block {cid}"))?;
            // Reversed so the first link is visited first.
            stack.extend(links.drain(..).rev().filter(|c| !seen.contains(c)));
        }
    }
    Ok(missing)
}

/// Visits every block reachable from `roots` once, depth first in link order. A missing
/// block is an error.
pub fn walk_dag<BS: Blockstore + ?Sized>(
    store: &BS,
    roots: &[Cid],
    mut visit: impl FnMut(&Cid, &[u8]) -> Result<()>,
) -> Result<()> {
    walk(store, roots, OnMissing::Fail, &mut visit).map(|_| ())
}

/// The CIDs of every block reachable from `root`, the root included (unless it is inline).
pub fn reachable_from<BS: Blockstore + ?Sized>(store: &BS, root: &Cid) -> Result<HashSet<Cid>> {
    let mut out = HashSet::new();
    walk_dag(store, std::slice::from_ref(root), |cid, _| {
        out.insert(*cid);
        Ok(())
    })?;
    Ok(out)
}

/// The size of a DAG: distinct blocks and their total bytes (CIDs not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DagSize {
    pub blocks: u64,
    pub bytes: u64,
}

/// Counts the blocks and bytes reachable from `root` (e.g. an actor's state size).
pub fn dag_size<BS: Blockstore + ?Sized>(store: &BS, root: &Cid) -> Result<DagSize> {
    let mut size = DagSize::default();
    walk_dag(store, std::slice::from_ref(root), |_, block| {
        size.blocks += 1;
        size.bytes += block.len() as u64;
        Ok(())
    })?;
    Ok(size)
}
