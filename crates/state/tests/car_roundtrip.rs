//! CAR export and import: round trips, determinism, and refusing corrupt files atomically.

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::{CborStore, IPLD_RAW};
use fvm_ipld_hamt::Hamt;
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::blockstore::{CommitStore, EnumerableStore, HEAD_KEY, MemoryStore, RedbStore};
use tandem_state::car::{export_car, import_car, import_car_with_meta, read_car};
use tandem_state::links::reachable_from;

/// A DAG with a HAMT, a shared leaf and a raw block, plus one unrelated block.
fn build_dag(store: &impl Blockstore) -> Cid {
    let mut hamt: Hamt<_, u64, String> = Hamt::new_with_bit_width(store, 3);
    for i in 0..200u64 {
        hamt.set(format!("key-{i}"), i).unwrap();
    }
    let hamt_root = hamt.flush().unwrap();
    let raw = Cid::new_v1(IPLD_RAW, Code::Blake2b256.digest(b"raw payload"));
    store.put_keyed(&raw, b"raw payload").unwrap();
    let leaf = store.put_cbor(&"shared", Code::Blake2b256).unwrap();
    let side = store.put_cbor(&(leaf, raw), Code::Blake2b256).unwrap();
    store
        .put_cbor(&"not part of the dag", Code::Blake2b256)
        .unwrap();
    store
        .put_cbor(&(hamt_root, side, leaf), Code::Blake2b256)
        .unwrap()
}

fn export(store: &impl Blockstore, root: &Cid) -> Vec<u8> {
    let mut out = Vec::new();
    export_car(store, root, &mut out).unwrap();
    out
}

#[test]
fn round_trip_gives_the_same_root_and_blocks() {
    let source = MemoryStore::new();
    let root = build_dag(&source);
    let car = export(&source, &root);
    let expected = reachable_from(&source, &root).unwrap();
    assert!(expected.len() > 10);

    let dir = tempfile::tempdir().unwrap();
    let target = RedbStore::create(dir.path().join("s.redb")).unwrap();
    let roots = import_car(&target, car.as_slice()).unwrap();
    assert_eq!(roots, vec![root]);
    assert_eq!(reachable_from(&target, &root).unwrap(), expected);
    for cid in &expected {
        assert_eq!(target.get(cid).unwrap(), source.get(cid).unwrap());
    }
    // Only the DAG was exported, each block once.
    assert_eq!(target.stats().unwrap().blocks, expected.len() as u64);
    assert_eq!(
        read_car(car.as_slice()).unwrap().block_count(),
        expected.len()
    );

    // Re-exporting from the imported copy gives the same bytes: the order is deterministic.
    assert_eq!(export(&target, &root), car);
}

#[test]
fn import_can_set_the_head_in_the_same_commit() {
    let source = MemoryStore::new();
    let root = build_dag(&source);
    let car = export(&source, &root);
    let target = MemoryStore::new();
    import_car_with_meta(&target, car.as_slice(), |roots| {
        vec![(HEAD_KEY.to_string(), Some(roots[0].to_bytes()))]
    })
    .unwrap();
    assert_eq!(target.head().unwrap(), Some(root));
}

#[test]
fn corrupt_block_is_rejected_and_nothing_is_written() {
    let source = MemoryStore::new();
    let root = build_dag(&source);
    let mut car = export(&source, &root);
    // Flip a byte in the middle of the last block's data.
    let last = car.len() - 3;
    car[last] ^= 0x40;
    let target = MemoryStore::new();
    let err = import_car(&target, car.as_slice()).unwrap_err();
    assert!(format!("{err:#}").contains("incorrect CID"), "{err:#}");
    assert!(target.is_empty());
}

#[test]
fn every_truncation_is_rejected_and_nothing_is_written() {
    let source = MemoryStore::new();
    let root = source.put_cbor(&("small", 1u8), Code::Blake2b256).unwrap();
    let parent = source.put_cbor(&(root, 2u8), Code::Blake2b256).unwrap();
    let top = source.put_cbor(&(parent, root), Code::Blake2b256).unwrap();
    let car = export(&source, &top);
    let dir = tempfile::tempdir().unwrap();
    let target = RedbStore::create(dir.path().join("s.redb")).unwrap();
    for cut in 0..car.len() {
        let result = import_car_with_meta(&target, &car[..cut], |r| {
            vec![(HEAD_KEY.to_string(), Some(r[0].to_bytes()))]
        });
        assert!(
            result.is_err(),
            "a CAR cut at {cut} of {} bytes was accepted",
            car.len()
        );
        assert_eq!(
            target.stats().unwrap().blocks,
            0,
            "cut at {cut} wrote blocks"
        );
        assert_eq!(target.head().unwrap(), None);
    }
    import_car(&target, car.as_slice()).unwrap();
    assert_eq!(target.stats().unwrap().blocks, 3);
}

#[test]
fn every_single_byte_flip_is_rejected_or_harmless() {
    let source = MemoryStore::new();
    let root = build_dag(&source);
    let car = export(&source, &root);
    let expected = reachable_from(&source, &root).unwrap();
    let mut rejected = 0;
    for i in 0..car.len() {
        let mut bad = car.clone();
        bad[i] ^= 0x01;
        let target = MemoryStore::new();
        match import_car(&target, bad.as_slice()) {
            Err(_) => {
                rejected += 1;
                assert!(target.is_empty(), "flip at {i} wrote blocks");
            }
            // A flip in framing that still parses must not change what is imported.
            Ok(roots) => {
                assert_eq!(roots, vec![root], "flip at {i}");
                assert_eq!(reachable_from(&target, &root).unwrap(), expected);
            }
        }
    }
    assert!(
        rejected > car.len() * 9 / 10,
        "only {rejected} of {} flips rejected",
        car.len()
    );
}

#[test]
fn not_a_car_file() {
    let target = MemoryStore::new();
    assert!(import_car(&target, &b""[..]).is_err());
    assert!(import_car(&target, &b"hello, I am not a CAR file"[..]).is_err());
    assert!(target.is_empty());
}

#[test]
fn import_links_to_blocks_the_store_already_has() {
    // A CAR of only the new blocks on top of an existing state imports cleanly.
    let store = MemoryStore::new();
    let old = store.put_cbor(&"old state", Code::Blake2b256).unwrap();
    let source = MemoryStore::new();
    let new_root = source.put_cbor(&(old, "new"), Code::Blake2b256).unwrap();
    source.put_cbor(&"old state", Code::Blake2b256).unwrap();
    let car = export(&source, &new_root);
    import_car(&store, car.as_slice()).unwrap();
    assert!(store.has(&new_root).unwrap());
}
