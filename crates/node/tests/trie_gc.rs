//! `tandem gc` collects the Ethereum trie too (`tandem_node::eth_trie_gc`): blocks undone by
//! `evm_revert` leave trie nodes and root records that no kept state needs; a collection
//! removes them, keeps every node a kept block's proofs need (a past block's included), and
//! finds nothing more to do when run again. A block's nodes are one pack (`trie_pack`); a
//! collection keeps a pack's live nodes.

use crate::common;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_trie::{Nibbles, TrieAccount};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_chain::DataDir;
use tandem_node::eth_trie_gc;
use tandem_state::blockstore::CommitStore;

/// Runtime: slot (calldata word 0) = calldata word 1.
const RUNTIME: &str = "602035600035555b00";
/// Copies the 9-byte runtime and returns it.
const INIT: &str = "6009600c60003960096000f3";
const DEV0: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

fn word(n: u64) -> String {
    format!("{n:064x}")
}

fn mined(c: &Client, tx: Value) -> Value {
    let hash = c.call("eth_sendTransaction", json!([tx]));
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt
}

fn set(c: &Client, contract: &str, slot: u64, value: u64) {
    let data = format!("0x{}{}", word(slot), word(value));
    mined(c, json!({"from": DEV0, "to": contract, "data": data}));
}

fn parse<T: std::str::FromStr>(v: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    v.as_str().expect("a string").parse().expect("parses")
}

/// The value of `slot` at `block`, proved against that block's header `stateRoot`.
fn proved_slot(c: &Client, contract: &str, slot: u64, block: &str) -> U256 {
    let header = c.call("eth_getBlockByNumber", json!([block, false]));
    let root: B256 = parse(&header["stateRoot"]);
    let p = c.call(
        "eth_getProof",
        json!([contract, [format!("0x{}", word(slot))], block]),
    );
    let nodes = |v: &Value| -> Vec<Bytes> { v.as_array().unwrap().iter().map(parse).collect() };
    let account = TrieAccount {
        nonce: hex_u64(&p["nonce"]),
        balance: parse(&p["balance"]),
        storage_root: parse(&p["storageHash"]),
        code_hash: parse(&p["codeHash"]),
    };
    let addr: Address = contract.parse().unwrap();
    alloy_trie::proof::verify_proof(
        root,
        Nibbles::unpack(keccak256(addr)),
        Some(alloy_rlp::encode(account)),
        &nodes(&p["accountProof"]),
    )
    .unwrap_or_else(|e| panic!("account proof at {block}: {e}"));
    let sp = &p["storageProof"][0];
    let value: U256 = parse(&sp["value"]);
    alloy_trie::proof::verify_proof(
        account.storage_root,
        Nibbles::unpack(keccak256(B256::from(U256::from(slot)))),
        (!value.is_zero()).then(|| alloy_rlp::encode(value)),
        &nodes(&sp["proof"]),
    )
    .unwrap_or_else(|e| panic!("storage proof at {block}: {e}"));
    value
}

#[test]
fn gc_removes_reverted_trie_nodes_and_keeps_every_kept_blocks_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let (contract, early) = {
        let node = TestNode::start(dir.path());
        let c = node.client();
        let receipt = mined(
            &c,
            json!({"from": DEV0, "data": format!("0x{INIT}{RUNTIME}")}),
        );
        let contract = receipt["contractAddress"].as_str().unwrap().to_string();
        set(&c, &contract, 1, 11);
        let early = format!("{:#x}", hex_u64(&c.call("eth_blockNumber", json!([]))));
        // Three blocks that will be undone: their trie nodes become garbage.
        let snap = c.call("evm_snapshot", json!([]));
        for i in 0..3 {
            set(&c, &contract, 100 + i, 1000 + i);
        }
        assert_eq!(c.call("evm_revert", json!([snap])), json!(true));
        set(&c, &contract, 2, 22);
        (contract, early)
    };

    let data = DataDir::open(dir.path()).unwrap();
    let roots = data.retained_roots().unwrap();
    tandem_state::gc::gc(data.store.as_ref(), &roots).unwrap();
    let first = eth_trie_gc::collect(data.store.as_ref(), &roots).unwrap();
    assert!(first.removed_nodes > 0, "{first:?}");
    assert!(first.removed_roots >= 3, "{first:?}");
    assert!(first.kept_nodes > 0, "{first:?}");
    assert_eq!(first.missing_nodes, 0, "{first:?}");
    // Nothing left to collect, and every kept trie is whole.
    let second = eth_trie_gc::collect(data.store.as_ref(), &roots).unwrap();
    assert_eq!(second.removed_nodes + second.removed_roots, 0, "{second:?}");
    assert_eq!(second.kept_nodes, first.kept_nodes);
    assert_eq!(second.missing_nodes, 0);
    drop(data);

    // The node serves proofs of the head and of a past block from the kept nodes.
    let node = TestNode::start(dir.path());
    let c = node.client();
    assert_eq!(proved_slot(&c, &contract, 1, "latest"), U256::from(11));
    assert_eq!(proved_slot(&c, &contract, 2, "latest"), U256::from(22));
    assert_eq!(proved_slot(&c, &contract, 100, "latest"), U256::ZERO);
    assert_eq!(proved_slot(&c, &contract, 1, &early), U256::from(11));
    assert_eq!(proved_slot(&c, &contract, 2, &early), U256::ZERO);
    // And it goes on mining with a correct trie.
    set(&c, &contract, 3, 33);
    assert_eq!(proved_slot(&c, &contract, 3, "latest"), U256::from(33));
    assert_eq!(proved_slot(&c, &contract, 1, "latest"), U256::from(11));
}

/// Meta keys of the trie's packs, with their sizes.
fn packs(store: &tandem_state::blockstore::RedbStore) -> Vec<(String, usize)> {
    store
        .meta_keys_with_prefix("eth.p.")
        .unwrap()
        .into_iter()
        .map(|k| {
            let len = store.get_meta(&k).unwrap().map_or(0, |v| v.len());
            (k, len)
        })
        .collect()
}

#[test]
fn a_blocks_trie_nodes_are_one_pack_and_gc_keeps_a_packs_live_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let contract = {
        let node = TestNode::start(dir.path());
        let c = node.client();
        let receipt = mined(
            &c,
            json!({"from": DEV0, "data": format!("0x{INIT}{RUNTIME}")}),
        );
        let contract = receipt["contractAddress"].as_str().unwrap().to_string();
        let store = &node.node.store;
        let per_node = store.meta_keys_with_prefix("eth.n.").unwrap().len();
        let before = packs(store).len();
        set(&c, &contract, 1, 11);
        // The block's new trie nodes (account and storage tries) went into one entry.
        assert_eq!(packs(store).len(), before + 1);
        assert_eq!(
            store.meta_keys_with_prefix("eth.n.").unwrap().len(),
            per_node
        );
        // Two dev edits of the latest block: the first's pack holds the contract's new
        // storage nodes (still live after the second) and account-trie nodes the second
        // replaces (garbage once the block's state is the second edit's).
        let slot5 = format!("0x{}", word(5));
        let fifty_five = format!("0x{}", word(55));
        c.call("anvil_setStorageAt", json!([contract, slot5, fifty_five]));
        c.call(
            "anvil_setBalance",
            json!(["0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "0x1234"]),
        );
        contract
    };

    let data = DataDir::open(dir.path()).unwrap();
    let before = packs(&data.store);
    let roots = data.retained_roots().unwrap();
    tandem_state::gc::gc(data.store.as_ref(), &roots).unwrap();
    let first = eth_trie_gc::collect(data.store.as_ref(), &roots).unwrap();
    assert!(first.removed_nodes > 0, "{first:?}");
    assert_eq!(first.missing_nodes, 0, "{first:?}");
    let after = packs(&data.store);
    // A pack with live and dead nodes was rewritten with the live ones.
    assert!(
        after
            .iter()
            .any(|(k, len)| before.iter().any(|(b, l)| b == k && len < l)),
        "no pack shrank: {before:?} → {after:?}"
    );
    let second = eth_trie_gc::collect(data.store.as_ref(), &roots).unwrap();
    assert_eq!(second.removed_nodes + second.removed_roots, 0, "{second:?}");
    assert_eq!(second.kept_nodes, first.kept_nodes);
    drop(data);

    // The edited block's header stays as mined: proofs match the next block's.
    let node = TestNode::start(dir.path());
    let c = node.client();
    set(&c, &contract, 3, 33);
    assert_eq!(proved_slot(&c, &contract, 3, "latest"), U256::from(33));
    assert_eq!(proved_slot(&c, &contract, 5, "latest"), U256::from(55));
    assert_eq!(proved_slot(&c, &contract, 1, "latest"), U256::from(11));
}
