//! One module per `tandem` subcommand.

pub mod car;
pub mod chain;
pub mod gc;
pub mod send;
pub mod state;
pub mod statetest;
