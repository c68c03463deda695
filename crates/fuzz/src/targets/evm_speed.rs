//! EVM speed audit: contracts that loop over host-heavy snippets (fresh accounts, calls,
//! creates, storage, logs, precompiles) until their gas runs out, each transaction timed on
//! Tandem and on plain revm (`evm::check_timed`: the outcomes and state roots are compared
//! as in the differential target, so every case is a correctness check too).
//!
//! The EVM's prices are Ethereum's, so a Tandem transaction is held to its peer: the case
//! whose Tandem time per gas is furthest above revm's is one where Tandem's own glue (the
//! state tree, the address map, the call manager) costs more than the schedule assumes.
//! Each new worst case is re-run and keeps its best times, so one preempted timing does not
//! stand.

use std::sync::Arc;

use alloy_primitives::U256;
use rand::Rng;
use rand::rngs::StdRng;
use tandem_evm::EvmRuntime;
use tandem_evm::initcode::deploying;

use super::evm::{
    CONTRACTS, Case, SENDERS, Tx, TxTiming, check_timed, describe, push_bytes as push,
    store_in_memory,
};
use crate::{SLOWEST_MIN_GAS, Slowest, Stats, Target, pick};

/// The loop's counter lives in memory word 0; snippets write memory only from here up.
const SCRATCH: u64 = 64;
/// Where the prefix leaves init code for CREATE and CREATE2.
const INIT_AT: u64 = 16_384;
/// A base for fresh addresses (counter XOR base): not a masked ID, not a precompile.
const FRESH_BASE: [u8; 20] = [
    0x3c, 0x51, 0x07, 0x9a, 0x44, 0x10, 0xe2, 0x88, 0x19, 0x6d, 0x2b, 0x70, 0x05, 0xc4, 0x9e, 0x31,
    0x7f, 0x62, 0x00, 0x00,
];
/// A looping contract's balance: enough for a value transfer in every iteration.
const LOOPER_BALANCE: u128 = 1_000_000_000_000_000_000;

fn push_u64(code: &mut Vec<u8>, v: u64) {
    push(code, &v.to_be_bytes());
}

/// The loop counter (memory word 0) onto the stack.
fn counter(code: &mut Vec<u8>) {
    code.extend_from_slice(&[0x5f, 0x51]); // PUSH0 MLOAD
}

struct SpeedGen<'a> {
    rng: &'a mut StdRng,
}

impl SpeedGen<'_> {
    /// An address: fresh in every iteration, a pre-state account, a precompile, or absent.
    fn address(&mut self, code: &mut Vec<u8>) {
        match self.rng.random_range(0..6) {
            0 | 1 => {
                counter(code);
                push(code, &FRESH_BASE);
                code.push(0x18); // XOR
            }
            2 => push(code, &pick(self.rng, &CONTRACTS)[..]),
            3 => push(code, &pick(self.rng, &SENDERS)[..]),
            4 => push_u64(code, self.rng.random_range(1..=10)),
            _ => push(code, &[0x77; 20]),
        }
    }

    /// A storage key: fresh per iteration or one of a few.
    fn key(&mut self, code: &mut Vec<u8>) {
        if self.rng.random_bool(0.5) {
            counter(code);
        } else {
            push_u64(code, self.rng.random_range(0..4));
        }
    }

    fn size(&mut self) -> u64 {
        *pick(self.rng, &[0u64, 1, 32, 100, 1024, 4096])
    }

    /// One snippet that leaves the stack as it found it.
    fn snippet(&mut self, code: &mut Vec<u8>, init_len: u64) {
        match self.rng.random_range(0..16) {
            0 => {
                self.address(code);
                code.extend_from_slice(&[*pick(self.rng, &[0x31u8, 0x3b, 0x3f]), 0x50]);
            }
            1 => {
                // EXTCODECOPY(address, dest, offset, size)
                push_u64(code, self.size());
                code.push(0x5f);
                push_u64(code, SCRATCH);
                self.address(code);
                code.push(0x3c);
            }
            2..=4 => {
                let op = *pick(self.rng, &[0xf1u8, 0xf1, 0xf2, 0xf4, 0xfa]);
                push_u64(code, self.size().min(256)); // retLen
                push_u64(code, SCRATCH);
                push_u64(code, self.size()); // argsLen
                push_u64(code, SCRATCH);
                if matches!(op, 0xf1 | 0xf2) {
                    push_u64(code, self.rng.random_range(0..2));
                }
                self.address(code);
                if self.rng.random_bool(0.6) {
                    code.push(0x5a); // GAS
                } else {
                    push_u64(code, self.rng.random_range(0..50_000));
                }
                code.extend_from_slice(&[op, 0x50]);
            }
            5 => {
                // SSTORE(key, value)
                if self.rng.random_bool(0.5) {
                    counter(code);
                } else {
                    push_u64(code, self.rng.random_range(0..2));
                }
                self.key(code);
                code.push(0x55);
            }
            6 => {
                self.key(code);
                code.extend_from_slice(&[0x54, 0x50]);
            }
            7 => {
                counter(code);
                self.key(code);
                code.push(0x5d); // TSTORE
                self.key(code);
                code.extend_from_slice(&[0x5c, 0x50]); // TLOAD POP
            }
            8 => {
                let topics = self.rng.random_range(0..=4u8);
                for _ in 0..topics {
                    counter(code);
                }
                push_u64(code, self.size());
                push_u64(code, SCRATCH);
                code.push(0xa0 + topics);
            }
            9 => {
                push_u64(code, self.size());
                push_u64(code, SCRATCH);
                code.extend_from_slice(&[0x20, 0x50]); // KECCAK256 POP
            }
            10 if init_len > 0 => {
                // CREATE(value, offset, size) or CREATE2(value, offset, size, salt)
                let create2 = self.rng.random_bool(0.5);
                if create2 {
                    if self.rng.random_bool(0.7) {
                        counter(code);
                    } else {
                        code.push(0x5f); // the same salt: a collision after the first
                    }
                }
                push_u64(code, init_len);
                push_u64(code, INIT_AT);
                push_u64(code, self.rng.random_range(0..2));
                code.extend_from_slice(&[if create2 { 0xf5 } else { 0xf0 }, 0x50]);
            }
            11 => {
                // MCOPY(dest, src, size)
                push_u64(code, self.size());
                push_u64(code, SCRATCH + self.rng.random_range(0..64));
                push_u64(code, SCRATCH);
                code.push(0x5e);
            }
            12 => {
                // RETURNDATACOPY of all there is
                code.extend_from_slice(&[0x3d, 0x5f]); // RETURNDATASIZE PUSH0
                push_u64(code, SCRATCH);
                code.push(0x3e);
            }
            13 => {
                push_u64(code, self.rng.random_range(1..300));
                code.extend_from_slice(&[0x43, 0x03, 0x40, 0x50]); // NUMBER SUB BLOCKHASH POP
            }
            14 => {
                counter(code);
                push_u64(code, SCRATCH + 32 * self.rng.random_range(0..64));
                code.push(0x52); // MSTORE
            }
            _ => {
                // SELFBALANCE, CALLER, GAS, ADDRESS: cheap reads
                let op = *pick(self.rng, &[0x47u8, 0x33, 0x5a, 0x30]);
                code.extend_from_slice(&[op, 0x50]);
            }
        }
    }

    /// Init code for the looper's creates: empty, a small contract, one that writes a slot,
    /// one that self-destructs, or one that reverts.
    fn init_code(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..5) {
            0 => deploying(&[]),
            1 => deploying(&[0x60, 0x2a, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]),
            // SSTORE(0, 1), then deploys the one byte at memory 0 (STOP)
            2 => vec![0x60, 0x01, 0x5f, 0x55, 0x60, 0x01, 0x5f, 0xf3],
            3 => {
                let mut c = Vec::new();
                push(&mut c, &[0x77; 20]);
                c.push(0xff);
                c
            }
            _ => vec![0x5f, 0x5f, 0xfd],
        }
    }

    /// A contract that loops over one to three snippets until its gas runs out.
    fn looper(&mut self) -> Vec<u8> {
        let mut code = Vec::new();
        let init = if self.rng.random_bool(0.4) {
            self.init_code()
        } else {
            Vec::new()
        };
        store_in_memory(&mut code, &init, INIT_AT);
        let head = code.len() as u64;
        code.push(0x5b); // JUMPDEST
        counter(&mut code);
        code.extend_from_slice(&[0x60, 0x01, 0x01, 0x5f, 0x52]); // +1, back to word 0
        for _ in 0..self.rng.random_range(1..=3) {
            self.snippet(&mut code, init.len() as u64);
        }
        push_u64(&mut code, head);
        code.push(0x56); // JUMP
        code
    }

    /// What the looper calls: nothing, a slot write, a log, return data, a revert, a
    /// self-destruct, or another loop.
    fn callee(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..7) {
            0 => vec![0x00],
            1 => vec![0x43, 0x5f, 0x55],
            2 => vec![0x60, 0x20, 0x5f, 0xa0],
            3 => vec![0x61, 0x01, 0x00, 0x5f, 0xf3],
            4 => vec![0x5f, 0x5f, 0xfd],
            5 => {
                let mut c = Vec::new();
                push(&mut c, &[0x77; 20]);
                c.push(0xff);
                c
            }
            _ => self.looper(),
        }
    }
}

/// A case: two loopers and a callee; one or two transactions into the loopers.
pub fn generate(rng: &mut StdRng) -> Case {
    let mut g = SpeedGen { rng };
    let contracts = vec![
        (CONTRACTS[0], g.looper(), U256::from(LOOPER_BALANCE), vec![]),
        (CONTRACTS[1], g.callee(), U256::from(1000u64), vec![]),
        (CONTRACTS[2], g.looper(), U256::from(LOOPER_BALANCE), vec![]),
    ];
    let txs = (0..g.rng.random_range(1..=2u64))
        .map(|nonce| Tx {
            tx_type: 2,
            from: SENDERS[0],
            nonce,
            to: Some(*pick(g.rng, &[CONTRACTS[0], CONTRACTS[2]])),
            value: U256::ZERO,
            input: Vec::new(),
            gas_limit: g.rng.random_range(SLOWEST_MIN_GAS..8_000_000),
            max_fee: 1,
            priority: 1,
        })
        .collect();
    Case {
        base_fee: 0,
        contracts,
        txs,
    }
}

pub struct EvmSpeedTarget {
    pub evm: Arc<EvmRuntime>,
}

impl Default for EvmSpeedTarget {
    fn default() -> Self {
        Self {
            evm: Arc::new(EvmRuntime::new()),
        }
    }
}

/// A peer time per gas below this counts as this: a transaction that burns its gas in a few
/// cheap steps on both sides (a call that takes all gas and fails at once) is fast, not a
/// hole, and its ratio would only measure the timer. About the native common rate.
const PEER_FLOOR_NS_PER_GAS: f64 = 0.5;

/// How far `tandem` ns per gas is above its peer's (floored).
fn score(tandem: f64, revm: f64) -> f64 {
    tandem / revm.max(PEER_FLOOR_NS_PER_GAS)
}

/// The transaction of `timings` furthest above revm per gas: (index, Tandem ns/gas, revm).
fn worst(timings: &[TxTiming]) -> Option<(usize, f64, f64)> {
    timings
        .iter()
        .enumerate()
        .filter(|(_, t)| t.gas_used >= SLOWEST_MIN_GAS)
        .map(|(i, t)| {
            let per_gas = |d: std::time::Duration| d.as_nanos() as f64 / t.gas_used as f64;
            (i, per_gas(t.tandem), per_gas(t.revm))
        })
        .max_by(|a, b| score(a.1, a.2).total_cmp(&score(b.1, b.2)))
}

/// How many times a new worst case runs again (each side keeps its best time).
const RERUNS: usize = 4;

impl Target for EvmSpeedTarget {
    const NAME: &'static str = "evm-speed";

    fn iteration(&mut self, rng: &mut StdRng, stats: &mut Stats) {
        let case = generate(rng);
        let timings = check_timed(&self.evm, &case, stats);
        for t in &timings {
            stats.gas += t.gas_used;
            stats.exec_time += t.tandem;
            stats.peer_time += t.revm;
        }
        let Some((index, mut tandem, mut revm)) = worst(&timings) else {
            return;
        };
        let before = stats.slowest_vs_peer.as_ref().map_or(0.0, |s| {
            score(s.ns_per_gas, s.peer_ns_per_gas.unwrap_or(0.0))
        });
        if score(tandem, revm) <= before {
            return;
        }
        let gas = timings[index].gas_used;
        let per_gas = |d: std::time::Duration| d.as_nanos() as f64 / gas as f64;
        for _ in 0..RERUNS {
            let again = check_timed(&self.evm, &case, &mut Stats::default());
            if let Some(t) = again.get(index) {
                tandem = tandem.min(per_gas(t.tandem));
                revm = revm.min(per_gas(t.revm));
            }
        }
        if score(tandem, revm) > before {
            stats.slowest_vs_peer = Some(Slowest {
                ns_per_gas: tandem,
                peer_ns_per_gas: Some(revm),
                gas,
                message: format!("transaction {}", timings[index].tx),
                iteration: stats.iteration,
                module: describe(&case).into_bytes(),
            });
        }
    }
}
