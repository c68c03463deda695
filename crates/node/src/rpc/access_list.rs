//! `eth_createAccessList`, as geth answers it: run the call recording every address and
//! storage slot it touches (reverted frames too), rerun with that list until it stops
//! changing, and answer the list with the gas the last run used.
//!
//! The recording is the state tree's access log (`StateTree::record_accesses`): every
//! address the EVM warms (EIP-2929) and every slot read or written, keyed by actor and
//! mapped back to the actor's Ethereum address. As in geth, the sender, the recipient (or
//! the created contract), the precompiles and the block's coinbase are not listed for being
//! touched; a slot read or written is always listed with its contract.

use std::collections::{BTreeMap, BTreeSet};

use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::TransactionRequest;
use fvm_shared::econ::TokenAmount;
use serde_json::{Value, json};
use tandem_evm::tx::{EthReceipt, TxError};
use tandem_vm::eth::EthAddress;

use super::{Handler, Params, quantity};
use crate::error::{RpcError, RpcResult};
use crate::node::{BLOCK_GAS_LIMIT, Node};
use crate::overrides::{BlockOverrides, StateOverrides};
use crate::state::{self, CallSite, f4};

pub const METHODS: &[(&str, Handler)] = &[("eth_createAccessList", create_access_list)];

/// geth stops when the list is stable; a call whose accesses keep moving stops here.
const MAX_ROUNDS: usize = 16;

/// `eth_createAccessList(request, block = pending, stateOverrides?, blockOverrides?)`.
fn create_access_list(node: &Node, p: &Params) -> RpcResult<Value> {
    let mut req: TransactionRequest = p.get(0)?;
    let site = CallSite::resolve(node, p.opt(1)?, true)?;
    let state_o: Option<StateOverrides> = p.opt(2)?;
    let block_o: Option<BlockOverrides> = p.opt(3)?;
    let site = site.with_overrides(node, state_o.as_ref(), block_o.as_ref())?;
    let from = req.from.unwrap_or_default();
    let mut list = req.access_list.clone().unwrap_or_default();
    for _ in 0..MAX_ROUNDS {
        req.access_list = Some(list.clone());
        let (receipt, found) =
            recorded_call(node, &req, &site).map_err(|e| RpcError::from_tx(&e, &from))?;
        if found == list {
            let mut out = json!({"accessList": found, "gasUsed": quantity(receipt.gas_used)});
            if !receipt.success {
                out["error"] = Value::String(failure_text(&receipt));
            }
            return Ok(out);
        }
        list = found;
    }
    Err(RpcError::server(format!(
        "the access list did not settle within {MAX_ROUNDS} runs"
    )))
}

fn failure_text(receipt: &EthReceipt) -> String {
    let e = state::call_failure(receipt);
    e.message
}

/// Runs the request at `site` with the access log on; returns the receipt and the list.
fn recorded_call(
    node: &Node,
    req: &TransactionRequest,
    site: &CallSite,
) -> Result<(EthReceipt, AccessList), TxError> {
    let from = req.from.unwrap_or_default();
    let mut exec = site.executor(node)?;
    if req.gas_price.is_none() && req.max_fee_per_gas.is_none() {
        exec.machine.network.base_fee = TokenAmount::default();
    }
    let nonce = {
        let st = &mut exec.machine.state;
        match st.lookup_id(&f4(&from))? {
            Some(id) => st.get_actor(id)?.map(|r| r.sequence).unwrap_or(0),
            None => 0,
        }
    };
    let cap = tandem_evm::spec::max_tx_gas(site.network.hardfork, BLOCK_GAS_LIMIT);
    let gas = req.gas.unwrap_or(cap).min(cap);
    let tx = state::tx_from_request(req, from, nonce, gas);
    exec.machine.state.record_accesses();
    let applied = tandem_evm::tx::apply_tx_any_sender(&mut exec, &tx);
    let log = exec.machine.state.take_accesses().unwrap_or_default();
    let receipt = applied?;
    let to = req
        .to
        .and_then(|k| k.to().copied())
        .or(receipt.contract_address.map(Address::from));
    let coinbase = EthAddress::from_id(tandem_vm::builtin::REWARD_ACTOR_ID).0;
    let excluded = |a: &[u8; 20]| {
        *a == from.0.0 || Some(Address::from(*a)) == to || *a == coinbase || is_precompile(a)
    };
    let mut entries: BTreeMap<[u8; 20], BTreeSet<B256>> = BTreeMap::new();
    for a in &log.addresses {
        if !excluded(a) {
            entries.entry(*a).or_default();
        }
    }
    let st = &mut exec.machine.state;
    for (id, key) in &log.slots {
        let addr = match st.get_actor(*id)? {
            Some(r) => r
                .delegated_address
                .as_ref()
                .and_then(EthAddress::from_delegated)
                .unwrap_or_else(|| EthAddress::from_id(*id)),
            None => EthAddress::from_id(*id),
        };
        // As in geth, a slot is listed with its address even when the address itself is
        // left out as a bare entry (the recipient's storage is in the list).
        entries.entry(addr.0).or_default().insert(B256::from(*key));
    }
    let list = AccessList(
        entries
            .into_iter()
            .map(|(a, keys)| AccessListItem {
                address: Address::from(a),
                storage_keys: keys.into_iter().collect(),
            })
            .collect(),
    );
    Ok((receipt, list))
}

/// The Ethereum precompiles of every fork the node runs (0x01–0x11, 0x100) and Tandem's
/// own (the actor-call and async-send precompiles).
fn is_precompile(a: &[u8; 20]) -> bool {
    if *a == tandem_evm::actor_precompile::CALL_ACTOR
        || *a == tandem_evm::async_precompile::ASYNC_SEND
    {
        return true;
    }
    let n = a[18..].iter().fold(0u16, |acc, b| (acc << 8) | *b as u16);
    a[..18].iter().all(|b| *b == 0) && ((1..=0x11).contains(&n) || n == 0x100)
}
