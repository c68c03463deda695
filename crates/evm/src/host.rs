//! revm's `Host` over Tandem's kernel: what an EVM instruction asks of the world (accounts,
//! storage, logs, block values) answered from the actor state through kernel ops.
//!
//! Host methods cannot return kernel errors, so a failed kernel op is parked in `error` and
//! the instruction sees a database error, which halts the interpreter; the frame then returns
//! the parked error to the call manager.

use std::borrow::Cow;

use alloy_primitives::{Address, B256, Bytes, Log, U256, keccak256};
use fvm_ipld_encoding::IPLD_RAW;
use fvm_shared::event::{ActorEvent, Entry, Flags};
use revm::bytecode::Bytecode;
use revm::context_interface::cfg::GasParams;
use revm::context_interface::context::{SStoreResult, SelfDestructResult, StateLoad};
use revm::context_interface::host::{Host, LoadError};
use revm::context_interface::journaled_state::AccountInfoLoad;
use revm::primitives::{KECCAK_EMPTY, StorageKey, StorageValue};
use revm::state::AccountInfo;
use tandem_vm::ActorID;
use tandem_vm::builtin::BuiltinCode;
use tandem_vm::eth::EthAddress;
use tandem_vm::kernel::{ActorInfo, ExecutionError, Hardfork, KResult, Kernel};

use crate::address::{from_eth, to_eth, tokens_to_u256};
use crate::runtime::EvmRuntime;
use crate::state::LoadedCode;
use crate::tx::pre_warmed;

/// EIP-170.
pub const MAX_CODE_SIZE: usize = 0x6000;
/// EIP-3860.
pub const MAX_INITCODE_SIZE: usize = 2 * MAX_CODE_SIZE;

/// The deployed-code and init-code limits a block's context applies: EIP-170 and EIP-3860's,
/// or none when the context lifts them (`NetworkContext::unlimited_code_size`).
pub fn code_size_limits(network: &tandem_vm::kernel::NetworkContext) -> (usize, usize) {
    if network.unlimited_code_size {
        (usize::MAX, usize::MAX)
    } else {
        (MAX_CODE_SIZE, MAX_INITCODE_SIZE)
    }
}

/// What lives at an Ethereum address, as the EVM sees it.
#[derive(Debug, Clone)]
pub enum Target {
    /// No actor.
    Missing,
    /// An EVM contract.
    Contract(ActorInfo, LoadedCode),
    /// An actor without EVM code: an account, a placeholder, a built-in or a native actor.
    Actor(ActorInfo),
}

impl Target {
    pub fn id(&self) -> Option<ActorID> {
        match self {
            Target::Missing => None,
            Target::Contract(info, _) | Target::Actor(info) => Some(info.id),
        }
    }

    /// Accounts and placeholders take value with method 0; other actors get InvokeEVM.
    pub fn is_plain_account(&self) -> bool {
        match self {
            Target::Missing => true,
            Target::Contract(_, code) => code.code.is_empty(),
            Target::Actor(info) => matches!(
                BuiltinCode::from_cid(&info.code),
                Some(
                    BuiltinCode::Account
                        | BuiltinCode::EthAccount
                        | BuiltinCode::Placeholder
                        | BuiltinCode::System
                        | BuiltinCode::Reward
                        | BuiltinCode::BurntFunds
                )
            ),
        }
    }
}

pub struct TandemHost<'a> {
    pub kernel: &'a mut dyn Kernel,
    pub runtime: &'a EvmRuntime,
    /// A kernel error that stopped the interpreter.
    pub error: Option<ExecutionError>,
    /// The transaction's origin (ORIGIN).
    pub origin: Address,
    /// Accounts this frame looked up, kept until anything may change them ([`Self::forget`]):
    /// a CALL asks for the account's info and again for its code, and a loop reading a few
    /// balances would otherwise pay a lookup (~0.3 µs) per 100-gas read. Allocated on the
    /// first lookup, at most [`RECENT_TARGETS`] entries, then replaced round-robin.
    recent: Vec<(Address, Target)>,
    /// The entry of `recent` the next lookup replaces once it is full.
    next_slot: usize,
    /// The block's hardfork and its gas parameters.
    pub fork: Hardfork,
    gas: &'static GasParams,
}

impl<'a> TandemHost<'a> {
    /// A host for one frame; `origin` is the Ethereum address of the frame's origin (the
    /// frame has looked it up already).
    pub fn new(kernel: &'a mut dyn Kernel, runtime: &'a EvmRuntime, origin: Address) -> Self {
        let fork = kernel.network().hardfork;
        Self {
            kernel,
            runtime,
            error: None,
            origin,
            recent: Vec::new(),
            next_slot: 0,
            fork,
            gas: crate::spec::gas_params(fork),
        }
    }

    fn park(&mut self, e: ExecutionError) -> LoadError {
        self.error = Some(e);
        LoadError::DBError
    }

    /// What lives at `addr` (no warming, no gas), borrowed from the frame's recent lookups
    /// (a target is a few hundred bytes with a balance on the heap: lent, not cloned).
    pub fn target(&mut self, addr: Address) -> KResult<&Target> {
        let i = match self.recent.iter().position(|(a, _)| *a == addr) {
            Some(i) => i,
            None => {
                let target = lookup_target(self.kernel, self.runtime, addr)?;
                if self.recent.len() < RECENT_TARGETS {
                    self.recent.push((addr, target));
                    self.recent.len() - 1
                } else {
                    let i = self.next_slot;
                    self.next_slot = (i + 1) % RECENT_TARGETS;
                    self.recent[i] = (addr, target);
                    i
                }
            }
        };
        Ok(&self.recent[i].1)
    }

    /// Forgets the recent lookups (after anything that may have changed accounts).
    pub fn forget(&mut self) {
        self.recent.clear();
        self.next_slot = 0;
    }
}

/// How many accounts a frame keeps looked up (see `TandemHost::recent`).
const RECENT_TARGETS: usize = 16;

/// The Ethereum address of an actor: its f410 address, or its masked ID.
pub fn eth_address_of(kernel: &mut dyn Kernel, id: ActorID) -> KResult<EthAddress> {
    let delegated = kernel.delegated_address(id)?;
    Ok(delegated
        .as_ref()
        .and_then(EthAddress::from_delegated)
        .unwrap_or_else(|| EthAddress::from_id(id)))
}

pub fn lookup_target(
    kernel: &mut dyn Kernel,
    runtime: &EvmRuntime,
    addr: Address,
) -> KResult<Target> {
    let fil = to_eth(addr).to_filecoin();
    let Some(id) = kernel.resolve_address(&fil)? else {
        return Ok(Target::Missing);
    };
    let Some(info) = kernel.actor_info(id)? else {
        return Ok(Target::Missing);
    };
    if info.code == runtime.evm_code() {
        let code = runtime.code_cache().load(kernel.store(), &info.state)?;
        Ok(Target::Contract(info, code))
    } else {
        Ok(Target::Actor(info))
    }
}

fn word(v: &U256) -> [u8; 32] {
    v.to_be_bytes()
}

fn account_info(target: &Target) -> (AccountInfo, bool) {
    match target {
        Target::Missing => (AccountInfo::default(), true),
        Target::Actor(info) => {
            let balance = tokens_to_u256(&info.balance);
            let empty = balance.is_zero() && info.sequence == 0;
            (
                AccountInfo::new(balance, info.sequence, KECCAK_EMPTY, Bytecode::default()),
                empty,
            )
        }
        Target::Contract(info, code) => {
            let balance = tokens_to_u256(&info.balance);
            let empty = balance.is_zero() && info.sequence == 0 && code.code.is_empty();
            (
                AccountInfo::new(balance, info.sequence, code.hash, code.code.clone()),
                empty,
            )
        }
    }
}

impl Host for TandemHost<'_> {
    fn basefee(&self) -> U256 {
        tokens_to_u256(&self.kernel.network().base_fee)
    }

    fn blob_gasprice(&self) -> U256 {
        tokens_to_u256(&self.kernel.network().blob_base_fee)
    }

    fn gas_limit(&self) -> U256 {
        U256::from(self.kernel.network().block_gas_limit)
    }

    fn difficulty(&self) -> U256 {
        U256::ZERO
    }

    fn prevrandao(&self) -> Option<U256> {
        Some(U256::from_be_bytes(self.kernel.network().prev_randao))
    }

    fn block_number(&self) -> U256 {
        U256::from(self.kernel.network().epoch.max(0) as u64)
    }

    fn timestamp(&self) -> U256 {
        U256::from(self.kernel.network().timestamp)
    }

    fn beneficiary(&self) -> Address {
        let coinbase = self.kernel.network().coinbase;
        let eth = EthAddress::from_delegated(&coinbase).unwrap_or_else(|| match coinbase.id() {
            Ok(id) => EthAddress::from_id(id),
            Err(_) => EthAddress::ZERO,
        });
        from_eth(eth)
    }

    fn slot_num(&self) -> U256 {
        U256::ZERO
    }

    fn chain_id(&self) -> U256 {
        U256::from(self.kernel.network().chain_id)
    }

    fn effective_gas_price(&self) -> U256 {
        tokens_to_u256(self.kernel.gas_price())
    }

    fn caller(&self) -> Address {
        self.origin
    }

    fn blob_hash(&self, number: usize) -> Option<U256> {
        self.kernel
            .network()
            .blob_hashes
            .get(number)
            .map(|h| U256::from_be_bytes(*h))
    }

    fn max_initcode_size(&self) -> usize {
        code_size_limits(self.kernel.network()).1
    }

    fn gas_params(&self) -> &GasParams {
        self.gas
    }

    fn is_amsterdam_eip8037_enabled(&self) -> bool {
        false
    }

    /// revm asks only for the 256 blocks before the current one. With the chain's hashes in
    /// the network context (the node's), a block it does not hold answers zero; without them
    /// (state tests, benches) the hash of block `n` is `keccak256(decimal n)`, the
    /// convention Ethereum's state tests use.
    fn block_hash(&mut self, number: u64) -> Option<B256> {
        Some(match &self.kernel.network().block_hashes {
            Some(hashes) => hashes.get(number).map(B256::from).unwrap_or_default(),
            None => keccak256(number.to_string().as_bytes()),
        })
    }

    fn selfdestruct(
        &mut self,
        address: Address,
        target: Address,
        skip_cold_load: bool,
    ) -> Result<StateLoad<SelfDestructResult>, LoadError> {
        let is_cold = self.kernel.warm_address(target.into_array());
        if skip_cold_load && is_cold {
            return Err(LoadError::ColdLoadSkipped);
        }
        self.forget();
        let had_value = match self.target(address) {
            Ok(me) => !account_info(me).0.balance.is_zero(),
            Err(e) => return Err(self.park(e)),
        };
        let target_exists = match self.target(target) {
            Ok(beneficiary) => !account_info(beneficiary).1,
            Err(e) => return Err(self.park(e)),
        };
        let fil = to_eth(target).to_filecoin();
        let result = self.kernel.self_destruct(&fil);
        self.forget();
        match result {
            Ok(_) => Ok(StateLoad::new(
                SelfDestructResult {
                    had_value,
                    target_exists,
                    previously_destroyed: false,
                },
                is_cold,
            )),
            Err(e) => Err(self.park(e)),
        }
    }

    fn log(&mut self, log: Log) {
        let (topics, data) = log.data.split();
        let mut entries = Vec::with_capacity(topics.len() + 1);
        for (key, topic) in TOPIC_KEYS.iter().zip(&topics) {
            entries.push(Entry {
                flags: Flags::FLAG_INDEXED_ALL,
                key: (*key).to_string(),
                codec: IPLD_RAW,
                value: topic.to_vec(),
            });
        }
        if !data.is_empty() {
            entries.push(Entry {
                flags: Flags::FLAG_INDEXED_ALL,
                key: "d".to_string(),
                codec: IPLD_RAW,
                // The interpreter's copy of the memory, moved when it is the only handle.
                value: Vec::from(data.0),
            });
        }
        if let Err(e) = self.kernel.emit_event(ActorEvent { entries }) {
            self.error = Some(e);
        }
    }

    fn sstore_skip_cold_load(
        &mut self,
        address: Address,
        key: StorageKey,
        value: StorageValue,
        skip_cold_load: bool,
    ) -> Result<StateLoad<SStoreResult>, LoadError> {
        match self.kernel.slot_set(&word(&key), &word(&value)) {
            Ok(mut w) => {
                w.was_cold = w.was_cold && !pre_warmed(address.into_array(), &word(&key));
                if skip_cold_load && w.was_cold {
                    // The frame halts out of gas, which rolls the write back.
                    return Err(LoadError::ColdLoadSkipped);
                }
                Ok(StateLoad::new(
                    SStoreResult {
                        original_value: U256::from_be_bytes(w.original),
                        present_value: U256::from_be_bytes(w.present),
                        new_value: value,
                    },
                    w.was_cold,
                ))
            }
            Err(e) => Err(self.park(e)),
        }
    }

    fn sload_skip_cold_load(
        &mut self,
        address: Address,
        key: StorageKey,
        skip_cold_load: bool,
    ) -> Result<StateLoad<StorageValue>, LoadError> {
        match self.kernel.slot_get(&word(&key)) {
            Ok((v, was_cold)) => {
                let was_cold = was_cold && !pre_warmed(address.into_array(), &word(&key));
                if skip_cold_load && was_cold {
                    return Err(LoadError::ColdLoadSkipped);
                }
                Ok(StateLoad::new(U256::from_be_bytes(v), was_cold))
            }
            Err(e) => Err(self.park(e)),
        }
    }

    fn tstore(&mut self, _address: Address, key: StorageKey, value: StorageValue) {
        if let Err(e) = self.kernel.transient_set(&word(&key), &word(&value)) {
            self.error = Some(e);
        }
    }

    fn tload(&mut self, _address: Address, key: StorageKey) -> StorageValue {
        match self.kernel.transient_get(&word(&key)) {
            Ok(v) => U256::from_be_bytes(v),
            Err(e) => {
                self.error = Some(e);
                U256::ZERO
            }
        }
    }

    fn load_account_info_skip_cold_load(
        &mut self,
        address: Address,
        _load_code: bool,
        skip_cold_load: bool,
    ) -> Result<AccountInfoLoad<'_>, LoadError> {
        let is_cold = self.kernel.warm_address(address.into_array());
        if skip_cold_load && is_cold {
            return Err(LoadError::ColdLoadSkipped);
        }
        let (info, is_empty) = match self.target(address) {
            Ok(t) => account_info(t),
            Err(e) => return Err(self.park(e)),
        };
        Ok(AccountInfoLoad {
            account: Cow::Owned(info),
            is_cold,
            is_empty,
        })
    }
}

const TOPIC_KEYS: [&str; 4] = ["t1", "t2", "t3", "t4"];

/// The topics and data of an EVM event, if it is one: entries `t1`, `t2`, … (each a 32-byte
/// topic, each at most once, in that order, at most four: an Ethereum log's shape) and at
/// most one `d` (the data). Anything else is a native event that has no log form, so it is
/// kept as an event only; a native actor cannot make the node serve a log of five topics.
pub fn event_to_log(event: &ActorEvent) -> Option<(Vec<B256>, Bytes)> {
    let mut topics = Vec::new();
    let mut data = None;
    for entry in &event.entries {
        match entry.key.as_str() {
            "d" if data.is_none() => data = Some(Bytes::from(entry.value.clone())),
            key if TOPIC_KEYS.get(topics.len()) == Some(&key) => {
                topics.push(B256::try_from(entry.value.as_slice()).ok()?);
            }
            _ => return None,
        }
    }
    Some((topics, data.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fvm_shared::event::{Entry, Flags};

    fn event(entries: &[(&str, usize)]) -> ActorEvent {
        ActorEvent::from(
            entries
                .iter()
                .map(|(key, len)| Entry {
                    flags: Flags::FLAG_INDEXED_ALL,
                    key: key.to_string(),
                    codec: 0x55,
                    value: vec![7; *len],
                })
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn only_the_ethereum_log_shape_converts() {
        let (topics, data) = event_to_log(&event(&[("t1", 32), ("t2", 32), ("d", 5)])).unwrap();
        assert_eq!((topics.len(), data.len()), (2, 5));
        let four = [("t1", 32), ("t2", 32), ("t3", 32), ("t4", 32), ("d", 0)];
        assert_eq!(event_to_log(&event(&four)).unwrap().0.len(), 4);
        assert_eq!(event_to_log(&event(&[])), Some((vec![], Bytes::new())));
        for bad in [
            &[("t1", 32), ("t1", 32)][..], // a topic twice
            &[("t1", 32); 5][..],          // five topics
            &[("t2", 32)][..],             // t2 without t1
            &[("t1", 32), ("t3", 32)][..], // a gap
            &[("d", 1), ("d", 2)][..],     // two data entries
            &[("t1", 31)][..],             // a short topic
            &[("t1", 32), ("t2", 32), ("t3", 32), ("t4", 32), ("t5", 32)][..],
            &[("x", 1)][..],
        ] {
            assert_eq!(event_to_log(&event(bad)), None, "{bad:?}");
        }
    }
}
