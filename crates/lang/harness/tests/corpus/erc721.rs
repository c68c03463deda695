//! The ERC-721: the standard interface, approvals, safe transfers to Tandem receivers.

use super::*;

sol! {
    interface IERC721 {
        function balanceOf(address owner) external view returns (uint256);
        function ownerOf(uint256 tokenId) external view returns (address);
        function safeTransferFrom(address from, address to, uint256 tokenId, bytes data) external payable;
        function safeTransferFrom(address from, address to, uint256 tokenId) external payable;
        function transferFrom(address from, address to, uint256 tokenId) external payable;
        function approve(address approved, uint256 tokenId) external payable;
        function setApprovalForAll(address operator, bool approved) external;
        function getApproved(uint256 tokenId) external view returns (address);
        function isApprovedForAll(address owner, address operator) external view returns (bool);
        event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
        event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
        event ApprovalForAll(address indexed owner, address indexed operator, bool approved);
    }

    interface IERC165 {
        function supportsInterface(bytes4 interfaceId) external view returns (bool);
    }

    interface INftAdmin {
        function mint(address to, uint256 tokenId) external;
    }

    interface IERC721Errors {
        error ERC721NonexistentToken(uint256 tokenId);
        error ERC721IncorrectOwner(address sender, uint256 tokenId, address owner);
        error ERC721InsufficientApproval(address operator, uint256 tokenId);
        error ERC721InvalidOwner(address owner);
        error ERC721InvalidApprover(address approver);
        error ERC721InvalidOperator(address operator);
        error ERC721InvalidReceiver(address receiver);
        error ERC721InvalidSender(address sender);
        error Unauthorized(address caller);
    }

    interface IReceiverLog {
        function onERC721Received(address operator, address from, uint256 tokenId, bytes data) external returns (bytes4);
        function received() external view returns (uint256);
        function lastToken() external view returns (uint256);
        function lastData() external view returns (uint256);
    }
}

mod nft {
    pub use super::IERC165::supportsInterfaceCall;
    pub use super::IERC721::*;
    pub use super::IERC721Errors::*;
    pub use super::INftAdmin::mintCall;
    pub use super::IReceiverLog::{lastDataCall, lastTokenCall, receivedCall};
}

pub(super) struct Nfts {
    chain: Chain,
    nft: Address,
    accepting: Address,
    rejecting: Address,
    confused: Address,
}

pub(super) const ADMIN: u64 = 0xad;

pub(super) fn deploy_nfts() -> Nfts {
    let mut chain = Chain::new();
    let admin = addr(ADMIN);
    let (out, _) = build("erc721");
    let nft = deploy(&mut chain, admin, &out, "Nft", &[]);
    let accepting = deploy(&mut chain, admin, &out, "Accepting", &[]);
    let rejecting = deploy(&mut chain, admin, &out, "Rejecting", &[]);
    let confused = deploy(&mut chain, admin, &out, "Confused", &[]);
    Nfts {
        chain,
        nft,
        accepting,
        rejecting,
        confused,
    }
}

pub(super) fn owner_of(n: &mut Nfts, id: u64) -> Address {
    ok(
        &mut n.chain,
        addr(1),
        n.nft,
        nft::ownerOfCall {
            tokenId: U256::from(id),
        },
    )
}

pub(super) fn nft_balance(n: &mut Nfts, who: Address) -> U256 {
    ok(
        &mut n.chain,
        addr(1),
        n.nft,
        nft::balanceOfCall { owner: who },
    )
}

pub(super) fn mint(n: &mut Nfts, to: Address, id: u64) {
    let r = n.chain.typed(
        addr(ADMIN),
        n.nft,
        nft::mintCall {
            to,
            tokenId: U256::from(id),
        },
    );
    assert!(r.success, "mint: {r:?}");
    let ev: nft::Transfer = event(&r, n.nft);
    assert_eq!(
        (ev.from, ev.to, ev.tokenId),
        (Address::ZERO, to, U256::from(id))
    );
}

#[test]
fn erc721_abi_is_the_standard_interface() {
    let (_, m) = build("erc721");
    let abi = abi_of(&m, "Nft");
    let mut want = sels(IERC721::IERC721Calls::SELECTORS);
    want.extend(sels(IERC165::IERC165Calls::SELECTORS));
    want.extend(sels(INftAdmin::INftAdminCalls::SELECTORS));
    assert_eq!(abi.functions, want);
    assert_eq!(abi.events, topics(IERC721::IERC721Events::SELECTORS));
    assert_eq!(
        abi.errors,
        sels(IERC721Errors::IERC721ErrorsErrors::SELECTORS)
    );
    // Every function's JSON ABI entry hashes to the selector it is dispatched on
    // (`supportsInterface(bytes4)` included: its parameter is a real `bytes4`).
    let json = json_abi_selectors(&m, "Nft");
    assert_eq!(abi.functions, json);
    assert!(
        abi.functions
            .contains(&IERC165::supportsInterfaceCall::SELECTOR)
    );
    // The receivers dispatch `onERC721Received` on the standard selector.
    let accepting = abi_of(&m, "Accepting");
    assert!(
        accepting
            .functions
            .contains(&IReceiverLog::onERC721ReceivedCall::SELECTOR)
    );
}

#[test]
fn erc721_mint_owner_balance() {
    let mut n = deploy_nfts();
    let (alice, bob) = (addr(0xa11ce), addr(0xb0b));
    mint(&mut n, alice, 1);
    mint(&mut n, alice, 2);
    mint(&mut n, bob, 3);
    assert_eq!(owner_of(&mut n, 1), alice);
    assert_eq!(owner_of(&mut n, 3), bob);
    assert_eq!(nft_balance(&mut n, alice), U256::from(2));
    assert_eq!(nft_balance(&mut n, bob), U256::from(1));
    assert_eq!(nft_balance(&mut n, addr(0xdead)), U256::ZERO);
    let id = U256::from(1);
    // Only the deployer mints; a token is minted once; never to the zero address.
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::mintCall {
            to: alice,
            tokenId: U256::from(9),
        },
    );
    assert_eq!(fails::<nft::Unauthorized>(&r).caller, alice);
    let r = n.chain.typed(
        addr(ADMIN),
        n.nft,
        nft::mintCall {
            to: bob,
            tokenId: id,
        },
    );
    assert_eq!(fails::<nft::ERC721InvalidSender>(&r).sender, Address::ZERO);
    let r = n.chain.typed(
        addr(ADMIN),
        n.nft,
        nft::mintCall {
            to: Address::ZERO,
            tokenId: U256::from(9),
        },
    );
    let _: nft::ERC721InvalidReceiver = fails(&r);
    // Unknown tokens and the zero owner.
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::ownerOfCall {
            tokenId: U256::from(9),
        },
    );
    assert_eq!(
        fails::<nft::ERC721NonexistentToken>(&r).tokenId,
        U256::from(9)
    );
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::getApprovedCall {
            tokenId: U256::from(9),
        },
    );
    let _: nft::ERC721NonexistentToken = fails(&r);
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::balanceOfCall {
            owner: Address::ZERO,
        },
    );
    assert_eq!(fails::<nft::ERC721InvalidOwner>(&r).owner, Address::ZERO);
}

#[test]
fn erc721_approvals_and_transfer_from() {
    let mut n = deploy_nfts();
    let (alice, bob, carol, op) = (addr(0xa11ce), addr(0xb0b), addr(0xca401), addr(0x0b));
    mint(&mut n, alice, 1);
    mint(&mut n, alice, 2);
    let one = U256::from(1);

    // A stranger can neither move nor approve.
    let r = n.chain.typed(
        bob,
        n.nft,
        nft::transferFromCall {
            from: alice,
            to: bob,
            tokenId: one,
        },
    );
    let e: nft::ERC721InsufficientApproval = fails(&r);
    assert_eq!((e.operator, e.tokenId), (bob, one));
    let r = n.chain.typed(
        bob,
        n.nft,
        nft::approveCall {
            approved: bob,
            tokenId: one,
        },
    );
    assert_eq!(fails::<nft::ERC721InvalidApprover>(&r).approver, bob);

    // The owner approves bob for token 1.
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::approveCall {
            approved: bob,
            tokenId: one,
        },
    );
    assert!(r.success, "{r:?}");
    let ev: nft::Approval = event(&r, n.nft);
    assert_eq!((ev.owner, ev.approved, ev.tokenId), (alice, bob, one));
    assert_eq!(
        ok(
            &mut n.chain,
            carol,
            n.nft,
            nft::getApprovedCall { tokenId: one }
        ),
        bob
    );
    // The wrong `from` is refused before approvals are looked at.
    let r = n.chain.typed(
        bob,
        n.nft,
        nft::transferFromCall {
            from: carol,
            to: bob,
            tokenId: one,
        },
    );
    let e: nft::ERC721IncorrectOwner = fails(&r);
    assert_eq!((e.sender, e.tokenId, e.owner), (carol, one, alice));
    // Not to the zero address.
    let r = n.chain.typed(
        bob,
        n.nft,
        nft::transferFromCall {
            from: alice,
            to: Address::ZERO,
            tokenId: one,
        },
    );
    let _: nft::ERC721InvalidReceiver = fails(&r);
    // The approved account moves it to carol; the approval is cleared.
    let r = n.chain.typed(
        bob,
        n.nft,
        nft::transferFromCall {
            from: alice,
            to: carol,
            tokenId: one,
        },
    );
    assert!(r.success, "{r:?}");
    let ev: nft::Transfer = event(&r, n.nft);
    assert_eq!((ev.from, ev.to, ev.tokenId), (alice, carol, one));
    assert_eq!(owner_of(&mut n, 1), carol);
    assert_eq!(nft_balance(&mut n, alice), U256::from(1));
    assert_eq!(nft_balance(&mut n, carol), U256::from(1));
    assert_eq!(
        ok(
            &mut n.chain,
            carol,
            n.nft,
            nft::getApprovedCall { tokenId: one }
        ),
        Address::ZERO
    );
    let r = n.chain.typed(
        bob,
        n.nft,
        nft::transferFromCall {
            from: carol,
            to: bob,
            tokenId: one,
        },
    );
    let _: nft::ERC721InsufficientApproval = fails(&r);

    // Operators: alice lets `op` manage everything.
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::setApprovalForAllCall {
            operator: op,
            approved: true,
        },
    );
    assert!(r.success);
    let ev: nft::ApprovalForAll = event(&r, n.nft);
    assert_eq!((ev.owner, ev.operator, ev.approved), (alice, op, true));
    assert!(ok(
        &mut n.chain,
        bob,
        n.nft,
        nft::isApprovedForAllCall {
            owner: alice,
            operator: op
        }
    ));
    assert!(!ok(
        &mut n.chain,
        bob,
        n.nft,
        nft::isApprovedForAllCall {
            owner: op,
            operator: alice
        }
    ));
    // An operator may approve on the owner's behalf (the event names the owner) and transfer.
    let two = U256::from(2);
    let r = n.chain.typed(
        op,
        n.nft,
        nft::approveCall {
            approved: carol,
            tokenId: two,
        },
    );
    let ev: nft::Approval = event(&r, n.nft);
    assert_eq!((ev.owner, ev.approved), (alice, carol));
    assert!(
        n.chain
            .typed(
                op,
                n.nft,
                nft::transferFromCall {
                    from: alice,
                    to: bob,
                    tokenId: two
                }
            )
            .success
    );
    assert_eq!(owner_of(&mut n, 2), bob);
    // alice no longer owns it, so her operator cannot move it back.
    let r = n.chain.typed(
        op,
        n.nft,
        nft::transferFromCall {
            from: bob,
            to: alice,
            tokenId: two,
        },
    );
    let _: nft::ERC721InsufficientApproval = fails(&r);
    // Revoking the operator.
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::setApprovalForAllCall {
            operator: op,
            approved: false,
        },
    );
    assert!(!event::<nft::ApprovalForAll>(&r, n.nft).approved);
    assert!(!ok(
        &mut n.chain,
        bob,
        n.nft,
        nft::isApprovedForAllCall {
            owner: alice,
            operator: op
        }
    ));
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::setApprovalForAllCall {
            operator: Address::ZERO,
            approved: true,
        },
    );
    assert_eq!(
        fails::<nft::ERC721InvalidOperator>(&r).operator,
        Address::ZERO
    );
    // The owner moves its own token; to itself keeps the balance.
    assert!(
        n.chain
            .typed(
                bob,
                n.nft,
                nft::transferFromCall {
                    from: bob,
                    to: bob,
                    tokenId: two
                }
            )
            .success
    );
    assert_eq!(nft_balance(&mut n, bob), U256::from(1));
}

#[test]
fn erc721_safe_transfer_asks_contracts() {
    let mut n = deploy_nfts();
    let (alice, bob) = (addr(0xa11ce), addr(0xb0b));
    for id in 1..=5 {
        mint(&mut n, alice, id);
    }
    // To an account without code: no question asked.
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::safeTransferFrom_0Call {
            from: alice,
            to: bob,
            tokenId: U256::from(1),
            data: vec![1, 2, 3].into(),
        },
    );
    assert!(r.success, "{r:?}");
    assert_eq!(owner_of(&mut n, 1), bob);
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::safeTransferFrom_1Call {
            from: alice,
            to: bob,
            tokenId: U256::from(2),
        },
    );
    assert!(r.success, "{r:?}");
    assert_eq!(owner_of(&mut n, 2), bob);

    // To a contract that answers with the magic value: accepted, and it saw the data.
    let acc = n.accepting;
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::safeTransferFrom_0Call {
            from: alice,
            to: acc,
            tokenId: U256::from(3),
            data: vec![7; 40].into(),
        },
    );
    assert!(r.success, "{r:?}");
    let ev: nft::Transfer = event(&r, n.nft);
    assert_eq!(ev.to, acc);
    assert_eq!(owner_of(&mut n, 3), acc);
    assert_eq!(
        ok(&mut n.chain, bob, acc, nft::receivedCall {}),
        U256::from(1)
    );
    assert_eq!(
        ok(&mut n.chain, bob, acc, nft::lastTokenCall {}),
        U256::from(3)
    );
    assert_eq!(
        ok(&mut n.chain, bob, acc, nft::lastDataCall {}),
        U256::from(40)
    );
    let r = n.chain.typed(
        alice,
        n.nft,
        nft::safeTransferFrom_1Call {
            from: alice,
            to: acc,
            tokenId: U256::from(4),
        },
    );
    assert!(r.success, "{r:?}");
    assert_eq!(
        ok(&mut n.chain, bob, acc, nft::receivedCall {}),
        U256::from(2)
    );
    assert_eq!(ok(&mut n.chain, bob, acc, nft::lastDataCall {}), U256::ZERO);
    // A plain transferFrom does not ask.
    mint(&mut n, alice, 6);
    assert!(
        n.chain
            .typed(
                alice,
                n.nft,
                nft::transferFromCall {
                    from: alice,
                    to: acc,
                    tokenId: U256::from(6)
                }
            )
            .success
    );
    assert_eq!(
        ok(&mut n.chain, bob, acc, nft::receivedCall {}),
        U256::from(2)
    );

    // A receiver that reverts, one with the wrong answer, and a contract without the
    // function (the NFT contract itself): all refused, and the token stays put.
    for to in [n.rejecting, n.confused, n.nft] {
        for with_data in [false, true] {
            let r = if with_data {
                n.chain.typed(
                    alice,
                    n.nft,
                    nft::safeTransferFrom_0Call {
                        from: alice,
                        to,
                        tokenId: U256::from(5),
                        data: vec![1].into(),
                    },
                )
            } else {
                n.chain.typed(
                    alice,
                    n.nft,
                    nft::safeTransferFrom_1Call {
                        from: alice,
                        to,
                        tokenId: U256::from(5),
                    },
                )
            };
            let e: nft::ERC721InvalidReceiver = fails(&r);
            assert_eq!(e.receiver, to);
            assert!(r.logs.is_empty());
        }
    }
    assert_eq!(owner_of(&mut n, 5), alice);
    assert_eq!(nft_balance(&mut n, alice), U256::from(1));
    // The usual checks still apply to safe transfers.
    let r = n.chain.typed(
        bob,
        n.nft,
        nft::safeTransferFrom_1Call {
            from: alice,
            to: bob,
            tokenId: U256::from(5),
        },
    );
    let _: nft::ERC721InsufficientApproval = fails(&r);
}

#[test]
fn erc721_supports_interface() {
    let mut n = deploy_nfts();
    let ask = |n: &mut Nfts, id: [u8; 4]| -> bool {
        ok(
            &mut n.chain,
            addr(1),
            n.nft,
            nft::supportsInterfaceCall {
                interfaceId: id.into(),
            },
        )
    };
    assert!(ask(&mut n, [0x01, 0xff, 0xc9, 0xa7]));
    assert!(ask(&mut n, [0x80, 0xac, 0x58, 0xcd]));
    assert!(!ask(&mut n, [0xff, 0xff, 0xff, 0xff]));
    assert!(!ask(&mut n, [0x36, 0x37, 0x2b, 0x07]));
    // The ERC-721 id is the XOR of its selectors.
    let x = IERC721::IERC721Calls::SELECTORS
        .iter()
        .fold([0u8; 4], |acc, s| std::array::from_fn(|i| acc[i] ^ s[i]));
    assert_eq!(x, [0x80, 0xac, 0x58, 0xcd]);
}

// ---------------------------------------------------------------------------------------
// Multisig, calling the ERC-20
