//! An actor that exercises asynchronous messages (docs/async.md) from both ends.
//!
//! - `SendAsync([to, method, codec, params, value, gas, reply_gas])` queues a message with a
//!   reply to `OnReply` when `reply_gas > 0`; returns its id.
//! - `OnReply(AsyncReply)` records the reply; only the queue actor (ID 11) may call it. If
//!   `SetFailReplies([true])` was called it records, then aborts (a failing reply).
//! - `Echo(bytes) -> bytes` records `(caller, value, bytes)`, logs `Echo(bytes)` (topic the
//!   signature's keccak, data the bytes) and returns the bytes;
//!   `Fail()` aborts with 42; `Burn()` never returns.
//! - `InvokeEVM(calldata)` (a Solidity call, e.g. an EVM contract's async send) records
//!   `(caller, value, calldata)` and returns the calldata's last word plus one, ABI-encoded.
//! - `Flood([to, n]) -> queued`: queues up to `n` zero-gas messages to `to`, stopping at the
//!   first refusal; `SendReadOnly(SendAsync params) -> exit`: sends `SendAsync` to itself
//!   read-only and returns the exit code.
//! - `Tick()` counts a tick (for cron); `Ticks()`, `Replies()`, `Received()` return what
//!   was recorded.
//!
//! State: `[replies, received, fail_replies, ticks]`.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
mod actor {
    extern crate alloc;
    use alloc::vec::Vec;
    use tandem_sdk::cbor::Bytes;
    use tandem_sdk::{
        ASYNC_QUEUE_ACTOR_ID, ActorError, AsyncReply, Cbor, ReplyTo, USR_FORBIDDEN, load_state,
        message, method_hash, save_state, send_async,
    };

    #[derive(Cbor, Default)]
    struct State {
        replies: Vec<AsyncReply>,
        received: Vec<(u64, u128, Bytes)>,
        fail_replies: bool,
        ticks: u64,
    }

    fn syscall(e: tandem_sdk::SyscallError) -> ActorError {
        ActorError::new(tandem_sdk::USR_ILLEGAL_ARGUMENT, &alloc::format!("{e:?}"))
    }

    fn constructor(_: ()) -> Result<(), ActorError> {
        save_state(&State::default())
    }

    type SendParams = (Bytes, u64, u64, Bytes, u128, u64, u64);

    fn send(p: SendParams) -> Result<u64, ActorError> {
        let (to, method, codec, params, value, gas, reply_gas) = p;
        let params = (codec != 0).then_some((codec, params.0.as_slice()));
        let reply = (reply_gas > 0).then_some(ReplyTo {
            method: method_hash!("OnReply"),
            gas_limit: reply_gas,
        });
        send_async(&to.0, method, params, value, gas, reply).map_err(syscall)
    }

    fn flood(p: (Bytes, u64)) -> Result<u64, ActorError> {
        let method = method_hash!("Echo");
        let to = tandem_sdk::Address::from_bytes(&p.0.0)
            .map_err(|_| ActorError::new(tandem_sdk::USR_ILLEGAL_ARGUMENT, "bad address"))?;
        for i in 0..p.1 {
            // Typed: `()` as DAG-CBOR params (the deliveries have no gas and never run).
            let sent = tandem_sdk::send_async_to(&to, method, &(), Default::default(), 0, None);
            if sent.is_err() {
                return Ok(i);
            }
        }
        Ok(p.1)
    }

    fn send_read_only(p: SendParams) -> Result<u32, ActorError> {
        let me = tandem_sdk::id_address(message().receiver);
        let mut params = Vec::new();
        p.encode(&mut params);
        let method = method_hash!("SendAsync");
        let out = tandem_sdk::send(
            &me,
            method,
            Some((tandem_sdk::DAG_CBOR, &params)),
            0,
            0,
            true,
        )
        .map_err(syscall)?;
        Ok(out.exit_code)
    }

    fn tick(_: ()) -> Result<(), ActorError> {
        let mut state: State = load_state()?;
        state.ticks += 1;
        save_state(&state)
    }

    fn ticks(_: ()) -> Result<u64, ActorError> {
        Ok(load_state::<State>()?.ticks)
    }

    fn on_reply(reply: AsyncReply) -> Result<(), ActorError> {
        if message().caller != ASYNC_QUEUE_ACTOR_ID {
            return Err(ActorError::new(
                USR_FORBIDDEN,
                "replies come from the queue",
            ));
        }
        let mut state: State = load_state()?;
        state.replies.push(reply);
        save_state(&state)?;
        if state.fail_replies {
            return Err(ActorError::new(43, "this reply fails on purpose"));
        }
        Ok(())
    }

    fn set_fail_replies(fail: (bool,)) -> Result<(), ActorError> {
        let mut state: State = load_state()?;
        state.fail_replies = fail.0;
        save_state(&state)
    }

    fn echo(data: Bytes) -> Result<Bytes, ActorError> {
        let ctx = message();
        let mut state: State = load_state()?;
        state.received.push((ctx.caller, ctx.value, data.clone()));
        save_state(&state)?;
        // An Ethereum-shaped event (t1 = the signature's hash, d = the bytes): a log.
        let topic = tandem_sdk::keccak256(b"Echo(bytes)");
        let raw = tandem_sdk::IPLD_RAW;
        tandem_sdk::emit_event(&[(3, "t1", raw, &topic), (3, "d", raw, &data.0)])
            .map_err(syscall)?;
        Ok(data)
    }

    fn invoke_evm(calldata: tandem_sdk::Raw) -> Result<tandem_sdk::Raw, ActorError> {
        let ctx = message();
        let mut state: State = load_state()?;
        let data = calldata.0;
        state
            .received
            .push((ctx.caller, ctx.value, Bytes(data.clone())));
        save_state(&state)?;
        let mut word = [0u8; 32];
        if data.len() >= 36 {
            word.copy_from_slice(&data[data.len() - 32..]);
        }
        // word + 1, big-endian (wrapping, as the test values are small).
        for b in word.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
        Ok(tandem_sdk::Raw(word.to_vec()))
    }

    fn fail(_: ()) -> Result<(), ActorError> {
        Err(ActorError::new(42, "failing on purpose"))
    }

    #[allow(clippy::empty_loop)]
    fn burn(_: ()) -> Result<(), ActorError> {
        loop {}
    }

    fn replies(_: ()) -> Result<Vec<AsyncReply>, ActorError> {
        Ok(load_state::<State>()?.replies)
    }

    fn received(_: ()) -> Result<Vec<(u64, u128, Bytes)>, ActorError> {
        Ok(load_state::<State>()?.received)
    }

    tandem_sdk::dispatch! {
        "Constructor" => constructor,
        "SendAsync" => send,
        "OnReply" => on_reply,
        "SetFailReplies" => set_fail_replies,
        "Echo" => echo,
        "InvokeEVM" => invoke_evm,
        "Fail" => fail,
        "Burn" => burn,
        "Flood" => flood,
        "SendReadOnly" => send_read_only,
        "Tick" => tick,
        "Ticks" => ticks,
        "Replies" => replies,
        "Received" => received,
    }
}
