//! Mark-and-sweep garbage collection of a block store.
//!
//! Mark: every block reachable from the retained roots. Sweep: delete every other block, in one
//! `delete_many` call (one transaction for [`crate::blockstore::RedbStore`]).
//!
//! Run it with no concurrent writers: a block written (or newly linked) between the mark and
//! the sweep could be deleted. The CLI holds the store exclusively (redb locks the file).

use std::collections::HashSet;

use anyhow::Result;
use cid::Cid;

use crate::blockstore::EnumerableStore;
use crate::links::{OnMissing, walk};

/// What a collection kept and removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    pub kept_blocks: u64,
    pub kept_bytes: u64,
    pub removed_blocks: u64,
    pub removed_bytes: u64,
    /// Blocks the roots link to that were not in the store (nothing to keep; a sign of an
    /// earlier loss, reported rather than fatal so that collection can still proceed).
    pub missing_blocks: u64,
}

/// Deletes every block not reachable from `roots`.
pub fn gc<S: EnumerableStore + ?Sized>(store: &S, roots: &[Cid]) -> Result<GcReport> {
    let plan = plan_gc(store, roots)?;
    store.delete_many(&plan.garbage)?;
    if plan.report.missing_blocks > 0 {
        tracing::warn!(
            missing = plan.report.missing_blocks,
            "gc: retained roots link to missing blocks"
        );
    }
    Ok(plan.report)
}

/// The outcome of a collection, without deleting anything.
#[derive(Clone, Debug, Default)]
pub struct GcPlan {
    /// Blocks that a collection would delete.
    pub garbage: Vec<Cid>,
    pub report: GcReport,
}

/// Marks and finds the garbage but deletes nothing (a dry run).
pub fn plan_gc<S: EnumerableStore + ?Sized>(store: &S, roots: &[Cid]) -> Result<GcPlan> {
    let mut marked: HashSet<Cid> = HashSet::new();
    let missing = walk(store, roots, OnMissing::Skip, &mut |cid, _| {
        marked.insert(*cid);
        Ok(())
    })?;
    let mut plan = GcPlan {
        garbage: Vec::new(),
        report: GcReport {
            missing_blocks: missing,
            ..GcReport::default()
        },
    };
    store.for_each_block(&mut |cid, size| {
        if marked.contains(cid) {
            plan.report.kept_blocks += 1;
            plan.report.kept_bytes += size as u64;
        } else {
            plan.garbage.push(*cid);
            plan.report.removed_blocks += 1;
            plan.report.removed_bytes += size as u64;
        }
        Ok(())
    })?;
    plan.garbage.sort();
    Ok(plan)
}
