//! Escrow: the buyer deposits; the arbiter releases the balance to the seller or refunds the
//! buyer; from the deadline on, no deposits and anyone may refund. Events carry the `amount`.
#![cfg_attr(target_arch = "wasm32", no_std)]

use tandem_sdk::{Address, Cbor};

/// Constructor params: the parties (any address form) and the deadline (a timestamp, seconds).
#[derive(Cbor, Debug, Clone, PartialEq)]
pub struct Deal {
    pub buyer: Address,
    pub seller: Address,
    pub arbiter: Address,
    pub deadline: u64,
}

#[derive(Cbor, Debug, Clone, Copy, PartialEq)]
pub enum Status {
    Open,
    Released,
    Refunded,
}

#[derive(Cbor, Debug, Clone, PartialEq)]
pub struct State {
    pub deal: Deal,
    pub status: Status,
}

#[cfg(target_arch = "wasm32")]
mod actor {
    use super::*;
    use tandem_sdk::*;

    fn only(who: &Address, why: &str) -> Result<(), ActorError> {
        let ok = resolve(who.as_bytes()) == Some(message().caller);
        ok.then_some(()).ok_or(ActorError::new(USR_FORBIDDEN, why))
    }

    fn open() -> Result<(State, bool), ActorError> {
        let s: State = load_state()?;
        let expired = network().timestamp >= s.deal.deadline;
        match s.status {
            Status::Open => Ok((s, expired)),
            _ => Err(ActorError::new(USR_ILLEGAL_STATE, "already settled")),
        }
    }

    fn constructor(deal: Deal) -> Result<(), ActorError> {
        let status = Status::Open;
        save_state(&State { deal, status })
    }

    fn deposit(_: ()) -> Result<TokenAmount, ActorError> {
        let (s, expired) = open()?;
        only(&s.deal.buyer, "only the buyer deposits")?;
        if expired {
            return Err(ActorError::new(USR_FORBIDDEN, "the deadline has passed"));
        }
        emit("deposited", TokenAmount(message().value))?;
        Ok(TokenAmount(balance()))
    }

    fn release(_: ()) -> Result<TokenAmount, ActorError> {
        let (s, _) = open()?;
        only(&s.deal.arbiter, "only the arbiter may release")?;
        settle(s, Status::Released)
    }

    fn refund(_: ()) -> Result<TokenAmount, ActorError> {
        let (s, expired) = open()?;
        if !expired {
            only(&s.deal.arbiter, "only the arbiter, before the deadline")?;
        }
        settle(s, Status::Refunded)
    }

    fn settle(mut s: State, end: Status) -> Result<TokenAmount, ActorError> {
        s.status = end;
        save_state(&s)?;
        let (to, event) = match end {
            Status::Released => (&s.deal.seller, "released"),
            _ => (&s.deal.buyer, "refunded"),
        };
        let amount = TokenAmount(balance());
        transfer(to, amount)?;
        emit(event, amount)?;
        Ok(amount)
    }

    fn emit(event: &str, amount: TokenAmount) -> Result<(), ActorError> {
        let bytes = cbor::to_vec(&amount);
        let kind = (FLAG_INDEXED_KEY, "type", IPLD_RAW, event.as_bytes());
        let amount = (FLAG_INDEXED_KEY, "amount", DAG_CBOR, &bytes[..]);
        Ok(emit_event(&[kind, amount])?)
    }

    dispatch! { "Constructor" => constructor, "Deposit" => deposit, "Release" => release,
    "Refund" => refund }
}
