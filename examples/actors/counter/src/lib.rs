//! A counter: state is one DAG-CBOR block `[count]` under the state root.
//!
//! Methods: `Constructor([start])`, `Increment([by]) -> count`, `Get() -> count`.
//! Everything is gated to wasm32; on the host this crate is empty.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod actor {
    use tandem_sdk::{ActorError, USR_ILLEGAL_STATE, load_state, save_state};

    fn constructor(start: (u64,)) -> Result<(), ActorError> {
        save_state(&start)
    }

    fn increment(by: (u64,)) -> Result<u64, ActorError> {
        let (count,): (u64,) = load_state()?;
        let count = count
            .checked_add(by.0)
            .ok_or_else(|| ActorError::new(USR_ILLEGAL_STATE, "overflow"))?;
        save_state(&(count,))?;
        Ok(count)
    }

    fn get(_: ()) -> Result<u64, ActorError> {
        let (count,): (u64,) = load_state()?;
        Ok(count)
    }

    tandem_sdk::dispatch! {
        "Constructor" => constructor,
        "Increment" => increment,
        "Get" => get,
    }
}
