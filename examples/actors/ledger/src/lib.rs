//! A ledger: a map of many entries in a HAMT and a log of the batches that wrote them in an
//! AMT, with tandem-sdk's `ipld` helpers (`StateMap`, `StateArray`).
//!
//! State, one DAG-CBOR block `[entries, log, count]`: `entries` is the root of a HAMT from
//! u64 keys (varint bytes) to u128 amounts (big-integer bytes, like a `TokenAmount`), `log`
//! the root of an AMT of `[start, count]` (one per `PutMany`), `count` the number of keys.
//!
//! Methods (params and returns DAG-CBOR):
//! - `Constructor()`: an empty map and log.
//! - `PutMany([start, count]) -> keys`: sets every key `k` in `start..start + count` to
//!   `amount(k) = (k + 1) * 10^18`, logs the batch; returns the number of keys.
//! - `Put([key, amount]) -> keys`: sets one key.
//! - `Get([key]) -> amount`: `USR_NOT_FOUND` (17) for a key that was never set.
//! - `Count() -> keys` (from the state object; nothing walks the map).
//! - `Sum() -> [entries, total]`: walks the whole map.
//! - `LogLength() -> batches`, `LogEntry([i]) -> [start, count]` (`USR_NOT_FOUND` past the end).
//!
//! A root that does not lead to a HAMT (or AMT) exits with `USR_ILLEGAL_STATE` (20) and a
//! message naming the structure, never a trap.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod actor {
    extern crate alloc;

    use alloc::format;
    use tandem_sdk::ipld::{Cid, StateArray, StateMap};
    use tandem_sdk::*;

    type State = (Cid, Cid, u64);
    type Entries = StateMap<u64, u128>;
    type Log = StateArray<(u64, u64)>;

    fn amount(k: u64) -> u128 {
        (u128::from(k) + 1) * 1_000_000_000_000_000_000
    }

    /// `USR_NOT_FOUND` with "`what` `n`".
    #[inline(never)]
    fn not_found(what: &str, n: u64) -> ActorError {
        ActorError::new(USR_NOT_FOUND, &format!("{what} {n}"))
    }

    // The state and its structures, each loaded by one function (install gas is per byte).
    #[inline(never)]
    fn state() -> Result<State, ActorError> {
        load_state()
    }

    #[inline(never)]
    fn entries() -> Result<Entries, ActorError> {
        Entries::load(&state()?.0)
    }

    #[inline(never)]
    fn log() -> Result<Log, ActorError> {
        Log::load(&state()?.1)
    }

    fn constructor(_: ()) -> Result<(), ActorError> {
        let entries = Entries::new().flush()?;
        let log = Log::new().flush()?;
        save_state(&(entries, log, 0u64))
    }

    /// Sets keys `start..start + n` (to `value`, else to `amount(k)`), logs `[start, n]` and
    /// saves the new roots; the number of keys. (One function for both methods: one copy of
    /// the map code in the module.)
    fn write(start: u64, n: u64, value: Option<u128>) -> Result<u64, ActorError> {
        let end = start
            .checked_add(n)
            .ok_or_else(|| ActorError::new(USR_ILLEGAL_ARGUMENT, "start + count overflows"))?;
        let (entries, log, mut count): State = load_state()?;
        let mut map = Entries::load(&entries)?;
        for k in start..end {
            if map.set(&k, value.unwrap_or_else(|| amount(k)))?.is_none() {
                count += 1;
            }
        }
        let mut log = Log::load(&log)?;
        // Nothing is ever deleted from the log, so its count is the next index.
        log.set(log.count(), (start, n))?;
        save_state(&(map.flush()?, log.flush()?, count))?;
        Ok(count)
    }

    fn put_many(p: (u64, u64)) -> Result<u64, ActorError> {
        write(p.0, p.1, None)
    }

    fn put(p: (u64, u128)) -> Result<u64, ActorError> {
        write(p.0, 1, Some(p.1))
    }

    fn get(p: (u64,)) -> Result<u128, ActorError> {
        let map = entries()?;
        map.get(&p.0)?
            .copied()
            .ok_or_else(|| not_found("no entry for key", p.0))
    }

    fn count(_: ()) -> Result<u64, ActorError> {
        Ok(state()?.2)
    }

    fn sum(_: ()) -> Result<(u64, u128), ActorError> {
        let (mut n, mut total) = (0u64, 0u128);
        entries()?.for_each(|_, v| {
            n += 1;
            total = total.saturating_add(*v);
            Ok(())
        })?;
        Ok((n, total))
    }

    fn log_length(_: ()) -> Result<u64, ActorError> {
        Ok(log()?.count())
    }

    fn log_entry(p: (u64,)) -> Result<(u64, u64), ActorError> {
        log()?
            .get(p.0)?
            .copied()
            .ok_or_else(|| not_found("no log entry", p.0))
    }

    tandem_sdk::dispatch! {
        "Constructor" => constructor,
        "PutMany" => put_many,
        "Put" => put,
        "Get" => get,
        "Count" => count,
        "Sum" => sum,
        "LogLength" => log_length,
        "LogEntry" => log_entry,
    }
}
