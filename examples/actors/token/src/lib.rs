//! An FRC-46-style fungible token. Metadata lives in a DAG-CBOR state block; balances and
//! allowances live in host-managed slot storage (`SlotMap`), keyed by actor ID.
//!
//! Methods (params and returns DAG-CBOR; addresses are Filecoin address bytes):
//! `Constructor([name, symbol, supply])` mints `supply` to the creator (the message's origin); `Name`, `Symbol`,
//! `TotalSupply`, `BalanceOf([addr])`, `Transfer([to, amount]) -> from's balance`,
//! `IncreaseAllowance([spender, amount]) -> allowance`, `Allowance([owner, spender])`,
//! `TransferFrom([from, to, amount]) -> allowance left`. Transfers emit a `transfer` event.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod actor {
    extern crate alloc;

    use alloc::string::String;
    use alloc::vec::Vec;
    use tandem_sdk::cbor::{self, Bytes};
    use tandem_sdk::*;

    type Meta = (String, String, u128);

    const BALANCES: SlotMap<'static> = SlotMap(b"bal");
    const ALLOWANCES: SlotMap<'static> = SlotMap(b"alw");

    fn id_of(addr: &Bytes) -> Result<u64, ActorError> {
        resolve(&addr.0).ok_or_else(|| ActorError::new(USR_NOT_FOUND, "unknown address"))
    }

    fn pair(a: u64, b: u64) -> Vec<u8> {
        let mut k = a.to_le_bytes().to_vec();
        k.extend_from_slice(&b.to_le_bytes());
        k
    }

    fn constructor(p: Meta) -> Result<(), ActorError> {
        // The constructor is called by the Init actor: mint to the account that created us.
        let creator = message().origin;
        BALANCES.set(&creator.to_le_bytes(), p.2)?;
        save_state(&p)
    }

    fn name(_: ()) -> Result<String, ActorError> {
        Ok(load_state::<Meta>()?.0)
    }

    fn symbol(_: ()) -> Result<String, ActorError> {
        Ok(load_state::<Meta>()?.1)
    }

    fn total_supply(_: ()) -> Result<u128, ActorError> {
        Ok(load_state::<Meta>()?.2)
    }

    fn balance_of(p: (Bytes,)) -> Result<u128, ActorError> {
        Ok(BALANCES.get(&id_of(&p.0)?.to_le_bytes())?)
    }

    fn move_tokens(from: u64, to: u64, amount: u128) -> Result<u128, ActorError> {
        let from_balance = BALANCES.get(&from.to_le_bytes())?;
        let left = from_balance
            .checked_sub(amount)
            .ok_or_else(|| ActorError::new(USR_INSUFFICIENT_FUNDS, "insufficient balance"))?;
        BALANCES.set(&from.to_le_bytes(), left)?;
        let to_balance = BALANCES.get(&to.to_le_bytes())?;
        let credited = to_balance
            .checked_add(amount)
            .ok_or_else(|| ActorError::new(USR_ILLEGAL_STATE, "overflow"))?;
        BALANCES.set(&to.to_le_bytes(), credited)?;
        emit_event(&[
            (FLAG_INDEXED_KEY, "type", IPLD_RAW, b"transfer"),
            (
                FLAG_INDEXED_KEY | FLAG_INDEXED_VALUE,
                "from",
                DAG_CBOR,
                &cbor::to_vec(&from),
            ),
            (
                FLAG_INDEXED_KEY | FLAG_INDEXED_VALUE,
                "to",
                DAG_CBOR,
                &cbor::to_vec(&to),
            ),
            (FLAG_INDEXED_KEY, "amount", DAG_CBOR, &cbor::to_vec(&amount)),
        ])?;
        Ok(left)
    }

    fn transfer(p: (Bytes, u128)) -> Result<u128, ActorError> {
        let to = id_of(&p.0)?;
        move_tokens(message().caller, to, p.1)
    }

    fn increase_allowance(p: (Bytes, u128)) -> Result<u128, ActorError> {
        let key = pair(message().caller, id_of(&p.0)?);
        let new = ALLOWANCES
            .get(&key)?
            .checked_add(p.1)
            .ok_or_else(|| ActorError::new(USR_ILLEGAL_STATE, "overflow"))?;
        ALLOWANCES.set(&key, new)?;
        Ok(new)
    }

    fn allowance(p: (Bytes, Bytes)) -> Result<u128, ActorError> {
        Ok(ALLOWANCES.get(&pair(id_of(&p.0)?, id_of(&p.1)?))?)
    }

    fn transfer_from(p: (Bytes, Bytes, u128)) -> Result<u128, ActorError> {
        let from = id_of(&p.0)?;
        let key = pair(from, message().caller);
        let left = ALLOWANCES
            .get(&key)?
            .checked_sub(p.2)
            .ok_or_else(|| ActorError::new(USR_FORBIDDEN, "allowance exceeded"))?;
        ALLOWANCES.set(&key, left)?;
        move_tokens(from, id_of(&p.1)?, p.2)?;
        Ok(left)
    }

    tandem_sdk::dispatch! {
        "Constructor" => constructor,
        "Name" => name,
        "Symbol" => symbol,
        "TotalSupply" => total_supply,
        "BalanceOf" => balance_of,
        "Transfer" => transfer,
        "IncreaseAllowance" => increase_allowance,
        "Allowance" => allowance,
        "TransferFrom" => transfer_from,
    }
}
