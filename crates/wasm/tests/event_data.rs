//! `event_emit_data`: an event emitted from the actor's memory, with no block made. It must
//! record exactly the event `ipld_block_create` + `event_emit` records for the same bytes, cost
//! one syscall less (the bytes are paid as the block would be), and refuse what `event_emit`
//! refuses: bytes that are not an event, bytes outside memory, more than a block may hold.

use crate::common;

use common::*;
use fvm_ipld_encoding::DAG_CBOR;
use fvm_shared::error::{ErrorNumber, ExitCode};
use fvm_shared::event::{ActorEvent, Entry};
use tandem_vm::gas::PRICE_LIST;

/// `invoke` runs `body` (leaving an i32) for every method but the constructor; `data` sits at
/// 60000.
fn module(body: &str, data: &[u8], pages: u32) -> Vec<u8> {
    let data: String = data.iter().map(|b| format!("\\{b:02x}")).collect();
    wat(&format!(
        r#"(module
  (import "tandem_v1" "ipld_block_create" (func $create (param i64 i32 i32 i32) (result i32)))
  (import "tandem_v1" "event_emit" (func $emit (param i32) (result i32)))
  (import "tandem_v1" "event_emit_data" (func $emit_data (param i32 i32) (result i32)))
  (import "tandem_v1" "vm_abort" (func $abort (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (memory (export "memory") {pages})
  (data (i32.const 60000) "{data}")
  (func (export "invoke") (param $p i32) (result i32)
    (drop (call $ctx (i32.const 1000)))
    (if (i64.eq (i64.load (i32.const 1024)) (i64.const 1)) (then (return (i32.const 0))))
    {body}))"#
    ))
}

/// Ends the invocation with exit code 100 + the syscall's error number.
fn exit_with(call: &str) -> String {
    format!(
        "(drop (call $abort (i32.add (i32.const 100) {call}) (i32.const 0) (i32.const 0) (i32.const 0))) (i32.const 0)"
    )
}

fn transfer_event() -> ActorEvent {
    let entry = |flags, key: &str, value: Vec<u8>| Entry {
        flags: fvm_shared::event::Flags::from_bits_truncate(flags),
        key: key.into(),
        codec: fvm_ipld_encoding::IPLD_RAW,
        value,
    };
    ActorEvent {
        entries: vec![
            entry(3, "t1", vec![0xdd; 32]),
            entry(3, "t2", vec![0x11; 32]),
            entry(3, "t3", vec![0x22; 32]),
            entry(3, "d", vec![0x05; 32]),
        ],
    }
}

#[test]
fn an_event_from_memory_is_the_event_from_a_block_for_one_syscall_less() {
    let mut c = chain();
    let event = transfer_event();
    let bytes = fvm_ipld_encoding::to_vec(&event).unwrap();
    let n = bytes.len();
    let via_block = module(
        &format!(
            "(drop (call $create (i64.const {DAG_CBOR}) (i32.const 60000) (i32.const {n}) (i32.const 2000)))
             (drop (call $emit (i32.load (i32.const 2000)))) (i32.const 0)"
        ),
        &bytes,
        1,
    );
    let from_memory = module(
        &format!("(drop (call $emit_data (i32.const 60000) (i32.const {n}))) (i32.const 0)"),
        &bytes,
        1,
    );
    let a = c.deploy(&via_block, vec![]);
    let b = c.deploy(&from_memory, vec![]);
    let ra = c.call(a, 2, vec![]);
    let rb = c.call(b, 2, vec![]);
    assert_eq!(ra.receipt.exit_code, ExitCode::OK, "{:?}", ra.failure);
    assert_eq!(rb.receipt.exit_code, ExitCode::OK, "{:?}", rb.failure);
    let events = |r: &tandem_vm::message::ApplyRet| -> Vec<ActorEvent> {
        r.events.iter().map(|e| e.event.clone()).collect()
    };
    assert_eq!(events(&ra), vec![event.clone()]);
    assert_eq!(events(&rb), vec![event]);
    // One syscall less, and a few instructions less (the block id's load, 8 gas, and the
    // call's constants): the bytes cost what the block cost.
    let saved = ra.receipt.gas_used - rb.receipt.gas_used;
    let syscall = PRICE_LIST.syscall.round_up();
    assert!(
        (syscall..=syscall + 12).contains(&saved),
        "from memory saved {saved} gas (one syscall is {syscall})"
    );
}

#[test]
fn event_emit_data_refuses_what_event_emit_refuses() {
    let mut c = chain();
    let not_an_event = [0u8; 64];
    let cases = [
        // zeros are not an event (a CBOR 0, not an array)
        (
            "(call $emit_data (i32.const 60000) (i32.const 64))",
            ErrorNumber::Serialization,
        ),
        // past the end of memory, and a length that wraps past it
        (
            "(call $emit_data (i32.const 1114100) (i32.const 64))",
            ErrorNumber::IllegalArgument,
        ),
        (
            "(call $emit_data (i32.const 60000) (i32.const -1))",
            ErrorNumber::LimitExceeded,
        ),
        // more than a block may hold, though the memory has it
        (
            "(call $emit_data (i32.const 0) (i32.const 1048577))",
            ErrorNumber::LimitExceeded,
        ),
    ];
    for (call, want) in cases {
        let a = c.deploy(&module(&exit_with(call), &not_an_event, 17), vec![]);
        let ret = c.call(a, 2, vec![]);
        assert_eq!(
            ret.receipt.exit_code,
            ExitCode::new(100 + want as u32),
            "{call}: {:?}",
            ret.failure
        );
        assert!(ret.events.is_empty(), "{call}: nothing is recorded");
    }
    c.exec.flush().expect("the state still commits");
}
