//! The state tree keeps its decoded actor HAMT and slot maps across flushes
//! (`state_tree/flush.rs`). These tests hold that a kept map never changes a result: the roots
//! and reads are those of a tree opened fresh at every step, whatever happens to the records
//! the maps belong to.

use cid::Cid;
use fvm_ipld_encoding::CborStore;
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::econ::TokenAmount;
use multihash_codetable::Code;
use tandem_state::blockstore::MemoryStore;
use tandem_state::state_tree::{HAMT_BIT_WIDTH, INIT_ACTOR_ID};
use tandem_state::{ActorRecord, InitState, StateTree, Word};

fn word(n: u64) -> Word {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&n.to_be_bytes());
    w
}

/// A code CID a reachability walk can scan (raw, inline).
fn code() -> Cid {
    Cid::new_v1(0x55, cid::multihash::Multihash::wrap(0, b"code").unwrap())
}

fn genesis(store: &MemoryStore) -> Cid {
    let mut tree = StateTree::new(store.clone()).unwrap();
    let mut map: Hamt<&MemoryStore, u64, BytesKey> =
        Hamt::new_with_bit_width(store, HAMT_BIT_WIDTH);
    let empty = map.flush().unwrap();
    let init = InitState {
        address_map: empty,
        next_id: 1000,
        network_name: "t".into(),
        installed_code: empty,
    };
    let head = store.put_cbor(&init, Code::Blake2b256).unwrap();
    tree.set_actor(INIT_ACTOR_ID, ActorRecord::new(code(), head, None));
    for id in 100..140 {
        tree.set_actor(id, ActorRecord::new(code(), head, None));
    }
    tree.flush().unwrap()
}

/// Block `n`'s changes: balances of a few actors, slots written and cleared in three actors,
/// one actor deleted and one created.
fn apply_block(tree: &mut StateTree<MemoryStore>, n: u64) {
    for id in [100 + n % 40, 100 + (n * 7) % 40] {
        if let Some(mut record) = tree.get_actor(id).unwrap() {
            record.balance += TokenAmount::from_atto(n + 1);
            tree.set_actor(id, record);
        }
    }
    for actor in [100u64, 101, 102] {
        for k in 0..30 {
            let key = word(k * 1_000_003 + n * 31);
            tree.slot_set(actor, &key, &word(n * 100 + k + 1)).unwrap();
        }
        // Clear a slot an earlier block wrote.
        if n > 0 {
            tree.slot_set(actor, &word((n - 1) * 31), &word(0)).unwrap();
        }
    }
    tree.end_message().unwrap();
    if n % 4 == 3 {
        tree.delete_actor(130 + n % 10);
        let state = tree.get_actor(100).unwrap().unwrap().state;
        tree.set_actor(2000 + n, ActorRecord::new(code(), state, None));
        tree.end_message().unwrap();
    }
}

#[test]
fn a_long_lived_tree_gives_the_roots_of_fresh_ones() {
    let store = MemoryStore::new();
    let mut root = genesis(&store);
    let mut kept = StateTree::load(store.clone(), &root).unwrap();
    for n in 0..24 {
        apply_block(&mut kept, n);
        let kept_root = kept.flush().unwrap();
        // The same block on a tree opened at the previous root, with nothing kept.
        let mut fresh = StateTree::load(store.clone(), &root).unwrap();
        apply_block(&mut fresh, n);
        assert_eq!(kept_root, fresh.flush().unwrap(), "block {n}");
        root = kept_root;
        // Reads through the kept maps agree with a fresh tree's.
        let mut reader = StateTree::load(store.clone(), &root).unwrap();
        for k in 0..30 {
            let key = word(k * 1_000_003 + n * 31);
            let (want, _) = reader.slot_get(101, &key).unwrap();
            assert_eq!(kept.slot_get(101, &key).unwrap().0, want);
            assert_eq!(want, word(n * 100 + k + 1));
        }
        assert_eq!(
            kept.get_actor(100 + n % 40).unwrap(),
            reader.get_actor(100 + n % 40).unwrap()
        );
        kept.end_message().unwrap();
    }
}

#[test]
fn a_record_moved_to_another_slot_map_reads_and_writes_that_map() {
    let store = MemoryStore::new();
    let root = genesis(&store);
    let mut tree = StateTree::load(store.clone(), &root).unwrap();
    tree.slot_set(100, &word(1), &word(5)).unwrap();
    tree.slot_set(101, &word(1), &word(7)).unwrap();
    tree.end_message().unwrap();
    tree.flush().unwrap();
    // Both maps are kept now. Actor 101 is recreated with actor 100's storage root.
    let theirs = tree.get_actor(100).unwrap().unwrap().kv_root;
    assert!(theirs.is_some());
    tree.delete_actor(101);
    let mut record = tree.get_actor(100).unwrap().unwrap();
    record.kv_root = theirs;
    tree.set_actor(101, record);
    tree.end_message().unwrap();
    tree.flush().unwrap();
    assert_eq!(tree.slot_get(101, &word(1)).unwrap().0, word(5));
    // A write lands in the map of 101's record, not in the map 101 had before.
    tree.slot_set(101, &word(2), &word(9)).unwrap();
    tree.end_message().unwrap();
    let root = tree.flush().unwrap();
    let mut fresh = StateTree::load(store.clone(), &root).unwrap();
    assert_eq!(fresh.slot_get(101, &word(1)).unwrap().0, word(5));
    assert_eq!(fresh.slot_get(101, &word(2)).unwrap().0, word(9));
    assert_eq!(fresh.slot_get(100, &word(2)).unwrap().0, word(0));
}

#[test]
fn reverted_changes_leave_the_kept_maps_at_the_flushed_root() {
    let store = MemoryStore::new();
    let root = genesis(&store);
    let mut tree = StateTree::load(store.clone(), &root).unwrap();
    apply_block(&mut tree, 0);
    let flushed = tree.flush().unwrap();
    tree.begin_transaction();
    for k in 0..30 {
        tree.slot_set(101, &word(k), &word(k + 40)).unwrap();
    }
    tree.slot_set(102, &word(3), &word(33)).unwrap();
    let mut record = tree.get_actor(101).unwrap().unwrap();
    record.balance += TokenAmount::from_atto(1);
    tree.set_actor(101, record);
    tree.delete_actor(100);
    tree.end_transaction(true).unwrap();
    tree.end_message().unwrap();
    assert_eq!(
        tree.flush().unwrap(),
        flushed,
        "a reverted block changes nothing"
    );
    // The next block builds on the flushed state, as a fresh tree's would.
    apply_block(&mut tree, 1);
    let next = tree.flush().unwrap();
    let mut fresh = StateTree::load(store.clone(), &flushed).unwrap();
    apply_block(&mut fresh, 1);
    assert_eq!(fresh.flush().unwrap(), next);
}

/// A flush with nothing listed since the last one returns that root without writing (the
/// node's commit right after the flush that gave a block its root); the next change of each
/// kind is flushed in full, with the root a fresh tree gives.
#[test]
fn a_flush_with_nothing_new_returns_the_last_root_and_the_next_change_is_flushed() {
    use std::sync::Arc;
    use tandem_state::blockstore::BufferedStore;
    let base = MemoryStore::new();
    let root = genesis(&base);
    let buffer = Arc::new(BufferedStore::new(base.clone()));
    let mut tree = StateTree::load(buffer.clone(), &root).unwrap();
    let mut last = root;
    type Tree = StateTree<Arc<BufferedStore<MemoryStore>>>;
    let changes: [&dyn Fn(&mut Tree); 5] = [
        &|t| {
            t.slot_set(100, &word(1), &word(5)).unwrap();
        },
        &|t| {
            let mut r = t.get_actor(101).unwrap().unwrap();
            r.balance += TokenAmount::from_atto(3);
            t.set_actor(101, r);
        },
        &|t| t.delete_actor(120),
        // Back to the value flushed two changes ago: a real change from the last flush.
        &|t| {
            t.slot_set(100, &word(1), &word(0)).unwrap();
        },
        &|t| {
            let state = t.get_actor(100).unwrap().unwrap().state;
            t.set_actor(3000, ActorRecord::new(code(), state, None));
        },
    ];
    let mut fresh = StateTree::load(Arc::new(BufferedStore::new(base.clone())), &root).unwrap();
    for (i, change) in changes.iter().enumerate() {
        let flushed = tree.flush().unwrap();
        assert_eq!(
            flushed, last,
            "change {i}: nothing new since the last flush"
        );
        buffer.commit_reachable(&flushed, Vec::new()).unwrap();
        let blocks = base.len();
        assert_eq!(tree.flush().unwrap(), last, "change {i}: again");
        assert_eq!(
            buffer.buffered_blocks(),
            0,
            "change {i}: nothing re-encoded"
        );
        buffer.commit_reachable(&last, Vec::new()).unwrap();
        assert_eq!(base.len(), blocks);
        change(&mut tree);
        tree.end_message().unwrap();
        last = tree.flush().unwrap();
        assert_ne!(last, flushed, "change {i} is in the new root");
        change(&mut fresh);
        fresh.end_message().unwrap();
        assert_eq!(
            fresh.flush().unwrap(),
            last,
            "change {i}: a fresh tree agrees"
        );
        buffer.commit_reachable(&last, Vec::new()).unwrap();
        assert!(StateTree::load(base.clone(), &last).is_ok());
    }
}
