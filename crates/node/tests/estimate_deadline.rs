//! `eth_estimateGas` at `pending` for a call that succeeds in the next block but would revert
//! a second later (a vote cast in the last second of a timestamp-mode Governor's voting
//! period: OpenZeppelin's GovernorPreventLateQuorum test). The next block's run succeeds,
//! so the estimate succeeds, as on Hardhat; the one-second-later check may only raise the
//! limit, never turn the answer into a revert.

use crate::common;

use serde_json::{Value, json};

use common::TestNode;

const FROM: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const TARGET: &str = "0x2000000000000000000000000000000000000003";

fn num(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// Runtime code that reverts when `block.timestamp > deadline`, else stops.
fn reverts_after(deadline: u32) -> String {
    // TIMESTAMP PUSH4 deadline LT PUSH1 0x0b JUMPI STOP JUMPDEST PUSH1 0 DUP1 REVERT
    format!("0x4263{deadline:08x}10600b57005b600080fd")
}

#[test]
fn estimate_in_the_last_second_before_a_deadline_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(dir.path());
    let c = node.client();
    let call = json!({"from": FROM, "to": TARGET});
    // The wall clock may tick between mining and estimating; then try again.
    for attempt in 0..5 {
        let latest = c.call("eth_getBlockByNumber", json!(["latest", false]));
        let mined = num(&latest["timestamp"]) + 100;
        c.call("evm_mine", json!([mined]));
        let pending = num(&c.call("eth_getBlockByNumber", json!(["pending", false]))["timestamp"]);
        let deadline = u32::try_from(pending).unwrap();
        let code = reverts_after(deadline);
        assert_eq!(c.call("anvil_setCode", json!([TARGET, code])), json!(true));
        assert_eq!(c.call("eth_call", json!([call, "pending"])), json!("0x"));
        let answer = c.request("eth_estimateGas", json!([call]));
        let still = num(&c.call("eth_getBlockByNumber", json!(["pending", false]))["timestamp"]);
        if still != pending {
            eprintln!("attempt {attempt}: the clock ticked; again");
            continue;
        }
        let gas = answer
            .get("result")
            .unwrap_or_else(|| panic!("the estimate failed where the call succeeds: {answer}"));
        assert!(num(gas) >= 21_000, "{answer}");
        // A second later the call reverts: that is what the estimate must not report.
        let later = c.request(
            "eth_call",
            json!([call, "pending", null, {"time": format!("0x{:x}", pending + 1)}]),
        );
        assert_eq!(later["error"]["code"], json!(3), "{later}");
        return;
    }
    panic!("the clock ticked on every attempt");
}
