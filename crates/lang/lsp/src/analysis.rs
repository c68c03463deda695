//! The server's model of the sources: open documents over the files on disk, packages, and
//! the cache that keeps a check per package keyed by the hashes of its files' texts.
//!
//! A package is the folder holding `Tandem.toml` above a file, with every `src/**/*.tdm` under
//! it (the driver's rule); a file outside any package is a package of its own. Checking a
//! package parses each file (reusing the last parse of a file whose text and id are
//! unchanged) and, when nothing fails to parse, runs sema as `tandem build` does, so the
//! diagnostics are the CLI's: the same codes, messages and spans.

use crate::index::Index;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tandem_lang_ir::Module;
use tandem_lang_sema::SourceFile;
use tandem_lang_syntax::ast;
use tandem_lang_syntax::diag::{Diagnostic, Span};
use tandem_lang_syntax::parse_file;

pub fn text_hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// One source file of a checked package. Its index in [`Package::files`] is its file id in
/// every span.
pub struct PkgFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub ast: Arc<ast::File>,
}

/// The result of checking one package.
pub struct Package {
    pub root: PathBuf,
    key: u64,
    pub files: Vec<PkgFile>,
    /// Parse errors, or else sema's diagnostics; spans carry file ids.
    pub diags: Vec<Diagnostic>,
    /// The IR of the last version of the package that compiled (possibly of older text:
    /// only name-based metadata is read from it).
    pub module: Option<Arc<Module>>,
    /// Whether `module` was built from exactly these texts.
    pub module_fresh: bool,
    /// Each checked expression's type (sema's probe), for this version only.
    pub types: Vec<(Span, String)>,
    pub index: Index,
}

impl Package {
    pub fn file_id(&self, path: &Path) -> Option<u32> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| i as u32)
    }
}

struct ParseCache {
    hash: u64,
    id: u32,
    ast: Arc<ast::File>,
    diags: Vec<Diagnostic>,
}

/// Counters for tests and the benchmark: how much work the cache saved.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub checks: u64,
    pub cache_hits: u64,
    pub parses: u64,
}

#[derive(Default)]
pub struct World {
    /// Open documents: their text overrides the disk.
    pub docs: HashMap<PathBuf, String>,
    parses: HashMap<PathBuf, ParseCache>,
    packages: HashMap<PathBuf, Arc<Package>>,
    pub stats: Stats,
}

/// The package root of a file: the nearest ancestor folder with `Tandem.toml`.
pub fn package_root(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|d| d.join("Tandem.toml").is_file())
        .map(Path::to_path_buf)
}

fn collect_tdm(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_tdm(&p, out);
        } else if p.extension().is_some_and(|e| e == "tdm") {
            out.push(p);
        }
    }
}

impl World {
    pub fn open(&mut self, path: PathBuf, text: String) {
        self.docs.insert(path, text);
    }

    pub fn close(&mut self, path: &Path) {
        self.docs.remove(path);
    }

    /// The files of the package `path` belongs to, with their current texts.
    fn package_sources(&self, path: &Path) -> (PathBuf, Vec<(PathBuf, String)>) {
        let Some(root) = package_root(path) else {
            let text = self.text_of(path).unwrap_or_default();
            return (path.to_path_buf(), vec![(path.to_path_buf(), text)]);
        };
        let mut paths = Vec::new();
        collect_tdm(&root.join("src"), &mut paths);
        // Open documents of the package that are not on disk yet.
        for p in self.docs.keys() {
            if p.starts_with(root.join("src"))
                && p.extension().is_some_and(|e| e == "tdm")
                && !paths.contains(p)
            {
                paths.push(p.clone());
            }
        }
        if !paths.iter().any(|p| p == path) {
            paths.push(path.to_path_buf());
        }
        paths.sort();
        let files = paths
            .into_iter()
            .filter_map(|p| self.text_of(&p).map(|t| (p, t)))
            .collect();
        (root, files)
    }

    fn text_of(&self, path: &Path) -> Option<String> {
        match self.docs.get(path) {
            Some(t) => Some(t.clone()),
            None => std::fs::read_to_string(path).ok(),
        }
    }

    /// Checks the package of `path`, or returns the cached check when no file of it changed.
    pub fn check(&mut self, path: &Path) -> Arc<Package> {
        let (root, sources) = self.package_sources(path);
        let key = sources_key(&sources);
        let previous = self.packages.get(&root).cloned();
        if let Some(p) = &previous
            && p.key == key
        {
            self.stats.cache_hits += 1;
            return p.clone();
        }
        self.stats.checks += 1;
        let pkg = Arc::new(self.build(path, root.clone(), sources, key, previous, true));
        self.packages.insert(root, pkg.clone());
        pkg
    }

    /// Checks the package of `path` as if `path` held `text`, leaving every cache as it was
    /// (completion checks the text with the half-typed member access taken out).
    pub fn check_as_if(&mut self, path: &Path, text: &str) -> Package {
        let (root, mut sources) = self.package_sources(path);
        for (p, t) in &mut sources {
            if p == path {
                *t = text.to_string();
            }
        }
        let key = sources_key(&sources);
        let previous = self.packages.get(&root).cloned();
        self.build(path, root, sources, key, previous, false)
    }

    fn build(
        &mut self,
        path: &Path,
        root: PathBuf,
        sources: Vec<(PathBuf, String)>,
        key: u64,
        previous: Option<Arc<Package>>,
        cache: bool,
    ) -> Package {
        let mut files = Vec::new();
        let mut diags = Vec::new();
        for (id, (p, text)) in sources.into_iter().enumerate() {
            let hash = text_hash(&text);
            let id = id as u32;
            let cached = self.parses.get(&p).filter(|c| c.hash == hash && c.id == id);
            let (tree, d) = match cached {
                Some(c) => (c.ast.clone(), c.diags.clone()),
                None => {
                    self.stats.parses += 1;
                    let parsed = catch_unwind(|| parse_file(id, &text));
                    let (tree, d) = parsed.unwrap_or_else(|_| {
                        (
                            ast::File { items: Vec::new() },
                            vec![internal_error(id, "the parser failed on this file")],
                        )
                    });
                    let tree = Arc::new(tree);
                    if !cache {
                        diags.extend(d);
                        files.push(PkgFile {
                            path: p,
                            text: Arc::from(text),
                            ast: tree,
                        });
                        continue;
                    }
                    self.parses.insert(
                        p.clone(),
                        ParseCache {
                            hash,
                            id,
                            ast: tree.clone(),
                            diags: d.clone(),
                        },
                    );
                    (tree, d)
                }
            };
            diags.extend(d);
            files.push(PkgFile {
                path: p,
                text: Arc::from(text),
                ast: tree,
            });
        }
        let mut module = previous.as_ref().and_then(|p| p.module.clone());
        let mut module_fresh = false;
        let mut types = Vec::new();
        if diags.is_empty() {
            let sf: Vec<SourceFile> = files
                .iter()
                .enumerate()
                .map(|(i, f)| SourceFile {
                    module: f
                        .path
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or("")
                        .to_string(),
                    name: f
                        .path
                        .file_name()
                        .and_then(|s| s.to_str())
                        .unwrap_or("")
                        .to_string(),
                    file_id: i as u32,
                    ast: (*f.ast).clone(),
                })
                .collect();
            // `check`, not `compile`: a clean package still reports its warnings.
            match catch_unwind(AssertUnwindSafe(|| {
                tandem_lang_sema::probe::check_with_types(&sf)
            })) {
                Ok((m, d, t)) => {
                    if let Some(m) = m {
                        module = Some(Arc::new(m));
                        module_fresh = true;
                    }
                    diags = d.list;
                    types = t;
                }
                Err(_) => diags.push(internal_error(
                    path_id(&files, path),
                    "internal compiler error while checking this package",
                )),
            }
        }
        let index = Index::build(&files);
        Package {
            root,
            key,
            files,
            diags,
            module,
            module_fresh,
            types,
            index,
        }
    }
}

fn sources_key(sources: &[(PathBuf, String)]) -> u64 {
    let mut h = DefaultHasher::new();
    for (p, t) in sources {
        p.hash(&mut h);
        t.hash(&mut h);
    }
    h.finish()
}

fn path_id(files: &[PkgFile], path: &Path) -> u32 {
    files.iter().position(|f| f.path == path).unwrap_or(0) as u32
}

fn internal_error(file: u32, msg: &str) -> Diagnostic {
    Diagnostic::error("E0000", msg, Span::new(file, 0, 0), "here")
}

/// Byte offsets and LSP positions (lines and UTF-16 columns).
pub fn offset_to_position(text: &str, offset: usize) -> lsp_types::Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    lsp_types::Position::new(line as u32, col as u32)
}

pub fn position_to_offset(text: &str, pos: lsp_types::Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let mut units = 0u32;
    for (i, c) in text[line_start..].char_indices() {
        if units >= pos.character || c == '\n' {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

pub fn span_range(text: &str, span: Span) -> lsp_types::Range {
    lsp_types::Range::new(
        offset_to_position(text, span.lo as usize),
        offset_to_position(text, span.hi as usize),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_rechecks_only_its_package() {
        let root = std::env::temp_dir().join(format!("tandem-lsp-cache-{}", std::process::id()));
        let mk = |name: &str, src: &str| {
            let d = root.join(name);
            std::fs::create_dir_all(d.join("src")).ok();
            std::fs::write(d.join("Tandem.toml"), "[package]\nname = \"x\"\n").ok();
            std::fs::write(d.join("src/A.tdm"), src).ok();
            d.join("src/A.tdm")
        };
        let src = "struct S { a: u256 }\nfn f() -> u256 { 1 }\n";
        let (a, b) = (mk("a", src), mk("b", src));
        let mut w = World::default();
        w.open(a.clone(), src.into());
        w.open(b.clone(), src.into());
        assert!(w.check(&a).diags.is_empty());
        assert!(w.check(&b).diags.is_empty());
        assert_eq!(w.stats.checks, 2);
        w.open(a.clone(), format!("{src}fn g() -> bool {{ 1 }}\n"));
        let pa = w.check(&a);
        assert_eq!(pa.diags.len(), 1, "{:?}", pa.diags);
        let _ = w.check(&b);
        let _ = w.check(&a);
        assert_eq!(
            (w.stats.checks, w.stats.cache_hits, w.stats.parses),
            (3, 2, 3)
        );
        // A package that does not parse keeps the last good module for hover.
        w.open(a.clone(), "contract {".into());
        let pa = w.check(&a);
        assert!(!pa.diags.is_empty() && pa.module.is_some() && !pa.module_fresh);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn positions_round_trip_with_utf16() {
        let t = "ab\n// é𝄞x\nz";
        let off = t.find('x').unwrap_or(0);
        let p = offset_to_position(t, off);
        assert_eq!(p, lsp_types::Position::new(1, 6));
        assert_eq!(position_to_offset(t, p), off);
        assert_eq!(
            position_to_offset(t, lsp_types::Position::new(9, 9)),
            t.len()
        );
        assert_eq!(position_to_offset(t, lsp_types::Position::new(0, 99)), 2);
    }
}
