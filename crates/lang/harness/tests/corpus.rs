//! The contract corpus (fixtures/corpus): ERC-20, ERC-721, a multisig and seed 003's generic
//! `Wallet<S>`, deployed on revm and driven through alloy `sol!` typed calls.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue, sol};
use std::collections::BTreeSet;
use tandem_lang_harness::{Chain, Compiled, Outcome, addr, compile};
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
    ok(chain, who, token, balanceOfCall { owner: who })
}

fn allowance(chain: &mut Chain, token: Address, owner: Address, spender: Address) -> U256 {
    ok(chain, owner, token, allowanceCall { owner, spender })
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
