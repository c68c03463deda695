//! The CID of a receipt's events AMT, computed without building the tree.
//!
//! A receipt names its events by the root of an AMT (v3, bit width 5, values at indices
//! 0..n). The tree is never read back through that CID (the node indexes the events
//! themselves) and none of its blocks is reachable from the state, so only the CID is needed.
//! The blocks are encoded here directly, byte for byte what `fvm_ipld_amt` writes (the tests
//! compare every shape with the library), and hashed without being stored: building the tree
//! with the library cloned every event and wrote every node to a store only for a flush to
//! drop them.

use cid::Cid;
use fvm_shared::event::StampedEvent;
use multihash_codetable::{Code, MultihashDigest};

/// Bit width of the events AMT in receipts.
pub(crate) const EVENTS_AMT_BITWIDTH: u32 = 5;
const WIDTH: usize = 1 << EVENTS_AMT_BITWIDTH;

/// The AMT root of a message's events, or `None` when there are none.
pub fn events_root_of(events: &[StampedEvent]) -> anyhow::Result<Option<Cid>> {
    if events.is_empty() {
        return Ok(None);
    }
    Ok(Some(cid_of(&root_block(events))))
}

/// The root block: `[bit width, height, count, node]`, the top node inline.
fn root_block(events: &[StampedEvent]) -> Vec<u8> {
    let mut height = 0u32;
    let mut capacity = WIDTH;
    while capacity < events.len() {
        height += 1;
        capacity = capacity.saturating_mul(WIDTH);
    }
    let mut out = Vec::with_capacity(encoded_size(events) + 64);
    cbor_head(&mut out, 4, 4);
    cbor_head(&mut out, 0, u64::from(EVENTS_AMT_BITWIDTH));
    cbor_head(&mut out, 0, u64::from(height));
    cbor_head(&mut out, 0, events.len() as u64);
    write_node(&mut out, events, height);
    out
}

/// A node `[bitmap bytes, links, values]` over `events` (dense from index 0 of its range).
/// A leaf (height 0) holds the values; an inner node links a child block per full or partial
/// run of `WIDTH^height` events.
fn write_node(out: &mut Vec<u8>, events: &[StampedEvent], height: u32) {
    let per_child = WIDTH.pow(height);
    let slots = events.len().div_ceil(per_child);
    // One bit per occupied slot, little-endian bit order within the bytes.
    let mut bitmap = [0u8; WIDTH / 8];
    for i in 0..slots {
        bitmap[i / 8] |= 1 << (i % 8);
    }
    cbor_head(out, 4, 3);
    cbor_head(out, 2, bitmap.len() as u64);
    out.extend_from_slice(&bitmap);
    if height == 0 {
        cbor_head(out, 4, 0);
        cbor_head(out, 4, events.len() as u64);
        for e in events {
            write_event(out, e);
        }
        return;
    }
    cbor_head(out, 4, slots as u64);
    let mut child = Vec::new();
    for chunk in events.chunks(per_child) {
        child.clear();
        write_node(&mut child, chunk, height - 1);
        write_cid(out, &cid_of(&child));
    }
    cbor_head(out, 4, 0);
}

/// `StampedEvent` is `[emitter, entries]`; `ActorEvent` is transparent over its entries, each
/// `[flags, key, codec, value]`.
fn write_event(out: &mut Vec<u8>, e: &StampedEvent) {
    cbor_head(out, 4, 2);
    cbor_head(out, 0, e.emitter);
    cbor_head(out, 4, e.event.entries.len() as u64);
    for entry in &e.event.entries {
        cbor_head(out, 4, 4);
        cbor_head(out, 0, entry.flags.bits());
        cbor_head(out, 3, entry.key.len() as u64);
        out.extend_from_slice(entry.key.as_bytes());
        cbor_head(out, 0, entry.codec);
        cbor_head(out, 2, entry.value.len() as u64);
        out.extend_from_slice(&entry.value);
    }
}

fn encoded_size(events: &[StampedEvent]) -> usize {
    events
        .iter()
        .map(|e| {
            12 + e
                .event
                .entries
                .iter()
                .map(|x| 24 + x.key.len() + x.value.len())
                .sum::<usize>()
        })
        .sum()
}

fn cid_of(block: &[u8]) -> Cid {
    Cid::new_v1(fvm_ipld_encoding::DAG_CBOR, Code::Blake2b256.digest(block))
}

/// A link in DAG-CBOR: tag 42 over the CID's bytes behind a zero (identity multibase) byte.
fn write_cid(out: &mut Vec<u8>, cid: &Cid) {
    let bytes = cid.to_bytes();
    cbor_head(out, 6, 42);
    cbor_head(out, 2, bytes.len() as u64 + 1);
    out.push(0);
    out.extend_from_slice(&bytes);
}

/// A CBOR item head in its shortest form (as DAG-CBOR requires).
fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u64::from(u8::MAX) {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= u64::from(u16::MAX) {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u64::from(u32::MAX) {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fvm_ipld_amt::Amt;
    use fvm_ipld_blockstore::{Blockstore, MemoryBlockstore};
    use fvm_shared::event::{ActorEvent, Entry, Flags};

    fn event(emitter: u64, entries: usize, seed: usize) -> StampedEvent {
        let entries = (0..entries)
            .map(|j| Entry {
                flags: Flags::from_bits_retain(((seed + j) % 4) as u64),
                key: "k".repeat((seed * 7 + j * 13) % 40),
                codec: [0x55, 0x71, 0, 1 << 20, u64::MAX][(seed + j) % 5],
                value: vec![(seed + j) as u8; (seed * 31 + j * 101) % 300],
            })
            .collect::<Vec<_>>();
        StampedEvent {
            emitter,
            event: ActorEvent::from(entries),
        }
    }

    fn library_root(events: &[StampedEvent]) -> (Cid, Vec<u8>) {
        let store = MemoryBlockstore::new();
        let mut amt = Amt::new_with_bit_width(&store, EVENTS_AMT_BITWIDTH);
        for (i, e) in events.iter().enumerate() {
            amt.set(i as u64, e.clone()).unwrap();
        }
        let cid = amt.flush().unwrap();
        let bytes = store.get(&cid).unwrap().unwrap();
        (cid, bytes)
    }

    const EMITTERS: [u64; 9] = [0, 1, 23, 24, 255, 256, 65_535, 65_536, u32::MAX as u64 + 1];

    #[test]
    fn one_leaf_matches_the_library_byte_for_byte() {
        for n in 1..=WIDTH {
            for entries in [0usize, 1, 4, 30] {
                let events: Vec<_> = (0..n)
                    .map(|i| event(EMITTERS[(i + n) % EMITTERS.len()], entries, i * 3 + n))
                    .collect();
                let (cid, bytes) = library_root(&events);
                assert_eq!(
                    root_block(&events),
                    bytes,
                    "{n} events of {entries} entries"
                );
                assert_eq!(events_root_of(&events).unwrap(), Some(cid));
            }
        }
        assert_eq!(events_root_of(&[]).unwrap(), None);
    }

    #[test]
    fn deeper_trees_match_the_library() {
        // Heights 1 and 2, full and partial children, and the boundaries between heights.
        for n in [
            33usize,
            63,
            64,
            65,
            100,
            1023,
            1024,
            1025,
            1500,
            32 * 32 * 2 + 7,
        ] {
            let events: Vec<_> = (0..n)
                .map(|i| event(EMITTERS[i % EMITTERS.len()], i % 3, i))
                .collect();
            let (cid, bytes) = library_root(&events);
            assert_eq!(root_block(&events), bytes, "{n} events: root block");
            assert_eq!(events_root_of(&events).unwrap(), Some(cid), "{n} events");
        }
    }
}
