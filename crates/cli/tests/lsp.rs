//! `tandem lsp` driven as an editor drives it: the real binary over stdio, JSON-RPC framed by
//! `Content-Length`, on a copy of the corpus's ERC-20 and two-file wallet packages.

use crate::lsp_support;

use lsp_support::*;
use serde_json::{Value, json};
use std::process::Command;

#[test]
fn lsp_session_on_the_erc20_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pkg = copy_package("erc20", dir.path());
    let file = pkg.join("src/Token.tdm");
    let text = std::fs::read_to_string(&file).expect("read");
    let u = uri(&file);
    let mut c = Client::start();

    let init = initialize(&mut c, &pkg);
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["hoverProvider"], json!(true), "{init}");
    assert_eq!(caps["textDocumentSync"], json!(1));
    assert_eq!(caps["definitionProvider"], json!(true));
    assert_eq!(caps["documentSymbolProvider"], json!(true));
    assert_eq!(caps["documentFormattingProvider"], json!(true));

    // didOpen: a clean file gets an empty diagnostics list.
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": u, "languageId": "tandem", "version": 1, "text": text } }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());

    // Hover on a variant: its Solidity signature, selector and FRC-0042 method number.
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "Send {", 0, 1) }),
    );
    let s = hover_text(&h);
    assert!(
        s.contains("Erc20::Send { to: Address, value: u256 } -> bool"),
        "{s}"
    );
    assert!(s.contains("transfer(address,uint256)"), "{s}");
    assert!(s.contains("0xa9059cbb"), "{s}");
    assert!(s.contains("FRC-0042 method `"), "{s}");
    // The same from the `recv` arm that handles it.
    let h2 = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "Send { to, value } =>", 0, 0) }),
    );
    assert!(hover_text(&h2).contains("0xa9059cbb"), "{h2}");

    // Hover on a storage field (declaration and use): slot and offset.
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "balances: Map", 0, 2) }),
    );
    let s = hover_text(&h);
    assert!(s.contains("slot `1`") && s.contains("offset `0`"), "{s}");
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "storage.supply", 0, 9) }),
    );
    let s = hover_text(&h);
    assert!(
        s.contains("slot `0`") && s.contains("type here: `u256`"),
        "{s}"
    );

    // Hover on a local: sema's type.
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "have < value", 0, 1) }),
    );
    assert!(hover_text(&h).contains("let have: u256"), "{h}");

    // Definition: a type, a method through sema's receiver type, a handler's variant, a local.
    let d = c.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "storage: Ledger", 0, 10) }),
    );
    assert_eq!(d["result"]["uri"], json!(u), "{d}");
    assert_eq!(
        d["result"]["range"]["start"]["line"],
        json!(line_of(&text, "struct Ledger", 0))
    );
    let d = c.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, ".move_tokens(", 0, 2) }),
    );
    assert_eq!(
        d["result"]["range"]["start"]["line"],
        json!(line_of(&text, "fn move_tokens", 0)),
        "{d}"
    );
    let d = c.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "Send { to, value } =>", 0, 1) }),
    );
    assert_eq!(
        d["result"]["range"]["start"]["line"],
        json!(line_of(&text, "Send { to: Address", 0)),
        "{d}"
    );
    let d = c.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "have < value", 0, 0) }),
    );
    assert_eq!(
        d["result"]["range"]["start"]["line"],
        json!(line_of(&text, "let have", 0)),
        "{d}"
    );

    // Document symbols: the contract with its storage, init and handlers; the message and its
    // variants; structs with fields.
    let syms = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": u } }),
    );
    let list = syms["result"].as_array().cloned().unwrap_or_default();
    let find = |name: &str| list.iter().find(|s| s["name"] == json!(name)).cloned();
    let token = find("Token").expect("contract symbol");
    let flat = token.to_string();
    for want in [
        "\"storage\"",
        "\"init\"",
        "\"recv Erc20\"",
        "\"Send\"",
        "\"supply\"",
    ] {
        assert!(flat.contains(want), "{want} missing in {flat}");
    }
    let erc20 = find("Erc20").expect("message symbol");
    assert_eq!(erc20["children"].as_array().map(Vec::len), Some(9));
    assert!(
        find("Ledger").expect("struct")["children"]
            .to_string()
            .contains("allowances")
    );

    // Formatting: a messy edit comes back in the canonical layout as one edit; a clean file
    // gives no edits.
    let f = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    assert_eq!(f["result"], json!([]), "{f}");
    let messy = text.replace("const INFINITE: u256", "const   INFINITE :u256");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "text": messy }] }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());
    let f = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    assert_eq!(f["result"][0]["newText"], json!(text), "{f}");

    // A type error as you type: the CLI's code and span.
    let broken = text.replace("storage.supply = supply", "storage.supply = true");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 3 }, "contentChanges": [{ "text": broken }] }),
    );
    let diags = c.diagnostics_for(&u);
    assert_eq!(diags.len(), 1, "{diags:?}");
    std::fs::write(&file, &broken).expect("write");
    let cli = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["build", "--path"])
        .arg(&pkg)
        .output()
        .expect("tandem build");
    let cli_err = String::from_utf8_lossy(&cli.stderr);
    let code = diags[0]["code"].as_str().unwrap_or("?");
    assert!(
        cli_err.contains(&format!("error[{code}]")),
        "{code} vs {cli_err}"
    );
    let start = &diags[0]["range"]["start"];
    let at = format!(
        "Token.tdm:{}:{}",
        start["line"].as_u64().unwrap_or(0) + 1,
        start["character"].as_u64().unwrap_or(0) + 1
    );
    assert!(cli_err.contains(&at), "{at} vs {cli_err}");
    // A syntax error, then fixed: diagnostics clear.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 4 }, "contentChanges": [{ "text": "contract {" }] }),
    );
    assert!(!c.diagnostics_for(&u).is_empty());
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 5 }, "contentChanges": [{ "text": text }] }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());

    // A warning as you type: sema's lint, with the warning severity, on a file that builds.
    let unused = text.replace(
        "storage.supply = supply",
        "let spare: u256 = 1;\n        storage.supply = supply",
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 6 }, "contentChanges": [{ "text": unused }] }),
    );
    let diags = c.diagnostics_for(&u);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["severity"], json!(2), "{diags:?}");
    assert_eq!(diags[0]["code"], json!("W0001"), "{diags:?}");
    // Hover still works on a package with warnings (sema's module is kept).
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": pos(&unused, "Send {", 0, 1) }),
    );
    assert!(hover_text(&h).contains("0xa9059cbb"), "{h}");

    // Bad input: malformed params and an unknown method get errors; the server carries on.
    let e = c.request("textDocument/hover", json!({ "nonsense": 1 }));
    assert_eq!(e["error"]["code"], json!(-32602), "{e}");
    let e = c.request("tandem/unknown", json!({}));
    assert_eq!(e["error"]["code"], json!(-32601), "{e}");
    c.send_raw(r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":3}}"#);
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": { "line": 9999, "character": 9999 } }),
    );
    assert!(h.get("error").is_none(), "{h}");

    let s = c.request("shutdown", Value::Null);
    assert_eq!(s["result"], Value::Null, "{s}");
    c.notify("exit", Value::Null);
    let status = c.child.wait().expect("wait");
    assert!(status.success(), "{status}");
}

#[test]
fn lsp_definition_across_files_of_a_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pkg = copy_package("wallet", dir.path());
    let user = pkg.join("src/user.tdm");
    let wallet = pkg.join("src/wallet.tdm");
    let text = std::fs::read_to_string(&user).expect("read");
    let wtext = std::fs::read_to_string(&wallet).expect("read");
    let u = uri(&user);
    let mut c = Client::start();
    initialize(&mut c, &pkg);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": u, "languageId": "tandem", "version": 1, "text": text } }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());
    // `Wallet` in `type FriendsWallet = Wallet<FriendsOnly>` is defined in wallet.tdm.
    let d = c.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "= Wallet<", 0, 3) }),
    );
    assert_eq!(d["result"]["uri"], json!(uri(&wallet)), "{d}");
    assert_eq!(
        d["result"]["range"]["start"]["line"],
        json!(line_of(&wtext, "contract Wallet", 0))
    );

    // An error in one file of the package is published for that file, not the open one.
    let broken = wtext.replacen("contract Wallet", "contract Wallet {} contract Wallet", 1);
    let wu = uri(&wallet);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": wu, "languageId": "tandem", "version": 1, "text": broken } }),
    );
    assert!(!c.diagnostics_for(&wu).is_empty());
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().expect("wait").success());
}
