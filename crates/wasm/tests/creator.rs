//! `msg_creator`: in a constructor Init runs, the actor that asked Init to create it (the
//! account of a top-level Exec, the actor whose `actor_create` or Exec send made it), as
//! Ethereum's `msg.sender` in a constructor; 0 in every other frame. The VM takes it from
//! Init's own frame, so nothing in a message can claim it.

use crate::common;

use common::*;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::error::{ErrorNumber, ExitCode};
use tandem_actors::init::{Create2Params, ExecReturn, create2_method};

/// The probe. Method 1 (constructor): stores `msg_creator` in slot 0; with params (a CBOR
/// byte string of a code CID) it also creates an actor of that code and stores its ID in
/// slot 1. Method 2: returns slot 0 and slot 1 (8 bytes each). Method 3 (params: a code CID
/// as above): `actor_create`, returns its out-struct (16 bytes). Method 4: returns this
/// frame's `msg_creator`. Method 5 (params: a CBOR byte string of an address): sends method
/// 1 there, returns `{exit u32, ret_id u32}`. Method 6 (params: a CBOR byte string
/// `[page, n]`): calls `msg_creator` `n` times with its out pointer at `page * 65536`.
const PROBE: &str = r#"(module
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (import "tandem_v1" "msg_creator" (func $creator (param i32) (result i32)))
  (import "tandem_v1" "slot_get" (func $sget (param i32 i32) (result i32)))
  (import "tandem_v1" "slot_set" (func $sset (param i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_read" (func $read (param i32 i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_create" (func $make (param i64 i32 i32 i32) (result i32)))
  (import "tandem_v1" "actor_create" (func $create (param i32 i32 i32 i64 i64 i32) (result i32)))
  (import "tandem_v1" "send" (func $send (param i32 i32 i64 i32 i64 i64 i64 i64 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: msg_context; 128: msg_creator out; 256: slot key; 288: slot value; 512: params;
  ;; 1000: lengths and block ids; 1024: actor_create/send out; 2048: the reply.
  (func $check (param $rc i32)
    (if (local.get $rc) (then
      (drop (call $abort (i32.add (i32.const 100) (local.get $rc))
        (i32.const 0) (i32.const 0) (i32.const 0))))))
  ;; Reads the params block (a CBOR byte string) to 512; its length with the head.
  (func $params (param $p i32) (result i32)
    (call $check (call $read (local.get $p) (i32.const 0) (i32.const 512) (i32.const 256)
      (i32.const 1000)))
    (i32.load (i32.const 1000)))
  (func $reply (param $ptr i32) (param $len i32) (result i32)
    (call $check (call $make (i64.const 0x55) (local.get $ptr) (local.get $len)
      (i32.const 1004)))
    (i32.load (i32.const 1004)))
  (func $store (param $key i32) (param $v i64)
    (i32.store8 (i32.const 256) (local.get $key))
    (i64.store (i32.const 288) (local.get $v))
    (call $check (call $sset (i32.const 256) (i32.const 288))))
  (func $load (param $key i32) (result i64)
    (i32.store8 (i32.const 256) (local.get $key))
    (call $check (call $sget (i32.const 256) (i32.const 288)))
    (i64.load (i32.const 288)))
  (func $spawn (param $p i32)
    (local $n i32)
    (local.set $n (call $params (local.get $p)))
    (call $check (call $create (i32.const 514) (i32.sub (local.get $n) (i32.const 2))
      (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 1024))))
  (func (export "invoke") (param $p i32) (result i32)
    (local $m i64)
    (local $n i32)
    (call $check (call $ctx (i32.const 0)))
    (local.set $m (i64.load (i32.const 24)))
    (if (i64.eq (local.get $m) (i64.const 1)) (then
      (call $check (call $creator (i32.const 128)))
      (call $store (i32.const 0) (i64.load (i32.const 128)))
      (if (local.get $p) (then
        (call $spawn (local.get $p))
        (call $store (i32.const 1) (i64.load (i32.const 1032)))))
      (return (i32.const 0))))
    (if (i64.eq (local.get $m) (i64.const 2)) (then
      (i64.store (i32.const 2048) (call $load (i32.const 0)))
      (i64.store (i32.const 2056) (call $load (i32.const 1)))
      (return (call $reply (i32.const 2048) (i32.const 16)))))
    (if (i64.eq (local.get $m) (i64.const 3)) (then
      (call $spawn (local.get $p))
      (return (call $reply (i32.const 1024) (i32.const 16)))))
    (if (i64.eq (local.get $m) (i64.const 4)) (then
      (i64.store (i32.const 128) (i64.const -1))
      (call $check (call $creator (i32.const 128)))
      (return (call $reply (i32.const 128) (i32.const 8)))))
    (if (i64.eq (local.get $m) (i64.const 5)) (then
      (local.set $n (call $params (local.get $p)))
      (call $check (call $send (i32.const 513) (i32.sub (local.get $n) (i32.const 1))
        (i64.const 1) (i32.const 0)
        (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i32.const 1024)))
      (return (call $reply (i32.const 1024) (i32.const 8)))))
    (if (i64.eq (local.get $m) (i64.const 6)) (then
      (call $check (call $read (local.get $p) (i32.const 1) (i32.const 512) (i32.const 2)
        (i32.const 1000)))
      (local.set $n (i32.load8_u (i32.const 513)))
      (block $done (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (call $check (call $creator
          (i32.mul (i32.load8_u (i32.const 512)) (i32.const 65536))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
      (return (i32.const 0))))
    (unreachable)))"#;

/// A CBOR byte string of 24..=255 bytes (a two-byte head, as the probe's create expects).
fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    assert!((24..=255).contains(&b.len()));
    let mut v = vec![0x58, b.len() as u8];
    v.extend_from_slice(b);
    v
}

fn u64s(ret: &tandem_vm::message::ApplyRet) -> Vec<u64> {
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    ret.receipt
        .return_data
        .bytes()
        .chunks(8)
        .map(|w| u64::from_le_bytes(w.try_into().unwrap()))
        .collect()
}

fn id(a: &ExecReturn) -> u64 {
    a.id_address.id().unwrap()
}

#[test]
fn a_constructor_sees_the_actor_that_asked_init_and_no_other_frame_sees_one() {
    let mut c = chain();
    let (ret, code) = c.install(&wat(PROBE));
    let code = code.unwrap_or_else(|| panic!("{:?}", ret.failure));
    let account = c.id_of(&c.addr(0));
    let code_param = cbor_bytes(&code.to_bytes());

    // A top-level Exec from an account: the account (the constructor's caller is Init).
    let (ret, p1) = c.create(code, vec![]);
    let p1 = p1.unwrap_or_else(|| panic!("{:?}", ret.failure));
    assert_eq!(u64s(&c.call(p1.id_address, 2, vec![])), [account, 0]);

    // An actor creating another (actor_create, a send to Init's Exec): the actor.
    let out = u64s(&c.call(p1.id_address, 3, code_param.clone()));
    assert_eq!(out[0] & 0xffff_ffff, 0, "actor_create's exit code");
    let child = out[1];
    assert!(child > id(&p1));
    assert_eq!(
        u64s(&c.call(Address::new_id(child), 2, vec![])),
        [id(&p1), 0]
    );

    // Nested: P2's constructor creates G, so G's creator is P2 and P2's is the account.
    let (ret, p2) = c.create(code, code_param.clone());
    let p2 = p2.unwrap_or_else(|| panic!("{:?}", ret.failure));
    let created = u64s(&c.call(p2.id_address, 2, vec![]));
    assert_eq!(created[0], account);
    let grandchild = created[1];
    assert!(grandchild > id(&p2));
    assert_eq!(
        u64s(&c.call(Address::new_id(grandchild), 2, vec![])),
        [id(&p2), 0]
    );

    // Create2 goes through Exec too: the account that sent it.
    let params = fvm_ipld_encoding::to_vec(&Create2Params {
        code_cid: code.to_bytes(),
        constructor_params: RawBytes::new(vec![]),
        salt: [7; 32],
    })
    .unwrap();
    let ret = c.call(Address::new_id(1), create2_method(), params);
    assert_eq!(ret.receipt.exit_code, ExitCode::OK, "{:?}", ret.failure);
    let made: ExecReturn = ret.receipt.return_data.deserialize().unwrap();
    assert_eq!(u64s(&c.call(made.id_address, 2, vec![])), [account, 0]);

    // Outside a constructor there is none (0), whoever calls.
    assert_eq!(u64s(&c.call(p1.id_address, 4, vec![])), [0]);
    let ret = c.send_as(1, Address::new_id(child), 4, vec![], GAS_LIMIT);
    assert_eq!(u64s(&ret), [0]);

    // A user actor cannot run a constructor again to be seen as a creator: the VM refuses
    // method 1 from anyone but Init in the creating message.
    let target = Address::new_id(child).to_bytes();
    assert!(target.len() < 24);
    let mut to = vec![0x40 | target.len() as u8];
    to.extend_from_slice(&target);
    let out = u64s(&c.call(p1.id_address, 5, to));
    assert_eq!(
        out[0] & 0xffff_ffff,
        u64::from(ExitCode::USR_FORBIDDEN.value())
    );
    // …and the child still records its real creator.
    assert_eq!(
        u64s(&c.call(Address::new_id(child), 2, vec![])),
        [id(&p1), 0]
    );
}

/// A trivial context read: the 30-gas syscall base and a few instructions, like
/// `gas_available`; an out pointer outside memory is an illegal argument.
#[test]
fn msg_creator_is_priced_as_a_context_read_and_checks_its_pointer() {
    let mut c = chain();
    let probe = c.deploy(&wat(PROBE), vec![]);
    let mut run = |page: u8, n: u8| {
        let ret = c.call(probe, 6, vec![0x42, page, n]);
        (ret.receipt.exit_code, ret.receipt.gas_used as i64)
    };
    let (exit, none) = run(0, 0);
    assert_eq!(exit, ExitCode::OK);
    let (exit, ten) = run(0, 10);
    assert_eq!(exit, ExitCode::OK);
    let each = (ten - none) / 10;
    assert!((30..60).contains(&each), "msg_creator: {each} gas");
    // Page 1 starts past the one-page memory.
    let (exit, _) = run(1, 1);
    let want = 100 + ErrorNumber::IllegalArgument as u32;
    assert_eq!(exit.value(), want);
}
