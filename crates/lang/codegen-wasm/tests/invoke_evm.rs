//! The native build of a Tandem contract answers `InvokeEVM` with Solidity-ABI calldata
//! (docs/wasm-target.md, "Dispatch and the wire format"):
//! - an EVM contract (the EVM build of another Tandem contract) calls the native build with
//!   ordinary calldata and decodes its replies, and its reverts bubble up;
//! - the same calldata sent directly as `InvokeEVM` gives the native build byte-identical
//!   return and revert data to the EVM build of the same contract;
//! - malformed calldata reverts with no data, as on the EVM build.

use crate::common;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, I256, U256, keccak256};
use common::{ALICE, BOB, Dual, Seen, addr, cbor, masked};

include!("common/pair.rs");

const INVOKE_EVM: u64 = 3_844_450_837;

const TARGET: &str = "
struct Point { x: u256, y: i64 }
error TooBig { v: u256, limit: u256 }

message Api {
    Add { a: u256, b: u256 } -> u256,
    Pick { x: u8, who: Address, flag: bool } -> (u8, Address, bool),
    Mirror { p: Point } -> Point,
    Echo { b: Bytes } -> Bytes,
    Greet { s: String } -> String,
    Squares { n: u256 } -> Vec<u256>,
    Small { xs: Vec<u8> } -> u256,
    Mixed { tag: u256, b: Bytes, n: u64 } -> (u256, Bytes, u64),
    Check { v: u256 } -> u256,
    Add8 { a: u8, b: u8 } -> u8,
    Bump { by: u256 } -> u256,
    Quiet,
    #[payable]
    Take -> u256,
}

struct Store { total: u256 }

contract Target {
    storage: Store
    recv Api {
        Add { a, b } => { a + b }
        Pick { x, who, flag } => { (x, who, !flag) }
        Mirror { p } => { Point { x: p.x + 1, y: -p.y } }
        Echo { b } => { b }
        Greet { s } => { s }
        Squares { n } => {
            let mut v: Vec<u256> = Vec::new()
            for i in 0..n { v.push(i * i) }
            v
        }
        Small { xs } => {
            let mut t: u256 = 0
            for i in 0..xs.len() { t += xs[i] as u256 }
            t
        }
        Mixed { tag, b, n } => { (tag + 1, b, n + 1) }
        Check { v } => {
            if v > 10 { revert TooBig { v, limit: 10 } }
            v * 2
        }
        Add8 { a, b } => { a + b }
        Bump { by } => with mut storage {
            storage.total += by
            storage.total
        }
        Quiet => { }
        #[payable]
        Take => with ctx { ctx.value() }
    }
}

message Via {
    PAdd { t: Address, a: u256, b: u256 } -> u256,
    PPick { t: Address, x: u8, who: Address, flag: bool } -> (u8, Address, bool),
    PMirror { t: Address, p: Point } -> Point,
    PEcho { t: Address, b: Bytes } -> Bytes,
    PGreet { t: Address, s: String } -> String,
    PSquares { t: Address, n: u256 } -> Vec<u256>,
    PCheck { t: Address, v: u256 } -> u256,
    PTryCheck { t: Address, v: u256 } -> u256,
    PAdd8 { t: Address, a: u8, b: u8 } -> u8,
    PBump { t: Address, by: u256 } -> u256,
}

struct Nothing { }

contract Proxy {
    storage: Nothing
    recv Via {
        PAdd { t, a, b } => with mut ctx { ctx.call(t, Api::Add { a, b }) }
        PPick { t, x, who, flag } => with mut ctx { ctx.call(t, Api::Pick { x, who, flag }) }
        PMirror { t, p } => with mut ctx { ctx.call(t, Api::Mirror { p }) }
        PEcho { t, b } => with mut ctx { ctx.call(t, Api::Echo { b }) }
        PGreet { t, s } => with mut ctx { ctx.call(t, Api::Greet { s }) }
        PSquares { t, n } => with mut ctx { ctx.call(t, Api::Squares { n }) }
        PCheck { t, v } => with mut ctx { ctx.call(t, Api::Check { v }) }
        PTryCheck { t, v } => with mut ctx {
            match ctx.try_call(t, Api::Check { v }) {
                Ok(r) => r,
                Err(data) => data.len() + 1000,
            }
        }
        PAdd8 { t, a, b } => with mut ctx { ctx.call(t, Api::Add8 { a, b }) }
        PBump { t, by } => with mut ctx { ctx.call(t, Api::Bump { by }) }
    }
}
";

fn u(n: u64) -> DynSolValue {
    DynSolValue::Uint(U256::from(n), 256)
}

fn u8v(n: u8) -> DynSolValue {
    DynSolValue::Uint(U256::from(n), 8)
}

fn abi(vs: Vec<DynSolValue>) -> Vec<u8> {
    DynSolValue::Tuple(vs).abi_encode_params()
}

fn calldata(sig: &str, args: Vec<DynSolValue>) -> Vec<u8> {
    let mut data = keccak256(sig.as_bytes())[..4].to_vec();
    data.extend(abi(args));
    data
}

fn point(x: u64, y: i64) -> DynSolValue {
    DynSolValue::Tuple(vec![u(x), DynSolValue::Int(I256::try_from(y).unwrap(), 64)])
}

fn panic(code: u64) -> Vec<u8> {
    calldata("Panic(uint256)", vec![u(code)])
}

fn too_big(v: u64) -> Vec<u8> {
    calldata("TooBig(uint256,uint256)", vec![u(v), u(10)])
}

/// An `InvokeEVM` message to an actor: (exit, data). A message's params are CBOR, so the
/// calldata goes as a CBOR byte string (as the EVM runtime takes it too).
fn invoke_evm_to(
    d: &mut Dual,
    to: fvm_shared::address::Address,
    data: Vec<u8>,
    value: U256,
) -> (u32, Vec<u8>) {
    let params = fvm_ipld_encoding::to_vec(&fvm_ipld_encoding::RawBytes::new(data)).unwrap();
    let (exit, ret, ..) = d.native(addr(ALICE), to, INVOKE_EVM, params, value);
    (exit, ret)
}

/// `InvokeEVM` to a native actor.
fn invoke_evm(d: &mut Dual, id: u64, data: Vec<u8>, value: U256) -> (u32, Vec<u8>) {
    invoke_evm_to(d, fvm_shared::address::Address::new_id(id), data, value)
}

fn by_name<'a>(built: &'a [Built], n: &str) -> &'a Built {
    built.iter().find(|b| b.ir.name == n).unwrap()
}

/// The EVM build of `Proxy` calls the native build of `Target` (at its masked ID) with the
/// same `ctx.call`s it would make to an EVM contract: ordinary Solidity calldata through
/// `CALL`, which reaches the actor as `InvokeEVM`.
#[test]
fn an_evm_contract_calls_the_native_build() {
    let built = build(&[("Target.tdm".into(), TARGET.into())]).unwrap();
    let mut d = Dual::new();
    let alice = addr(ALICE);
    let (id, _) = d
        .deploy_native(alice, &by_name(&built, "Target").wasm, vec![], U256::ZERO)
        .unwrap();
    let mut init = by_name(&built, "Proxy").evm_init.clone();
    init.extend(abi(vec![]));
    let (seen, proxy) = d.eth(alice, None, init, U256::ZERO);
    assert!(seen.success);
    let proxy = proxy.unwrap();
    let t = DynSolValue::Address(masked(id));
    let mut via = |sig: &str, args: Vec<DynSolValue>| -> (bool, Vec<u8>) {
        let mut all = vec![t.clone()];
        all.extend(args);
        let (seen, _) = d.eth(alice, Some(proxy), calldata(sig, all), U256::ZERO);
        (seen.success, seen.output.unwrap())
    };
    // words
    assert_eq!(
        via("pAdd(address,uint256,uint256)", vec![u(40), u(2)]),
        (true, abi(vec![u(42)]))
    );
    let bob = DynSolValue::Address(addr(BOB));
    assert_eq!(
        via(
            "pPick(address,uint8,address,bool)",
            vec![u8v(7), bob.clone(), DynSolValue::Bool(true)]
        ),
        (true, abi(vec![u8v(7), bob, DynSolValue::Bool(false)]))
    );
    // a static struct
    assert_eq!(
        via("pMirror(address,(uint256,int64))", vec![point(5, 3)]),
        (true, abi(vec![point(6, -3)]))
    );
    // Bytes, String, Vec
    let long = b"a byte string that is quite a bit longer than one word".to_vec();
    for b in [vec![], vec![1, 2, 3], long] {
        let v = DynSolValue::Bytes(b);
        assert_eq!(
            via("pEcho(address,bytes)", vec![v.clone()]),
            (true, abi(vec![v]))
        );
    }
    let s = DynSolValue::String("hello from the native side, longer than 32 bytes".into());
    assert_eq!(
        via("pGreet(address,string)", vec![s.clone()]),
        (true, abi(vec![s]))
    );
    let squares = DynSolValue::Array(vec![u(0), u(1), u(4), u(9)]);
    assert_eq!(
        via("pSquares(address,uint256)", vec![u(4)]),
        (true, abi(vec![squares]))
    );
    // a custom error bubbles with its selector and fields
    assert_eq!(
        via("pCheck(address,uint256)", vec![u(5)]),
        (true, abi(vec![u(10)]))
    );
    assert_eq!(
        via("pCheck(address,uint256)", vec![u(11)]),
        (false, too_big(11))
    );
    // try_call sees the revert data (4 + 64 bytes)
    assert_eq!(
        via("pTryCheck(address,uint256)", vec![u(12)]),
        (true, abi(vec![u(1068)]))
    );
    // checked arithmetic: Panic(0x11)
    assert_eq!(
        via("pAdd8(address,uint8,uint8)", vec![u8v(200), u8v(55)]),
        (true, abi(vec![u8v(255)]))
    );
    assert_eq!(
        via("pAdd8(address,uint8,uint8)", vec![u8v(200), u8v(56)]),
        (false, panic(0x11))
    );
    // state written by the EVM caller is the native actor's
    assert_eq!(
        via("pBump(address,uint256)", vec![u(3)]),
        (true, abi(vec![u(3)]))
    );
    assert_eq!(
        via("pBump(address,uint256)", vec![u(4)]),
        (true, abi(vec![u(7)]))
    );
    assert_eq!(d.slot(id, U256::ZERO), U256::from(7));
}

/// The calls both builds must answer identically: (signature, calldata).
fn differential_calls() -> Vec<(&'static str, Vec<u8>)> {
    let bob = DynSolValue::Address(addr(BOB));
    let long = DynSolValue::Bytes((0..100u8).collect());
    let cd = calldata;
    vec![
        ("add", cd("add(uint256,uint256)", vec![u(1), u(2)])),
        (
            "add overflow",
            cd(
                "add(uint256,uint256)",
                vec![DynSolValue::Uint(U256::MAX, 256), u(1)],
            ),
        ),
        (
            "pick",
            cd(
                "pick(uint8,address,bool)",
                vec![u8v(9), bob, DynSolValue::Bool(false)],
            ),
        ),
        ("mirror", cd("mirror((uint256,int64))", vec![point(1, -7)])),
        (
            "echo empty",
            cd("echo(bytes)", vec![DynSolValue::Bytes(vec![])]),
        ),
        ("echo long", cd("echo(bytes)", vec![long.clone()])),
        (
            "greet",
            cd("greet(string)", vec![DynSolValue::String("gm".into())]),
        ),
        ("squares", cd("squares(uint256)", vec![u(5)])),
        ("squares none", cd("squares(uint256)", vec![u(0)])),
        (
            "small",
            cd(
                "small(uint8[])",
                vec![DynSolValue::Array(vec![u8v(1), u8v(2), u8v(250)])],
            ),
        ),
        (
            "mixed",
            cd(
                "mixed(uint256,bytes,uint64)",
                vec![u(7), long, DynSolValue::Uint(U256::from(9), 64)],
            ),
        ),
        ("check ok", cd("check(uint256)", vec![u(3)])),
        ("check error", cd("check(uint256)", vec![u(99)])),
        ("add8 ok", cd("add8(uint8,uint8)", vec![u8v(1), u8v(2)])),
        (
            "add8 panic",
            cd("add8(uint8,uint8)", vec![u8v(255), u8v(1)]),
        ),
        ("bump", cd("bump(uint256)", vec![u(5)])),
        ("quiet", cd("quiet()", vec![])),
        ("take", cd("take()", vec![])),
        // extra calldata after the arguments is ignored by both
        ("trailing bytes", {
            let mut c = cd("add(uint256,uint256)", vec![u(1), u(2)]);
            c.extend([0xde, 0xad]);
            c
        }),
    ]
}

/// Malformed calldata: both builds revert with no data (or, where the EVM build reads
/// past the end as zeros, agree on the value).
fn malformed_calls() -> Vec<(&'static str, Vec<u8>)> {
    let cd = calldata;
    let add = cd("add(uint256,uint256)", vec![u(1), u(2)]);
    let mut dirty_addr = cd(
        "pick(uint8,address,bool)",
        vec![
            u8v(1),
            DynSolValue::Address(addr(BOB)),
            DynSolValue::Bool(true),
        ],
    );
    dirty_addr[4 + 32] = 1; // a bit above the 160 of an address
    let mut dirty_u8 = cd(
        "pick(uint8,address,bool)",
        vec![
            u8v(1),
            DynSolValue::Address(addr(BOB)),
            DynSolValue::Bool(true),
        ],
    );
    dirty_u8[4 + 30] = 1;
    let mut dirty_bool = cd(
        "pick(uint8,address,bool)",
        vec![
            u8v(1),
            DynSolValue::Address(addr(BOB)),
            DynSolValue::Bool(true),
        ],
    );
    dirty_bool[4 + 95] = 2;
    let mut dirty_int = cd("mirror((uint256,int64))", vec![point(1, -1)]);
    dirty_int[4 + 32] = 0x7f; // not the sign extension of the low 64 bits
    let mut dirty_elem = cd(
        "small(uint8[])",
        vec![DynSolValue::Array(vec![u8v(1), u8v(2)])],
    );
    let n = dirty_elem.len();
    dirty_elem[n - 2] = 1; // the second element's high byte
    let mut offset_past_end = cd("echo(bytes)", vec![DynSolValue::Bytes(vec![1, 2, 3])]);
    offset_past_end[4 + 31] = 0xf0; // the tail at 0xf0: zeros there, an empty value
    let mut huge_offset = cd("echo(bytes)", vec![DynSolValue::Bytes(vec![1, 2, 3])]);
    // offset + 4 wraps past 2^256: the tail's length is read from the selector's bytes
    huge_offset[4..4 + 32].copy_from_slice(&[0xff; 32]);
    let mut short_tail = cd("echo(bytes)", vec![DynSolValue::Bytes(vec![7; 40])]);
    short_tail.truncate(short_tail.len() - 40); // the data ends early: zeros past the end
    let mut sel_only = add.clone();
    sel_only.truncate(4);
    vec![
        ("empty", vec![]),
        ("3 bytes", vec![0x77, 0x1, 0x2]),
        (
            "unknown selector",
            [[0xde, 0xad, 0xbe, 0xef].as_slice(), &add[4..]].concat(),
        ),
        ("selector only", sel_only),
        ("one word short", add[..add.len() - 1].to_vec()),
        ("dirty address", dirty_addr),
        ("dirty u8", dirty_u8),
        ("dirty bool", dirty_bool),
        ("dirty int64 in a struct", dirty_int),
        ("dirty vector element", dirty_elem),
        ("offset past the end", offset_past_end),
        ("offset wrapping", huge_offset),
        ("tail cut short", short_tail),
    ]
}

/// The same calldata to the EVM build (an Ethereum transaction) and to the native build
/// (`InvokeEVM`): byte-identical return and revert data.
#[test]
fn invoke_evm_agrees_with_the_evm_build() {
    let built = build(&[("Target.tdm".into(), TARGET.into())]).unwrap();
    let mut d = Dual::new();
    let p = deploy(
        &mut d,
        by_name(&built, "Target"),
        addr(ALICE),
        &[],
        U256::ZERO,
    )
    .unwrap()
    .unwrap();
    let mut checked = 0;
    for (what, data) in differential_calls().into_iter().chain(malformed_calls()) {
        for value in [U256::ZERO, U256::from(3)] {
            let (evm, _) = d.eth(addr(ALICE), Some(p.evm), data.clone(), value);
            let (exit, ret) = invoke_evm(&mut d, p.native, data.clone(), value);
            // the same InvokeEVM message to the EVM build, and again to the native build
            // (so both builds see each call twice)
            let f4 = tandem_vm::eth::EthAddress(p.evm.into_array()).to_filecoin();
            let (e_exit, e_ret) = invoke_evm_to(&mut d, f4, data.clone(), value);
            let (n_exit, n_ret) = invoke_evm(&mut d, p.native, data.clone(), value);
            // a tail length read from the selector's bytes: the EVM build runs out of gas
            // (exit 7) where the native build refuses it (33), both with no data
            let (e_exit, n_exit) = match what {
                "offset wrapping" => (e_exit.min(1), n_exit.min(1)),
                _ => (e_exit, n_exit),
            };
            assert_eq!(
                (e_exit, e_ret),
                (n_exit, n_ret),
                "{what} (value {value}): InvokeEVM to the EVM build vs the native build"
            );
            let native_ok = exit == 0;
            assert_eq!(
                (evm.success, evm.output.clone().unwrap()),
                (native_ok, ret.clone()),
                "{what} (value {value}): EVM vs native (exit {exit})"
            );
            if !native_ok {
                assert_eq!(exit, 33, "{what}: a revert");
            }
            checked += 1;
        }
    }
    // the FRC-0042/DAG-CBOR entry answers beside it, as before
    let greet = [DynSolValue::String("gm".into())];
    for (sig, args) in [
        ("add(uint256,uint256)", &[u(1), u(2)][..]),
        ("greet(string)", &greet[..]),
        ("mirror((uint256,int64))", &[point(3, 4)][..]),
    ] {
        let (e, w) = call(&mut d, &p, addr(ALICE), sig, args, U256::ZERO).unwrap();
        assert!(
            e.success && w.success,
            "{sig}: 0x{}",
            hex(&e.output.unwrap())
        );
    }
    // the storage both builds wrote
    let evm_id = d.id_of(p.evm).unwrap();
    assert_eq!(d.slot(evm_id, U256::ZERO), d.slot(p.native, U256::ZERO));
    assert_eq!(d.slot(p.native, U256::ZERO), U256::from(10));
    assert!(checked > 60);
}

/// Spot checks of what the differential test compares: the reverts carry no data.
#[test]
fn malformed_calldata_reverts_with_no_data() {
    let built = build(&[("Target.tdm".into(), TARGET.into())]).unwrap();
    let mut d = Dual::new();
    let (id, _) = d
        .deploy_native(
            addr(ALICE),
            &by_name(&built, "Target").wasm,
            vec![],
            U256::ZERO,
        )
        .unwrap();
    for (what, data) in malformed_calls() {
        let (exit, ret) = invoke_evm(&mut d, id, data, U256::ZERO);
        match what {
            "offset past the end" => {
                assert_eq!(
                    (exit, ret),
                    (0, abi(vec![DynSolValue::Bytes(vec![])])),
                    "{what}"
                )
            }
            "tail cut short" => {
                let mut b = vec![7; 24];
                b.extend([0; 16]);
                assert_eq!((exit, ret), (0, abi(vec![DynSolValue::Bytes(b)])), "{what}")
            }
            _ => assert_eq!((exit, ret), (33, vec![]), "{what}"),
        }
    }
    // a length longer than the calldata: refused (the EVM build would zero-fill it)
    let mut data = calldata("echo(bytes)", vec![DynSolValue::Bytes(vec![1])]);
    data[4 + 32 + 29] = 0x10;
    assert_eq!(invoke_evm(&mut d, id, data, U256::ZERO), (33, vec![]));
    // the DAG-CBOR entry is unchanged beside it
    let to = fvm_shared::address::Address::new_id(id);
    let target = by_name(&built, "Target");
    let i = target
        .ir
        .meta
        .handlers
        .iter()
        .position(|h| h.sol_name == "add")
        .unwrap();
    let tys: Vec<_> = target.ir.handlers[i]
        .params
        .iter()
        .map(|p| p.ty.clone())
        .collect();
    let params = cbor::params(&d, &[u(1), u(2)], &tys).unwrap();
    let number = target.ir.meta.handlers[i].method_number;
    let (exit, ret, ..) = d.native(addr(ALICE), to, number, params, U256::ZERO);
    assert_eq!(exit, 0);
    let reply = cbor::reply_to_abi(&d, &ret, &target.ir.handlers[i].returns).unwrap();
    assert_eq!(reply, abi(vec![u(3)]));
}

/// The corpus ERC-20's native build moves tokens on a `cast send`-style
/// `transfer(address,uint256)`, and answers `balanceOf` as ABI return data.
#[test]
fn erc20_native_build_answers_transfer_calldata() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../harness/fixtures/corpus/erc20/src");
    let src = std::fs::read_to_string(dir.join("Token.tdm")).unwrap();
    let wasm = tandem_lang_driver::compile_wasm(&[("Token.tdm".into(), src)]).unwrap();
    let token = &wasm[0];
    let mut d = Dual::new();
    let ctor = cbor::params(
        &d,
        &[u(1000)],
        &[tandem_lang_ir::ValTy::Word(tandem_lang_ir::WordTy::Uint(
            256,
        ))],
    )
    .unwrap();
    let (id, _) = d
        .deploy_native(addr(ALICE), &token.wasm, ctor, U256::ZERO)
        .unwrap();
    let bob = DynSolValue::Address(addr(BOB));
    let (exit, ret) = invoke_evm(
        &mut d,
        id,
        calldata("transfer(address,uint256)", vec![bob.clone(), u(250)]),
        U256::ZERO,
    );
    assert_eq!((exit, ret), (0, abi(vec![DynSolValue::Bool(true)])));
    let balance = |d: &mut Dual, who: DynSolValue| {
        invoke_evm(d, id, calldata("balanceOf(address)", vec![who]), U256::ZERO)
    };
    assert_eq!(balance(&mut d, bob.clone()), (0, abi(vec![u(250)])));
    assert_eq!(
        balance(&mut d, DynSolValue::Address(addr(ALICE))),
        (0, abi(vec![u(750)]))
    );
    // too much: ERC20InsufficientBalance(sender, balance, needed)
    let (exit, ret) = invoke_evm(
        &mut d,
        id,
        calldata("transfer(address,uint256)", vec![bob.clone(), u(751)]),
        U256::ZERO,
    );
    let mut want = keccak256("ERC20InsufficientBalance(address,uint256,uint256)")[..4].to_vec();
    want.extend(abi(vec![DynSolValue::Address(addr(ALICE)), u(750), u(751)]));
    assert_eq!((exit, ret), (33, want.clone()));
    // what `cast send <masked id> "transfer(address,uint256)"` does: an Ethereum
    // transaction to the actor's address, which reaches it as InvokeEVM
    let carol = DynSolValue::Address(addr(common::CAROL));
    let data = calldata("transfer(address,uint256)", vec![carol.clone(), u(50)]);
    let (seen, _) = d.eth(addr(ALICE), Some(masked(id)), data, U256::ZERO);
    assert!(seen.success);
    assert_eq!(seen.output, Some(abi(vec![DynSolValue::Bool(true)])));
    let transfer = keccak256("Transfer(address,address,uint256)");
    assert_eq!(seen.logs.len(), 1);
    assert_eq!(seen.logs[0].0[0], transfer);
    assert_eq!(balance(&mut d, carol), (0, abi(vec![u(50)])));
    let data = calldata("transfer(address,uint256)", vec![bob, u(701)]);
    let (seen, _) = d.eth(addr(ALICE), Some(masked(id)), data, U256::ZERO);
    let mut want = keccak256("ERC20InsufficientBalance(address,uint256,uint256)")[..4].to_vec();
    want.extend(abi(vec![DynSolValue::Address(addr(ALICE)), u(700), u(701)]));
    assert_eq!((seen.success, seen.output), (false, Some(want)));
}

/// `ctx.call_raw` between two native builds: the bytes are Solidity calldata, sent as
/// `InvokeEVM`, which the native callee now answers with the EVM build's return data.
#[test]
fn call_raw_between_native_builds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures/features");
    let src = std::fs::read_to_string(dir.join("call_dynamic_reply.tdm")).unwrap();
    let built = build(&[("call_dynamic_reply.tdm".into(), src)]).unwrap();
    let mut d = Dual::new();
    let name = DynSolValue::String("source".into());
    let source = deploy(
        &mut d,
        by_name(&built, "Source"),
        addr(ALICE),
        &[name],
        U256::ZERO,
    )
    .unwrap()
    .unwrap();
    let client = by_name(&built, "Client");
    let (client_id, _) = d
        .deploy_native(addr(ALICE), &client.wasm, vec![], U256::ZERO)
        .unwrap();
    let forward = |d: &mut Dual, data: Vec<u8>| {
        let i = client
            .ir
            .meta
            .handlers
            .iter()
            .position(|h| h.sol_name == "forward")
            .unwrap();
        let tys: Vec<_> = client.ir.handlers[i]
            .params
            .iter()
            .map(|p| p.ty.clone())
            .collect();
        let args = [
            DynSolValue::Address(masked(source.native)),
            DynSolValue::Bytes(data),
        ];
        let params = cbor::params(d, &args, &tys).unwrap();
        let to = fvm_shared::address::Address::new_id(client_id);
        let number = client.ir.meta.handlers[i].method_number;
        let (exit, ret, ..) = d.native(addr(ALICE), to, number, params, U256::ZERO);
        match exit {
            0 => (
                0,
                cbor::reply_to_abi(d, &ret, &client.ir.handlers[i].returns).unwrap(),
            ),
            _ => (exit, ret),
        }
    };
    let squares = calldata("squares(uint256)", vec![u(3)]);
    let (evm, _) = d.eth(addr(ALICE), Some(source.evm), squares.clone(), U256::ZERO);
    let reply = abi(vec![DynSolValue::Bytes(evm.output.unwrap())]);
    assert_eq!(forward(&mut d, squares), (0, reply));
    let nope = calldata("Nope(uint256)", vec![u(7)]);
    assert_eq!(
        forward(&mut d, keccak256("fail()")[..4].to_vec()),
        (33, nope)
    );
}

const POINTS: &str = "
struct Pt { x: u256, y: u8 }
message Pts { Sum { ps: Vec<Pt> } -> (u256, Vec<Pt>) }
struct Nothing { }
contract Points {
    storage: Nothing
    recv Pts {
        Sum { ps } => {
            let mut t: u256 = 0
            for i in 0..ps.len() { t += ps[i].x }
            (t, ps)
        }
    }
}
";

/// Beyond the EVM build's decoder: a vector of static structs (each leaf checked clean).
#[test]
fn vectors_of_structs_through_invoke_evm() {
    let wasm = tandem_lang_driver::compile_wasm(&[("Points.tdm".into(), POINTS.into())]).unwrap();
    let mut d = Dual::new();
    let (id, _) = d
        .deploy_native(addr(ALICE), &wasm[0].wasm, vec![], U256::ZERO)
        .unwrap();
    let pt = |x: u64, y: u8| DynSolValue::Tuple(vec![u(x), u8v(y)]);
    let ps = DynSolValue::Array(vec![pt(1, 2), pt(30, 4), pt(500, 255)]);
    let data = calldata("sum((uint256,uint8)[])", vec![ps.clone()]);
    assert_eq!(
        invoke_evm(&mut d, id, data.clone(), U256::ZERO),
        (0, abi(vec![u(531), ps]))
    );
    let mut dirty = data;
    let n = dirty.len();
    dirty[n - 2] = 1; // the last y: 0x01ff is not a u8
    assert_eq!(invoke_evm(&mut d, id, dirty, U256::ZERO), (33, vec![]));
}

/// The other direction's encoder, shared with the ABI entry: the native build of `Proxy`
/// sends a struct and `Bytes` as Solidity calldata to the EVM build of `Target`.
#[test]
fn native_build_sends_aggregates_as_abi() {
    let built = build(&[("Target.tdm".into(), TARGET.into())]).unwrap();
    let mut d = Dual::new();
    let target = deploy(
        &mut d,
        by_name(&built, "Target"),
        addr(ALICE),
        &[],
        U256::ZERO,
    )
    .unwrap()
    .unwrap();
    let proxy = by_name(&built, "Proxy");
    let (proxy_id, _) = d
        .deploy_native(addr(ALICE), &proxy.wasm, vec![], U256::ZERO)
        .unwrap();
    let mut send = |name: &str, args: Vec<DynSolValue>| {
        let i = proxy
            .ir
            .meta
            .handlers
            .iter()
            .position(|h| h.sol_name == name)
            .unwrap();
        let tys: Vec<_> = proxy.ir.handlers[i]
            .params
            .iter()
            .map(|p| p.ty.clone())
            .collect();
        let mut all = vec![DynSolValue::Address(target.evm)];
        all.extend(args);
        // the EVM target's own address, not its native twin's
        let twins = std::mem::take(&mut d.twins);
        let params = cbor::params(&d, &all, &tys).unwrap();
        d.twins = twins;
        let to = fvm_shared::address::Address::new_id(proxy_id);
        let number = proxy.ir.meta.handlers[i].method_number;
        let (exit, ret, ..) = d.native(addr(ALICE), to, number, params, U256::ZERO);
        assert_eq!(exit, 0, "{name}: 0x{}", hex(&ret));
        cbor::reply_to_abi(&d, &ret, &proxy.ir.handlers[i].returns).unwrap()
    };
    assert_eq!(send("pMirror", vec![point(5, 3)]), abi(vec![point(6, -3)]));
    assert_eq!(send("pAdd", vec![u(2), u(3)]), abi(vec![u(5)]));
}
