//! The brief's Coin example, deployed on revm.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, sol};
use tandem_lang_harness::{Backend, Chain, addr, compile};

pub const COIN: &str = include_str!("../../tests/fixtures/coin.tdm");

sol! {
    function balanceOf(address owner) returns (uint256);
    function transfer(address to, uint256 value) returns (bool);
    function totalSupply() returns (uint256);
    event Transferred(address indexed from, address indexed to, uint256 value);
    error InsufficientBalance(uint256 have, uint256 want);
}

fn deploy(chain: &mut Chain, owner: Address, supply: u64) -> Address {
    let (out, _) = compile(&[("Coin.tdm", COIN)]).unwrap_or_else(|e| panic!("{e}"));
    let coin = out
        .iter()
        .find(|o| o.name == "Coin")
        .expect("Coin compiled");
    let r = chain.deploy(
        owner,
        &coin.init_code,
        &U256::from(supply).to_be_bytes::<32>(),
    );
    assert!(r.success, "deploy failed: {:?}", r);
    r.created.expect("address")
}

#[test]
fn coin_balance_transfer_events_and_errors() {
    let mut chain = Chain::new();
    let (alice, bob) = (addr(0xa11ce), addr(0xb0b));
    let coin = deploy(&mut chain, alice, 1000);
    assert_eq!(
        chain.typed(alice, coin, totalSupplyCall {}).word(),
        U256::from(1000)
    );
    assert_eq!(
        chain
            .typed(bob, coin, balanceOfCall { owner: alice })
            .word(),
        U256::from(1000)
    );

    let r = chain.typed(
        alice,
        coin,
        transferCall {
            to: bob,
            value: U256::from(250),
        },
    );
    assert!(r.success, "{r:?}");
    assert!(r.decode::<transferCall>());
    assert_eq!(r.logs.len(), 1);
    let ev = Transferred::decode_log_data(&r.logs[0].data).expect("event decodes");
    assert_eq!((ev.from, ev.to, ev.value), (alice, bob, U256::from(250)));
    assert_eq!(
        chain.typed(bob, coin, balanceOfCall { owner: bob }).word(),
        U256::from(250)
    );
    assert_eq!(
        chain
            .typed(bob, coin, balanceOfCall { owner: alice })
            .word(),
        U256::from(750)
    );

    let r = chain.typed(
        bob,
        coin,
        transferCall {
            to: alice,
            value: U256::from(251),
        },
    );
    assert!(!r.success);
    let err = InsufficientBalance::abi_decode(&r.output).expect("custom error");
    assert_eq!((err.have, err.want), (U256::from(250), U256::from(251)));

    // Value sent to a non-payable handler is refused at run time.
    chain.fund(alice, U256::from(10));
    let r = chain.call_value(
        alice,
        coin,
        balanceOfCall { owner: alice }.abi_encode(),
        U256::from(1),
    );
    assert!(!r.success);
    // Short calldata and unknown selectors revert.
    assert!(
        !chain
            .call(alice, coin, vec![0x70, 0xa0, 0x82, 0x31])
            .success
    );
    assert!(!chain.call(alice, coin, vec![1, 2, 3, 4]).success);
    // Self-transfer keeps the balance.
    assert!(
        chain
            .typed(
                bob,
                coin,
                transferCall {
                    to: bob,
                    value: U256::from(50)
                }
            )
            .success
    );
    assert_eq!(
        chain.typed(bob, coin, balanceOfCall { owner: bob }).word(),
        U256::from(250)
    );
}
