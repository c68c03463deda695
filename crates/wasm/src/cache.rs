//! Compiled modules, cached by code CID in memory and (optionally) on disk as wasmtime's
//! serialised modules under `<dir>/<engine-config-hash>/<cid>.cwasm`, so a restart does not
//! recompile. A module that cannot be loaded from disk is recompiled and rewritten.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use cid::Cid;
use wasmtime::{Engine, InstancePre, Linker, Module};

use crate::host::Host;

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

pub struct ModuleCache {
    dir: Option<PathBuf>,
    modules: Mutex<HashMap<Cid, InstancePre<Host>>>,
    pub stats: CacheStats,
}

impl ModuleCache {
    pub fn new(dir: Option<PathBuf>, config_hash: &str) -> Self {
        Self {
            dir: dir.map(|d| d.join(config_hash)),
            modules: Mutex::new(HashMap::new()),
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

    pub fn get(&self, code: &Cid) -> Option<InstancePre<Host>> {
        let hit = self.modules.lock().ok()?.get(code).cloned();
        if hit.is_some() {
            self.stats.memory_hits.fetch_add(1, Ordering::Relaxed);
        }
        hit
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
    ) -> anyhow::Result<InstancePre<Host>> {
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if write_disk && let Some(path) = self.path(&code) {
            // Best effort: a read-only or full disk only costs a recompile later.
            if let Err(e) = write_atomically(&path, &module) {
                tracing::warn!(%code, "could not cache the compiled module: {e:#}");
            }
        }
        if let Ok(mut m) = self.modules.lock() {
            m.insert(code, pre.clone());
        }
        Ok(pre)
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
