//! The optimiser's passes on hand-built IR: each test shows one pass's effect through the
//! printer (and fails without that pass).

use tandem_lang_ir::opt::fold::{eval_bin, eval_checked};
use tandem_lang_ir::opt::{Pass, optimize_body, optimize_with};
use tandem_lang_ir::print::Body;
use tandem_lang_ir::{
    BinOp, CallKind, CheckedOp, Expr, HashAlg, Param, Payload, Revert, Stmt, U256, UnOp, ValTy,
    WordTy,
};

fn l(n: u32) -> Expr {
    Expr::Local(n)
}
fn c(v: u64) -> Expr {
    Expr::c(v)
}
fn neg(v: u64) -> Expr {
    Expr::Const(U256::ZERO.wrapping_sub(U256::from(v)))
}
fn bin(o: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::bin(o, a, b)
}
fn chk(op: CheckedOp, signed: bool, bits: u16, a: Expr, b: Expr) -> Expr {
    Expr::Checked {
        op,
        signed,
        bits,
        a: Box::new(a),
        b: Box::new(b),
    }
}
fn add(bits: u16, a: Expr, b: Expr) -> Expr {
    chk(CheckedOp::Add, false, bits, a, b)
}
fn sub(a: Expr, b: Expr) -> Expr {
    chk(CheckedOp::Sub, false, 256, a, b)
}
fn sload(e: Expr) -> Expr {
    Expr::SLoad(Box::new(e))
}
fn ret(e: Expr) -> Stmt {
    Stmt::Return(vec![(e, ValTy::Word(WordTy::Uint(256)))])
}
fn param(local: u32, ty: WordTy) -> Param {
    Param {
        name: format!("p{local}"),
        ty: ValTy::Word(ty),
        local,
    }
}
fn u256p(local: u32) -> Param {
    param(local, WordTy::Uint(256))
}
fn call() -> Expr {
    Expr::Send {
        kind: CallKind::Call,
        gas: None,
        target: Box::new(l(0)),
        value: Box::new(c(0)),
        payload: Payload::None,
    }
}
fn revert() -> Stmt {
    Stmt::Revert(Revert::Empty)
}

fn all(mut body: Vec<Stmt>, params: &[Param]) -> String {
    optimize_body(&mut body, params);
    Body(&body).to_string()
}

fn only(passes: &[Pass], mut body: Vec<Stmt>, params: &[Param]) -> String {
    optimize_with(&mut body, params, passes);
    Body(&body).to_string()
}

fn lines(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_ir(got: String, want: &str) {
    assert_eq!(lines(&got), lines(want), "\n--- got ---\n{got}");
}

// ---- constant folding -------------------------------------------------------------------

#[test]
fn folds_constants_and_identities() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::Let(1, bin(BinOp::Add, bin(BinOp::Mul, c(2), c(3)), c(4))),
        Stmt::Let(2, bin(BinOp::Add, l(0), c(0))),
        Stmt::Let(3, bin(BinOp::Mul, l(0), c(8))),
        Stmt::Let(4, bin(BinOp::Lt, c(3), c(5))),
        Stmt::Let(5, bin(BinOp::Eq, l(0), c(0))),
        ret(Expr::HashWords(
            HashAlg::Keccak256,
            vec![l(1), l(2), l(3), l(4), l(5)],
        )),
    ];
    assert_ir(
        only(&[Pass::Fold], body, &p),
        "let %1 = 10
         let %2 = %0
         let %3 = shl(%0, 3)
         let %4 = 1
         let %5 = iszero(%0)
         return(hash(%1, %2, %3, %4, %5): u256)",
    );
}

#[test]
fn folds_checked_only_when_it_cannot_panic() {
    let body = vec![
        Stmt::Let(1, add(8, c(100), c(100))),
        Stmt::Let(2, add(8, c(200), c(100))),
        Stmt::Let(3, sub(c(1), c(2))),
        Stmt::Let(4, chk(CheckedOp::Add, true, 8, neg(1), neg(1))),
        Stmt::Let(5, chk(CheckedOp::Sub, true, 8, neg(128), c(1))),
        Stmt::Let(6, chk(CheckedOp::Div, false, 256, l(0), c(3))),
        Stmt::Let(7, chk(CheckedOp::Div, false, 256, l(0), c(0))),
        Stmt::Let(8, chk(CheckedOp::Div, true, 256, l(0), neg(1))),
        Stmt::Let(9, chk(CheckedOp::Rem, true, 256, l(0), c(7))),
        ret(Expr::HashWords(
            HashAlg::Keccak256,
            (1..=9).map(l).collect(),
        )),
    ];
    let got = only(&[Pass::Fold], body, &[u256p(0)]);
    assert_ir(
        got,
        "let %1 = 200
         let %2 = checked.add.u8(200, 100)
         let %3 = checked.sub.u256(1, 2)
         let %4 = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe
         let %5 = checked.sub.i8(0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80, 1)
         let %6 = div(%0, 3)
         let %7 = checked.div.u256(%0, 0)
         let %8 = checked.div.i256(%0, 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
         let %9 = smod(%0, 7)
         return(hash(%1, %2, %3, %4, %5, %6, %7, %8, %9): u256)",
    );
}

#[test]
fn checked_semantics_match_the_backend() {
    let u = U256::from;
    let m = |v: u64| U256::ZERO.wrapping_sub(U256::from(v));
    // Unsigned widths: overflow of the width, not of the word.
    assert_eq!(
        eval_checked(CheckedOp::Add, false, 8, u(255), u(1)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Add, false, 256, U256::MAX, u(1)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Mul, false, 16, u(256), u(256)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Mul, false, 256, U256::MAX, u(2)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Mul, false, 200, u(3), u(5)),
        Some(Ok(u(15)))
    );
    assert_eq!(
        eval_checked(CheckedOp::Pow, false, 8, u(2), u(8)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Pow, false, 8, u(2), u(7)),
        Some(Ok(u(128)))
    );
    assert_eq!(
        eval_checked(CheckedOp::Sub, false, 64, u(3), u(4)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Div, false, 256, u(3), u(0)),
        Some(Err(0x12))
    );
    assert_eq!(
        eval_checked(CheckedOp::Rem, true, 256, m(7), u(3)),
        Some(Ok(m(1)))
    );
    // Signed: two's complement words, sign-extended for narrow widths.
    assert_eq!(
        eval_checked(CheckedOp::Add, true, 8, u(127), u(1)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Sub, true, 8, m(127), u(1)),
        Some(Ok(m(128)))
    );
    assert_eq!(
        eval_checked(CheckedOp::Neg, true, 8, m(128), u(0)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Neg, true, 8, m(127), u(0)),
        Some(Ok(u(127)))
    );
    let min = U256::from(1) << 255;
    assert_eq!(
        eval_checked(CheckedOp::Div, true, 256, min, U256::MAX),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Sub, true, 256, min, u(1)),
        Some(Err(0x11))
    );
    assert_eq!(
        eval_checked(CheckedOp::Add, true, 256, m(1), m(1)),
        Some(Ok(m(2)))
    );
    // Signed `**` is not range-checked by the backend; wide signed `*` is not generated.
    assert_eq!(
        eval_checked(CheckedOp::Pow, true, 8, u(2), u(9)),
        Some(Ok(u(512)))
    );
    assert_eq!(eval_checked(CheckedOp::Mul, true, 256, u(2), u(2)), None);
    assert_eq!(eval_bin(BinOp::SDiv, m(7), u(2)), m(3));
    assert_eq!(eval_bin(BinOp::Sar, m(8), u(2)), m(2));
    assert_eq!(eval_bin(BinOp::SignExtend, u(0xff), u(0)), U256::MAX);
    assert_eq!(eval_bin(BinOp::Byte, u(0xab), u(31)), u(0xab));
}

#[test]
fn conditions_drop_double_negation() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::If(
            Expr::un(UnOp::IsZero, Expr::un(UnOp::IsZero, l(0))),
            vec![revert()],
            vec![],
        ),
        Stmt::Assert(Expr::un(UnOp::IsZero, Expr::un(UnOp::IsZero, l(0))), 1),
        ret(c(1)),
    ];
    assert_ir(
        only(&[Pass::Fold], body, &p),
        "if %0 {
           revert
         }
         assert %0 else panic(0x01)
         return(1: u256)",
    );
}

// ---- copy / constant propagation --------------------------------------------------------

#[test]
fn propagates_single_assignment_copies_and_constants() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::Let(1, c(5)),
        Stmt::Let(2, l(1)),
        Stmt::Let(3, l(0)),
        Stmt::Let(4, Expr::Env(tandem_lang_ir::Env::Caller)),
        Stmt::Let(5, c(7)),
        Stmt::Set(5, c(8)),
        ret(Expr::HashWords(
            HashAlg::Keccak256,
            vec![l(2), l(3), l(4), l(5)],
        )),
    ];
    assert_ir(
        only(&[Pass::CopyProp], body, &p),
        "let %1 = 5
         let %2 = 5
         let %3 = %0
         let %4 = caller()
         let %5 = 7
         %5 = 8
         return(hash(5, %0, caller(), %5): u256)",
    );
}

#[test]
fn does_not_propagate_a_copy_of_an_assigned_local() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::Let(1, c(1)),
        Stmt::Set(1, l(0)),
        Stmt::Let(2, l(1)),
        Stmt::Set(1, c(9)),
        ret(bin(BinOp::Add, l(2), l(1))),
    ];
    let got = all(body, &p);
    assert!(got.contains("let %2 = %1"), "{got}");
}

// ---- dead code --------------------------------------------------------------------------

#[test]
fn removes_dead_code() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::Let(1, sload(c(3))),
        Stmt::Let(2, call()),
        Stmt::Assert(c(1), 1),
        Stmt::If(c(0), vec![Stmt::SStore(c(0), c(1))], vec![]),
        Stmt::Block(
            7,
            vec![
                Stmt::SStore(c(1), l(0)),
                Stmt::If(l(0), vec![Stmt::Exit(7)], vec![]),
                Stmt::SStore(c(2), l(0)),
                Stmt::Exit(7),
            ],
        ),
        Stmt::Block(8, vec![Stmt::SStore(c(5), l(0))]),
        Stmt::Block(9, vec![]),
        ret(c(1)),
        Stmt::SStore(c(0), c(2)),
    ];
    assert_ir(
        only(&[Pass::Dce], body, &p),
        "call(%0, value: 0)
         block @7 {
           sstore(1, %0)
           if %0 {
             exit @7
           }
           sstore(2, %0)
         }
         sstore(5, %0)
         return(1: u256)",
    );
}

#[test]
fn hoists_seq_statements_out_of_statements() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::Expr(Expr::Seq(vec![Stmt::SStore(c(0), l(0))], Box::new(c(0)))),
        ret(Expr::Seq(
            vec![Stmt::Let(1, sload(c(1))), Stmt::SStore(c(2), l(1))],
            Box::new(bin(BinOp::Add, l(1), c(1))),
        )),
    ];
    assert_ir(
        only(&[Pass::Dce], body, &p),
        "sstore(0, %0)
         let %1 = sload(1)
         sstore(2, %1)
         return(add(%1, 1): u256)",
    );
}

#[test]
fn hoists_a_seq_with_lets_before_a_return_of_constants() {
    let p = [u256p(0)];
    let seq = || {
        Expr::Seq(
            vec![Stmt::Let(1, sload(c(0))), Stmt::SStore(c(1), l(1))],
            Box::new(c(0)),
        )
    };
    // A unit handler's body: its statements' locals may live until the return.
    let body = vec![Stmt::Expr(seq()), Stmt::Return(vec![])];
    assert_ir(
        only(&[Pass::Dce], body, &p),
        "let %1 = sload(0)
         sstore(1, %1)
         return()",
    );
    // A return that reads a local keeps the `Seq` (hoisting would lengthen `%1`'s life).
    let body = vec![Stmt::Expr(seq()), ret(l(0))];
    assert_ir(
        only(&[Pass::Dce], body, &p),
        "seq { let %1 = sload(0); sstore(1, %1); 0 }
         return(%0: u256)",
    );
}

// ---- storage ----------------------------------------------------------------------------

#[test]
fn reuses_loaded_and_stored_values() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::SStore(c(1), add(256, sload(c(0)), c(1))),
        Stmt::SStore(c(2), add(256, sload(c(0)), sload(c(1)))),
        ret(sload(c(1))),
    ];
    assert_ir(
        only(&[Pass::Storage], body, &p),
        "let %1 = sload(0)
         let %2 = checked.add.u256(%1, 1)
         sstore(1, %2)
         sstore(2, checked.add.u256(%1, %2))
         return(%2: u256)",
    );
}

#[test]
fn storage_knowledge_dies_at_calls_and_aliasing_stores() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::Let(1, sload(c(0))),
        Stmt::Expr(call()),
        Stmt::Let(2, sload(c(0))),
        Stmt::SStore(Expr::HashWords(HashAlg::Keccak256, vec![l(0), c(5)]), l(2)),
        Stmt::SStore(l(0), l(1)),
        ret(bin(BinOp::Add, sload(c(0)), bin(BinOp::Add, l(1), l(2)))),
    ];
    // The load after the call stays; the store to slot `%0` may alias slot 0.
    assert_ir(
        only(&[Pass::Storage], body, &p),
        "let %1 = sload(0)
         call(%0, value: 0)
         let %2 = sload(0)
         sstore(hash(%0, 5), %2)
         sstore(%0, %1)
         return(add(sload(0), add(%1, %2)): u256)",
    );
}

#[test]
fn mapping_slots_with_different_bases_do_not_alias() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::Let(
            1,
            sload(Expr::HashWords(HashAlg::Keccak256, vec![l(0), c(1)])),
        ),
        Stmt::Let(2, sload(c(0))),
        Stmt::SStore(Expr::HashWords(HashAlg::Keccak256, vec![l(0), c(2)]), c(7)),
        ret(bin(
            BinOp::Add,
            sload(Expr::HashWords(HashAlg::Keccak256, vec![l(0), c(1)])),
            sload(c(0)),
        )),
    ];
    let got = only(&[Pass::Storage], body, &p);
    assert!(got.contains("return(add(%1, %2): u256)"), "{got}");
}

#[test]
fn drops_overwritten_stores() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::SStore(c(0), c(1)),
        Stmt::MStore(c(0x80), l(0)),
        Stmt::SStore(c(0), c(2)),
        Stmt::SStore(c(1), c(1)),
        Stmt::Let(1, sload(c(1))),
        Stmt::SStore(c(1), l(1)),
        ret(c(0)),
    ];
    assert_ir(
        only(&[Pass::Storage], body, &p),
        "mstore(128, %0)
         sstore(0, 2)
         sstore(1, 1)
         let %1 = sload(1)
         sstore(1, %1)
         return(0: u256)",
    );
}

#[test]
fn computes_a_repeated_mapping_slot_once() {
    let p = [param(0, WordTy::Address), u256p(1)];
    let slot = || Expr::HashWords(HashAlg::Keccak256, vec![l(0), c(1)]);
    let body = vec![
        Stmt::Let(2, sload(slot())),
        Stmt::SStore(slot(), sub(l(2), l(1))),
        ret(c(1)),
    ];
    assert_ir(
        only(&[Pass::Storage], body, &p),
        "let %3 = hash(%0, 1)
         let %2 = sload(%3)
         sstore(%3, checked.sub.u256(%2, %1))
         return(1: u256)",
    );
}

#[test]
fn coalesces_storage_inside_a_seq() {
    let p = [u256p(0)];
    let slot = || Expr::HashWords(HashAlg::Keccak256, vec![l(0), c(3)]);
    let body = vec![
        Stmt::Let(1, sload(c(0))),
        Stmt::Expr(Expr::Seq(
            vec![
                // Nothing known on entry: the statement around may have run anything first.
                Stmt::Let(2, sload(c(0))),
                Stmt::SStore(c(1), add(256, sload(c(0)), c(1))),
                Stmt::Let(3, sload(c(1))),
                Stmt::SStore(slot(), sload(slot())),
                Stmt::Expr(call()),
                Stmt::Let(4, sload(c(1))),
            ],
            Box::new(c(0)),
        )),
        // Nothing learnt inside survives the statement.
        ret(bin(BinOp::Add, sload(c(0)), sload(c(1)))),
    ];
    assert_ir(
        only(&[Pass::Storage], body, &p),
        "let %1 = sload(0)
         seq { let %2 = sload(0); let %5 = checked.add.u256(%2, 1); sstore(1, %5); let %3 = %5; \
         let %6 = hash(%0, 3); sstore(%6, sload(%6)); call(%0, value: 0); let %4 = sload(1); 0 }
         return(add(sload(0), sload(1)): u256)",
    );
}

#[test]
fn a_calls_operands_reuse_known_slots() {
    let p = [u256p(0)];
    let send = |target: Expr, value: Expr| Expr::Send {
        kind: CallKind::Call,
        gas: None,
        target: Box::new(target),
        value: Box::new(value),
        payload: Payload::None,
    };
    // The call's operands run before it: slot 0 is known there.
    let body = vec![
        Stmt::Let(1, sload(c(0))),
        Stmt::If(send(sload(c(0)), c(0)), vec![], vec![revert()]),
        ret(bin(BinOp::Add, l(1), sload(c(0)))),
    ];
    assert_ir(
        only(&[Pass::Storage], body, &p),
        "let %1 = sload(0)
         if call(%1, value: 0) {
         } else {
           revert
         }
         return(add(%1, sload(0)): u256)",
    );
    // Two calls in one statement: the second's operands may run after the first.
    let body = vec![
        Stmt::Let(1, sload(c(0))),
        Stmt::Expr(bin(BinOp::Add, send(l(0), c(0)), send(sload(c(0)), c(0)))),
        ret(l(1)),
    ];
    assert_ir(
        only(&[Pass::Storage], body, &p),
        "let %1 = sload(0)
         add(call(%0, value: 0), call(sload(0), value: 0))
         return(%1: u256)",
    );
}

// ---- checked arithmetic by range ----------------------------------------------------------

#[test]
fn subtraction_after_a_guard_is_unchecked() {
    let p = [u256p(0), u256p(1)];
    let guarded = vec![
        Stmt::If(bin(BinOp::Lt, l(0), l(1)), vec![revert()], vec![]),
        ret(sub(l(0), l(1))),
    ];
    assert_ir(
        only(&[Pass::Range], guarded, &p),
        "if lt(%0, %1) {
           revert
         }
         return(sub(%0, %1): u256)",
    );
    let asserted = vec![
        Stmt::Assert(Expr::un(UnOp::IsZero, bin(BinOp::Gt, l(1), l(0))), 1),
        ret(sub(l(0), l(1))),
    ];
    assert!(only(&[Pass::Range], asserted, &p).contains("return(sub(%0, %1)"));
    // Without the guard, or after the guarded local changes, the check stays.
    let unguarded = vec![
        Stmt::If(
            bin(BinOp::Lt, l(0), l(1)),
            vec![Stmt::SStore(c(0), c(0))],
            vec![],
        ),
        ret(sub(l(0), l(1))),
    ];
    assert!(only(&[Pass::Range], unguarded, &p).contains("checked.sub"));
}

#[test]
fn additions_within_known_ranges_are_unchecked() {
    let p = [
        param(0, WordTy::Uint(8)),
        param(1, WordTy::Uint(8)),
        u256p(2),
    ];
    let body = vec![
        Stmt::Let(3, add(16, l(0), l(1))),
        Stmt::Let(4, add(8, l(0), l(1))),
        Stmt::Let(5, add(256, bin(BinOp::And, l(2), c(0xffff)), c(1))),
        Stmt::Let(
            6,
            chk(CheckedOp::Div, false, 256, l(2), add(256, l(0), c(1))),
        ),
        ret(Expr::HashWords(
            HashAlg::Keccak256,
            vec![l(3), l(4), l(5), l(6)],
        )),
    ];
    assert_ir(
        only(&[Pass::Range], body, &p),
        "let %3 = add(%0, %1)
         let %4 = checked.add.u8(%0, %1)
         let %5 = add(and(%2, 65535), 1)
         let %6 = checked.div.u256(%2, add(%0, 1))
         return(hash(%3, %4, %5, %6): u256)",
    );
}

#[test]
fn division_by_a_value_known_non_zero_is_unchecked() {
    let p = [u256p(0), u256p(1)];
    let body = vec![
        Stmt::If(Expr::un(UnOp::IsZero, l(1)), vec![revert()], vec![]),
        ret(chk(CheckedOp::Div, false, 256, l(0), l(1))),
    ];
    assert!(only(&[Pass::Range], body, &p).contains("return(div(%0, %1)"));
}

#[test]
fn loop_counter_increment_is_unchecked() {
    let p = [u256p(0)];
    // let i = 0; loop { if !(i < n) break; sstore(i, i) } step { i = i + 1 }
    let body = vec![
        Stmt::Let(1, c(0)),
        Stmt::Loop {
            label: 3,
            body: vec![
                Stmt::If(
                    Expr::un(UnOp::IsZero, bin(BinOp::Lt, l(1), l(0))),
                    vec![Stmt::Break(3)],
                    vec![],
                ),
                Stmt::If(l(0), vec![Stmt::Continue(3)], vec![]),
                Stmt::SStore(l(1), l(1)),
            ],
            step: vec![Stmt::Set(1, add(256, l(1), c(1)))],
        },
        ret(c(0)),
    ];
    let got = only(&[Pass::Range], body.clone(), &p);
    assert!(got.contains("%1 = add(%1, 1)"), "{got}");
    // A `Continue` before the guard reaches the step without the fact.
    let mut early = body;
    if let Stmt::Loop { body, .. } = &mut early[1] {
        body.swap(0, 1);
    }
    let got = only(&[Pass::Range], early, &p);
    assert!(got.contains("checked.add"), "{got}");
}

// ---- everything together ------------------------------------------------------------------

#[test]
fn optimizer_never_panics_on_odd_ir() {
    let p = [u256p(0)];
    let body = vec![
        Stmt::Exit(42),
        Stmt::Set(99, c(1)),
        Stmt::Let(5, chk(CheckedOp::Add, true, 3, c(1), c(2))),
        Stmt::Let(6, chk(CheckedOp::Neg, false, 0, c(1), c(2))),
        Stmt::Block(1, vec![Stmt::Continue(1), Stmt::Break(77)]),
    ];
    let _ = all(body, &p);
    let body = vec![
        Stmt::Let(5, chk(CheckedOp::Add, true, 3, c(1), c(2))),
        Stmt::Let(6, chk(CheckedOp::Neg, false, 0, l(5), c(2))),
        Stmt::Let(7, bin(BinOp::Sar, neg(1), c(300))),
        ret(bin(BinOp::Add, l(5), bin(BinOp::Add, l(6), l(7)))),
    ];
    let got = all(body, &p);
    assert!(got.contains("checked.add.i3(1, 2)"), "{got}");
}

#[test]
fn masks_of_values_that_fit_them_are_dropped() {
    use tandem_lang_ir::{Env, U256};
    let addr = |e: Expr| {
        bin(
            BinOp::And,
            e,
            Expr::Const((U256::from(1) << 160) - U256::from(1)),
        )
    };
    let p = [
        param(0, WordTy::Address),
        u256p(1),
        param(2, WordTy::Uint(8)),
    ];
    let body = vec![
        Stmt::SStore(c(1), addr(l(0))),
        Stmt::SStore(c(2), addr(Expr::Env(Env::Caller))),
        // A wider value keeps its mask; so does a mask that is not all low ones.
        Stmt::SStore(c(3), addr(l(1))),
        Stmt::SStore(c(4), bin(BinOp::And, l(2), c(0xf0))),
        Stmt::SStore(c(5), bin(BinOp::And, c(0xff), l(2))),
    ];
    assert_ir(
        only(&[Pass::Range], body, &p),
        "sstore(1, %0)
         sstore(2, caller())
         sstore(3, and(%1, 0xffffffffffffffffffffffffffffffffffffffff))
         sstore(4, and(%2, 240))
         sstore(5, %2)",
    );
}
