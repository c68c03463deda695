//! The data dir: `tandem.redb` (blocks, head, chain config) and `keys.json` (dev keys).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use serde::{Deserialize, Serialize};
use tandem_actors::genesis::{self, Genesis};
use tandem_state::StateTree;
use tandem_state::blockstore::{BufferedStore, CommitBatch, CommitStore, RedbStore};
use tandem_state::car::{LoadedCar, read_car};
use tandem_vm::kernel::Hardfork;
use tandem_vm::store::VmStore;

pub const STORE_FILE: &str = "tandem.redb";
pub const KEYS_FILE: &str = "keys.json";
const CONFIG_KEY: &str = "chain.config";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainConfig {
    pub chain_id: u64,
    pub network_name: String,
    /// The EVM's rules. A new chain gets Osaka; a config written before this field existed
    /// ran Cancun, so it reads as Cancun (`tandem node --hardfork` moves it on).
    #[serde(default = "recorded_before_hardforks")]
    pub hardfork: Hardfork,
    /// EIP-170 and EIP-3860 lifted (`tandem node --disable-code-size-limit`, as anvil's
    /// flag): set by each start of the node, recorded so every reload of the chain sees it.
    #[serde(default)]
    pub unlimited_code_size: bool,
}

/// The fork of chains created before the config recorded one: Tandem ran Cancun then.
fn recorded_before_hardforks() -> Hardfork {
    Hardfork::Cancun
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: 31337,
            network_name: "tandem-dev".into(),
            hardfork: Hardfork::default(),
            unlimited_code_size: false,
        }
    }
}

/// What a CAR import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarImport {
    /// The CAR's first root, now the head.
    pub head: Cid,
    /// Blocks the head reaches that the store did not have, and their bytes.
    pub blocks: u64,
    pub bytes: u64,
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

    /// Whether `path` can receive a new chain: nothing is there, or an empty folder.
    pub fn is_vacant(path: &Path) -> bool {
        if Self::exists(path) {
            return false;
        }
        match std::fs::read_dir(path) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        }
    }

    /// Creates a data dir from a CAR snapshot (as `tandem car export` writes), with the CAR's
    /// first root as the head, like starting a node from a snapshot. `path` must be vacant
    /// (see [`Self::is_vacant`]).
    ///
    /// The CAR carries the state only: the chain config (`config`), the epoch (it starts at 0),
    /// the node's block records and the dev keys are not in it. The store is written under a
    /// temporary name and renamed into place once complete, so a failed or interrupted import
    /// leaves no chain behind.
    pub fn init_from_car(
        path: &Path,
        config: ChainConfig,
        reader: impl Read,
    ) -> anyhow::Result<(Self, CarImport)> {
        if !Self::is_vacant(path) {
            bail!(
                "{} is not empty: a snapshot creates a chain only in a new or empty folder",
                path.display()
            );
        }
        // Read and verify the whole file before creating anything.
        let car = read_car(reader)?;
        std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
        let partial = path.join(format!("{STORE_FILE}.partial"));
        let written = (|| -> anyhow::Result<CarImport> {
            let store = Arc::new(RedbStore::create(&partial)?);
            commit_car(
                &store,
                car,
                vec![(CONFIG_KEY, serde_json::to_vec(&config)?)],
            )
        })();
        let import = match written {
            Ok(import) => import,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, Self::store_path(path))
            .with_context(|| format!("moving the new store into {}", path.display()))?;
        if let Ok(d) = std::fs::File::open(path) {
            let _ = d.sync_all();
        }
        Ok((Self::open(path)?, import))
    }

    /// Imports a CAR snapshot into this chain and makes its first root the head. The head
    /// moves only once every block is verified and the root loads as a state tree.
    pub fn import_car(&self, reader: impl Read) -> anyhow::Result<CarImport> {
        commit_car(&self.store, read_car(reader)?, Vec::new())
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
                .with_context(|| format!("cannot open the data dir {}", path.display()))?,
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

    /// Switches the chain to `fork` from its next block on, and records it in the config.
    pub fn set_hardfork(&mut self, fork: Hardfork) -> anyhow::Result<()> {
        self.set_config(ChainConfig {
            hardfork: fork,
            ..self.config.clone()
        })
    }

    /// Lifts EIP-170 and EIP-3860 or restores them (`ChainConfig::unlimited_code_size`).
    pub fn set_unlimited_code_size(&mut self, on: bool) -> anyhow::Result<()> {
        self.set_config(ChainConfig {
            unlimited_code_size: on,
            ..self.config.clone()
        })
    }

    /// Records `config` (nothing is written when it is the recorded one).
    fn set_config(&mut self, config: ChainConfig) -> anyhow::Result<()> {
        if self.config == config {
            return Ok(());
        }
        let mut batch = CommitBatch::new();
        batch.set_meta(CONFIG_KEY, serde_json::to_vec(&config)?);
        self.store.commit(&batch)?;
        self.config = config;
        Ok(())
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

/// Writes the blocks of `car` its first root reaches (those `store` lacks), with that root as
/// the head and `meta`, in one commit, after checking that the root is a Tandem state.
fn commit_car(
    store: &Arc<RedbStore>,
    car: LoadedCar,
    meta: Vec<(&str, Vec<u8>)>,
) -> anyhow::Result<CarImport> {
    let head = *car
        .roots()
        .first()
        .ok_or_else(|| anyhow!("the CAR file has no roots"))?;
    let mut blocks = car.into_batch(store.as_ref())?.blocks;
    // Stage the blocks the store lacks over it, and load the root as a state tree from there.
    let mut present = Vec::with_capacity(blocks.len());
    for (cid, _) in &blocks {
        present.push(store.has(cid)?);
    }
    let mut present = present.into_iter();
    blocks.retain(|_| present.next() == Some(false));
    let staged = Arc::new(BufferedStore::new(store.clone()));
    staged.put_many_keyed(blocks)?;
    StateTree::load(VmStore::new(staged.clone()), &head)
        .with_context(|| format!("the CAR's root {head} is not a Tandem state"))?;
    let mut batch = staged.take_reachable(&head)?;
    let import = CarImport {
        head,
        blocks: batch.blocks.len() as u64,
        bytes: batch.block_bytes(),
    };
    batch.set_head(&head);
    for (key, value) in meta {
        batch.set_meta(key, value);
    }
    store
        .commit(&batch)
        .context("writing the imported blocks")?;
    Ok(import)
}
