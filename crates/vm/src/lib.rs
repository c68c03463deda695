//! Tandem's virtual machine.
//!
//! - [`executor`] applies a message: checks, gas prepayment, the call, refund, receipt.
//! - [`call_manager`] owns the one stack of frames: depth, gas limits, transactions, events.
//! - [`kernel`] is what a running actor may ask of the VM, as small op traits.
//! - [`runtime`] is how an actor's code runs; built-in, EVM and WASM runtimes implement it.
//! - [`gas`] is the unit, the tracker and the price list.

pub mod async_queue;
pub mod builtin;
pub mod call_manager;
pub mod cheats;
pub mod crypto;
pub mod eth;
mod events_root;
pub mod executor;
pub mod frc42;
pub mod gas;
pub mod kernel;
mod kernel_impl;
pub mod limiter;
pub mod machine;
pub mod message;
pub mod runtime;
pub mod store;
pub mod system_lane;
pub mod trace;

pub use kernel_impl::MAX_BLOCK_SIZE;
pub use tandem_state::ActorID;
