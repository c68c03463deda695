//! Compiled modules, cached by code CID in memory and (optionally) on disk as wasmtime's
//! serialised modules under `<dir>/<engine-config-hash>/<cid>.cwasm`, so a restart does not
//! recompile. A module that cannot be loaded from disk is recompiled and rewritten.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cid::Cid;
use rustc_hash::FxHashMap;
use wasmtime::{Engine, ExternType, InstancePre, Linker, Module, ModuleExport, ValType};

use crate::config::{ENTRY_POINT, MEMORY_EXPORT};
use crate::host::Host;
use crate::rewrite::{GLOBAL_PREFIX, RESET_EXPORT, RESETTABLE_MARKER, TABLE_EXPORT};

/// Counters the tests and benchmarks read.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub compiled: AtomicU64,
    pub loaded_from_disk: AtomicU64,
    pub memory_hits: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSnapshot {
    pub compiled: u64,
    pub loaded_from_disk: u64,
    pub memory_hits: u64,
}

/// Compiled modules kept in memory at most. Each holds executable mappings, and a process
/// has a bounded number of those: an unbounded cache made a long-running node refuse installs
/// that a fresh one accepts (found by the fuzzer). Evicted modules reload from disk or are
/// recompiled; gas never depends on the cache.
pub const MAX_CACHED_MODULES: usize = 1024;

/// Inserts into a per-code side table (prices, images) that must stay bounded like the module
/// cache: when full and `code` is new, the table is emptied first. Entries are derived from a
/// code's bytes, so a forgotten one is recomputed; nothing observable depends on the table.
pub fn insert_bounded<V>(table: &mut FxHashMap<Cid, V>, code: Cid, value: V) {
    if table.len() >= MAX_CACHED_MODULES && !table.contains_key(&code) {
        table.clear();
    }
    table.insert(code, value);
}

/// A linked module and its two exports, looked up once instead of by name on every call.
#[derive(Clone)]
pub struct Linked {
    pub pre: InstancePre<Host>,
    /// `invoke`, present only when its type is `(i32) -> i32`, so a caller may build its
    /// typed function without checking the type again.
    pub entry: Option<ModuleExport>,
    pub memory: Option<ModuleExport>,
    /// How a finished instance is reset for reuse; `None` when the module is not resettable
    /// (`rewrite.rs` marks those that are).
    pub reset: Option<Arc<ResetPlan>>,
}

/// The exports through which the host resets a reused instance (`warm.rs`).
pub struct ResetPlan {
    pub globals: Vec<ModuleExport>,
    pub table: Option<ModuleExport>,
    /// The function that restores every mutable global (`rewrite::RESET_EXPORT`), when the
    /// module has one and it has the type `() -> ()`.
    pub reset_fn: Option<ModuleExport>,
}

impl ResetPlan {
    fn of(module: &Module) -> Option<Self> {
        module.get_export_index(RESETTABLE_MARKER)?;
        let globals = module
            .exports()
            .filter(|e| e.name().starts_with(GLOBAL_PREFIX))
            .map(|e| module.get_export_index(e.name()))
            .collect::<Option<Vec<_>>>()?;
        let table = module.get_export_index(TABLE_EXPORT);
        let reset_fn = match module.get_export(RESET_EXPORT) {
            Some(ExternType::Func(f)) if f.params().len() == 0 && f.results().len() == 0 => {
                module.get_export_index(RESET_EXPORT)
            }
            _ => None,
        };
        Some(Self {
            globals,
            table,
            reset_fn,
        })
    }
}

impl Linked {
    fn new(pre: InstancePre<Host>) -> Self {
        let module = pre.module();
        let entry_ok = matches!(
            module.get_export(ENTRY_POINT),
            Some(ExternType::Func(f)) if is_i32(f.params()) && is_i32(f.results())
        );
        let entry = entry_ok
            .then(|| module.get_export_index(ENTRY_POINT))
            .flatten();
        let memory = module.get_export_index(MEMORY_EXPORT);
        let reset = ResetPlan::of(module).map(Arc::new);
        Self {
            pre,
            entry,
            memory,
            reset,
        }
    }
}

/// Whether a list of value types is exactly one `i32`.
fn is_i32(mut types: impl ExactSizeIterator<Item = ValType>) -> bool {
    types.len() == 1 && types.next().is_some_and(|t| matches!(t, ValType::I32))
}

/// A cached module and when it was last used (a counter, for least-recently-used eviction).
struct Cached {
    linked: Linked,
    used: u64,
}

pub struct ModuleCache {
    dir: Option<PathBuf>,
    /// Fx, not SipHash: looked up on every call, bounded by `capacity`, keyed by code CIDs
    /// (hashes of installed code, each install paid for).
    modules: Mutex<FxHashMap<Cid, Cached>>,
    capacity: usize,
    clock: AtomicU64,
    pub stats: CacheStats,
}

impl ModuleCache {
    pub fn new(dir: Option<PathBuf>, config_hash: &str) -> Self {
        Self::with_capacity(dir, config_hash, MAX_CACHED_MODULES)
    }

    /// A cache holding at most `capacity` modules in memory.
    pub fn with_capacity(dir: Option<PathBuf>, config_hash: &str, capacity: usize) -> Self {
        Self {
            dir: dir.map(|d| d.join(config_hash)),
            modules: Mutex::new(FxHashMap::default()),
            capacity: capacity.max(1),
            clock: AtomicU64::new(0),
            stats: CacheStats::default(),
        }
    }

    pub fn snapshot(&self) -> CacheSnapshot {
        CacheSnapshot {
            compiled: self.stats.compiled.load(Ordering::Relaxed),
            loaded_from_disk: self.stats.loaded_from_disk.load(Ordering::Relaxed),
            memory_hits: self.stats.memory_hits.load(Ordering::Relaxed),
        }
    }

    fn path(&self, code: &Cid) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{code}.cwasm")))
    }

    pub fn get(&self, code: &Cid) -> Option<Linked> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut modules = self.modules.lock().ok()?;
        let cached = modules.get_mut(code)?;
        cached.used = now;
        self.stats.memory_hits.fetch_add(1, Ordering::Relaxed);
        Some(cached.linked.clone())
    }

    /// Modules held in memory now.
    pub fn len(&self) -> usize {
        self.modules.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The module from the disk cache, if there is a usable one.
    pub fn load_from_disk(&self, engine: &Engine, code: &Cid) -> Option<Module> {
        let path = self.path(code)?;
        if !path.exists() {
            return None;
        }
        // SAFETY: the file was written by `store` below from a module this engine
        // configuration compiled (the directory is keyed by the configuration hash);
        // wasmtime still checks the header and the compatibility hash.
        match unsafe { Module::deserialize_file(engine, &path) } {
            Ok(m) => {
                self.stats.loaded_from_disk.fetch_add(1, Ordering::Relaxed);
                Some(m)
            }
            Err(e) => {
                tracing::warn!(%code, "discarding an unreadable cached module: {e}");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Compiles a module (counted), without caching it.
    pub fn compile(&self, engine: &Engine, wasm: &[u8]) -> anyhow::Result<Module> {
        self.stats.compiled.fetch_add(1, Ordering::Relaxed);
        Module::new(engine, wasm).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Links and remembers a module in memory and on disk.
    pub fn insert(
        &self,
        linker: &Linker<Host>,
        code: Cid,
        module: Module,
        write_disk: bool,
    ) -> anyhow::Result<Linked> {
        let linked = Linked::new(
            linker
                .instantiate_pre(&module)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
        if write_disk && let Some(path) = self.path(&code) {
            // Best effort: a read-only or full disk only costs a recompile later.
            if let Err(e) = write_atomically(&path, &module) {
                tracing::warn!(%code, "could not cache the compiled module: {e:#}");
            }
        }
        if let Ok(mut m) = self.modules.lock() {
            if m.len() >= self.capacity && !m.contains_key(&code) {
                // Installs are rare next to calls: a scan for the oldest is cheap enough.
                if let Some(oldest) = m.iter().min_by_key(|(_, c)| c.used).map(|(k, _)| *k) {
                    m.remove(&oldest);
                }
            }
            let used = self.clock.fetch_add(1, Ordering::Relaxed);
            m.insert(
                code,
                Cached {
                    linked: linked.clone(),
                    used,
                },
            );
        }
        Ok(linked)
    }
}

fn write_atomically(path: &std::path::Path, module: &Module) -> anyhow::Result<()> {
    let bytes = module.serialize().map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_tables_stay_bounded() {
        let mut table = FxHashMap::default();
        for i in 0..(3 * MAX_CACHED_MODULES as u32) {
            let code = crate::runtime::code_cid(&i.to_le_bytes());
            insert_bounded(&mut table, code, i);
            assert!(table.len() <= MAX_CACHED_MODULES);
            assert_eq!(table.get(&code), Some(&i));
        }
        // Re-inserting a present key never empties the table.
        let present = *table.keys().next().expect("non-empty");
        let before = table.len();
        insert_bounded(&mut table, present, 0);
        assert_eq!(table.len(), before);
    }

    #[test]
    fn the_memory_cache_is_bounded_and_evicts_the_least_recently_used() {
        let engine = crate::config::engine().unwrap();
        let linker = crate::syscalls::linker(&engine).unwrap();
        let cache = ModuleCache::with_capacity(None, "test", 3);
        let code = |i: u32| {
            let wasm = wat::parse_str(format!(
                r#"(module (memory (export "memory") 1)
                     (func (export "invoke") (param i32) (result i32) (i32.const {i})))"#
            ))
            .unwrap();
            (crate::runtime::code_cid(&wasm), wasm)
        };
        let mut cids = Vec::new();
        for i in 0..5 {
            let (cid, wasm) = code(i);
            let module = cache.compile(&engine, &wasm).unwrap();
            cache.insert(&linker, cid, module, false).unwrap();
            cids.push(cid);
            // Keep the first module in use: it must survive every eviction.
            assert!(cache.get(&cids[0]).is_some());
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&cids[0]).is_some());
        assert!(cache.get(&cids[4]).is_some());
        assert!(cache.get(&cids[1]).is_none());
    }
}
