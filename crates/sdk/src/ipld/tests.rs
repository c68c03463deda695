//! The SDK's HAMT and AMT on the host, over an in-memory store, against `fvm_ipld_hamt` and
//! `fvm_ipld_amt` doing the same things: the same root CIDs (so the same node bytes: a CID is
//! the hash of its block) after random sets and deletes, and the library reading what the SDK
//! wrote.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;

use fvm_ipld_amt::Amt;
use fvm_ipld_blockstore::{Block, Blockstore as _, MemoryBlockstore};
use fvm_ipld_encoding::{CborStore, RawBytes};
use fvm_ipld_hamt::{BytesKey, Hamt};
use multihash_codetable::{Code, MultihashDigest};

use super::*;

/// An in-memory store (fvm's, so the libraries can read it too) that counts writes.
#[derive(Default)]
struct Mem {
    bs: MemoryBlockstore,
    puts: Cell<usize>,
}

fn to_fvm(cid: &Cid) -> cid::Cid {
    cid::Cid::try_from(cid.as_bytes()).unwrap()
}

fn from_fvm(cid: &cid::Cid) -> Cid {
    Cid::from_bytes(&cid.to_bytes()).unwrap()
}

impl Blockstore for Mem {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.bs.get(&to_fvm(cid)).unwrap())
    }
    fn put(&self, block: &[u8]) -> Result<Cid, Error> {
        self.puts.set(self.puts.get() + 1);
        let cid = self
            .bs
            .put(Code::Blake2b256, &Block::new(crate::DAG_CBOR, block));
        Ok(from_fvm(&cid.unwrap()))
    }
}

/// xorshift64*: reproducible random operations without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn some_cid() -> Cid {
    from_fvm(&cid::Cid::new_v1(
        crate::DAG_CBOR,
        Code::Blake2b256.digest(b"x"),
    ))
}

// ---- CIDs and keys -------------------------------------------------------------------------

#[test]
fn cids_in_the_sdk_codec_are_dag_cbor_links() {
    let cid = some_cid();
    let sdk = cbor::to_vec(&cid);
    assert_eq!(sdk, fvm_ipld_encoding::to_vec(&to_fvm(&cid)).unwrap());
    assert_eq!(cbor::from_slice::<Cid>(&sdk).unwrap(), cid);
    assert_eq!(cid.codec(), crate::DAG_CBOR);
    // Not a link: wrong tag, missing 0x00, a truncated CID.
    assert!(cbor::from_slice::<Cid>(&sdk[2..]).is_err());
    let mut no_prefix = sdk.clone();
    no_prefix[4] = 1;
    assert!(cbor::from_slice::<Cid>(&no_prefix).is_err());
    assert!(Cid::from_bytes(&cid.as_bytes()[..20]).is_none());
    let v0 = cid::Cid::new_v0(Code::Sha2_256.digest(b"x")).unwrap();
    assert_eq!(from_fvm(&v0).codec(), 0x70);
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

// ---- the HAMT against fvm_ipld_hamt --------------------------------------------------------

/// Random sets and deletes on both maps (keys from `0..keys`), comparing roots every
/// `every` operations and reloading the SDK's map from its root now and then.
fn hamt_random(bit_width: u32, keys: u64, ops: usize, seed: u64) {
    let (mine, theirs) = (Mem::default(), MemoryBlockstore::default());
    let mut rng = Rng(seed);
    let mut map = StateMap::<u64, u64, _>::new_with(&mine, bit_width).unwrap();
    let mut plain: Hamt<_, u64> = Hamt::new_with_bit_width(&theirs, bit_width);
    for n in 0..ops {
        let k = rng.below(keys);
        let key = BytesKey(k.to_key());
        // Inserts outnumber deletes 2:1 in the first half and the other way round after.
        let delete = (rng.below(3) == 0) == (n < ops / 2);
        if delete {
            let old = plain.delete(&key).unwrap().map(|(_, v)| v);
            assert_eq!(map.delete(&k).unwrap(), old, "delete {k}");
        } else {
            let v = rng.below(1 << 40);
            assert_eq!(
                map.set(&k, v).unwrap(),
                plain.set(key, v).unwrap(),
                "set {k}"
            );
        }
        if n % 97 == 0 || n + 1 == ops {
            let root = map.flush().unwrap();
            assert_eq!(to_fvm(&root), plain.flush().unwrap(), "root after {n} ops");
            assert_eq!(
                mine.get(&root).unwrap(),
                theirs.get(&to_fvm(&root)).unwrap()
            );
            if rng.below(2) == 0 {
                map = StateMap::load_with(&root, &mine, bit_width).unwrap();
            }
        }
    }
    // Every key reads the same, and the walks see the same entries.
    for k in 0..keys {
        let theirs = plain.get(&BytesKey(k.to_key())).unwrap();
        assert_eq!(map.get(&k).unwrap(), theirs, "get {k}");
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    map.for_each(|k, v| {
        a.push((k, *v));
        Ok(())
    })
    .unwrap();
    plain
        .for_each(|k, v| {
            b.push((u64::from_key(k).unwrap(), *v));
            Ok(())
        })
        .unwrap();
    assert_eq!(a, b, "the same entries in the same order");
}

#[test]
fn hamt_roots_match_fvm_ipld_hamt_for_random_sets_and_deletes() {
    hamt_random(5, 2_000, 6_000, 1);
    hamt_random(5, 150, 3_000, 2);
    // Narrow trees go deep: splits and collapses several levels down.
    hamt_random(1, 300, 3_000, 3);
    hamt_random(3, 600, 4_000, 4);
    hamt_random(8, 3_000, 6_000, 5);
}

#[test]
fn hamt_emptied_is_the_empty_root_and_the_library_reads_ours() {
    let mine = Mem::default();
    let mut map = StateMap::<Vec<u8>, String, _>::new_in(&mine);
    for k in 0..500u32 {
        map.set(&k.to_be_bytes().to_vec(), alloc::format!("v{k}"))
            .unwrap();
    }
    let root = to_fvm(&map.flush().unwrap());
    let plain: Hamt<_, String> = Hamt::load_with_bit_width(&root, &mine.bs, 5).unwrap();
    assert_eq!(
        plain
            .get(&BytesKey(7u32.to_be_bytes().to_vec()))
            .unwrap()
            .unwrap(),
        "v7"
    );
    for k in 0..500u32 {
        assert!(map.delete(&k.to_be_bytes().to_vec()).unwrap().is_some());
    }
    assert!(map.is_empty());
    let empty: Hamt<_, String> = Hamt::new_with_bit_width(&mine.bs, 5);
    assert_eq!(to_fvm(&map.flush().unwrap()), { empty }.flush().unwrap());
}

#[test]
fn hamt_flush_writes_only_the_changed_path() {
    let mine = Mem::default();
    let mut map = StateMap::<u64, u64, _>::new_in(&mine);
    for k in 0..5_000 {
        map.set(&k, k).unwrap();
    }
    let root = map.flush().unwrap();
    assert_eq!(
        map.flush().unwrap(),
        root,
        "nothing changed, nothing written"
    );
    let before = mine.puts.get();
    map.flush().unwrap();
    assert_eq!(mine.puts.get(), before);
    let mut map = StateMap::<u64, u64, _>::load_in(&root, &mine).unwrap();
    assert_eq!(map.set(&7, 7).unwrap(), Some(7), "the same value");
    assert_eq!(map.flush().unwrap(), root);
    assert_eq!(mine.puts.get(), before, "an equal value changes nothing");
    map.set(&7, 8).unwrap();
    map.flush().unwrap();
    // 5,000 keys at bit width 5: a root, a level of 32 nodes, a level below, then buckets.
    let written = mine.puts.get() - before;
    assert!((2..=4).contains(&written), "{written} nodes written");
}

#[test]
fn state_map_api() {
    let bs = Mem::default();
    let mut map = StateMap::<u64, u64, _>::new_in(&bs);
    for k in 0..1000u64 {
        assert_eq!(map.set(&k, k * 3).unwrap(), None);
    }
    assert_eq!(map.set(&5, 99).unwrap(), Some(15));
    assert!(!map.set_if_absent(&6, 1).unwrap());
    assert!(map.set_if_absent(&1000, 3000).unwrap());
    let root = map.flush().unwrap();

    let mut map = StateMap::<u64, u64, _>::load_in(&root, &bs).unwrap();
    assert_eq!(map.get(&5).unwrap(), Some(&99));
    assert_eq!(map.get(&999).unwrap(), Some(&2997));
    assert_eq!(map.get(&1001).unwrap(), None);
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
    assert_eq!((n, sum), (1000, 1000 * 1001 / 2));
    // The visitor's error comes back as it was.
    let err = map
        .for_each(|_, _| Err(ActorError::new(99, "mine")))
        .unwrap_err();
    assert_eq!(err, ActorError::new(99, "mine"));
    assert!(StateMap::<u64, u64, _>::new_with(&bs, 9).is_err());
}

#[test]
fn state_map_errors_are_illegal_state() {
    let bs = Mem::default();
    let err = StateMap::<u64, u64, _>::load_in(&some_cid(), &bs)
        .err()
        .unwrap();
    assert_eq!(err.code, USR_ILLEGAL_STATE);
    assert!(err.message.starts_with("state map:"), "{}", err.message);

    let put = |v: &[u8]| {
        let cid = bs.bs.put(Code::Blake2b256, &Block::new(crate::DAG_CBOR, v));
        from_fvm(&cid.unwrap())
    };
    let node = |bits: &[u8], ptrs: &[u8]| {
        let mut v = vec![0x82, 0x40 | bits.len() as u8];
        v.extend_from_slice(bits);
        v.extend_from_slice(ptrs);
        put(&v)
    };
    let bad_roots = [
        put(&cbor::to_vec(&(1u64, 2u64))), // not a node
        node(&[0xff, 0xff, 0xff, 0xff], &[0x81, 0x81, 0x82, 0x41, 7, 1]), // 32 bits, 1 pointer
        node(&[1], &[0x81, 0x80]),         // an empty bucket
        node(&[1], &[0x81, 0x82, 0x82, 0x41, 2, 1, 0x82, 0x41, 1, 1]), // unsorted bucket
        node(&[1], &[0x81, 0x81, 0x82, 0x41, 2, 0x61, b'x']), // a text value
        node(&[1], &[0x81, 0x07]),         // neither bucket nor link
    ];
    for root in bad_roots {
        let err = StateMap::<u64, u64, _>::load_in(&root, &bs).err().unwrap();
        assert_eq!(err.code, USR_ILLEGAL_STATE);
        assert!(err.message.starts_with("state map: "), "{}", err.message);
    }

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

// ---- the AMT against fvm_ipld_amt ----------------------------------------------------------

/// Random sets and deletes on both arrays (indexes mostly below `dense`, some anywhere up to
/// `far`), comparing roots now and then and reloading the SDK's array from its root.
fn amt_random(bit_width: u32, dense: u64, far: u64, ops: usize, seed: u64) {
    let (mine, theirs) = (Mem::default(), MemoryBlockstore::default());
    let mut rng = Rng(seed);
    let mut arr = StateArray::<u64, _>::new_in(&mine, bit_width).unwrap();
    let mut plain: Amt<u64, _> = Amt::new_with_bit_width(&theirs, bit_width);
    let mut used = Vec::new();
    for n in 0..ops {
        let delete = (rng.below(3) == 0) == (n < ops / 2);
        if delete && !used.is_empty() && rng.below(4) != 0 {
            let i = used.swap_remove(rng.below(used.len() as u64) as usize);
            assert_eq!(
                arr.delete(i).unwrap(),
                plain.delete(i).unwrap(),
                "delete {i}"
            );
        } else if delete {
            let i = rng.below(far);
            assert_eq!(
                arr.delete(i).unwrap(),
                plain.delete(i).unwrap(),
                "delete {i}"
            );
        } else {
            let i = match rng.below(20) {
                0 => rng.below(far),
                _ => rng.below(dense),
            };
            let v = rng.below(1 << 40);
            let old = plain.get(i).unwrap().copied();
            plain.set(i, v).unwrap();
            assert_eq!(arr.set(i, v).unwrap(), old, "set {i}");
            used.push(i);
        }
        assert_eq!(arr.count(), plain.count());
        if n % 61 == 0 || n + 1 == ops {
            let root = arr.flush().unwrap();
            assert_eq!(to_fvm(&root), plain.flush().unwrap(), "root after {n} ops");
            assert_eq!(
                mine.get(&root).unwrap(),
                theirs.get(&to_fvm(&root)).unwrap()
            );
            if rng.below(2) == 0 {
                arr = StateArray::load_in(&root, &mine).unwrap();
            }
        }
    }
    for i in 0..dense {
        assert_eq!(arr.get(i).unwrap(), plain.get(i).unwrap(), "get {i}");
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    arr.for_each(|i, v| {
        a.push((i, *v));
        Ok(())
    })
    .unwrap();
    plain
        .for_each(|i, v| {
            b.push((i, *v));
            Ok(())
        })
        .unwrap();
    assert_eq!(a, b, "the same entries in index order");
}

#[test]
fn amt_roots_match_fvm_ipld_amt_for_random_sets_and_deletes() {
    amt_random(3, 500, 1 << 20, 3_000, 11);
    amt_random(1, 100, 1 << 12, 2_000, 12);
    amt_random(5, 3_000, u64::MAX - 1, 3_000, 13);
    amt_random(8, 2_000, 1 << 40, 2_000, 14);
    amt_random(3, 20, 64, 2_000, 15);
}

#[test]
fn amt_grows_and_shrinks_like_the_library() {
    let (mine, theirs) = (Mem::default(), MemoryBlockstore::default());
    let mut arr = StateArray::<u64, _>::new_in(&mine, 3).unwrap();
    let mut plain: Amt<u64, _> = Amt::new_with_bit_width(&theirs, 3);
    for i in [u64::MAX - 1, 0, 9, 1 << 30] {
        arr.set(i, i).unwrap();
        plain.set(i, i).unwrap();
        assert_eq!(to_fvm(&arr.flush().unwrap()), plain.flush().unwrap());
    }
    assert!(arr.set(u64::MAX, 0).is_err(), "past MAX_INDEX");
    for i in [u64::MAX - 1, 1 << 30, 9, 0] {
        assert_eq!(arr.delete(i).unwrap(), Some(i));
        plain.delete(i).unwrap();
        assert_eq!(to_fvm(&arr.flush().unwrap()), plain.flush().unwrap());
    }
    assert_eq!(arr.count(), 0);
}

#[test]
fn state_array_api_and_errors() {
    let bs = Mem::default();
    let mut arr = StateArray::<(u64, u128), _>::new_in(&bs, AMT_BIT_WIDTH).unwrap();
    let mut plain: Amt<(u64, RawBytes), _> = Amt::new_with_bit_width(&bs.bs, AMT_BIT_WIDTH);
    for i in 0..100u64 {
        arr.set(i, (i, 0)).unwrap();
        plain.set(i, (i, RawBytes::default())).unwrap();
    }
    // (u64, u128 0) is [i, h''], the same bytes as (u64, empty byte string).
    let root = arr.flush().unwrap();
    assert_eq!(to_fvm(&root), plain.flush().unwrap());

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

    let store = &bs.bs;
    type Root = (u64, u64, u64, (RawBytes, Vec<cid::Cid>, Vec<u64>));
    let put = |v: &Root| from_fvm(&store.put_cbor(v, Code::Blake2b256).unwrap());
    let link = to_fvm(&root);
    let bad_roots = [
        some_cid(),
        from_fvm(&store.put_cbor(&(1u64, 2u64), Code::Blake2b256).unwrap()),
        put(&(3, 0, 1, (RawBytes::new(vec![1]), vec![link], vec![]))), // a leaf with a link
        put(&(3, 1, 1, (RawBytes::new(vec![1]), vec![], vec![5]))),    // values above the leaves
        put(&(3, 0, 1, (RawBytes::new(vec![3]), vec![], vec![5]))),    // 2 bits, 1 value
        put(&(3, 0, 1, (RawBytes::new(vec![1, 0]), vec![], vec![5]))), // a 2-byte bitmap
        put(&(9, 0, 0, (RawBytes::new(vec![0; 64]), vec![], vec![]))), // bit width 9
        put(&(3, 65, 0, (RawBytes::new(vec![0]), vec![], vec![]))),    // too high
    ];
    for root in bad_roots {
        let err = StateArray::<u64, _>::load_in(&root, &bs).err().unwrap();
        assert_eq!(err.code, USR_ILLEGAL_STATE);
        assert!(err.message.starts_with("state array: "), "{}", err.message);
    }
    // A value of another type.
    let strings = put(&(3, 0, 1, (RawBytes::new(vec![1]), vec![], vec![5])));
    assert!(StateArray::<String, _>::load_in(&strings, &bs).is_err());
}
