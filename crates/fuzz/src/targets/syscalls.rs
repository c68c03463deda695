//! Every `tandem_v1` syscall with random arguments (pointers in and out of bounds, lengths up
//! to 4 GiB, block handles, codecs, flags, values, method numbers, addresses, actor IDs) and
//! random DAG-CBOR blocks (with links to nonexistent CIDs, to other actors' state, to genesis
//! blocks, to the caller's own blocks).
//!
//! One interpreter module is installed: its `invoke` reads the params block into memory and
//! runs the syscall ops it holds, each op a syscall index and ten 64-bit arguments, so the
//! arguments come from the message and one compiled module serves every case. Programs can
//! carry data (CIDs, addresses, CBOR blocks, nested programs) that ops point at, and send
//! nested programs to the interpreter actors (themselves included).
//!
//! Invariants: no panic; the executor never fails (a fatal error must end the message with an
//! exit code, not escape as a node failure); every state commits (`commit_reachable` finds
//! every block the new root reaches); two runs from the same genesis agree on every receipt
//! and root.

use cid::Cid;
use fvm_shared::address::Address;
use multihash_codetable::{Code, MultihashDigest};
use rand::Rng;
use rand::rngs::StdRng;
use tandem_wasm::config;

use super::native::{NativeChain, Observed, Runtimes3, observe};
use crate::{Stats, Target, pick};

/// What an argument means (its WASM type follows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A pointer to input data (i32), followed by its length.
    Ptr,
    Len,
    /// A pointer for output (i32) and a capacity.
    Out,
    Cap,
    /// A block handle (i32).
    Block,
    Offset,
    Codec,
    Method,
    Value,
    Gas,
    Flags,
    ActorId,
    HashKind,
    I64,
    ExitCode,
}

impl Arg {
    pub fn wat(self) -> &'static str {
        match self {
            Arg::Codec
            | Arg::Method
            | Arg::Value
            | Arg::Gas
            | Arg::Flags
            | Arg::ActorId
            | Arg::I64 => "i64",
            _ => "i32",
        }
    }
}

use Arg::*;

/// Every syscall with its arguments, in `SYSCALL_NAMES` order (a test checks both agree and
/// that the interpreter instantiates against the real linker).
pub const SYSCALL_SIGNATURES: &[(&str, &[Arg])] = &[
    ("ipld_block_open", &[Ptr, Len, Out]),
    ("ipld_block_create", &[Codec, Ptr, Len, Out]),
    ("ipld_block_read", &[Block, Offset, Out, Cap, Out]),
    ("ipld_block_stat", &[Block, Out]),
    ("ipld_block_link", &[Block, Out, Cap, Out]),
    ("self_root", &[Out, Cap, Out]),
    ("self_set_root", &[Ptr, Len]),
    ("self_balance", &[Out]),
    ("slot_get", &[Ptr, Out]),
    ("slot_set", &[Ptr, Ptr]),
    ("transient_get", &[Ptr, Out]),
    ("transient_set", &[Ptr, Ptr]),
    ("msg_context", &[Out]),
    ("gas_available", &[Out]),
    ("network_context", &[Out]),
    ("actor_resolve", &[Ptr, Len, Out]),
    ("actor_lookup_delegated", &[ActorId, Out, Cap, Out]),
    ("actor_code", &[ActorId, Out, Cap, Out]),
    ("actor_balance", &[ActorId, Out]),
    ("actor_code_size", &[ActorId, Out]),
    ("actor_create", &[Ptr, Len, Block, Value, Value, Out]),
    (
        "send",
        &[Ptr, Len, Method, Block, Value, Value, Gas, Flags, Out],
    ),
    (
        "send_async",
        &[Ptr, Len, Method, Block, Value, Value, Gas, Method, Gas, Out],
    ),
    ("crypto_hash", &[HashKind, Ptr, Len, Out]),
    ("crypto_recover_secp256k1", &[Ptr, Ptr, Out]),
    ("event_emit", &[Block]),
    ("event_emit_data", &[Ptr, Len]),
    ("rand_get", &[I64, I64, Ptr, Len, Out]),
    ("debug_enabled", &[]),
    ("debug_log", &[Ptr, Len]),
    ("vm_abort", &[ExitCode, Block, Ptr, Len]),
    ("msg_creator", &[Out]),
];

/// Memory: outputs in [0, PROG), the params block copied to PROG.
const PROG: u32 = 65_536;
const PROG_CAP: u32 = 3 * 65_536;
const OP_BYTES: usize = 88;
/// Program bodies start after the 3-byte CBOR header of a byte string of 256..65535 bytes.
const HEADER: usize = 3;
const OPS_AT: usize = 8;
/// Op indices past the syscalls: return a block, trap.
const OP_RETURN: u8 = SYSCALL_SIGNATURES.len() as u8;
const OP_TRAP: u8 = OP_RETURN + 1;
const N_OPS: u32 = OP_TRAP as u32 + 1;
/// The op index of `send_async`.
fn send_async_op() -> u8 {
    SYSCALL_SIGNATURES
        .iter()
        .position(|(name, _)| *name == "send_async")
        .unwrap_or(0) as u8
}

/// The interpreter module.
pub fn interpreter_wat() -> String {
    let mut w = String::from("(module\n");
    for (i, (name, args)) in SYSCALL_SIGNATURES.iter().enumerate() {
        let params = if args.is_empty() {
            String::new()
        } else {
            format!(
                "(param {})",
                args.iter().map(|a| a.wat()).collect::<Vec<_>>().join(" ")
            )
        };
        w.push_str(&format!(
            "  (import \"{}\" \"{name}\" (func $s{i} {params} (result i32)))\n",
            config::SYSCALL_MODULE
        ));
    }
    w.push_str(&format!(
        "  (memory (export \"{}\") 5)\n  (func (export \"{}\") (param $p i32) (result i32)\n",
        config::MEMORY_EXPORT,
        config::ENTRY_POINT
    ));
    w.push_str("    (local $n i32) (local $i i32) (local $base i32)\n");
    w.push_str("    (if (i32.eqz (local.get $p)) (then (return (i32.const 0))))\n");
    // Read the params block (ipld_block_read is syscall 2); 8 holds the length read.
    w.push_str(&format!(
        "    (drop (call $s2 (local.get $p) (i32.const 0) (i32.const {PROG}) (i32.const {PROG_CAP}) (i32.const 8)))\n"
    ));
    w.push_str(&format!(
        "    (local.set $n (i32.load8_u (i32.const {})))\n",
        PROG as usize + HEADER
    ));
    w.push_str("    (block $done (loop $next\n");
    w.push_str("      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))\n");
    w.push_str(&format!(
        "      (local.set $base (i32.add (i32.const {}) (i32.mul (local.get $i) (i32.const {OP_BYTES}))))\n",
        PROG as usize + HEADER + OPS_AT
    ));
    w.push_str("      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n");
    for k in (0..N_OPS).rev() {
        w.push_str(&format!("      (block $b{k}\n"));
    }
    w.push_str("      (br_table");
    for k in 0..N_OPS {
        w.push_str(&format!(" $b{k}"));
    }
    w.push_str(&format!(
        " (i32.rem_u (i32.load8_u (local.get $base)) (i32.const {N_OPS})))\n"
    ));
    for (k, (_, args)) in SYSCALL_SIGNATURES.iter().enumerate() {
        w.push_str(&format!("      ) ;; {k}\n      (drop (call $s{k}"));
        for (j, a) in args.iter().enumerate() {
            let load = format!("(i64.load offset={} (local.get $base))", 8 + 8 * j);
            if a.wat() == "i64" {
                w.push_str(&format!(" {load}"));
            } else {
                w.push_str(&format!(" (i32.wrap_i64 {load})"));
            }
        }
        w.push_str(")) (br $next)\n");
    }
    w.push_str(&format!(
        "      ) ;; return\n      (return (i32.wrap_i64 (i64.load offset=8 (local.get $base))))\n      ) ;; {OP_TRAP}\n      unreachable\n"
    ));
    w.push_str("    ))\n    (i32.const 0)))\n");
    w
}

/// A minimal CBOR writer (for random DAG-CBOR with links, events and programs).
struct Cbor(Vec<u8>);

impl Cbor {
    fn head(&mut self, major: u8, n: u64) {
        let m = major << 5;
        if n < 24 {
            self.0.push(m | n as u8);
        } else if n <= 0xff {
            self.0.extend([m | 24, n as u8]);
        } else if n <= 0xffff {
            self.0.push(m | 25);
            self.0.extend((n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            self.0.push(m | 26);
            self.0.extend((n as u32).to_be_bytes());
        } else {
            self.0.push(m | 27);
            self.0.extend(n.to_be_bytes());
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        self.head(2, b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn text(&mut self, s: &str) {
        self.head(3, s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn link(&mut self, c: &Cid) {
        self.head(6, 42);
        let mut b = vec![0u8];
        b.extend(c.to_bytes());
        self.bytes(&b);
    }
}

/// CIDs worth linking to.
struct Known {
    cids: Vec<Cid>,
    addresses: Vec<Vec<u8>>,
    actor_ids: Vec<u64>,
}

fn random_cid(rng: &mut StdRng) -> Cid {
    let data = crate::bytes(rng, 16);
    let codec = *pick(rng, &[0x71u64, 0x55, 0x51, 0x70]);
    Cid::new_v1(codec, Code::Blake2b256.digest(&data))
}

fn random_dag_cbor(rng: &mut StdRng, known: &Known, out: &mut Cbor, depth: u32) {
    match rng.random_range(0..if depth > 3 { 6 } else { 9 }) {
        0 => out.head(0, rng.random_range(0..1000)),
        1 => out.head(1, rng.random()),
        2 => {
            let n = rng.random_range(0..40);
            out.bytes(&crate::bytes(rng, n))
        }
        3 => {
            let t = ["a", "key", "é", ""][rng.random_range(0..4)];
            out.text(t)
        }
        4 => out.0.push(*pick(rng, &[0xf4u8, 0xf5, 0xf6])),
        5 => {
            let c = if rng.random_bool(0.7) && !known.cids.is_empty() {
                *pick(rng, &known.cids)
            } else {
                random_cid(rng)
            };
            out.link(&c)
        }
        6 | 7 => {
            let n = rng.random_range(0..5);
            out.head(4, n);
            for _ in 0..n {
                random_dag_cbor(rng, known, out, depth + 1);
            }
        }
        _ => {
            let n = rng.random_range(0..4u64);
            out.head(5, n);
            for k in 0..n {
                out.text(&format!("k{k}"));
                random_dag_cbor(rng, known, out, depth + 1);
            }
        }
    }
}

fn random_event(rng: &mut StdRng) -> Vec<u8> {
    let mut c = Cbor(Vec::new());
    let n = rng.random_range(0..4);
    c.head(4, n);
    for _ in 0..n {
        c.head(4, 4);
        c.head(0, rng.random_range(0..4));
        let key = ["t1", "d", "key", "", "ééé"][rng.random_range(0..5)];
        c.text(key);
        c.head(0, *pick(rng, &[0x55u64, 0x51, 0x71, 7]));
        let len = rng.random_range(0..64);
        c.bytes(&crate::bytes(rng, len));
    }
    c.0
}

/// A program: ops plus the data they point at, as CBOR bytes.
struct Program {
    ops: Vec<[u8; OP_BYTES]>,
    data: Vec<u8>,
}

impl Program {
    fn n_ops(rng: &mut StdRng) -> usize {
        rng.random_range(1..24)
    }

    /// The memory address data at `off` will have when the interpreter runs it.
    fn addr(n_ops: usize, off: usize) -> u64 {
        (PROG as usize + HEADER + OPS_AT + n_ops * OP_BYTES + off) as u64
    }

    fn encode(&self) -> Vec<u8> {
        let mut body = vec![0u8; OPS_AT];
        body[0] = self.ops.len() as u8;
        for op in &self.ops {
            body.extend_from_slice(op);
        }
        body.extend_from_slice(&self.data);
        if body.len() < 256 {
            body.resize(256, 0);
        }
        assert!(body.len() <= 0xffff, "program too long");
        let mut out = vec![0x59, (body.len() >> 8) as u8, body.len() as u8];
        out.extend(body);
        out
    }
}

fn generate_program(rng: &mut StdRng, known: &Known, depth: u32) -> Program {
    let n = Program::n_ops(rng);
    let mut p = Program {
        ops: Vec::with_capacity(n),
        data: Vec::new(),
    };
    for _ in 0..n {
        let mut op = [0u8; OP_BYTES];
        let index = match rng.random_range(0..40) {
            0 => OP_RETURN,
            1 => OP_TRAP,
            // Async sends need several valid arguments at once: try them more often, so the
            // system lane has deliveries and replies to run.
            2..=4 => send_async_op(),
            _ => rng.random_range(0..SYSCALL_SIGNATURES.len() as u8),
        };
        op[0] = index;
        let args: &[Arg] = SYSCALL_SIGNATURES
            .get(index as usize)
            .map(|s| s.1)
            .unwrap_or(&[Block]);
        let mut last_len = 0u64;
        for (j, a) in args.iter().enumerate() {
            let v = arg(rng, known, *a, &mut p, n, &mut last_len, depth);
            op[8 + 8 * j..16 + 8 * j].copy_from_slice(&v.to_le_bytes());
        }
        p.ops.push(op);
    }
    p
}

fn push_data(p: &mut Program, n_ops: usize, bytes: &[u8]) -> (u64, u64) {
    let at = Program::addr(n_ops, p.data.len());
    p.data.extend_from_slice(bytes);
    (at, bytes.len() as u64)
}

fn arg(
    rng: &mut StdRng,
    known: &Known,
    a: Arg,
    p: &mut Program,
    n_ops: usize,
    last_len: &mut u64,
    depth: u32,
) -> u64 {
    let out_ptr = |rng: &mut StdRng| -> u64 {
        match rng.random_range(0..12) {
            0 => rng.random::<u32>() as u64,
            1 => (u32::MAX - rng.random_range(0..64)) as u64,
            2 => (PROG + rng.random_range(0..PROG_CAP)) as u64,
            3 => (5 * 65_536 - rng.random_range(0..80)) as u64,
            _ => rng.random_range(16..(PROG - 256) as u64),
        }
    };
    let r: u64 = rng.random();
    let r32 = r as u32 as u64;
    match a {
        Ptr => {
            let data: Vec<u8> = match rng.random_range(0..14) {
                0 | 1 => pick(rng, &known.cids).to_bytes(),
                2 => random_cid(rng).to_bytes(),
                3 | 4 => pick(rng, &known.addresses).clone(),
                5..=7 => {
                    let mut c = Cbor(Vec::new());
                    random_dag_cbor(rng, known, &mut c, 0);
                    c.0
                }
                8 => random_event(rng),
                9 if depth < 1 && p.data.len() < 20_000 => {
                    generate_program(rng, known, depth + 1).encode()
                }
                10 => {
                    // An in-bounds or wild pointer with a random length.
                    *last_len = *pick(rng, &[0u64, 1, 32, 65, 4096, u32::MAX as u64, r32]);
                    return out_ptr(rng);
                }
                _ => {
                    let n = *pick(rng, &[0usize, 1, 20, 32, 65, 100]);
                    crate::bytes(rng, n)
                }
            };
            let (at, len) = push_data(p, n_ops, &data);
            *last_len = len;
            at
        }
        Len => match rng.random_range(0..10) {
            0 => rng.random::<u32>() as u64,
            1 => last_len.saturating_sub(1),
            2 => *last_len + 1,
            _ => *last_len,
        },
        Out => out_ptr(rng),
        Cap => *pick(rng, &[0u64, 1, 8, 38, 64, 256, 4096, u32::MAX as u64]),
        Block => match rng.random_range(0..10) {
            0 => rng.random::<u32>() as u64,
            _ => rng.random_range(0..8),
        },
        Offset => *pick(rng, &[0u64, 1, 3, 100, u32::MAX as u64]),
        Codec => *pick(rng, &[0x71u64, 0x71, 0x51, 0x55, 0x70, 0, r]),
        Method => *pick(
            rng,
            &[0u64, 1, 2, 2, 3, tandem_vm::frc42::INVOKE_EVM, r32, r],
        ),
        Value => *pick(rng, &[0u64, 0, 0, 1, 1000, u64::MAX]),
        Gas => *pick(rng, &[0u64, 0, 1, 10_000, 1_000_000, u64::MAX, r]),
        Flags => *pick(rng, &[0u64, 0, 1, 2, u64::MAX]),
        ActorId => match rng.random_range(0..4) {
            0 => rng.random(),
            _ => *pick(rng, &known.actor_ids),
        },
        HashKind => rng.random_range(0..4),
        I64 => *pick(rng, &[0u64, 1, u64::MAX, 1 << 63, r]),
        ExitCode => *pick(
            rng,
            &[0u64, 1, 15, 16, 17, 255, 1 << 31, u32::MAX as u64, r32],
        ),
    }
}

pub struct SyscallTarget {
    rt: Runtimes3,
    interpreter: Vec<u8>,
}

impl SyscallTarget {
    pub fn new() -> Self {
        Self {
            rt: Runtimes3::new(),
            interpreter: wat::parse_str(interpreter_wat()).expect("the interpreter module"),
        }
    }

    /// One run: install the interpreter, create two actors of it, then send `messages`
    /// random programs; programs are generated from `rng` against the state as it is then.
    pub fn run(
        &self,
        mut rng: StdRng,
        messages: usize,
        stats: Option<&mut Stats>,
    ) -> (Vec<Observed>, Vec<Cid>) {
        let mut chain = NativeChain::new(&self.rt);
        let mut observed = Vec::new();
        let mut roots = Vec::new();
        let (ret, code) = chain.install(&self.interpreter, 30_000_000);
        let code = code.unwrap_or_else(|| panic!("the interpreter installs: {:?}", ret.failure));
        let actors: Vec<Address> = (0..2)
            .map(|_| {
                let (ret, a) = chain.create(code, Vec::new(), 10_000_000);
                a.unwrap_or_else(|| panic!("an interpreter actor: {:?}", ret.failure))
            })
            .collect();
        roots.push(chain.commit());
        let mut local = Stats::default();
        for _ in 0..messages {
            let mut known = Known {
                cids: vec![code, roots[roots.len() - 1]],
                addresses: vec![Vec::new(), vec![0], vec![0, 0x99, 0x01], vec![4, 10, 1, 2]],
                actor_ids: vec![0, 1, 2, 3, 4, 10, 99, u64::MAX],
            };
            for a in actors
                .iter()
                .chain(&chain.accounts.clone())
                .chain(&[Address::new_id(1), Address::new_id(10)])
            {
                known.addresses.push(a.to_bytes());
                if let Ok(Some(id)) = chain.exec.machine.state.lookup_id(a) {
                    known.actor_ids.push(id);
                    known.addresses.push(Address::new_id(id).to_bytes());
                }
                if let Some(s) = chain.actor_state(a) {
                    known.cids.push(s);
                }
            }
            let mut f4 = vec![4u8, 10];
            f4.extend(crate::bytes(&mut rng, 20));
            known.addresses.push(f4);
            let program = generate_program(&mut rng, &known, 0).encode();
            let to = *pick(&mut rng, &actors);
            let method = *pick(&mut rng, &[2u64, 2, 2, 3, tandem_vm::frc42::INVOKE_EVM]);
            let value = *pick(&mut rng, &[0u128, 0, 5]);
            // Each message is a block: the system lane delivers what earlier programs queued
            // with `send_async` (and their replies) first.
            run_lane(&mut chain, &mut observed, &mut local);
            let ret = chain.send(0, to, method, program, value, 10_000_000);
            let code = ret.receipt.exit_code.value();
            local.count(&if code < 256 {
                format!("exit {code}")
            } else {
                "exit ≥ 256 (vm_abort)".to_string()
            });
            observed.push(observe(&ret));
            roots.push(chain.commit());
        }
        // A last block delivers what the last message queued.
        run_lane(&mut chain, &mut observed, &mut local);
        roots.push(chain.commit());
        if let Some(stats) = stats {
            for (k, v) in local.counters {
                *stats.counters.entry(k).or_default() += v;
            }
        }
        (observed, roots)
    }
}

/// Runs a block's system lane: deliveries and replies of what programs queued.
fn run_lane(chain: &mut NativeChain, observed: &mut Vec<Observed>, stats: &mut Stats) {
    let lane = chain
        .exec
        .run_system_lane()
        .expect("the system lane never fails");
    for m in &lane {
        stats.count(&format!(
            "system message, exit {}",
            m.ret.receipt.exit_code.value()
        ));
        observed.push(observe(&m.ret));
    }
}

impl Default for SyscallTarget {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for SyscallTarget {
    const NAME: &'static str = "syscalls";

    fn iteration(&mut self, rng: &mut StdRng, stats: &mut Stats) {
        let messages = rng.random_range(1..=3);
        let seed = rng.clone();
        let a = self.run(seed.clone(), messages, Some(stats));
        let b = self.run(seed, messages, None);
        assert_eq!(a, b, "two runs from one genesis differ");
    }
}
