//! Prints the Coin's gas (deploy, transfer to a new holder, to an existing holder) and runtime
//! size, and bounds the code's own overhead above the storage, log and intrinsic costs
//! (`gas_vs_solc.rs` holds the table against solc's via-IR output).

use alloy_primitives::U256;
use alloy_sol_types::{SolCall, sol};
use tandem_lang_harness::{Backend, Chain, addr, compile};

sol! {
    function transfer(address to, uint256 value) returns (bool);
}

#[test]
fn coin_gas_report() {
    let (out, _) = compile(&[("Coin.tdm", include_str!("../../tests/fixtures/coin.tdm"))])
        .unwrap_or_else(|e| panic!("{e}"));
    let coin = &out[0];
    let mut chain = Chain::new();
    let (alice, bob) = (addr(0xa11ce), addr(0xb0b));
    let d = chain.deploy(
        alice,
        &coin.init_code,
        &U256::from(1_000_000u64).to_be_bytes::<32>(),
    );
    assert!(d.success);
    let at = d.created.expect("address");
    let fresh = chain.call(
        alice,
        at,
        transferCall {
            to: bob,
            value: U256::from(10),
        }
        .abi_encode(),
    );
    let existing = chain.call(
        alice,
        at,
        transferCall {
            to: bob,
            value: U256::from(10),
        }
        .abi_encode(),
    );
    assert!(fresh.success && existing.success);
    println!(
        "tandem coin: deploy {} | transfer new holder {} | transfer existing {} | runtime {} bytes",
        d.gas,
        fresh.gas,
        existing.gas,
        coin.runtime_code.len()
    );
    // Sanity bounds (solc via-IR's ERC-20: ~48.5k / ~28.6k including intrinsic gas).
    // Storage, log and intrinsic costs dominate; the code's own overhead must stay small:
    // 21000 + calldata (68 bytes) + 2 cold SLOADs + SSTOREs + LOG3 with 32 bytes of data.
    let floor_existing =
        (21_000 + 16 * 4 + 16 * 64) + 2 * 2_100 + 2 * 2_900 + 375 + 3 * 375 + 8 * 32;
    assert!(
        existing.gas < floor_existing + 700,
        "{} vs floor {floor_existing}",
        existing.gas
    );
    assert!(fresh.gas < existing.gas + 17_200, "{}", fresh.gas);
}
