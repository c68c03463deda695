//! CAR v1 export and import.
//!
//! The framing (varint-prefixed header and sections, block CID verification) comes from
//! `fvm_ipld_car`, whose 0.9 API is synchronous and fits. What Tandem adds:
//!
//! - export walks the DAG itself, so blocks come out in a deterministic depth-first order,
//!   each once, and only blocks the root reaches;
//! - import reads and verifies the whole file before writing anything, checks that every
//!   root's DAG is complete (a CAR truncated at a section boundary parses cleanly but misses
//!   blocks), and then writes everything in one atomic commit.

use std::collections::HashMap;
use std::io::{Read, Write};

use anyhow::{Context, Result, anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_car::{Block, CarHeader, CarReader, CarWriter};

use crate::blockstore::{CommitBatch, CommitStore};
use crate::links::{IDENTITY_HASH, scan_links, walk_dag};

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CarExportReport {
    pub blocks: u64,
    /// Block data bytes (not counting CIDs and framing).
    pub bytes: u64,
}

/// Writes the DAG under `root` as a CAR v1 file with `root` as its only root.
pub fn export_car<BS: Blockstore + ?Sized>(
    store: &BS,
    root: &Cid,
    writer: impl Write,
) -> Result<CarExportReport> {
    export_car_roots(store, std::slice::from_ref(root), writer)
}

/// Writes the DAGs under `roots` as one CAR v1 file; shared blocks appear once.
pub fn export_car_roots<BS: Blockstore + ?Sized>(
    store: &BS,
    roots: &[Cid],
    writer: impl Write,
) -> Result<CarExportReport> {
    if roots.is_empty() {
        bail!("a CAR file needs at least one root");
    }
    let mut car = CarWriter::new(CarHeader::new(roots.to_vec(), 1), writer)
        .context("writing the CAR header")?;
    let mut report = CarExportReport::default();
    walk_dag(store, roots, |cid, data| {
        car.write(Block {
            cid: *cid,
            data: data.to_vec(),
        })
        .context("writing a CAR block")?;
        report.blocks += 1;
        report.bytes += data.len() as u64;
        Ok(())
    })?;
    car.flush().context("flushing the CAR file")?;
    Ok(report)
}

/// A CAR file read into memory, every block's CID checked against its bytes.
#[derive(Debug)]
pub struct LoadedCar {
    roots: Vec<Cid>,
    blocks: HashMap<Cid, Vec<u8>>,
}

/// Reads and verifies a whole CAR v1 file. Nothing is written anywhere.
pub fn read_car(reader: impl Read) -> Result<LoadedCar> {
    let car = CarReader::new(reader).map_err(|e| anyhow!("invalid CAR file: {e}"))?;
    let roots = car.header.roots.clone();
    let mut blocks = HashMap::new();
    for (index, block) in car.enumerate() {
        let block = block.map_err(|e| anyhow!("invalid CAR file at block {index}: {e}"))?;
        // Inline (identity) blocks need no storage; their CID is their content.
        if block.cid.hash().code() != IDENTITY_HASH {
            blocks.insert(block.cid, block.data);
        }
    }
    Ok(LoadedCar { roots, blocks })
}

impl LoadedCar {
    pub fn roots(&self) -> &[Cid] {
        &self.roots
    }

    /// Number of distinct (non-inline) blocks in the file.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// The blocks the roots reach, as a batch for `store`. Links may point at blocks that
    /// `store` already has; any other missing block is an error. Blocks the roots do not
    /// reach are left out.
    pub fn into_batch<BS: Blockstore + ?Sized>(mut self, store: &BS) -> Result<CommitBatch> {
        let mut batch = CommitBatch::new();
        let mut stack: Vec<Cid> = self.roots.iter().rev().copied().collect();
        let mut links = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while let Some(cid) = stack.pop() {
            if !seen.insert(cid) {
                continue;
            }
            if cid.hash().code() == IDENTITY_HASH {
                scan_links(cid.codec(), cid.hash().digest(), |c| links.push(c))?;
            } else if let Some(data) = self.blocks.remove(&cid) {
                scan_links(cid.codec(), &data, |c| links.push(c))
                    .with_context(|| format!("CAR block {cid} is not valid for its codec"))?;
                batch.put_block(cid, data);
            } else if store.has(&cid)? {
                // Already stored, and so is everything under it.
                continue;
            } else {
                bail!("the CAR file is incomplete: block {cid} is missing (truncated file?)");
            }
            stack.extend(links.drain(..).rev());
        }
        Ok(batch)
    }
}

/// Imports a CAR file into `store` atomically and returns its roots. A corrupt or incomplete
/// file is an error and writes nothing.
pub fn import_car<S: CommitStore + ?Sized>(store: &S, reader: impl Read) -> Result<Vec<Cid>> {
    import_car_with_meta(store, reader, |_| Vec::new())
}

/// Like [`import_car`], with meta entries (chosen from the roots, e.g. the new head) written
/// in the same commit.
pub fn import_car_with_meta<S: CommitStore + ?Sized>(
    store: &S,
    reader: impl Read,
    meta: impl FnOnce(&[Cid]) -> Vec<(String, Option<Vec<u8>>)>,
) -> Result<Vec<Cid>> {
    let car = read_car(reader)?;
    let roots = car.roots().to_vec();
    let mut batch = car.into_batch(store)?;
    batch.meta = meta(&roots);
    store
        .commit(&batch)
        .context("writing the imported blocks")?;
    Ok(roots)
}
