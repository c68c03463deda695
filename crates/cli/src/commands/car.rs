//! `tandem car export FILE` / `tandem car import FILE`.
//!
//! Import into a data dir that holds a chain replaces its head. Import into a missing or empty
//! data dir creates the chain from the snapshot, as `lotus daemon --import-snapshot` does: the
//! CAR carries the state only, so the chain id comes from `--chain-id` (default 31337), the
//! epoch starts at 0, and dev keys come from `--keys FILE` (a `keys.json` of another data dir),
//! or are absent.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::json;
use tandem_chain::datadir::CarImport;
use tandem_chain::keys::KeyFile;
use tandem_chain::{ChainConfig, DataDir};
use tandem_state::car::export_car;

use crate::Ctx;
use crate::output::print_json;

#[derive(Subcommand)]
pub enum CarCommand {
    /// Write the head state (or --root) and every block it reaches to a CAR v1 file.
    Export {
        file: PathBuf,
        /// Export this root instead of the head.
        #[arg(long)]
        root: Option<String>,
    },
    /// Read a CAR file, verify every block, and make its first root the head. Into a missing
    /// or empty data dir, create the chain from the snapshot (the CAR holds the state only:
    /// give the chain id and dev keys here).
    Import {
        file: PathBuf,
        /// Chain id of a chain created by this import (the CAR does not carry it).
        #[arg(long)]
        chain_id: Option<u64>,
        /// A `keys.json` (e.g. of the data dir the CAR came from) to copy into a chain created
        /// by this import, so that `tandem send --from` can sign for those accounts.
        #[arg(long)]
        keys: Option<PathBuf>,
    },
}

pub fn run(ctx: &Ctx, cmd: CarCommand) -> anyhow::Result<()> {
    match cmd {
        CarCommand::Export { file, root } => {
            let dir = DataDir::open(&ctx.data_dir)?;
            let root = match root {
                Some(r) => r.parse().context("--root is not a CID")?,
                None => dir.head()?,
            };
            let tmp = file.with_extension("car.partial");
            let mut out = BufWriter::new(
                File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
            );
            let report = export_car(dir.store.as_ref(), &root, &mut out)?;
            out.flush()?;
            drop(out);
            std::fs::rename(&tmp, &file).with_context(|| format!("writing {}", file.display()))?;
            if ctx.json {
                print_json(
                    &json!({ "root": root.to_string(), "blocks": report.blocks, "bytes": report.bytes }),
                );
            } else {
                println!(
                    "Exported {root}: {} blocks, {} bytes to {}",
                    report.blocks,
                    report.bytes,
                    file.display()
                );
            }
        }
        CarCommand::Import {
            file,
            chain_id,
            keys,
        } => import(ctx, file, chain_id, keys)?,
    }
    Ok(())
}

fn import(
    ctx: &Ctx,
    file: PathBuf,
    chain_id: Option<u64>,
    keys: Option<PathBuf>,
) -> anyhow::Result<()> {
    let reader =
        BufReader::new(File::open(&file).with_context(|| format!("opening {}", file.display()))?);
    let creates = DataDir::is_vacant(&ctx.data_dir);
    let (dir, import) = if creates {
        // Check the key file before creating anything.
        let key_file = match &keys {
            Some(path) if !path.is_file() => bail!("no key file at {}", path.display()),
            Some(path) => Some(KeyFile::load(path)?),
            None => None,
        };
        let config = ChainConfig {
            chain_id: chain_id.unwrap_or(ChainConfig::default().chain_id),
            ..ChainConfig::default()
        };
        let (dir, import) = DataDir::init_from_car(&ctx.data_dir, config, reader)
            .with_context(|| format!("importing {}", file.display()))?;
        if let Some(k) = key_file {
            k.save(&dir.keys_path())?;
        }
        (dir, import)
    } else {
        let dir = DataDir::open(&ctx.data_dir)?;
        if chain_id.is_some() || keys.is_some() {
            bail!(
                "{} already holds a chain: --chain-id and --keys apply only when the import \
                 creates one (in a new or empty data dir)",
                ctx.data_dir.display()
            );
        }
        let import = dir
            .import_car(reader)
            .with_context(|| format!("importing {}", file.display()))?;
        (dir, import)
    };
    let CarImport {
        head,
        blocks,
        bytes,
    } = import;
    if ctx.json {
        print_json(&json!({
            "head": head.to_string(),
            "blocks": blocks,
            "bytes": bytes,
            "created": creates,
            "chain_id": dir.config.chain_id,
        }));
    } else if creates {
        println!(
            "Created a chain in {} (chain id {}) from {}: {blocks} blocks, {bytes} bytes; head is {head}",
            dir.path.display(),
            dir.config.chain_id,
            file.display()
        );
    } else {
        println!(
            "Imported {} ({blocks} new blocks, {bytes} bytes); head is now {head}",
            file.display()
        );
    }
    Ok(())
}
