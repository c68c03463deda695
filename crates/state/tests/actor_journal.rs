//! Actor records are changed in place and journaled once per transaction (`mutate_actor`,
//! `set_actor`, `delete_actor`). Checked against a model that copies every record at each
//! `begin_transaction`: random nested transactions, each ended by a commit or a revert, with
//! changes before, between and after them, must leave the same records and the same flushed
//! root as applying the model's surviving records to a fresh tree.

use cid::Cid;
use fvm_ipld_encoding::CborStore;
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::econ::TokenAmount;
use multihash_codetable::Code;
use std::collections::BTreeMap;
use tandem_state::blockstore::MemoryStore;
use tandem_state::state_tree::{HAMT_BIT_WIDTH, INIT_ACTOR_ID};
use tandem_state::{ActorID, ActorRecord, InitState, StateTree};

const ACTORS: [ActorID; 4] = [100, 101, 102, 103];

fn tree() -> StateTree<MemoryStore> {
    let store = MemoryStore::new();
    let mut tree = StateTree::new(store.clone()).unwrap();
    let mut map: Hamt<&MemoryStore, u64, BytesKey> =
        Hamt::new_with_bit_width(&store, HAMT_BIT_WIDTH);
    let empty = map.flush().unwrap();
    let init = InitState {
        address_map: empty,
        next_id: 200,
        network_name: "t".into(),
        installed_code: empty,
    };
    let head = store.put_cbor(&init, Code::Blake2b256).unwrap();
    tree.set_actor(INIT_ACTOR_ID, ActorRecord::new(Cid::default(), head, None));
    tree
}

fn record(balance: u64, sequence: u64) -> ActorRecord {
    let mut r = ActorRecord::new(Cid::default(), Cid::default(), None);
    r.balance = TokenAmount::from_atto(balance);
    r.sequence = sequence;
    r
}

/// xorshift64*: a fixed sequence of operations per seed, on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

type Model = BTreeMap<ActorID, (u64, u64)>;

fn check(t: &mut StateTree<MemoryStore>, model: &Model, step: usize) {
    for id in ACTORS {
        let got = t
            .get_actor(id)
            .unwrap()
            .map(|r| (r.balance.atto().try_into().unwrap(), r.sequence));
        assert_eq!(
            got,
            model.get(&id).copied(),
            "actor f0{id} after step {step}"
        );
    }
}

fn run(seed: u64) {
    let mut rng = Rng(seed);
    let mut t = tree();
    let mut model = Model::new();
    let mut saved: Vec<Model> = Vec::new();
    // Flushed once outside any transaction: cached, clean entries to start from.
    for &id in &ACTORS[..2] {
        t.set_actor(id, record(1, 0));
        model.insert(id, (1, 0));
    }
    t.flush().unwrap();
    for step in 0..400 {
        let id = ACTORS[rng.next(ACTORS.len() as u64) as usize];
        match rng.next(10) {
            0..=1 if saved.len() < 5 => {
                t.begin_transaction();
                saved.push(model.clone());
            }
            2..=3 if !saved.is_empty() => {
                let revert = rng.next(2) == 0;
                t.end_transaction(revert).unwrap();
                let before = saved.pop().unwrap();
                if revert {
                    model = before;
                }
            }
            4..=6 => {
                let result = t.mutate_actor(id, |r| {
                    r.balance += TokenAmount::from_atto(3);
                    r.sequence += 1;
                    Ok(())
                });
                match model.get_mut(&id) {
                    Some((b, s)) => {
                        result.unwrap();
                        *b += 3;
                        *s += 1;
                    }
                    None => assert!(result.is_err(), "mutating a missing actor must fail"),
                }
            }
            7..=8 => {
                let v = rng.next(1000);
                t.set_actor(id, record(v, v));
                model.insert(id, (v, v));
            }
            _ => {
                t.delete_actor(id);
                model.remove(&id);
            }
        }
        check(&mut t, &model, step);
    }
    while saved.pop().is_some() {
        t.end_transaction(false).unwrap();
    }
    let root = t.flush().unwrap();
    // The same records written into a fresh tree give the same root.
    let mut fresh = tree();
    for (&id, &(b, s)) in &model {
        fresh.set_actor(id, record(b, s));
    }
    assert_eq!(root, fresh.flush().unwrap(), "seed {seed}: flushed root");
}

#[test]
fn in_place_changes_undo_exactly_like_full_copies() {
    for seed in 1..=64u64 {
        run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}
