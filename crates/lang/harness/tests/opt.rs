//! The IR optimiser end to end: the same program compiled with and without `optimize` returns
//! the same results (replies, reverts, storage) and the optimised one costs less gas.

use alloy_primitives::U256;
use alloy_sol_types::{SolCall, sol};
use tandem_lang_harness::{Backend, Chain, Outcome, addr, compile_with, panic_data};

const SRC: &str = r#"
message CounterMsg {
    Bump { by: u8 } -> u256,
    Take { amount: u256 } -> u256,
    SumTo { n: u256 } -> u256,
    Get -> u256,
}

error TooMuch { have: u256, want: u256 }

struct Counter {
    count: u256,
    total: u256,
    owners: Map<Address, u256>,
}

contract Tally {
    storage: Counter

    init() with (mut storage, ctx) {
        storage.count = 1
        storage.owners[ctx.caller()] = 100
    }

    recv CounterMsg {
        Bump { by } => with (mut storage, ctx) {
            let step = by as u256 + 1
            storage.count = storage.count + step
            storage.total = storage.total + storage.count
            storage.owners[ctx.caller()] += storage.count
            storage.count + storage.total
        }
        Take { amount } => with (mut storage, ctx) {
            let have = storage.owners[ctx.caller()]
            if have < amount { revert TooMuch { have, want: amount } }
            storage.owners[ctx.caller()] = have - amount
            have - amount
        }
        SumTo { n } => {
            let mut total = 0
            for i in 0..n {
                total += i / 2
            }
            total
        }
        Get => with storage { storage.count * 1000 + storage.total }
    }
}
"#;

sol! {
    function bump(uint8 by) returns (uint256);
    function take(uint256 amount) returns (uint256);
    function sumTo(uint256 n) returns (uint256);
    function get() returns (uint256);
}

/// Runs the same script of calls on one build; returns the outcomes and the deploy gas.
fn script(optimize: bool) -> (Vec<Outcome>, u64, usize) {
    let (out, _) = compile_with(&[("Tally.tdm", SRC)], optimize).unwrap_or_else(|e| panic!("{e}"));
    let c = &out[0];
    let mut chain = Chain::new();
    let (alice, bob) = (addr(0xa11ce), addr(0xb0b));
    let d = chain.deploy(alice, &c.init_code, &[]);
    assert!(d.success, "deploy: {d:?}");
    let at = d.created.expect("address");
    let calls: Vec<(alloy_primitives::Address, Vec<u8>)> = vec![
        (alice, bumpCall { by: 3 }.abi_encode()),
        (alice, bumpCall { by: 255 }.abi_encode()),
        (bob, bumpCall { by: 0 }.abi_encode()),
        (
            alice,
            takeCall {
                amount: U256::from(50),
            }
            .abi_encode(),
        ),
        (
            alice,
            takeCall {
                amount: U256::from(1_000_000),
            }
            .abi_encode(),
        ),
        (
            bob,
            takeCall {
                amount: U256::from(1),
            }
            .abi_encode(),
        ),
        (alice, sumToCall { n: U256::from(10) }.abi_encode()),
        (alice, sumToCall { n: U256::ZERO }.abi_encode()),
        (alice, getCall {}.abi_encode()),
    ];
    let mut outs: Vec<Outcome> = calls
        .into_iter()
        .map(|(from, data)| chain.call(from, at, data))
        .collect();
    // Storage after the script, as a final "outcome" word.
    let mut s = outs[0].clone();
    s.output = [
        chain.storage(at, U256::ZERO),
        chain.storage(at, U256::from(1)),
    ]
    .iter()
    .flat_map(|w| w.to_be_bytes::<32>())
    .collect::<Vec<u8>>()
    .into();
    outs.push(s);
    (outs, d.gas, c.runtime_code.len())
}

#[test]
fn optimised_code_behaves_the_same_and_costs_less() {
    let (plain, deploy_plain, size_plain) = script(false);
    let (opt, deploy_opt, size_opt) = script(true);
    assert_eq!(plain.len(), opt.len());
    for (i, (a, b)) in plain.iter().zip(&opt).enumerate() {
        assert_eq!(a.success, b.success, "call {i}");
        assert_eq!(a.output, b.output, "call {i}");
        assert_eq!(a.logs, b.logs, "call {i}");
    }
    // Spot-check the script's meaning.
    assert!(opt[0].success && opt[3].success && opt[6].success);
    assert!(!opt[4].success, "taking too much reverts");
    assert_eq!(opt[6].word(), U256::from(20));
    let _ = panic_data(0x11);
    let gas = |v: &[Outcome]| -> u64 { v[..9].iter().map(|o| o.gas).sum() };
    println!(
        "tally: deploy {deploy_plain} -> {deploy_opt} | calls {} -> {} | runtime {size_plain} -> {size_opt} bytes",
        gas(&plain),
        gas(&opt)
    );
    assert!(gas(&opt) < gas(&plain));
    assert!(deploy_opt < deploy_plain);
    for (i, (a, b)) in plain.iter().zip(&opt).enumerate().take(9) {
        assert!(b.gas <= a.gas, "call {i}: {} > {}", b.gas, a.gas);
    }
}

#[test]
fn optimised_ir_prints() {
    let (_, m) = compile_with(&[("Tally.tdm", SRC)], true).unwrap_or_else(|e| panic!("{e}"));
    let text = m.to_string();
    assert!(text.contains("handler bump(uint8)"), "{text}");
}

/// Every example of the language reference that compiles without the optimiser also compiles
/// with it (the optimiser must not, say, push a body past the reachable stack depth), and its
/// handlers' IR only gets smaller or stays.
#[test]
fn reference_examples_still_compile_when_optimised() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../docs/language.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for line in doc.lines() {
        match (&mut cur, line.trim_start()) {
            (None, l) if l.starts_with("```tandem") => cur = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                cur = None;
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    let mut checked = 0;
    for b in &blocks {
        let Ok((plain, _)) = compile_with(&[("Example.tdm", b)], false) else {
            continue;
        };
        let (opt, _) = compile_with(&[("Example.tdm", b)], true)
            .unwrap_or_else(|e| panic!("optimised build fails:\n{e}\n{b}"));
        for (p, o) in plain.iter().zip(&opt) {
            assert!(
                o.runtime_code.len() <= p.runtime_code.len() + 8,
                "{}: {} -> {} bytes",
                p.name,
                p.runtime_code.len(),
                o.runtime_code.len()
            );
        }
        checked += 1;
    }
    println!("{checked} reference examples compile with and without the optimiser");
}
