//! The embedded chain: a data dir on the redb store, its head state root, dev keys, and a
//! machine with every runtime, committing atomically.
//!
//! Invariant: the head pointer and every block it reaches are written in one redb
//! transaction, so a crash at any point leaves the last committed head readable.

pub mod datadir;
pub mod keys;

use std::sync::Arc;

use anyhow::Context;
use cid::Cid;
use tandem_actors::BuiltinRuntime;
use tandem_state::StateTree;
use tandem_state::blockstore::{BufferedStore, CommitStore, FlushReport, RedbStore};
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::machine::Machine;
use tandem_vm::message::{ApplyRet, SignedMessage};
use tandem_vm::runtime::Runtimes;
use tandem_vm::store::VmStore;

pub use datadir::{ChainConfig, DataDir};

/// Meta key of the current epoch (one per committed batch).
pub const EPOCH_KEY: &str = "chain.epoch";

/// Every runtime the chain runs, with native modules compiled once and cached on disk under
/// `<data dir>/wasm-cache`.
pub fn runtimes_for(data_dir: &std::path::Path) -> anyhow::Result<Runtimes> {
    Ok(runtimes().with(Arc::new(tandem_wasm::WasmRuntime::with_data_dir(data_dir)?)))
}

/// The built-in and EVM runtimes (no native WASM: for tools that need no code cache).
pub fn runtimes() -> Runtimes {
    Runtimes::new()
        .with(Arc::new(BuiltinRuntime))
        .with(Arc::new(tandem_evm::EvmRuntime::new()))
}

type Buffer = BufferedStore<Arc<RedbStore>>;

/// A loaded chain: an executor at the head, writing into a buffer over the data dir's store.
pub struct Chain {
    pub dir: DataDir,
    buffer: Arc<Buffer>,
    pub exec: Executor,
    epoch: i64,
    /// Whether this batch's system lane ran (docs/async.md: once per block, first).
    lane_ran: bool,
}

impl Chain {
    pub fn load(dir: DataDir) -> anyhow::Result<Self> {
        let runtimes = runtimes_for(&dir.path)?;
        Self::load_with(dir, runtimes)
    }

    /// Loads with a custom set of runtimes (tests and benchmarks add their own actors).
    pub fn load_with(dir: DataDir, runtimes: Runtimes) -> anyhow::Result<Self> {
        let head = dir.head()?;
        let epoch = dir
            .store
            .get_meta(EPOCH_KEY)?
            .map(|b| -> anyhow::Result<i64> { Ok(i64::from_be_bytes(b.as_slice().try_into()?)) })
            .transpose()
            .context("reading the epoch")?
            .unwrap_or(0);
        let buffer = Arc::new(BufferedStore::new(dir.store.clone()));
        let store = VmStore::new(buffer.clone());
        let state = StateTree::load(store, &head).context("loading the head state")?;
        let network = NetworkContext {
            chain_id: dir.config.chain_id,
            epoch,
            hardfork: dir.config.hardfork,
            unlimited_code_size: dir.config.unlimited_code_size,
            ..NetworkContext::default()
        };
        let machine = Machine::new(state, network, runtimes)?;
        Ok(Self {
            dir,
            buffer,
            exec: Executor::new(machine),
            epoch,
            lane_ran: false,
        })
    }

    pub fn head(&self) -> anyhow::Result<Cid> {
        self.dir.head()
    }

    /// Drops everything since the last commit: the state goes back to the committed head and
    /// the buffered blocks are discarded. After a failed commit this keeps one bad block from
    /// poisoning every later one.
    pub fn discard_uncommitted(&mut self) -> anyhow::Result<()> {
        let head = self.dir.head()?;
        self.buffer.discard();
        let store = VmStore::new(self.buffer.clone());
        self.exec.machine.state =
            StateTree::load(store, &head).context("reloading the head state")?;
        let fork = self.exec.machine.runtimes.fork().cloned();
        self.exec.machine.state.set_fork(fork);
        self.lane_ran = false;
        Ok(())
    }

    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// The buffer the executor writes into (for read-only forks of the current state).
    pub fn buffer(&self) -> &Arc<BufferedStore<Arc<RedbStore>>> {
        &self.buffer
    }

    /// Applies a message to the batch; the batch's first message is preceded by the system
    /// lane (cron entries, async deliveries and replies), as every block of the node is.
    /// The receipt comes with its events root filled in (the executor leaves it to be
    /// computed on demand; this is the CLI's one message, shown whole).
    ///
    /// With the actors' debug logging on (`exec.machine.debug`), the message runs twice: once
    /// with it on, for the logs, and thrown away; then with it off, and that run is the one
    /// kept. An actor can see whether debugging is on (`debug_enabled`), and its logging costs
    /// gas, so a run with it on is not the chain's run: keeping it would make the state depend
    /// on a flag of one invocation. Such a message must be its batch's first.
    pub fn apply(&mut self, msg: &SignedMessage) -> anyhow::Result<ApplyRet> {
        if !self.exec.machine.debug {
            return self.apply_as_is(msg);
        }
        if self.lane_ran {
            anyhow::bail!(
                "a message with debug logging must be the first of its batch (commit before it)"
            );
        }
        let logged = self.apply_as_is(msg)?;
        self.discard_uncommitted()?;
        self.exec.machine.debug = false;
        let kept = self.apply_as_is(msg);
        self.exec.machine.debug = true;
        let kept = kept?;
        if (logged.receipt.exit_code, logged.receipt.gas_used)
            != (kept.receipt.exit_code, kept.receipt.gas_used)
        {
            tracing::warn!(
                "with debug logging on the message ended {} using {} gas; without it (the run \
                 kept) {} using {}",
                logged.receipt.exit_code,
                logged.receipt.gas_used,
                kept.receipt.exit_code,
                kept.receipt.gas_used
            );
        }
        Ok(kept)
    }

    fn apply_as_is(&mut self, msg: &SignedMessage) -> anyhow::Result<ApplyRet> {
        if !self.lane_ran {
            self.lane_ran = true;
            for m in self.exec.run_system_lane()? {
                tracing::info!(
                    target: "tandem::lane",
                    "system message {:?} from f0{} to {} method {}: exit {}",
                    m.kind,
                    m.from,
                    m.to,
                    m.method,
                    m.ret.receipt.exit_code
                );
            }
        }
        self.exec.apply_signed(msg)?.with_events_root()
    }

    /// Flushes the state and writes the blocks it reaches together with the new head.
    pub fn commit(&mut self) -> anyhow::Result<(Cid, FlushReport)> {
        self.commit_with_meta(Vec::new())
    }

    /// Like [`Self::commit`], writing extra meta entries (block records, indexes) in the same
    /// atomic transaction.
    pub fn commit_with_meta(
        &mut self,
        extra: Vec<(String, Option<Vec<u8>>)>,
    ) -> anyhow::Result<(Cid, FlushReport)> {
        let pending = self.begin_commit()?;
        self.finish_commit(pending, extra)
    }

    /// The first half of [`Self::commit_with_meta`], for a caller with work to do beside it
    /// (the node computes the block's Ethereum trie meanwhile): flushes the state and takes
    /// the blocks its root reaches out of the buffer. Until [`Self::finish_commit`] or
    /// [`Self::abandon_commit`], the state must not change and reading it may miss blocks.
    pub fn begin_commit(&mut self) -> anyhow::Result<PendingCommit> {
        let root = self.exec.flush()?;
        let taken = self.buffer.take_for_commit(&root)?;
        Ok(PendingCommit { root, taken })
    }

    /// Puts a begun commit's blocks back, as if it had not begun.
    pub fn abandon_commit(&mut self, pending: PendingCommit) {
        self.buffer.give_back(pending.taken);
    }

    /// Writes a begun commit: its blocks, the new head and `extra` in one atomic transaction.
    /// If that fails, the blocks go back into the buffer.
    pub fn finish_commit(
        &mut self,
        pending: PendingCommit,
        extra: Vec<(String, Option<Vec<u8>>)>,
    ) -> anyhow::Result<(Cid, FlushReport)> {
        let PendingCommit { root, taken } = pending;
        let epoch = self.epoch + 1;
        let mut meta = vec![
            (
                tandem_state::blockstore::HEAD_KEY.to_string(),
                Some(root.to_bytes()),
            ),
            (EPOCH_KEY.to_string(), Some(epoch.to_be_bytes().to_vec())),
        ];
        meta.extend(extra);
        let report = self.buffer.commit_taken(&root, taken, meta)?;
        self.epoch = epoch;
        self.exec.machine.network.epoch = self.epoch;
        self.lane_ran = false;
        Ok((root, report))
    }
}

/// A commit begun by [`Chain::begin_commit`]: the new state root and the blocks it reaches.
pub struct PendingCommit {
    root: Cid,
    taken: tandem_state::blockstore::Taken,
}

impl PendingCommit {
    /// The state root being committed.
    pub fn root(&self) -> Cid {
        self.root
    }
}
