//! Installed filters are bounded (`rpc/filters.rs`): a filter stays until uninstalled or
//! unpolled for 5 minutes, so without bounds one client could keep gigabytes installed (a
//! 64 MB `eth_newFilter` lists a million addresses, and nothing limited how many) or make
//! every install scan them all. Each filter lists at most 1,000 addresses and 1,000 values
//! per topic position, and all of them together (with the WebSocket subscriptions, which
//! live as long as their connection) at most `MAX_FILTER_WEIGHT` values; an uninstalled
//! filter or a closed subscription gives its room back.

use crate::common;

use common::TestNode;
use common::ws::Ws;
use serde_json::{Value, json};
use tandem_node::rpc::filters::{MAX_FILTER_VALUES, MAX_FILTER_WEIGHT, MAX_SUBSCRIPTIONS};

fn addresses(n: usize, salt: u8) -> Vec<String> {
    (0..n)
        .map(|i| format!("0x{:02x}{:038x}", salt, i))
        .collect()
}

fn topics(n: usize, salt: u8) -> Vec<String> {
    (0..n)
        .map(|i| format!("0x{:02x}{:062x}", salt, i))
        .collect()
}

/// The largest filter allowed: 1,000 addresses and 1,000 values in each topic position.
fn widest(salt: u8) -> Value {
    let n = MAX_FILTER_VALUES;
    json!({
        "address": addresses(n, salt),
        "topics": [topics(n, 1), topics(n, 2), topics(n, 3), topics(n, 4)],
    })
}

#[test]
fn installed_filters_are_bounded_and_uninstalling_frees_room() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();

    // One address too many.
    let wide = json!({"address": addresses(MAX_FILTER_VALUES + 1, 0)});
    let resp = c.request("eth_newFilter", json!([wide]));
    let msg = resp["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("at most 1000 addresses"), "{resp}");
    let wide_topic = json!({"topics": [Value::Null, topics(MAX_FILTER_VALUES + 1, 0)]});
    let resp = c.request("eth_newFilter", json!([wide_topic]));
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("at most"),
        "{resp}"
    );

    // The widest filters fill the budget: each weighs 1 + 5 × 1,000.
    let weight = 1 + 5 * MAX_FILTER_VALUES;
    let fit = MAX_FILTER_WEIGHT / weight;
    let mut ids = Vec::new();
    let mut refused = None;
    'fill: for round in 0.. {
        let batch: Vec<Value> = (0..10)
            .map(|i| {
                json!({"jsonrpc": "2.0", "id": round * 10 + i, "method": "eth_newFilter",
                            "params": [widest((round * 10 + i) as u8)]})
            })
            .collect();
        for answer in c.post(&Value::Array(batch).to_string()).as_array().unwrap() {
            match answer.get("result") {
                Some(id) => ids.push(id.clone()),
                None => {
                    refused = Some(answer["error"]["message"].as_str().unwrap().to_string());
                    break 'fill;
                }
            }
        }
        assert!(ids.len() <= fit, "more than {fit} filters fit");
    }
    assert_eq!(ids.len(), fit);
    let refused = refused.unwrap();
    assert!(refused.contains("too many filters installed"), "{refused}");

    // Uninstalling one makes room for one more; the installed ones still work.
    assert_eq!(c.call("eth_uninstallFilter", json!([ids[0]])), json!(true));
    assert_eq!(c.call("eth_uninstallFilter", json!([ids[0]])), json!(false));
    let again = c.call("eth_newFilter", json!([widest(7)]));
    let resp = c.request("eth_newFilter", json!([widest(8)]));
    assert!(resp.get("error").is_some(), "full again: {resp}");
    assert_eq!(c.call("eth_getFilterChanges", json!([again])), json!([]));
    assert_eq!(c.call("eth_getFilterChanges", json!([ids[1]])), json!([]));
    // A block filter is small, but the budget is shared: it needs its own room too.
    for id in &ids[1..4] {
        assert_eq!(c.call("eth_uninstallFilter", json!([id])), json!(true));
    }
    let blocks = c.call("eth_newBlockFilter", json!([]));
    c.call("evm_mine", json!([]));
    assert_eq!(
        c.call("eth_getFilterChanges", json!([blocks]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn subscriptions_share_the_filters_budget() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let subscribe = |id: usize, filter: Value| json!({"jsonrpc": "2.0", "id": id, "method": "eth_subscribe", "params": ["logs", filter]});
    let mut ws = Ws::connect(c.addr);
    let wide = json!({"address": addresses(MAX_FILTER_VALUES + 1, 0)});
    let resp = ws.request(&subscribe(1, wide));
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 1000"),
        "{resp}"
    );
    // Subscriptions take room from the budget, so installs run out sooner.
    let weight = 1 + 5 * MAX_FILTER_VALUES;
    let fit = MAX_FILTER_WEIGHT / weight;
    for i in 0..fit / 2 {
        let resp = ws.request(&subscribe(i, widest(i as u8)));
        assert!(resp.get("result").is_some(), "{resp}");
    }
    let installed = (0..fit)
        .take_while(|&i| {
            c.request("eth_newFilter", json!([widest(i as u8)]))
                .get("result")
                .is_some()
        })
        .count();
    assert_eq!(installed, fit - fit / 2);
    // Closing the connection ends its subscriptions and gives their room back.
    drop(ws);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while c
        .request("eth_newFilter", json!([widest(9)]))
        .get("result")
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the subscriptions' room never came back"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Every live subscription is woken at each block, so the node serves a bounded number.
#[test]
fn subscriptions_are_bounded_node_wide() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let heads = |id: usize| json!({"jsonrpc": "2.0", "id": id, "method": "eth_subscribe", "params": ["newHeads"]});
    // jsonrpsee allows 1,024 per connection: spread them.
    let per = 1_000;
    let mut conns: Vec<Ws> = (0..MAX_SUBSCRIPTIONS / per)
        .map(|_| Ws::connect(c.addr))
        .collect();
    for ws in &mut conns {
        for i in 0..per {
            let resp = ws.request(&heads(i));
            assert!(resp.get("result").is_some(), "{resp}");
        }
    }
    let mut one_more = Ws::connect(c.addr);
    let resp = one_more.request(&heads(0));
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("too many subscriptions"),
        "{resp}"
    );
    drop(conns.pop());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let resp = one_more.request(&heads(1));
        if resp.get("result").is_some() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no room came back: {resp}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The node still mines, and a subscriber hears of it.
    c.call("evm_mine", json!([]));
    let note = one_more.recv();
    assert_eq!(note["method"], "eth_subscription", "{note}");
}
