//! Hostile raw transactions through `eth_sendRawTransaction` on a live node: malformed RLP of
//! every type (0–4), signed transactions that break a validity rule (chain id, malleable
//! signature, limits, fees, EIP-4844 blobs and sidecars, EIP-7702 authorization lists). Each
//! gets a clear JSON-RPC error and changes nothing; authorizations that are invalid inside an
//! otherwise valid type-4 transaction are skipped, as EIP-7702 says, and the node keeps mining.

use crate::common;

use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip2930, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar,
    TxEip7702, TxEnvelope, TxLegacy,
};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip4844::{Blob, BlobTransactionSidecar, Bytes48, kzg_to_versioned_hash};
use alloy_eips::eip7594::BlobTransactionSidecarVariant;
use alloy_eips::eip7702::{Authorization, SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use common::txs::{DEV, OTHER, send};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::{DevAccount, dev_accounts};

const CHAIN: u64 = 31337;
/// The order of secp256k1's group.
const SECP256K1_N: U256 = U256::from_be_slice(&[
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
]);

fn raw(env: &TxEnvelope) -> Vec<u8> {
    env.encoded_2718()
}

fn signed<T: SignableTransaction<Signature>>(
    acct: &DevAccount,
    tx: T,
) -> alloy_consensus::Signed<T> {
    let sig = acct.sign_hash(&tx.signature_hash()).unwrap();
    tx.into_signed(sig)
}

fn legacy(nonce: u64) -> TxLegacy {
    TxLegacy {
        chain_id: Some(CHAIN),
        nonce,
        gas_price: 3_000_000_000,
        gas_limit: 100_000,
        to: TxKind::Call(Address::repeat_byte(0x11)),
        value: U256::from(1),
        input: Bytes::new(),
    }
}

fn eip2930(nonce: u64) -> TxEip2930 {
    TxEip2930 {
        chain_id: CHAIN,
        nonce,
        gas_price: 3_000_000_000,
        gas_limit: 100_000,
        to: TxKind::Call(Address::repeat_byte(0x11)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    }
}

fn eip1559(nonce: u64) -> TxEip1559 {
    common::txs::tx_1559(nonce, TxKind::Call(Address::repeat_byte(0x11)), Vec::new())
}

fn eip4844(nonce: u64, hashes: Vec<B256>) -> TxEip4844 {
    TxEip4844 {
        chain_id: CHAIN,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 3_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: Address::repeat_byte(0x11),
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: hashes,
        max_fee_per_blob_gas: 1_000,
        input: Bytes::new(),
    }
}

fn eip7702(nonce: u64, auths: Vec<SignedAuthorization>) -> TxEip7702 {
    TxEip7702 {
        chain_id: CHAIN,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 3_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: Address::repeat_byte(0x11),
        value: U256::ZERO,
        access_list: Default::default(),
        authorization_list: auths,
        input: Bytes::new(),
    }
}

fn blob_tx(acct: &DevAccount, tx: TxEip4844, sidecar: Option<BlobTransactionSidecar>) -> Vec<u8> {
    let env: TxEnvelope = match sidecar {
        None => signed(
            acct,
            TxEip4844Variant::<BlobTransactionSidecarVariant>::TxEip4844(tx),
        )
        .into(),
        Some(sidecar) => {
            let with = TxEip4844WithSidecar::from_tx_and_sidecar(
                tx,
                BlobTransactionSidecarVariant::Eip4844(sidecar),
            );
            signed(acct, TxEip4844Variant::TxEip4844WithSidecar(with)).into()
        }
    };
    raw(&env)
}

fn authorization(
    acct: &DevAccount,
    chain_id: u64,
    address: Address,
    nonce: u64,
) -> SignedAuthorization {
    let auth = Authorization {
        chain_id: U256::from(chain_id),
        address,
        nonce,
    };
    let sig = acct.sign_hash(&auth.signature_hash()).unwrap();
    auth.into_signed(sig)
}

/// Everything a refused transaction must leave alone.
#[derive(Debug, PartialEq)]
struct Snapshot {
    block: Value,
    nonce: Value,
    balance: Value,
    other_balance: Value,
    pending: Value,
}

fn snapshot(c: &Client) -> Snapshot {
    Snapshot {
        block: c.call("eth_getBlockByNumber", json!(["latest", false]))["hash"].clone(),
        nonce: c.call("eth_getTransactionCount", json!([DEV, "pending"])),
        balance: c.call("eth_getBalance", json!([DEV, "latest"])),
        other_balance: c.call("eth_getBalance", json!([OTHER, "latest"])),
        pending: c.call("txpool_status", json!([])),
    }
}

/// Sends `raw`, which must be refused with an error that says why; returns the message.
fn refused(c: &Client, what: &str, raw: &[u8]) -> String {
    let resp = c.request(
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(raw))]),
    );
    let err = &resp["error"];
    assert!(err.is_object(), "{what}: accepted: {resp}");
    let code = err["code"].as_i64().unwrap();
    assert!(
        [-32000, -32602, -32003].contains(&code),
        "{what}: code {code}: {resp}"
    );
    let msg = err["message"].as_str().unwrap().to_string();
    assert!(msg.len() > 8, "{what}: {resp}");
    assert!(!msg.to_lowercase().contains("panic"), "{what}: {resp}");
    eprintln!("{what}: {msg}");
    msg
}

/// Asserts `msg` says one of `words`.
fn says(what: &str, msg: &str, words: &[&str]) {
    let lower = msg.to_lowercase();
    assert!(
        words.iter().any(|w| lower.contains(w)),
        "{what}: {msg:?} names none of {words:?}"
    );
}

fn assert_alive(c: &Client) {
    let before = hex_u64(&c.call("eth_blockNumber", json!([])));
    let receipt = send(c, json!({"from": DEV, "to": OTHER, "value": "0x1"}));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(hex_u64(&receipt["blockNumber"]), before + 1);
}

/// Well-formed signed transactions of types 0 to 4 (not sent), for the malformed variants.
fn valid_of_every_type(acct: &DevAccount, other: &DevAccount) -> Vec<(u8, Vec<u8>)> {
    let auth = authorization(other, CHAIN, Address::repeat_byte(0x22), 0);
    vec![
        (0, raw(&signed(acct, legacy(0)).into())),
        (1, raw(&signed(acct, eip2930(0)).into())),
        (2, raw(&signed(acct, eip1559(0)).into())),
        (
            3,
            blob_tx(acct, eip4844(0, vec![B256::repeat_byte(1)]), None),
        ),
        (4, raw(&signed(acct, eip7702(0, vec![auth])).into())),
    ]
}

#[test]
fn malformed_raw_transactions_of_every_type_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let accts = dev_accounts(2).unwrap();
    let before = snapshot(&c);

    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), vec![]),
        ("type byte 0x05".into(), vec![0x05, 0xc0]),
        ("type byte 0x7f".into(), vec![0x7f, 0xc0]),
        ("type byte 0xff".into(), vec![0xff]),
        ("RLP string, not a list".into(), vec![0x83, 1, 2, 3]),
        (
            "list length of 2^64-1".into(),
            [vec![0xff], vec![0xff; 8]].concat(),
        ),
        (
            "deeply nested lists".into(),
            [vec![0xf9, 0xff, 0xff], vec![0xc1; 2_000], vec![0xc0]].concat(),
        ),
    ];
    for (ty, good) in valid_of_every_type(&accts[0], &accts[1]) {
        let typed = ty != 0;
        if typed {
            cases.push((format!("type {ty}: the type byte alone"), vec![ty]));
            cases.push((format!("type {ty}: an empty list"), vec![ty, 0xc0]));
            cases.push((
                format!("type {ty}: 32 zero bytes"),
                [vec![ty], vec![0; 32]].concat(),
            ));
        }
        for cut in [1, good.len() / 3, good.len() / 2, good.len() - 1] {
            cases.push((format!("type {ty}: cut at {cut}"), good[..cut].to_vec()));
        }
        cases.push((
            format!("type {ty}: a trailing byte"),
            [good.clone(), vec![0]].concat(),
        ));
        // The outer list's length made one too long (the payload's first byte after the
        // type, a long-list header 0xf8/0xf9 followed by its length).
        let at = usize::from(typed);
        let mut longer = good.clone();
        match longer[at] {
            0xf8 => longer[at + 1] = longer[at + 1].wrapping_add(1),
            0xf9 => longer[at + 2] = longer[at + 2].wrapping_add(1),
            b => longer[at] = b + 1,
        }
        cases.push((format!("type {ty}: a list length that lies"), longer));
        // Every field's bytes flipped to 0xff in turn would be long; flip a few in the middle.
        let mut flipped = good.clone();
        let mid = flipped.len() / 2;
        for b in &mut flipped[mid..mid + 4] {
            *b = !*b;
        }
        cases.push((format!("type {ty}: four bytes flipped"), flipped));
    }
    for (what, bytes) in &cases {
        refused(&c, what, bytes);
    }
    // Hex that is not hex, and no params at all.
    for params in [json!(["0xzz"]), json!(["0x0"]), json!([]), json!([42])] {
        let resp = c.request("eth_sendRawTransaction", params.clone());
        assert!(resp["error"].is_object(), "{params}: {resp}");
    }
    assert_eq!(snapshot(&c), before);
    assert_alive(&c);
}

/// The KZG commitment (and the proof) of the zero blob: the point at infinity.
fn infinity() -> Bytes48 {
    let mut p = [0u8; 48];
    p[0] = 0xc0;
    Bytes48::from(p)
}

/// BLS12-381's G1 generator, compressed: a valid point, the wrong proof.
const G1: &str = "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";

fn zero_blob_sidecar(commitment: Bytes48, proof: Bytes48) -> BlobTransactionSidecar {
    BlobTransactionSidecar {
        blobs: vec![Blob::ZERO],
        commitments: vec![commitment],
        proofs: vec![proof],
    }
}

/// `sig` with s replaced by n − s and the parity flipped: the same signer, a malleated
/// signature that EIP-2 forbids.
fn high_s(sig: Signature) -> Signature {
    Signature::new(sig.r(), SECP256K1_N - sig.s(), !sig.v())
}

#[test]
fn invalid_signed_transactions_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let accts = dev_accounts(2).unwrap();
    let a = &accts[0];
    let before = snapshot(&c);

    let zero_hash = kzg_to_versioned_hash(infinity().as_slice());
    let auth = authorization(&accts[1], CHAIN, Address::repeat_byte(0x22), 0);
    let malleated = |tx: TxEip1559| {
        let sig = a.sign_hash(&tx.signature_hash()).unwrap();
        raw(&tx.into_signed(high_s(sig)).into())
    };
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "wrong chain id",
            raw(&signed(
                a,
                TxEip1559 {
                    chain_id: 1,
                    ..eip1559(0)
                },
            )
            .into()),
            &["chain id"],
        ),
        (
            "a high-s signature (EIP-2)",
            malleated(eip1559(0)),
            &["signature", "sender"],
        ),
        (
            "gas over the transaction cap",
            raw(&signed(
                a,
                TxEip1559 {
                    gas_limit: (1 << 24) + 1,
                    ..eip1559(0)
                },
            )
            .into()),
            &["gas"],
        ),
        (
            "gas limit u64::MAX",
            raw(&signed(
                a,
                TxEip1559 {
                    gas_limit: u64::MAX,
                    ..eip1559(0)
                },
            )
            .into()),
            &["gas"],
        ),
        (
            "nonce u64::MAX",
            raw(&signed(
                a,
                TxEip1559 {
                    nonce: u64::MAX,
                    ..eip1559(u64::MAX)
                },
            )
            .into()),
            &["nonce"],
        ),
        (
            "tip above the fee cap",
            raw(&signed(
                a,
                TxEip1559 {
                    max_priority_fee_per_gas: 4_000_000_000,
                    ..eip1559(0)
                },
            )
            .into()),
            &["priority", "tip"],
        ),
        (
            "fee cap u128::MAX",
            raw(&signed(
                a,
                TxEip1559 {
                    max_fee_per_gas: u128::MAX,
                    max_priority_fee_per_gas: u128::MAX,
                    ..eip1559(0)
                },
            )
            .into()),
            &["insufficient funds"],
        ),
        (
            "value 2^256-1",
            raw(&signed(
                a,
                TxEip1559 {
                    value: U256::MAX,
                    ..eip1559(0)
                },
            )
            .into()),
            &["insufficient funds"],
        ),
        (
            "legacy gas price u128::MAX",
            raw(&signed(
                a,
                TxLegacy {
                    gas_price: u128::MAX,
                    ..legacy(0)
                },
            )
            .into()),
            &["insufficient funds"],
        ),
        (
            "7702: no authorizations",
            raw(&signed(a, eip7702(0, vec![])).into()),
            &["authorization"],
        ),
        (
            "7702: 700 authorizations, more than the gas limit pays for",
            raw(&signed(
                a,
                TxEip7702 {
                    gas_limit: 1 << 24,
                    ..eip7702(0, vec![auth.clone(); 700])
                },
            )
            .into()),
            &["gas"],
        ),
        (
            "blob: no blobs",
            blob_tx(a, eip4844(0, vec![]), None),
            &["blob"],
        ),
        (
            "blob: a version-0 hash",
            blob_tx(a, eip4844(0, vec![B256::ZERO]), None),
            &["version"],
        ),
        (
            "blob: 100 blobs",
            blob_tx(a, eip4844(0, vec![zero_hash; 100]), None),
            &["too many", "blob"],
        ),
        (
            "blob: no blob fee",
            blob_tx(
                a,
                TxEip4844 {
                    max_fee_per_blob_gas: 0,
                    ..eip4844(0, vec![zero_hash])
                },
                None,
            ),
            &["blob"],
        ),
        (
            "blob sidecar: hash does not match the commitment",
            blob_tx(
                a,
                eip4844(0, vec![B256::repeat_byte(1)]),
                Some(zero_blob_sidecar(infinity(), infinity())),
            ),
            &["sidecar", "blob"],
        ),
        (
            "blob sidecar: fewer blobs than hashes",
            blob_tx(
                a,
                eip4844(0, vec![zero_hash, zero_hash]),
                Some(zero_blob_sidecar(infinity(), infinity())),
            ),
            &["sidecar", "blob"],
        ),
        (
            "blob sidecar: the wrong proof",
            blob_tx(
                a,
                eip4844(0, vec![zero_hash]),
                Some(zero_blob_sidecar(
                    infinity(),
                    Bytes48::from_slice(&hex::decode(G1).unwrap()),
                )),
            ),
            &["sidecar", "proof"],
        ),
        (
            "blob sidecar: a commitment that is no point",
            blob_tx(
                a,
                eip4844(0, vec![kzg_to_versioned_hash(&[0; 48])]),
                Some(zero_blob_sidecar(Bytes48::ZERO, infinity())),
            ),
            &["sidecar", "blob"],
        ),
    ];
    for (what, bytes, words) in &cases {
        let msg = refused(&c, what, bytes);
        says(what, &msg, words);
    }
    assert_eq!(snapshot(&c), before);
    assert_alive(&c);

    // A blob transaction with a valid sidecar is accepted, and mined without it: its hash is
    // that of the consensus form.
    let nonce = hex_u64(&c.call("eth_getTransactionCount", json!([DEV, "pending"])));
    let tx = eip4844(nonce, vec![zero_hash]);
    let consensus = blob_tx(a, tx.clone(), None);
    let network = blob_tx(a, tx, Some(zero_blob_sidecar(infinity(), infinity())));
    assert!(network.len() > 131_072);
    let hash = c.call(
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(&network))]),
    );
    assert_eq!(
        hash,
        json!(alloy_primitives::keccak256(&consensus).to_string())
    );
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let block = c.call(
        "eth_getBlockByNumber",
        json!([receipt["blockNumber"], false]),
    );
    assert!(
        hex_u64(&block["size"]) < 4_096,
        "the sidecar was kept: {block}"
    );
}

#[test]
fn invalid_authorizations_are_skipped_and_the_transaction_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let accts = dev_accounts(2).unwrap();
    let (a, authority) = (&accts[0], &accts[1]);
    let delegate = Address::repeat_byte(0x22);
    let authority_nonce = || c.call("eth_getTransactionCount", json!([OTHER, "latest"]));
    let code = || c.call("eth_getCode", json!([OTHER, "latest"]));
    let nonce0 = authority_nonce();

    let good = authorization(authority, CHAIN, delegate, hex_u64(&nonce0));
    let mut bad = vec![
        authorization(authority, 1, delegate, 0),
        authorization(authority, CHAIN, delegate, u64::MAX),
        authorization(authority, CHAIN, delegate, 12_345),
        SignedAuthorization::new_unchecked(good.inner().clone(), 0, U256::ZERO, U256::ZERO),
        SignedAuthorization::new_unchecked(good.inner().clone(), 5, good.r(), good.s()),
        SignedAuthorization::new_unchecked(
            good.inner().clone(),
            good.y_parity() ^ 1,
            good.r(),
            SECP256K1_N - good.s(),
        ),
        SignedAuthorization::new_unchecked(good.inner().clone(), 0, SECP256K1_N, U256::from(1)),
    ];
    // A long list of well-signed authorizations with the wrong nonce: each is recovered and
    // skipped.
    bad.extend((0..600).map(|i| authorization(authority, CHAIN, delegate, 1_000 + i)));
    let nonce = hex_u64(&c.call("eth_getTransactionCount", json!([DEV, "pending"])));
    let tx = TxEip7702 {
        gas_limit: 16_000_000,
        ..eip7702(nonce, bad)
    };
    let hash = c.call(
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(raw(&signed(a, tx).into())))]),
    );
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(code(), json!("0x"), "an invalid authorization was applied");
    assert_eq!(authority_nonce(), nonce0);

    // The valid one, alone, applies: the test can tell.
    let tx = eip7702(nonce + 1, vec![good]);
    let hash = c.call(
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(raw(&signed(a, tx).into())))]),
    );
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(code(), json!(format!("0xef0100{}", hex::encode(delegate))));
    assert_eq!(hex_u64(&authority_nonce()), hex_u64(&nonce0) + 1);
    assert_alive(&c);
}
