//! What the corpus ERC-20's native build costs: the gas of a transfer on both builds (both
//! must agree on the outcome), held under a ceiling so a code-generation regression fails,
//! and the operators of each handler of the module (`--nocapture` prints them).
//! `TANDEM_WASM_DUMP=<dir>` also writes `erc20.wasm`, `erc20.ops` (every function's
//! operators, for reading) and `coin.wasm` (the Coin example) there: the layout of
//! `tandem bench`'s `LANG_BASELINE`, to time this compiler's modules against a later one's.

use crate::common;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256, keccak256};
use common::{ALICE, BOB, Dual, Seen, addr, cbor};
use wasmparser::{Operator, Parser, Payload};

include!("common/pair.rs");

const TOKEN: &str = include_str!("../../harness/fixtures/corpus/erc20/src/Token.tdm");

/// The most a transfer to an existing holder may cost the native build (whole message). It
/// was 41,782 before events were written in place, mapping slots went to the slot syscalls
/// as bytes and params were read in one syscall, 41,196 before `balances[to] += v` passed
/// its slot as bytes too (`slot_reuse.rs`); the EVM build's is 33,710 here. Raised by the
/// eighteenth session's prices (a syscall 40 gas, not 30; the first 256 KiB of memory 0.026
/// gas a byte, not 0.02): the same code cost 41,578 then.
const TRANSFER_GAS_CEILING: u64 = 41_680;

/// The most `transferFrom` may cost the native build: with a one-entry map-slot memo the
/// allowance's two slots were hashed twice each (48,322 + two `crypto_hash`es, ~1,340 gas).
/// 48,756 under the eighteenth session's prices.
const TRANSFER_FROM_GAS_CEILING: u64 = 48_850;

/// Operators of each defined function (index past the imports), with their fuel classes.
#[derive(Default, Debug, Clone, Copy)]
struct OpCount {
    ops: u32,
    loads: u32,
    stores: u32,
    calls: u32,
}

struct Module {
    n_imports: u32,
    bodies: Vec<(OpCount, String)>,
    /// (method number, function index) as `invoke` dispatches them.
    methods: Vec<(u64, u32)>,
}

fn inspect(wasm: &[u8]) -> Module {
    let mut n_imports = 0;
    let mut bodies = Vec::new();
    let mut invoke = None;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("a valid module") {
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    imp.expect("import");
                    n_imports += 1;
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.expect("export");
                    if e.name == "invoke" {
                        invoke = Some(e.index);
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut count = OpCount::default();
                let mut text = String::new();
                let mut ops = body.get_operators_reader().expect("operators");
                while !ops.eof() {
                    let op = ops.read().expect("operator");
                    count.ops += 1;
                    let name = format!("{op:?}");
                    if name.contains("Load") && !name.starts_with("Local") {
                        count.loads += 1;
                    }
                    if name.contains("Store") {
                        count.stores += 1;
                    }
                    if matches!(op, Operator::Call { .. }) {
                        count.calls += 1;
                    }
                    text.push_str(&name);
                    text.push('\n');
                }
                bodies.push((count, text));
            }
            _ => {}
        }
    }
    let invoke = invoke.expect("invoke exported");
    let methods = dispatch_table(wasm, invoke);
    Module {
        n_imports,
        bodies,
        methods,
    }
}

/// `invoke`'s `i64.const <method>; i64.eq; if; call <f>` pairs.
fn dispatch_table(wasm: &[u8], invoke: u32) -> Vec<(u64, u32)> {
    let mut index = 0;
    let mut n_imports = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("a valid module") {
            Payload::ImportSection(r) => n_imports = r.count(),
            Payload::CodeSectionEntry(body) => {
                if n_imports + index == invoke {
                    let mut out = Vec::new();
                    let mut last_const = None;
                    let mut ops = body.get_operators_reader().expect("operators");
                    while !ops.eof() {
                        match ops.read().expect("operator") {
                            Operator::I64Const { value } => last_const = Some(value as u64),
                            Operator::I64Eq | Operator::If { .. } => {}
                            Operator::Call { function_index } => {
                                if let Some(m) = last_const.take() {
                                    out.push((m, function_index));
                                }
                            }
                            _ => last_const = None,
                        }
                    }
                    return out;
                }
                index += 1;
            }
            _ => {}
        }
    }
    Vec::new()
}

#[test]
fn erc20_transfer_cost_on_both_targets() {
    let built = build(&[("Token.tdm".into(), TOKEN.into())]).expect("the ERC-20 compiles");
    let token = &built[0];
    let module = inspect(&token.wasm);
    if let Ok(dir) = std::env::var("TANDEM_WASM_DUMP") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).expect("dump directory");
        std::fs::write(dir.join("erc20.wasm"), &token.wasm).expect("dump written");
        let mut text = String::new();
        for (i, (c, ops)) in module.bodies.iter().enumerate() {
            let index = module.n_imports as usize + i;
            text.push_str(&format!("== function {index}: {c:?}\n{ops}"));
        }
        std::fs::write(dir.join("erc20.ops"), text).expect("ops written");
        let coin = [("Coin.tdm".into(), tandem_lang_driver::COIN_EXAMPLE.into())];
        let coin = build(&coin).expect("the Coin compiles");
        std::fs::write(dir.join("coin.wasm"), &coin[0].wasm).expect("dump written");
    }
    eprintln!("module: {} bytes", token.wasm.len());
    eprintln!("| handler | operators | loads | stores | calls |\n|---|---:|---:|---:|---:|");
    for (h, meta) in token.ir.handlers.iter().zip(&token.ir.meta.handlers) {
        let Some((_, f)) = module
            .methods
            .iter()
            .find(|(m, _)| *m == meta.method_number)
        else {
            continue;
        };
        let (c, _) = &module.bodies[(*f - module.n_imports) as usize];
        eprintln!(
            "| {} | {} | {} | {} | {} |",
            h.variant, c.ops, c.loads, c.stores, c.calls
        );
    }

    let mut d = Dual::new();
    let (alice, bob) = (addr(ALICE), addr(BOB));
    let supply = DynSolValue::Uint(U256::from(1_000_000_000u64), 256);
    let p = deploy(&mut d, token, alice, &[supply], U256::ZERO)
        .unwrap()
        .expect("deployed");
    let sig = "transfer(address,uint256)";
    let send = |d: &mut Dual, to: Address| {
        let args = [
            DynSolValue::Address(to),
            DynSolValue::Uint(U256::from(1), 256),
        ];
        let (e, w) = call(d, &p, alice, sig, &args, U256::ZERO).unwrap();
        assert!(e.success && w.success);
        (e.gas, w.gas)
    };
    send(&mut d, bob);
    let (evm_existing, wasm_existing) = send(&mut d, bob);
    let (evm_new, wasm_new) = send(&mut d, addr(0x5eed));
    eprintln!(
        "transfer gas: existing holder EVM {evm_existing} WASM {wasm_existing}; \
         new holder EVM {evm_new} WASM {wasm_new}"
    );
    // the other handlers, each on both builds (gas of the whole message)
    let u = |n: u64| DynSolValue::Uint(U256::from(n), 256);
    let a = DynSolValue::Address;
    let calls: [(Address, &str, Vec<DynSolValue>); 5] = [
        (bob, "totalSupply()", vec![]),
        (bob, "balanceOf(address)", vec![a(alice)]),
        (alice, "approve(address,uint256)", vec![a(bob), u(500)]),
        (bob, "allowance(address,address)", vec![a(alice), a(bob)]),
        (
            bob,
            "transferFrom(address,address,uint256)",
            vec![a(alice), a(bob), u(7)],
        ),
    ];
    for (from, sig, args) in calls {
        let (e, w) = call(&mut d, &p, from, sig, &args, U256::ZERO).unwrap();
        assert!(e.success && w.success, "{sig}");
        eprintln!("{sig} gas: EVM {} WASM {}", e.gas, w.gas);
        if sig.starts_with("transferFrom") {
            assert!(
                w.gas <= TRANSFER_FROM_GAS_CEILING,
                "the native transferFrom costs {} gas, over the ceiling {TRANSFER_FROM_GAS_CEILING}",
                w.gas
            );
        }
    }
    assert!(
        wasm_existing <= TRANSFER_GAS_CEILING,
        "the native transfer costs {wasm_existing} gas, over the ceiling {TRANSFER_GAS_CEILING}"
    );
}
