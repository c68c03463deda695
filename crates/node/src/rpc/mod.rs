//! The JSON-RPC surface: positional parameters, block selectors, and the method tables.
//!
//! Each table is a list of `(name, handler)`; the server registers every name, so unknown
//! methods get jsonrpsee's -32601.

pub mod access_list;
pub mod anvil_state;
pub mod batch_sync;
pub mod debug;
pub mod dev;
pub mod eth;
pub mod filters;
pub mod lane;
pub mod listener;
pub mod native;
pub mod ots;
pub mod pool;
pub mod presend;
pub mod proof;
pub mod raw_tx;
pub mod server;
pub mod sign;
pub mod simulate;
pub mod trace;
pub mod trace_budget;
pub mod waiters;

use std::sync::Arc;

use alloy_eips::{BlockId, BlockNumberOrTag};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::blocks::BlockRecord;
use crate::error::{RpcError, RpcResult};
use crate::node::Node;

/// A method handler: positional parameters in, a JSON result out.
pub type Handler = fn(&Node, &Params) -> RpcResult<Value>;

/// Positional parameters.
pub struct Params(pub Vec<Value>);

impl Params {
    /// Parses the raw parameters: absent, `null` or an array of at most
    /// [`MAX_PARAM_VALUES`] JSON values in all (counted before parsing: a request's values
    /// cost far more memory parsed than as text).
    pub fn parse(raw: Option<&str>) -> RpcResult<Self> {
        if let Some(text) = raw {
            let values = count_values(text);
            if values > MAX_PARAM_VALUES {
                return Err(RpcError::invalid_params(format!(
                    "too many values in the parameters: {values} (at most {MAX_PARAM_VALUES}, \
                     the node's limit MAX_PARAM_VALUES)"
                )));
            }
        }
        match raw {
            None => Ok(Self(Vec::new())),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(items)) => Ok(Self(items)),
                Ok(Value::Null) => Ok(Self(Vec::new())),
                Ok(_) => Err(RpcError::invalid_params("expected an array of parameters")),
                Err(e) => Err(RpcError::invalid_params(e)),
            },
        }
    }

    /// The `i`-th parameter, required.
    pub fn get<T: DeserializeOwned>(&self, i: usize) -> RpcResult<T> {
        match self.0.get(i) {
            None => Err(RpcError::invalid_params(format!("missing parameter {i}"))),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| RpcError::invalid_params(format!("parameter {i}: {e}"))),
        }
    }

    /// The `i`-th parameter; absent or `null` is `None`.
    pub fn opt<T: DeserializeOwned>(&self, i: usize) -> RpcResult<Option<T>> {
        match self.0.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.get(i).map(Some),
        }
    }
}

/// At most this many JSON values (arrays, objects, and the items in them) in one call's
/// parameters.
pub const MAX_PARAM_VALUES: usize = 1_000_000;

/// An upper bound on the JSON values in `text`: separators and openings outside strings,
/// plus one.
fn count_values(text: &str) -> usize {
    let mut n = 1;
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' | b'[' | b'{' => n += 1,
            _ => {}
        }
    }
    n
}

pub fn to_value<T: serde::Serialize>(v: T) -> RpcResult<Value> {
    serde_json::to_value(v).map_err(RpcError::internal)
}

/// A quantity as `0x…` hex.
pub fn quantity(n: impl Into<u128>) -> Value {
    Value::String(format!("0x{:x}", n.into()))
}

/// The block number a tag or number names, if the chain has it.
pub fn block_number(node: &Node, tag: BlockNumberOrTag) -> RpcResult<Option<u64>> {
    let latest = node.latest_number();
    let first = node.first_number();
    let n = match tag {
        BlockNumberOrTag::Earliest => first,
        BlockNumberOrTag::Number(n) => n,
        // Every block is final on a dev chain; pending reads as latest.
        _ => latest,
    };
    // A fork has no blocks before the one it started from.
    Ok((first..=latest).contains(&n).then_some(n))
}

/// The block a selector names, or `None` when the chain has no such block.
pub fn find_block(node: &Node, id: BlockId) -> RpcResult<Option<Arc<BlockRecord>>> {
    let latest = node.latest_number();
    match id {
        BlockId::Hash(h) => Ok(node
            .blocks
            .block_by_hash(&h.block_hash, latest)?
            .map(Arc::new)),
        BlockId::Number(tag) => {
            let Some(n) = block_number(node, tag)? else {
                return Ok(None);
            };
            let cached = node.latest();
            if cached.number() == n {
                return Ok(Some(cached));
            }
            Ok(node.blocks.block(n, latest)?.map(Arc::new))
        }
    }
}

/// The block a state query names (default: latest); an unknown block is an error.
pub fn state_block(node: &Node, id: Option<BlockId>) -> RpcResult<Arc<BlockRecord>> {
    // The pending block's state is the latest's (its transactions are not readable yet).
    let id = match id {
        None | Some(BlockId::Number(BlockNumberOrTag::Pending)) => {
            BlockId::Number(BlockNumberOrTag::Latest)
        }
        Some(id) => id,
    };
    find_block(node, id)?.ok_or_else(|| RpcError::server("header not found"))
}
