//! `tandem evm deploy|call|send` with the real binary: the language corpus's ERC-20 built by
//! `tandem build`, deployed with a constructor argument, a transfer sent, balances read back
//! decoded, and reverts that exit non-zero with their decoded reason. A second test runs
//! OpenZeppelin's solc-built ERC20 from the shared fixtures (`Error(string)` reverts).

use crate::common;

use std::path::{Path, PathBuf};

use common::{json, tandem};

const RECEIVER: &str = "0x00000000000000000000000000000000000000aa";

fn init_chain(dir: &Path) {
    json(dir, &["chain", "init", "--accounts", "2"]);
}

/// Builds the corpus ERC-20 into a temp copy of its package; returns the artifact.
fn build_erc20(tmp: &Path) -> PathBuf {
    let src =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lang/harness/fixtures/corpus/erc20");
    let pkg = tmp.join("erc20");
    std::fs::create_dir_all(pkg.join("src")).unwrap();
    std::fs::copy(src.join("Tandem.toml"), pkg.join("Tandem.toml")).unwrap();
    std::fs::copy(src.join("src/Token.tdm"), pkg.join("src/Token.tdm")).unwrap();
    let out = tandem(
        &tmp.join("unused"),
        &["build", "--path", pkg.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "tandem build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    pkg.join("out/Token.tdm/Token.json")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn deploy_send_and_call_an_erc20() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = tmp.path().join("chain");
    init_chain(&chain);
    let artifact = build_erc20(tmp.path());

    let deployed = json(
        &chain,
        &["evm", "deploy", artifact.to_str().unwrap(), "1000000"],
    );
    let token = deployed["address"].as_str().unwrap().to_string();
    let me = deployed["sender"].as_str().unwrap().to_string();
    assert!(token.starts_with("0x") && token.len() == 42, "{deployed}");
    assert!(
        deployed["f410_address"]
            .as_str()
            .unwrap()
            .starts_with("f410f")
    );
    assert!(
        me.starts_with("0xff"),
        "a dev account is seen at its masked ID: {me}"
    );

    // Read-only calls print the decoded values, cast-style.
    let out = tandem(
        &chain,
        &["evm", "call", &token, "balanceOf(address)(uint256)", &me],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "1000000");
    let out = tandem(&chain, &["evm", "call", &token, "name()(string)"]);
    assert_eq!(stdout(&out).trim(), "\"Tandem Token\"");

    // A transfer, committed.
    let sent = json(
        &chain,
        &[
            "evm",
            "send",
            &token,
            "transfer(address,uint256)(bool)",
            RECEIVER,
            "250",
        ],
    );
    assert_eq!(sent["decoded"], serde_json::json!([true]), "{sent}");
    assert_eq!(sent["events"], 1);
    assert!(sent["message"].as_str().unwrap().starts_with("bafy"));

    let bal = json(
        &chain,
        &[
            "evm",
            "call",
            &token,
            "balanceOf(address)(uint256)",
            RECEIVER,
        ],
    );
    assert_eq!(bal["decoded"], serde_json::json!(["250"]));
    // An address argument may be the dev account's Filecoin address.
    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(chain.join("keys.json")).unwrap()).unwrap();
    let f1 = keys["keys"][0]["address"].as_str().unwrap();
    let bal = json(
        &chain,
        &["evm", "call", &token, "balanceOf(address)(uint256)", f1],
    );
    assert_eq!(bal["decoded"], serde_json::json!(["999750"]));

    // A call that reverts: non-zero exit, the custom error by selector, or by name with
    // the artifact's ABI; nothing committed by the failed send.
    let args = [
        "evm",
        "call",
        &token,
        "transfer(address,uint256)(bool)",
        RECEIVER,
        "5000000",
    ];
    let out = tandem(&chain, &args);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("EVM_CONTRACT_REVERTED (33)") && err.contains("custom error 0xe450d38c"),
        "{err}"
    );
    let mut with_abi = args.to_vec();
    with_abi.extend(["--abi", artifact.to_str().unwrap()]);
    let out = tandem(&chain, &with_abi);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "ERC20InsufficientBalance(0xff00000000000000000000000000000000000064, 999750, 5000000)"
        ),
        "{}",
        stderr(&out)
    );
    let mut send = with_abi.clone();
    send[1] = "send";
    send.insert(0, "--json");
    let out = tandem(&chain, &send);
    assert!(!out.status.success());
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["exit_code"], 33);
    assert!(
        receipt["reason"]
            .as_str()
            .unwrap()
            .starts_with("ERC20InsufficientBalance(")
    );
    let bal = json(
        &chain,
        &[
            "evm",
            "call",
            &token,
            "balanceOf(address)(uint256)",
            RECEIVER,
        ],
    );
    assert_eq!(bal["decoded"], serde_json::json!(["250"]));

    // Bad input is refused before anything runs.
    for bad in [
        vec!["evm", "call", &token, "balanceOf(address)(uint256)", "nope"],
        vec!["evm", "call", &token, "balanceOf(address", RECEIVER],
        vec!["evm", "call", &token, "balanceOf(address)(uint256)"],
        vec!["evm", "deploy", "0xzz"],
        vec![
            "evm",
            "call",
            RECEIVER,
            "balanceOf(address)(uint256)",
            RECEIVER,
        ],
    ] {
        let out = tandem(&chain, &bad);
        assert!(!out.status.success(), "{bad:?}");
        assert!(
            stderr(&out).starts_with("error: "),
            "{bad:?}: {}",
            stderr(&out)
        );
    }
}

/// OpenZeppelin's ERC20PresetFixedSupply (solc 0.8.13, a Hardhat artifact): `Error(string)`
/// reverts decode to their message.
#[test]
fn openzeppelin_erc20_reverts_with_its_message() {
    let Some(dir) = tandem_testkit::fixture("evm-artifacts/openzeppelin-contracts-4.9.6") else {
        return;
    };
    let artifact = dir.join("ERC20PresetFixedSupply.json");
    let tmp = tempfile::tempdir().unwrap();
    let chain = tmp.path().join("chain");
    init_chain(&chain);
    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(chain.join("keys.json")).unwrap()).unwrap();
    let f1 = keys["keys"][0]["address"].as_str().unwrap();
    // constructor(string name, string symbol, uint256 initialSupply, address owner)
    let deployed = json(
        &chain,
        &[
            "evm",
            "deploy",
            artifact.to_str().unwrap(),
            "Fixed",
            "FIX",
            "1000",
            f1,
        ],
    );
    let token = deployed["address"].as_str().unwrap().to_string();
    let out = tandem(&chain, &["evm", "call", &token, "symbol()(string)"]);
    assert_eq!(stdout(&out).trim(), "\"FIX\"");
    let sent = json(
        &chain,
        &[
            "evm",
            "send",
            &token,
            "transfer(address,uint256)(bool)",
            RECEIVER,
            "1",
        ],
    );
    assert_eq!(sent["decoded"], serde_json::json!([true]));
    let out = tandem(
        &chain,
        &[
            "evm",
            "send",
            &token,
            "transfer(address,uint256)",
            RECEIVER,
            "5000",
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "EVM_CONTRACT_REVERTED (33): Error(\"ERC20: transfer amount exceeds balance\")"
        ),
        "{}",
        stderr(&out)
    );
}
