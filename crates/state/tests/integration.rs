//! tandem-state's integration tests, one binary: each file under `tests/` is a module.
//! One binary links the dependency graph once instead of once per file (a CI disk filled
//! up with ~190 test binaries). `autotests = false` in Cargo.toml; the tidy test checks
//! that every file here is declared.

mod actor_journal;
mod blockstore_buffered;
mod blockstore_crash;
mod blockstore_full_disk;
mod blockstore_group;
mod blockstore_links;
mod blockstore_log;
mod blockstore_stores;
mod car_roundtrip;
mod gc_mark_sweep;
mod kept_maps;
mod state_tree;
