//! The calibration probes: instruction classes (the attack modules of the wasm crate's
//! bench, looped a counted number of times), syscalls and instantiation costs.

use fvm_shared::address::Address;
use fvm_shared::event::{ActorEvent, Entry, Flags};

use super::{Kind, Probe};
use crate::chain::BenchChain;

#[path = "../../../wasm/benches/support/attack_modules.rs"]
mod attack_modules;

use attack_modules::{Attack, COUNTED};

mod operators;
use operators::out_of_line_and_float_probes;

/// Actors and addresses the probes refer to.
#[derive(PartialEq, Eq)]
pub(crate) struct Fixtures {
    /// An actor whose `invoke` returns at once: the callee of the send probe.
    empty: Address,
    /// An account that exists, for `actor_resolve`.
    account: Address,
    /// Actors whose `invoke` traps (but for the constructor): by `unreachable`, and by a
    /// load past the end of memory (wasmtime takes both through a signal handler).
    unreachable: Address,
    out_of_bounds: Address,
}

/// An actor whose methods but the constructor run `trap` (WAT instructions).
fn trapping(trap: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "invoke") (param i32) (result i32)
    (drop (call $ctx (i32.const 0)))
    (if (i64.eq (i64.load (i32.const 24)) (i64.const 1)) (then (return (i32.const 0))))
    {trap}))"#
    ))
    .expect("trapping module")
}

impl Fixtures {
    pub fn deploy(chain: &mut BenchChain) -> anyhow::Result<Self> {
        let empty = chain.deploy_native(&attack_modules::instantiation(0, 1, 0), Vec::new())?;
        Ok(Self {
            empty,
            account: chain.receivers[0],
            unreachable: chain.deploy_native(&trapping("unreachable"), Vec::new())?,
            out_of_bounds: chain
                .deploy_native(&trapping("(i32.load (i32.const 1000000))"), Vec::new())?,
        })
    }
}

/// A looped probe: `attack` run once (base) and `1 + n` times (loaded).
fn looped(name: &'static str, kind: Kind, unit: &'static str, attack: Attack, n: u32) -> Probe {
    Probe {
        name,
        kind,
        unit,
        base: attack.wasm(1),
        loaded: attack.wasm(1 + n),
        units: f64::from(n) * f64::from(attack.ops_per_iter),
        method: COUNTED,
        fresh: false,
    }
}

/// An attack-shaped module that calls syscalls: `imports`, data segments in `extra`,
/// `setup` once and `body` per iteration.
fn syscall(imports: &'static str, extra: String, setup: &str, body: &str, pages: u32) -> Attack {
    Attack {
        name: "",
        pages,
        imports,
        extra,
        setup: setup.into(),
        body: body.into(),
        ops_per_iter: 1,
    }
}

fn data(offset: u32, bytes: &[u8]) -> String {
    let escaped: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
    format!(r#"(data (i32.const {offset}) "{escaped}")"#)
}

const SLOT_IMPORTS: &str = r#"(import "tandem_v1" "slot_get" (func $sget (param i32 i32) (result i32)))
  (import "tandem_v1" "slot_set" (func $sset (param i32 i32) (result i32)))"#;
const TRANSIENT_IMPORTS: &str = r#"(import "tandem_v1" "transient_get" (func $tget (param i32 i32) (result i32)))
  (import "tandem_v1" "transient_set" (func $tset (param i32 i32) (result i32)))"#;
const BLOCK_IMPORTS: &str = r#"(import "tandem_v1" "ipld_block_create" (func $create (param i64 i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_open" (func $open (param i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_read" (func $read (param i32 i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "ipld_block_link" (func $link (param i32 i32 i32 i32) (result i32)))
  (import "tandem_v1" "event_emit" (func $emit (param i32) (result i32)))"#;
const ACTOR_IMPORTS: &str = r#"(import "tandem_v1" "actor_resolve" (func $resolve (param i32 i32 i32) (result i32)))
  (import "tandem_v1" "send" (func $send (param i32 i32 i64 i32 i64 i64 i64 i64 i32) (result i32)))"#;

/// `actor_resolve` and the probed syscall `$probed` (`name`, params `sig`, an i32 result).
macro_rules! actor_imports {
    ($name:literal, $sig:literal) => {
        concat!(
            r#"(import "tandem_v1" "actor_resolve" (func $resolve (param i32 i32 i32) (result i32)))
  (import "tandem_v1" ""#,
            $name,
            r#"" (func $probed "#,
            $sig,
            " (result i32)))"
        )
    };
}

/// A fresh 32-byte key per iteration and message: the message nonce (msg_context at 0,
/// nonce at 32) and the loop counter.
const FRESH_KEY: &str = "(i64.store (i32.const 1024) (i64.load (i32.const 32)))
      (i32.store (i32.const 1032) (local.get $i))";

/// A 1 KiB RAW block made from memory at 4096 (codec 0x55); its handle in `$t`.
const MAKE_BLOCK: &str =
    "(drop (call $create (i64.const 0x55) (i32.const 4096) (i32.const 1024) (i32.const 600)))
    (local.set $t (i32.load (i32.const 600)))";

fn syscall_probes(f: &Fixtures) -> anyhow::Result<Vec<Probe>> {
    use Kind::*;
    let event = fvm_ipld_encoding::to_vec(&ActorEvent {
        entries: ["type", "from", "to", "amount"]
            .iter()
            .map(|k| Entry {
                flags: Flags::FLAG_INDEXED_ALL,
                key: (*k).into(),
                codec: 0x71,
                value: vec![0x1b, 1, 2, 3, 4, 5, 6, 7, 8],
            })
            .collect(),
    })?;
    let event_len = event.len();
    let account = f.account.to_bytes();
    Ok(vec![
        looped(
            "syscall round trip (msg_context)",
            Compute,
            "call",
            syscall("", String::new(), "", "(drop (call $ctx (i32.const 0)))", 1),
            4_000,
        ),
        looped(
            "syscall round trip (network_context)",
            Compute,
            "call",
            syscall(
                r#"(import "tandem_v1" "network_context" (func $net (param i32) (result i32)))"#,
                String::new(),
                "",
                "(drop (call $net (i32.const 0)))",
                1,
            ),
            4_000,
        ),
        looped(
            "syscall round trip (debug_enabled: no arguments, no memory)",
            Compute,
            "call",
            syscall(
                r#"(import "tandem_v1" "debug_enabled" (func $debugging (result i32)))"#,
                String::new(),
                "",
                "(local.set $x (i32.add (local.get $x) (call $debugging)))",
                1,
            ),
            4_000,
        ),
        looped(
            "slot_get, warm",
            Compute,
            "call",
            syscall(
                SLOT_IMPORTS,
                String::new(),
                "",
                "(drop (call $sget (i32.const 1024) (i32.const 1100)))",
                1,
            ),
            4_000,
        ),
        looped(
            "slot_get, cold (absent)",
            Storage,
            "call",
            syscall(
                SLOT_IMPORTS,
                String::new(),
                "",
                &format!("{FRESH_KEY} (drop (call $sget (i32.const 1024) (i32.const 1100)))"),
                1,
            ),
            2_000,
        ),
        looped(
            "slot_set, warm update",
            Storage,
            "call",
            syscall(
                SLOT_IMPORTS,
                String::new(),
                "(i32.store (i32.const 1100) (i32.const 7)) (drop (call $sset (i32.const 1024) (i32.const 1100)))",
                "(i32.store (i32.const 1100) (local.get $i)) (drop (call $sset (i32.const 1024) (i32.const 1100)))",
                1,
            ),
            2_000,
        ),
        looped(
            "slot_set, new slot",
            State,
            "call",
            syscall(
                SLOT_IMPORTS,
                String::new(),
                "(i32.store (i32.const 1100) (i32.const 7))",
                &format!("{FRESH_KEY} (drop (call $sset (i32.const 1024) (i32.const 1100)))"),
                1,
            ),
            200,
        ),
        looped(
            "transient_get",
            Compute,
            "call",
            syscall(
                TRANSIENT_IMPORTS,
                String::new(),
                "",
                "(drop (call $tget (i32.const 1024) (i32.const 1100)))",
                1,
            ),
            4_000,
        ),
        looped(
            "transient_set, same key",
            Compute,
            "call",
            syscall(
                TRANSIENT_IMPORTS,
                String::new(),
                "",
                "(i32.store (i32.const 1100) (local.get $i)) (drop (call $tset (i32.const 1024) (i32.const 1100)))",
                1,
            ),
            4_000,
        ),
        looped(
            "transient_set, fresh key",
            Compute,
            "call",
            syscall(
                TRANSIENT_IMPORTS,
                String::new(),
                "(i32.store (i32.const 1100) (i32.const 7))",
                &format!("{FRESH_KEY} (drop (call $tset (i32.const 1024) (i32.const 1100)))"),
                1,
            ),
            4_000,
        ),
        looped(
            "ipld_block_create, 1 KiB",
            Compute,
            "call",
            syscall(BLOCK_IMPORTS, String::new(), "", MAKE_BLOCK, 1),
            1_000,
        ),
        looped(
            "ipld_block_read, 1 KiB",
            Compute,
            "call",
            syscall(
                BLOCK_IMPORTS,
                String::new(),
                MAKE_BLOCK,
                "(drop (call $read (local.get $t) (i32.const 0) (i32.const 8192) (i32.const 1024) (i32.const 604)))",
                1,
            ),
            4_000,
        ),
        looped(
            "ipld_block_open, 1 KiB",
            Storage,
            "call",
            syscall(
                BLOCK_IMPORTS,
                String::new(),
                &format!(
                    "{MAKE_BLOCK} (drop (call $link (local.get $t) (i32.const 2048) (i32.const 128) (i32.const 608)))"
                ),
                "(drop (call $open (i32.const 2048) (i32.load (i32.const 608)) (i32.const 640)))",
                1,
            ),
            1_000,
        ),
        looped(
            "ipld_block_link, 1 KiB",
            State,
            "call",
            syscall(
                BLOCK_IMPORTS,
                String::new(),
                "",
                &format!(
                    "(i64.store (i32.const 4096) (i64.load (i32.const 32))) (i32.store (i32.const 4104) (local.get $i)) {MAKE_BLOCK} (drop (call $link (local.get $t) (i32.const 2048) (i32.const 128) (i32.const 608)))"
                ),
                1,
            ),
            50,
        ),
        looped(
            "event_emit, 4 entries",
            Compute,
            "call",
            syscall(
                BLOCK_IMPORTS,
                data(4096, &event),
                &format!(
                    "(drop (call $create (i64.const 0x71) (i32.const 4096) (i32.const {event_len}) (i32.const 600))) (local.set $t (i32.load (i32.const 600)))"
                ),
                "(drop (call $emit (local.get $t)))",
                1,
            ),
            1_000,
        ),
        looped(
            "actor_resolve",
            Storage,
            "call",
            syscall(
                ACTOR_IMPORTS,
                data(2048, &account),
                "",
                &format!(
                    "(drop (call $resolve (i32.const 2048) (i32.const {}) (i32.const 700)))",
                    account.len()
                ),
                1,
            ),
            2_000,
        ),
        looped(
            "self_balance",
            Compute,
            "call",
            syscall(
                r#"(import "tandem_v1" "self_balance" (func $sbal (param i32) (result i32)))"#,
                String::new(),
                "",
                "(drop (call $sbal (i32.const 700)))",
                1,
            ),
            4_000,
        ),
        looped(
            "gas_available",
            Compute,
            "call",
            syscall(
                r#"(import "tandem_v1" "gas_available" (func $gas (param i32) (result i32)))"#,
                String::new(),
                "",
                "(drop (call $gas (i32.const 700)))",
                1,
            ),
            4_000,
        ),
        actor_probe(
            "actor_balance, warm",
            actor_imports!("actor_balance", "(param i64 i32)"),
            "(i32.const 800)",
            &account,
        ),
        actor_probe(
            "actor_code_size, warm",
            actor_imports!("actor_code_size", "(param i64 i32)"),
            "(i32.const 800)",
            &account,
        ),
        actor_probe(
            "actor_code, warm",
            actor_imports!("actor_code", "(param i64 i32 i32 i32)"),
            "(i32.const 800) (i32.const 100) (i32.const 900)",
            &account,
        ),
        actor_probe(
            "actor_lookup_delegated, warm",
            actor_imports!("actor_lookup_delegated", "(param i64 i32 i32 i32)"),
            "(i32.const 800) (i32.const 100) (i32.const 900)",
            &account,
        ),
        fresh(send_probe(
            "send to an actor that traps: unreachable",
            &f.unreachable,
        )),
        fresh(send_probe(
            "send to an actor that traps: load out of bounds",
            &f.out_of_bounds,
        )),
        fresh(send_probe(
            "send to an empty actor (callee frame included)",
            &f.empty,
        )),
    ])
}

/// `$probed` (see [`actor_imports`]) on the actor at `address`, whose ID is resolved once
/// before the loop; `args` follow the ID.
fn actor_probe(row: &'static str, imports: &'static str, args: &str, address: &[u8]) -> Probe {
    looped(
        row,
        Kind::Compute,
        "call",
        syscall(
            imports,
            data(2048, address),
            &format!(
                "(drop (call $resolve (i32.const 2048) (i32.const {}) (i32.const 700)))",
                address.len()
            ),
            &format!("(drop (call $probed (i64.load (i32.const 700)) {args}))"),
            1,
        ),
        4_000,
    )
}

/// Sends to `callee` with method 2 and no params, its exit code dropped.
fn send_probe(name: &'static str, callee: &Address) -> Probe {
    let callee = callee.to_bytes();
    looped(
        name,
        Kind::Compute,
        "call",
        syscall(
            ACTOR_IMPORTS,
            data(2048, &callee),
            "",
            &format!(
                "(drop (call $send (i32.const 2048) (i32.const {}) (i64.const 2) (i32.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i32.const 700)))",
                callee.len()
            ),
            1,
        ),
        200,
    )
}

/// The probe measured on fresh instances only (see `Probe::fresh`).
fn fresh(probe: Probe) -> Probe {
    Probe {
        fresh: true,
        ..probe
    }
}

fn instruction_probes() -> Vec<Probe> {
    use Kind::Compute;
    let direct_call = Attack {
        name: "",
        pages: 1,
        imports: "",
        extra: "(func $inc (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))".into(),
        setup: String::new(),
        body: "(local.set $y (call $inc (local.get $y)))".repeat(4),
        ops_per_iter: 4,
    };
    let bulk = |op: &str| Attack {
        name: "",
        pages: 3,
        imports: "",
        extra: String::new(),
        setup: String::new(),
        body: format!(
            "({op} (i32.const 65536) (i32.and (local.get $i) (i32.const 255)) (i32.const 65536))"
        ),
        ops_per_iter: 65_536,
    };
    let mut probes = out_of_line_and_float_probes();
    probes.extend(vec![
        looped(
            "i64 mul/add/xor",
            Compute,
            "op",
            attack_modules::i64_arith(),
            20_000,
        ),
        looped(
            "load + store, 4 KiB working set",
            Compute,
            "op",
            attack_modules::l1_load_store(),
            20_000,
        ),
        looped(
            "dependent loads, 1 MiB",
            Compute,
            "load",
            attack_modules::memory_chase("", 1),
            4_000,
        ),
        looped("call", Compute, "call", direct_call, 20_000),
        looped(
            "call_indirect",
            Compute,
            "call",
            attack_modules::call_indirect(),
            20_000,
        ),
        looped("i64.div_u", Compute, "op", attack_modules::i64_div(), 2_000),
        looped("i64.rem_s", Compute, "op", attack_modules::i64_rem(), 2_000),
        looped("memory.fill", Compute, "byte", bulk("memory.fill"), 100),
        looped("memory.copy", Compute, "byte", bulk("memory.copy"), 100),
        looped(
            "memory.grow + touch",
            Compute,
            "4 KiB page",
            attack_modules::memory_touch(),
            16,
        ),
        looped(
            "blake2b-256, 64 KiB",
            Compute,
            "byte",
            attack_modules::hash("", 0, 65_536),
            20,
        ),
        looped(
            "sha2-256, 64 KiB",
            Compute,
            "byte",
            attack_modules::hash("", 1, 65_536),
            20,
        ),
        looped(
            "keccak-256, 64 KiB",
            Compute,
            "byte",
            attack_modules::hash("", 2, 65_536),
            20,
        ),
        looped(
            "blake2b-256, empty",
            Compute,
            "call",
            attack_modules::hash("", 0, 0),
            2_000,
        ),
        looped(
            "keccak-256, empty",
            Compute,
            "call",
            attack_modules::hash("", 2, 0),
            2_000,
        ),
    ]);
    probes
}

/// A module of `pages` pages whose `invoke` writes one byte in every 4 KiB page.
fn touching(pages: u32) -> Vec<u8> {
    let src = format!(
        r#"(module (memory (export "memory") {pages})
  (func (export "invoke") (param i32) (result i32) (local $a i32)
    (local.set $a (i32.const {end}))
    (loop $l
      (local.set $a (i32.sub (local.get $a) (i32.const 4096)))
      (i32.store8 (local.get $a) (i32.const 1))
      (br_if $l (local.get $a)))
    (i32.const 0)))"#,
        end = pages * 65_536
    );
    wat::parse_str(src).expect("touching module")
}

fn instantiation_probes() -> Vec<Probe> {
    use attack_modules::instantiation as module;
    let probe = |name, unit, base, loaded, units: f64| Probe {
        name,
        kind: Kind::Compute,
        unit,
        base,
        loaded,
        units,
        method: 2,
        fresh: true,
    };
    vec![
        probe(
            "instantiate: data segment",
            "byte",
            module(0, 2, 0),
            module(65_536, 2, 0),
            65_536.0,
        ),
        probe(
            "instantiate: table element",
            "element",
            module(0, 1, 0),
            module(0, 1, 1_000),
            1_000.0,
        ),
        probe(
            "instantiate: memory page, untouched",
            "64 KiB page",
            module(0, 1, 0),
            module(0, 32, 0),
            31.0,
        ),
        probe(
            "instantiate: memory page, touched, first 256 KiB",
            "64 KiB page",
            touching(1),
            touching(4),
            3.0,
        ),
        probe(
            "instantiate: memory page, touched, above 256 KiB",
            "64 KiB page",
            touching(4),
            touching(32),
            28.0,
        ),
    ]
}

pub(crate) fn probes(f: &Fixtures) -> anyhow::Result<Vec<Probe>> {
    let mut out = instruction_probes();
    out.extend(syscall_probes(f)?);
    out.extend(instantiation_probes());
    Ok(out)
}
