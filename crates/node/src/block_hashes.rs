//! BLOCKHASH on the node: every block environment the node builds (mining, `pending`, calls
//! and estimates at a block, replays and traces, `eth_simulateV1`) carries the real hashes
//! of the 256 blocks before it (`NetworkContext::block_hashes`), the same hashes the
//! EIP-2935 history contract records (`history.rs`). A replay of block N sees what block N
//! saw when it was mined, because the hashes are taken from block N's ancestors.
//!
//! The windows are kept in memory: one ending at the head (extended by one hash per mined
//! block) and one for the last older block asked about (a trace of a block after its
//! parent's call site). A window is found again by a block's hash, never by its number
//! alone, so `evm_revert` and a loaded state cannot leave stale hashes behind.

use std::sync::Mutex;

use anyhow::{Context, ensure};
use tandem_vm::kernel::{BLOCK_HASH_HISTORY, BlockHashes};

use crate::blocks::BlockRecord;
use crate::node::Node;

/// The cached windows of recent block hashes.
#[derive(Default)]
pub(crate) struct RecentHashes {
    /// The window ending at the head, then the one ending at the last older block asked.
    windows: Mutex<[Option<BlockHashes>; 2]>,
}

/// `tip`'s hash as the windows hold it.
fn holds(w: &BlockHashes, tip: &BlockRecord) -> bool {
    w.get(tip.number()) == Some(tip.hash.0)
}

/// Blocks `from..=to` of `w` (which holds them all).
fn slice(w: &BlockHashes, from: u64, to: u64) -> Option<Vec<[u8; 32]>> {
    let a = usize::try_from(from.checked_sub(w.first())?).ok()?;
    let b = usize::try_from(to.checked_sub(w.first())?).ok()?;
    w.hashes().get(a..=b).map(<[_]>::to_vec)
}

impl RecentHashes {
    /// The hashes of `tip` and the [`BLOCK_HASH_HISTORY`] blocks before it: what a block
    /// environment numbered `tip` (a call or replay at `tip`) or `tip + 1` (the block mined
    /// or simulated on top of it) needs, since BLOCKHASH never asks for the current block.
    pub(crate) fn up_to(&self, node: &Node, tip: &BlockRecord) -> anyhow::Result<BlockHashes> {
        let t = tip.number();
        // A fork has no blocks before its genesis (the remote's block).
        let from = t
            .saturating_sub(BLOCK_HASH_HISTORY)
            .max(node.first_number());
        let cached = self
            .windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for w in cached.iter().flatten() {
            if holds(w, tip) && w.first() <= from {
                if w.last() == Some(t) {
                    return Ok(w.clone());
                }
                if let Some(hashes) = slice(w, from, t) {
                    return Ok(BlockHashes::new(from, hashes));
                }
            }
        }
        // Walk back from the tip through parent hashes until a cached window takes over.
        let mut newest_first = vec![tip.hash.0];
        let mut expected = tip.header.parent_hash;
        let mut n = t;
        let mut older = Vec::new();
        while n > from {
            n -= 1;
            let known = cached
                .iter()
                .flatten()
                .find(|w| w.get(n) == Some(expected.0) && w.first() <= from);
            if let Some(hashes) = known.and_then(|w| slice(w, from, n)) {
                older = hashes;
                break;
            }
            let block = node
                .blocks
                .block(n, t)?
                .with_context(|| format!("block {n} is missing (an ancestor of block {t})"))?;
            ensure!(
                block.hash == expected,
                "block {n}'s hash {} is not block {}'s parent hash {expected}",
                block.hash,
                n + 1
            );
            newest_first.push(block.hash.0);
            expected = block.header.parent_hash;
        }
        older.extend(newest_first.iter().rev());
        let window = BlockHashes::new(from, older);
        let slot = usize::from(t < node.latest_number());
        self.windows.lock().unwrap_or_else(|e| e.into_inner())[slot] = Some(window.clone());
        Ok(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_stay_inside_the_window() {
        let w = BlockHashes::new(5, vec![[5; 32], [6; 32], [7; 32]]);
        assert_eq!(slice(&w, 5, 7).map(|v| v.len()), Some(3));
        assert_eq!(slice(&w, 6, 6), Some(vec![[6; 32]]));
        assert_eq!(slice(&w, 4, 6), None);
        assert_eq!(slice(&w, 6, 8), None);
    }
}
