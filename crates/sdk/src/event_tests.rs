//! Tests of `event.rs`: keccak, the log block against the generic entries encoding, ABI
//! encoding of dynamic fields, and logs that do not match their schema.
use super::*;

#[test]
fn keccak_matches_known_hashes() {
    let h = |s: &[u8]| {
        let mut k = Keccak::new();
        k.absorb(s);
        k.finish()
    };
    assert_eq!(
        h(b""),
        *b"\xc5\xd2\x46\x01\x86\xf7\x23\x3c\x92\x7e\x7d\xb2\xdc\xc7\x03\xc0\xe5\x00\xb6\x53\xca\x82\x27\x3b\x7b\xfa\xd8\x04\x5d\x85\xa4\x70"
    );
    // ERC-20's Transfer topic.
    assert_eq!(
        h(b"Transfer(address,address,uint256)")[..4],
        [0xdd, 0xf2, 0x52, 0xad]
    );
    // Around and across the sponge's 136-byte blocks, against multihash's Keccak-256.
    use multihash_codetable::{Code, MultihashDigest};
    for n in [0, 1, 135, 136, 137, 271, 272, 300, 1000] {
        let data: alloc::vec::Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
        assert_eq!(h(&data)[..], *Code::Keccak256.digest(&data).digest(), "{n}");
    }
}

/// `emit`'s block is the entries' generic encoding (`emit_event`'s: fvm's `ActorEvent`)
/// of the log that the events' other derived method (`fields`, one buffer per field)
/// gives, for events of every shape: no data, no topics beyond topic0, three topics,
/// static and dynamic data, signed and byte-array words.
#[test]
fn event_block_is_the_entries_block() {
    use crate::cbor::Bytes;
    fn generic(topics: &[[u8; 32]], data: &[u8]) -> Vec<u8> {
        const KEYS: [&str; 4] = ["t1", "t2", "t3", "t4"];
        let mut entries: Vec<(&str, Vec<u8>)> = topics
            .iter()
            .zip(KEYS)
            .map(|(t, k)| (k, t.to_vec()))
            .collect();
        if !data.is_empty() {
            entries.push(("d", data.to_vec()));
        }
        let mut out = Vec::new();
        crate::cbor::head(&mut out, 4, entries.len() as u64);
        for (k, v) in entries {
            crate::cbor::head(&mut out, 4, 4);
            crate::cbor::head(&mut out, 0, 3);
            crate::cbor::head(&mut out, 3, k.len() as u64);
            out.extend_from_slice(k.as_bytes());
            crate::cbor::head(&mut out, 0, 0x55);
            crate::cbor::head(&mut out, 2, v.len() as u64);
            out.extend_from_slice(&v);
        }
        out
    }
    /// The log from `fields`, as `eth_log` computed it before `write_log`.
    fn by_fields<E: Event>(ev: &E) -> (Vec<[u8; 32]>, Vec<u8>) {
        let mut values = Vec::new();
        ev.fields(&mut values).unwrap();
        let mut topics = alloc::vec![E::TOPIC0];
        let (mut heads, mut tails) = (Vec::new(), Vec::new());
        let data_fields = E::SCHEMA.fields.iter().filter(|f| !f.indexed).count();
        for (f, v) in E::SCHEMA.fields.iter().zip(values) {
            if f.indexed {
                topics.push(if is_dynamic(f) {
                    keccak256(&v)
                } else {
                    v.as_slice().try_into().unwrap()
                });
            } else if is_dynamic(f) {
                let offset = data_fields * 32 + tails.len();
                heads.extend_from_slice(&word_of(offset as u128, false));
                tails.extend_from_slice(&word_of(v.len() as u128, false));
                tails.extend_from_slice(&v);
                tails.resize(tails.len().div_ceil(32) * 32, 0);
            } else {
                heads.extend_from_slice(&v);
            }
        }
        heads.extend_from_slice(&tails);
        (topics, heads)
    }
    fn check<E: Event>(ev: &E) {
        let (topics, data) = by_fields(ev);
        assert_eq!(eth_log(ev).unwrap(), (topics.clone(), data.clone()));
        assert_eq!(event_block(ev).unwrap(), generic(&topics, &data));
    }
    #[derive(crate::Event)]
    struct Bare {}
    #[derive(crate::Event)]
    struct Transfer {
        #[indexed]
        from: Address,
        #[indexed]
        to: Address,
        value: TokenAmount,
    }
    #[derive(crate::Event)]
    struct Mixed {
        a: i32,
        #[indexed]
        b: String,
        c: Bytes,
        #[indexed]
        d: [u8; 4],
        e: bool,
        f: String,
        #[indexed]
        g: u64,
    }
    #[derive(crate::Event)]
    struct OnlyTopics {
        #[indexed]
        x: u128,
    }
    check(&Bare {});
    check(&Transfer {
        from: Address::id(100),
        to: Address::eth([7; 20]),
        value: TokenAmount(u128::MAX),
    });
    check(&Mixed {
        a: -5,
        b: "topic text".into(),
        c: Bytes(alloc::vec![3; 300]),
        d: [1, 2, 3, 4],
        e: true,
        f: String::new(),
        g: u64::MAX,
    });
    check(&OnlyTopics { x: 1 << 100 });
    // An address with no Ethereum form is refused as before.
    let bad = Transfer {
        from: Address::from_bytes(&[1; 21]).unwrap(),
        to: Address::id(1),
        value: TokenAmount(0),
    };
    assert_eq!(event_block(&bad), Err(EventError::NoEthAddress));
}

/// A hand-written `write_log` that writes fewer or more fields than its schema lists,
/// and a schema with four indexed fields, are refused (a log has at most four topics).
#[test]
fn logs_that_do_not_match_their_schema_are_refused() {
    const FIELD: EventField = EventField {
        name: "x",
        ty: Type::Uint(64),
        sol: "uint64",
        indexed: true,
    };
    struct Lying(usize);
    impl Event for Lying {
        const SCHEMA: EventSchema = EventSchema {
            name: "Lying",
            fields: &[
                FIELD,
                EventField {
                    indexed: false,
                    ..FIELD
                },
            ],
        };
        fn fields(&self, _: &mut Vec<Vec<u8>>) -> Result<(), EventError> {
            Ok(())
        }
        fn write_log(&self, log: &mut LogWriter) -> Result<(), EventError> {
            for i in 0..self.0 {
                log.field(&1u64, i % 2 == 0)?;
            }
            Ok(())
        }
    }
    assert!(event_block(&Lying(2)).is_ok());
    assert_eq!(event_block(&Lying(1)), Err(EventError::Shape));
    assert_eq!(event_block(&Lying(3)), Err(EventError::Shape));
    struct FourTopics;
    impl Event for FourTopics {
        const SCHEMA: EventSchema = EventSchema {
            name: "FourTopics",
            fields: &[FIELD, FIELD, FIELD, FIELD],
        };
        fn fields(&self, out: &mut Vec<Vec<u8>>) -> Result<(), EventError> {
            for _ in 0..4 {
                out.push(word_of(1, false).to_vec());
            }
            Ok(())
        }
    }
    assert_eq!(event_block(&FourTopics), Err(EventError::Shape));
    assert_eq!(eth_log(&FourTopics), Err(EventError::Shape));
}

/// Dynamic fields: heads then tails (offset, length, padded bytes); indexed ones hashed.
#[test]
fn dynamic_fields_are_abi_encoded() {
    struct Note {
        who: Address,
        text: String,
        tag: String,
    }
    impl Event for Note {
        const SCHEMA: EventSchema = EventSchema {
            name: "Note",
            fields: &[
                EventField {
                    name: "who",
                    ty: Type::Address,
                    sol: "address",
                    indexed: false,
                },
                EventField {
                    name: "text",
                    ty: Type::Text,
                    sol: "string",
                    indexed: false,
                },
                EventField {
                    name: "tag",
                    ty: Type::Text,
                    sol: "string",
                    indexed: true,
                },
            ],
        };
        fn fields(&self, out: &mut Vec<Vec<u8>>) -> Result<(), EventError> {
            for f in [&self.who as &dyn SolDyn, &self.text, &self.tag] {
                let mut v = Vec::new();
                f.enc(&mut v)?;
                out.push(v);
            }
            Ok(())
        }
    }
    trait SolDyn {
        fn enc(&self, out: &mut Vec<u8>) -> Result<(), EventError>;
    }
    impl<T: SolType> SolDyn for T {
        fn enc(&self, out: &mut Vec<u8>) -> Result<(), EventError> {
            self.sol_encode(out)
        }
    }
    let ev = Note {
        who: Address::id(5),
        text: "hi".into(),
        tag: "t".into(),
    };
    let (topics, data) = eth_log(&ev).unwrap();
    assert_eq!(topics.len(), 2);
    let mut k = Keccak::new();
    k.absorb(b"t");
    assert_eq!(topics[1], k.finish());
    assert_eq!(data.len(), 4 * 32);
    assert_eq!(data[12], 0xff); // the masked ID
    assert_eq!(data[63], 64); // offset of the string
    assert_eq!(data[95], 2); // its length
    assert_eq!(&data[96..98], b"hi");
    let f1 = Note {
        who: Address::from_bytes(&[1; 21]).unwrap(),
        ..ev
    };
    assert_eq!(eth_log(&f1), Err(EventError::NoEthAddress));
}
