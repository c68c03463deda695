//! Issue 15, "Ethereum as it is today", through the real node's JSON-RPC: strictly increasing
//! timestamps and the time controls, calls and estimates at `pending` (the next block),
//! senders with code (impersonated or calling), `eth_call` of a creation, and state and block
//! overrides, which never reach the chain. Where cast is installed, the same through cast.

use crate::common;

use alloy_primitives::{Address, U256};
use common::txs::{BY_NUMBER, DEV, ENV, OTHER, SLOTS, deploy, init, run_cast, send};
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};

/// Writes slots 0 and 1 only when the timestamp moved since the last write (as Uniswap v2's
/// `_update` accumulates prices).
const ON_NEW_TIME: &str = "6000544214601557426000556001546001016001555b00";
/// Returns its own balance.
const SELF_BALANCE: &str = "303160005260206000f3";
/// `CREATE` of nothing; returns the new address (which depends on this contract's nonce).
const CREATES: &str = "600060006000f060005260206000f3";

fn err_code(resp: &Value) -> i64 {
    resp["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error: {resp}"))
}

fn latest(c: &Client) -> Value {
    c.call("eth_getBlockByNumber", json!(["latest", false]))
}

/// Two words of a 64-byte return.
fn words(v: &Value) -> (u64, u64) {
    let hex = v.as_str().unwrap().trim_start_matches("0x");
    assert_eq!(hex.len(), 128, "{v}");
    let word = |s: &str| u64::from_str_radix(&s[48..], 16).unwrap();
    (word(&hex[..64]), word(&hex[64..]))
}

#[test]
fn timestamps_strictly_increase_and_the_time_controls_agree() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    // Many blocks within one second: each a second after the last.
    let mut last = hex_u64(&latest(&c)["timestamp"]);
    for _ in 0..5 {
        c.call("evm_mine", json!([]));
        let ts = hex_u64(&latest(&c)["timestamp"]);
        assert!(ts > last, "{ts} after {last}");
        last = ts;
    }
    c.call("hardhat_mine", json!(["0x3"]));
    let ts = hex_u64(&latest(&c)["timestamp"]);
    assert!(ts >= last + 3, "hardhat_mine: {ts} after {last}");
    last = ts;
    // A next timestamp equal to the last is refused, as Ethereum and Hardhat refuse it.
    let e = c.request("evm_setNextBlockTimestamp", json!([last]));
    assert_eq!(err_code(&e), -32000, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lower than or equal to the previous block's timestamp"),
        "{e}"
    );
    // A set timestamp: calls at pending see it (and the next number), latest does not.
    let env = deploy(&c, ENV);
    let mined_at = hex_u64(&latest(&c)["timestamp"]);
    let number = hex_u64(&c.call("eth_blockNumber", json!([])));
    let target = mined_at + 1_000;
    c.call("evm_setNextBlockTimestamp", json!([target]));
    let at_latest = words(&c.call("eth_call", json!([{"to": env}, "latest"])));
    assert_eq!(at_latest, (number, mined_at));
    let at_pending = words(&c.call("eth_call", json!([{"to": env}, "pending"])));
    assert_eq!(at_pending, (number + 1, target));
    c.call("evm_mine", json!([]));
    assert_eq!(hex_u64(&latest(&c)["timestamp"]), target);
    // Later blocks go on from it.
    c.call("evm_mine", json!([]));
    let after = hex_u64(&latest(&c)["timestamp"]);
    assert!((target + 1..target + 60).contains(&after), "{after}");
    // evm_increaseTime moves the next block, and pending calls see the move.
    c.call("evm_increaseTime", json!([3_600]));
    let (_, pending_ts) = words(&c.call("eth_call", json!([{"to": env}, "pending"])));
    assert!(
        pending_ts >= target + 3_600 && pending_ts > after,
        "{pending_ts}"
    );
    c.call("evm_mine", json!([]));
    let moved = hex_u64(&latest(&c)["timestamp"]);
    assert!(moved >= pending_ts && moved <= pending_ts + 60, "{moved}");
    // anvil_mine with an interval keeps it between the blocks it mines.
    c.call("anvil_mine", json!(["0x3", "0xa"]));
    let top = hex_u64(&latest(&c)["number"]);
    let ts = |n: u64| {
        hex_u64(&c.call("eth_getBlockByNumber", json!([format!("0x{n:x}"), false]))["timestamp"])
    };
    assert!(ts(top - 2) > moved);
    assert_eq!(ts(top - 1), ts(top - 2) + 10);
    assert_eq!(ts(top), ts(top - 1) + 10);
    // Block overrides of a call.
    let overridden = c.call(
        "eth_call",
        json!([{"to": env}, "latest", {}, {"number": "0x99", "time": "0x1234"}]),
    );
    assert_eq!(words(&overridden), (0x99, 0x1234));
}

#[test]
fn estimates_hold_for_the_block_they_are_mined_in() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    for runtime in [BY_NUMBER, ON_NEW_TIME] {
        let contract = deploy(&c, runtime);
        // A first write in the latest block: estimating there would find the cheap path.
        let first = send(&c, json!({"from": DEV, "to": contract}));
        assert_eq!(first["status"], json!("0x1"), "{first}");
        let req = json!({"from": DEV, "to": contract});
        let estimate = hex_u64(&c.call("eth_estimateGas", json!([req])));
        let again = hex_u64(&c.call("eth_estimateGas", json!([req, "pending"])));
        assert_eq!(estimate, again, "a stable estimate");
        // Estimated in the latest block, both would skip their costly writes.
        assert!(estimate > 30_000, "{runtime}: {estimate} covers the writes");
        let mined = send(
            &c,
            json!({"from": DEV, "to": contract, "gas": format!("0x{estimate:x}")}),
        );
        assert_eq!(mined["status"], json!("0x1"), "{runtime}: {mined}");
        assert!(hex_u64(&mined["gasUsed"]) <= estimate);
        // Filled by the node: the same estimate.
        let filled = send(&c, json!({"from": DEV, "to": contract}));
        assert_eq!(filled["status"], json!("0x1"), "{runtime}: {filled}");
    }
}

#[test]
fn senders_with_code_call_estimate_and_send_when_impersonated() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let contract = deploy(&c, ENV);
    c.call("anvil_setBalance", json!([contract, "0xde0b6b3a7640000"]));
    // eth_call and eth_estimateGas from an address with code, impersonated or not.
    let call = c.call(
        "eth_call",
        json!([{"from": contract, "to": OTHER, "value": "0x1"}]),
    );
    assert_eq!(call, json!("0x"));
    let gas = hex_u64(&c.call(
        "eth_estimateGas",
        json!([{"from": contract, "to": OTHER, "value": "0x1"}]),
    ));
    assert_eq!(gas, 21_000);
    // Sending needs impersonation.
    let refused = c.request(
        "eth_sendTransaction",
        json!([{"from": contract, "to": OTHER, "value": "0x1"}]),
    );
    assert_eq!(err_code(&refused), -32000, "{refused}");
    let before = c.call("eth_getBalance", json!([OTHER, "latest"]));
    for method in ["hardhat_impersonateAccount", "anvil_impersonateAccount"] {
        c.call(method, json!([contract]));
        let receipt = send(&c, json!({"from": contract, "to": OTHER, "value": "0x5"}));
        assert_eq!(receipt["status"], json!("0x1"), "{method}: {receipt}");
    }
    let after = c.call("eth_getBalance", json!([OTHER, "latest"]));
    let diff = after.as_str().map(|s| s.parse::<U256>().unwrap()).unwrap()
        - before.as_str().map(|s| s.parse::<U256>().unwrap()).unwrap();
    assert_eq!(diff, U256::from(10));
    // The contract keeps its code; its nonce counts the two transactions.
    assert_eq!(
        c.call("eth_getCode", json!([contract, "latest"])),
        json!(format!("0x{ENV}"))
    );
    assert_eq!(
        hex_u64(&c.call("eth_getTransactionCount", json!([contract, "latest"]))),
        3
    );
    c.call("hardhat_stopImpersonatingAccount", json!([contract]));
    c.call("anvil_stopImpersonatingAccount", json!([contract]));
    let refused = c.request(
        "eth_sendTransaction",
        json!([{"from": contract, "to": OTHER, "value": "0x1"}]),
    );
    assert_eq!(err_code(&refused), -32000, "{refused}");
}

#[test]
fn a_call_that_creates_answers_the_runtime_code() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let code = c.call("eth_call", json!([{"from": DEV, "data": init(ENV)}]));
    assert_eq!(code, json!(format!("0x{ENV}")));
    // Without a sender too; and the estimate of the deployment.
    let code = c.call("eth_call", json!([{"data": init(SLOTS)}, "pending"]));
    assert_eq!(code, json!(format!("0x{SLOTS}")));
    let gas = hex_u64(&c.call("eth_estimateGas", json!([{"from": DEV, "data": init(ENV)}])));
    assert!(gas > 53_000, "{gas}");
    // Nothing was deployed.
    let would_be = DEV.parse::<Address>().unwrap().create(0);
    assert_eq!(
        c.call("eth_getCode", json!([would_be, "latest"])),
        json!("0x")
    );
    assert_eq!(
        c.call("eth_getTransactionCount", json!([DEV, "latest"])),
        json!("0x0")
    );
}

#[test]
fn state_overrides_apply_to_the_call_only() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let target = "0x1000000000000000000000000000000000000001";
    c.call("anvil_setCode", json!([target, format!("0x{SLOTS}")]));
    c.call("anvil_setStorageAt", json!([target, "0x0", word(7)]));
    c.call("anvil_setStorageAt", json!([target, "0x1", word(8)]));
    let chain_before = chain_view(&c, target);

    let call = |overrides: Value| c.call("eth_call", json!([{"to": target}, "latest", overrides]));
    assert_eq!(words(&call(json!({}))), (7, 8));
    assert_eq!(
        words(&call(json!({ target: {"stateDiff": {word(1): word(9)}} }))),
        (7, 9)
    );
    assert_eq!(
        words(&call(json!({ target: {"state": {word(1): word(9)}} }))),
        (0, 9)
    );
    // Code where there was none (`cast call --override-code`), and a balance.
    let empty = "0x2000000000000000000000000000000000000002";
    let out = c.call(
        "eth_call",
        json!([{"to": empty}, "latest", { empty: {"code": format!("0x{SELF_BALANCE}"), "balance": "0x1234"} }]),
    );
    assert_eq!(
        U256::from_str_radix(&out.as_str().unwrap()[2..], 16).unwrap(),
        U256::from(0x1234)
    );
    // A nonce: the address CREATE picks follows it.
    let creator: Address = "0x3000000000000000000000000000000000000003"
        .parse()
        .unwrap();
    let out = c.call(
        "eth_call",
        json!([{"to": creator}, "pending", { creator.to_string(): {"code": format!("0x{CREATES}"), "nonce": "0x5"} }]),
    );
    let created = Address::from_slice(&hex::decode(&out.as_str().unwrap()[26..]).unwrap());
    assert_eq!(created, creator.create(5));
    // Estimates take them too: a sender with no funds made rich.
    let poor = "0x4000000000000000000000000000000000000004";
    let req = json!({"from": poor, "to": OTHER, "value": "0xde0b6b3a7640000"});
    let e = c.request("eth_estimateGas", json!([req]));
    assert!(e.get("error").is_some(), "{e}");
    let gas = c.call(
        "eth_estimateGas",
        json!([req, "latest", { poor: {"balance": "0x56bc75e2d63100000"} }]),
    );
    assert_eq!(hex_u64(&gas), 21_000);

    // Malformed or unknown overrides are -32602, never ignored.
    for bad in [
        json!({ target: {"balanse": "0x1"} }),
        json!({ target: {"movePrecompileToAddress": OTHER} }),
        json!({ target: {"state": {}, "stateDiff": {}} }),
        json!({ target: {"code": "0xzz"} }),
        json!({ target: {"stateDiff": {"0x01": word(1)}} }),
        json!({ "0x1234": {"balance": "0x1"} }),
        json!({ "0xff00000000000000000000000000000000000001": {"balance": "0x1"} }),
        json!("0x"),
    ] {
        let e = c.request("eth_call", json!([{"to": target}, "latest", bad]));
        assert_eq!(err_code(&e), -32602, "{bad}: {e}");
        let e = c.request("eth_estimateGas", json!([{"to": target}, "latest", bad]));
        assert_eq!(err_code(&e), -32602, "{bad}: {e}");
    }
    for bad in [
        json!({"beaconRoot": format!("0x{}", "00".repeat(32))}),
        json!({"gasLimit": "0x0"}),
        json!({"withdrawals": []}),
        json!({"time": "soon"}),
        json!([1]),
    ] {
        let e = c.request("eth_call", json!([{"to": target}, "latest", {}, bad]));
        assert_eq!(err_code(&e), -32602, "{bad}: {e}");
    }

    // The chain saw none of it, and goes on mining.
    assert_eq!(chain_view(&c, target), chain_before);
    for addr in [empty, poor, &creator.to_string()] {
        assert_eq!(c.call("eth_getCode", json!([addr, "latest"])), json!("0x"));
        assert_eq!(
            c.call("eth_getBalance", json!([addr, "latest"])),
            json!("0x0")
        );
    }
    let receipt = send(&c, json!({"from": DEV, "to": target}));
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(words(&call(json!({}))), (7, 8));
}

fn word(n: u64) -> String {
    format!("0x{n:064x}")
}

/// What the chain holds of `addr`, and its head.
fn chain_view(c: &Client, addr: &str) -> Value {
    json!([
        latest(c)["stateRoot"],
        latest(c)["number"],
        c.call("eth_getCode", json!([addr, "latest"])),
        c.call("eth_getBalance", json!([addr, "latest"])),
        c.call("eth_getStorageAt", json!([addr, "0x0", "latest"])),
        c.call("eth_getStorageAt", json!([addr, "0x1", "latest"])),
    ])
}

#[test]
fn cast_overrides_and_pending_calls() {
    let Some(cast) = tandem_testkit::cast() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let url = node.url();
    let empty = "0x2000000000000000000000000000000000000002";
    let code = format!("{empty}:0x{SELF_BALANCE}");
    let balance = format!("{empty}:4660");
    let out = run_cast(
        &cast,
        &[
            "call",
            "--rpc-url",
            &url,
            empty,
            "--override-code",
            &code,
            "--override-balance",
            &balance,
        ],
    );
    assert_eq!(out, format!("0x{:064x}", 4660));
    let env = deploy(&c, ENV);
    let out = run_cast(
        &cast,
        &[
            "call",
            "--rpc-url",
            &url,
            &env,
            "--block.number",
            "77",
            "--block.time",
            "88",
        ],
    );
    assert_eq!(out, format!("0x{:064x}{:064x}", 77, 88));
    // A contract sender through cast (it sends `from` as given).
    let out = run_cast(
        &cast,
        &[
            "call",
            "--rpc-url",
            &url,
            "--from",
            &env,
            &env,
            "--block",
            "pending",
        ],
    );
    let number = hex_u64(&c.call("eth_blockNumber", json!([])));
    assert_eq!(u64::from_str_radix(&out[50..66], 16).unwrap(), number + 1);
    let gas = run_cast(
        &cast,
        &["estimate", "--rpc-url", &url, "--from", &env, OTHER],
    );
    assert_eq!(gas, "21000");
    // The chain is untouched.
    assert_eq!(c.call("eth_getCode", json!([empty, "latest"])), json!("0x"));
}

/// Returns (GASLIMIT, COINBASE, BLOBBASEFEE).
const BLOCK_ENV: &str = "45600052416020524a60405260606000f3";

/// A word as 64 hex digits, without `0x`.
fn hex64(n: u64) -> String {
    format!("{n:064x}")
}

/// Returns the balance of `addr`.
fn balance_of(addr: &str) -> String {
    format!("73{}3160005260206000f3", addr.trim_start_matches("0x"))
}

#[test]
fn simulate_block_overrides_gas_limit_fee_recipient_withdrawals_and_blob_fee() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let env = "0x1000000000000000000000000000000000000001";
    let recipient = "0x5000000000000000000000000000000000000005";
    let withdrawn = "0x6000000000000000000000000000000000000006";
    let recipient_balance = "0x1000000000000000000000000000000000000002";
    let withdrawn_balance = "0x1000000000000000000000000000000000000003";
    let history = "0x0000f90827f1c53a10cb7a02335b175320002935";
    let n = hex_u64(&latest(&c)["number"]);
    let withdrawal = json!({"index": "0x0", "validatorIndex": "0x7", "address": withdrawn,
                            "amount": "0x3b9aca00"});
    let payload = json!({
        "blockStateCalls": [
            {
                "blockOverrides": {"gasLimit": "0x2faf080", "feeRecipient": recipient,
                                   "blobBaseFee": "0x7", "withdrawals": [withdrawal]},
                "stateOverrides": {
                    env: {"code": format!("0x{BLOCK_ENV}")},
                    recipient_balance: {"code": format!("0x{}", balance_of(recipient))},
                    withdrawn_balance: {"code": format!("0x{}", balance_of(withdrawn))},
                },
                "calls": [
                    {"from": DEV, "to": env},
                    {"from": DEV, "to": OTHER, "maxFeePerGas": "0x77359400",
                     "maxPriorityFeePerGas": "0x3b9aca00"},
                    {"from": DEV, "to": withdrawn_balance},
                ]
            },
            {
                "calls": [
                    {"from": DEV, "to": env},
                    {"from": DEV, "to": withdrawn_balance},
                    {"from": DEV, "to": recipient_balance},
                    {"from": DEV, "to": history, "input": word(n + 1)},
                ]
            }
        ],
        "validation": true
    });
    let out = c.call("eth_simulateV1", json!([payload, "latest"]));
    let blocks = out.as_array().unwrap();
    let ret = |i: usize, j: usize| {
        let call = &blocks[i]["calls"][j];
        assert_eq!(call["status"], json!("0x1"), "{call}");
        call["returnData"].as_str().unwrap().to_string()
    };
    let word_at =
        |hex: &str, k: usize| hex.trim_start_matches("0x")[64 * k..64 * (k + 1)].to_string();
    // Block 1 runs with the overrides, and its header shows them.
    let env1 = ret(0, 0);
    assert_eq!(word_at(&env1, 0), hex64(50_000_000));
    assert_eq!(word_at(&env1, 1), format!("{:0>64}", &recipient[2..]));
    assert_eq!(word_at(&env1, 2), hex64(7));
    assert_eq!(hex_u64(&blocks[0]["gasLimit"]), 50_000_000);
    assert_eq!(blocks[0]["miner"], json!(recipient));
    let root =
        alloy_consensus::proofs::calculate_withdrawals_root(&[
            serde_json::from_value(withdrawal).unwrap()
        ]);
    assert_eq!(blocks[0]["withdrawalsRoot"], json!(root));
    // Withdrawals are credited at the block's end: not yet seen inside it, seen after.
    assert_eq!(ret(0, 2), word(0));
    assert_eq!(
        U256::from_str_radix(&ret(1, 1)[2..], 16).unwrap(),
        U256::from(1_000_000_000u64) * U256::from(1_000_000_000u64)
    );
    // The fee recipient got the priority fee of the transfer: 21,000 × 1 gwei.
    assert_eq!(
        U256::from_str_radix(&ret(1, 2)[2..], 16).unwrap(),
        U256::from(21_000u64 * 1_000_000_000)
    );
    // Block 2 is back to the chain's own environment.
    let env2 = ret(1, 0);
    assert_eq!(word_at(&env2, 0), hex64(30_000_000));
    assert_ne!(word_at(&env2, 1), format!("{:0>64}", &recipient[2..]));
    assert_eq!(hex_u64(&blocks[1]["gasLimit"]), 30_000_000);
    // Simulated blocks write their parent's hash into the EIP-2935 history too.
    assert_eq!(ret(1, 3), blocks[0]["hash"].as_str().unwrap());

    // eth_call takes the same block overrides, but no withdrawals; limits are checked.
    let call = c.call(
        "eth_call",
        json!([{"to": env}, "latest", {env: {"code": format!("0x{BLOCK_ENV}")}},
               {"gasLimit": "0x1c9c380", "coinbase": recipient, "blobBaseFee": "0x9"}]),
    );
    let call = call.as_str().unwrap();
    assert_eq!(word_at(call, 0), hex64(30_000_000));
    assert_eq!(word_at(call, 1), format!("{:0>64}", &recipient[2..]));
    assert_eq!(word_at(call, 2), hex64(9));
    let refused = c.request(
        "eth_call",
        json!([{"to": env}, "latest", {}, {"withdrawals": []}]),
    );
    assert_eq!(err_code(&refused), -32602, "{refused}");
    let too_big = c.request(
        "eth_simulateV1",
        json!([{"blockStateCalls": [{"blockOverrides": {"gasLimit": "0xffffffffffff"}}]}]),
    );
    assert_eq!(err_code(&too_big), -32602, "{too_big}");
}
