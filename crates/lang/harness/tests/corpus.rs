//! The contract corpus (fixtures/corpus): ERC-20, ERC-721, a multisig and seed 003's generic
//! `Wallet<S>`, deployed on revm and driven through alloy `sol!` typed calls.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue, sol};
use std::collections::BTreeSet;
use tandem_lang_harness::{Backend, Chain, Compiled, Outcome, addr, compile};
use tandem_lang_ir::{AbiItem, Module};

/// The sources of a corpus package (`fixtures/corpus/<name>/src/*.tdm`), sorted by path.
fn package(name: &str) -> Vec<(String, String)> {
    let dir = format!("{}/fixtures/corpus/{name}/src", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tdm"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("source");
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("x.tdm");
            (name.to_string(), text)
        })
        .collect()
}

/// Compiles a corpus package; returns every contract and the IR module.
fn build(name: &str) -> (Vec<Compiled>, tandem_lang_ir::Module) {
    let srcs = package(name);
    let refs: Vec<(&str, &str)> = srcs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    compile(&refs).unwrap_or_else(|e| panic!("{name} does not compile:\n{e}"))
}

/// Deploys the contract `name` of a build with ABI-encoded constructor arguments.
fn deploy(chain: &mut Chain, from: Address, out: &[Compiled], name: &str, args: &[u8]) -> Address {
    let c = out
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no contract {name}"));
    let r = chain.deploy(from, &c.init_code, args);
    assert!(r.success, "deploying {name} failed: {r:?}");
    r.created.expect("address")
}

/// A call that must succeed; its decoded return.
fn ok<C: SolCall>(chain: &mut Chain, from: Address, to: Address, call: C) -> C::Return {
    let r = chain.typed(from, to, call);
    r.decode::<C>()
}

/// A call that must revert with the custom error `E`; the decoded error.
fn fails<E: SolError>(r: &Outcome) -> E {
    assert!(
        !r.success,
        "expected a revert with {}, the call succeeded",
        E::SIGNATURE
    );
    E::abi_decode(&r.output).unwrap_or_else(|e| {
        panic!(
            "revert data 0x{} is not {}: {e}",
            tandem_lang_harness::hex(&r.output),
            E::SIGNATURE
        )
    })
}

/// The single log of an outcome emitted by `at`, decoded as `E`.
fn event<E: SolEvent>(r: &Outcome, at: Address) -> E {
    let logs: Vec<_> = r
        .logs
        .iter()
        .filter(|l| l.address == at && l.topics().first() == Some(&E::SIGNATURE_HASH))
        .collect();
    assert_eq!(
        logs.len(),
        1,
        "expected one {} log: {:?}",
        E::SIGNATURE,
        r.logs
    );
    E::decode_log_data(&logs[0].data).expect("event decodes")
}

fn sol_sig(name: &str, inputs: &[tandem_lang_ir::AbiParam]) -> String {
    let tys: Vec<String> = inputs.iter().map(|p| p.ty.sol_name()).collect();
    format!("{name}({})", tys.join(","))
}

/// The ABI of one compiled contract, as selectors and topic hashes.
struct Abi {
    functions: BTreeSet<[u8; 4]>,
    events: BTreeSet<B256>,
    errors: BTreeSet<[u8; 4]>,
}

fn abi_of(m: &Module, name: &str) -> Abi {
    let c = m
        .contracts
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no contract {name}"));
    let mut abi = Abi {
        functions: c.handlers.iter().map(|h| h.selector).collect(),
        events: BTreeSet::new(),
        errors: BTreeSet::new(),
    };
    for item in &c.abi {
        match item {
            AbiItem::Event { name, inputs } => {
                abi.events.insert(keccak256(sol_sig(name, inputs)));
            }
            AbiItem::Error { name, inputs } => {
                abi.errors
                    .insert(keccak256(sol_sig(name, inputs))[..4].try_into().unwrap());
            }
            _ => {}
        }
    }
    abi
}

/// The selectors of the functions of one contract whose JSON ABI signature (name and input
/// types) hashes to the selector the contract dispatches on.
fn json_abi_selectors(m: &Module, name: &str) -> BTreeSet<[u8; 4]> {
    let c = m
        .contracts
        .iter()
        .find(|c| c.name == name)
        .expect("contract");
    c.abi
        .iter()
        .filter_map(|item| match item {
            AbiItem::Function { name, inputs, .. } => {
                Some(keccak256(sol_sig(name, inputs))[..4].try_into().unwrap())
            }
            _ => None,
        })
        .collect()
}

fn sels(xs: &[[u8; 4]]) -> BTreeSet<[u8; 4]> {
    xs.iter().copied().collect()
}

fn topics(xs: &[[u8; 32]]) -> BTreeSet<B256> {
    xs.iter().map(|t| B256::from(*t)).collect()
}

// ---------------------------------------------------------------------------------------
// ERC-20

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

use IERC20::{
    Approval, Transfer, allowanceCall, approveCall, balanceOfCall, decimalsCall, nameCall,
    symbolCall, totalSupplyCall, transferCall, transferFromCall,
};
use IERC20Errors::{
    ERC20InsufficientAllowance, ERC20InsufficientBalance, ERC20InvalidReceiver, ERC20InvalidSpender,
};

const SUPPLY: u64 = 1_000_000;

fn deploy_token(chain: &mut Chain, owner: Address) -> Address {
    let (out, _) = build("erc20");
    deploy(
        chain,
        owner,
        &out,
        "Token",
        &U256::from(SUPPLY).abi_encode(),
    )
}

fn balance(chain: &mut Chain, token: Address, who: Address) -> U256 {
    ok(chain, addr(1), token, balanceOfCall { owner: who })
}

fn allowance(chain: &mut Chain, token: Address, owner: Address, spender: Address) -> U256 {
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
    for h in &token.handlers {
        let view = [
            "balanceOf",
            "allowance",
            "totalSupply",
            "decimals",
            "name",
            "symbol",
        ]
        .contains(&h.sol_name.as_str());
        let expected = if view {
            tandem_lang_ir::Mutability::View
        } else {
            tandem_lang_ir::Mutability::NonPayable
        };
        // Constant replies take no capability at all: pure is stricter than view.
        if !(view && h.mutability == tandem_lang_ir::Mutability::Pure) {
            assert_eq!(h.mutability, expected, "{}", h.signature);
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

struct Nfts {
    chain: Chain,
    nft: Address,
    accepting: Address,
    rejecting: Address,
    confused: Address,
}

const ADMIN: u64 = 0xad;

fn deploy_nfts() -> Nfts {
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

fn owner_of(n: &mut Nfts, id: u64) -> Address {
    ok(
        &mut n.chain,
        addr(1),
        n.nft,
        nft::ownerOfCall {
            tokenId: U256::from(id),
        },
    )
}

fn nft_balance(n: &mut Nfts, who: Address) -> U256 {
    ok(
        &mut n.chain,
        addr(1),
        n.nft,
        nft::balanceOfCall { owner: who },
    )
}

fn mint(n: &mut Nfts, to: Address, id: u64) {
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

struct Setup {
    chain: Chain,
    token: Address,
    wallet: Address,
    owners: [Address; 3],
}

fn deploy_multisig(chain: &mut Chain, owners: [Address; 3], threshold: u64) -> Outcome {
    let (out, _) = build("multisig");
    let c = out.iter().find(|o| o.name == "Wallet").expect("Wallet");
    let args = (owners[0], owners[1], owners[2], U256::from(threshold)).abi_encode_params();
    chain.deploy(addr(0xdeb), &c.init_code, &args)
}

fn setup() -> Setup {
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

fn submit_token(s: &mut Setup, by: Address, to: Address, amount: u64, value: u64) -> U256 {
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

fn confirm(s: &mut Setup, by: Address, id: U256) {
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

fn deploy_wallet(chain: &mut Chain, name: &str) -> Address {
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

fn wallet_transfer(chain: &mut Chain, w: Address, to: Address, value: u64) -> Outcome {
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
        format!("{:?}", c.storage)
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

// ---------------------------------------------------------------------------------------
// Gas: the Coin and the ERC-20 against their Solidity twins (bench/lang/run.sh sets SOL_OUT
// to solc's via-IR output; without it only Tandem's numbers are printed).

/// Gas of the same calls on a deployed token: deploy, transfer to a new holder, to an
/// existing holder, and for the ERC-20 approve and transferFrom (a finite allowance, to an
/// existing holder); then the runtime size.
fn measure(init: &[u8], runtime_len: usize, erc20: bool) -> Vec<(&'static str, u64)> {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let d = chain.deploy(alice, init, &U256::from(SUPPLY).abi_encode());
    assert!(d.success, "{d:?}");
    let at = d.created.unwrap();
    let mut rows = vec![("deploy", d.gas)];
    for row in ["transfer (new holder)", "transfer (existing holder)"] {
        let r = chain.typed(
            alice,
            at,
            transferCall {
                to: bob,
                value: U256::from(10),
            },
        );
        assert!(r.success, "{r:?}");
        rows.push((row, r.gas));
    }
    if erc20 {
        let r = chain.typed(
            alice,
            at,
            approveCall {
                spender: carol,
                value: U256::from(1_000),
            },
        );
        assert!(r.success, "{r:?}");
        rows.push(("approve", r.gas));
        let r = chain.typed(
            carol,
            at,
            transferFromCall {
                from: alice,
                to: bob,
                value: U256::from(10),
            },
        );
        assert!(r.success, "{r:?}");
        assert_eq!(allowance(&mut chain, at, alice, carol), U256::from(990));
        rows.push(("transferFrom", r.gas));
    }
    assert_eq!(
        balance(&mut chain, at, bob),
        U256::from(if erc20 { 30 } else { 20 })
    );
    rows.push(("runtime size (bytes)", runtime_len as u64));
    rows
}

/// A hex field of solc's JSON output (`"key":"hex"`).
fn sol_field(text: &str, key: &str) -> Vec<u8> {
    let pat = format!("\"{key}\":\"");
    let Some(start) = text.find(&pat).map(|i| i + pat.len()) else {
        panic!("no {key} in solc output");
    };
    let end = text[start..].find('"').map(|e| start + e).unwrap_or(start);
    (start..end)
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[test]
fn gas_table() {
    let coin_src = include_str!("../../tests/fixtures/coin.tdm");
    let (coin, _) = compile(&[("Coin.tdm", coin_src)]).unwrap_or_else(|e| panic!("{e}"));
    let coin = coin.iter().find(|o| o.name == "Coin").expect("Coin");
    let (token, _) = build("erc20");
    let token = token.iter().find(|o| o.name == "Token").expect("Token");
    let ours = [
        (
            "Coin",
            measure(&coin.init_code, coin.runtime_code.len(), false),
        ),
        (
            "ERC-20",
            measure(&token.init_code, token.runtime_code.len(), true),
        ),
    ];
    let theirs = std::env::var("SOL_OUT").ok().map(|path| {
        let text = std::fs::read_to_string(path).expect("solc output");
        let (ci, cr) = (sol_field(&text, "init"), sol_field(&text, "runtime"));
        let (ti, tr) = (
            sol_field(&text, "token_init"),
            sol_field(&text, "token_runtime"),
        );
        [measure(&ci, cr.len(), false), measure(&ti, tr.len(), true)]
    });
    println!("| contract | row | Tandem | solc via-IR | Tandem/solc |");
    println!("|---|---|---:|---:|---:|");
    for (k, (name, rows)) in ours.iter().enumerate() {
        for (i, (row, gas)) in rows.iter().enumerate() {
            match &theirs {
                Some(t) => {
                    let sol = t[k][i].1;
                    println!(
                        "| {name} | {row} | {gas} | {sol} | {:.3}x |",
                        *gas as f64 / sol as f64
                    );
                }
                None => println!("| {name} | {row} | {gas} | - | - |"),
            }
        }
    }
}

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
