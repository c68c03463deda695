//! Calls the native (WASM) build of a Tandem contract with typed params: `src/coin.rs` is
//! what `tandem bindgen --rust` generates from the IPLD schema of the Coin example
//! (`crates/lang/tests/fixtures/coin.tdm`, what `tandem init` scaffolds) — the params and
//! reply types with `#[derive(tandem_sdk::Cbor)]`, the FRC-0042 method numbers and a typed
//! `call_*` per message. `crates/lang/driver/tests/bindgen.rs` keeps the file in step with
//! the generator.
//!
//! - `Supply([coin]) -> u128`: the Coin's `TotalSupply`.
//! - `BalanceOf([coin, owner]) -> u128`: the Coin's `BalanceOf`.
//! - `Transfer([coin, to, amount]) -> bool`: the Coin's `Transfer` of this actor's coins; a
//!   revert of the Coin (exit 33, e.g. `InsufficientBalance`) aborts with 33.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod coin;

#[cfg(target_arch = "wasm32")]
mod actor {
    use crate::coin::{
        self, BalanceOfParams, BigInt, CallError, TotalSupplyParams, TransferParams,
    };
    use tandem_sdk::{ActorError, Address, USR_ILLEGAL_STATE};

    fn failed(e: CallError) -> ActorError {
        match e {
            CallError::Refused(n) => {
                ActorError::new(USR_ILLEGAL_STATE, &alloc::format!("send refused: {n}"))
            }
            CallError::Exit(code, _) => ActorError::new(code.max(16), "the Tandem actor failed"),
            CallError::BadReply => ActorError::new(USR_ILLEGAL_STATE, "reply does not decode"),
        }
    }

    fn small(v: BigInt) -> Result<u128, ActorError> {
        v.to_u128()
            .ok_or_else(|| ActorError::new(USR_ILLEGAL_STATE, "above u128"))
    }

    fn constructor(_: ()) -> Result<(), ActorError> {
        Ok(())
    }

    fn supply(p: (Address,)) -> Result<u128, ActorError> {
        small(coin::call_total_supply(&p.0, &TotalSupplyParams {}, 0).map_err(failed)?)
    }

    fn balance_of(p: (Address, Address)) -> Result<u128, ActorError> {
        let params = BalanceOfParams { owner: p.1 };
        small(coin::call_balance_of(&p.0, &params, 0).map_err(failed)?)
    }

    fn transfer(p: (Address, Address, u128)) -> Result<bool, ActorError> {
        let params = TransferParams {
            to: p.1,
            value: BigInt::from_u128(p.2),
        };
        coin::call_transfer(&p.0, &params, 0).map_err(failed)
    }

    tandem_sdk::dispatch! {
        "Constructor" => constructor,
        "Supply" => supply,
        "BalanceOf" => balance_of,
        "Transfer" => transfer,
    }
}
