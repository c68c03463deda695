//! The helpers on the host, over a `MemoryBlockstore`, against the fvm_ipld_* structures
//! used directly.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use fvm_ipld_blockstore::MemoryBlockstore;
use multihash_codetable::MultihashDigest;

use super::*;

fn some_cid() -> Cid {
    Cid::new_v1(crate::DAG_CBOR, Code::Blake2b256.digest(b"x"))
}

fn round_trip<T: Cbor + Clone + PartialEq + fmt::Debug>(v: T) {
    let sdk = cbor::to_vec(&v);
    let serde = fvm_ipld_encoding::to_vec(&AsSerde(v.clone())).unwrap();
    assert_eq!(serde, sdk, "{v:?} encodes the same both ways");
    let back: AsSerde<T> = fvm_ipld_encoding::from_slice(&sdk).unwrap();
    assert_eq!(back.0, v);
}

#[test]
fn sdk_values_cross_serde_unchanged() {
    round_trip(7u64);
    round_trip(u64::MAX);
    round_trip(-5i64);
    round_trip(i64::MIN);
    round_trip(u128::MAX);
    round_trip(0u128);
    round_trip(true);
    round_trip(String::from("ledger"));
    round_trip(Bytes(vec![0, 1, 2]));
    round_trip(vec![(1u64, 10u128), (2, 20)]);
    round_trip((some_cid(), 3u64, Bytes(vec![])));
    // A value that is not the type asked for is an error, not a panic.
    let bytes = fvm_ipld_encoding::to_vec(&"text").unwrap();
    assert!(fvm_ipld_encoding::from_slice::<AsSerde<u64>>(&bytes).is_err());
}

#[test]
fn cids_in_the_sdk_codec_are_dag_cbor_links() {
    let cid = some_cid();
    let sdk = cbor::to_vec(&cid);
    assert_eq!(sdk, fvm_ipld_encoding::to_vec(&cid).unwrap());
    assert_eq!(cbor::from_slice::<Cid>(&sdk).unwrap(), cid);
    // Not a link: wrong tag, missing 0x00, trailing bytes inside.
    assert!(cbor::from_slice::<Cid>(&sdk[2..]).is_err());
    let mut no_prefix = sdk.clone();
    no_prefix[4] = 1;
    assert!(cbor::from_slice::<Cid>(&no_prefix).is_err());
}

#[test]
fn u64_keys_are_canonical_varints() {
    for (v, k) in [
        (0u64, vec![0u8]),
        (127, vec![0x7f]),
        (128, vec![0x80, 0x01]),
        (300, vec![0xac, 0x02]),
    ] {
        assert_eq!(v.to_key(), k);
        assert_eq!(u64::from_key(&k), Some(v));
    }
    assert_eq!(u64::from_key(&u64::MAX.to_key()), Some(u64::MAX));
    assert_eq!(u64::MAX.to_key().len(), 10);
    for bad in [&[][..], &[0x80], &[0x80, 0x00], &[0x01, 0x01], &[0xff; 11]] {
        assert_eq!(u64::from_key(bad), None, "{bad:?}");
    }
    let mut over = vec![0xff; 9];
    over.push(0x02);
    assert_eq!(u64::from_key(&over), None, "more than 64 bits");
}

#[test]
fn state_map_is_the_plain_hamt_and_survives_a_reload() {
    let bs = MemoryBlockstore::default();
    let mut map = StateMap::<u64, u64, _>::new_in(&bs);
    let mut plain: Hamt<_, u64> = Hamt::new_with_bit_width(&bs, HAMT_BIT_WIDTH);
    for k in 0..1000u64 {
        assert_eq!(map.set(&k, k * 3).unwrap(), None);
        plain.set(BytesKey(k.to_key()), k * 3).unwrap();
    }
    assert_eq!(map.set(&5, 99).unwrap(), Some(15));
    plain.set(BytesKey(5u64.to_key()), 99).unwrap();
    assert!(!map.set_if_absent(&6, 1).unwrap());
    let root = map.flush().unwrap();
    assert_eq!(
        root,
        plain.flush().unwrap(),
        "byte-identical to fvm_ipld_hamt"
    );

    let mut map = StateMap::<u64, u64, _>::load_in(&root, &bs).unwrap();
    assert_eq!(map.get(&5).unwrap(), Some(&99));
    assert_eq!(map.get(&999).unwrap(), Some(&2997));
    assert_eq!(map.get(&1000).unwrap(), None);
    assert!(map.contains_key(&0).unwrap());
    assert_eq!(map.delete(&0).unwrap(), Some(0));
    assert_eq!(map.delete(&0).unwrap(), None);
    let (mut n, mut sum) = (0, 0);
    map.for_each(|k, v| {
        n += 1;
        sum += k;
        assert!(*v == k * 3 || k == 5);
        Ok(())
    })
    .unwrap();
    assert_eq!((n, sum), (999, 999 * 1000 / 2));
    // The visitor's error comes back as it was.
    let err = map
        .for_each(|_, _| Err(ActorError::new(99, "mine")))
        .unwrap_err();
    assert_eq!(err, ActorError::new(99, "mine"));
}

#[test]
fn state_map_errors_are_illegal_state_not_panics() {
    let bs = MemoryBlockstore::default();
    let err = StateMap::<u64, u64, _>::load_in(&some_cid(), &bs)
        .err()
        .unwrap();
    assert_eq!(err.code, USR_ILLEGAL_STATE);
    assert!(err.message.starts_with("state map:"), "{}", err.message);

    // A root that is not a HAMT node.
    let not_node = bs.put_cbor(&(1u64, 2u64), Code::Blake2b256).unwrap();
    let err = StateMap::<u64, u64, _>::load_in(&not_node, &bs)
        .err()
        .unwrap();
    assert_eq!(err.code, USR_ILLEGAL_STATE);

    // Values of another type (in the root node, so loading decodes them).
    let mut map = StateMap::<u64, String, _>::new_in(&bs);
    map.set(&1, String::from("one")).unwrap();
    let root = map.flush().unwrap();
    let err = StateMap::<u64, u64, _>::load_in(&root, &bs).err().unwrap();
    assert_eq!(err.code, USR_ILLEGAL_STATE);
    assert!(err.message.contains("expected type"), "{}", err.message);
    // Keys of another type.
    let mut bytes = StateMap::<Vec<u8>, u64, _>::new_in(&bs);
    bytes.set(&vec![0x80], 1).unwrap();
    let root = bytes.flush().unwrap();
    let ids = StateMap::<u64, u64, _>::load_in(&root, &bs).unwrap();
    assert_eq!(
        ids.for_each(|_, _| Ok(())).unwrap_err().code,
        USR_ILLEGAL_STATE
    );

    // Off wasm32 the syscall store refuses, with a message.
    let err = StateMap::<u64, u64>::load(&root).err().unwrap();
    assert!(err.message.contains("wasm32"), "{}", err.message);
}

use fvm_ipld_encoding::{CborStore, RawBytes};

#[test]
fn state_array_is_the_plain_amt() {
    let bs = MemoryBlockstore::default();
    let mut arr = StateArray::<(u64, u128), _>::new_in(&bs, AMT_BIT_WIDTH);
    let mut plain: Amt<(u64, RawBytes), _> = Amt::new_with_bit_width(&bs, AMT_BIT_WIDTH);
    for i in 0..100u64 {
        arr.set(i, (i, 0)).unwrap();
        plain.set(i, (i, RawBytes::default())).unwrap();
    }
    let root = arr.flush().unwrap();
    let plain_root = plain.flush().unwrap();
    // (u64, u128 0) is [i, h''], the same bytes as (u64, empty byte string).
    assert_eq!(root, plain_root);

    let mut arr = StateArray::<(u64, u128), _>::load_in(&root, &bs).unwrap();
    assert_eq!(arr.count(), 100);
    assert_eq!(arr.get(42).unwrap(), Some(&(42, 0)));
    assert_eq!(arr.get(100).unwrap(), None);
    assert_eq!(arr.delete(0).unwrap(), Some((0, 0)));
    let mut seen = Vec::new();
    arr.for_each(|i, _| {
        seen.push(i);
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, (1..100).collect::<Vec<_>>());
    let err = StateArray::<u64, _>::load_in(&some_cid(), &bs)
        .err()
        .unwrap();
    assert_eq!(err.code, USR_ILLEGAL_STATE);
    assert!(err.message.starts_with("state array:"), "{}", err.message);
}
