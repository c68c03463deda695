//! Differential tests: each contract compiled to both targets, the EVM build deployed by an
//! Ethereum transaction and the WASM build created as a native actor on one Tandem VM, the
//! same calls sent to both from the same accounts; they must agree on success, replies
//! (decoded), revert data, events and storage.
//!
//! The calls of the feature fixtures are their `// ---- expect` lines (the expectations
//! themselves are checked by the harness on the EVM; here only agreement matters).

use crate::common;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256, keccak256};
use common::{ALICE, BOB, CAROL, Dual, Seen, addr, cbor};

include!("common/pair.rs");

const COIN: &str = include_str!("../../tests/fixtures/coin.tdm");

fn coin() -> Vec<Built> {
    build(&[("Coin.tdm".into(), COIN.into())]).unwrap()
}

#[test]
fn coin_agrees_on_both_targets() {
    let mut d = Dual::new();
    let built = coin();
    let (alice, bob, carol) = (addr(ALICE), addr(BOB), addr(CAROL));
    let p = deploy(
        &mut d,
        &built[0],
        alice,
        &[DynSolValue::Uint(U256::from(1000), 256)],
        U256::ZERO,
    )
    .unwrap()
    .expect("deployed");
    let u = |n: u64| DynSolValue::Uint(U256::from(n), 256);
    let a = |x: Address| DynSolValue::Address(x);
    let steps: Vec<(Address, &str, Vec<DynSolValue>)> = vec![
        (bob, "totalSupply()", vec![]),
        (bob, "balanceOf(address)", vec![a(alice)]),
        (alice, "transfer(address,uint256)", vec![a(bob), u(250)]),
        (bob, "transfer(address,uint256)", vec![a(carol), u(100)]),
        (carol, "transfer(address,uint256)", vec![a(alice), u(101)]),
        (alice, "transfer(address,uint256)", vec![a(alice), u(5)]),
        (bob, "balanceOf(address)", vec![a(bob)]),
        (bob, "balanceOf(address)", vec![a(carol)]),
    ];
    for (from, sig, args) in steps {
        call(&mut d, &p, from, sig, &args, U256::ZERO).unwrap();
    }
    // value to a non-payable handler fails on both
    let (e, w) = call(&mut d, &p, alice, "totalSupply()", &[], U256::from(1)).unwrap();
    assert!(!e.success && !w.success);
    // the same storage words: supply at slot 0, balances at keccak(holder . 1)
    for who in [alice, bob, carol] {
        let mut key = who.into_word().to_vec();
        key.extend(U256::from(1).to_be_bytes::<32>());
        let slot = U256::from_be_bytes(keccak256(&key).0);
        let evm_id = d.id_of(p.evm).unwrap();
        assert_eq!(
            d.slot(evm_id, slot),
            d.slot(p.native, slot),
            "balance slot of {who}"
        );
    }
    let evm_id = d.id_of(p.evm).unwrap();
    assert_eq!(d.slot(evm_id, U256::ZERO), d.slot(p.native, U256::ZERO));
}

/// Gas and wall time per Coin transfer on both builds (printed; run with `--nocapture`).
/// Wall times are of the test profile, not release.
#[test]
fn coin_transfer_cost_on_both_targets() {
    let mut d = Dual::new();
    let built = coin();
    let alice = addr(ALICE);
    let supply = DynSolValue::Uint(U256::from(1_000_000), 256);
    let p = deploy(&mut d, &built[0], alice, &[supply], U256::ZERO)
        .unwrap()
        .expect("deployed");
    let sig = "transfer(address,uint256)";
    let one = DynSolValue::Uint(U256::from(1), 256);
    let mut rows = Vec::new();
    for (label, fresh) in [("new holder", true), ("existing holder", false)] {
        let (mut ge, mut gw, mut te, mut tw) = (0, 0, 0u128, 0u128);
        let n = 50u64;
        for i in 0..n {
            let to = if fresh { addr(0x1000 + i) } else { addr(BOB) };
            let (e, w) = call(
                &mut d,
                &p,
                alice,
                sig,
                &[DynSolValue::Address(to), one.clone()],
                U256::ZERO,
            )
            .unwrap();
            assert!(e.success && w.success);
            (ge, gw) = (e.gas, w.gas);
            te += e.time.as_nanos();
            tw += w.time.as_nanos();
        }
        rows.push(format!(
            "| {label} | {ge} | {gw} | {:.1} us | {:.1} us |",
            te as f64 / n as f64 / 1000.0,
            tw as f64 / n as f64 / 1000.0
        ));
    }
    eprintln!(
        "| Coin transfer | EVM gas | WASM gas | EVM time | WASM time |\n|---|---|---|---|---|"
    );
    for r in rows {
        eprintln!("{r}");
    }
    eprintln!(
        "code size: EVM init {} B, WASM module {} B",
        built[0].evm_init.len(),
        built[0].wasm.len()
    );
}

/// (fixture, method, [(params, expected exit code)]).
type Case = (&'static str, &'static str, Vec<(Vec<u8>, u32)>);

/// Aggregates that do not decode as their type (wrong length, a vector longer than the
/// params) are bad params (16), as a wrong word is; the EVM has no such input.
#[test]
fn malformed_aggregates_are_bad_params() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures/features");
    let src = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let cases: [Case; 2] = [
        (
            "arrays.tdm",
            "sum",
            vec![
                (vec![0x81, 0x84, 0x40, 0x40, 0x41, 0, 0x40], 0),
                (vec![0x81, 0x83, 0x40, 0x40, 0x40], 16),
                (vec![0x81, 0x85, 0x40, 0x40, 0x40, 0x40, 0x40], 16),
                (vec![0x81, 0x84, 0x40, 0x40, 0x40, 0x01], 16),
            ],
        ),
        (
            "vec.tdm",
            "total",
            vec![
                (vec![0x81, 0x82, 0x41, 0, 0x40], 0),
                (vec![0x81, 0x9a, 0, 0x10, 0, 0], 16),
                (vec![0x81, 0x83, 0x40, 0x40], 16),
            ],
        ),
    ];
    for (file, method, inputs) in cases {
        let built = build(&[(file.into(), src(file))]).unwrap();
        let mut d = Dual::new();
        let p = deploy(&mut d, &built[0], addr(ALICE), &[], U256::ZERO)
            .unwrap()
            .expect("deployed");
        let meta =
            p.c.ir
                .meta
                .handlers
                .iter()
                .find(|h| h.sol_name == method)
                .unwrap();
        let to = fvm_shared::address::Address::new_id(p.native);
        for (params, want) in inputs {
            let (exit, ..) = d.native(
                addr(ALICE),
                to,
                meta.method_number,
                params.clone(),
                U256::ZERO,
            );
            assert_eq!(exit, want, "{file} {method} 0x{}", hex(&params));
        }
    }
}

/// The native build of a contract calling an EVM contract with the same `ctx.call`: the
/// target runs the EVM's code, so the message goes as Solidity ABI calldata through
/// InvokeEVM and the reply is read as ABI return data (words, static tuples); the callee's
/// revert data bubbles up unchanged.
#[test]
fn native_calls_an_evm_contract() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures/features");
    let src = std::fs::read_to_string(dir.join("calls.tdm")).unwrap();
    let built = build(&[("calls.tdm".into(), src)]).unwrap();
    let by_name = |n: &str| built.iter().find(|b| b.ir.name == n).unwrap();
    let mut d = Dual::new();
    let alice = addr(ALICE);
    let counter = deploy(&mut d, by_name("Counter"), alice, &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let relayer = deploy(&mut d, by_name("Relayer"), alice, &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let u = |n: u64| DynSolValue::Uint(U256::from(n), 256);
    let evm_counter = DynSolValue::Address(counter.evm);
    // the native Relayer, given the EVM Counter's own address (not its native twin)
    let native = |d: &mut Dual, m: &str, args: Vec<DynSolValue>| to_native(d, &relayer, m, args);
    let abi = |vs: Vec<DynSolValue>| DynSolValue::Tuple(vs).abi_encode_params();
    assert_eq!(
        native(&mut d, "bump", vec![evm_counter.clone(), u(7)]),
        (0, abi(vec![u(7)]))
    );
    assert_eq!(
        native(&mut d, "read", vec![evm_counter.clone()]),
        (0, abi(vec![u(7)]))
    );
    let pair = abi(vec![u(7), DynSolValue::Bool(true)]);
    assert_eq!(native(&mut d, "both", vec![evm_counter.clone()]), (0, pair));
    let mut exploded = keccak256("Exploded(uint256)")[..4].to_vec();
    exploded.extend(abi(vec![u(3)]));
    assert_eq!(
        native(&mut d, "blow", vec![evm_counter.clone(), u(3)]),
        (33, exploded)
    );
    assert_eq!(
        native(&mut d, "tryBlow", vec![evm_counter.clone(), u(3)]),
        (0, abi(vec![u(36)]))
    );
    // a view variant goes read-only: the write fails, try_call gives Err
    assert_eq!(
        native(&mut d, "sneak", vec![evm_counter.clone()]),
        (0, abi(vec![u(55)]))
    );
    // the EVM Counter holds what the native Relayer did, and the EVM Relayer sees it
    let (seen, _) = d.eth(
        alice,
        Some(counter.evm),
        keccak256("get()")[..4].to_vec(),
        U256::ZERO,
    );
    assert_eq!(seen.output, Some(abi(vec![u(7)])));
    let mut read = keccak256("read(address)")[..4].to_vec();
    read.extend(abi(vec![evm_counter]));
    let (seen, _) = d.eth(alice, Some(relayer.evm), read, U256::ZERO);
    assert_eq!(seen.output, Some(abi(vec![u(7)])));
}

/// Calls a handler of the native build, with addresses as given (a twin's EVM address stays
/// the EVM contract's): (exit code, the reply as ABI data, or the failure's data).
fn to_native(d: &mut Dual, p: &Pair<'_>, method: &str, args: Vec<DynSolValue>) -> (u32, Vec<u8>) {
    let i =
        p.c.ir
            .meta
            .handlers
            .iter()
            .position(|h| h.sol_name == method)
            .unwrap();
    let tys: Vec<_> = p.c.ir.handlers[i]
        .params
        .iter()
        .map(|p| p.ty.clone())
        .collect();
    let twins = std::mem::take(&mut d.twins);
    let params = cbor::params(d, &args, &tys).unwrap();
    d.twins = twins;
    let to = fvm_shared::address::Address::new_id(p.native);
    let number = p.c.ir.meta.handlers[i].method_number;
    let (exit, ret, ..) = d.native(addr(ALICE), to, number, params, U256::ZERO);
    let out = match exit {
        0 => cbor::reply_to_abi(d, &ret, &p.c.ir.handlers[i].returns).unwrap(),
        _ => ret,
    };
    (exit, out)
}

/// `ctx.call_raw` from the native build: the bytes are Solidity calldata, sent as InvokeEVM
/// (here to the EVM build), the whole reply or revert data comes back as `Bytes`; a typed
/// `Vec` reply of the same EVM contract decodes.
#[test]
fn native_raw_call_to_an_evm_contract() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures/features");
    let src = std::fs::read_to_string(dir.join("call_dynamic_reply.tdm")).unwrap();
    let built = build(&[("call_dynamic_reply.tdm".into(), src)]).unwrap();
    let by_name = |n: &str| built.iter().find(|b| b.ir.name == n).unwrap();
    let mut d = Dual::new();
    let name = DynSolValue::String("source".into());
    let source = deploy(&mut d, by_name("Source"), addr(ALICE), &[name], U256::ZERO)
        .unwrap()
        .unwrap();
    let client = deploy(&mut d, by_name("Client"), addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let evm_source = DynSolValue::Address(source.evm);
    let u = |n: u64| DynSolValue::Uint(U256::from(n), 256);
    let mut squares = keccak256("squares(uint256)")[..4].to_vec();
    squares.extend(DynSolValue::Tuple(vec![u(3)]).abi_encode_params());
    let (evm, _) = d.eth(addr(ALICE), Some(source.evm), squares.clone(), U256::ZERO);
    let reply = DynSolValue::Tuple(vec![DynSolValue::Bytes(evm.output.clone().unwrap())]);
    let args = vec![evm_source.clone(), DynSolValue::Bytes(squares)];
    assert_eq!(
        to_native(&mut d, &client, "forward", args),
        (0, reply.abi_encode_params())
    );
    let fail = keccak256("fail()")[..4].to_vec();
    let mut nope = keccak256("Nope(uint256)")[..4].to_vec();
    nope.extend(DynSolValue::Tuple(vec![u(7)]).abi_encode_params());
    let args = vec![evm_source.clone(), DynSolValue::Bytes(fail)];
    assert_eq!(to_native(&mut d, &client, "forward", args), (33, nope));
    // a Vec reply from an EVM contract: [0, 1, 4]
    let (exit, data) = to_native(&mut d, &client, "sumOf", vec![evm_source, u(3)]);
    let want = DynSolValue::Tuple(vec![u(3), u(5)]).abi_encode_params();
    assert_eq!((exit, data), (0, want));
}

const FACTORY: &str = "
message Child { Id -> u256, Parent -> Address }
struct Cell { id: u256, parent: Address }
contract Kid {
    storage: Cell
    init(id: u256) with (mut storage, ctx) {
        storage.id = id
        storage.parent = ctx.caller()
    }
    recv Child {
        Id => with storage { storage.id }
        Parent => with storage { storage.parent }
    }
}
message Factory {
    Make { id: u256 } -> Address,
    MakeAt { id: u256, salt: u256 } -> Address,
    MakeAndAsk { id: u256 } -> u256,
}
struct Nothing { }
contract Maker {
    storage: Nothing
    recv Factory {
        Make { id } => with mut ctx { ctx.create(Kid, id) }
        MakeAt { id, salt } => with mut ctx { ctx.create2(Kid, salt, id) }
        MakeAndAsk { id } => with mut ctx {
            let k = ctx.create(Kid, id)
            ctx.call(k, Child::Id) + 1
        }
    }
}
";

/// `ctx.create` on both builds: the EVM build runs CREATE, the native build creates the
/// embedded child through Init `Exec` (installing its code on first use). Both agree on what
/// the child answers; the child's address is an EVM address on one and a masked ID on the
/// other; in both the child's constructor sees the factory as `ctx.caller()`.
#[test]
fn create_on_both_targets() {
    let built = build(&[("Factory.tdm".into(), FACTORY.into())]).unwrap();
    let maker = built.iter().find(|b| b.ir.name == "Maker").unwrap();
    let mut d = Dual::new();
    let p = deploy(&mut d, maker, addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let u = |n: u64| DynSolValue::Uint(U256::from(n), 256);
    for id in [41, 7] {
        let (e, w) = call(
            &mut d,
            &p,
            addr(ALICE),
            "makeAndAsk(uint256)",
            &[u(id)],
            U256::ZERO,
        )
        .unwrap();
        assert!(e.success && w.success);
        assert_eq!(
            w.output,
            Some(DynSolValue::Tuple(vec![u(id + 1)]).abi_encode_params())
        );
    }
    // the native child: a masked ID that answers its id natively
    let (code, out) = to_native(&mut d, &p, "make", vec![u(9)]);
    assert_eq!(code, 0);
    let child = Address::from_slice(&out[12..]);
    assert_eq!(child[0], 0xff, "a masked ID: {child}");
    let id = u64::from_be_bytes(child[12..].try_into().unwrap());
    let kid = built.iter().find(|b| b.ir.name == "Kid").unwrap();
    let kp = Pair {
        evm: Address::ZERO,
        native: id,
        c: kid,
    };
    assert_eq!(
        to_native(&mut d, &kp, "id", vec![]),
        (0, DynSolValue::Tuple(vec![u(9)]).abi_encode_params())
    );
    // the native factory (its masked ID, read back as its twin's EVM address), not the
    // account that sent `make`
    let parent = DynSolValue::Tuple(vec![DynSolValue::Address(p.evm)]).abi_encode_params();
    assert_eq!(to_native(&mut d, &kp, "parent", vec![]), (0, parent));
}

/// `create2` on the native target (issue 13): Init's Create2 puts the child at CREATE2's
/// formula over (the creator's address word, the salt, keccak(code CID ‖ DAG-CBOR
/// constructor params)), an f410 address; the same salt and arguments again collide (0, a
/// revert), another salt or other arguments give another address; the child answers there.
#[test]
fn create2_on_the_native_target() {
    let built = build(&[("Factory.tdm".into(), FACTORY.into())]).unwrap();
    let maker = built.iter().find(|b| b.ir.name == "Maker").unwrap();
    let kid = built.iter().find(|b| b.ir.name == "Kid").unwrap();
    let mut d = Dual::new();
    let p = deploy(&mut d, maker, addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let u = |n: u64| DynSolValue::Uint(U256::from(n), 256);
    let expected = |d: &Dual, id: u64, salt: u64| {
        let mut creator = [0u8; 20];
        creator[0] = 0xff;
        creator[12..].copy_from_slice(&p.native.to_be_bytes());
        let ctor = cbor::params(
            d,
            &[u(id)],
            &[tandem_lang_ir::ValTy::Word(tandem_lang_ir::WordTy::Uint(
                256,
            ))],
        )
        .unwrap();
        let cid = tandem_actors::init::native_code_cid(&kid.wasm);
        let at = tandem_actors::init::create2_address(
            &tandem_vm::eth::EthAddress(creator),
            &U256::from(salt).to_be_bytes::<32>(),
            &cid,
            &ctor,
        );
        Address::from(at.0)
    };
    let (code, out) = to_native(&mut d, &p, "makeAt", vec![u(9), u(0x55)]);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
    let child = Address::from_slice(&out[12..]);
    assert_eq!(child, expected(&d, 9, 0x55));
    // the child lives there and answers natively
    let f4 = tandem_vm::eth::EthAddress(child.into_array()).to_filecoin();
    let id = d
        .exec
        .machine
        .state
        .lookup_id(&f4)
        .unwrap()
        .expect("the child");
    let kp = Pair {
        evm: Address::ZERO,
        native: id,
        c: kid,
    };
    assert_eq!(
        to_native(&mut d, &kp, "id", vec![]),
        (0, DynSolValue::Tuple(vec![u(9)]).abi_encode_params())
    );
    // a collision fails the create: the factory reverts
    let (code, _) = to_native(&mut d, &p, "makeAt", vec![u(9), u(0x55)]);
    assert_eq!(code, 33);
    let (code, out) = to_native(&mut d, &p, "makeAt", vec![u(10), u(0x55)]);
    assert_eq!(
        (code, Address::from_slice(&out[12..])),
        (0, expected(&d, 10, 0x55))
    );
    let (code, out) = to_native(&mut d, &p, "makeAt", vec![u(9), u(0x56)]);
    assert_eq!(
        (code, Address::from_slice(&out[12..])),
        (0, expected(&d, 9, 0x56))
    );
}

/// The native build decodes `String`, `Bytes` and `Vec` replies of an EVM callee (issue 13):
/// the `call_dynamic_reply` fixture's Client, native, calling the EVM build of its Source.
#[test]
fn native_decodes_dynamic_replies_of_an_evm_contract() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures/features");
    let src = std::fs::read_to_string(dir.join("call_dynamic_reply.tdm")).unwrap();
    let built = build(&[("call_dynamic_reply.tdm".into(), src)]).unwrap();
    let by_name = |n: &str| built.iter().find(|b| b.ir.name == n).unwrap();
    let mut d = Dual::new();
    let alice = addr(ALICE);
    let name = "a source name that is longer than thirty-two bytes";
    let source = deploy(
        &mut d,
        by_name("Source"),
        alice,
        &[DynSolValue::String(name.into())],
        U256::ZERO,
    )
    .unwrap()
    .unwrap();
    let client = deploy(&mut d, by_name("Client"), alice, &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let u = |n: u64| DynSolValue::Uint(U256::from(n), 256);
    let evm_source = DynSolValue::Address(source.evm);
    let abi = |vs: Vec<DynSolValue>| DynSolValue::Tuple(vs).abi_encode_params();
    let mut native = |m: &str, args: Vec<DynSolValue>| to_native(&mut d, &client, m, args);
    let s = |t: &str| DynSolValue::String(t.into());
    let b = |t: &[u8]| DynSolValue::Bytes(t.to_vec());
    assert_eq!(
        native("nameOf", vec![evm_source.clone()]),
        (0, abi(vec![s(name)]))
    );
    assert_eq!(
        native("nameLen", vec![evm_source.clone()]),
        (0, abi(vec![u(50)]))
    );
    assert_eq!(
        native("blobOf", vec![evm_source.clone(), u(1)]),
        (0, abi(vec![b(b"0123456789abcdefghijklmnopqrstuvwxyz")]))
    );
    assert_eq!(
        native("blobOf", vec![evm_source.clone(), u(0)]),
        (0, abi(vec![b(b"")]))
    );
    assert_eq!(
        native("sumOf", vec![evm_source.clone(), u(4)]),
        (0, abi(vec![u(4), u(14)]))
    );
    assert_eq!(
        native("sumOf", vec![evm_source.clone(), u(0)]),
        (0, abi(vec![u(0), u(0)]))
    );
    assert_eq!(
        native("tryFail", vec![evm_source.clone()]),
        (0, abi(vec![DynSolValue::Bool(false), s("failed")]))
    );
    assert_eq!(
        native("tryWithGas", vec![evm_source.clone(), u(1_000_000)]),
        (0, abi(vec![DynSolValue::Bool(true), u(50)]))
    );
    // Vec<Address> read from words: clean ones decode, a word past 160 bits reverts
    assert_eq!(
        native(
            "addresses",
            vec![evm_source.clone(), DynSolValue::Bool(false)]
        ),
        (
            0,
            abi(vec![
                u(2),
                DynSolValue::Address(Address::with_last_byte(11))
            ])
        )
    );
    assert_eq!(
        native(
            "addresses",
            vec![evm_source.clone(), DynSolValue::Bool(true)]
        ),
        (33, vec![])
    );
    // an account returns nothing: no String to decode
    assert_eq!(
        native("nameOf", vec![DynSolValue::Address(alice)]),
        (33, vec![])
    );
}

/// Malformed dynamic return data from an EVM contract: the native build decodes it exactly
/// as strictly as the EVM build does (offsets and lengths inside the data, clean elements).
/// The callee is hand-written EVM code that returns its calldata after the selector, so the
/// words of the reply are the caller's arguments.
#[test]
fn malformed_dynamic_replies_agree() {
    const PROBE: &str = r#"
message Echo {
    AsBytes { a: u256, b: u256, c: u256 } -> Bytes,
    AsString { a: u256, b: u256, c: u256 } -> String,
    AsWords { a: u256, b: u256, c: u256, e: u256 } -> Vec<u256>,
    AsBools { a: u256, b: u256, c: u256, e: u256 } -> Vec<bool>,
}
message Probe {
    GetBytes { src: Address, a: u256, b: u256, c: u256 } -> Bytes,
    GetString { src: Address, a: u256, b: u256, c: u256 } -> String,
    GetWords { src: Address, a: u256, b: u256, c: u256, e: u256 } -> Vec<u256>,
    GetBools { src: Address, a: u256, b: u256, c: u256, e: u256 } -> Vec<bool>,
}
struct Nothing { }
contract Prober {
    storage: Nothing
    recv Probe {
        GetBytes { src, a, b, c } => with mut ctx { ctx.call(src, Echo::AsBytes { a, b, c }) }
        GetString { src, a, b, c } => with mut ctx { ctx.call(src, Echo::AsString { a, b, c }) }
        GetWords { src, a, b, c, e } => with mut ctx { ctx.call(src, Echo::AsWords { a, b, c, e }) }
        GetBools { src, a, b, c, e } => with mut ctx { ctx.call(src, Echo::AsBools { a, b, c, e }) }
    }
}
"#;
    let built = build(&[("Probe.tdm".into(), PROBE.into())]).unwrap();
    let mut d = Dual::new();
    let alice = addr(ALICE);
    let prober = deploy(&mut d, &built[0], alice, &[], U256::ZERO)
        .unwrap()
        .unwrap();
    // runtime: return calldata[4..]; init: copy the runtime out and return it
    let runtime = [
        0x60, 0x04, 0x36, 0x03, 0x80, 0x60, 0x04, 0x5f, 0x37, 0x5f, 0xf3,
    ];
    let mut init = vec![0x60, 0x0b, 0x60, 0x0a, 0x5f, 0x39, 0x60, 0x0b, 0x5f, 0xf3];
    init.extend(runtime);
    let (seen, echo) = d.eth(alice, None, init, U256::ZERO);
    assert!(seen.success);
    let echo = DynSolValue::Address(echo.expect("the echo contract"));
    let w = |n: U256| DynSolValue::Uint(n, 256);
    let n = |x: u64| w(U256::from(x));
    let big = |shift: usize| w(U256::from(1) << shift);
    let text = w(U256::from_be_slice(b"abc") << 232);
    let cases3: Vec<([DynSolValue; 3], bool)> = vec![
        ([n(32), n(3), text.clone()], true),
        ([n(32), n(0), n(0)], true),
        ([n(0), n(0), n(0)], true), // the offset points at itself: length 0
        ([n(33), n(0), n(0)], true), // unaligned, but inside the data
        ([n(64), n(0), n(0)], true),
        ([n(65), n(0), n(0)], false), // the length word would end past the data
        ([n(32), n(32), n(0)], true),
        ([n(32), n(33), n(0)], false), // the data would end past the reply
        ([big(64), n(0), n(0)], false),
        ([n(32), big(64), n(0)], false),
        ([n(32), big(255), n(0)], false),
        ([big(255), n(0), n(0)], false),
    ];
    for (args, ok) in cases3 {
        for sig in [
            "getBytes(address,uint256,uint256,uint256)",
            "getString(address,uint256,uint256,uint256)",
        ] {
            let mut all = vec![echo.clone()];
            all.extend(args.iter().cloned());
            let (e, _) = call(&mut d, &prober, alice, sig, &all, U256::ZERO)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(e.success, ok, "{sig} {args:?}");
        }
    }
    let cases4: Vec<([DynSolValue; 4], bool, bool)> = vec![
        // (words, decodes as Vec<u256>, decodes as Vec<bool>)
        ([n(32), n(2), n(1), n(0)], true, true),
        ([n(32), n(2), n(1), n(2)], true, false),
        ([n(32), n(3), n(1), n(0)], false, false),
        ([n(64), n(1), n(1), n(1)], true, true),
        ([n(32), n(0), n(9), n(9)], true, true),
        ([n(0), n(1), n(1), n(1)], true, true), // the offset points at itself: length 0
        ([n(32), big(64), n(1), n(1)], false, false),
    ];
    for (args, words, bools) in cases4 {
        for (sig, ok) in [
            ("getWords(address,uint256,uint256,uint256,uint256)", words),
            ("getBools(address,uint256,uint256,uint256,uint256)", bools),
        ] {
            let mut all = vec![echo.clone()];
            all.extend(args.iter().cloned());
            let (e, _) = call(&mut d, &prober, alice, sig, &all, U256::ZERO)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(e.success, ok, "{sig} {args:?}");
        }
    }
}
