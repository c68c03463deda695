//! A writer killed with SIGKILL in the middle of committing leaves the last committed head and
//! everything it reaches readable.
//!
//! The writer is this test binary itself, re-run as a child process on the ignored test
//! `crash_writer_loop`, with the store path in an environment variable.

use std::process::{Command, Stdio};
use std::time::Duration;

use fvm_ipld_encoding::CborStore;
use multihash_codetable::Code;
use tandem_state::blockstore::{BufferedStore, CommitStore, HEAD_KEY, RedbStore};
use tandem_state::links::reachable_from;

const STORE_ENV: &str = "TANDEM_CRASH_TEST_STORE";

/// The child: commits a growing chain of states forever, each through a buffered flush.
#[test]
#[ignore = "run only as the child of kill_9_mid_commit_keeps_the_last_head"]
fn crash_writer_loop() {
    let Ok(path) = std::env::var(STORE_ENV) else {
        return;
    };
    let store = RedbStore::open(&path).unwrap();
    let buffered = BufferedStore::new(store);
    let mut head = buffered.base().head().unwrap();
    for round in 0u64.. {
        // A few hundred blocks per commit, so a kill often lands inside a transaction.
        let leaves: Vec<_> = (0..300u64)
            .map(|i| {
                buffered
                    .put_cbor(&(round, i, "payload"), Code::Blake2b256)
                    .unwrap()
            })
            .collect();
        let root = buffered
            .put_cbor(&(head, round, leaves), Code::Blake2b256)
            .unwrap();
        buffered
            .commit_reachable(&root, vec![(HEAD_KEY.into(), Some(root.to_bytes()))])
            .unwrap();
        head = Some(root);
    }
}

#[test]
fn kill_9_mid_commit_keeps_the_last_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    drop(RedbStore::create(&path).unwrap());
    // This file is a module of the crate's one test binary, so the child test is named by
    // its module path (an `--exact` filter without it matches nothing and the child does no work).
    let exe = std::env::current_exe().unwrap();
    let mut reached = 0;
    for kill_after_ms in [150u64, 400, 700] {
        let mut child = Command::new(&exe)
            .args([
                "blockstore_crash::crash_writer_loop",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(STORE_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        // The store opens, and the whole chain of states under the head is intact. Each run
        // extends the previous run's chain, so it never shrinks.
        let store = RedbStore::open(&path).unwrap();
        if let Some(head) = store.head().unwrap() {
            let blocks = reachable_from(&store, &head).unwrap().len();
            assert!(
                blocks >= reached,
                "the chain shrank from {reached} to {blocks} blocks"
            );
            eprintln!("killed after {kill_after_ms} ms: head reaches {blocks} blocks");
            reached = blocks;
        }
    }
    assert!(reached > 300, "no commit landed in any run");
}

const GROUP_ENV: &str = "TANDEM_GROUP_TEST_STORE";

/// The child for the group-commit test: 20 deferred commits, a sync, 20 more deferred
/// commits without a sync, then it waits to be killed.
#[test]
#[ignore = "run only as the child of group_commit_is_durable_after_sync_only"]
fn group_commit_writer() {
    let Ok(path) = std::env::var(GROUP_ENV) else {
        return;
    };
    let store = RedbStore::open(&path).unwrap();
    store.defer_durability(true);
    let put = |i: u32| {
        let mut b = tandem_state::blockstore::CommitBatch::new();
        b.set_meta("test.counter", i.to_be_bytes().to_vec());
        store.commit(&b).unwrap();
    };
    (1..=20).for_each(put);
    store.sync().unwrap();
    (21..=40).for_each(put);
    // Visible to this process at once, durable or not.
    assert_eq!(
        store.get_meta("test.counter").unwrap(),
        Some(40u32.to_be_bytes().to_vec())
    );
    println!("ready");
    std::thread::sleep(Duration::from_secs(60));
}

/// Deferred commits survive SIGKILL once synced; the ones after the last sync are gone, as a
/// group-committing server expects (it acknowledges only synced work).
#[test]
fn group_commit_is_durable_after_sync_only() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("group.redb");
    drop(RedbStore::create(&path).unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "blockstore_crash::group_commit_writer",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(GROUP_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let ready = std::io::BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("ready"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(ready, "the writer did not get to its unsynced commits");
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(
        store.get_meta("test.counter").unwrap(),
        Some(20u32.to_be_bytes().to_vec()),
        "exactly the synced commits are there"
    );
}
