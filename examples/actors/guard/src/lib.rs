//! A reentrancy guard on transient storage (`transient_get`/`transient_set`, EIP-1153's
//! TLOAD/TSTORE for native actors): words that every frame of this actor sees for the rest of
//! the message, undone with a failing frame, zero again in the next message. No state.
//!
//! Methods (`v`, `depth` are u64):
//! - `Mark([v]) -> u64`: sets the word to `v`, then calls `Peek` on itself and returns what
//!   that re-entrant frame read.
//! - `Peek() -> u64`: the word (0 unless set earlier in this message).
//! - `MarkThenFail([v])`: sets the word to `v`, then fails (`USR_ILLEGAL_STATE`).
//! - `Probe([v]) -> [u64, u32]`: sets the word to `v`, calls `MarkThenFail([v + 1])` on
//!   itself, and returns the word read afterwards (`v`: the failed frame's write is undone)
//!   with that call's exit code.
//! - `MarkReadOnly([v]) -> u32`: calls `Mark([v])` on itself read-only and returns its exit
//!   code (a read-only frame may not write transient storage).
//! - `Guarded([depth]) -> u32`: takes the lock (refusing with `USR_FORBIDDEN` while it is
//!   held), calls `Guarded([depth - 1])` on itself when `depth > 0`, releases the lock and
//!   returns that call's exit code (0 without a call).
//! - `Leak()`: takes the lock and never releases it; it is gone by the next message.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod actor {
    use tandem_sdk::{
        ActorError, CBOR, Cbor, USR_FORBIDDEN, USR_ILLEGAL_STATE, cbor, id_address, message,
        method_hash, send, transient_get, transient_set,
    };

    /// The word `Mark`, `Peek` and `Probe` use, and the lock's word.
    const WORD: [u8; 32] = key(1);
    const LOCK: [u8; 32] = key(2);

    const fn key(n: u8) -> [u8; 32] {
        let mut k = [0u8; 32];
        k[31] = n;
        k
    }

    fn u64_word(v: u64) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&v.to_be_bytes());
        w
    }

    fn word_u64(w: &[u8; 32]) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&w[24..]);
        u64::from_be_bytes(b)
    }

    /// Calls a method of this actor; its exit code and return value (when it succeeded).
    fn call_self<P: Cbor, R: Cbor>(
        method: u64,
        params: &P,
        read_only: bool,
    ) -> Result<(u32, Option<R>), ActorError> {
        let me = id_address(message().receiver);
        let params = cbor::to_vec(params);
        let r = send(&me, method, Some((CBOR, &params)), 0, 0, read_only)?;
        if r.exit_code != 0 {
            return Ok((r.exit_code, None));
        }
        let (_, data) = r
            .ret
            .ok_or_else(|| ActorError::new(USR_ILLEGAL_STATE, "no return value"))?;
        let v = cbor::from_slice(&data)
            .map_err(|_| ActorError::new(USR_ILLEGAL_STATE, "return does not decode"))?;
        Ok((0, Some(v)))
    }

    fn constructor(_: ()) -> Result<(), ActorError> {
        Ok(())
    }

    fn mark(p: (u64,)) -> Result<u64, ActorError> {
        transient_set(&WORD, &u64_word(p.0))?;
        match call_self::<(), u64>(method_hash!("Peek"), &(), false)? {
            (0, Some(seen)) => Ok(seen),
            (code, _) => Err(ActorError::new(code.max(16), "Peek failed")),
        }
    }

    fn peek(_: ()) -> Result<u64, ActorError> {
        Ok(word_u64(&transient_get(&WORD)?))
    }

    fn mark_then_fail(p: (u64,)) -> Result<(), ActorError> {
        transient_set(&WORD, &u64_word(p.0))?;
        Err(ActorError::new(
            USR_ILLEGAL_STATE,
            "failing after the write",
        ))
    }

    fn probe(p: (u64,)) -> Result<(u64, u32), ActorError> {
        transient_set(&WORD, &u64_word(p.0))?;
        let next = (p.0.wrapping_add(1),);
        let (code, _) = call_self::<_, ()>(method_hash!("MarkThenFail"), &next, false)?;
        Ok((word_u64(&transient_get(&WORD)?), code))
    }

    fn mark_read_only(p: (u64,)) -> Result<u32, ActorError> {
        let (code, _) = call_self::<_, u64>(method_hash!("Mark"), &p, true)?;
        Ok(code)
    }

    fn enter() -> Result<(), ActorError> {
        if transient_get(&LOCK)? != [0u8; 32] {
            return Err(ActorError::new(USR_FORBIDDEN, "reentrant call"));
        }
        Ok(transient_set(&LOCK, &key(1))?)
    }

    fn guarded(p: (u64,)) -> Result<u32, ActorError> {
        enter()?;
        let code = match p.0 {
            0 => 0,
            d => call_self::<_, u32>(method_hash!("Guarded"), &(d - 1,), false)?.0,
        };
        transient_set(&LOCK, &[0u8; 32])?;
        Ok(code)
    }

    fn leak(_: ()) -> Result<(), ActorError> {
        enter()
    }

    tandem_sdk::dispatch! {
        "Constructor" => constructor,
        "Mark" => mark,
        "Peek" => peek,
        "MarkThenFail" => mark_then_fail,
        "Probe" => probe,
        "MarkReadOnly" => mark_read_only,
        "Guarded" => guarded,
        "Leak" => leak,
    }
}
