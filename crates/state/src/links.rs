//! Finding the links (CIDs) inside a block, without decoding it into a tree.

use anyhow::{anyhow, bail};
use cid::Cid;
use fvm_ipld_encoding::{CBOR, DAG_CBOR, IPLD_RAW};

/// Calls `f` with every CID linked from a block of the given codec. Identity-hashed CIDs are
/// inlined data: their content is scanned instead. Malformed input is an error, never a panic.
pub fn scan_links(codec: u64, bytes: &[u8], mut f: impl FnMut(Cid)) -> anyhow::Result<()> {
    match codec {
        IPLD_RAW => Ok(()),
        DAG_CBOR | CBOR => {
            let mut pos = 0;
            scan_item(bytes, &mut pos, &mut f, 0)?;
            if pos != bytes.len() {
                bail!("trailing bytes after CBOR item");
            }
            Ok(())
        }
        other => bail!("cannot scan links in codec {other:#x}"),
    }
}

const MAX_NESTING: u32 = 256;

fn read_arg(bytes: &[u8], pos: &mut usize, info: u8) -> anyhow::Result<u64> {
    let take = |pos: &mut usize, n: usize| -> anyhow::Result<u64> {
        let end = pos.checked_add(n).ok_or_else(|| anyhow!("overflow"))?;
        let slice = bytes
            .get(*pos..end)
            .ok_or_else(|| anyhow!("truncated CBOR"))?;
        *pos = end;
        Ok(slice.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    };
    match info {
        0..=23 => Ok(u64::from(info)),
        24 => take(pos, 1),
        25 => take(pos, 2),
        26 => take(pos, 4),
        27 => take(pos, 8),
        31 => bail!("indefinite-length CBOR is not allowed"),
        _ => bail!("invalid CBOR additional info {info}"),
    }
}

fn scan_item(
    bytes: &[u8],
    pos: &mut usize,
    f: &mut impl FnMut(Cid),
    depth: u32,
) -> anyhow::Result<()> {
    if depth > MAX_NESTING {
        bail!("CBOR nested too deeply");
    }
    let head = *bytes.get(*pos).ok_or_else(|| anyhow!("truncated CBOR"))?;
    *pos += 1;
    let major = head >> 5;
    let info = head & 0x1f;
    let arg = read_arg(bytes, pos, info)?;
    match major {
        0 | 1 | 7 => Ok(()),
        2 | 3 => {
            let len = usize::try_from(arg)?;
            let end = pos.checked_add(len).ok_or_else(|| anyhow!("overflow"))?;
            if end > bytes.len() {
                bail!("truncated CBOR string");
            }
            *pos = end;
            Ok(())
        }
        4 => {
            for _ in 0..arg {
                scan_item(bytes, pos, f, depth + 1)?;
            }
            Ok(())
        }
        5 => {
            for _ in 0..arg {
                scan_item(bytes, pos, f, depth + 1)?;
                scan_item(bytes, pos, f, depth + 1)?;
            }
            Ok(())
        }
        6 if arg == 42 => {
            // A link: a byte string holding 0x00 followed by the binary CID.
            let head = *bytes.get(*pos).ok_or_else(|| anyhow!("truncated CID"))?;
            *pos += 1;
            if head >> 5 != 2 {
                bail!("tag 42 must wrap a byte string");
            }
            let len = usize::try_from(read_arg(bytes, pos, head & 0x1f)?)?;
            let end = pos.checked_add(len).ok_or_else(|| anyhow!("overflow"))?;
            let raw = bytes
                .get(*pos..end)
                .ok_or_else(|| anyhow!("truncated CID"))?;
            *pos = end;
            let (prefix, cid_bytes) = raw.split_first().ok_or_else(|| anyhow!("empty CID"))?;
            if *prefix != 0 {
                bail!("CID must start with the identity multibase prefix");
            }
            let cid = Cid::try_from(cid_bytes)?;
            if cid.hash().code() == 0 {
                // Identity hash: the data is inline; look for links inside it.
                return scan_links(cid.codec(), cid.hash().digest(), |c| f(c));
            }
            f(cid);
            Ok(())
        }
        6 => scan_item(bytes, pos, f, depth + 1),
        _ => bail!("invalid CBOR major type"),
    }
}
