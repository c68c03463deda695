//! A chain for tests: genesis with funded accounts, the built-in runtime, the WASM runtime
//! (and optionally more), and helpers to install, create and call actors.
#![allow(dead_code)]

pub mod actors;
pub mod evm_asm;

use std::sync::Arc;

use cid::Cid;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use k256::ecdsa::SigningKey;
use tandem_actors::BuiltinRuntime;
use tandem_actors::genesis::{self, Genesis, GenesisAccount};
use tandem_actors::init::{ExecReturn, InstallCodeParams, InstallCodeReturn, install_code_method};
use tandem_state::StateTree;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::machine::Machine;
use tandem_vm::message::{ApplyRet, Message, SignedMessage, secp256k1_address};
use tandem_vm::runtime::{Runtime, Runtimes};
use tandem_vm::store::VmStore;
use tandem_wasm::WasmRuntime;

pub const FIL: u128 = 1_000_000_000_000_000_000;
pub const GAS_LIMIT: u64 = 30_000_000;

pub struct TestChain {
    pub exec: Executor,
    pub keys: Vec<SigningKey>,
    pub nonces: Vec<u64>,
    pub wasm: Arc<WasmRuntime>,
}

pub fn key(i: u8) -> SigningKey {
    SigningKey::from_slice(&[i + 1; 32]).unwrap()
}

pub fn chain() -> TestChain {
    chain_with(Arc::new(WasmRuntime::new(None).unwrap()), Vec::new())
}

pub fn chain_with(wasm: Arc<WasmRuntime>, extra: Vec<Arc<dyn Runtime>>) -> TestChain {
    let store = VmStore::memory();
    let keys: Vec<_> = (0..3).map(key).collect();
    let accounts = keys
        .iter()
        .map(|k| GenesisAccount {
            address: secp256k1_address(k),
            balance: TokenAmount::from_atto(1000 * FIL),
        })
        .collect();
    let genesis = Genesis {
        network_name: "test".into(),
        accounts,
    };
    let root = genesis::build(store.clone(), &genesis).unwrap();
    let state = StateTree::load(store, &root).unwrap();
    let mut runtimes = Runtimes::new().with(Arc::new(BuiltinRuntime));
    for r in extra {
        runtimes.push(r);
    }
    runtimes.push(wasm.clone());
    let machine = Machine::new(state, NetworkContext::default(), runtimes).unwrap();
    TestChain {
        exec: Executor::new(machine),
        nonces: vec![0; keys.len()],
        keys,
        wasm,
    }
}

impl TestChain {
    pub fn addr(&self, i: usize) -> Address {
        secp256k1_address(&self.keys[i])
    }

    pub fn id_of(&mut self, addr: &Address) -> u64 {
        self.exec.machine.state.lookup_id(addr).unwrap().unwrap()
    }

    pub fn send_as(
        &mut self,
        from: usize,
        to: Address,
        method: u64,
        params: Vec<u8>,
        gas_limit: u64,
    ) -> ApplyRet {
        let msg = Message {
            version: 0,
            from: self.addr(from),
            to,
            sequence: self.nonces[from],
            value: TokenAmount::from_atto(0u8),
            method_num: method,
            params: RawBytes::new(params),
            gas_limit,
            gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
            gas_premium: TokenAmount::from_atto(1_000_000_000u64),
        };
        let signed = SignedMessage::sign_secp256k1(msg, &self.keys[from]).unwrap();
        let ret = self.exec.apply_signed(&signed).unwrap();
        if ret.applied {
            self.nonces[from] += 1;
        }
        ret
    }

    /// Sends `value` with the message from account 0; panics if it is not applied.
    pub fn send_value(
        &mut self,
        to: Address,
        method: u64,
        params: Vec<u8>,
        value: u128,
    ) -> ApplyRet {
        let msg = Message {
            version: 0,
            from: self.addr(0),
            to,
            sequence: self.nonces[0],
            value: TokenAmount::from_atto(value),
            method_num: method,
            params: RawBytes::new(params),
            gas_limit: GAS_LIMIT,
            gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
            gas_premium: TokenAmount::from_atto(1_000_000_000u64),
        };
        let signed = SignedMessage::sign_secp256k1(msg, &self.keys[0]).unwrap();
        let ret = self.exec.apply_signed(&signed).unwrap();
        assert!(ret.applied);
        self.nonces[0] += 1;
        ret
    }

    pub fn call(&mut self, to: Address, method: u64, params: Vec<u8>) -> ApplyRet {
        self.send_as(0, to, method, params, GAS_LIMIT)
    }

    /// Installs a module; the receipt and the code CID on success.
    pub fn install(&mut self, wasm: &[u8]) -> (ApplyRet, Option<Cid>) {
        self.install_with_gas(wasm, GAS_LIMIT)
    }

    pub fn install_with_gas(&mut self, wasm: &[u8], gas: u64) -> (ApplyRet, Option<Cid>) {
        let params = fvm_ipld_encoding::to_vec(&InstallCodeParams {
            code: RawBytes::new(wasm.to_vec()),
        })
        .unwrap();
        let ret = self.send_as(0, Address::new_id(1), install_code_method(), params, gas);
        let cid = ret.receipt.exit_code.is_success().then(|| {
            let r: InstallCodeReturn = ret.receipt.return_data.deserialize().unwrap();
            r.code_cid
        });
        (ret, cid)
    }

    /// Creates an actor of installed code; the new actor's ID address on success.
    pub fn create(&mut self, code: Cid, ctor_params: Vec<u8>) -> (ApplyRet, Option<ExecReturn>) {
        let params = fvm_ipld_encoding::to_vec(&tandem_actors::init::ExecParams {
            code_cid: code,
            constructor_params: RawBytes::new(ctor_params),
        })
        .unwrap();
        let ret = self.call(Address::new_id(1), 2, params);
        let out = ret
            .receipt
            .exit_code
            .is_success()
            .then(|| ret.receipt.return_data.deserialize().unwrap());
        (ret, out)
    }

    /// Deploys EVM `runtime` code through the EAM (CreateExternal from account 0); the
    /// contract's ID address and Ethereum address. Panics on failure.
    pub fn deploy_evm(&mut self, runtime: &[u8]) -> (Address, [u8; 20]) {
        const CREATE_EXTERNAL: u64 = 4;
        let initcode = evm_asm::initcode(runtime);
        let params = fvm_ipld_encoding::to_vec(&RawBytes::new(initcode)).unwrap();
        let eam = Address::new_id(tandem_vm::builtin::EAM_ACTOR_ID);
        let ret = self.call(eam, CREATE_EXTERNAL, params);
        assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
        let r: tandem_actors::eam::CreateReturn = ret.receipt.return_data.deserialize().unwrap();
        (Address::new_id(r.actor_id), r.eth_address)
    }

    /// Installs and creates in one go; panics on failure.
    pub fn deploy(&mut self, wasm: &[u8], ctor_params: Vec<u8>) -> Address {
        let (ret, code) = self.install(wasm);
        assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
        let (ret, out) = self.create(code.unwrap(), ctor_params);
        assert_eq!(
            ret.receipt.exit_code,
            ExitCode::OK,
            "{:?} {:?}",
            ret.failure,
            ret.receipt
        );
        out.unwrap().id_address
    }

    pub fn state_of(&mut self, addr: &Address) -> Cid {
        let id = self.id_of(addr);
        self.exec
            .machine
            .state
            .get_actor(id)
            .unwrap()
            .unwrap()
            .state
    }

    pub fn nonce_of(&mut self, addr: &Address) -> u64 {
        let id = self.id_of(addr);
        self.exec
            .machine
            .state
            .get_actor(id)
            .unwrap()
            .unwrap()
            .sequence
    }
}

/// Decodes a CBOR string return (abort messages).
pub fn message(ret: &ApplyRet) -> String {
    ret.receipt
        .return_data
        .deserialize::<String>()
        .unwrap_or_default()
}

pub fn wat(src: &str) -> Vec<u8> {
    wat::parse_str(src).unwrap()
}
