//! The ERC-20: the standard interface, transfers, allowances, refusals.

use super::*;

sol! {
    interface IERC20 {
        function name() external view returns (string);
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function transferFrom(address from, address to, uint256 value) external returns (bool);
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);
    }

    interface IERC20Errors {
        error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
        error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
        error ERC20InvalidReceiver(address receiver);
        error ERC20InvalidSpender(address spender);
    }
}

pub(super) use IERC20::{
    Approval, Transfer, allowanceCall, approveCall, balanceOfCall, decimalsCall, nameCall,
    symbolCall, totalSupplyCall, transferCall, transferFromCall,
};
pub(super) use IERC20Errors::{
    ERC20InsufficientAllowance, ERC20InsufficientBalance, ERC20InvalidReceiver, ERC20InvalidSpender,
};

pub(super) const SUPPLY: u64 = 1_000_000;

pub(super) fn deploy_token(chain: &mut Chain, owner: Address) -> Address {
    let (out, _) = build("erc20");
    deploy(
        chain,
        owner,
        &out,
        "Token",
        &U256::from(SUPPLY).abi_encode(),
    )
}

pub(super) fn balance(chain: &mut Chain, token: Address, who: Address) -> U256 {
    ok(chain, addr(1), token, balanceOfCall { owner: who })
}

pub(super) fn allowance(
    chain: &mut Chain,
    token: Address,
    owner: Address,
    spender: Address,
) -> U256 {
    ok(chain, addr(1), token, allowanceCall { owner, spender })
}

#[test]
fn erc20_abi_is_the_standard_interface() {
    let (_, m) = build("erc20");
    let abi = abi_of(&m, "Token");
    assert_eq!(abi.functions, sels(IERC20::IERC20Calls::SELECTORS));
    assert_eq!(json_abi_selectors(&m, "Token"), abi.functions);
    assert_eq!(abi.events, topics(IERC20::IERC20Events::SELECTORS));
    assert_eq!(
        abi.errors,
        sels(IERC20Errors::IERC20ErrorsErrors::SELECTORS)
    );
    // Views are views (callers may STATICCALL them), writes are nonpayable.
    let token = m.contracts.iter().find(|c| c.name == "Token").unwrap();
    for (h, m) in token.handlers.iter().zip(&token.meta.handlers) {
        let view = [
            "balanceOf",
            "allowance",
            "totalSupply",
            "decimals",
            "name",
            "symbol",
        ]
        .contains(&m.sol_name.as_str());
        let expected = if view {
            tandem_lang_ir::Mutability::View
        } else {
            tandem_lang_ir::Mutability::NonPayable
        };
        // Constant replies take no capability at all: pure is stricter than view.
        if !(view && h.mutability == tandem_lang_ir::Mutability::Pure) {
            assert_eq!(h.mutability, expected, "{}", m.signature);
        }
    }
}

#[test]
fn erc20_metadata_supply_and_mint_event() {
    let mut chain = Chain::new();
    let alice = addr(0xa11ce);
    let (out, _) = build("erc20");
    let c = out.iter().find(|o| o.name == "Token").unwrap();
    let d = chain.deploy(alice, &c.init_code, &U256::from(SUPPLY).abi_encode());
    assert!(d.success, "{d:?}");
    let token = d.created.unwrap();
    let ev: Transfer = event(&d, token);
    assert_eq!(
        (ev.from, ev.to, ev.value),
        (Address::ZERO, alice, U256::from(SUPPLY))
    );

    assert_eq!(ok(&mut chain, alice, token, nameCall {}), "Tandem Token");
    assert_eq!(ok(&mut chain, alice, token, symbolCall {}), "TDM");
    assert_eq!(ok(&mut chain, alice, token, decimalsCall {}), 18);
    assert_eq!(
        ok(&mut chain, alice, token, totalSupplyCall {}),
        U256::from(SUPPLY)
    );
    assert_eq!(balance(&mut chain, token, alice), U256::from(SUPPLY));
    assert_eq!(balance(&mut chain, token, addr(0xb0b)), U256::ZERO);
}

#[test]
fn erc20_transfer() {
    let mut chain = Chain::new();
    let (alice, bob) = (addr(0xa11ce), addr(0xb0b));
    let token = deploy_token(&mut chain, alice);

    let r = chain.typed(
        alice,
        token,
        transferCall {
            to: bob,
            value: U256::from(300),
        },
    );
    assert!(r.decode::<transferCall>());
    let ev: Transfer = event(&r, token);
    assert_eq!((ev.from, ev.to, ev.value), (alice, bob, U256::from(300)));
    assert_eq!(balance(&mut chain, token, alice), U256::from(SUPPLY - 300));
    assert_eq!(balance(&mut chain, token, bob), U256::from(300));

    // More than the balance: the custom error names the sender, its balance and the need.
    let r = chain.typed(
        bob,
        token,
        transferCall {
            to: alice,
            value: U256::from(301),
        },
    );
    let e: ERC20InsufficientBalance = fails(&r);
    assert_eq!(
        (e.sender, e.balance, e.needed),
        (bob, U256::from(300), U256::from(301))
    );
    assert!(r.logs.is_empty());
    // The whole balance, then nothing left.
    assert!(ok(
        &mut chain,
        bob,
        token,
        transferCall {
            to: alice,
            value: U256::from(300)
        }
    ));
    assert_eq!(balance(&mut chain, token, bob), U256::ZERO);
    // Zero-value transfers succeed and log; from an empty account too.
    let r = chain.typed(
        bob,
        token,
        transferCall {
            to: alice,
            value: U256::ZERO,
        },
    );
    assert!(r.success);
    let ev: Transfer = event(&r, token);
    assert_eq!(ev.value, U256::ZERO);
    // To the zero address: refused.
    let r = chain.typed(
        alice,
        token,
        transferCall {
            to: Address::ZERO,
            value: U256::from(1),
        },
    );
    let e: ERC20InvalidReceiver = fails(&r);
    assert_eq!(e.receiver, Address::ZERO);
    // To oneself: the balance stays.
    assert!(ok(
        &mut chain,
        alice,
        token,
        transferCall {
            to: alice,
            value: U256::from(10)
        }
    ));
    assert_eq!(balance(&mut chain, token, alice), U256::from(SUPPLY));
    // Total supply never changes.
    assert_eq!(
        ok(&mut chain, bob, token, totalSupplyCall {}),
        U256::from(SUPPLY)
    );
}

#[test]
fn erc20_approve_and_transfer_from() {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let token = deploy_token(&mut chain, alice);

    let r = chain.typed(
        alice,
        token,
        approveCall {
            spender: bob,
            value: U256::from(500),
        },
    );
    assert!(r.decode::<approveCall>());
    let ev: Approval = event(&r, token);
    assert_eq!(
        (ev.owner, ev.spender, ev.value),
        (alice, bob, U256::from(500))
    );
    assert_eq!(allowance(&mut chain, token, alice, bob), U256::from(500));
    assert_eq!(allowance(&mut chain, token, bob, alice), U256::ZERO);

    // Spending decrements the allowance and moves the tokens; the Transfer log names the owner.
    let r = chain.typed(
        bob,
        token,
        transferFromCall {
            from: alice,
            to: carol,
            value: U256::from(200),
        },
    );
    assert!(r.decode::<transferFromCall>());
    let ev: Transfer = event(&r, token);
    assert_eq!((ev.from, ev.to, ev.value), (alice, carol, U256::from(200)));
    assert_eq!(allowance(&mut chain, token, alice, bob), U256::from(300));
    assert_eq!(balance(&mut chain, token, carol), U256::from(200));
    assert_eq!(balance(&mut chain, token, alice), U256::from(SUPPLY - 200));

    // Over the allowance: the error carries the spender, what is left and the need.
    let r = chain.typed(
        bob,
        token,
        transferFromCall {
            from: alice,
            to: carol,
            value: U256::from(301),
        },
    );
    let e: ERC20InsufficientAllowance = fails(&r);
    assert_eq!(
        (e.spender, e.allowance, e.needed),
        (bob, U256::from(300), U256::from(301))
    );
    // Exactly the allowance: it drops to zero, and a further unit fails.
    assert!(ok(
        &mut chain,
        bob,
        token,
        transferFromCall {
            from: alice,
            to: bob,
            value: U256::from(300)
        }
    ));
    assert_eq!(allowance(&mut chain, token, alice, bob), U256::ZERO);
    let r = chain.typed(
        bob,
        token,
        transferFromCall {
            from: alice,
            to: bob,
            value: U256::from(1),
        },
    );
    let e: ERC20InsufficientAllowance = fails(&r);
    assert_eq!((e.allowance, e.needed), (U256::ZERO, U256::from(1)));
    // Without an allowance, not even the owner moves its own tokens through transferFrom.
    let r = chain.typed(
        alice,
        token,
        transferFromCall {
            from: alice,
            to: bob,
            value: U256::from(1),
        },
    );
    let _: ERC20InsufficientAllowance = fails(&r);
    // Zero-value transferFrom with no allowance is fine.
    assert!(ok(
        &mut chain,
        carol,
        token,
        transferFromCall {
            from: alice,
            to: carol,
            value: U256::ZERO
        }
    ));

    // An allowance above the owner's balance: the balance check fails and nothing is spent.
    assert!(ok(
        &mut chain,
        carol,
        token,
        approveCall {
            spender: bob,
            value: U256::from(1_000)
        }
    ));
    let r = chain.typed(
        bob,
        token,
        transferFromCall {
            from: carol,
            to: bob,
            value: U256::from(201),
        },
    );
    let e: ERC20InsufficientBalance = fails(&r);
    assert_eq!(
        (e.sender, e.balance, e.needed),
        (carol, U256::from(200), U256::from(201))
    );
    assert_eq!(allowance(&mut chain, token, carol, bob), U256::from(1_000));
    // To the zero address: refused even with an allowance.
    let r = chain.typed(
        bob,
        token,
        transferFromCall {
            from: carol,
            to: Address::ZERO,
            value: U256::from(1),
        },
    );
    let _: ERC20InvalidReceiver = fails(&r);

    // approve overwrites (it does not add), and can reset to zero.
    assert!(ok(
        &mut chain,
        alice,
        token,
        approveCall {
            spender: bob,
            value: U256::from(7)
        }
    ));
    assert!(ok(
        &mut chain,
        alice,
        token,
        approveCall {
            spender: bob,
            value: U256::from(9)
        }
    ));
    assert_eq!(allowance(&mut chain, token, alice, bob), U256::from(9));
    assert!(ok(
        &mut chain,
        alice,
        token,
        approveCall {
            spender: bob,
            value: U256::ZERO
        }
    ));
    assert_eq!(allowance(&mut chain, token, alice, bob), U256::ZERO);
    // The zero address cannot be a spender.
    let r = chain.typed(
        alice,
        token,
        approveCall {
            spender: Address::ZERO,
            value: U256::from(1),
        },
    );
    let e: ERC20InvalidSpender = fails(&r);
    assert_eq!(e.spender, Address::ZERO);
}

#[test]
fn erc20_allowances_are_per_owner_and_spender() {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let token = deploy_token(&mut chain, alice);
    assert!(ok(
        &mut chain,
        bob,
        token,
        transferCall {
            to: bob,
            value: U256::ZERO
        }
    ));
    for (owner, spender, v) in [
        (alice, bob, 1),
        (alice, carol, 2),
        (bob, alice, 3),
        (bob, carol, 4),
    ] {
        assert!(ok(
            &mut chain,
            owner,
            token,
            approveCall {
                spender,
                value: U256::from(v)
            }
        ));
    }
    for (owner, spender, v) in [
        (alice, bob, 1),
        (alice, carol, 2),
        (bob, alice, 3),
        (bob, carol, 4),
        (carol, alice, 0),
        (carol, bob, 0),
        (alice, alice, 0),
    ] {
        assert_eq!(
            allowance(&mut chain, token, owner, spender),
            U256::from(v),
            "{owner} {spender}"
        );
    }
    // Spending one allowance leaves the others.
    assert!(ok(
        &mut chain,
        carol,
        token,
        transferFromCall {
            from: alice,
            to: carol,
            value: U256::from(2)
        }
    ));
    assert_eq!(allowance(&mut chain, token, alice, carol), U256::ZERO);
    assert_eq!(allowance(&mut chain, token, alice, bob), U256::from(1));
    assert_eq!(allowance(&mut chain, token, bob, carol), U256::from(4));
}

#[test]
fn erc20_infinite_allowance_is_not_decremented() {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let token = deploy_token(&mut chain, alice);
    assert!(ok(
        &mut chain,
        alice,
        token,
        approveCall {
            spender: bob,
            value: U256::MAX
        }
    ));
    for _ in 0..3 {
        assert!(ok(
            &mut chain,
            bob,
            token,
            transferFromCall {
                from: alice,
                to: carol,
                value: U256::from(1_000)
            }
        ));
        assert_eq!(allowance(&mut chain, token, alice, bob), U256::MAX);
    }
    assert_eq!(balance(&mut chain, token, carol), U256::from(3_000));
    // One below the maximum is an ordinary allowance.
    assert!(ok(
        &mut chain,
        alice,
        token,
        approveCall {
            spender: bob,
            value: U256::MAX - U256::from(1)
        }
    ));
    assert!(ok(
        &mut chain,
        bob,
        token,
        transferFromCall {
            from: alice,
            to: carol,
            value: U256::from(5)
        }
    ));
    assert_eq!(
        allowance(&mut chain, token, alice, bob),
        U256::MAX - U256::from(6)
    );
    // The balance still bounds an infinite allowance.
    assert!(ok(
        &mut chain,
        alice,
        token,
        approveCall {
            spender: bob,
            value: U256::MAX
        }
    ));
    let r = chain.typed(
        bob,
        token,
        transferFromCall {
            from: alice,
            to: carol,
            value: U256::from(SUPPLY),
        },
    );
    let e: ERC20InsufficientBalance = fails(&r);
    assert_eq!(e.balance, U256::from(SUPPLY - 3_005));
}

#[test]
fn erc20_refuses_value_and_unknown_selectors() {
    let mut chain = Chain::new();
    let alice = addr(0xa11ce);
    let token = deploy_token(&mut chain, alice);
    chain.fund(alice, U256::from(10));
    let r = chain.call_value(
        alice,
        token,
        transferCall {
            to: addr(0xb0b),
            value: U256::from(1),
        }
        .abi_encode(),
        U256::from(1),
    );
    assert!(!r.success);
    assert!(
        !chain
            .call(alice, token, vec![0xde, 0xad, 0xbe, 0xef])
            .success
    );
    // Truncated arguments revert.
    let mut short = transferCall {
        to: addr(0xb0b),
        value: U256::from(1),
    }
    .abi_encode();
    short.truncate(40);
    assert!(!chain.call(alice, token, short).success);
}

// ---------------------------------------------------------------------------------------
// ERC-721
