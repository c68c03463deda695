//! Seed 003's generic `Wallet<S>`, instantiated twice.

use super::*;

sol! {
    interface IWallet {
        function deposit() external payable;
        function transfer(address to, uint256 value) external;
        function limit() external view returns (uint256);
        event TransferEvent(address indexed from, address indexed to, uint256 value, bool sent);
        error NotOwner(address caller);
        error ZeroAddress();
        error OverLimit(uint256 limit, uint256 value);
    }
}

pub(super) fn deploy_wallet(chain: &mut Chain, name: &str) -> Address {
    let (out, _) = build("wallet");
    let w = deploy(chain, addr(0xa11ce), &out, name, &[]);
    chain.fund(addr(0xa11ce), U256::from(1_000_000));
    let r = chain.call_value(
        addr(0xa11ce),
        w,
        IWallet::depositCall {}.abi_encode(),
        U256::from(10_000),
    );
    assert!(r.success, "{r:?}");
    w
}

pub(super) fn wallet_transfer(chain: &mut Chain, w: Address, to: Address, value: u64) -> Outcome {
    chain.typed(
        addr(0xa11ce),
        w,
        IWallet::transferCall {
            to,
            value: U256::from(value),
        },
    )
}

#[test]
fn generic_wallet_is_monomorphised_per_storage() {
    let (out, m) = build("wallet");
    let names: Vec<&str> = out.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["FriendsWallet", "CappedWallet"]);
    assert_ne!(out[0].runtime_code, out[1].runtime_code);
    for n in names {
        let abi = abi_of(&m, n);
        assert_eq!(abi.functions, sels(IWallet::IWalletCalls::SELECTORS));
        assert_eq!(abi.events, topics(IWallet::IWalletEvents::SELECTORS));
        assert_eq!(abi.errors, sels(IWallet::IWalletErrors::SELECTORS));
    }
    // The storage layouts differ: each instance lays out its own strategy.
    let layout = |n: &str| {
        let c = m.contracts.iter().find(|c| c.name == n).unwrap();
        format!("{:?}", c.meta.storage)
    };
    assert_ne!(layout("FriendsWallet"), layout("CappedWallet"));
}

#[test]
fn generic_wallet_shared_checks() {
    let mut chain = Chain::new();
    for name in ["FriendsWallet", "CappedWallet"] {
        let w = deploy_wallet(&mut chain, name);
        let r = chain.typed(
            addr(0xb0b),
            w,
            IWallet::transferCall {
                to: addr(0xf00d),
                value: U256::from(1),
            },
        );
        assert_eq!(fails::<IWallet::NotOwner>(&r).caller, addr(0xb0b));
        let r = wallet_transfer(&mut chain, w, Address::ZERO, 1);
        let _: IWallet::ZeroAddress = fails(&r);
        let limit = ok(&mut chain, addr(1), w, IWallet::limitCall {});
        let r = wallet_transfer(&mut chain, w, addr(0xf00d), limit.to::<u64>() + 1);
        let e: IWallet::OverLimit = fails(&r);
        assert_eq!((e.limit, e.value), (limit, limit + U256::from(1)));
    }
}

#[test]
fn generic_wallet_friends_strategy() {
    let mut chain = Chain::new();
    let w = deploy_wallet(&mut chain, "FriendsWallet");
    assert_eq!(
        ok(&mut chain, addr(1), w, IWallet::limitCall {}),
        U256::from(100_000)
    );
    let (friend, stranger) = (addr(0xf00d), addr(0x5757));
    let r = wallet_transfer(&mut chain, w, friend, 700);
    let ev: IWallet::TransferEvent = event(&r, w);
    assert_eq!(
        (ev.from, ev.to, ev.value, ev.sent),
        (addr(0xa11ce), friend, U256::from(700), true)
    );
    assert_eq!(chain.balance(friend), U256::from(700));
    let r = wallet_transfer(&mut chain, w, stranger, 700);
    assert!(!event::<IWallet::TransferEvent>(&r, w).sent);
    assert_eq!(chain.balance(stranger), U256::ZERO);
    assert!(wallet_transfer(&mut chain, w, addr(0xbeef), 300).success);
    assert_eq!(chain.balance(addr(0xbeef)), U256::from(300));
    assert_eq!(chain.balance(w), U256::from(9_000));
    // The wallet cannot send more than it holds: the value transfer fails, the call reverts.
    assert!(!wallet_transfer(&mut chain, w, friend, 9_001).success);
}

#[test]
fn generic_wallet_capped_strategy() {
    let mut chain = Chain::new();
    let w = deploy_wallet(&mut chain, "CappedWallet");
    assert_eq!(
        ok(&mut chain, addr(1), w, IWallet::limitCall {}),
        U256::from(1_000)
    );
    let to = addr(0x5757);
    for (v, sent) in [
        (1_000, true),
        (1_000, true),
        (500, true),
        (1, false),
        (0, true),
    ] {
        let r = wallet_transfer(&mut chain, w, to, v);
        assert_eq!(event::<IWallet::TransferEvent>(&r, w).sent, sent, "{v}");
    }
    assert_eq!(chain.balance(to), U256::from(2_500));
}
