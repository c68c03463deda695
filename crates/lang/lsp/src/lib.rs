//! `tandem lsp`: a language server for Tandem over stdio (docs/lsp.md).
//!
//! Synchronous and single-threaded on `lsp-server`: full-text sync, diagnostics from the
//! parser and sema (the CLI's codes and spans), document symbols, hover (a variant's Solidity
//! signature, selector and FRC-0042 number; a storage field's slot and offset; an
//! expression's type from sema's probe), go to definition, find references and rename across
//! the files of a package, completion, semantic tokens from the lossless syntax tree, and
//! formatting through `tandem-lang-fmt`. Each package's check is cached by the hashes of its files'
//! texts (`analysis::World`), so an edit re-checks only the edited file's package, and a
//! request between edits costs no check at all.

pub mod analysis;
pub mod complete;
pub mod features;
pub mod index;
pub mod refs;
pub mod tokens;

use analysis::{World, position_to_offset};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lt;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Runs the server on stdin/stdout until the client says `exit`.
pub fn run_stdio() -> anyhow::Result<()> {
    let (conn, io) = Connection::stdio();
    serve(&conn)?;
    drop(conn);
    io.join()?;
    Ok(())
}

pub fn capabilities() -> lt::ServerCapabilities {
    lt::ServerCapabilities {
        text_document_sync: Some(lt::TextDocumentSyncCapability::Kind(
            lt::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        document_formatting_provider: Some(lt::OneOf::Left(true)),
        references_provider: Some(lt::OneOf::Left(true)),
        rename_provider: Some(lt::OneOf::Right(lt::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(vec![".".into(), ":".into()]),
            ..Default::default()
        }),
        semantic_tokens_provider: Some(
            lt::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lt::SemanticTokensOptions {
                    legend: tokens::legend(),
                    full: Some(lt::SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: Default::default(),
                },
            ),
        ),
        ..Default::default()
    }
}

/// Serves one client on a connection: the initialize handshake, then requests and
/// notifications until `shutdown` and `exit`.
pub fn serve(conn: &Connection) -> anyhow::Result<()> {
    let caps = serde_json::to_value(capabilities())?;
    let info = serde_json::json!({ "name": "tandem", "version": env!("CARGO_PKG_VERSION") });
    let (id, _params) = conn.initialize_start()?;
    conn.initialize_finish(
        id,
        serde_json::json!({ "capabilities": caps, "serverInfo": info }),
    )?;
    let mut server = Server {
        world: World::default(),
        uris: HashMap::new(),
        dirty: BTreeSet::new(),
        published: HashMap::new(),
    };
    server.run(conn)
}

struct Server {
    world: World,
    /// The URI each open document was opened under.
    uris: HashMap<PathBuf, lt::Url>,
    /// Documents whose package needs fresh diagnostics.
    dirty: BTreeSet<PathBuf>,
    /// Per package root: the files diagnostics were last published for.
    published: HashMap<PathBuf, BTreeSet<PathBuf>>,
}

fn uri_path(uri: &lt::Url) -> PathBuf {
    uri.to_file_path()
        .unwrap_or_else(|_| PathBuf::from(uri.as_str()))
}

fn error_response(id: RequestId, code: ErrorCode, msg: impl Into<String>) -> Response {
    Response::new_err(id, code as i32, msg.into())
}

impl Server {
    fn run(&mut self, conn: &Connection) -> anyhow::Result<()> {
        while let Ok(msg) = conn.receiver.recv() {
            match msg {
                Message::Request(req) => {
                    if conn.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    let resp = self.request(req);
                    conn.sender.send(Message::Response(resp))?;
                }
                Message::Notification(n) => {
                    if n.method == lt::notification::Exit::METHOD {
                        return Ok(());
                    }
                    self.notification(n);
                }
                Message::Response(_) => {}
            }
            // Edits that arrive in a burst are checked once, after the last of them.
            if conn.receiver.is_empty() {
                self.publish(conn)?;
            }
        }
        Ok(())
    }

    fn uri_for(&self, path: &Path) -> Option<lt::Url> {
        self.uris
            .get(path)
            .cloned()
            .or_else(|| features::path_uri(path))
    }

    fn publish(&mut self, conn: &Connection) -> anyhow::Result<()> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut done: BTreeSet<PathBuf> = BTreeSet::new();
        for path in dirty {
            if !self.world.docs.contains_key(&path) {
                continue;
            }
            let pkg = self.world.check(&path);
            if !done.insert(pkg.root.clone()) {
                continue;
            }
            let before = self.published.remove(&pkg.root).unwrap_or_default();
            let mut now = BTreeSet::new();
            for (i, f) in pkg.files.iter().enumerate() {
                let diags = features::diagnostics(&pkg, i as u32);
                // Files with nothing to say are only told when they had something before
                // or are open.
                if diags.is_empty()
                    && !before.contains(&f.path)
                    && !self.world.docs.contains_key(&f.path)
                {
                    continue;
                }
                if !diags.is_empty() {
                    now.insert(f.path.clone());
                }
                let Some(uri) = self.uri_for(&f.path) else {
                    continue;
                };
                let params = lt::PublishDiagnosticsParams::new(uri, diags, None);
                conn.sender.send(Message::Notification(Notification::new(
                    lt::notification::PublishDiagnostics::METHOD.into(),
                    params,
                )))?;
            }
            self.published.insert(pkg.root.clone(), now);
        }
        Ok(())
    }

    fn notification(&mut self, n: Notification) {
        use lt::notification as N;
        match n.method.as_str() {
            N::DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params) {
                    let path = uri_path(&p.text_document.uri);
                    self.uris.insert(path.clone(), p.text_document.uri);
                    self.world.open(path.clone(), p.text_document.text);
                    self.dirty.insert(path);
                }
            }
            N::DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params) {
                    let path = uri_path(&p.text_document.uri);
                    // Full sync: the last change holds the whole text.
                    if let Some(c) = p.content_changes.into_iter().last()
                        && c.range.is_none()
                    {
                        self.world.open(path.clone(), c.text);
                        self.dirty.insert(path);
                    }
                }
            }
            N::DidSaveTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lt::DidSaveTextDocumentParams>(n.params) {
                    self.dirty.insert(uri_path(&p.text_document.uri));
                }
            }
            N::DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params) {
                    let path = uri_path(&p.text_document.uri);
                    self.world.close(&path);
                    self.uris.remove(&path);
                    // Its package is re-read from disk; other open files of it get fresh
                    // diagnostics.
                    let others: Vec<PathBuf> = self.world.docs.keys().cloned().collect();
                    self.dirty.extend(others);
                }
            }
            _ => {}
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        match catch_unwind(AssertUnwindSafe(|| self.dispatch(req))) {
            Ok(Ok(v)) => Response::new_ok(id, v),
            Ok(Err(e)) => e,
            Err(_) => error_response(id, ErrorCode::InternalError, "internal error"),
        }
    }

    /// Resolves a text-document position to (package, file id, byte offset).
    fn locate(
        &mut self,
        doc: &lt::TextDocumentPositionParams,
    ) -> Option<(std::sync::Arc<analysis::Package>, u32, u32)> {
        let path = uri_path(&doc.text_document.uri);
        let pkg = self.world.check(&path);
        let id = pkg.file_id(&path)?;
        let text = &pkg.files[id as usize].text;
        let off = position_to_offset(text, doc.position) as u32;
        Some((pkg, id, off))
    }

    fn dispatch(&mut self, req: Request) -> Result<Value, Response> {
        use lt::request as R;
        let id = req.id.clone();
        let bad = |e: serde_json::Error| {
            error_response(id.clone(), ErrorCode::InvalidParams, e.to_string())
        };
        let json = |v: serde_json::Result<Value>| v.unwrap_or(Value::Null);
        match req.method.as_str() {
            R::HoverRequest::METHOD => {
                let p: lt::HoverParams = serde_json::from_value(req.params).map_err(bad)?;
                let h = self
                    .locate(&p.text_document_position_params)
                    .and_then(|(pkg, id, off)| features::hover(&pkg, id, off));
                Ok(json(serde_json::to_value(h)))
            }
            R::GotoDefinition::METHOD => {
                let p: lt::GotoDefinitionParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let d = self
                    .locate(&p.text_document_position_params)
                    .and_then(|(pkg, id, off)| features::definition(&pkg, id, off))
                    .map(lt::GotoDefinitionResponse::Scalar);
                Ok(json(serde_json::to_value(d)))
            }
            R::DocumentSymbolRequest::METHOD => {
                let p: lt::DocumentSymbolParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let path = uri_path(&p.text_document.uri);
                let pkg = self.world.check(&path);
                let syms = pkg
                    .file_id(&path)
                    .map(|i| features::document_symbols(&pkg, i))
                    .unwrap_or_default();
                Ok(json(serde_json::to_value(
                    lt::DocumentSymbolResponse::Nested(syms),
                )))
            }
            R::References::METHOD => {
                let p: lt::ReferenceParams = serde_json::from_value(req.params).map_err(bad)?;
                let locs = self
                    .locate(&p.text_document_position)
                    .map(|(pkg, id, off)| {
                        refs::references(&pkg, id, off, p.context.include_declaration)
                    })
                    .unwrap_or_default();
                Ok(json(serde_json::to_value(locs)))
            }
            R::PrepareRenameRequest::METHOD => {
                let p: lt::TextDocumentPositionParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let (pkg, file, off) = self.locate(&p).ok_or_else(|| {
                    error_response(id.clone(), ErrorCode::RequestFailed, "no such document")
                })?;
                match refs::prepare_rename(&pkg, file, off) {
                    Ok(r) => Ok(json(serde_json::to_value(
                        lt::PrepareRenameResponse::Range(r),
                    ))),
                    Err(e) => Err(error_response(id, ErrorCode::RequestFailed, e)),
                }
            }
            R::Rename::METHOD => {
                let p: lt::RenameParams = serde_json::from_value(req.params).map_err(bad)?;
                let (pkg, file, off) = self.locate(&p.text_document_position).ok_or_else(|| {
                    error_response(id.clone(), ErrorCode::RequestFailed, "no such document")
                })?;
                let edits = refs::rename_edits(&pkg, file, off, &p.new_name)
                    .map_err(|e| error_response(id.clone(), ErrorCode::RequestFailed, e))?;
                let mut changes = HashMap::new();
                for (f, e) in edits {
                    if let Some(uri) = pkg
                        .files
                        .get(f as usize)
                        .and_then(|f| self.uri_for(&f.path))
                    {
                        changes.insert(uri, e);
                    }
                }
                Ok(json(serde_json::to_value(lt::WorkspaceEdit::new(changes))))
            }
            R::Completion::METHOD => {
                let p: lt::CompletionParams = serde_json::from_value(req.params).map_err(bad)?;
                let path = uri_path(&p.text_document_position.text_document.uri);
                let items = match self.locate(&p.text_document_position) {
                    Some((pkg, file, _)) => {
                        let text = &pkg.files[file as usize].text;
                        let off = position_to_offset(text, p.text_document_position.position);
                        complete::completion(&mut self.world, &path, &pkg, file, off)
                    }
                    None => Vec::new(),
                };
                Ok(json(serde_json::to_value(lt::CompletionResponse::Array(
                    items,
                ))))
            }
            R::SemanticTokensFullRequest::METHOD => {
                let p: lt::SemanticTokensParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let path = uri_path(&p.text_document.uri);
                let text = self
                    .world
                    .docs
                    .get(&path)
                    .cloned()
                    .or_else(|| std::fs::read_to_string(&path).ok())
                    .unwrap_or_default();
                let data = tokens::semantic_tokens(&text);
                Ok(json(serde_json::to_value(
                    lt::SemanticTokensResult::Tokens(lt::SemanticTokens {
                        result_id: None,
                        data,
                    }),
                )))
            }
            R::Formatting::METHOD => {
                let p: lt::DocumentFormattingParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let path = uri_path(&p.text_document.uri);
                let text = self
                    .world
                    .docs
                    .get(&path)
                    .cloned()
                    .or_else(|| std::fs::read_to_string(&path).ok())
                    .unwrap_or_default();
                match features::format(&text) {
                    Ok(edits) => Ok(json(serde_json::to_value(edits))),
                    Err(e) => Err(error_response(id, ErrorCode::RequestFailed, e)),
                }
            }
            _ => Err(error_response(
                id,
                ErrorCode::MethodNotFound,
                format!("unknown method `{}`", req.method),
            )),
        }
    }
}
