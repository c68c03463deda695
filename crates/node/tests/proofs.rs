//! The header's `stateRoot` is the Ethereum state root, and `eth_getProof` proves accounts
//! and slots against it (issue 15 item 4): proofs checked with alloy-trie's `verify_proof`
//! over JSON-RPC for an EOA, a contract with storage, an absent account and slot, a past
//! block, after a reverted transaction, after a dev-method edit and after a restart; and the
//! incrementally kept root equal to `tandem_evm::root`'s full recomputation after every block
//! of a randomized run.

use crate::common;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles, TrieAccount};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};

/// Runtime: slot 0 = calldata word 0, slot 1 = word 1; reverts if word 2 is not zero.
const RUNTIME: &str = "6000356000556020356001556040351560185760006000fd5b00";
/// Copies the 26-byte runtime and returns it.
const INIT_PREFIX: &str = "601a600c600039601a6000f3";

const DEV0: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const DEV1: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

fn word(n: u64) -> String {
    format!("{n:064x}")
}

fn send(c: &Client, tx: Value) -> Value {
    let hash = c.call("eth_sendTransaction", json!([tx]));
    c.call("eth_getTransactionReceipt", json!([hash]))
}

fn deploy(c: &Client) -> String {
    let r = send(
        c,
        json!({"from": DEV0, "data": format!("0x{INIT_PREFIX}{RUNTIME}")}),
    );
    r["contractAddress"].as_str().unwrap().to_string()
}

fn set_slots(c: &Client, contract: &str, a: u64, b: u64, revert: bool) -> Value {
    let data = format!("0x{}{}{}", word(a), word(b), word(revert as u64));
    send(
        c,
        json!({"from": DEV1, "to": contract, "data": data, "gas": "0x30000"}),
    )
}

fn u256(v: &Value) -> U256 {
    v.as_str().unwrap().parse().unwrap()
}

fn b256(v: &Value) -> B256 {
    v.as_str().unwrap().parse().unwrap()
}

fn nodes(v: &Value) -> Vec<Bytes> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().parse().unwrap())
        .collect()
}

/// Checks an `eth_getProof` answer against `root`; returns `(account, slot values)`.
fn verify(root: B256, address: &str, proof: &Value) -> (Option<TrieAccount>, Vec<U256>) {
    let addr: Address = address.parse().unwrap();
    let account = TrieAccount {
        nonce: hex_u64(&proof["nonce"]),
        balance: u256(&proof["balance"]),
        storage_root: b256(&proof["storageHash"]),
        code_hash: b256(&proof["codeHash"]),
    };
    let empty = account.nonce == 0
        && account.balance.is_zero()
        && account.storage_root == EMPTY_ROOT_HASH
        && account.code_hash == alloy_primitives::KECCAK256_EMPTY;
    let expected = (!empty).then(|| alloy_rlp::encode(account));
    alloy_trie::proof::verify_proof(
        root,
        Nibbles::unpack(keccak256(addr)),
        expected,
        &nodes(&proof["accountProof"]),
    )
    .unwrap_or_else(|e| panic!("account proof of {address} against {root}: {e}"));
    let mut values = Vec::new();
    for sp in proof["storageProof"].as_array().unwrap() {
        // Keys come back as the client sent them (32-byte hex or a short quantity).
        let key = B256::from(u256(&sp["key"]));
        let value = u256(&sp["value"]);
        alloy_trie::proof::verify_proof(
            account.storage_root,
            Nibbles::unpack(keccak256(key)),
            (!value.is_zero()).then(|| alloy_rlp::encode(value)),
            &nodes(&sp["proof"]),
        )
        .unwrap_or_else(|e| panic!("storage proof of {address} slot {key}: {e}"));
        values.push(value);
    }
    ((!empty).then_some(account), values)
}

fn header_root(c: &Client, block: &str) -> B256 {
    let b = c.call("eth_getBlockByNumber", json!([block, false]));
    assert!(
        b["tandemStateRoot"]
            .as_str()
            .is_some_and(|s| s.starts_with("bafy")),
        "tandemStateRoot: {b}"
    );
    b256(&b["stateRoot"])
}

fn slot_keys() -> Value {
    json!([format!("0x{}", word(0)), "0x1", format!("0x{}", word(7))])
}

fn prove(c: &Client, address: &str, block: &str) -> (Option<TrieAccount>, Vec<U256>) {
    let root = header_root(c, block);
    let p = c.call("eth_getProof", json!([address, slot_keys(), block]));
    assert_eq!(
        p["address"].as_str().unwrap().to_lowercase(),
        address.to_lowercase()
    );
    verify(root, address, &p)
}

#[test]
fn proofs_verify_against_the_header_root() {
    let dir = tempfile::tempdir().unwrap();
    let (contract, early_block, stranger, edited) = {
        let mut edited = Vec::new();
        let node = TestNode::start(dir.path());
        let c = node.client();
        let contract = deploy(&c);
        assert_eq!(set_slots(&c, &contract, 5, 6, false)["status"], "0x1");
        let early_block = format!("{:#x}", hex_u64(&c.call("eth_blockNumber", json!([]))));
        assert_eq!(set_slots(&c, &contract, 9, 0, false)["status"], "0x1");

        // A contract with storage: slot 0 = 9, slot 1 deleted (0), slot 7 never written.
        let (acct, values) = prove(&c, &contract, "latest");
        let acct = acct.expect("the contract is in the trie");
        assert_eq!(values, [U256::from(9), U256::ZERO, U256::ZERO]);
        let code = c.call("eth_getCode", json!([contract, "latest"]));
        let code: Bytes = code.as_str().unwrap().parse().unwrap();
        assert_eq!(acct.code_hash, keccak256(&code));
        assert_eq!(acct.nonce, 1);

        // The same contract at an earlier block: its root and its values then.
        let (_, values) = prove(&c, &contract, &early_block);
        assert_eq!(values, [U256::from(5), U256::from(6), U256::ZERO]);

        // An EOA: nonce and balance as the state serves them.
        let (acct, _) = prove(&c, DEV1, "latest");
        let acct = acct.expect("a funded account");
        let nonce = hex_u64(&c.call("eth_getTransactionCount", json!([DEV1, "latest"])));
        assert_eq!(acct.nonce, nonce);
        assert_eq!(
            acct.balance,
            u256(&c.call("eth_getBalance", json!([DEV1, "latest"])))
        );

        // An absent account (exclusion proof) and its absent slots.
        let stranger = "0x00000000000000000000000000000000deadbeef";
        let (acct, values) = prove(&c, stranger, "latest");
        assert!(acct.is_none());
        assert_eq!(values, [U256::ZERO; 3]);

        // A reverted transaction: the sender's nonce and balance move, the slots do not.
        let r = set_slots(&c, &contract, 1, 2, true);
        assert_eq!(r["status"], "0x0");
        let (_, values) = prove(&c, &contract, "latest");
        assert_eq!(values, [U256::from(9), U256::ZERO, U256::ZERO]);
        let (acct, _) = prove(&c, DEV1, "latest");
        assert_eq!(acct.unwrap().nonce, nonce + 1);

        // A value transfer creates the stranger's account.
        let r = send(&c, json!({"from": DEV0, "to": stranger, "value": "0x2a"}));
        assert_eq!(r["status"], "0x1");
        let (acct, _) = prove(&c, stranger, "latest");
        assert_eq!(acct.unwrap().balance, U256::from(42));

        // A dev-method edit, then a block: the new header proves it.
        edited.push(hex_u64(&c.call("eth_blockNumber", json!([]))));
        c.call(
            "anvil_setStorageAt",
            json!([
                contract,
                format!("0x{}", word(7)),
                format!("0x{}", word(77))
            ]),
        );
        c.call("evm_mine", json!([]));
        let (_, values) = prove(&c, &contract, "latest");
        assert_eq!(values, [U256::from(9), U256::ZERO, U256::from(77)]);

        // Native and built-in actors (masked ID addresses) are not in the trie.
        let resp = c.request(
            "eth_getProof",
            json!(["0xff00000000000000000000000000000000000063", [], "latest"]),
        );
        assert_eq!(resp["error"]["code"], -32602, "{resp}");
        (contract, early_block, stranger.to_string(), edited)
    };

    // After a restart the trie is read back from the store; mining goes on incrementally.
    let node = TestNode::start(dir.path());
    let c = node.client();
    let (_, values) = prove(&c, &contract, "latest");
    assert_eq!(values, [U256::from(9), U256::ZERO, U256::from(77)]);
    let (_, values) = prove(&c, &contract, &early_block);
    assert_eq!(values, [U256::from(5), U256::from(6), U256::ZERO]);
    assert_eq!(set_slots(&c, &contract, 0, 3, false)["status"], "0x1");
    let (_, values) = prove(&c, &contract, "latest");
    assert_eq!(values, [U256::ZERO, U256::from(3), U256::from(77)]);
    let (acct, _) = prove(&c, &stranger, "latest");
    assert_eq!(acct.unwrap().balance, U256::from(42));
    check_every_block(&node, &edited);
}

/// Every block's kept root equals the full recomputation over its state, and so does its
/// header's, except for blocks whose state a dev method edited after they were mined
/// (`edited`): the header, and the block hash, stay as mined.
fn check_every_block(node: &TestNode, edited: &[u64]) {
    let latest = node.node.latest_number();
    for n in 0..=latest {
        let block = node.node.blocks.block(n, latest).unwrap().unwrap();
        check_block(node, &block, edited, &format!("block {n}"));
    }
}

/// One block's kept root equals the full recomputation over its state, and so does its
/// header's unless a dev method edited the block's state after it was mined.
fn check_block(
    node: &TestNode,
    block: &tandem_node::blocks::BlockRecord,
    edited: &[u64],
    what: &str,
) {
    let store = tandem_vm::store::VmStore::new(node.node.store.clone());
    let state = tandem_state::StateTree::load(store, &block.state_cid().unwrap()).unwrap();
    let full = tandem_evm::root::eth_state_root(&state).unwrap();
    assert_eq!(
        node.node.eth_state_root(block).unwrap(),
        full,
        "{what}: kept root vs full recomputation"
    );
    if !edited.contains(&block.number()) {
        assert_eq!(block.header.state_root, full, "{what}: header root");
    }
}

/// A deterministic xorshift stream.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn incremental_root_equals_full_recomputation_after_every_block() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let senders = [DEV0, DEV1];
    let mut contracts = vec![deploy(&c)];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut snapshot: Option<Value> = None;
    let mut edited = Vec::new();
    for step in 0..80 {
        let from = senders[(next(&mut seed) % 2) as usize];
        match next(&mut seed) % 10 {
            0 => contracts.push(deploy(&c)),
            1 | 2 => {
                // Value to a fresh or an existing address.
                let to = format!("0x{:040x}", 0x1000 + next(&mut seed) % 12);
                send(&c, json!({"from": from, "to": to, "value": "0x1"}));
            }
            3 => {
                // Created and self-destructed in one transaction (EIP-6780 deletes it),
                // sending its value to an address of the view.
                let init = format!("0x73{}ff", "00".repeat(18) + "1001");
                send(&c, json!({"from": from, "data": init, "value": "0x5"}));
            }
            4 => {
                let k = next(&mut seed) % 4;
                let v = next(&mut seed) % 3;
                let contract = &contracts[(next(&mut seed) as usize) % contracts.len()];
                edited.push(node.node.latest_number());
                c.call(
                    "anvil_setStorageAt",
                    json!([contract, format!("0x{k:x}"), format!("0x{}", word(v))]),
                );
                c.call("evm_mine", json!([]));
            }
            5 => match snapshot.take() {
                None => snapshot = Some(c.call("evm_snapshot", json!([]))),
                Some(id) => assert_eq!(c.call("evm_revert", json!([id])), json!(true)),
            },
            _ => {
                // Slot writes, deletions (zero) and reverts.
                let contract = &contracts[(next(&mut seed) as usize) % contracts.len()];
                let (a, b) = (next(&mut seed) % 3, next(&mut seed) % 3);
                let revert = next(&mut seed).is_multiple_of(5);
                let data = format!("0x{}{}{}", word(a), word(b), word(revert as u64));
                let r = send(
                    &c,
                    json!({"from": from, "to": contract, "data": data, "gas": "0x30000"}),
                );
                assert_eq!(
                    r["status"],
                    if revert { "0x0" } else { "0x1" },
                    "step {step}"
                );
            }
        }
        // The live root after every step.
        let latest = node.node.latest();
        let store = tandem_vm::store::VmStore::new(node.node.store.clone());
        let state = tandem_state::StateTree::load(store, &latest.state_cid().unwrap()).unwrap();
        let full = tandem_evm::root::eth_state_root(&state).unwrap();
        assert_eq!(
            node.node.eth_state_root(&latest).unwrap(),
            full,
            "step {step}"
        );
        assert_eq!(latest.header.state_root, full, "step {step}: header");
    }
    check_every_block(&node, &edited);
}

/// `cast proof` (Foundry's client for `eth_getProof`) against the node: its answers verify
/// against the header root for a contract's slots, an EOA and an absent account, at the
/// latest block and an earlier one.
#[test]
fn cast_proof_verifies_against_the_header_root() {
    let Some(cast) = tandem_testkit::cast() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let url = node.url();
    let contract = deploy(&c);
    assert_eq!(set_slots(&c, &contract, 5, 6, false)["status"], "0x1");
    let early = hex_u64(&c.call("eth_blockNumber", json!([])));
    assert_eq!(set_slots(&c, &contract, 9, 0, false)["status"], "0x1");
    let cast_proof = |address: &str, slots: &[&str], block: &str| -> Value {
        let mut args = vec!["proof", "--rpc-url", &url, "--block", block, address];
        args.extend_from_slice(slots);
        let out = std::process::Command::new(&cast)
            .args(&args)
            .output()
            .expect("cast runs");
        assert!(
            out.status.success(),
            "cast {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "cast proof output: {e}: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    };
    let slots = ["0", "1", "7"];
    let latest = hex_u64(&c.call("eth_blockNumber", json!([])));
    let at = |n: u64| format!("{n}");
    let p = cast_proof(&contract, &slots, &at(latest));
    let (acct, values) = verify(header_root(&c, &format!("{latest:#x}")), &contract, &p);
    assert_eq!(values, [U256::from(9), U256::ZERO, U256::ZERO]);
    assert_eq!(acct.expect("a contract").nonce, 1);
    let p = cast_proof(&contract, &slots, &at(early));
    let (_, values) = verify(header_root(&c, &format!("{early:#x}")), &contract, &p);
    assert_eq!(values, [U256::from(5), U256::from(6), U256::ZERO]);
    let p = cast_proof(DEV1, &[], &at(latest));
    let (acct, _) = verify(header_root(&c, &format!("{latest:#x}")), DEV1, &p);
    assert_eq!(
        acct.expect("a funded account").balance,
        u256(&c.call("eth_getBalance", json!([DEV1, "latest"])))
    );
    let stranger = "0x00000000000000000000000000000000deadbeef";
    let p = cast_proof(stranger, &["0"], &at(latest));
    let (acct, values) = verify(header_root(&c, &format!("{latest:#x}")), stranger, &p);
    assert!(acct.is_none());
    assert_eq!(values, [U256::ZERO]);
    // A proof checked against another block's root fails: the check can tell.
    let p = cast_proof(&contract, &slots, &at(latest));
    let wrong = header_root(&c, &format!("{early:#x}"));
    let caught = std::panic::catch_unwind(|| verify(wrong, &contract, &p));
    assert!(caught.is_err(), "a proof verified against the wrong root");
}

/// Blocks large enough for the trie update to run on its own thread beside the commit
/// (`mine.rs`: dozens of new accounts and slot writes each), between snapshots, reverts and
/// dev edits: every root equals the full recomputation, so the worker never worked from a
/// stale view or raced the commit.
#[test]
fn large_blocks_updated_beside_the_commit_match_full_recomputation() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let contracts = [deploy(&c), deploy(&c)];
    tandem_node::mine::PARALLEL_TRIE.store(true, std::sync::atomic::Ordering::Relaxed);
    // The miner waits for the worker instead of taking an unstarted update back.
    tandem_node::trie_worker::TAKE_BACK.store(false, std::sync::atomic::Ordering::Relaxed);
    c.call("evm_setAutomine", json!([false]));
    let before = tandem_node::trie_worker::WORKER_RUNS.load(std::sync::atomic::Ordering::Relaxed);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut snapshot: Option<Value> = None;
    let mut edited = Vec::new();
    for round in 0..8u64 {
        for k in 0..64 {
            // Fresh addresses and ones an earlier round paid.
            let to = format!("0x{:040x}", 0x2000 + (round * 64 + k) % 400);
            c.call(
                "eth_sendTransaction",
                json!([{"from": DEV0, "to": to, "value": "0x3", "gas": "0x5208"}]),
            );
        }
        for _ in 0..24 {
            let contract = &contracts[(next(&mut seed) % 2) as usize];
            let (a, b) = (next(&mut seed) % 5, next(&mut seed) % 5);
            let data = format!("0x{}{}{}", word(a), word(b), word(0));
            c.call(
                "eth_sendTransaction",
                json!([{"from": DEV1, "to": contract, "data": data, "gas": "0x30000"}]),
            );
        }
        c.call("evm_mine", json!([]));
        match round % 4 {
            1 => snapshot = Some(c.call("evm_snapshot", json!([]))),
            2 => {
                edited.push(node.node.latest_number());
                c.call(
                    "anvil_setStorageAt",
                    json!([contracts[0], "0x7", format!("0x{}", word(round + 1))]),
                );
            }
            3 => {
                let id = snapshot.take().unwrap();
                assert_eq!(c.call("evm_revert", json!([id])), json!(true));
                edited.retain(|n| *n < node.node.latest_number());
            }
            _ => {}
        }
        let latest = node.node.latest();
        assert_eq!(
            latest.txs.len() % 88,
            0,
            "round {round}: every transaction mined"
        );
        check_block(&node, &latest, &edited, &format!("round {round}"));
    }
    let after = tandem_node::trie_worker::WORKER_RUNS.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        after >= before + 6,
        "the large blocks' tries ran beside the commit"
    );
    check_every_block(&node, &edited);
}
