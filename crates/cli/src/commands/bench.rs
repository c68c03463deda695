//! `tandem bench`: fixed workloads on an in-memory chain (see the `tandem-bench` crate), each
//! with its peer in the same run; a table, or JSON with `--json`.

use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Run only workloads whose name contains this.
    #[arg(long)]
    pub filter: Option<String>,
    /// Milliseconds of measurement per workload (after a warm-up).
    #[arg(long, default_value_t = 2_500)]
    pub ms: u64,
}

pub fn run(json: bool, args: BenchArgs) -> anyhow::Result<()> {
    let opts = tandem_bench::Options {
        filter: args.filter,
        time_per_workload: Duration::from_millis(args.ms),
    };
    let rows = tandem_bench::run(&opts)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", tandem_bench::table(&rows));
    }
    Ok(())
}
