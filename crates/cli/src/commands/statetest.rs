//! `tandem statetest PATH...`: runs Ethereum GeneralStateTests (JSON files or folders)
//! through Tandem's executor and state, judging the `Cancun` post states.
//!
//! Prints one line per failure (file, test, indexes, reason), then
//! `N passed, M failed, K skipped`; fails when M > 0.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

#[derive(Debug, Args)]
pub struct StatetestArgs {
    /// State-test JSON files or folders (searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: StatetestArgs) -> anyhow::Result<()> {
    let runner = tandem_evm::statetest::Runner::new(vec![Arc::new(tandem_actors::BuiltinRuntime)]);
    let summary = runner.run_paths(&args.paths, |failure| println!("{failure}"))?;
    println!(
        "{} passed, {} failed, {} skipped",
        summary.passed, summary.failed, summary.skipped
    );
    if summary.failed > 0 {
        anyhow::bail!("{} state-test cases failed", summary.failed);
    }
    Ok(())
}
