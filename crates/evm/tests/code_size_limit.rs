//! EIP-170 and EIP-3860 hold unless the block's context lifts them
//! (`NetworkContext::unlimited_code_size`, which `tandem test` sets for test contracts):
//! a 30,000-byte runtime fails to deploy and 50,000 bytes of init code are refused, then both
//! succeed with the limits lifted, on the transaction path and through CREATE (where
//! oversized init code aborts the creating frame, EIP-3860's rule).

use crate::common;

use alloy_primitives::U256;
use common::Chain;
use tandem_evm::tx::TxError;

/// Init code that returns `len` zero bytes as the runtime (memory is zero).
fn init_returning(len: u32) -> Vec<u8> {
    // PUSH3 len PUSH1 0 RETURN
    let l = len.to_be_bytes();
    vec![0x62, l[1], l[2], l[3], 0x60, 0x00, 0xf3]
}

/// A factory whose runtime CREATEs from its calldata and returns the new address (zero on
/// failure): CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY CALLDATASIZE PUSH1 0 PUSH1 0 CREATE
/// PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
const FACTORY: [u8; 22] = [
    0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x36, 0x60, 0x00, 0x60, 0x00, 0xf0, 0x60, 0x00, 0x52, 0x60,
    0x20, 0x60, 0x00, 0xf3, 0x00, 0x00,
];

fn factory(c: &mut Chain) -> alloy_primitives::Address {
    let runtime = &FACTORY[..20];
    let n = runtime.len() as u8;
    let mut init = vec![0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xf3];
    init.extend_from_slice(runtime);
    c.deploy(0, &init, &[])
}

fn created_by_factory(c: &mut Chain, init: Vec<u8>) -> bool {
    let f = factory(c);
    let out = c.call_ok(0, f, init);
    U256::from_be_slice(&out) != U256::ZERO
}

#[test]
fn code_size_limits_hold_unless_lifted() {
    let big_runtime = init_returning(30_000);
    let mut big_init = vec![0x00u8; 50_000];
    big_init[..7].copy_from_slice(&init_returning(1));

    // The limits hold by default.
    let mut c = Chain::new(1);
    let raw = c.sign(0, None, big_runtime.clone(), U256::ZERO, 15_000_000);
    let r = c.send_raw(&raw).expect("applied");
    assert!(!r.success, "a 30,000-byte runtime must not deploy");
    let raw = c.sign(0, None, big_init.clone(), U256::ZERO, 15_000_000);
    assert!(
        matches!(c.send_raw(&raw), Err(TxError::InitCodeTooLarge(50_000))),
        "50,000 bytes of init code must be refused"
    );
    c.accounts[0].nonce -= 1; // refused, so not applied: the nonce did not move
    assert!(!created_by_factory(&mut c, big_runtime.clone()));
    // EIP-3860: CREATE with oversized init code aborts the creating frame itself.
    let f = factory(&mut c);
    let r = c.send(0, f, big_init.clone(), U256::ZERO);
    assert!(
        !r.success,
        "CREATE of 50,000 bytes of init code must abort the frame"
    );

    // Lifted: the same four succeed.
    let mut c = Chain::new(1);
    c.exec.machine.network.unlimited_code_size = true;
    let raw = c.sign(0, None, big_runtime.clone(), U256::ZERO, 15_000_000);
    assert!(c.send_raw(&raw).expect("applied").success);
    let raw = c.sign(0, None, big_init.clone(), U256::ZERO, 15_000_000);
    assert!(c.send_raw(&raw).expect("applied").success);
    assert!(created_by_factory(&mut c, big_runtime));
    assert!(created_by_factory(&mut c, big_init));
}
