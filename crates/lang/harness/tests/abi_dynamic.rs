//! Dynamic ABI values through the EVM backend: `Vec<u256>` in and out, `Bytes` and `String`
//! replies, decoded by alloy exactly as Solidity callers would.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::sol;
use tandem_lang_harness::{Backend, Chain, addr, compile};

const SOURCE: &str = r#"
message Buffers {
    Squares { n: u256 } -> Vec<u256>,
    Sum { xs: Vec<u256> } -> u256,
    Reverse { xs: Vec<u256> } -> Vec<u256>,
    Echo { data: Bytes } -> Bytes,
    Greet -> String,
}
struct Nothing { }

contract Bufs {
    storage: Nothing
    recv Buffers {
        Squares { n } => {
            let mut v: Vec<u256> = Vec::new()
            for i in 0..n { v.push(i * i) }
            v
        }
        Sum { xs } => {
            let mut total = 0
            for i in 0..xs.len() { total += xs[i] }
            total
        }
        Reverse { xs } => {
            let mut out: Vec<u256> = Vec::new()
            let mut i = xs.len()
            while i > 0 {
                i -= 1
                out.push(xs[i])
            }
            out
        }
        Echo { data } => { data }
        Greet => { "hello" }
    }
}
"#;

sol! {
    function squares(uint256 n) returns (uint256[]);
    function sum(uint256[] xs) returns (uint256);
    function reverse(uint256[] xs) returns (uint256[]);
    function echo(bytes data) returns (bytes);
    function greet() returns (string);
}

fn deploy(chain: &mut Chain, from: Address) -> Address {
    let (out, _) = compile(&[("Bufs.tdm", SOURCE)]).unwrap_or_else(|e| panic!("{e}"));
    let r = chain.deploy(from, &out[0].init_code, &[]);
    assert!(r.success, "{r:?}");
    r.created.unwrap()
}

#[test]
fn vectors_bytes_and_strings_cross_the_abi() {
    let mut chain = Chain::new();
    let me = addr(1);
    let c = deploy(&mut chain, me);
    let u = |v: u64| U256::from(v);

    let squares = chain
        .typed(me, c, squaresCall { n: u(5) })
        .decode::<squaresCall>();
    assert_eq!(squares, vec![u(0), u(1), u(4), u(9), u(16)]);
    // An empty vector built in the reply expression itself (its memory is allocated while
    // the reply is being encoded).
    let empty = chain
        .typed(me, c, squaresCall { n: u(0) })
        .decode::<squaresCall>();
    assert!(empty.is_empty());

    let xs = vec![u(3), u(5), u(7)];
    let sum = chain
        .typed(me, c, sumCall { xs: xs.clone() })
        .decode::<sumCall>();
    assert_eq!(sum, u(15));
    let rev = chain
        .typed(me, c, reverseCall { xs })
        .decode::<reverseCall>();
    assert_eq!(rev, vec![u(7), u(5), u(3)]);

    let data = Bytes::from((0u8..70).collect::<Vec<_>>());
    let echoed = chain
        .typed(me, c, echoCall { data: data.clone() })
        .decode::<echoCall>();
    assert_eq!(echoed, data);
    assert_eq!(
        chain.typed(me, c, greetCall {}).decode::<greetCall>(),
        "hello"
    );
}

const CTOR: &str = r#"
struct Label { len: u256 }
message Get { Len -> u256 }
contract Labelled {
    storage: Label
    init(name: String) with mut storage { storage.len = name.len() }
    recv Get { Len => with storage { storage.len } }
}
"#;

/// A dynamic constructor argument is checked against the arguments' size: an offset or a
/// length that points past them fails the deployment instead of reading other memory.
#[test]
fn dynamic_constructor_arguments_are_bounds_checked() {
    let (out, _) = compile(&[("Labelled.tdm", CTOR)]).unwrap_or_else(|e| panic!("{e}"));
    let init = &out[0].init_code;
    let word = |v: u64| U256::from(v).to_be_bytes::<32>().to_vec();
    let args = |parts: &[Vec<u8>]| parts.concat();
    let mut chain = Chain::new();
    let me = addr(1);

    // offset 32, length 3, "abc": fine.
    let mut abc = b"abc".to_vec();
    abc.resize(32, 0);
    let good = chain.deploy(me, init, &args(&[word(32), word(3), abc.clone()]));
    assert!(good.success, "{good:?}");
    let len = chain.call(me, good.created.unwrap(), vec![0x56, 0xd8, 0x8e, 0x27]);
    assert_eq!(len.word(), U256::from(3));

    for (what, bad) in [
        (
            "offset past the end",
            args(&[word(4096), word(3), abc.clone()]),
        ),
        (
            "length past the end",
            args(&[word(32), word(1000), abc.clone()]),
        ),
        (
            "huge offset",
            args(&[U256::MAX.to_be_bytes::<32>().to_vec(), word(3)]),
        ),
        (
            "huge length",
            args(&[word(32), U256::MAX.to_be_bytes::<32>().to_vec()]),
        ),
        ("no tail", word(32)),
    ] {
        let r = chain.deploy(me, init, &bad);
        assert!(!r.success, "{what}: deployed");
    }
}

/// Constructor vectors of narrow words are checked element by element.
#[test]
fn constructor_vector_elements_are_checked() {
    let src = r#"
struct Owners { count: u256 }
message Get { Count -> u256 }
contract Team {
    storage: Owners
    init(owners: Vec<Address>) with mut storage { storage.count = owners.len() }
    recv Get { Count => with storage { storage.count } }
}
"#;
    let (out, _) = compile(&[("Team.tdm", src)]).unwrap_or_else(|e| panic!("{e}"));
    let init = &out[0].init_code;
    let word = |v: U256| v.to_be_bytes::<32>().to_vec();
    let u = |v: u64| word(U256::from(v));
    let mut chain = Chain::new();
    let me = addr(1);
    let clean = [u(32), u(2), u(0xa), u(0xb)].concat();
    assert!(chain.deploy(me, init, &clean).success);
    let dirty = [u(32), u(2), u(0xa), word(U256::from(1) << 160)].concat();
    assert!(
        !chain.deploy(me, init, &dirty).success,
        "a dirty address deployed"
    );
}
