//! The data dir: `tandem.redb` (blocks, head, chain config) and `keys.json` (dev keys).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use serde::{Deserialize, Serialize};
use tandem_actors::genesis::{self, Genesis};
use tandem_state::blockstore::{BufferedStore, CommitBatch, CommitStore, RedbStore};
use tandem_vm::store::VmStore;

pub const STORE_FILE: &str = "tandem.redb";
pub const KEYS_FILE: &str = "keys.json";
const CONFIG_KEY: &str = "chain.config";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainConfig {
    pub chain_id: u64,
    pub network_name: String,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: 31337,
            network_name: "tandem-dev".into(),
        }
    }
}

pub struct DataDir {
    pub path: PathBuf,
    pub store: Arc<RedbStore>,
    pub config: ChainConfig,
}

impl DataDir {
    pub fn store_path(path: &Path) -> PathBuf {
        path.join(STORE_FILE)
    }

    pub fn keys_path(&self) -> PathBuf {
        self.path.join(KEYS_FILE)
    }

    /// Whether `path` holds a chain.
    pub fn exists(path: &Path) -> bool {
        Self::store_path(path).exists()
    }

    /// Creates a data dir with a genesis state. Refuses to overwrite a chain.
    pub fn init(
        path: &Path,
        config: ChainConfig,
        genesis: &Genesis,
    ) -> anyhow::Result<(Self, Cid)> {
        if Self::exists(path) {
            bail!(
                "{} already holds a chain (remove it to start over)",
                path.display()
            );
        }
        std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
        let store = Arc::new(RedbStore::create(Self::store_path(path))?);
        let buffer = Arc::new(BufferedStore::new(store.clone()));
        let root = genesis::build(VmStore::new(buffer.clone()), genesis)?;
        let mut batch = buffer.take_reachable(&root)?;
        batch.set_head(&root);
        batch.set_meta(CONFIG_KEY, serde_json::to_vec(&config)?);
        store.commit(&batch)?;
        Ok((
            Self {
                path: path.to_path_buf(),
                store,
                config,
            },
            root,
        ))
    }

    /// Opens an existing data dir.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if !Self::exists(path) {
            if path.is_dir() && std::fs::read_dir(path)?.next().is_some() {
                bail!(
                    "{} is not a Tandem data dir (no {STORE_FILE})",
                    path.display()
                );
            }
            bail!(
                "no chain in {}: run `tandem chain init` first",
                path.display()
            );
        }
        let store = Arc::new(
            RedbStore::open(Self::store_path(path))
                .with_context(|| format!("{} is not a Tandem data dir", path.display()))?,
        );
        let config = match store.get_meta(CONFIG_KEY)? {
            Some(bytes) => serde_json::from_slice(&bytes).context("reading the chain config")?,
            None => bail!(
                "{} has no chain config: not a Tandem data dir",
                path.display()
            ),
        };
        Ok(Self {
            path: path.to_path_buf(),
            store,
            config,
        })
    }

    pub fn head(&self) -> anyhow::Result<Cid> {
        self.store
            .head()?
            .ok_or_else(|| anyhow!("the data dir has no head state root"))
    }

    /// The roots garbage collection keeps: the head, and the state of every block the dev
    /// node recorded (`node.latest`, `node.block.<n>` with a `state` CID), so that past blocks
    /// stay queryable.
    pub fn retained_roots(&self) -> anyhow::Result<Vec<Cid>> {
        let mut roots = vec![self.head()?];
        let Some(latest) = self.store.get_meta("node.latest")? else {
            return Ok(roots);
        };
        let latest = u64::from_be_bytes(
            latest
                .as_slice()
                .try_into()
                .map_err(|_| anyhow!("node.latest is not 8 bytes"))?,
        );
        for n in 0..=latest {
            let Some(record) = self.store.get_meta(&format!("node.block.{n}"))? else {
                continue;
            };
            let record: serde_json::Value =
                serde_json::from_slice(&record).with_context(|| format!("block record {n}"))?;
            if let Some(state) = record.get("state").and_then(|s| s.as_str()) {
                roots.push(
                    Cid::try_from(state).with_context(|| format!("state root of block {n}"))?,
                );
            }
        }
        roots.sort();
        roots.dedup();
        Ok(roots)
    }

    /// Replaces the head (after a CAR import), checking that the root is present.
    pub fn set_head(&self, root: &Cid) -> anyhow::Result<()> {
        if !self.store.has(root)? {
            bail!("root {root} is not in the store");
        }
        let mut batch = CommitBatch::new();
        batch.set_head(root);
        self.store.commit(&batch)
    }
}
