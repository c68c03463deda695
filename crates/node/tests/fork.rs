//! Fork mode end to end: a forked node reads accounts, code and storage lazily from a second
//! Tandem node at the fork block, writes stay on the fork, and a remote that cannot be
//! reached is a clear error.

use crate::common;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_sol_types::SolValue;
use common::{Client, TestNode, hex_u64};
use serde_json::{Value, json};
use tandem_node::accounts::{DevAccount, dev_accounts};
use tandem_node::fork::ForkConfig;
use tandem_node::{Node, NodeConfig};

const ETH: u64 = 1_000_000_000_000_000_000;

fn send(c: &Client, from: &DevAccount, to: TxKind, value: U256, input: Vec<u8>) -> Value {
    let nonce = hex_u64(&c.call("eth_getTransactionCount", json!([from.address, "pending"])));
    let chain_id = hex_u64(&c.call("eth_chainId", json!([])));
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 3_000_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value,
        access_list: Default::default(),
        input: Bytes::from(input),
    };
    let sig = from.sign_hash(&tx.signature_hash()).unwrap();
    let env: TxEnvelope = tx.into_signed(sig).into();
    let raw = format!("0x{}", hex::encode(env.encoded_2718()));
    let hash = c.call("eth_sendRawTransaction", json!([raw]));
    let receipt = c.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt
}

fn token_transfer(
    c: &Client,
    from: &DevAccount,
    token: Address,
    to: Address,
    amount: U256,
) -> Value {
    let mut data = hex::decode("a9059cbb").unwrap();
    data.extend((to, amount).abi_encode_params());
    send(c, from, TxKind::Call(token), U256::ZERO, data)
}

fn balance_of(c: &Client, token: Address, who: Address) -> U256 {
    let mut data = hex::decode("70a08231").unwrap();
    data.extend((who,).abi_encode_params());
    let out = c.call(
        "eth_call",
        json!([{"to": token, "data": format!("0x{}", hex::encode(data))}, "latest"]),
    );
    out.as_str().unwrap().parse().unwrap()
}

fn eth_balance(c: &Client, who: Address, block: &str) -> U256 {
    let v = c.call("eth_getBalance", json!([who, block]));
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn a_fork_reads_the_remote_at_its_block_and_writes_only_itself() {
    let Some(artifacts) = tandem_testkit::fixture("evm-artifacts") else {
        return;
    };
    let text = std::fs::read_to_string(
        artifacts.join("openzeppelin-contracts-4.9.6/ERC20PresetFixedSupply.json"),
    )
    .unwrap();
    let artifact: Value = serde_json::from_str(&text).unwrap();
    let keys = dev_accounts(12).unwrap();
    let (owner, outsider) = (&keys[0], &keys[11]); // #11 is in no genesis: remote-only
    let receiver = Address::repeat_byte(0x42);

    let remote_dir = tempfile::tempdir().unwrap();
    let remote = TestNode::start(remote_dir.path());
    let rc = remote.client();
    // On the remote: an ERC-20, tokens and ether for the outsider, one transaction of its own.
    let supply = U256::from(10u64).pow(U256::from(27));
    let mut init = hex::decode(
        artifact["bytecode"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
    )
    .unwrap();
    init.extend(
        (
            "Tandem".to_string(),
            "TDM".to_string(),
            supply,
            owner.address,
        )
            .abi_encode_params(),
    );
    let deployed = send(&rc, owner, TxKind::Create, U256::ZERO, init);
    let token: Address = deployed["contractAddress"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    token_transfer(&rc, owner, token, outsider.address, U256::from(1_000u64));
    send(
        &rc,
        owner,
        TxKind::Call(outsider.address),
        U256::from(5 * ETH),
        vec![],
    );
    send(
        &rc,
        outsider,
        TxKind::Call(receiver),
        U256::from(ETH),
        vec![],
    );
    let fork_block = hex_u64(&rc.call("eth_blockNumber", json!([])));
    // After the fork block: changes the fork must not see.
    token_transfer(&rc, owner, token, outsider.address, U256::from(7u64));
    send(
        &rc,
        owner,
        TxKind::Call(outsider.address),
        U256::from(ETH),
        vec![],
    );

    let fork_dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        fork: Some(ForkConfig {
            url: remote.url(),
            block_number: Some(fork_block),
            ca_cert: None,
        }),
        ..NodeConfig::default()
    };
    let fork = TestNode::start_with(fork_dir.path(), &config);
    let fc = &fork.client();
    let at = format!("{fork_block:#x}");
    let remote_state = fork.node.fork.as_ref().expect("a forked node");
    assert_eq!(remote_state.block(), fork_block);
    // anvil_nodeInfo names the remote and the block, as anvil does for a fork.
    let info = fc.call("anvil_nodeInfo", json!([]));
    assert_eq!(info["forkConfig"]["forkUrl"], json!(remote.url()));
    assert_eq!(info["forkConfig"]["forkBlockNumber"], json!(fork_block));
    assert_eq!(
        fc.call("eth_chainId", json!([])),
        rc.call("eth_chainId", json!([]))
    );
    // Block numbers go on from the fork block, as on anvil: the fork's genesis is numbered
    // like the remote's block, and nothing before it is on the fork.
    assert_eq!(hex_u64(&fc.call("eth_blockNumber", json!([]))), fork_block);
    let earliest = fc.call("eth_getBlockByNumber", json!(["earliest", false]));
    assert_eq!(hex_u64(&earliest["number"]), fork_block);
    assert_eq!(
        fc.call("eth_getBlockByNumber", json!(["0x0", false])),
        Value::Null
    );
    // Accounts, code and storage as the remote had them at the fork block.
    let outsider_eth = eth_balance(fc, outsider.address, "latest");
    assert_eq!(outsider_eth, eth_balance(&rc, outsider.address, &at));
    assert_ne!(outsider_eth, eth_balance(&rc, outsider.address, "latest"));
    assert_eq!(
        fc.call(
            "eth_getTransactionCount",
            json!([outsider.address, "latest"])
        ),
        "0x1"
    );
    let code = fc.call("eth_getCode", json!([token, "latest"]));
    assert_eq!(code, rc.call("eth_getCode", json!([token, at])));
    assert!(code.as_str().unwrap().len() > 1000, "{code}");
    let total_supply_slot = format!("{:#066x}", 2); // OpenZeppelin's _totalSupply
    let slot = fc.call(
        "eth_getStorageAt",
        json!([token, total_supply_slot, "latest"]),
    );
    assert_eq!(slot.as_str().unwrap().parse::<U256>().unwrap(), supply);
    assert_eq!(
        balance_of(fc, token, outsider.address),
        U256::from(1_000u64)
    );
    assert_eq!(
        balance_of(&rc, token, outsider.address),
        U256::from(1_007u64)
    );
    let owner_tokens = balance_of(fc, token, owner.address);
    assert_eq!(owner_tokens, supply - U256::from(1_000u64));

    // Writes on the fork: the owner moves every token (its slot goes to zero, which must not
    // read the remote's value again), and the remote-only outsider spends its forked ether.
    let first = token_transfer(fc, owner, token, receiver, owner_tokens);
    let spent = send(
        fc,
        outsider,
        TxKind::Call(receiver),
        U256::from(ETH),
        vec![],
    );
    let last = send(fc, owner, TxKind::Call(receiver), U256::ZERO, vec![]); // one more block
    assert_eq!(hex_u64(&first["blockNumber"]), fork_block + 1);
    assert_eq!(hex_u64(&last["blockNumber"]), fork_block + 3);
    // eth_getLogs from block 0 starts at the fork's genesis and finds the fork's transfer.
    let logs = fc.call(
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "toBlock": "latest", "address": token}]),
    );
    assert_eq!(logs.as_array().map(Vec::len), Some(1), "{logs}");
    assert_eq!(balance_of(fc, token, owner.address), U256::ZERO);
    assert_eq!(balance_of(fc, token, receiver), owner_tokens);
    assert_eq!(
        fc.call(
            "eth_getTransactionCount",
            json!([outsider.address, "latest"])
        ),
        "0x2"
    );
    assert!(eth_balance(fc, outsider.address, "latest") < outsider_eth - U256::from(ETH - 1));
    // The remote did not move.
    assert_eq!(
        balance_of(&rc, token, owner.address),
        supply - U256::from(1_007u64)
    );
    assert_eq!(balance_of(&rc, token, receiver), U256::ZERO);
    assert_eq!(
        rc.call(
            "eth_getTransactionCount",
            json!([outsider.address, "latest"])
        ),
        "0x1"
    );

    let remote_only = RemoteOnly {
        token,
        outsider: outsider.address,
        owner_tokens,
        balance: outsider_eth,
    };
    past_reads_and_prestate_see_the_remote(fc, &rc, &at, &remote_only, &first, &spent);
    proofs_of_what_is_only_remote_are_errors(fc, &at, &remote_only, receiver);

    // A remote that goes away: what was read stays, a new account is a clear error.
    drop(remote);
    assert_eq!(balance_of(fc, token, receiver), owner_tokens);
    let resp = fc.request(
        "eth_getBalance",
        json!([Address::repeat_byte(0x77), "latest"]),
    );
    let msg = resp["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("fork"), "{resp}");
    drop(fork);

    // Restarted without the flag, the chain forks the same remote at the recorded block.
    let reopened = Node::open(fork_dir.path(), &NodeConfig::default());
    let err = reopened.err().expect("the recorded remote is gone");
    assert!(format!("{err:#}").contains("forking from"), "{err:#}");
}

/// Accounts the fork's genesis does not hold, with what the remote had at the fork block.
struct RemoteOnly {
    token: Address,
    outsider: Address,
    /// The owner's token balance (a slot of the token).
    owner_tokens: U256,
    /// The outsider's ether.
    balance: U256,
}

/// The views that open a past state of their own (`tandem_*`, `ots_*`) and the prestate
/// tracer's pre-state see accounts the fork had not stored yet, as the remote has them.
fn past_reads_and_prestate_see_the_remote(
    fc: &Client,
    rc: &Client,
    at: &str,
    r: &RemoteOnly,
    first: &Value,
    spent: &Value,
) {
    let remote_code = rc.call("eth_getCode", json!([r.token, at]));
    // The fork's genesis (numbered `at`): neither account is stored on it yet.
    assert_eq!(fc.call("ots_hasCode", json!([r.token, at])), true);
    let actor = fc.call("tandem_getActor", json!([r.outsider, at]));
    assert_eq!(actor["kind"], "tandem/ethaccount", "{actor}");
    assert_eq!(actor["sequence"], 1, "{actor}");
    let balance: U256 = serde_json::from_value(actor["balance"].clone()).unwrap();
    assert_eq!(balance, r.balance);
    let contract = fc.call("tandem_getActor", json!([r.token, at]));
    assert_eq!(contract["kind"], "tandem/evm", "{contract}");

    // The first fork transaction to touch the token read it from the remote: its pre-state
    // shows the remote's code and the slots it read, with their remote values.
    let hash = &first["transactionHash"];
    let pre = fc.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "prestateTracer"}]),
    );
    let token = &pre[format!("{:#x}", r.token)];
    assert_eq!(token["code"], remote_code, "{pre:#}");
    let slots = token["storage"].as_object().expect("the token's slots");
    let holds = |v: &Value| v.as_str().unwrap().parse::<U256>().unwrap() == r.owner_tokens;
    assert!(slots.values().any(holds), "{pre:#}");
    let diff = fc.call(
        "debug_traceTransaction",
        json!([hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}]),
    );
    let token_pre = &diff["pre"][format!("{:#x}", r.token)]["storage"];
    assert!(
        token_pre.as_object().is_some_and(|m| m.values().any(holds)),
        "{diff:#}"
    );

    // The outsider's first transaction on the fork: its pre-state is the remote's account.
    let pre = fc.call(
        "debug_traceTransaction",
        json!([spent["transactionHash"], {"tracer": "prestateTracer"}]),
    );
    let outsider = &pre[format!("{:#x}", r.outsider)];
    assert_eq!(outsider["nonce"], 1, "{pre:#}");
    let before: U256 = outsider["balance"].as_str().unwrap().parse().unwrap();
    assert_eq!(before, r.balance);
}

/// `eth_getProof` proves the fork's own trie: what the fork stored is proven, what it would
/// still read from the remote is an error naming the remote, never a proof of absence.
fn proofs_of_what_is_only_remote_are_errors(
    fc: &Client,
    at: &str,
    r: &RemoteOnly,
    receiver: Address,
) {
    let message = |resp: Value| resp["error"]["message"].as_str().unwrap_or("").to_string();
    // At the fork's genesis the token is only on the remote.
    let resp = fc.request("eth_getProof", json!([r.token, [], at]));
    assert!(message(resp.clone()).starts_with("fork: account"), "{resp}");
    // At latest the token is stored with the slots its transfer wrote (OpenZeppelin's
    // `_balances` is slot 0); `_totalSupply` (slot 2) was never read by a transaction.
    let balance_slot = alloy_primitives::keccak256((receiver, U256::ZERO).abi_encode_params());
    let proof = fc.call("eth_getProof", json!([r.token, [balance_slot], "latest"]));
    let value: U256 = proof["storageProof"][0]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(value, r.owner_tokens);
    let supply_slot = format!("{:#066x}", 2);
    let resp = fc.request("eth_getProof", json!([r.token, [supply_slot], "latest"]));
    assert!(message(resp.clone()).starts_with("fork: slot"), "{resp}");
    // An address neither chain has is proven absent.
    let nobody = fc.call(
        "eth_getProof",
        json!([Address::repeat_byte(0x55), [], "latest"]),
    );
    assert_eq!(nobody["balance"], "0x0");
}

#[test]
fn an_unreachable_fork_url_is_a_clear_error() {
    // A port nothing listens on: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    for url in [
        format!("http://127.0.0.1:{port}"),
        // A scheme the client does not speak.
        "ws://127.0.0.1:1".into(),
    ] {
        let config = NodeConfig {
            fork: Some(ForkConfig {
                url: url.clone(),
                block_number: None,
                ca_cert: None,
            }),
            ..NodeConfig::default()
        };
        let err = Node::open(dir.path(), &config).err().expect("no remote");
        let text = format!("{err:#}");
        assert!(text.contains(&url), "{text}");
        assert!(
            !tandem_chain::DataDir::exists(dir.path()),
            "no chain is created"
        );
    }
}
