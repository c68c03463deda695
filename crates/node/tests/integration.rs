//! tandem-node's integration tests, one binary: each file under `tests/` is a module.
//! One binary links the dependency graph once instead of once per file (a CI disk filled
//! up with ~190 test binaries). `autotests = false` in Cargo.toml; the tidy test checks
//! that every file here is declared.

#[path = "../../wasm/tests/common/actors.rs"]
mod actors;
mod common;

mod anvil_surface;
mod async_lane;
mod async_lang;
mod batch_senders;
mod blockhash;
mod clients;
mod code_size;
mod concurrent_sends;
mod deep_calls;
mod estimate_deadline;
mod eth_more;
mod eth_today;
mod fork;
mod fork_https;
mod full_disk;
mod hardforks;
mod hostile_batches;
mod hostile_connections;
mod hostile_filters;
mod hostile_rpc;
mod hostile_txs;
mod native;
mod proofs;
mod read_path;
mod restart;
mod rpc;
mod snapshot_edits;
mod traces;
mod trie_gc;
mod uniswap_viem;
mod write_ahead;
