//! Sends to other actors (any runtime) and actor creation through the Init actor.

use cid::Cid;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{CBOR, RawBytes};
use fvm_shared::address::Address;
use fvm_shared::error::ErrorNumber;
use tandem_vm::async_queue::{self, ReplyTo};
use tandem_vm::builtin::{INIT_ACTOR_ID, init_methods};
use tandem_vm::gas::{Gas, PRICE_LIST};
use tandem_vm::kernel::{AsyncRequest, CallOutcome, SendRequest};
use wasmtime::Caller;

use super::{
    MAX_ADDRESS_BYTES, MAX_CID_BYTES, SysResult, charge, read_short, syscall, token_from_parts,
    write, write_struct,
};
use crate::host::{Block, Host};

/// `send` flag: the callee may not change state.
pub use tandem_abi::SEND_READ_ONLY;

/// The params of a send: a copy of a registered block, charged per byte before it is made.
fn params_block(c: &mut Caller<'_, Host>, id: u32) -> SysResult<Option<IpldBlock>> {
    if id == 0 {
        return Ok(None);
    }
    let size = c.data().block(id)?.data.len();
    charge(c, "send_params", PRICE_LIST.block_create(size))?;
    let b = c.data().block(id)?;
    Ok(Some(IpldBlock {
        codec: b.codec,
        data: b.data.clone(),
    }))
}

fn do_send(c: &mut Caller<'_, Host>, req: SendRequest) -> SysResult<(CallOutcome, u32)> {
    if !req.value.is_zero() {
        charge(c, "value_transfer", PRICE_LIST.value_transfer)?;
    }
    let mut out = c.data_mut().kernel().send(req)?;
    let ret_id = match out.return_data.take() {
        Some(b) => {
            // The caller keeps the return block: paid per byte, like a block it created.
            charge(c, "send_return", PRICE_LIST.block_create(b.data.len()))?;
            c.data_mut().add_block(Block {
                codec: b.codec,
                data: b.data,
            })?
        }
        None => 0,
    };
    Ok((out, ret_id))
}

pub fn link(l: &mut super::SyscallTable<'_>) -> wasmtime::Result<()> {
    l.def(
        "send",
        |mut c: Caller<'_, Host>,
         to_off: u32,
         to_len: u32,
         method: u64,
         params_id: u32,
         value_lo: u64,
         value_hi: u64,
         gas_limit: u64,
         flags: u64,
         out: u32| {
            syscall(&mut c, |c| {
                let to = Address::from_bytes(&read_short(c, to_off, to_len, MAX_ADDRESS_BYTES)?)
                    .map_err(|_| ErrorNumber::IllegalArgument)?;
                let req = SendRequest {
                    to,
                    method,
                    params: params_block(c, params_id)?,
                    value: token_from_parts(value_lo, value_hi),
                    gas_limit: (gas_limit != 0).then(|| Gas::new(gas_limit)),
                    read_only: flags & SEND_READ_ONLY != 0,
                };
                let (outcome, ret_id) = do_send(c, req)?;
                let o = tandem_abi::SendOut {
                    exit_code: outcome.exit_code.value(),
                    ret_id,
                };
                write_struct(c, out, |b| o.encode_into(b))
            })
        },
    )?;
    l.def(
        "send_async",
        |mut c: Caller<'_, Host>,
         to_off: u32,
         to_len: u32,
         method: u64,
         params_id: u32,
         value_lo: u64,
         value_hi: u64,
         gas_limit: u64,
         reply_method: u64,
         reply_gas_limit: u64,
         out: u32| {
            syscall(&mut c, |c| {
                let to = Address::from_bytes(&read_short(c, to_off, to_len, MAX_ADDRESS_BYTES)?)
                    .map_err(|_| ErrorNumber::IllegalArgument)?;
                let reply = (reply_method != 0).then(|| ReplyTo {
                    method: reply_method,
                    evm_selector: RawBytes::default(),
                    gas_limit: reply_gas_limit,
                });
                let reply_gas = reply.as_ref().map_or(0, |r| r.gas_limit);
                let params = params_block(c, params_id)?;
                let params_len = params.as_ref().map_or(0, |p| p.data.len());
                // Everything the delivery and the reply may use is paid now (docs/async.md).
                charge(
                    c,
                    "send_async",
                    async_queue::reservation(params_len, gas_limit, reply_gas),
                )?;
                let value = token_from_parts(value_lo, value_hi);
                if !value.is_zero() {
                    charge(c, "value_transfer", PRICE_LIST.value_transfer)?;
                }
                let req = AsyncRequest {
                    to,
                    method,
                    params,
                    value,
                    gas_limit,
                    reply,
                };
                let id = c.data_mut().kernel().send_async(req)?;
                write(c, out, &id.to_le_bytes())
            })
        },
    )?;
    l.def(
        "actor_create",
        |mut c: Caller<'_, Host>,
         cid_off: u32,
         cid_len: u32,
         params_id: u32,
         value_lo: u64,
         value_hi: u64,
         out: u32| {
            syscall(&mut c, |c| {
                let code =
                    Cid::try_from(read_short(c, cid_off, cid_len, MAX_CID_BYTES)?.as_slice())
                        .map_err(|_| ErrorNumber::IllegalCid)?;
                let ctor = params_block(c, params_id)?
                    .map(|b| b.data)
                    .unwrap_or_default();
                let exec = fvm_ipld_encoding::to_vec(&(code, RawBytes::new(ctor)))
                    .map_err(|_| ErrorNumber::Serialization)?;
                let req = SendRequest {
                    to: Address::new_id(INIT_ACTOR_ID),
                    method: init_methods::EXEC,
                    params: Some(IpldBlock {
                        codec: CBOR,
                        data: exec,
                    }),
                    value: token_from_parts(value_lo, value_hi),
                    gas_limit: None,
                    read_only: false,
                };
                let (outcome, ret_id) = do_send(c, req)?;
                // Init's return (`[id address, robust address]`) is in the block `do_send`
                // registered for the caller; read it there.
                let id = if outcome.is_success() {
                    c.data()
                        .block(ret_id)
                        .ok()
                        .and_then(|b| {
                            fvm_ipld_encoding::from_slice::<(Address, Address)>(&b.data).ok()
                        })
                        .and_then(|(id_addr, _)| id_addr.id().ok())
                        .unwrap_or(0)
                } else {
                    0
                };
                let o = tandem_abi::CreateOut {
                    exit_code: outcome.exit_code.value(),
                    ret_id,
                    actor_id: id,
                };
                write_struct(c, out, |b| o.encode_into(b))
            })
        },
    )?;
    Ok(())
}
