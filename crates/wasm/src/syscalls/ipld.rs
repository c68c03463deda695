//! IPLD blocks, the state root, slot storage and transient storage.

use cid::Cid;
use fvm_shared::error::ErrorNumber;
use tandem_vm::gas::PRICE_LIST;
use wasmtime::Caller;

use super::{
    MAX_CID_BYTES, charge, read, read_short, syscall, token_to_bytes, write, write_buf,
    write_struct,
};
use crate::host::{Block, Host};

fn read_cid(caller: &Caller<'_, Host>, off: u32, len: u32) -> super::SysResult<Cid> {
    let bytes = read_short(caller, off, len, MAX_CID_BYTES)?;
    Cid::try_from(bytes.as_slice()).map_err(|_| ErrorNumber::IllegalCid.into())
}

fn read_word(caller: &Caller<'_, Host>, off: u32) -> super::SysResult<[u8; 32]> {
    super::read_array(caller, off)
}

pub fn link(l: &mut super::SyscallTable<'_>) -> wasmtime::Result<()> {
    l.def(
        "ipld_block_open",
        |mut c: Caller<'_, Host>, cid_off: u32, cid_len: u32, out: u32| {
            syscall(&mut c, |c| {
                let cid = read_cid(c, cid_off, cid_len)?;
                charge(c, "block_open", PRICE_LIST.block_open_base)?;
                let data = c.data_mut().kernel().block_get(&cid)?;
                charge(
                    c,
                    "block_open",
                    PRICE_LIST.block_open_byte.saturating_mul(data.len() as u64),
                )?;
                let size = data.len() as u32;
                let id = c.data_mut().add_block(Block {
                    codec: cid.codec(),
                    data,
                })?;
                let stat = tandem_abi::BlockStat {
                    id,
                    size,
                    codec: cid.codec(),
                };
                write_struct(c, out, |b| stat.encode_into(b))
            })
        },
    )?;
    l.def(
        "ipld_block_create",
        |mut c: Caller<'_, Host>, codec: u64, off: u32, len: u32, out: u32| {
            syscall(&mut c, |c| {
                charge(c, "block_create", PRICE_LIST.block_create(len as usize))?;
                let data = read(c, off, len)?;
                // Links are checked when the block is made, as ref-fvm does: a block can only
                // name blocks its creator can reach, wherever it goes next.
                c.data_mut().kernel().check_block(codec, &data)?;
                let id = c.data_mut().add_block(Block { codec, data })?;
                write(c, out, &id.to_le_bytes())
            })
        },
    )?;
    l.def(
        "ipld_block_read",
        |mut c: Caller<'_, Host>, id: u32, offset: u32, buf: u32, cap: u32, out: u32| {
            syscall(&mut c, |c| {
                let size = c.data().block(id)?.data.len();
                let start = (offset as usize).min(size);
                let end = start.saturating_add(cap as usize).min(size);
                charge(c, "block_read", PRICE_LIST.block_read(end - start))?;
                // The block (host data) straight into the instance's memory, no copy between.
                let mem = super::memory(c)?;
                let (data, host) = mem.data_and_store_mut(&mut *c);
                let chunk = &host.block(id)?.data[start..end];
                data.get_mut(buf as usize..buf as usize + chunk.len())
                    .ok_or(ErrorNumber::IllegalArgument)?
                    .copy_from_slice(chunk);
                write(c, out, &((end - start) as u32).to_le_bytes())
            })
        },
    )?;
    l.def(
        "ipld_block_stat",
        |mut c: Caller<'_, Host>, id: u32, out: u32| {
            syscall(&mut c, |c| {
                let block = c.data().block(id)?;
                let stat = tandem_abi::BlockStat {
                    id: 0,
                    size: block.data.len() as u32,
                    codec: block.codec,
                };
                write_struct(c, out, |b| stat.encode_into(b))
            })
        },
    )?;
    l.def(
        "ipld_block_link",
        |mut c: Caller<'_, Host>, id: u32, buf: u32, cap: u32, out: u32| {
            syscall(&mut c, |c| {
                let size = c.data().block(id)?.data.len();
                charge(c, "block_link", PRICE_LIST.block_link(size))?;
                charge(
                    c,
                    "block_link",
                    PRICE_LIST.hash(PRICE_LIST.blake2b_byte, size),
                )?;
                let block = c.data().block(id)?.clone();
                let cid = c.data_mut().kernel().block_put(block.codec, &block.data)?;
                write_buf(c, buf, cap, out, &cid.to_bytes())
            })
        },
    )?;
    l.def(
        "self_root",
        |mut c: Caller<'_, Host>, buf: u32, cap: u32, out: u32| {
            syscall(&mut c, |c| {
                charge(c, "root_get", PRICE_LIST.root_get)?;
                let root = c.data_mut().kernel().root()?;
                write_buf(c, buf, cap, out, &root.to_bytes())
            })
        },
    )?;
    l.def(
        "self_set_root",
        |mut c: Caller<'_, Host>, off: u32, len: u32| {
            syscall(&mut c, |c| {
                let cid = read_cid(c, off, len)?;
                charge(c, "root_set", PRICE_LIST.root_set + PRICE_LIST.actor_update)?;
                Ok(c.data_mut().kernel().set_root(cid)?)
            })
        },
    )?;
    l.def("self_balance", |mut c: Caller<'_, Host>, out: u32| {
        syscall(&mut c, |c| {
            let balance = c.data_mut().kernel().current_balance()?;
            write(c, out, &token_to_bytes(&balance)?)
        })
    })?;
    l.def("slot_get", |mut c: Caller<'_, Host>, key: u32, out: u32| {
        syscall(&mut c, |c| {
            let key = read_word(c, key)?;
            let (value, cold) = c.data_mut().kernel().slot_get(&key)?;
            let price = if cold {
                PRICE_LIST.slot_read_cold
            } else {
                PRICE_LIST.slot_read_warm
            };
            charge(c, "slot_get", price)?;
            write(c, out, &value)
        })
    })?;
    l.def("slot_set", |mut c: Caller<'_, Host>, key: u32, val: u32| {
        syscall(&mut c, |c| {
            let key = read_word(c, key)?;
            let val = read_word(c, val)?;
            // Charge the dearest case first so a write never runs on credit.
            let avail = c.data_mut().kernel().gas_available();
            if avail < PRICE_LIST.slot_write_new {
                charge(c, "slot_set", PRICE_LIST.slot_write_new)?;
            }
            let w = c.data_mut().kernel().slot_set(&key, &val)?;
            let mut price =
                if w.original == w.present && w.present != val && w.original == [0u8; 32] {
                    PRICE_LIST.slot_write_new
                } else {
                    PRICE_LIST.slot_write_update
                };
            if w.was_cold {
                price += PRICE_LIST.slot_read_cold;
            }
            charge(c, "slot_set", price)
        })
    })?;
    // Transient storage (EIP-1153's TLOAD/TSTORE): the kernel's per-message words of the
    // running actor, journaled with its frame and gone when the message ends. Flat-priced
    // like Ethereum's: nothing reaches the state store.
    l.def(
        "transient_get",
        |mut c: Caller<'_, Host>, key: u32, out: u32| {
            syscall(&mut c, |c| {
                let key = read_word(c, key)?;
                charge(c, "transient_get", PRICE_LIST.transient_access)?;
                let value = c.data_mut().kernel().transient_get(&key)?;
                write(c, out, &value)
            })
        },
    )?;
    l.def(
        "transient_set",
        |mut c: Caller<'_, Host>, key: u32, val: u32| {
            syscall(&mut c, |c| {
                let key = read_word(c, key)?;
                let val = read_word(c, val)?;
                charge(c, "transient_set", PRICE_LIST.transient_access)?;
                Ok(c.data_mut().kernel().transient_set(&key, &val)?)
            })
        },
    )?;
    Ok(())
}
