//! `cargo run -p tandem-evm --example statetest -- PATH...`: runs state tests and prints
//! failures (the CLI's `tandem statetest` does the same).

fn main() -> anyhow::Result<()> {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let runner = tandem_evm::statetest::Runner::default();
    let started = std::time::Instant::now();
    let summary = runner.run_paths(&paths, |f| println!("{f}"))?;
    println!(
        "{} passed, {} failed, {} skipped ({:.1}s)",
        summary.passed,
        summary.failed,
        summary.skipped,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
