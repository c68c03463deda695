//! The WASM target on Tandem's VM: a chain with every runtime (built-ins, native WASM actors,
//! the EVM) where a contract's WASM build is installed and created as a native actor through
//! Init, and called by FRC-0042 method number with DAG-CBOR params from the same Ethereum
//! accounts the EVM harnesses use. [`cbor`] holds the documented mapping
//! (docs/wasm-target.md) between Solidity-typed values and those params and replies.

pub mod cbor;

use std::collections::HashMap;
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use tandem_actors::BuiltinRuntime;
use tandem_actors::init::{ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn};
use tandem_evm::EvmRuntime;
use tandem_evm::address::{tokens_to_u256, u256_to_tokens};
use tandem_evm::world;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::message::Message;
use tandem_vm::store::VmStore;
use tandem_wasm::WasmRuntime;

use crate::tandem::{BLOCK_NUMBER, CHAIN_ID, TIMESTAMP, TX_GAS_LIMIT};

/// The exit code of a revert carrying Solidity revert data (the EVM runtime's REVERTED).
pub const EXIT_REVERTED: u32 = 33;

/// The EVM runtime's entry method: Solidity calldata in, ABI return data out. A Tandem
/// contract's WASM build answers it too (docs/wasm-target.md).
pub const INVOKE_EVM: u64 = 3_844_450_837;

/// What a native message did.
#[derive(Clone, Debug)]
pub struct NativeOut {
    /// Whether the message was applied (false: refused before execution).
    pub applied: bool,
    pub exit: u32,
    pub ret: Vec<u8>,
    /// (emitter actor ID, topics, data) of every event in the EVM log shape.
    pub events: Vec<(u64, Vec<B256>, Vec<u8>)>,
    pub gas: u64,
}

/// A Tandem VM for native builds, with words mapped between each contract's EVM address (in
/// the harness's terms) and its native actor's masked ID.
pub struct NativeChain {
    pub exec: Executor,
    nonces: HashMap<Address, u64>,
    /// The harness's address of a contract -> its native actor ID.
    pub twins: HashMap<Address, u64>,
    /// The word a native build sees for a twin with an f410 address (one its `create2`
    /// made); other twins are seen as their masked IDs.
    pub aliases: HashMap<u64, Address>,
    /// The gas limit of every message [`NativeChain::send`] sends (at most the block's).
    pub gas_limit: u64,
}

/// `0xff 00..00 <id>`: how a contract sees an actor without an Ethereum address.
pub fn masked(id: u64) -> Address {
    let mut b = [0u8; 20];
    b[0] = 0xff;
    b[12..].copy_from_slice(&id.to_be_bytes());
    Address::from(b)
}

/// The ID of a masked-ID address.
pub fn unmask(a: Address) -> Option<u64> {
    let b = a.into_array();
    if b[0] == 0xff && b[1..12].iter().all(|x| *x == 0) {
        let mut id = [0u8; 8];
        id.copy_from_slice(&b[12..]);
        return Some(u64::from_be_bytes(id));
    }
    None
}

impl NativeChain {
    pub fn new() -> Result<NativeChain, String> {
        NativeChain::with_runtimes(&[])
    }

    /// A chain whose VM also runs `extra` runtimes (the test runner's cheat actor).
    pub fn with_runtimes(
        extra: &[Arc<dyn tandem_vm::runtime::Runtime>],
    ) -> Result<NativeChain, String> {
        let state = world::singleton_state(VmStore::memory()).map_err(|e| format!("{e:#}"))?;
        let network = NetworkContext {
            chain_id: CHAIN_ID,
            epoch: BLOCK_NUMBER as i64,
            timestamp: TIMESTAMP,
            base_fee: TokenAmount::from_atto(0u64),
            ..NetworkContext::default()
        };
        let wasm = WasmRuntime::new(None).map_err(|e| format!("WASM runtime: {e:#}"))?;
        let mut all: Vec<Arc<dyn tandem_vm::runtime::Runtime>> =
            vec![Arc::new(BuiltinRuntime), Arc::new(wasm)];
        all.extend(extra.iter().cloned());
        let exec = world::executor(state, network, Arc::new(EvmRuntime::new()), &all)
            .map_err(|e| format!("{e:#}"))?;
        Ok(NativeChain {
            exec,
            nonces: HashMap::new(),
            twins: HashMap::new(),
            aliases: HashMap::new(),
            gas_limit: TX_GAS_LIMIT,
        })
    }

    /// The actor ID of an address: a masked ID, or an Ethereum address known to the VM.
    pub fn id_of(&mut self, a: Address) -> Option<u64> {
        if let Some(id) = self.twins.get(&a) {
            return Some(*id);
        }
        if let Some(id) = unmask(a) {
            return Some(id);
        }
        let f4 = EthAddress(a.into_array()).to_filecoin();
        self.exec.machine.state.lookup_id(&f4).ok().flatten()
    }

    /// Creates an Ethereum account with this balance, or sets the balance of an existing one.
    pub fn fund(&mut self, who: Address, amount: U256) -> Result<(), String> {
        match self.id_of(who) {
            Some(id) => self
                .exec
                .machine
                .state
                .mutate_actor(id, |a| {
                    a.balance = u256_to_tokens(amount);
                    Ok(())
                })
                .map_err(|e| format!("{e:#}")),
            None => {
                let state = &mut self.exec.machine.state;
                world::add_eth_account(state, who.into_array(), amount, 0)
                    .map_err(|e| format!("{e:#}"))?;
                state.end_message().map_err(|e| format!("{e:#}"))?;
                Ok(())
            }
        }
    }

    pub fn balance(&mut self, who: Address) -> U256 {
        let Some(id) = self.id_of(who) else {
            return U256::ZERO;
        };
        match self.exec.machine.state.get_actor(id) {
            Ok(Some(r)) => tokens_to_u256(&r.balance),
            _ => U256::ZERO,
        }
    }

    /// A storage word of an actor.
    pub fn slot(&mut self, id: u64, slot: U256) -> U256 {
        let state = &mut self.exec.machine.state;
        let v = state
            .slot_get(id, &slot.to_be_bytes::<32>())
            .map(|(v, _)| U256::from_be_bytes(v))
            .unwrap_or_default();
        let _ = state.end_message();
        v
    }

    pub fn run_system_lane(&mut self) -> Result<usize, String> {
        self.exec
            .run_system_lane()
            .map(|ran| ran.len())
            .map_err(|e| format!("{e:#}"))
    }

    /// A native message from an Ethereum account (gas price 0, the harnesses' gas limit).
    pub fn send(
        &mut self,
        from: Address,
        to: fvm_shared::address::Address,
        method: u64,
        params: Vec<u8>,
        value: U256,
    ) -> Result<NativeOut, String> {
        if self.id_of(from).is_none() {
            // as an Ethereum transaction from a new address: an account with nothing
            self.fund(from, U256::ZERO)?;
        }
        let sequence = *self.nonces.get(&from).unwrap_or(&0);
        let msg = Message {
            version: 0,
            from: EthAddress(from.into_array()).to_filecoin(),
            to,
            sequence,
            value: u256_to_tokens(value),
            method_num: method,
            params: RawBytes::new(params),
            gas_limit: self.gas_limit,
            gas_fee_cap: TokenAmount::from_atto(0u64),
            gas_premium: TokenAmount::default(),
        };
        let ret = self
            .exec
            .apply_message(&msg)
            .map_err(|e| format!("message not applied: {e:#}"))?;
        if !ret.applied {
            return Err(format!(
                "message not applied: {}",
                ret.failure.unwrap_or_default()
            ));
        }
        self.nonces.insert(from, sequence + 1);
        let events = ret
            .events
            .iter()
            .filter_map(|e| {
                let (t, d) = tandem_evm::host::event_to_log(&e.event)?;
                Some((e.emitter, t, d.to_vec()))
            })
            .collect();
        Ok(NativeOut {
            applied: ret.applied,
            exit: ret.receipt.exit_code.value(),
            ret: ret.receipt.return_data.to_vec(),
            events,
            gas: ret.receipt.gas_used,
        })
    }

    /// Installs a module and creates an actor from it with DAG-CBOR constructor params:
    /// the new actor's ID, or the failed message.
    pub fn deploy(
        &mut self,
        from: Address,
        wasm: &[u8],
        ctor: Vec<u8>,
        value: U256,
    ) -> Result<Result<(u64, NativeOut), NativeOut>, String> {
        let install = fvm_ipld_encoding::to_vec(&InstallCodeParams {
            code: RawBytes::new(wasm.to_vec()),
        })
        .map_err(|e| e.to_string())?;
        let init = fvm_shared::address::Address::new_id(1);
        let m = tandem_actors::init::install_code_method();
        // Installing is a message of its own, priced per operator: it may take up to the
        // block's gas (a module with many nested codecs costs more than a transaction's
        // 16M; docs/wasm-target.md), the calls keep the harness's limit. A harness with a
        // higher limit (the language tests' runner: a test contract embeds the modules it
        // creates) keeps it for installs too.
        let install_limit = self.gas_limit.max(30_000_000);
        let limit = std::mem::replace(&mut self.gas_limit, install_limit);
        let out = self.send(from, init, m, install, U256::ZERO);
        self.gas_limit = limit;
        let out = out?;
        if out.exit != 0 {
            return Err(format!(
                "installing the module failed: exit {} {}",
                out.exit,
                String::from_utf8_lossy(&out.ret)
            ));
        }
        let code: InstallCodeReturn =
            fvm_ipld_encoding::from_slice(&out.ret).map_err(|e| e.to_string())?;
        let exec = fvm_ipld_encoding::to_vec(&ExecParams {
            code_cid: code.code_cid,
            constructor_params: RawBytes::new(ctor),
        })
        .map_err(|e| e.to_string())?;
        let out = self.send(from, init, 2, exec, value)?;
        if out.exit != 0 || !out.applied {
            return Ok(Err(out));
        }
        let ret: ExecReturn = fvm_ipld_encoding::from_slice(&out.ret).map_err(|e| e.to_string())?;
        let id = ret
            .id_address
            .id()
            .map_err(|e| format!("Exec returned no ID address: {e}"))?;
        Ok(Ok((id, out)))
    }

    /// An `InvokeEVM` message with Solidity calldata (a CBOR byte string, as a top-level
    /// message carries it) to actor `id`; twins' addresses in it become their masked IDs.
    pub fn invoke_evm(
        &mut self,
        from: Address,
        id: u64,
        data: &[u8],
        value: U256,
    ) -> Result<NativeOut, String> {
        let mut data = data.to_vec();
        if let Some(args) = data.get_mut(4..) {
            for (h, id) in &self.twins {
                let m = self.word_of(*id).into_word();
                for w in args.chunks_mut(32) {
                    if w == h.into_word().as_slice() {
                        w.copy_from_slice(m.as_slice());
                    }
                }
            }
        }
        let params = fvm_ipld_encoding::to_vec(&RawBytes::new(data)).map_err(|e| e.to_string())?;
        let to = fvm_shared::address::Address::new_id(id);
        self.send(from, to, INVOKE_EVM, params, value)
    }

    /// The word a native build sees for actor `id`: its f410 address if a `create2` made
    /// it, else its masked ID.
    pub fn word_of(&self, id: u64) -> Address {
        self.aliases.get(&id).copied().unwrap_or_else(|| masked(id))
    }

    /// The word a native build sees for a harness address (a twin's masked ID).
    pub fn native_word(&self, a: Address) -> Address {
        match self.twins.get(&a) {
            Some(id) => self.word_of(*id),
            None => a,
        }
    }

    /// The harness address of a native word (a twin's address for its masked ID).
    pub fn harness_word(&self, a: Address) -> Address {
        for (h, id) in &self.twins {
            if self.word_of(*id) == a {
                return *h;
            }
        }
        a
    }

    /// The code CID of an actor, if it lives.
    pub fn code_of(&mut self, id: u64) -> Option<Vec<u8>> {
        let state = &mut self.exec.machine.state;
        let code = state
            .get_actor(id)
            .ok()
            .flatten()
            .map(|r| r.code.to_bytes());
        let _ = state.end_message();
        code
    }

    /// Replaces every 32-byte word that is a twin's native word with its harness address:
    /// the words of ABI data, and those after a 4-byte selector (revert data).
    pub fn map_words(&self, data: &mut [u8]) {
        for (h, id) in &self.twins {
            let m = self.word_of(*id).into_word();
            for start in [0, 4] {
                let Some(words) = data.get_mut(start..) else {
                    continue;
                };
                for w in words.chunks_mut(32) {
                    if w == m.as_slice() {
                        w.copy_from_slice(h.into_word().as_slice());
                    }
                }
            }
        }
    }
}
