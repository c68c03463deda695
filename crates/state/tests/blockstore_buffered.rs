//! The write buffer: reads through it, and flushes of only the blocks the root reaches.

use cid::Cid;
use fvm_ipld_blockstore::{Blockstore, Buffered};
use fvm_ipld_encoding::CborStore;
use fvm_ipld_hamt::Hamt;
use multihash_codetable::Code;
use tandem_state::blockstore::{
    BufferedStore, CommitStore, EnumerableStore, HEAD_KEY, MemoryStore, RedbStore,
};

fn put<S: Blockstore>(store: &S, value: &impl serde::Serialize) -> Cid {
    store.put_cbor(value, Code::Blake2b256).unwrap()
}

fn flushes_only_reachable(base: impl CommitStore + EnumerableStore) {
    let buffered = BufferedStore::new(&base);
    let leaf = put(&buffered, &"reachable leaf");
    let root = put(&buffered, &(leaf, 1u8));
    let unreachable = put(&buffered, &"temporary, never linked");

    // Reads see the buffer; the base sees nothing yet.
    assert!(buffered.has(&unreachable).unwrap());
    assert_eq!(
        buffered.get_cbor::<(Cid, u8)>(&root).unwrap(),
        Some((leaf, 1))
    );
    assert!(!base.has(&root).unwrap());

    let report = buffered
        .commit_reachable(&root, vec![(HEAD_KEY.into(), Some(root.to_bytes()))])
        .unwrap();
    assert_eq!((report.blocks_written, report.blocks_dropped), (2, 1));
    assert!(base.has(&root).unwrap());
    assert!(base.has(&leaf).unwrap());
    assert!(
        !base.has(&unreachable).unwrap(),
        "unreachable blocks are dropped"
    );
    assert_eq!(
        base.head().unwrap(),
        Some(root),
        "meta lands with the blocks"
    );
    assert_eq!(buffered.buffered_blocks(), 0);
    assert_eq!(base.stats().unwrap().blocks, 2);
}

#[test]
fn memory_base_gets_only_reachable_blocks() {
    flushes_only_reachable(MemoryStore::new());
}

#[test]
fn redb_base_gets_only_reachable_blocks() {
    let dir = tempfile::tempdir().unwrap();
    flushes_only_reachable(RedbStore::create(dir.path().join("s.redb")).unwrap());
}

#[test]
fn walk_stops_at_blocks_already_in_the_base() {
    let base = MemoryStore::new();
    let old_leaf = put(&base, &"persisted earlier");
    let old_mid = put(&base, &vec![old_leaf]);
    let buffered = BufferedStore::new(base.clone());
    let new_root = put(&buffered, &(old_mid, "new"));
    // Re-putting a base block into the buffer is harmless but the walk must not need it.
    let batch = buffered.take_reachable(&new_root).unwrap();
    assert_eq!(batch.blocks.len(), 1);
    assert_eq!(batch.blocks[0].0, new_root);
}

#[test]
fn a_dangling_link_fails_the_flush_and_keeps_the_buffer() {
    let base = MemoryStore::new();
    let buffered = BufferedStore::new(base.clone());
    let ghost = Cid::new_v1(
        0x71,
        multihash_codetable::MultihashDigest::digest(&Code::Blake2b256, b"ghost"),
    );
    let root = put(&buffered, &vec![ghost]);
    let err = buffered.commit_reachable(&root, vec![]).unwrap_err();
    assert!(
        format!("{err:#}").contains("neither buffered nor stored"),
        "{err:#}"
    );
    assert!(base.is_empty());
    assert!(buffered.has(&root).unwrap(), "buffer left as it was");
}

/// Links to blocks a commit wrote or checked are not read again, and a dangling link beside
/// them still fails the commit (on redb, whose check reads all links in one transaction).
#[test]
fn links_to_known_blocks_skip_the_check_and_dangling_ones_still_fail() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::sync::Arc::new(RedbStore::create(dir.path().join("s.redb")).unwrap());
    let stored = put(&*base, &"stored before the buffer existed");
    let buffered = BufferedStore::new(base.clone());
    let first = put(&buffered, &(stored, "first"));
    buffered.commit_reachable(&first, vec![]).unwrap();
    let ghost = Cid::new_v1(
        0x71,
        multihash_codetable::MultihashDigest::digest(&Code::Blake2b256, b"ghost"),
    );
    let bad = put(&buffered, &(first, stored, ghost));
    let err = buffered.commit_reachable(&bad, vec![]).unwrap_err();
    assert!(format!("{err:#}").contains(&ghost.to_string()), "{err:#}");
    assert!(!base.has(&bad).unwrap());
    buffered.discard();
    let good = put(&buffered, &(first, stored, "second"));
    buffered.commit_reachable(&good, vec![]).unwrap();
    assert!(base.has(&good).unwrap());
}

#[test]
fn discard_drops_everything() {
    let base = MemoryStore::new();
    let buffered = BufferedStore::new(base.clone());
    let cid = put(&buffered, &"gone");
    assert_eq!(buffered.buffered_blocks(), 1);
    buffered.discard();
    assert!(!buffered.has(&cid).unwrap());
    assert!(base.is_empty());
}

#[test]
fn fvm_buffered_flush_writes_reachable_blocks() {
    let base = MemoryStore::new();
    let buffered = BufferedStore::new(base.clone());
    let leaf = put(&buffered, &1u64);
    let root = put(&buffered, &[leaf]);
    put(&buffered, &2u64);
    Buffered::flush(&buffered, &root).unwrap();
    assert_eq!(base.cids().len(), 2);
}

#[test]
fn hamt_churn_flushes_the_final_state_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let base = RedbStore::create(&path).unwrap();
    let buffered = BufferedStore::new(base.clone());
    let mut hamt: Hamt<_, u64, u64> = Hamt::new_with_bit_width(&buffered, 5);
    // Flushing the HAMT repeatedly leaves superseded nodes behind in the buffer.
    for round in 0..5u64 {
        for k in 0..300u64 {
            hamt.set(k, k * 10 + round).unwrap();
        }
        hamt.flush().unwrap();
    }
    let root = hamt.flush().unwrap();
    drop(hamt);
    let report = buffered.commit_reachable(&root, vec![]).unwrap();
    assert!(
        report.blocks_dropped > 0,
        "superseded HAMT nodes are dropped: {report:?}"
    );
    drop(buffered);
    drop(base);

    // Everything the final root needs survived a reopen; nothing else was written.
    let reopened = RedbStore::open(&path).unwrap();
    let hamt: Hamt<_, u64, u64> = Hamt::load_with_bit_width(&root, &reopened, 5).unwrap();
    for k in 0..300u64 {
        assert_eq!(hamt.get(&k).unwrap(), Some(&(k * 10 + 4)));
    }
    let size = tandem_state::links::dag_size(&reopened, &root).unwrap();
    assert_eq!(reopened.stats().unwrap().blocks, size.blocks);
    assert_eq!(size.blocks, report.blocks_written);
}

#[test]
fn buffered_store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<BufferedStore<RedbStore>>();
    assert_send_sync::<BufferedStore<MemoryStore>>();
}
