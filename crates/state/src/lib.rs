//! Tandem's IPLD state.
//!
//! - [`blockstore`]: the stores blocks live in (memory, redb on disk, a write buffer).
//! - [`state_tree`]: the HAMT of actor records with a journaled cache for nested rollback.
//! - [`slots`]: per-actor slot storage (32-byte words in a KAMT).
//! - [`links`], [`car`], [`gc`]: walking the DAG, CAR files, mark-and-sweep collection.

pub mod actor;
pub mod blockstore;
pub mod car;
pub mod fork;
pub mod gc;
pub mod init_state;
pub mod links;
pub mod slots;
pub mod state_tree;

pub use actor::{ActorID, ActorRecord};
pub use fork::ForkSource;
pub use init_state::InitState;
pub use slots::{Word, ZERO_WORD};
pub use state_tree::{AccessLog, ChangeLog, SlotWrite, StateRoot, StateTree};
