//! `ctx.send` on both builds (docs/language.md, "Asynchronous sends"; docs/async.md): the
//! EVM build through the async precompile, the WASM build through `send_async`, one Tandem
//! VM, the system lane run between messages. `Asker` (fixtures/async/async_send.tdm) sends
//! to `Echo` and records the reply; both builds must agree and the reply must be right.

use crate::common;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256, keccak256};
use common::{ALICE, Dual, Seen, addr, cbor};

include!("common/pair.rs");

const SRC: &str = include_str!("../../harness/fixtures/async/async_send.tdm");

fn built() -> Vec<Built> {
    build(&[("AsyncSend.tdm".into(), SRC.into())]).unwrap()
}

fn u(n: u64) -> DynSolValue {
    DynSolValue::Uint(U256::from(n), 256)
}

/// Runs the system lane (deliveries and replies of what the previous messages queued).
fn lane(d: &mut Dual) -> usize {
    d.exec.run_system_lane().expect("system lane").len()
}

/// Sends to both builds without requiring the replies to agree (ids differ: both builds
/// share one queue); the EVM reply and the native exit code and return bytes.
fn send_both(d: &mut Dual, p: &Pair<'_>, sig: &str, args: &[DynSolValue]) -> (Seen, u32, Vec<u8>) {
    let sel = &keccak256(sig.as_bytes())[..4];
    let i =
        p.c.ir
            .meta
            .handlers
            .iter()
            .position(|h| h.selector[..] == *sel)
            .expect(sig);
    let mut data = sel.to_vec();
    data.extend(DynSolValue::Tuple(args.to_vec()).abi_encode_params());
    let (a, _) = d.eth(addr(ALICE), Some(p.evm), data, U256::ZERO);
    let tys: Vec<_> = p.c.ir.handlers[i]
        .params
        .iter()
        .map(|p| p.ty.clone())
        .collect();
    let params = cbor::params(d, args, &tys).unwrap();
    let to = fvm_shared::address::Address::new_id(p.native);
    let m = p.c.ir.meta.handlers[i].method_number;
    let (exit, ret, ..) = d.native(addr(ALICE), to, m, params, U256::ZERO);
    (a, exit, ret)
}

fn word(out: &[u8]) -> U256 {
    U256::from_be_slice(&out[..32])
}

/// A DAG-CBOR unsigned integer's value.
fn cbor_u64(b: &[u8]) -> u64 {
    match b[0] {
        x if x < 24 => x as u64,
        24 => b[1] as u64,
        25 => u16::from_be_bytes([b[1], b[2]]) as u64,
        26 => u32::from_be_bytes(b[1..5].try_into().unwrap()) as u64,
        _ => u64::from_be_bytes(b[1..9].try_into().unwrap()),
    }
}

fn last(d: &mut Dual, p: &Pair<'_>) -> Vec<u8> {
    let (e, _) = call(d, p, addr(ALICE), "last()", &[], U256::ZERO).unwrap();
    assert!(e.success);
    e.output.unwrap()
}

fn expect_last(d: &mut Dual, p: &Pair<'_>, ok: bool, value: u64, replies: u64) {
    let want = DynSolValue::Tuple(vec![
        DynSolValue::Bool(ok),
        u(value),
        DynSolValue::Uint(U256::from(replies), 64),
    ])
    .abi_encode_params();
    assert_eq!(last(d, p), want, "last() = (ok, value, replies)");
}

#[test]
fn async_send_and_reply_on_both_builds() {
    let mut d = Dual::new();
    let b = built();
    let (echo, asker) = (&b[0], &b[1]);
    let e = deploy(&mut d, echo, addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let a = deploy(&mut d, asker, addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let target = DynSolValue::Address(e.evm);

    // a reply with the value: 21 * 2
    let (evm, exit, ret) = send_both(&mut d, &a, "ask(address,uint256)", &[target.clone(), u(21)]);
    assert!(evm.success, "EVM send: {:?}", evm.output);
    assert_eq!(exit, 0, "native send: 0x{}", hex(&ret));
    let (evm_id, native_id) = (word(evm.output.as_deref().unwrap()), cbor_u64(&ret));
    assert_eq!(
        U256::from(native_id),
        evm_id + U256::from(1),
        "one queue, ids in send order"
    );
    // nothing is delivered in the sending block
    expect_last(&mut d, &a, false, 0, 0);
    assert_eq!(lane(&mut d), 4, "two deliveries and two replies");
    expect_last(&mut d, &a, true, 42, 1);
    let (id, exit, ret) = send_both(&mut d, &a, "lastId()", &[]);
    assert!(id.success && exit == 0);
    assert_eq!(
        word(id.output.as_deref().unwrap()),
        evm_id,
        "the EVM build's reply carries its id"
    );
    assert_eq!(
        cbor_u64(&ret),
        native_id,
        "the native build's reply carries its id"
    );

    // a failing callee: ok = false, the value zero
    let (evm, exit, _) = send_both(
        &mut d,
        &a,
        "askFail(address)",
        std::slice::from_ref(&target),
    );
    assert!(evm.success && exit == 0);
    lane(&mut d);
    expect_last(&mut d, &a, false, 0, 2);

    // without a reply, and with a reply that carries no value
    let (evm, exit, _) = send_both(
        &mut d,
        &a,
        "tell(address,uint64)",
        &[target.clone(), DynSolValue::Uint(U256::from(7), 64)],
    );
    assert!(evm.success && exit == 0);
    assert_eq!(lane(&mut d), 2, "two deliveries, no reply");
    let evm_echo = d.id_of(e.evm).unwrap();
    assert_eq!(d.slot(evm_echo, U256::ZERO), U256::from(7));
    assert_eq!(d.slot(e.native, U256::ZERO), U256::from(7));
    expect_last(&mut d, &a, false, 0, 2);
    let (evm, exit, _) = send_both(
        &mut d,
        &a,
        "tellAck(address,uint64)",
        &[target.clone(), DynSolValue::Uint(U256::from(9), 64)],
    );
    assert!(evm.success && exit == 0);
    assert_eq!(lane(&mut d), 4);
    expect_last(&mut d, &a, true, 0, 3);
    assert_eq!(d.slot(e.native, U256::ZERO), U256::from(9));

    // only the VM may call a reply handler: a forged reply is refused on both builds
    let mut forged_ret = Vec::new();
    forged_ret.extend(U256::from(1_000_000).to_be_bytes::<32>());
    let forged = [
        DynSolValue::Uint(U256::from(1), 64),
        DynSolValue::Uint(U256::ZERO, 32),
        DynSolValue::Bytes(forged_ret),
    ];
    let (e1, w1) = call(
        &mut d,
        &a,
        addr(ALICE),
        "got(uint64,uint32,bytes)",
        &forged,
        U256::ZERO,
    )
    .unwrap();
    assert!(!e1.success && !w1.success, "a forged reply must fail");
    expect_last(&mut d, &a, true, 0, 3);

    // a send the VM refuses (delivery + reply gas over 5,000,000) reverts: the EVM build
    // with the precompile's reason, the WASM build with no data; nothing is queued
    let over = DynSolValue::Uint(U256::from(4_500_000), 64);
    let (evm, exit, _) = send_both(
        &mut d,
        &a,
        "askGas(address,uint64)",
        &[target.clone(), over],
    );
    assert!(!evm.success && exit == 33);
    let reason = String::from_utf8_lossy(evm.output.as_deref().unwrap()).to_string();
    assert!(reason.starts_with("sendAsync:"), "{reason}");
    assert_eq!(lane(&mut d), 0);
    let ok = DynSolValue::Uint(U256::from(4_000_000), 64);
    let (evm, exit, _) = send_both(&mut d, &a, "askGas(address,uint64)", &[target.clone(), ok]);
    assert!(evm.success && exit == 0);
    assert_eq!(lane(&mut d), 4);
    expect_last(&mut d, &a, true, 2, 4);

    // aggregate and dynamic reply values; a failed reply's value is empty
    let (evm, exit, _) = send_both(
        &mut d,
        &a,
        "askPair(address,uint256)",
        &[target.clone(), u(5)],
    );
    assert!(evm.success && exit == 0);
    assert_eq!(lane(&mut d), 4);
    let (e, _) = call(&mut d, &a, addr(ALICE), "lastPair()", &[], U256::ZERO).unwrap();
    let want = DynSolValue::Tuple(vec![u(6), DynSolValue::Bool(true)]);
    assert_eq!(e.output.unwrap(), want.abi_encode_params());
    let text = |ok: bool, s: &str| {
        DynSolValue::Tuple(vec![DynSolValue::Bool(ok), DynSolValue::String(s.into())])
            .abi_encode_params()
    };
    for (n, ok, want) in [(0, true, "zero"), (99, false, ""), (3, true, "many")] {
        let (evm, exit, _) = send_both(
            &mut d,
            &a,
            "askText(address,uint256)",
            &[target.clone(), u(n)],
        );
        assert!(evm.success && exit == 0);
        assert_eq!(lane(&mut d), 4);
        let (e, _) = call(&mut d, &a, addr(ALICE), "lastText()", &[], U256::ZERO).unwrap();
        assert_eq!(e.output.unwrap(), text(ok, want), "askText({n})");
    }
}

/// The native build sending to the EVM build of the callee: `InvokeEVM` with ABI calldata,
/// and the reply's `ret` decoded as ABI return data (the reply method + 2^32).
#[test]
fn native_sender_evm_callee() {
    let mut d = Dual::new();
    let b = built();
    let (echo, asker) = (&b[0], &b[1]);
    let e = deploy(&mut d, echo, addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let a = deploy(&mut d, asker, addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    // the EVM build's address itself, not its native twin
    d.twins.remove(&e.evm);
    let params = cbor::params(
        &d,
        &[DynSolValue::Address(e.evm), u(50)],
        &a.c.ir.handlers[0]
            .params
            .iter()
            .map(|p| p.ty.clone())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let to = fvm_shared::address::Address::new_id(a.native);
    let m = a.c.ir.meta.handlers[0].method_number;
    let (exit, ret, ..) = d.native(addr(ALICE), to, m, params, U256::ZERO);
    assert_eq!(exit, 0, "0x{}", hex(&ret));
    assert_eq!(lane(&mut d), 2);
    let m_last = a.c.ir.meta.handlers[4].method_number;
    let (exit, ret, ..) = d.native(addr(ALICE), to, m_last, vec![], U256::ZERO);
    assert_eq!(exit, 0);
    // [true, BigInt(100), 1]
    assert_eq!(
        ret,
        vec![0x83, 0xf5, 0x42, 0x00, 100, 0x01],
        "0x{}",
        hex(&ret)
    );

    // aggregate and dynamic values in the EVM callee's ABI reply, decoded by the native
    // build's reply handler; a failed reply's value is empty
    let method = |name: &str| {
        let i = a.c.ir.handlers.iter().position(|h| h.variant == name);
        a.c.ir.meta.handlers[i.unwrap_or_else(|| panic!("no handler {name}"))].method_number
    };
    let ask = |d: &mut Dual, name: &str, n: u64| {
        let i =
            a.c.ir
                .handlers
                .iter()
                .position(|h| h.variant == name)
                .unwrap();
        let tys: Vec<_> = a.c.ir.handlers[i]
            .params
            .iter()
            .map(|p| p.ty.clone())
            .collect();
        let params = cbor::params(d, &[DynSolValue::Address(e.evm), u(n)], &tys).unwrap();
        let (exit, ret, ..) = d.native(addr(ALICE), to, method(name), params, U256::ZERO);
        assert_eq!(exit, 0, "{name}({n}): 0x{}", hex(&ret));
        assert_eq!(lane(d), 2, "{name}({n})");
        let (exit, ret, ..) = d.native(
            addr(ALICE),
            to,
            method(&name.replace("Ask", "Last")),
            vec![],
            U256::ZERO,
        );
        assert_eq!(exit, 0, "{name}({n}): 0x{}", hex(&ret));
        ret
    };
    // [BigInt(6), true]
    assert_eq!(ask(&mut d, "AskPair", 5), vec![0x82, 0x42, 0x00, 6, 0xf5]);
    for (n, ok, want) in [(0, true, "zero"), (99, false, ""), (3, true, "many")] {
        let mut cbor = vec![0x82, if ok { 0xf5 } else { 0xf4 }, 0x60 + want.len() as u8];
        cbor.extend_from_slice(want.as_bytes());
        let got = ask(&mut d, "AskText", n);
        assert_eq!(got, cbor, "AskText({n}): 0x{}", hex(&got));
    }
}

/// The example package `examples/lang/async-ping` (the node's integration test uses it):
/// both builds ping their `Ponger` and record the pong.
#[test]
fn async_ping_example_on_both_builds() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../examples/lang/async-ping");
    let (_, sources) = tandem_lang_driver::read_package(&dir).unwrap();
    let b = build(&sources).unwrap();
    let (pinger, ponger) = (&b[0], &b[1]);
    assert_eq!(
        (pinger.ir.name.as_str(), ponger.ir.name.as_str()),
        ("AsyncPing", "Ponger")
    );
    let mut d = Dual::new();
    let po = deploy(&mut d, ponger, addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let pi = deploy(&mut d, pinger, addr(ALICE), &[], U256::ZERO)
        .unwrap()
        .unwrap();
    let n = DynSolValue::Uint(U256::from(41), 64);
    let (evm, exit, _) = send_both(
        &mut d,
        &pi,
        "sendPing(address,uint64)",
        &[DynSolValue::Address(po.evm), n],
    );
    assert!(evm.success && exit == 0, "{:?}", evm.output);
    assert_eq!(lane(&mut d), 4);
    let (evm, exit, ret) = send_both(&mut d, &pi, "last()", &[]);
    assert!(evm.success && exit == 0);
    let out = evm.output.unwrap();
    // (id, ok, value, replies)
    assert_eq!(word(&out[32..]), U256::from(1));
    assert_eq!(word(&out[64..]), U256::from(42));
    assert_eq!(word(&out[96..]), U256::from(1));
    // [id, true, 42, 1]
    assert_eq!(&ret[0..1], &[0x84]);
    assert_eq!(&ret[ret.len() - 4..], &[0xf5, 0x18, 42, 0x01]);
}
