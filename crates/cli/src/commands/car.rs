//! `tandem car export FILE` / `tandem car import FILE`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::json;
use tandem_chain::DataDir;
use tandem_state::StateTree;
use tandem_state::blockstore::HEAD_KEY;
use tandem_state::car::{export_car, import_car_with_meta};
use tandem_vm::store::VmStore;

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
    /// Read a CAR file, verify every block, and make its first root the head.
    Import { file: PathBuf },
}

pub fn run(ctx: &Ctx, cmd: CarCommand) -> anyhow::Result<()> {
    let dir = DataDir::open(&ctx.data_dir)?;
    match cmd {
        CarCommand::Export { file, root } => {
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
        CarCommand::Import { file } => {
            let reader = BufReader::new(
                File::open(&file).with_context(|| format!("opening {}", file.display()))?,
            );
            let roots =
                import_car_with_meta(dir.store.as_ref(), reader, |roots| match roots.first() {
                    Some(root) => vec![(HEAD_KEY.to_string(), Some(root.to_bytes()))],
                    None => Vec::new(),
                })
                .with_context(|| format!("importing {}", file.display()))?;
            let Some(root) = roots.first() else {
                bail!("{} has no roots", file.display());
            };
            // The new head must be a state tree.
            StateTree::load(VmStore::new(dir.store.clone()), root)
                .context("the imported root is not a Tandem state")?;
            if ctx.json {
                print_json(&json!({ "head": root.to_string() }));
            } else {
                println!("Imported {}; head is now {root}", file.display());
            }
        }
    }
    Ok(())
}
