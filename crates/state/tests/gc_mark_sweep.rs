//! Mark-and-sweep GC keeps what the roots reach and removes the rest.

use std::collections::HashSet;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::{CborStore, DAG_CBOR};
use fvm_ipld_hamt::Hamt;
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::blockstore::{EnumerableStore, MemoryStore, RedbStore};
use tandem_state::gc::{gc, plan_gc};
use tandem_state::links::reachable_from;

fn put(store: &impl Blockstore, value: &impl serde::Serialize) -> Cid {
    store.put_cbor(value, Code::Blake2b256).unwrap()
}

/// Two state roots sharing a HAMT prefix, and one orphan block.
fn two_states(store: &impl Blockstore) -> (Cid, Cid, Cid) {
    let mut hamt: Hamt<_, u64, u64> = Hamt::new_with_bit_width(store, 4);
    for k in 0..100 {
        hamt.set(k, k).unwrap();
    }
    let old = put(store, &(hamt.flush().unwrap(), "old"));
    for k in 0..10 {
        hamt.set(k, k + 1000).unwrap();
    }
    let new = put(store, &(hamt.flush().unwrap(), "new"));
    let orphan = put(store, &"orphan");
    (old, new, orphan)
}

fn keeps_reachable_removes_the_rest(store: &impl EnumerableStore) {
    let (old, new, orphan) = two_states(store);
    let keep = reachable_from(store, &new).unwrap();
    let old_only: HashSet<Cid> = reachable_from(store, &old)
        .unwrap()
        .difference(&keep)
        .copied()
        .collect();
    assert!(!old_only.is_empty());
    let before = store.stats().unwrap();

    // A dry run deletes nothing.
    let plan = plan_gc(store, &[new]).unwrap();
    assert_eq!(store.stats().unwrap(), before);
    assert!(plan.garbage.contains(&orphan));

    let report = gc(store, &[new]).unwrap();
    assert_eq!(report, plan.report);
    assert_eq!(report.kept_blocks, keep.len() as u64);
    assert_eq!(report.removed_blocks, before.blocks - keep.len() as u64);
    assert_eq!(report.kept_bytes + report.removed_bytes, before.bytes);
    assert_eq!(report.missing_blocks, 0);
    for cid in &keep {
        assert!(store.has(cid).unwrap(), "reachable block {cid} was removed");
    }
    for cid in old_only.iter().chain([&orphan]) {
        assert!(!store.has(cid).unwrap(), "unreachable block {cid} was kept");
    }
    // The kept state is intact and a second pass finds nothing to do.
    assert_eq!(reachable_from(store, &new).unwrap(), keep);
    assert_eq!(gc(store, &[new]).unwrap().removed_blocks, 0);
}

#[test]
fn gc_on_memory() {
    keeps_reachable_removes_the_rest(&MemoryStore::new());
}

#[test]
fn gc_on_redb_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let new;
    {
        let store = RedbStore::create(&path).unwrap();
        keeps_reachable_removes_the_rest(&store);
        new = two_states(&store).1;
        gc(&store, &[new]).unwrap();
    }
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(
        store.stats().unwrap().blocks,
        reachable_from(&store, &new).unwrap().len() as u64
    );
}

#[test]
fn gc_with_several_roots_keeps_all_of_them() {
    let store = MemoryStore::new();
    let (old, new, orphan) = two_states(&store);
    let report = gc(&store, &[old, new]).unwrap();
    assert_eq!(report.removed_blocks, 1);
    assert!(!store.has(&orphan).unwrap());
    reachable_from(&store, &old).unwrap();
    reachable_from(&store, &new).unwrap();
}

#[test]
fn gc_reports_missing_blocks_and_still_collects() {
    let store = MemoryStore::new();
    let ghost = Cid::new_v1(DAG_CBOR, Code::Blake2b256.digest(b"ghost"));
    let root = put(&store, &vec![ghost]);
    let orphan = put(&store, &"orphan");
    let report = gc(&store, &[root]).unwrap();
    assert_eq!(
        (
            report.kept_blocks,
            report.removed_blocks,
            report.missing_blocks
        ),
        (1, 1, 1)
    );
    assert!(!store.has(&orphan).unwrap());
}

#[test]
fn gc_with_no_roots_empties_the_store() {
    let store = MemoryStore::new();
    two_states(&store);
    gc(&store, &[]).unwrap();
    assert!(store.is_empty());
}
