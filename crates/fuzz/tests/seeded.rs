//! A short seeded run of every fuzz target (fixed seeds, so a failure reproduces with the
//! command the run prints). `TANDEM_FUZZ_ITERS=N` overrides the iteration counts; long runs
//! use the `tandem-fuzz` binary (see ARCHITECTURE.md, "Fuzzing").

use tandem_fuzz::targets::{evm, evm_speed, lang, lang_diff, rpc, syscalls, wasm};
use tandem_fuzz::{Budget, ci_iterations, run};

#[test]
fn evm_differential() {
    let s = run(
        &mut evm::EvmTarget::default(),
        11,
        0,
        Budget::Iterations(ci_iterations(3000)),
    );
    eprint!("{s}");
}

/// The speed audit's loops on both sides: compared like the differential target, and they
/// must really loop (each case burns a million gas or more, most of it out of gas).
#[test]
fn evm_speed_loops() {
    let s = run(
        &mut evm_speed::EvmSpeedTarget::default(),
        17,
        0,
        Budget::Iterations(ci_iterations(8)),
    );
    eprint!("{s}");
    assert!(s.stats.gas >= 1_000_000 * s.iterations, "{s}");
    assert!(s.stats.peer_time > std::time::Duration::ZERO, "{s}");
    assert!(s.stats.slowest_vs_peer.is_some(), "{s}");
}

#[test]
fn wasm_modules() {
    let s = run(
        &mut wasm::WasmTarget::new(),
        12,
        0,
        Budget::Iterations(ci_iterations(300)),
    );
    eprint!("{s}");
}

#[test]
fn syscalls() {
    let s = run(
        &mut syscalls::SyscallTarget::new(),
        13,
        0,
        Budget::Iterations(ci_iterations(1500)),
    );
    eprint!("{s}");
}

#[test]
fn json_rpc() {
    let s = run(
        &mut rpc::RpcTarget::start(),
        14,
        0,
        Budget::Iterations(ci_iterations(200)),
    );
    eprint!("{s}");
}

#[test]
fn language_front_end() {
    let s = run(
        &mut lang::LangTarget::new(),
        15,
        0,
        Budget::Iterations(ci_iterations(5000)),
    );
    eprint!("{s}");
}

#[test]
fn language_backends_agree() {
    let s = run(
        &mut lang_diff::LangDiffTarget::new(),
        16,
        0,
        Budget::Iterations(ci_iterations(400)),
    );
    eprint!("{s}");
    // Programs that do not compile are generator bugs: a few are tolerated, not a habit.
    let refused: u64 = s
        .stats
        .counters
        .iter()
        .filter(|(k, _)| k.starts_with("generator:"))
        .map(|(_, v)| v)
        .sum();
    assert!(
        refused * 20 <= s.iterations,
        "{refused} of {} generated programs did not compile",
        s.iterations
    );
}
