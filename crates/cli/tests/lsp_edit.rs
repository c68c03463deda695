//! `tandem lsp` over stdio, as an editor drives it: find references and rename across the
//! files of a package (the renamed package must still build with `tandem build`), refused
//! renames, completion, and semantic tokens.

use crate::lsp_support;

use lsp_support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn open(c: &mut Client, path: &Path) -> (String, String) {
    let text = std::fs::read_to_string(path).expect("read");
    let u = uri(path);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": u, "languageId": "tandem", "version": 1, "text": text } }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new(), "{u}");
    (u, text)
}

fn offset_of(text: &str, p: &Value) -> usize {
    let line = p["line"].as_u64().unwrap_or(0) as usize;
    let col = p["character"].as_u64().unwrap_or(0) as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    // The corpus is ASCII: UTF-16 columns are bytes.
    start + col
}

/// Applies a `WorkspaceEdit`'s `changes` to the files on disk; returns edits per URI.
fn apply_workspace_edit(edit: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let changes = edit["changes"].as_object().cloned().unwrap_or_default();
    for (u, edits) in changes {
        let path = u.strip_prefix("file://").expect("file uri").to_string();
        let text = std::fs::read_to_string(&path).expect("read");
        let mut es: Vec<(usize, usize, String)> = edits
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| {
                (
                    offset_of(&text, &e["range"]["start"]),
                    offset_of(&text, &e["range"]["end"]),
                    e["newText"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        es.sort();
        counts.insert(u.clone(), es.len());
        let mut out = text.clone();
        for (lo, hi, t) in es.into_iter().rev() {
            out.replace_range(lo..hi, &t);
        }
        std::fs::write(&path, out).expect("write");
    }
    counts
}

fn builds(pkg: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["build", "--path"])
        .arg(pkg)
        .output()
        .expect("tandem build");
    assert!(
        out.status.success(),
        "the renamed package does not build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn shutdown(mut c: Client) {
    let s = c.request("shutdown", Value::Null);
    assert_eq!(s["result"], Value::Null, "{s}");
    c.notify("exit", Value::Null);
    assert!(c.child.wait().expect("wait").success());
}

#[test]
fn lsp_references_and_rename_across_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pkg = copy_package("wallet", dir.path());
    let wallet = pkg.join("src/wallet.tdm");
    let user = pkg.join("src/user.tdm");
    let mut c = Client::start();
    let init = initialize(&mut c, &pkg);
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["referencesProvider"], json!(true), "{init}");
    assert_eq!(caps["renameProvider"]["prepareProvider"], json!(true));
    let (wu, wtext) = open(&mut c, &wallet);
    let uu = uri(&user);
    let utext = std::fs::read_to_string(&user).expect("read");

    // References of the contract `Wallet` from its declaration: itself, and three uses in
    // user.tdm (`use wallet::{Wallet, ..}` and two aliases).
    let r = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": wu }, "position": pos(&wtext, "contract Wallet", 0, 10),
                "context": { "includeDeclaration": true } }),
    );
    let locs = r["result"].as_array().cloned().unwrap_or_default();
    let in_user: Vec<u64> = locs
        .iter()
        .filter(|l| l["uri"] == json!(uu))
        .filter_map(|l| l["range"]["start"]["line"].as_u64())
        .collect();
    assert_eq!(locs.len(), 4, "{r}");
    assert_eq!(
        in_user,
        vec![
            line_of(&utext, "use wallet::{Wallet", 0),
            line_of(&utext, "= Wallet<FriendsOnly>", 0),
            line_of(&utext, "= Wallet<DailyCap>", 0)
        ]
    );
    // Without the declaration; and from a use in the other file, the same set.
    let r2 = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uu }, "position": pos(&utext, "= Wallet<Daily", 0, 3),
                "context": { "includeDeclaration": false } }),
    );
    assert_eq!(r2["result"].as_array().map(Vec::len), Some(3), "{r2}");

    // A method defined in user.tdm, called in wallet.tdm through the generic storage (sema
    // types `storage` by the first instantiation, `FriendsOnly`).
    let r = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": uu }, "position": pos(&utext, "fn get_transfer_limit", 0, 4),
                "context": { "includeDeclaration": true } }),
    );
    let locs = r["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        locs.iter().filter(|l| l["uri"] == json!(wu)).count(),
        2,
        "{r}"
    );

    // prepareRename: the name's range; nothing renameable on a keyword or a literal.
    let p = c.request(
        "textDocument/prepareRename",
        json!({ "textDocument": { "uri": wu }, "position": pos(&wtext, "contract Wallet", 0, 11) }),
    );
    assert_eq!(
        p["result"]["start"],
        pos(&wtext, "contract Wallet", 0, 9),
        "{p}"
    );
    for (needle, d) in [("contract Wallet", 2), ("0xa11ce", 2)] {
        let p = c.request(
            "textDocument/prepareRename",
            json!({ "textDocument": { "uri": wu }, "position": pos(&wtext, needle, 0, d) }),
        );
        assert!(p.get("error").is_some(), "{needle}: {p}");
    }

    // Refused renames: a keyword, not an identifier.
    for bad in ["fn", "storage", "9lives", "two words", ""] {
        let e = c.request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": wu }, "position": pos(&wtext, "contract Wallet", 0, 10),
                    "newName": bad }),
        );
        assert!(e["error"]["message"].is_string(), "{bad}: {e}");
        assert!(e.get("result").is_none(), "{bad}: {e}");
    }

    // Rename the contract across both files.
    let e = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": wu }, "position": pos(&wtext, "contract Wallet", 0, 10),
                "newName": "Purse" }),
    );
    let counts = apply_workspace_edit(&e["result"]);
    assert_eq!(counts.get(&wu), Some(&1), "{e}");
    assert_eq!(counts.get(&uu), Some(&3), "{e}");
    let utext = std::fs::read_to_string(&user).expect("read");
    assert!(
        utext.contains("use wallet::{Purse, WalletStorage}") && !utext.contains("Wallet<"),
        "{utext}"
    );
    builds(&pkg);

    // Rename the variant field `to` (a shorthand binding in the handler) and the local
    // `limit` (a shorthand in an error literal). Reopen the edited file first.
    let wtext = std::fs::read_to_string(&wallet).expect("read");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": wu, "version": 2 }, "contentChanges": [{ "text": wtext }] }),
    );
    assert_eq!(c.diagnostics_for(&wu), Vec::<Value>::new());
    let e = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": wu }, "position": pos(&wtext, "Transfer { to:", 0, 11),
                "newName": "dest" }),
    );
    apply_workspace_edit(&e["result"]);
    let wtext = std::fs::read_to_string(&wallet).expect("read");
    assert!(wtext.contains("Transfer { dest: Address"), "{wtext}");
    assert!(wtext.contains("Transfer { dest: to, value } =>"), "{wtext}");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": wu, "version": 3 }, "contentChanges": [{ "text": wtext }] }),
    );
    assert_eq!(c.diagnostics_for(&wu), Vec::<Value>::new());
    let e = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": wu }, "position": pos(&wtext, "let limit", 0, 5),
                "newName": "cap" }),
    );
    apply_workspace_edit(&e["result"]);
    let wtext = std::fs::read_to_string(&wallet).expect("read");
    assert!(
        wtext.contains("let cap = storage.get_transfer_limit()"),
        "{wtext}"
    );
    assert!(
        wtext.contains("assert(value <= cap, OverLimit { limit: cap, value })"),
        "{wtext}"
    );
    builds(&pkg);
    shutdown(c);
}

#[test]
fn lsp_rename_a_storage_field_and_a_method() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pkg = copy_package("erc20", dir.path());
    let file = pkg.join("src/Token.tdm");
    let mut c = Client::start();
    initialize(&mut c, &pkg);
    let (u, text) = open(&mut c, &file);
    let uses = text.matches("balances").count();

    // From a use (`storage.balances[owner]`), every use and the declaration.
    let r = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "storage.balances", 0, 9),
                "context": { "includeDeclaration": true } }),
    );
    assert_eq!(r["result"].as_array().map(Vec::len), Some(uses), "{r}");
    let e = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "storage.balances", 0, 9),
                "newName": "holdings" }),
    );
    assert_eq!(
        apply_workspace_edit(&e["result"]).get(&u),
        Some(&uses),
        "{e}"
    );
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(!text.contains("balances") && text.contains("holdings: Map<Address, u256>"));
    builds(&pkg);

    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "text": text }] }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());
    let e = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": u }, "position": pos(&text, "fn move_tokens", 0, 4),
                "newName": "shift" }),
    );
    assert_eq!(apply_workspace_edit(&e["result"]).get(&u), Some(&3), "{e}");
    let text = std::fs::read_to_string(&file).expect("read");
    assert_eq!(text.matches("storage.shift(from, to, value)").count(), 2);
    builds(&pkg);
    shutdown(c);
}

fn labels(v: &Value) -> Vec<String> {
    let items = if v["result"].is_array() {
        v["result"].clone()
    } else {
        v["result"]["items"].clone()
    };
    items
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i["label"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn lsp_completion_while_typing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pkg = copy_package("erc20", dir.path());
    let file = pkg.join("src/Token.tdm");
    let mut c = Client::start();
    let init = initialize(&mut c, &pkg);
    let trig = &init["result"]["capabilities"]["completionProvider"]["triggerCharacters"];
    assert_eq!(trig, &json!([".", ":"]), "{init}");
    let (u, text) = open(&mut c, &file);

    // Each case: a half-typed line inserted into a body, the text the cursor follows, labels
    // that must be offered and labels that must not.
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "storage.",
            "storage.",
            &[
                "supply",
                "balances",
                "allowances",
                "move_tokens",
                "spend_allowance",
            ],
            &["caller", "have"],
        ),
        ("storage.bal", "storage.bal", &["balances"], &["caller"]),
        (
            "ctx.",
            "ctx.",
            &["caller", "emit", "send_value", "block_number"],
            &["supply"],
        ),
        (
            "Erc20::",
            "Erc20::",
            &["Send", "Approve", "BalanceOf"],
            &["supply"],
        ),
        (
            "value.",
            "value.",
            &["wrapping_add", "min", "max"],
            &["balances"],
        ),
        (
            "fr",
            "fr",
            &["from", "to", "value", "let", "Ledger", "INFINITE"],
            &["have", "allowed"],
        ),
    ];
    let mut version = 2;
    for (insert, after, want, not) in cases {
        // Inside the `Send` handler, after `let from = ctx.caller()`.
        let line_anchor = "            let from = ctx.caller()\n";
        assert_eq!(text.matches(line_anchor).count(), 1);
        let edited = text.replacen(
            line_anchor,
            &format!("{line_anchor}            {insert}\n"),
            1,
        );
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": u, "version": version },
                    "contentChanges": [{ "text": edited }] }),
        );
        version += 1;
        let at = pos(
            &edited,
            &format!("            {insert}\n"),
            0,
            12 + after.len() as u32,
        );
        let r = c.request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": u }, "position": at }),
        );
        let got = labels(&r);
        for w in *want {
            assert!(
                got.iter().any(|g| g == w),
                "`{insert}`: {w} missing in {got:?}"
            );
        }
        for n in *not {
            assert!(
                !got.iter().any(|g| g == n),
                "`{insert}`: {n} offered in {got:?}"
            );
        }
    }
    // A struct value: `self.` inside `impl Ledger`.
    let edited = text.replacen(
        "        let have = self.balances[from]\n",
        "        let have = self.balances[from]\n        self.\n",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": version },
                "contentChanges": [{ "text": edited }] }),
    );
    let r = c.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": u }, "position": pos(&edited, "        self.\n", 0, 13) }),
    );
    let got = labels(&r);
    for w in ["supply", "balances", "spend_allowance"] {
        assert!(got.iter().any(|g| g == w), "self.: {w} missing in {got:?}");
    }
    shutdown(c);
}

#[test]
fn lsp_semantic_tokens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pkg = copy_package("erc20", dir.path());
    let file = pkg.join("src/Token.tdm");
    let mut c = Client::start();
    let init = initialize(&mut c, &pkg);
    let prov = &init["result"]["capabilities"]["semanticTokensProvider"];
    assert_eq!(prov["full"], json!(true), "{init}");
    let legend: Vec<String> = prov["legend"]["tokenTypes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    let (u, text) = open(&mut c, &file);
    let r = c.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": u } }),
    );
    let data: Vec<u64> = r["result"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert!(data.len().is_multiple_of(5) && data.len() > 500, "{r}");
    // Decode to (line, col) → (text, type).
    let lines: Vec<&str> = text.split('\n').collect();
    let mut at = BTreeMap::new();
    let (mut line, mut col) = (0usize, 0usize);
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0] as usize;
            col = t[1] as usize;
        } else {
            col += t[1] as usize;
        }
        let s = lines[line][col..col + t[2] as usize].to_string();
        let ty = legend.get(t[3] as usize).cloned().unwrap_or_default();
        at.insert((line, col), (s, ty));
    }
    let ty_of = |needle: &str, delta: usize| -> String {
        let p = pos(&text, needle, 0, delta as u32);
        let k = (
            p["line"].as_u64().unwrap_or(0) as usize,
            p["character"].as_u64().unwrap_or(0) as usize,
        );
        at.get(&k)
            .map(|v| v.1.clone())
            .unwrap_or_else(|| "none".into())
    };
    assert_eq!(ty_of("contract Token", 0), "keyword");
    assert_eq!(ty_of("contract Token", 9), "class");
    assert_eq!(ty_of("message Erc20", 8), "interface");
    assert_eq!(ty_of("Send { to: Address", 0), "enumMember");
    assert_eq!(ty_of("to: Address", 4), "type");
    assert_eq!(ty_of("to: Address", 0), "property");
    assert_eq!(ty_of("fn move_tokens", 3), "method");
    assert_eq!(ty_of(".move_tokens(", 1), "method");
    assert_eq!(ty_of("storage.supply = supply", 8), "property");
    assert_eq!(ty_of("let have", 4), "variable");
    assert_eq!(ty_of("\"transfer(address,uint256)\"", 0), "string");
    assert_eq!(ty_of("0xffff", 0), "number");
    assert_eq!(ty_of("/// A fixed-supply", 0), "comment");
    assert_eq!(ty_of("#[view]", 0), "decorator");
    assert_eq!(ty_of("#[view]", 2), "decorator");
    assert_eq!(ty_of("INFINITE: u256", 0), "variable");
    assert_eq!(ty_of("Transfer { from: 0", 0), "struct");
    shutdown(c);
}
