//! The memory and redb stores: round trips, reopening, atomic commits, refusing foreign files.

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::{CborStore, IPLD_RAW};
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::blockstore::{
    CommitBatch, CommitStore, EnumerableStore, HEAD_KEY, MemoryStore, RedbStore,
};

fn raw_cid(data: &[u8]) -> Cid {
    Cid::new_v1(IPLD_RAW, Code::Blake2b256.digest(data))
}

fn round_trip(store: &impl CommitStore) {
    let cid = raw_cid(b"hello");
    assert_eq!(
        store.get(&cid).unwrap(),
        None,
        "a missing block is Ok(None)"
    );
    assert!(!store.has(&cid).unwrap());
    store.put_keyed(&cid, b"hello").unwrap();
    assert_eq!(store.get(&cid).unwrap().as_deref(), Some(&b"hello"[..]));
    assert!(store.has(&cid).unwrap());

    let obj = store.put_cbor(&("tuple", 42u64), Code::Blake2b256).unwrap();
    assert_eq!(
        store.get_cbor::<(String, u64)>(&obj).unwrap(),
        Some(("tuple".into(), 42))
    );

    let many: Vec<(Cid, Vec<u8>)> = (0..10u8).map(|i| (raw_cid(&[i]), vec![i])).collect();
    store.put_many_keyed(many.clone()).unwrap();
    for (cid, data) in &many {
        assert_eq!(store.get(cid).unwrap().as_ref(), Some(data));
    }
}

fn atomic_commit(store: &impl CommitStore) {
    let root = raw_cid(b"root");
    let mut batch = CommitBatch::new();
    batch
        .put_block(root, b"root".to_vec())
        .put_block(raw_cid(b"child"), b"child".to_vec())
        .set_head(&root)
        .set_meta("chain.height", 7u64.to_be_bytes());
    store.commit(&batch).unwrap();
    assert_eq!(store.head().unwrap(), Some(root));
    assert_eq!(
        store.get(&raw_cid(b"child")).unwrap().as_deref(),
        Some(&b"child"[..])
    );
    assert_eq!(
        store.get_meta("chain.height").unwrap(),
        Some(7u64.to_be_bytes().to_vec())
    );
    assert_eq!(store.get_meta("absent").unwrap(), None);

    // A batch that fails writes nothing: neither its block nor its other meta entries.
    let mut bad = CommitBatch::new();
    bad.put_block(raw_cid(b"orphan"), b"orphan".to_vec())
        .set_meta(HEAD_KEY, b"x".to_vec())
        .set_meta("store.format", b"mine".to_vec());
    assert!(store.commit(&bad).is_err(), "store.* keys are reserved");
    assert!(!store.has(&raw_cid(b"orphan")).unwrap());
    assert_eq!(store.head().unwrap(), Some(root));

    let mut delete = CommitBatch::new();
    delete.delete_meta("chain.height");
    store.commit(&delete).unwrap();
    assert_eq!(store.get_meta("chain.height").unwrap(), None);
}

fn enumerate_and_delete(store: &(impl CommitStore + EnumerableStore)) {
    let before = store.stats().unwrap();
    let a = raw_cid(b"enum-a");
    let b = raw_cid(b"enum-bb");
    store
        .put_many_keyed([(a, b"enum-a".to_vec()), (b, b"enum-bb".to_vec())])
        .unwrap();
    let after = store.stats().unwrap();
    assert_eq!(after.blocks, before.blocks + 2);
    assert_eq!(after.bytes, before.bytes + 13);
    let mut seen = Vec::new();
    store
        .for_each_block(&mut |cid, size| {
            seen.push((*cid, size));
            Ok(())
        })
        .unwrap();
    assert!(seen.contains(&(a, 6)) && seen.contains(&(b, 7)));
    assert_eq!(seen.len() as u64, after.blocks);
    store.delete_many(&[a, raw_cid(b"never stored")]).unwrap();
    assert!(!store.has(&a).unwrap());
    assert!(store.has(&b).unwrap());
}

#[test]
fn memory_store() {
    let store = MemoryStore::new();
    round_trip(&store);
    atomic_commit(&store);
    enumerate_and_delete(&store);
    // Clones share one map.
    let clone = store.clone();
    clone
        .put_keyed(&raw_cid(b"via clone"), b"via clone")
        .unwrap();
    assert!(store.has(&raw_cid(b"via clone")).unwrap());
}

#[test]
fn redb_store_round_trip_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/state.redb");
    {
        let store = RedbStore::create(&path).unwrap();
        round_trip(&store);
        atomic_commit(&store);
        enumerate_and_delete(&store);
    }
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(
        store.get(&raw_cid(b"hello")).unwrap().as_deref(),
        Some(&b"hello"[..])
    );
    assert_eq!(store.head().unwrap(), Some(raw_cid(b"root")));
    assert!(!store.has(&raw_cid(b"orphan")).unwrap());
    drop(store);
    assert!(
        RedbStore::open_or_create(&path)
            .unwrap()
            .head()
            .unwrap()
            .is_some()
    );
}

#[test]
fn redb_create_refuses_an_existing_file_and_open_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    assert!(RedbStore::open(&path).is_err());
    RedbStore::create(&path).unwrap();
    let err = RedbStore::create(&path).unwrap_err();
    assert!(format!("{err:#}").contains("already exists"), "{err:#}");
}

#[test]
fn redb_refuses_an_open_store_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let _first = RedbStore::create(&path).unwrap();
    let err = RedbStore::open(&path).unwrap_err();
    assert!(format!("{err:#}").contains("in use"), "{err:#}");
}

#[test]
fn redb_refuses_files_that_are_not_tandem_stores() {
    let dir = tempfile::tempdir().unwrap();

    // Some other program's redb database.
    let foreign = dir.path().join("foreign.redb");
    {
        let db = redb::Database::create(&foreign).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("other");
            txn.open_table(def).unwrap().insert("x", &1).unwrap();
        }
        txn.commit().unwrap();
    }
    let err = RedbStore::open(&foreign).unwrap_err();
    assert!(format!("{err:#}").contains("not a Tandem store"), "{err:#}");

    // Random bytes, text, an empty file and a directory.
    let mut noise = Vec::new();
    let mut x = 0x1234_5678_9abc_def0u64;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.push(x as u8);
    }
    let mut fake_header = b"redb\x1a\x0a\xa9\x0d\x0a".to_vec();
    fake_header.extend_from_slice(&noise[..8192]);
    for (name, content) in [
        ("random.bin", noise),
        ("notes.txt", b"just some text\n".to_vec()),
        ("empty", Vec::new()),
        ("fake-header.redb", fake_header),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &content).unwrap();
        assert!(RedbStore::open(&path).is_err(), "{name} must be refused");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            content,
            "{name} must be left untouched"
        );
    }
    assert!(RedbStore::open(dir.path()).is_err());
}

#[test]
fn redb_commit_is_durable_across_reopen_with_many_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let blocks: Vec<(Cid, Vec<u8>)> = (0..2000u32)
        .map(|i| {
            let data = i.to_be_bytes().repeat(25);
            (raw_cid(&data), data)
        })
        .collect();
    {
        let store = RedbStore::create(&path).unwrap();
        let mut batch = CommitBatch::new();
        batch.blocks = blocks.clone();
        batch.set_head(&blocks[0].0);
        store.commit(&batch).unwrap();
    }
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(store.stats().unwrap().blocks, 2000);
    for (cid, data) in &blocks {
        assert_eq!(store.get(cid).unwrap().as_ref(), Some(data));
    }
}
