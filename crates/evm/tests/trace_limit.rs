//! A tracer that goes over its `TraceLimit` stops recording, and the traced transaction
//! runs exactly as an untraced one: same receipt, gas, logs, output and state root.

use crate::common;

use alloy_primitives::{B256, U256};
use common::Chain;
use tandem_evm::initcode::deploying;
use tandem_evm::tx::EthReceipt;
use tandem_vm::trace::{Overflow, StepOptions, TraceLimit, Tracer};

/// Without calldata: calls itself `n` times with `args` bytes of calldata; with calldata:
/// logs 32 bytes and returns `ret` bytes.
fn bomb(n: u8, args: u32, ret: u32) -> Vec<u8> {
    let a = args.to_be_bytes();
    let r = ret.to_be_bytes();
    #[rustfmt::skip]
    let code = vec![
        0x36, 0x60, 32, 0x57,                   // CALLDATASIZE PUSH1 32 JUMPI
        0x60, n,                                // counter
        0x5b,                                   // 6: JUMPDEST
        0x60, 0, 0x60, 0,                       // retLen retOffset
        0x62, a[1], a[2], a[3], 0x60, 0,        // argsLen argsOffset
        0x60, 0, 0x30, 0x5a, 0xf1, 0x50,        // value ADDRESS GAS CALL POP
        0x60, 1, 0x90, 0x03, 0x80, 0x60, 6, 0x57, // counter - 1, loop while nonzero
        0x00,                                   // 31: STOP
        0x5b, 0x60, 0x20, 0x60, 0, 0xa0,        // 32: JUMPDEST LOG0(0, 32)
        0x62, r[1], r[2], r[3], 0x60, 0, 0xf3,  // RETURN(0, ret)
    ];
    code
}

/// The same transaction on two fresh chains, untraced and traced with `tracer`.
fn both(code: &[u8], tracer: Tracer) -> (EthReceipt, EthReceipt, Tracer, [B256; 2]) {
    let mut runs = Vec::new();
    let mut tracers = Vec::new();
    let mut roots = Vec::new();
    for traced in [false, true] {
        let mut chain = Chain::new(1);
        let to = chain.deploy(0, &deploying(code), &[]);
        if traced {
            chain.exec.machine.tracer = Some(Box::new(tracer.clone()));
        }
        let r = chain.send(0, to, Vec::new(), U256::ZERO);
        if let Some(t) = chain.exec.machine.tracer.take() {
            tracers.push(*t);
        }
        roots.push(chain.root());
        runs.push(r);
    }
    let traced = runs.pop().unwrap();
    let plain = runs.pop().unwrap();
    (plain, traced, tracers.pop().unwrap(), [roots[0], roots[1]])
}

fn assert_same(plain: &EthReceipt, traced: &EthReceipt, roots: [B256; 2]) {
    assert!(plain.success, "{:?}", plain.failure);
    assert_eq!(plain.success, traced.success);
    assert_eq!(plain.exit_code, traced.exit_code);
    assert_eq!(plain.gas_used, traced.gas_used);
    assert_eq!(plain.output, traced.output);
    assert_eq!(format!("{:?}", plain.logs), format!("{:?}", traced.logs));
    assert_eq!(plain.apply.receipt, traced.apply.receipt);
    assert_eq!(roots[0], roots[1], "state roots differ");
}

#[test]
fn an_overflowed_call_trace_does_not_change_the_execution() {
    // 20 calls with 10 KB of calldata, each returning 10 KB and logging 32 bytes.
    let code = bomb(20, 10_000, 10_000);
    let limit = TraceLimit {
        bytes: 50_000,
        steps: u64::MAX,
    };
    let (plain, traced, t, roots) = both(&code, Tracer::with_limit(None, limit));
    assert_same(&plain, &traced, roots);
    assert_eq!(plain.logs.len(), 20);
    assert_eq!(t.overflow(), Some(Overflow::Bytes));
    assert!(t.used_bytes() <= limit.bytes, "{}", t.used_bytes());
    // The frames kept are a prefix: the top frame and the first few calls.
    assert!(
        t.frames.len() > 1 && t.frames.len() < 6,
        "{}",
        t.frames.len()
    );
    assert!(t.frames[1..].iter().all(|f| f.parent == Some(0)));

    // Unlimited, the same transaction keeps every frame, its calldata and return data.
    let (plain, traced, t, roots) = both(&code, Tracer::new(None));
    assert_same(&plain, &traced, roots);
    assert_eq!(t.overflow(), None);
    assert_eq!(t.frames.len(), 21);
    let f = &t.frames[20];
    assert_eq!(f.params.as_ref().map(|p| p.data.len()), Some(10_000));
    assert_eq!(f.return_data.as_ref().map(|r| r.data.len()), Some(10_000));
    assert_eq!(f.events.len(), 1);
}

#[test]
fn an_overflowed_struct_log_does_not_change_the_execution() {
    let code = bomb(5, 40_000, 40_000);
    let steps = StepOptions {
        stack: true,
        memory: true,
        storage: true,
        limit: 0,
    };
    // Over the byte budget: the 40 KB memory copies stop it early.
    let limit = TraceLimit {
        bytes: 200_000,
        steps: u64::MAX,
    };
    let (plain, traced, t, roots) = both(&code, Tracer::with_limit(Some(steps), limit));
    assert_same(&plain, &traced, roots);
    assert_eq!(t.overflow(), Some(Overflow::Bytes));
    assert!(t.used_bytes() <= limit.bytes);
    let copied: usize = t
        .struct_logs
        .iter()
        .map(|l| l.memory.as_ref().map_or(0, Vec::len))
        .sum();
    assert!(copied <= 200_000, "{copied}");

    // Over the step count.
    let limit = TraceLimit {
        bytes: u64::MAX,
        steps: 30,
    };
    let (plain, traced, t, roots) = both(&code, Tracer::with_limit(Some(steps), limit));
    assert_same(&plain, &traced, roots);
    assert_eq!(t.overflow(), Some(Overflow::Steps));
    assert_eq!(t.struct_logs.len(), 30);

    // Past the request's `limit` nothing is copied and nothing overflows; the kept steps'
    // costs are their own (a dropped step does not overwrite them).
    let few = StepOptions { limit: 3, ..steps };
    let (plain, traced, t, roots) = both(&code, Tracer::with_limit(Some(few), limit));
    assert_same(&plain, &traced, roots);
    assert_eq!(t.overflow(), None);
    assert_eq!(t.struct_logs.len(), 3);
    assert!(t.dropped_steps > 100);
    // CALLDATASIZE, PUSH1, JUMPI: 2, 3, 10 gas.
    let costs: Vec<u64> = t.struct_logs.iter().map(|l| l.gas_cost).collect();
    assert_eq!(costs, vec![2, 3, 10]);
}
