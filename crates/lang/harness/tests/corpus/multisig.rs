//! The multisig, executing ERC-20 transfers, payments and stored raw calls.

use super::erc20::*;

use super::*;

sol! {
    interface IMultisig {
        function deposit() external payable;
        function submitPayment(address to, uint256 value) external returns (uint256);
        function submitTokenTransfer(address token, address to, uint256 amount, uint256 value) external returns (uint256);
        function submitCall(address target, uint256 value, bytes data) external returns (uint256);
        function callData(uint256 id) external view returns (bytes);
        function confirm(uint256 id) external;
        function revoke(uint256 id) external;
        function execute(uint256 id) external;
        function isOwner(address who) external view returns (bool);
        function threshold() external view returns (uint256);
        function transactionCount() external view returns (uint256);
        function confirmations(uint256 id) external view returns (uint256);
        function isConfirmed(uint256 id, address owner) external view returns (bool);
        function getTransaction(uint256 id) external view returns (address, uint256, address, uint256, bool);
        event Submitted(uint256 indexed id, address indexed owner, address target, uint256 value);
        event Confirmed(uint256 indexed id, address indexed owner);
        event Revoked(uint256 indexed id, address indexed owner);
        event Executed(uint256 indexed id);
        event Deposited(address indexed from, uint256 value);
        error NotOwner(address caller);
        error BadThreshold(uint256 threshold, uint256 owners);
        error DuplicateOwner(address owner);
        error UnknownTransaction(uint256 id);
        error AlreadyExecuted(uint256 id);
        error AlreadyConfirmed(uint256 id, address owner);
        error NotConfirmed(uint256 id, address owner);
        error NotEnoughConfirmations(uint256 id, uint256 have, uint256 need);
        error TransferRefused(uint256 id);
    }
}

use IMultisig as ms;

pub(super) struct Setup {
    chain: Chain,
    token: Address,
    wallet: Address,
    owners: [Address; 3],
}

pub(super) fn deploy_multisig(chain: &mut Chain, owners: [Address; 3], threshold: u64) -> Outcome {
    let (out, _) = build("multisig");
    let c = out.iter().find(|o| o.name == "Wallet").expect("Wallet");
    let args = (owners[0], owners[1], owners[2], U256::from(threshold)).abi_encode_params();
    chain.deploy(addr(0xdeb), &c.init_code, &args)
}

pub(super) fn setup() -> Setup {
    let mut chain = Chain::new();
    let owners = [addr(0xa1), addr(0xa2), addr(0xa3)];
    let token = deploy_token(&mut chain, addr(0xa11ce));
    let d = deploy_multisig(&mut chain, owners, 2);
    assert!(d.success, "{d:?}");
    let wallet = d.created.unwrap();
    assert!(ok(
        &mut chain,
        addr(0xa11ce),
        token,
        transferCall {
            to: wallet,
            value: U256::from(1_000)
        }
    ));
    Setup {
        chain,
        token,
        wallet,
        owners,
    }
}

pub(super) fn submit_token(
    s: &mut Setup,
    by: Address,
    to: Address,
    amount: u64,
    value: u64,
) -> U256 {
    let call = ms::submitTokenTransferCall {
        token: s.token,
        to,
        amount: U256::from(amount),
        value: U256::from(value),
    };
    let r = s.chain.typed(by, s.wallet, call);
    let id = r.decode::<ms::submitTokenTransferCall>();
    let ev: ms::Submitted = event(&r, s.wallet);
    assert_eq!(
        (ev.id, ev.owner, ev.target, ev.value),
        (id, by, s.token, U256::from(value))
    );
    id
}

pub(super) fn confirm(s: &mut Setup, by: Address, id: U256) {
    let r = s.chain.typed(by, s.wallet, ms::confirmCall { id });
    assert!(r.success, "confirm: {r:?}");
    let ev: ms::Confirmed = event(&r, s.wallet);
    assert_eq!((ev.id, ev.owner), (id, by));
}

#[test]
fn multisig_construction() {
    let mut chain = Chain::new();
    let (a, b, c) = (addr(0xa1), addr(0xa2), addr(0xa3));
    for t in [0, 4] {
        let r = deploy_multisig(&mut chain, [a, b, c], t);
        let e: ms::BadThreshold = fails(&r);
        assert_eq!((e.threshold, e.owners), (U256::from(t), U256::from(3)));
    }
    let r = deploy_multisig(&mut chain, [a, b, a], 2);
    assert_eq!(fails::<ms::DuplicateOwner>(&r).owner, a);
    let r = deploy_multisig(&mut chain, [a, Address::ZERO, c], 2);
    assert_eq!(fails::<ms::DuplicateOwner>(&r).owner, Address::ZERO);
    let w = deploy_multisig(&mut chain, [a, b, c], 3)
        .created
        .expect("deployed");
    assert_eq!(ok(&mut chain, a, w, ms::thresholdCall {}), U256::from(3));
    for o in [a, b, c] {
        assert!(ok(&mut chain, a, w, ms::isOwnerCall { who: o }));
    }
    assert!(!ok(&mut chain, a, w, ms::isOwnerCall { who: addr(0xdeb) }));
    assert_eq!(
        ok(&mut chain, a, w, ms::transactionCountCall {}),
        U256::ZERO
    );
    // The ABI: the wallet's messages, its events and errors, and nothing of the token.
    let (_, m) = build("multisig");
    let abi = abi_of(&m, "Wallet");
    assert_eq!(abi.functions, sels(ms::IMultisigCalls::SELECTORS));
    assert_eq!(json_abi_selectors(&m, "Wallet"), abi.functions);
    assert_eq!(abi.events, topics(ms::IMultisigEvents::SELECTORS));
    assert_eq!(abi.errors, sels(ms::IMultisigErrors::SELECTORS));
}

#[test]
fn multisig_threshold_executes_a_token_transfer() {
    let mut s = setup();
    let [a, b, c] = s.owners;
    let (dave, stranger) = (addr(0xda7e), addr(0x5757));

    // Only owners submit and confirm.
    let r = s.chain.typed(
        stranger,
        s.wallet,
        ms::submitTokenTransferCall {
            token: s.token,
            to: dave,
            amount: U256::from(1),
            value: U256::ZERO,
        },
    );
    assert_eq!(fails::<ms::NotOwner>(&r).caller, stranger);
    let id = submit_token(&mut s, a, dave, 300, 0);
    assert_eq!(id, U256::ZERO);
    assert_eq!(
        ok(&mut s.chain, a, s.wallet, ms::transactionCountCall {}),
        U256::from(1)
    );
    let r = s.chain.typed(stranger, s.wallet, ms::confirmCall { id });
    let _: ms::NotOwner = fails(&r);
    let r = s
        .chain
        .typed(a, s.wallet, ms::confirmCall { id: U256::from(1) });
    assert_eq!(fails::<ms::UnknownTransaction>(&r).id, U256::from(1));

    // Below the threshold nothing happens.
    let r = s.chain.typed(stranger, s.wallet, ms::executeCall { id });
    let e: ms::NotEnoughConfirmations = fails(&r);
    assert_eq!((e.have, e.need), (U256::ZERO, U256::from(2)));
    confirm(&mut s, a, id);
    let r = s.chain.typed(a, s.wallet, ms::confirmCall { id });
    let e: ms::AlreadyConfirmed = fails(&r);
    assert_eq!((e.id, e.owner), (id, a));
    let r = s.chain.typed(a, s.wallet, ms::executeCall { id });
    assert_eq!(fails::<ms::NotEnoughConfirmations>(&r).have, U256::from(1));

    // A second confirmation, revoked, then given by the third owner.
    confirm(&mut s, b, id);
    assert_eq!(
        ok(&mut s.chain, a, s.wallet, ms::confirmationsCall { id }),
        U256::from(2)
    );
    let r = s.chain.typed(b, s.wallet, ms::revokeCall { id });
    let ev: ms::Revoked = event(&r, s.wallet);
    assert_eq!((ev.id, ev.owner), (id, b));
    assert!(!ok(
        &mut s.chain,
        a,
        s.wallet,
        ms::isConfirmedCall { id, owner: b }
    ));
    assert_eq!(
        ok(&mut s.chain, a, s.wallet, ms::confirmationsCall { id }),
        U256::from(1)
    );
    let r = s.chain.typed(b, s.wallet, ms::revokeCall { id });
    let e: ms::NotConfirmed = fails(&r);
    assert_eq!((e.id, e.owner), (id, b));
    let r = s.chain.typed(a, s.wallet, ms::executeCall { id });
    let _: ms::NotEnoughConfirmations = fails(&r);
    confirm(&mut s, c, id);
    assert!(ok(
        &mut s.chain,
        a,
        s.wallet,
        ms::isConfirmedCall { id, owner: c }
    ));

    // Anyone executes: the wallet calls `transfer` on the token.
    let r = s.chain.typed(stranger, s.wallet, ms::executeCall { id });
    assert!(r.success, "{r:?}");
    assert_eq!(event::<ms::Executed>(&r, s.wallet).id, id);
    let ev: Transfer = event(&r, s.token);
    assert_eq!(
        (ev.from, ev.to, ev.value),
        (s.wallet, dave, U256::from(300))
    );
    assert_eq!(balance(&mut s.chain, s.token, dave), U256::from(300));
    assert_eq!(balance(&mut s.chain, s.token, s.wallet), U256::from(700));
    let t = ok(&mut s.chain, a, s.wallet, ms::getTransactionCall { id });
    assert_eq!(
        (t._0, t._1, t._2, t._3, t._4),
        (s.token, U256::ZERO, dave, U256::from(300), true)
    );

    // Executed transactions are final.
    for r in [
        s.chain.typed(a, s.wallet, ms::executeCall { id }),
        s.chain.typed(b, s.wallet, ms::confirmCall { id }),
        s.chain.typed(a, s.wallet, ms::revokeCall { id }),
    ] {
        assert_eq!(fails::<ms::AlreadyExecuted>(&r).id, id);
    }
    let r = s
        .chain
        .typed(a, s.wallet, ms::getTransactionCall { id: U256::from(5) });
    let _: ms::UnknownTransaction = fails(&r);
}

#[test]
fn multisig_failing_calls_revert_and_stay_pending() {
    let mut s = setup();
    let [a, b, _] = s.owners;
    let dave = addr(0xda7e);

    // More tokens than the wallet holds: the token's error bubbles up.
    let id = submit_token(&mut s, a, dave, 5_000, 0);
    confirm(&mut s, a, id);
    confirm(&mut s, b, id);
    let r = s.chain.typed(a, s.wallet, ms::executeCall { id });
    let e: ERC20InsufficientBalance = fails(&r);
    assert_eq!(
        (e.sender, e.balance, e.needed),
        (s.wallet, U256::from(1_000), U256::from(5_000))
    );
    assert!(!ok(&mut s.chain, a, s.wallet, ms::getTransactionCall { id })._4);

    // Value with the call: the token's `transfer` is not payable, so the call fails.
    s.chain.fund(a, U256::from(10_000));
    let r = s.chain.call_value(
        a,
        s.wallet,
        ms::depositCall {}.abi_encode(),
        U256::from(1_000),
    );
    assert!(r.success, "{r:?}");
    let ev: ms::Deposited = event(&r, s.wallet);
    assert_eq!((ev.from, ev.value), (a, U256::from(1_000)));
    let id = submit_token(&mut s, a, dave, 10, 5);
    confirm(&mut s, a, id);
    confirm(&mut s, b, id);
    let r = s.chain.typed(b, s.wallet, ms::executeCall { id });
    assert!(!r.success);
    assert_eq!(s.chain.balance(s.wallet), U256::from(1_000));
    assert_eq!(balance(&mut s.chain, s.token, dave), U256::ZERO);

    // A payment of ether, then one the wallet cannot afford.
    let r = s.chain.typed(
        b,
        s.wallet,
        ms::submitPaymentCall {
            to: dave,
            value: U256::from(400),
        },
    );
    let pay = r.decode::<ms::submitPaymentCall>();
    assert_eq!(pay, U256::from(2));
    confirm(&mut s, a, pay);
    confirm(&mut s, b, pay);
    assert!(
        s.chain
            .typed(a, s.wallet, ms::executeCall { id: pay })
            .success
    );
    assert_eq!(s.chain.balance(dave), U256::from(400));
    assert_eq!(s.chain.balance(s.wallet), U256::from(600));
    let big = s
        .chain
        .typed(
            b,
            s.wallet,
            ms::submitPaymentCall {
                to: dave,
                value: U256::from(601),
            },
        )
        .decode::<ms::submitPaymentCall>();
    confirm(&mut s, a, big);
    confirm(&mut s, b, big);
    assert!(
        !s.chain
            .typed(a, s.wallet, ms::executeCall { id: big })
            .success
    );
    assert!(
        !ok(
            &mut s.chain,
            a,
            s.wallet,
            ms::getTransactionCall { id: big }
        )
        ._4
    );
    assert_eq!(s.chain.balance(s.wallet), U256::from(600));
}

// ---------------------------------------------------------------------------------------
// Seed 003's Wallet<S>, instantiated twice

/// Any call: the calldata is kept in storage (`Bytes`) and sent with `ctx.call_raw` once the
/// threshold confirms; a reverting call bubbles its error and stays pending.
#[test]
fn multisig_executes_stored_raw_calldata() {
    let mut s = setup();
    let [a, b, _] = s.owners;
    let dave = addr(0xda7e);
    let transfer = transferCall {
        to: dave,
        value: U256::from(77),
    }
    .abi_encode();
    let r = s.chain.typed(
        a,
        s.wallet,
        ms::submitCallCall {
            target: s.token,
            value: U256::ZERO,
            data: transfer.clone().into(),
        },
    );
    assert!(r.success, "{r:?}");
    let id = r.decode::<ms::submitCallCall>();
    assert_eq!(
        ok(&mut s.chain, a, s.wallet, ms::callDataCall { id }),
        alloy_primitives::Bytes::from(transfer)
    );
    confirm(&mut s, a, id);
    confirm(&mut s, b, id);
    let r = s.chain.typed(b, s.wallet, ms::executeCall { id });
    assert!(r.success, "{r:?}");
    assert_eq!(balance(&mut s.chain, s.token, dave), U256::from(77));

    // Too many tokens: the token's error comes back and the transaction stays pending.
    let greedy = transferCall {
        to: dave,
        value: U256::from(10).pow(U256::from(30)),
    }
    .abi_encode();
    let r = s.chain.typed(
        a,
        s.wallet,
        ms::submitCallCall {
            target: s.token,
            value: U256::ZERO,
            data: greedy.into(),
        },
    );
    let id = r.decode::<ms::submitCallCall>();
    confirm(&mut s, a, id);
    confirm(&mut s, b, id);
    let r = s.chain.typed(a, s.wallet, ms::executeCall { id });
    let _: ERC20InsufficientBalance = fails(&r);
    assert_eq!(balance(&mut s.chain, s.token, dave), U256::from(77));
}
