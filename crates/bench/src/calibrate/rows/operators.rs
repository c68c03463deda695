//! Probes of the operators wasmtime runs out of line (bulk memory and table operations,
//! `memory.grow`), of loop back-edges and `br_table`, and of moving float bits (float
//! arithmetic is refused at install): each one operator repeated in a dependent chain, or on
//! its smallest operands.

use super::attack_modules;
use super::looped;
use crate::calibrate::{Kind, Probe};

/// Three xorshift steps of `$y` (3 after the module's setup): its low bit is what the
/// branches below test, which the predictor cannot learn, so half of them are mispredicted.
const XORSHIFT: &str = concat!(
    "(local.set $y (i64.xor (local.get $y) (i64.shl (local.get $y) (i64.const 13)))) ",
    "(local.set $y (i64.xor (local.get $y) (i64.shr_u (local.get $y) (i64.const 7)))) ",
    "(local.set $y (i64.xor (local.get $y) (i64.shl (local.get $y) (i64.const 17)))) ",
);
const LOW_BIT: &str = "(i32.wrap_i64 (i64.and (local.get $y) (i64.const 1)))";
const COUNT: &str = "(local.set $x (i32.add (local.get $x) (i32.const 1)))";

/// A branch on an unpredictable bit: `if` when `br_if` is false, else a `br_if` over the count.
fn random_branch(br_if: bool) -> String {
    match br_if {
        false => format!("{XORSHIFT}(if {LOW_BIT} (then {COUNT}))"),
        true => format!("{XORSHIFT}(block $skip (br_if $skip {LOW_BIT}) {COUNT})"),
    }
}

/// Operators wasmtime runs out of line (a call into the runtime), on the smallest operands,
/// loop back-edges, and float bit casts: what an attacker can repeat.
pub(super) fn out_of_line_and_float_probes() -> Vec<Probe> {
    use Kind::Compute;
    let out_of_line = |body: &str, extra: &str| attack_modules::repeated("", body, extra, 1);
    const TABLE: &str = attack_modules::TABLE_AND_DATA;
    vec![
        looped(
            "memory.fill, 0 bytes",
            Compute,
            "op",
            out_of_line(
                "(memory.fill (i32.const 0) (i32.const 0) (i32.const 0))",
                "",
            ),
            4_000,
        ),
        looped(
            "memory.copy, 0 bytes",
            Compute,
            "op",
            out_of_line(
                "(memory.copy (i32.const 0) (i32.const 0) (i32.const 0))",
                "",
            ),
            4_000,
        ),
        looped(
            "memory.init, 0 bytes",
            Compute,
            "op",
            out_of_line(
                "(memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))",
                TABLE,
            ),
            4_000,
        ),
        looped(
            "memory.grow, refused",
            Compute,
            "op",
            out_of_line("(drop (memory.grow (i32.const 100000)))", ""),
            4_000,
        ),
        looped(
            "memory.grow, 0 pages",
            Compute,
            "op",
            out_of_line("(drop (memory.grow (i32.const 0)))", ""),
            4_000,
        ),
        looped(
            "loop iteration, nothing in it (br_if on the counter)",
            Compute,
            "iteration",
            out_of_line("", ""),
            20_000,
        ),
        looped(
            "loop iteration, an inner loop of one `br` (×4)",
            Compute,
            "iteration",
            attack_modules::repeated(
                "",
                "(local.set $n (i32.const 4)) (loop $k (br_if $k (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))",
                "",
                4,
            ),
            5_000,
        ),
        looped(
            "loop entered, 16 nested loops with nothing in them",
            Compute,
            "loop",
            attack_modules::repeated(
                "",
                &format!("{}{}", "(loop ".repeat(16), ")".repeat(16)),
                "",
                16,
            ),
            2_000,
        ),
        looped(
            "block entered, 16 nested blocks with nothing in them",
            Compute,
            "block",
            attack_modules::repeated(
                "",
                &format!("{}{}", "(block ".repeat(16), ")".repeat(16)),
                "",
                16,
            ),
            2_000,
        ),
        looped(
            "if entered, 16 nested ifs on a local",
            Compute,
            "if",
            attack_modules::repeated(
                "",
                &format!(
                    "{}{}",
                    "(if (local.get $x) (then ".repeat(16),
                    "))".repeat(16)
                ),
                "",
                16,
            ),
            2_000,
        ),
        looped(
            "if on a random bit (xorshift), mispredicted half the time",
            Compute,
            "if",
            attack_modules::repeated("", &random_branch(false), "", 1),
            4_000,
        ),
        looped(
            "br_if on a random bit (xorshift), mispredicted half the time",
            Compute,
            "br_if",
            attack_modules::repeated("", &random_branch(true), "", 1),
            4_000,
        ),
        looped(
            "loop iteration, a `br_table` back-edge on memory.size (×4)",
            Compute,
            "iteration",
            attack_modules::repeated(
                "",
                "(local.set $n (i32.const 4)) (block $out (loop $k (br_table $out $k (i32.eqz (i32.eqz (i32.mul (memory.size) (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))))",
                "",
                4,
            ),
            5_000,
        ),
        looped(
            "i64.ctz chain",
            Compute,
            "op",
            attack_modules::repeated(
                "",
                "(local.set $y (i64.ctz (i64.ctz (i64.ctz (i64.ctz (local.get $y))))))",
                "",
                4,
            ),
            4_000,
        ),
        looped(
            "i64.clz chain",
            Compute,
            "op",
            attack_modules::repeated(
                "",
                "(local.set $y (i64.clz (i64.clz (i64.clz (i64.clz (local.get $y))))))",
                "",
                4,
            ),
            4_000,
        ),
        looped(
            "i64.popcnt chain",
            Compute,
            "op",
            attack_modules::repeated(
                "",
                "(local.set $y (i64.popcnt (i64.popcnt (i64.popcnt (i64.popcnt (local.get $y))))))",
                "",
                4,
            ),
            4_000,
        ),
        looped(
            "i32.ctz chain",
            Compute,
            "op",
            attack_modules::repeated(
                "",
                "(local.set $x (i32.ctz (i32.ctz (i32.ctz (i32.ctz (local.get $x))))))",
                "",
                4,
            ),
            4_000,
        ),
        looped(
            "i64 rotl/shl/xor chain",
            Compute,
            "op",
            attack_modules::repeated(
                "",
                "(local.set $y (i64.xor (i64.rotl (local.get $y) (i64.const 7)) (i64.shl (local.get $y) (i64.const 3))))",
                "",
                3,
            ),
            4_000,
        ),
        looped(
            "elem.drop",
            Compute,
            "op",
            out_of_line("(elem.drop $e)", "(func $g) (elem $e func $g)"),
            4_000,
        ),
        looped(
            "data.drop",
            Compute,
            "op",
            out_of_line("(data.drop $d)", TABLE),
            4_000,
        ),
        looped(
            "table.init, 0 elements",
            Compute,
            "op",
            out_of_line(
                "(table.init $e (i32.const 0) (i32.const 0) (i32.const 0))",
                "(table 4 funcref) (func $g) (elem $e func $g)",
            ),
            4_000,
        ),
        looped(
            "table.size + memory.size",
            Compute,
            "op",
            attack_modules::repeated(
                "",
                "(local.set $x (i32.add (local.get $x) (i32.add (table.size) (memory.size))))",
                TABLE,
                2,
            ),
            4_000,
        ),
        looped(
            "table.fill, 0 elements",
            Compute,
            "op",
            out_of_line(
                "(table.fill (i32.const 0) (ref.null func) (i32.const 0))",
                TABLE,
            ),
            4_000,
        ),
        looped(
            "table.set",
            Compute,
            "op",
            out_of_line("(table.set (i32.const 3) (ref.null func))", TABLE),
            4_000,
        ),
        looped(
            "table.copy, 0 elements",
            Compute,
            "op",
            out_of_line(
                "(table.copy (i32.const 0) (i32.const 0) (i32.const 0))",
                TABLE,
            ),
            4_000,
        ),
        looped(
            "reinterpret round trip",
            Compute,
            "op",
            attack_modules::repeated(
                "",
                "(local.set $f (f64.reinterpret_i64 (i64.reinterpret_f64 (local.get $f))))",
                "",
                2,
            ),
            4_000,
        ),
        looped(
            "table.get",
            Compute,
            "op",
            out_of_line(
                "(drop (table.get (i32.and (local.get $i) (i32.const 15))))",
                TABLE,
            ),
            4_000,
        ),
    ]
}
