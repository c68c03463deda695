//! EVM operations against the clock: the calibration's second table.
//!
//! The EVM runtime charges Ethereum's schedule, not the native price list, so its rows are not
//! priced here; they are audited. Each row loops one operation in a contract, run on Tandem
//! and on plain revm (same bytecode, same spec), and shows what a gas of it costs on both. A
//! row far above the native common rate is a cheap way to fill a block with time; a row far
//! above revm is Tandem's own overhead (the state tree, the call manager, events), which is
//! ours to fix. The loops are the ones an attacker would write: each operation on a fresh
//! address or key where that is the expensive case.

use std::time::{Duration, Instant};

use alloy_primitives::{Address as EthAddr, Bytes, TxKind};
use anyhow::{Context as _, ensure};
use serde::Serialize;
use tandem_evm::initcode::deploying;

use crate::chain::BenchChain;
use crate::evm::RevmTwin;

/// A measured EVM row.
#[derive(Debug, Clone, Serialize)]
pub struct EvmRow {
    pub name: &'static str,
    pub gas_per_op: f64,
    pub tandem_ns_per_op: f64,
    pub revm_ns_per_op: f64,
    /// Tandem's ns per gas over the native common rate (`None` without native rows).
    pub ratio_to_common: Option<f64>,
    /// Tandem's time per operation over plain revm's.
    pub ratio_to_revm: f64,
}

/// Contracts the probes refer to, one address per chain.
struct Targets {
    /// Runtime code `STOP`.
    empty: [u8; 20],
    /// 16 KiB of code that stops at its first byte (what it costs to reach a large
    /// contract's code, not to run it; 24 KiB would not deploy within the 5M-gas transaction).
    large: [u8; 20],
}

/// One probe: the loop body (stack-neutral, the counter on top) for a chain's targets, and
/// how many extra iterations the loaded contract runs.
struct EvmProbe {
    name: &'static str,
    body: fn(&Targets) -> Vec<u8>,
    n: u32,
}

const PUSH0: u8 = 0x5f;
const POP: u8 = 0x50;
const DUP1: u8 = 0x80;
const GAS: u8 = 0x5a;

/// An address no account has and no lookup has seen, pushed: `0x5eed0000 | counter ^
/// (nonce << 32)`, where the counter is `depth` deep on the stack and the contract's own
/// per-transaction nonce (see [`looped`]) right under it.
fn fresh_address(depth: u8) -> Vec<u8> {
    vec![
        0x7f + depth,
        0x81 + depth,
        0x60,
        0x20,
        0x1b, // SHL
        0x18, // XOR
        0x63,
        0x5e,
        0xed,
        0x00,
        0x00,
        0x17, // OR
    ]
}

fn push20(a: &[u8; 20]) -> Vec<u8> {
    let mut v = vec![0x73];
    v.extend_from_slice(a);
    v
}

/// `CALL(gas, <address pushed by addr>, 0, 0, 0, 0, 0)`, result dropped. The address code
/// runs with five zeros above the counter.
fn call_with(addr: Vec<u8>) -> Vec<u8> {
    let mut v = vec![PUSH0; 5];
    v.extend(addr);
    v.extend([GAS, 0xf1, POP]);
    v
}

fn probes() -> Vec<EvmProbe> {
    vec![
        EvmProbe {
            name: "ADD (the interpreter's floor)",
            body: |_| vec![DUP1, DUP1, 0x01, POP],
            n: 20_000,
        },
        EvmProbe {
            name: "KECCAK256 of nothing",
            body: |_| vec![PUSH0, PUSH0, 0x20, POP],
            n: 20_000,
        },
        EvmProbe {
            name: "BALANCE of a fresh absent address, cold",
            body: |_| [fresh_address(1), vec![0x31, POP]].concat(),
            n: 1_000,
        },
        EvmProbe {
            name: "EXTCODEHASH of a fresh absent address, cold",
            body: |_| [fresh_address(1), vec![0x3f, POP]].concat(),
            n: 1_000,
        },
        EvmProbe {
            name: "EXTCODESIZE of a 16 KiB contract, warm",
            body: |t| [push20(&t.large), vec![0x3b, POP]].concat(),
            n: 5_000,
        },
        EvmProbe {
            name: "EXTCODEHASH of a 16 KiB contract, warm",
            body: |t| [push20(&t.large), vec![0x3f, POP]].concat(),
            n: 5_000,
        },
        EvmProbe {
            name: "BALANCE of a contract and SELFBALANCE, in turn, warm",
            body: |t| [push20(&t.empty), vec![0x31, POP, 0x47, POP]].concat(),
            n: 5_000,
        },
        EvmProbe {
            // 32 addresses (0x5eed0000 + counter % 32): more than a frame keeps looked up.
            name: "BALANCE of 32 absent addresses in turn, mostly warm",
            body: |_| {
                vec![
                    DUP1, 0x60, 0x20, 0x90, 0x06, 0x63, 0x5e, 0xed, 0x00, 0x00, 0x17, 0x31, POP,
                ]
            },
            n: 5_000,
        },
        EvmProbe {
            name: "SLOAD of an absent slot, cold",
            body: |_| vec![DUP1, 0x54, POP],
            n: 1_000,
        },
        EvmProbe {
            name: "CALL to a fresh absent address, cold",
            body: |_| call_with(fresh_address(6)),
            n: 500,
        },
        EvmProbe {
            name: "CALL to a contract that stops, warm",
            body: |t| call_with(push20(&t.empty)),
            n: 2_000,
        },
        EvmProbe {
            name: "CALL to a 16 KiB contract, warm",
            body: |t| call_with(push20(&t.large)),
            n: 2_000,
        },
        EvmProbe {
            // The input is copied into the child's parameters: once, not per layer.
            name: "DELEGATECALL to a contract that stops, 4 KiB of input",
            body: |t| {
                [
                    vec![PUSH0, PUSH0, 0x61, 0x10, 0x00, PUSH0],
                    push20(&t.empty),
                    vec![GAS, 0xf4, POP],
                ]
                .concat()
            },
            n: 2_000,
        },
        EvmProbe {
            name: "STATICCALL to the identity precompile, nothing",
            body: |_| vec![PUSH0, PUSH0, PUSH0, PUSH0, 0x60, 0x04, GAS, 0xfa, POP],
            n: 2_000,
        },
        EvmProbe {
            name: "LOG0 of nothing",
            body: |_| vec![PUSH0, PUSH0, 0xa0],
            n: 2_000,
        },
        EvmProbe {
            name: "LOG4 of nothing",
            body: |_| vec![DUP1, DUP1, DUP1, DUP1, PUSH0, PUSH0, 0xa4],
            n: 1_000,
        },
        EvmProbe {
            name: "CREATE of empty code",
            body: |_| vec![PUSH0, PUSH0, PUSH0, 0xf0, POP],
            n: 100,
        },
        EvmProbe {
            name: "BLOCKHASH of the last block",
            body: |_| vec![0x60, 0x01, 0x43, 0x03, 0x40, POP],
            n: 5_000,
        },
    ]
}

/// Runtime code running `body` `iterations` times (at least once). First it counts its
/// transactions in slot 0xff and keeps the count under the loop counter, so bodies can make
/// keys no earlier transaction used (the base and the loaded contract pay the same for it).
fn looped(body: &[u8], iterations: u32) -> Vec<u8> {
    // SLOAD(0xff) + 1, stored back, left on the stack
    let mut code = vec![
        0x60, 0xff, 0x54, 0x60, 0x01, 0x01, DUP1, 0x60, 0xff, 0x55, 0x63,
    ];
    code.extend(iterations.max(1).to_be_bytes());
    let head = code.len() as u8;
    code.push(0x5b); // JUMPDEST
    code.extend_from_slice(body);
    // counter - 1; loop while non-zero
    code.extend([0x60, 0x01, 0x90, 0x03, DUP1, 0x60, head, 0x57, 0x00]);
    code
}

/// One chain's deploys, on Tandem or on revm.
trait EvmChain {
    fn deploy(&mut self, init: Vec<u8>) -> anyhow::Result<[u8; 20]>;
    /// Calls `to` with no input; the gas used.
    fn call(&mut self, to: [u8; 20]) -> anyhow::Result<u64>;
}

impl EvmChain for BenchChain {
    fn deploy(&mut self, init: Vec<u8>) -> anyhow::Result<[u8; 20]> {
        self.eth_deploy(init)
    }

    fn call(&mut self, to: [u8; 20]) -> anyhow::Result<u64> {
        let gas = self.eth_tx(Some(to), Bytes::new())?.gas_used;
        // A block of one transaction: persisting what it wrote is part of its cost.
        self.exec.flush()?;
        Ok(gas)
    }
}

impl EvmChain for RevmTwin {
    fn deploy(&mut self, init: Vec<u8>) -> anyhow::Result<[u8; 20]> {
        Ok(RevmTwin::deploy(self, init)?.0.0)
    }

    fn call(&mut self, to: [u8; 20]) -> anyhow::Result<u64> {
        Ok(self
            .tx(TxKind::Call(EthAddr::from(to)), Bytes::new())?
            .tx_gas_used())
    }
}

fn targets(chain: &mut dyn EvmChain) -> anyhow::Result<Targets> {
    let mut large = vec![0x5b; 16 * 1024];
    large[0] = 0x00;
    Ok(Targets {
        empty: chain.deploy(deploying(&[0x00]))?,
        large: chain.deploy(deploying(&large))?,
    })
}

/// A probe's two contracts on one chain.
struct Pair {
    base: [u8; 20],
    loaded: [u8; 20],
}

fn deploy_pair(chain: &mut dyn EvmChain, t: &Targets, p: &EvmProbe) -> anyhow::Result<Pair> {
    let body = (p.body)(t);
    Ok(Pair {
        base: chain.deploy(deploying(&looped(&body, 1)))?,
        loaded: chain.deploy(deploying(&looped(&body, 1 + p.n)))?,
    })
}

/// The median extra time and the extra gas of `pair.loaded` over `pair.base`.
fn time_pair(
    chain: &mut dyn EvmChain,
    pair: &Pair,
    budget: Duration,
) -> anyhow::Result<(f64, u64)> {
    super::paired(budget, |loaded| {
        let to = if loaded { pair.loaded } else { pair.base };
        let start = Instant::now();
        let gas = chain.call(to)?;
        Ok((start.elapsed().as_nanos() as f64, gas))
    })
}

/// Measures every EVM probe (or those whose name contains `filter`), `budget` per chain.
pub(crate) fn run(
    filter: Option<&str>,
    budget: Duration,
    common_ns_per_gas: f64,
) -> anyhow::Result<Vec<EvmRow>> {
    let selected: Vec<EvmProbe> = probes()
        .into_iter()
        .filter(|p| filter.is_none_or(|f| p.name.contains(f)))
        .collect();
    if selected.is_empty() {
        return Ok(Vec::new());
    }
    let mut tandem = BenchChain::new()?;
    let mut revm = RevmTwin::new();
    let (t_targets, r_targets) = (targets(&mut tandem)?, targets(&mut revm)?);
    let mut rows = Vec::new();
    for p in &selected {
        let t_pair = deploy_pair(&mut tandem, &t_targets, p)?;
        let r_pair = deploy_pair(&mut revm, &r_targets, p)?;
        let (t_ns, t_gas) = time_pair(&mut tandem, &t_pair, budget)
            .with_context(|| format!("EVM row {:?} on Tandem", p.name))?;
        let (r_ns, r_gas) = time_pair(&mut revm, &r_pair, budget)
            .with_context(|| format!("EVM row {:?} on revm", p.name))?;
        ensure!(
            t_gas == r_gas,
            "EVM row {:?}: Tandem charged {t_gas} gas where revm charged {r_gas}",
            p.name
        );
        let n = f64::from(p.n);
        let gas_per_op = t_gas as f64 / n;
        let tandem_ns_per_op = t_ns / n;
        rows.push(EvmRow {
            name: p.name,
            gas_per_op,
            tandem_ns_per_op,
            revm_ns_per_op: r_ns / n,
            ratio_to_common: common_ns_per_gas
                .is_finite()
                .then(|| tandem_ns_per_op / gas_per_op / common_ns_per_gas),
            ratio_to_revm: t_ns / r_ns.max(f64::MIN_POSITIVE),
        });
    }
    Ok(rows)
}

/// The EVM rows as a Markdown table.
pub fn markdown(rows: &[EvmRow]) -> String {
    let mut out = String::from(
        "| EVM operation | gas/op | Tandem ns/op | ns/gas | × native common | revm ns/op | × revm |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let common = match r.ratio_to_common {
            Some(x) if x <= 2.0 => format!("{x:.2}"),
            Some(x) => format!("**{x:.2}**"),
            None => "—".into(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {:.3} | {common} | {} | {:.2} |\n",
            r.name,
            super::figure(r.gas_per_op),
            super::figure(r.tandem_ns_per_op),
            r.tandem_ns_per_op / r.gas_per_op,
            super::figure(r.revm_ns_per_op),
            r.ratio_to_revm,
        ));
    }
    out
}
