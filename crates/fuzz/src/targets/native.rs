//! A chain for the native targets: genesis with two funded accounts, the built-in, EVM and
//! WASM runtimes, messages applied unsigned (the signature check is not under test), and a
//! commit that does what `tandem_chain::Chain::commit` does: flush the state tree, then write
//! the blocks the new root reaches out of the per-block buffer into the base store
//! (`BufferedStore::commit_reachable`, which fails if a reachable block is missing).

use std::sync::Arc;

use cid::Cid;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use tandem_actors::BuiltinRuntime;
use tandem_actors::genesis::{self, Genesis, GenesisAccount};
use tandem_actors::init::{
    ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn, install_code_method,
};
use tandem_evm::EvmRuntime;
use tandem_state::StateTree;
use tandem_state::blockstore::{BufferedStore, MemoryStore};
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::machine::Machine;
use tandem_vm::message::{ApplyRet, Message};
use tandem_vm::runtime::Runtimes;
use tandem_vm::store::VmStore;
use tandem_wasm::WasmRuntime;

pub const FIL: u128 = 1_000_000_000_000_000_000;

/// The runtimes, built once per run (the WASM engine and its compiled-module cache).
#[derive(Clone)]
pub struct Runtimes3 {
    pub wasm: Arc<WasmRuntime>,
    pub evm: Arc<EvmRuntime>,
}

impl Runtimes3 {
    pub fn new() -> Self {
        Self {
            wasm: Arc::new(WasmRuntime::new(None).expect("the WASM runtime")),
            evm: Arc::new(EvmRuntime::new()),
        }
    }
}

impl Default for Runtimes3 {
    fn default() -> Self {
        Self::new()
    }
}

pub struct NativeChain {
    pub exec: Executor,
    buffer: Arc<BufferedStore<MemoryStore>>,
    pub accounts: Vec<Address>,
    nonces: Vec<u64>,
}

/// One message's observable result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub applied: bool,
    pub exit_code: u32,
    pub gas_used: u64,
    pub return_data: Vec<u8>,
    pub events: usize,
}

impl NativeChain {
    pub fn new(rt: &Runtimes3) -> Self {
        let buffer = Arc::new(BufferedStore::new(MemoryStore::new()));
        let store = VmStore::new(buffer.clone());
        let accounts: Vec<Address> = (1..=2u8)
            .map(|i| {
                let mut key = [i; 65];
                key[0] = 4;
                Address::new_secp256k1(&key).unwrap()
            })
            .collect();
        let genesis = Genesis {
            network_name: "fuzz".into(),
            accounts: accounts
                .iter()
                .map(|a| GenesisAccount {
                    address: *a,
                    balance: TokenAmount::from_atto(1_000_000 * FIL),
                })
                .collect(),
        };
        let root = genesis::build(store.clone(), &genesis).unwrap();
        buffer
            .commit_reachable(&root, Vec::new())
            .expect("genesis commits");
        let state = StateTree::load(store, &root).unwrap();
        let runtimes = Runtimes::new()
            .with(Arc::new(BuiltinRuntime))
            .with(rt.evm.clone())
            .with(rt.wasm.clone());
        let machine = Machine::new(state, NetworkContext::default(), runtimes).unwrap();
        Self {
            exec: Executor::new(machine),
            buffer,
            nonces: vec![0; accounts.len()],
            accounts,
        }
    }

    /// Applies a message; a node failure (an `Err` out of the executor) panics.
    pub fn send(
        &mut self,
        from: usize,
        to: Address,
        method: u64,
        params: Vec<u8>,
        value: u128,
        gas_limit: u64,
    ) -> ApplyRet {
        let msg = Message {
            version: 0,
            from: self.accounts[from],
            to,
            sequence: self.nonces[from],
            value: TokenAmount::from_atto(value),
            method_num: method,
            params: RawBytes::new(params),
            gas_limit,
            gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
            gas_premium: TokenAmount::from_atto(1_000_000_000u64),
        };
        let ret = self.exec.apply_message(&msg).unwrap_or_else(|e| {
            panic!("node failure applying a message to {to} method {method}: {e:#}")
        });
        if ret.applied {
            self.nonces[from] += 1;
        }
        ret
    }

    /// Flushes and commits; a failure is a stopped chain and panics.
    pub fn commit(&mut self) -> Cid {
        let root = self
            .exec
            .flush()
            .unwrap_or_else(|e| panic!("the state does not flush: {e:#}"));
        self.buffer
            .commit_reachable(&root, Vec::new())
            .unwrap_or_else(|e| panic!("the chain cannot commit {root}: {e:#}"));
        root
    }

    pub fn install(&mut self, wasm: &[u8], gas: u64) -> (ApplyRet, Option<Cid>) {
        let params = fvm_ipld_encoding::to_vec(&InstallCodeParams {
            code: RawBytes::new(wasm.to_vec()),
        })
        .unwrap();
        let ret = self.send(0, Address::new_id(1), install_code_method(), params, 0, gas);
        let cid = ret.receipt.exit_code.is_success().then(|| {
            let r: InstallCodeReturn = ret.receipt.return_data.deserialize().unwrap();
            r.code_cid
        });
        (ret, cid)
    }

    pub fn create(
        &mut self,
        code: Cid,
        ctor_params: Vec<u8>,
        gas: u64,
    ) -> (ApplyRet, Option<Address>) {
        let params = fvm_ipld_encoding::to_vec(&ExecParams {
            code_cid: code,
            constructor_params: RawBytes::new(ctor_params),
        })
        .unwrap();
        let ret = self.send(0, Address::new_id(1), 2, params, 0, gas);
        let out = ret.receipt.exit_code.is_success().then(|| {
            let r: ExecReturn = ret.receipt.return_data.deserialize().unwrap();
            r.id_address
        });
        (ret, out)
    }

    /// The state root of an actor (None if absent).
    pub fn actor_state(&mut self, addr: &Address) -> Option<Cid> {
        let id = self.exec.machine.state.lookup_id(addr).ok()??;
        self.exec.machine.state.get_actor(id).ok()?.map(|r| r.state)
    }
}

pub fn observe(ret: &ApplyRet) -> Observed {
    Observed {
        applied: ret.applied,
        exit_code: ret.receipt.exit_code.value(),
        gas_used: ret.receipt.gas_used,
        return_data: ret.receipt.return_data.to_vec(),
        events: ret.events.len(),
    }
}
