//! Hostile modules shared by the attack bench (`benches/attacks.rs`) and the pricing
//! regression tests (`tests/pricing.rs`): run-time attacks (one instruction or syscall class
//! repeated until the gas runs out) and compile bombs (modules whose compilation is as
//! expensive as we could make it per byte of module).
#![allow(dead_code)]

/// Method that runs an attack forever (until out of gas).
pub const FOREVER: u64 = 2;
/// Method that runs an attack for the module's fixed iteration count, then returns 0.
pub const COUNTED: u64 = 3;

/// One run-time attack: `body` (WAT, leaves nothing on the stack) is repeated in a loop
/// after `setup`; `unroll` copies of the attacked operation per iteration.
pub struct Attack {
    pub name: &'static str,
    pub pages: u32,
    pub imports: &'static str,
    pub extra: String,
    pub setup: String,
    pub body: String,
    /// Attacked operations per iteration (for the per-operation columns).
    pub ops_per_iter: u32,
}

impl Attack {
    /// The module: method 1 (constructor) and any method but 2/3 return at once; method 2
    /// loops forever; method 3 loops `iterations` times. Results go to `$sink` and memory so
    /// that nothing can be folded away.
    pub fn wasm(&self, iterations: u32) -> Vec<u8> {
        let src = format!(
            r#"(module
  (import "tandem_v1" "msg_context" (func $ctx (param i32) (result i32)))
  {imports}
  (memory (export "memory") {pages})
  (global $sink (mut i64) (i64.const 0))
  {extra}
  (func (export "invoke") (param $p i32) (result i32)
    (local $i i32) (local $n i32) (local $t i32) (local $x i32) (local $y i64) (local $f f64) (local $m i64)
    (drop (call $ctx (i32.const 0)))
    (local.set $m (i64.load (i32.const 24)))
    (if (i64.eq (local.get $m) (i64.const 2)) (then (local.set $i (i32.const 0))))
    (if (i64.eq (local.get $m) (i64.const 3)) (then (local.set $i (i32.const {iterations}))))
    (if (i32.and (i64.ne (local.get $m) (i64.const 2)) (i64.ne (local.get $m) (i64.const 3)))
      (then (return (i32.const 0))))
    (local.set $x (i32.const 3))
    (local.set $y (i64.const 3))
    (local.set $f (f64.const 1e10))
    {setup}
    (loop $l
      {body}
      (br_if $l (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (global.set $sink (i64.add (global.get $sink) (i64.add (local.get $y) (i64.extend_i32_u (local.get $x)))))
    (i64.store (i32.const 64) (global.get $sink))
    (f64.store (i32.const 72) (local.get $f))
    (i32.const 0)))"#,
            imports = self.imports,
            pages = self.pages,
            extra = self.extra,
            setup = self.setup,
            body = self.body,
        );
        wat::parse_str(&src).expect("attack module")
    }
}

/// `body` repeated (one operator, or a short dependent chain of `ops_per_iter`), with
/// `extra` module fields (a table, a passive data segment). The operators wasmtime runs out
/// of line (`memory.fill`, `memory.grow`, `ref.func`, …) and the float classes are attacked
/// this way.
pub fn repeated(name: &'static str, body: &str, extra: &str, ops_per_iter: u32) -> Attack {
    Attack {
        name,
        pages: 1,
        imports: "",
        extra: extra.into(),
        setup: String::new(),
        body: body.into(),
        ops_per_iter,
    }
}

/// A table and a passive data segment, for the table and `memory.init` attacks.
pub const TABLE_AND_DATA: &str = "(table 16 funcref) (data $d \"abcdefgh\")";

fn nest(open: &str, inner: &str, n: u32) -> String {
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(open);
        s.push(' ');
    }
    s.push_str(inner);
    for _ in 0..n {
        s.push(')');
    }
    s
}

const UNROLL: u32 = 16;

/// Pointer chasing over `mib` MiB: the memory holds a single cycle through every 64-byte
/// line in LCG order (full period: multiplier ≡ 1 mod 4, odd increment), so each load's
/// address is the previous load's result and hits a line (and mostly a page) the caches and
/// TLBs no longer hold. The loads are nested, so each costs one instruction.
pub fn memory_chase(name: &'static str, mib: u32) -> Attack {
    let lines = mib * (1 << 20) / 64;
    let mask = lines - 1;
    let setup = format!(
        r#"(local.set $n (i32.const {lines}))
    (local.set $x (i32.const 0))
    (loop $fill
      (local.set $t (i32.and (i32.add (i32.mul (local.get $x) (i32.const 1664525)) (i32.const 1013904223)) (i32.const {mask})))
      (i32.store (i32.shl (local.get $x) (i32.const 6)) (i32.shl (local.get $t) (i32.const 6)))
      (local.set $x (local.get $t))
      (br_if $fill (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))"#
    );
    Attack {
        name,
        pages: mib * 16,
        imports: "",
        extra: String::new(),
        setup,
        body: format!(
            "(local.set $x {})",
            nest("(i32.load", "(local.get $x)", UNROLL)
        ),
        ops_per_iter: UNROLL,
    }
}

/// Independent random loads over `mib` MiB (address from an LCG, results xor-ed), so the
/// misses overlap: fewer ns per load than the chase, but more instructions.
pub fn memory_random(name: &'static str, mib: u32) -> Attack {
    let mask = mib * (1 << 20) - 8;
    let one = format!(
        "(local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1664525)) (i32.const 1013904223)))
      (local.set $y (i64.xor (local.get $y) (i64.load (i32.and (local.get $x) (i32.const {mask})))))"
    );
    Attack {
        name,
        pages: mib * 16,
        imports: "",
        extra: String::new(),
        setup: String::new(),
        body: one.repeat(UNROLL as usize),
        ops_per_iter: UNROLL,
    }
}

/// Grows memory a page at a time and writes one byte per 4 KiB (each a page fault and a
/// zeroed page), until the limit refuses.
pub fn memory_touch() -> Attack {
    Attack {
        name: "grow + touch every 4 KiB page",
        pages: 1,
        imports: "",
        extra: String::new(),
        setup: String::new(),
        body: r#"(local.set $x (memory.grow (i32.const 1)))
      (if (i32.eq (local.get $x) (i32.const -1)) (then (return (i32.const 0))))
      (local.set $x (i32.shl (local.get $x) (i32.const 16)))
      (local.set $n (i32.const 16))
      (loop $t
        (i32.store8 (local.get $x) (i32.const 1))
        (local.set $x (i32.add (local.get $x) (i32.const 4096)))
        (br_if $t (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))"#
            .into(),
        ops_per_iter: 16,
    }
}

pub fn i64_div() -> Attack {
    // x alternates between 3 and u64::MAX / 3: never 0, always a full-width division.
    let mut e = "(local.get $y)".to_string();
    for _ in 0..UNROLL {
        e = format!("(i64.div_u (i64.const -1) {e})");
    }
    Attack {
        name: "i64.div_u chain",
        pages: 1,
        imports: "",
        extra: String::new(),
        setup: String::new(),
        body: format!("(local.set $y {e})"),
        ops_per_iter: UNROLL,
    }
}

pub fn i64_rem() -> Attack {
    let mut e = "(local.get $y)".to_string();
    for _ in 0..UNROLL {
        e = format!(
            "(i64.rem_s (i64.const 0x7fffffffffffffff) (i64.or {e} (i64.const 0x100000001)))"
        );
    }
    Attack {
        name: "i64.rem_s chain",
        pages: 1,
        imports: "",
        extra: String::new(),
        setup: String::new(),
        body: format!("(local.set $y {e})"),
        ops_per_iter: UNROLL,
    }
}

/// An honest-looking integer loop (the class the common rate comes from).
pub fn i64_arith() -> Attack {
    let one = "(local.set $y (i64.xor (i64.mul (local.get $y) (i64.const 3)) (i64.add (local.get $y) (i64.const 7))))";
    Attack {
        name: "i64 mul/add/xor (reference)",
        pages: 1,
        imports: "",
        extra: String::new(),
        setup: String::new(),
        body: one.repeat(4),
        ops_per_iter: 4,
    }
}

/// A loop of L1-resident loads and stores (a stack-like working set of 4 KiB).
pub fn l1_load_store() -> Attack {
    let one = "(local.set $x (i32.and (i32.add (local.get $x) (i32.const 24)) (i32.const 4088)))
      (i64.store offset=1024 (local.get $x) (i64.add (i64.load offset=1024 (local.get $x)) (local.get $y)))";
    Attack {
        name: "load+store, 4 KiB working set (reference)",
        pages: 1,
        imports: "",
        extra: String::new(),
        setup: String::new(),
        body: one.repeat(4),
        ops_per_iter: 4,
    }
}

pub fn call_indirect() -> Attack {
    Attack {
        name: "call_indirect (reference)",
        pages: 1,
        imports: "",
        extra: r#"(type $t (func (param i64) (result i64)))
  (table 2 funcref) (elem (i32.const 0) $a $b)
  (func $a (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))
  (func $b (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))"#
            .into(),
        setup: String::new(),
        body: "(local.set $y (call_indirect (type $t) (local.get $y) (i32.wrap_i64 (i64.and (local.get $y) (i64.const 1)))))".repeat(4),
        ops_per_iter: 4,
    }
}

const HASH_IMPORT: &str =
    r#"(import "tandem_v1" "crypto_hash" (func $hash (param i32 i32 i32 i32) (result i32)))"#;

/// `crypto_hash` of kind `kind` over `len` bytes at 4096, once per iteration.
pub fn hash(name: &'static str, kind: u32, len: u32) -> Attack {
    Attack {
        name,
        pages: 2 + len / 65536,
        imports: HASH_IMPORT,
        extra: String::new(),
        setup: String::new(),
        body: format!(
            "(drop (call $hash (i32.const {kind}) (i32.const 4096) (i32.const {len}) (i32.const 128)))
      (i32.store (i32.const 4096) (i32.load (i32.const 128)))"
        ),
        ops_per_iter: 1,
    }
}

/// `crypto_recover_secp256k1` of a valid signature (`hash ‖ sig`, 97 bytes, in a data
/// segment at 256), once per iteration.
pub fn secp_recover(hash_and_sig: &[u8]) -> Attack {
    let data: String = hash_and_sig.iter().map(|b| format!("\\{b:02x}")).collect();
    Attack {
        name: "secp256k1 recover",
        pages: 1,
        imports: r#"(import "tandem_v1" "crypto_recover_secp256k1" (func $rec (param i32 i32 i32) (result i32)))"#,
        extra: format!(r#"(data (i32.const 256) "{data}")"#),
        setup: String::new(),
        body: "(local.set $x (i32.add (local.get $x) (call $rec (i32.const 256) (i32.const 288) (i32.const 512))))".into(),
        ops_per_iter: 1,
    }
}

/// A module whose instantiation is the attack: `data_bytes` of active data (at the top of
/// a memory of `pages` pages) and a table of `table` elements filled by an element segment.
pub fn instantiation(data_bytes: usize, pages: u32, table: u32) -> Vec<u8> {
    let data: String = (0..data_bytes)
        .map(|i| format!("\\{:02x}", (i * 7 + 1) as u8))
        .collect();
    let offset = (pages as usize * 65536).saturating_sub(data_bytes);
    let elems: String = " $f".repeat(table as usize);
    let table = if table > 0 {
        format!("(table {table} funcref) (elem (i32.const 0) {elems}) (func $f)")
    } else {
        String::new()
    };
    wat::parse_str(format!(
        r#"(module (memory (export "memory") {pages})
  {table}
  (data (i32.const {offset}) "{data}")
  (func (export "invoke") (param i32) (result i32) (i32.const 0)))"#
    ))
    .expect("instantiation module")
}

// ---- compile bombs -------------------------------------------------------------------

/// A compile-bomb shape: a name and a generator of WAT for a given size knob.
pub struct Bomb {
    pub name: &'static str,
    pub wat: String,
}

fn module(funcs: &str) -> String {
    format!(
        r#"(module (memory (export "memory") 1)
  (func (export "invoke") (param i32) (result i32) (i32.const 0))
  {funcs})"#
    )
}

/// One function with `locals` i64 locals all live across `blocks` sequential `if`s, each
/// of which redefines one of them (every merge point needs a value for every local).
pub fn bomb_locals_x_branches(locals: u32, blocks: u32) -> Bomb {
    let mut body = String::new();
    for k in 0..blocks {
        let a = k % locals;
        let b = (k * 7 + 3) % locals;
        body.push_str(&format!(
            "(if (i32.wrap_i64 (local.get {b})) (then (local.set {a} (i64.add (local.get {a}) (local.get {b})))))\n"
        ));
    }
    let mut sum = "(local.get 0)".to_string();
    for k in 1..locals {
        sum = format!("(i64.add {sum} (local.get {k}))");
    }
    Bomb {
        name: "locals × branches",
        wat: module(&format!(
            "(func (result i64) (local {}) {body} {sum})",
            "i64 ".repeat(locals as usize)
        )),
    }
}

/// One loop with `locals` live locals and a `br_table` of `entries` entries over 64 arms,
/// each arm redefining one local and branching back to the loop head.
pub fn bomb_br_table_loop(locals: u32, entries: u32) -> Bomb {
    let arms_n = 64u32;
    let blocks_open = "(block ".repeat(arms_n as usize);
    let labels: String = (0..entries).map(|t| format!(" {}", t % arms_n)).collect();
    let mut arms = String::new();
    for t in 0..arms_n {
        let a = t % locals + 1;
        arms.push_str(&format!(
            ") (local.set {a} (i64.add (local.get {a}) (i64.const {t}))) (br {})\n",
            arms_n - 1 - t
        ));
    }
    let mut sum = "(local.get 1)".to_string();
    for k in 2..=locals {
        sum = format!("(i64.add {sum} (local.get {k}))");
    }
    Bomb {
        name: "br_table loop",
        wat: module(&format!(
            "(func (param i32) (result i64) (local {locals_decl})
  (block $exit (loop $top {blocks_open}
    (br_if $exit (i32.eqz (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (br_table {labels} (i32.and (local.get 0) (i32.const 255)))
    {arms}))
  {sum})",
            locals_decl = "i64 ".repeat(locals as usize),
        )),
    }
}

/// `funcs` small functions, each a few operators.
pub fn bomb_many_functions(funcs: u32) -> Bomb {
    let f = "(func (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))\n";
    Bomb {
        name: "many small functions",
        wat: module(&f.repeat(funcs as usize)),
    }
}

/// One function of `n` straight-line operators with `live` values live to the end (a big
/// expression tree kept on the operand stack).
pub fn bomb_deep_stack(n: u32) -> Bomb {
    let mut body = String::new();
    for k in 0..n {
        body.push_str(&format!("(i64.const {k}) "));
    }
    body.push_str(&"(i64.add) ".repeat(n as usize - 1));
    Bomb {
        name: "long live ranges on the operand stack",
        wat: module(&format!("(func (result i64) {body})")),
    }
}

/// Nested `if`/`else` switch: `n` nested blocks each with a `br_if` to every enclosing level.
pub fn bomb_nested_branches(depth: u32, per_level: u32) -> Bomb {
    let mut body = String::new();
    for _ in 0..depth {
        body.push_str("(block ");
    }
    for d in 0..depth {
        for k in 0..per_level {
            body.push_str(&format!(
                "(local.set 1 (i64.add (local.get 1) (i64.const {k}))) (br_if {} (i32.wrap_i64 (local.get 1)))\n",
                (d + k) % (depth - d)
            ));
        }
        body.push(')');
    }
    Bomb {
        name: "nested blocks with branches to every level",
        wat: module(&format!(
            "(func (param i32) (result i64) (local i64) {body} (local.get 1))"
        )),
    }
}
