//! Hardforks through the node's JSON-RPC: on the default fork (Osaka) an EIP-7702 set-code
//! transaction sent with `eth_sendRawTransaction` delegates a dev EOA to a contract, and calls
//! to the EOA then run the contract's code in the EOA's own context; a contract using CLZ
//! runs. A chain created with `--hardfork cancun` refuses type 4 and CLZ, and keeps its fork
//! when reopened without the flag. EIP-2935: the history contract is in the genesis and every
//! block writes its parent's hash into it; a contract reads them back with STATICCALL.

use crate::common;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEip4844, TxEip7702, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip7702::Authorization;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::{DevAccount, dev_accounts};
use tandem_node::{Node, NodeConfig};
use tandem_vm::kernel::Hardfork;

/// `sstore(0, calldataload(0)); return address()`.
const STORE_AND_SAY_WHO: &str = "600035600055306000526020 6000f3";
/// `return clz(calldataload(0))` (Osaka's CLZ is 0x1e).
const CLZ: &str = "6000351e60005260206000f3";

fn init_code(runtime: &str) -> Vec<u8> {
    let runtime = hex::decode(runtime.replace(' ', "")).unwrap();
    let n = runtime.len() as u8;
    let mut code = vec![0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xf3];
    code.extend_from_slice(&runtime);
    code
}

fn word(n: u64) -> Vec<u8> {
    U256::from(n).to_be_bytes::<32>().to_vec()
}

struct Dev {
    c: Client,
    accts: Vec<DevAccount>,
}

impl Dev {
    fn nonce(&self, who: usize) -> u64 {
        hex_u64(&self.c.call(
            "eth_getTransactionCount",
            json!([self.accts[who].address, "pending"]),
        ))
    }

    fn send_raw(&self, env: TxEnvelope) -> Value {
        let raw = format!("0x{}", hex::encode(env.encoded_2718()));
        self.c.request("eth_sendRawTransaction", json!([raw]))
    }

    fn send(&self, who: usize, to: TxKind, input: Vec<u8>) -> Value {
        let tx = TxEip1559 {
            chain_id: 31337,
            nonce: self.nonce(who),
            gas_limit: 1_000_000,
            max_fee_per_gas: 3_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::from(input),
        };
        let sig = self.accts[who].sign_hash(&tx.signature_hash()).unwrap();
        let hash = self.send_raw(tx.into_signed(sig).into());
        let hash = hash
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("{hash}"));
        self.c.call("eth_getTransactionReceipt", json!([hash]))
    }

    fn deploy(&self, runtime: &str) -> Address {
        let r = self.send(0, TxKind::Create, init_code(runtime));
        assert_eq!(r["status"], json!("0x1"), "{r}");
        r["contractAddress"].as_str().unwrap().parse().unwrap()
    }

    /// A type-4 transaction from `sender` to `authority` carrying `authority`'s signed
    /// authorization to delegate to `delegate`, with `input`.
    fn set_code_tx(
        &self,
        sender: usize,
        authority: usize,
        delegate: Address,
        input: Vec<u8>,
    ) -> TxEnvelope {
        let auth = Authorization {
            chain_id: U256::from(31337),
            address: delegate,
            nonce: self.nonce(authority),
        };
        let sig = self.accts[authority]
            .sign_hash(&auth.signature_hash())
            .unwrap();
        let tx = TxEip7702 {
            chain_id: 31337,
            nonce: self.nonce(sender),
            gas_limit: 200_000,
            max_fee_per_gas: 3_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: self.accts[authority].address,
            value: U256::ZERO,
            access_list: Default::default(),
            authorization_list: vec![auth.into_signed(sig)],
            input: Bytes::from(input),
        };
        let sig = self.accts[sender].sign_hash(&tx.signature_hash()).unwrap();
        tx.into_signed(sig).into()
    }
}

fn dev(node: &TestNode) -> Dev {
    Dev {
        c: node.client(),
        accts: dev_accounts(2).unwrap(),
    }
}

#[test]
fn set_code_transaction_delegates_a_dev_eoa_on_the_default_fork() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    assert_eq!(node.node.hardfork(), Hardfork::Osaka);
    let d = dev(&node);
    let target = d.deploy(STORE_AND_SAY_WHO);
    let eoa = d.accts[1].address;
    let eoa_nonce = d.nonce(1);

    // Account 0 sponsors account 1's delegation and calls it in the same transaction.
    let hash = d.send_raw(d.set_code_tx(0, 1, target, word(42)));
    let hash = hash
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{hash}"));
    let r = d.c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(r["status"], json!("0x1"), "{r}");
    assert_eq!(r["type"], json!("0x4"), "{r}");
    let tx = d.c.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["type"], json!("0x4"), "{tx}");

    // The EOA's code is the designator; its nonce moved; the delegate's code ran in its
    // context (its storage, ADDRESS = the EOA).
    let code = d.c.call("eth_getCode", json!([eoa, "latest"]));
    assert_eq!(
        code,
        json!(format!("0xef0100{}", hex::encode(target.as_slice())))
    );
    assert_eq!(d.nonce(1), eoa_nonce + 1);
    let slot = d.c.call("eth_getStorageAt", json!([eoa, "0x0", "latest"]));
    assert_eq!(
        U256::from_str_radix(slot.as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
        U256::from(42)
    );
    let target_slot =
        d.c.call("eth_getStorageAt", json!([target, "0x0", "latest"]));
    assert_eq!(
        U256::from_str_radix(target_slot.as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
        U256::ZERO
    );

    // An ordinary transaction and an eth_call to the EOA run the delegate's code too.
    let r = d.send(0, TxKind::Call(eoa), word(7));
    assert_eq!(r["status"], json!("0x1"), "{r}");
    let slot = d.c.call("eth_getStorageAt", json!([eoa, "0x0", "latest"]));
    assert_eq!(hex_u64(&slot), 7);
    let who = d.c.call(
        "eth_call",
        json!([{"to": eoa, "data": format!("0x{}", hex::encode(word(9)))}, "latest"]),
    );
    let who: String = who.as_str().unwrap().to_string();
    assert!(who.ends_with(&hex::encode(eoa.as_slice())), "{who}");

    // The delegated EOA still sends its own transactions (EIP-3607 lets a designator send).
    let r = d.send(1, TxKind::Call(target), word(1));
    assert_eq!(r["status"], json!("0x1"), "{r}");
}

#[test]
fn a_clz_contract_runs_on_the_default_fork() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let d = dev(&node);
    let clz = d.deploy(CLZ);
    let out = d.c.call(
        "eth_call",
        json!([{"to": clz, "data": format!("0x{}", hex::encode(word(1)))}, "latest"]),
    );
    assert_eq!(hex_u64(&out), 255);
    // Estimates work under Osaka's per-transaction cap (calls default to at most 2^24 gas).
    let gas = d.c.call(
        "eth_estimateGas",
        json!([{"from": d.accts[0].address, "to": clz, "data": format!("0x{}", hex::encode(word(1)))}]),
    );
    assert!(hex_u64(&gas) > 21_000, "{gas}");
}

#[test]
fn a_cancun_chain_refuses_type_4_and_keeps_its_fork() {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        hardfork: Some(Hardfork::Cancun),
        ..NodeConfig::default()
    };
    drop(Node::open(dir.path(), &config).unwrap());
    // Reopened without the flag: the recorded fork stays.
    let node = TestNode::start(dir.path());
    assert_eq!(node.node.hardfork(), Hardfork::Cancun);
    let d = dev(&node);
    let target = d.deploy(STORE_AND_SAY_WHO);
    let resp = d.send_raw(d.set_code_tx(0, 1, target, word(1)));
    let message = resp["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("transaction type not supported: 4"),
        "{resp}"
    );
    assert_eq!(
        d.c.call("eth_getCode", json!([d.accts[1].address, "latest"])),
        json!("0x")
    );
    // No EIP-2935 history contract before Prague.
    assert_eq!(
        d.c.call("eth_getCode", json!([HISTORY, "latest"])),
        json!("0x")
    );
    // CLZ is an undefined instruction before Osaka.
    let clz = d.deploy(CLZ);
    let resp = d.c.request(
        "eth_call",
        json!([{"to": clz, "data": format!("0x{}", hex::encode(word(1)))}, "latest"]),
    );
    assert!(resp.get("error").is_some(), "{resp}");
}

/// EIP-2935's history contract, as the EIP deploys it.
const HISTORY: &str = "0x0000F90827F1C53a10cb7A02335B175320002935";

/// `mstore(0, calldataload(0)); ok := staticcall(gas, HISTORY, 0, 32, 0, 32);
/// mstore(32, ok); return(0, 64)`: the hash of the block number given, and whether the
/// history contract answered.
fn history_reader() -> String {
    format!(
        "600035600052 6020600060206000 73{} 5afa 602052 60406000f3",
        HISTORY.trim_start_matches("0x").to_lowercase()
    )
}

/// `mstore(0, number - 1); staticcall(gas, HISTORY, 0, 32, 0, 32); sstore(number,
/// mload(0)); return(0, 32)`: records, in a transaction, the parent hash the block sees.
fn parent_recorder() -> String {
    format!(
        "6001430360005 2 6020600060206000 73{} 5afa 50 600051 4355 60206000f3",
        HISTORY.trim_start_matches("0x").to_lowercase()
    )
}

fn block_hash(c: &Client, n: u64) -> String {
    let b = c.call("eth_getBlockByNumber", json!([format!("0x{n:x}"), false]));
    b["hash"].as_str().unwrap().to_string()
}

#[test]
fn the_block_hash_history_contract_serves_parent_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let d = dev(&node);
    // Pre-deployed in the genesis with the EIP's code.
    let code = d.c.call("eth_getCode", json!([HISTORY, "0x0"]));
    assert_eq!(
        code.as_str().unwrap(),
        format!(
            "0x{}",
            hex::encode(&alloy_eips::eip2935::HISTORY_STORAGE_CODE)
        )
    );
    let reader = d.deploy(&history_reader());
    let recorder = d.deploy(&parent_recorder());
    // Blocks with and without the recorder's transactions.
    let mut recorded = Vec::new();
    for i in 0..4 {
        d.c.call("evm_mine", json!([]));
        let r = d.send(0, TxKind::Call(recorder), Vec::new());
        assert_eq!(r["status"], json!("0x1"), "{r}");
        recorded.push((hex_u64(&r["blockNumber"]), r["transactionHash"].clone(), i));
    }
    // Inside a transaction, `number - 1` is the parent's hash as the chain has it.
    for (n, hash, _) in &recorded {
        let slot = d.c.call(
            "eth_getStorageAt",
            json!([recorder, format!("0x{n:x}"), "latest"]),
        );
        assert_eq!(slot.as_str().unwrap(), block_hash(&d.c, n - 1), "block {n}");
        // A replay sees the same history (the trace runs the start-of-block write too).
        let trace = d.c.call(
            "debug_traceTransaction",
            json!([hash, {"tracer": "callTracer"}]),
        );
        assert_eq!(trace["output"].as_str().unwrap(), block_hash(&d.c, n - 1));
    }
    // Every earlier block's hash, through a contract's STATICCALL; the latest block's own
    // hash is not served (the contract reverts for `n >= number`).
    let latest = hex_u64(&d.c.call("eth_blockNumber", json!([])));
    assert!(latest >= 10, "{latest}");
    for n in 0..=latest {
        let out = d.c.call(
            "eth_call",
            json!([{"to": reader, "data": format!("0x{}", hex::encode(word(n)))}, "latest"]),
        );
        let out = out.as_str().unwrap();
        if n < latest {
            assert_eq!(&out[..66], block_hash(&d.c, n), "block {n}");
            assert!(out.ends_with('1'), "block {n}: {out}");
        } else {
            assert!(
                out.ends_with('0'),
                "the latest block is not in the history: {out}"
            );
        }
    }
    // The contract's storage is in the header's state: eth_getProof serves its slots.
    let proof = d.c.call(
        "eth_getProof",
        json!([HISTORY, [format!("0x{:x}", latest - 1)], "latest"]),
    );
    assert_eq!(
        proof["storageProof"][0]["value"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        block_hash(&d.c, latest - 1)
            .trim_start_matches("0x")
            .trim_start_matches('0')
    );
}

/// A type-3 transaction from account 0 with `blobs` (version-1) blob hashes.
fn blob_tx(d: &Dev, blobs: u8) -> TxEnvelope {
    let tx = TxEip4844 {
        chain_id: 31337,
        nonce: d.nonce(0),
        gas_limit: 100_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: d.accts[1].address,
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: (1..=blobs)
            .map(|i| {
                let mut h = [i; 32];
                h[0] = 1;
                B256::from(h)
            })
            .collect(),
        max_fee_per_blob_gas: 1_000,
        input: Bytes::new(),
    };
    let sig = d.accts[0].sign_hash(&tx.signature_hash()).unwrap();
    tx.into_signed(sig).into()
}

fn send_blobs(d: &Dev, blobs: u8) -> Value {
    let hash = d.send_raw(blob_tx(d, blobs));
    let hash = hash
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{hash}"));
    d.c.call("eth_getTransactionReceipt", json!([hash]))
}

fn header(c: &Client, n: &str) -> Value {
    c.call("eth_getBlockByNumber", json!([n, false]))
}

#[test]
fn osaka_blob_excess_follows_eip_7918() {
    const BLOB: u64 = 131_072;
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let d = dev(&node);
    // Six blobs a block, the target: EIP-4844 alone would leave the excess at zero; with
    // blobs far below their execution cost (2^13 gas at a base fee near 1 gwei) EIP-7918
    // adds 6 × (9 − 6) / 9 = 2 blobs' worth a block, until the blob fee rises.
    let mut fees = Vec::new();
    for i in 1..=14u64 {
        let r = send_blobs(&d, 6);
        assert_eq!(r["status"], json!("0x1"), "{r}");
        let pending = header(&d.c, "pending");
        assert_eq!(
            hex_u64(&pending["excessBlobGas"]),
            2 * BLOB * i,
            "{pending}"
        );
        let fee = hex_u64(&d.c.call("eth_blobBaseFee", json!([])));
        // The next block's fee, as the receipts of its blob transactions will show it.
        fees.push(fee);
        let mined = header(&d.c, "latest");
        assert_eq!(hex_u64(&mined["blobGasUsed"]), 6 * BLOB);
        assert_eq!(hex_u64(&mined["excessBlobGas"]), 2 * BLOB * (i - 1));
    }
    assert_eq!(fees[0], 1);
    assert_eq!(*fees.last().unwrap(), 2, "{fees:?}");
    let r = send_blobs(&d, 1);
    assert_eq!(hex_u64(&r["blobGasPrice"]), 2, "{r}");
    let history = d.c.call("eth_feeHistory", json!(["0x2", "latest", []]));
    assert_eq!(history["baseFeePerBlobGas"][1], json!("0x2"), "{history}");
    // One blob: while blobs stay below their execution cost, EIP-7918 adds a third of it.
    let next = header(&d.c, "pending");
    assert_eq!(hex_u64(&next["excessBlobGas"]), 28 * BLOB + BLOB * 3 / 9);
}

#[test]
fn prague_blob_excess_is_eip_4844s() {
    const BLOB: u64 = 131_072;
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        hardfork: Some(Hardfork::Prague),
        ..NodeConfig::default()
    };
    drop(Node::open(dir.path(), &config).unwrap());
    let node = TestNode::start(dir.path());
    let d = dev(&node);
    // Prague: the history contract is there too.
    assert_ne!(
        d.c.call("eth_getCode", json!([HISTORY, "latest"])),
        json!("0x")
    );
    let r = send_blobs(&d, 6);
    assert_eq!(r["status"], json!("0x1"), "{r}");
    assert_eq!(hex_u64(&header(&d.c, "pending")["excessBlobGas"]), 0);
    let r = send_blobs(&d, 9);
    assert_eq!(r["status"], json!("0x1"), "{r}");
    assert_eq!(hex_u64(&header(&d.c, "pending")["excessBlobGas"]), 3 * BLOB);
}
