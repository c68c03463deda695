//! The interpreter on its own: programs compiled by sema to neutral IR and run, with their
//! results checked against the language's semantics written out by hand (no compiled build
//! is involved; `harness/tests/interp_agrees.rs` compares with the EVM build).

use alloy_primitives::{Address, U256, keccak256};
use tandem_lang_interp::{Env, Error, World};
use tandem_lang_sema::SourceFile;
use tandem_lang_syntax::{SourceMap, parse_file};

fn module(src: &str) -> tandem_lang_ir::Module {
    let mut map = SourceMap::new();
    let id = map.add("t.tdm", src);
    let (ast, diags) = parse_file(id, src);
    assert!(diags.is_empty(), "{}", map.render_all(&diags));
    let files = [SourceFile {
        module: "t".into(),
        name: "t.tdm".into(),
        file_id: id,
        ast,
    }];
    tandem_lang_sema::compile(&files).unwrap_or_else(|d| panic!("{}", map.render_all(&d.list)))
}

fn world(src: &str) -> World {
    let env = Env {
        number: U256::from(7),
        timestamp: U256::from(1_700_000_000u64),
        chain_id: U256::from(31337),
        gas_left: U256::from(1_000_000),
    };
    let mut w = World::new(module(src), env).expect("verifies");
    w.fund(alice(), U256::from(10u64).pow(U256::from(20)));
    w
}

fn alice() -> Address {
    Address::with_last_byte(0xa1)
}

fn call_data(sig: &str, words: &[U256]) -> Vec<u8> {
    let mut d = keccak256(sig.as_bytes())[..4].to_vec();
    for w in words {
        d.extend_from_slice(&w.to_be_bytes::<32>());
    }
    d
}

fn panic_data(code: u8) -> Vec<u8> {
    call_data("Panic(uint256)", &[U256::from(code)])
}

fn index(w: &World, name: &str) -> usize {
    w.module()
        .contracts
        .iter()
        .position(|c| c.name == name)
        .expect("contract")
}

const COUNTER: &str = r#"
message M {
    Add { by: u8 } -> u8,
    Put { k: u256, v: u256 },
    Get { k: u256 } -> u256,
    Div { a: i16, b: i16 } -> i16,
}
event Put { #[indexed] k: u256, v: u256 }
error Zero { k: u256 }
struct S { n: u8, m: Map<u256, u256> }
contract Counter {
    storage: S
    recv M {
        Add { by } => with mut storage {
            storage.n += by
            storage.n
        }
        Put { k, v } => with (mut storage, mut ctx) {
            if v == 0 { revert Zero { k } }
            storage.m[k] = v
            ctx.emit(Put { k, v })
        }
        Get { k } => with storage { storage.m[k] }
        Div { a, b } => { a / b }
    }
}
"#;

#[test]
fn checked_arithmetic_storage_events_and_errors() {
    let mut w = world(COUNTER);
    let c = index(&w, "Counter");
    let d = w.deploy(alice(), c, &[], U256::ZERO).expect("runs");
    assert!(d.success);
    let at = d.created.expect("address");
    assert_eq!(at, alice().create(0));

    let add = |n: u64| call_data("add(uint8)", &[U256::from(n)]);
    let o = w.call(alice(), at, &add(200), U256::ZERO).expect("runs");
    assert_eq!(o.output, U256::from(200).to_be_bytes::<32>().to_vec());
    // 200 + 100 overflows a u8: Panic(0x11), and the write is undone
    let o = w.call(alice(), at, &add(100), U256::ZERO).expect("runs");
    assert!(!o.success);
    assert_eq!(o.output, panic_data(0x11));
    assert_eq!(w.storage(at, U256::ZERO), U256::from(200));
    // a u8 argument that is not clean does not decode
    let o = w.call(alice(), at, &add(256), U256::ZERO).expect("runs");
    assert!(!o.success && o.output.is_empty());
    // value to a non-payable handler is refused
    let o = w.call(alice(), at, &add(1), U256::from(1)).expect("runs");
    assert!(!o.success && o.output.is_empty());

    // a mapping entry lives at keccak256(key . slot), as Solidity's layout says
    let put = call_data("put(uint256,uint256)", &[U256::from(5), U256::from(9)]);
    let o = w.call(alice(), at, &put, U256::ZERO).expect("runs");
    assert!(o.success);
    let mut key = U256::from(5).to_be_bytes::<32>().to_vec();
    key.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
    let slot = U256::from_be_bytes(keccak256(&key).0);
    assert_eq!(w.storage(at, slot), U256::from(9));
    assert_eq!(o.logs.len(), 1);
    assert_eq!(o.logs[0].topics[0], keccak256("Put(uint256,uint256)"));
    assert_eq!(o.logs[0].topics[1], U256::from(5).to_be_bytes::<32>());
    assert_eq!(o.logs[0].data, U256::from(9).to_be_bytes::<32>().to_vec());

    // a custom error: its selector and ABI-encoded fields
    let put0 = call_data("put(uint256,uint256)", &[U256::from(4), U256::ZERO]);
    let o = w.call(alice(), at, &put0, U256::ZERO).expect("runs");
    assert_eq!(o.output, call_data("Zero(uint256)", &[U256::from(4)]));

    // signed division: MIN / -1 overflows, a zero divisor is Panic(0x12)
    let m1 = U256::MAX;
    let min = U256::ZERO.wrapping_sub(U256::from(32768));
    let div = |a, b| call_data("div(int16,int16)", &[a, b]);
    let o = w
        .call(alice(), at, &div(min, m1), U256::ZERO)
        .expect("runs");
    assert_eq!(o.output, panic_data(0x11));
    let o = w
        .call(alice(), at, &div(min, U256::ZERO), U256::ZERO)
        .expect("runs");
    assert_eq!(o.output, panic_data(0x12));
    let o = w
        .call(alice(), at, &div(U256::from(7), m1), U256::ZERO)
        .expect("runs");
    assert_eq!(
        o.output,
        U256::ZERO.wrapping_sub(U256::from(7)).to_be_bytes::<32>()
    );
    // an unknown selector is refused
    let o = w
        .call(alice(), at, &[1, 2, 3, 4], U256::ZERO)
        .expect("runs");
    assert!(!o.success);
}

const CALLS: &str = r#"
message Inner {
    #[view]
    Get -> u256,
    Set { v: u256 } -> u256,
}
message InnerView {
    #[view]
    Set { v: u256 } -> u256,
}
struct N { n: u256 }
contract Callee {
    storage: N
    recv Inner {
        Get => with storage { storage.n }
        Set { v } => with mut storage {
            storage.n = v
            v + 1
        }
    }
}
message Outer {
    Relay { c: Address, v: u256 } -> u256,
    Sneak { c: Address, v: u256 } -> bool,
}
contract Caller {
    recv Outer {
        Relay { c, v } => with mut ctx {
            ctx.call(c, Inner::Set { v })
        }
        Sneak { c, v } => with mut ctx {
            match ctx.try_call(c, InnerView::Set { v }) {
                Ok(_) => true,
                Err(_) => false,
            }
        }
    }
}
"#;

#[test]
fn messages_between_interpreted_contracts() {
    let mut w = world(CALLS);
    let callee = w
        .deploy(alice(), index(&w, "Callee"), &[], U256::ZERO)
        .expect("runs");
    let caller = w
        .deploy(alice(), index(&w, "Caller"), &[], U256::ZERO)
        .expect("runs");
    let (callee, caller) = (callee.created.expect("a"), caller.created.expect("b"));
    let word = |a: Address| U256::from_be_slice(a.as_slice());
    let relay = call_data("relay(address,uint256)", &[word(callee), U256::from(41)]);
    let o = w.call(alice(), caller, &relay, U256::ZERO).expect("runs");
    assert_eq!(o.output, U256::from(42).to_be_bytes::<32>().to_vec());
    assert_eq!(w.storage(callee, U256::ZERO), U256::from(41));
    // a write under a static call fails, and the caller sees the failure
    let sneak = call_data("sneak(address,uint256)", &[word(callee), U256::from(5)]);
    let o = w.call(alice(), caller, &sneak, U256::ZERO).expect("runs");
    assert_eq!(o.output, U256::ZERO.to_be_bytes::<32>().to_vec());
    assert_eq!(w.storage(callee, U256::ZERO), U256::from(41));
    // a reply that does not decode (an account without code answers nothing) reverts
    let relay = call_data(
        "relay(address,uint256)",
        &[U256::from(0xdead), U256::from(1)],
    );
    let o = w.call(alice(), caller, &relay, U256::ZERO).expect("runs");
    assert!(!o.success && o.output.is_empty());
}

#[test]
fn an_endless_loop_is_an_error_not_a_hang() {
    let src = r#"
message L { Spin }
contract Loops {
    recv L {
        Spin => {
            let mut i: u256 = 0
            while true { i = i + 0 }
        }
    }
}
"#;
    let mut w = world(src);
    let at = w
        .deploy(alice(), index(&w, "Loops"), &[], U256::ZERO)
        .expect("runs")
        .created
        .expect("address");
    let e = w
        .call(alice(), at, &call_data("spin()", &[]), U256::ZERO)
        .expect_err("gives up");
    assert!(
        matches!(e, Error::Unsupported(ref m) if m.contains("step limit")),
        "{e}"
    );
}
