//! The front end as the driver runs it: parse and check, keeping the sources and syntax trees
//! so warnings can be rendered and a backend's refusal can be given the span of the construct
//! it names (`E0800` for the EVM backend, `E0801` for the WASM backend).
//!
//! Backends report errors as text, `Contract: what (in `Variant`)` (the handler is named when
//! the error arose in one, `init` for the constructor); [`Checked::backend_error`] finds the
//! handler's arm, the constructor or the contract in the syntax trees.

use std::path::Path;
use tandem_lang_ir::Module;
use tandem_lang_sema::SourceFile;
use tandem_lang_syntax::ast::ItemKind;
use tandem_lang_syntax::diag::{Diagnostic, Severity, Span};
use tandem_lang_syntax::{SourceMap, parse_file};

/// Rendered diagnostics as an error: the CLI prints it as it is (it already starts with
/// `error[E…]`), without another `error:` in front.
#[derive(Debug)]
pub struct Rendered(pub String);

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.trim_end())
    }
}

impl std::error::Error for Rendered {}

/// A program that checked cleanly: sema's module, its warnings and what rendering needs.
pub struct Checked {
    pub module: Module,
    pub warnings: Vec<Diagnostic>,
    map: SourceMap,
    files: Vec<SourceFile>,
}

/// Parses and checks named sources: the module and its warnings, or the rendered errors.
pub fn check_sources(sources: &[(String, String)]) -> Result<Checked, String> {
    let mut map = SourceMap::new();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in sources {
        let id = map.add(name.clone(), text.clone());
        let (ast, diags) = parse_file(id, text);
        errors.extend(diags);
        let stem = Path::new(name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(name)
            .to_string();
        let base = Path::new(name)
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or(name)
            .to_string();
        files.push(SourceFile {
            module: stem,
            name: base,
            file_id: id,
            ast,
        });
    }
    if !errors.is_empty() {
        return Err(map.render_all(&errors));
    }
    match tandem_lang_sema::check(&files) {
        (Some(module), diags) => Ok(Checked {
            module,
            warnings: diags
                .list
                .into_iter()
                .filter(|d| d.severity == Severity::Warning)
                .collect(),
            map,
            files,
        }),
        (None, diags) => Err(map.render_all(&diags.list)),
    }
}

/// Which backend refused.
#[derive(Clone, Copy)]
pub enum Backend {
    Evm,
    Wasm,
}

impl Checked {
    /// The warnings, rendered (empty when there are none).
    pub fn render_warnings(&self) -> String {
        self.map.render_all(&self.warnings)
    }

    /// A backend's error as a rendered diagnostic at the construct it names.
    pub fn backend_error(&self, backend: Backend, msg: &str) -> String {
        let d = self.backend_diagnostic(backend, msg);
        self.map.render(&d)
    }

    pub fn backend_diagnostic(&self, backend: Backend, msg: &str) -> Diagnostic {
        let (code, who) = match backend {
            Backend::Evm => ("E0800", "the EVM backend"),
            Backend::Wasm => ("E0801", "the WASM backend"),
        };
        let (contract, rest) = match msg.split_once(": ") {
            Some((c, r)) if !c.contains(' ') => (Some(c), r),
            _ => (None, msg),
        };
        let (what, handler) = match rest.trim_end().strip_suffix("`)") {
            Some(head) => match head.rsplit_once(" (in `") {
                Some((w, h)) => (w, Some(h)),
                None => (rest.trim_end(), None),
            },
            None => (rest.trim_end(), None),
        };
        if matches!(backend, Backend::Wasm) && what.contains("`asm evm`") {
            return self.asm_refused(contract, handler, what);
        }
        let (span, label) = match contract.and_then(|c| self.locate(c, handler)) {
            Some(found) => found,
            None => (
                Span::new(0, 0, 0),
                "while generating code for this program".into(),
            ),
        };
        // The WASM backend's refusals end in "… is not supported by the WASM target yet";
        // some of its messages already say "is not supported yet".
        let what = what
            .strip_suffix(" is not supported by the WASM target yet")
            .filter(|w| w.ends_with("not supported yet"))
            .unwrap_or(what);
        Diagnostic::error(
            code,
            format!("{who} cannot compile this: {what}"),
            span,
            label,
        )
    }

    /// E0802: the WASM build of a contract with inline EVM assembly, at the `asm evm` block
    /// (in the handler's arm when it is written there, else the first in the sources).
    fn asm_refused(&self, contract: Option<&str>, handler: Option<&str>, what: &str) -> Diagnostic {
        let arm = self.files.iter().find_map(|f| {
            f.ast.items.iter().find_map(|item| match &item.kind {
                ItemKind::Contract(c) if Some(c.name.name.as_str()) == contract => c
                    .recvs
                    .iter()
                    .flat_map(|r| &r.arms)
                    .find(|a| Some(a.variant.last().name.as_str()) == handler)
                    .map(|a| a.span),
                _ => None,
            })
        });
        let find = |f: &SourceFile| {
            tandem_lang_syntax::find_asm(f.file_id, self.map.source(f.file_id), arm)
        };
        let in_arm = arm.and_then(|a| {
            self.files
                .iter()
                .filter(|f| f.file_id == a.file)
                .find_map(find)
                .filter(|s| a.lo <= s.lo && s.hi <= a.hi)
        });
        let span = in_arm
            .or_else(|| self.files.iter().find_map(find))
            .unwrap_or(Span::new(0, 0, 0));
        Diagnostic::error(
            "E0802",
            format!("the WASM target cannot compile this: {what}"),
            span,
            "EVM assembly",
        )
        .with_help(
            "build this contract for the EVM only (`tandem build --target evm`, `tandem test --target evm`)",
        )
    }

    /// The span of a handler's arm (or `init`) in a contract, or of the contract's name.
    fn locate(&self, contract: &str, handler: Option<&str>) -> Option<(Span, String)> {
        // `(in `fn name`)` or `(in `fn name<T>`)`: an internal function (issue 17).
        if let Some(name) = handler.and_then(|h| h.strip_prefix("fn ")) {
            let name = name.split('<').next().unwrap_or(name);
            let mut fns = self
                .files
                .iter()
                .flat_map(|f| &f.ast.items)
                .flat_map(|item| match &item.kind {
                    ItemKind::Fn(f) => vec![f],
                    ItemKind::Contract(c) if c.name.name == contract => c.fns.iter().collect(),
                    _ => vec![],
                });
            if let Some(f) = fns.find(|f| f.name.name == name) {
                return Some((f.name.span, "in this function".into()));
            }
        }
        let mut alias_span = None;
        for f in &self.files {
            for item in &f.ast.items {
                match &item.kind {
                    ItemKind::Contract(c) if c.name.name == contract => {
                        if handler == Some("init")
                            && let Some(init) = &c.init
                        {
                            let lo = init.span.lo as usize;
                            let span = Span::new(init.span.file, lo, lo + 4);
                            return Some((span, "in this constructor".into()));
                        }
                        for r in &c.recvs {
                            for arm in &r.arms {
                                if Some(arm.variant.last().name.as_str()) == handler {
                                    return Some((arm.variant.span, "in this handler".into()));
                                }
                            }
                        }
                        return Some((c.name.span, "in this contract".into()));
                    }
                    ItemKind::TypeAlias(a) if a.name.name == contract => {
                        // `type Wallet = Generic<Args>`: the generic contract's handler.
                        let inner = match &a.ty {
                            tandem_lang_syntax::ast::TypeExpr::Path(p)
                                if p.last().name != contract =>
                            {
                                self.locate(&p.last().name, handler)
                            }
                            _ => None,
                        };
                        alias_span = inner.or(Some((a.name.span, "in this contract".into())));
                    }
                    _ => {}
                }
            }
        }
        alias_span
    }
}
