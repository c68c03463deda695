//! A small dev chain for EVM tests: funded Ethereum accounts, signed EIP-1559 transactions
//! applied through the executor, and the fixtures' compiled contracts.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256, keccak256};
use k256::ecdsa::SigningKey;
use tandem_evm::EvmRuntime;
use tandem_evm::tx::{EthReceipt, TxError, apply_raw};
use tandem_evm::world;
use tandem_vm::executor::Executor;
use tandem_vm::kernel::NetworkContext;
use tandem_vm::store::VmStore;

pub const CHAIN_ID: u64 = 31337;

pub struct Account {
    pub key: SigningKey,
    pub address: Address,
    pub nonce: u64,
}

impl Account {
    pub fn new(seed: u8) -> Self {
        let key = SigningKey::from_slice(&[seed; 32]).expect("valid key");
        let public = key.verifying_key().to_encoded_point(false);
        let hash = keccak256(&public.as_bytes()[1..]);
        Self {
            key,
            address: Address::from_slice(&hash[12..]),
            nonce: 0,
        }
    }
}

pub struct Chain {
    pub exec: Executor,
    pub accounts: Vec<Account>,
}

impl Chain {
    /// A chain with `n` accounts holding 1,000,000 ETH each.
    pub fn new(n: u8) -> Self {
        let mut state = world::singleton_state(VmStore::memory()).expect("genesis");
        let accounts: Vec<Account> = (1..=n).map(Account::new).collect();
        let rich = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u64));
        for a in &accounts {
            world::add_eth_account(&mut state, a.address.into_array(), rich, 0).expect("account");
        }
        let network = NetworkContext {
            chain_id: CHAIN_ID,
            ..NetworkContext::default()
        };
        let exec =
            world::executor(state, network, Arc::new(EvmRuntime::new()), &[]).expect("executor");
        Self { exec, accounts }
    }

    pub fn address(&self, who: usize) -> Address {
        self.accounts[who].address
    }

    /// Signs an EIP-1559 transaction from account `who`.
    pub fn sign(
        &mut self,
        who: usize,
        to: Option<Address>,
        data: Vec<u8>,
        value: U256,
        gas: u64,
    ) -> Vec<u8> {
        let acct = &mut self.accounts[who];
        let tx = TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: acct.nonce,
            gas_limit: gas,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: to.map(TxKind::Call).unwrap_or(TxKind::Create),
            value,
            access_list: Default::default(),
            input: Bytes::from(data),
        };
        acct.nonce += 1;
        sign_tx(&acct.key, tx)
    }

    pub fn send_raw(&mut self, raw: &[u8]) -> Result<EthReceipt, TxError> {
        apply_raw(&mut self.exec, raw)
    }

    /// Sends a transaction and expects it to be applied.
    pub fn send(&mut self, who: usize, to: Address, data: Vec<u8>, value: U256) -> EthReceipt {
        let raw = self.sign(who, Some(to), data, value, 10_000_000);
        self.send_raw(&raw).expect("transaction applied")
    }

    /// Sends a transaction that must succeed; returns its output.
    pub fn call_ok(&mut self, who: usize, to: Address, data: Vec<u8>) -> Bytes {
        let r = self.send(who, to, data, U256::ZERO);
        assert!(r.success, "call failed: {:?} {:?}", r.failure, r.output);
        r.output
    }

    /// Deploys `code ‖ args`; returns the contract address.
    pub fn deploy(&mut self, who: usize, code: &[u8], args: &[u8]) -> Address {
        let mut data = code.to_vec();
        data.extend_from_slice(args);
        let raw = self.sign(who, None, data, U256::ZERO, 15_000_000);
        let r = self.send_raw(&raw).expect("deploy applied");
        assert!(r.success, "deploy failed: {:?}", r.failure);
        Address::from(r.contract_address.expect("an address"))
    }
}

pub fn sign_tx<T: SignableTransaction<Signature>>(key: &SigningKey, tx: T) -> Vec<u8>
where
    TxEnvelope: From<alloy_consensus::Signed<T>>,
{
    let hash = tx.signature_hash();
    let (sig, recid) = key.sign_prehash_recoverable(hash.as_slice()).expect("sign");
    let bytes = sig.to_bytes();
    let signature = Signature::new(
        U256::from_be_slice(&bytes[..32]),
        U256::from_be_slice(&bytes[32..]),
        recid.is_y_odd(),
    );
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

/// The shared fixtures' compiled contracts, or `None`: the test then skips with a message
/// (and fails under `CI=true`, see tandem-testkit).
pub fn artifacts() -> Option<PathBuf> {
    tandem_testkit::fixture("evm-artifacts")
}

/// The creation bytecode of a compiled contract (Hardhat or Waffle artifact).
pub fn bytecode(dir: &std::path::Path, file: &str) -> Vec<u8> {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(file)).expect("artifact")).expect("json");
    let hex = json
        .get("bytecode")
        .and_then(|b| {
            b.as_str()
                .map(str::to_string)
                .or_else(|| b.get("object")?.as_str().map(str::to_string))
        })
        .or_else(|| {
            json.pointer("/evm/bytecode/object")?
                .as_str()
                .map(str::to_string)
        })
        .expect("bytecode");
    hex::decode(hex.trim_start_matches("0x")).expect("hex")
}

impl Chain {
    /// The Ethereum state root now (flushes the state).
    pub fn root(&mut self) -> alloy_primitives::B256 {
        self.exec.flush().expect("flush");
        tandem_evm::root::eth_state_root(&self.exec.machine.state).expect("root")
    }

    /// A storage slot of the contract at `addr`.
    pub fn storage(&mut self, addr: Address, slot: U256) -> U256 {
        let state = &mut self.exec.machine.state;
        let id = state
            .lookup_id(&tandem_vm::eth::EthAddress(addr.into_array()).to_filecoin())
            .expect("lookup")
            .expect("contract exists");
        let (v, _) = state.slot_get(id, &slot.to_be_bytes()).expect("slot");
        state.end_message().expect("end message");
        U256::from_be_bytes(v)
    }
}
