//! The language's gas table: Tandem contracts against their Solidity twins in `bench/lang/`
//! compiled by solc 0.8.30 with via-IR and the optimizer (200 runs), both run on revm:
//! the brief's Coin (`Coin.sol`), the corpus ERC-20 (`Token.sol`), the corpus ERC-721
//! (`ERC721.sol`), the corpus English auction (`Auction.sol`) and the corpus ERC-4626 vault
//! (`Vault.sol`). Each group has its operations' gas (whole transactions, intrinsic cost
//! included) and the runtime code size; the table is printed (`bench/lang/run.sh`).
//!
//! The rule: every row is at most 1.0× solc's, except the rows listed in [`KNOWN_OVER`],
//! each with the measured ratio as its ceiling and the cause found, so the table still fails
//! when one gets worse, and when one is fixed (the entry must then go).
//!
//! solc is solc-js from npm (the compiler ships inside the package), installed on first use
//! into `target/tmp/solc-0.8.30`; `bench/lang/compile_sol.js` compiles the twins. Without node
//! and npm the test skips with a message, and fails under `CI=true` (tandem-testkit).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolValue, sol};
use tandem_lang_harness::{Backend, Chain, addr, compile};

const SOLC: &str = "0.8.30";
const SUPPLY: u64 = 1_000_000;

/// Rows above 1.0× solc via-IR, each with its ceiling (the measured ratio, rounded up to
/// 0.001) and why it is above. A row over its ceiling fails; so does a listed row that is
/// back at or below 1.0× (remove it), or an entry that names no row.
///
/// None is above now. Fixed, and gone from the list: CODE, the ERC-721's runtime code larger
/// than solc's (2,658 bytes to 2,338, its deployment 1.117x): the EVM backend now sets the
/// free pointer once before the dispatch, leaves the selector beneath a handler instead of a
/// POP each, ends a unit handler with STOP, folds a constant-size allocation's rounding,
/// sends repeated custom-error reverts to shared encoders (`codegen-evm/src/revert_stub.rs`),
/// drops pure results popped at once and conditional jumps over jumps (`asm.rs`), and
/// computes the constructor's wide constants (`PUSH0 NOT PUSH1 0x60 SHR` for the address
/// mask); the optimiser drops the mask of a value known to fit it (an address parameter or
/// `ctx.caller()` stored, `ir/src/opt/range.rs`). The runtime code fell to 2,300 bytes
/// (0.984x), the deployment to 0.982x, and no call row costs more gas.
/// IMMUTABLE, the vault's asset address in storage (a
/// cold SLOAD, 2,100 gas, per transaction where solc's `immutable` is a PUSH): it is an
/// `#[immutable]` field now (`codegen-evm/src/immutables.rs`), and deposit (first), deposit
/// (again), redeem and withdraw fell from 1.019x/1.037x/1.037x/1.039x to
/// 0.998x/0.996x/0.995x/0.997x, the real-function calls (CALL: about 30 gas each, and two
/// more selectors in the dispatch) now paid for; EAGER, `&&`/`||` evaluating a storage read on the
/// right even when the left side decided, now short-circuited by cost in `sema/src/ops.rs`;
/// SEQ, the storage pass not looking inside `Expr::Seq` bodies (`ir/src/opt/storage.rs`)
/// and dce not hoisting a unit handler's `Seq` before its `return()` (`ir/src/opt/dce.rs`);
/// the vault's deployment fell from 1.554x to 1.048x and its runtime code from 1.565x to
/// 1.018x, with the two views solc's twin has restored, once `mul_div`, `total_assets` and the
/// asset calls became shared functions instead of copies in each handler (issue 17). INLINE:
/// methods on a storage receiver (`impl Registry { fn move_token(mut self, ..) }`) and
/// functions over storage references were copied into every caller; they are real functions
/// now (the place passed as its slot, `sema/src/real_fns.rs`): the ERC-721's runtime code fell
/// from 3,603 to 2,658 bytes (1.541x to 1.137x solc's) and its deployment from 1.467x to
/// 1.117x; the vault's runtime code from 1.017x to 0.965x and its deployment from 1.048x to
/// 1.000x (`ir/src/opt/const_args.rs` folds the slot every caller passes, the storage root,
/// back into the body). Each call costs the operations that make one about 70 gas.
const KNOWN_OVER: &[(&str, &str, f64, &str)] = &[];

sol! {
    function transfer(address to, uint256 value) returns (bool);
    function approve(address spender, uint256 value) returns (bool);
    function transferFrom(address from, address to, uint256 value) returns (bool);
    function balanceOf(address owner) returns (uint256);
    function allowance(address owner, address spender) returns (uint256);
}

mod nft {
    alloy_sol_types::sol! {
        function mint(address to, uint256 tokenId);
        function ownerOf(uint256 tokenId) returns (address);
        function safeTransferFrom(address from, address to, uint256 tokenId);
        function received() returns (uint256);
    }
}

mod auction {
    alloy_sol_types::sol! {
        function bid();
        function withdraw() returns (uint256);
        function end();
        function pendingReturns(address bidder) returns (uint256);
    }
}

mod vault {
    alloy_sol_types::sol! {
        function deposit(uint256 assets, address receiver) returns (uint256);
        function withdraw(uint256 assets, address receiver, address owner) returns (uint256);
        function redeem(uint256 shares, address receiver, address owner) returns (uint256);
        function totalSupply() returns (uint256);
    }
}

/// One compiled contract: its init code and its runtime code's size.
#[derive(Clone)]
struct Build {
    init: Vec<u8>,
    runtime: usize,
}

/// The five contracts of the table, in its order.
const GROUPS: [&str; 5] = ["Coin", "ERC-20", "ERC-721", "Auction", "ERC-4626 vault"];

/// A corpus package's sources (`src/*.tdm`), compiled; the contract named `name`.
fn corpus(pkg: &str, name: &str) -> Build {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/corpus/{pkg}/src"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tdm"))
        .collect();
    files.sort();
    let srcs: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let file = p.file_name().and_then(|n| n.to_str()).unwrap_or("x.tdm");
            (
                file.to_string(),
                std::fs::read_to_string(p).expect("source"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = srcs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (out, _) = compile(&refs).unwrap_or_else(|e| panic!("{pkg}: {e}"));
    let c = out
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("{pkg}: no contract {name}"));
    Build {
        init: c.init_code.clone(),
        runtime: c.runtime_code.len(),
    }
}

/// The Tandem side of the table, in [`GROUPS`] order.
fn tandem_contracts() -> Vec<Build> {
    let coin_src = include_str!("../../tests/fixtures/coin.tdm");
    let (coin, _) = compile(&[("Coin.tdm", coin_src)]).unwrap_or_else(|e| panic!("{e}"));
    let coin = coin.iter().find(|o| o.name == "Coin").expect("Coin");
    vec![
        Build {
            init: coin.init_code.clone(),
            runtime: coin.runtime_code.len(),
        },
        corpus("erc20", "Token"),
        corpus("erc721", "Nft"),
        corpus("auction", "EnglishAuction"),
        corpus("vault", "Vault"),
    ]
}

/// The Solidity twins compiled by solc-js (via-IR, optimizer, 200 runs), in [`GROUPS`]
/// order; `None` when node/npm are missing outside CI.
fn solc_contracts() -> Option<Vec<Build>> {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("solc-{SOLC}"));
    let modules = tandem_testkit::npm_packages(&cache, &[&format!("solc@{SOLC}")])?;
    let script = tandem_testkit::workspace_dir().join("bench/lang/compile_sol.js");
    let (ok, out) = tandem_testkit::run_for(
        Command::new("node").arg(&script).env("NODE_PATH", &modules),
        Duration::from_secs(300),
    );
    assert!(ok, "compiling the Solidity twins failed:\n{out}");
    let version = json_string(&out, "solc");
    assert!(version.starts_with(SOLC), "solc {version}, expected {SOLC}");
    let build = |name: &str| Build {
        init: hex_decode(&json_string(&out, &format!("{name}_init"))),
        runtime: hex_decode(&json_string(&out, &format!("{name}_runtime"))).len(),
    };
    Some(
        ["Coin", "Token", "ERC721", "Auction", "Vault"]
            .into_iter()
            .map(build)
            .collect(),
    )
}

/// A string field of compile_sol.js's one-line JSON object (`"key":"value"`).
fn json_string(text: &str, key: &str) -> String {
    let pat = format!("\"{key}\":\"");
    let start = text
        .find(&pat)
        .map(|i| i + pat.len())
        .unwrap_or_else(|| panic!("no {key} in compile_sol.js output:\n{text}"));
    let end = text[start..]
        .find('"')
        .map(|e| start + e)
        .unwrap_or_else(|| panic!("unterminated {key} in compile_sol.js output"));
    text[start..end].to_string()
}

fn hex_decode(s: &str) -> Vec<u8> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    assert!(s.len().is_multiple_of(2), "odd-length hex from solc");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex from solc"))
        .collect()
}

fn read<C: SolCall<Return = U256>>(chain: &mut Chain, at: Address, call: C) -> U256 {
    let r = chain.typed(addr(1), at, call);
    r.decode::<C>()
}

/// A transaction that must succeed; its gas.
fn ok<C: SolCall>(chain: &mut Chain, from: Address, at: Address, call: C) -> u64 {
    let r = chain.typed(from, at, call);
    assert!(r.success, "{r:?}");
    r.gas
}

fn deploy(chain: &mut Chain, from: Address, init: &[u8], args: &[u8]) -> (Address, u64) {
    let d = chain.deploy(from, init, args);
    assert!(d.success, "{d:?}");
    (d.created.expect("address"), d.gas)
}

type Rows = Vec<(&'static str, u64)>;

/// The rows of one token on a fresh revm chain: deploy, transfer to a new holder, to an
/// existing holder, and for the ERC-20 approve and transferFrom (a finite allowance, to an
/// existing holder); then the runtime size. The balances are checked, so both contracts are
/// known to do the same work.
fn measure_token(b: &Build, erc20: bool) -> Rows {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let (at, gas) = deploy(&mut chain, alice, &b.init, &U256::from(SUPPLY).abi_encode());
    let mut rows = vec![("deploy", gas)];
    let ten = U256::from(10);
    for row in ["transfer (new holder)", "transfer (existing holder)"] {
        let call = transferCall {
            to: bob,
            value: ten,
        };
        rows.push((row, ok(&mut chain, alice, at, call)));
    }
    if erc20 {
        let call = approveCall {
            spender: carol,
            value: U256::from(1_000),
        };
        rows.push(("approve", ok(&mut chain, alice, at, call)));
        let call = transferFromCall {
            from: alice,
            to: bob,
            value: ten,
        };
        rows.push(("transferFrom", ok(&mut chain, carol, at, call)));
        let call = allowanceCall {
            owner: alice,
            spender: carol,
        };
        assert_eq!(read(&mut chain, at, call), U256::from(990));
    }
    let bob_has = read(&mut chain, at, balanceOfCall { owner: bob });
    assert_eq!(bob_has, U256::from(if erc20 { 30 } else { 20 }));
    rows.push(("runtime size (bytes)", b.runtime as u64));
    rows
}

/// The ERC-721: deploy, mint to a new and to an existing holder, transferFrom by the owner
/// to a new owner, approve, transferFrom by the approved account (to an existing holder),
/// safeTransferFrom to an account and to a receiver contract (the corpus's Tandem
/// `Accepting`, the same on both sides). The owners are checked.
fn measure_nft(b: &Build, receiver: &Build) -> Rows {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let (hook, _) = deploy(&mut chain, alice, &receiver.init, &[]);
    let (at, gas) = deploy(&mut chain, alice, &b.init, &[]);
    let id = |n: u64| U256::from(n);
    let mint = |to, n| nft::mintCall { to, tokenId: id(n) };
    let mut rows = vec![("deploy", gas)];
    rows.push((
        "mint (new holder)",
        ok(&mut chain, alice, at, mint(alice, 1)),
    ));
    rows.push((
        "mint (existing holder)",
        ok(&mut chain, alice, at, mint(alice, 2)),
    ));
    let moved = |from, to, n| transferFromCall {
        from,
        to,
        value: id(n),
    };
    let gas = ok(&mut chain, alice, at, moved(alice, bob, 1));
    rows.push(("transferFrom (owner, new holder)", gas));
    let approve = approveCall {
        spender: carol,
        value: id(2),
    };
    rows.push(("approve", ok(&mut chain, alice, at, approve)));
    let gas = ok(&mut chain, carol, at, moved(alice, bob, 2));
    rows.push(("transferFrom (approved, existing holder)", gas));
    ok(&mut chain, alice, at, mint(alice, 3));
    ok(&mut chain, alice, at, mint(alice, 4));
    let safe = |to, n| nft::safeTransferFromCall {
        from: alice,
        to,
        tokenId: id(n),
    };
    let gas = ok(&mut chain, alice, at, safe(carol, 3));
    rows.push(("safeTransferFrom (to an account)", gas));
    let gas = ok(&mut chain, alice, at, safe(hook, 4));
    rows.push(("safeTransferFrom (to a receiver contract)", gas));
    for (n, owner) in [(1, bob), (2, bob), (3, carol), (4, hook)] {
        let r = chain.typed(alice, at, nft::ownerOfCall { tokenId: id(n) });
        assert_eq!(r.decode::<nft::ownerOfCall>(), owner, "token {n}");
    }
    assert_eq!(read(&mut chain, hook, nft::receivedCall {}), id(1));
    rows.push(("runtime size (bytes)", b.runtime as u64));
    rows
}

/// The auction (carol the beneficiary, 100 seconds): deploy, the first bid, an outbid (the
/// previous bid credited for withdrawal), the outbid bidder's withdraw, and after the end
/// `end` paying the beneficiary. Balances are checked.
fn measure_auction(b: &Build) -> Rows {
    let mut chain = Chain::new();
    let (alice, bob, carol) = (addr(0xa11ce), addr(0xb0b), addr(0xca401));
    let start = 1_700_000_000;
    chain.set_block(7, start, 31337);
    let rich = U256::from(10u64).pow(U256::from(24));
    for who in [alice, bob, carol] {
        chain.fund(who, rich);
    }
    let args = (carol, 100u64).abi_encode_params();
    let (at, gas) = deploy(&mut chain, alice, &b.init, &args);
    let mut rows = vec![("deploy", gas)];
    let bid = |chain: &mut Chain, from, wei: u64| {
        let r = chain.call_value(from, at, auction::bidCall {}.abi_encode(), U256::from(wei));
        assert!(r.success, "{r:?}");
        r.gas
    };
    rows.push(("bid (first)", bid(&mut chain, alice, 1_000)));
    rows.push(("bid (outbid, refund credited)", bid(&mut chain, bob, 1_500)));
    let pending = auction::pendingReturnsCall { bidder: alice };
    assert_eq!(read(&mut chain, at, pending), U256::from(1_000));
    rows.push((
        "withdraw",
        ok(&mut chain, alice, at, auction::withdrawCall {}),
    ));
    chain.set_block(8, start + 100, 31337);
    rows.push((
        "end (pays the beneficiary)",
        ok(&mut chain, bob, at, auction::endCall {}),
    ));
    assert_eq!(chain.balance(carol), rich + U256::from(1_500));
    assert_eq!(chain.balance(at), U256::ZERO);
    rows.push(("runtime size (bytes)", b.runtime as u64));
    rows
}

/// The vault over the corpus ERC-20 (Tandem's, the same on both sides; alice holds the
/// supply and gives the vault an unlimited allowance): deploy, a first deposit, a second
/// deposit, a redeem and a withdraw, all alice's. Shares and assets are checked.
fn measure_vault(b: &Build, asset: &Build) -> Rows {
    let mut chain = Chain::new();
    let alice = addr(0xa11ce);
    let supply = U256::from(SUPPLY).abi_encode();
    let (token, _) = deploy(&mut chain, alice, &asset.init, &supply);
    let (at, gas) = deploy(&mut chain, alice, &b.init, &token.abi_encode());
    let mut rows = vec![("deploy", gas)];
    let allow = approveCall {
        spender: at,
        value: U256::MAX,
    };
    ok(&mut chain, alice, token, allow);
    let n = |v: u64| U256::from(v);
    let deposit = |assets| vault::depositCall {
        assets: n(assets),
        receiver: alice,
    };
    rows.push(("deposit (first)", ok(&mut chain, alice, at, deposit(1_000))));
    rows.push(("deposit (again)", ok(&mut chain, alice, at, deposit(500))));
    let redeem = vault::redeemCall {
        shares: n(300),
        receiver: alice,
        owner: alice,
    };
    rows.push(("redeem", ok(&mut chain, alice, at, redeem)));
    let withdraw = vault::withdrawCall {
        assets: n(200),
        receiver: alice,
        owner: alice,
    };
    rows.push(("withdraw", ok(&mut chain, alice, at, withdraw)));
    assert_eq!(
        read(&mut chain, at, balanceOfCall { owner: alice }),
        n(1_000)
    );
    assert_eq!(read(&mut chain, at, vault::totalSupplyCall {}), n(1_000));
    assert_eq!(
        read(&mut chain, token, balanceOfCall { owner: at }),
        n(1_000)
    );
    rows.push(("runtime size (bytes)", b.runtime as u64));
    rows
}

/// The rows of group `k` (in [`GROUPS`] order) for one side.
fn measure(k: usize, b: &Build, receiver: &Build, asset: &Build) -> Rows {
    match k {
        0 | 1 => measure_token(b, k == 1),
        2 => measure_nft(b, receiver),
        3 => measure_auction(b),
        _ => measure_vault(b, asset),
    }
}

#[test]
fn tandem_gas_is_at_most_solc_via_ir() {
    let Some(theirs) = solc_contracts() else {
        return;
    };
    let ours = tandem_contracts();
    let receiver = corpus("erc721", "Accepting");
    let asset = corpus("erc20", "Token");
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    println!("| contract | row | Tandem | solc {SOLC} via-IR | Tandem/solc |");
    println!("|---|---|---:|---:|---:|");
    for (k, name) in GROUPS.into_iter().enumerate() {
        let t = measure(k, &ours[k], &receiver, &asset);
        let s = measure(k, &theirs[k], &receiver, &asset);
        assert_eq!(t.len(), s.len());
        for ((row, gas), (_, sol)) in t.iter().zip(&s) {
            let ratio = *gas as f64 / *sol as f64;
            let known = KNOWN_OVER.iter().find(|(c, r, ..)| *c == name && r == row);
            let mark = if known.is_some() { " (known)" } else { "" };
            println!("| {name} | {row} | {gas} | {sol} | {ratio:.3}x{mark} |");
            seen.push((name, *row));
            match known {
                None if gas > sol => {
                    failures.push(format!("{name} {row}: {gas} > {sol} ({ratio:.3}x)"));
                }
                Some((.., ceiling, _)) if ratio > *ceiling => failures.push(format!(
                    "{name} {row}: {ratio:.3}x, worse than its KNOWN_OVER ceiling {ceiling}"
                )),
                Some(_) if gas <= sol => failures.push(format!(
                    "{name} {row}: {ratio:.3}x, no longer above solc: remove it from KNOWN_OVER"
                )),
                _ => {}
            }
        }
    }
    for (c, r, ..) in KNOWN_OVER {
        if !seen.iter().any(|(n, row)| n == c && row == r) {
            failures.push(format!("KNOWN_OVER names no row: {c} {r}"));
        }
    }
    assert!(
        failures.is_empty(),
        "rows above 1.0x solc via-IR (or their KNOWN_OVER ceilings):\n{}",
        failures.join("\n")
    );
}
