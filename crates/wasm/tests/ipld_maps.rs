//! tandem-sdk's `ipld` helpers end to end: the ledger example actor keeps 10,000 entries in a
//! HAMT (and a log of its batches in an AMT) on an on-disk chain, and reads them back after
//! the chain is dropped and opened again from its data dir. The host then reads the same
//! HAMT with plain `fvm_ipld_hamt` and `TokenAmount`s: the actor's map (the SDK's own HAMT,
//! no_std) is the standard one. Everything, the install included, runs under the real block
//! gas limit.

use crate::common;

use std::path::Path;

use cid::Cid;
use common::{actors, message};
use fvm_ipld_encoding::{CborStore, RawBytes};
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use k256::ecdsa::SigningKey;
use multihash_codetable::Code;
use tandem_actors::genesis::{Genesis, GenesisAccount};
use tandem_actors::init::{
    ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn, install_code_method,
};
use tandem_chain::keys::dev_key;
use tandem_chain::{Chain, ChainConfig, DataDir};
use tandem_vm::frc42::method_number;
use tandem_vm::message::{ApplyRet, Message, SignedMessage, secp256k1_address};

const BLOCK_GAS: u64 = 30_000_000;
const ENTRIES: u64 = 10_000;
/// Keys per `PutMany` message: the batch must fit the block gas limit.
const BATCH: u64 = 100;

/// What the ledger stores under key `k` (examples/actors/ledger).
fn amount(k: u64) -> u128 {
    (u128::from(k) + 1) * 1_000_000_000_000_000_000
}

fn m(name: &str) -> u64 {
    method_number(name).unwrap()
}

fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    fvm_ipld_encoding::to_vec(v).unwrap()
}

fn exit(ret: &ApplyRet) -> ExitCode {
    ret.receipt.exit_code
}

/// An on-disk chain and one funded dev account that signs every message.
struct Disk {
    chain: Chain,
    key: SigningKey,
    from: Address,
    nonce: u64,
}

impl Disk {
    fn init(path: &Path) -> Self {
        let key = dev_key(0);
        let genesis = Genesis {
            network_name: "tandem-dev".into(),
            accounts: vec![GenesisAccount {
                address: secp256k1_address(&key),
                balance: TokenAmount::from_whole(1_000),
            }],
        };
        DataDir::init(path, ChainConfig::default(), &genesis).unwrap();
        Self::open(path)
    }

    /// Loads the chain at its committed head (a restart: nothing is shared with before).
    fn open(path: &Path) -> Self {
        let chain = Chain::load(DataDir::open(path).unwrap()).unwrap();
        let key = dev_key(0);
        let from = secp256k1_address(&key);
        let mut disk = Self {
            chain,
            key,
            from,
            nonce: 0,
        };
        let state = &mut disk.chain.exec.machine.state;
        let id = state.lookup_id(&from).unwrap().unwrap();
        disk.nonce = state.get_actor(id).unwrap().unwrap().sequence;
        disk
    }

    fn send(&mut self, to: Address, method: u64, params: Vec<u8>, gas_limit: u64) -> ApplyRet {
        let msg = Message {
            version: 0,
            from: self.from,
            to,
            sequence: self.nonce,
            value: TokenAmount::from_atto(0u8),
            method_num: method,
            params: RawBytes::new(params),
            gas_limit,
            gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
            gas_premium: TokenAmount::from_atto(1_000_000_000u64),
        };
        let signed = SignedMessage::sign_secp256k1(msg, &self.key).unwrap();
        let ret = self.chain.apply(&signed).unwrap();
        if ret.applied {
            self.nonce += 1;
        }
        ret
    }

    fn call(&mut self, to: Address, method: &str, params: Vec<u8>) -> ApplyRet {
        self.send(to, m(method), params, BLOCK_GAS)
    }

    fn call_ok<T: serde::de::DeserializeOwned>(
        &mut self,
        to: Address,
        method: &str,
        params: Vec<u8>,
    ) -> T {
        let ret = self.call(to, method, params);
        assert_eq!(
            exit(&ret),
            ExitCode::OK,
            "{method}: {:?} {}",
            ret.failure,
            message(&ret)
        );
        ret.receipt.return_data.deserialize().unwrap()
    }

    /// Installs and creates the ledger; the install gas and the actor's address. The ledger
    /// (no_std, the SDK's own HAMT and AMT) installs under the real block gas limit.
    fn deploy_ledger(&mut self) -> (u64, Address) {
        let wasm = actors::wasm("ledger");
        let params = cbor(&InstallCodeParams {
            code: RawBytes::new(wasm),
        });
        let ret = self.send(Address::new_id(1), install_code_method(), params, BLOCK_GAS);
        assert_eq!(exit(&ret), ExitCode::OK, "install: {:?}", ret.failure);
        let install_gas = ret.receipt.gas_used;
        let code = ret
            .receipt
            .return_data
            .deserialize::<InstallCodeReturn>()
            .unwrap()
            .code_cid;

        let params = cbor(&ExecParams {
            code_cid: code,
            constructor_params: RawBytes::default(),
        });
        let ret = self.send(Address::new_id(1), 2, params, BLOCK_GAS);
        assert_eq!(
            exit(&ret),
            ExitCode::OK,
            "create: {:?} {}",
            ret.failure,
            message(&ret)
        );
        let out: ExecReturn = ret.receipt.return_data.deserialize().unwrap();
        (install_gas, out.id_address)
    }

    /// The ledger's state object `[entries, log, count]`, read on the host.
    fn ledger_state(&mut self, ledger: &Address) -> (Cid, Cid, u64) {
        let state = &mut self.chain.exec.machine.state;
        let id = state.lookup_id(ledger).unwrap().unwrap();
        let head = state.get_actor(id).unwrap().unwrap().state;
        state.store().get_cbor(&head).unwrap().unwrap()
    }
}

#[test]
fn ten_thousand_entries_in_a_hamt_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("chain");
    let mut disk = Disk::init(&path);
    let (install_gas, ledger) = disk.deploy_ledger();
    println!(
        "ledger module {} bytes, install gas {install_gas}",
        actors::wasm("ledger").len()
    );
    disk.chain.commit().unwrap();

    let mut gas = Vec::new();
    for start in (0..ENTRIES).step_by(BATCH as usize) {
        let ret = disk.call(ledger, "PutMany", cbor(&(start, BATCH)));
        if start % (10 * BATCH) == 0 || start + BATCH == ENTRIES {
            println!("PutMany({start}, {BATCH}): {} gas", ret.receipt.gas_used);
        }
        assert_eq!(
            exit(&ret),
            ExitCode::OK,
            "PutMany({start}): {:?} {}",
            ret.failure,
            message(&ret)
        );
        assert_eq!(
            ret.receipt.return_data.deserialize::<u64>().unwrap(),
            start + BATCH
        );
        gas.push(ret.receipt.gas_used);
        // One message per block, committed to disk.
        disk.chain.commit().unwrap();
    }
    let (min, max) = (gas.iter().min().unwrap(), gas.iter().max().unwrap());
    let total: u64 = gas.iter().sum();
    println!(
        "PutMany of {BATCH}: first {} last {} min {min} max {max} gas; {} gas per insert on average",
        gas[0],
        gas[gas.len() - 1],
        total / ENTRIES
    );
    for k in [0, 1, 4_999, 9_999] {
        let got: TokenAmount = disk.call_ok(ledger, "Get", cbor(&(k,)));
        assert_eq!(got, TokenAmount::from_atto(amount(k)));
    }
    let head = disk.chain.commit().unwrap().0;
    drop(disk);

    // A restart: the chain is opened again from its data dir.
    let mut disk = Disk::open(&path);
    assert_eq!(disk.chain.head().unwrap(), head);
    assert_eq!(disk.call_ok::<u64>(ledger, "Count", vec![]), ENTRIES);
    let mut k = 7u64;
    for _ in 0..25 {
        let ret = disk.call(ledger, "Get", cbor(&(k,)));
        assert_eq!(
            exit(&ret),
            ExitCode::OK,
            "Get({k}): {:?} {}",
            ret.failure,
            message(&ret)
        );
        let got: TokenAmount = ret.receipt.return_data.deserialize().unwrap();
        assert_eq!(got, TokenAmount::from_atto(amount(k)), "key {k}");
        k = (k * 7_919 + 13) % ENTRIES;
    }
    let get_gas = disk
        .call(ledger, "Get", cbor(&(1_234u64,)))
        .receipt
        .gas_used;
    println!("Get after the restart: {get_gas} gas");
    let missing = disk.call(ledger, "Get", cbor(&(ENTRIES,)));
    assert_eq!(exit(&missing), ExitCode::USR_NOT_FOUND);
    assert_eq!(message(&missing), format!("no entry for key {ENTRIES}"));
    // The AMT log: one entry per batch.
    let batches = ENTRIES / BATCH;
    assert_eq!(disk.call_ok::<u64>(ledger, "LogLength", vec![]), batches);
    let last: (u64, u64) = disk.call_ok(ledger, "LogEntry", cbor(&(batches - 1,)));
    assert_eq!(last, (ENTRIES - BATCH, BATCH));

    // The host reads the same map with fvm_ipld_hamt (SHA-256 keys, bit width 5) and
    // TokenAmount values: the actor hashed with the host's SHA-256 and encoded u128s as
    // big integers.
    let (entries, _, count) = disk.ledger_state(&ledger);
    assert_eq!(count, ENTRIES);
    let store = disk.chain.exec.machine.state.store();
    let hamt: Hamt<_, TokenAmount, BytesKey> =
        Hamt::load_with_bit_width(&entries, store, 5).unwrap();
    let mut seen = 0u64;
    hamt.for_each(|key, value| {
        let k = varint(key);
        assert_eq!(*value, TokenAmount::from_atto(amount(k)), "key {k}");
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, ENTRIES);
}

/// An unsigned LEB128 key (how the ledger keys its map).
fn varint(key: &[u8]) -> u64 {
    key.iter()
        .enumerate()
        .fold(0, |v, (i, b)| v | (u64::from(b & 0x7f) << (7 * i)))
}

/// The exit code is `code` and the message starts with `prefix`.
fn expect_exit(ret: &ApplyRet, code: ExitCode, prefix: &str, what: &str) {
    let msg = message(ret);
    println!("{what}: {code} {msg}");
    assert_eq!(exit(ret), code, "{what}: {:?} {msg}", ret.failure);
    assert!(msg.starts_with(prefix), "{what}: {msg}");
}

#[test]
fn missing_keys_bad_params_and_corrupt_roots_are_clean_exits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut disk = Disk::init(&tmp.path().join("chain"));
    let (_, ledger) = disk.deploy_ledger();
    let put = |k: u64, atto: u8| cbor(&(k, TokenAmount::from_atto(atto)));

    assert_eq!(disk.call_ok::<u64>(ledger, "Put", put(7, 70)), 1);
    let got: TokenAmount = disk.call_ok(ledger, "Get", cbor(&(7u64,)));
    assert_eq!(got, TokenAmount::from_atto(70u8));
    // Put on an existing key replaces it without counting it twice.
    assert_eq!(disk.call_ok::<u64>(ledger, "Put", put(7, 71)), 1);
    assert_eq!(
        disk.call_ok::<u64>(ledger, "PutMany", cbor(&(100u64, 5u64))),
        6
    );
    let (n, total): (u64, TokenAmount) = disk.call_ok(ledger, "Sum", vec![]);
    let expected = 71 + (100..105).map(amount).sum::<u128>();
    assert_eq!((n, total), (6, TokenAmount::from_atto(expected)));
    assert_eq!(disk.call_ok::<u64>(ledger, "LogLength", vec![]), 3);
    assert_eq!(
        disk.call_ok::<(u64, u64)>(ledger, "LogEntry", cbor(&(2u64,))),
        (100, 5)
    );

    let ret = disk.call(ledger, "Get", cbor(&(8u64,)));
    expect_exit(
        &ret,
        ExitCode::USR_NOT_FOUND,
        "no entry for key 8",
        "Get(8)",
    );
    let ret = disk.call(ledger, "LogEntry", cbor(&(5u64,)));
    expect_exit(
        &ret,
        ExitCode::USR_NOT_FOUND,
        "no log entry 5",
        "LogEntry(5)",
    );
    let ret = disk.call(ledger, "PutMany", cbor(&(u64::MAX, 2u64)));
    expect_exit(
        &ret,
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "start + count",
        "PutMany(MAX, 2)",
    );
    let ret = disk.call(ledger, "Get", cbor(&"seven"));
    expect_exit(
        &ret,
        ExitCode::USR_SERIALIZATION,
        "malformed params",
        "Get(\"seven\")",
    );

    // Corrupt state, written by the host behind the actor's back: each is an exit code with a
    // message, never a trap. (A root naming a block that exists nowhere cannot be tested this
    // way: the VM guarantees that reachable blocks exist and treats a missing one as a fatal
    // error of the node, not of the actor.)
    let (entries, log, count) = disk.ledger_state(&ledger);
    let store = disk.chain.exec.machine.state.store().clone();
    let mut strings: Hamt<_, String, BytesKey> = Hamt::new_with_bit_width(&store, 5);
    strings.set(BytesKey(vec![7]), "seven".into()).unwrap();
    let strings = strings.flush().unwrap();
    // A HAMT node whose bitfield promises 32 pointers and that holds one bucket.
    let short = (
        RawBytes::new(vec![0xff; 4]),
        vec![vec![(RawBytes::new(vec![7]), TokenAmount::from_atto(70u8))]],
    );
    let short = store.put_cbor(&short, Code::Blake2b256).unwrap();
    for (map_root, what) in [
        (log, "an AMT root"),
        (strings, "a map of strings"),
        (short, "a short node"),
    ] {
        let state = store.put_cbor(&(map_root, log, count), Code::Blake2b256);
        set_state(&mut disk, &ledger, state.unwrap());
        let ret = disk.call(ledger, "Get", cbor(&(7u64,)));
        expect_exit(
            &ret,
            ExitCode::USR_ILLEGAL_STATE,
            "state map: ",
            &format!("Get on {what}"),
        );
        let ret = disk.call(ledger, "Put", put(9, 1));
        expect_exit(
            &ret,
            ExitCode::USR_ILLEGAL_STATE,
            "state map: ",
            &format!("Put on {what}"),
        );
    }

    // An AMT root of height 0 (a leaf) whose node holds a link: not an AMT node, for reads
    // and writes alike.
    let linked_leaf = (
        3u64,
        0u64,
        1u64,
        (RawBytes::new(vec![1]), vec![entries], Vec::<u64>::new()),
    );
    let linked_leaf = store.put_cbor(&linked_leaf, Code::Blake2b256).unwrap();
    let state = store.put_cbor(&(entries, linked_leaf, count), Code::Blake2b256);
    set_state(&mut disk, &ledger, state.unwrap());
    for (method, params) in [("LogEntry", cbor(&(0u64,))), ("Put", put(9, 1))] {
        let ret = disk.call(ledger, method, params);
        expect_exit(
            &ret,
            ExitCode::USR_ILLEGAL_STATE,
            "state array: ",
            &format!("{method} on a linked leaf"),
        );
    }

    // A state object of the wrong shape is the SDK's USR_SERIALIZATION.
    let state = store.put_cbor(&(1u64, 2u64), Code::Blake2b256).unwrap();
    set_state(&mut disk, &ledger, state);
    let ret = disk.call(ledger, "Count", vec![]);
    expect_exit(
        &ret,
        ExitCode::USR_SERIALIZATION,
        "bad state",
        "Count on bad state",
    );
}

/// Points an actor at another state root (as a corrupted store would).
fn set_state(disk: &mut Disk, actor: &Address, state: Cid) {
    let tree = &mut disk.chain.exec.machine.state;
    let id = tree.lookup_id(actor).unwrap().unwrap();
    tree.mutate_actor(id, |a| {
        a.state = state;
        Ok(())
    })
    .unwrap();
}
