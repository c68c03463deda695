//! The DAG-CBOR link scanner and the DAG walkers.

use std::collections::BTreeMap;

use cid::Cid;
use cid::multihash::Multihash;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::{CBOR, CborStore, DAG_CBOR, IPLD_RAW, to_vec};
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::blockstore::MemoryStore;
use tandem_state::links::{dag_size, reachable_from, scan_links, walk_dag};

fn cid_of(codec: u64, data: &[u8]) -> Cid {
    Cid::new_v1(codec, Code::Blake2b256.digest(data))
}

fn links(codec: u64, bytes: &[u8]) -> anyhow::Result<Vec<Cid>> {
    let mut out = Vec::new();
    scan_links(codec, bytes, |c| out.push(c))?;
    Ok(out)
}

/// A tiny deterministic PRNG, so the fuzz loops need no extra dependency.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn finds_links_in_nested_maps_and_arrays_in_order() {
    let a = cid_of(DAG_CBOR, b"a");
    let b = cid_of(IPLD_RAW, b"b");
    let c = cid_of(DAG_CBOR, b"c");
    let mut inner = BTreeMap::new();
    inner.insert("k1".to_string(), vec![(1u64, b)]);
    inner.insert("k2".to_string(), vec![(2u64, c)]);
    let value = (
        a,
        "text",
        -5i64,
        1.5f64,
        true,
        (),
        vec![inner],
        serde_bytes::ByteBuf::from(vec![9u8; 40]),
    );
    let bytes = to_vec(&value).unwrap();
    assert_eq!(links(DAG_CBOR, &bytes).unwrap(), vec![a, b, c]);
}

#[test]
fn cbor_and_raw_blocks_have_no_links_and_other_codecs_are_refused() {
    let bytes = to_vec(&cid_of(DAG_CBOR, b"x")).unwrap();
    assert!(links(CBOR, &bytes).unwrap().is_empty());
    assert!(links(IPLD_RAW, &bytes).unwrap().is_empty());
    assert!(
        links(0x70, &bytes).is_err(),
        "dag-pb is not an allowed codec"
    );
}

#[test]
fn identity_cids_are_scanned_inline_and_not_reported() {
    let inner_link = cid_of(DAG_CBOR, b"deep");
    let inline_content = to_vec(&vec![inner_link]).unwrap();
    let inline = Cid::new_v1(DAG_CBOR, Multihash::<64>::wrap(0, &inline_content).unwrap());
    let outer = to_vec(&(inline, 7u8)).unwrap();
    assert_eq!(links(DAG_CBOR, &outer).unwrap(), vec![inner_link]);

    // Walking from an inline root reaches the block it links to.
    let store = MemoryStore::new();
    let leaf = store.put_cbor(&"leaf", Code::Blake2b256).unwrap();
    let inline_root = Cid::new_v1(
        DAG_CBOR,
        Multihash::<64>::wrap(0, &to_vec(&vec![leaf]).unwrap()).unwrap(),
    );
    let set = reachable_from(&store, &inline_root).unwrap();
    assert_eq!(set.into_iter().collect::<Vec<_>>(), vec![leaf]);
}

#[test]
fn filecoin_commitment_cids_are_not_reported() {
    let commitment = Cid::new_v1(0xf101, Multihash::<64>::wrap(0x1012, &[7u8; 32]).unwrap());
    let ordinary = cid_of(DAG_CBOR, b"o");
    let bytes = to_vec(&(commitment, ordinary)).unwrap();
    assert_eq!(links(DAG_CBOR, &bytes).unwrap(), vec![ordinary]);
}

#[test]
fn rejects_malformed_cbor() {
    let cid_bytes = to_vec(&cid_of(DAG_CBOR, b"x")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("indefinite array", vec![0x9f, 0x01, 0xff]),
        ("indefinite map", vec![0xbf, 0xff]),
        ("indefinite bytes", vec![0x5f, 0xff]),
        ("bare break", vec![0xff]),
        ("reserved info", vec![0x1c]),
        ("truncated uint", vec![0x1a, 0x00]),
        ("truncated string", vec![0x65, b'a', b'b']),
        (
            "array longer than input",
            vec![0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
        (
            "map overflowing",
            vec![0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
        ("trailing bytes", vec![0x01, 0x02]),
        ("unknown tag", vec![0xc1, 0x01]),
        ("tag 42 over text", vec![0xd8, 0x2a, 0x61, 0x00]),
        ("tag 42 empty bytes", vec![0xd8, 0x2a, 0x40]),
        (
            "tag 42 without multibase prefix",
            vec![0xd8, 0x2a, 0x42, 0x01, 0x71],
        ),
        (
            "tag 42 garbage cid",
            vec![0xd8, 0x2a, 0x43, 0x00, 0x01, 0x71],
        ),
        ("truncated cid", cid_bytes[..cid_bytes.len() - 3].to_vec()),
        ("cid with trailing bytes", {
            let mut v = cid_bytes.clone();
            v[3] += 1; // the byte-string length (0x58 len) grows by one...
            v.push(0); // ...to cover one extra byte after the CID
            v
        }),
    ];
    for (name, bytes) in cases {
        assert!(
            links(DAG_CBOR, &bytes).is_err(),
            "{name} should be rejected"
        );
    }
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let mut bytes = vec![0x81u8; 1_000_000]; // a million nested one-element arrays
    bytes.push(0x01);
    assert!(links(DAG_CBOR, &bytes).unwrap().is_empty());
}

#[test]
fn random_and_mutated_input_never_panics() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..50_000 {
        let len = (rng.next() % 64) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = links(DAG_CBOR, &bytes);
    }
    // Mutations of a valid block reach deeper into the scanner than pure noise.
    let a = cid_of(DAG_CBOR, b"a");
    let valid = to_vec(&(vec![a, a], "str", 1_000_000u64, BTreeMap::from([("k", a)]))).unwrap();
    assert_eq!(links(DAG_CBOR, &valid).unwrap().len(), 3);
    for _ in 0..50_000 {
        let mut bytes = valid.clone();
        for _ in 0..(1 + rng.next() % 3) {
            let i = (rng.next() as usize) % bytes.len();
            bytes[i] = rng.next() as u8;
        }
        let cut = (rng.next() as usize) % (bytes.len() + 1);
        let _ = links(DAG_CBOR, &bytes[..cut]);
        let _ = links(DAG_CBOR, &bytes);
    }
}

#[test]
fn walkers_visit_each_block_once_and_measure_the_dag() {
    let store = MemoryStore::new();
    let leaf = store.put_cbor(&"shared leaf", Code::Blake2b256).unwrap();
    let raw = cid_of(IPLD_RAW, b"raw bytes");
    store.put_keyed(&raw, b"raw bytes").unwrap();
    let left = store.put_cbor(&(leaf, raw), Code::Blake2b256).unwrap();
    let right = store.put_cbor(&(leaf, 2u8), Code::Blake2b256).unwrap();
    let root = store
        .put_cbor(&(left, right, leaf), Code::Blake2b256)
        .unwrap();
    let _unrelated = store.put_cbor(&"not linked", Code::Blake2b256).unwrap();

    let mut order = Vec::new();
    let mut bytes = 0u64;
    walk_dag(&store, &[root], |cid, data| {
        order.push(*cid);
        bytes += data.len() as u64;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        order,
        vec![root, left, leaf, raw, right],
        "depth first, in link order"
    );

    let set = reachable_from(&store, &root).unwrap();
    assert_eq!(set.len(), 5);
    let size = dag_size(&store, &root).unwrap();
    assert_eq!((size.blocks, size.bytes), (5, bytes));

    // A missing block is an error, not a silent gap.
    let dangling = store
        .put_cbor(&vec![cid_of(DAG_CBOR, b"nowhere")], Code::Blake2b256)
        .unwrap();
    let err = reachable_from(&store, &dangling).unwrap_err();
    assert!(format!("{err:#}").contains("not in the store"), "{err:#}");
}
