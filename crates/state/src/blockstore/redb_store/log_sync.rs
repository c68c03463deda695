//! Syncing through the commit log (`commit_log.rs`): turning it on, the sync itself, and
//! emptying the log once redb holds its commits durably. Any failure of the log turns it
//! off and falls back to the sync without it (a durable redb transaction of everything
//! waiting), which is always safe: it makes every earlier commit durable, and the log's
//! leftover records are then at or below [`LOG_APPLIED_KEY`], so a replay skips them.

use std::sync::MutexGuard;

use anyhow::{Context, Result};
use redb::{Durability, ReadableDatabase, TableError};

use super::commit_log::{CommitLog, LOG_APPLIED_KEY, LOG_CHECKPOINT_BYTES, log_path};
use super::{CommitBatch, META, RedbStore};

type LogGuard<'a> = MutexGuard<'a, Option<CommitLog>>;

impl RedbStore {
    /// Syncs through a commit log from now on: a sync appends the waiting commits to
    /// `<store>.log` and fsyncs it instead of writing them to redb (they reach redb later,
    /// in larger groups, without an fsync). For a store that defers durability
    /// ([`Self::defer_durability`]); a crash at any point loses no synced commit, since
    /// opening the store replays the log.
    pub fn use_commit_log(&self) -> Result<()> {
        let mut log = self.group.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.is_some() {
            return Ok(());
        }
        // Everything waiting goes to redb first: the log starts right after it.
        drop(log);
        self.write_pending(Durability::Immediate)?;
        log = self.group.log.lock().unwrap_or_else(|e| e.into_inner());
        // Commits made meanwhile are still waiting (nothing takes them without this lock):
        // the log starts with the first of them.
        let applied = {
            let pending = self.pending();
            pending
                .batches
                .first()
                .map_or(pending.added, |(n, _)| n - 1)
        };
        *log = Some(CommitLog::open(&log_path(&self.path), applied)?);
        Ok(())
    }

    /// Whether syncs go through the commit log.
    pub fn uses_commit_log(&self) -> bool {
        self.group
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// A sync's work: with the log, append what waits and fsync the log (or checkpoint when
    /// the log has grown large); without it, write everything to redb durably.
    pub(super) fn sync_pending(&self) -> Result<()> {
        let file = {
            let mut log = self.group.log.lock().unwrap_or_else(|e| e.into_inner());
            let small = log.as_ref().is_some_and(|l| l.len() < LOG_CHECKPOINT_BYTES);
            let file = log.as_ref().map(CommitLog::file);
            match file {
                Some(file) if small && self.append_waiting(&mut log) => file,
                // No log, a log due for a checkpoint, or a failed append (the log is off).
                _ => {
                    drop(log);
                    return self.write_pending(Durability::Immediate);
                }
            }
        };
        if let Err(e) = file.sync_data() {
            tracing::error!(
                "the Tandem store {}: fsync of the commit log failed ({e}); syncing without it",
                self.path.display()
            );
            *self.group.log.lock().unwrap_or_else(|e| e.into_inner()) = None;
            return self.write_pending(Durability::Immediate);
        }
        Ok(())
    }

    /// Appends the waiting commits the log does not hold yet (no fsync). False when there is
    /// no log or the append failed (which turns it off).
    fn append_waiting(&self, log: &mut LogGuard<'_>) -> bool {
        let Some(appended) = log.as_ref().map(|l| l.appended) else {
            return false;
        };
        let waiting: Vec<_> = {
            let pending = self.pending();
            let first_new = pending.batches.partition_point(|(n, _)| *n <= appended);
            pending.batches[first_new..].to_vec()
        };
        Self::log_append(log, waiting.iter().map(|(n, b)| (*n, &**b)))
    }

    /// Appends the waiting commits not yet in the log to it, without an fsync, so a later
    /// sync has less to write before its fsync. A server calls it from a second thread while
    /// commits keep coming. Returns whether there is a log and the append succeeded.
    pub fn log_ahead(&self) -> bool {
        let mut log = self.group.log.lock().unwrap_or_else(|e| e.into_inner());
        self.append_waiting(&mut log)
    }

    /// Appends to the log if there is one; a failure turns the log off (returns false).
    pub(super) fn log_append<'a>(
        log: &mut LogGuard<'_>,
        batches: impl IntoIterator<Item = (u64, &'a CommitBatch)>,
    ) -> bool {
        let Some(l) = log.as_mut() else {
            return true;
        };
        match l.append(batches) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!("{e:#}; syncing without the commit log from now on");
                **log = None;
                false
            }
        }
    }

    /// After a durable redb write of every commit up to `last`: empties the log when it holds
    /// nothing newer; the next append follows `last`.
    pub(super) fn log_covered(&self, last: Option<u64>) -> Result<()> {
        let mut log = self.group.log.lock().unwrap_or_else(|e| e.into_inner());
        let (Some(l), Some(last)) = (log.as_mut(), last) else {
            return Ok(());
        };
        if l.appended > last {
            return Ok(());
        }
        l.appended = last;
        if l.len() > 0
            && let Err(e) = l.truncate()
        {
            tracing::error!("emptying the commit log failed ({e}); syncing without it");
            *log = None;
        }
        Ok(())
    }

    /// The highest commit number redb holds ([`LOG_APPLIED_KEY`]; 0 before any).
    pub(super) fn log_applied(&self) -> Result<u64> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let Some(v) = table.get(LOG_APPLIED_KEY)? else {
            return Ok(0);
        };
        let bytes: [u8; 8] = v
            .value()
            .try_into()
            .context("the store's applied commit number is not 8 bytes")?;
        Ok(u64::from_be_bytes(bytes))
    }
}
