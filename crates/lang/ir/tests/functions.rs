//! Internal functions (`Function`, `Expr::Call`): what the verifier refuses, and the
//! optimiser's inlining policy (`opt::inline`): single-use and small non-recursive functions
//! are copied into their callers with fresh locals and labels, recursive ones and larger ones
//! called from several places stay functions.

use tandem_lang_ir::meta::{ContractMeta, HandlerMeta};
use tandem_lang_ir::opt::inline;
use tandem_lang_ir::{
    BinOp, Contract, Expr, Function, Handler, Init, Module, Mutability, Param, Stage, Stmt, ValTy,
    WordTy, verify,
};

const U256: ValTy = ValTy::Word(WordTy::Uint(256));

fn l(n: u32) -> Expr {
    Expr::Local(n)
}
fn c(v: u64) -> Expr {
    Expr::c(v)
}
fn add(a: Expr, b: Expr) -> Expr {
    Expr::bin(BinOp::Add, a, b)
}
fn call(f: u32, args: Vec<Expr>) -> Expr {
    Expr::Call(f, args)
}

/// Handlers `H0`, `H1`, .. each `{ v: u256 } -> u256` (parameter local 0), and `functions`.
fn contract(bodies: Vec<Vec<Stmt>>, functions: Vec<Function>) -> Contract {
    let handlers: Vec<Handler> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| Handler {
            variant: format!("H{i}"),
            params: vec![Param {
                name: "v".into(),
                ty: U256,
                local: 0,
            }],
            returns: vec![U256],
            mutability: Mutability::View,
            body,
        })
        .collect();
    let meta = handlers
        .iter()
        .enumerate()
        .map(|(i, _)| HandlerMeta {
            sol_name: format!("h{i}"),
            signature: format!("h{i}(uint256)"),
            selector: [i as u8; 4],
            method_number: 2 + i as u64,
        })
        .collect();
    Contract {
        name: "C".into(),
        file: "C.tdm".into(),
        init: Init {
            params: vec![],
            payable: false,
            body: vec![],
        },
        handlers,
        receive: None,
        fallback: None,
        functions,
        uses_heap: false,
        meta: ContractMeta {
            handlers: meta,
            ..Default::default()
        },
    }
}

fn module(c: Contract) -> Module {
    Module {
        contracts: vec![c],
        children: vec![vec![]],
    }
}

/// `fn#0(%10) -> %11 { @5: { %11 = %10 + 1 } }`
fn inc() -> Function {
    Function {
        name: "inc".into(),
        params: vec![10],
        result: Some(11),
        body: vec![Stmt::Block(5, vec![Stmt::Set(11, add(l(10), c(1)))])],
    }
}

/// A function of more than `inline::SMALL` nodes: `%21 = ((p + 1) + 2) + .. + 8`.
fn big() -> Function {
    let mut e = l(20);
    for k in 1..=8 {
        e = add(e, c(k));
    }
    let body = vec![Stmt::Let(22, e.clone()), Stmt::Set(21, add(l(22), e))];
    assert!(inline::size(&body) > inline::SMALL);
    Function {
        name: "big".into(),
        params: vec![20],
        result: Some(21),
        body,
    }
}

/// `fn#k(%p) -> %r { %r = fn#other(%p) }` (for recursion).
fn calls(other: u32, p: u32, r: u32) -> Function {
    Function {
        name: format!("calls{other}"),
        params: vec![p],
        result: Some(r),
        body: vec![Stmt::Set(r, call(other, vec![l(p)]))],
    }
}

fn ret(e: Expr) -> Stmt {
    Stmt::Return(vec![(e, U256)])
}

fn verify_error(c: Contract) -> String {
    match verify(&module(c), Stage::Neutral) {
        Ok(()) => panic!("the verifier accepted malformed IR"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_verifier_accepts_calls_and_recursion() {
    let c = contract(
        vec![vec![ret(call(0, vec![l(0)]))]],
        vec![calls(0, 30, 31), inc()],
    );
    verify(&module(c), Stage::Neutral).expect("well-formed");
}

#[test]
fn the_verifier_refuses_malformed_calls_and_functions() {
    let e = verify_error(contract(vec![vec![ret(call(3, vec![l(0)]))]], vec![inc()]));
    assert!(
        e.contains("calls function #3 but the contract has 1"),
        "{e}"
    );
    let e = verify_error(contract(vec![vec![ret(call(0, vec![]))]], vec![inc()]));
    assert!(
        e.contains("calls function #0 with 0 argument(s); it takes 1"),
        "{e}"
    );
    // A handler's reply inside a function.
    let mut f = inc();
    f.body.push(ret(l(10)));
    let e = verify_error(contract(vec![vec![ret(c(0))]], vec![f]));
    assert!(e.contains("function #0 `inc`"), "{e}");
    assert!(e.contains("a handler's `Return`"), "{e}");
    // The body reads a local that is neither a parameter nor declared.
    let mut f = inc();
    f.body = vec![Stmt::Set(11, l(99))];
    let e = verify_error(contract(vec![vec![ret(c(0))]], vec![f]));
    assert!(e.contains("reads local %99"), "{e}");
    // `Exit` of a label outside the function (labels do not cross calls).
    let mut f = inc();
    f.body = vec![Stmt::Exit(77)];
    let e = verify_error(contract(
        vec![vec![Stmt::Block(77, vec![ret(c(0))])]],
        vec![f],
    ));
    assert!(e.contains("not inside the label's block"), "{e}");
}

#[test]
fn single_use_and_small_functions_are_inlined_with_fresh_ids() {
    // inc is small and called twice, big is called once: both go.
    let h0 = vec![ret(add(call(0, vec![l(0)]), call(1, vec![l(0)])))];
    let h1 = vec![ret(call(0, vec![c(5)]))];
    let mut c = contract(vec![h0, h1], vec![inc(), big()]);
    inline::run(&mut c);
    assert!(c.functions.is_empty(), "{:?}", c.functions);
    verify(&module(c.clone()), Stage::Neutral).expect("inlined IR verifies");
    let shown = module(c).to_string();
    assert!(!shown.contains("call fn#"), "{shown}");
    // Each copy declares its own parameter and result, above every id in the contract.
    assert!(shown.contains("let %23 = %0"), "{shown}");
    assert!(shown.contains("let %24 = 0"), "{shown}");
}

#[test]
fn recursive_and_shared_large_functions_stay_functions() {
    // fn#0 and fn#1 call each other; big (fn#2) is called from two handlers; inc (fn#3)
    // is called only from big and is inlined into it.
    let mut b = big();
    b.body.push(Stmt::Set(21, call(3, vec![l(21)])));
    let h0 = vec![ret(add(call(0, vec![l(0)]), call(2, vec![l(0)])))];
    let h1 = vec![ret(call(2, vec![c(1)]))];
    let mut c = contract(
        vec![h0, h1],
        vec![calls(1, 30, 31), calls(0, 40, 41), b, inc()],
    );
    assert_eq!(inline::recursive(&c), vec![true, true, false, false]);
    inline::run(&mut c);
    let names: Vec<&str> = c.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["calls1", "calls0", "big"]);
    verify(&module(c.clone()), Stage::Neutral).expect("verifies");
    let shown = module(c).to_string();
    assert!(shown.contains("call fn#2(%0)"), "{shown}");
    assert!(shown.contains("call fn#2(1)"), "{shown}");
}

#[test]
fn a_function_nobody_calls_is_dropped_and_calls_are_renumbered() {
    let h0 = vec![ret(add(call(1, vec![l(0)]), call(1, vec![c(2)])))];
    let mut c = contract(vec![h0], vec![inc(), big()]);
    inline::run(&mut c);
    let names: Vec<&str> = c.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["big"]);
    let shown = module(c.clone()).to_string();
    assert!(shown.contains("call fn#0(%0)"), "{shown}");
    verify(&module(c), Stage::Neutral).expect("verifies");
}

#[test]
fn the_optimiser_keeps_a_functions_result_alive() {
    // The result is only read when the body ends: its store must survive dce.
    let f = Function {
        name: "five".into(),
        params: vec![10],
        result: Some(11),
        body: vec![Stmt::Block(
            3,
            vec![Stmt::Let(12, c(5)), Stmt::Set(11, l(12)), Stmt::Exit(3)],
        )],
    };
    let mut m = module(contract(
        vec![vec![ret(call(0, vec![l(0)])), ret(call(0, vec![c(1)]))]],
        vec![f.clone()],
    ));
    tandem_lang_ir::opt::optimize_function(&mut m.contracts[0].functions[0]);
    let shown = m.to_string();
    assert!(shown.contains("%11 = 5"), "{shown}");
    verify(&m, Stage::Neutral).expect("verifies");
}

/// `fn#k(%s, %k) -> %r { %r = sload(%s + 1) + fn#k(%s, %k) }`: a recursive function whose
/// first parameter (a base slot) is passed on unchanged.
fn slot_rec(k: u32, s: u32) -> Function {
    let read = Expr::SLoad(Box::new(add(l(s), c(1))));
    Function {
        name: format!("rec{k}"),
        params: vec![s, s + 1],
        result: Some(s + 2),
        body: vec![Stmt::Set(s + 2, add(read, call(k, vec![l(s), l(s + 1)])))],
    }
}

#[test]
fn a_parameter_every_call_passes_the_same_constant_moves_into_the_body() {
    use tandem_lang_ir::opt::const_args;
    // fn#0: every call passes 3 for the slot (the recursive one passes it on): dropped.
    // fn#1: called with 3 and with 4: kept. fn#2: passes its slot on after assigning it: kept.
    let mut assigned = slot_rec(2, 60);
    assigned.body.insert(0, Stmt::Set(60, c(9)));
    let h0 = vec![ret(add(
        call(0, vec![c(3), l(0)]),
        call(1, vec![c(3), l(0)]),
    ))];
    let h1 = vec![ret(add(
        call(0, vec![c(3), c(7)]),
        call(1, vec![c(4), l(0)]),
    ))];
    let h2 = vec![ret(call(2, vec![c(5), l(0)]))];
    let mut c = contract(
        vec![h0, h1, h2],
        vec![slot_rec(0, 40), slot_rec(1, 50), assigned],
    );
    const_args::run(&mut c);
    let arity: Vec<usize> = c.functions.iter().map(|f| f.params.len()).collect();
    assert_eq!(arity, [1, 2, 2]);
    assert_eq!(c.functions[0].body[0], Stmt::Let(40, Expr::c(3)));
    verify(&module(c.clone()), Stage::Neutral).expect("verifies");
    let shown = module(c.clone()).to_string();
    assert!(shown.contains("call fn#0(%0)"), "{shown}");
    assert!(shown.contains("call fn#0(7)"), "{shown}");
    assert!(shown.contains("call fn#0(%41)"), "{shown}");
    assert!(shown.contains("call fn#1(4, %0)"), "{shown}");
    assert!(shown.contains("call fn#2(5, %0)"), "{shown}");
    // The optimiser then folds the slot into the body.
    tandem_lang_ir::opt::optimize_function(&mut c.functions[0]);
    let shown = module(c).to_string();
    assert!(shown.contains("sload(4)"), "{shown}");
}
