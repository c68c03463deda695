//! Latency of the language server on a ~1,000-line package, measured as an editor sees it:
//! the server binary (`tandem-lsp`, the same server as `tandem lsp`) started as a process,
//! JSON-RPC messages written to its stdin, responses and `publishDiagnostics` read from its
//! stdout.
//!
//! `cargo bench -p tandem-lang-lsp --bench latency [-- ITERATIONS]` (default 50); add
//! `--profile dev` for the development build. The results are in docs/lsp.md.
//!
//! The package is the language corpus (ERC-20, ERC-721 and its receivers, the multisig, the
//! two-file wallet) plus renamed copies of the ERC-20 and the multisig until it passes 1,000
//! lines. It prints a Markdown table, per operation, of min / median / p95 / max in ms:
//! - `diagnostics after edit`: `didChange` of one file (the text changes each time) until
//!   its `publishDiagnostics` arrives: a parse of the file and a full sema check of the
//!   package;
//! - `hover after edit`: `didChange` then a hover at once (the hover pays the re-check);
//! - `completion after edit`: `storage.` typed, then completion (a re-check of the package,
//!   then a check of the text without the half-typed member);
//! - cached requests (nothing changed): hover, definition, references, document symbols,
//!   rename, semantic tokens of the largest file, formatting of it.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
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
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: i64,
    /// Notifications read while waiting for a response.
    pending: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tandem-lsp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn tandem-lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Client {
            child,
            stdin,
            stdout,
            next: 0,
            pending: Vec::new(),
        }
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn read(&mut self) -> Value {
        let v = self.read_frame();
        if std::env::var_os("LATENCY_TRACE").is_some() {
            eprintln!("<- {}", v.to_string().chars().take(160).collect::<String>());
        }
        v
    }

    fn read_frame(&mut self) -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).expect("read");
            assert!(n > 0, "the server closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse().expect("length");
            }
        }
        let mut buf = vec![0; len];
        std::io::Read::read_exact(&mut self.stdout, &mut buf).expect("body");
        serde_json::from_slice(&buf).expect("json")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let v = self.read();
            if v["id"] == json!(id) && v.get("method").is_none() {
                return v["result"].clone();
            }
            self.pending.push(v);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next `publishDiagnostics` for `uri` (possibly one that arrived before a response).
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let is_it = |v: &Value| {
            v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == json!(uri)
        };
        if let Some(i) = self.pending.iter().position(is_it) {
            let v = self.pending.remove(i);
            return v["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
        loop {
            let v = self.read();
            if v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == json!(uri)
            {
                return v["params"]["diagnostics"]
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
        "| {name:<34} | {:>4} | {:>7.2} | {:>7.2} | {:>7.2} | {:>7.2} |",
        d.len(),
        ms(d[0]),
        ms(d[d.len() / 2]),
        ms(p95),
        ms(d[d.len() - 1])
    );
}

fn timed(out: &mut Vec<Duration>, f: impl FnOnce() -> Value) -> Value {
    let t = Instant::now();
    let v = f();
    out.push(t.elapsed());
    v
}

fn edit(c: &mut Client, uri: &str, version: usize, text: &str) {
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": text }] }),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; the first number is the iteration count.
    let iters: usize = std::env::args()
        .skip(1)
        .find_map(|s| s.parse().ok())
        .unwrap_or(50)
        .max(1);
    let (root, files, lines) = make_package().expect("write the package");
    let mut c = Client::start();
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
        "package: {} files, {lines} lines ({}); {iters} iterations",
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
        "first open (cold check): {:.2} ms, {} diagnostic(s)",
        t.elapsed().as_secs_f64() * 1e3,
        first.len()
    );
    assert!(first.is_empty(), "{first:?}");

    let hover_at = position(&text, "Send {");
    let doc = |p: Value| json!({ "textDocument": { "uri": uri }, "position": p });
    let mut version = 2;
    let (mut diag, mut hover_after, mut complete_after) = (Vec::new(), Vec::new(), Vec::new());
    let anchor = "            let from = ctx.caller()\n";
    for i in 0..iters {
        let t = Instant::now();
        edit(&mut c, &uri, version, &format!("{text}\n// edit {i}\n"));
        version += 1;
        c.diagnostics(&uri);
        diag.push(t.elapsed());

        edit(&mut c, &uri, version, &format!("{text}\n// edit {i}b\n"));
        version += 1;
        let h = timed(&mut hover_after, || {
            c.request("textDocument/hover", doc(hover_at.clone()))
        });
        assert!(h.to_string().contains("0xa9059cbb"), "{h}");
        // The edit's diagnostics follow the hover's response (from the cache).
        c.diagnostics(&uri);

        let typed = text.replacen(anchor, &format!("{anchor}            storage.\n"), 1);
        edit(&mut c, &uri, version, &typed);
        version += 1;
        let mut at = position(&typed, "            storage.\n");
        at["character"] = json!(20);
        let r = timed(&mut complete_after, || {
            c.request("textDocument/completion", doc(at.clone()))
        });
        assert!(r.to_string().contains("\"balances\""), "{r}");
        c.diagnostics(&uri);
    }
    edit(&mut c, &uri, version, &text);
    c.diagnostics(&uri);
    let (mut hover, mut def, mut refs, mut syms) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut rename, mut tokens, mut fmt) = (Vec::new(), Vec::new(), Vec::new());
    let def_at = position(&text, "storage: Ledger");
    let field_at = position(&text, "storage.balances");
    let field_at = json!({ "line": field_at["line"], "character": field_at["character"].as_u64().unwrap_or(0) + 8 });
    for _ in 0..iters * 4 {
        timed(&mut hover, || {
            c.request("textDocument/hover", doc(hover_at.clone()))
        });
        timed(&mut def, || {
            c.request("textDocument/definition", doc(def_at.clone()))
        });
        let mut p = doc(field_at.clone());
        p["context"] = json!({ "includeDeclaration": true });
        let r = timed(&mut refs, || c.request("textDocument/references", p));
        assert_eq!(r.as_array().map(Vec::len), Some(6), "{r}");
        timed(&mut syms, || {
            c.request(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": uri } }),
            )
        });
    }
    for _ in 0..iters {
        let mut p = doc(field_at.clone());
        p["newName"] = json!("holdings");
        timed(&mut rename, || c.request("textDocument/rename", p));
        timed(&mut tokens, || {
            c.request(
                "textDocument/semanticTokens/full",
                json!({ "textDocument": { "uri": uri } }),
            )
        });
        timed(&mut fmt, || {
            c.request(
                "textDocument/formatting",
                json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
            )
        });
    }
    println!("\n| operation | n | min | median | p95 | max |\n|---|---|---|---|---|---|");
    report("diagnostics after an edit", diag);
    report("hover right after an edit", hover_after);
    report("completion right after an edit", complete_after);
    report("hover (cached)", hover);
    report("definition (cached)", def);
    report("references (cached)", refs);
    report("documentSymbol (cached)", syms);
    report("rename (cached)", rename);
    report("semanticTokens/full (one file)", tokens);
    report("formatting (one file)", fmt);

    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    let ok = c.child.wait().map(|s| s.success()).unwrap_or(false);
    let _ = std::fs::remove_dir_all(&root);
    assert!(ok, "the server did not exit cleanly");
}
