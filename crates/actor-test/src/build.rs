//! Building an actor crate to a WASM module: `cargo build --release --target
//! wasm32-unknown-unknown` with the actor profile ([`crate::profile::ACTOR_PROFILE`]),
//! reading the module's path from cargo's own report (so the crate's name, target dir and
//! workspace need no guessing).
//!
//! The 32 KiB stack comes from the crate's `.cargo/config.toml` (as `tandem new --actor`
//! writes it, and as this workspace has it); `RUSTFLAGS` is cleared for the build because it
//! would replace that setting. [`Module::initial_pages`] tells whether it took effect.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, anyhow, bail};
use wasmtime::wasmparser::{Parser, Payload};

use crate::profile::actor_profile_env;

/// The WASM target actors are built for.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// Initial memory pages of a module built with the 32 KiB stack are few; Rust's default
/// 1 MiB stack alone is 16 pages, paid on every call (docs/gas.md).
pub const LARGE_INITIAL_PAGES: u64 = 17;

/// A built module.
#[derive(Debug, Clone)]
pub struct Module {
    /// Where cargo wrote it.
    pub path: PathBuf,
    pub wasm: Vec<u8>,
    /// The minimum of its memory (64 KiB pages): what every call pays for.
    pub initial_pages: Option<u64>,
}

impl Module {
    /// A hint when the initial memory looks like Rust's default 1 MiB stack.
    pub fn stack_warning(&self) -> Option<String> {
        let pages = self.initial_pages?;
        (pages >= LARGE_INITIAL_PAGES).then(|| {
            format!(
                "the module starts with {pages} pages of memory ({} KiB), paid on every call: \
                 Rust's default stack is 1 MiB; give the crate a .cargo/config.toml with \
                 [target.wasm32-unknown-unknown] rustflags = [\"-C\", \
                 \"link-arg=-zstack-size=32768\"] (tandem new --actor writes one)",
                pages * 64
            )
        })
    }
}

/// How to build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `--target-dir`; `None`: the crate's own (`target/` of its workspace).
    pub target_dir: Option<PathBuf>,
    /// Extra cargo arguments (`--features x`, …).
    pub cargo_args: Vec<String>,
}

/// Builds the actor crate at `crate_dir` (the folder of its `Cargo.toml`) for wasm32 with
/// the actor profile ([`crate::profile::ACTOR_PROFILE`]: opt-level 2, LTO, one codegen
/// unit, no debug info, stripped; it overrides the crate's own `[profile.release]`) and
/// returns its module.
///
/// Runs cargo from `crate_dir`, so the crate's `.cargo/config.toml` (its stack size)
/// applies. Errors carry the end of cargo's output; a missing wasm32 target says how to add
/// it.
pub fn build(crate_dir: &Path, opts: &BuildOptions) -> anyhow::Result<Module> {
    let manifest = crate_dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!("no Cargo.toml in {}", crate_dir.display());
    }
    let manifest = manifest
        .canonicalize()
        .with_context(|| format!("resolving {}", manifest.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(crate_dir)
        .args(["build", "--release", "--target", TARGET])
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(&opts.cargo_args)
        // What users pay least for: install (per byte) and calls (docs/gas.md).
        .envs(actor_profile_env())
        // These would replace the stack size of `.cargo/config.toml`.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    if let Some(dir) = &opts.target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    let out = cmd
        .output()
        .context("running cargo (is it on PATH, or CARGO set?)")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let hint = if stderr.contains("target may not be installed")
            || stderr.contains("can't find crate for `core`")
        {
            format!("\nthe {TARGET} target is missing: rustup target add {TARGET}")
        } else {
            String::new()
        };
        bail!(
            "building the actor at {} failed:\n{}{hint}",
            crate_dir.display(),
            tail.join("\n")
        );
    }
    let path = module_path(&String::from_utf8_lossy(&out.stdout), &manifest)?;
    let wasm = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let initial_pages = initial_pages(&wasm);
    Ok(Module {
        path,
        wasm,
        initial_pages,
    })
}

/// The `.wasm` that cargo reported for the package of `manifest`.
fn module_path(messages: &str, manifest: &Path) -> anyhow::Result<PathBuf> {
    let mut found = None;
    for line in messages.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let same = msg["manifest_path"]
            .as_str()
            .and_then(|p| Path::new(p).canonicalize().ok())
            .is_some_and(|p| p == manifest);
        if !same {
            continue;
        }
        let files = msg["filenames"].as_array().into_iter().flatten();
        if let Some(f) = files
            .filter_map(|f| f.as_str())
            .find(|f| f.ends_with(".wasm"))
        {
            found = Some(PathBuf::from(f));
        }
    }
    found.ok_or_else(|| {
        anyhow!(
            "cargo built no .wasm for {}: the crate needs crate-type = [\"cdylib\", \"rlib\"] \
             under [lib]",
            manifest.display()
        )
    })
}

/// The minimum of the module's (first) memory, defined or imported.
pub fn initial_pages(wasm: &[u8]) -> Option<u64> {
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::MemorySection(reader) => {
                return reader.into_iter().next()?.ok().map(|m| m.initial);
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let Ok(wasmtime::wasmparser::Import {
                        ty: wasmtime::wasmparser::TypeRef::Memory(m),
                        ..
                    }) = import
                    {
                        return Some(m.initial);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the harness builds actors: `$TANDEM_ACTOR_TARGET_DIR`, else `wasm-actors` in the
/// target dir of the running test binary (`<target>/debug/deps/…`), shared with the
/// workspace's own example-actor builds; a target dir of its own, so the nested cargo never
/// waits for the lock of the cargo running the tests.
pub fn harness_target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TANDEM_ACTOR_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().ok();
    let target = exe.as_deref().and_then(|e| {
        let deps = e.parent()?;
        (deps.file_name()? == "deps").then_some(())?;
        Some(deps.parent()?.parent()?.to_path_buf())
    });
    target
        .unwrap_or_else(|| std::env::temp_dir().join("tandem-actor-test"))
        .join("wasm-actors")
}

/// [`build`] into [`harness_target_dir`], once per crate per process; the module's bytes.
///
/// `crate_dir` is usually `env!("CARGO_MANIFEST_DIR")` (a test inside the actor crate) or a
/// path relative to it. Tests calling it at once wait for the one build.
pub fn build_actor(crate_dir: impl AsRef<Path>) -> anyhow::Result<Vec<u8>> {
    static BUILT: OnceLock<Mutex<HashMap<PathBuf, Vec<u8>>>> = OnceLock::new();
    let dir = crate_dir.as_ref();
    let key = dir
        .canonicalize()
        .with_context(|| format!("no actor crate at {}", dir.display()))?;
    let cache = BUILT.get_or_init(Default::default);
    // Held during the build: concurrent tests wait for it rather than build twice.
    let mut built = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(wasm) = built.get(&key) {
        return Ok(wasm.clone());
    }
    let module = build(
        &key,
        &BuildOptions {
            target_dir: Some(harness_target_dir()),
            ..BuildOptions::default()
        },
    )?;
    built.insert(key, module.wasm.clone());
    Ok(module.wasm)
}
