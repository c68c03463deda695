//! The SDK's encodings are the field's: every derived or built-in `Cbor` value gives the same
//! bytes as fvm_ipld_encoding (serde_ipld_dagcbor) for the equivalent serde type, and each
//! side decodes the other's bytes.

use std::collections::BTreeMap;
use std::fmt::Debug;

use fvm_ipld_encoding::tuple::*;
use fvm_shared::address::Address as FvmAddress;
use fvm_shared::econ::TokenAmount as FvmTokens;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_bytes::{ByteArray, ByteBuf};
use tandem_sdk::cbor::{Bytes, CborError, from_slice, to_vec};
use tandem_sdk::{Address, Cbor, TokenAmount};

/// Same bytes both ways, and each side reads the other's.
#[track_caller]
fn same<T, S>(ours: &T, theirs: &S)
where
    T: Cbor + PartialEq + Debug,
    S: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let a = to_vec(ours);
    let b = fvm_ipld_encoding::to_vec(theirs).expect("serde encodes");
    assert_eq!(hex::encode(&a), hex::encode(&b), "{ours:?} vs {theirs:?}");
    assert_eq!(
        &from_slice::<T>(&b).expect("SDK decodes serde's bytes"),
        ours
    );
    assert_eq!(
        &fvm_ipld_encoding::from_slice::<S>(&a).expect("serde decodes the SDK's bytes"),
        theirs
    );
}

#[derive(Cbor, Debug, PartialEq, Clone)]
struct Inner {
    id: u64,
    label: String,
}

#[derive(Serialize_tuple, Deserialize_tuple, Debug, PartialEq)]
struct InnerSerde {
    id: u64,
    label: String,
}

/// More fields than any tuple impl, of every supported kind.
#[derive(Cbor, Debug, PartialEq)]
struct Big {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: i32,
    f: i64,
    g: bool,
    h: String,
    i: Bytes,
    j: Vec<u64>,
    k: Option<u64>,
    l: Option<String>,
    m: [u8; 32],
    n: Address,
    o: TokenAmount,
    p: BTreeMap<String, u64>,
    q: Inner,
    r: Vec<Inner>,
}

#[derive(Serialize_tuple, Deserialize_tuple, Debug, PartialEq)]
struct BigSerde {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: i32,
    f: i64,
    g: bool,
    h: String,
    i: ByteBuf,
    j: Vec<u64>,
    k: Option<u64>,
    l: Option<String>,
    m: ByteArray<32>,
    n: FvmAddress,
    o: FvmTokens,
    p: BTreeMap<String, u64>,
    q: InnerSerde,
    r: Vec<InnerSerde>,
}

fn map() -> BTreeMap<String, u64> {
    [("b", 1), ("aa", 2), ("a", 3), ("ab", 4), ("", 5)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

#[test]
fn a_struct_of_any_size_is_serde_tuple() {
    let inner = Inner {
        id: 9,
        label: "x".into(),
    };
    let ours = Big {
        a: 255,
        b: 65535,
        c: 70_000,
        d: u64::MAX,
        e: -70_000,
        f: i64::MIN,
        g: true,
        h: "héllo".into(),
        i: Bytes(vec![0, 1, 2]),
        j: vec![1, 24, 256],
        k: None,
        l: Some("some".into()),
        m: [7; 32],
        n: Address::id(1234),
        o: TokenAmount::from_whole(3),
        p: map(),
        q: inner.clone(),
        r: vec![inner.clone(), inner],
    };
    let inner_s = || InnerSerde {
        id: 9,
        label: "x".into(),
    };
    let theirs = BigSerde {
        a: 255,
        b: 65535,
        c: 70_000,
        d: u64::MAX,
        e: -70_000,
        f: i64::MIN,
        g: true,
        h: "héllo".into(),
        i: ByteBuf::from(vec![0, 1, 2]),
        j: vec![1, 24, 256],
        k: None,
        l: Some("some".into()),
        m: ByteArray::new([7; 32]),
        n: FvmAddress::new_id(1234),
        o: FvmTokens::from_whole(3),
        p: map(),
        q: inner_s(),
        r: vec![inner_s(), inner_s()],
    };
    same(&ours, &theirs);
}

#[derive(Cbor, Debug, PartialEq)]
struct Pair(u64, String);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct PairSerde(u64, String);

#[derive(Cbor, Debug, PartialEq)]
struct Newtype(TokenAmount);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(transparent)]
struct NewtypeSerde(FvmTokens);

#[derive(Cbor, Debug, PartialEq)]
struct Unit;

#[derive(Cbor, Debug, PartialEq)]
struct Generic<T> {
    items: Vec<T>,
    first: Option<T>,
}

#[test]
fn tuple_structs_newtypes_units_and_generics() {
    same(&Pair(5, "five".into()), &PairSerde(5, "five".into()));
    same(
        &Newtype(TokenAmount(1 << 70)),
        &NewtypeSerde(FvmTokens::from_atto(1u128 << 70)),
    );
    assert_eq!(to_vec(&Unit), [0x80]);
    assert_eq!(from_slice::<Unit>(&[0x80]), Ok(Unit));
    let g = Generic {
        items: vec![Address::id(1), Address::id(2)],
        first: Some(Address::id(1)),
    };
    let theirs = (
        vec![FvmAddress::new_id(1), FvmAddress::new_id(2)],
        Some(FvmAddress::new_id(1)),
    );
    same(&g, &theirs);
}

/// Explicit discriminants on an enum with fields need a `repr` (a Rust rule).
#[derive(Cbor, Debug, PartialEq)]
#[repr(u8)]
enum Action {
    Deposit,
    Release(Address, TokenAmount),
    Refund { to: Address, reason: String },
    Custom = 7,
    After(u64),
}

#[test]
fn enums_are_index_then_fields() {
    same(&Action::Deposit, &(0u64,));
    same(
        &Action::Release(Address::id(100), TokenAmount(5)),
        &(1u64, FvmAddress::new_id(100), FvmTokens::from_atto(5)),
    );
    same(
        &Action::Refund {
            to: Address::id(7),
            reason: "late".into(),
        },
        &(2u64, FvmAddress::new_id(7), "late".to_string()),
    );
    same(&Action::Custom, &(7u64,));
    same(&Action::After(3), &(8u64, 3u64));
    // Unknown variants and wrong lengths are refused.
    assert_eq!(
        from_slice::<Action>(&to_vec(&(3u64,))),
        Err(CborError::Type)
    );
    assert_eq!(
        from_slice::<Action>(&to_vec(&(0u64, 1u64))),
        Err(CborError::Type)
    );
    assert_eq!(from_slice::<Action>(&[0x80]), Err(CborError::Type));
}

#[test]
fn struct_lengths_are_checked() {
    let short = to_vec(&(9u64,));
    assert_eq!(from_slice::<Inner>(&short), Err(CborError::Type));
    let long = to_vec(&(9u64, "x".to_string(), 1u64));
    assert_eq!(from_slice::<Inner>(&long), Err(CborError::Type));
}

#[test]
fn long_tuples() {
    let t5 = (1u64, 2u64, 3u64, 4u64, "five".to_string());
    same(&t5, &t5);
    let t12 = (
        1u64, 2u64, 3u64, 4u64, 5u64, 6u64, 7u64, 8u64, 9u64, 10u64, 11u64, true,
    );
    same(&t12, &t12);
}

#[test]
fn options_maps_and_arrays() {
    same(&None::<bool>, &None::<bool>);
    same(&Some(false), &Some(false));
    same(&Some(Some(3u64)), &Some(Some(3u64)));
    same(&vec![None, Some(1u64)], &vec![None, Some(1u64)]);
    same(
        &BTreeMap::<String, u64>::new(),
        &BTreeMap::<String, u64>::new(),
    );
    // Canonical order: length first, then bytes.
    let m = map();
    same(&m, &m);
    let keys: Vec<String> = {
        let bytes = to_vec(&m);
        let mut r = tandem_sdk::cbor::Reader::new(&bytes);
        let n = r.expect(5).unwrap();
        (0..n)
            .map(|_| {
                let k = r.text().unwrap().to_string();
                r.expect(0).unwrap();
                k
            })
            .collect()
    };
    assert_eq!(keys, ["", "a", "b", "aa", "ab"]);
    // Other keys sort by their encoded bytes, as the field's encoder sorts them.
    let ints = BTreeMap::from([(1000u64, 1u64), (1, 2), (24, 3), (23, 4)]);
    same(&ints, &ints);
    let signed = BTreeMap::from([(-1i64, 1u64), (1, 2), (-100, 3)]);
    same(&signed, &signed);
    // Out of order or repeated keys do not decode.
    let unordered = [0xa2, 0x62, b'a', b'a', 0x01, 0x61, b'b', 0x02];
    assert!(from_slice::<BTreeMap<String, u64>>(&unordered).is_err());
    let repeated = [0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02];
    assert!(from_slice::<BTreeMap<String, u64>>(&repeated).is_err());
    same(&[9u8; 20], &ByteArray::new([9u8; 20]));
    assert!(from_slice::<[u8; 20]>(&to_vec(&[9u8; 19])).is_err());
}

#[test]
fn token_amounts_are_fvm_big_integers() {
    for atto in [
        0u128,
        1,
        255,
        256,
        1_000_000_000_000_000_000,
        u64::MAX as u128 + 1,
        u128::MAX,
    ] {
        same(&TokenAmount(atto), &FvmTokens::from_atto(atto));
        same(&atto, &FvmTokens::from_atto(atto));
    }
}

#[test]
fn addresses_are_fvm_address_bytes() {
    let secp = FvmAddress::new_secp256k1(&[4u8; 65]).unwrap();
    let actor = FvmAddress::new_actor(b"some actor");
    let bls = FvmAddress::new_bls(&[3u8; 48]).unwrap();
    let f410 = FvmAddress::new_delegated(10, &[0xab; 20]).unwrap();
    let f4_other = FvmAddress::new_delegated(1234, b"sub").unwrap();
    for fvm in [
        FvmAddress::new_id(0),
        FvmAddress::new_id(u64::MAX),
        secp,
        actor,
        bls,
        f410,
        f4_other,
    ] {
        let ours = Address::from_bytes(&fvm.to_bytes()).expect("fvm's bytes are an address");
        same(&ours, &fvm);
    }
    same(&Address::id(1234), &FvmAddress::new_id(1234));
    same(&Address::eth([0xab; 20]), &f410);
    assert_eq!(Address::eth([0xab; 20]).as_eth(), Some([0xab; 20]));
    assert_eq!(
        Address::delegated(1234, b"sub").unwrap(),
        Address::from_bytes(&f4_other.to_bytes()).unwrap()
    );
    assert!(Address::delegated(10, &[0; 55]).is_err());
    // A byte string that is not an address does not decode as one.
    assert!(from_slice::<Address>(&to_vec(&Bytes(vec![1, 2, 3]))).is_err());
}
