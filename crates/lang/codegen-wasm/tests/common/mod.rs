//! A Tandem VM with every runtime, where the EVM build of a contract is deployed by an
//! Ethereum transaction and the WASM build installed and created as a native actor, and
//! calls are sent to both from the same Ethereum accounts. The calls are written once with
//! Solidity types; `cbor` translates them for the native build (docs/wasm-target.md).

#![allow(dead_code)]

pub mod cbor;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, B256, Bytes, U256};
use fvm_ipld_encoding::RawBytes;
use fvm_shared::econ::TokenAmount;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tandem_actors::BuiltinRuntime;
use tandem_actors::init::{ExecParams, ExecReturn, InstallCodeParams, InstallCodeReturn};
use tandem_evm::EvmRuntime;
use tandem_evm::tx::{EthTx, apply_tx};
use tandem_evm::world;
use tandem_vm::eth::EthAddress;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::message::Message;
use tandem_vm::store::VmStore;
use tandem_wasm::WasmRuntime;

pub const ALICE: u64 = 0xa11ce;
pub const BOB: u64 = 0xb0b;
pub const CAROL: u64 = 0xca201;

/// A native message's (exit code, return bytes, events as logs, gas, wall time).
pub type NativeOut = (u32, Vec<u8>, Vec<(Vec<B256>, Vec<u8>)>, u64, Duration);

pub fn addr(n: u64) -> Address {
    Address::from_word(U256::from(n).into())
}

/// What a call did, in Ethereum terms (the native outcome translated back).
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub success: bool,
    /// Return data (ABI) or revert data; `None` when the native build failed with an exit
    /// code that carries no revert data (bad params), which only has to agree on failure.
    pub output: Option<Vec<u8>>,
    pub logs: Vec<(Vec<B256>, Vec<u8>)>,
    pub gas: u64,
    pub time: Duration,
}

pub struct Dual {
    pub exec: Executor,
    nonces: HashMap<Address, u64>,
    /// EVM address of each contract deployed on both targets -> the native actor's ID.
    pub twins: HashMap<Address, u64>,
}

impl Dual {
    pub fn new() -> Dual {
        let mut state = world::singleton_state(VmStore::memory()).unwrap();
        let rich = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u64));
        for who in [ALICE, BOB, CAROL] {
            world::add_eth_account(&mut state, addr(who).into_array(), rich, 0).unwrap();
        }
        state.end_message().unwrap();
        let network = NetworkContext {
            chain_id: 31337,
            epoch: 7,
            timestamp: 1_700_000_000,
            base_fee: TokenAmount::from_atto(0u64),
            ..NetworkContext::default()
        };
        let extra: Vec<Arc<dyn tandem_vm::runtime::Runtime>> = vec![
            Arc::new(BuiltinRuntime),
            Arc::new(WasmRuntime::new(None).unwrap()),
        ];
        let exec = world::executor(state, network, Arc::new(EvmRuntime::new()), &extra).unwrap();
        Dual {
            exec,
            nonces: HashMap::new(),
            twins: HashMap::new(),
        }
    }

    fn nonce(&mut self, from: Address) -> u64 {
        let n = self.nonces.entry(from).or_insert(0);
        *n += 1;
        *n - 1
    }

    /// An Ethereum transaction (gas price 0).
    pub fn eth(
        &mut self,
        from: Address,
        to: Option<Address>,
        data: Vec<u8>,
        value: U256,
    ) -> (Seen, Option<Address>) {
        let tx = EthTx {
            tx_type: 2,
            chain_id: Some(31337),
            nonce: self.nonce(from),
            gas_limit: 16_000_000,
            to: to.map(Address::into_array),
            value,
            input: Bytes::from(data),
            sender: from.into_array(),
            ..EthTx::default()
        };
        let t = Instant::now();
        let r = apply_tx(&mut self.exec, &tx).expect("transaction applied");
        let time = t.elapsed();
        let logs = r
            .logs
            .iter()
            .map(|l| (l.topics.clone(), l.data.to_vec()))
            .collect();
        let seen = Seen {
            success: r.success,
            output: Some(if to.is_none() && r.success {
                vec![]
            } else {
                r.output.to_vec()
            }),
            logs,
            gas: r.gas_used,
            time,
        };
        (seen, r.contract_address.map(Address::from))
    }

    /// A native message from an Ethereum account: (exit code, return bytes, events, gas).
    pub fn native(
        &mut self,
        from: Address,
        to: fvm_shared::address::Address,
        method: u64,
        params: Vec<u8>,
        value: U256,
    ) -> NativeOut {
        let msg = Message {
            version: 0,
            from: EthAddress(from.into_array()).to_filecoin(),
            to,
            sequence: self.nonce(from),
            value: tandem_evm::address::u256_to_tokens(value),
            method_num: method,
            params: RawBytes::new(params),
            // as the Ethereum transactions, so `ctx.gas_left()` is comparable
            gas_limit: 16_000_000,
            gas_fee_cap: TokenAmount::from_atto(0u64),
            gas_premium: TokenAmount::default(),
        };
        let t = Instant::now();
        let ret = self.exec.apply_message(&msg).expect("message applied");
        let time = t.elapsed();
        assert!(ret.applied, "message not applied: {:?}", ret.failure);
        let events = ret
            .events
            .iter()
            .filter_map(|e| tandem_evm::host::event_to_log(&e.event))
            .map(|(t, d)| (t, d.to_vec()))
            .collect();
        (
            ret.receipt.exit_code.value(),
            ret.receipt.return_data.to_vec(),
            events,
            ret.receipt.gas_used,
            time,
        )
    }

    /// Installs the module and creates an actor with the CBOR constructor params; the actor
    /// ID, or the exit code.
    pub fn deploy_native(
        &mut self,
        from: Address,
        wasm: &[u8],
        ctor: Vec<u8>,
        value: U256,
    ) -> Result<(u64, u64), u32> {
        let install = fvm_ipld_encoding::to_vec(&InstallCodeParams {
            code: RawBytes::new(wasm.to_vec()),
        })
        .unwrap();
        let init = fvm_shared::address::Address::new_id(1);
        let m = tandem_actors::init::install_code_method();
        let (exit, ret, ..) = self.native(from, init, m, install, U256::ZERO);
        assert_eq!(exit, 0, "install failed: {}", String::from_utf8_lossy(&ret));
        let code: InstallCodeReturn = fvm_ipld_encoding::from_slice(&ret).unwrap();
        let exec = fvm_ipld_encoding::to_vec(&ExecParams {
            code_cid: code.code_cid,
            constructor_params: RawBytes::new(ctor),
        })
        .unwrap();
        let (exit, ret, _, gas, _) = self.native(from, init, 2, exec, value);
        if exit != 0 {
            return Err(exit);
        }
        let out: ExecReturn = fvm_ipld_encoding::from_slice(&ret).unwrap();
        Ok((out.id_address.id().unwrap(), gas))
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

    pub fn id_of(&mut self, a: Address) -> Option<u64> {
        let f4 = EthAddress(a.into_array()).to_filecoin();
        self.exec.machine.state.lookup_id(&f4).ok().flatten()
    }

    /// The address word the native build sees for an EVM address (its twin's masked ID).
    pub fn native_word(&self, a: Address) -> Address {
        match self.twins.get(&a) {
            Some(id) => masked(*id),
            None => a,
        }
    }

    /// The EVM address of a native actor's masked ID word, if it is a twin.
    pub fn evm_word(&self, a: Address) -> Address {
        for (evm, id) in &self.twins {
            if masked(*id) == a {
                return *evm;
            }
        }
        a
    }

    /// Replaces every word that is a twin's masked ID with its EVM address.
    pub fn map_words(&self, data: &mut [u8]) {
        for (evm, id) in &self.twins {
            let m = masked(*id).into_word();
            for w in data.chunks_mut(32) {
                if w == m.as_slice() {
                    w.copy_from_slice(evm.into_word().as_slice());
                }
            }
        }
    }
}

pub fn masked(id: u64) -> Address {
    let mut b = [0u8; 20];
    b[0] = 0xff;
    b[12..].copy_from_slice(&id.to_be_bytes());
    Address::from(b)
}

pub fn values_word(v: &DynSolValue) -> Vec<u8> {
    v.abi_encode()
}
