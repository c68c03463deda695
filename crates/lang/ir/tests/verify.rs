//! The IR verifier on hand-built IR: a well-formed contract passes; each malformed one fails
//! with a message that names the contract, the body, the statement and the fault.

use tandem_lang_ir::meta::{ContractMeta, HandlerMeta};
use tandem_lang_ir::{
    BinOp, CallKind, CheckedOp, Contract, EventField, Expr, Handler, Init, Intrinsic, LExpr, LStmt,
    Module, MsgRef, Mutability, Param, Payload, Revert, Stage, Stmt, ValTy, WordTy, verify,
};

const U256: ValTy = ValTy::Word(WordTy::Uint(256));

fn l(n: u32) -> Expr {
    Expr::Local(n)
}
fn c(v: u64) -> Expr {
    Expr::c(v)
}

/// A contract with one handler `Get { v: u256 } -> u256` (parameter local 0) whose body is
/// `body`, and `children` contracts it may create.
fn module(body: Vec<Stmt>, children: usize) -> Module {
    let handler = Handler {
        variant: "Get".into(),
        params: vec![Param {
            name: "v".into(),
            ty: U256,
            local: 0,
        }],
        returns: vec![U256],
        mutability: Mutability::View,
        body,
    };
    let meta = HandlerMeta {
        sol_name: "get".into(),
        signature: "get(uint256)".into(),
        selector: [0; 4],
        method_number: 1,
    };
    let contract = |name: &str, handler: Handler| Contract {
        name: name.into(),
        file: "C.tdm".into(),
        init: Init {
            params: vec![],
            payable: false,
            body: vec![],
        },
        handlers: vec![handler],
        receive: None,
        fallback: None,
        functions: vec![],
        uses_heap: true,
        meta: ContractMeta {
            handlers: vec![meta.clone()],
            ..Default::default()
        },
    };
    let mut m = Module::default();
    m.contracts.push(contract("C", handler.clone()));
    m.children.push((1..=children).collect());
    for _ in 0..children {
        let body = vec![ret(l(0))];
        m.contracts.push(contract(
            "Child",
            Handler {
                body,
                ..handler.clone()
            },
        ));
        m.children.push(vec![]);
    }
    m
}

fn ret(e: Expr) -> Stmt {
    Stmt::Return(vec![(e, U256)])
}

fn message() -> Expr {
    Expr::Message {
        msg: MsgRef {
            name: "M::Get".into(),
            signature: "get(uint256)".into(),
            method_number: 1,
        },
        args: vec![(l(0), U256)],
    }
}

fn send(payload: Payload) -> Expr {
    Expr::Send {
        kind: CallKind::StaticCall,
        gas: None,
        target: Box::new(c(7)),
        value: Box::new(c(0)),
        payload,
    }
}

/// The verifier's message for a neutral module with this handler body.
fn error(body: Vec<Stmt>) -> String {
    error_at(module(body, 0), Stage::Neutral)
}

fn error_at(m: Module, stage: Stage) -> String {
    match verify(&m, stage) {
        Ok(()) => panic!("the verifier accepted malformed IR"),
        Err(e) => e.to_string(),
    }
}

fn assert_has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "`{p}` not in: {msg}");
    }
}

#[test]
fn a_well_formed_contract_passes() {
    let body = vec![
        Stmt::Let(1, message()),
        Stmt::Let(2, send(Payload::Message(Box::new(l(1))))),
        Stmt::If(
            Expr::un(tandem_lang_ir::UnOp::IsZero, l(2)),
            vec![Stmt::Revert(Revert::Bubble)],
            vec![],
        ),
        Stmt::Let(3, Expr::Reply(U256)),
        Stmt::Emit {
            name: "Got".into(),
            anonymous: false,
            fields: vec![EventField {
                value: l(3),
                ty: U256,
                indexed: true,
            }],
        },
        Stmt::Block(
            9,
            vec![
                Stmt::Let(4, c(0)),
                Stmt::Loop {
                    label: 10,
                    body: vec![
                        Stmt::If(l(4), vec![Stmt::Break(10)], vec![Stmt::Exit(9)]),
                        Stmt::Continue(10),
                    ],
                    step: vec![Stmt::Set(4, c(1))],
                },
            ],
        ),
        ret(Expr::Seq(
            vec![Stmt::Let(5, Expr::bin(BinOp::Add, l(3), l(0)))],
            Box::new(l(5)),
        )),
    ];
    verify(&module(body, 0), Stage::Neutral).unwrap();
}

#[test]
fn a_local_read_before_it_is_declared() {
    let msg = error(vec![ret(Expr::bin(BinOp::Add, l(0), l(9)))]);
    assert_has(
        &msg,
        &[
            "malformed IR in contract `C`, handler `Get`",
            "in `return(add(%0, %9): u256)`",
            "reads local %9, which is not declared here",
        ],
    );
}

#[test]
fn a_local_read_after_its_scope_ends() {
    let msg = error(vec![
        Stmt::If(l(0), vec![Stmt::Let(1, c(5))], vec![]),
        ret(l(1)),
    ]);
    assert_has(&msg, &["reads local %1, which is not declared here"]);
    let msg = error(vec![
        Stmt::Expr(Expr::Seq(vec![Stmt::Let(1, c(5))], Box::new(l(1)))),
        ret(l(1)),
    ]);
    assert_has(&msg, &["reads local %1"]);
}

#[test]
fn an_assignment_to_an_undeclared_local() {
    let msg = error(vec![Stmt::Set(4, c(1)), ret(l(0))]);
    assert_has(&msg, &["assigns local %4, which is not declared here"]);
}

#[test]
fn a_local_declared_twice() {
    let msg = error(vec![Stmt::Let(0, c(1)), ret(l(0))]);
    assert_has(&msg, &["local %0 is declared twice while in scope"]);
}

#[test]
fn jumps_to_labels_that_do_not_enclose_them() {
    let msg = error(vec![Stmt::Exit(3), ret(l(0))]);
    assert_has(&msg, &["`exit @3` is not inside the label's block or loop"]);
    let msg = error(vec![Stmt::Block(3, vec![Stmt::Break(3)]), ret(l(0))]);
    assert_has(&msg, &["`break @3` names a block label"]);
    let msg = error(vec![
        Stmt::Loop {
            label: 3,
            body: vec![Stmt::Exit(3)],
            step: vec![],
        },
        ret(l(0)),
    ]);
    assert_has(&msg, &["`exit @3` names a loop label"]);
}

#[test]
fn a_reply_of_the_wrong_shape() {
    let msg = error(vec![Stmt::Return(vec![])]);
    assert_has(&msg, &["returns () but the reply is (u256)"]);
    let msg = error(vec![Stmt::Return(vec![(l(0), ValTy::Word(WordTy::Bool))])]);
    assert_has(&msg, &["returns (bool) but the reply is (u256)"]);
}

#[test]
fn ill_formed_types() {
    let msg = error(vec![Stmt::Return(vec![(
        l(0),
        ValTy::Word(WordTy::Uint(12)),
    )])]);
    assert_has(&msg, &["integer width 12 is not 8..=256 in steps of 8"]);
    let msg = error(vec![ret(Expr::Checked {
        op: CheckedOp::Add,
        signed: false,
        bits: 0,
        a: Box::new(l(0)),
        b: Box::new(c(1)),
    })]);
    assert_has(&msg, &["checked arithmetic on 0 bits"]);
}

#[test]
fn a_reply_not_read_into_a_let() {
    let msg = error(vec![ret(Expr::Reply(U256))]);
    assert_has(
        &msg,
        &["a reply must be read into a `Let` right after its send"],
    );
}

#[test]
fn lowered_forms_in_neutral_ir() {
    let msg = error(vec![
        Stmt::Lowered(LStmt::ReturnDataCopy(c(0), c(0), c(32))),
        ret(l(0)),
    ]);
    assert_has(&msg, &["a backend-lowered statement in target-neutral IR"]);
    let msg = error(vec![ret(Expr::Lowered(LExpr::ReturnDataSize))]).to_string();
    assert_has(&msg, &["a backend-lowered expression in target-neutral IR"]);
}

#[test]
fn typed_operations_left_after_lowering() {
    let body = vec![Stmt::Let(1, send(Payload::None)), ret(l(0))];
    let msg = error_at(module(body, 0), Stage::Lowered);
    assert_has(&msg, &["a send should have been lowered by the backend"]);
    let body = vec![Stmt::Revert(Revert::Error {
        name: "Nope".into(),
        args: vec![],
    })];
    let msg = error_at(module(body, 0), Stage::Lowered);
    assert_has(&msg, &["a typed error should have been lowered"]);
}

#[test]
fn a_create_of_a_contract_that_is_not_a_child() {
    let create = |child| Expr::Create {
        child,
        value: Box::new(c(0)),
        args: vec![],
        salt: None,
    };
    let ok = vec![Stmt::Let(1, create(0)), ret(l(1))];
    verify(&module(ok, 1), Stage::Neutral).unwrap();
    let bad = vec![Stmt::Let(1, create(1)), ret(l(1))];
    let msg = error_at(module(bad, 1), Stage::Neutral);
    assert_has(&msg, &["creates child #1 but the contract has 1 children"]);
    let mut m = module(vec![ret(l(0))], 0);
    m.children[0] = vec![5];
    let msg = error_at(m, Stage::Neutral);
    assert_has(&msg, &["creates contract #5, which is not in the module"]);
}

#[test]
fn events_that_index_too_much() {
    let field = |ty: ValTy| EventField {
        value: l(0),
        ty,
        indexed: true,
    };
    let emit = |fields| Stmt::Emit {
        name: "E".into(),
        anonymous: false,
        fields,
    };
    let msg = error(vec![emit(vec![field(U256); 4]), ret(l(0))]);
    assert_has(&msg, &["event `E` indexes 4 fields"]);
    let msg = error(vec![emit(vec![field(ValTy::Tuple(vec![U256]))]), ret(l(0))]);
    assert_has(&msg, &["event `E` indexes a `(u256)`"]);
}

#[test]
fn metadata_out_of_step_with_the_handlers() {
    let mut m = module(vec![ret(l(0))], 0);
    m.contracts[0].meta.handlers.clear();
    let msg = error_at(m, Stage::Neutral);
    assert_has(&msg, &["metadata", "1 handler(s) but 0 metadata entries"]);
}

#[test]
fn immutables_are_written_only_in_init() {
    let set = |v: Expr| Stmt::Expr(Expr::Intrinsic(Intrinsic::SetImmutable(0), vec![v]));
    let read = Expr::Intrinsic(Intrinsic::Immutable(0), vec![]);
    // In init, with one value, then read by the handler: well formed.
    let mut m = module(vec![ret(read.clone())], 0);
    m.contracts[0].init.body = vec![set(c(5))];
    verify(&m, Stage::Neutral).expect("an immutable written in init");
    // Written in a handler.
    let e = error(vec![set(c(5)), ret(read.clone())]);
    assert_has(&e, &["handler `Get`", "writes immutable #0 outside `init`"]);
    // Written with no value, and read with an argument.
    let mut m = module(vec![ret(c(0))], 0);
    m.contracts[0].init.body = vec![Stmt::Expr(Expr::Intrinsic(
        Intrinsic::SetImmutable(2),
        vec![],
    ))];
    assert_has(
        &error_at(m, Stage::Neutral),
        &["init", "writes immutable #2 with 0 values"],
    );
    let e = error(vec![ret(Expr::Intrinsic(
        Intrinsic::Immutable(1),
        vec![c(1)],
    ))]);
    assert_has(&e, &["reads immutable #1 with arguments"]);
}

#[test]
fn intrinsics_take_their_number_of_arguments() {
    let create = |args: Vec<Expr>| ret(Expr::Intrinsic(Intrinsic::CreateCode, args));
    verify(&module(vec![create(vec![c(0), c(64)])], 0), Stage::Neutral)
        .expect("create_code(value, code)");
    assert_has(
        &error(vec![create(vec![c(64)])]),
        &["CreateCode with 1 argument(s)"],
    );
    let copy = Expr::Intrinsic(Intrinsic::CodeCopy, vec![c(1), c(2)]);
    assert_has(&error(vec![ret(copy)]), &["CodeCopy with 2 argument(s)"]);
}
