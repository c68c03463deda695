//! An Ethereum transaction's receipt carries its logs, not an events root: the root is computed
//! on demand (`EthReceipt::events_root`) and is the one a native message's receipt commits to
//! for the same events.

use crate::common;

use alloy_primitives::U256;
use common::Chain;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use tandem_evm::initcode::deploying;
use tandem_vm::eth::EthAddress;
use tandem_vm::frc42::INVOKE_EVM;
use tandem_vm::message::Message;

/// mstore(0, 42); log1(0, 32, topic 7); stop
const LOG_ONE: &[u8] = &[
    0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x07, 0x60, 0x20, 0x60, 0x00, 0xa1, 0x00,
];

#[test]
fn an_ethereum_receipt_computes_its_events_root_on_demand() {
    let mut chain = Chain::new(1);
    let contract = chain.deploy(0, &deploying(LOG_ONE), &[]);

    let eth = chain.send(0, contract, Vec::new(), U256::ZERO);
    assert!(eth.success, "{:?}", eth.failure);
    assert_eq!(eth.logs.len(), 1);
    assert_eq!(eth.apply.events.len(), 1);
    assert_eq!(
        eth.apply.receipt.events_root, None,
        "not computed on the Ethereum path"
    );
    let on_demand = eth.events_root().expect("root").expect("some events");

    // The same contract reached by a native message: its receipt commits to the same root.
    let nonce = chain.accounts[0].nonce;
    chain.accounts[0].nonce += 1;
    let native = chain
        .exec
        .apply_message(&Message {
            version: 0,
            from: EthAddress(chain.address(0).into_array()).to_filecoin(),
            to: EthAddress(contract.into_array()).to_filecoin(),
            sequence: nonce,
            value: TokenAmount::default(),
            method_num: INVOKE_EVM,
            params: RawBytes::default(),
            gas_limit: 10_000_000,
            gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
            gas_premium: TokenAmount::from_atto(1_000_000_000u64),
        })
        .expect("applied");
    assert!(
        native.receipt.exit_code.is_success(),
        "{:?}",
        native.failure
    );
    assert_eq!(native.events, eth.apply.events);
    assert_eq!(native.events_root().unwrap(), Some(on_demand));

    // No events, no root.
    let empty = chain.deploy(0, &deploying(&[0x00]), &[]);
    let quiet = chain.send(0, empty, Vec::new(), U256::ZERO);
    assert!(quiet.success);
    assert_eq!(quiet.events_root().expect("root"), None);
}
