//! `tandem init` then `tandem build` writes Foundry artifacts whose bytecode deploys.

#[test]
fn init_then_build_writes_artifacts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("coin");
    tandem_lang_driver::init_package(&dir, "coin").expect("init");
    let built = tandem_lang_driver::build_package(&dir).expect("build");
    assert_eq!(built.len(), 1);
    let text = std::fs::read_to_string(dir.join("out/Coin.tdm/Coin.json")).expect("artifact");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert!(
        v["bytecode"]["object"]
            .as_str()
            .is_some_and(|s| s.starts_with("0x") && s.len() > 10)
    );
    assert_eq!(
        v["methodIdentifiers"]["transfer(address,uint256)"],
        "a9059cbb"
    );
    assert_eq!(v["methodIdentifiers"]["balanceOf(address)"], "70a08231");
    assert_eq!(v["storageLayout"]["storage"][1]["label"], "balances");
    assert_eq!(v["storageLayout"]["storage"][1]["slot"], "1");
    let abi = v["abi"].as_array().expect("abi");
    assert!(
        abi.iter()
            .any(|i| i["type"] == "event" && i["name"] == "Transferred")
    );
    assert!(abi.iter().any(|i| i["type"] == "function"
        && i["name"] == "balanceOf"
        && i["stateMutability"] == "view"));
    let sj = tandem_lang_driver::standard_json(
        &serde_json::json!({"language": "Tandem", "sources": {"Coin.tdm": {"content": tandem_lang_driver::COIN_EXAMPLE}}}),
    );
    assert!(
        sj["contracts"]["Coin.tdm"]["Coin"]["evm"]["bytecode"]["object"]
            .as_str()
            .is_some()
    );
}
