//! `tandem node`: a one-command dev chain with an Ethereum JSON-RPC endpoint.
//!
//! - [`accounts`]: the anvil/Hardhat dev accounts and the node's genesis.
//! - [`blocks`]: block, transaction and receipt records kept in the store's meta table,
//!   written in the same redb transaction as the state they describe.
//! - [`block_limits`]: what a block may hold (gas, blob gas, EIP-7934's RLP size).
//! - [`lane`]: each block's system lane (cron, async deliveries and replies) on the node.
//! - `block_hashes`: the 256 recent block hashes BLOCKHASH answers in every block environment.
//! - `history`: EIP-2935's history contract (genesis pre-deploy, the parent-hash write).
//! - [`base_fee`]: the EIP-1559 base-fee controller (or a pinned base fee).
//! - [`eth_trie`]: the Ethereum state trie (header `stateRoot`, `eth_getProof`), kept per block.
//! - [`trie_pack`]: the trie nodes one commit wrote, in one meta entry.
//! - [`fork`]: fork mode: accounts and slots read lazily from another node (`--fork-url`).
//! - [`node`]: the chain service: executing transactions, mining blocks, time, snapshots.
//! - [`state`]: read-only views of past states, `eth_call` and gas estimation on forks.
//! - [`overrides`]: the state and block overrides of `eth_call` and `eth_estimateGas`.
//! - [`rpc`]: the JSON-RPC server (HTTP and WebSocket on one port) and its method tables
//!   (`eth`, `dev`, `filters`, `native`).
//! - [`launch`]: running the node as a program (the `tandem node` command).

pub mod accounts;
pub mod base_fee;
mod block_hashes;
pub mod block_limits;
pub mod blocks;
pub mod dev_controls;
pub mod dump;
pub mod error;
pub mod eth_trie;
pub mod eth_trie_gc;
pub mod fork;
pub mod frames;
mod history;
pub mod lane;
pub mod launch;
pub mod mine;
pub mod node;
pub mod overrides;
pub mod pending;
pub mod reads;
pub mod replay;
pub mod rpc;
pub mod shapes;
pub mod state;
pub mod store_health;
pub mod trie_pack;
pub mod trie_worker;
pub mod write_ahead;

pub use launch::{RunOptions, Startup, run_blocking};
pub use node::{Node, NodeConfig};
pub use rpc::anvil_state::logging_enabled;
pub use rpc::server::{ListenerLimits, ServerHandle, serve, serve_with_limits};
