//! End-to-end tests of the VM core with the built-in actors: value transfers, nonces,
//! signatures, rollback of nested calls, the depth limit and gas exhaustion.

use std::sync::Arc;

use cid::Cid;
use fvm_ipld_encoding::RawBytes;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use k256::ecdsa::SigningKey;
use tandem_actors::BuiltinRuntime;
use tandem_actors::genesis::{self, Genesis, GenesisAccount};
use tandem_state::{ActorRecord, StateTree};
use tandem_vm::executor::Executor;
use tandem_vm::gas::Gas;
use tandem_vm::kernel::{KResult, Kernel, NetworkContext, SendRequest};
use tandem_vm::machine::Machine;
use tandem_vm::message::{Message, SignedMessage, secp256k1_address};
use tandem_vm::runtime::{InvokeReturn, Runtime, Runtimes};
use tandem_vm::store::VmStore;

const FIL: u64 = 1_000_000_000_000_000_000;

/// A test actor. Its params are CBOR `(depth_left, fail_at_end, value_to_forward)`: it sends
/// `value_to_forward` and recurses into itself while `depth_left > 0`, then optionally fails.
struct Recursor;

fn recursor_code() -> Cid {
    Cid::new_v1(
        0x55,
        multihash_codetable::Multihash::wrap(0, b"test/recursor").unwrap(),
    )
}

impl Runtime for Recursor {
    fn name(&self) -> &'static str {
        "recursor"
    }
    fn runs(&self, code: &Cid) -> bool {
        *code == recursor_code()
    }
    fn invoke(&self, k: &mut dyn Kernel) -> KResult<InvokeReturn> {
        k.charge_gas("step", Gas::new(1_000))?;
        let (depth_left, fail, forward, burn): (u64, bool, u64, bool) =
            k.params().unwrap().deserialize().unwrap();
        if burn {
            loop {
                k.charge_gas("burn", Gas::new(10_000))?;
            }
        }
        // Leave a trace: bump our own nonce.
        k.bump_nonce()?;
        if depth_left > 0 {
            let me = Address::new_id(k.context().receiver);
            let out = k.send(SendRequest {
                to: me,
                method: 2,
                params: IpldBlock::serialize_cbor(&(depth_left - 1, false, 0u64, false)).unwrap(),
                value: TokenAmount::from_atto(forward),
                gas_limit: None,
                read_only: false,
            });
            match out {
                Ok(out) if !out.is_success() => return Ok(InvokeReturn::exit(out.exit_code, None)),
                Ok(_) => {}
                Err(tandem_vm::kernel::ExecutionError::Syscall(..)) => {
                    return Ok(InvokeReturn::exit(ExitCode::new(40), None));
                }
                Err(e) => return Err(e),
            }
        }
        if fail {
            return Ok(InvokeReturn::exit(ExitCode::new(33), None));
        }
        Ok(InvokeReturn::ok(None))
    }
}

struct Chain {
    exec: Executor,
    keys: Vec<SigningKey>,
    nonces: Vec<u64>,
}

fn key(i: u8) -> SigningKey {
    SigningKey::from_slice(&[i + 1; 32]).unwrap()
}

fn chain_on(store: VmStore) -> Chain {
    let keys: Vec<_> = (0..3).map(key).collect();
    let accounts = keys
        .iter()
        .map(|k| GenesisAccount {
            address: secp256k1_address(k),
            balance: TokenAmount::from_atto(100 * FIL as u128),
        })
        .collect();
    let root = genesis::build(
        store.clone(),
        &Genesis {
            network_name: "test".into(),
            accounts,
        },
    )
    .unwrap();
    let state = StateTree::load(store, &root).unwrap();
    let runtimes = Runtimes::new()
        .with(Arc::new(BuiltinRuntime))
        .with(Arc::new(Recursor))
        .with(Arc::new(Misbehaving));
    let machine = Machine::new(state, NetworkContext::default(), runtimes).unwrap();
    Chain {
        exec: Executor::new(machine),
        nonces: vec![0; keys.len()],
        keys,
    }
}

impl Chain {
    fn addr(&self, i: usize) -> Address {
        secp256k1_address(&self.keys[i])
    }

    fn message(
        &self,
        from: usize,
        to: Address,
        value: u128,
        method: u64,
        params: Vec<u8>,
    ) -> Message {
        Message {
            version: 0,
            from: self.addr(from),
            to,
            sequence: self.nonces[from],
            value: TokenAmount::from_atto(value),
            method_num: method,
            params: RawBytes::new(params),
            gas_limit: 10_000_000,
            gas_fee_cap: TokenAmount::from_atto(2_000_000_000u64),
            gas_premium: TokenAmount::from_atto(1_000_000_000u64),
        }
    }

    fn send(&mut self, from: usize, msg: Message) -> tandem_vm::message::ApplyRet {
        let signed = SignedMessage::sign_secp256k1(msg, &self.keys[from]).unwrap();
        let ret = self.exec.apply_signed(&signed).unwrap();
        if ret.applied {
            self.nonces[from] += 1;
        }
        ret
    }

    fn balance(&mut self, addr: &Address) -> TokenAmount {
        let id = self.exec.machine.state.lookup_id(addr).unwrap().unwrap();
        self.exec
            .machine
            .state
            .get_actor(id)
            .unwrap()
            .unwrap()
            .balance
    }

    fn deploy_recursor(&mut self) -> Address {
        self.deploy_test_actor(b"recursor", recursor_code())
    }

    fn deploy_test_actor(&mut self, seed: &[u8], code: Cid) -> Address {
        let state = &mut self.exec.machine.state;
        let addr = Address::new_actor(seed);
        let id = state.register_new_address(&addr).unwrap();
        let empty = self.exec.machine.empty_object;
        state.set_actor(id, ActorRecord::new(code, empty, None));
        self.exec.flush().unwrap();
        Address::new_id(id)
    }

    fn record(&mut self, addr: &Address) -> ActorRecord {
        let id = self.exec.machine.state.lookup_id(addr).unwrap().unwrap();
        self.exec.machine.state.get_actor(id).unwrap().unwrap()
    }
}

#[test]
fn value_transfer_moves_funds_and_pays_gas() {
    let mut c = chain_on(VmStore::memory());
    let to = c.addr(1);
    let before = c.balance(&c.addr(0));
    let msg = c.message(0, to, 5 * FIL as u128, 0, vec![]);
    let ret = c.send(0, msg);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert_eq!(c.balance(&to), TokenAmount::from_atto(105 * FIL as u128));
    let gas_paid = ret.gas.base_fee_burn.clone() + ret.gas.miner_tip.clone();
    assert!(ret.receipt.gas_used >= 21_000);
    assert_eq!(
        c.balance(&c.addr(0)),
        before - TokenAmount::from_atto(5 * FIL as u128) - gas_paid
    );
}

#[test]
fn replayed_and_gapped_nonces_are_rejected_without_changes() {
    let mut c = chain_on(VmStore::memory());
    let to = c.addr(1);
    let msg = c.message(0, to, 1, 0, vec![]);
    let signed = SignedMessage::sign_secp256k1(msg, &c.keys[0]).unwrap();
    assert_eq!(
        c.exec.apply_signed(&signed).unwrap().receipt.exit_code,
        ExitCode::OK
    );
    let root = c.exec.flush().unwrap();
    let replay = c.exec.apply_signed(&signed).unwrap();
    assert_eq!(replay.receipt.exit_code, ExitCode::SYS_SENDER_STATE_INVALID);
    assert!(!replay.applied);
    let mut gap = c.message(0, to, 1, 0, vec![]);
    gap.sequence = 7;
    let gap = c
        .exec
        .apply_signed(&SignedMessage::sign_secp256k1(gap, &c.keys[0]).unwrap())
        .unwrap();
    assert_eq!(gap.receipt.exit_code, ExitCode::SYS_SENDER_STATE_INVALID);
    assert_eq!(c.exec.flush().unwrap(), root);
}

#[test]
fn bad_signature_unknown_receiver_and_low_gas_get_receipts() {
    let mut c = chain_on(VmStore::memory());
    let to = c.addr(1);
    // Signed by the wrong key.
    let msg = c.message(0, to, 1, 0, vec![]);
    let forged = SignedMessage::sign_secp256k1(msg, &c.keys[2]).unwrap();
    assert_eq!(
        c.exec.apply_signed(&forged).unwrap().receipt.exit_code,
        ExitCode::SYS_SENDER_INVALID
    );
    // An unknown ID address.
    let msg = c.message(0, Address::new_id(9_999), 1, 0, vec![]);
    assert_eq!(
        c.send(0, msg).receipt.exit_code,
        ExitCode::SYS_INVALID_RECEIVER
    );
    // A gas limit below the inclusion cost.
    let mut msg = c.message(0, to, 1, 0, vec![]);
    msg.gas_limit = 100;
    assert_eq!(c.send(0, msg).receipt.exit_code, ExitCode::SYS_OUT_OF_GAS);
    // More value than the balance.
    let msg = c.message(0, to, 1_000 * FIL as u128, 0, vec![]);
    assert_eq!(
        c.send(0, msg).receipt.exit_code,
        ExitCode::SYS_INSUFFICIENT_FUNDS
    );
    // An unknown method on an account, and malformed params to Init.
    let msg = c.message(0, to, 0, 5, vec![]);
    assert_eq!(
        c.send(0, msg).receipt.exit_code,
        ExitCode::USR_UNHANDLED_MESSAGE
    );
    let msg = c.message(0, Address::new_id(1), 0, 2, vec![0xff, 0x00]);
    assert_eq!(
        c.send(0, msg).receipt.exit_code,
        ExitCode::USR_SERIALIZATION
    );
}

#[test]
fn failed_nested_call_rolls_back_everything() {
    let mut c = chain_on(VmStore::memory());
    let recursor = c.deploy_recursor();
    let root_before = c.exec.flush().unwrap();
    let id = match recursor.payload() {
        fvm_shared::address::Payload::ID(id) => *id,
        _ => unreachable!(),
    };
    // Ten nested frames each bump the nonce and forward value; the outermost then fails.
    let params = fvm_ipld_encoding::to_vec(&(10u64, true, 1u64, false)).unwrap();
    let msg = c.message(0, recursor, 1_000, 2, params);
    let ret = c.send(0, msg);
    assert_eq!(ret.receipt.exit_code, ExitCode::new(33));
    let actor = c.exec.machine.state.get_actor(id).unwrap().unwrap();
    assert_eq!(actor.sequence, 0, "nested nonce bumps were rolled back");
    assert_eq!(actor.balance, TokenAmount::default(), "the value came back");
    // Only the sender's nonce and gas payment changed.
    let root_after = c.exec.flush().unwrap();
    assert_ne!(root_before, root_after);
    let sender = c.exec.machine.state.lookup_id(&c.addr(0)).unwrap().unwrap();
    assert_eq!(
        c.exec
            .machine
            .state
            .get_actor(sender)
            .unwrap()
            .unwrap()
            .sequence,
        1
    );
}

#[test]
fn successful_nested_calls_commit() {
    let mut c = chain_on(VmStore::memory());
    let recursor = c.deploy_recursor();
    let params = fvm_ipld_encoding::to_vec(&(5u64, false, 0u64, false)).unwrap();
    let msg = c.message(0, recursor, 0, 2, params);
    assert_eq!(c.send(0, msg).receipt.exit_code, ExitCode::OK);
    let id = c.exec.machine.state.lookup_id(&recursor).unwrap().unwrap();
    assert_eq!(
        c.exec
            .machine
            .state
            .get_actor(id)
            .unwrap()
            .unwrap()
            .sequence,
        6
    );
}

#[test]
fn call_depth_is_limited_to_1024() {
    let mut c = chain_on(VmStore::memory());
    // 1025 frames need more gas than the default block allows.
    c.exec.machine.network.block_gas_limit = 100_000_000;
    let recursor = c.deploy_recursor();
    // 1024 nested sends reach depth 1024: allowed.
    let params = fvm_ipld_encoding::to_vec(&(1024u64, false, 0u64, false)).unwrap();
    let mut msg = c.message(0, recursor, 0, 2, params);
    msg.gas_limit = 100_000_000;
    let ok = run_big_stack(move || {
        let mut c = c;
        let r = c.send(0, msg);
        (c, r)
    });
    let (c, r) = ok;
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.failure);
    // One more is refused by the call manager (the recursor turns that into exit 40).
    let params = fvm_ipld_encoding::to_vec(&(1025u64, false, 0u64, false)).unwrap();
    let mut msg = c.message(0, recursor, 0, 2, params);
    msg.gas_limit = 100_000_000;
    let (_, r) = run_big_stack(move || {
        let mut c = c;
        let r = c.send(0, msg);
        (c, r)
    });
    assert_eq!(r.receipt.exit_code, ExitCode::new(40));
}

#[test]
fn gas_exhaustion_mid_call_fails_with_out_of_gas_and_charges_the_limit() {
    let mut c = chain_on(VmStore::memory());
    let recursor = c.deploy_recursor();
    let params = fvm_ipld_encoding::to_vec(&(0u64, false, 0u64, true)).unwrap();
    let msg = c.message(0, recursor, 0, 2, params);
    let limit = msg.gas_limit;
    let ret = c.send(0, msg);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_OUT_OF_GAS);
    assert_eq!(ret.receipt.gas_used, limit);
}

#[test]
fn same_messages_give_the_same_root_on_every_store() {
    let tmp = tempfile::tempdir().unwrap();
    let redb = tandem_state::blockstore::RedbStore::create(tmp.path().join("s.redb")).unwrap();
    let on_disk = VmStore::new(Arc::new(tandem_state::blockstore::BufferedStore::new(redb)));
    let roots: Vec<Cid> = [VmStore::memory(), VmStore::memory(), on_disk]
        .into_iter()
        .map(|store| {
            let mut c = chain_on(store);
            for i in 0..20u128 {
                let to = c.addr((i % 2 + 1) as usize);
                let msg = c.message(0, to, i + 1, 0, vec![]);
                assert_eq!(c.send(0, msg).receipt.exit_code, ExitCode::OK);
            }
            c.exec.flush().unwrap()
        })
        .collect();
    assert_eq!(roots[0], roots[1]);
    assert_eq!(roots[0], roots[2], "in memory and on disk agree");
}

fn run_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn implicit_system_messages_run_in_their_own_budget_without_fees() {
    let mut c = chain_on(VmStore::memory());
    let recursor = c.deploy_recursor();
    let params = fvm_ipld_encoding::to_vec(&(3u64, false, 0u64, false)).unwrap();
    let msg = Message {
        version: 0,
        from: Address::new_id(0),
        to: recursor,
        sequence: 0,
        value: TokenAmount::default(),
        method_num: 2,
        params: RawBytes::new(params),
        gas_limit: 1_000_000,
        gas_fee_cap: TokenAmount::default(),
        gas_premium: TokenAmount::default(),
    };
    let ret = c.exec.apply_implicit(&msg).unwrap();
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    assert!(ret.receipt.gas_used > 0);
    let system = c.exec.machine.state.get_actor(0).unwrap().unwrap();
    assert_eq!(system.sequence, 0);
    assert_eq!(system.balance, TokenAmount::default());
}

/// Tries to open a block it was never given, then its own state, then a block it created,
/// then its first state again after moving its root.
struct Prober;

fn prober_code() -> Cid {
    Cid::new_v1(
        0x55,
        multihash_codetable::Multihash::wrap(0, b"test/prober").unwrap(),
    )
}

impl Runtime for Prober {
    fn name(&self) -> &'static str {
        "prober"
    }
    fn runs(&self, code: &Cid) -> bool {
        *code == prober_code()
    }
    fn invoke(&self, k: &mut dyn Kernel) -> KResult<InvokeReturn> {
        let secret: Cid = k.params().unwrap().deserialize::<(Cid,)>().unwrap().0;
        // Not reachable: it sits in the store, but nothing this actor holds links to it.
        let denied = matches!(
            k.block_get(&secret),
            Err(tandem_vm::kernel::ExecutionError::Syscall(
                fvm_shared::error::ErrorNumber::NotFound,
                _
            ))
        );
        let root = k.root()?;
        let own_state = k.block_get(&root).is_ok();
        let created = k.block_put(
            fvm_ipld_encoding::DAG_CBOR,
            &fvm_ipld_encoding::to_vec(&42u64).unwrap(),
        )?;
        let own_block = k.block_get(&created).is_ok();
        // A block linking to the secret may not be created either.
        let linking = fvm_ipld_encoding::to_vec(&(secret,)).unwrap();
        let link_denied = k.block_put(fvm_ipld_encoding::DAG_CBOR, &linking).is_err();
        // A root read once stays reachable after the state moves on and the new root is read.
        k.set_root(created)?;
        let moved = k.root()? == created;
        let old_state = k.block_get(&root).is_ok();
        let ok = denied && own_state && own_block && link_denied && moved && old_state;
        Ok(InvokeReturn::exit(
            if ok { ExitCode::OK } else { ExitCode::new(99) },
            None,
        ))
    }
}

#[test]
fn actors_only_open_blocks_reachable_from_their_state_or_params() {
    let store = VmStore::memory();
    let mut c = chain_on(store.clone());
    c.exec.machine.runtimes.push(Arc::new(Prober));
    let secret = tandem_state::state_tree::put_cbor(&store, &"someone else's data").unwrap();
    let state = &mut c.exec.machine.state;
    let addr = Address::new_actor(b"prober");
    let id = state.register_new_address(&addr).unwrap();
    let head = tandem_state::state_tree::put_cbor(&store, &vec![1u64, 2, 3]).unwrap();
    state.set_actor(id, ActorRecord::new(prober_code(), head, None));
    // Top-level params are plain CBOR (0x51): links in them from off-chain are not reachable
    // (as in FIP-0071), so naming the secret does not grant access to it.
    let params = fvm_ipld_encoding::to_vec(&(secret,)).unwrap();
    let msg = c.message(0, Address::new_id(id), 0, 2, params);
    let ret = c.send(0, msg);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
}

/// A test actor that misbehaves in the ways issue 11 lists, by method: 2 changes its state
/// and returns a malformed DAG-CBOR block; 3 changes state (nonce, slot, transient) and then
/// hits a fatal error; 4 sends its own constructor again.
struct Misbehaving;

fn misbehaving_code() -> Cid {
    Cid::new_v1(
        0x55,
        multihash_codetable::Multihash::wrap(0, b"test/misbehaving").unwrap(),
    )
}

impl Runtime for Misbehaving {
    fn name(&self) -> &'static str {
        "misbehaving"
    }
    fn runs(&self, code: &Cid) -> bool {
        *code == misbehaving_code()
    }
    fn invoke(&self, k: &mut dyn Kernel) -> KResult<InvokeReturn> {
        k.charge_gas("step", Gas::new(1_000))?;
        match k.context().method {
            2 => {
                k.bump_nonce()?;
                k.slot_set(&[1; 32], &[2; 32])?;
                Ok(InvokeReturn::ok(Some(IpldBlock {
                    codec: fvm_ipld_encoding::DAG_CBOR,
                    data: vec![0x82, 0xd8, 0x2a, 0xff],
                })))
            }
            3 => {
                k.bump_nonce()?;
                k.slot_set(&[1; 32], &[3; 32])?;
                k.transient_set(&[4; 32], &[5; 32])?;
                Err(tandem_vm::kernel::ExecutionError::Fatal(anyhow::anyhow!(
                    "a bug, on purpose"
                )))
            }
            4 => {
                let me = Address::new_id(k.context().receiver);
                let out = k.send(SendRequest {
                    to: me,
                    method: 1,
                    params: None,
                    value: TokenAmount::default(),
                    gas_limit: None,
                    read_only: false,
                })?;
                Ok(InvokeReturn::exit(out.exit_code, out.return_data))
            }
            _ => {
                k.bump_nonce()?;
                Ok(InvokeReturn::ok(None))
            }
        }
    }
}

#[test]
fn a_callee_whose_return_is_malformed_fails_and_leaves_nothing_behind() {
    let mut c = chain_on(VmStore::memory());
    let actor = c.deploy_test_actor(b"misbehaving", misbehaving_code());
    let before = c.record(&actor);
    let msg = c.message(0, actor, 7, 2, vec![]);
    let ret = c.send(0, msg);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_MISSING_RETURN);
    let after = c.record(&actor);
    assert_eq!(after.sequence, before.sequence, "the callee's write stayed");
    assert_eq!(
        after.balance, before.balance,
        "the value it received stayed"
    );
    let id = c.exec.machine.state.lookup_id(&actor).unwrap().unwrap();
    let (slot, _) = c.exec.machine.state.slot_get(id, &[1; 32]).unwrap();
    assert_eq!(slot, [0; 32]);
}

#[test]
fn a_fatal_error_rolls_the_whole_message_back_and_the_chain_goes_on() {
    let mut c = chain_on(VmStore::memory());
    let actor = c.deploy_test_actor(b"misbehaving", misbehaving_code());
    let root_before = c.exec.flush().unwrap();
    let sender = c.addr(0);
    let (nonce, balance) = {
        let r = c.record(&sender);
        (r.sequence, r.balance)
    };
    let msg = c.message(0, actor, 5, 3, vec![]);
    let ret = c.send(0, msg);
    assert!(!ret.applied, "a fatal message is not included");
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_ASSERTION_FAILED);
    assert!(
        ret.failure
            .as_deref()
            .unwrap_or("")
            .contains("a bug, on purpose")
    );
    let r = c.record(&sender);
    assert_eq!(
        (r.sequence, r.balance),
        (nonce, balance),
        "nonce or payment stuck"
    );
    let id = c.exec.machine.state.lookup_id(&actor).unwrap().unwrap();
    assert_eq!(c.exec.machine.state.transient_get(id, &[4; 32]), [0; 32]);
    assert_eq!(c.exec.flush().unwrap(), root_before, "state changed");
    // The next message from the same sender, with the same nonce, goes through.
    let msg = c.message(0, actor, 0, 5, vec![]);
    let ret = c.send(0, msg);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
}

#[test]
fn the_constructor_runs_only_once_when_init_creates_the_actor() {
    let mut c = chain_on(VmStore::memory());
    let actor = c.deploy_test_actor(b"misbehaving", misbehaving_code());
    let before = c.record(&actor);
    // From outside.
    let msg = c.message(0, actor, 0, 1, vec![]);
    let ret = c.send(0, msg);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_FORBIDDEN);
    let reason: String = ret.receipt.return_data.deserialize().unwrap();
    assert!(reason.contains("constructor"), "{reason}");
    // From the actor itself.
    let msg = c.message(0, actor, 0, 4, vec![]);
    let ret = c.send(0, msg);
    assert_eq!(ret.receipt.exit_code, ExitCode::USR_FORBIDDEN);
    assert_eq!(c.record(&actor).sequence, before.sequence);
}

#[test]
fn native_gas_limits_are_capped_by_the_block_gas_limit() {
    let mut c = chain_on(VmStore::memory());
    let to = c.addr(1);
    let mut msg = c.message(0, to, 1, 0, vec![]);
    msg.gas_limit = c.exec.machine.network.block_gas_limit + 1;
    let ret = c.send(0, msg);
    assert!(!ret.applied);
    assert_eq!(ret.receipt.exit_code, ExitCode::SYS_SENDER_INVALID);
    assert!(ret.failure.unwrap().contains("block gas limit"));
}
