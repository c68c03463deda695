//! The commit log: how a deferring store makes its commits durable without a redb
//! transaction on the sync's path.
//!
//! A sync used to write every waiting commit to redb (B-tree inserts at random keys, page
//! writes, checksums) and then fsync, all while the writers waited. With the log
//! ([`RedbStore::use_commit_log`]) a sync appends the waiting commits to one file beside the
//! store (`<store>.log`) and fsyncs that: a sequential write of what the commits hold. The
//! commits stay in memory, readable, and reach redb later in larger groups (the node's
//! write-ahead thread, or too many bytes waiting), without an fsync; a durable redb
//! transaction (a checkpoint, when the log has grown past [`LOG_CHECKPOINT_BYTES`], and on
//! close) covers them, after which the log starts over.
//!
//! Rules that keep a crash at any point from losing an acknowledged commit or applying one
//! out of order:
//! - every commit has a number (its `seq`), increasing across restarts; each redb
//!   transaction records the highest it holds under [`LOG_APPLIED_KEY`];
//! - a deferred commit reaches redb only after it is in the log (appended, maybe not yet
//!   fsynced), and the log is appended in `seq` order, so redb's durable state plus the log's
//!   records past [`LOG_APPLIED_KEY`] are always a gap-free history;
//! - a sync answers only after the fsync of the log covering every commit made before it;
//! - opening a store replays the log's records past [`LOG_APPLIED_KEY`] in one durable redb
//!   transaction; a torn record (a crash during an append that was never acknowledged) and
//!   everything after it are ignored, and a gap is an error, never skipped.
//!
//! A record: payload length (u32), `seq` (u64), the payload (the commit: blocks, then meta
//! entries, each length-prefixed), a CRC-32 of all that ([`checksum`]: it finds torn and
//! partly written records; the log is local, nothing adversarial writes it).
//! Little-endian.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use cid::Cid;

use super::{CommitBatch, RedbStore};

/// The meta key holding the highest commit `seq` written to redb.
pub(super) const LOG_APPLIED_KEY: &str = "store.log.applied";

/// A sync that finds the log this large checkpoints instead: one durable redb transaction
/// of everything waiting, then the log starts over.
pub const LOG_CHECKPOINT_BYTES: u64 = 32 << 20;

const HEADER: usize = 4 + 8;
const CHECK: usize = 4;

/// The log file beside the store at `store_path`.
pub fn log_path(store_path: &Path) -> PathBuf {
    let mut name = store_path.as_os_str().to_owned();
    name.push(".log");
    PathBuf::from(name)
}

/// The open log of a store that uses one.
pub(super) struct CommitLog {
    file: Arc<File>,
    path: PathBuf,
    /// Bytes of whole records in the file.
    len: u64,
    /// The highest `seq` appended.
    pub(super) appended: u64,
}

impl CommitLog {
    /// Opens (creating) the log at `path`, which replay has emptied; commits up to `applied`
    /// are already in redb.
    pub(super) fn open(path: &Path, applied: u64) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(path)
            .with_context(|| format!("opening the commit log {}", path.display()))?;
        file.sync_all()?;
        // The file's directory entry must survive a power cut too.
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(Self {
            file: Arc::new(file),
            path: path.to_path_buf(),
            len: 0,
            appended: applied,
        })
    }

    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// The file, for an fsync outside the log's lock.
    pub(super) fn file(&self) -> Arc<File> {
        self.file.clone()
    }

    /// Appends the commits with a `seq` past the last appended one, in order (no fsync).
    pub(super) fn append<'a>(
        &mut self,
        batches: impl IntoIterator<Item = (u64, &'a CommitBatch)>,
    ) -> Result<()> {
        let mut buf = Vec::new();
        let mut last = self.appended;
        for (seq, batch) in batches {
            if seq <= last {
                continue;
            }
            if seq != last + 1 {
                bail!("commit {seq} would follow commit {last} in the log: a gap");
            }
            encode_record(&mut buf, seq, batch);
            last = seq;
        }
        if buf.is_empty() {
            return Ok(());
        }
        if let Err(e) = (&*self.file).write_all(&buf) {
            // Cut off whatever part landed (the caller stops using the log; a torn tail would
            // be ignored by the replay anyway).
            let _ = self.file.set_len(self.len);
            return Err(anyhow!(e).context(format!(
                "appending to the commit log {}",
                self.path.display()
            )));
        }
        self.len += buf.len() as u64;
        self.appended = last;
        Ok(())
    }

    /// Empties the log (every commit in it is durable in redb).
    pub(super) fn truncate(&mut self) -> Result<()> {
        self.file.set_len(0)?;
        // Appends continue at the end of the file (O_APPEND is not used): rewind explicitly.
        use std::io::Seek;
        (&*self.file).seek(std::io::SeekFrom::Start(0))?;
        self.len = 0;
        Ok(())
    }
}

fn encode_record(buf: &mut Vec<u8>, seq: u64, batch: &CommitBatch) {
    let start = buf.len();
    buf.extend_from_slice(&[0; HEADER]);
    buf.extend_from_slice(&(batch.blocks.len() as u32).to_le_bytes());
    for (cid, data) in &batch.blocks {
        let cid = cid.to_bytes();
        buf.extend_from_slice(&(cid.len() as u32).to_le_bytes());
        buf.extend_from_slice(&cid);
        buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
        buf.extend_from_slice(data);
    }
    buf.extend_from_slice(&(batch.meta.len() as u32).to_le_bytes());
    for (key, value) in &batch.meta {
        buf.extend_from_slice(&(key.len() as u32).to_le_bytes());
        buf.extend_from_slice(key.as_bytes());
        match value {
            Some(v) => {
                buf.push(1);
                buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
                buf.extend_from_slice(v);
            }
            None => buf.push(0),
        }
    }
    let payload = (buf.len() - start - HEADER) as u32;
    buf[start..start + 4].copy_from_slice(&payload.to_le_bytes());
    buf[start + 4..start + HEADER].copy_from_slice(&seq.to_le_bytes());
    let check = checksum(&buf[start..]);
    buf.extend_from_slice(&check.to_le_bytes());
}

/// The record's CRC-32 (crc32fast): it finds torn and partly written records, stale
/// sectors and zeros; the log is local, nothing adversarial writes it.
pub(super) fn checksum(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Reads length-prefixed fields of a record's payload.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            bail!("a commit log record ends early");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<usize> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()?;
        self.take(n)
    }
}

fn decode_batch(payload: &[u8]) -> Result<CommitBatch> {
    let mut f = Fields(payload);
    let mut batch = CommitBatch::new();
    for _ in 0..f.u32()? {
        let cid = Cid::try_from(f.bytes()?).map_err(|e| anyhow!("a logged CID: {e}"))?;
        batch.blocks.push((cid, f.bytes()?.to_vec()));
    }
    for _ in 0..f.u32()? {
        let key = std::str::from_utf8(f.bytes()?)
            .context("a logged meta key is not UTF-8")?
            .to_string();
        let value = match f.take(1)?[0] {
            0 => None,
            1 => Some(f.bytes()?.to_vec()),
            other => bail!("a logged meta entry has presence byte {other}"),
        };
        batch.meta.push((key, value));
    }
    if !f.0.is_empty() {
        bail!("a commit log record has trailing bytes");
    }
    Ok(batch)
}

/// The whole records at the start of `bytes`, in order; reading stops at the first torn or
/// damaged one (an append a crash cut short, never acknowledged).
pub(super) fn read_records(bytes: &[u8]) -> Result<Vec<(u64, CommitBatch)>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while bytes.len() - at >= HEADER + CHECK {
        let head = &bytes[at..at + HEADER];
        let payload = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let end = at + HEADER + payload;
        if bytes.len() < end + CHECK {
            break;
        }
        if checksum(&bytes[at..end]).to_le_bytes() != bytes[end..end + CHECK] {
            break;
        }
        let seq = u64::from_le_bytes(head[4..HEADER].try_into()?);
        out.push((seq, decode_batch(&bytes[at + HEADER..end])?));
        at = end + CHECK;
    }
    Ok(out)
}

impl RedbStore {
    /// Replays the log beside the store, if any: its records past what redb holds go into
    /// redb in one durable transaction, and the log is emptied. Returns the highest commit
    /// `seq` the store now holds.
    pub(super) fn replay_log(&self) -> Result<u64> {
        let applied = self.log_applied()?;
        let path = log_path(&self.path);
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes)
                    .with_context(|| format!("reading the commit log {}", path.display()))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(applied),
            Err(e) => {
                return Err(anyhow!(e).context(format!("opening {}", path.display())));
            }
        }
        let records = read_records(&bytes)?;
        let mut next = applied + 1;
        let mut todo = Vec::new();
        for (seq, batch) in &records {
            if *seq < next {
                continue;
            }
            if *seq != next {
                bail!(
                    "the commit log {} lacks commit {next} (found {seq}): the store cannot be recovered in order",
                    path.display()
                );
            }
            todo.push(batch);
            next += 1;
        }
        let last = next - 1;
        if !todo.is_empty() {
            tracing::info!(
                "the Tandem store {}: replaying {} logged commits",
                self.path.display(),
                todo.len()
            );
            self.write_batches(&todo, redb::Durability::Immediate, Some(last))?;
        }
        if !bytes.is_empty() {
            let f = OpenOptions::new().write(true).open(&path)?;
            f.set_len(0)?;
            f.sync_all()?;
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use multihash_codetable::{Code, MultihashDigest};

    use super::*;

    fn batch(n: u8) -> CommitBatch {
        let mut b = CommitBatch::new();
        let data = vec![n; 40 + n as usize];
        b.put_block(Cid::new_v1(0x55, Code::Blake2b256.digest(&data)), data);
        b.set_meta(format!("k{n}"), vec![n; 3]);
        b.delete_meta("gone");
        b
    }

    #[test]
    fn records_read_back_and_any_damage_ends_the_log_there() {
        let mut log = Vec::new();
        for n in 1..=3u8 {
            encode_record(&mut log, n as u64, &batch(n));
        }
        let read = read_records(&log).unwrap();
        assert_eq!(read.len(), 3);
        for (n, (seq, b)) in (1..=3u8).zip(&read) {
            assert_eq!(*seq, n as u64);
            assert_eq!(*b, batch(n));
        }
        let second = {
            let mut one = Vec::new();
            encode_record(&mut one, 1, &batch(1));
            one.len()
        };
        // A flipped bit anywhere in the second record: only the first is read.
        for at in second..second + 60 {
            let mut bad = log.clone();
            bad[at] ^= 0x10;
            assert_eq!(read_records(&bad).unwrap().len(), 1, "flip at {at}");
        }
        // Cut anywhere inside the last record: the first two.
        let whole_two = log.len() - {
            let mut one = Vec::new();
            encode_record(&mut one, 3, &batch(3));
            one.len()
        };
        for cut in whole_two..log.len() {
            assert_eq!(read_records(&log[..cut]).unwrap().len(), 2, "cut at {cut}");
        }
        // Zeros where a record should be (a preallocated tail): nothing more.
        let mut zeros = log.clone();
        zeros.extend_from_slice(&[0; 200]);
        assert_eq!(read_records(&zeros).unwrap().len(), 3);
    }

    #[test]
    fn checksum_sees_length_and_position() {
        assert_ne!(checksum(&[0; 31]), checksum(&[0; 32]));
        assert_ne!(checksum(&[1, 0]), checksum(&[0, 1]));
        let a: Vec<u8> = (0..100).collect();
        let mut b = a.clone();
        b.swap(3, 40);
        assert_ne!(checksum(&a), checksum(&b));
    }
}
