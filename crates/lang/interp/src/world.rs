//! The interpreted world: accounts with balances, nonces, storage and the contract (module
//! index) they run; transactions in at its edge; messages and creations between contracts.

use crate::Error;
use crate::abi;
use crate::exec::{End, Frame, Msg};
use alloy_primitives::{Address, B256, U256, keccak256};
use std::collections::BTreeMap;
use std::rc::Rc;
use tandem_lang_ir::{Module, Mutability, Stage, meta};

/// What contracts read from the block (`ctx.block_number()`, ...). `gas_left` is what
/// `ctx.gas_left()` yields: the interpreter has no gas model.
#[derive(Clone, Debug)]
pub struct Env {
    pub number: U256,
    pub timestamp: U256,
    pub chain_id: U256,
    pub gas_left: U256,
}

#[derive(Clone, Debug, Default)]
pub struct Account {
    pub balance: U256,
    pub nonce: u64,
    /// The module index of the contract at this address (none while its constructor runs).
    pub contract: Option<usize>,
    pub storage: BTreeMap<U256, U256>,
    /// Transient storage (EIP-1153): emptied when a transaction begins.
    pub transient: BTreeMap<U256, U256>,
    /// Immutables by number (`Intrinsic::Immutable`): written only while the constructor
    /// runs, kept apart from storage as the EVM build keeps them in its code.
    pub immutables: BTreeMap<u32, U256>,
    /// Raw code no contract of the module runs (`Intrinsic::CreateCode`, `std::sstore2`): read
    /// by `std::code`; a message to it does nothing, as the EVM's STOP would.
    pub code: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Vec<u8>,
}

/// A transaction's result, in the Solidity ABI form the EVM build gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub success: bool,
    /// Return data, or revert data on failure (empty for a deployment's success).
    pub output: Vec<u8>,
    pub logs: Vec<Log>,
    pub created: Option<Address>,
}

/// Steps a transaction may take before the interpreter gives up (an endless loop).
const FUEL: u64 = 50_000_000;
/// Nested messages before the interpreter gives up.
const MAX_DEPTH: usize = 64;

pub struct World {
    pub(crate) module: Rc<Module>,
    pub(crate) accounts: BTreeMap<Address, Account>,
    pub(crate) env: Env,
    pub(crate) logs: Vec<Log>,
    pub(crate) fuel: u64,
    pub(crate) depth: usize,
    /// Per contract: its EVM init code, when known (only for CREATE2 addresses).
    init_codes: Vec<Option<Vec<u8>>>,
    /// Per contract: its EVM runtime code, when known (`ctx.code_size`, `std::code`).
    runtime_codes: Vec<Option<Vec<u8>>>,
}

impl World {
    /// Sets the block number and timestamp later calls read (`warp:`/`roll:` lines).
    pub fn set_block(&mut self, number: U256, timestamp: U256) {
        self.env.number = number;
        self.env.timestamp = timestamp;
    }

    /// A world running `module` (sema's target-neutral module, verified here).
    pub fn new(module: Module, env: Env) -> Result<World, Error> {
        tandem_lang_ir::verify(&module, Stage::Neutral)
            .map_err(|e| Error::Invalid(format!("the IR does not verify: {e:?}")))?;
        let n = module.contracts.len();
        Ok(World {
            module: Rc::new(module),
            accounts: BTreeMap::new(),
            env,
            logs: Vec::new(),
            fuel: FUEL,
            depth: 0,
            init_codes: vec![None; n],
            runtime_codes: vec![None; n],
        })
    }

    /// What the world cannot derive from the IR: a contract's EVM init code (for CREATE2
    /// addresses) and runtime code (for `ctx.code_size` and `std::code`).
    pub fn set_code_facts(&mut self, contract: usize, init_code: Vec<u8>, runtime_code: Vec<u8>) {
        if contract < self.init_codes.len() {
            self.init_codes[contract] = Some(init_code);
            self.runtime_codes[contract] = Some(runtime_code);
        }
    }

    pub fn module(&self) -> &Module {
        &self.module
    }

    pub fn fund(&mut self, who: Address, amount: U256) {
        let a = self.accounts.entry(who).or_default();
        a.balance = a.balance.saturating_add(amount);
    }

    pub fn balance(&self, who: Address) -> U256 {
        self.accounts
            .get(&who)
            .map(|a| a.balance)
            .unwrap_or_default()
    }

    pub fn storage(&self, who: Address, slot: U256) -> U256 {
        self.accounts
            .get(&who)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default()
    }

    pub fn account(&self, who: Address) -> Option<&Account> {
        self.accounts.get(&who)
    }

    /// Every account the world knows, by address.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &Account)> {
        self.accounts.iter()
    }

    /// A transaction from `from` that is not run here: only the sender's nonce moves.
    pub fn skip_transaction(&mut self, from: Address) {
        self.begin_tx(from);
    }

    fn begin_tx(&mut self, from: Address) -> u64 {
        self.logs.clear();
        self.fuel = FUEL;
        self.depth = 0;
        for a in self.accounts.values_mut() {
            a.transient.clear();
        }
        let a = self.accounts.entry(from).or_default();
        let nonce = a.nonce;
        a.nonce += 1;
        nonce
    }

    /// Deploys contract `contract` from the externally owned account `from` with
    /// ABI-encoded constructor arguments, at the CREATE address of `from`'s nonce.
    pub fn deploy(
        &mut self,
        from: Address,
        contract: usize,
        args: &[u8],
        value: U256,
    ) -> Result<Outcome, Error> {
        if contract >= self.module.contracts.len() {
            return Err(Error::Invalid(format!("no contract {contract}")));
        }
        let nonce = self.begin_tx(from);
        let at = from.create(nonce);
        let end = self.create_at(from, from, at, contract, args, value)?;
        let success = matches!(end, End::Return(_));
        Ok(Outcome {
            success,
            output: match end {
                End::Revert(d) => d,
                End::Return(_) => Vec::new(),
            },
            logs: if success {
                std::mem::take(&mut self.logs)
            } else {
                vec![]
            },
            created: success.then_some(at),
        })
    }

    /// A transaction from `from` to `to` with calldata and value.
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
    ) -> Result<Outcome, Error> {
        self.begin_tx(from);
        let msg = Msg {
            caller: from,
            origin: from,
            to,
            value,
            is_static: false,
        };
        let end = self.message(msg, calldata)?;
        let logs = std::mem::take(&mut self.logs);
        Ok(match end {
            End::Return(d) => Outcome {
                success: true,
                output: d,
                logs,
                created: None,
            },
            End::Revert(d) => Outcome {
                success: false,
                output: d,
                logs: vec![],
                created: None,
            },
        })
    }

    /// Moves value; false when the sender cannot pay.
    fn transfer(&mut self, from: Address, to: Address, value: U256) -> bool {
        if value.is_zero() {
            self.accounts.entry(to).or_default();
            return true;
        }
        let have = self.balance(from);
        if have < value {
            return false;
        }
        self.accounts.entry(from).or_default().balance = have - value;
        let t = self.accounts.entry(to).or_default();
        t.balance = t.balance.saturating_add(value);
        true
    }

    /// Runs a message; its effects are undone when it fails.
    pub(crate) fn message(&mut self, msg: Msg, data: &[u8]) -> Result<End, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::Unsupported(format!(
                "messages nested deeper than {MAX_DEPTH}"
            )));
        }
        let snapshot = self.accounts.clone();
        let logs = self.logs.len();
        let end = if !self.transfer(msg.caller, msg.to, msg.value) {
            End::Revert(vec![])
        } else {
            match self.accounts.get(&msg.to).and_then(|a| a.contract) {
                Some(c) => {
                    self.depth += 1;
                    let r = self.dispatch(c, msg, data);
                    self.depth -= 1;
                    r?
                }
                None => End::Return(vec![]),
            }
        };
        if let End::Revert(_) = end {
            self.accounts = snapshot;
            self.logs.truncate(logs);
        }
        Ok(end)
    }

    /// Finds the handler a message names (by the selector of its Solidity signature),
    /// refuses value it does not take, decodes its parameters strictly and runs it.
    fn dispatch(&mut self, c: usize, msg: Msg, data: &[u8]) -> Result<End, Error> {
        let module = Rc::clone(&self.module);
        let contract = &module.contracts[c];
        // Solidity's routing: empty calldata runs `receive`, else `fallback`; calldata that
        // names no handler runs `fallback`; without them the call reverts.
        let special = if data.is_empty() {
            contract.receive.as_ref().or(contract.fallback.as_ref())
        } else {
            contract.fallback.as_ref()
        };
        let found = data.get(..4).and_then(|sel| {
            contract
                .meta
                .handlers
                .iter()
                .position(|h| meta::selector(&h.signature) == sel)
        });
        let Some(h) = found.and_then(|i| contract.handlers.get(i)) else {
            return match special {
                Some(s) if s.payable || msg.value.is_zero() => {
                    Frame::new(self, Rc::clone(&module), msg, c).run(&[], &[], &s.body, false)
                }
                _ => Ok(End::Revert(vec![])),
            };
        };
        if h.mutability != Mutability::Payable && !msg.value.is_zero() {
            return Ok(End::Revert(vec![]));
        }
        let tys: Vec<_> = h.params.iter().map(|p| p.ty.clone()).collect();
        let Some(vals) = abi::decode(&data[4..], &tys) else {
            return Ok(End::Revert(vec![]));
        };
        Frame::new(self, Rc::clone(&module), msg, c).run(&h.params, &vals, &h.body, false)
    }

    /// Deploys `contract` at `at` for `creator`, running its constructor.
    pub(crate) fn create_at(
        &mut self,
        creator: Address,
        origin: Address,
        at: Address,
        contract: usize,
        args: &[u8],
        value: U256,
    ) -> Result<End, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::Unsupported(format!(
                "messages nested deeper than {MAX_DEPTH}"
            )));
        }
        if self.occupied(at) {
            return Ok(End::Revert(vec![]));
        }
        let snapshot = self.accounts.clone();
        let logs = self.logs.len();
        self.accounts.entry(at).or_default().nonce = 1;
        let module = Rc::clone(&self.module);
        let init = &module.contracts[contract].init;
        let tys: Vec<_> = init.params.iter().map(|p| p.ty.clone()).collect();
        let end = if !self.transfer(creator, at, value) || (!init.payable && !value.is_zero()) {
            End::Revert(vec![])
        } else if let Some(vals) = abi::decode(args, &tys) {
            let msg = Msg {
                caller: creator,
                origin,
                to: at,
                value,
                is_static: false,
            };
            self.depth += 1;
            let r = Frame::new(self, Rc::clone(&module), msg, contract).run(
                &init.params,
                &vals,
                &init.body,
                true,
            );
            self.depth -= 1;
            r?
        } else {
            End::Revert(vec![])
        };
        match end {
            End::Return(_) => {
                self.accounts.entry(at).or_default().contract = Some(contract);
            }
            End::Revert(_) => {
                self.accounts = snapshot;
                self.logs.truncate(logs);
            }
        }
        Ok(end)
    }

    /// Whether a creation at `at` collides with an account there (a nonce or code).
    fn occupied(&self, at: Address) -> bool {
        self.accounts
            .get(&at)
            .is_some_and(|a| a.nonce > 0 || a.contract.is_some() || !a.code.is_empty())
    }

    /// `Intrinsic::CreateCode`: `creator` creates an account at the CREATE address of its
    /// nonce whose code is exactly `code`, sending it `value`. `None` (nothing changed but the
    /// creator's nonce) when the EVM would fail it: code over EIP-170's 24,576 bytes or
    /// starting with 0xEF (EIP-3541), value over the balance, the address taken.
    pub(crate) fn create_code(
        &mut self,
        creator: Address,
        code: Vec<u8>,
        value: U256,
    ) -> Option<Address> {
        let acct = self.accounts.entry(creator).or_default();
        let nonce = acct.nonce;
        acct.nonce += 1;
        let at = creator.create(nonce);
        if code.len() > 24_576 || code.first() == Some(&0xEF) || self.occupied(at) {
            return None;
        }
        if !self.transfer(creator, at, value) {
            return None;
        }
        let a = self.accounts.entry(at).or_default();
        a.nonce = 1;
        a.code = code;
        Some(at)
    }

    /// The address a contract's CREATE2 gives `contract` with these constructor arguments.
    pub(crate) fn create2_address(
        &self,
        creator: Address,
        salt: U256,
        contract: usize,
        args: &[u8],
    ) -> Result<Address, Error> {
        let Some(Some(code)) = self.init_codes.get(contract) else {
            return Err(Error::Unsupported(
                "create2: the child's EVM init code was not supplied (World::set_code_facts)"
                    .into(),
            ));
        };
        let mut init = code.clone();
        init.extend_from_slice(args);
        Ok(creator.create2(B256::from(salt), keccak256(&init)))
    }

    /// `ctx.code_size(a)`: the runtime code size of the contract at `a` (0 for an account
    /// without code or a contract whose constructor is running).
    pub(crate) fn code_size(&self, who: Address) -> Result<U256, Error> {
        Ok(U256::from(self.code_of(who)?.len()))
    }

    /// The runtime code at `who` (empty for an account without code or a contract whose
    /// constructor is running).
    pub(crate) fn code_of(&self, who: Address) -> Result<&[u8], Error> {
        let Some(a) = self.accounts.get(&who) else {
            return Ok(&[]);
        };
        match a.contract {
            None => Ok(&a.code),
            Some(c) => match self.runtime_codes.get(c) {
                Some(Some(code)) => Ok(code),
                _ => Err(Error::Unsupported(
                    "the contract's runtime code was not supplied (World::set_code_facts)".into(),
                )),
            },
        }
    }

    pub(crate) fn tload(&self, who: Address, slot: U256) -> U256 {
        let t = self.accounts.get(&who).and_then(|a| a.transient.get(&slot));
        t.copied().unwrap_or(U256::ZERO)
    }

    pub(crate) fn immutable(&self, who: Address, k: u32) -> U256 {
        let v = self.accounts.get(&who).and_then(|a| a.immutables.get(&k));
        v.copied().unwrap_or(U256::ZERO)
    }

    pub(crate) fn set_immutable(&mut self, who: Address, k: u32, v: U256) {
        self.accounts
            .entry(who)
            .or_default()
            .immutables
            .insert(k, v);
    }

    pub(crate) fn tstore(&mut self, who: Address, slot: U256, v: U256) {
        let t = &mut self.accounts.entry(who).or_default().transient;
        if v.is_zero() {
            t.remove(&slot);
        } else {
            t.insert(slot, v);
        }
    }

    /// `std::code::code_hash(a)` (EXTCODEHASH): 0 for an account that does not exist (no
    /// balance, nonce or code, EIP-161), else the keccak256 of its code.
    pub(crate) fn code_hash(&self, who: Address) -> Result<U256, Error> {
        match self.accounts.get(&who) {
            Some(a)
                if a.contract.is_some()
                    || a.nonce > 0
                    || !a.balance.is_zero()
                    || !a.code.is_empty() =>
            {
                Ok(U256::from_be_bytes(keccak256(self.code_of(who)?).0))
            }
            _ => Ok(U256::ZERO),
        }
    }
}
