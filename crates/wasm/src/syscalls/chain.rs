//! Context, actors, crypto, events, randomness, debug and abort.

use fvm_ipld_encoding::from_slice;
use fvm_shared::address::Address;
use fvm_shared::error::{ErrorNumber, ExitCode};
use tandem_vm::gas::PRICE_LIST;
use wasmtime::Caller;

use super::{
    MAX_ADDRESS_BYTES, SysErr, charge, read, read_short, syscall, token_to_bytes, write, write_buf,
    write_struct,
};
use crate::host::{Host, Stop, charge_fuel};

/// The longest `debug_log` line kept; the rest is dropped.
const MAX_DEBUG_LOG_BYTES: u32 = 4096;

/// Hash kinds of `crypto_hash`.
pub use tandem_abi::{HASH_BLAKE2B_256, HASH_KECCAK_256, HASH_SHA2_256};

/// Charges an actor lookup: cold on the message's first access to the actor, warm after
/// (the message's sender and every frame's receiver are already accessed). A cold lookup
/// covers loading the record and resolving one of its addresses.
pub(crate) fn charge_lookup(c: &mut Caller<'_, Host>, id: u64) -> super::SysResult {
    let price = if c.data_mut().kernel().touch_actor(id) {
        PRICE_LIST.actor_lookup_cold
    } else {
        PRICE_LIST.actor_lookup_warm
    };
    charge(c, "actor_lookup", price)
}

fn actor_info(c: &mut Caller<'_, Host>, id: u64) -> super::SysResult<tandem_vm::kernel::ActorInfo> {
    charge_lookup(c, id)?;
    c.data_mut()
        .kernel()
        .actor_info(id)?
        .ok_or(SysErr::Number(ErrorNumber::NotFound))
}

/// The size of an actor's code in bytes: an EVM contract's deployed bytecode (0 while its
/// constructor runs), a native actor's WASM module (from Init's record of installed code),
/// 0 for every other actor (accounts, placeholders, built-ins). Pays a block open before each
/// read, and the bytecode's bytes after it (EVM code is at most 24 KiB).
fn code_size(
    c: &mut Caller<'_, Host>,
    info: &tandem_vm::kernel::ActorInfo,
) -> super::SysResult<u64> {
    use fvm_ipld_blockstore::Blockstore;
    use tandem_vm::builtin::{BuiltinCode, INIT_ACTOR_ID};
    let fatal = |e: anyhow::Error| SysErr::from(tandem_vm::kernel::ExecutionError::Fatal(e));
    match BuiltinCode::from_cid(&info.code) {
        Some(BuiltinCode::Evm) => {
            charge(c, "code_size", PRICE_LIST.block_open(0))?;
            let store = c.data_mut().kernel().store().clone();
            let raw = store
                .get(&info.state)
                .map_err(fatal)?
                .ok_or_else(|| fatal(anyhow::anyhow!("EVM state {} is missing", info.state)))?;
            if raw == [0x80] {
                return Ok(0); // the constructor is running: no code yet
            }
            let (bytecode, _hash): (cid::Cid, fvm_ipld_encoding::RawBytes) =
                from_slice(&raw).map_err(|e| fatal(e.into()))?;
            let code = store
                .get(&bytecode)
                .map_err(fatal)?
                .ok_or_else(|| fatal(anyhow::anyhow!("EVM bytecode {bytecode} is missing")))?;
            charge(
                c,
                "code_size",
                PRICE_LIST.block_open_byte.saturating_mul(code.len() as u64),
            )?;
            Ok(code.len() as u64)
        }
        Some(_) => Ok(0),
        None => {
            charge(c, "code_size", PRICE_LIST.block_open(0))?;
            let k = c.data_mut().kernel();
            let init = k
                .actor_info(INIT_ACTOR_ID)?
                .ok_or_else(|| fatal(anyhow::anyhow!("no Init actor")))?;
            let store = k.store().clone();
            let state: tandem_state::InitState =
                fvm_ipld_encoding::CborStore::get_cbor(&store, &init.state)
                    .map_err(fatal)?
                    .ok_or_else(|| fatal(anyhow::anyhow!("Init state is missing")))?;
            let installed: fvm_ipld_hamt::Hamt<_, (u64, cid::Cid), fvm_ipld_hamt::BytesKey> =
                fvm_ipld_hamt::Hamt::load_with_bit_width(
                    &state.installed_code,
                    store,
                    tandem_state::state_tree::HAMT_BIT_WIDTH,
                )
                .map_err(|e| fatal(e.into()))?;
            let entry = installed
                .get(&fvm_ipld_hamt::BytesKey(info.code.to_bytes()))
                .map_err(|e| fatal(e.into()))?;
            Ok(entry.map_or(0, |(size, _)| *size))
        }
    }
}

pub fn link(l: &mut super::SyscallTable<'_>) -> wasmtime::Result<()> {
    l.def("msg_context", |mut c: Caller<'_, Host>, out: u32| {
        syscall(&mut c, |c| {
            let k = c.data_mut().kernel();
            let gas_left = k.gas_available().round_down();
            let ctx = k.context();
            let o = tandem_abi::MessageContext {
                caller: ctx.caller,
                origin: ctx.origin,
                receiver: ctx.receiver,
                method: ctx.method,
                nonce: ctx.nonce,
                gas_left,
                value: u128::from_le_bytes(token_to_bytes(&ctx.value_received)?),
                read_only: ctx.read_only,
                depth: ctx.depth,
            };
            write_struct(c, out, |b| o.encode_into(b))
        })
    })?;
    l.def("gas_available", |mut c: Caller<'_, Host>, out: u32| {
        syscall(&mut c, |c| {
            let gas = c.data_mut().kernel().gas_available().round_down();
            write(c, out, &gas.to_le_bytes())
        })
    })?;
    // The actor creating this one, in a constructor Init runs (0 elsewhere): kept out of
    // `msg_context`, whose 72-byte layout deployed modules read into fixed buffers.
    l.def("msg_creator", |mut c: Caller<'_, Host>, out: u32| {
        syscall(&mut c, |c| {
            let creator = c.data_mut().kernel().context().creator.unwrap_or(0);
            write(c, out, &creator.to_le_bytes())
        })
    })?;
    l.def("network_context", |mut c: Caller<'_, Host>, out: u32| {
        syscall(&mut c, |c| {
            // Read in place: a clone of the context copies two big integers, the blob hashes
            // and the block-hash window's handle (the fuzzer's slowest module looped on this
            // syscall at 1.5 ns per gas when it did).
            let n = c.data_mut().kernel().network();
            let o = tandem_abi::NetworkContext {
                chain_id: n.chain_id,
                epoch: n.epoch,
                timestamp: n.timestamp,
                base_fee: u128::from_le_bytes(token_to_bytes(&n.base_fee)?),
            };
            write_struct(c, out, |b| o.encode_into(b))
        })
    })?;
    l.def(
        "actor_resolve",
        |mut c: Caller<'_, Host>, off: u32, len: u32, out: u32| {
            syscall(&mut c, |c| {
                let addr = Address::from_bytes(&read_short(c, off, len, MAX_ADDRESS_BYTES)?)
                    .map_err(|_| ErrorNumber::IllegalArgument)?;
                // Resolved before it is priced, so that an actor this message already
                // reached pays the warm price; one lookup is bounded work either way.
                let found = c.data_mut().kernel().resolve_address(&addr)?;
                let Some(id) = found else {
                    charge(c, "actor_lookup", PRICE_LIST.actor_lookup_cold)?;
                    return Err(ErrorNumber::NotFound.into());
                };
                charge_lookup(c, id)?;
                write(c, out, &id.to_le_bytes())
            })
        },
    )?;
    l.def(
        "actor_lookup_delegated",
        |mut c: Caller<'_, Host>, id: u64, buf: u32, cap: u32, out: u32| {
            syscall(&mut c, |c| {
                charge_lookup(c, id)?;
                // Only the address: a whole record's copy costs more than this syscall's work.
                let addr = c
                    .data_mut()
                    .kernel()
                    .delegated_address(id)?
                    .ok_or(ErrorNumber::NotFound)?;
                write_buf(c, buf, cap, out, &addr.to_bytes())
            })
        },
    )?;
    l.def(
        "actor_code",
        |mut c: Caller<'_, Host>, id: u64, buf: u32, cap: u32, out: u32| {
            syscall(&mut c, |c| {
                charge_lookup(c, id)?;
                let code = c
                    .data_mut()
                    .kernel()
                    .actor_code(id)?
                    .ok_or(ErrorNumber::NotFound)?;
                // Encoded on the stack: the longest CID of a 64-byte digest fits in 128 bytes.
                let mut bytes = [0u8; 128];
                let mut rest = &mut bytes[..];
                code.write_bytes(&mut rest)
                    .map_err(|_| ErrorNumber::IllegalArgument)?;
                let len = 128 - rest.len();
                write_buf(c, buf, cap, out, &bytes[..len])
            })
        },
    )?;
    l.def(
        "actor_code_size",
        |mut c: Caller<'_, Host>, id: u64, out: u32| {
            syscall(&mut c, |c| {
                let info = actor_info(c, id)?;
                let size = code_size(c, &info)?;
                write(c, out, &size.to_le_bytes())
            })
        },
    )?;
    l.def(
        "actor_balance",
        |mut c: Caller<'_, Host>, id: u64, out: u32| {
            syscall(&mut c, |c| {
                let info = actor_info(c, id)?;
                write(c, out, &token_to_bytes(&info.balance)?)
            })
        },
    )?;
    l.def(
        "crypto_hash",
        |mut c: Caller<'_, Host>, kind: u32, off: u32, len: u32, out: u32| {
            syscall(&mut c, |c| {
                let per_byte = match kind {
                    HASH_BLAKE2B_256 => PRICE_LIST.blake2b_byte,
                    HASH_SHA2_256 => PRICE_LIST.sha256_byte,
                    HASH_KECCAK_256 => PRICE_LIST.keccak256_byte,
                    _ => return Err(ErrorNumber::IllegalArgument.into()),
                };
                charge(c, "hash", PRICE_LIST.hash(per_byte, len as usize))?;
                let data = read(c, off, len)?;
                let k = c.data_mut().kernel();
                let digest = match kind {
                    HASH_BLAKE2B_256 => k.hash_blake2b256(&data),
                    HASH_SHA2_256 => k.hash_sha256(&data),
                    _ => k.hash_keccak256(&data),
                };
                write(c, out, &digest)
            })
        },
    )?;
    l.def(
        "crypto_recover_secp256k1",
        |mut c: Caller<'_, Host>, hash: u32, sig: u32, out: u32| {
            syscall(&mut c, |c| {
                charge(c, "secp256k1_recover", PRICE_LIST.secp256k1_recover)?;
                let h: [u8; 32] = super::read_array(c, hash)?;
                let s: [u8; 65] = super::read_array(c, sig)?;
                let key = c.data_mut().kernel().recover_secp256k1(&h, &s)?;
                write(c, out, &key)
            })
        },
    )?;
    l.def("event_emit", |mut c: Caller<'_, Host>, id: u32| {
        syscall(&mut c, |c| {
            // Paid for its whole size before it is parsed; the entries are paid after.
            let size = c.data().block(id)?.data.len();
            charge(c, "event", PRICE_LIST.event(0, size))?;
            let event = super::event_cbor::decode_event(&c.data().block(id)?.data)
                .map_err(|_| ErrorNumber::Serialization)?;
            emit_decoded(c, event)
        })
    })?;
    // The same event from the actor's memory: no block is made (no block id, no copy kept,
    // no link scan: the decoder accepts only the event's own shape, which has no links). The
    // bytes are paid as `ipld_block_create` would pay them, then as `event_emit`.
    l.def(
        "event_emit_data",
        |mut c: Caller<'_, Host>, off: u32, len: u32| {
            syscall(&mut c, |c| {
                if len as usize > tandem_vm::MAX_BLOCK_SIZE {
                    return Err(ErrorNumber::LimitExceeded.into());
                }
                charge(c, "block_create", PRICE_LIST.block_create(len as usize))?;
                charge(c, "event", PRICE_LIST.event(0, len as usize))?;
                let event = {
                    let mem = super::memory(c)?;
                    let bytes = mem
                        .data(&*c)
                        .get(off as usize..off as usize + len as usize)
                        .ok_or(ErrorNumber::IllegalArgument)?;
                    super::event_cbor::decode_event(bytes)
                        .map_err(|_| ErrorNumber::Serialization)?
                };
                emit_decoded(c, event)
            })
        },
    )?;
    l.def(
        "rand_get",
        |mut c: Caller<'_, Host>, tag: i64, epoch: i64, off: u32, len: u32, out: u32| {
            syscall(&mut c, |c| {
                charge(c, "randomness", PRICE_LIST.randomness)?;
                charge(
                    c,
                    "randomness",
                    PRICE_LIST.hash(PRICE_LIST.blake2b_byte, len as usize),
                )?;
                let entropy = read(c, off, len)?;
                let r = c.data_mut().kernel().randomness(tag, epoch, &entropy)?;
                write(c, out, &r)
            })
        },
    )?;
    l.def(
        "debug_enabled",
        |mut c: Caller<'_, Host>| -> wasmtime::Result<u32> {
            // Paid like any syscall: a free one is a host round trip (~40 ns) a loop can
            // make for a few instructions' gas (the wasm fuzzer found it at ~9× the rate).
            let mut enabled = false;
            syscall(&mut c, |c| {
                enabled = c.data_mut().kernel().debug_enabled();
                Ok(())
            })?;
            Ok(enabled as u32)
        },
    )?;
    l.def(
        "debug_log",
        |mut c: Caller<'_, Host>, off: u32, len: u32| {
            syscall(&mut c, |c| {
                if !c.data_mut().kernel().debug_enabled() {
                    return Ok(());
                }
                // Logs are for people: long ones are cut, not copied.
                let msg = read(c, off, len.min(MAX_DEBUG_LOG_BYTES))?;
                let msg = String::from_utf8_lossy(&msg).into_owned();
                c.data_mut().kernel().debug_log(&msg);
                Ok(())
            })
        },
    )?;
    l.def(
        "vm_abort",
        |mut c: Caller<'_, Host>,
         code: u32,
         data_id: u32,
         off: u32,
         len: u32|
         -> wasmtime::Result<u32> {
            charge_fuel(&mut c)?;
            let message = read(&c, off, len.min(4096))
                .map(|m| String::from_utf8_lossy(&m).into_owned())
                .unwrap_or_default();
            let data = if data_id == 0 {
                None
            } else {
                c.data_mut().take_block(data_id).ok()
            };
            // Codes below 16 belong to the system; an actor may not claim them.
            let code = if code >= ExitCode::FIRST_USER_EXIT_CODE {
                ExitCode::new(code)
            } else {
                ExitCode::SYS_ILLEGAL_EXIT_CODE
            };
            Err(wasmtime::Error::new(Stop::Abort {
                code,
                data,
                message,
            }))
        },
    )?;
    Ok(())
}

/// Charges a decoded event's entries (its bytes were paid before it was parsed) and emits it.
fn emit_decoded(
    c: &mut Caller<'_, Host>,
    event: fvm_shared::event::ActorEvent,
) -> super::SysResult {
    charge(
        c,
        "event_entries",
        PRICE_LIST.event(event.entries.len(), 0) - PRICE_LIST.event(0, 0),
    )?;
    Ok(c.data_mut().kernel().emit_event(event)?)
}
