//! `RedbStore::write_ahead`: deferred commits written to redb before the sync stay readable
//! throughout, a later pending commit's meta value still wins over one written ahead, and
//! after the sync a reopened store holds all of them.

use cid::Cid;
use multihash_codetable::{Code, MultihashDigest};

use super::RedbStore;
use crate::blockstore::{Blockstore, CommitBatch, CommitStore};

fn block(n: u32) -> (Cid, Vec<u8>) {
    let data = format!("write-ahead block {n}").into_bytes();
    (Cid::new_v1(0x55, Code::Blake2b256.digest(&data)), data)
}

fn batch(n: u32) -> CommitBatch {
    let mut b = CommitBatch::new();
    let (cid, data) = block(n);
    b.put_block(cid, data);
    b.meta
        .push(("test.last".into(), Some(n.to_be_bytes().to_vec())));
    b
}

fn assert_reads(store: &RedbStore, upto: u32) {
    for n in 0..upto {
        let (cid, data) = block(n);
        assert_eq!(store.get(&cid).unwrap(), Some(data), "block {n}");
    }
    assert_eq!(
        store.get_meta("test.last").unwrap(),
        Some((upto - 1).to_be_bytes().to_vec())
    );
}

#[test]
fn commits_written_ahead_stay_readable_and_land_with_the_sync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let store = RedbStore::create(&path).unwrap();
        store.defer_durability(true);
        let gauge = store.pending_gauge();
        for n in 0..5 {
            store.commit(&batch(n)).unwrap();
        }
        assert_eq!(store.pending_commits(), 5);
        assert!(store.write_ahead().unwrap());
        assert_eq!(gauge.load(std::sync::atomic::Ordering::Acquire), 0);
        assert_reads(&store, 5);
        // Two more wait in memory over the ones written ahead; the newest meta value wins.
        for n in 5..7 {
            store.commit(&batch(n)).unwrap();
        }
        assert_eq!(store.pending_commits(), 2);
        assert_reads(&store, 7);
        // Nothing waiting: a write-ahead is a no-op that still succeeds.
        store.sync().unwrap();
        assert_eq!(store.pending_commits(), 0);
        assert!(store.write_ahead().unwrap());
        assert_reads(&store, 7);
    }
    let store = RedbStore::open(&path).unwrap();
    assert_reads(&store, 7);
}

/// A durable commit made while the log is in use (durability deferred no more) empties the
/// log, and the deferred commits after it go on in the log without a gap.
#[test]
fn a_durable_commit_between_logged_ones_keeps_the_log_going() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let log = super::commit_log::log_path(&path);
    {
        let store = RedbStore::create(&path).unwrap();
        store.defer_durability(true);
        store.use_commit_log().unwrap();
        for n in 0..3 {
            store.commit(&batch(n)).unwrap();
        }
        store.sync().unwrap();
        assert!(std::fs::metadata(&log).unwrap().len() > 0);
        store.defer_durability(false);
        store.commit(&batch(3)).unwrap();
        assert_eq!(
            std::fs::metadata(&log).unwrap().len(),
            0,
            "all of it is in redb"
        );
        store.defer_durability(true);
        for n in 4..6 {
            store.commit(&batch(n)).unwrap();
        }
        store.sync().unwrap();
        assert!(
            store.uses_commit_log(),
            "the log goes on after the durable commit"
        );
        assert!(std::fs::metadata(&log).unwrap().len() > 0);
        assert_reads(&store, 6);
    }
    assert_reads(&RedbStore::open(&path).unwrap(), 6);
}
