//! `std::sstore2` (`fixtures/features/sstore2.tdm`): the fixture on revm, the Tandem VM and
//! the interpreter (the WASM build refuses it, naming the construct), and an independent
//! check on revm: the pointer's raw code (what `eth_getCode` returns) is exactly 0x00 followed
//! by the data, at the CREATE address of the contract and its nonce, and a write of a large
//! value costs far less than storing it word by word.

use std::path::Path;

use alloy_primitives::{Address, Bytes};
use alloy_sol_types::{SolCall, sol};
use tandem_lang_harness::fixture::{self, Targets};
use tandem_lang_harness::{Backend, Chain, addr, compile};

sol! {
    function write(bytes data) returns (address);
    function read(address ptr) returns (bytes);
}

fn fixture_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/features/sstore2.tdm")
}

#[test]
fn the_fixture_agrees_on_revm_the_tandem_vm_and_the_interpreter() {
    let f = fixture::load(&fixture_path()).expect("fixture");
    let targets = Targets {
        interp: true,
        ..Targets::all()
    };
    let report = fixture::run_with(&f, &targets).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.transactions >= 19,
        "{} transactions",
        report.transactions
    );
    assert_eq!(report.interp.unsupported, None);
    assert!(
        report.interp.skipped.is_empty(),
        "{:?}",
        report.interp.skipped
    );
    assert!(report.interp.compared >= 19, "{}", report.interp.compared);
    let refused = report
        .wasm
        .refused
        .expect("the WASM build refuses std::sstore2");
    assert!(refused.contains("EVM-only"), "{refused}");
}

/// Deterministic bytes of length `n`.
fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + 7) as u8).collect()
}

#[test]
fn the_pointer_holds_stop_then_the_data_as_raw_code() {
    let src = std::fs::read_to_string(fixture_path()).expect("read fixture");
    let (out, _) = compile(&[("sstore2.tdm", &src)]).unwrap_or_else(|e| panic!("{e}"));
    let mut chain = Chain::new();
    let alice = addr(0xA11CE);
    let d = chain.deploy(alice, &out[0].init_code, &[]);
    assert!(d.success, "deploy failed: {:?}", d.output);
    let store = d.created.expect("created");
    let mut gas = Vec::new();
    for (nonce, n) in [(1u64, 100usize), (2, 3_000), (3, 0), (4, 24_575)] {
        let bytes = data(n);
        let call = writeCall {
            data: Bytes::from(bytes.clone()),
        };
        let r = chain.call(alice, store, call.abi_encode());
        assert!(r.success, "write of {n} bytes reverted: {:?}", r.output);
        let ptr: Address = writeCall::abi_decode_returns(&r.output).expect("an address");
        assert_eq!(
            ptr,
            store.create(nonce),
            "the CREATE address of nonce {nonce}"
        );
        let code = chain.code(ptr);
        assert_eq!(code.len(), n + 1);
        assert_eq!(code[0], 0x00, "the code starts with STOP");
        assert_eq!(&code[1..], &bytes[..], "the code after STOP is the data");
        let back = chain.call(alice, store, readCall { ptr }.abi_encode());
        assert!(back.success);
        let back = readCall::abi_decode_returns(&back.output).expect("bytes");
        assert_eq!(back.to_vec(), bytes);
        gas.push((n, r.gas));
    }
    // Storing 3,000 bytes as 94 fresh storage words costs 94 * 22,100 = 2,077,400 gas; as
    // code it is the code deposit (200 a byte), a CREATE (32,000) and, in this transaction,
    // the calldata (16 a byte): about a third.
    let (_, big) = gas[1];
    eprintln!("write gas by length: {gas:?}");
    assert!(big < 760_000, "writing 3,000 bytes cost {big} gas");
    assert!(
        big > 600_000,
        "3,001 code bytes cost at least 600,200 gas of deposit: {big}"
    );
}

sol! {
    function tight(bytes data, uint256 g) returns (bytes);
}

/// A write whose CREATE runs out of gas (the code deposit, 200 a byte, is more than the
/// 63/64 of the gas CREATE passes on) reverts with `SStore2WriteFailed()`; with enough gas
/// the same write succeeds. On revm only: the interpreter has no gas model.
#[test]
fn a_creation_out_of_gas_reverts_with_write_failed() {
    let src = r#"
use std::sstore2::write
message S { Write { data: Bytes } -> Address, Tight { data: Bytes, g: u256 } -> Bytes }
struct N { }
contract T {
    storage: N
    recv S {
        Write { data } => with mut ctx { write(data) }
        Tight { data, g } => with mut ctx {
            let me = ctx.self_address()
            match ctx.try_call_with(me, S::Write { data }, value: 0, gas: g) {
                Ok(_) => Bytes::new(),
                Err(e) => e,
            }
        }
    }
}
"#;
    let (out, _) = compile(&[("t.tdm", src)]).unwrap_or_else(|e| panic!("{e}"));
    let mut chain = Chain::new();
    let alice = addr(0xA11CE);
    let d = chain.deploy(alice, &out[0].init_code, &[]);
    assert!(d.success, "deploy failed: {:?}", d.output);
    let t = d.created.expect("created");
    let failed = alloy_primitives::keccak256("SStore2WriteFailed()")[..4].to_vec();
    for (g, want) in [(300_000u64, failed), (1_000_000, Vec::new())] {
        let call = tightCall {
            data: Bytes::from(data(3_000)),
            g: alloy_primitives::U256::from(g),
        };
        let r = chain.call(alice, t, call.abi_encode());
        assert!(r.success, "{:?}", r.output);
        let got = tightCall::abi_decode_returns(&r.output).expect("bytes");
        assert_eq!(got.to_vec(), want, "with {g} gas");
    }
}
