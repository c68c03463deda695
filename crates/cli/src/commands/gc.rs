//! `tandem gc`: mark and sweep from the head state root (and every block's state a node
//! keeps), then the Ethereum trie's nodes those states do not need.

use clap::Args;
use serde_json::json;
use tandem_chain::DataDir;
use tandem_state::gc::gc;

use crate::Ctx;
use crate::output::print_json;

#[derive(Args)]
pub struct GcArgs {}

pub fn run(ctx: &Ctx, _args: GcArgs) -> anyhow::Result<()> {
    let mut dir = DataDir::open(&ctx.data_dir)?;
    let roots = dir.retained_roots()?;
    let report = gc(dir.store.as_ref(), &roots)?;
    let trie = tandem_node::eth_trie_gc::collect(dir.store.as_ref(), &roots)?;
    // Give the freed pages back to the file system (redb keeps them otherwise).
    let before = dir.store.file_size()?;
    if let Some(store) = std::sync::Arc::get_mut(&mut dir.store) {
        store.compact()?;
    }
    let after = dir.store.file_size()?;
    if ctx.json {
        print_json(&json!({
            "kept_blocks": report.kept_blocks, "kept_bytes": report.kept_bytes,
            "removed_blocks": report.removed_blocks, "removed_bytes": report.removed_bytes,
            "missing_blocks": report.missing_blocks,
            "trie_nodes_kept": trie.kept_nodes, "trie_nodes_removed": trie.removed_nodes,
            "trie_roots_removed": trie.removed_roots, "trie_nodes_missing": trie.missing_nodes,
            "file_bytes_before": before, "file_bytes_after": after,
        }));
    } else {
        println!(
            "Kept {} blocks ({} bytes); removed {} blocks ({} bytes)",
            report.kept_blocks, report.kept_bytes, report.removed_blocks, report.removed_bytes
        );
        println!(
            "Ethereum trie: kept {} nodes; removed {} nodes and {} root records",
            trie.kept_nodes, trie.removed_nodes, trie.removed_roots
        );
        println!("Store file: {before} → {after} bytes");
        if trie.missing_nodes > 0 {
            println!(
                "warning: {} trie nodes of kept states were already missing",
                trie.missing_nodes
            );
        }
        if report.missing_blocks > 0 {
            println!(
                "warning: {} reachable blocks were already missing",
                report.missing_blocks
            );
        }
    }
    Ok(())
}
