//! `tandem new --actor NAME`: scaffolds a native actor crate — `Cargo.toml` (cdylib, the
//! actor release profile of `tandem_actor_test::profile`), `.cargo/config.toml` (the 32 KiB
//! stack), a sample actor using `#[derive(Cbor)]` with unit tests, `tests/actor.rs` running
//! it on the real VM with `tandem-actor-test`, and a README of the build-install-call loop.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;

use crate::output::print_json;

#[derive(Args)]
pub struct NewArgs {
    /// The actor crate's name (letters, digits, `-`, `_`; starting with a letter).
    #[arg(long)]
    actor: String,
    /// Where to create it (default: ./NAME). Must not exist or be empty.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The tandem-sdk crate to depend on by path (default: the SDK of the Tandem source this
    /// binary was built from).
    #[arg(long)]
    sdk_path: Option<PathBuf>,
}

const CARGO_TOML: &str = include_str!("../../templates/actor/Cargo.toml.tmpl");
const CONFIG_TOML: &str = include_str!("../../templates/actor/config.toml.tmpl");
const LIB_RS: &str = include_str!("../../templates/actor/lib.rs.tmpl");
const ACTOR_TEST: &str = include_str!("../../templates/actor/actor_test.rs.tmpl");
const README: &str = include_str!("../../templates/actor/README.md.tmpl");

pub fn run(json: bool, args: NewArgs) -> anyhow::Result<()> {
    let name = args.actor.as_str();
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        bail!("{name:?} is not a crate name: letters, digits, - and _, starting with a letter");
    }
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!("{} exists and is not empty", dir.display());
    }
    let sdk = sdk_path(args.sdk_path)?;
    let actor_test = actor_test_path(&sdk)?;
    let (sdk, actor_test) = (toml_str(&sdk), toml_str(&actor_test));
    let profile = tandem_actor_test::profile::actor_profile_toml();
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{crate}}", &name.replace('-', "_"))
            .replace("{{sdk}}", &sdk)
            .replace("{{actor_test}}", &actor_test)
            .replace("{{profile}}\n", &profile)
    };
    let files = [
        ("Cargo.toml", fill(CARGO_TOML)),
        (".cargo/config.toml", fill(CONFIG_TOML)),
        ("src/lib.rs", fill(LIB_RS)),
        ("tests/actor.rs", fill(ACTOR_TEST)),
        ("README.md", fill(README)),
        (".gitignore", "/target\n".to_string()),
    ];
    for (path, text) in &files {
        write(&dir.join(path), text)?;
    }
    let wasm = format!(
        "target/wasm32-unknown-unknown/release/{}.wasm",
        name.replace('-', "_")
    );
    if json {
        print_json(&json!({
            "dir": dir.display().to_string(),
            "files": files.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            "module": wasm,
        }));
    } else {
        println!("created {} ({} files)", dir.display(), files.len());
        println!("  cd {}", dir.display());
        println!("  cargo test            # unit tests, and tests/actor.rs on the real VM");
        println!("  tandem actor build    # the WASM module: {wasm}");
        println!("  tandem actor install {wasm}");
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// A path as the inside of a TOML basic string.
fn toml_str(path: &Path) -> String {
    path.to_string_lossy()
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

/// The test harness beside the SDK (`crates/actor-test` of the same checkout).
fn actor_test_path(sdk: &Path) -> anyhow::Result<PathBuf> {
    let path = sdk.join("../actor-test");
    if !path.join("Cargo.toml").is_file() {
        bail!(
            "no tandem-actor-test crate at {}: the SDK path should be a Tandem checkout's \
             crates/sdk",
            path.display()
        );
    }
    path.canonicalize()
        .with_context(|| format!("resolving {}", path.display()))
}

/// The SDK to depend on: `--sdk-path`, else the source tree's `crates/sdk` if it is still
/// there, as an absolute path.
fn sdk_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    let path = given.unwrap_or(built_from);
    if !path.join("Cargo.toml").is_file() {
        bail!(
            "no tandem-sdk crate at {}: pass --sdk-path to a Tandem checkout's crates/sdk",
            path.display()
        );
    }
    path.canonicalize()
        .with_context(|| format!("resolving {}", path.display()))
}
