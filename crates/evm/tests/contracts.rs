//! Real third-party contracts (OpenZeppelin 4.9.6, Uniswap v2), byte-for-byte from the
//! fixtures, deployed and driven by signed Ethereum transactions through the executor.

use crate::common;

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue, sol};
use common::{Chain, artifacts, bytecode};

sol! {
    function name() external view returns (string);
    function symbol() external view returns (string);
    function totalSupply() external view returns (uint256);
    function balanceOf(address) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function approve(address spender, uint256 amount) external returns (bool);
    function allowance(address owner, address spender) external view returns (uint256);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function ownerOf(uint256 tokenId) external view returns (address);
    function upgrade(address proxy, address implementation) external;
    function getProxyImplementation(address proxy) external view returns (address);
    function createPair(address tokenA, address tokenB) external returns (address);
    function getPair(address, address) external view returns (address);
    function getReserves() external view returns (uint112, uint112, uint32);
    function deposit() external payable;
    function addLiquidity(address tokenA, address tokenB, uint amountADesired, uint amountBDesired, uint amountAMin, uint amountBMin, address to, uint deadline) external returns (uint, uint, uint);
    function addLiquidityETH(address token, uint amountTokenDesired, uint amountTokenMin, uint amountETHMin, address to, uint deadline) external payable returns (uint, uint, uint);
    function swapExactTokensForTokens(uint amountIn, uint amountOutMin, address[] path, address to, uint deadline) external returns (uint[]);
    function swapExactETHForTokens(uint amountOutMin, address[] path, address to, uint deadline) external payable returns (uint[]);
    function getAmountsOut(uint amountIn, address[] path) external view returns (uint[]);
}

mod erc20_mint {
    alloy_sol_types::sol! { function mint(address to, uint256 amount) external; }
}
mod erc721_mint {
    alloy_sol_types::sol! { function mint(address to) external; }
}
mod erc1155 {
    alloy_sol_types::sol! {
        function mint(address to, uint256 id, uint256 amount, bytes data) external;
        function balanceOf(address account, uint256 id) external view returns (uint256);
        function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes data) external;
    }
}

fn transfer_topic() -> B256 {
    keccak256("Transfer(address,address,uint256)")
}

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

fn balance_of(chain: &mut Chain, token: Address, who: Address) -> U256 {
    let out = chain.call_ok(0, token, balanceOfCall(who).abi_encode());
    U256::abi_decode(&out).expect("uint")
}

/// Decodes `Error(string)` revert data.
fn revert_reason(data: &[u8]) -> String {
    assert_eq!(&data[..4], &[0x08, 0xc3, 0x79, 0xa0], "not Error(string)");
    String::abi_decode(&data[4..]).expect("string")
}

#[test]
fn openzeppelin_erc20_mint_transfer_approve_and_revert() {
    let Some(dir) = artifacts() else { return };
    let mut chain = Chain::new(3);
    let code = bytecode(
        &dir,
        "openzeppelin-contracts-4.9.6/ERC20PresetMinterPauser.json",
    );
    let token = chain.deploy(
        0,
        &code,
        &("Tandem Token".to_string(), "TDM".to_string()).abi_encode_params(),
    );
    let (alice, bob, carol) = (chain.address(0), chain.address(1), chain.address(2));

    let out = chain.call_ok(0, token, nameCall {}.abi_encode());
    assert_eq!(String::abi_decode(&out).unwrap(), "Tandem Token");

    let r = chain.send(
        0,
        token,
        erc20_mint::mintCall {
            to: alice,
            amount: eth(1000),
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(r.success);
    assert_eq!(r.logs.len(), 1);
    assert_eq!(r.logs[0].address, token.into_array());
    assert_eq!(r.logs[0].topics[0], transfer_topic());
    assert_eq!(
        r.logs[0].topics[1],
        B256::ZERO,
        "minted from the zero address"
    );

    let r = chain.send(
        0,
        token,
        transferCall {
            to: bob,
            amount: eth(10),
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(r.success);
    assert_eq!(U256::from_be_slice(&r.logs[0].data), eth(10));
    assert_eq!(balance_of(&mut chain, token, bob), eth(10));
    assert_eq!(balance_of(&mut chain, token, alice), eth(990));

    // bob may spend 5 of alice's tokens, and spends 3 of them on carol.
    chain.call_ok(
        0,
        token,
        approveCall {
            spender: bob,
            amount: eth(5),
        }
        .abi_encode(),
    );
    chain.call_ok(
        1,
        token,
        transferFromCall {
            from: alice,
            to: carol,
            amount: eth(3),
        }
        .abi_encode(),
    );
    assert_eq!(balance_of(&mut chain, token, carol), eth(3));
    let out = chain.call_ok(
        0,
        token,
        allowanceCall {
            owner: alice,
            spender: bob,
        }
        .abi_encode(),
    );
    assert_eq!(U256::abi_decode(&out).unwrap(), eth(2));

    // Over the allowance: the revert string comes back and nothing moves.
    let r = chain.send(
        1,
        token,
        transferFromCall {
            from: alice,
            to: carol,
            amount: eth(3),
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(!r.success);
    assert_eq!(revert_reason(&r.output), "ERC20: insufficient allowance");
    assert!(r.logs.is_empty());
    assert_eq!(balance_of(&mut chain, token, carol), eth(3));

    // Only the minter role may mint.
    let r = chain.send(
        1,
        token,
        erc20_mint::mintCall {
            to: bob,
            amount: eth(1),
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(!r.success);
    assert!(revert_reason(&r.output).contains("must have minter role"));
}

#[test]
fn openzeppelin_erc721_and_erc1155() {
    let Some(dir) = artifacts() else { return };
    let mut chain = Chain::new(2);
    let (alice, bob) = (chain.address(0), chain.address(1));
    let code = bytecode(
        &dir,
        "openzeppelin-contracts-4.9.6/ERC721PresetMinterPauserAutoId.json",
    );
    let args = (
        "Tandem NFT".to_string(),
        "TNFT".to_string(),
        "https://t.example/".to_string(),
    )
        .abi_encode_params();
    let nft = chain.deploy(0, &code, &args);
    let r = chain.send(
        0,
        nft,
        erc721_mint::mintCall { to: bob }.abi_encode(),
        U256::ZERO,
    );
    assert!(r.success);
    assert_eq!(r.logs[0].topics[0], transfer_topic());
    assert_eq!(r.logs[0].topics[3], B256::ZERO, "token id 0");
    let out = chain.call_ok(
        0,
        nft,
        ownerOfCall {
            tokenId: U256::ZERO,
        }
        .abi_encode(),
    );
    assert_eq!(Address::abi_decode(&out).unwrap(), bob);
    let r = chain.send(
        0,
        nft,
        ownerOfCall {
            tokenId: U256::from(7),
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(!r.success);
    assert_eq!(revert_reason(&r.output), "ERC721: invalid token ID");

    let code = bytecode(
        &dir,
        "openzeppelin-contracts-4.9.6/ERC1155PresetMinterPauser.json",
    );
    let multi = chain.deploy(
        0,
        &code,
        &("https://t.example/{id}".to_string(),).abi_encode_params(),
    );
    let mint = erc1155::mintCall {
        to: alice,
        id: U256::from(1),
        amount: U256::from(100),
        data: Default::default(),
    };
    let r = chain.send(0, multi, mint.abi_encode(), U256::ZERO);
    assert!(r.success);
    assert_eq!(
        r.logs[0].topics[0],
        keccak256("TransferSingle(address,address,address,uint256,uint256)")
    );
    let transfer = erc1155::safeTransferFromCall {
        from: alice,
        to: bob,
        id: U256::from(1),
        amount: U256::from(40),
        data: Default::default(),
    };
    chain.call_ok(0, multi, transfer.abi_encode());
    let out = chain.call_ok(
        0,
        multi,
        erc1155::balanceOfCall {
            account: bob,
            id: U256::from(1),
        }
        .abi_encode(),
    );
    assert_eq!(U256::abi_decode(&out).unwrap(), U256::from(40));
}

#[test]
fn openzeppelin_transparent_proxy_upgrade_keeps_storage() {
    let Some(dir) = artifacts() else { return };
    let mut chain = Chain::new(2);
    let (alice, bob) = (chain.address(0), chain.address(1));
    let erc20 = bytecode(
        &dir,
        "openzeppelin-contracts-4.9.6/ERC20PresetMinterPauser.json",
    );
    let v1 = chain.deploy(
        0,
        &erc20,
        &("V1".to_string(), "V1".to_string()).abi_encode_params(),
    );
    let v2 = chain.deploy(
        0,
        &erc20,
        &("V2".to_string(), "V2".to_string()).abi_encode_params(),
    );
    let admin = chain.deploy(
        0,
        &bytecode(&dir, "openzeppelin-contracts-4.9.6/ProxyAdmin.json"),
        &[],
    );
    let proxy_code = bytecode(
        &dir,
        "openzeppelin-contracts-4.9.6/TransparentUpgradeableProxy.json",
    );
    let proxy = chain.deploy(
        0,
        &proxy_code,
        &(v1, admin, alloy_primitives::Bytes::new()).abi_encode_params(),
    );

    // The proxy's storage is written through v1's code (no initializer ran, so the balance
    // map is empty until alice mints... which needs the role; use transfer of nothing instead).
    let r = chain.send(
        1,
        proxy,
        transferCall {
            to: alice,
            amount: U256::ZERO,
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(
        r.success,
        "a zero transfer through the proxy works: {:?}",
        r.failure
    );
    assert_eq!(r.logs.len(), 1, "Transfer emitted by the proxy");
    assert_eq!(r.logs[0].address, proxy.into_array());

    // Storage written through the proxy survives the upgrade.
    let raw_slot = chain.call_ok(1, proxy, totalSupplyCall {}.abi_encode());
    assert_eq!(U256::abi_decode(&raw_slot).unwrap(), U256::ZERO);
    chain.call_ok(
        0,
        admin,
        upgradeCall {
            proxy,
            implementation: v2,
        }
        .abi_encode(),
    );
    let out = chain.call_ok(0, admin, getProxyImplementationCall { proxy }.abi_encode());
    assert_eq!(Address::abi_decode(&out).unwrap(), v2);
    let r = chain.send(
        1,
        proxy,
        approveCall {
            spender: bob,
            amount: eth(7),
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(r.success);
    chain.call_ok(
        0,
        admin,
        upgradeCall {
            proxy,
            implementation: v1,
        }
        .abi_encode(),
    );
    let out = chain.call_ok(
        1,
        proxy,
        allowanceCall {
            owner: bob,
            spender: bob,
        }
        .abi_encode(),
    );
    assert_eq!(
        U256::abi_decode(&out).unwrap(),
        eth(7),
        "allowance kept across upgrades"
    );
    // Only the ProxyAdmin's owner may upgrade.
    let r = chain.send(
        1,
        admin,
        upgradeCall {
            proxy,
            implementation: v2,
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(!r.success);
    assert_eq!(revert_reason(&r.output), "Ownable: caller is not the owner");
    let _ = alice;
}

const UNISWAP_INIT_CODE_HASH: &str =
    "96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f";

#[test]
fn uniswap_v2_pairs_liquidity_and_swaps() {
    let Some(dir) = artifacts() else { return };
    let mut chain = Chain::new(2);
    let alice = chain.address(0);
    let token_code = bytecode(&dir, "uniswap-v2-core-1.0.1/ERC20.json");
    let a = chain.deploy(0, &token_code, &eth(1_000_000).abi_encode());
    let b = chain.deploy(0, &token_code, &eth(1_000_000).abi_encode());
    let factory = chain.deploy(
        0,
        &bytecode(&dir, "uniswap-v2-core-1.0.1/UniswapV2Factory.json"),
        &alice.abi_encode(),
    );

    // createPair lands at the CREATE2 address the init-code hash predicts.
    let r = chain.send(
        0,
        factory,
        createPairCall {
            tokenA: a,
            tokenB: b,
        }
        .abi_encode(),
        U256::ZERO,
    );
    assert!(r.success, "{:?}", r.failure);
    let pair = Address::abi_decode(&r.output).unwrap();
    let (t0, t1) = if a < b { (a, b) } else { (b, a) };
    let mut salt_input = t0.to_vec();
    salt_input.extend_from_slice(t1.as_slice());
    let salt = keccak256(&salt_input);
    let hash: [u8; 32] = hex::decode(UNISWAP_INIT_CODE_HASH)
        .unwrap()
        .try_into()
        .unwrap();
    let predicted =
        tandem_evm::address::create2_address_from_hash(&factory.into_array(), &salt.0, &hash);
    assert_eq!(pair.into_array(), predicted);

    let weth = chain.deploy(
        0,
        &bytecode(&dir, "uniswap-v2-periphery-1.1.0-beta.0/WETH9.json"),
        &[],
    );
    let router_code = bytecode(
        &dir,
        "uniswap-v2-periphery-1.1.0-beta.0/UniswapV2Router02.json",
    );
    let router = chain.deploy(0, &router_code, &(factory, weth).abi_encode_params());
    let deadline = U256::from(u64::MAX);
    for t in [a, b] {
        chain.call_ok(
            0,
            t,
            approveCall {
                spender: router,
                amount: U256::MAX,
            }
            .abi_encode(),
        );
    }
    let add = addLiquidityCall {
        tokenA: a,
        tokenB: b,
        amountADesired: eth(10_000),
        amountBDesired: eth(20_000),
        amountAMin: U256::ZERO,
        amountBMin: U256::ZERO,
        to: alice,
        deadline,
    };
    chain.call_ok(0, router, add.abi_encode());
    let out = chain.call_ok(0, pair, getReservesCall {}.abi_encode());
    let (r0, r1, _) = <(U256, U256, U256)>::abi_decode(&out).unwrap();
    let (ra, rb) = if a == t0 { (r0, r1) } else { (r1, r0) };
    assert_eq!((ra, rb), (eth(10_000), eth(20_000)));

    // Swap 100 A for B: the router's quote and the received amount agree.
    let path = vec![a, b];
    let out = chain.call_ok(
        0,
        router,
        getAmountsOutCall {
            amountIn: eth(100),
            path: path.clone(),
        }
        .abi_encode(),
    );
    let quote = <Vec<U256>>::abi_decode(&out).unwrap()[1];
    let expected = eth(100) * U256::from(997) * eth(20_000)
        / (eth(10_000) * U256::from(1000) + eth(100) * U256::from(997));
    assert_eq!(quote, expected);
    let bob = chain.address(1);
    let swap = swapExactTokensForTokensCall {
        amountIn: eth(100),
        amountOutMin: quote,
        path,
        to: bob,
        deadline,
    };
    let r = chain.send(0, router, swap.abi_encode(), U256::ZERO);
    assert!(r.success, "{:?}", r.failure);
    assert_eq!(balance_of(&mut chain, b, bob), quote);

    // ETH pairs through WETH.
    let add_eth = addLiquidityETHCall {
        token: a,
        amountTokenDesired: eth(5_000),
        amountTokenMin: U256::ZERO,
        amountETHMin: U256::ZERO,
        to: alice,
        deadline,
    };
    let r = chain.send(0, router, add_eth.abi_encode(), eth(50));
    assert!(r.success, "{:?}", r.failure);
    let out = chain.call_ok(0, factory, getPairCall { _0: weth, _1: a }.abi_encode());
    let eth_pair = Address::abi_decode(&out).unwrap();
    assert_ne!(eth_pair, Address::ZERO);
    assert_eq!(balance_of(&mut chain, weth, eth_pair), eth(50));
    let swap = swapExactETHForTokensCall {
        amountOutMin: U256::ZERO,
        path: vec![weth, a],
        to: bob,
        deadline,
    };
    let r = chain.send(1, router, swap.abi_encode(), eth(1));
    assert!(r.success, "{:?}", r.failure);
    assert!(balance_of(&mut chain, a, bob) > U256::ZERO);
    assert_eq!(balance_of(&mut chain, weth, eth_pair), eth(51));
}
