//! Group commit in the redb store: deferred commits wait in memory until a sync writes them
//! all in one transaction. Reads see them at once; a later commit's meta value wins over an
//! earlier one even while the earlier is being written; a sync, or dropping the last handle,
//! puts them on disk; a store whose writer never syncs writes them out once they pass
//! `MAX_PENDING_BYTES`. A commit handed over whole waits uncopied; a refused one comes back.

use cid::Cid;
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::blockstore::{Blockstore, CommitBatch, CommitStore, EnumerableStore, RedbStore};

fn block(n: u32) -> (Cid, Vec<u8>) {
    let data = format!("block {n}").into_bytes();
    (Cid::new_v1(0x55, Code::Blake2b256.digest(&data)), data)
}

fn batch(n: u32, meta: &str) -> CommitBatch {
    let mut b = CommitBatch::new();
    let (cid, data) = block(n);
    b.put_block(cid, data);
    b.meta
        .push(("test.key".into(), Some(meta.as_bytes().to_vec())));
    b.meta.push((format!("test.n{n}"), Some(vec![1])));
    b
}

#[test]
fn deferred_commits_are_read_at_once_and_written_by_the_sync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = RedbStore::create(&path).unwrap();
    store.defer_durability(true);
    for n in 0..5 {
        store.commit(&batch(n, &format!("v{n}"))).unwrap();
        assert_eq!(
            store.get_meta("test.key").unwrap(),
            Some(format!("v{n}").into_bytes())
        );
        let (cid, data) = block(n);
        assert_eq!(store.get(&cid).unwrap(), Some(data));
        assert!(store.has(&cid).unwrap());
    }
    // A deletion waits too, and hides the value.
    let mut del = CommitBatch::new();
    del.meta.push(("test.n0".into(), None));
    store.commit(&del).unwrap();
    assert_eq!(store.get_meta("test.n0").unwrap(), None);
    store.sync().unwrap();
    // Written: still read the same, and a commit after the sync keeps its own value.
    store.commit(&batch(9, "v9")).unwrap();
    assert_eq!(store.get_meta("test.key").unwrap(), Some(b"v9".to_vec()));
    assert_eq!(store.get_meta("test.n4").unwrap(), Some(vec![1]));
    assert_eq!(store.get_meta("test.n0").unwrap(), None);
    // Enumeration sees pending blocks too.
    let mut seen = 0;
    store
        .for_each_block(&mut |_, _| {
            seen += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, 6);
    // Dropping the last handle writes the rest.
    drop(store);
    let reopened = RedbStore::open(&path).unwrap();
    assert_eq!(reopened.get_meta("test.key").unwrap(), Some(b"v9".to_vec()));
    for n in [0, 4, 9] {
        let (cid, data) = block(n);
        assert_eq!(reopened.get(&cid).unwrap(), Some(data));
    }
}

#[test]
fn a_writer_that_never_syncs_is_written_out_past_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = RedbStore::create(&path).unwrap();
    store.defer_durability(true);
    let chunk = 1 << 20;
    let count = tandem_state::blockstore::MAX_PENDING_BYTES / chunk + 2;
    for n in 0..count {
        let mut b = CommitBatch::new();
        let data = vec![n as u8; chunk];
        b.put_block(Cid::new_v1(0x55, Code::Blake2b256.digest(&data)), data);
        store.commit(&b).unwrap();
    }
    // Written to redb (not durably): the file has grown past the cap.
    assert!(store.file_size().unwrap() > tandem_state::blockstore::MAX_PENDING_BYTES as u64);
    // Turning deferral off writes what waits, durably, before the next commit.
    store.defer_durability(false);
    store.commit(&batch(1, "last")).unwrap();
    assert_eq!(store.get_meta("test.key").unwrap(), Some(b"last".to_vec()));
}

/// A commit handed over whole (`commit_owned`, what `BufferedStore` uses) waits in memory
/// as it is, readable at once and written by the sync, with `with_meta` reading its values
/// in place; a refused one comes back unchanged.
#[test]
fn owned_commits_wait_uncopied_and_refused_ones_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let store = RedbStore::create(&path).unwrap();
    store.defer_durability(true);
    let mut bad = batch(7, "bad");
    bad.meta.push(("store.format".into(), Some(vec![0])));
    let (err, back) = store.commit_owned(bad.clone()).unwrap_err();
    assert!(err.to_string().contains("reserved"), "{err:#}");
    assert_eq!(back, bad);
    assert_eq!(store.pending_commits(), 0);

    for n in 0..3 {
        store.commit_owned(batch(n, &format!("v{n}"))).unwrap();
    }
    assert_eq!(store.pending_commits(), 3);
    let seen = store
        .with_meta("test.key", |v| v.map(<[u8]>::to_vec))
        .unwrap();
    assert_eq!(seen, Some(b"v2".to_vec()));
    assert!(store.with_meta("test.absent", |v| v.is_none()).unwrap());
    let last = |store: &RedbStore| store.last_meta_key_with_prefix("test.n").unwrap();
    assert_eq!(last(&store).as_deref(), Some("test.n2"));
    let (cid, data) = block(1);
    assert_eq!(store.get(&cid).unwrap(), Some(data.clone()));
    store.sync().unwrap();
    assert_eq!(last(&store).as_deref(), Some("test.n2"));
    // A pending deletion hides the stored key; the one before it is the last.
    let mut delete = CommitBatch::new();
    delete.delete_meta("test.n2");
    store.commit_owned(delete).unwrap();
    assert_eq!(last(&store).as_deref(), Some("test.n1"));
    assert_eq!(store.last_meta_key_with_prefix("test.z").unwrap(), None);
    store.sync().unwrap();
    assert_eq!(store.pending_commits(), 0);
    drop(store);
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(store.get(&cid).unwrap(), Some(data));
    let seen = store
        .with_meta("test.key", |v| v.map(<[u8]>::to_vec))
        .unwrap();
    assert_eq!(seen, Some(b"v2".to_vec()));
}
