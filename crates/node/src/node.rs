//! The chain service: one executor at the head, transactions applied as they arrive, blocks
//! mined on every transaction (automine) or on a timer, time control and snapshots.
//!
//! Locking: `inner` (the executor, the open block, time and snapshots) is held while a
//! transaction runs or a block is mined. Reads of past states never take it: they open the
//! committed state root of the block they ask for.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_consensus::TxEnvelope;
use alloy_primitives::{Address, B256, Bytes, keccak256};
use anyhow::{Context, bail};
use tandem_chain::keys::{KeyFile, dev_key};
use tandem_chain::{Chain, ChainConfig, DataDir};
use tandem_evm::tx::{EthReceipt, EthTx, TxError};
use tandem_state::blockstore::RedbStore;
use tandem_vm::eth::EthAddress;
use tandem_vm::runtime::Runtimes;
use tokio::sync::broadcast;

use crate::accounts::{DEV_ACCOUNTS, DevAccount, dev_accounts, genesis};
use crate::blocks::{BlockRecord, BlockStore, MsgRecord, TxRecord, block_key, write_genesis_block};
use crate::error::{RpcError, RpcResult};
use crate::rpc::filters::Filters;

pub const BLOCK_GAS_LIMIT: u64 = 30_000_000;
/// The default priority fee the node suggests and fills in (1 gwei, as anvil).
pub const DEFAULT_PRIORITY_FEE: u128 = 1_000_000_000;

#[derive(Debug, Clone, Default)]
pub struct NodeConfig {
    /// The chain id of a new chain; an existing data dir must match it when given.
    pub chain_id: Option<u64>,
    /// Mine on a timer instead of once per transaction.
    pub block_time: Option<Duration>,
    /// The EVM's hardfork: a new chain's (default Osaka); an existing chain switches to it
    /// (and records it) when given, else keeps the one it recorded.
    pub hardfork: Option<tandem_vm::kernel::Hardfork>,
    /// A constant base fee for every block (`--base-fee`); otherwise EIP-1559's controller.
    pub base_fee: Option<u64>,
    /// Fork mode (`--fork-url`): unknown Ethereum accounts are read from this remote.
    pub fork: Option<crate::fork::ForkConfig>,
    /// Lift EIP-170 and EIP-3860 (`--disable-code-size-limit`); recorded, and set (or
    /// cleared) by every start.
    pub unlimited_code_size: bool,
}

/// A transaction applied to the open block, waiting to be mined.
pub struct PendingTx {
    pub hash: B256,
    pub envelope: TxEnvelope,
    pub from: Address,
    pub receipt: EthReceipt,
}

/// What a subscriber learns of a new block.
/// Why a transaction was not applied: the transaction error (with the transaction back, so
/// a future nonce can wait in the queue) or a node failure.
enum Rejected {
    Tx(TxError, Box<TxEnvelope>, Box<EthTx>),
    Other(RpcError),
}

pub struct MinedBlock {
    pub record: BlockRecord,
    pub txs: Vec<TxRecord>,
    pub messages: Vec<(String, MsgRecord)>,
}

pub(crate) struct OpenBlock {
    pub(crate) number: u64,
    pub(crate) timestamp: u64,
    pub(crate) txs: Vec<PendingTx>,
    /// Native (Filecoin-shaped) messages, by CID: the system lane's first.
    pub(crate) messages: Vec<(String, MsgRecord)>,
    /// Gas used by the block's user transactions and messages (at most the block gas limit).
    pub(crate) user_gas: u64,
    /// How many user transactions and messages the block holds.
    pub(crate) user_count: usize,
    /// Blob gas and RLP bytes of its transactions (`block_limits.rs`).
    pub(crate) blob_gas: u64,
    pub(crate) tx_bytes: usize,
    /// What became of the async messages the lane delivered.
    pub(crate) async_statuses: Vec<(u64, crate::lane::AsyncStatus)>,
}

/// After a block in automine mode, at most this many more blocks are mined while async
/// messages wait, so a send's delivery and reply land without another transaction.
const MAX_FOLLOW_UP_BLOCKS: usize = 16;

pub(crate) struct Snapshot {
    pub(crate) block: u64,
    /// The block's Tandem state when taken: a dev edit (`anvil_setStorageAt`, …) rewrites the
    /// latest block's `state` in place, and a revert must undo it as anvil and Hardhat do.
    pub(crate) state: String,
    pub(crate) time_offset: i64,
}

pub(crate) struct Inner {
    pub(crate) chain: Chain,
    pub(crate) open: Option<OpenBlock>,
    pub(crate) time_offset: i64,
    pub(crate) next_timestamp: Option<u64>,
    pub(crate) snapshots: BTreeMap<u64, Snapshot>,
    pub(crate) next_snapshot: u64,
    pub(crate) impersonated: HashSet<Address>,
    /// Transactions whose nonce is ahead of their sender's, held until the gap fills (as
    /// anvil and geth's txpool do), keyed by sender and nonce.
    pub(crate) queued: BTreeMap<(Address, u64), (TxEnvelope, EthTx)>,
    /// The Ethereum state trie behind the header's `stateRoot` (`eth_trie.rs`).
    pub(crate) eth: crate::eth_trie::EthTrie,
}

/// At most this many future-nonce transactions wait in the queue, in all.
const MAX_QUEUED: usize = 4096;
/// A transaction may run at most this far ahead of its sender's nonce.
const MAX_NONCE_GAP: u64 = 1024;

/// At most this many accounts impersonated at once (each is kept until stopped).
pub const MAX_IMPERSONATED: usize = 100_000;

pub struct Node {
    pub path: PathBuf,
    pub store: Arc<RedbStore>,
    pub blocks: BlockStore,
    pub chain_config: ChainConfig,
    pub accounts: Vec<DevAccount>,
    pub runtimes: Runtimes,
    /// Interval mining, in milliseconds (0: off); see [`spawn_interval_miner`].
    pub(crate) interval_ms: AtomicU64,
    /// Identifies this run of the node (`hardhat_metadata`).
    pub instance_id: B256,
    /// Mine a block per transaction (on unless `--block-time`; `evm_setAutomine` toggles).
    pub(crate) automine: std::sync::atomic::AtomicBool,
    pub filters: Filters,
    pub events: broadcast::Sender<Arc<MinedBlock>>,
    /// The read path: the block cache and the head's shared answers (`reads.rs`).
    pub reads: crate::reads::Reads,
    /// How each block's base fee is set.
    pub base_fee_rule: crate::base_fee::BaseFeeRule,
    /// The remote this chain forks (`--fork-url`), if any.
    pub fork: Option<Arc<crate::fork::RemoteState>>,
    /// Held by `eth_sendTransaction` from choosing a nonce to submitting, so concurrent sends
    /// from one account get consecutive nonces (as on Hardhat and anvil).
    pub(crate) send_fill: Mutex<()>,
    /// Runs large blocks' Ethereum trie updates beside the rest of mining (`mine.rs`).
    pub(crate) trie_worker: crate::trie_worker::TrieWorker,
    inner: Mutex<Inner>,
    latest: RwLock<Arc<BlockRecord>>,
    latest_number: AtomicU64,
    /// The genesis block's number: 0, or a fork's block (`blocks::FIRST_KEY`).
    pub(crate) first_number: AtomicU64,
    /// Requests waiting for a block on this node (`rpc::waiters`).
    pub(crate) waiters: crate::rpc::waiters::Waiters,
    /// Senders of a running batch's raw transactions, recovered ahead (`rpc::presend`).
    pub presend: crate::rpc::presend::Recovered,
    /// Whether the store still makes writes durable (`store_health.rs`).
    pub health: crate::store_health::StoreHealth,
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Node {
    /// Opens the chain in `path`, creating it (with the dev accounts) if it is absent.
    pub fn open(path: &Path, config: &NodeConfig) -> anyhow::Result<Arc<Self>> {
        let accounts = dev_accounts(DEV_ACCOUNTS)?;
        let remote;
        let dir = if DataDir::exists(path) {
            let mut dir = DataDir::open(path)?;
            remote = crate::fork::reopen(&dir.store, config.fork.as_ref())?;
            if let Some(fork) = config.hardfork {
                dir.set_hardfork(fork)?;
            }
            dir.set_unlimited_code_size(config.unlimited_code_size)?;
            if let Some(id) = config.chain_id
                && id != dir.config.chain_id
            {
                bail!(
                    "{} holds a chain with chain id {}, not {id} (remove it to start over)",
                    path.display(),
                    dir.config.chain_id
                );
            }
            dir
        } else {
            remote = config.fork.as_ref().map(crate::fork::source).transpose()?;
            let remote_id = remote.as_ref().map(|r| r.chain_id());
            let chain_config = ChainConfig {
                chain_id: config.chain_id.or(remote_id).unwrap_or(31337),
                hardfork: config.hardfork.unwrap_or_default(),
                unlimited_code_size: config.unlimited_code_size,
                ..ChainConfig::default()
            };
            let f1_keys: Vec<_> = (0..DEV_ACCOUNTS).map(dev_key).collect();
            let (dir, _) = DataDir::init(path, chain_config, &genesis(&accounts, &f1_keys))?;
            KeyFile::from_keys(&f1_keys).save(&dir.keys_path())?;
            dir
        };
        if let Some(r) = &remote {
            crate::fork::record(&dir.store, r)?;
        }
        let runtimes =
            tandem_chain::runtimes_for(path)?.with_fork(crate::fork::as_source(remote.clone()));
        let store = dir.store.clone();
        let chain_config = dir.config.clone();
        let blocks = BlockStore::new(store.clone());
        let fork = dir.config.hardfork;
        if blocks.latest_number()?.is_none() {
            let root = crate::history::predeploy(&store, &dir.head()?, fork)?;
            // A fork's blocks go on from the remote's block.
            let first = remote.as_ref().map_or(0, |r| r.block());
            write_genesis_block(&store, &root, first)?;
        } else {
            // A chain switched to Prague: the next block records the installation.
            crate::history::predeploy(&store, &dir.head()?, fork)?;
        }
        // Group commit: blocks are committed without waiting for the disk, and the RPC layer
        // syncs (one fsync shared by every writer waiting) before it acknowledges a write.
        store.defer_durability(true);
        // A sync appends to the commit log and fsyncs it; redb is written behind.
        store.use_commit_log()?;
        let latest_n = blocks.latest_number()?.context("no latest block")?;
        let first_n = blocks.first_number()?;
        let latest = blocks
            .block(latest_n, latest_n)?
            .with_context(|| format!("block {latest_n} is missing"))?;
        let head = dir.head()?;
        let chain = Chain::load_with(dir, runtimes.clone())?;
        let (events, _) = broadcast::channel(1024);
        let node = Arc::new(Self {
            path: path.to_path_buf(),
            reads: crate::reads::Reads::new(store.clone()),
            store,
            blocks,
            chain_config,
            accounts,
            runtimes,
            interval_ms: AtomicU64::new(
                config
                    .block_time
                    .map(|d| (d.as_millis() as u64).max(1))
                    .unwrap_or(0),
            ),
            instance_id: keccak256(
                [
                    std::process::id().to_be_bytes().as_slice(),
                    &unix_nanos().to_be_bytes(),
                    path.as_os_str().as_encoded_bytes(),
                ]
                .concat(),
            ),
            automine: std::sync::atomic::AtomicBool::new(config.block_time.is_none()),
            filters: Filters::default(),
            events,
            base_fee_rule: crate::base_fee::BaseFeeRule::from_pin(config.base_fee),
            fork: remote,
            send_fill: Mutex::new(()),
            trie_worker: Default::default(),
            inner: Mutex::new(Inner {
                chain,
                open: None,
                time_offset: 0,
                next_timestamp: None,
                snapshots: BTreeMap::new(),
                next_snapshot: 1,
                impersonated: HashSet::new(),
                queued: BTreeMap::new(),
                eth: Default::default(),
            }),
            latest_number: AtomicU64::new(latest_n),
            first_number: AtomicU64::new(first_n),
            waiters: Default::default(),
            presend: Default::default(),
            latest: RwLock::new(Arc::new(latest.clone())),
            health: crate::store_health::StoreHealth::new(latest_n),
        });
        // The head moved without a block (e.g. `tandem send` while the node was down):
        // record the new state in a block so that reads see it.
        if latest.state_cid()? != head {
            node.mine()?;
        }
        crate::dev_controls::spawn_interval_miner(&node)?;
        crate::write_ahead::spawn_write_ahead(&node)?;
        Ok(node)
    }

    pub fn chain_id(&self) -> u64 {
        self.chain_config.chain_id
    }

    /// The EVM's hardfork (`--hardfork`, recorded in the chain config).
    pub fn hardfork(&self) -> tandem_vm::kernel::Hardfork {
        self.chain_config.hardfork
    }

    /// Whether EIP-170 and EIP-3860 are lifted (`--disable-code-size-limit`).
    pub fn unlimited_code_size(&self) -> bool {
        self.chain_config.unlimited_code_size
    }

    /// Makes every block and record committed so far durable. Call before acknowledging a
    /// write; concurrent callers share one fsync. The first failure is final for this run
    /// (`store_health.rs`): every later sync and write is refused.
    pub fn sync(&self) -> anyhow::Result<()> {
        if let Some(refusal) = self.health.refusal() {
            return Err(refusal);
        }
        // Blocks are committed before they become the latest, so this one is covered.
        let number = self.latest_number();
        match self.store.sync() {
            Ok(()) => {
                self.health.synced(number);
                Ok(())
            }
            Err(e) => {
                self.health.fail(&e);
                Err(e)
            }
        }
    }

    pub fn latest_number(&self) -> u64 {
        self.latest_number.load(Ordering::Acquire)
    }

    pub fn latest(&self) -> Arc<BlockRecord> {
        self.latest
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn dev_account(&self, addr: &Address) -> Option<&DevAccount> {
        self.accounts.iter().find(|a| a.address == *addr)
    }

    pub fn is_impersonated(&self, addr: &Address) -> bool {
        self.lock().impersonated.contains(addr)
    }

    /// Starts or stops impersonating `addr`; refused past [`MAX_IMPERSONATED`] at once.
    pub fn set_impersonated(&self, addr: Address, on: bool) -> RpcResult<()> {
        let mut inner = self.lock();
        if !on {
            inner.impersonated.remove(&addr);
        } else if inner.impersonated.len() < MAX_IMPERSONATED || inner.impersonated.contains(&addr)
        {
            inner.impersonated.insert(addr);
        } else {
            return Err(RpcError::invalid_params(format!(
                "at most {MAX_IMPERSONATED} accounts are impersonated at once; stop impersonating some first (anvil_stopImpersonatingAccount)"
            )));
        }
        Ok(())
    }

    /// The nonce of `addr` including transactions not yet mined.
    pub fn pending_nonce(&self, addr: &Address) -> anyhow::Result<u64> {
        let mut inner = self.lock();
        let state = &mut inner.chain.exec.machine.state;
        let f4 = EthAddress(addr.into_array()).to_filecoin();
        Ok(match state.lookup_id(&f4)? {
            Some(id) => state.get_actor(id)?.map(|r| r.sequence).unwrap_or(0),
            None => 0,
        })
    }

    /// Applies a transaction to the open block (opening one if needed) and, in automine,
    /// mines it. A rejected transaction changes nothing. A transaction whose nonce is ahead
    /// of its sender's waits in the queue; each applied transaction releases the sender's
    /// next queued one.
    pub fn submit(&self, envelope: TxEnvelope, tx: EthTx) -> RpcResult<B256> {
        self.health.refuse_rpc()?;
        let mut inner = self.lock();
        let hash = *envelope.tx_hash();
        let from = Address::from(tx.sender);
        let nonce = tx.nonce;
        match self.apply_one(&mut inner, envelope, tx) {
            Ok(()) => {}
            Err(Rejected::Tx(TxError::NonceMismatch { expected, got }, envelope, tx))
                if got > expected
                    && got - expected <= MAX_NONCE_GAP
                    && (inner.queued.len() < MAX_QUEUED
                        || inner.queued.contains_key(&(from, got))) =>
            {
                tracing::info!(target: "tandem::node", "tx {hash} from {from} queued: nonce {got}, next {expected}");
                inner.queued.insert((from, got), (*envelope, *tx));
                return Ok(hash);
            }
            Err(Rejected::Tx(e, ..)) => return Err(RpcError::from_tx(&e, &from)),
            Err(Rejected::Other(e)) => return Err(e),
        }
        // Release what the gap held back, in nonce order.
        let mut next = nonce + 1;
        while let Some((envelope, tx)) = inner.queued.remove(&(from, next)) {
            let queued_hash = *envelope.tx_hash();
            match self.apply_one(&mut inner, envelope, tx) {
                Ok(()) => next += 1,
                Err(Rejected::Tx(e, ..)) => {
                    tracing::info!(target: "tandem::node", "queued tx {queued_hash} from {from} dropped: {e}");
                    break;
                }
                Err(Rejected::Other(e)) => return Err(e),
            }
        }
        Ok(hash)
    }

    fn apply_one(
        &self,
        inner: &mut Inner,
        envelope: TxEnvelope,
        tx: EthTx,
    ) -> Result<(), Rejected> {
        let hash = *envelope.tx_hash();
        let from = Address::from(tx.sender);
        let needs = crate::block_limits::Needs::of_tx(&envelope, tx.gas_limit);
        if let Some(why) = crate::block_limits::too_big(&needs, self.hardfork()) {
            return Err(Rejected::Other(RpcError::invalid_params(why)));
        }
        self.make_room(inner, &needs)
            .map_err(|e| Rejected::Other(e.into()))?;
        let parent = self.latest();
        self.open_block(inner, &parent);
        // An impersonated sender may have code (a contract acting as a test's caller), as on
        // anvil and Hardhat; everyone else is held to EIP-3607.
        let applied = if inner.impersonated.contains(&from) {
            tandem_evm::tx::apply_tx_any_sender(&mut inner.chain.exec, &tx)
        } else {
            tandem_evm::tx::apply_tx(&mut inner.chain.exec, &tx)
        };
        let receipt = match applied {
            Ok(r) => r,
            Err(e) => {
                if inner
                    .open
                    .as_ref()
                    .is_some_and(|o| o.txs.is_empty() && o.messages.is_empty())
                {
                    inner.open = None;
                }
                tracing::debug!(target: "tandem::node", "tx {hash} from {from} rejected: {e}");
                return Err(Rejected::Tx(e, Box::new(envelope), Box::new(tx)));
            }
        };
        tracing::info!(
            target: "tandem::node",
            "tx {hash} from {from} {} status {} gas {}{}",
            match (tx.to, receipt.contract_address) {
                (Some(to), _) => format!("to {}", Address::from(to)),
                (None, Some(c)) => format!("created {}", Address::from(c)),
                (None, None) => "create failed".to_string(),
            },
            u8::from(receipt.success),
            receipt.gas_used,
            receipt.failure.as_deref().map(|f| format!(" ({f})")).unwrap_or_default(),
        );
        if let Some(open) = inner.open.as_mut() {
            open.user_gas += receipt.gas_used;
            open.user_count += 1;
            open.blob_gas += needs.blob_gas;
            open.tx_bytes += needs.bytes;
            open.txs.push(PendingTx {
                hash,
                envelope,
                from,
                receipt,
            });
        }
        if self.automine() {
            self.mine_locked(inner)
                .map_err(|e| Rejected::Other(e.into()))?;
            self.mine_follow_ups(inner)
                .map_err(|e| Rejected::Other(e.into()))?;
        }
        Ok(())
    }

    /// Applies a native (Filecoin-shaped) message from an account the node trusts (a dev
    /// account: no signature needed) or with a verified signature, and mines it in automine.
    pub fn submit_native(
        &self,
        msg: &tandem_vm::message::Message,
        signed: Option<&tandem_vm::message::SignedMessage>,
    ) -> RpcResult<(String, MsgRecord)> {
        self.health.refuse_rpc()?;
        let cid = tandem_vm::message::message_cid(msg)?.to_string();
        let mut inner = self.lock();
        self.make_room(
            &mut inner,
            &crate::block_limits::Needs::of_message(msg.gas_limit),
        )?;
        let parent = self.latest();
        self.open_block(&mut inner, &parent);
        let ret = match signed {
            Some(s) => inner.chain.exec.apply_signed(s)?,
            None => inner.chain.exec.apply_message(msg)?,
        };
        if !ret.applied {
            if inner
                .open
                .as_ref()
                .is_some_and(|o| o.txs.is_empty() && o.messages.is_empty())
            {
                inner.open = None;
            }
            return Err(RpcError::server(format!(
                "message rejected: {}",
                ret.failure
                    .unwrap_or_else(|| format!("exit code {}", ret.receipt.exit_code))
            )));
        }
        let logs = crate::blocks::eth_logs(&mut inner.chain.exec.machine.state, &ret.events)?;
        let mut record = MsgRecord::unmined(&ret, logs);
        record.message = fvm_ipld_encoding::to_vec(msg).ok().map(Bytes::from);
        record.after_txs = inner.open.as_ref().map_or(0, |o| o.txs.len() as u64);
        tracing::info!(
            target: "tandem::node",
            "message {cid} from {} to {} method {} exit {} gas {}",
            msg.from,
            msg.to,
            msg.method_num,
            record.exit_code,
            record.gas_used
        );
        if let Some(open) = inner.open.as_mut() {
            open.user_gas += record.gas_used;
            open.user_count += 1;
            open.messages.push((cid.clone(), record.clone()));
        }
        let block = if self.automine() {
            let n = self.mine_locked(&mut inner)?.record.number();
            self.mine_follow_ups(&mut inner)?;
            n
        } else {
            0
        };
        Ok((cid, MsgRecord { block, ..record }))
    }

    /// Runs `f` on the live executor (native reads need the next nonce of a sender).
    pub fn with_executor<R>(
        &self,
        f: impl FnOnce(&mut tandem_vm::executor::Executor) -> anyhow::Result<R>,
    ) -> anyhow::Result<R> {
        f(&mut self.lock().chain.exec)
    }

    /// Transactions applied but not yet mined (block-time mode), by hash.
    pub fn pending_tx(&self, hash: &B256) -> Option<(TxEnvelope, Address)> {
        let inner = self.lock();
        let open = inner
            .open
            .iter()
            .flat_map(|o| &o.txs)
            .map(|t| (&t.envelope, t.from));
        let queued = inner
            .queued
            .iter()
            .map(|((from, _), (env, _))| (env, *from));
        open.chain(queued)
            .find(|(env, _)| env.tx_hash() == hash)
            .map(|(env, from)| (env.clone(), from))
    }

    pub(crate) fn open_block(&self, inner: &mut Inner, parent: &BlockRecord) {
        if inner.open.is_some() {
            return;
        }
        let timestamp = crate::dev_controls::next_block_timestamp(inner, parent);
        if inner.next_timestamp.take().is_some() {
            // Later blocks go on from the timestamp set (Hardhat's rule).
            inner.time_offset =
                (timestamp.min(i64::MAX as u64) as i64).saturating_sub(unix_now() as i64);
        }
        let number = parent.number() + 1;
        let network = &mut inner.chain.exec.machine.network;
        network.epoch = number as i64;
        network.timestamp = timestamp;
        network.block_gas_limit = BLOCK_GAS_LIMIT;
        network.prev_randao = keccak256(number.to_be_bytes()).0;
        network.base_fee = fvm_shared::econ::TokenAmount::from_atto(self.next_base_fee(parent));
        network.blob_base_fee =
            fvm_shared::econ::TokenAmount::from_atto(self.next_blob_base_fee(parent));
        network.block_hashes = Some(self.reads.hashes.up_to(self, parent).unwrap_or_else(|e| {
            // Only a damaged block store gets here; BLOCKHASH then answers zero.
            tracing::error!(target: "tandem::node", "block {number}'s recent hashes: {e:#}");
            Default::default()
        }));
        // EIP-2935's system call, then the system lane, on gas of their own (docs/async.md, G10).
        crate::history::write_parent_hash(&mut inner.chain.exec, parent.hash);
        let lane = crate::lane::run(&mut inner.chain.exec, number);
        inner.open = Some(OpenBlock {
            number,
            timestamp,
            txs: Vec::new(),
            messages: lane.messages,
            user_gas: 0,
            user_count: 0,
            blob_gas: 0,
            tx_bytes: 0,
            async_statuses: lane.statuses,
        });
    }

    /// In automine mode, mines more blocks while async messages wait (at most
    /// [`MAX_FOLLOW_UP_BLOCKS`]): each block's lane delivers what the last one queued.
    fn mine_follow_ups(&self, inner: &mut Inner) -> anyhow::Result<()> {
        for _ in 0..MAX_FOLLOW_UP_BLOCKS {
            let state = &mut inner.chain.exec.machine.state;
            let waiting = tandem_vm::async_queue::load(state)?.is_some_and(|q| !q.is_empty());
            if !waiting {
                break;
            }
            self.mine_locked(inner)?;
        }
        Ok(())
    }

    /// Mines the open block (or an empty one).
    pub fn mine(&self) -> anyhow::Result<Arc<MinedBlock>> {
        let mut inner = self.lock();
        self.mine_locked(&mut inner)
    }

    /// Mines the open block. If that fails (a bug: nothing a user sends should make a block
    /// uncommittable), the block is dropped and the chain goes back to its last committed
    /// head, so the node keeps mining.
    pub(crate) fn mine_locked(&self, inner: &mut Inner) -> anyhow::Result<Arc<MinedBlock>> {
        if let Some(refusal) = self.health.refusal() {
            return Err(refusal);
        }
        let mined = self.mine_open_block(inner);
        if let Err(e) = &mined {
            tracing::error!(target: "tandem::fatal", "block could not be mined and was dropped: {e:#}");
            inner.open = None;
            inner.eth.invalidate();
            inner.chain.discard_uncommitted()?;
        }
        mined
    }

    pub(crate) fn set_latest(&self, record: BlockRecord) {
        let n = record.number();
        *self.latest.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(record);
        self.latest_number.store(n, Ordering::Release);
    }

    /// Runs `f` on the live state, then records the result as the latest block's state
    /// (dev methods change state without mining, as anvil and Hardhat do).
    pub fn modify_state<R>(
        &self,
        f: impl FnOnce(&mut tandem_vm::executor::Executor) -> anyhow::Result<R>,
    ) -> anyhow::Result<R> {
        if let Some(refusal) = self.health.refusal() {
            return Err(refusal);
        }
        let mut inner = self.lock();
        let out = f(&mut inner.chain.exec)?;
        inner.chain.exec.machine.state.end_message()?;
        // With transactions waiting (block-time mode) the change rides on the next block.
        if inner.open.as_ref().is_some_and(|o| !o.txs.is_empty()) {
            return Ok(out);
        }
        crate::eth_trie::before_flush(&mut inner)?;
        let root = inner.chain.exec.flush()?;
        let mut record = (*self.latest()).clone();
        record.state = root.to_string();
        let mut meta = vec![(
            block_key(record.number()),
            Some(serde_json::to_vec(&record)?),
        )];
        // The trie follows the state; the header (and its hash) stays the block's.
        meta.extend(crate::eth_trie::update(&self.store, &mut inner, &root)?.1);
        if let Err(e) = inner.chain.commit_with_meta(meta) {
            inner.eth.invalidate();
            return Err(e);
        }
        self.set_latest(record);
        Ok(out)
    }
}
