//! Blockstore measurements: redb commit throughput, on-disk overhead per block, reads, the link
//! scanner, a buffered HAMT flush and GC.
//!
//! A plain timing harness (`harness = false`) rather than criterion: these are throughput
//! figures for one pass over a realistic amount of data, not micro-benchmarks, and it keeps the
//! build light. Run with `cargo bench -p tandem-state --bench blockstore`.

use std::time::{Duration, Instant};

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::IPLD_RAW;
use fvm_ipld_hamt::Hamt;
use multihash_codetable::{Code, MultihashDigest};
use tandem_state::blockstore::{BufferedStore, CommitBatch, CommitStore, RedbStore};
use tandem_state::gc::gc;
use tandem_state::links::{dag_size, scan_links, walk_dag};

fn block(i: u64, size: usize) -> (Cid, Vec<u8>) {
    let mut data = Vec::with_capacity(size);
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    while data.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(size);
    (Cid::new_v1(IPLD_RAW, Code::Blake2b256.digest(&data)), data)
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut store = RedbStore::create(dir.path().join("bench.redb"))?;
    let empty_size = store.file_size()?;

    // 1. Single-block puts: one durable transaction each (the slow path).
    let n_single = 200u64;
    let start = Instant::now();
    for i in 0..n_single {
        let (cid, data) = block(i, 256);
        store.put_keyed(&cid, &data)?;
    }
    let d = start.elapsed();
    println!(
        "redb put_keyed (1 block/txn, 256 B): {:.0} blocks/s",
        per_sec(n_single, d)
    );

    // 2. Batched commits, as a flush at the end of a message or block does.
    for &(batch_size, size) in &[(10u64, 256usize), (100, 256), (1000, 256), (100, 4096)] {
        let commits = 50u64;
        let base = 1_000_000 * batch_size + size as u64;
        let start = Instant::now();
        for c in 0..commits {
            let mut batch = CommitBatch::new();
            for i in 0..batch_size {
                let (cid, data) = block(base + c * batch_size + i, size);
                batch.put_block(cid, data);
            }
            batch.set_meta("bench.head", c.to_be_bytes());
            store.commit(&batch)?;
        }
        let d = start.elapsed();
        println!(
            "redb commit ({batch_size} blocks x {size} B): {:.0} commits/s, {:.0} blocks/s, {:.1} MB/s",
            per_sec(commits, d),
            per_sec(commits * batch_size, d),
            per_sec(commits * batch_size * size as u64, d) / 1e6
        );
    }

    // 3. On-disk overhead per block.
    let stats = tandem_state::blockstore::EnumerableStore::stats(&store)?;
    let file = store.file_size()?;
    println!(
        "redb file: {} blocks, {} payload bytes, {} file bytes ({} empty) => {:.0} B overhead/block",
        stats.blocks,
        stats.bytes,
        file,
        empty_size,
        (file.saturating_sub(empty_size) as f64 - stats.bytes as f64) / stats.blocks as f64
    );

    // 4. Random reads of present and absent blocks.
    let reads = 20_000u64;
    let start = Instant::now();
    for i in 0..reads {
        let (cid, _) = block(1_000_000 * 100 + 256 + (i * 7919) % 5000, 256);
        std::hint::black_box(store.get(&cid)?);
    }
    println!(
        "redb get (present): {:.0} reads/s",
        per_sec(reads, start.elapsed())
    );
    let start = Instant::now();
    for i in 0..reads {
        let (cid, _) = block(u64::MAX - i, 64);
        std::hint::black_box(store.has(&cid)?);
    }
    println!(
        "redb has (absent): {:.0} lookups/s",
        per_sec(reads, start.elapsed())
    );

    // 5. A state-heavy buffered write: a 10k-entry HAMT built in the buffer, then flushed.
    let buffered = BufferedStore::new(store.clone());
    let start = Instant::now();
    let mut hamt: Hamt<_, u64, u64> = Hamt::new_with_bit_width(&buffered, 5);
    for k in 0..10_000u64 {
        hamt.set(k, k)?;
        if k % 1000 == 999 {
            hamt.flush()?;
        }
    }
    let root = hamt.flush()?;
    drop(hamt);
    let build = start.elapsed();
    let start = Instant::now();
    let report = buffered.commit_reachable(&root, vec![])?;
    let flush = start.elapsed();
    println!(
        "buffered HAMT (10k sets, 10 intermediate flushes): build {:?}, commit_reachable {:?}: \
         {} blocks / {} B written, {} superseded blocks dropped",
        build, flush, report.blocks_written, report.bytes_written, report.blocks_dropped
    );

    // 6. One more small change on top: only the changed path is written.
    let mut hamt: Hamt<_, u64, u64> = Hamt::load_with_bit_width(&root, &buffered, 5)?;
    hamt.set(42, 4242)?;
    let root2 = hamt.flush()?;
    drop(hamt);
    let start = Instant::now();
    let report = buffered.commit_reachable(&root2, vec![])?;
    println!(
        "buffered HAMT one-key update: commit_reachable {:?}, {} blocks / {} B written",
        start.elapsed(),
        report.blocks_written,
        report.bytes_written
    );

    // 7. The link scanner over the whole HAMT.
    let mut blocks = Vec::new();
    walk_dag(&store, &[root2], |cid, data| {
        blocks.push((*cid, data.to_vec()));
        Ok(())
    })?;
    let bytes: u64 = blocks.iter().map(|(_, d)| d.len() as u64).sum();
    let rounds = 200u64;
    let start = Instant::now();
    let mut links = 0u64;
    for _ in 0..rounds {
        for (cid, data) in &blocks {
            scan_links(cid.codec(), data, |_| links += 1)?;
        }
    }
    let d = start.elapsed();
    println!(
        "scan_links: {:.0} MB/s, {:.0} blocks/s ({} links/pass)",
        per_sec(rounds * bytes, d) / 1e6,
        per_sec(rounds * blocks.len() as u64, d),
        links / rounds
    );
    let start = Instant::now();
    let size = dag_size(&store, &root2)?;
    println!("dag_size on redb: {size:?} in {:?}", start.elapsed());

    // 8. GC keeping only the latest HAMT.
    let start = Instant::now();
    let report = gc(&store, &[root2])?;
    println!("gc: {report:?} in {:?}", start.elapsed());
    drop(buffered);
    let before = store.file_size()?;
    let start = Instant::now();
    store.compact()?;
    println!(
        "compact after gc: file {before} -> {} bytes in {:?} ({:.0} B/block for the kept {} blocks of {} B)",
        store.file_size()?,
        start.elapsed(),
        store.file_size()? as f64 / report.kept_blocks as f64,
        report.kept_blocks,
        report.kept_bytes
    );
    Ok(())
}
