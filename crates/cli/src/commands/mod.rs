//! One module per `tandem` subcommand.

pub mod abi;
pub mod actor;
pub mod bench;
pub mod call;
pub mod car;
pub mod chain;
pub mod evm;
pub mod explain;
pub mod fmt;
pub mod gas_breakdown;
pub mod gc;
pub mod lang;
pub mod lsp;
pub mod message;
pub mod new;
pub mod node;
pub mod schema;
pub mod send;
pub mod state;
pub mod statetest;
pub mod test;
