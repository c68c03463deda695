//! The map-slot memo (`Rt::MapMemo`, two entries) and in-place updates of mapping entries
//! (`slot_reuse.rs`) on the native build: a contract that cycles through more slots than the
//! memo holds, updates nested entries in place, reads one slot between the read and the
//! write of another and aliases its keys must agree with the EVM build on every reply and
//! leave the same storage words.

use crate::common;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256, keccak256};
use common::{ALICE, BOB, CAROL, Dual, Seen, addr, cbor};

include!("common/pair.rs");

const MEMO_MIX: &str = r#"
struct Books {
    bal: Map<Address, u256>,
    nest: Map<Address, Map<Address, u256>>,
}

message Memo {
    Mix { a: Address, b: Address, c: Address, v: u256 } -> u256,
    #[view]
    Bal { who: Address } -> u256,
    #[view]
    Nest { o: Address, s: Address } -> u256,
}

contract MemoMix {
    storage: Books
    recv Memo {
        Mix { a, b, c, v } => with mut storage {
            storage.bal[a] += v
            storage.bal[b] += v * 2
            storage.bal[c] += storage.bal[a]
            storage.bal[a] -= 1
            storage.nest[a][b] += storage.bal[c]
            storage.nest[b][a] = storage.nest[a][b] + storage.bal[b]
            storage.bal[b] += storage.nest[b][a]
            storage.bal[a] + storage.bal[b] + storage.bal[c] + storage.nest[a][b]
        }
        Bal { who } => with storage { storage.bal[who] }
        Nest { o, s } => with storage { storage.nest[o][s] }
    }
}
"#;

fn map_slot(key: Address, base: U256) -> U256 {
    let mut bytes = key.into_word().to_vec();
    bytes.extend(base.to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(&bytes).0)
}

#[test]
fn memo_cycles_and_in_place_updates_agree_with_the_evm_build() {
    let built = build(&[("MemoMix.tdm".into(), MEMO_MIX.into())]).expect("compiles");
    let mut d = Dual::new();
    let p = deploy(&mut d, &built[0], addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .expect("deployed");
    let people = [addr(ALICE), addr(BOB), addr(CAROL)];
    let [alice, bob, carol] = people;
    let a = DynSolValue::Address;
    let u = |n: u64| DynSolValue::Uint(U256::from(n), 256);
    let mixes = [
        (alice, bob, carol, 5),
        (bob, carol, alice, 7),
        (carol, alice, bob, 1),
        // aliased keys: the same slot under two names
        (alice, alice, bob, 3),
        (bob, carol, carol, 2),
        (carol, carol, carol, 9),
    ];
    for (x, y, z, v) in mixes {
        let args = [a(x), a(y), a(z), u(v)];
        let (e, w) = call(
            &mut d,
            &p,
            alice,
            "mix(address,address,address,uint256)",
            &args,
            U256::ZERO,
        )
        .unwrap();
        assert!(e.success && w.success);
    }
    // an underflow (`bal[a] -= 1` of an empty balance) reverts on both
    let fresh = addr(0x5eed);
    let (e, w) = call(
        &mut d,
        &p,
        alice,
        "mix(address,address,address,uint256)",
        &[a(fresh), a(bob), a(carol), u(0)],
        U256::ZERO,
    )
    .unwrap();
    assert!(!e.success && !w.success);
    let evm = d.id_of(p.evm).unwrap();
    for x in people {
        call(&mut d, &p, bob, "bal(address)", &[a(x)], U256::ZERO).unwrap();
        let bal = map_slot(x, U256::ZERO);
        assert_eq!(d.slot(evm, bal), d.slot(p.native, bal), "bal[{x}]");
        assert_ne!(d.slot(p.native, bal), U256::ZERO, "bal[{x}] was written");
        for y in people {
            call(
                &mut d,
                &p,
                bob,
                "nest(address,address)",
                &[a(x), a(y)],
                U256::ZERO,
            )
            .unwrap();
            let nest = map_slot(y, map_slot(x, U256::from(1)));
            assert_eq!(d.slot(evm, nest), d.slot(p.native, nest), "nest[{x}][{y}]");
        }
    }
}
