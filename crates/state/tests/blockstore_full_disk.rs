//! A full disk makes a commit fail with an error and loses nothing committed before it.
//!
//! Needs a small filesystem, so it is ignored by default (and reported as such) and runs on
//! request with `TANDEM_FULL_DISK_DIR` naming one, e.g.:
//!
//! ```text
//! mkdir -p /tmp/fulldisk && mount -t tmpfs -o size=2m tmpfs /tmp/fulldisk
//! TANDEM_FULL_DISK_DIR=/tmp/fulldisk cargo test -p tandem-state --test integration blockstore_full_disk -- --ignored
//! ```

use cid::Cid;
use fvm_ipld_encoding::{CborStore, IPLD_RAW};
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::blockstore::{CommitBatch, CommitStore, RedbStore};
use tandem_state::links::reachable_from;

#[test]
#[ignore = "needs TANDEM_FULL_DISK_DIR on a small filesystem (see the module docs)"]
fn full_disk_fails_the_commit_and_keeps_the_last_head() {
    let Some(dir) = tandem_testkit::need(
        "TANDEM_FULL_DISK_DIR (a small filesystem)",
        std::env::var("TANDEM_FULL_DISK_DIR").ok(),
    ) else {
        return;
    };
    let path = std::path::Path::new(&dir).join(format!("full-{}.redb", std::process::id()));
    let store = RedbStore::create(&path).unwrap();
    let mut last_head: Option<Cid> = None;
    let mut error = None;
    for round in 0u64..10_000 {
        let mut batch = CommitBatch::new();
        let mut leaves = Vec::new();
        for i in 0..4u64 {
            let data: Vec<u8> = (0..16_384u64)
                .map(|j| (round * 7 + i * 3 + j) as u8)
                .collect();
            let cid = Cid::new_v1(IPLD_RAW, Code::Blake2b256.digest(&data));
            batch.put_block(cid, data);
            leaves.push(cid);
        }
        let root_bytes = fvm_ipld_encoding::to_vec(&(last_head, leaves)).unwrap();
        let root = Cid::new_v1(
            fvm_ipld_encoding::DAG_CBOR,
            Code::Blake2b256.digest(&root_bytes),
        );
        batch.put_block(root, root_bytes).set_head(&root);
        match store.commit(&batch) {
            Ok(()) => last_head = Some(root),
            Err(e) => {
                error = Some(format!("{e:#}"));
                break;
            }
        }
    }
    let error = error.expect("the disk never filled up");
    eprintln!("commit failed as expected: {error}");
    let last_head = last_head.expect("no commit fitted on the disk");
    drop(store);

    let store = RedbStore::open(&path).unwrap();
    assert_eq!(store.head().unwrap(), Some(last_head));
    let blocks = reachable_from(&store, &last_head).unwrap();
    eprintln!("after reopen: head reaches {} blocks", blocks.len());
    assert!(
        store
            .get_cbor::<(Option<Cid>, Vec<Cid>)>(&last_head)
            .unwrap()
            .is_some()
    );
    drop(store);
    let _ = std::fs::remove_file(&path);
}
