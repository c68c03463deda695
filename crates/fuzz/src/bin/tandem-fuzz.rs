//! Long local fuzz runs: `tandem-fuzz <target> [--seconds N | --iterations N] [--seed S]
//! [--start I]`. Targets: evm, evm-speed, wasm, syscalls, rpc, lang, lang-diff. Prints a summary at the end; a
//! failing iteration prints the command that reproduces it and exits non-zero.
//! `TANDEM_FUZZ_SLOWEST=FILE` writes the wasm target's slowest module per gas there (for
//! evm-speed: the case furthest above plain revm, in readable form).

use tandem_fuzz::targets::{evm, evm_speed, lang, lang_diff, rpc, syscalls, wasm};
use tandem_fuzz::{Budget, Summary, run};

const USAGE: &str = "usage: tandem-fuzz <evm|evm-speed|wasm|syscalls|rpc|lang|lang-diff> [--seconds N | --iterations N] [--seed S] [--start I]";

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(target) = args.next() else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let mut budget = Budget::Seconds(60);
    let mut seed = 1u64;
    let mut start = 0u64;
    while let Some(flag) = args.next() {
        let value: u64 = match args.next().and_then(|v| v.parse().ok()) {
            Some(v) => v,
            None => {
                eprintln!("{flag} needs a number\n{USAGE}");
                std::process::exit(2);
            }
        };
        match flag.as_str() {
            "--seconds" => budget = Budget::Seconds(value),
            "--iterations" => budget = Budget::Iterations(value),
            "--seed" => seed = value,
            "--start" => start = value,
            _ => {
                eprintln!("unknown flag {flag}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    if target == "lang-show" {
        // Prints the package of iteration `start` of `seed` (to rerun it by hand).
        let t = lang::LangTarget::new();
        for (name, text) in t.generate(&mut tandem_fuzz::iteration_rng(seed, start)) {
            println!("==== {name}\n{text}");
        }
        return;
    }
    if target == "lang-diff-show" {
        // Prints the program and calls of iteration `start` of `seed`.
        let (p, calls) =
            lang_diff::LangDiffTarget::generate(&mut tandem_fuzz::iteration_rng(seed, start));
        print!("{}", lang_diff::show(&p, &calls));
        return;
    }
    if target == "evm-minimize" {
        // Shrinks the failing case of iteration `start` of `seed` and prints it.
        let t = evm::EvmTarget::default();
        let case = evm::generate(&mut tandem_fuzz::iteration_rng(seed, start));
        let small = evm::minimize(&t.evm, case);
        println!("{}", evm::describe(&small));
        evm::check(&t.evm, &small, &mut Default::default());
        return;
    }
    let summary: Summary = match target.as_str() {
        "evm" => run(&mut evm::EvmTarget::default(), seed, start, budget),
        "evm-speed" => run(
            &mut evm_speed::EvmSpeedTarget::default(),
            seed,
            start,
            budget,
        ),
        "wasm" => run(&mut wasm::WasmTarget::new(), seed, start, budget),
        "syscalls" => run(&mut syscalls::SyscallTarget::new(), seed, start, budget),
        "rpc" => run(&mut rpc::RpcTarget::start(), seed, start, budget),
        "lang" => run(&mut lang::LangTarget::new(), seed, start, budget),
        "lang-diff" => run(&mut lang_diff::LangDiffTarget::new(), seed, start, budget),
        _ => {
            eprintln!("unknown target {target}\n{USAGE}");
            std::process::exit(2);
        }
    };
    print!("{summary}");
    let slowest = summary
        .stats
        .slowest_vs_peer
        .as_ref()
        .or(summary.stats.slowest.as_ref());
    if let (Some(path), Some(slowest)) = (std::env::var_os("TANDEM_FUZZ_SLOWEST"), slowest) {
        // The module whose message ran slowest per gas, for a look at what it spends on.
        if let Err(e) = std::fs::write(&path, &slowest.module) {
            eprintln!("writing {}: {e}", std::path::Path::new(&path).display());
            std::process::exit(1);
        }
    }
}
