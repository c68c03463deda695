//! Expression types for tools: [`compile_with_types`] runs [`crate::compile`] and also
//! returns the type sema gave each expression it checked, by span (the language server's
//! hover). Off unless asked for, so ordinary compiles pay nothing.

use std::cell::RefCell;
use tandem_lang_ir::Module;
use tandem_lang_syntax::diag::{Diagnostics, Span};

thread_local! {
    static TYPES: RefCell<Option<Vec<(Span, String)>>> = const { RefCell::new(None) };
}

/// Empties the recorder when dropped, even if compilation unwinds.
struct Recording;

impl Drop for Recording {
    fn drop(&mut self) {
        TYPES.with(|t| t.borrow_mut().take());
    }
}

/// Compiles like [`crate::compile`] and returns every checked expression's span and type as
/// sema displays it. A generic body checked once per instantiation appears once per check.
pub fn compile_with_types(
    files: &[crate::SourceFile],
) -> (Result<Module, Diagnostics>, Vec<(Span, String)>) {
    let guard = Recording;
    TYPES.with(|t| *t.borrow_mut() = Some(Vec::new()));
    let result = crate::compile(files);
    let types = TYPES.with(|t| t.borrow_mut().take()).unwrap_or_default();
    drop(guard);
    (result, types)
}

/// [`compile_with_types`] through [`crate::check`]: the module when there are no errors,
/// every diagnostic (errors, or else the warnings) and the types.
pub fn check_with_types(
    files: &[crate::SourceFile],
) -> (Option<Module>, Diagnostics, Vec<(Span, String)>) {
    let guard = Recording;
    TYPES.with(|t| *t.borrow_mut() = Some(Vec::new()));
    let (module, diags) = crate::check(files);
    let types = TYPES.with(|t| t.borrow_mut().take()).unwrap_or_default();
    drop(guard);
    (module, diags, types)
}

pub(crate) fn record(span: Span, ty: impl FnOnce() -> String) {
    TYPES.with(|t| {
        if let Ok(mut slot) = t.try_borrow_mut()
            && let Some(v) = slot.as_mut()
        {
            v.push((span, ty()));
        }
    });
}

#[cfg(test)]
mod tests {
    use tandem_lang_syntax::diag::Severity;

    /// Warnings and types come back together (what an editor shows on a clean file).
    #[test]
    fn check_with_types_returns_warnings_and_types() {
        let src = "fn f() -> u256 {\n    let unused = 1\n    2\n}\n";
        let (ast, diags) = tandem_lang_syntax::parse_file(0, src);
        assert!(diags.is_empty());
        let files = [crate::SourceFile {
            module: "F".into(),
            name: "F.tdm".into(),
            file_id: 0,
            ast,
        }];
        let (module, diags, types) = super::check_with_types(&files);
        assert!(module.is_some());
        assert_eq!(diags.list.len(), 1, "{:?}", diags.list);
        assert_eq!(diags.list[0].severity, Severity::Warning);
        assert_eq!(diags.list[0].code, "W0001");
        assert!(!types.is_empty());
    }
}
