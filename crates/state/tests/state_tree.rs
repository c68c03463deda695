//! The journaled state tree: nested rollback of every kind of change, per-message state, and
//! persistence through a flush.

use cid::Cid;
use fvm_ipld_encoding::CborStore;
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use multihash_codetable::Code;
use tandem_state::blockstore::MemoryStore;
use tandem_state::state_tree::{HAMT_BIT_WIDTH, INIT_ACTOR_ID};
use tandem_state::{ActorRecord, InitState, StateTree, Word};

fn word(n: u8) -> Word {
    let mut w = [0u8; 32];
    w[31] = n;
    w
}

fn tree() -> (MemoryStore, StateTree<MemoryStore>) {
    let store = MemoryStore::new();
    let mut tree = StateTree::new(store.clone()).unwrap();
    let mut map: Hamt<&MemoryStore, u64, BytesKey> =
        Hamt::new_with_bit_width(&store, HAMT_BIT_WIDTH);
    let empty = map.flush().unwrap();
    let init = InitState {
        address_map: empty,
        next_id: 100,
        network_name: "t".into(),
        installed_code: empty,
    };
    let head = store.put_cbor(&init, Code::Blake2b256).unwrap();
    let code = Cid::default();
    tree.set_actor(INIT_ACTOR_ID, ActorRecord::new(code, head, None));
    tree.set_actor(100, ActorRecord::new(code, head, None));
    (store, tree)
}

#[test]
fn nested_transactions_roll_back_only_their_own_changes() {
    let (_, mut t) = tree();
    t.begin_transaction();
    t.slot_set(100, &word(1), &word(10)).unwrap();
    t.begin_transaction();
    t.slot_set(100, &word(1), &word(20)).unwrap();
    t.transient_set(100, &word(2), &word(5));
    assert!(t.warm_address([7; 20]));
    t.add_refund(4800);
    t.mutate_actor(100, |a| {
        a.balance = TokenAmount::from_atto(9);
        Ok(())
    })
    .unwrap();
    let new_id = t.register_new_address(&Address::new_actor(b"x")).unwrap();
    t.end_transaction(true).unwrap();

    assert_eq!(t.slot_get(100, &word(1)).unwrap().0, word(10));
    assert_eq!(t.transient_get(100, &word(2)), [0; 32]);
    assert!(t.warm_address([7; 20]), "warmth was rolled back too");
    assert_eq!(t.refund(), 0);
    assert_eq!(
        t.get_actor(100).unwrap().unwrap().balance,
        TokenAmount::default()
    );
    assert_eq!(t.lookup_id(&Address::new_actor(b"x")).unwrap(), None);
    assert_eq!(
        t.register_new_address(&Address::new_actor(b"y")).unwrap(),
        new_id,
        "the ID is free again"
    );
    t.end_transaction(false).unwrap();
}

#[test]
fn originals_are_per_message_and_transient_storage_ends_with_it() {
    let (_, mut t) = tree();
    let w = t.slot_set(100, &word(1), &word(1)).unwrap();
    assert_eq!(
        (w.original, w.present, w.was_cold),
        ([0; 32], [0; 32], true)
    );
    let w = t.slot_set(100, &word(1), &word(2)).unwrap();
    assert_eq!(
        (w.original, w.present, w.was_cold),
        ([0; 32], word(1), false)
    );
    t.transient_set(100, &word(3), &word(3));
    t.end_message().unwrap();
    let w = t.slot_set(100, &word(1), &word(3)).unwrap();
    assert_eq!(
        (w.original, w.present, w.was_cold),
        (word(2), word(2), true)
    );
    assert_eq!(t.transient_get(100, &word(3)), [0; 32]);
}

#[test]
fn flush_persists_slots_and_actors_and_deletes_zeroed_slots() {
    let (store, mut t) = tree();
    t.slot_set(100, &word(1), &word(11)).unwrap();
    t.slot_set(100, &word(2), &word(22)).unwrap();
    let root = t.flush().unwrap();
    let mut reloaded = StateTree::load(store.clone(), &root).unwrap();
    assert_eq!(reloaded.slot_get(100, &word(2)).unwrap().0, word(22));
    reloaded.slot_set(100, &word(1), &[0; 32]).unwrap();
    reloaded.slot_set(100, &word(2), &[0; 32]).unwrap();
    let root2 = reloaded.flush().unwrap();
    let mut again = StateTree::load(store, &root2).unwrap();
    assert_eq!(
        again.get_actor(100).unwrap().unwrap().kv_root,
        None,
        "an emptied map is dropped"
    );
    assert_ne!(root, root2);
}

#[test]
fn flush_inside_a_transaction_is_refused() {
    let (_, mut t) = tree();
    t.begin_transaction();
    assert!(t.flush().is_err());
    assert!(t.end_message().is_err());
}

#[test]
fn self_destructed_actors_are_deleted_at_message_end() {
    let (store, mut t) = tree();
    t.slot_set(100, &word(1), &word(1)).unwrap();
    t.mark_destructed(100);
    assert_eq!(t.end_message().unwrap(), vec![100]);
    let root = t.flush().unwrap();
    let mut reloaded = StateTree::load(store, &root).unwrap();
    assert!(reloaded.get_actor(100).unwrap().is_none());
}

/// Absent addresses are remembered (an EVM loop of `BALANCE`s on them walked the address
/// map every time), and the memory never outlives a change to the map: registering the
/// address, registering another, a revert, or a state written behind the tree's back.
#[test]
fn absent_addresses_are_remembered_only_while_the_address_map_stands() {
    let (store, mut t) = tree();
    let (a, b) = (Address::new_actor(b"a"), Address::new_actor(b"b"));
    assert_eq!(t.lookup_id(&a).unwrap(), None);
    assert_eq!(t.lookup_id(&a).unwrap(), None, "remembered");

    // Registered in a transaction that is reverted: absent again.
    t.begin_transaction();
    let id = t.register_new_address(&a).unwrap();
    assert_eq!(t.lookup_id(&a).unwrap(), Some(id));
    t.end_transaction(true).unwrap();
    assert_eq!(t.lookup_id(&a).unwrap(), None);

    // Another address registered, then this one: found.
    t.register_new_address(&b).unwrap();
    assert_eq!(t.lookup_id(&a).unwrap(), None);
    let id = t.register_new_address(&a).unwrap();
    assert_eq!(t.lookup_id(&a).unwrap(), Some(id));

    // The Init actor's state replaced wholesale with one that holds a third address.
    let c = Address::new_actor(b"c");
    assert_eq!(t.lookup_id(&c).unwrap(), None);
    let mut init = t.init_state().unwrap();
    let mut map: Hamt<&MemoryStore, u64, BytesKey> =
        Hamt::load_with_bit_width(&init.address_map, &store, HAMT_BIT_WIDTH).unwrap();
    map.set(BytesKey(c.to_bytes()), 555).unwrap();
    init.address_map = map.flush().unwrap();
    let head = store.put_cbor(&init, Code::Blake2b256).unwrap();
    t.set_actor(INIT_ACTOR_ID, ActorRecord::new(Cid::default(), head, None));
    assert_eq!(t.lookup_id(&c).unwrap(), Some(555));
}
