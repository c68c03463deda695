//! Latency of the language server on a ~1,000-line package, measured as an editor sees it:
//! JSON-RPC messages in, responses and `publishDiagnostics` out (over an in-memory
//! connection, so the numbers exclude only the pipe).
//!
//! `cargo run --release -p tandem-lang-lsp --example latency [-- ITERATIONS]`
//!
//! The package is the language corpus (ERC-20, ERC-721 and its receivers, the multisig, the
//! two-file wallet) plus renamed copies of the ERC-20 and the multisig until it passes 1,000
//! lines. It prints, per operation, min / median / p95 / max in milliseconds:
//! - `diagnostics after edit`: `didChange` of one file (the text changes each time) until
//!   its `publishDiagnostics` arrives: a parse of the file and a full sema check of the
//!   package;
//! - `hover (cached)`: a hover on a variant when nothing changed;
//! - `hover after edit`: `didChange` then a hover at once (the hover pays the re-check);
//! - `definition (cached)`, `documentSymbol (cached)`, `formatting` of the largest file.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/fixtures/corpus")
}

/// Writes the package and returns (root, files, total lines).
fn make_package() -> std::io::Result<(PathBuf, Vec<PathBuf>, usize)> {
    let root = std::env::temp_dir().join(format!("tandem-lsp-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("src"))?;
    std::fs::write(
        root.join("Tandem.toml"),
        "[package]\nname = \"bench\"\nversion = \"0.1.0\"\n",
    )?;
    let mut files = Vec::new();
    let mut lines = 0;
    let mut add = |name: &str, text: String| -> std::io::Result<()> {
        let p = root.join("src").join(name);
        lines += text.lines().count();
        std::fs::write(&p, text)?;
        files.push(p);
        Ok(())
    };
    for (pkg, file) in [
        ("erc20", "Token.tdm"),
        ("erc721", "Nft.tdm"),
        ("erc721", "Receivers.tdm"),
        ("multisig", "Multisig.tdm"),
        ("wallet", "wallet.tdm"),
        ("wallet", "user.tdm"),
    ] {
        add(
            file,
            std::fs::read_to_string(corpus().join(pkg).join("src").join(file))?,
        )?;
    }
    let token = std::fs::read_to_string(corpus().join("erc20/src/Token.tdm"))?;
    let multisig = std::fs::read_to_string(corpus().join("multisig/src/Multisig.tdm"))?;
    for i in 2..=3 {
        add(
            &format!("Token{i}.tdm"),
            token.replace("contract Token", &format!("contract Token{i}")),
        )?;
    }
    add(
        "Multisig2.tdm",
        multisig.replace("contract Multisig", "contract Multisig2"),
    )?;
    Ok((root, files, lines))
}

struct Client {
    conn: Connection,
    next: i32,
}

impl Client {
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let req = Request::new(id.clone(), method.into(), params);
        self.conn.sender.send(Message::Request(req)).expect("send");
        loop {
            match self.conn.receiver.recv().expect("recv") {
                Message::Response(r) if r.id == id => {
                    return r.result.unwrap_or(Value::Null);
                }
                _ => {}
            }
        }
    }

    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.into(), params);
        self.conn
            .sender
            .send(Message::Notification(n))
            .expect("send");
    }

    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        loop {
            if let Message::Notification(n) = self.conn.receiver.recv().expect("recv")
                && n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == json!(uri)
            {
                return n.params["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }
}

fn position(text: &str, needle: &str) -> Value {
    let off = text.find(needle).unwrap_or(0);
    let line = text[..off].matches('\n').count();
    let col = off - text[..off].rfind('\n').map(|i| i + 1).unwrap_or(0);
    json!({ "line": line, "character": col + 1 })
}

fn report(name: &str, mut d: Vec<Duration>) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1e3;
    let p95 = d[((d.len() * 95) / 100).min(d.len() - 1)];
    println!(
        "{name:<28} n={:<4} min {:>7.2}  median {:>7.2}  p95 {:>7.2}  max {:>7.2} ms",
        d.len(),
        ms(d[0]),
        ms(d[d.len() / 2]),
        ms(p95),
        ms(d[d.len() - 1])
    );
}

fn main() {
    let iters: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let (root, files, lines) = make_package().expect("write the package");
    let (server, client) = Connection::memory();
    let handle = std::thread::spawn(move || tandem_lang_lsp::serve(&server));
    let mut c = Client {
        conn: client,
        next: 0,
    };
    c.request("initialize", json!({ "capabilities": {} }));
    c.notify("initialized", json!({}));

    let target = files
        .iter()
        .find(|p| p.ends_with("Token.tdm"))
        .expect("Token.tdm")
        .clone();
    let uri = format!("file://{}", target.display());
    let text = std::fs::read_to_string(&target).expect("read");
    println!(
        "package: {} files, {lines} lines ({})",
        files.len(),
        root.display()
    );

    let t = Instant::now();
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "tandem", "version": 1, "text": text } }),
    );
    let first = c.diagnostics(&uri);
    println!(
        "first open (cold check):     {:.2} ms, {} diagnostic(s)",
        t.elapsed().as_secs_f64() * 1e3,
        first.len()
    );
    if !first.is_empty() {
        println!("  {}", serde_json::to_string(&first).unwrap_or_default());
    }

    let hover_at = position(&text, "Send {");
    let mut diag = Vec::new();
    let mut hover_after = Vec::new();
    for i in 0..iters {
        let edited = format!("{text}\n// edit {i}\n");
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 2 + 2 * i }, "contentChanges": [{ "text": edited }] }),
        );
        c.diagnostics(&uri);
        diag.push(t.elapsed());

        let edited = format!("{text}\n// edit {i}b\n");
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 3 + 2 * i }, "contentChanges": [{ "text": edited }] }),
        );
        let t = Instant::now();
        let h = c.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": hover_at }),
        );
        hover_after.push(t.elapsed());
        assert!(h.to_string().contains("0xa9059cbb"), "{h}");
        // The edit's diagnostics follow the hover's response (from the cache).
        c.diagnostics(&uri);
    }
    let mut hover = Vec::new();
    let mut def = Vec::new();
    let mut syms = Vec::new();
    let mut fmt = Vec::new();
    let def_at = position(&text, "storage: Ledger");
    for _ in 0..iters * 4 {
        let t = Instant::now();
        c.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": hover_at }),
        );
        hover.push(t.elapsed());
        let t = Instant::now();
        c.request(
            "textDocument/definition",
            json!({ "textDocument": { "uri": uri }, "position": def_at }),
        );
        def.push(t.elapsed());
        let t = Instant::now();
        c.request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        );
        syms.push(t.elapsed());
    }
    for _ in 0..iters {
        let t = Instant::now();
        c.request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
        );
        fmt.push(t.elapsed());
    }
    report("diagnostics after edit", diag);
    report("hover after edit", hover_after);
    report("hover (cached)", hover);
    report("definition (cached)", def);
    report("documentSymbol (cached)", syms);
    report("formatting (one file)", fmt);

    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    let _ = handle.join();
    let _ = std::fs::remove_dir_all(&root);
}
